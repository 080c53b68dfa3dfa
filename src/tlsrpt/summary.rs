//! SMTP TLS reports summed per policy domain: sessions that succeeded and failed, per policy
//! the senders applied ([`Applied`]: its type and, for MTA-STS, its mode, since senders keep
//! a cached policy for up to its `max_age` and several modes overlap after a change), and the
//! failures grouped by what failed where (result type and receiving MX), most failed sessions
//! first. [`meaning`] says what the counts mean: under MTA-STS `mode: testing` a failed session
//! is one `mode: enforce` would not have delivered over.
//!
//! Pure: imports only [`super::report`] and [`crate::tally`].

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use super::report::{Policy, PolicyType, Report};
use crate::tally::{add, min_some, percent, plural};

/// Every domain's sums, and how many reports were left out as saved twice.
#[derive(Debug, Default)]
pub struct Summary {
    pub domains: Vec<DomainSummary>,
    pub duplicates: usize,
}

/// The sessions to one policy domain.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DomainSummary {
    pub domain: String,
    pub reports: usize,
    /// Reports left out as older than the window.
    pub older: usize,
    /// Reporters (as first written; grouped without case) and their sessions, most first.
    pub reporters: Vec<(String, u64)>,
    pub begin: Option<i64>,
    pub end: Option<i64>,
    /// Sessions per policy the senders applied: (successful, failed).
    pub by_policy: BTreeMap<Applied, (u64, u64)>,
    /// The MTA-STS policy's mode and `mx` patterns in the newest report that had one.
    pub sts_mode: Option<String>,
    pub sts_mx: Vec<String>,
    /// Failed sessions that came with details, grouped; most sessions first.
    pub failures: Vec<FailureGroup>,
}

impl DomainSummary {
    pub fn successful(&self) -> u64 {
        self.by_policy
            .values()
            .fold(0, |n, (ok, _)| n.saturating_add(*ok))
    }

    pub fn failed(&self) -> u64 {
        self.by_policy
            .values()
            .fold(0, |n, (_, f)| n.saturating_add(*f))
    }

    pub fn sessions(&self) -> u64 {
        self.successful().saturating_add(self.failed())
    }

    /// Failed sessions whose reports said why (details are optional, RFC 8460 §4.4).
    pub fn detailed(&self) -> u64 {
        self.failures
            .iter()
            .fold(0, |n, g| n.saturating_add(g.sessions))
    }
}

/// The policy senders applied to a session: its type, and for MTA-STS the mode of the policy
/// they held (None when the report gives no `mode:` line).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Applied {
    pub kind: PolicyType,
    pub mode: Option<String>,
}

impl Applied {
    fn of(p: &Policy) -> Applied {
        Applied {
            kind: p.kind,
            mode: p.sts_mode().map(str::to_owned),
        }
    }

    /// MTA-STS in any mode.
    pub fn is_sts(&self) -> bool {
        self.kind == PolicyType::Sts
    }
}

/// `sts testing`, `sts` (mode not said), `tlsa`, `no-policy-found`.
impl fmt::Display for Applied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.mode {
            Some(mode) => write!(f, "{} {mode}", self.kind.as_str()),
            None => f.write_str(self.kind.as_str()),
        }
    }
}

/// The results that say the sender could not fetch or check the MTA-STS policy itself (RFC
/// 8460 §4.3.2.2): it then uses a policy it cached, or none, so enforce would not refuse the
/// session for them; the policy host needs fixing.
pub const POLICY_FETCH_RESULTS: [&str; 3] = [
    "sts-policy-fetch-error",
    "sts-policy-invalid",
    "sts-webpki-invalid",
];

/// Failed sessions alike: under one applied policy, one result, at one receiving MX (its name,
/// else its address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    pub policy: Applied,
    pub result: String,
    /// The receiving MX's name, else its IP address; empty if the report said neither.
    pub receiving: String,
    pub sessions: u64,
    /// The receiving MX's addresses the reports named (a name can have several).
    pub receiving_ips: BTreeSet<String>,
    pub sending_ips: BTreeSet<String>,
    pub reason_codes: BTreeSet<String>,
}

