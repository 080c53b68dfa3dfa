//! Readiness for MTA-STS `mode: enforce` (`zonectl mta-sts check`), as a pure function of facts
//! gathered elsewhere. Under enforce, senders deliver only to an MX the policy allows, over TLS
//! with a certificate valid for its name; any other delivery is held and, in the end, bounced.
//! So before enforcing:
//!
//! - `record`: one valid `_mta-sts` record (RFC 8461 §3.1), else senders look for no policy;
//! - `policy-host`: `mta-sts.DOMAIN` has an address, else the policy cannot be fetched;
//! - `policy`: the policy file parses (RFC 8461 §3.2);
//! - `mx`: every MX host of the zone is allowed by an `mx:` line (§4.1): the classic outage is
//!   an MX added to the zone and not to the policy;
//! - `tlsrpt`: a TLS-RPT record at `_smtp._tls` (RFC 8460), else failures go unseen (a warning);
//! - `reports`: the SMTP TLS reports show no more than 0.5 % of the sessions under the policy
//!   failing (a warning up to that share): each is mail enforce would have held.
//!
//! A fact nobody could establish is [`Status::Unknown`], which is not ready. The result is the
//! same [`Readiness`] `dmarc check` prints.
//!
//! Pure: imports [`super::mta_sts`], [`super::Kind`], [`super::sts_policy`],
//! [`crate::tlsrpt::summary`] and the readiness types of [`crate::dmarc::readiness`].

use super::sts_policy::{self, Mode, Policy};
use super::{mta_sts, Kind};
use crate::dmarc::readiness::{report_period, Item, Readiness, ReportFacts, Status};
use crate::tlsrpt::summary::{
    fetch_failures, result_hint, Applied, DomainSummary, POLICY_FETCH_RESULTS,
};

/// The share of the sessions under the MTA-STS policy (in parts per thousand) that may fail
/// before readiness fails: 5 is 0.5 %, as for DMARC. Below it a failure is a warning: a few
/// come from senders' own broken TLS stacks.
pub const FAIL_PER_MILLE: u64 = 5;

/// What `mta-sts check` found about one zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsFacts {
    /// The zone's name, without a final dot (`apple.example`).
    pub domain: String,
    /// The TXT values at `_mta-sts.DOMAIN`, or why they could not be asked.
    pub record_txts: Result<Txts, String>,
    /// What `mta-sts.DOMAIN` is, or why it is not known.
    pub policy_host: Result<PolicyHost, String>,
    /// The policy file as read (`--policy FILE`): None if not given, or why it cannot be read.
    pub policy: Option<Result<Vec<u8>, String>>,
    /// Where the policy was read from, as the operator named it.
    pub policy_from: String,
    /// Where the zone's mail goes, or why it could not be asked.
    pub mx: Result<MailHosts, String>,
    /// The TXT values at `_smtp._tls.DOMAIN`, or why they could not be asked.
    pub tlsrpt_txts: Result<Txts, String>,
    /// The SMTP TLS reports, when some were read (`--reports`).
    pub reports: Option<ReportFacts<DomainSummary>>,
}

/// The TXT values at a name, and the CNAME target they were read at when the name is one
/// (hosted MTA-STS delegates `_mta-sts` so).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Txts {
    pub values: Vec<String>,
    pub via: Option<String>,
}

impl Txts {
    /// `_mta-sts.example.com` or `_mta-sts.example.com (a CNAME to …)`.
    pub(super) fn at(&self, owner: &str) -> String {
        match &self.via {
            Some(target) => format!("{owner} (a CNAME to {target})"),
            None => owner.to_owned(),
        }
    }
}

/// What the policy host `mta-sts.DOMAIN` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyHost {
    /// An A or AAAA record (here, or at the end of a CNAME chain here).
    Address,
    /// A CNAME out of the zones (to the web host or provider serving the policy).
    Cname(String),
    Missing,
}

/// Where senders deliver the zone's mail (RFC 5321 §5.1), as MTA-STS matches it (RFC 8461
/// §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailHosts {
    /// The MX hosts, without final dots.
    Mx(Vec<String>),
    /// No MX record, but an address: the domain itself is the mail host.
    Implicit(String),
    /// A null MX (RFC 7505): the domain receives no mail.
    NullMx,
    /// No MX record and no address: no mail is delivered to the domain.
    NoMail,
}

