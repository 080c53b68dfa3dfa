//! Readiness for a stricter policy (`dmarc check`, and before `rollout next`), as a pure
//! function of facts gathered elsewhere:
//!
//! - SPF: exactly one `v=spf1` record at the zone's apex, valid, with at most 10 DNS lookups
//!   (an include that could not be resolved leaves the count unknown).
//! - DKIM: at least one selector published with a key that parses.
//! - `rua` set (else a warning: no evidence will arrive).
//! - Every external `rua`/`ruf` destination authorized (RFC 7489 §7.1).
//! - When aggregate reports were read: no sender that looks legitimate would lose its mail
//!   (see [`check_reports`]).
//!
//! The SPF and DKIM facts are [`SpfFacts`] and [`DkimSelector`]; the SPF and DKIM modules fill
//! their verdicts ([`SpfVerdict`], [`KeyVerdict`]). A fact nobody could establish is
//! [`Status::Unknown`], which is not ready: an unknown is never taken for a pass.
//!
//! Pure: imports only the other `dmarc` modules.

use std::fmt;

use super::aggregate::summary::{DomainSummary, Failing, Source};
use super::record::DmarcRecord;
use super::reports::Destination;
use crate::zone::civil::format_iso;

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
    /// What aggregate reports say, when some were read.
    pub reports: Option<ReportFacts>,
}

/// The reports read for the zone (`--reports PATH`, or the config's `dmarc_reports`): DMARC
/// aggregate reports here, SMTP TLS reports for MTA-STS
/// ([`crate::mail_policy::sts_readiness`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFacts<S = DomainSummary> {
    /// Where they were read from, as the operator named it.
    pub read_from: String,
    /// The zone's reports summed; None if none was about the zone.
    pub summary: Option<S>,
    /// Files there that are not reports, or could not be read.
    pub unreadable: usize,
    /// Why the reports could not be read at all (a PATH that does not exist): not ready, as
    /// the evidence asked for is missing.
    pub error: Option<String>,
    /// The reports counted ended within this many days of the newest.
    pub window_days: u32,
    /// UNIX seconds: evidence whose newest report ended more than `window_days` ago is stale.
    pub now: i64,
}

impl<S> ReportFacts<S> {
    /// Unknown, with why, when the reports could not be read at all.
    pub fn unreadable_error(&self) -> Option<(Status, String)> {
        self.error.as_ref().map(|why| {
            (
                Status::Unknown,
                format!("the reports in {} cannot be read: {why}", self.read_from),
            )
        })
    }

    /// `; N files there hold what is not a report (…)`, or nothing. `verb` is the command
    /// that names them (`dmarc report`).
    pub fn unreadable_note(&self, verb: &str) -> String {
        match self.unreadable {
            0 => String::new(),
            1 => format!("; 1 file there holds what is not a report (`zonectl {verb}` names it)"),
            n => {
                format!("; {n} files there hold what is not a report (`zonectl {verb}` names them)")
            }
        }
    }

    /// `; N older report(s) not counted (…)`, or nothing.
    pub fn older_note(&self, older: usize) -> String {
        match older {
            0 => String::new(),
            n => format!(
                "; {n} older report(s) not counted (the last {} days count)",
                self.window_days
            ),
        }
    }

    /// When the newest report ended longer ago than the window: a note asking whether reports
    /// still arrive.
    pub fn stale_note(&self, end: Option<i64>) -> Option<String> {
        let window = i64::from(self.window_days) * 86_400;
        end.filter(|end| self.now.saturating_sub(*end) > window)
            .map(|end| {
                format!(
                    "; the newest report ended {}, over {} days ago: are reports still arriving?",
                    &format_iso(end)[..10],
                    self.window_days
                )
            })
    }
}

/// `2026-11-20 to 2026-11-28`, the days a set of reports covers.
pub fn report_period(begin: Option<i64>, end: Option<i64>) -> String {
    match (begin, end) {
        (Some(b), Some(e)) => format!("{} to {}", &format_iso(b)[..10], &format_iso(e)[..10]),
        _ => "period not given".to_owned(),
    }
}

/// Days of reports readiness counts by default, back from the newest: two weeks of daily
/// reports, twice the default minimum time at a stage.
pub const DEFAULT_REPORT_DAYS: u32 = 14;

