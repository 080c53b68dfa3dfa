//! `zonectl dmarc show|set|check|rollout|authorize|evaluate`: the DMARC verbs (`report` is in
//! [`super::dmarc_report`]).
//!
//! This file gathers facts (zone files, the keys directory, `--resolver`), calls the pure rules
//! of [`crate::dmarc`], prints, and changes zones only through [`edit::edit_zone`] (validated,
//! one serial bump, atomic, applied live and verified on the wire).
//!
//! Where the SPF (issue 4) and DKIM (issue 6) modules plug in — the only three places:
//! - [`spf_facts`] — the SPF record check of a zone's apex for readiness (`check`,
//!   `rollout next`): [`spf::check_record`] over the served zones and `--resolver`;
//! - [`spf_check_host`] — RFC 7208 [`spf::check_host`] for `evaluate` (`--spf RESULT`
//!   overrides it for a what-if);
//! - [`dkim_facts`] — the DKIM selectors and their key verdicts for readiness: each published
//!   record parsed by the DKIM module, its key decoded, RSA keys under 1024 bits refused.
//!
//! The rollout history is `ZONES_DIR/ORIGIN.dmarc-history` (format in [`rollout::History`]),
//! written atomically after the edit is verified; rollout steps of one zone are serialized by
//! the lock `ZONES_DIR/._dmarc-rollout.ORIGIN.lock`.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;

use super::edit::{self, EditOptions};
use super::Settings;
use crate::clock;
use crate::dmarc::evaluate::{
    evaluate, Alignment, DkimOutcome, DmarcResult, Message, SpfOutcome, SpfResult,
};
use crate::dmarc::explain::{explain_tag, receiver_action, Applies, Generation};
use crate::dmarc::readiness::{
    self, DestinationFact, DkimSelector, Facts, KeyVerdict, Readiness, ReportFacts, SpfFacts,
    SpfVerdict,
};
use crate::dmarc::record::DmarcRecord;
use crate::dmarc::reports::{self, AUTHORIZATION_RECORD};
use crate::dmarc::rollout::{self, Context as StepContext, Entry, History, Ladder, StepKind};
use crate::dmarc::treewalk::{self, normalize, tree_walk, DmarcDns, TxtAnswer};
use crate::dnsclient;
use crate::spf;
use crate::store;
use crate::zone::edit::EditOp;
use crate::zone::lookup::{lookup, LookupOptions, Rcode, Rdatas};
use crate::zone::rdata::{txt_from_value, txt_strings};
use crate::zone::update::Expected;
use crate::zone::{Name, RType, Zone, ZoneSet};

/// `zonectl dmarc …`
#[derive(Debug, Args)]
pub struct DmarcArgs {
    #[command(subcommand)]
    pub command: DmarcCommand,
}

#[derive(Debug, Subcommand)]
pub enum DmarcCommand {
    /// The record, each tag in plain words, what RFC 7489 and RFC 9989 receivers do with failing
    /// mail, and any problem. Exit 1 if there is no valid record.
    Show {
        /// The zone (e.g. apple.example).
        zone: String,
    },
    /// Create `_dmarc.ZONE TXT` or merge tags into it (`TAG=VALUE` sets, `TAG=` removes).
    Set {
        /// The zone (e.g. apple.example).
        zone: String,
        /// Tags to set or remove: p=quarantine rua=mailto:dmarc@example.com pct=
        #[arg(value_name = "TAG=VALUE", required = true, num_args = 1..)]
        tags: Vec<String>,
    },
    /// Readiness for a stricter policy: SPF, DKIM, rua, report destinations, and aggregate
    /// reports when given. Exit 1 if not ready.
    Check {
        /// The zone (e.g. apple.example).
        zone: String,
        #[command(flatten)]
        evidence: EvidenceArgs,
    },
    /// The staged rollout: status (default), plan, next, back.
    Rollout {
        /// The zone (e.g. apple.example).
        zone: String,
        #[arg(value_enum, default_value_t = RolloutAction::Status)]
        action: RolloutAction,
        /// `next`: step up even if readiness fails, the dwell time has not passed, or the
        /// record is not one the rollout wrote. Never past the last stage.
        #[arg(long)]
        force: bool,
        #[command(flatten)]
        evidence: EvidenceArgs,
    },
    /// Publish `FOR_DOMAIN._report._dmarc.DEST TXT "v=DMARC1"` so DEST may receive FOR_DOMAIN's
    /// reports (RFC 7489 §7.1). DEST must be in a zone zonectl serves.
    Authorize {
        /// The report destination's domain (the zone, or a name inside it).
        #[arg(value_name = "DEST_ZONE")]
        dest: String,
        /// The domain whose reports DEST receives.
        for_domain: String,
    },
    /// What a receiver would decide for one message.
    Evaluate(EvaluateArgs),
    /// Read DMARC aggregate reports (XML, gzip, zip, or the mail they came in): per policy
    /// domain, the mail that passed and failed DMARC, and the sources that fail, which a
    /// stricter policy would quarantine or reject. Exit 1 if a file is not a report, or if
    /// --domain has none.
    Report(super::dmarc_report::ReportArgs),
}

/// What readiness is judged on beyond the zones: `--resolver` and `--reports`.
#[derive(Debug, Args)]
pub struct EvidenceArgs {
    #[command(flatten)]
    pub resolver: ResolverArg,
    /// DMARC aggregate reports (files or directories, as `dmarc report` reads them; repeat for
    /// more) to judge readiness by: it fails if senders that look like the zone's own carry
    /// over 0.5 % of the mail and fail DMARC [default: the configuration's `dmarc_reports`,
    /// if set].
    #[arg(long, value_name = "PATH")]
    pub reports: Vec<PathBuf>,
    /// Only the reports that ended within N days of the zone's newest report count [default:
    /// the configuration's `dmarc_report_days`, else 14].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub report_days: Option<u32>,
}

/// `--resolver IP:PORT`
#[derive(Debug, Args)]
pub struct ResolverArg {
    /// Ask this DNS server about names outside the zones zonectl serves: report authorizations,
    /// the DMARC tree walk, and SPF's includes and lookups (queried with RD set: a recursive
    /// resolver, or a server authoritative for those names).
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RolloutAction {
    /// Where the zone is, since when, and the history.
    Status,
    /// The ladder: each stage's record and what each generation of receivers does.
    Plan,
    /// Step up one stage (readiness and dwell time checked).
    Next,
    /// Step down one stage at once: the emergency brake.
    Back,
}

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The zone whose policy is being tried (the From domain should be in it).
    pub zone: String,
    /// The envelope sender (RFC5321.MailFrom); "" or "<>" for the null sender.
    #[arg(long, value_name = "ADDR")]
    pub mail_from: String,
    /// The header From address (RFC5322.From).
    #[arg(long, value_name = "ADDR")]
    pub from: String,
    /// The connecting client's IP address.
    #[arg(long)]
    pub ip: IpAddr,
    /// The HELO/EHLO name.
    #[arg(long, value_name = "NAME")]
    pub helo: Option<String>,
    /// A DKIM signature's result: DOMAIN=pass or DOMAIN=fail (repeatable).
    #[arg(long, value_name = "DOMAIN=pass|fail")]
    pub dkim: Vec<String>,
    /// Take this SPF result instead of evaluating SPF (pass fail softfail neutral none
    /// permerror temperror).
    #[arg(long, value_name = "RESULT")]
    pub spf: Option<SpfResult>,
    #[command(flatten)]
    pub resolver: ResolverArg,
}

