//! `zonectl mta-sts check ZONE`: readiness for MTA-STS `mode: enforce` (the rules are in
//! [`crate::mail_policy::sts_readiness`]; this file gathers the facts: the zone's records as
//! served, the policy file given, the SMTP TLS reports read).

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::dmarc::{origin_text, print_verdict, ResolverArg, ServedDns};
use super::{edit, Settings};
use crate::dmarc::readiness::DEFAULT_REPORT_DAYS;
use crate::mail_policy::sts_policy::MAX_POLICY_BYTES;
use crate::mail_policy::sts_readiness::{self, StsFacts};
use crate::zone::{Name, RType};

/// `zonectl mta-sts …`
#[derive(Debug, Args)]
pub struct MtaStsArgs {
    #[command(subcommand)]
    pub command: MtaStsCommand,
}

#[derive(Debug, Subcommand)]
pub enum MtaStsCommand {
    /// Readiness for MTA-STS `mode: enforce`: the `_mta-sts` record, the policy host's
    /// address, the policy file (--policy), every MX allowed by its `mx:` lines, the
    /// `_smtp._tls` record, and the SMTP TLS reports (--reports). Exit 0 if ready, 1 if not.
    Check(CheckArgs),
}

/// `zonectl mta-sts check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    pub zone: String,
    /// The policy file, as served at https://mta-sts.ZONE/.well-known/mta-sts.txt (a copy,
    /// or the file the web server serves).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// SMTP TLS reports (files or directories, as `tlsrpt report` reads them): the sessions
    /// that failed under the policy are what enforce would refuse. Repeat for more.
    #[arg(long = "reports", value_name = "PATH")]
    pub reports: Vec<PathBuf>,
    /// Only the reports that ended within N days of the zone's newest [default: 14].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub report_days: Option<u32>,
    #[command(flatten)]
    pub resolver: ResolverArg,
}

impl MtaStsArgs {
    pub fn run(self, s: &Settings) -> anyhow::Result<ExitCode> {
        match self.command {
            MtaStsCommand::Check(args) => check(s, &args),
        }
    }
}

fn check(s: &Settings, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let data = edit::zone_data(s, &args.zone)?;
    let origin = origin_text(&data);
    let domain = origin.trim_end_matches('.').to_owned();
    let dns = ServedDns::load(s, args.resolver.resolver)?;
    let policy_host = format!("mta-sts.{domain}");
    let has_address = [RType::A, RType::AAAA, RType::CNAME]
        .iter()
        .map(|&t| dns.ask(&policy_host, t).map(|(_, rds)| !rds.is_empty()))
        .try_fold(false, |any, has| has.map(|h| any || h));
    let mx = dns.ask(&domain, RType::MX).map(|(_, rds)| {
        rds.iter()
            .filter_map(|rd| Name::from_wire(rd.get(2..)?).ok())
            .map(|n| n.to_string().trim_end_matches('.').to_owned())
            .filter(|h| !h.is_empty()) // a null MX (RFC 7505) names no host
            .collect()
    });
    let window_days = args.report_days.unwrap_or(DEFAULT_REPORT_DAYS);
    let reports = (!args.reports.is_empty()).then(|| {
        super::report_files::report_facts(&args.reports, window_days, |paths| {
            super::tlsrpt::evidence_for(paths, &domain, window_days)
        })
    });
    let facts = StsFacts {
        record_txts: dns.txt_values(&format!("_mta-sts.{domain}")),
        policy_host: has_address,
        policy: args.policy.as_deref().map(read_policy),
        policy_from: args
            .policy
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string()),
        mx,
        tlsrpt_txts: dns.txt_values(&format!("_smtp._tls.{domain}")),
        reports,
        domain,
    };
    print_verdict(
        s,
        &sts_readiness::check(&facts),
        &origin,
        "MTA-STS mode: enforce",
    )
}

/// The policy file's bytes, or why they cannot be read. Only a regular file is read, and only
/// up to what senders read (one byte more, so a larger one is seen as larger).
fn read_policy(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let meta = fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(MAX_POLICY_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}
