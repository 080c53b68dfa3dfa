//! `zonectl bimi …`: the BIMI record at `SELECTOR._bimi.ZONE` shown and set through the edit
//! path, whether receivers would show the logo (the rules are in
//! [`crate::mail_policy::bimi_readiness`]), and a logo file checked against SVG Tiny PS
//! ([`crate::mail_policy::bimi_logo`]).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use super::dmarc::{origin_text, print_verdict, txt_text, ResolverArg, ServedDns};
use super::edit::EditOptions;
use super::mta_sts::{read_regular, replace_record, txts_at};
use super::{edit, Settings};
use crate::clock;
use crate::dmarc::readiness::Status;
use crate::dmarc::record::DmarcRecord;
use crate::dmarc::treewalk::{normalize, tree_walk, Found};
use crate::mail_policy::bimi_evidence;
use crate::mail_policy::bimi_logo::{self, MAX_LOGO_BYTES};
use crate::mail_policy::bimi_readiness::{self, BimiFacts, DmarcFound};
use crate::mail_policy::{bimi, Kind};
use crate::zone::civil::format_iso;
use crate::zone::{Name, RType};

/// `zonectl bimi …`
#[derive(Debug, Args)]
pub struct BimiArgs {
    #[command(subcommand)]
    pub command: BimiCommand,
}

#[derive(Debug, Subcommand)]
pub enum BimiCommand {
    /// The BIMI record, each tag in plain words, whether the DMARC policy lets receivers show
    /// the logo, and any problem. Exit 1 if there is no valid record.
    Show(SelectorArgs),
    /// Create `SELECTOR._bimi.ZONE TXT` or merge tags into it: `l=URI` (the logo), `a=URI` (the
    /// mark certificate), `lps=PREFIX,…`, `avp=brand|personal`; `TAG=` removes a tag, but `l=`
    /// and `a=` are written empty (both empty: the domain declines to show a logo). Refused if
    /// the record would be invalid. Honours --dry-run.
    Set(SetArgs),
    /// Would receivers show the logo: the record, DMARC at enforcement, the logo file (--logo),
    /// and the mark certificate (a=, and the file itself with --evidence). Exit 0 if ready, 1 if
    /// not.
    Check(CheckArgs),
    /// Read a mark certificate (VMC or CMC, a PEM file) as receivers do: for BIMI, valid now,
    /// naming the domain, carrying an SVG Tiny PS logo (with --logo, a warning if it is not that
    /// file). Its chain to a mark verifying authority is not checked. Exit 1 if receivers would
    /// refuse it.
    Evidence(EvidenceArgs),
    /// Check a logo file against SVG Tiny PS, the profile receivers require (gzip-compressed
    /// files are read too). Exit 1 if receivers would refuse it.
    Logo(LogoArgs),
}

/// The zone and selector of `show`.
#[derive(Debug, Args)]
pub struct SelectorArgs {
    pub zone: String,
    /// The selector: the record is at SELECTOR._bimi.ZONE.
    #[arg(long, value_name = "SELECTOR", default_value = "default")]
    pub selector: String,
    #[command(flatten)]
    pub resolver: ResolverArg,
}

/// `zonectl bimi set`
#[derive(Debug, Args)]
pub struct SetArgs {
    pub zone: String,
    /// TAG=VALUE assignments (l, a, lps, avp).
    #[arg(value_name = "TAG=VALUE", required = true)]
    pub tags: Vec<String>,
    /// The selector: the record is at SELECTOR._bimi.ZONE.
    #[arg(long, value_name = "SELECTOR", default_value = "default")]
    pub selector: String,
}

/// `zonectl bimi check`
#[derive(Debug, Args)]
pub struct CheckArgs {
    pub zone: String,
    /// The selector: the record is at SELECTOR._bimi.ZONE.
    #[arg(long, value_name = "SELECTOR", default_value = "default")]
    pub selector: String,
    /// The logo, as the web server serves it at the record's l= URI (a copy, or the file the
    /// web server serves).
    #[arg(long, value_name = "FILE")]
    pub logo: Option<PathBuf>,
    /// The mark certificate (PEM), as the web server serves it at the record's a= URI.
    #[arg(long, value_name = "FILE")]
    pub evidence: Option<PathBuf>,
    #[command(flatten)]
    pub resolver: ResolverArg,
}

/// `zonectl bimi evidence`
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    /// The certificate file (PEM: the mark certificate first, then its chain).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The domain it must name.
    #[arg(long, value_name = "DOMAIN")]
    pub domain: String,
    /// The logo file the record's l= serves, which should be the certificate's logo.
    #[arg(long, value_name = "FILE")]
    pub logo: Option<PathBuf>,
}