impl clap::ValueEnum for SpfResult {
    fn value_variants<'a>() -> &'a [Self] {
        &SpfResult::ALL
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

impl DmarcArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        match self.command {
            DmarcCommand::Show { zone } => show(s, &zone),
            DmarcCommand::Set { zone, tags } => set(s, o, &zone, &tags),
            DmarcCommand::Check { zone, evidence } => check(s, &zone, &evidence),
            DmarcCommand::Rollout {
                zone,
                action,
                force,
                evidence,
            } => rollout_verb(s, o, &zone, action, force, &evidence),
            DmarcCommand::Authorize { dest, for_domain } => authorize(s, o, &dest, &for_domain),
            DmarcCommand::Evaluate(args) => evaluate_verb(s, args),
            DmarcCommand::Report(args) => super::dmarc_report::run(s, args),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading a zone's DMARC record

/// The TXT records at `_dmarc.ZONE`.
struct DmarcAt {
    owner: Name,
    /// Every TXT record there: wire RDATA and its text (strings joined).
    txts: Vec<(Vec<u8>, String)>,
}

impl DmarcAt {
    fn read(zone: &Zone) -> DmarcAt {
        DmarcAt::of(&Expected::current(
            zone,
            &dmarc_owner(zone.origin()),
            RType::TXT,
        ))
    }

    /// The TXT records read at `_dmarc.ZONE`.
    fn of(read: &Expected) -> DmarcAt {
        let txts = read
            .rdatas
            .iter()
            .map(|rd| (rd.clone(), txt_text(rd)))
            .collect();
        DmarcAt {
            owner: read.owner.clone(),
            txts,
        }
    }

    /// The TXT values that are DMARC records.
    fn dmarc(&self) -> Vec<&str> {
        self.txts
            .iter()
            .map(|(_, t)| t.as_str())
            .filter(|t| DmarcRecord::is_dmarc(t))
            .collect()
    }

    /// The one DMARC record, or an error when there are several.
    fn one(&self) -> anyhow::Result<Option<&str>> {
        match self.dmarc().as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            many => bail!(
                "{} holds {} DMARC records; receivers ignore them all. Delete all but one with \
                 `zonectl record del ZONE _dmarc TXT \"…\"`",
                self.owner,
                many.len()
            ),
        }
    }
}

fn dmarc_owner(origin: &Name) -> Name {
    origin
        .prepend_label(b"_dmarc")
        .expect("_dmarc. plus a zone origin fits in a name")
}

/// The TXT RDATA at `owner` in `zone` (exact owner, no wildcard).
fn txt_at(zone: &Zone, owner: &Name) -> Vec<Vec<u8>> {
    Expected::current(zone, owner, RType::TXT).rdatas
}

/// A TXT record's strings joined, as receivers read DMARC records.
pub(super) fn txt_text(rdata: &[u8]) -> String {
    let strings = txt_strings(rdata).unwrap_or_default();
    String::from_utf8_lossy(&strings.concat()).into_owned()
}

fn domain_name(text: &str) -> anyhow::Result<Name> {
    Name::parse(&format!("{}.", text.trim_end_matches('.')), None)
        .with_context(|| format!("{text} is not a valid domain name"))
}

pub(super) fn origin_text(zone: &Zone) -> String {
    normalize(&zone.origin().to_string())
}

// ---------------------------------------------------------------------------------------------
// Asking the DNS: the zones zonectl serves, then `--resolver`

/// The DNS as the DMARC verbs see it: the zone files of the zones directory (what the server
/// serves), and `--resolver` for names outside them.
pub(super) struct ServedDns {
    zones: ZoneSet,
    resolver: Option<SocketAddr>,
    /// SPF's questions about names outside the served zones go here (`--resolver`).
    spf_fallback: Option<spf::DnsResolver>,
}

impl ServedDns {
    /// Every zone of the zones directory and the configuration, each read once; `loaded` is
    /// one the caller has read already (the zone a check is about), used as it is rather than
    /// read again (the 1M-host benchmark zone takes 1.4 s to load).
    pub(super) fn load(
        s: &Settings,
        resolver: Option<SocketAddr>,
        loaded: Option<&Zone>,
    ) -> anyhow::Result<ServedDns> {
        let mut zones = ZoneSet::new();
        let mut origins: Vec<String> = store::zone_files(&s.zones_dir)
            .with_context(|| format!("reading the zones directory {}", s.zones_dir.display()))?
            .iter()
            .filter_map(|f| store::origin_from_file_name(f))
            .map(|o| o.to_string())
            .collect();
        origins.extend(s.config.zones.iter().map(|z| z.name.clone()));
        let mut read = std::collections::HashSet::new();
        if let Some(zone) = loaded {
            read.insert(origin_text(zone));
            zones.insert(std::sync::Arc::new(zone.clone()));
        }
        for origin in origins {
            // A zone in the directory and the configuration both is read once.
            if !read.insert(normalize(&origin)) {
                continue;
            }
            // A zone that does not load is left out, as the server leaves it out.
            if let Ok(zone) = edit::zone_data(s, &origin) {
                zones.insert(std::sync::Arc::new(zone));
            }
        }
        Ok(ServedDns {
            zones,
            resolver,
            spf_fallback: resolver.map(spf::DnsResolver::new),
        })
    }

    /// SPF's view of the same DNS: the served zones first, then `--resolver`.
    fn spf_resolver(&self) -> spf::ZoneResolver<'_> {
        spf::ZoneResolver::new(
            &self.zones,
            self.spf_fallback.as_ref().map(|r| r as &dyn spf::Resolver),
        )
    }

    /// The answer to `name`/`rtype`: (NXDOMAIN?, RDATA of `rtype`), or why it cannot be asked.
    pub(super) fn ask(&self, name: &str, rtype: RType) -> Result<(bool, Vec<Vec<u8>>), String> {
        let qname = domain_name(name).map_err(|e| format!("{e:#}"))?;
        let wire = qname.to_lowercase();
        if let Some(zone) = self.zones.find(wire.as_wire()) {
            let ans = lookup(zone, wire.as_wire(), rtype, LookupOptions::default());
            if !ans.authoritative {
                return Err(format!("{name} is delegated away from {}", zone.origin()));
            }
            let mut out = Vec::new();
            for set in ans.answer.iter().filter(|s| s.rtype == rtype) {
                match &set.rdatas {
                    Rdatas::Zone(rds) => out.extend(rds.iter().map(|r| r.to_vec())),
                    Rdatas::Owned(rd) => out.push(rd.clone()),
                }
            }
            return Ok((ans.rcode == Rcode::NxDomain, out));
        }
        let Some(addr) = self.resolver else {
            return Err("not in a zone zonectl serves; pass --resolver IP:PORT".to_owned());
        };
        let resp = dnsclient::query_recursive(addr, &qname, rtype).map_err(|e| e.to_string())?;
        match resp.rcode {
            dnsclient::RCODE_NOERROR | dnsclient::RCODE_NXDOMAIN => Ok((
                resp.rcode == dnsclient::RCODE_NXDOMAIN,
                resp.answer
                    .into_iter()
                    .filter(|r| r.rtype == rtype)
                    .map(|r| r.rdata)
                    .collect(),
            )),
            other => Err(format!("{addr} answered RCODE {other}")),
        }
    }

    /// TXT values at `name`.
    pub(super) fn txt_values(&self, name: &str) -> Result<Vec<String>, String> {
        self.ask(name, RType::TXT)
            .map(|(_, rds)| rds.iter().map(|r| txt_text(r)).collect())
    }

    /// Does `domain` exist (not NXDOMAIN)? Unknown (cannot ask) is taken as yes, with a note.
    fn exists(&self, domain: &str) -> (bool, Option<String>) {
        match self.ask(domain, RType::A) {
            Ok((nx, _)) => (!nx, None),
            Err(why) => (true, Some(format!("whether {domain} exists: {why}"))),
        }
    }

    /// The organizational domain of `domain` by a tree walk here.
    fn org_domain(&mut self, domain: &str) -> String {
        treewalk::org_domain(self, domain)
    }
}

impl DmarcDns for ServedDns {
    fn txt(&mut self, name: &str) -> TxtAnswer {
        match self.ask(name, RType::TXT) {
            Ok((true, _)) => TxtAnswer::NxDomain,
            Ok((false, rds)) => TxtAnswer::Records(rds.iter().map(|r| txt_text(r)).collect()),
            Err(why) => TxtAnswer::Unavailable(why),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// show

/// `dmarc show`: the record as served (asked of the running server, else read from the file).
fn show(s: &Settings, zone: &str) -> anyhow::Result<ExitCode> {
    let origin = edit::origin_of(s, zone)?;
    let at = DmarcAt::of(&edit::current_rrset(
        s,
        zone,
        &dmarc_owner(&origin),
        RType::TXT,
    )?);
    let origin = normalize(&origin.to_string());
    let several = at.one().err().map(|e| format!("{e:#}"));
    let Some(text) = at.dmarc().first().copied() else {
        // A record meant as DMARC that receivers do not read as one.
        let misread: Vec<String> = at
            .txts
            .iter()
            .filter(|(_, t)| DmarcRecord::looks_like_dmarc(t))
            .map(|(_, t)| {
                format!(
                    "\"{t}\" starts like a DMARC record, but receivers read it as none: the \
                     version must be followed by `;` (v=DMARC1; p=…); `zonectl dmarc set` \
                     replaces it"
                )
            })
            .collect();
        if s.json {
            let mut errors = vec!["no DMARC record".to_owned()];
            errors.extend(misread);
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "zone": origin, "name": at.owner.to_string(), "record": null,
                    "errors": errors,
                }))?
            );
        } else {
            println!("{}: no DMARC record", at.owner);
            for m in &misread {
                println!("  {m}");
            }
            println!(
                "  receivers apply no DMARC policy to mail from {origin}; start with \
                 `zonectl dmarc rollout {origin} next` (p=none) or `zonectl dmarc set {origin} \
                 p=none rua=mailto:…`"
            );
        }
        return Ok(ExitCode::from(1));
    };
    let (rec, errors) = DmarcRecord::parse_lenient(text);
    let mut errors: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
    errors.extend(several);
    let warnings = rec.warnings();
    let canonical = rec.to_string();
    let rows: Vec<(String, String)> = rec
        .tags()
        .map(|(t, v)| (format!("{t}={v}"), explain_tag(t, v)))
        .collect();
    let receivers: Vec<(&str, Applies)> = vec![
        ("this domain", Applies::Domain),
        ("its existing subdomains", Applies::Subdomain),
        ("its non-existent subdomains", Applies::NonExistent),
    ];
    if s.json {
        let tags: Vec<_> = rows
            .iter()
            .map(|(tv, words)| json!({"tag": tv, "meaning": words}))
            .collect();
        let failing: Vec<_> = receivers
            .iter()
            .map(|(what, applies)| {
                json!({
                    "from": what,
                    "rfc7489": receiver_action(Generation::Rfc7489, &rec, *applies).to_string(),
                    "rfc9989": receiver_action(Generation::Rfc9989, &rec, *applies).to_string(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "zone": origin, "name": at.owner.to_string(), "record": text,
                "canonical": canonical, "tags": tags, "failing_mail": failing,
                "errors": errors, "warnings": warnings,
            }))?
        );
    } else {
        println!("{} TXT \"{text}\"", at.owner);
        if canonical != text {
            println!("canonical: {canonical}");
        }
        println!();
        // Long values (report URIs) go on a line of their own.
        const WIDTH: usize = 14;
        for (tv, words) in &rows {
            if tv.chars().count() <= WIDTH {
                println!("  {tv:WIDTH$}  {words}");
            } else {
                println!("  {tv}\n  {:WIDTH$}  {words}", "");
            }
        }
        for (name, value) in rec.unknown() {
            println!("  {name}={value}  unknown tag: receivers ignore it");
        }
        println!();
        println!("Mail that fails DMARC, from:");
        for (what, applies) in &receivers {
            println!("  {what}");
            for g in Generation::BOTH {
                println!("    {g} receivers: {}", receiver_action(g, &rec, *applies));
            }
        }
        if !errors.is_empty() || !warnings.is_empty() {
            println!();
            println!("Problems:");
            for e in &errors {
                println!("  error: {e}");
            }
            for w in &warnings {
                println!("  warning: {w}");
            }
        }
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

// ---------------------------------------------------------------------------------------------
// set

/// The record after applying `assignments` to the current one; refusals name the tag.
fn merged(current: Option<&str>, assignments: &[String]) -> anyhow::Result<DmarcRecord> {
    let mut rec = match current {
        None => DmarcRecord::new(),
        Some(text) => {
            let (rec, errors) = DmarcRecord::parse_lenient(text);
            // A bad value already in the record is fine if this command replaces or removes it.
            let assigned = |tag: crate::dmarc::Tag| {
                assignments.iter().any(|a| {
                    a.split_once('=')
                        .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(tag.name()))
                })
            };
            let blocking: Vec<String> = errors
                .iter()
                .filter(|e| {
                    !matches!(e, crate::dmarc::DmarcError::BadValue { tag, .. } if assigned(*tag))
                })
                .map(|e| e.to_string())
                .collect();
            if !blocking.is_empty() {
                bail!(
                    "the current record {text:?} is not valid ({}); set the bad tags too, or \
                     replace the record with `zonectl record set ZONE _dmarc TXT \"…\"`",
                    blocking.join("; ")
                );
            }
            rec
        }
    };
    // A tag given twice is a mistake whichever of the two was meant (`p=none p=reject`).
    let mut seen: Vec<(String, &str)> = Vec::new();
    for a in assignments {
        let name = a.split_once('=').map_or(a.as_str(), |(n, _)| n).trim();
        let name = name.to_ascii_lowercase();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == name) {
            bail!("{name} is given twice ({first} and {a}): give each tag once");
        }
        seen.push((name, a));
    }
    for a in assignments {
        rec.apply(a)?;
    }
    rec.check_writable()?;
    Ok(rec)
}

/// The edit that makes `rec` the zone's DMARC record, keeping other TXT records at `_dmarc`.
fn dmarc_ops(at: &DmarcAt, rec: &DmarcRecord) -> Vec<EditOp> {
    let new = txt_from_value(rec.to_string().as_bytes());
    let mut rdatas: Vec<Vec<u8>> = Vec::new();
    let mut placed = false;
    for (rd, text) in &at.txts {
        // A record meant as DMARC but misread by receivers is replaced too.
        if DmarcRecord::looks_like_dmarc(text) {
            if !placed {
                rdatas.push(new.clone());
                placed = true;
            }
        } else {
            rdatas.push(rd.clone());
        }
    }
    if !placed {
        rdatas.push(new);
    }
    vec![EditOp::Set {
        owner: at.owner.clone(),
        rtype: RType::TXT,
        ttl: None,
        rdatas,
    }]
}

/// `dmarc set`: the tags merged into the record as served (read again and merged again if
/// another edit changes it before this one arrives).
fn set(s: &Settings, o: &EditOptions, zone: &str, tags: &[String]) -> anyhow::Result<ExitCode> {
    let origin = edit::origin_of(s, zone)?;
    let owner = dmarc_owner(&origin);
    let origin = normalize(&origin.to_string());
    edit::with_retries(|notes| {
        let read = edit::current_rrset(s, zone, &owner, RType::TXT)?;
        set_from(s, o, zone, &origin, read, tags, notes)
    })
}

/// `dmarc set` on the TXT records `read` at `_dmarc.ZONE`.
fn set_from(
    s: &Settings,
    o: &EditOptions,
    zone: &str,
    origin: &str,
    read: Expected,
    tags: &[String],
    notes: &mut edit::Notes,
) -> anyhow::Result<ExitCode> {
    let at = DmarcAt::of(&read);
    let refused = |e: anyhow::Error| e.context(format!("{origin}: refused, nothing was changed"));
    let current = at.one().map_err(refused)?;
    let rec = merged(current, tags).map_err(refused)?;
    let old = current.map(|t| DmarcRecord::parse_lenient(t).0);
    if old.as_ref() == Some(&rec) {
        if s.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({
                    "zone": origin, "changes": [], "record": rec.to_string(), "no_change": true,
                }))?
            );
        } else {
            println!("{} TXT \"{}\"", at.owner, current.unwrap_or_default());
            println!("no change");
        }
        return Ok(ExitCode::SUCCESS);
    }
    for w in rec.warnings() {
        notes.eprint(format!("zonectl: {origin}: warning: {w}"));
    }
    edit::edit_zone_from(s, o, zone, dmarc_ops(&at, &rec), vec![read])
}

