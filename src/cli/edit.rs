//! The edit verbs: `record show|add|set|del`, `apply` and `serial show|bump|set`.
//!
//! Every verb that changes a zone goes through one path, [`run_edit`]:
//!
//! ```text
//! a server serves the zone (asked on the control socket)?
//!   yes ─► Request::Edit: the server applies it to the served zone in memory (checked, one
//!          serial bump by its policy), journals it (fsync), serves it and answers; it writes
//!          the zone file a moment later ─► query the server over DNS: the new serial and every
//!          added record are answered, every removed one is not ─► print
//!   no  ─► lock ZONES_DIR/.ORIGIN.lock ─► read the file ─► the same in-memory edit, then the
//!          same ops written into the text (layout kept) ─► --dry-run: print, stop
//!          ─► replace_if_unchanged (not over a hand edit saved since the read) ─► print ─► unlock
//! ```
//!
//! Either way, a refused edit exits 1 and changes nothing. The server being the only writer of
//! the zones it serves is what makes concurrent edits safe (and a frozen zone refuse them);
//! without a server, the lock does. The edit itself is the pure `zone::update` (in memory) and
//! `zone::edit` (the file's text); this file only reads the clock, does the I/O and prints.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::Settings;
use crate::clock;
use crate::control::{
    self, decode_rdatas, ClientError, EditChange, EditDone, ExpectWire, OpWire, Request, Response,
    ZoneStatus,
};
use crate::store;
use crate::zone::check::without_line_refs;
use crate::zone::edit::{apply_edits, op_from_args, parse_batch, set_serial, EditOp};
use crate::zone::rdata::rdata_to_text;
use crate::zone::serial::{next_serial, serial_gt, settle_serial_set, SerialPolicy};
use crate::zone::update::{self, Expected};
use crate::zone::{Name, RType, Zone};

/// The global options only the edit verbs use (kept out of [`Settings`], which every verb
/// destructures).
#[derive(Debug, Clone)]
pub struct EditOptions {
    /// Print the change and the new serial; write nothing, reload nothing.
    pub dry_run: bool,
    /// Where the server answers DNS, to verify an edit on the wire.
    pub server: SocketAddr,
    /// Make an MX edit the zone's enforced MTA-STS policy does not allow (`record`'s and
    /// `apply`'s `--force`); else it is refused ([`mta_sts_check`]).
    pub force_mx: bool,
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
    /// Make an MX edit even though the zone's enforced MTA-STS policy (`mta_sts_policy`) does
    /// not allow a mail host it leaves.
    #[arg(long)]
    pub force: bool,
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
    /// Make an MX edit even though the zone's enforced MTA-STS policy (`mta_sts_policy`) does
    /// not allow a mail host it leaves (with no MX left, the domain itself).
    #[arg(long)]
    pub force: bool,
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
    /// Apply the batch even though the zone's enforced MTA-STS policy (`mta_sts_policy`) does
    /// not allow a mail host it leaves.
    #[arg(long)]
    pub force: bool,
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
        let (verb, zone, words, force) = match self.command {
            RecordCommand::Show(args) => return show(s, args),
            RecordCommand::Add(w) | RecordCommand::Set(w) if options_in_data(&w.data) => {
                return Ok(misplaced_option(&w.data));
            }
            RecordCommand::Add(RecordWords {
                force,
                zone,
                name,
                rtype,
                data,
            }) => ("add", zone, [vec![name, rtype], data].concat(), force),
            RecordCommand::Set(RecordWords {
                force,
                zone,
                name,
                rtype,
                data,
            }) => ("set", zone, [vec![name, rtype], data].concat(), force),
            RecordCommand::Del(DelWords {
                force,
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
                    force,
                )
            }
        };
        let t = target(s, &zone)?;
        let op =
            op_from_args(verb, &words, &t.origin).map_err(|e| anyhow!(e).context(refused(&t)))?;
        let o = EditOptions {
            force_mx: force,
            ..o.clone()
        };
        run_edit(s, &o, &t, Edit::ops(vec![op]))
    }
}

