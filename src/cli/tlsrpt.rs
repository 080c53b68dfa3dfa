//! `zonectl tlsrpt report PATH…`: SMTP TLS reports (RFC 8460) read from files and summed per
//! policy domain (the rules are in [`crate::tlsrpt`]; this file prints). The files are found
//! and read as `dmarc report` reads them ([`super::report_files`]); DMARC reports among them are
//! passed over and counted.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::report_files::{
    exit_status, older_note, period, print_errors, read_named, unreadable, FileRead,
};
use super::Settings;
use crate::dmarc::treewalk::normalize;
use crate::tally::{percent, plural};
use crate::tlsrpt::summary::{
    meaning, result_hint, summarize, DomainSummary, FailureGroup, Summary,
};
use crate::tlsrpt::Report;
use crate::zone::civil::format_iso;

/// `zonectl tlsrpt …`
#[derive(Debug, Args)]
pub struct TlsrptArgs {
    #[command(subcommand)]
    pub command: TlsrptCommand,
}

#[derive(Debug, Subcommand)]
pub enum TlsrptCommand {
    /// Read SMTP TLS reports (JSON, gzip, or the mail they came in): per policy domain, the
    /// SMTP sessions senders made to its MX, those that failed TLS and why, and what MTA-STS
    /// `mode: enforce` would have refused. Exit 1 if a file is not a report, or if --domain
    /// has none.
    Report(ReportArgs),
}

/// `zonectl tlsrpt report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report files (JSON, gzip, zip, or the mail they came in: a saved message or an mbox
    /// folder; the format is told by the bytes, not the name) or directories of them (read
    /// with their subdirectories; names starting with a dot are skipped); `-` reads standard
    /// input (a message piped from a mail client).
    #[arg(value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<PathBuf>,
    /// Only this policy domain.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Failure groups listed per domain, most failed sessions first (--json lists all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Only the reports whose period ended within N days of the domain's newest report.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub days: Option<u32>,
}

impl TlsrptArgs {
    pub fn run(self, s: &Settings) -> anyhow::Result<ExitCode> {
        match self.command {
            TlsrptCommand::Report(args) => report(s, args),
        }
    }
}

fn report(s: &Settings, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let read = read_named(&args.paths)?;
    let domain = args.domain.as_deref().map(normalize);
    // Only the reports about the domain, so that duplicates are counted among them.
    let reports = read
        .iter()
        .flat_map(|f| f.tls.iter().map(|(_, r)| r))
        .filter(|r| {
            domain
                .as_ref()
                .is_none_or(|d| r.policies.iter().any(|p| &p.domain == d))
        });
    let mut summary = summarize(reports, args.days);
    if let Some(d) = &domain {
        summary.domains.retain(|s| &s.domain == d);
    }
    print_errors(&read, |f| &f.tls, |r| &r.problems);
    if s.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&read, &summary))?
        );
    } else {
        print_text(&read, &summary, args.top);
    }
    let unmatched = domain
        .filter(|_| summary.domains.is_empty())
        .map(|d| format!("no SMTP TLS report for {d} in what was read"));
    Ok(exit_status(&read, unmatched))
}

fn print_text(read: &[FileRead], summary: &Summary, top: usize) {
    let reports = read.iter().map(|f| f.tls.len()).sum::<usize>() as u64;
    let readable = read.iter().filter(|f| !f.tls.is_empty()).count();
    let files = read.len() as u64;
    let mut line = format!(
        "read {reports} SMTP TLS report{} from {readable} of {files} file{}",
        plural(reports),
        plural(files)
    );
    if summary.duplicates > 0 {
        line += &format!(
            "; {} left out as duplicates (same reporter and report id)",
            summary.duplicates
        );
    }
    let dmarc = read.iter().map(|f| f.dmarc.len()).sum::<usize>() as u64;
    if dmarc > 0 {
        line += &format!(
            "; {dmarc} DMARC aggregate report{} passed over (`zonectl dmarc report` reads {})",
            plural(dmarc),
            if dmarc == 1 { "it" } else { "them" }
        );
    }
    println!("{line}");
    for d in &summary.domains {
        println!();
        print_domain(d, top);
    }
}

fn print_domain(d: &DomainSummary, top: usize) {
    println!(
        "{}: {} report{}, {}{}",
        d.domain,
        d.reports,
        plural(d.reports as u64),
        period(d.begin, d.end),
        older_note(d.older)
    );
    let reporters: Vec<String> = d
        .reporters
        .iter()
        .map(|(org, n)| format!("{} {n}", if org.is_empty() { "(unnamed)" } else { org }))
        .collect();
    println!("  reporters (sessions): {}", reporters.join(", "));
    if d.sts_mode.is_some() || !d.sts_mx.is_empty() {
        println!(
            "  MTA-STS policy (the newest reported): mode {}, mx {}",
            d.sts_mode.as_deref().unwrap_or("not said"),
            if d.sts_mx.is_empty() {
                "not said".into()
            } else {
                d.sts_mx.join(", ")
            }
        );
    }
    let all = d.sessions();
    println!(
        "  sessions: {all}; succeeded {} ({}), failed {} ({})",
        d.successful(),
        percent(d.successful(), all),
        d.failed(),
        percent(d.failed(), all)
    );
    for line in meaning(d) {
        println!("  {line}");
    }
    if d.failures.is_empty() {
        if d.failed() > 0 {
            println!("  the reports give no details of the failed sessions");
        }
        return;
    }
    let shown = d.failures.len().min(top);
    match shown {
        0 => println!(
            "  failures: {} kinds (--top N lists them)",
            d.failures.len()
        ),
        n if n == d.failures.len() => println!("  failures, most sessions first:"),
        n => println!(
            "  failures, most sessions first ({n} of {}; --top N for more):",
            d.failures.len()
        ),
    }
    let width =
        |f: fn(&FailureGroup) -> usize| d.failures[..shown].iter().map(f).max().unwrap_or(0);
    let result_w = width(|g| g.result.chars().count());
    let at_w = width(|g| at(g).chars().count());
    let count_w = width(|g| g.sessions.to_string().len());
    for g in &d.failures[..shown] {
        let ips = g.sending_ips.len() as u64;
        let mut line = format!(
            "    {:result_w$}  at {:at_w$}  {:>count_w$} session{}",
            g.result,
            at(g),
            g.sessions,
            plural(g.sessions)
        );
        if ips > 0 {
            line += &format!(" from {ips} sending IP{}", plural(ips));
        }
        line += &format!("  ({})", g.policy);
        if !g.reason_codes.is_empty() {
            let codes: Vec<&str> = g.reason_codes.iter().map(String::as_str).collect();
            line += &format!("  reason {}", codes.join(", "));
        }
        if let Some(hint) = result_hint(&g.result) {
            line += &format!(": {}", hint.replace("DOMAIN", &d.domain));
        }
        println!("{line}");
    }
    if d.detailed() < d.failed() {
        println!(
            "  details given for {} of {} failed sessions",
            d.detailed(),
            d.failed()
        );
    }
}

