//! The DKIM state of one zone — which selectors exist, when each was created, published,
//! activated, deactivated, revoked and removed — and the schedule rules over it.
//!
//! The state lives in `keys/ZONE/dkim.toml`, a human-readable TOML file (see README "DKIM"):
//!
//! ```toml
//! # DKIM selectors of example.com, kept by zonectl (README "DKIM"). Times are UTC.
//! zone = "example.com"
//!
//! [[selector]]
//! name = "s20261129"
//! algorithm = "rsa"
//! bits = 2048
//! created = "2026-11-29T00:31:07Z"
//! published = "2026-11-29T00:31:07Z"
//! ttl = 3600
//! activated = "2026-11-29T02:00:00Z"
//! ```
//!
//! A selector's state follows from which timestamps it has:
//!
//! ```text
//!   keygen/rotate         activate (≥ ttl after published)    another selector activated
//!  ──────────────► Published ──────────────────► Active ──────────────────► Inactive
//!                     │                                                        │
//!                     │ retire (never used: at once)      retire (≥ grace after deactivated)
//!                     └───────────────────────► Revoked ◄─────────────────────┘
//!                                                  │ remove (≥ ttl after revoked)
//!                                                  ▼
//!                                               Removed
//! ```
//!
//! Pure: every rule takes the clock (`now`, UNIX seconds) as an argument. `dkim::files` reads
//! and writes the file.

use serde::{Deserialize, Serialize};

use super::record::KeyType;
use crate::zone::civil;

/// How long after its last signature a key stays published before it may be revoked, unless the
/// configuration says otherwise: 7 days, so that mail delayed in queues still verifies.
pub const DEFAULT_GRACE_SECS: i64 = 7 * 86_400;

/// How old an active key may get before `dkim list` says a rotation is due: 180 days (the
/// common "every six months").
pub const ROTATE_AFTER_SECS: i64 = 180 * 86_400;

/// The whole state file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyState {
    /// The zone, without the final dot.
    pub zone: String,
    /// Every selector zonectl made for the zone, oldest first.
    #[serde(default, rename = "selector")]
    pub selectors: Vec<SelectorEntry>,
}

/// One selector's history. Times are RFC 3339 UTC strings (`2026-11-29T00:31:07Z`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorEntry {
    pub name: String,
    pub algorithm: Alg,
    pub bits: usize,
    /// When the key files were written.
    pub created: String,
    /// When the record was first served (verified on the wire, or written with no server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// The seconds a resolver may keep an old answer about the record: its TTL, or the zone's
    /// negative-caching TTL if that is longer (a resolver that asked before the record existed
    /// keeps that NXDOMAIN as long).
    #[serde(default)]
    pub ttl: u32,
    /// When the signer was switched to this selector (`dkim activate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activated: Option<String>,
    /// When another selector was activated in its place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deactivated: Option<String>,
    /// When the revoked form (`v=DKIM1; p=`) was published (`dkim retire`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<String>,
    /// When the record was deleted and the key files with it (`dkim remove`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

/// `KeyType` as the state file spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Alg {
    Rsa,
    Ed25519,
}

impl From<KeyType> for Alg {
    fn from(k: KeyType) -> Alg {
        match k {
            KeyType::Rsa => Alg::Rsa,
            KeyType::Ed25519 => Alg::Ed25519,
        }
    }
}

impl From<Alg> for KeyType {
    fn from(a: Alg) -> KeyType {
        match a {
            Alg::Rsa => KeyType::Rsa,
            Alg::Ed25519 => KeyType::Ed25519,
        }
    }
}

/// Where a selector is in its life (see the module diagram).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Key files written, record not (yet) published.
    Created,
    /// Published, the signer not yet using it.
    Published,
    /// The signer uses it.
    Active,
    /// Was active; another selector is now. Still published for mail in flight.
    Inactive,
    /// The revoked form is published.
    Revoked,
    /// Record and key files deleted; kept here as history.
    Removed,
}

impl std::fmt::Display for Phase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Phase::Created => "created",
            Phase::Published => "published",
            Phase::Active => "active",
            Phase::Inactive => "inactive",
            Phase::Revoked => "revoked",
            Phase::Removed => "removed",
        })
    }
}

