//! `zonectl dmarc report PATH…`: DMARC aggregate reports read from files and summed per
//! policy domain (the rules are in [`crate::dmarc::aggregate`]; this file reads the files and
//! prints).
//!
//! Every file is read on its own: one that is not a report, or cannot be read, is named on
//! stderr with why, the others are still summed, and the exit status is 1.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use serde_json::{json, Value};

use super::report_files::{
    exit_status, older_note, period, print_errors, read_named, read_paths, unreadable, FileRead,
};
use super::Settings;
use crate::dmarc::aggregate::summary::{
    summarize, DomainSummary, Failing, Source, Summary, EXEMPTING,
};
use crate::dmarc::aggregate::Report;
use crate::dmarc::treewalk::normalize;
use crate::tally::{self, percent};
use crate::zone::civil::format_iso;

/// `zonectl dmarc report`
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Report files (XML, gzip, zip, or the mail they came in: a saved message or an mbox
    /// folder; the format is told by the bytes, not the name) or directories of them (read
    /// with their subdirectories; names starting with a dot are skipped); `-` reads standard
    /// input (a message piped from a mail client).
    #[arg(value_name = "PATH", required = true, num_args = 1..)]
    pub paths: Vec<PathBuf>,
    /// Only this policy domain.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: Option<String>,
    /// Failing sources listed per domain, most failing first (--json lists all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Only the reports whose period ended within N days of the domain's newest report.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub days: Option<u32>,
}

pub fn run(s: &Settings, args: ReportArgs) -> anyhow::Result<ExitCode> {
    let read = read_named(&args.paths)?;
    let domain = args.domain.as_deref().map(normalize);
    let wanted = |r: &&Report| domain.as_ref().is_none_or(|d| &r.domain == d);
    let summary = summarize(reports_in(&read).filter(wanted), args.days);
    print_errors(&read, |f| &f.dmarc, |r| &r.problems);
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
        .map(|d| format!("no report for {d} in what was read"));
    Ok(exit_status(&read, unmatched))
}

/// The reports about `domain` in `paths` that ended within `window_days` of the newest,
/// summed (None if there is none), and how many files there are not reports: the readiness
/// evidence of `dmarc check` and `dmarc rollout`.
pub(super) fn evidence_for(
    paths: &[PathBuf],
    domain: &str,
    window_days: u32,
) -> anyhow::Result<(Option<DomainSummary>, usize)> {
    let read = read_paths(paths)?;
    let domain = normalize(domain);
    let summary = summarize(
        reports_in(&read).filter(|r| r.domain == domain),
        Some(window_days),
    );
    Ok((summary.domains.into_iter().next(), unreadable(&read)))
}

/// The `s` of a plural, for counts of files and reports.
fn plural(n: usize) -> &'static str {
    tally::plural(n as u64)
}

/// Every DMARC report read.
fn reports_in(read: &[FileRead]) -> impl Iterator<Item = &Report> {
    read.iter().flat_map(|f| f.dmarc.iter().map(|(_, r)| r))
}

fn print_text(read: &[FileRead], summary: &Summary, top: usize) {
    let reports: usize = read.iter().map(|f| f.dmarc.len()).sum();
    let readable = read.iter().filter(|f| !f.dmarc.is_empty()).count();
    let mut line = format!(
        "read {reports} report{} from {readable} of {} file{}",
        plural(reports),
        read.len(),
        plural(read.len())
    );
    if summary.duplicates > 0 {
        line += &format!(
            "; {} left out as duplicates (same reporter and report id)",
            summary.duplicates
        );
    }
    let tls: usize = read.iter().map(|f| f.tls.len()).sum();
    if tls > 0 {
        line += &format!(
            "; {tls} SMTP TLS report{} passed over (`zonectl tlsrpt report` reads {})",
            plural(tls),
            if tls == 1 { "it" } else { "them" }
        );
    }
    println!("{line}");
    for d in &summary.domains {
        println!();
        print_domain(d, top);
    }
}

fn print_domain(d: &DomainSummary, top: usize) {
    let reporters: Vec<String> = d
        .reporters
        .iter()
        .map(|(org, n)| format!("{} {n}", if org.is_empty() { "(unnamed)" } else { org }))
        .collect();
    println!(
        "{}: {} report{}, {}{}",
        d.domain,
        d.reports,
        plural(d.reports),
        period(d.begin, d.end),
        older_note(d.older)
    );
    println!("  reporters (messages): {}", reporters.join(", "));
    let published: Vec<String> = d
        .published
        .iter()
        .map(|(t, v)| format!("{t}={v}"))
        .collect();
    println!("  published (latest report): {}", published.join(" "));
    println!(
        "  messages: {}; DMARC pass {} ({}): DKIM aligned {}, SPF aligned {}",
        d.messages,
        d.passed,
        percent(d.passed, d.messages),
        d.dkim_aligned,
        d.spf_aligned
    );
    if d.failed() == 0 {
        println!("  DMARC fail: none: a stricter policy would have changed nothing for this mail");
    } else {
        println!(
            "  DMARC fail: {} ({}): the mail p=quarantine quarantines and p=reject rejects",
            d.failed(),
            percent(d.failed(), d.messages)
        );
    }
    let counts = |m: &std::collections::BTreeMap<String, u64>| -> String {
        let parts: Vec<String> = m
            .iter()
            .map(|(k, n)| format!("{} {n}", if k.is_empty() { "(not said)" } else { k }))
            .collect();
        parts.join(", ")
    };
    println!("  receivers applied: {}", counts(&d.dispositions));
    if !d.overrides.is_empty() {
        println!("  receivers' overrides: {}", counts(&d.overrides));
    }
    let failing: Vec<&Source> = d.sources.iter().filter(|s| s.failed > 0).collect();
    if !failing.is_empty() {
        let shown = failing.len().min(top);
        match shown {
            0 => println!("  failing sources: {} (--top N lists them)", failing.len()),
            n if n == failing.len() => println!("  failing sources, most failing mail first:"),
            n => println!(
                "  failing sources, most failing mail first ({n} of {}; --top N for more):",
                failing.len()
            ),
        }
        let width = failing[..shown]
            .iter()
            .map(|s| s.ip.len())
            .max()
            .unwrap_or(0);
        for s in &failing[..shown] {
            println!("    {}", source_line(s, width));
        }
    }
    let passing = d.sources.iter().filter(|s| s.failed == 0);
    let (n, messages) = passing.fold((0, 0u64), |(n, m), s| (n + 1, m.saturating_add(s.messages)));
    if n > 0 {
        println!(
            "  sources with no failing mail: {n} ({messages} message{})",
            tally::plural(messages)
        );
    }
}