/// Where a failure group's sessions went: the MX, with its addresses when the reports named
/// them, or `(not said)`.
fn at(g: &FailureGroup) -> String {
    let ips: Vec<&str> = g
        .receiving_ips
        .iter()
        .map(String::as_str)
        .filter(|ip| *ip != g.receiving)
        .collect();
    match (g.receiving.is_empty(), ips.is_empty()) {
        (true, _) => "(not said)".into(),
        (false, true) => g.receiving.clone(),
        (false, false) => format!("{} [{}]", g.receiving, ips.join(", ")),
    }
}

fn report_json(inside: &[String], r: &Report) -> Value {
    let time = |t: Option<i64>| t.map(format_iso);
    let (ok, failed) = r.policies.iter().fold((0u64, 0u64), |(ok, f), p| {
        (ok.saturating_add(p.successful), f.saturating_add(p.failed))
    });
    json!({
        "inside": inside,
        "org_name": r.org_name,
        "contact": r.contact,
        "report_id": r.report_id,
        "begin": time(r.begin),
        "end": time(r.end),
        "policies": r.policies.iter().map(|p| json!({
            "policy_type": p.kind.as_str(),
            "domain": p.domain,
            "successful": p.successful,
            "failed": p.failed,
            "failure_details": p.failures.iter().map(|f| json!({
                "result": f.result,
                "sending_ip": f.sending_ip,
                "receiving_mx": f.receiving_mx,
                "receiving_ip": f.receiving_ip,
                "reason_code": f.reason_code,
                "sessions": f.sessions,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "successful": ok,
        "failed": failed,
        "problems": r.problems,
    })
}

fn to_json(read: &[FileRead], summary: &Summary) -> Value {
    let time = |t: Option<i64>| t.map(format_iso);
    let files: Vec<Value> = read
        .iter()
        .map(|f| {
            let reports: Vec<Value> = f.tls.iter().map(|(i, r)| report_json(i, r)).collect();
            json!({
                "path": f.path.display().to_string(),
                "reports": reports,
                "dmarc_reports": f.dmarc.len(),
                "errors": f.errors,
            })
        })
        .collect();
    let domains: Vec<Value> = summary
        .domains
        .iter()
        .map(|d| {
            let by_policy: serde_json::Map<String, Value> = d
                .by_policy
                .iter()
                .map(|(k, (ok, failed))| {
                    (k.to_string(), json!({"successful": ok, "failed": failed}))
                })
                .collect();
            json!({
                "domain": d.domain,
                "reports": d.reports,
                "older": d.older,
                "reporters": d.reporters.iter()
                    .map(|(org, n)| json!({"org_name": org, "sessions": n}))
                    .collect::<Vec<_>>(),
                "begin": time(d.begin),
                "end": time(d.end),
                "sessions": d.sessions(),
                "successful": d.successful(),
                "failed": d.failed(),
                "by_policy": by_policy,
                "sts_mode": d.sts_mode,
                "sts_mx": d.sts_mx,
                "meaning": meaning(d),
                "failures": d.failures.iter().map(|g| json!({
                    "policy_type": g.policy.kind.as_str(),
                    "mode": g.policy.mode,
                    "result": g.result,
                    "receiving": g.receiving,
                    "receiving_ips": g.receiving_ips,
                    "sessions": g.sessions,
                    "sending_ips": g.sending_ips,
                    "reason_codes": g.reason_codes,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({"files": files, "duplicates": summary.duplicates, "domains": domains})
}

/// The SMTP TLS reports about `domain` in `paths` that ended within `window_days` of the
/// newest, summed (None if there is none), and how many files there are not reports: the
/// readiness evidence of `mta-sts check`.
pub(super) fn evidence_for(
    paths: &[PathBuf],
    domain: &str,
    window_days: u32,
) -> anyhow::Result<(Option<DomainSummary>, usize)> {
    let read = super::report_files::read_paths(paths)?;
    let domain = normalize(domain);
    let reports = read.iter().flat_map(|f| f.tls.iter().map(|(_, r)| r));
    let summary = summarize(reports, Some(window_days));
    let found = summary.domains.into_iter().find(|d| d.domain == domain);
    Ok((found, unreadable(&read)))
}
