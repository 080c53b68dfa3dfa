//! `zonectl mta-sts check ZONE`: readiness for MTA-STS `mode: enforce` (the rules are in
//! [`crate::mail_policy::sts_readiness`]; this file gathers the facts: the zone's records as
//! served, the policy file given, the SMTP TLS reports read). `zonectl mta-sts publish ZONE`:
//! a new policy file checked, then announced to senders with a new `_mta-sts` id through the
//! edit path (one serial bump, applied to the running server, verified on the wire).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use super::dmarc::{origin_text, print_verdict, ResolverArg, ServedDns};
use super::edit::EditOptions;
use super::{edit, Settings};
use crate::clock;
use crate::dmarc::readiness::DEFAULT_REPORT_DAYS;
use crate::mail_policy::sts_policy::{self, Mode, MAX_POLICY_BYTES};
use crate::mail_policy::sts_readiness::{self, MailHosts, PolicyHost, StsFacts, Txts};
use crate::mail_policy::{mta_sts, Kind};
use crate::zone::edit::EditOp;
use crate::zone::rdata::{mx_exchange, txt_from_value};
use crate::zone::update::Expected;
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
    /// Announce a new policy file: it must parse (RFC 8461 §3.2) and, under `mode: enforce`,
    /// allow every MX of the zone (else refused, unless --force); then `_mta-sts` gets a new
    /// id (the UTC time), so senders fetch the policy again. Put the file in place on the web
    /// server first. Honours --dry-run.
    Publish(PublishArgs),
    /// Check a policy file alone (RFC 8461 §3.2): what senders read in it, or why they refuse
    /// it; with --mx, which of those MX hosts it allows (§4.1). Exit 1 if it is not valid, or a
    /// host is not allowed.
    Policy(PolicyArgs),
}

/// `zonectl mta-sts policy`
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// The policy file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// An MX host to match against the policy's patterns (repeat for more).
    #[arg(long = "mx", value_name = "HOST")]
    pub mx: Vec<String>,
}

/// `zonectl mta-sts publish`
#[derive(Debug, Args)]
pub struct PublishArgs {
    pub zone: String,
    /// The policy file, as the web server now serves it at
    /// https://mta-sts.ZONE/.well-known/mta-sts.txt [default: the zone's `mta_sts_policy` in
    /// the configuration].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Publish an enforced policy even though an MX of the zone is not allowed by it (senders
    /// will not deliver to that MX).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub resolver: ResolverArg,
}

/// `zonectl mta-sts check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    pub zone: String,
    /// The policy file, as served at https://mta-sts.ZONE/.well-known/mta-sts.txt (a copy,
    /// or the file the web server serves) [default: the zone's `mta_sts_policy` in the
    /// configuration].
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// SMTP TLS reports (files or directories, as `tlsrpt report` reads them): the sessions
    /// that failed under the policy are what enforce would refuse. Repeat for more [default:
    /// the configuration's `tlsrpt_reports`].
    #[arg(long = "reports", value_name = "PATH")]
    pub reports: Vec<PathBuf>,
    /// Only the reports that ended within N days of the zone's newest [default: the
    /// configuration's `dmarc_report_days`, else 14].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub report_days: Option<u32>,
    #[command(flatten)]
    pub resolver: ResolverArg,
}

impl MtaStsArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        match self.command {
            MtaStsCommand::Check(args) => check(s, &args),
            MtaStsCommand::Publish(args) => publish(s, o, &args),
            MtaStsCommand::Policy(args) => policy(s, &args),
        }
    }
}

