//! SOA serial arithmetic (RFC 1982) and serial policies.
//!
//! Everything here is pure arithmetic: the clock is an argument (`now_unix`), never read here.
//! The date conversion for `dateserial` is done by hand (Howard Hinnant's `civil_from_days`),
//! in UTC, so no date crate is needed.
//!
//! Imports nothing outside `std`, `serde` and `thiserror`.

use std::cmp::Ordering;
use std::fmt;

use super::civil::civil_from_days;

/// Half the serial space, 2^31: serials this far apart have no defined order (RFC 1982 §3.2).
const HALF: u32 = 1 << 31;

/// The largest step a serial can take and still compare greater: 2^31 - 1 (RFC 1982 §3.1).
pub const MAX_SERIAL_STEP: u32 = HALF - 1;

/// RFC 1982 comparison of SOA serials: `Less`, `Equal` or `Greater`, or `None` when the
/// comparison is undefined (the serials are exactly 2^31 apart).
///
/// `serial_cmp(a, b) == Some(Ordering::Less)` means `a` is older than `b`: a secondary holding
/// `a` would transfer a zone with serial `b`.
pub fn serial_cmp(a: u32, b: u32) -> Option<Ordering> {
    // How far `b` is ahead of `a`, going forwards around the circle.
    match b.wrapping_sub(a) {
        0 => Some(Ordering::Equal),
        HALF => None,
        d if d < HALF => Some(Ordering::Less),
        _ => Some(Ordering::Greater),
    }
}

/// Is `a` strictly greater than `b` under RFC 1982?
pub fn serial_gt(a: u32, b: u32) -> bool {
    serial_cmp(a, b) == Some(Ordering::Greater)
}

/// The later of two serials (RFC 1982): `b` unless `a` is greater (so `b` if they cannot be
/// compared).
pub fn serial_max(a: u32, b: u32) -> u32 {
    if serial_gt(a, b) {
        a
    } else {
        b
    }
}

/// How a zone's SOA serial is advanced after a change.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SerialPolicy {
    /// Add one (wrapping at 2^32, as RFC 1982 allows).
    Increment,
    /// The current UNIX time in seconds, or one more than the current serial if that is not
    /// greater.
    Unixtime,
    /// `YYYYMMDDnn` for today's UTC date; `nn` counts the changes of the day (Knot's and BIND's
    /// convention).
    #[default]
    Dateserial,
}

impl SerialPolicy {
    /// The policy's name as written in the configuration file.
    pub fn as_str(self) -> &'static str {
        match self {
            SerialPolicy::Increment => "increment",
            SerialPolicy::Unixtime => "unixtime",
            SerialPolicy::Dateserial => "dateserial",
        }
    }
}