/// `IP  N of M fail  From a.example  SPF x=pass  DKIM none  (forwarded)`.
fn source_line(s: &Source, width: usize) -> String {
    // The results that most of its failing mail had, three at most (--json has them all).
    let keys = |m: &std::collections::BTreeMap<String, u64>| -> String {
        let mut by_mail: Vec<(&String, &u64)> = m.iter().collect();
        by_mail.sort_by_key(|&(_, n)| std::cmp::Reverse(*n));
        let mut parts: Vec<String> = by_mail.iter().take(3).map(|(k, _)| k.to_string()).collect();
        if by_mail.len() > 3 {
            parts.push(format!("{} more", by_mail.len() - 3));
        }
        parts.join(", ")
    };
    let from: Vec<&str> = s.header_from.iter().map(String::as_str).collect();
    let mut line = format!(
        "{:width$}  {} of {} fail  From {}  SPF {}  DKIM {}",
        s.ip,
        s.failed,
        s.messages,
        if from.is_empty() {
            "?".into()
        } else {
            from.join(", ")
        },
        keys(&s.failing_spf),
        keys(&s.failing_dkim),
    );
    let (exempting, other): (Vec<&str>, Vec<&str>) = s
        .overrides
        .iter()
        .map(String::as_str)
        .partition(|o| EXEMPTING.contains(o));
    if !exempting.is_empty() {
        line += &format!("  (exempted by receivers: {})", exempting.join(", "));
    }
    if !other.is_empty() {
        line += &format!("  (overridden, not exempted: {})", other.join(", "));
    }
    match s.failing() {
        Failing::Unaligned => line += "  (passes for another domain: a sender to set up?)",
        Failing::Mixed => {
            line += "  (its other mail passes: a sender of the domain's, partly set up?)"
        }
        Failing::Nothing | Failing::Exempted | Failing::Unauthenticated => {}
    }
    line
}

fn to_json(read: &[FileRead], summary: &Summary) -> Value {
    let time = |t: Option<i64>| t.map(format_iso);
    let files: Vec<Value> = read
        .iter()
        .map(|f| {
            let reports: Vec<Value> = f
                .dmarc
                .iter()
                .map(|(inside, r)| {
                    json!({
                        "inside": inside,
                        "org_name": r.org_name,
                        "email": r.email,
                        "report_id": r.report_id,
                        "domain": r.domain,
                        "begin": time(r.begin),
                        "end": time(r.end),
                        "records": r.rows.len(),
                        "messages": r.rows.iter()
                            .fold(0u64, |sum, row| sum.saturating_add(row.count)),
                        "errors": r.errors,
                        "problems": r.problems,
                    })
                })
                .collect();
            json!({
                "path": f.path.display().to_string(),
                "reports": reports,
                "tls_reports": f.tls.len(),
                "errors": f.errors,
            })
        })
        .collect();
    let domains: Vec<Value> = summary
        .domains
        .iter()
        .map(|d| {
            let sources: Vec<Value> = d
                .sources
                .iter()
                .map(|s| {
                    json!({
                        "ip": s.ip, "messages": s.messages, "failed": s.failed,
                        "failing": s.failing().as_str(),
                        "header_from": s.header_from,
                        "failing_spf": s.failing_spf, "failing_dkim": s.failing_dkim,
                        "overrides": s.overrides,
                    })
                })
                .collect();
            let published: serde_json::Map<String, Value> = d
                .published
                .iter()
                .map(|(t, v)| (t.to_string(), json!(v)))
                .collect();
            json!({
                "domain": d.domain,
                "reports": d.reports,
                "older": d.older,
                "reporters": d.reporters.iter()
                    .map(|(org, n)| json!({"org_name": org, "messages": n}))
                    .collect::<Vec<_>>(),
                "begin": time(d.begin),
                "end": time(d.end),
                "published": published,
                "messages": d.messages,
                "passed": d.passed,
                "failed": d.failed(),
                "dkim_aligned": d.dkim_aligned,
                "spf_aligned": d.spf_aligned,
                "dispositions": d.dispositions,
                "overrides": d.overrides,
                "sources": sources,
            })
        })
        .collect();
    json!({"files": files, "duplicates": summary.duplicates, "domains": domains})
}