/// `zonectl bimi logo`
#[derive(Debug, Args)]
pub struct LogoArgs {
    /// The SVG file (or .svgz).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

impl BimiArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        match self.command {
            BimiCommand::Show(args) => show(s, &args),
            BimiCommand::Set(args) => set(s, o, &args),
            BimiCommand::Check(args) => check(s, &args),
            BimiCommand::Logo(args) => logo(s, &args),
            BimiCommand::Evidence(args) => evidence(s, &args),
        }
    }
}

/// `SELECTOR._bimi.ORIGIN`, checked as a name.
fn bimi_owner(origin: &Name, selector: &str) -> anyhow::Result<Name> {
    let text = format!("{}._bimi.{origin}", selector.trim_end_matches('.'));
    Name::parse(&text, None)
        .ok()
        .filter(|_| !selector.is_empty() && !selector.starts_with('.'))
        .ok_or_else(|| anyhow!("{text} is not a valid name: a selector is one or more labels"))
}

/// What each tag of a valid record means.
fn explain(name: &str, value: &str, record: &bimi::Assertion) -> String {
    match (name, value.is_empty()) {
        ("l", false) => "the logo receivers show beside the domain's mail: an SVG Tiny PS image, \
                         fetched over HTTPS"
            .to_owned(),
        ("l", true) if record.declines() => {
            "empty, with a= empty too: the domain declines to have a logo shown".to_owned()
        }
        ("l", true) => "empty: receivers show the logo in the certificate at a=".to_owned(),
        ("a", false) => "the mark certificate (VMC or CMC) that binds the logo to the domain; \
                         Gmail and Apple Mail show no logo without one"
            .to_owned(),
        ("a", true) => "empty: no mark certificate".to_owned(),
        ("lps", false) => format!(
            "mail whose From: local part starts with one of {value} is looked up at a selector \
             of its own"
        ),
        ("lps", true) => "no local-part prefixes".to_owned(),
        ("avp", _) if value == "personal" => {
            "receivers that show personal avatars may show the sender's instead of the logo"
                .to_owned()
        }
        ("avp", _) => {
            "receivers show the logo even where the sender has a personal avatar".to_owned()
        }
        _ => "unknown tag: receivers ignore it".to_owned(),
    }
}

/// What `show` and `check` read of the zone: its record (the organizational domain's when it
/// has none, as receivers fall back to it) and its DMARC policy as receivers find it, from the
/// zones zonectl serves (else `--resolver`).
fn zone_facts(
    s: &Settings,
    zone: &str,
    selector: &str,
    resolver: Option<std::net::SocketAddr>,
) -> anyhow::Result<BimiFacts> {
    let data = edit::zone_data(s, zone)?;
    let domain = normalize(&origin_text(&data));
    let own = bimi_owner(data.origin(), selector)?;
    let selector = selector.trim_end_matches('.').to_owned();
    let mut dns = ServedDns::load(s, resolver, Some(&data))?;
    let walk = tree_walk(&mut dns, &domain);
    let found = walk
        .steps
        .iter()
        .position(|st| matches!(st.found, Found::Record(_) | Found::Several(_)));
    // A name the walk could not ask before the policy was found (a parent zone not served
    // here, with no --resolver) may hold what receivers would find: unknown, not absent.
    let unasked = walk.steps[..found.unwrap_or(walk.steps.len())]
        .iter()
        .find_map(|st| match &st.found {
            Found::Unavailable(why) => {
                Some(format!("_dmarc.{} could not be asked: {why}", st.domain))
            }
            _ => None,
        });
    let dmarc = match (found.map(|k| &walk.steps[k]), &unasked) {
        (Some(step), _) => dns
            .txt_values(&format!("_dmarc.{}", step.domain))
            .map(|txts| {
                Some(DmarcFound {
                    domain: step.domain.clone(),
                    txts,
                })
            }),
        (None, Some(why)) => Err(format!("none here, and {why}")),
        (None, None) => Ok(None),
    };
    // Receivers look for SELECTOR._bimi.DOMAIN, then for default._bimi at the organizational
    // domain (the BIMI draft's assertion record discovery), never another selector there.
    let own = normalize(&own.to_string());
    let mut record_owner = own.clone();
    let mut record_txts = txts_at(&dns, &own);
    let none_here = record_txts
        .as_ref()
        .is_ok_and(|t| !t.values.iter().any(|v| bimi::is_record(v)));
    if none_here {
        let org = walk.org_domain();
        let fallback = format!("default._bimi.{org}");
        if fallback != own {
            record_owner = fallback;
            record_txts = txts_at(&dns, &record_owner);
        }
        let still_none = record_txts
            .as_ref()
            .is_ok_and(|t| !t.values.iter().any(|v| bimi::is_record(v)));
        if let (true, Some(why)) = (still_none, &unasked) {
            record_txts = Err(format!(
                "none here, and the organizational domain's is not known: {why}"
            ));
        }
    }
    Ok(BimiFacts {
        domain,
        selector,
        record_owner,
        record_txts,
        dmarc,
        logo: None,
        logo_from: String::new(),
        evidence: None,
        evidence_from: String::new(),
        now: clock::unix_now(),
    })
}