// ---------------------------------------------------------------------------------------------
// authorize

fn authorize(
    s: &Settings,
    o: &EditOptions,
    dest: &str,
    for_domain: &str,
) -> anyhow::Result<ExitCode> {
    let dest_name = domain_name(dest)?;
    domain_name(for_domain)?;
    // The zone holding DEST: DEST itself, else its closest served parent.
    let mut candidate = Some(dest_name.clone());
    let mut found = None;
    while let Some(c) = candidate {
        if c.is_root() {
            break;
        }
        if let Ok(zone) = edit::zone_data(s, &c.to_string()) {
            found = Some(zone);
            break;
        }
        candidate = c.parent();
    }
    let Some(zone) = found else {
        bail!(
            "no zone file for {dest} or a parent of it in {}: zonectl can only publish the \
             authorization in a zone it serves; ask the operator of {dest} to publish {} TXT \
             \"{AUTHORIZATION_RECORD}\"",
            s.zones_dir.display(),
            reports::authorization_name(for_domain, dest)
        );
    };
    let owner = domain_name(&reports::authorization_name(for_domain, dest))?;
    let existing = txt_at(&zone, &owner);
    if existing
        .iter()
        .any(|rd| DmarcRecord::is_dmarc(&txt_text(rd)))
    {
        println!("{owner} TXT \"{AUTHORIZATION_RECORD}\"");
        println!("no change: {dest} already accepts reports for {for_domain}");
        return Ok(ExitCode::SUCCESS);
    }
    let op = EditOp::Add {
        owner,
        rtype: RType::TXT,
        ttl: None,
        rdata: txt_from_value(AUTHORIZATION_RECORD.as_bytes()),
    };
    edit::edit_zone(s, o, &zone.origin().to_string(), vec![op])
}