/// Sums `reports` per policy domain. With a `window` of N days, a domain's reports whose
/// period ended more than N days before its newest report's end are left out (counted in
/// [`DomainSummary::older`]), as for DMARC reports. The same reporter and report id (without
/// case) is counted once.
pub fn summarize<'a>(
    reports: impl IntoIterator<Item = &'a Report>,
    window: Option<u32>,
) -> Summary {
    let reports: Vec<&Report> = reports.into_iter().collect();
    let mut newest: HashMap<&str, i64> = HashMap::new();
    for r in &reports {
        for p in &r.policies {
            if let Some(end) = r.end {
                let n = newest.entry(&p.domain).or_insert(end);
                *n = (*n).max(end);
            }
        }
    }
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    let mut domains: BTreeMap<&str, DomainSummary> = BTreeMap::new();
    // Per domain: which report and policy the MTA-STS policy shown was taken from.
    let mut sts_from: HashMap<&str, (Option<i64>, u8)> = HashMap::new();
    // Per (domain, reporter without case): the name as first written, and its sessions.
    let mut reporters: BTreeMap<(&str, String), (&str, u64)> = BTreeMap::new();
    let mut groups: BTreeMap<(&str, Applied, &str, &str), FailureGroup> = BTreeMap::new();
    for r in reports {
        let reporter = r.org_name.to_lowercase();
        if !seen.insert((reporter.clone(), r.report_id.to_lowercase())) {
            duplicates += 1;
            continue;
        }
        let mut counted: HashSet<&str> = HashSet::new();
        for p in &r.policies {
            let d = domains.entry(&p.domain).or_default();
            d.domain.clone_from(&p.domain);
            let cutoff = window
                .zip(newest.get(p.domain.as_str()))
                .map(|(days, n)| n.saturating_sub(i64::from(days).saturating_mul(86_400)));
            let old = matches!((cutoff, r.end), (Some(c), Some(end)) if end < c);
            if counted.insert(&p.domain) {
                if old {
                    d.older += 1;
                } else {
                    d.reports += 1;
                    d.begin = min_some(d.begin, r.begin);
                    d.end = d.end.max(r.end);
                }
            }
            if old {
                continue;
            }
            let applied = Applied::of(p);
            let (ok, failed) = d.by_policy.entry(applied.clone()).or_default();
            add(ok, p.successful);
            add(failed, p.failed);
            if p.kind == PolicyType::Sts {
                // The newest report's; between reports that ended together, the strictest mode
                // (whatever order the files were read in).
                let key = (r.end, mode_rank(p.sts_mode()));
                let newer = sts_from
                    .get(p.domain.as_str())
                    .is_none_or(|from| key.cmp(from) == Ordering::Greater);
                if newer {
                    sts_from.insert(&p.domain, key);
                    d.sts_mode = p.sts_mode().map(str::to_owned);
                    d.sts_mx = sts_mx(p);
                }
            }
            let (_, sessions) = reporters
                .entry((&p.domain, reporter.clone()))
                .or_insert((&r.org_name, 0));
            add(sessions, p.successful.saturating_add(p.failed));
            for f in &p.failures {
                let receiving = if f.receiving_mx.is_empty() {
                    f.receiving_ip.as_str()
                } else {
                    f.receiving_mx.as_str()
                };
                let g = groups
                    .entry((&p.domain, applied.clone(), &f.result, receiving))
                    .or_insert_with(|| FailureGroup {
                        policy: applied.clone(),
                        result: f.result.clone(),
                        receiving: receiving.to_owned(),
                        sessions: 0,
                        receiving_ips: BTreeSet::new(),
                        sending_ips: BTreeSet::new(),
                        reason_codes: BTreeSet::new(),
                    });
                add(&mut g.sessions, f.sessions);
                if !f.receiving_ip.is_empty() {
                    g.receiving_ips.insert(f.receiving_ip.clone());
                }
                if !f.sending_ip.is_empty() {
                    g.sending_ips.insert(f.sending_ip.clone());
                }
                if !f.reason_code.is_empty() {
                    g.reason_codes.insert(f.reason_code.clone());
                }
            }
        }
    }
    for ((domain, ..), g) in groups {
        if let Some(d) = domains.get_mut(domain) {
            d.failures.push(g);
        }
    }
    for ((domain, _), (org, sessions)) in reporters {
        if let Some(d) = domains.get_mut(domain) {
            d.reporters.push((org.to_owned(), sessions));
        }
    }
    let domains = domains
        .into_values()
        .map(|mut d| {
            d.failures.sort_by_key(|g| std::cmp::Reverse(g.sessions));
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

/// Orders MTA-STS modes from the least strict: a tie between reports is broken towards the
/// stricter.
fn mode_rank(mode: Option<&str>) -> u8 {
    match mode {
        Some("enforce") => 3,
        Some("testing") => 2,
        Some("none") => 1,
        _ => 0,
    }
}

/// Failed sessions of `d` under the policies `which` selects whose result says the sender
/// could not fetch or check the MTA-STS policy ([`POLICY_FETCH_RESULTS`]).
pub fn fetch_failures(d: &DomainSummary, which: impl Fn(&Applied) -> bool) -> u64 {
    d.failures
        .iter()
        .filter(|g| which(&g.policy) && POLICY_FETCH_RESULTS.contains(&g.result.as_str()))
        .fold(0, |n, g| n.saturating_add(g.sessions))
}

/// The policy's `mx` lines, else its `mx-host` field.
fn sts_mx(p: &Policy) -> Vec<String> {
    let lines: Vec<String> = p
        .strings
        .iter()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == "mx").then(|| value.trim().to_owned())
        })
        .collect();
    if lines.is_empty() {
        p.mx_hosts.clone()
    } else {
        lines
    }
}

