//! `zonectl spf show|check|set|add|remove`: the SPF record of a name, its terms explained and
//! its DNS lookup budget counted as a tree through includes (RFC 7208 §4.6.4), and edits that
//! are refused when the new record would make receivers return permerror.
//!
//! Includes into zones zonectl serves (the zone files of the zones directory) are resolved from
//! their files; other names through `--resolver IP:PORT`, else reported as unresolved and
//! counted as one lookup. Edits go through [`super::edit::edit_zone`]: validated, one serial
//! bump, atomic, applied to the running server and verified on the wire.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use super::edit::{self, EditOptions};
use super::Settings;
use crate::spf::check::{check_record, RecordNode, SpfCheck};
use crate::spf::eval::{txt_value, MAX_DNS_TERMS, MAX_VOID_LOOKUPS};
use crate::spf::record::{is_spf, SpfRecord, Term, VERSION};
use crate::spf::{DnsResolver, Resolver, ZoneResolver};
use crate::store;
use crate::zone::edit::EditOp;
use crate::zone::rdata::txt_from_value;
use crate::zone::update::Expected;
use crate::zone::{Name, RType, Record, Zone, ZoneSet};

/// `zonectl spf …`
#[derive(Debug, Args)]
pub struct SpfArgs {
    #[command(subcommand)]
    pub command: SpfCommand,
}

#[derive(Debug, Subcommand)]
pub enum SpfCommand {
    /// Show the SPF record of a name: each term explained, and the DNS lookups counted as a
    /// tree through includes and redirects, flagged against the limits (10 lookups, 2 void).
    Show(ViewArgs),
    /// Check the SPF record of a name: exit 1 if receivers would return permerror (syntax,
    /// two records, over 10 lookups or 2 void lookups, a broken include); warnings are printed.
    Check(ViewArgs),
    /// Replace the SPF record of a name (other TXT records stay). A record over 255 bytes is
    /// split into strings. Refused if the new record has errors.
    ///
    /// Example: zonectl spf set example.com "v=spf1 mx include:_spf.example.net -all"
    Set(SetArgs),
    /// Add terms to the SPF record of a name, before `all` and `redirect=`.
    ///
    /// Example: zonectl spf add example.com ip4:192.0.2.0/24 include:_spf.example.net
    Add(TermArgs),
    /// Remove terms from the SPF record of a name (each must be in it, spelt the same).
    ///
    /// Example: zonectl spf remove example.com ptr
    Remove(TermArgs),
}

/// `ZONE [NAME]` of `show` and `check`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The zone (e.g. example.com).
    pub zone: String,
    /// The name holding the record, relative to the zone (`@`, the default, is the apex) or
    /// absolute (ending in a dot).
    pub name: Option<String>,
    /// A DNS resolver for includes outside the zones zonectl serves (else they are reported
    /// unresolved and counted as one lookup).
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
}

/// `ZONE [NAME] RECORD` of `set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// The zone (e.g. example.com).
    pub zone: String,
    /// An optional NAME (`@` by default), then the record, starting with v=spf1 (quote it, or
    /// pass its terms as separate words). Put options before the zone.
    #[arg(
        value_name = "[NAME] RECORD",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
    /// A DNS resolver for includes outside the zones zonectl serves.
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
}

/// `ZONE [NAME] TERM…` of `add` and `remove`.
#[derive(Debug, Args)]
pub struct TermArgs {
    /// The zone (e.g. example.com).
    pub zone: String,
    /// An optional NAME (`@` by default; the first word is a NAME unless it is a valid SPF
    /// term, so write a host called `a` or `mx` as `a.ZONE.`), then the terms. Put options
    /// before the zone: every word after it is taken as a term (so `-all` can be one).
    #[arg(
        value_name = "[NAME] TERM",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub words: Vec<String>,
    /// A DNS resolver for includes outside the zones zonectl serves.
    #[arg(long, value_name = "IP:PORT")]
    pub resolver: Option<SocketAddr>,
}

impl SpfArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        match self.command {
            SpfCommand::Show(args) => view(s, args, false),
            SpfCommand::Check(args) => view(s, args, true),
            SpfCommand::Set(args) => {
                let SetArgs {
                    zone,
                    words,
                    resolver,
                } = args;
                refuse_options(&words)?;
                // An unquoted record arrives as several words: it starts at the v=spf1 word.
                let (name, record) = match words.iter().position(|w| is_spf(w.as_bytes())) {
                    Some(0) => (None, words.join(" ")),
                    Some(1) => (Some(words[0].clone()), words[1..].join(" ")),
                    _ => bail!(
                        "the record must start with {VERSION}: write `zonectl spf set ZONE [NAME] \
                         \"{VERSION} … -all\"`"
                    ),
                };
                edit_spf(s, o, &zone, name.as_deref(), resolver, |_| {
                    Ok(record.clone())
                })
            }
            SpfCommand::Add(args) => {
                let (zone, name, terms, resolver) = split_terms(args)?;
                edit_spf(s, o, &zone, name.as_deref(), resolver, |old| {
                    add_terms(existing(old)?, &terms)
                })
            }
            SpfCommand::Remove(args) => {
                let (zone, name, terms, resolver) = split_terms(args)?;
                edit_spf(s, o, &zone, name.as_deref(), resolver, |old| {
                    remove_terms(existing(old)?, &terms)
                })
            }
        }
    }
}

