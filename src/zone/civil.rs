//! Calendar dates of UNIX times, UTC, proleptic Gregorian (Howard Hinnant, "chrono-Compatible
//! Low-Level Date Algorithms"): for `dateserial` serials, RRSIG times, and the timestamps of
//! the DKIM and DMARC state files and of `status`. No time zone database, no clock.

/// The (year, month 1..=12, day 1..=31) of a day number counted from 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // day of era, 0..=146096
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // year of era, 0..=399
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // day of year from March 1, 0..=365
    let mp = (5 * doy + 2) / 153; // month from March, 0..=11
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The day number since 1970-01-01 of a date (the inverse of [`civil_from_days`] for valid
/// dates; an invalid one such as 31 November gives a day that maps back to another date).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day, hour, minute, second) of a UNIX time.
pub fn ymdhms(unix: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    let secs = unix.rem_euclid(86_400);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `2026-11-29T00:31:07Z`.
pub fn format_iso(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = ymdhms(unix);
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z")
}

/// `2026-11-29 00:31:07 UTC`.
pub fn format_utc(unix: i64) -> String {
    let (y, m, d, hh, mm, ss) = ymdhms(unix);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02} UTC")
}

/// The UNIX time of `2026-11-29T00:31:07Z` (exactly that form, a real date); the inverse of
/// [`format_iso`].
pub fn parse_iso(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = &text[r];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    // 31 November and the like.
    (civil_from_days(days) == (y, mo, d)).then_some(days * 86_400 + h * 3600 + mi * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_across_eras_and_leap_days() {
        for (days, ymd) in [
            (0, (1970, 1, 1)),
            (-1, (1969, 12, 31)),
            (11_016, (2000, 2, 29)),
            (19_782, (2024, 2, 29)),
            (20_088, (2024, 12, 31)),
            (20_089, (2025, 1, 1)),
            (-719_468, (0, 3, 1)),
            (20_786, (2026, 11, 29)),
            (47_541, (2100, 3, 1)),
        ] {
            assert_eq!(civil_from_days(days), ymd, "civil_from_days({days})");
            assert_eq!(days_from_civil(ymd.0, ymd.1, ymd.2), days, "{ymd:?}");
        }
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn formats_and_parses() {
        let t = 1_795_912_267; // 2026-11-29T00:31:07Z
        assert_eq!(format_iso(t), "2026-11-29T00:31:07Z");
        assert_eq!(format_utc(t), "2026-11-29 00:31:07 UTC");
        assert_eq!(parse_iso("2026-11-29T00:31:07Z"), Some(t));
        for bad in [
            "2026-11-31T00:00:00Z",
            "2026-11-28 00:31:07",
            "2026-13-01T00:00:00Z",
            "x",
        ] {
            assert_eq!(parse_iso(bad), None, "{bad}");
        }
    }
}