impl MailHosts {
    /// The hosts a policy must allow.
    pub fn hosts(&self) -> Vec<&str> {
        match self {
            MailHosts::Mx(hosts) => hosts.iter().map(String::as_str).collect(),
            MailHosts::Implicit(domain) => vec![domain.as_str()],
            MailHosts::NullMx | MailHosts::NoMail => Vec::new(),
        }
    }

    /// Why an enforced policy would protect nothing, if it would not.
    pub fn receives_none(&self, domain: &str) -> Option<String> {
        match self {
            MailHosts::NullMx => Some(format!(
                "{domain} publishes a null MX (RFC 7505): it receives no mail, and a policy \
                 protects nothing"
            )),
            MailHosts::NoMail => Some(format!(
                "{domain} has no MX record and no address: it receives no mail, and a policy \
                 protects nothing"
            )),
            MailHosts::Mx(_) | MailHosts::Implicit(_) => None,
        }
    }
}

/// Judges readiness for `mode: enforce`.
pub fn check(f: &StsFacts) -> Readiness {
    let mut items = Vec::new();
    let mut push = |check, (status, detail): (Status, String)| {
        items.push(Item {
            check,
            status,
            detail,
        })
    };
    push("record", record(f));
    push("policy-host", policy_host(f));
    let policy = f.policy.as_ref().map(|p| {
        p.as_ref()
            .map_err(Clone::clone)
            .map(|bytes| sts_policy::parse(bytes))
    });
    push("policy", policy_item(f, policy.as_ref()));
    let parsed = match &policy {
        Some(Ok(Ok(p))) => Some(p),
        _ => None,
    };
    push("mx", mx_item(f, parsed));
    push("tlsrpt", tlsrpt(f));
    push("reports", reports(f));
    Readiness { items }
}

/// The records of `kind` among the TXT values at a name, as its readers count them.
pub(super) enum Records<'a> {
    None,
    /// The one record, and its problems (none: usable).
    One(&'a str, Vec<String>),
    /// Several: readers ignore them all.
    Many(usize),
}

pub(super) fn records(kind: Kind, txts: &[String]) -> Records<'_> {
    let found: Vec<&String> = txts.iter().filter(|t| kind.is_record(t)).collect();
    match found.as_slice() {
        [] => Records::None,
        [one] => Records::One(
            one,
            kind.problems(one).iter().map(ToString::to_string).collect(),
        ),
        many => Records::Many(many.len()),
    }
}

fn record(f: &StsFacts) -> (Status, String) {
    let owner = format!("_mta-sts.{}", f.domain);
    let txts = match &f.record_txts {
        Ok(t) => t,
        Err(why) => return (Status::Unknown, format!("{owner}: {why}")),
    };
    let owner = txts.at(&owner);
    match records(Kind::MtaSts, &txts.values) {
        Records::None => (
            Status::Fail,
            format!(
                "no MTA-STS record at {owner}: senders look for no policy; publish \
                 `_mta-sts TXT \"v=STSv1; id=…\"`"
            ),
        ),
        Records::One(one, problems) if problems.is_empty() => {
            let id = mta_sts::parse(one).map(|r| r.id).unwrap_or_default();
            (Status::Pass, format!("{owner}: id={id}"))
        }
        Records::One(one, problems) => (
            Status::Fail,
            format!("{owner} {one:?} cannot be used: {}", problems.join("; ")),
        ),
        Records::Many(n) => (
            Status::Fail,
            format!("{owner} holds {n} MTA-STS records: senders ignore them all; keep one"),
        ),
    }
}

fn policy_host(f: &StsFacts) -> (Status, String) {
    let host = format!("mta-sts.{}", f.domain);
    match &f.policy_host {
        Ok(PolicyHost::Address) => (Status::Pass, format!("{host} has an address")),
        Ok(PolicyHost::Cname(target)) => (
            Status::Pass,
            format!("{host} is a CNAME to {target} (not followed: the policy is served there)"),
        ),
        Ok(PolicyHost::Missing) => (
            Status::Fail,
            format!(
                "{host} has no A, AAAA or CNAME record: senders cannot fetch \
                 https://{host}/.well-known/mta-sts.txt"
            ),
        ),
        Err(why) => (Status::Unknown, format!("{host}: {why}")),
    }
}

type ParsedPolicy = Result<Result<Policy, Vec<sts_policy::PolicyProblem>>, String>;

