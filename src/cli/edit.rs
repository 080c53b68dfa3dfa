//! The edit verbs: `record show|add|set|del`, `apply` and `serial show|bump|set`.
//!
//! Every verb that changes a zone goes through one path, [`run_edit`]:
//!
//! ```text
//! lock ZONES_DIR/.ORIGIN.lock ─► read the file ─► ask the server (if one runs): frozen? → refuse
//!   ─► edit the text in memory (zone::edit; serial policy with the clock read here)
//!   ─► --dry-run: print, stop            ─► refused: exit 1, nothing written
//!   ─► write_atomic ─► server: reload the zone, then query it over DNS and compare every changed
//!      RRset and the serial with what the new file says ─► print ─► unlock
//! ```
//!
//! The lock is held until the answer is verified, so the serial and records checked on the
//! wire are this command's and not a later one's, and two `zonectl` processes never both edit
//! the same old text. The edit itself (layout-preserving, validated, one serial bump) is the
//! pure `zone::edit`; this file only reads the clock, does the I/O and prints.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::Settings;
use crate::control::{self, ClientError, Request, Response, ZoneStatus};
use crate::dnsclient;
use crate::store;
use crate::zone::edit::{apply_edits, op_from_args, parse_batch, set_serial, EditOp};
use crate::zone::lookup::{lookup, LookupOptions, Owner, Rcode, Rdatas, Rrset};
use crate::zone::parse::{parse_zone, Entry};
use crate::zone::rdata::rdata_to_text;
use crate::zone::serial::{check_serial_set, next_serial, SerialError, SerialPolicy};
use crate::zone::{Name, RType, Record, Zone};

/// The global options only the edit verbs use (kept out of [`Settings`], which every verb
/// destructures).
#[derive(Debug, Clone)]
pub struct EditOptions {
    /// Print the change and the new serial; write nothing, reload nothing.
    pub dry_run: bool,
    /// Where the server answers DNS, to verify an edit on the wire.
    pub server: SocketAddr,
}

/// `zonectl record …`
#[derive(Debug, Args)]
pub struct RecordArgs {
    #[command(subcommand)]
    pub command: RecordCommand,
}

#[derive(Debug, Subcommand)]
pub enum RecordCommand {
    /// List the zone file's records, all or those of one name (and type).
    Show(ShowArgs),
    /// Add one record to an RRset (no change if it is there already).
    Add(RecordWords),
    /// Replace a whole RRset with this record (several records: consecutive `set` lines in
    /// `zonectl apply`).
    Set(RecordWords),
    /// Delete every record of a name, one RRset, or one record.
    Del(DelWords),
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The zone (e.g. apple.example).
    pub zone: String,
    /// A name, relative to the zone (`@`, `_dmarc`) or absolute (ending in a dot).
    pub name: Option<String>,
    /// A record type (A, MX, TXT…).
    #[arg(value_name = "TYPE")]
    pub rtype: Option<String>,
}

/// `ZONE NAME TYPE [TTL] RDATA…` of `record add` and `record set`.
#[derive(Debug, Args)]
pub struct RecordWords {
    /// The zone (e.g. apple.example).
    pub zone: String,
    /// The owner, relative to the zone (`@`, `_dmarc`) or absolute (ending in a dot).
    pub name: String,
    /// The record type (A, MX, TXT…).
    #[arg(value_name = "TYPE")]
    pub rtype: String,
    /// An optional TTL, then the record data in zone-file syntax. Everything after TYPE is
    /// taken as data, even words starting with `-` (`-all`): put options before the zone.
    #[arg(
        value_name = "[TTL] RDATA",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub data: Vec<String>,
}

/// `ZONE NAME [TYPE [RDATA…]]` of `record del`.
#[derive(Debug, Args)]
pub struct DelWords {
    /// The zone (e.g. apple.example).
    pub zone: String,
    /// The owner, relative to the zone (`@`, `_dmarc`) or absolute (ending in a dot).
    pub name: String,
    /// Delete only this type's records.
    #[arg(value_name = "TYPE")]
    pub rtype: Option<String>,
    /// Delete only the record with this data (zone-file syntax).
    #[arg(
        value_name = "RDATA",
        requires = "rtype",
        num_args = 0..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub rdata: Vec<String>,
}

