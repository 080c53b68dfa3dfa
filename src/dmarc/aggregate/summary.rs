//! Reports summed per policy domain: how much mail passed DMARC, and which sources send mail
//! in the domain's name that fails: the mail a stricter policy would quarantine or reject.
//!
//! A report counted twice (the same reporter, in any case, and report id, e.g. saved both as
//! the mail and as its attachment) is counted once.
//!
//! Pure: imports only [`super::report`] and [`crate::tally`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::report::{AuthResult, Report, Row};
use crate::tally::{add, min_some};

/// Every policy domain's figures, in name order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Summary {
    pub domains: Vec<DomainSummary>,
    /// Reports left out because the same reporter's report of that id was already counted.
    pub duplicates: usize,
}

/// One policy domain over all its reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DomainSummary {
    pub domain: String,
    pub reports: usize,
    /// Reports left out as older than the window (see [`summarize`]).
    pub older: usize,
    /// Each reporter (`org_name`) and the messages it reported, most first.
    pub reporters: Vec<(String, u64)>,
    /// The earliest begin and latest end of the reports' periods (UNIX seconds).
    pub begin: Option<i64>,
    pub end: Option<i64>,
    /// The policy in the report with the latest period.
    pub published: Vec<(&'static str, String)>,
    pub messages: u64,
    pub passed: u64,
    pub dkim_aligned: u64,
    pub spf_aligned: u64,
    /// Messages by what the receivers did (`none`, `quarantine`, `reject`; "" if not said).
    pub dispositions: BTreeMap<String, u64>,
    /// Messages by the reason a receiver gave for overriding the policy (`forwarded`, …).
    pub overrides: BTreeMap<String, u64>,
    /// Every source, those with the most failing messages first, then the most messages.
    pub sources: Vec<Source>,
}

impl DomainSummary {
    pub fn failed(&self) -> u64 {
        self.messages - self.passed
    }
}

/// One source IP address in one domain's reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    pub ip: String,
    pub messages: u64,
    pub failed: u64,
    /// The header From domains it sent.
    pub header_from: BTreeSet<String>,
    /// Its failing messages' DKIM and SPF results, `domain[/detail]=result`, with messages.
    pub failing_dkim: BTreeMap<String, u64>,
    pub failing_spf: BTreeMap<String, u64>,
    /// The overrides receivers gave for its failing mail.
    pub overrides: BTreeSet<String>,
    /// Failing messages receivers exempted as forwarded or list mail ([`EXEMPTING`]).
    pub failed_exempted: u64,
    /// Failing messages, not exempted, that passed DKIM, or SPF for the envelope sender, for a
    /// domain not aligned with the From domain.
    pub failed_unaligned: u64,
}

/// The override reasons (RFC 7489 appendix C `PolicyOverrideType`) that say the receiver
/// judged failing mail to be forwarded or list mail, not forged. `sampled_out` (`pct`),
/// `policy_test_mode` (`t=y`, RFC 9990), `local_policy` and `other` say nothing of the mail:
/// at the next stage it is enforced.
pub const EXEMPTING: [&str; 3] = ["forwarded", "trusted_forwarder", "mailing_list"];

/// What a source's failing mail looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failing {
    /// None of its mail failed.
    Nothing,
    /// Receivers exempted all of it as forwarded or list mail.
    Exempted,
    /// Some passed SPF or DKIM for a domain not aligned with the From domain: how a
    /// legitimate sender set up for its own domain looks (a mailing service, a CRM).
    Unaligned,
    /// It passed nothing, but the source's other mail passes DMARC: a sender of the domain's
    /// whose setup is partly broken (a second path, an unsigned stream).
    Mixed,
    /// It passed nothing and the source sends no passing mail: spoofing, or a sender nobody
    /// set up (a contact form, a printer, an application on a hosting provider's servers).
    Unauthenticated,
}

impl Failing {
    pub fn as_str(self) -> &'static str {
        match self {
            Failing::Nothing => "nothing",
            Failing::Exempted => "exempted",
            Failing::Unaligned => "unaligned",
            Failing::Mixed => "mixed",
            Failing::Unauthenticated => "unauthenticated",
        }
    }
}

impl Source {
    /// What its failing mail looks like.
    pub fn failing(&self) -> Failing {
        if self.failed == 0 {
            Failing::Nothing
        } else if self.failed == self.failed_exempted {
            Failing::Exempted
        } else if self.failed_unaligned > 0 {
            Failing::Unaligned
        } else if self.messages > self.failed {
            Failing::Mixed
        } else {
            Failing::Unauthenticated
        }
    }

    /// Its failing messages that receivers did not exempt.
    pub fn failed_enforced(&self) -> u64 {
        self.failed - self.failed_exempted
    }
}