fn show(s: &Settings, args: &SelectorArgs) -> anyhow::Result<ExitCode> {
    let facts = zone_facts(s, &args.zone, &args.selector, args.resolver.resolver)?;
    let ((status, record_detail), record) = bimi_readiness::record(&facts);
    let (_, dmarc_detail) = bimi_readiness::dmarc(&facts);
    let text = facts
        .record_txts
        .as_ref()
        .ok()
        .and_then(|t| t.values.iter().find(|v| bimi::is_record(v)));
    let rows: Vec<(String, String)> = match (text, &record) {
        (Some(t), Some(record)) => bimi::tags(t)
            .into_iter()
            .map(|(n, v)| (format!("{n}={v}"), explain(&n, &v, record)))
            .collect(),
        _ => Vec::new(),
    };
    // A record that declines is valid: it is what the domain asks for.
    let error = (status != Status::Pass && record.is_none()).then_some(record_detail);
    if s.json {
        let tags: Vec<_> = rows
            .iter()
            .map(|(tv, words)| json!({"tag": tv, "meaning": words}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "zone": facts.domain, "name": format!("{}.", facts.record_owner), "record": text,
                "tags": tags, "dmarc": dmarc_detail, "errors": error.iter().collect::<Vec<_>>(),
            }))?
        );
    } else {
        match text {
            Some(t) => println!("{}. TXT \"{t}\"", facts.record_owner),
            None => println!("{}.: no BIMI record", facts.record_owner),
        }
        if !rows.is_empty() {
            println!();
            for (tv, words) in &rows {
                println!("  {tv}\n      {words}");
            }
        }
        println!();
        println!("DMARC: {dmarc_detail}");
        if let Some(e) = &error {
            println!();
            println!("Problems:");
            println!("  error: {e}");
        }
    }
    Ok(if error.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn set(s: &Settings, o: &EditOptions, args: &SetArgs) -> anyhow::Result<ExitCode> {
    let origin = edit::origin_of(s, &args.zone)?;
    let owner = bimi_owner(&origin, &args.selector)?;
    let mut assignments = Vec::new();
    for tag in &args.tags {
        let Some((name, value)) = tag.split_once('=') else {
            bail!("{tag}: write TAG=VALUE (or TAG= to remove a tag)");
        };
        assignments.push((name.trim(), value.trim()));
    }
    let domain = normalize(&origin.to_string());
    let dmarc_owner = origin
        .prepend_label(b"_dmarc")
        .map_err(|e| anyhow!("_dmarc.{origin}: {e}"))?;
    edit::with_retries(|printed| {
        // A DMARC record short of enforcement is the zone check's warning; none at all is this.
        let dmarc = edit::current_rrset(s, &args.zone, &dmarc_owner, RType::TXT)?;
        if !dmarc
            .rdatas
            .iter()
            .any(|rd| DmarcRecord::is_dmarc(&txt_text(rd)))
        {
            printed.eprint(format!(
                "zonectl: {domain}: warning: no DMARC record at {dmarc_owner}: receivers show the \
                 logo only for a domain whose DMARC policy is at enforcement (unless that of \
                 its organizational domain covers it); `zonectl dmarc rollout {domain} next` \
                 starts one"
            ));
        }
        let read = edit::current_rrset(s, &args.zone, &owner, RType::TXT)?;
        let texts: Vec<String> = read.rdatas.iter().map(|rd| txt_text(rd)).collect();
        let current: Vec<&String> = texts.iter().filter(|t| bimi::is_record(t)).collect();
        let base = match current.as_slice() {
            [] => None,
            [one] => Some(one.as_str()),
            many => bail!(
                "{owner} holds {} BIMI records, and receivers ignore them all: delete all but \
                 one with `zonectl record del`, then set tags",
                many.len()
            ),
        };
        let record = bimi::merged(base, &assignments).map_err(|problems| {
            anyhow!(
                "{owner}: refused, nothing was changed: {}",
                problems.join("; ")
            )
        })?;
        let ops = vec![replace_record(&read, &texts, Kind::Bimi, &record)];
        edit::edit_zone_from(s, o, &args.zone, ops, vec![read])
    })
}

fn check(s: &Settings, args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let mut facts = zone_facts(s, &args.zone, &args.selector, args.resolver.resolver)?;
    let named = |p: &Option<PathBuf>| {
        p.as_ref()
            .map_or_else(String::new, |p| p.display().to_string())
    };
    facts.logo = args.logo.as_deref().map(read_file);
    facts.logo_from = named(&args.logo);
    facts.evidence = args.evidence.as_deref().map(read_file);
    facts.evidence_from = named(&args.evidence);
    print_verdict(
        s,
        &bimi_readiness::check(&facts),
        &facts.domain,
        "a BIMI logo shown by receivers",
    )
}

/// Prints a file verb's findings under its headline: problems, then warnings, the first
/// [`MAX_PRINTED`] of each (a hostile file can hold thousands; `--json` lists them all).
fn print_findings<T: std::fmt::Display>(problems: &[T], warnings: &[T]) {
    for (found, label) in [(problems, ""), (warnings, "warning: ")] {
        for p in found.iter().take(MAX_PRINTED) {
            println!("  {label}{p}");
        }
        if found.len() > MAX_PRINTED {
            println!(
                "  … and {} more (`--json` lists them all)",
                found.len() - MAX_PRINTED
            );
        }
    }
}

/// How many problems (and warnings) a file verb prints.
const MAX_PRINTED: usize = 50;

/// Each finding as text, for JSON.
fn texts<T: ToString>(found: &[T]) -> Vec<String> {
    found.iter().map(ToString::to_string).collect()
}

/// The exit status of a file verb.
fn verdict(valid: bool) -> ExitCode {
    if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn logo(s: &Settings, args: &LogoArgs) -> anyhow::Result<ExitCode> {
    let file = args.file.display().to_string();
    let bytes = read_named(&args.file)?;
    let logo = bimi_logo::check(&bytes);
    if s.json {
        let value = json!({
            "file": file,
            "valid": logo.valid(),
            "title": logo.title,
            "view_box": logo.view_box,
            "bytes": logo.bytes,
            "compressed": logo.compressed,
            "problems": texts(&logo.problems),
            "warnings": texts(&logo.warnings),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        if logo.valid() {
            println!("{file}: valid: {}", logo.summary());
        } else {
            println!("{file}: not SVG Tiny PS: receivers show no logo");
        }
        print_findings(&logo.problems, &logo.warnings);
    }
    Ok(verdict(logo.valid()))
}

fn evidence(s: &Settings, args: &EvidenceArgs) -> anyhow::Result<ExitCode> {
    let file = args.file.display().to_string();
    let domain = normalize(&args.domain);
    let pem = read_named(&args.file)?;
    let logo = args.logo.as_deref().map(read_named).transpose()?;
    let e = bimi_evidence::check(&pem, &domain, clock::unix_now(), logo.as_deref())
        .map_err(|e| anyhow!("{file}: {e}"))?;
    let embedded = e.logo.as_ref().map(|(_, logo)| logo.summary());
    if s.json {
        let value = json!({
            "file": file,
            "valid": e.valid(),
            "subject": e.subject,
            "issuer": e.issuer,
            "mark_type": e.mark_type,
            "not_before": format_iso(e.not_before),
            "not_after": format_iso(e.not_after),
            "names": e.names,
            "chain_length": e.chain_length,
            "logo": embedded,
            "logo_sha256": e.logo.as_ref().map(|(svg, _)| sha256_hex(svg)),
            "problems": texts(&e.problems),
            "warnings": texts(&e.warnings),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let verdict = if e.valid() {
            "valid"
        } else {
            "refused by receivers"
        };
        println!("{file}: {verdict}: {}", bimi_evidence::describe(&e));
        println!("  subject: {}", e.subject);
        if let Some(logo) = &embedded {
            println!("  logo: {logo}");
        }
        print_findings(&e.problems, &e.warnings);
    }
    Ok(verdict(e.valid()))
}

/// SHA-256 of `bytes`, in lower-case hex.
fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The most a logo or certificate file may hold: a logo is 32 KiB at most, a certificate and
/// its chain a few kilobytes.
const MAX_READ_BYTES: u64 = 32 * MAX_LOGO_BYTES as u64;

/// A file's bytes, or why they cannot be read: only a regular file of MAX_READ_BYTES at most
/// (read to that bound, should it grow meanwhile).
fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let max = MAX_READ_BYTES;
    let (bytes, size) = read_regular(path, max)?;
    if size > max {
        return Err(format!(
            "{size} bytes: more than the {max} read here (a logo is {MAX_LOGO_BYTES} bytes at \
             most, a certificate a few thousand)"
        ));
    }
    Ok(bytes)
}

/// [`read_file`] for the verbs that stop at an unreadable file, which they name.
fn read_named(path: &Path) -> anyhow::Result<Vec<u8>> {
    read_file(path).map_err(|e| anyhow!("{}: {e}", path.display()))
}
