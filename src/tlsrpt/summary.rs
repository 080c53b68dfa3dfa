//! SMTP TLS reports summed per policy domain: sessions that negotiated TLS and failed, per
//! policy type, and the failures grouped by what failed where (result type and receiving MX),
//! most failed sessions first. [`meaning`] says what the counts mean for the policy published:
//! under MTA-STS `mode: testing` a failed session is one `mode: enforce` would have refused.
//!
//! Pure: imports only [`super::report`].

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::report::{Policy, PolicyType, Report};

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
    /// Sessions per policy type the senders applied: (successful, failed).
    pub by_policy: BTreeMap<PolicyType, (u64, u64)>,
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

/// Failed sessions alike: under one policy type, one result, at one receiving MX (its name,
/// else its address).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureGroup {
    pub policy: PolicyType,
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
    // Per domain: the end of the report the MTA-STS policy was taken from.
    let mut sts_from: HashMap<&str, Option<i64>> = HashMap::new();
    // Per (domain, reporter without case): the name as first written, and its sessions.
    let mut reporters: BTreeMap<(&str, String), (&str, u64)> = BTreeMap::new();
    let mut groups: BTreeMap<(&str, PolicyType, &str, &str), FailureGroup> = BTreeMap::new();
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
            let (ok, failed) = d.by_policy.entry(p.kind).or_default();
            add(ok, p.successful);
            add(failed, p.failed);
            if p.kind == PolicyType::Sts {
                let newer = sts_from
                    .get(p.domain.as_str())
                    .is_none_or(|&from| r.end >= from);
                if newer {
                    sts_from.insert(&p.domain, r.end);
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
                    .entry((&p.domain, p.kind, &f.result, receiving))
                    .or_insert_with(|| FailureGroup {
                        policy: p.kind,
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

/// What the sessions mean for the domain, one line per policy type the senders applied.
pub fn meaning(d: &DomainSummary) -> Vec<String> {
    let mut lines = Vec::new();
    for (&kind, &(ok, failed)) in &d.by_policy {
        let all = ok.saturating_add(failed);
        let share = format!(
            "{failed} of {all} session{} ({})",
            plural(all),
            percent(failed, all)
        );
        let line = match (kind, d.sts_mode.as_deref()) {
            (PolicyType::Sts, Some("testing")) if failed == 0 => format!(
                "MTA-STS in testing: no session failed in {all}: the policy is ready for \
                 `mode: enforce`"
            ),
            (PolicyType::Sts, Some("testing")) => format!(
                "MTA-STS in testing: `mode: enforce` would have refused {share}: \
                 senders would have held that mail, then bounced it; fix the failures below \
                 before enforcing"
            ),
            (PolicyType::Sts, Some("enforce")) if failed == 0 => {
                format!("MTA-STS enforced: no session failed in {all}")
            }
            (PolicyType::Sts, Some("enforce")) => format!(
                "MTA-STS enforced: {share} refused: senders held that mail and retried, then \
                 bounced it"
            ),
            (PolicyType::Sts, mode) => format!(
                "MTA-STS (mode {}): {share} failed; with no policy in force senders \
                 deliver anyway",
                mode.unwrap_or("not said")
            ),
            (PolicyType::Tlsa, _) if failed == 0 => format!("DANE: no session failed in {all}"),
            (PolicyType::Tlsa, _) => format!(
                "DANE: {share} failed: senders do not deliver over a failed DANE check, \
                 they hold the mail and retry"
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
        "validation-failure" => "the MX's certificate could not be validated",
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

fn plural(n: u64) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// Counts come from reports: a sum that would overflow stays at the maximum.
fn add(into: &mut u64, n: u64) {
    *into = into.saturating_add(n);
}

fn min_some(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
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
        let all = summarize([&new, &old], None);
        assert_eq!(all.domains[0].failed(), 9);
        // The newest report's mode, whatever the order they were read in.
        assert_eq!(all.domains[0].sts_mode.as_deref(), Some("enforce"));
        assert_eq!(all.domains[0].failures[0].receiving, "");
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
            ["MTA-STS in testing: `mode: enforce` would have refused 5 of 1000 sessions (0.5%): \
              senders would have held that mail, then bounced it; fix the failures below before \
              enforcing"]
        );
        let clean = report("x", "1", T, vec![sts("a.example", "testing", 10, &[])]);
        assert!(
            meaning(&summarize([&clean], None).domains[0])[0].contains("ready for `mode: enforce`")
        );
        let r = parse(super::super::report::tests::RFC_EXAMPLE.as_bytes()).unwrap();
        let d = &summarize([&r], None).domains[0];
        assert_eq!(d.failed(), 303);
        assert!(meaning(d)[0].contains("would have refused 303 of 5629 sessions (5.4%)"));
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