impl fmt::Display for SerialPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The next serial after `current` under `policy`, given the current time (`now_unix`, seconds
/// since 1970-01-01 UTC; the caller reads the clock).
///
/// The result is always greater than `current` under RFC 1982 (`serial_gt(result, current)`),
/// so a bump never goes backwards and never wraps the wrong way:
/// - `increment`: `current + 1`, wrapping from `0xFFFF_FFFF` to `0` (RFC 1982 addition).
/// - `unixtime`: `now` if it is greater than `current`, else `current + 1` (a clock that went
///   backwards, or several changes in one second).
/// - `dateserial`: `YYYYMMDD00` for today (UTC) if it is greater than `current`, else
///   `current + 1`. That covers the 2nd..100th change of a day (`nn` = 01..99), the 101st change
///   of a day rolling into tomorrow's date, and a serial already ahead of today, as Knot does.
pub fn next_serial(policy: SerialPolicy, current: u32, now_unix: i64) -> u32 {
    let candidate = match policy {
        SerialPolicy::Increment => None,
        // Serials live modulo 2^32 (RFC 1982), so after 2106 the UNIX time wraps as Knot's
        // `(uint32_t)time(NULL)` does; the comparison below keeps the result ahead of `current`.
        SerialPolicy::Unixtime => Some(now_unix as u32),
        SerialPolicy::Dateserial => date_serial(now_unix),
    };
    match candidate {
        Some(c) if serial_gt(c, current) => c,
        _ => current.wrapping_add(1),
    }
}

/// `YYYYMMDD00` for the UTC date of `now_unix`, or `None` for a year that does not fit
/// (before year 0 or after 4294).
fn date_serial(now_unix: i64) -> Option<u32> {
    let (y, m, d) = civil_from_days(now_unix.div_euclid(86_400));
    let serial = ((y * 100 + m) * 100 + d) * 100;
    u32::try_from(serial).ok()
}

/// Why `serial set` refuses a requested serial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SerialError {
    /// The requested serial is the one the zone already has.
    #[error("the zone's serial is already {serial}; choose a greater one")]
    Unchanged { serial: u32 },
    /// The requested serial is behind the current one under RFC 1982.
    #[error(
        "serial {requested} is less than the current serial {current} under RFC 1982 serial \
         arithmetic: secondaries would keep their copy of the zone. {}",
        wrap_advice(.steps)
    )]
    Behind {
        current: u32,
        requested: u32,
        steps: Vec<u32>,
    },
    /// The requested serial is exactly 2^31 away from the current one.
    #[error(
        "serial {requested} is exactly 2^31 away from the current serial {current}: RFC 1982 \
         leaves that comparison undefined and secondaries may ignore it. {}",
        wrap_advice(.steps)
    )]
    Undefined {
        current: u32,
        requested: u32,
        steps: Vec<u32>,
    },
}

impl SerialError {
    /// The serials to set one after the other, waiting for every secondary to transfer each,
    /// to reach the requested serial; the last one is the requested serial. Empty for
    /// [`SerialError::Unchanged`].
    pub fn steps(&self) -> &[u32] {
        match self {
            SerialError::Unchanged { .. } => &[],
            SerialError::Behind { steps, .. } | SerialError::Undefined { steps, .. } => steps,
        }
    }
}

/// The operator's instructions for the multi-step wrap (RFC 1982 §7, BIND ARM "serial number").
fn wrap_advice(steps: &[u32]) -> String {
    let Some((target, via)) = steps.split_last() else {
        return String::new();
    };
    let mut s = String::from("To get there, set serial ");
    for (i, step) in via.iter().enumerate() {
        if i > 0 {
            s.push_str(", then ");
        }
        s.push_str(&format!(
            "{step}, wait until every secondary has transferred it"
        ));
    }
    s.push_str(&format!(", then set {target}"));
    s
}

/// The serials to set in turn to move from `current` to `target`, each step at most 2^31 - 1
/// ahead of the previous one so that every secondary accepts it; ends with `target`.
fn wrap_steps(current: u32, target: u32) -> Vec<u32> {
    let mut steps = Vec::new();
    let mut at = current;
    while !serial_gt(target, at) {
        at = at.wrapping_add(MAX_SERIAL_STEP);
        steps.push(at);
    }
    // `at` never lands on `target`: that would need `target` one 2^31 - 1 step ahead of the
    // previous `at`, which `serial_gt` accepts and so ends the loop first.
    steps.push(target);
    steps
}

/// Checks that `requested` may replace `current` as the zone's serial: it must be greater under
/// RFC 1982, or secondaries will not transfer the zone. The error carries the steps of the
/// two-step (or, for `current - 1`, three-step) wrap that gets there: first set
/// `current + 2^31 - 1`, wait for every secondary to transfer it, then set `requested`.
pub fn check_serial_set(current: u32, requested: u32) -> Result<(), SerialError> {
    match serial_cmp(requested, current) {
        Some(Ordering::Greater) => Ok(()),
        Some(Ordering::Equal) => Err(SerialError::Unchanged { serial: current }),
        Some(Ordering::Less) => Err(SerialError::Behind {
            current,
            requested,
            steps: wrap_steps(current, requested),
        }),
        None => Err(SerialError::Undefined {
            current,
            requested,
            steps: wrap_steps(current, requested),
        }),
    }
}