/// `zonectl apply ZONE FILE|-`
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The zone (e.g. apple.example).
    pub zone: String,
    /// The batch: `add|set|del` lines as after `zonectl record`, without the zone; `-` reads
    /// standard input.
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
}

/// `zonectl serial …`
#[derive(Debug, Args)]
pub struct SerialArgs {
    #[command(subcommand)]
    pub command: SerialCommand,
}

#[derive(Debug, Subcommand)]
pub enum SerialCommand {
    /// The serial in the file, the one served, and the next one the policy gives.
    Show {
        /// The zone (e.g. apple.example).
        zone: String,
    },
    /// Raise the serial by the zone's policy, changing nothing else.
    Bump {
        /// The zone (e.g. apple.example).
        zone: String,
    },
    /// Set the serial; refused unless greater than the current one under RFC 1982.
    Set {
        /// The zone (e.g. apple.example).
        zone: String,
        /// The new serial.
        serial: u32,
        /// Set it even if it is not greater: secondaries will then not transfer the zone
        /// until the serial passes the current one again.
        #[arg(long)]
        force: bool,
    },
}

impl RecordArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        let (verb, zone, words) = match self.command {
            RecordCommand::Show(args) => return show(s, args),
            RecordCommand::Add(w) | RecordCommand::Set(w) if options_in_data(&w.data) => {
                return Ok(misplaced_option(&w.data));
            }
            RecordCommand::Add(RecordWords {
                zone,
                name,
                rtype,
                data,
            }) => ("add", zone, [vec![name, rtype], data].concat()),
            RecordCommand::Set(RecordWords {
                zone,
                name,
                rtype,
                data,
            }) => ("set", zone, [vec![name, rtype], data].concat()),
            RecordCommand::Del(DelWords {
                zone,
                name,
                rtype,
                rdata,
            }) => {
                if options_in_data(&rdata) {
                    return Ok(misplaced_option(&rdata));
                }
                (
                    "del",
                    zone,
                    [vec![name], rtype.into_iter().collect(), rdata].concat(),
                )
            }
        };
        let t = target(s, &zone)?;
        let op =
            op_from_args(verb, &words, &t.origin).map_err(|e| anyhow!(e).context(refused(&t)))?;
        run_edit(s, o, &t, Edit::Ops(vec![op]))
    }
}

impl ApplyArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        let ApplyArgs { zone, file } = self;
        let t = target(s, &zone)?;
        let text = if file.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading the batch from standard input")?;
            text
        } else {
            std::fs::read_to_string(&file)
                .with_context(|| format!("reading the batch {}", file.display()))?
        };
        let ops = parse_batch(&text, &t.origin).map_err(|e| {
            let from = if file.as_os_str() == "-" {
                "standard input".to_owned()
            } else {
                file.display().to_string()
            };
            anyhow!(e).context(format!("{}; batch {from}", refused(&t)))
        })?;
        run_edit(s, o, &t, Edit::Ops(ops))
    }
}

impl SerialArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        match self.command {
            SerialCommand::Show { zone } => serial_show(s, &target(s, &zone)?),
            SerialCommand::Bump { zone } => run_edit(s, o, &target(s, &zone)?, Edit::Bump),
            SerialCommand::Set {
                zone,
                serial,
                force,
            } => run_edit(s, o, &target(s, &zone)?, Edit::SetSerial { serial, force }),
        }
    }
}

/// The zone `zone` as its file holds it now: what the mail-auth verbs (`spf`, `dmarc`, `dkim`)
/// read before they compute an edit. The origin is lower-cased.
pub fn zone_data(s: &Settings, zone: &str) -> anyhow::Result<Zone> {
    let t = target(s, zone)?;
    Ok(store::load_zone(&t.file, &t.origin)?.zone)
}

