//! Readiness for a stricter policy (`dmarc check`, and before `rollout next`), as a pure
//! function of facts gathered elsewhere:
//!
//! - SPF: exactly one `v=spf1` record at the zone's apex, valid, with at most 10 DNS lookups
//!   (an include that could not be resolved leaves the count unknown).
//! - DKIM: at least one selector published with a key that parses.
//! - `rua` set (else a warning: no evidence will arrive).
//! - Every external `rua`/`ruf` destination authorized (RFC 7489 §7.1).
//!
//! The SPF and DKIM facts are [`SpfFacts`] and [`DkimSelector`]; the SPF and DKIM modules fill
//! their verdicts ([`SpfVerdict`], [`KeyVerdict`]). A fact nobody could establish is
//! [`Status::Unknown`], which is not ready: an unknown is never taken for a pass.
//!
//! Pure: imports only the other `dmarc` modules.

use std::fmt;

use super::record::DmarcRecord;
use super::reports::Destination;

/// Most DNS-querying SPF terms a receiver evaluates (RFC 7208 §4.6.4).
pub const MAX_SPF_LOOKUPS: u32 = 10;

/// The SPF facts of a zone's apex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpfFacts {
    /// The `v=spf1` TXT records at the apex.
    pub records: Vec<String>,
    pub verdict: SpfVerdict,
}

/// What the SPF record check (RFC 7208, [`crate::spf::check_record`]) said about the apex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpfVerdict {
    /// The check ran: its errors (empty if valid), the DNS lookups the record costs through
    /// includes (RFC 7208 §4.6.4 allows 10), its warnings, and the includes or redirects it
    /// could not resolve, each with why (their own lookups are not in `lookups`).
    Checked {
        errors: Vec<String>,
        lookups: u32,
        warnings: Vec<String>,
        unresolved: Vec<String>,
    },
}

/// One DKIM selector zonectl knows of (in `keys/ZONE/` or published in the zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DkimSelector {
    pub selector: String,
    /// A private key for it is in the keys directory.
    pub in_keys: bool,
    /// The TXT record at `SELECTOR._domainkey.ZONE`, if published.
    pub published: Option<String>,
    pub key: KeyVerdict,
}

/// What a DKIM checker said about the published key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyVerdict {
    /// Not published, so nothing to check.
    NotPublished,
    /// The key parses (e.g. "rsa 2048").
    Parses(String),
    /// Revoked (`p=` empty).
    Revoked,
    /// The record or key does not parse.
    Broken(String),
}

/// One destination and whether its authorization was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationFact {
    pub destination: Destination,
    /// `Some(found)` when asked; `None` when it could not be asked (with why).
    pub authorized: Result<bool, String>,
}

/// Everything readiness is judged on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The zone's DMARC record (strictly parsed), the parse errors, or none.
    pub record: Option<Result<DmarcRecord, Vec<String>>>,
    pub spf: SpfFacts,
    pub dkim: Vec<DkimSelector>,
    pub destinations: Vec<DestinationFact>,
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Pass,
    Warn,
    Fail,
    /// Could not be established: not ready.
    Unknown,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Pass => "ok",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
            Status::Unknown => "unknown",
        })
    }
}

/// One line of the readiness report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub check: &'static str,
    pub status: Status,
    pub detail: String,
}

/// The readiness report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Readiness {
    pub items: Vec<Item>,
}

impl Readiness {
    /// Ready when nothing failed and nothing is unknown (warnings are fine).
    pub fn ready(&self) -> bool {
        self.unmet().is_empty()
    }

    /// The checks that keep it from being ready, as `check status` (e.g. `dkim unknown`), each
    /// once, in report order.
    pub fn unmet(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for i in &self.items {
            if matches!(i.status, Status::Fail | Status::Unknown) {
                let what = format!("{} {}", i.check, i.status);
                if !out.contains(&what) {
                    out.push(what);
                }
            }
        }
        out
    }
}