/// Why a schedule step is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("no selector {0} in the state file (see `zonectl dkim list`)")]
    Unknown(String),
    #[error("selector {0} already exists; pick another name (refusing to overwrite a key)")]
    Exists(String),
    #[error("selector {selector} is {phase}: {why}")]
    OutOfOrder {
        selector: String,
        phase: Phase,
        why: String,
    },
    #[error(
        "selector {selector}: {what} is refused until {until} ({wait} from now): {why}; \
         --force does it anyway"
    )]
    TooSoon {
        selector: String,
        what: &'static str,
        until: String,
        wait: String,
        why: String,
    },
    #[error("the state file holds a time that is not RFC 3339 UTC: '{0}'")]
    BadTime(String),
}

impl SelectorEntry {
    /// A new entry for a key written at `now`.
    pub fn new(name: &str, algorithm: KeyType, bits: usize, now: i64) -> SelectorEntry {
        SelectorEntry {
            name: name.to_owned(),
            algorithm: algorithm.into(),
            bits,
            created: format_time(now),
            published: None,
            ttl: 0,
            activated: None,
            deactivated: None,
            revoked: None,
            removed: None,
        }
    }

    /// The phase its timestamps imply.
    pub fn phase(&self) -> Phase {
        if self.removed.is_some() {
            Phase::Removed
        } else if self.revoked.is_some() {
            Phase::Revoked
        } else if self.deactivated.is_some() {
            Phase::Inactive
        } else if self.activated.is_some() {
            Phase::Active
        } else if self.published.is_some() {
            Phase::Published
        } else {
            Phase::Created
        }
    }

    fn time(&self, t: &Option<String>) -> Result<Option<i64>, ScheduleError> {
        t.as_deref().map(parse_time).transpose()
    }

    fn out_of_order(&self, why: impl Into<String>) -> ScheduleError {
        ScheduleError::OutOfOrder {
            selector: self.name.clone(),
            phase: self.phase(),
            why: why.into(),
        }
    }
}

/// What is due next for one selector, and from when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// `activate`, `rotate`, `retire` or `remove`.
    pub action: &'static str,
    /// UNIX seconds from which the step is allowed (or advised, for `rotate`).
    pub at: i64,
}