/// Applies `ops` to `zone` through the one edit path every changing verb takes (validated, one
/// serial bump, atomic, applied to the running server and verified on the wire; `--dry-run`
/// prints and writes nothing), and prints the outcome as `record` does.
pub fn edit_zone(
    s: &Settings,
    o: &EditOptions,
    zone: &str,
    ops: Vec<EditOp>,
) -> anyhow::Result<ExitCode> {
    let t = target(s, zone)?;
    run_edit(s, o, &t, Edit::Ops(ops))
}

/// Does a data word spell one of zonectl's own global options? After TYPE every word is data
/// (so `-all` can be one), and `--dry-run` taken as TXT data would make a real edit of what was
/// meant as a dry run.
fn options_in_data(words: &[String]) -> bool {
    !misplaced_options(words).is_empty()
}

fn misplaced_options(words: &[String]) -> Vec<&str> {
    use clap::CommandFactory;
    let cmd = super::Cli::command();
    let longs: Vec<String> = cmd
        .get_arguments()
        .filter(|a| a.is_global_set())
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    words
        .iter()
        .map(String::as_str)
        .filter(|w| {
            let flag = w.split_once('=').map_or(*w, |(f, _)| f);
            longs.iter().any(|l| l == flag)
        })
        .collect()
}

/// The usage error for [`options_in_data`]: exit 2, as clap's are.
fn misplaced_option(words: &[String]) -> ExitCode {
    let found = misplaced_options(words).join(", ");
    eprintln!(
        "zonectl: {found} comes after the record type, where every word is record data; put \
         options before the zone (e.g. `zonectl --dry-run record add ZONE NAME TYPE RDATA…`), \
         or use `zonectl apply` for data that really is {found}"
    );
    ExitCode::from(2)
}

// ---------------------------------------------------------------------------------------------
// The zone an edit targets

/// A zone as the edit verbs find it.
struct Target {
    origin: Name,
    file: PathBuf,
    policy: SerialPolicy,
}

/// The zone's origin, file and serial policy: the config's `[[zone]]` entry if it has one (as
/// the server does), else `ZONES_DIR/ZONE.zone`.
fn target(s: &Settings, zone: &str) -> anyhow::Result<Target> {
    let origin = Name::parse(&format!("{}.", zone.trim_end_matches('.')), None)
        .with_context(|| format!("{zone} is not a valid zone name"))?;
    let configured = s.config.zone(&origin.to_string());
    let policy = configured
        .and_then(|z| z.serial_policy)
        .or(s.config.serial_policy)
        .unwrap_or_default();
    let file = match configured {
        Some(z) => s.zones_dir.join(
            z.file
                .clone()
                .unwrap_or_else(|| format!("{}.zone", z.name.trim_end_matches('.')).into()),
        ),
        None => {
            let plain = s
                .zones_dir
                .join(format!("{}.zone", zone.trim_end_matches('.')));
            if plain.is_file() {
                plain
            } else {
                // The file name may differ in case from what was typed.
                store::zone_files(&s.zones_dir)
                    .with_context(|| {
                        format!("reading the zones directory {}", s.zones_dir.display())
                    })?
                    .into_iter()
                    .find(|f| {
                        store::origin_from_file_name(f).is_some_and(|o| o.eq_ignore_case(&origin))
                    })
                    .ok_or_else(|| {
                        anyhow!(
                            "no zone file for {origin}: {} does not exist (pass --zones-dir DIR, \
                             or name the file in a [[zone]] entry of --config FILE)",
                            plain.display()
                        )
                    })?
            }
        }
    };
    Ok(Target {
        origin,
        file,
        policy,
    })
}

/// The context of a refused edit.
fn refused(t: &Target) -> String {
    format!("{}: refused, {} is unchanged", t.origin, t.file.display())
}

// ---------------------------------------------------------------------------------------------
// The edit path

/// What one command changes.
enum Edit {
    Ops(Vec<EditOp>),
    Bump,
    SetSerial { serial: u32, force: bool },
}