fn policy_item(f: &StsFacts, policy: Option<&ParsedPolicy>) -> (Status, String) {
    let url = format!("https://mta-sts.{}/.well-known/mta-sts.txt", f.domain);
    match policy {
        None => (
            Status::Unknown,
            format!(
                "not read: give --policy FILE (or the zone's mta_sts_policy in the \
                 configuration), a copy of what {url} serves"
            ),
        ),
        Some(Err(why)) => (
            Status::Unknown,
            format!("{} cannot be read: {why}", f.policy_from),
        ),
        Some(Ok(Err(problems))) => (
            Status::Fail,
            format!(
                "{}: {}: senders may ignore the policy, or read it otherwise; fix the file",
                f.policy_from,
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        Some(Ok(Ok(p))) => {
            let mut summary = format!("{}: {p}", f.policy_from);
            if !p.warnings.is_empty() {
                let warnings: Vec<String> = p.warnings.iter().map(ToString::to_string).collect();
                summary = format!("{summary}; {}", warnings.join("; "));
            }
            match p.mode {
                Mode::None => (
                    Status::Fail,
                    format!(
                        "{summary}: mode none withdraws the policy; serve mode: testing first, \
                         and enforce once its reports show no failure"
                    ),
                ),
                Mode::Enforce if !p.warnings.is_empty() => {
                    (Status::Warn, format!("{summary} (already enforced)"))
                }
                Mode::Enforce => (Status::Pass, format!("{summary} (already enforced)")),
                _ if !p.warnings.is_empty() => (Status::Warn, summary),
                Mode::Testing => (Status::Pass, summary),
            }
        }
    }
}

fn mx_item(f: &StsFacts, policy: Option<&Policy>) -> (Status, String) {
    let mail = match &f.mx {
        Ok(m) => m,
        Err(why) => {
            return (
                Status::Unknown,
                format!("the MX records of {}: {why}", f.domain),
            )
        }
    };
    if let Some(why) = mail.receives_none(&f.domain) {
        let status = if *mail == MailHosts::NullMx {
            Status::Warn
        } else {
            Status::Fail
        };
        return (status, why);
    }
    let hosts = mail.hosts();
    let implicit = if matches!(mail, MailHosts::Implicit(_)) {
        "no MX record, so senders deliver to the domain itself (RFC 5321 §5.1): "
    } else {
        ""
    };
    let Some(policy) = policy else {
        return (
            Status::Unknown,
            format!(
                "{implicit}MX {}: whether the policy allows them is not known without a valid \
                 policy",
                hosts.join(", ")
            ),
        );
    };
    let (allowed, refused): (Vec<&str>, Vec<&str>) =
        hosts.iter().partition(|h| policy.allows(h).is_some());
    let unused: Vec<&str> = policy
        .mx
        .iter()
        .map(String::as_str)
        .filter(|p| !hosts.iter().any(|h| sts_policy::pattern_allows(p, h)))
        .collect();
    let unused_note = if unused.is_empty() {
        String::new()
    } else {
        format!(
            "; mx: {} allow(s) no MX of the zone (left from an old MX?)",
            unused.join(", ")
        )
    };
    if refused.is_empty() {
        return (
            Status::Pass,
            format!(
                "{implicit}every MX is allowed by the policy: {}{unused_note}",
                allowed
                    .iter()
                    .map(|h| format!("{h} ({})", policy.allows(h).unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    (
        Status::Fail,
        format!(
            "{implicit}MX {} allowed by no mx: line of the policy: under enforce senders would \
             not deliver to {}; add `mx: HOST` (or a *. pattern) to the policy{unused_note}",
            refused.join(", "),
            if refused.len() == 1 { "it" } else { "them" }
        ),
    )
}

fn tlsrpt(f: &StsFacts) -> (Status, String) {
    let owner = format!("_smtp._tls.{}", f.domain);
    let txts = match &f.tlsrpt_txts {
        Ok(t) => t,
        Err(why) => return (Status::Unknown, format!("{owner}: {why}")),
    };
    let owner = txts.at(&owner);
    match records(Kind::TlsRpt, &txts.values) {
        Records::None => (
            Status::Warn,
            format!(
                "no TLS-RPT record at {owner}: senders send no SMTP TLS reports, so what enforce \
                 refuses goes unseen; publish `_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:…\"`"
            ),
        ),
        Records::One(one, problems) if problems.is_empty() => {
            (Status::Pass, format!("{owner}: {one}"))
        }
        Records::One(one, problems) => (
            Status::Warn,
            format!(
                "{owner} {one:?} cannot be used, so no reports arrive: {}",
                problems.join("; ")
            ),
        ),
        Records::Many(n) => (
            Status::Warn,
            format!(
                "{owner} holds {n} TLS-RPT records: senders ignore them all, so no reports \
                 arrive; keep one"
            ),
        ),
    }
}

fn reports(f: &StsFacts) -> (Status, String) {
    let Some(facts) = &f.reports else {
        return (
            Status::Unknown,
            "no SMTP TLS reports read (--reports PATH, or tlsrpt_reports in the configuration: \
             the `_smtp._tls` rua mailbox's reports): enforcing without the evidence of testing \
             is blind"
                .to_owned(),
        );
    };
    if let Some(unknown) = facts.unreadable_error() {
        return unknown;
    }
    let unreadable = facts.unreadable_note("tlsrpt report");
    let Some(d) = facts.summary.as_ref().filter(|d| d.sessions() > 0) else {
        return (
            Status::Unknown,
            format!(
                "no SMTP TLS report about this zone's sessions in {}{unreadable}: wait for \
                 senders' reports (is `_smtp._tls` published?) before enforcing",
                facts.read_from
            ),
        );
    };
    let seen = format!(
        "{} session(s) in {} report(s), {}{}{unreadable}{}",
        d.sessions(),
        d.reports,
        report_period(d.begin, d.end),
        facts.older_note(d.older),
        facts.stale_note(d.end).as_deref().unwrap_or_default()
    );
    // Every MTA-STS mode counts: a failure under testing is one enforce would not deliver
    // over, one under enforce was not delivered over. Failures to fetch the policy itself are
    // not: those senders fall back to a cached policy or none.
    let (ok, failed) = d
        .by_policy
        .iter()
        .filter(|(applied, _)| applied.is_sts())
        .fold((0u64, 0u64), |(o, f), (_, (ok, failed))| {
            (o.saturating_add(*ok), f.saturating_add(*failed))
        });
    let all = ok.saturating_add(failed);
    let fetch = fetch_failures(d, Applied::is_sts);
    let refused = failed.saturating_sub(fetch);
    let mut status = if all == 0 {
        Status::Unknown
    } else if u128::from(refused) * 1000 > u128::from(all) * u128::from(FAIL_PER_MILLE) {
        Status::Fail
    } else if failed > 0 {
        Status::Warn
    } else {
        Status::Pass
    };
    let verdict = if all == 0 {
        "the senders applied no MTA-STS policy in these sessions: is the policy served, and \
         did they see the record?"
            .to_owned()
    } else if failed == 0 {
        format!("no session under the MTA-STS policy failed, of {all}")
    } else {
        let groups: Vec<String> = d
            .failures
            .iter()
            .filter(|g| g.policy.is_sts() && !POLICY_FETCH_RESULTS.contains(&g.result.as_str()))
            .take(3)
            .map(|g| {
                let at = if g.receiving.is_empty() {
                    "an MX not named"
                } else {
                    &g.receiving
                };
                let hint = result_hint(&g.result)
                    .map(|h| format!(": {}", h.replace("DOMAIN", &f.domain)))
                    .unwrap_or_default();
                format!("{} at {at} ({}){hint}", g.result, g.sessions)
            })
            .collect();
        let detail = if groups.is_empty() {
            String::new()
        } else {
            format!("; fix {}", groups.join("; "))
        };
        let fetch_note = if fetch == 0 {
            String::new()
        } else {
            format!(
                "; {fetch} session(s) could not fetch or check the policy itself: fix the \
                 policy host (`zonectl tlsrpt report` lists them)"
            )
        };
        format!(
            "enforce would not deliver over {refused} of {all} session(s) under the \
             policy{detail}{fetch_note}"
        )
    };
    if facts.stale_note(d.end).is_some() && status == Status::Pass {
        status = Status::Warn;
    }
    (status, format!("{verdict} ({seen})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlsrpt::report::{Failure, Policy as ReportPolicy, PolicyType, Report};
    use crate::tlsrpt::summary::summarize;

    const POLICY: &[u8] =
        b"version: STSv1\nmode: testing\nmx: mail.apple.example\nmax_age: 604800\n";
    const END: i64 = 1_795_910_399; // 2026-11-28T23:59:59Z

    fn facts() -> StsFacts {
        StsFacts {
            domain: "apple.example".into(),
            record_txts: Ok(txts(&["v=STSv1; id=20261128", "other"])),
            policy_host: Ok(PolicyHost::Address),
            policy: Some(Ok(POLICY.to_vec())),
            policy_from: "mta-sts.txt".into(),
            mx: Ok(MailHosts::Mx(vec!["mail.apple.example".into()])),
            tlsrpt_txts: Ok(txts(&["v=TLSRPTv1; rua=mailto:tlsrpt@apple.example"])),
            reports: Some(report_facts(1000, &[])),
        }
    }

    fn txts(values: &[&str]) -> Txts {
        Txts {
            values: values.iter().map(|v| v.to_string()).collect(),
            via: None,
        }
    }

    fn report_facts(ok: u64, failures: &[(&str, u64)]) -> ReportFacts<DomainSummary> {
        let report = Report {
            org_name: "Google Inc.".into(),
            contact: String::new(),
            report_id: "1".into(),
            begin: Some(END - 86_399),
            end: Some(END),
            policies: vec![ReportPolicy {
                kind: PolicyType::Sts,
                domain: "apple.example".into(),
                strings: vec![],
                mx_hosts: vec![],
                successful: ok,
                failed: failures.iter().map(|f| f.1).sum(),
                failures: failures
                    .iter()
                    .map(|&(result, sessions)| Failure {
                        result: result.into(),
                        sending_ip: String::new(),
                        receiving_mx: "mail.apple.example".into(),
                        receiving_ip: String::new(),
                        reason_code: String::new(),
                        sessions,
                    })
                    .collect(),
            }],
            problems: vec![],
        };
        ReportFacts {
            read_from: "reports".into(),
            summary: summarize([&report], Some(14)).domains.into_iter().next(),
            unreadable: 0,
            error: None,
            window_days: 14,
            now: END + 3600,
        }
    }

    fn item<'a>(r: &'a Readiness, check: &str) -> &'a Item {
        r.items.iter().find(|i| i.check == check).unwrap()
    }

    #[test]
    fn a_testing_policy_covering_every_mx_with_clean_reports_is_ready() {
        let r = check(&facts());
        assert!(r.ready(), "{r:?}");
        assert!(r.items.iter().all(|i| i.status == Status::Pass), "{r:?}");
        assert_eq!(
            item(&r, "record").detail,
            "_mta-sts.apple.example: id=20261128"
        );
        assert_eq!(
            item(&r, "mx").detail,
            "every MX is allowed by the policy: mail.apple.example (mail.apple.example)"
        );
        assert!(item(&r, "reports")
            .detail
            .starts_with("no session under the MTA-STS policy failed, of 1000 (1000 session(s) in 1 report(s), 2026-11-28 to 2026-11-28)"));
    }

    #[test]
    fn an_mx_the_policy_does_not_allow_fails() {
        let mut f = facts();
        f.mx = Ok(MailHosts::Mx(vec![
            "mail.apple.example".into(),
            "mx2.apple.example".into(),
        ]));
        f.policy = Some(Ok(
            b"version: STSv1\nmode: testing\nmx: mail.apple.example\nmx: *.old.example\nmax_age: 86400".to_vec(),
        ));
        let r = check(&f);
        assert_eq!(r.unmet(), ["mx FAIL"]);
        assert_eq!(
            item(&r, "mx").detail,
            "MX mx2.apple.example allowed by no mx: line of the policy: under enforce senders \
             would not deliver to it; add `mx: HOST` (or a *. pattern) to the policy; mx: \
             *.old.example allow(s) no MX of the zone (left from an old MX?)"
        );
        // No MX record: the domain itself is the mail host, and must be allowed.
        f.mx = Ok(MailHosts::Implicit("apple.example".into()));
        let r = check(&f);
        assert_eq!(r.unmet(), ["mx FAIL"]);
        assert!(item(&r, "mx").detail.starts_with(
            "no MX record, so senders deliver to the domain itself (RFC 5321 §5.1): MX \
             apple.example allowed by no mx: line"
        ));
        f.policy = Some(Ok(
            b"version: STSv1\nmode: testing\nmx: apple.example\nmax_age: 86400".to_vec(),
        ));
        assert_eq!(item(&check(&f), "mx").status, Status::Pass);
        f.mx = Ok(MailHosts::NullMx);
        let null = check(&f);
        assert_eq!(item(&null, "mx").status, Status::Warn);
        assert!(item(&null, "mx")
            .detail
            .contains("null MX (RFC 7505): it receives no mail"));
        f.mx = Ok(MailHosts::NoMail);
        assert_eq!(check(&f).unmet(), ["mx FAIL"]);
    }

    #[test]
    fn delegated_records_are_read_at_their_target_and_said_so() {
        let mut f = facts();
        f.record_txts = Ok(Txts {
            values: vec!["v=STSv1; id=abc".into()],
            via: Some("_mta-sts.provider.example".into()),
        });
        f.policy_host = Ok(PolicyHost::Cname("sts.provider.example".into()));
        let r = check(&f);
        assert!(r.ready(), "{r:?}");
        assert_eq!(
            item(&r, "record").detail,
            "_mta-sts.apple.example (a CNAME to _mta-sts.provider.example): id=abc"
        );
        assert_eq!(
            item(&r, "policy-host").detail,
            "mta-sts.apple.example is a CNAME to sts.provider.example (not followed: the policy \
             is served there)"
        );
    }

    #[test]
    fn failures_over_half_a_percent_fail_and_below_warn() {
        let mut f = facts();
        f.reports = Some(report_facts(994, &[("certificate-host-mismatch", 6)]));
        let r = check(&f);
        assert_eq!(r.unmet(), ["reports FAIL"]);
        assert!(item(&r, "reports").detail.starts_with(
            "enforce would not deliver over 6 of 1000 session(s) under the policy; fix \
             certificate-host-mismatch at mail.apple.example (6): the MX's certificate does not \
             name the MX host"
        ));
        f.reports = Some(report_facts(995, &[("starttls-not-supported", 5)]));
        assert_eq!(item(&check(&f), "reports").status, Status::Warn);
        // Failing to fetch the policy is not a refusal: a warning that names the policy host.
        f.reports = Some(report_facts(900, &[("sts-policy-fetch-error", 100)]));
        let fetch = check(&f);
        assert_eq!(item(&fetch, "reports").status, Status::Warn);
        assert!(
            item(&fetch, "reports").detail.starts_with(
                "enforce would not deliver over 0 of 1000 session(s) under the policy; 100 \
                 session(s) could not fetch or check the policy itself: fix the policy host"
            ),
            "{fetch:?}"
        );
        // Stale evidence warns; no evidence warns; unreadable evidence is unknown.
        let mut stale = report_facts(10, &[]);
        stale.now = END + 30 * 86_400;
        f.reports = Some(stale);
        let i = check(&f);
        assert_eq!(item(&i, "reports").status, Status::Warn);
        assert!(item(&i, "reports")
            .detail
            .contains("are reports still arriving?"));
        // No evidence: not ready, since enforcing without the reports of testing is blind.
        f.reports = None;
        assert_eq!(check(&f).unmet(), ["reports unknown"]);
        let mut unreadable = report_facts(10, &[]);
        unreadable.error = Some("No such file or directory".into());
        f.reports = Some(unreadable);
        assert_eq!(check(&f).unmet(), ["reports unknown"]);
    }

    #[test]
    fn missing_pieces_fail_or_are_unknown() {
        let mut f = facts();
        f.record_txts = Ok(txts(&["v=STSv1; id=2026-11-28"]));
        f.policy_host = Ok(PolicyHost::Missing);
        f.policy = None;
        f.tlsrpt_txts = Ok(txts(&[]));
        let r = check(&f);
        assert_eq!(
            r.unmet(),
            [
                "record FAIL",
                "policy-host FAIL",
                "policy unknown",
                "mx unknown"
            ]
        );
        assert_eq!(item(&r, "tlsrpt").status, Status::Warn);
        assert!(item(&r, "policy")
            .detail
            .contains("give --policy FILE (or the zone's mta_sts_policy in the configuration), a copy of what https://mta-sts.apple.example/.well-known/mta-sts.txt serves"));
        f.policy = Some(Ok(
            b"version: STSv1\nmode: enforce\nmax_age: 86400\n".to_vec()
        ));
        let r = check(&f);
        assert!(
            item(&r, "policy").detail.contains("no valid mx: line"),
            "{r:?}"
        );
        // mode none is no step towards enforce.
        f.policy = Some(Ok(
            b"version: STSv1\nmode: none\nmx: mail.apple.example\nmax_age: 0\n".to_vec(),
        ));
        assert_eq!(item(&check(&f), "policy").status, Status::Fail);
        f.record_txts = Ok(txts(&["v=STSv1; id=1", "v=STSv1; id=2"]));
        assert!(item(&check(&f), "record")
            .detail
            .contains("holds 2 MTA-STS records"));
    }
}