/// Sums `reports` per policy domain. With a `window` of N days, a domain's reports whose
/// period ended more than N days before its newest report's end are left out (and counted in
/// [`DomainSummary::older`]): the evidence is the latest, so a sender fixed last week is not
/// held against the domain for ever. A report without a period is kept.
pub fn summarize<'a>(
    reports: impl IntoIterator<Item = &'a Report>,
    window: Option<u32>,
) -> Summary {
    let reports: Vec<&Report> = reports.into_iter().collect();
    let mut newest: HashMap<&str, i64> = HashMap::new();
    for r in &reports {
        if let Some(end) = r.end {
            let n = newest.entry(&r.domain).or_insert(end);
            *n = (*n).max(end);
        }
    }
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    let mut domains: BTreeMap<&str, (DomainSummary, Option<i64>)> = BTreeMap::new();
    let mut sources: BTreeMap<(&str, &str), Source> = BTreeMap::new();
    // Per (domain, reporter without case): the name as first written, and its messages.
    let mut reporters: BTreeMap<(&str, String), (&str, u64)> = BTreeMap::new();
    for r in reports {
        let reporter = r.org_name.to_lowercase();
        if !r.report_id.is_empty() && !seen.insert((reporter.clone(), &r.report_id, &r.domain)) {
            duplicates += 1;
            continue;
        }
        let (d, latest) = domains.entry(&r.domain).or_default();
        let cutoff = window
            .zip(newest.get(r.domain.as_str()))
            .map(|(days, newest)| newest.saturating_sub(i64::from(days).saturating_mul(86_400)));
        if let (Some(cutoff), Some(end)) = (cutoff, r.end) {
            if end < cutoff {
                d.domain.clone_from(&r.domain);
                d.older += 1;
                continue;
            }
        }
        d.domain.clone_from(&r.domain);
        d.reports += 1;
        d.begin = min_some(d.begin, r.begin);
        d.end = d.end.max(r.end);
        if d.reports == 1 || r.end > *latest {
            *latest = r.end;
            d.published.clone_from(&r.published);
        }
        let mut reported = 0;
        for row in &r.rows {
            add(&mut reported, row.count);
            add_row(d, row);
            let s = sources.entry((&r.domain, &row.source_ip)).or_default();
            add_source(s, row);
        }
        let (_, messages) = reporters
            .entry((&r.domain, reporter))
            .or_insert((&r.org_name, 0));
        add(messages, reported);
    }
    for ((domain, ip), mut source) in sources {
        source.ip = ip.to_string();
        if let Some((d, _)) = domains.get_mut(domain) {
            d.sources.push(source);
        }
    }
    for ((domain, _), (org, messages)) in reporters {
        if let Some((d, _)) = domains.get_mut(domain) {
            d.reporters.push((org.to_string(), messages));
        }
    }
    let domains = domains
        .into_values()
        .map(|(mut d, _)| {
            d.sources
                .sort_by_key(|s| std::cmp::Reverse((s.failed, s.messages)));
            d.reporters
                .sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            d
        })
        .collect();
    Summary {
        domains,
        duplicates,
    }
}

fn add_row(d: &mut DomainSummary, row: &Row) {
    add(&mut d.messages, row.count);
    if row.passes() {
        add(&mut d.passed, row.count);
    }
    if row.dkim_aligned {
        add(&mut d.dkim_aligned, row.count);
    }
    if row.spf_aligned {
        add(&mut d.spf_aligned, row.count);
    }
    add(
        d.dispositions.entry(row.disposition.clone()).or_default(),
        row.count,
    );
    for (kind, _) in &row.overrides {
        add(d.overrides.entry(kind.clone()).or_default(), row.count);
    }
}

fn add_source(s: &mut Source, row: &Row) {
    add(&mut s.messages, row.count);
    if !row.header_from.is_empty() {
        s.header_from.insert(row.header_from.clone());
    }
    if row.passes() {
        return;
    }
    add(&mut s.failed, row.count);
    s.overrides
        .extend(row.overrides.iter().map(|(kind, _)| kind.clone()));
    let exempted = row
        .overrides
        .iter()
        .any(|(kind, _)| EXEMPTING.contains(&kind.as_str()));
    let passed_unaligned = row.dkim.iter().any(|r| r.result == "pass")
        || row
            .spf
            .iter()
            .any(|r| r.result == "pass" && r.detail != "helo");
    if exempted {
        add(&mut s.failed_exempted, row.count);
    } else if passed_unaligned {
        add(&mut s.failed_unaligned, row.count);
    }
    for (results, into) in [
        (&row.dkim, &mut s.failing_dkim),
        (&row.spf, &mut s.failing_spf),
    ] {
        if results.is_empty() {
            add(into.entry("none".to_string()).or_default(), row.count);
        }
        for r in results {
            add(into.entry(result_text(r)).or_default(), row.count);
        }
    }
}