fn policy(s: &Settings, args: &PolicyArgs) -> anyhow::Result<ExitCode> {
    let file = args.file.display().to_string();
    let bytes = read_policy(&args.file).map_err(|e| anyhow!("{file}: {e}"))?;
    let parsed = sts_policy::parse(&bytes);
    let texts = |problems: &[sts_policy::PolicyProblem]| -> Vec<String> {
        problems.iter().map(ToString::to_string).collect()
    };
    let hosts: Vec<(&str, Option<&str>)> = match &parsed {
        Ok(p) => args.mx.iter().map(|h| (h.as_str(), p.allows(h))).collect(),
        Err(_) => Vec::new(),
    };
    // Under mode none senders check no host: the hosts are shown, and do not fail the run.
    let none = matches!(&parsed, Ok(p) if p.mode == sts_policy::Mode::None);
    let ok = parsed.is_ok() && (none || hosts.iter().all(|(_, by)| by.is_some()));
    if s.json {
        let value = match &parsed {
            Ok(p) => json!({
                "file": file,
                "valid": true,
                "policy": {"mode": p.mode.to_string(), "max_age": p.max_age, "mx": p.mx},
                "warnings": texts(&p.warnings),
                "problems": [],
                "hosts": hosts.iter()
                    .map(|(host, by)| json!({"host": host, "allowed_by": by}))
                    .collect::<Vec<_>>(),
            }),
            Err(problems) => json!({
                "file": file, "valid": false, "policy": null, "warnings": [],
                "problems": texts(problems), "hosts": [],
            }),
        };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        match &parsed {
            Ok(p) => {
                println!("{file}: valid: {p}");
                for w in texts(&p.warnings) {
                    println!("  warning: {w}");
                }
                for (host, by) in &hosts {
                    match by {
                        Some(pattern) => println!("{host}: allowed by mx: {pattern}"),
                        None if none => println!("{host}: allowed by no mx: line (mode none)"),
                        None => println!(
                            "{host}: allowed by no mx: line: under mode: enforce senders would \
                             not deliver to it"
                        ),
                    }
                }
            }
            Err(problems) => {
                println!("{file}: not valid: senders refuse it, as if the domain had no policy");
                for p in texts(problems) {
                    println!("  {p}");
                }
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The target of the CNAME at `name`, if it is one.
fn cname_at(dns: &ServedDns, name: &str) -> Result<Option<String>, String> {
    let (_, rds) = dns.ask(name, RType::CNAME)?;
    Ok(rds
        .first()
        .and_then(|rd| Name::from_wire(rd).ok())
        .map(|n| n.to_string().trim_end_matches('.').to_owned()))
}

/// The TXT values at `name`, read at the CNAME's target when `name` is one (in the served
/// zones, else through `--resolver`).
pub(super) fn txts_at(dns: &ServedDns, name: &str) -> Result<Txts, String> {
    match cname_at(dns, name)? {
        None => Ok(Txts {
            values: dns.txt_values(name)?,
            via: None,
        }),
        Some(target) => Ok(Txts {
            values: dns
                .txt_values(&target)
                .map_err(|why| format!("a CNAME to {target}: {why}"))?,
            via: Some(target),
        }),
    }
}

/// Where `domain`'s mail goes: its MX hosts, itself (no MX, an address), or nowhere.
fn mail_hosts(dns: &ServedDns, domain: &str) -> Result<MailHosts, String> {
    let (_, rds) = dns.ask(domain, RType::MX)?;
    let names: Vec<String> = rds
        .iter()
        .filter_map(|rd| mx_exchange(rd))
        .map(|n| n.to_string().trim_end_matches('.').to_owned())
        .collect();
    Ok(match names.as_slice() {
        // RFC 7505: one MX, to the root.
        [only] if only.is_empty() => MailHosts::NullMx,
        [] if host_kind(dns, domain)? == PolicyHost::Address => {
            MailHosts::Implicit(domain.to_owned())
        }
        [] => MailHosts::NoMail,
        _ => MailHosts::Mx(names.into_iter().filter(|n| !n.is_empty()).collect()),
    })
}

/// What `host` is: an address, a CNAME out of the served zones, or nothing.
fn host_kind(dns: &ServedDns, host: &str) -> Result<PolicyHost, String> {
    for t in [RType::A, RType::AAAA] {
        if !dns.ask(host, t)?.1.is_empty() {
            return Ok(PolicyHost::Address);
        }
    }
    Ok(match cname_at(dns, host)? {
        Some(target) => PolicyHost::Cname(target),
        None => PolicyHost::Missing,
    })
}

fn publish(s: &Settings, o: &EditOptions, args: &PublishArgs) -> anyhow::Result<ExitCode> {
    let origin = edit::origin_of(s, &args.zone)?;
    let domain = origin.to_string().trim_end_matches('.').to_owned();
    let Some(path) = policy_path(s, &domain, args.policy.as_deref()) else {
        bail!(
            "{domain}: no policy file: give --policy FILE, or set mta_sts_policy in the zone's \
             [[zone]] of the configuration"
        );
    };
    let file = path.display();
    let refused = |why: String| anyhow!("{domain}: refused, nothing was changed: {why}");
    let bytes = read_policy(&path).map_err(|e| refused(format!("{file}: {e}")))?;
    let policy = sts_policy::parse(&bytes).map_err(|problems| {
        let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
        refused(format!("{file}: {}", problems.join("; ")))
    })?;
    let dns = ServedDns::load(s, args.resolver.resolver, None)?;
    let name = format!("_mta-sts.{domain}");
    if let Ok(Some(target)) = cname_at(&dns, &name) {
        bail!(refused(format!(
            "{name} is a CNAME to {target}: the policy id is changed there, by whoever serves \
             {target}"
        )));
    }
    // Under enforce, senders deliver only to the hosts the policy allows.
    let mut notes: Vec<String> = policy
        .warnings
        .iter()
        .map(|w| format!("warning: {file}: {w}"))
        .collect();
    if policy.mode != Mode::None {
        let unmet = match mail_hosts(&dns, &domain) {
            Err(why) => Some(format!(
                "where {domain}'s mail goes cannot be read ({why}), so the policy is not checked \
                 against it"
            )),
            Ok(mail) => mail.receives_none(&domain).or_else(|| {
                let uncovered: Vec<&str> = mail
                    .hosts()
                    .into_iter()
                    .filter(|h| policy.allows(h).is_none())
                    .collect();
                let them = if uncovered.len() == 1 { "it" } else { "them" };
                (!uncovered.is_empty()).then(|| {
                    format!(
                        "MX {} allowed by no mx: line of {file}: under mode: enforce senders \
                         would not deliver to {them}; add {them} to the policy",
                        uncovered.join(", ")
                    )
                })
            }),
        };
        match unmet {
            Some(why) if policy.mode == Mode::Enforce && !args.force => {
                bail!(refused(format!("{why} (`--force` publishes anyway)")))
            }
            Some(why) => notes.push(format!("warning: {why}")),
            None => {}
        }
    }
    let host = format!("mta-sts.{domain}");
    let owner = origin
        .prepend_label(b"_mta-sts")
        .map_err(|e| anyhow!("{name}: {e}"))?;
    let code = edit::with_retries(|printed| {
        for n in &notes {
            printed.eprint(format!("zonectl: {domain}: {n}"));
        }
        let read = edit::current_rrset(s, &args.zone, &owner, RType::TXT)?;
        let texts: Vec<String> = read
            .rdatas
            .iter()
            .map(|rd| super::dmarc::txt_text(rd))
            .collect();
        let current: Vec<&String> = texts.iter().filter(|t| mta_sts::is_record(t)).collect();
        let current_id = match current.as_slice() {
            [one] => mta_sts::parse(one).ok().map(|r| r.id),
            _ => None,
        };
        let id = mta_sts::next_id(clock::unix_now(), current_id.as_deref());
        let record = format!("{}; id={id}", mta_sts::VERSION);
        let ops = vec![replace_record(&read, &texts, Kind::MtaSts, &record)];
        edit::edit_zone_from(s, o, &args.zone, ops, vec![read])
    })?;
    eprintln!(
        "zonectl: {domain}: {file}: {policy}; the new id makes senders fetch it from \
         https://{host}/.well-known/mta-sts.txt, which must serve it already"
    );
    Ok(code)
}

/// The TXT RRset `read` (its texts `texts`) with `record` in place of every record of `kind`,
/// and of every one meant as one that its readers would not read: the other TXT records at the
/// name stay. For `mta-sts publish` and `bimi set`.
pub(super) fn replace_record(
    read: &Expected,
    texts: &[String],
    kind: Kind,
    record: &str,
) -> EditOp {
    let mut rdatas: Vec<Vec<u8>> = read
        .rdatas
        .iter()
        .zip(texts)
        .filter(|(_, t)| !kind.is_record(t) && !kind.looks_like_record(t))
        .map(|(rd, _)| rd.clone())
        .collect();
    rdatas.push(txt_from_value(record.as_bytes()));
    EditOp::Set {
        owner: read.owner.clone(),
        rtype: RType::TXT,
        ttl: None,
        rdatas,
    }
}

fn check(s: &Settings, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let data = edit::zone_data(s, &args.zone)?;
    let origin = origin_text(&data);
    let domain = origin.trim_end_matches('.').to_owned();
    let dns = ServedDns::load(s, args.resolver.resolver, Some(&data))?;
    let window_days = args
        .report_days
        .or(s.config.dmarc_report_days)
        .unwrap_or(DEFAULT_REPORT_DAYS);
    let paths = match (&args.reports[..], &s.config.tlsrpt_reports) {
        ([], None) => Vec::new(),
        ([], Some(configured)) => vec![configured.clone()],
        (given, _) => given.to_vec(),
    };
    let reports = (!paths.is_empty()).then(|| {
        super::report_files::report_facts(&paths, window_days, |paths| {
            super::tlsrpt::evidence_for(paths, &domain, window_days)
        })
    });
    let policy = policy_path(s, &domain, args.policy.as_deref());
    let facts = StsFacts {
        record_txts: txts_at(&dns, &format!("_mta-sts.{domain}")),
        policy_host: host_kind(&dns, &format!("mta-sts.{domain}")),
        policy: policy.as_deref().map(read_policy),
        policy_from: policy
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string()),
        mx: mail_hosts(&dns, &domain),
        tlsrpt_txts: txts_at(&dns, &format!("_smtp._tls.{domain}")),
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

/// The policy file: `--policy`, else the zone's `mta_sts_policy` in the configuration.
fn policy_path(s: &Settings, domain: &str, given: Option<&Path>) -> Option<PathBuf> {
    given
        .map(Path::to_path_buf)
        .or_else(|| s.config.zone(domain).and_then(|z| z.mta_sts_policy.clone()))
}

/// The policy file's bytes, or why they cannot be read. Only a regular file is read, and only
/// up to what senders read (one byte more, so a larger one is seen as larger).
pub(super) fn read_policy(path: &Path) -> Result<Vec<u8>, String> {
    read_regular(path, MAX_POLICY_BYTES as u64 + 1).map(|(bytes, _)| bytes)
}

/// The first `limit` bytes of the regular file `path` (a FIFO or a device is refused, not read)
/// and its size, or why it cannot be read.
pub(super) fn read_regular(path: &Path, limit: u64) -> Result<(Vec<u8>, u64), String> {
    use std::io::Read;
    let meta = fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err("not a regular file".into());
    }
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|f| f.take(limit).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    Ok((bytes, meta.len()))
}