/// The serial `serial set NEW [--force]` gives a zone whose serial is `old`, and the warning a
/// forced one prints. Unforced, a serial that is not greater under RFC 1982 is refused with the
/// reason; setting the current serial is a no-op.
pub fn settle_serial_set(old: u32, new: u32, force: bool) -> Result<(u32, Option<String>), String> {
    match check_serial_set(old, new) {
        Ok(()) => Ok((new, None)),
        Err(SerialError::Unchanged { .. }) => Ok((old, None)),
        Err(e) if force => Ok((
            new,
            Some(format!(
                "warning: --force: {}",
                forced_warning(&e, old, new)
            )),
        )),
        Err(e) => Err(format!(
            "{e}; `--force` sets it anyway, and secondaries then keep their copy"
        )),
    }
}

/// What a forced `serial set` means for secondaries, and the safe way it skipped.
fn forced_warning(e: &SerialError, old: u32, new: u32) -> String {
    let why = match e {
        SerialError::Undefined { .. } => "is exactly 2^31 away from",
        _ => "is less than",
    };
    let mut s = format!(
        "serial {new} {why} the current serial {old} under RFC 1982: secondaries will not \
         transfer the zone, and keep serving their copy, until its serial is greater than {old} \
         again"
    );
    if let Some((last, via)) = e.steps().split_last() {
        let via: Vec<String> = via
            .iter()
            .map(|step| format!("set serial {step}, wait until every secondary has transferred it"))
            .collect();
        s.push_str(&format!(
            " (the safe way: {}, then set {last})",
            via.join(", then ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::civil::days_from_civil;
    use Ordering::{Equal, Greater, Less};
    use SerialPolicy::{Dateserial, Increment, Unixtime};

    /// UNIX time of `y-m-d hh:mm:ss` UTC.
    fn at(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> i64 {
        days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss
    }

    #[test]
    fn serial_cmp_follows_rfc_1982() {
        let cases: &[(u32, u32, Option<Ordering>)] = &[
            (1, 1, Some(Equal)),
            (1, 2, Some(Less)),
            (2, 1, Some(Greater)),
            // Around the 2^32 wrap: 0 comes after 0xFFFF_FFFF.
            (0, 0xFFFF_FFFF, Some(Greater)),
            (0xFFFF_FFFF, 0, Some(Less)),
            (5, 0xFFFF_FFF0, Some(Greater)),
            // Around 2^31: the largest forward step is 2^31 - 1.
            (0, 0x7FFF_FFFF, Some(Less)),
            (0x7FFF_FFFF, 0, Some(Greater)),
            (0, 0x8000_0001, Some(Greater)),
            (0x8000_0001, 0, Some(Less)),
            (100, 100 + 0x7FFF_FFFF, Some(Less)),
            // Exactly 2^31 apart: undefined, both ways.
            (0, 0x8000_0000, None),
            (0x8000_0000, 0, None),
            (7, 0x8000_0007, None),
            (0xFFFF_FFFF, 0x7FFF_FFFF, None),
        ];
        for &(a, b, want) in cases {
            assert_eq!(serial_cmp(a, b), want, "serial_cmp({a:#x}, {b:#x})");
            assert_eq!(
                serial_gt(a, b),
                want == Some(Greater),
                "serial_gt({a:#x}, {b:#x})"
            );
        }
    }

    #[test]
    fn one_hundred_changes_in_one_day() {
        let day = at(2025, 6, 1, 0, 0, 0);
        let mut serial = 2_025_053_112;
        for n in 0..100u32 {
            serial = next_serial(Dateserial, serial, day + i64::from(n) * 60);
            assert_eq!(serial, 2_025_060_100 + n);
        }
        // The 101st change of the day borrows tomorrow's first serial...
        serial = next_serial(Dateserial, serial, day + 86_399);
        assert_eq!(serial, 2_025_060_200);
        // ...and tomorrow carries on from it instead of going backwards.
        serial = next_serial(Dateserial, serial, day + 86_400);
        assert_eq!(serial, 2_025_060_201);
    }

    #[test]
    fn next_serial_never_goes_backwards() {
        let currents = [
            0,
            1,
            2_025_060_100,
            0x7FFF_FFFF,
            0x8000_0000,
            0xFFFF_FFFE,
            0xFFFF_FFFF,
        ];
        let nows = [
            -86_400,
            0,
            1_700_000_000,
            at(2025, 6, 1, 0, 0, 0),
            1 << 31,
            1 << 32,
            i64::MAX / 2,
        ];
        for policy in [Increment, Unixtime, Dateserial] {
            for current in currents {
                for now in nows {
                    let got = next_serial(policy, current, now);
                    assert!(
                        serial_gt(got, current),
                        "{policy}: {current} -> {got} at {now}"
                    );
                }
            }
        }
    }

    #[test]
    fn check_serial_set_table() {
        /// `Ok`, or the error's steps to get there.
        type Want = Result<(), &'static [u32]>;
        // (current, requested, want)
        let cases: &[(u32, u32, Want)] = &[
            (10, 11, Ok(())),
            (10, 10 + 0x7FFF_FFFF, Ok(())),
            (0xFFFF_FFFF, 5, Ok(())),
            (2_025_060_100, 2_025_060_101, Ok(())),
            (10, 10, Err(&[])),
            (10, 9 + 0x8000_0000 + 2, Err(&[0x8000_0009, 0x8000_000B])),
            (
                2_025_060_105,
                2_025_060_100,
                Err(&[2_025_060_105 + 0x7FFF_FFFF, 2_025_060_100]),
            ),
            // Exactly 2^31 away: undefined, one big step and then one more.
            (10, 0x8000_000A, Err(&[0x8000_0009, 0x8000_000A])),
            // One less than current: two steps of 2^31 - 1 fall one short, so three.
            (10, 9, Err(&[0x8000_0009, 8, 9])),
        ];
        for &(current, requested, want) in cases {
            let got = check_serial_set(current, requested);
            match (want, &got) {
                (Ok(()), Ok(())) => {}
                (Err(steps), Err(e)) => {
                    assert_eq!(e.steps(), steps, "steps for {current} -> {requested}");
                    // Every step must be accepted by a secondary holding the previous serial.
                    let mut at = current;
                    for &s in e.steps() {
                        assert!(serial_gt(s, at), "{at} -> {s}");
                        at = s;
                    }
                }
                _ => panic!("check_serial_set({current}, {requested}) = {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn serial_error_messages_explain_the_wrap() {
        let e = check_serial_set(2_025_060_105, 2_025_060_100).unwrap_err();
        assert!(matches!(e, SerialError::Behind { .. }));
        assert_eq!(
            e.to_string(),
            "serial 2025060100 is less than the current serial 2025060105 under RFC 1982 serial \
             arithmetic: secondaries would keep their copy of the zone. To get there, set serial \
             4172543752, wait until every secondary has transferred it, then set 2025060100"
        );

        let e = check_serial_set(0, 0x8000_0000).unwrap_err();
        assert!(matches!(e, SerialError::Undefined { .. }));
        assert!(e.to_string().contains("exactly 2^31 away"), "{e}");
        let tail =
            "set serial 2147483647, wait until every secondary has transferred it, then set \
                    2147483648";
        assert!(e.to_string().ends_with(tail), "{e}");

        let e = check_serial_set(10, 9).unwrap_err();
        assert!(
            e.to_string().ends_with(
                "set serial 2147483657, wait until every secondary has transferred it, then 8, wait \
                 until every secondary has transferred it, then set 9"
            ),
            "{e}"
        );

        let e = check_serial_set(7, 7).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the zone's serial is already 7; choose a greater one"
        );
    }

    #[test]
    fn policy_names() {
        for (p, name) in [
            (Increment, "increment"),
            (Unixtime, "unixtime"),
            (Dateserial, "dateserial"),
        ] {
            assert_eq!(p.to_string(), name);
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{name}\""));
            assert_eq!(
                serde_json::from_str::<SerialPolicy>(&format!("\"{name}\"")).unwrap(),
                p
            );
        }
        assert_eq!(SerialPolicy::default(), Dateserial);
    }
}