// ---------------------------------------------------------------------------------------------
// Readiness: the SPF and DKIM seams, and check

/// The SPF facts of the zone's apex for readiness: the `v=spf1` records there, and the RFC 7208
/// record check ([`spf::check_record`]) with its lookup count through includes and redirects,
/// asked of the served zones and `--resolver` (`dns`). An include or redirect neither could
/// answer is listed as unresolved.
fn spf_facts(dns: &ServedDns, zone: &Zone) -> SpfFacts {
    let records: Vec<String> = txt_at(zone, zone.origin())
        .iter()
        .map(|rd| txt_text(rd))
        .filter(|t| spf::record::is_spf(t.trim_start().as_bytes()))
        .collect();
    let check = spf::check_record(&dns.spf_resolver(), zone.origin());
    let mut unresolved = Vec::new();
    if let Some(tree) = &check.tree {
        unresolved_terms(tree, &mut unresolved);
    }
    SpfFacts {
        records,
        verdict: SpfVerdict::Checked {
            errors: check.errors,
            lookups: check.lookups,
            warnings: check.warnings,
            unresolved,
        },
    }
}

/// The includes and redirects in `node`'s tree whose record could not be fetched, as
/// `DOMAIN: TERM (WHY)`.
fn unresolved_terms(node: &spf::RecordNode, out: &mut Vec<String>) {
    for term in &node.terms {
        if let Some(why) = &term.unresolved {
            out.push(format!("{}: {} ({why})", node.domain, term.text));
        }
        if let Some(child) = &term.child {
            unresolved_terms(child, out);
        }
    }
}