/// What the sessions mean for the domain, one line per policy the senders applied.
pub fn meaning(d: &DomainSummary) -> Vec<String> {
    let mut lines = Vec::new();
    for (applied, &(ok, failed)) in &d.by_policy {
        let all = ok.saturating_add(failed);
        let share = |n: u64| format!("{n} of {all} session{} ({})", plural(all), percent(n, all));
        let fetch = fetch_failures(d, |a| a == applied);
        let refusable = failed.saturating_sub(fetch);
        let fetch_note = if fetch == 0 {
            String::new()
        } else {
            format!(
                "; {fetch} could not fetch or check the policy itself (sts-policy-…): those \
                 senders fall back to a policy they cached, or none; fix the policy host"
            )
        };
        let line = match (applied.kind, applied.mode.as_deref()) {
            (PolicyType::Sts, Some("testing")) if all == 0 => {
                "MTA-STS testing: no session reported".to_owned()
            }
            (PolicyType::Sts, Some("testing")) if failed == 0 => format!(
                "MTA-STS testing: no session failed in {all}: as far as these reports show, \
                 the policy is ready for `mode: enforce`"
            ),
            (PolicyType::Sts, Some("testing")) => format!(
                "MTA-STS testing: under `mode: enforce` senders would not have delivered over \
                 {}: they would try another MX, or hold the mail and retry, and bounce it if \
                 no MX passes; fix the failures below before enforcing{fetch_note}",
                share(refusable)
            ),
            (PolicyType::Sts, Some("enforce")) if failed == 0 => {
                format!("MTA-STS enforce: no session failed in {all}")
            }
            (PolicyType::Sts, Some("enforce")) => format!(
                "MTA-STS enforce: {} failed and were not delivered over: senders tried another \
                 MX, or held the mail and retried; it bounces if no MX passes{fetch_note}",
                share(refusable)
            ),
            (PolicyType::Sts, Some("none")) => format!(
                "MTA-STS mode none: {} failed; under none senders apply no policy, so they \
                 delivered anyway",
                share(failed)
            ),
            (PolicyType::Sts, mode) => format!(
                "MTA-STS (mode {}): {} failed; what senders did with them depends on the \
                 mode, which these reports do not say",
                mode.unwrap_or("not said"),
                share(failed)
            ),
            (PolicyType::Tlsa, _) if failed == 0 => format!("DANE: no session failed in {all}"),
            (PolicyType::Tlsa, _) => format!(
                "DANE: {} failed: senders do not deliver over a failed DANE check; they try \
                 another MX, or hold the mail and retry",
                share(failed)
            ),
            (PolicyType::NoPolicyFound, _) => format!(
                "no MTA-STS or DANE policy found by the senders for {all} session{}: TLS is \
                 opportunistic there, and {failed} failed",
                plural(all)
            ),
        };
        lines.push(line);
    }
    lines
}