/// Words after ZONE are data; a word spelling an option was meant as one.
fn refuse_options(words: &[String]) -> anyhow::Result<()> {
    if let Some(w) = words.iter().find(|w| w.starts_with("--")) {
        bail!(
            "{w} comes after the zone, where every word is SPF data; put options before the \
             zone (e.g. `zonectl --dry-run spf add ZONE TERM…`)"
        );
    }
    Ok(())
}

/// `ZONE [NAME] TERM…` into its parts: the first word is a NAME unless it parses as a term.
type TermWords = (String, Option<String>, Vec<String>, Option<SocketAddr>);

fn split_terms(args: TermArgs) -> anyhow::Result<TermWords> {
    let TermArgs {
        zone,
        mut words,
        resolver,
    } = args;
    refuse_options(&words)?;
    let name = match Term::parse(&words[0]) {
        Ok(_) => None,
        Err(_) if words.len() > 1 => Some(words.remove(0)),
        Err(e) => bail!("'{}' is not an SPF term: {e}", words[0]),
    };
    for w in &words {
        Term::parse(w).map_err(|e| anyhow::anyhow!("'{w}' is not an SPF term: {e}"))?;
    }
    Ok((zone, name, words, resolver))
}

/// The one record `add` and `remove` change.
fn existing(old: &[String]) -> anyhow::Result<&str> {
    match old {
        [one] => Ok(one),
        [] => bail!(
            "there is no SPF record to change; create one with `zonectl spf set ZONE [NAME] \
             \"{VERSION} … -all\"`"
        ),
        many => bail!(
            "there are {} SPF records (receivers return permerror); replace them with one using \
             `zonectl spf set`",
            many.len()
        ),
    }
}

/// The words of a record after `v=spf1`.
fn record_terms(record: &str) -> Vec<&str> {
    record
        .get(VERSION.len()..)
        .unwrap_or("")
        .split(' ')
        .filter(|w| !w.is_empty())
        .collect()
}