/// `domain[/detail]=result`, e.g. `example.com/s1=pass` or `example.com=fail`.
fn result_text(r: &AuthResult) -> String {
    let domain = if r.domain.is_empty() { "?" } else { &r.domain };
    let result = if r.result.is_empty() { "?" } else { &r.result };
    match r.detail.as_str() {
        "" | "mfrom" => format!("{domain}={result}"),
        detail => format!("{domain}/{detail}={result}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ip: &str, count: u64, dkim: bool, spf: bool, auth: &[(&str, &str)]) -> Row {
        Row {
            source_ip: ip.into(),
            count,
            disposition: "none".into(),
            dkim_aligned: dkim,
            spf_aligned: spf,
            overrides: Vec::new(),
            header_from: "example.com".into(),
            dkim: Vec::new(),
            spf: auth
                .iter()
                .map(|(d, r)| AuthResult {
                    domain: d.to_string(),
                    detail: "mfrom".into(),
                    result: r.to_string(),
                })
                .collect(),
        }
    }

    fn report(org: &str, id: &str, domain: &str, end: i64, p: &str, rows: Vec<Row>) -> Report {
        Report {
            org_name: org.into(),
            email: String::new(),
            report_id: id.into(),
            begin: Some(end - 86_400),
            end: Some(end),
            domain: domain.into(),
            published: vec![("p", p.into())],
            rows,
            errors: Vec::new(),
            problems: Vec::new(),
        }
    }

    #[test]
    fn reports_are_summed_per_domain_with_failing_sources_first() {
        let reports = [
            report(
                "google.com",
                "1",
                "example.com",
                200_000,
                "none",
                vec![
                    row("192.0.2.1", 90, true, true, &[("example.com", "pass")]),
                    row(
                        "198.51.100.7",
                        4,
                        false,
                        false,
                        &[("vendor.example", "pass")],
                    ),
                ],
            ),
            report(
                "Yahoo",
                "9",
                "example.com",
                300_000,
                "quarantine",
                vec![
                    row("192.0.2.1", 10, true, false, &[]),
                    row("203.0.113.5", 6, false, false, &[("example.com", "fail")]),
                    row(
                        "198.51.100.7",
                        1,
                        false,
                        false,
                        &[("vendor.example", "pass")],
                    ),
                ],
            ),
            report(
                "google.com",
                "2",
                "other.example",
                100_000,
                "reject",
                vec![],
            ),
        ];
        let s = summarize(&reports, None);
        assert_eq!(s.duplicates, 0);
        assert_eq!(s.domains.len(), 2);
        let d = &s.domains[0];
        assert_eq!(d.domain, "example.com");
        assert_eq!(
            (d.reports, d.messages, d.passed, d.failed()),
            (2, 111, 100, 11)
        );
        assert_eq!((d.dkim_aligned, d.spf_aligned), (100, 90));
        assert_eq!((d.begin, d.end), (Some(113_600), Some(300_000)));
        assert_eq!(d.published, [("p", "quarantine".to_string())]);
        assert_eq!(
            d.reporters,
            [("google.com".to_string(), 94), ("Yahoo".to_string(), 17)]
        );
        let order: Vec<(&str, u64, u64)> = d
            .sources
            .iter()
            .map(|s| (s.ip.as_str(), s.failed, s.messages))
            .collect();
        assert_eq!(
            order,
            [
                ("203.0.113.5", 6, 6),
                ("198.51.100.7", 5, 5),
                ("192.0.2.1", 0, 100)
            ]
        );
        assert_eq!(
            d.sources[1].failing_spf,
            BTreeMap::from([("vendor.example=pass".to_string(), 5)])
        );
        assert_eq!(
            d.sources[1].failing_dkim,
            BTreeMap::from([("none".to_string(), 5)])
        );
        assert!(d.sources[2].failing_spf.is_empty());
        let kinds: Vec<Failing> = d.sources.iter().map(Source::failing).collect();
        assert_eq!(
            kinds,
            [
                Failing::Unauthenticated,
                Failing::Unaligned,
                Failing::Nothing
            ]
        );
        assert_eq!(d.sources[1].failed_unaligned, 5);
        assert_eq!(s.domains[1].messages, 0);
    }

    #[test]
    fn each_failing_row_is_judged_by_its_own_override_and_results() {
        let with = |mut r: Row, overrides: &[&str], scope: &str| {
            r.overrides = overrides
                .iter()
                .map(|o| (o.to_string(), String::new()))
                .collect();
            for spf in &mut r.spf {
                spf.detail = scope.into();
            }
            r
        };
        let vendor = |n| {
            row(
                "198.51.100.7",
                n,
                false,
                false,
                &[("vendor.example", "pass")],
            )
        };
        let kind = |rows: Vec<Row>| {
            let r = report("a", "1", "example.com", 100, "none", rows);
            let s = summarize([&r], None).domains[0].sources[0].clone();
            (s.failing(), s.failed_exempted, s.failed_unaligned)
        };
        // Forwarded: exempted. In test mode or sampled out: still enforced at the next stage.
        assert_eq!(
            kind(vec![with(vendor(4), &["forwarded"], "mfrom")]),
            (Failing::Exempted, 4, 0)
        );
        for o in ["policy_test_mode", "sampled_out", "local_policy"] {
            assert_eq!(
                kind(vec![with(vendor(4), &[o], "mfrom")]),
                (Failing::Unaligned, 0, 4)
            );
        }
        // One forwarded row exempts only its own messages.
        assert_eq!(
            kind(vec![with(vendor(1), &["forwarded"], "mfrom"), vendor(500)]),
            (Failing::Unaligned, 1, 500)
        );
        // An override on passing mail exempts nothing.
        let passing = with(
            row("198.51.100.7", 9, true, true, &[]),
            &["forwarded"],
            "mfrom",
        );
        assert_eq!(
            kind(vec![passing.clone(), vendor(2)]),
            (Failing::Unaligned, 0, 2)
        );
        // SPF that passes for the HELO name only is not a sign of a real sender.
        let helo = with(vendor(3), &[], "helo");
        assert_eq!(kind(vec![helo.clone()]), (Failing::Unauthenticated, 0, 0));
        // Failing mail from a source whose other mail passes.
        assert_eq!(kind(vec![helo, passing]), (Failing::Mixed, 0, 0));
    }

    #[test]
    fn counts_too_large_to_sum_stay_at_the_maximum() {
        let r = report(
            "a",
            "1",
            "example.com",
            100,
            "none",
            vec![
                row(
                    "192.0.2.1",
                    u64::MAX,
                    false,
                    false,
                    &[("x.example", "pass")],
                ),
                row("192.0.2.1", 5, false, false, &[("x.example", "pass")]),
            ],
        );
        let d = &summarize([&r], None).domains[0];
        assert_eq!(
            (d.messages, d.failed(), d.sources[0].failed),
            (u64::MAX, u64::MAX, u64::MAX)
        );
        assert_eq!(d.reporters[0].1, u64::MAX);
    }

    #[test]
    fn a_window_keeps_the_reports_that_ended_near_each_domains_newest() {
        let day = 86_400;
        let rows = || vec![row("192.0.2.1", 1, true, true, &[])];
        let mut undated = report("c", "u", "example.com", 0, "none", rows());
        undated.end = None;
        let reports = [
            report("a", "1", "example.com", 100 * day, "none", rows()),
            report("a", "2", "example.com", 86 * day, "none", rows()),
            report("a", "3", "example.com", 85 * day, "none", rows()),
            undated,
            // Another domain's newest is its own: 50 days before example.com's.
            report("b", "1", "other.example", 50 * day, "none", rows()),
        ];
        let s = summarize(&reports, Some(14));
        let d = &s.domains[0];
        assert_eq!((d.reports, d.older, d.messages), (3, 1, 3));
        assert_eq!((s.domains[1].reports, s.domains[1].older), (1, 0));
        let all = summarize(&reports, None);
        assert_eq!((all.domains[0].reports, all.domains[0].older), (4, 0));
        // Only older reports: the domain is there, with nothing counted.
        let old = report("a", "9", "example.com", 10 * day, "none", rows());
        let s = summarize([&reports[0], &old], Some(14));
        assert_eq!((s.domains[0].reports, s.domains[0].older), (1, 1));
    }

    #[test]
    fn a_reporter_is_one_whatever_the_case_of_its_name() {
        let rows = || vec![row("192.0.2.1", 2, true, true, &[])];
        let reports = [
            report("Outlook.com", "1", "example.com", 100, "none", rows()),
            report("outlook.com", "2", "example.com", 200, "none", rows()),
            // The same report again, its reporter's name in other case: a duplicate.
            report("OUTLOOK.COM", "2", "example.com", 200, "none", rows()),
        ];
        let s = summarize(&reports, None);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.domains[0].reporters, [("Outlook.com".to_string(), 4)]);
    }

    #[test]
    fn a_report_read_twice_is_counted_once() {
        let r = report(
            "google.com",
            "1",
            "example.com",
            100,
            "none",
            vec![row("192.0.2.1", 3, false, false, &[])],
        );
        let again = r.clone();
        let mut other_id = r.clone();
        other_id.report_id = "2".into();
        let mut no_id = r.clone();
        no_id.report_id = String::new();
        let s = summarize([&r, &again, &other_id, &no_id, &no_id.clone()], None);
        assert_eq!(s.duplicates, 1);
        assert_eq!(s.domains[0].messages, 12);
        assert_eq!(s.domains[0].reports, 4);
    }
}