/// The selectors zonectl knows for the zone (private keys in `KEYS_DIR/ZONE/SELECTOR.private`,
/// and `SELECTOR._domainkey.ZONE` TXT records in the zone) with a verdict on each published key
/// (see `published_key_verdict`).
pub fn dkim_facts(keys_dir: &Path, zone: &Zone) -> Vec<DkimSelector> {
    let origin = origin_text(zone);
    let mut selectors: std::collections::BTreeMap<String, DkimSelector> = Default::default();
    if let Ok(entries) = std::fs::read_dir(keys_dir.join(&origin)) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(sel) = name.strip_suffix(".private") {
                selectors.insert(
                    sel.to_ascii_lowercase(),
                    DkimSelector {
                        selector: sel.to_ascii_lowercase(),
                        in_keys: true,
                        published: None,
                        key: KeyVerdict::NotPublished,
                    },
                );
            }
        }
    }
    let domainkey = zone
        .origin()
        .prepend_label(b"_domainkey")
        .expect("_domainkey. plus a zone origin fits in a name");
    for (owner, node) in zone.nodes() {
        let Some(set) = node.get(RType::TXT) else {
            continue;
        };
        if owner.label_count() != domainkey.label_count() + 1 || !owner.is_subdomain_of(&domainkey)
        {
            continue;
        }
        let sel =
            String::from_utf8_lossy(owner.labels().next().unwrap_or_default()).to_ascii_lowercase();
        let text = set.rdatas().first().map(txt_text).unwrap_or_default();
        let key = published_key_verdict(&text);
        let entry = selectors.entry(sel.clone()).or_insert(DkimSelector {
            selector: sel,
            in_keys: false,
            published: None,
            key: KeyVerdict::NotPublished,
        });
        entry.published = Some(text);
        entry.key = key;
    }
    selectors.into_values().collect()
}

/// Whether a published DKIM key record holds a key a verifier can use (see [`dkim_facts`]): it
/// parses as a key record and its key as the stated type, and an RSA key has at least the
/// 1024 bits RFC 8301 requires verifiers to accept.
fn published_key_verdict(text: &str) -> KeyVerdict {
    let record = match crate::dkim::record::DkimRecord::parse(text) {
        Ok(r) => r,
        Err(e) => return KeyVerdict::Broken(e.to_string()),
    };
    if record.is_revoked() {
        return KeyVerdict::Revoked;
    }
    if let Some(why) = crate::dkim::key::unusable_key(&record) {
        return KeyVerdict::Broken(why);
    }
    match crate::dkim::key::public_key_bits(record.key_type, &record.public_key) {
        Ok(bits) => KeyVerdict::Parses(format!("{} {bits}", record.key_type)),
        Err(e) => KeyVerdict::Broken(e.to_string()),
    }
}