/// Judges readiness.
pub fn check(facts: &Facts) -> Readiness {
    let mut items = Vec::new();
    let mut push = |check, status, detail: String| {
        items.push(Item {
            check,
            status,
            detail,
        })
    };

    match &facts.record {
        None => push(
            "dmarc",
            Status::Fail,
            "no DMARC record at _dmarc".to_owned(),
        ),
        Some(Err(errors)) => push("dmarc", Status::Fail, errors.join("; ")),
        Some(Ok(rec)) => push("dmarc", Status::Pass, rec.to_string()),
    }

    let spf = &facts.spf;
    match (spf.records.len(), &spf.verdict) {
        (0, _) => push(
            "spf",
            Status::Fail,
            "no SPF record (v=spf1) at the apex".to_owned(),
        ),
        (n, _) if n > 1 => push(
            "spf",
            Status::Fail,
            format!("{n} SPF records at the apex: receivers return permerror for every message"),
        ),
        (_, SpfVerdict::Checked { errors, .. }) if !errors.is_empty() => {
            push("spf", Status::Fail, errors.join("; "))
        }
        (_, SpfVerdict::Checked { lookups, .. }) if *lookups > MAX_SPF_LOOKUPS => push(
            "spf",
            Status::Fail,
            format!("{lookups} DNS lookups: more than 10 gives permerror (RFC 7208 §4.6.4)"),
        ),
        (
            _,
            SpfVerdict::Checked {
                lookups,
                unresolved,
                ..
            },
        ) if !unresolved.is_empty() => push(
            "spf",
            Status::Unknown,
            format!(
                "{lookups} DNS lookup(s) counted, but not resolved: {}; their own lookups may \
                 pass the limit of 10",
                unresolved.join(", ")
            ),
        ),
        (
            _,
            SpfVerdict::Checked {
                lookups, warnings, ..
            },
        ) if !warnings.is_empty() => push(
            "spf",
            Status::Warn,
            format!(
                "valid, {lookups} DNS lookup(s) of 10; {}",
                warnings.join("; ")
            ),
        ),
        (_, SpfVerdict::Checked { lookups, .. }) => push(
            "spf",
            Status::Pass,
            format!("valid, {lookups} DNS lookup(s) of 10"),
        ),
    }

    let published: Vec<&DkimSelector> = facts
        .dkim
        .iter()
        .filter(|s| s.published.is_some())
        .collect();
    let names = |f: &dyn Fn(&DkimSelector) -> bool| -> Vec<String> {
        facts
            .dkim
            .iter()
            .filter(|s| f(s))
            .map(|s| s.selector.clone())
            .collect()
    };
    let good = names(&|s| matches!(s.key, KeyVerdict::Parses(_)));
    if !good.is_empty() {
        push(
            "dkim",
            Status::Pass,
            format!("published with a valid key: {}", good.join(", ")),
        );
    } else if published.is_empty() {
        let keys = names(&|s| s.in_keys);
        push(
            "dkim",
            Status::Fail,
            if keys.is_empty() {
                "no DKIM selector published (none in the zone or in keys/)".to_owned()
            } else {
                format!("keys exist but are not published: {}", keys.join(", "))
            },
        );
    } else {
        let why: Vec<String> = published
            .iter()
            .map(|s| match &s.key {
                KeyVerdict::Revoked => format!("{}: revoked (p= empty)", s.selector),
                KeyVerdict::Broken(e) => format!("{}: {e}", s.selector),
                other => format!("{}: {other:?}", s.selector),
            })
            .collect();
        push(
            "dkim",
            Status::Fail,
            format!("no usable key: {}", why.join("; ")),
        );
    }

    if let Some(Ok(rec)) = &facts.record {
        if rec.rua().is_empty() {
            push(
                "rua",
                Status::Warn,
                "rua is not set: no aggregate reports, so no evidence of what a stricter policy \
                 would block"
                    .to_owned(),
            );
        } else {
            let list: Vec<String> = rec.rua().iter().map(|u| u.to_string()).collect();
            push("rua", Status::Pass, list.join(","));
        }
    }

    for d in &facts.destinations {
        let what = format!("{} {}", d.destination.kind.tag(), d.destination.uri);
        let (status, detail) = if !d.destination.external {
            (
                Status::Pass,
                format!("{what}: same organization, no authorization needed"),
            )
        } else {
            match &d.authorized {
                Ok(true) => (
                    Status::Pass,
                    format!("{what}: authorized by {}", d.destination.authorization_name),
                ),
                Ok(false) => (
                    Status::Fail,
                    format!(
                        "{what}: not authorized: {} TXT \"v=DMARC1\" is missing (`zonectl dmarc \
                         authorize` publishes it if zonectl serves that zone); receivers will \
                         not send these reports",
                        d.destination.authorization_name
                    ),
                ),
                Err(why) => (
                    Status::Unknown,
                    format!(
                        "{what}: {} not checked: {why}",
                        d.destination.authorization_name
                    ),
                ),
            }
        };
        push("destination", status, detail);
    }
    Readiness { items }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dmarc::reports::destinations;

    fn two_labels(d: &str) -> String {
        let labels: Vec<&str> = d.split('.').collect();
        labels[labels.len().saturating_sub(2)..].join(".")
    }

    fn facts(record: &str) -> Facts {
        let rec = DmarcRecord::parse(record).unwrap();
        let dests = destinations("apple.example", &rec, two_labels)
            .into_iter()
            .map(|d| DestinationFact {
                authorized: Ok(true),
                destination: d,
            })
            .collect();
        Facts {
            record: Some(Ok(rec)),
            spf: SpfFacts {
                records: vec!["v=spf1 mx -all".to_owned()],
                verdict: SpfVerdict::Checked {
                    errors: vec![],
                    lookups: 1,
                    warnings: vec![],
                    unresolved: vec![],
                },
            },
            dkim: vec![DkimSelector {
                selector: "s1".to_owned(),
                in_keys: true,
                published: Some("v=DKIM1; k=rsa; p=MII…".to_owned()),
                key: KeyVerdict::Parses("rsa 2048".to_owned()),
            }],
            destinations: dests,
        }
    }

    fn status_of(r: &Readiness, check: &str) -> Vec<Status> {
        r.items
            .iter()
            .filter(|i| i.check == check)
            .map(|i| i.status)
            .collect()
    }

    #[test]
    fn all_good_is_ready() {
        let r = check(&facts(
            "v=DMARC1; p=none; rua=mailto:d@apple.example,mailto:x@vendor.example",
        ));
        assert!(r.ready(), "{r:#?}");
        assert_eq!(status_of(&r, "destination"), [Status::Pass, Status::Pass]);
    }

    #[test]
    fn each_failure_makes_it_not_ready() {
        let base = "v=DMARC1; p=none; rua=mailto:d@apple.example";
        type Spoil = fn(&mut Facts);
        let cases: Vec<(&str, &str, Spoil, Status)> = vec![
            ("no record", "dmarc", |f| f.record = None, Status::Fail),
            ("no spf", "spf", |f| f.spf.records.clear(), Status::Fail),
            (
                "two spf",
                "spf",
                |f| f.spf.records.push("v=spf1 -all".into()),
                Status::Fail,
            ),
            (
                "spf include unresolved",
                "spf",
                |f| {
                    f.spf.verdict = SpfVerdict::Checked {
                        errors: vec![],
                        lookups: 2,
                        warnings: vec![],
                        unresolved: vec!["include:_spf.vendor.example".into()],
                    }
                },
                Status::Unknown,
            ),
            (
                "spf invalid",
                "spf",
                |f| {
                    f.spf.verdict = SpfVerdict::Checked {
                        errors: vec!["bad mechanism".into()],
                        lookups: 0,
                        warnings: vec![],
                        unresolved: vec![],
                    }
                },
                Status::Fail,
            ),
            (
                "11 lookups",
                "spf",
                |f| {
                    f.spf.verdict = SpfVerdict::Checked {
                        errors: vec![],
                        lookups: 11,
                        warnings: vec![],
                        unresolved: vec![],
                    }
                },
                Status::Fail,
            ),
            ("no dkim", "dkim", |f| f.dkim.clear(), Status::Fail),
            (
                "dkim key only in keys/",
                "dkim",
                |f| {
                    f.dkim[0].published = None;
                    f.dkim[0].key = KeyVerdict::NotPublished
                },
                Status::Fail,
            ),
            (
                "dkim revoked",
                "dkim",
                |f| f.dkim[0].key = KeyVerdict::Revoked,
                Status::Fail,
            ),
            (
                "dkim broken",
                "dkim",
                |f| f.dkim[0].key = KeyVerdict::Broken("bad base64".into()),
                Status::Fail,
            ),
        ];
        for (name, check_name, spoil, want) in cases {
            let mut f = facts(base);
            spoil(&mut f);
            let r = check(&f);
            assert!(!r.ready(), "{name}: {r:#?}");
            assert_eq!(status_of(&r, check_name), [want], "{name}: {r:#?}");
        }
        // Exactly 10 lookups is fine; an SPF warning is shown but does not block.
        let mut f = facts(base);
        f.spf.verdict = SpfVerdict::Checked {
            errors: vec![],
            lookups: 10,
            warnings: vec!["?all gives unlisted hosts neutral".into()],
            unresolved: vec![],
        };
        let r = check(&f);
        assert!(r.ready(), "{r:#?}");
        assert_eq!(status_of(&r, "spf"), [Status::Warn]);
        assert!(r.items[1].detail.contains("10 DNS lookup(s) of 10; ?all"));
    }

    #[test]
    fn unmet_names_each_check_that_blocks() {
        let mut f = facts("v=DMARC1; p=none");
        f.dkim[0].key = KeyVerdict::Broken("p= is not valid base64".into());
        f.record = None;
        let r = check(&f);
        assert_eq!(r.unmet(), ["dmarc FAIL", "dkim FAIL"]);
        assert!(check(&facts("v=DMARC1; p=none")).unmet().is_empty());
    }

    #[test]
    fn rua_missing_warns_and_destinations_must_be_authorized() {
        let r = check(&facts("v=DMARC1; p=none"));
        assert_eq!(status_of(&r, "rua"), [Status::Warn]);
        assert!(r.ready(), "a warning alone does not block");

        let mut f =
            facts("v=DMARC1; p=none; rua=mailto:x@vendor.example; ruf=mailto:y@other.example");
        f.destinations[0].authorized = Ok(false);
        f.destinations[1].authorized = Err("not served here; pass --resolver".into());
        let r = check(&f);
        assert_eq!(
            status_of(&r, "destination"),
            [Status::Fail, Status::Unknown]
        );
        assert!(!r.ready());
        assert!(r.items.iter().any(|i| i
            .detail
            .contains("apple.example._report._dmarc.vendor.example TXT \"v=DMARC1\" is missing")));
    }
}