fn join_record(terms: &[&str]) -> String {
    std::iter::once(VERSION)
        .chain(terms.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `record` with `new` terms inserted before its first `all` or `redirect=` (terms already in
/// it are left where they are).
pub fn add_terms(record: &str, new: &[String]) -> anyhow::Result<String> {
    let mut terms = record_terms(record);
    let at = terms
        .iter()
        .position(|t| Term::parse(t).is_ok_and(|t| t.is_all() || t.is_redirect()))
        .unwrap_or(terms.len());
    let mut insert: Vec<&str> = Vec::new();
    for n in new {
        let present = terms
            .iter()
            .chain(&insert)
            .any(|t| t.eq_ignore_ascii_case(n));
        if present {
            eprintln!("note: {n} is already in the record");
        } else {
            insert.push(n);
        }
    }
    terms.splice(at..at, insert);
    Ok(join_record(&terms))
}

/// `record` without the `gone` terms, each of which must be in it.
pub fn remove_terms(record: &str, gone: &[String]) -> anyhow::Result<String> {
    let mut terms = record_terms(record);
    for g in gone {
        let Some(k) = terms.iter().position(|t| t.eq_ignore_ascii_case(g)) else {
            bail!("{g} is not in the record `{record}`");
        };
        terms.remove(k);
    }
    Ok(join_record(&terms))
}

/// The owner `name` (`@` or absent: the apex; relative to the zone unless it ends in a dot).
fn owner(zone: &Zone, name: Option<&str>) -> anyhow::Result<Name> {
    let origin = zone.origin();
    let n = Name::parse(name.unwrap_or("@"), Some(origin))
        .with_context(|| format!("'{}' is not a valid name", name.unwrap_or("@")))?;
    if !n.is_subdomain_of(origin) {
        bail!("{n} is not in the zone {origin}");
    }
    Ok(n)
}

/// Every zone of the zones directory (and of the config), with `target` as given: what
/// includes into zones zonectl serves are resolved from. Zones that fail to load are skipped.
/// A running server writes its acknowledged edits into the files first, so the files read
/// are what it serves; a zone whose edits cannot be written is read as its file is, with a
/// warning (it is not the zone this command is about).
fn served_zones(s: &Settings, target: Zone) -> ZoneSet {
    if let Err(e) = super::edit::sync(s, None) {
        eprintln!("zonectl: warning: {e:#}; its file is read as it is");
    }
    let mut set = ZoneSet::new();
    let mut files = Vec::new();
    for zc in &s.config.zones {
        if let Ok(origin) = Name::parse(&format!("{}.", zc.name.trim_end_matches('.')), None) {
            let file = zc
                .file
                .clone()
                .unwrap_or_else(|| format!("{}.zone", zc.name.trim_end_matches('.')).into());
            files.push((origin, s.zones_dir.join(file)));
        }
    }
    if let Ok(list) = store::zone_files(&s.zones_dir) {
        for f in list {
            if files.iter().any(|(_, p)| *p == f) {
                continue;
            }
            if let Some(origin) = store::origin_from_file_name(&f) {
                files.push((origin, f));
            }
        }
    }
    for (origin, file) in files {
        if origin.eq_ignore_case(target.origin()) {
            continue;
        }
        if let Ok(loaded) = store::load_zone(&file, &origin) {
            set.insert(Arc::new(loaded.zone));
        }
    }
    set.insert(Arc::new(target));
    set
}

/// Checks the record at `name` against the served zones (and `--resolver`).
fn check_in(set: &ZoneSet, resolver: Option<SocketAddr>, name: &Name) -> SpfCheck {
    let dns = resolver.map(DnsResolver::new);
    let r = ZoneResolver::new(set, dns.as_ref().map(|d| d as &dyn Resolver));
    check_record(&r, name)
}

/// `spf show` and `spf check`.
fn view(s: &Settings, args: ViewArgs, check_only: bool) -> anyhow::Result<ExitCode> {
    let ViewArgs {
        zone,
        name,
        resolver,
    } = args;
    let data = edit::zone_data(s, &zone)?;
    let owner = owner(&data, name.as_deref())?;
    let set = served_zones(s, data);
    let report = check_in(&set, resolver, &owner);
    if s.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else if check_only {
        print_check(&report);
    } else {
        print_show(&report);
    }
    Ok(if report.is_ok() || !check_only {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn budget(report: &SpfCheck) -> String {
    format!(
        "{} of {MAX_DNS_TERMS} DNS lookups{}, {} of {MAX_VOID_LOOKUPS} void lookups{}",
        report.lookups,
        if report.lookups > MAX_DNS_TERMS {
            " (OVER THE LIMIT)"
        } else {
            ""
        },
        report.void_lookups,
        if report.void_lookups > MAX_VOID_LOOKUPS {
            " (OVER THE LIMIT)"
        } else {
            ""
        },
    )
}

fn print_findings(report: &SpfCheck) {
    for e in &report.errors {
        println!("error: {e}");
    }
    for w in &report.warnings {
        println!("warning: {w}");
    }
}

fn print_check(report: &SpfCheck) {
    print_findings(report);
    let verdict = if report.is_ok() {
        "ok".to_string()
    } else {
        format!(
            "{} error{} (receivers return permerror)",
            report.errors.len(),
            if report.errors.len() == 1 { "" } else { "s" }
        )
    };
    println!("{}: SPF {verdict}; {}", report.name, budget(report));
}

fn print_show(report: &SpfCheck) {
    match &report.tree {
        Some(tree) => {
            println!("{}: {}", tree.domain, tree.record);
            println!();
            println!("  lookups  term");
            print_node(tree, 1);
        }
        None => println!("{}: no usable SPF record", report.name),
    }
    println!();
    println!("{}", budget(report));
    if let Some(p) = &report.dmarc_policy {
        println!("DMARC policy: p={p}");
    }
    print_findings(report);
}

fn print_node(node: &RecordNode, depth: usize) {
    let indent = "    ".repeat(depth - 1);
    for t in &node.terms {
        println!("  {:>7}  {indent}{:<28} {}", t.lookups, t.text, t.meaning);
        if let Some(note) = &t.note {
            println!("  {:>7}  {indent}    ({note})", "");
        }
        if let Some(child) = &t.child {
            println!(
                "  {:>7}  {indent}    {}: {}",
                "", child.domain, child.record
            );
            print_node(child, depth + 1);
        }
    }
}

/// The SPF edits: `build` makes the new record from the existing ones; the zone with the new
/// record is checked (errors refuse the edit), then the change goes through the edit path. If
/// another edit changes the TXT records at the name before this one arrives, all of it is done
/// again on the zone as changed.
fn edit_spf(
    s: &Settings,
    o: &EditOptions,
    zone: &str,
    name: Option<&str>,
    resolver: Option<SocketAddr>,
    build: impl Fn(&[String]) -> anyhow::Result<String>,
) -> anyhow::Result<ExitCode> {
    edit::with_retries(|notes| edit_spf_once(s, o, zone, name, resolver, &build, notes))
}

fn edit_spf_once(
    s: &Settings,
    o: &EditOptions,
    zone: &str,
    name: Option<&str>,
    resolver: Option<SocketAddr>,
    build: &impl Fn(&[String]) -> anyhow::Result<String>,
    notes: &mut edit::Notes,
) -> anyhow::Result<ExitCode> {
    let data = edit::zone_data(s, zone)?;
    let owner = owner(&data, name)?;
    let read = Expected::current(&data, &owner, RType::TXT);
    let old: Vec<&[u8]> = read
        .rdatas
        .iter()
        .map(Vec::as_slice)
        .filter(|rd| txt_value(rd).is_some_and(|v| is_spf(&v)))
        .collect();
    let old_texts: Vec<String> = old
        .iter()
        .map(|rd| String::from_utf8_lossy(&txt_value(rd).unwrap_or_default()).into_owned())
        .collect();
    let new = build(&old_texts).with_context(|| format!("{owner}: refused, nothing changed"))?;
    SpfRecord::parse(new.as_bytes())
        .with_context(|| format!("{owner}: refused, nothing changed: `{new}` is not valid SPF"))?;
    let new_rdata = txt_from_value(new.as_bytes());
    if old.len() == 1 && old[0] == new_rdata.as_slice() {
        println!("{owner}: the SPF record is already `{new}`; nothing changed");
        return Ok(ExitCode::SUCCESS);
    }

    // The zone as it would be, checked as `spf check` would check it.
    let ttl = data
        .node(owner.to_lowercase().as_wire())
        .and_then(|n| n.get(RType::TXT))
        .map(|set| set.ttl);
    let origin = data.origin().clone();
    let mut records: Vec<Record> = data
        .records_sorted()
        .into_iter()
        .filter(|r| {
            !(r.rtype == RType::TXT
                && r.owner.eq_ignore_case(&owner)
                && old.contains(&&r.rdata[..]))
        })
        .collect();
    records.push(Record {
        owner: owner.clone(),
        ttl: ttl.unwrap_or(3600),
        rtype: RType::TXT,
        rdata: new_rdata.clone().into(),
    });
    let set = served_zones(s, Zone::from_records(&origin, records));
    let report = check_in(&set, resolver, &owner);
    for w in &report.warnings {
        notes.eprint(format!("warning: {w}"));
    }
    if !report.is_ok() {
        for e in &report.errors {
            eprintln!("error: {e}");
        }
        bail!(
            "{owner}: refused, nothing changed: receivers would return permerror for `{new}` \
             ({})",
            budget(&report)
        );
    }
    notes.eprint(format!("{owner}: {}", budget(&report)));

    // The TXT RRset with the new SPF record in place of the first old one (so it keeps its
    // line's comments) and the other TXT records as they are.
    let mut rdatas: Vec<Vec<u8>> = Vec::with_capacity(read.rdatas.len() + 1);
    let mut placed = false;
    for rd in &read.rdatas {
        if !old.contains(&rd.as_slice()) {
            rdatas.push(rd.clone());
        } else if !placed {
            rdatas.push(new_rdata.clone());
            placed = true;
        }
    }
    if !placed {
        rdatas.push(new_rdata);
    }
    let op = EditOp::Set {
        owner,
        rtype: RType::TXT,
        ttl: None,
        rdatas,
    };
    edit::edit_zone_from(s, o, zone, vec![op], vec![read])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(w: &[&str]) -> Vec<String> {
        w.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn adds_before_all_and_redirect() {
        assert_eq!(
            add_terms("v=spf1 mx -all", &words(&["ip4:192.0.2.1", "a"])).unwrap(),
            "v=spf1 mx ip4:192.0.2.1 a -all"
        );
        assert_eq!(
            add_terms("v=spf1 mx redirect=x.example", &words(&["a"])).unwrap(),
            "v=spf1 mx a redirect=x.example"
        );
        assert_eq!(
            add_terms("v=spf1", &words(&["-all"])).unwrap(),
            "v=spf1 -all"
        );
        assert_eq!(
            add_terms("v=spf1 MX -all", &words(&["mx"])).unwrap(),
            "v=spf1 MX -all"
        );
    }

    #[test]
    fn removes_terms_that_are_there() {
        assert_eq!(
            remove_terms("v=spf1 a  ptr mx -all", &words(&["PTR"])).unwrap(),
            "v=spf1 a mx -all"
        );
        assert!(remove_terms("v=spf1 a -all", &words(&["mx"])).is_err());
    }
}