/// The edit computed in memory, before anything is written.
struct Planned {
    text: String,
    changes: Vec<ChangeJson>,
    old_serial: u32,
    new_serial: u32,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct ChangeJson {
    old: Option<String>,
    new: Option<String>,
}

/// What `--json` prints for an edit.
#[derive(Debug, Serialize)]
struct EditReport<'a> {
    zone: String,
    changes: &'a [ChangeJson],
    old_serial: u32,
    new_serial: u32,
    /// The new data was confirmed on the wire (for a no-op: the server serves this serial).
    served: bool,
    dry_run: bool,
    warnings: &'a [String],
}

/// The server's view of the zone before the edit.
enum Server {
    /// Nothing answers on the control socket.
    None,
    /// A server runs but does not serve this zone (its message says why).
    NotServing(String),
    Serving(ZoneStatus),
}

fn ask_server(s: &Settings, t: &Target) -> anyhow::Result<Server> {
    let request = Request::Status {
        zone: Some(t.origin.to_string()),
    };
    match control::call(&s.control, &request) {
        Ok(Response::Status { zones }) => Ok(zones
            .into_iter()
            .next()
            .map_or_else(|| Server::NotServing("no status".into()), Server::Serving)),
        Ok(Response::Error { message }) => Ok(Server::NotServing(message)),
        Ok(other) => bail!("unexpected answer from the server: {other:?}"),
        Err(ClientError::NotRunning { .. }) => Ok(Server::None),
        Err(e) => Err(anyhow!(e).context(format!(
            "{}: cannot ask the server whether the zone is frozen, so nothing was changed",
            t.origin
        ))),
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Reads `$INCLUDE`d files for the parser.
fn read_include(path: &Path) -> std::io::Result<String> {
    std::fs::read_to_string(path)
}

/// The one path every changing verb takes: see the module docs.
fn run_edit(s: &Settings, o: &EditOptions, t: &Target, edit: Edit) -> anyhow::Result<ExitCode> {
    let EditOptions { dry_run, server } = *o;
    // Held to the end of this function: see the module docs. A dry run writes nothing and reads
    // the file in one go, and a rename never shows it torn, so it needs no lock.
    let _lock = if dry_run {
        None
    } else {
        Some(
            store::lock_zone(&s.zones_dir, &t.origin, |path| {
                eprintln!(
                    "zonectl: waiting for another edit of {} to finish (lock {})",
                    t.origin,
                    path.display()
                );
            })
            .with_context(|| {
                format!(
                    "{}: taking the edit lock in {}",
                    t.origin,
                    s.zones_dir.display()
                )
            })?,
        )
    };
    let text = std::fs::read(&t.file)
        .with_context(|| format!("reading {}", t.file.display()))
        .and_then(|b| {
            String::from_utf8(b)
                .with_context(|| format!("{}: not valid UTF-8 text", t.file.display()))
        })?;

    let srv = ask_server(s, t)?;
    if let Server::Serving(st) = &srv {
        if st.frozen {
            bail!(
                "zone is frozen: thaw it first ({} is being edited by hand; `zonectl thaw {}` \
                 when that is done); nothing was changed",
                t.origin,
                t.origin
            );
        }
        same_file(t, st)?;
    }

    let planned = plan(t, &text, edit, now_unix())?;
    for w in &planned.warnings {
        eprintln!("zonectl: {}: {w}", t.origin);
    }
    if planned.text == text {
        let served = matches!(&srv, Server::Serving(st) if st.serial == Some(planned.old_serial));
        return report(s, t, &planned, served, dry_run, &["no change".to_owned()]);
    }
    if dry_run {
        return report(
            s,
            t,
            &planned,
            false,
            true,
            &["dry run: nothing written".to_owned()],
        );
    }

    store::write_atomic(&t.file, planned.text.as_bytes())
        .with_context(|| format!("writing {}; it is unchanged", t.file.display()))?;

    let note = match srv {
        Server::None => {
            "no server running: the file is updated; it will be served at the next start".to_owned()
        }
        Server::NotServing(why) => format!(
            "the server on {} does not serve {} ({why}): the file is updated",
            s.control.display(),
            t.origin
        ),
        Server::Serving(_) => {
            reload(s, t)?;
            verify(server, t, &text, &planned.text, planned.new_serial).with_context(|| {
                format!(
                    "{}: the file is written and the server reloaded it, but the edit is not \
                     served as written on {server}",
                    t.origin
                )
            })?;
            return report(
                s,
                t,
                &planned,
                true,
                false,
                &[format!(
                    "served: verified on {server} (serial {})",
                    planned.new_serial
                )],
            );
        }
    };
    report(s, t, &planned, false, false, &[note])
}

/// Refuses to edit a file other than the one the server serves for the zone (a `--zones-dir`
/// or `--config` that differs from the server's), when the server's path can be compared.
fn same_file(t: &Target, st: &ZoneStatus) -> anyhow::Result<()> {
    if !st.file.is_absolute() {
        // Relative to the server's working directory, which is not known here.
        return Ok(());
    }
    let ours = std::fs::canonicalize(&t.file).unwrap_or_else(|_| t.file.clone());
    let theirs = std::fs::canonicalize(&st.file).unwrap_or_else(|_| st.file.clone());
    if ours != theirs {
        bail!(
            "{}: the server serves this zone from {}, but this command would edit {}; pass the \
             server's --zones-dir (or --config); nothing was changed",
            t.origin,
            st.file.display(),
            t.file.display()
        );
    }
    Ok(())
}

/// Computes the new text, the changes and the serials; writes nothing.
fn plan(t: &Target, text: &str, edit: Edit, now: i64) -> anyhow::Result<Planned> {
    let refuse = |e: crate::zone::edit::EditError| anyhow!(e).context(refused(t));
    let ops = match &edit {
        Edit::Ops(ops) => ops.as_slice(),
        Edit::Bump | Edit::SetSerial { .. } => &[],
    };
    // With no ops this only reads the current serial (`new_serial` is not called).
    let out = apply_edits(
        text,
        &t.file,
        &t.origin,
        ops,
        |old| next_serial(t.policy, old, now),
        &mut read_include,
    )
    .map_err(refuse)?;
    let mut warnings: Vec<String> = out.warnings.iter().map(|f| f.to_string()).collect();
    let old = out.old_serial;
    let new = match edit {
        Edit::Ops(_) => {
            return Ok(Planned {
                text: out.text,
                changes: out
                    .changes
                    .into_iter()
                    .map(|c| ChangeJson {
                        old: c.old,
                        new: c.new,
                    })
                    .collect(),
                old_serial: old,
                new_serial: out.new_serial,
                warnings,
            })
        }
        Edit::Bump => next_serial(t.policy, old, now),
        Edit::SetSerial { serial, force } => match check_serial_set(old, serial) {
            Ok(()) => serial,
            Err(SerialError::Unchanged { .. }) => old,
            Err(e) if force => {
                warnings.push(format!(
                    "warning: --force: {}",
                    forced_warning(&e, old, serial)
                ));
                serial
            }
            Err(e) => bail!(
                "{}: {e}; `--force` sets it anyway, and secondaries then keep their copy",
                refused(t)
            ),
        },
    };
    let text = set_serial(text, &t.file, &t.origin, new, &mut read_include).map_err(refuse)?;
    Ok(Planned {
        text,
        changes: Vec::new(),
        old_serial: old,
        new_serial: new,
        warnings,
    })
}

/// What a forced `serial set` means for secondaries, and the safe way it skipped.
fn forced_warning(e: &SerialError, old: u32, new: u32) -> String {
    let why = match e {
        SerialError::Undefined { .. } => "is exactly 2^31 away from",
        _ => "is less than",
    };
    let mut s = format!(
        "serial {new} {why} the current serial {old} under RFC 1982: secondaries will not \
         transfer the zone, and keep serving their copy, until its serial is greater than {old} \
         again"
    );
    if let Some((last, via)) = e.steps().split_last() {
        let via: Vec<String> = via
            .iter()
            .map(|step| format!("set serial {step}, wait until every secondary has transferred it"))
            .collect();
        s.push_str(&format!(
            " (the safe way: {}, then set {last})",
            via.join(", then ")
        ));
    }
    s
}

/// Asks the server to load the written file, and checks that it did.
fn reload(s: &Settings, t: &Target) -> anyhow::Result<()> {
    let request = Request::Reload {
        zone: Some(t.origin.to_string()),
    };
    let context = || {
        format!(
            "{}: the file is written, but the server did not load it",
            t.origin
        )
    };
    match control::call(&s.control, &request).with_context(context)? {
        Response::Done { outcomes } => {
            let Some(o) = outcomes.into_iter().next() else {
                return Err(anyhow!("no outcome in the answer")).with_context(context);
            };
            for w in &o.warnings {
                eprintln!("zonectl: {}: server: {w}", t.origin);
            }
            if !o.ok {
                return Err(anyhow!("{}", o.message)).with_context(context);
            }
            Ok(())
        }
        Response::Error { message } => Err(anyhow!(message)).with_context(context),
        other => Err(anyhow!("unexpected answer: {other:?}")).with_context(context),
    }
}

/// Prints the outcome of an edit; `notes` are the last lines (what was done about it).
fn report(
    s: &Settings,
    t: &Target,
    p: &Planned,
    served: bool,
    dry_run: bool,
    notes: &[String],
) -> anyhow::Result<ExitCode> {
    if s.json {
        let r = EditReport {
            zone: t.origin.to_string(),
            changes: &p.changes,
            old_serial: p.old_serial,
            new_serial: p.new_serial,
            served,
            dry_run,
            warnings: &p.warnings,
        };
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(ExitCode::SUCCESS);
    }
    for c in &p.changes {
        if let Some(old) = &c.old {
            println!("- {old}");
        }
        if let Some(new) = &c.new {
            println!("+ {new}");
        }
    }
    if p.new_serial != p.old_serial {
        println!("serial {} → {}", p.old_serial, p.new_serial);
    }
    for n in notes {
        println!("{n}");
    }
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// Verification on the wire

/// One record of a response, in the form compared: owner and RDATA names lower-cased.
type WireRecord = (Vec<u8>, u16, u32, Vec<u8>);

/// What a response says, in the form compared.
#[derive(Debug, PartialEq, Eq)]
struct Said {
    rcode: u8,
    authoritative: bool,
    answer: Vec<WireRecord>,
    authority: Vec<WireRecord>,
}

/// The RRsets of a zone text: (lower-cased owner, type) → {(TTL, RDATA)}.
type RRsets = BTreeMap<(Vec<u8>, u16), BTreeSet<(u32, Vec<u8>)>>;

fn rrsets(entries: &[Entry]) -> RRsets {
    let mut map = RRsets::new();
    for e in entries {
        map.entry((e.owner.to_lowercase().as_wire().to_vec(), e.rtype.0))
            .or_default()
            .insert((e.ttl, e.rdata.clone()));
    }
    map
}

/// Queries the server at `addr` for the SOA and for every RRset that differs between the old
/// and the new text, and checks that each answer is the one the new zone gives (as the
/// server's lookup rules would produce it from the new file: wildcards, CNAMEs, referrals and
/// negative answers included). Returns how many questions were checked.
fn verify(
    addr: SocketAddr,
    t: &Target,
    old_text: &str,
    new_text: &str,
    new_serial: u32,
) -> anyhow::Result<usize> {
    let old = parse_zone(old_text, &t.file, &t.origin, &mut read_include)?;
    let new = parse_zone(new_text, &t.file, &t.origin, &mut read_include)?;
    let (old_sets, new_sets) = (rrsets(&old), rrsets(&new));
    let apex = t.origin.to_lowercase();
    let mut questions: Vec<(Vec<u8>, u16)> = vec![(apex.as_wire().to_vec(), RType::SOA.0)];
    for key in old_sets.keys().chain(new_sets.keys()) {
        if old_sets.get(key) != new_sets.get(key) && !questions.contains(key) {
            questions.push(key.clone());
        }
    }
    let zone = Zone::from_records(&t.origin, new.into_iter().map(Record::from));

    let mut checked = 0;
    for (owner_wire, rtype) in &questions {
        let rtype = RType(*rtype);
        // Meta types cannot be asked for; a record of such a type is not checked here.
        if rtype == RType::OPT || (128..=255).contains(&rtype.0) {
            continue;
        }
        let qname = Name::from_wire(owner_wire).expect("owner names are valid wire names");
        let resp = dnsclient::query(addr, &qname, rtype)?;
        if rtype == RType::SOA && owner_wire == apex.as_wire() {
            let serial = resp
                .answer
                .iter()
                .find(|r| r.rtype == RType::SOA)
                .and_then(|r| crate::zone::Soa::from_rdata(&r.rdata))
                .map(|soa| soa.serial);
            if serial != Some(new_serial) {
                bail!(
                    "the server answers the SOA of {} with serial {}, not {new_serial}",
                    t.origin,
                    serial.map_or_else(|| "none".to_owned(), |s| s.to_string())
                );
            }
        }
        let expected = expected_answer(&zone, &qname, rtype);
        let got = said_on_wire(&resp);
        if got != expected {
            bail!(
                "{qname} {rtype}: the server answers\n{}\nbut the edited file says\n{}",
                describe(&got),
                describe(&expected)
            );
        }
        checked += 1;
    }
    Ok(checked)
}

fn wire_record(owner: &Name, rtype: RType, ttl: u32, rdata: &[u8]) -> WireRecord {
    (
        owner.to_lowercase().as_wire().to_vec(),
        rtype.0,
        ttl,
        dnsclient::rdata_names_lowercased(rtype, rdata),
    )
}

fn said_on_wire(resp: &dnsclient::Response) -> Said {
    let section = |recs: &[dnsclient::Record]| {
        let mut v: Vec<WireRecord> = recs
            .iter()
            .map(|r| wire_record(&r.owner, r.rtype, r.ttl, &r.rdata))
            .collect();
        v.sort();
        v
    };
    Said {
        rcode: resp.rcode,
        authoritative: resp.authoritative,
        answer: section(&resp.answer),
        authority: section(&resp.authority),
    }
}

/// The answer the zone gives to `qname`/`rtype`, by the rules the server answers with.
fn expected_answer(zone: &Zone, qname: &Name, rtype: RType) -> Said {
    let lower = qname.to_lowercase();
    let ans = lookup(zone, lower.as_wire(), rtype, LookupOptions::default());
    let section = |sets: &[Rrset<'_>]| {
        let mut v = Vec::new();
        for set in sets {
            let owner = match &set.owner {
                Owner::QName => &lower,
                Owner::Zone(n) => *n,
                Owner::Owned(n) => n,
            };
            match &set.rdatas {
                Rdatas::Zone(rds) => {
                    for rd in rds.iter() {
                        v.push(wire_record(owner, set.rtype, set.ttl, rd));
                    }
                }
                Rdatas::Owned(rd) => v.push(wire_record(owner, set.rtype, set.ttl, rd)),
            }
        }
        v.sort();
        v
    };
    Said {
        rcode: match ans.rcode {
            Rcode::NoError => dnsclient::RCODE_NOERROR,
            Rcode::NxDomain => dnsclient::RCODE_NXDOMAIN,
            Rcode::YxDomain => dnsclient::RCODE_YXDOMAIN,
        },
        authoritative: ans.authoritative,
        answer: section(&ans.answer),
        authority: section(&ans.authority),
    }
}

/// A response for an error message, one record a line.
fn describe(said: &Said) -> String {
    let rcode = match said.rcode {
        dnsclient::RCODE_NOERROR => "NOERROR".to_owned(),
        dnsclient::RCODE_NXDOMAIN => "NXDOMAIN".to_owned(),
        other => format!("RCODE {other}"),
    };
    let mut out = format!("  {rcode}{}", if said.authoritative { ", aa" } else { "" });
    for (section, recs) in [("answer", &said.answer), ("authority", &said.authority)] {
        for (owner, rtype, ttl, rdata) in recs {
            let owner = Name::from_wire(owner).map_or_else(|_| "?".into(), |n| n.to_string());
            out.push_str(&format!(
                "\n  {section}: {owner} {ttl} {} {}",
                RType(*rtype),
                rdata_to_text(RType(*rtype), rdata)
            ));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Read-only verbs

#[derive(Debug, Serialize)]
struct ShownRecord {
    name: String,
    ttl: u32,
    class: &'static str,
    #[serde(rename = "type")]
    rtype: String,
    rdata: String,
}

/// `record show`: the file's records (checked as a load would), owners in canonical order.
/// Exit 1 when a NAME (and TYPE) was asked for and the zone has no such records.
fn show(s: &Settings, args: ShowArgs) -> anyhow::Result<ExitCode> {
    let ShowArgs { zone, name, rtype } = args;
    let t = target(s, &zone)?;
    let owner = match &name {
        Some(n) => match op_from_args("del", std::slice::from_ref(n), &t.origin)? {
            EditOp::Del { owner, .. } => Some(owner),
            _ => unreachable!("`del NAME` is a Del"),
        },
        None => None,
    };
    let rtype = match &rtype {
        Some(word) => Some(RType::from_name(word).ok_or_else(|| {
            anyhow!("unknown record type '{word}': write a type such as A, MX or TXT (or TYPEnnn)")
        })?),
        None => None,
    };
    let loaded = store::load_zone(&t.file, &t.origin)?;
    let records: Vec<ShownRecord> = loaded
        .zone
        .records_sorted()
        .into_iter()
        .filter(|r| owner.as_ref().is_none_or(|o| r.owner.eq_ignore_case(o)))
        .filter(|r| rtype.is_none_or(|ty| r.rtype == ty))
        .map(|r| ShownRecord {
            name: r.owner.to_string(),
            ttl: r.ttl,
            class: "IN",
            rtype: r.rtype.to_string(),
            rdata: rdata_to_text(r.rtype, &r.rdata),
        })
        .collect();
    if s.json {
        println!("{}", serde_json::to_string_pretty(&records)?);
    } else {
        for r in &records {
            println!("{} {} {} {} {}", r.name, r.ttl, r.class, r.rtype, r.rdata);
        }
    }
    if records.is_empty() {
        if let Some(owner) = owner {
            let what = rtype.map_or_else(String::new, |ty| format!(" {ty}"));
            eprintln!("zonectl: {}: no{what} records at {owner}", t.origin);
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Serialize)]
struct SerialReport {
    zone: String,
    file: PathBuf,
    serial: u32,
    /// The serial the running server serves, if one runs and serves the zone.
    served_serial: Option<u32>,
    policy: SerialPolicy,
    /// The serial the next edit or `serial bump` would set now.
    next: u32,
}

/// `serial show`: the file's serial, the served one, and the next one.
fn serial_show(s: &Settings, t: &Target) -> anyhow::Result<ExitCode> {
    let loaded = store::load_zone(&t.file, &t.origin)?;
    let serial = loaded
        .zone
        .serial()
        .ok_or_else(|| anyhow!("{}: the zone has no SOA record", t.origin))?;
    let served_serial = match ask_server(s, t)? {
        Server::Serving(st) => st.serial,
        Server::None | Server::NotServing(_) => None,
    };
    let r = SerialReport {
        zone: t.origin.to_string(),
        file: t.file.clone(),
        serial,
        served_serial,
        policy: t.policy,
        next: next_serial(t.policy, serial, now_unix()),
    };
    if s.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else {
        println!("file:   {} ({})", r.serial, r.file.display());
        match r.served_serial {
            Some(x) => println!("served: {x}"),
            None => println!("served: - (no server serves {})", r.zone),
        }
        println!("policy: {} (next: {})", r.policy, r.next);
    }
    Ok(ExitCode::SUCCESS)
}