impl ApplyArgs {
    pub fn run(self, s: &Settings, o: &EditOptions) -> anyhow::Result<ExitCode> {
        let ApplyArgs { force, zone, file } = self;
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
        let o = EditOptions {
            force_mx: force,
            ..o.clone()
        };
        run_edit(s, &o, &t, Edit::ops(ops))
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
    sync(s, Some(&t.origin))?;
    Ok(store::load_zone(&t.file, &t.origin)?.zone)
}

/// The origin of the zone `zone` names, lower-cased.
pub fn origin_of(s: &Settings, zone: &str) -> anyhow::Result<Name> {
    Ok(target(s, zone)?.origin.to_lowercase())
}

/// The records of one RRset of `zone` with every edit made so far, as a read-modify-write
/// command starts from them: asked of the running server that serves the zone (without
/// reading the file: milliseconds on a zone of millions of records), else read from the file.
pub fn current_rrset(
    s: &Settings,
    zone: &str,
    owner: &Name,
    rtype: RType,
) -> anyhow::Result<Expected> {
    let t = target(s, zone)?;
    let request = Request::Records {
        zone: t.origin.to_string(),
        owner: owner.to_string(),
        rtype: rtype.0,
    };
    match control::call(&s.control, &request) {
        Ok(Response::Records { rdatas, .. }) => Ok(Expected {
            owner: owner.clone(),
            rtype,
            rdatas: decode_rdatas(&rdatas)
                .map_err(|e| anyhow!("bad answer from the server: {e}"))?,
        }),
        Ok(Response::Error { message }) if control::is_permission_denied(&message) => {
            bail!("{message}")
        }
        // No server, or one that does not serve the zone (or predates `Records`): the file.
        _ => Ok(Expected::current(&zone_data(s, zone)?, owner, rtype)),
    }
}

/// Asks a running server to write its acknowledged edits of the zone (every zone the caller
/// may touch, with `None`) into the files, so that reading a file sees every edit made so far.
/// Nothing to do when no server runs.
pub(super) fn sync(s: &Settings, origin: Option<&Name>) -> anyhow::Result<()> {
    let request = Request::Sync {
        zone: origin.map(Name::to_string),
    };
    let what = origin.map_or_else(|| "the zones".to_owned(), Name::to_string);
    match control::call(&s.control, &request) {
        Ok(Response::Done { outcomes }) => match outcomes.into_iter().find(|o| !o.ok) {
            Some(o) => bail!("{}: {}", o.zone, o.message),
            None => Ok(()),
        },
        Ok(Response::Error { message }) if control::is_permission_denied(&message) => {
            bail!("{message}")
        }
        // The server does not serve this zone: its file is the operator's alone.
        Ok(Response::Error { .. }) | Err(ClientError::NotRunning { .. }) => Ok(()),
        Ok(other) => bail!("unexpected answer from the server: {other:?}"),
        Err(e) => Err(anyhow!(e).context(format!(
            "{what}: cannot ask the server to write its edits into the files"
        ))),
    }
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
    edit_zone_from(s, o, zone, ops, Vec::new())
}

/// [`edit_zone`] for ops made from records read before: refused, changing nothing, unless the
/// zone still holds them (`expected`); the error is then [`ChangedMeanwhile`], and reading
/// them again and retrying is the remedy.
pub fn edit_zone_from(
    s: &Settings,
    o: &EditOptions,
    zone: &str,
    ops: Vec<EditOp>,
    expected: Vec<Expected>,
) -> anyhow::Result<ExitCode> {
    let t = target(s, zone)?;
    run_edit(s, o, &t, Edit::Ops { ops, expected })
}

/// The records an edit was made from changed before it was applied: nothing was changed.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ChangedMeanwhile(String);

/// Lines a read-modify-write command prints on standard error, each once however many times
/// it tries.
#[derive(Debug, Default)]
pub struct Notes(std::collections::HashSet<String>);

impl Notes {
    pub fn eprint(&mut self, line: String) {
        if !self.0.contains(&line) {
            eprintln!("{line}");
            self.0.insert(line);
        }
    }
}

/// How many times a read-modify-write command reads and tries again when its edit is refused
/// because what it read changed meanwhile ([`ChangedMeanwhile`]): each refusal means another
/// edit got through, so as many tries as commands racing.
const TRIES: usize = 8;

/// Runs a read-modify-write command's `attempt` (read, change, [`edit_zone_from`]) again while
/// its edit is refused as [`ChangedMeanwhile`], up to [`TRIES`] times; `attempt` prints its
/// notes through the [`Notes`] given, so each is printed once.
pub fn with_retries(
    mut attempt: impl FnMut(&mut Notes) -> anyhow::Result<ExitCode>,
) -> anyhow::Result<ExitCode> {
    let mut notes = Notes::default();
    let mut tries = 1;
    loop {
        match attempt(&mut notes) {
            Err(e) if e.downcast_ref::<ChangedMeanwhile>().is_some() && tries < TRIES => tries += 1,
            result => return result,
        }
    }
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
    /// The file exists (a running server edits its own file, which may be elsewhere).
    file_found: bool,
    policy: SerialPolicy,
}

/// The zone's origin, file and serial policy: the config's `[[zone]]` entry if it has one (as
/// the server does), else `ZONES_DIR/ZONE.zone`.
fn target(s: &Settings, zone: &str) -> anyhow::Result<Target> {
    let origin = Name::parse(&format!("{}.", zone.trim_end_matches('.')), None)
        .with_context(|| format!("{zone} is not a valid zone name"))?;
    let configured = s.config.zone(&origin.to_string());
    let policy = s.config.serial_policy_for(&origin.to_string());
    let plain = |name: &str| {
        s.zones_dir
            .join(format!("{}.zone", name.trim_end_matches('.')))
    };
    let file = match configured {
        Some(z) => match &z.file {
            Some(f) => s.zones_dir.join(f),
            None => plain(&z.name),
        },
        None if plain(zone).is_file() => plain(zone),
        // The file name may differ in case from what was typed.
        None => store::zone_files(&s.zones_dir)
            .ok()
            .and_then(|files| {
                files.into_iter().find(|f| {
                    store::origin_from_file_name(f).is_some_and(|o| o.eq_ignore_case(&origin))
                })
            })
            .unwrap_or_else(|| plain(zone)),
    };
    Ok(Target {
        origin,
        file_found: file.is_file(),
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
    /// Record edits, made from the records `expected` (see [`edit_zone_from`]).
    Ops {
        ops: Vec<EditOp>,
        expected: Vec<Expected>,
    },
    Bump,
    SetSerial {
        serial: u32,
        force: bool,
    },
}

impl Edit {
    /// Record edits made from nothing read.
    fn ops(ops: Vec<EditOp>) -> Edit {
        Edit::Ops {
            ops,
            expected: Vec::new(),
        }
    }
}

/// The edit computed in memory, before anything is written.
struct Planned {
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
        Ok(Response::Error { message }) if control::is_permission_denied(&message) => {
            bail!("{message}")
        }
        Ok(Response::Error { message }) => Ok(Server::NotServing(message)),
        Ok(other) => bail!("unexpected answer from the server: {other:?}"),
        Err(ClientError::NotRunning { .. }) => Ok(Server::None),
        Err(e) => Err(anyhow!(e).context(format!(
            "{}: cannot ask the server whether the zone is frozen, so nothing was changed",
            t.origin
        ))),
    }
}

/// The one path every changing verb takes: see the module docs.
fn run_edit(s: &Settings, o: &EditOptions, t: &Target, edit: Edit) -> anyhow::Result<ExitCode> {
    match ask_server(s, t)? {
        Server::Serving(_) => run_edit_live(s, o, t, edit),
        srv => run_edit_file(s, o, t, edit, srv),
    }
}

/// A running server serves the zone: it applies the edit (see `server::manager`); then the
/// answer is checked on the wire.
fn run_edit_live(
    s: &Settings,
    o: &EditOptions,
    t: &Target,
    edit: Edit,
) -> anyhow::Result<ExitCode> {
    let EditOptions {
        dry_run,
        server,
        force_mx,
    } = *o;
    // An MX edit an enforced MTA-STS policy does not allow is tried as a dry run first, so
    // that it is refused before it is applied; what that found is not looked up again.
    let checked = if !dry_run && !force_mx && touches_apex_mx(s, t, &edit) {
        let (_, planned) = edit_on_server(s, t, &edit, true)?;
        let check = mta_sts_check(s, t, &planned.changes, false);
        if let Some(check) = &check {
            check.refuse(t)?;
        }
        Some(check)
    } else {
        None
    };
    let (done, mut planned) = edit_on_server(s, t, &edit, dry_run)?;
    // A dry run left the zone as it was: its MX hosts are those before the edit.
    let check = checked.unwrap_or_else(|| mta_sts_check(s, t, &planned.changes, !dry_run));
    if let Some(check) = check {
        if dry_run && !force_mx {
            check.refuse(t)?;
        }
        planned.warnings.push(check.warning());
    }
    print_warnings(t, &planned.warnings);
    if dry_run {
        return report(
            s,
            t,
            &planned,
            false,
            true,
            &["dry run: nothing written".into()],
        );
    }
    if done.new_serial == done.old_serial {
        return report(s, t, &planned, true, false, &["no change".into()]);
    }
    let note = verify(server, t, &done).with_context(|| {
        format!(
            "{}: the server acknowledged the edit (it is journaled), but it is not served as \
             written on {server}",
            t.origin
        )
    })?;
    report(s, t, &planned, true, false, &[note])
}

/// Sends `edit` to the server (as a dry run or not): what it did, and the plan as printed.
fn edit_on_server(
    s: &Settings,
    t: &Target,
    edit: &Edit,
    dry_run: bool,
) -> anyhow::Result<(control::EditDone, Planned)> {
    let change = match edit {
        Edit::Ops { ops, expected } => EditChange::Ops {
            ops: ops.iter().map(OpWire::from).collect(),
            expect: expected.iter().map(ExpectWire::from).collect(),
        },
        Edit::Bump => EditChange::Bump,
        Edit::SetSerial { serial, force } => EditChange::SetSerial {
            serial: *serial,
            force: *force,
        },
    };
    let request = Request::Edit {
        zone: t.origin.to_string(),
        change,
        dry_run,
    };
    let done = match control::call(&s.control, &request).with_context(|| {
        format!(
            "{}: the server did not answer the edit; check `zonectl status {}` to see whether \
             it was applied",
            t.origin, t.origin
        )
    })? {
        Response::Edited(done) => done,
        Response::Error { message } if control::is_changed_meanwhile(&message) => {
            return Err(ChangedMeanwhile(message).into())
        }
        Response::Error { message } => bail!("{message}"),
        other => bail!("unexpected answer from the server: {other:?}"),
    };
    let planned = Planned {
        changes: done
            .changes
            .iter()
            .map(|c| ChangeJson {
                old: c.old.clone(),
                new: c.new.clone(),
            })
            .collect(),
        old_serial: done.old_serial,
        new_serial: done.new_serial,
        warnings: done.warnings.clone(),
    };
    Ok((done, planned))
}

/// Does `edit` change records at the zone's apex that may be MX records, in a zone whose
/// configuration names its MTA-STS policy?
fn touches_apex_mx(s: &Settings, t: &Target, edit: &Edit) -> bool {
    let configured = s
        .config
        .zone(&t.origin.to_string())
        .is_some_and(|z| z.mta_sts_policy.is_some());
    let Edit::Ops { ops, .. } = edit else {
        return false;
    };
    configured
        && ops.iter().any(|op| match op {
            EditOp::Add { owner, rtype, .. } | EditOp::Set { owner, rtype, .. } => {
                *rtype == RType::MX && owner.eq_ignore_case(&t.origin)
            }
            EditOp::Del { owner, rtype, .. } => {
                rtype.is_none_or(|r| r == RType::MX) && owner.eq_ignore_case(&t.origin)
            }
        })
}

/// No server serves the zone: edit the file under the zone's edit lock.
fn run_edit_file(
    s: &Settings,
    o: &EditOptions,
    t: &Target,
    edit: Edit,
    srv: Server,
) -> anyhow::Result<ExitCode> {
    let dry_run = o.dry_run;
    if !t.file_found {
        bail!(
            "no zone file for {}: {} does not exist (pass --zones-dir DIR, or name the file in a \
             [[zone]] entry of --config FILE)",
            t.origin,
            t.file.display()
        );
    }
    if let (Server::None, Some(message)) = (&srv, super::wrong_control(s)) {
        bail!("{}: {message}", t.origin);
    }
    // Edits a server acknowledged but had not written into the file when it stopped: editing
    // the file now would give the file serials the journal's edits already use, and the next
    // start could not tell them apart.
    if let Some(journal) = crate::journal::unapplied(&s.zones_dir, &t.origin) {
        bail!(
            "{}: {} holds edits the server acknowledged but did not write into {} before it \
             stopped; start `zonectl serve` (it applies them at start-up) and edit through it; \
             nothing was changed",
            t.origin,
            journal.display(),
            t.file.display()
        );
    }
    // A dry run writes nothing and reads the file in one go, and a rename never shows it torn,
    // so it needs no lock.
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
    let read_stamp =
        store::FileStamp::of(&t.file).with_context(|| format!("reading {}", t.file.display()))?;
    let text = std::fs::read(&t.file)
        .with_context(|| format!("reading {}", t.file.display()))
        .and_then(|b| {
            String::from_utf8(b)
                .with_context(|| format!("{}: not valid UTF-8 text", t.file.display()))
        })?;
    let (mut planned, new_text) = plan(t, &text, edit, clock::unix_now())?;
    if let Some(check) = mta_sts_check(s, t, &planned.changes, false) {
        if !o.force_mx {
            check.refuse(t)?;
        }
        planned.warnings.push(check.warning());
    }
    print_warnings(t, &planned.warnings);
    if new_text == text {
        return report(s, t, &planned, false, dry_run, &["no change".to_owned()]);
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
    // The edit lock keeps other zonectl commands out, not an editor: a hand edit saved since
    // the read is kept, not overwritten.
    let changed = || {
        anyhow!(
            "{} changed while zonectl was editing it (a hand edit?): it was not overwritten; \
             run the command again to edit the new version",
            t.file.display()
        )
    };
    match store::replace_if_unchanged(
        &t.file,
        new_text.as_bytes(),
        read_stamp.ok_or_else(changed)?,
    ) {
        Ok(_) => {}
        Err(store::ReplaceError::Changed) => return Err(changed()),
        Err(store::ReplaceError::Io(e)) => {
            return Err(anyhow!(e).context(format!("writing {}; it is unchanged", t.file.display())))
        }
    }
    let note = match srv {
        Server::NotServing(why) => format!(
            "the server on {} does not serve {} ({why}): the file is updated",
            s.control.display(),
            t.origin
        ),
        _ => {
            "no server running: the file is updated; it will be served at the next start".to_owned()
        }
    };
    report(s, t, &planned, false, false, &[note])
}

/// What [`mta_sts_check`] found wrong with an edit's MX records.
struct MxCheck {
    message: String,
    /// The policy is enforced and does not allow a mail host the edit leaves: the edit is
    /// refused without `--force`.
    refusable: bool,
}

impl MxCheck {
    fn warning(&self) -> String {
        format!("warning: {}", self.message)
    }

    /// An error if the edit is to be refused.
    fn refuse(&self, t: &Target) -> anyhow::Result<()> {
        if self.refusable {
            bail!(
                "{}: refused, nothing was changed: {} (`--force` edits anyway)",
                t.origin,
                self.message
            );
        }
        Ok(())
    }
}

/// When an edit changes the zone's MX records and the zone names its MTA-STS policy file in the
/// configuration (`mta_sts_policy`): what is wrong if the mail hosts the edit leaves are not
/// all allowed by the policy, since senders enforcing it will not deliver to the others (with
/// no MX left, the host is the domain itself, RFC 5321 §5.1). `applied`: the zone as read now
/// already holds the edit (else its changes are applied to what is read).
fn mta_sts_check(
    s: &Settings,
    t: &Target,
    changes: &[ChangeJson],
    applied: bool,
) -> Option<MxCheck> {
    use std::collections::BTreeSet;

    use crate::mail_policy::sts_policy::{self, Mode};
    let path = s
        .config
        .zone(&t.origin.to_string())?
        .mta_sts_policy
        .as_ref()?;
    let host = |name: &str| name.trim_end_matches('.').to_ascii_lowercase();
    // (preference, host) of an apex MX record line: `owner TTL IN MX PREF HOST`.
    let record = |line: &str| -> Option<(u16, String)> {
        match owner_and_type(line) {
            Ok((owner, RType::MX)) if owner.eq_ignore_case(&t.origin) => {
                let words: Vec<&str> = line.split_whitespace().collect();
                Some((words.get(4)?.parse().ok()?, host(words.get(5)?)))
            }
            _ => None,
        }
    };
    let removed: Vec<(u16, String)> = changes
        .iter()
        .filter_map(|c| record(c.old.as_deref()?))
        .collect();
    let added: Vec<(u16, String)> = changes
        .iter()
        .filter_map(|c| record(c.new.as_deref()?))
        .collect();
    if removed.is_empty() && added.is_empty() {
        return None;
    }
    let zone = t.origin.to_string();
    let domain = zone.trim_end_matches('.');
    let read = match current_rrset(s, &zone, &t.origin, RType::MX) {
        Ok(read) => read,
        Err(e) => {
            return Some(MxCheck {
                message: format!(
                    "the MX records changed, but could not be read again to check them \
                     against the MTA-STS policy {}: {e:#}",
                    path.display()
                ),
                refusable: false,
            })
        }
    };
    let mut records: BTreeSet<(u16, String)> = read
        .rdatas
        .iter()
        .filter_map(|rd| {
            let preference = u16::from_be_bytes([*rd.first()?, *rd.get(1)?]);
            let exchange = crate::zone::rdata::mx_exchange(rd)?;
            Some((preference, host(&exchange.to_string())))
        })
        .collect();
    if !applied {
        records.retain(|r| !removed.contains(r));
        records.extend(added);
    }
    // A null MX (RFC 7505) names the root: no mail, nothing for the policy to allow.
    let null_mx = records.iter().any(|(_, h)| h.is_empty());
    let mut hosts: BTreeSet<String> = records.into_iter().map(|(_, h)| h).collect();
    let implicit = hosts.is_empty() && !null_mx;
    if implicit {
        hosts.insert(domain.to_ascii_lowercase());
    }
    hosts.remove("");
    let policy = match super::mta_sts::read_policy(path) {
        Err(e) => Err(e),
        Ok(bytes) => sts_policy::parse(&bytes).map_err(|problems| {
            problems
                .first()
                .map(ToString::to_string)
                .unwrap_or_default()
        }),
    };
    let policy = match policy {
        Ok(p) => p,
        Err(why) => {
            return Some(MxCheck {
                message: format!(
                    "the MX records changed, but the MTA-STS policy {} (mta_sts_policy) \
                     cannot be used ({why}): the mail hosts were not checked against it",
                    path.display()
                ),
                refusable: false,
            })
        }
    };
    let uncovered: Vec<&str> = hosts
        .iter()
        .map(String::as_str)
        .filter(|h| policy.allows(h).is_none())
        .collect();
    if policy.mode == Mode::None || uncovered.is_empty() {
        return None;
    }
    let them = if uncovered.len() == 1 { "it" } else { "them" };
    let senders = match policy.mode {
        Mode::Enforce => format!("senders enforcing it will not deliver to {them}"),
        _ => format!("once it is enforced, senders will not deliver to {them}"),
    };
    let what = if implicit {
        format!(
            "no MX record is left, so senders deliver to {domain} itself (RFC 5321 §5.1), which is"
        )
    } else {
        format!("MX {}", uncovered.join(", "))
    };
    Some(MxCheck {
        message: format!(
            "{what} allowed by no mx: line of the MTA-STS policy {} (mode {}): {senders}; add \
             {them} to the policy, then `zonectl mta-sts publish {domain}`",
            path.display(),
            policy.mode,
        ),
        refusable: policy.mode == Mode::Enforce,
    })
}

/// Most warnings an edit prints (`--json` has them all): an edit can bring about one per
/// record of a large zone (the SPF records including a name that lost its own).
const WARNINGS_SHOWN: usize = 20;

/// Prints an edit's warnings on standard error, at most [`WARNINGS_SHOWN`] of them.
fn print_warnings(t: &Target, warnings: &[String]) {
    for w in warnings.iter().take(WARNINGS_SHOWN) {
        eprintln!("zonectl: {}: {w}", t.origin);
    }
    if warnings.len() > WARNINGS_SHOWN {
        eprintln!(
            "zonectl: {}: … and {} more warnings; `zonectl check {}` lists every warning of the zone",
            t.origin,
            warnings.len() - WARNINGS_SHOWN,
            t.origin
        );
    }
}

/// Computes the new file text, the changes and the serials; writes nothing. Record edits are
/// resolved on the zone in memory first (`zone::update`: TTLs, checks, the warnings about the
/// change), exactly as a server does, then written into the text (`zone::edit`), so the file
/// gets what a server would serve.
fn plan(t: &Target, text: &str, edit: Edit, now: i64) -> anyhow::Result<(Planned, String)> {
    let refuse = |e: crate::zone::edit::EditError| anyhow!(e).context(refused(t));
    let loaded = store::zone_from_text(text, &t.file, &t.origin, None, 0)
        .map_err(|e| anyhow!("{e}").context(refused(t)))?;
    let old = loaded
        .zone
        .serial()
        .ok_or_else(|| anyhow!("{}: the zone has no SOA record", refused(t)))?;
    let mut warnings = Vec::new();
    // The warnings about the edit, found on its neighbourhood (no lines).
    let mut about_edit = Vec::new();
    let (new, ops) = match edit {
        Edit::Ops { ops, expected } => {
            update::check_expected(&loaded.zone, &expected)
                .map_err(|e| ChangedMeanwhile(format!("{}: {e}", refused(t))))?;
            let cx = update::Context {
                file: &t.file,
                default_ttl: loaded.default_ttl,
                included: &loaded.included,
            };
            let u = update::update(&loaded.zone, &ops, &cx, |old| {
                next_serial(t.policy, old, now)
            })
            .map_err(refuse)?;
            about_edit = u.warnings;
            (u.new_serial, u.ops)
        }
        Edit::Bump => (next_serial(t.policy, old, now), Vec::new()),
        Edit::SetSerial { serial, force } => {
            let (serial, warning) = settle_serial_set(old, serial, force)
                .map_err(|e| anyhow!("{}: {e}", refused(t)))?;
            warnings.extend(warning);
            (serial, Vec::new())
        }
    };
    let mut read_include = |p: &Path| store::read_include(&t.file, p);
    let (new_text, changes) = if ops.is_empty() {
        let text = set_serial(text, &t.file, &t.origin, new, &mut read_include).map_err(refuse)?;
        (text, Vec::new())
    } else {
        let out = apply_edits(text, &t.file, &t.origin, &ops, |_| new, &mut read_include)
            .map_err(refuse)?;
        // Each shown as the check of the whole new file words it, with its file and line; a
        // finding of the file stands for one warning only (two alike at one owner are two).
        let key = |f: &crate::zone::check::Finding| {
            (
                f.owner.as_ref().map(Name::to_lowercase),
                without_line_refs(&f.message),
            )
        };
        let mut in_file: rustc_hash::FxHashMap<_, std::collections::VecDeque<usize>> =
            rustc_hash::FxHashMap::default();
        for (k, f) in out.warnings.iter().enumerate() {
            in_file.entry(key(f)).or_default().push_back(k);
        }
        warnings.extend(about_edit.iter().map(|w| {
            match in_file.get_mut(&key(w)).and_then(|k| k.pop_front()) {
                Some(k) => out.warnings[k].to_string(),
                None => w.to_string(),
            }
        }));
        (out.text, out.changes)
    };
    let planned = Planned {
        changes: changes
            .into_iter()
            .map(|c| ChangeJson {
                old: c.old,
                new: c.new,
            })
            .collect(),
        old_serial: old,
        new_serial: if new_text == text { old } else { new },
        warnings,
    };
    Ok((planned, new_text))
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

/// A record line (`name TTL IN TYPE rdata`) with its owner lower-cased, as compared.
fn normalized(line: &str) -> String {
    match line.split_once(' ') {
        Some((owner, rest)) => format!("{} {rest}", owner.to_ascii_lowercase()),
        None => line.to_owned(),
    }
}

/// The owner and type of a record line.
fn owner_and_type(line: &str) -> anyhow::Result<(Name, RType)> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let (Some(owner), Some(rtype)) = (words.first(), words.get(3)) else {
        bail!("malformed record line {line:?} from the server");
    };
    let owner = Name::parse(owner, None)?;
    let rtype = RType::from_name(rtype).ok_or_else(|| anyhow!("unknown type in {line:?}"))?;
    Ok((owner, rtype))
}

/// The serial the server at `addr` answers the SOA of `origin` with.
fn served_serial(addr: SocketAddr, origin: &Name) -> anyhow::Result<Option<u32>> {
    let soa = super::ask_server(addr, origin, RType::SOA)?;
    Ok(soa
        .answer
        .iter()
        .find(|r| r.rtype == RType::SOA)
        .and_then(|r| crate::zone::Soa::from_rdata(&r.rdata))
        .map(|soa| soa.serial))
}

/// Queries the server at `addr` for the SOA and for every changed record, and checks that the
/// new serial and every added record are answered and every removed one is not. A record the
/// server answers with a referral for (glue below a delegation) is not checked. A later edit
/// (another command's) may change the records while they are asked for: a record that differs
/// is a failure only if the server still serves this edit's serial.
fn verify(addr: SocketAddr, t: &Target, done: &EditDone) -> anyhow::Result<String> {
    // Another edit that followed this one: the server applies edits in order, so the later
    // serial holds this one, and its records may have changed again since.
    let later = |x: u32| {
        format!(
            "served: {addr} serves serial {x}, which includes this edit (serial {}) and a later \
             one",
            done.new_serial
        )
    };
    let serial = served_serial(addr, &t.origin)?;
    match serial {
        Some(x) if x == done.new_serial => {}
        Some(x) if serial_gt(x, done.new_serial) => return Ok(later(x)),
        _ => bail!(
            "the server answers the SOA of {} with serial {}, not {}",
            t.origin,
            serial.map_or_else(|| "none".to_owned(), |s| s.to_string()),
            done.new_serial
        ),
    }
    let added: Vec<String> = done
        .changes
        .iter()
        .filter_map(|c| c.new.as_deref().map(normalized))
        .collect();
    let removed: Vec<String> = done
        .changes
        .iter()
        .filter_map(|c| c.old.as_deref().map(normalized))
        .filter(|old| !added.contains(old))
        .collect();
    for (line, want) in added
        .iter()
        .map(|l| (l, true))
        .chain(removed.iter().map(|l| (l, false)))
    {
        let (owner, rtype) = owner_and_type(line)?;
        if rtype == RType::OPT || (128..=255).contains(&rtype.0) {
            continue; // meta types cannot be asked for
        }
        let resp = super::ask_server(addr, &owner, rtype)?;
        let referral = !resp.authoritative;
        let said: Vec<String> = resp
            .answer
            .iter()
            .chain(&resp.authority)
            .map(|r| {
                normalized(&format!(
                    "{} {} IN {} {}",
                    r.owner,
                    r.ttl,
                    r.rtype,
                    rdata_to_text(r.rtype, &r.rdata)
                ))
            })
            .collect();
        let present = said.contains(line);
        if present != want && !referral {
            // An edit that landed after the SOA was asked for may have changed the record. (If
            // the SOA cannot be asked again, the mismatch is what is reported.)
            if let Ok(Some(x)) = served_serial(addr, &t.origin) {
                if serial_gt(x, done.new_serial) {
                    return Ok(later(x));
                }
            }
            bail!(
                "{owner} {rtype}: expected {line} to be {}, but the server answers:\n  {}",
                if want { "served" } else { "gone" },
                if said.is_empty() {
                    "(no records)".to_owned()
                } else {
                    said.join("\n  ")
                }
            );
        }
    }
    Ok(format!(
        "served: verified on {addr} (serial {})",
        done.new_serial
    ))
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
    sync(s, Some(&t.origin))?;
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
    sync(s, Some(&t.origin))?;
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
        next: next_serial(t.policy, serial, clock::unix_now()),
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

#[cfg(test)]
mod tests {
    use std::net::UdpSocket;
    use std::sync::Arc;

    use super::*;
    use crate::tsig::Keyring;
    use crate::wire::{respond, AnswerConfig, Transport};
    use crate::zone::parse::parse_zone_str;
    use crate::zone::ZoneSet;

    fn zones(serial: u32, dmarc: &str) -> ZoneSet {
        let origin = Name::parse("apple.example.", None).unwrap();
        let text = format!(
            "$ORIGIN apple.example.\n$TTL 3600\n@ SOA ns hostmaster {serial} 3600 900 1209600 60\n\
             @ NS ns\nns A 192.0.2.1\n_dmarc TXT \"{dmarc}\"\n"
        );
        let entries = parse_zone_str(&text, Path::new("apple.example.zone"), &origin).unwrap();
        let mut set = ZoneSet::new();
        set.insert(Arc::new(Zone::from_records(&origin, &entries)));
        set
    }

    /// A server on loopback that answers the first query from `first` and every later one from
    /// `then`: the zone changes between the SOA query and the record queries.
    fn changing_server(first: ZoneSet, then: ZoneSet, queries: usize) -> SocketAddr {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut buf, mut out) = ([0u8; 512], Vec::new());
            for i in 0..queries {
                let Ok((n, from)) = socket.recv_from(&mut buf) else {
                    return;
                };
                let zones = if i == 0 { &first } else { &then };
                let (config, keys) = (AnswerConfig::default(), Keyring::default());
                if respond(zones, &config, &keys, &buf[..n], Transport::Udp, &mut out) {
                    socket.send_to(&out, from).unwrap();
                }
            }
        });
        addr
    }

    fn done(old: &str, new: &str) -> (Target, EditDone) {
        let target = Target {
            origin: Name::parse("apple.example.", None).unwrap(),
            file: PathBuf::from("apple.example.zone"),
            file_found: true,
            policy: SerialPolicy::default(),
        };
        let line = |t: &str| format!("_dmarc.apple.example. 3600 IN TXT \"{t}\"");
        let done = EditDone {
            zone: "apple.example.".to_owned(),
            changes: vec![control::ChangeLine {
                old: Some(line(old)),
                new: Some(line(new)),
            }],
            old_serial: 1,
            new_serial: 2,
            warnings: Vec::new(),
            dry_run: false,
        };
        (target, done)
    }

    #[test]
    fn a_record_changed_by_a_later_edit_during_the_check_is_not_a_failure() {
        let (t, done) = done("v=DMARC1; p=none", "v=DMARC1; p=none; fo=1");
        let later = zones(3, "v=DMARC1; p=none; fo=1; adkim=s");
        // SOA (serial 2), the TXT (changed again, serial 3), the SOA again.
        let addr = changing_server(zones(2, "v=DMARC1; p=none; fo=1"), later, 3);
        let note = verify(addr, &t, &done).unwrap();
        assert!(
            note.contains("serves serial 3, which includes this edit"),
            "{note}"
        );
    }

    #[test]
    fn a_record_not_served_at_the_edits_serial_is_a_failure() {
        let (t, done) = done("v=DMARC1; p=none", "v=DMARC1; p=none; fo=1");
        let wrong = || zones(2, "v=DMARC1; p=none");
        let addr = changing_server(wrong(), wrong(), 3);
        let err = verify(addr, &t, &done).unwrap_err().to_string();
        assert!(
            err.contains("expected _dmarc.apple.example. 3600 IN TXT \"v=DMARC1; p=none; fo=1\" to be served"),
            "{err}"
        );
    }

    #[test]
    fn an_edit_served_as_written_is_verified() {
        let (t, done) = done("v=DMARC1; p=none", "v=DMARC1; p=none; fo=1");
        let right = || zones(2, "v=DMARC1; p=none; fo=1");
        // SOA, the new record, the old one (gone).
        let addr = changing_server(right(), right(), 3);
        let note = verify(addr, &t, &done).unwrap();
        assert_eq!(note, format!("served: verified on {addr} (serial 2)"));
    }
}