/// What a `result-type` (RFC 8460 §4.3) says is wrong, and where to look.
pub fn result_hint(result: &str) -> Option<&'static str> {
    Some(match result {
        "starttls-not-supported" => "the MX did not offer STARTTLS",
        "certificate-host-mismatch" => "the MX's certificate does not name the MX host",
        "certificate-expired" => "the MX's certificate has expired",
        "certificate-not-trusted" => {
            "the MX's certificate is not from a CA senders trust (self-signed, or a missing \
             intermediate)"
        }
        "validation-failure" => "failed for another reason: see the reason code",
        "tlsa-invalid" => "the TLSA records match no certificate the MX presented",
        "dnssec-invalid" => "the TLSA records did not validate with DNSSEC",
        "dane-required" => "DANE was required, but no usable TLSA records were found",
        "sts-policy-fetch-error" => {
            "the MTA-STS policy could not be fetched from https://mta-sts.DOMAIN/.well-known/mta-sts.txt"
        }
        "sts-policy-invalid" => "the MTA-STS policy file could not be read as a policy",
        "sts-webpki-invalid" => "the policy host's HTTPS certificate is not valid",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::report::{parse, Failure};
    use super::*;

    fn report(org: &str, id: &str, end: i64, policies: Vec<Policy>) -> Report {
        Report {
            org_name: org.into(),
            contact: String::new(),
            report_id: id.into(),
            begin: Some(end - 86_399),
            end: Some(end),
            policies,
            problems: Vec::new(),
        }
    }

    fn sts(domain: &str, mode: &str, ok: u64, failures: &[(&str, &str, u64)]) -> Policy {
        Policy {
            kind: PolicyType::Sts,
            domain: domain.into(),
            strings: vec![
                "version: STSv1".into(),
                format!("mode: {mode}"),
                "mx: mx1.a.example".into(),
                "max_age: 86400".into(),
            ],
            mx_hosts: Vec::new(),
            successful: ok,
            failed: failures.iter().map(|f| f.2).sum(),
            failures: failures
                .iter()
                .map(|&(result, mx, sessions)| Failure {
                    result: result.into(),
                    sending_ip: "192.0.2.1".into(),
                    receiving_mx: mx.into(),
                    receiving_ip: String::new(),
                    reason_code: String::new(),
                    sessions,
                })
                .collect(),
        }
    }

    const DAY: i64 = 86_400;
    const T: i64 = 1_795_000_000;

    #[test]
    fn sessions_are_summed_per_domain_and_failures_grouped_by_result_and_mx() {
        let a = report(
            "Google Inc.",
            "1",
            T,
            vec![sts(
                "a.example",
                "testing",
                90,
                &[("certificate-expired", "mx1.a.example", 4)],
            )],
        );
        let b = report(
            "google inc.",
            "2",
            T - DAY,
            vec![
                sts(
                    "a.example",
                    "testing",
                    10,
                    &[
                        ("certificate-expired", "mx1.a.example", 3),
                        ("starttls-not-supported", "mx2.a.example", 5),
                    ],
                ),
                sts("b.example", "enforce", 7, &[]),
            ],
        );
        let s = summarize([&a, &b, &a], None);
        assert_eq!(s.duplicates, 1);
        let d = &s.domains[0];
        assert_eq!((d.domain.as_str(), d.reports), ("a.example", 2));
        assert_eq!((d.successful(), d.failed(), d.detailed()), (100, 12, 12));
        assert_eq!(d.reporters, [("Google Inc.".to_string(), 112)]);
        assert_eq!((d.begin, d.end), (Some(T - DAY - 86_399), Some(T)));
        let groups: Vec<(&str, &str, u64)> = d
            .failures
            .iter()
            .map(|g| (g.result.as_str(), g.receiving.as_str(), g.sessions))
            .collect();
        assert_eq!(
            groups,
            [
                ("certificate-expired", "mx1.a.example", 7),
                ("starttls-not-supported", "mx2.a.example", 5)
            ]
        );
        assert_eq!(d.sts_mode.as_deref(), Some("testing"));
        assert_eq!(d.sts_mx, ["mx1.a.example"]);
        assert_eq!(s.domains[1].domain, "b.example");
        assert_eq!(s.domains[1].reports, 1);
    }

    #[test]
    fn the_window_keeps_the_newest_reports_and_the_newest_mode() {
        let old = report(
            "x",
            "1",
            T - 30 * DAY,
            vec![sts(
                "a.example",
                "testing",
                1,
                &[("sts-policy-fetch-error", "", 9)],
            )],
        );
        let new = report("x", "2", T, vec![sts("a.example", "enforce", 50, &[])]);
        let s = summarize([&new, &old], Some(14));
        let d = &s.domains[0];
        assert_eq!((d.reports, d.older, d.failed()), (1, 1, 0));
        assert_eq!(d.sts_mode.as_deref(), Some("enforce"));
        // The newest report's mode, whatever the order they were read in; on a tie, the
        // stricter.
        for order in [[&new, &old], [&old, &new]] {
            let all = summarize(order, None);
            assert_eq!(all.domains[0].failed(), 9);
            assert_eq!(all.domains[0].sts_mode.as_deref(), Some("enforce"));
        }
        let tie = report("y", "3", T, vec![sts("a.example", "testing", 5, &[])]);
        for order in [[&new, &tie], [&tie, &new]] {
            assert_eq!(
                summarize(order, None).domains[0].sts_mode.as_deref(),
                Some("enforce")
            );
        }
        assert_eq!(summarize([&old], None).domains[0].failures[0].receiving, "");
    }

    #[test]
    fn meaning_says_what_enforce_would_have_done() {
        let testing = report(
            "x",
            "1",
            T,
            vec![sts(
                "a.example",
                "testing",
                995,
                &[("certificate-host-mismatch", "mx2.a.example", 5)],
            )],
        );
        let d = &summarize([&testing], None).domains[0];
        assert_eq!(
            meaning(d),
            ["MTA-STS testing: under `mode: enforce` senders would not have delivered over 5 of \
              1000 sessions (0.5%): they would try another MX, or hold the mail and retry, and \
              bounce it if no MX passes; fix the failures below before enforcing"]
        );
        let clean = report("x", "1", T, vec![sts("a.example", "testing", 10, &[])]);
        assert!(
            meaning(&summarize([&clean], None).domains[0])[0].contains("ready for `mode: enforce`")
        );
        let none = report("x", "1", T, vec![sts("a.example", "testing", 0, &[])]);
        assert_eq!(
            meaning(&summarize([&none], None).domains[0]),
            ["MTA-STS testing: no session reported"]
        );
        let r = parse(super::super::report::tests::RFC_EXAMPLE.as_bytes()).unwrap();
        let d = &summarize([&r], None).domains[0];
        assert_eq!(d.failed(), 303);
        assert!(meaning(d)[0].contains("would not have delivered over 303 of 5629 sessions (5.4%)"));
    }

    #[test]
    fn sessions_under_each_mode_are_judged_by_that_mode() {
        // Right after a change to enforce, senders that cached the testing policy still report
        // under it: its failures were delivered, the enforced ones were not.
        let old = report(
            "x",
            "1",
            T - DAY,
            vec![sts(
                "a.example",
                "testing",
                150,
                &[("certificate-expired", "mx1.a.example", 50)],
            )],
        );
        let new = report(
            "y",
            "2",
            T,
            vec![sts(
                "a.example",
                "enforce",
                40,
                &[
                    ("starttls-not-supported", "mx2.a.example", 6),
                    ("sts-policy-fetch-error", "", 4),
                ],
            )],
        );
        let d = &summarize([&new, &old], None).domains[0];
        assert_eq!(d.by_policy.len(), 2);
        let lines = meaning(d);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(
            lines[0].starts_with(
                "MTA-STS enforce: 6 of 50 sessions (12.0%) failed and were not delivered over"
            ),
            "{lines:?}"
        );
        assert!(
            lines[0].ends_with(
                "; 4 could not fetch or check the policy itself (sts-policy-…): those senders \
                 fall back to a policy they cached, or none; fix the policy host"
            ),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with(
                "MTA-STS testing: under `mode: enforce` senders would not have delivered over 50 \
                 of 200 sessions (25.0%)"
            ),
            "{lines:?}"
        );
        let groups: Vec<String> = d.failures.iter().map(|g| g.policy.to_string()).collect();
        assert_eq!(groups, ["sts testing", "sts enforce", "sts enforce"]);
        assert_eq!(fetch_failures(d, Applied::is_sts), 4);
    }

    #[test]
    fn sums_saturate() {
        let mut a = sts("a.example", "enforce", u64::MAX, &[]);
        a.failed = 2;
        let r1 = report("x", "1", T, vec![a.clone()]);
        let r2 = report("x", "2", T, vec![a]);
        let d = &summarize([&r1, &r2], None).domains[0];
        assert_eq!(d.successful(), u64::MAX);
        assert_eq!(d.sessions(), u64::MAX);
        assert_eq!(d.failed(), 4);
    }
}