impl KeyState {
    /// An empty state for `zone`.
    pub fn new(zone: &str) -> KeyState {
        KeyState {
            zone: zone.trim_end_matches('.').to_owned(),
            selectors: Vec::new(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&SelectorEntry> {
        self.selectors
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    fn get_mut(&mut self, name: &str) -> Result<&mut SelectorEntry, ScheduleError> {
        self.selectors
            .iter_mut()
            .find(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ScheduleError::Unknown(name.to_owned()))
    }

    /// The selector the signer uses, if any.
    pub fn active(&self) -> Option<&SelectorEntry> {
        self.selectors.iter().find(|s| s.phase() == Phase::Active)
    }

    /// Records a new key (before it is published). Refuses a name already used, even by a
    /// removed selector: a selector name is never reused, so a cached old record can never be
    /// mistaken for the new key.
    pub fn add(&mut self, entry: SelectorEntry) -> Result<(), ScheduleError> {
        if self.get(&entry.name).is_some() {
            return Err(ScheduleError::Exists(entry.name));
        }
        self.selectors.push(entry);
        Ok(())
    }

    /// Records that `name`'s record is served since `now`, with `ttl` (see
    /// [`SelectorEntry::ttl`]).
    pub fn mark_published(&mut self, name: &str, now: i64, ttl: u32) -> Result<(), ScheduleError> {
        let e = self.get_mut(name)?;
        if e.phase() != Phase::Created {
            return Err(e.out_of_order("it is published already"));
        }
        e.published = Some(format_time(now));
        e.ttl = ttl;
        Ok(())
    }

    /// Refuses `rotate` while a new selector is already published and waiting to be activated
    /// (a second one would leave the operator with two to choose from), or when no selector is
    /// active (there is nothing to rotate from: `keygen` then `activate`).
    pub fn check_rotate(&self) -> Result<(), ScheduleError> {
        if let Some(waiting) = self
            .selectors
            .iter()
            .find(|s| matches!(s.phase(), Phase::Published | Phase::Created))
        {
            return Err(waiting.out_of_order(
                "it is waiting to be activated; `dkim activate` it (or `dkim retire` it) before \
                 rotating again",
            ));
        }
        if self.active().is_none() {
            return Err(ScheduleError::OutOfOrder {
                selector: "(none)".into(),
                phase: Phase::Created,
                why: "no selector is active, so there is nothing to rotate from: \
                      `zonectl dkim keygen` makes a first key, `zonectl dkim activate` records \
                      that the signer uses it"
                    .into(),
            });
        }
        Ok(())
    }

    /// `activate`: the signer now uses `name`. Allowed once the record has been published for
    /// its TTL (so every resolver that can see a signature can see the key), unless `force`.
    /// The previously active selector becomes inactive at `now`. Returns its name.
    pub fn activate(
        &mut self,
        name: &str,
        now: i64,
        force: bool,
    ) -> Result<Option<String>, ScheduleError> {
        let e = self.get_mut(name)?;
        match e.phase() {
            Phase::Published | Phase::Inactive => {}
            Phase::Active => return Err(e.out_of_order("it is the active selector already")),
            Phase::Created => {
                return Err(e.out_of_order("its record is not published; a signature would fail"))
            }
            Phase::Revoked | Phase::Removed => {
                return Err(e.out_of_order("its key is revoked; make a new one (`dkim rotate`)"))
            }
        }
        let published = e.time(&e.published)?.expect("published in these phases");
        let ready = published + i64::from(e.ttl);
        if now < ready && !force {
            return Err(ScheduleError::TooSoon {
                selector: e.name.clone(),
                what: "activate",
                until: format_time(ready),
                wait: format_wait(ready - now),
                why: format!(
                    "the record has been published for {} of its {} s TTL, and resolvers may \
                     still answer that it does not exist",
                    format_wait(now - published),
                    e.ttl
                ),
            });
        }
        e.activated = Some(format_time(now));
        e.deactivated = None;
        let name = e.name.clone();
        let mut previous = None;
        for other in &mut self.selectors {
            if other.name != name && other.phase() == Phase::Active {
                other.deactivated = Some(format_time(now));
                previous = Some(other.name.clone());
            }
        }
        Ok(previous)
    }

    /// `retire`: publish the revoked form of `name`. Refused while it is active; for a key that
    /// was used, refused until `grace` seconds after it was deactivated (mail signed with it may
    /// still be in queues), unless `force`. A key never activated signed nothing and retires at
    /// once.
    pub fn retire(
        &mut self,
        name: &str,
        now: i64,
        grace: i64,
        force: bool,
    ) -> Result<(), ScheduleError> {
        let e = self.get_mut(name)?;
        match e.phase() {
            Phase::Published | Phase::Created => {}
            Phase::Inactive => {
                let since = e.time(&e.deactivated)?.expect("inactive has deactivated");
                let ready = since + grace;
                if now < ready && !force {
                    return Err(ScheduleError::TooSoon {
                        selector: e.name.clone(),
                        what: "retire",
                        until: format_time(ready),
                        wait: format_wait(ready - now),
                        why: format!(
                            "it signed mail until {}, and the grace period is {}",
                            format_time(since),
                            format_wait(grace)
                        ),
                    });
                }
            }
            Phase::Active => {
                return Err(e.out_of_order(
                    "the signer uses it; rotate to a new selector and activate that first",
                ))
            }
            Phase::Revoked | Phase::Removed => return Err(e.out_of_order("it is retired already")),
        }
        e.revoked = Some(format_time(now));
        Ok(())
    }

    /// `remove`: delete `name`'s revoked record. Refused unless it is revoked, and until the
    /// revoked form has been served for its TTL (so caches have replaced the key with it),
    /// unless `force`.
    pub fn remove(&mut self, name: &str, now: i64, force: bool) -> Result<(), ScheduleError> {
        let e = self.get_mut(name)?;
        if e.phase() != Phase::Revoked {
            return Err(e.out_of_order("only a retired (revoked) selector is removed"));
        }
        let since = e.time(&e.revoked)?.expect("revoked");
        let ready = since + i64::from(e.ttl);
        if now < ready && !force {
            return Err(ScheduleError::TooSoon {
                selector: e.name.clone(),
                what: "remove",
                until: format_time(ready),
                wait: format_wait(ready - now),
                why: "caches may still hold the old key; they must see the revoked form first"
                    .into(),
            });
        }
        e.removed = Some(format_time(now));
        Ok(())
    }

    /// Drops a selector that was created but never published (a failed keygen rolled back).
    pub fn forget_unpublished(&mut self, name: &str) {
        self.selectors
            .retain(|s| !(s.name == name && s.phase() == Phase::Created));
    }
}

/// What is due next for `e`: `activate` (published; from published + TTL), `rotate` (active;
/// advised from activation + 180 days), `retire` (inactive; from deactivation + grace),
/// `remove` (revoked; from revocation + TTL). `None` for created and removed selectors.
pub fn next_due(e: &SelectorEntry, grace: i64) -> Result<Option<Due>, ScheduleError> {
    let due = |action, base: &Option<String>, after: i64| -> Result<Option<Due>, ScheduleError> {
        Ok(e.time(base)?.map(|t| Due {
            action,
            at: t + after,
        }))
    };
    match e.phase() {
        Phase::Created | Phase::Removed => Ok(None),
        Phase::Published => due("activate", &e.published, i64::from(e.ttl)),
        Phase::Active => due("rotate", &e.activated, ROTATE_AFTER_SECS),
        Phase::Inactive => due("retire", &e.deactivated, grace),
        Phase::Revoked => due("remove", &e.revoked, i64::from(e.ttl)),
    }
}

/// UNIX seconds → `2026-11-29T00:31:07Z`.
pub fn format_time(unix: i64) -> String {
    civil::format_iso(unix)
}

/// `2026-11-29T00:31:07Z` (UTC only) → UNIX seconds.
pub fn parse_time(text: &str) -> Result<i64, ScheduleError> {
    civil::parse_iso(text).ok_or_else(|| ScheduleError::BadTime(text.to_owned()))
}

/// `YYYYMMDD` of a UNIX time (for default selector names).
pub fn date_stamp(unix: i64) -> String {
    let (y, m, d) = civil::civil_from_days(unix.div_euclid(86_400));
    format!("{y:04}{m:02}{d:02}")
}

/// A duration for people: `3d 4h`, `2h 5m`, `40s`.
pub fn format_wait(secs: i64) -> String {
    let secs = secs.max(0);
    let (d, h, m, s) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The injected clock: 2026-11-29T00:00:00Z.
    const T0: i64 = 1_795_910_400;
    const HOUR: i64 = 3600;
    const DAY: i64 = 86_400;

    fn published(state: &mut KeyState, name: &str, at: i64) {
        state
            .add(SelectorEntry::new(name, KeyType::Rsa, 2048, at))
            .unwrap();
        state.mark_published(name, at, 3600).unwrap();
    }

    #[test]
    fn times_round_trip() {
        assert_eq!(format_time(T0), "2026-11-29T00:00:00Z");
        assert_eq!(parse_time("2026-11-29T00:00:00Z").unwrap(), T0);
        assert_eq!(format_time(951_782_400), "2000-02-29T00:00:00Z");
        for t in [0, 951_782_399, T0 + 12_345, 4_102_444_800] {
            assert_eq!(parse_time(&format_time(t)).unwrap(), t);
        }
        for bad in [
            "2026-11-31T00:00:00Z",
            "2026-11-29 00:00:00Z",
            "2026-11-29T00:00:00+01:00",
            "2026-13-01T00:00:00Z",
            "2026-11-29T24:00:00Z",
            "yesterday",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(date_stamp(T0 + 5), "20261129");
        assert_eq!(format_wait(59), "59s");
        assert_eq!(format_wait(3 * DAY + 4 * HOUR + 9), "3d 4h");
    }

    #[test]
    fn full_rotation_in_order() {
        let mut s = KeyState::new("example.com.");
        published(&mut s, "a", T0);
        assert_eq!(s.get("a").unwrap().phase(), Phase::Published);
        assert_eq!(s.activate("a", T0 + HOUR, false).unwrap(), None);
        assert_eq!(s.active().unwrap().name, "a");
        s.check_rotate().unwrap();

        published(&mut s, "b", T0 + 100 * DAY);
        assert_eq!(
            s.activate("b", T0 + 100 * DAY + HOUR, false).unwrap(),
            Some("a".to_owned())
        );
        assert_eq!(s.get("a").unwrap().phase(), Phase::Inactive);
        s.retire("a", T0 + 107 * DAY + HOUR, DEFAULT_GRACE_SECS, false)
            .unwrap();
        assert_eq!(s.get("a").unwrap().phase(), Phase::Revoked);
        s.remove("a", T0 + 107 * DAY + 2 * HOUR, false).unwrap();
        assert_eq!(s.get("a").unwrap().phase(), Phase::Removed);
        assert_eq!(s.active().unwrap().name, "b");
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let mut s = KeyState::new("example.com");
        // Rotation with nothing active.
        assert!(matches!(
            s.check_rotate(),
            Err(ScheduleError::OutOfOrder { .. })
        ));
        s.add(SelectorEntry::new("a", KeyType::Ed25519, 256, T0))
            .unwrap();
        // Not published: no activation, even forced.
        assert!(matches!(
            s.activate("a", T0 + DAY, true),
            Err(ScheduleError::OutOfOrder {
                phase: Phase::Created,
                ..
            })
        ));
        s.mark_published("a", T0, 3600).unwrap();
        assert!(s.mark_published("a", T0, 3600).is_err());
        // Before the TTL has passed; forced it is allowed.
        let err = s.activate("a", T0 + 600, false).unwrap_err();
        assert!(
            matches!(&err, ScheduleError::TooSoon { until, .. } if until == "2026-11-29T01:00:00Z"),
            "{err}"
        );
        // Removing or re-activating what is not revoked / already active.
        assert!(s.remove("a", T0 + DAY, true).is_err());
        s.activate("a", T0 + HOUR, false).unwrap();
        assert!(s.activate("a", T0 + 2 * HOUR, false).is_err());
        // The active key cannot be retired, even forced.
        assert!(matches!(
            s.retire("a", T0 + DAY, 0, true),
            Err(ScheduleError::OutOfOrder {
                phase: Phase::Active,
                ..
            })
        ));
        // A pending selector blocks a second rotation.
        published(&mut s, "b", T0 + DAY);
        assert!(s.check_rotate().is_err());
        // Names are never reused.
        assert_eq!(
            s.add(SelectorEntry::new("B", KeyType::Rsa, 2048, T0)),
            Err(ScheduleError::Exists("B".into()))
        );
        assert!(matches!(
            s.activate("zz", T0, false),
            Err(ScheduleError::Unknown(_))
        ));
    }

    #[test]
    fn retire_waits_for_the_grace_period_and_remove_for_the_ttl() {
        let mut s = KeyState::new("example.com");
        published(&mut s, "a", T0);
        s.activate("a", T0 + HOUR, false).unwrap();
        published(&mut s, "b", T0 + DAY);
        s.activate("b", T0 + DAY + HOUR, false).unwrap();
        let deactivated = T0 + DAY + HOUR;
        let grace = 7 * DAY;
        let err = s.retire("a", deactivated + grace - 1, grace, false);
        assert!(matches!(
            err,
            Err(ScheduleError::TooSoon { what: "retire", .. })
        ));
        assert_eq!(
            next_due(s.get("a").unwrap(), grace).unwrap(),
            Some(Due {
                action: "retire",
                at: deactivated + grace
            })
        );
        s.retire("a", deactivated + grace, grace, false).unwrap();
        assert!(s.retire("a", deactivated + grace, grace, false).is_err());
        let revoked = deactivated + grace;
        assert!(matches!(
            s.remove("a", revoked + 3599, false),
            Err(ScheduleError::TooSoon { what: "remove", .. })
        ));
        assert_eq!(
            next_due(s.get("a").unwrap(), grace).unwrap().unwrap().at,
            revoked + 3600
        );
        s.remove("a", revoked + 1, true).unwrap();
        assert_eq!(next_due(s.get("a").unwrap(), grace).unwrap(), None);
        // The active one: rotation advised 180 days after activation.
        assert_eq!(
            next_due(s.get("b").unwrap(), grace).unwrap(),
            Some(Due {
                action: "rotate",
                at: T0 + DAY + HOUR + ROTATE_AFTER_SECS
            })
        );
    }

    #[test]
    fn a_key_never_used_retires_at_once_and_rotation_can_follow() {
        let mut s = KeyState::new("example.com");
        published(&mut s, "a", T0);
        s.activate("a", T0 + HOUR, false).unwrap();
        published(&mut s, "b", T0 + DAY);
        assert!(s.check_rotate().is_err());
        s.retire("b", T0 + DAY, DEFAULT_GRACE_SECS, false).unwrap();
        s.check_rotate().unwrap();
    }

    #[test]
    fn state_file_round_trips_as_toml() {
        let mut s = KeyState::new("example.com");
        published(&mut s, "a", T0);
        s.activate("a", T0 + HOUR, false).unwrap();
        let text = toml::to_string(&s).unwrap();
        assert!(text.contains("[[selector]]"), "{text}");
        assert!(
            text.contains("activated = \"2026-11-29T01:00:00Z\""),
            "{text}"
        );
        let back: KeyState = toml::from_str(&text).unwrap();
        assert_eq!(back, s);
        assert!(toml::from_str::<KeyState>("zone = \"x\"\nsurprise = 1\n").is_err());
    }
}