/// Gathers the readiness facts of `zone` and judges them.
fn readiness_of(s: &Settings, zone: &Zone, evidence: &EvidenceArgs) -> anyhow::Result<Readiness> {
    let origin = origin_text(zone);
    let at = DmarcAt::read(zone);
    let record = match at.one() {
        Err(e) => Some(Err(vec![format!("{e:#}")])),
        Ok(None) => None,
        Ok(Some(text)) => Some(
            DmarcRecord::parse(text).map_err(|errs| errs.iter().map(|e| e.to_string()).collect()),
        ),
    };
    let mut dns = ServedDns::load(s, evidence.resolver.resolver, Some(zone))?;
    let destinations = match &record {
        Some(Ok(rec)) => {
            let dests = reports::destinations(&origin, rec, |d| dns.org_domain(d));
            dests
                .into_iter()
                .map(|d| {
                    let authorized = if d.external {
                        dns.txt_values(&d.authorization_name)
                            .map(|txts| reports::authorizes(&txts))
                    } else {
                        Ok(true)
                    };
                    DestinationFact {
                        destination: d,
                        authorized,
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(readiness::check(&Facts {
        record,
        spf: spf_facts(&dns, zone),
        dkim: dkim_facts(&s.keys_dir, zone),
        destinations,
        reports: report_facts(s, &origin, evidence),
    }))
}

/// The aggregate reports about `origin` in `--reports` (else the configuration's
/// `dmarc_reports`), or None if neither names any. A PATH that cannot be read is the facts'
/// `error`: the readiness item is unknown, and the other checks are still shown.
fn report_facts(s: &Settings, origin: &str, evidence: &EvidenceArgs) -> Option<ReportFacts> {
    let paths = match (&evidence.reports[..], &s.config.dmarc_reports) {
        ([], None) => return None,
        ([], Some(configured)) => vec![configured.clone()],
        (given, _) => given.to_vec(),
    };
    let window_days = evidence
        .report_days
        .or(s.config.dmarc_report_days)
        .unwrap_or(readiness::DEFAULT_REPORT_DAYS);
    Some(super::report_files::report_facts(
        &paths,
        window_days,
        |paths| super::dmarc_report::evidence_for(paths, origin, window_days),
    ))
}

fn print_readiness(r: &Readiness) {
    for i in &r.items {
        println!("  {:<8} {:<12} {}", i.status.to_string(), i.check, i.detail);
    }
}

fn readiness_json(r: &Readiness) -> serde_json::Value {
    let items: Vec<_> = r
        .items
        .iter()
        .map(|i| json!({"check": i.check, "status": i.status.to_string(), "detail": i.detail}))
        .collect();
    json!({"ready": r.ready(), "items": items})
}

fn check(s: &Settings, zone: &str, evidence: &EvidenceArgs) -> anyhow::Result<ExitCode> {
    let data = edit::zone_data(s, zone)?;
    let r = readiness_of(s, &data, evidence)?;
    print_verdict(s, &r, &origin_text(&data), "a stricter DMARC policy")
}

/// A readiness report for `zone`, in text or JSON; exit 0 if ready, else 1.
pub(super) fn print_verdict(
    s: &Settings,
    r: &Readiness,
    zone: &str,
    for_what: &str,
) -> anyhow::Result<ExitCode> {
    if s.json {
        let mut v = readiness_json(r);
        v["zone"] = json!(zone);
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("readiness of {zone} for {for_what}:");
        print_readiness(r);
        let unmet = r.unmet();
        if unmet.is_empty() {
            println!("ready");
        } else {
            println!(
                "not ready ({}): fix what FAILs; `unknown` could not be established",
                unmet.join(", ")
            );
        }
    }
    Ok(if r.ready() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

// ---------------------------------------------------------------------------------------------
// rollout

/// The zone's ladder and minimum dwell time (`[[zone]] dmarc_ladder`, `dmarc_min_dwell_days`).
fn ladder_of(s: &Settings, origin: &str) -> anyhow::Result<(Ladder, i64)> {
    let zc = s.config.zone(origin);
    let ladder = match zc.and_then(|z| z.dmarc_ladder.as_ref()) {
        Some(stages) => Ladder::parse(stages)
            .with_context(|| format!("[[zone]] {origin}: dmarc_ladder in the configuration"))?,
        None => Ladder::default(),
    };
    let dwell = zc
        .and_then(|z| z.dmarc_min_dwell_days)
        .map_or(rollout::DEFAULT_MIN_DWELL, |d| i64::from(d) * 86_400);
    Ok((ladder, dwell))
}

/// `ZONES_DIR/ORIGIN.dmarc-history`.
fn history_path(s: &Settings, origin: &str) -> PathBuf {
    s.zones_dir.join(format!("{origin}.dmarc-history"))
}

fn read_history(path: &Path) -> anyhow::Result<History> {
    match std::fs::read_to_string(path) {
        Ok(text) => History::parse(&text).with_context(|| format!("reading {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(History::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Who runs this command, for the history: `$USER`, else `$LOGNAME`, else `uid N`.
fn who() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        // SAFETY: getuid has no preconditions and cannot fail.
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::getuid() }))
}

fn rollout_verb(
    s: &Settings,
    o: &EditOptions,
    zone: &str,
    action: RolloutAction,
    force: bool,
    evidence: &EvidenceArgs,
) -> anyhow::Result<ExitCode> {
    let data = edit::zone_data(s, zone)?;
    let origin = origin_text(&data);
    let (ladder, min_dwell) = ladder_of(s, &origin)?;
    if force && !matches!(action, RolloutAction::Next) {
        bail!("--force applies to `rollout next` only (`back` is never refused)");
    }
    match action {
        RolloutAction::Plan => return plan(s, &data, &ladder, min_dwell),
        RolloutAction::Status => {
            let history = read_history(&history_path(s, &origin))?;
            return status(s, &data, &ladder, min_dwell, &history, evidence);
        }
        RolloutAction::Next | RolloutAction::Back => {}
    }
    // Held until the history is written, so two rollout steps of one zone never interleave.
    // (Not the zone's edit lock: `edit_zone` takes that one itself.)
    let lock_name = domain_name(&format!("_dmarc-rollout.{origin}"))?;
    let _lock = store::lock_zone(&s.zones_dir, &lock_name, |p| {
        eprintln!(
            "zonectl: waiting for another rollout step of {origin} to finish (lock {})",
            p.display()
        );
    })
    .with_context(|| format!("{origin}: taking the rollout lock"))?;
    // Read again under the lock.
    let data = edit::zone_data(s, zone)?;
    let history_file = history_path(s, &origin);
    let history = read_history(&history_file)?;
    let read = Expected::current(&data, &dmarc_owner(data.origin()), RType::TXT);
    let at = DmarcAt::of(&read);
    let current_text = at.one()?;
    let current = current_text.map(|t| DmarcRecord::parse_lenient(t).0);
    let ctx = StepContext {
        ladder: &ladder,
        record: current.as_ref(),
        history: &history,
        now: clock::unix_now(),
        min_dwell,
    };
    let (step, kind) = if action == RolloutAction::Next {
        let r = readiness_of(s, &data, evidence)?;
        match rollout::next(&ctx, &r.unmet(), force) {
            Ok(step) => (step, StepKind::Next),
            Err(refusals) => {
                eprintln!("zonectl: {origin}: rollout next refused, nothing was changed:");
                for why in &refusals {
                    eprintln!("  - {why}");
                }
                if refusals
                    .iter()
                    .any(|r| matches!(r, rollout::Refusal::NotReady { .. }))
                {
                    eprintln!("readiness:");
                    for i in r
                        .items
                        .iter()
                        .filter(|i| i.status != readiness::Status::Pass)
                    {
                        eprintln!("  {:<8} {:<12} {}", i.status.to_string(), i.check, i.detail);
                    }
                }
                if refusals.iter().all(|r| r.forcible()) {
                    eprintln!("`--force` steps up anyway.");
                }
                return Ok(ExitCode::from(1));
            }
        }
    } else {
        match rollout::back(&ctx) {
            Ok(step) => (step, StepKind::Back),
            Err(why) => {
                eprintln!("zonectl: {origin}: rollout back refused: {why}");
                return Ok(ExitCode::from(1));
            }
        }
    };
    for why in &step.overridden {
        eprintln!("zonectl: {origin}: --force: overriding: {why}");
    }
    let note = |line: String| {
        if s.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    };
    note(format!(
        "{origin}: {} → stage {} of {}: {}",
        match kind {
            StepKind::Next => "next",
            StepKind::Back => "back",
        },
        step.to + 1,
        ladder.stages().len(),
        step.stage
    ));
    // Made from the record read: refused if another edit changed it meanwhile, since the
    // step was judged on the record read.
    let code = edit::edit_zone_from(s, o, zone, dmarc_ops(&at, &step.record), vec![read])?;
    if code != ExitCode::SUCCESS || o.dry_run {
        return Ok(code);
    }
    // The edit is written and verified: record it.
    let after = edit::zone_data(s, zone)?;
    let written = DmarcAt::read(&after)
        .one()?
        .map(|t| DmarcRecord::parse_lenient(t).0);
    if written.as_ref() != Some(&step.record) {
        bail!(
            "{origin}: the zone file does not hold the record just written; the history was \
             not updated"
        );
    }
    let mut history = history;
    history.entries.push(Entry {
        time: clock::unix_now(),
        action: kind,
        forced: !step.overridden.is_empty(),
        stage: step.stage.to_string(),
        serial: after.serial().unwrap_or_default(),
        who: who(),
        record: step.record.to_string(),
    });
    store::write_atomic(&history_file, history.render(&origin).as_bytes()).with_context(|| {
        format!(
            "{origin}: the record is changed and served, but writing the history {} failed",
            history_file.display()
        )
    })?;
    note(format!("history: {}", history_file.display()));
    if let Some(line) = bimi_note(&origin, current_text, &step.record, &after) {
        note(line);
    }
    Ok(ExitCode::SUCCESS)
}

/// What a rollout step means for a BIMI logo, when it changes it: reaching enforcement lets
/// receivers show one (`bimi check` says what else they need); leaving it (a `(t=y)` stage
/// under RFC 9989, or `back`) hides a logo the zone publishes.
fn bimi_note(
    origin: &str,
    before: Option<&str>,
    after: &DmarcRecord,
    zone: &Zone,
) -> Option<String> {
    use crate::mail_policy::bimi;
    let was = before.is_some_and(|t| bimi::dmarc_shortfalls(t).is_empty());
    let short: Vec<String> = bimi::dmarc_shortfalls(&after.to_string())
        .iter()
        .map(ToString::to_string)
        .collect();
    let owner = zone
        .origin()
        .prepend_label(b"_bimi")
        .ok()?
        .prepend_label(b"default")
        .ok()?;
    let publishes = txt_at(zone, &owner)
        .iter()
        .any(|rd| bimi::is_record(&txt_text(rd)));
    match (was, short.is_empty()) {
        (false, true) => Some(format!(
            "{origin}: DMARC is at enforcement: BIMI receivers may show a logo for it; `zonectl \
             bimi check {origin}` says what else they need"
        )),
        (true, false) if publishes => Some(format!(
            "{origin}: DMARC {}: BIMI receivers stop showing the logo of {owner} until it is at \
             enforcement again",
            short.join(", ")
        )),
        _ => None,
    }
}

fn plan(s: &Settings, zone: &Zone, ladder: &Ladder, min_dwell: i64) -> anyhow::Result<ExitCode> {
    let origin = origin_text(zone);
    let at = DmarcAt::read(zone);
    let current = at.one()?.map(|t| DmarcRecord::parse_lenient(t).0);
    let position = ladder.position(current.as_ref());
    let rows: Vec<_> = ladder
        .stages()
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let rec = stage.record(current.as_ref());
            (
                i,
                *stage,
                rec.to_string(),
                receiver_action(Generation::Rfc7489, &rec, Applies::Domain).to_string(),
                receiver_action(Generation::Rfc9989, &rec, Applies::Domain).to_string(),
            )
        })
        .collect();
    if s.json {
        let stages: Vec<_> = rows
            .iter()
            .map(|(i, stage, rec, a, b)| {
                json!({"stage": stage.to_string(), "current": position == rollout::Position::At(*i),
                       "record": rec, "rfc7489": a, "rfc9989": b})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "zone": origin, "min_dwell_days": min_dwell / 86_400, "stages": stages,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "rollout of {origin}: {ladder} (at least {} days per stage)",
        min_dwell / 86_400
    );
    for (i, stage, rec, a, b) in &rows {
        let mark = if position == rollout::Position::At(*i) {
            "▶"
        } else {
            " "
        };
        println!("{mark} {}. {stage}", i + 1);
        println!("      record:            {rec}");
        println!("      RFC 7489 receivers: {a}");
        println!("      RFC 9989 receivers: {b}");
    }
    if let rollout::Position::Off { .. } = position {
        println!(
            "the current record {:?} is no stage of this ladder",
            current.map(|r| r.to_string()).unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn status(
    s: &Settings,
    zone: &Zone,
    ladder: &Ladder,
    min_dwell: i64,
    history: &History,
    evidence: &EvidenceArgs,
) -> anyhow::Result<ExitCode> {
    let origin = origin_text(zone);
    let at = DmarcAt::read(zone);
    let current = at.one()?.map(|t| DmarcRecord::parse_lenient(t).0);
    let now = clock::unix_now();
    let ctx = StepContext {
        ladder,
        record: current.as_ref(),
        history,
        now,
        min_dwell,
    };
    let position = ladder.position(current.as_ref());
    let since = rollout::stage_since(&ctx);
    let readiness = readiness_of(s, zone, evidence)?;
    let next = rollout::next(&ctx, &readiness.unmet(), false);
    let stage_text = match position {
        rollout::Position::NoRecord => "no DMARC record (before the first stage)".to_owned(),
        rollout::Position::At(i) => format!(
            "stage {} of {}: {}",
            i + 1,
            ladder.stages().len(),
            ladder.stages()[i]
        ),
        rollout::Position::Off { .. } => "off the ladder".to_owned(),
    };
    let next_text = match &next {
        Ok(step) => format!("allowed: {}", step.stage),
        Err(refusals) => {
            let v: Vec<String> = refusals.iter().map(|r| r.to_string()).collect();
            format!("refused: {}", v.join("; "))
        }
    };
    if s.json {
        let entries: Vec<_> = history
            .entries
            .iter()
            .map(|e| {
                json!({"time": rollout::format_time(e.time), "action": match e.action {
                    StepKind::Next => "next", StepKind::Back => "back" }, "forced": e.forced,
                    "stage": e.stage, "serial": e.serial, "who": e.who, "record": e.record})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "zone": origin, "ladder": ladder.to_string(), "position": stage_text,
                "record": current.as_ref().map(|r| r.to_string()),
                "since": since.as_ref().ok().and_then(|t| t.map(rollout::format_time)),
                "hand_edit": since.as_ref().err().map(|r| r.to_string()),
                "next": next_text, "readiness": readiness_json(&readiness),
                "history": entries,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("zone:     {origin}");
    println!("ladder:   {ladder}");
    println!("position: {stage_text}");
    match &current {
        Some(r) => println!("record:   {r}"),
        None => println!("record:   -"),
    }
    match &since {
        Ok(Some(t)) => println!(
            "since:    {} ({} days; minimum {} days)",
            rollout::format_time(*t),
            (now - t) / 86_400,
            min_dwell / 86_400
        ),
        Ok(None) => {}
        Err(why) => println!("warning:  {why}"),
    }
    println!("next:     {next_text}");
    println!("history:  {}", history_path(s, &origin).display());
    if history.entries.is_empty() {
        println!("  (no steps yet)");
    }
    for e in &history.entries {
        println!(
            "  {}  {:<12} {:<18} serial {:<10} {:<10} {}",
            rollout::format_time(e.time),
            match (e.action, e.forced) {
                (StepKind::Next, false) => "next",
                (StepKind::Next, true) => "next --force",
                (StepKind::Back, _) => "back",
            },
            e.stage,
            e.serial,
            e.who,
            e.record
        );
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// evaluate

/// What SPF said for `evaluate`: the result, the domain it checked (the one DMARC aligns with),
/// and where the result comes from.
struct SpfChecked {
    result: SpfResult,
    domain: String,
    /// `given with --spf`, or `evaluated: WHY; N DNS lookup(s)`.
    source: String,
    /// DNS-querying terms evaluated (none for `--spf`).
    dns_terms: u32,
}

/// RFC 7208 `check_host()` ([`spf::check_host`]) over the served zones and `--resolver` (`dns`)
/// for a client `ip`, the envelope sender `mail_from` (`local@domain`, or empty for the null
/// sender, when the HELO name is checked) and the HELO name.
fn spf_check_host(dns: &ServedDns, ip: IpAddr, mail_from: &str, helo: Option<&str>) -> SpfChecked {
    let out = spf::check_host(
        &dns.spf_resolver(),
        &spf::CheckHostInput {
            ip,
            helo: helo.unwrap_or_default().to_owned(),
            mail_from: mail_from.to_owned(),
            receiver: None,
            now: u64::try_from(clock::unix_now()).unwrap_or_default(),
        },
    );
    SpfChecked {
        result: spf_result(out.result),
        domain: normalize(&out.domain),
        source: format!("evaluated: {}; {} DNS lookup(s)", out.reason, out.dns_terms),
        dns_terms: out.dns_terms,
    }
}

/// RFC 7208's results, one to one.
fn spf_result(r: spf::SpfResult) -> SpfResult {
    match r {
        spf::SpfResult::None => SpfResult::None,
        spf::SpfResult::Neutral => SpfResult::Neutral,
        spf::SpfResult::Pass => SpfResult::Pass,
        spf::SpfResult::Fail => SpfResult::Fail,
        spf::SpfResult::SoftFail => SpfResult::SoftFail,
        spf::SpfResult::TempError => SpfResult::TempError,
        spf::SpfResult::PermError => SpfResult::PermError,
    }
}

/// The domain of an address (`user@domain`, or a bare domain); `None` for the null sender.
fn address_domain(addr: &str) -> Option<String> {
    let a = addr.trim().trim_start_matches('<').trim_end_matches('>');
    if a.is_empty() {
        return None;
    }
    Some(normalize(a.rsplit_once('@').map_or(a, |(_, d)| d)))
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn alignment_text(a: &Alignment) -> String {
    format!(
        "relaxed {} · strict {} · {} mode → {}",
        yes_no(a.relaxed),
        yes_no(a.strict),
        match a.mode {
            crate::dmarc::record::AlignMode::Relaxed => "relaxed",
            crate::dmarc::record::AlignMode::Strict => "strict",
        },
        if a.aligned_pass {
            "aligned pass"
        } else {
            "no aligned pass"
        }
    )
}

fn evaluate_verb(s: &Settings, args: EvaluateArgs) -> anyhow::Result<ExitCode> {
    let EvaluateArgs {
        zone,
        mail_from,
        from,
        ip,
        helo,
        dkim,
        spf,
        resolver,
    } = args;
    let from_domain =
        address_domain(&from).ok_or_else(|| anyhow!("--from needs an address with a domain"))?;
    domain_name(&from_domain)?;
    let zone_domain = normalize(&zone);
    let mut notes = Vec::new();
    if from_domain != zone_domain && !from_domain.ends_with(&format!(".{zone_domain}")) {
        notes.push(format!(
            "the From domain {from_domain} is not in {zone_domain}: evaluated for {from_domain}"
        ));
    }
    let dkim: Vec<DkimOutcome> = dkim
        .iter()
        .map(|d| {
            let (domain, result) = d
                .split_once('=')
                .ok_or_else(|| anyhow!("--dkim {d}: write DOMAIN=pass or DOMAIN=fail"))?;
            let pass = match result.to_ascii_lowercase().as_str() {
                "pass" => true,
                "fail" => false,
                _ => bail!("--dkim {d}: the result is pass or fail"),
            };
            domain_name(domain)?;
            Ok(DkimOutcome {
                domain: normalize(domain),
                pass,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let mut dns = ServedDns::load(s, resolver.resolver, None)?;
    // RFC 7208 §2.4: SPF checks MAIL FROM; with the null sender, the HELO name.
    let sender = mail_from
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let spf_domain = match address_domain(sender) {
        Some(d) => d,
        None => helo.as_deref().map(normalize).ok_or_else(|| {
            anyhow!("--mail-from is the null sender: give --helo NAME, which SPF then checks")
        })?,
    };
    domain_name(&spf_domain)?;
    let spf = match spf {
        Some(result) => SpfChecked {
            result,
            domain: spf_domain,
            source: "given with --spf".to_owned(),
            dns_terms: 0,
        },
        None => spf_check_host(&dns, ip, sender, helo.as_deref()),
    };
    let walk = tree_walk(&mut dns, &from_domain);
    for (name, why) in walk.unavailable() {
        notes.push(format!("{name}: {why}"));
    }
    let (from_exists, note) = dns.exists(&from_domain);
    notes.extend(note);
    let msg = Message {
        from_domain: from_domain.clone(),
        from_exists,
        // Aligned with the domain SPF checked, not one guessed here.
        spf: SpfOutcome {
            result: spf.result,
            domain: spf.domain.clone(),
        },
        dkim,
    };
    let v = evaluate(&msg, &walk, |d| dns.org_domain(d));
    let policy_text = match (&v.policy, v.applies) {
        (Some((d, rec)), Some(applies)) => {
            let which = match applies {
                Applies::Domain => "the From domain's own record",
                Applies::Subdomain => "the parent's record, for an existing subdomain",
                Applies::NonExistent => "the parent's record, for a non-existent subdomain",
            };
            format!("_dmarc.{d}: {rec} ({which})")
        }
        _ => "none found (no DMARC record for the From domain or its parents)".to_owned(),
    };
    if s.json {
        let dk: Vec<_> = v
            .dkim
            .iter()
            .map(|(pass, a)| {
                json!({"domain": a.domain, "result": if *pass {"pass"} else {"fail"},
                "org_domain": a.org_domain, "relaxed": a.relaxed, "strict": a.strict,
                "aligned_pass": a.aligned_pass})
            })
            .collect();
        let disp: Vec<_> = v
            .dispositions
            .iter()
            .map(|(g, d)| json!({"receivers": g.to_string(), "disposition": d.to_string()}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "from_domain": v.from_domain, "org_domain": v.from_org_domain,
                "policy": policy_text,
                "spf": {"domain": v.spf.domain, "result": v.spf_result.as_str(), "source": spf.source,
                        "lookups": spf.dns_terms,
                        "relaxed": v.spf.relaxed, "strict": v.spf.strict,
                        "aligned_pass": v.spf.aligned_pass},
                "dkim": dk, "dmarc": v.result.to_string(), "dispositions": disp, "notes": notes,
            }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    let row = |k: &str, v: &str| println!("{k:<13} {v}");
    row(
        "message",
        &format!(
            "MAIL FROM <{}> · From {} · IP {ip} · HELO {}",
            mail_from
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>'),
            from.trim(),
            helo.as_deref().unwrap_or("-")
        ),
    );
    row("policy", &policy_text);
    row(
        "org domain",
        &format!("{} (RFC 9989 DNS tree walk)", v.from_org_domain),
    );
    row(
        "SPF",
        &format!("{} for {} ({})", v.spf_result, spf.domain, spf.source),
    );
    row("  alignment", &alignment_text(&v.spf));
    if v.dkim.is_empty() {
        row("DKIM", "no signatures (--dkim DOMAIN=pass|fail)");
    }
    for (pass, a) in &v.dkim {
        row(
            "DKIM",
            &format!("{} for d={}", if *pass { "pass" } else { "fail" }, a.domain),
        );
        row("  alignment", &alignment_text(a));
    }
    row("DMARC", &v.result.to_string());
    for (g, d) in &v.dispositions {
        row(&g.to_string(), &d.to_string());
    }
    for n in &notes {
        row("note", n);
    }
    Ok(if v.result == DmarcResult::TempError {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