/// The share of a domain's reported mail (in parts per thousand) that may come from senders
/// that look legitimate and fail DMARC, before readiness fails: 5 is 0.5 %. Below it the
/// senders are a warning: a few such messages are usually spam from throwaway domains with
/// SPF of their own.
pub const SUSPECT_FAIL_PER_MILLE: u64 = 5;

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
    if let Some(reports) = &facts.reports {
        let (status, detail) = check_reports(reports);
        push("reports", status, detail);
    }
    Readiness { items }
}

/// What the reports say about a stricter policy. Mail that fails DMARC is what quarantine and
/// reject act on; the question is whose it is (see [`Failing`]):
/// - failing mail from a source that looks like the zone's own sender (it passed SPF or DKIM
///   for a domain not aligned with the From domain, or its other mail passes DMARC) is lost
///   under a stricter policy: over [`SUSPECT_FAIL_PER_MILLE`] of the mail this fails
///   readiness, below it warns;
/// - failing mail that passed nothing is spoofing, or a sender nobody set up: over the same
///   share it warns, naming the sources to check;
/// - mail receivers exempt as forwarded or list mail is left to them.
///
/// Stale evidence (the newest report ended longer ago than the window) warns.
pub fn check_reports(reports: &ReportFacts) -> (Status, String) {
    if let Some(unknown) = reports.unreadable_error() {
        return unknown;
    }
    let unreadable = reports.unreadable_note("dmarc report");
    let Some(d) = reports.summary.as_ref().filter(|d| d.messages > 0) else {
        return (
            Status::Warn,
            format!(
                "no aggregate report about this zone's mail in {}{unreadable}: nothing shows \
                 which senders a stricter policy would affect",
                reports.read_from
            ),
        );
    };
    let period = report_period(d.begin, d.end);
    let older = reports.older_note(d.older);
    let stale = reports.stale_note(d.end);
    let seen = format!(
        "{} message(s) in {} report(s), {period}{older}{unreadable}{}",
        d.messages,
        d.reports,
        stale.as_deref().unwrap_or_default()
    );
    let over = |mail: u64| {
        u128::from(mail) * 1000 > u128::from(d.messages) * u128::from(SUSPECT_FAIL_PER_MILLE)
    };
    let of_kind = |kinds: &[Failing]| -> Vec<&Source> {
        d.sources
            .iter()
            .filter(|s| kinds.contains(&s.failing()))
            .collect()
    };
    let enforced = |sources: &[&Source]| {
        sources
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(s.failed_enforced()))
    };
    let first_three = |sources: &[&Source], each: &dyn Fn(&Source) -> String| {
        let mut listed: Vec<String> = sources.iter().take(3).map(|s| each(s)).collect();
        if sources.len() > 3 {
            listed.push(format!("and {} more", sources.len() - 3));
        }
        listed.join(", ")
    };
    let suspects = of_kind(&[Failing::Unaligned, Failing::Mixed]);
    let unauthenticated = of_kind(&[Failing::Unauthenticated]);
    let (suspect_mail, unauthenticated_mail) = (enforced(&suspects), enforced(&unauthenticated));
    let mut status = Status::Pass;
    let mut parts = Vec::new();
    if !suspects.is_empty() {
        status = if over(suspect_mail) {
            Status::Fail
        } else {
            Status::Warn
        };
        let each = |s: &Source| {
            if s.failing() == Failing::Mixed {
                let passing = s.messages - s.failed;
                return format!(
                    "{} ({} failing; its other {passing} pass)",
                    s.ip,
                    s.failed_enforced()
                );
            }
            let passes: Vec<&str> = s
                .failing_spf
                .keys()
                .chain(s.failing_dkim.keys())
                .filter(|k| k.ends_with("=pass"))
                .map(String::as_str)
                .collect();
            format!(
                "{} ({} failing, passes {})",
                s.ip,
                s.failed_enforced(),
                passes.join(" ")
            )
        };
        parts.push(format!(
            "{suspect_mail} failing message(s) from {} source(s) that look like the zone's own \
             senders: {}; have them sign with DKIM for the zone, or send from an envelope domain \
             in the zone that its SPF authorizes",
            suspects.len(),
            first_three(&suspects, &each)
        ));
    }
    if over(unauthenticated_mail) {
        if status == Status::Pass {
            status = Status::Warn;
        }
        let each = |s: &Source| format!("{} ({})", s.ip, s.failed_enforced());
        parts.push(format!(
            "{unauthenticated_mail} failing message(s) from {} source(s) that passed neither SPF \
             nor DKIM: spoofing, or a sender nobody set up (a contact form, a printer, an \
             application on a provider's servers); check that none of {} is the zone's",
            unauthenticated.len(),
            first_three(&unauthenticated, &each)
        ));
    }
    if parts.is_empty() {
        let exempted = d
            .sources
            .iter()
            .fold(0u64, |sum, s| sum.saturating_add(s.failed_exempted));
        parts.push(if d.failed() == 0 {
            "all mail passed DMARC".to_owned()
        } else {
            format!(
                "{} of {} message(s) failed DMARC: {exempted} that receivers exempt as forwarded \
                 or list mail, and {unauthenticated_mail} that passed neither SPF nor DKIM (at \
                 most 0.5 % of the mail)",
                d.failed(),
                d.messages
            )
        });
    }
    if stale.is_some() && status == Status::Pass {
        status = Status::Warn;
    }
    (status, format!("{} ({seen})", parts.join("; ")))
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
            reports: None,
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

    /// Reports of `messages` messages from 192.0.2.1 (all passing) and the failing `sources`:
    /// (ip, failing messages, SPF result key, exempted as forwarded), each source's failing
    /// mail classed as `summarize` would.
    fn reports(messages: u64, failing: &[(&str, u64, &str, bool)]) -> ReportFacts {
        let mut sources: Vec<Source> = failing
            .iter()
            .map(|(ip, failed, spf, exempted)| Source {
                ip: ip.to_string(),
                messages: *failed,
                failed: *failed,
                failing_spf: [(spf.to_string(), *failed)].into(),
                failing_dkim: [("none".to_string(), *failed)].into(),
                overrides: if *exempted {
                    ["forwarded".to_string()].into()
                } else {
                    Default::default()
                },
                failed_exempted: if *exempted { *failed } else { 0 },
                failed_unaligned: if !exempted && spf.ends_with("=pass") {
                    *failed
                } else {
                    0
                },
                ..Source::default()
            })
            .collect();
        let failed: u64 = failing.iter().map(|f| f.1).sum();
        sources.push(Source {
            ip: "192.0.2.1".into(),
            messages: messages - failed,
            ..Source::default()
        });
        ReportFacts {
            read_from: "reports/".into(),
            summary: Some(DomainSummary {
                domain: "apple.example".into(),
                reports: 3,
                begin: Some(1_764_000_000),
                end: Some(1_764_259_199),
                messages,
                passed: messages - failed,
                sources,
                ..DomainSummary::default()
            }),
            unreadable: 0,
            error: None,
            window_days: 14,
            now: 1_764_259_199 + 86_400,
        }
    }

    fn reports_item(r: ReportFacts) -> Item {
        let mut f = facts("v=DMARC1; p=none; rua=mailto:d@apple.example");
        f.reports = Some(r);
        let r = check(&f);
        let mut items = r.items.into_iter().filter(|i| i.check == "reports");
        let item = items.next().expect("a reports item");
        assert!(items.next().is_none());
        item
    }

    #[test]
    fn reports_fail_readiness_when_senders_that_look_legitimate_would_lose_mail() {
        // 6 of 1000 messages (0.6 %) from a sender passing SPF for its own domain, and 40
        // that passed nothing.
        let item = reports_item(reports(
            1000,
            &[
                ("198.51.100.7", 6, "mailer.vendor.example=pass", false),
                ("203.0.113.9", 40, "apple.example=fail", false),
            ],
        ));
        assert_eq!(item.status, Status::Fail);
        assert_eq!(
            item.detail,
            "6 failing message(s) from 1 source(s) that look like the zone's own senders: \
             198.51.100.7 (6 failing, passes mailer.vendor.example=pass); have them sign with \
             DKIM for the zone, or send from an envelope domain in the zone that its SPF \
             authorizes; 40 failing message(s) from 1 source(s) that passed neither SPF nor \
             DKIM: spoofing, or a sender nobody set up (a contact form, a printer, an \
             application on a provider's servers); check that none of 203.0.113.9 (40) is the \
             zone's (1000 message(s) in 3 report(s), 2025-11-24 to 2025-11-27)"
        );
        // 5 of 1000 is at the threshold: a warning.
        let item = reports_item(reports(
            1000,
            &[("198.51.100.7", 5, "mailer.vendor.example=pass", false)],
        ));
        assert_eq!(item.status, Status::Warn);
        // Failing mail from a source whose other mail passes: the zone's own, partly set up.
        let mut r = reports(1000, &[("192.0.2.1", 8, "apple.example=fail", false)]);
        let summary = r.summary.as_mut().unwrap();
        let own = summary
            .sources
            .iter_mut()
            .find(|s| s.ip == "192.0.2.1")
            .unwrap();
        (own.messages, own.failed) = (992, 8);
        let item = reports_item(r);
        assert_eq!(item.status, Status::Fail);
        assert!(
            item.detail
                .contains(": 192.0.2.1 (8 failing; its other 984 pass);"),
            "{}",
            item.detail
        );
    }

    #[test]
    fn reports_where_exempted_or_little_unauthenticated_mail_fails_are_ready() {
        let item = reports_item(reports(
            1000,
            &[
                ("203.0.113.9", 5, "apple.example=fail", false),
                ("198.51.100.7", 300, "list.example=pass", true),
            ],
        ));
        assert_eq!(
            (item.status, item.detail.as_str()),
            (
                Status::Pass,
                "305 of 1000 message(s) failed DMARC: 300 that receivers exempt as forwarded or \
                 list mail, and 5 that passed neither SPF nor DKIM (at most 0.5 % of the mail) \
                 (1000 message(s) in 3 report(s), 2025-11-24 to 2025-11-27)"
            )
        );
        let item = reports_item(reports(100, &[]));
        assert_eq!(
            (item.status, item.detail.as_str()),
            (
                Status::Pass,
                "all mail passed DMARC (100 message(s) in 3 report(s), 2025-11-24 to 2025-11-27)"
            )
        );
        // Much mail that passed nothing: a warning that names where it comes from.
        let item = reports_item(reports(
            100,
            &[("203.0.113.9", 40, "apple.example=fail", false)],
        ));
        assert_eq!(item.status, Status::Warn);
        assert!(
            item.detail
                .contains("check that none of 203.0.113.9 (40) is the zone's"),
            "{}",
            item.detail
        );
    }

    #[test]
    fn older_reports_are_named_and_stale_evidence_warns() {
        let mut r = reports(100, &[]);
        r.summary.as_mut().unwrap().older = 2;
        let item = reports_item(r.clone());
        assert_eq!(
            (item.status, item.detail.as_str()),
            (
                Status::Pass,
                "all mail passed DMARC (100 message(s) in 3 report(s), 2025-11-24 to \
                 2025-11-27; 2 older report(s) not counted (the last 14 days count))"
            )
        );
        r.now += 14 * 86_400;
        let item = reports_item(r);
        assert_eq!(item.status, Status::Warn);
        assert!(
            item.detail.ends_with(
                "; the newest report ended 2025-11-27, over 14 days ago: are reports still \
                 arriving?)"
            ),
            "{}",
            item.detail
        );
    }

    #[test]
    fn reports_that_cannot_be_read_are_unknown() {
        let mut r = reports(100, &[]);
        r.error = Some("reports/: No such file or directory (os error 2)".into());
        let item = reports_item(r);
        assert_eq!(
            (item.status, item.detail.as_str()),
            (
                Status::Unknown,
                "the reports in reports/ cannot be read: reports/: No such file or directory (os \
                 error 2)"
            )
        );
    }

    #[test]
    fn reports_that_say_nothing_of_the_zone_warn() {
        let mut r = reports(100, &[]);
        r.summary = None;
        r.unreadable = 2;
        let item = reports_item(r);
        assert_eq!(item.status, Status::Warn);
        assert_eq!(
            item.detail,
            "no aggregate report about this zone's mail in reports/; 2 files there hold what \
             is not a report (`zonectl dmarc report` names them): nothing shows which senders \
             a stricter policy would affect"
        );
    }
}
