//! The zone manager: the single task that changes what is served. Control requests, watcher
//! events and SIGHUP all arrive here as messages, so changes never race.
//!
//! Each zone's lifecycle:
//!
//! ```text
//!            load ok                      load fails: keep serving the last good zone
//! NotLoaded ─────────► Serving ◄──────┐   and report FILE:LINE in status
//!     │                 │  ▲          │
//!     │ load fails      │  │ reload / file event (when not frozen)
//!     ▼                 │  └──────────┘
//!  Failed (not served)  │ freeze            thaw: reload if the file changed meanwhile
//!                       ▼
//!                    Frozen (serves what it has; file events only mark `pending_change`;
//!                            an explicit reload still runs, as in Knot)
//! ```
//!
//! Parsing runs on the blocking pool; the new snapshot is published with one atomic swap.
//!
//! Edits (`Request::Edit`) are applied to the served zone in memory (`zone::update`: the cost of
//! the change, not of the zone), appended to the zone's journal and fsynced, published, and
//! only then acknowledged. The zone file is rewritten from the journaled ops [`FLUSH_DELAY`]
//! later (one write for a burst of edits), before a reload, a freeze or a shutdown, and at
//! start-up after the journal is replayed; then the journal is cleared. See `journal`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

use super::control::Caller;
use super::histories;
use super::stats::Stats;
use crate::clock;
use crate::config::{Access, Config};
use crate::control::{
    encode_rdatas, ChangeLine, EditChange, EditDone, Request, Response, ZoneOutcome, ZoneStatus,
};
use crate::journal::{self, Txn};
use crate::store::{self, FileStamp, LoadError, LoadedZone};
use crate::zone::edit::{apply_edits, EditError, EditOp};
use crate::zone::serial::{next_serial, serial_gt, serial_max, settle_serial_set, SerialPolicy};
use crate::zone::update::{self, Expected, IncludedRecord};
use crate::zone::{ixfr, Name, RType, Zone, ZoneSet};

/// How long file events must be quiet before the directory is re-read.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// How long a zone file written in place and not closed yet is left alone after its last
/// write, before it is loaded anyway (a writer that keeps it open, or a lost close event).
const WRITE_GRACE: Duration = Duration::from_secs(10);

/// How long after an acknowledged edit the zone file is rewritten by default (edits arriving
/// meanwhile share the write; `zonefile_sync_ms` in the config). The file shows an edit well
/// within a second.
const FLUSH_DELAY: Duration = Duration::from_millis(200);

/// Most warnings a zone's load logs, one line each; `status` and `check` have them all. A zone
/// can have one per record (50k SPF records including a name that has none).
const WARNINGS_LOGGED: usize = 20;

/// Logs a zone's load: what happened, then its warnings (at most [`WARNINGS_LOGGED`]).
fn log_outcome(k: &str, outcome: &ZoneOutcome) {
    if outcome.ok {
        tracing::info!(zone = %k, "{}", outcome.message);
    } else {
        tracing::error!(zone = %k, "{}", outcome.message);
    }
    for w in outcome.warnings.iter().take(WARNINGS_LOGGED) {
        tracing::warn!(zone = %k, "{w}");
    }
    if outcome.warnings.len() > WARNINGS_LOGGED {
        tracing::warn!(
            zone = %k,
            "and {} more warnings: `zonectl status {k}` or `zonectl check {k}` lists them all",
            outcome.warnings.len() - WARNINGS_LOGGED
        );
    }
}

/// Messages to the zone manager.
#[derive(Debug)]
pub enum ManagerMsg {
    /// A control request, who sent it, and where to send its answer.
    Control(Request, Caller, oneshot::Sender<Response>),
    /// Something changed in the zones directory.
    FilesChanged,
    /// A process wrote to the zone file `name` in place (`closed`: and has closed it). Also a
    /// change, like `FilesChanged`.
    FileWrite {
        name: std::ffi::OsString,
        closed: bool,
    },
    /// SIGHUP: reload every zone.
    ReloadAll,
    /// A write of a zone's journaled edits into its file ended.
    Flushed {
        zone: String,
        result: Result<Written, String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoadResult {
    NotLoaded,
    Ok,
    Failed,
}

#[derive(Debug)]
struct ZoneState {
    origin: Name,
    file: PathBuf,
    frozen: bool,
    pending_change: bool,
    file_missing: bool,
    last_load: Option<i64>,
    last_result: LoadResult,
    last_error: Option<String>,
    warnings: Vec<String>,
    /// Set when a change was served without a serial increase; cleared only by a change that
    /// raises the serial, because until then secondaries have not seen what is served.
    serial_warning: Option<String>,
    /// Stamp of the file version last read (good or bad): a watcher event re-reads only a file
    /// whose stamp differs, so a bad file is not re-parsed on every unrelated event.
    attempted: Option<FileStamp>,
    /// Hash of the bytes of the version being served.
    served_hash: Option<u64>,
    /// TTL of a new RRset an edit gives none (from the file's `$TTL`).
    default_ttl: u32,
    /// Records of `$INCLUDE`d files, which edits do not change.
    included: Vec<IncludedRecord>,
    /// Acknowledged (journaled) edits not yet in the zone file.
    pending: Option<Pending>,
    /// Edits being written into the zone file right now (by a blocking task).
    flushing: Option<Pending>,
    /// Why the last rewrite of the zone file failed; the edits stay journaled.
    flush_error: Option<String>,
}

/// Journaled edits waiting for the zone file to be rewritten.
#[derive(Debug)]
struct Pending {
    /// The ops of every transaction since the file was last written, in order.
    ops: Vec<EditOp>,
    /// The serial the file gets.
    serial: u32,
    /// When to write the file (`None` after a failed write: at the next edit, reload, freeze
    /// or shutdown).
    due: Option<tokio::time::Instant>,
}

/// Owns the zone states and the published snapshot.
pub struct Manager {
    /// What the server received and answered, for `zonectl stats`.
    stats: Arc<Stats>,
    zones_dir: PathBuf,
    config: Config,
    /// Re-read by a reload of every zone.
    config_path: Option<PathBuf>,
    set: Arc<ArcSwap<ZoneSet>>,
    /// Where the TSIG keys are read from (its `tsig` directory).
    keys_dir: PathBuf,
    /// Who may transfer zones, whom to notify and the TSIG keys: the config's `transfer_allow`
    /// and `notify`, and `keys/tsig`, replaced when they are read again.
    access: Arc<ArcSwap<Access>>,
    /// The NOTIFY being sent for each zone and secondary, until answered.
    notifying: std::sync::Mutex<HashMap<(Name, SocketAddr), AbortHandle>>,
    /// The highest serial (RFC 1982) each zone (by origin) was served with, kept when its
    /// history of differences is not, nor the zone itself, and across restarts (in
    /// `.ixfr/serials`, see `histories`): secondaries may hold any of them, so no difference is
    /// sent from one served again ([`ixfr`]).
    top: std::sync::Mutex<HashMap<Name, u32>>,
    /// Is `.ixfr/serials` left alone until a restart (it could not be read, or written)?
    serials_failing: std::sync::atomic::AtomicBool,
    /// Keyed by the zone's absolute, lower-cased origin text, so `status` lists zones in order.
    states: BTreeMap<String, ZoneState>,
    /// The manager's own inbox (set by [`Manager::run`]), and a sender to it for the tasks that
    /// write zone files; messages that arrived while waiting for such a task.
    rx: Option<UnboundedReceiver<ManagerMsg>>,
    tx: Option<UnboundedSender<ManagerMsg>>,
    queued: VecDeque<ManagerMsg>,
    /// Zone files (by file name) a process is writing in place: when it last wrote. Loaded
    /// once it closes them, not while the part written so far may look like a whole zone.
    writing: HashMap<std::ffi::OsString, tokio::time::Instant>,
    /// When to look again at files that were being written.
    recheck: Option<tokio::time::Instant>,
}

/// Why a zone's edits are still waiting after a write of them was asked for, when no write
/// failed: another process is writing the file in place (see `Manager::start_flush`).
fn waiting_for_writer(state: &ZoneState) -> Option<String> {
    (state.pending.is_some() && state.flush_error.is_none()).then(|| {
        format!(
            "{}: being written by another process; edits wait to be written into it, and it is \
             loaded, when that write ends",
            state.file.display()
        )
    })
}

/// Reads, parses and checks a zone file on the blocking pool, away from the async threads;
/// `None` if its bytes hash to `served`.
async fn load_blocking(
    file: PathBuf,
    origin: Name,
    served: Option<u64>,
) -> Result<Option<LoadedZone>, LoadError> {
    let path = file.clone();
    tokio::task::spawn_blocking(move || store::load_zone_if_changed(&file, &origin, served))
        .await
        .unwrap_or_else(|e| {
            Err(LoadError::Read {
                path,
                error: std::io::Error::other(e.to_string()),
            })
        })
}

/// Sleeps until `at`, or forever.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// What writing journaled edits into a zone file did.
#[derive(Debug)]
pub struct Written {
    stamp: Option<FileStamp>,
    hash: u64,
    /// The file held changes the server did not serve (a hand edit made without `freeze`):
    /// the edits were applied on top of them, and the zone must be loaded from the file again.
    merged: bool,
}

/// What the manager knows when it writes a zone's journaled edits into its file.
struct WriteJob<'a> {
    file: &'a Path,
    origin: &'a Name,
    ops: &'a [EditOp],
    /// The serial the edits gave the served zone.
    serial: u32,
    /// Hash of the file version being served (`None`: unknown).
    served_hash: Option<u64>,
    policy: SerialPolicy,
    now: i64,
}

/// Writes journaled edits into a zone file: the ops applied to the file's text as the operator
/// wrote it (layout kept, see `zone::edit`), the serial set, written atomically. If someone
/// changed the file meanwhile (without freezing the zone), the edits go on top of their text
/// and the serial is raised past theirs; a change that lands while this runs is never
/// overwritten: the write is refused and the edits stay journaled.
fn write_edits(job: &WriteJob<'_>) -> Result<Written, String> {
    let WriteJob {
        file,
        origin,
        ops,
        serial,
        served_hash,
        policy,
        now,
    } = *job;
    let dir = file.parent().unwrap_or(Path::new("."));
    let _lock = store::lock_zone(dir, origin, |_| {}).map_err(|e| format!("edit lock: {e}"))?;
    let before = FileStamp::of(file).map_err(|e| format!("reading it: {e}"))?;
    let text = std::fs::read_to_string(file).map_err(|e| format!("reading it: {e}"))?;
    let merged = served_hash.is_some_and(|h| h != store::content_hash(text.as_bytes()));
    let mut read_include = |p: &Path| store::read_include(file, p);
    // The serial the file gets: the served one, unless a hand edit raised the file's past it.
    let target = |old: u32| {
        if merged && !serial_gt(serial, old) {
            next_serial(policy, old, now)
        } else {
            serial
        }
    };
    let set_serial = |text: &str,
                      serial: u32,
                      load: &mut dyn FnMut(&Path) -> std::io::Result<String>| {
        crate::zone::edit::set_serial(text, file, origin, serial, load).map_err(|e| e.to_string())
    };
    let out = match apply_edits(&text, file, origin, ops, target, &mut read_include) {
        Ok(edited) if edited.new_serial != edited.old_serial => edited.text,
        // The ops cancel out in the text (or there are none): set the serial alone.
        Ok(edited) => set_serial(&edited.text, target(edited.old_serial), &mut read_include)?,
        // A serial set backwards with --force, then edits, in one write: edit, then set it.
        Err(EditError::SerialNotGreater { .. }) => {
            let edited = apply_edits(
                &text,
                file,
                origin,
                ops,
                |old| old.wrapping_add(1),
                &mut read_include,
            )
            .map_err(|e| e.to_string())?;
            set_serial(&edited.text, serial, &mut read_include)?
        }
        Err(e) => return Err(e.to_string()),
    };
    let changed = || {
        "the file changed while the server was writing its edits into it (a hand edit \
         without `zonectl freeze`?): it was not overwritten; the edits stay journaled and \
         are written on top of it next"
            .to_owned()
    };
    // The stamp of the version written, not of whatever is at the path now: a hand edit saved
    // just after the write is then a change the watcher loads, not taken for this write.
    let stamp = match store::replace_if_unchanged(file, out.as_bytes(), before.ok_or_else(changed)?)
    {
        Ok(stamp) => stamp,
        Err(store::ReplaceError::Changed) => return Err(changed()),
        Err(store::ReplaceError::Io(e)) => return Err(format!("writing it: {e}")),
    };
    Ok(Written {
        stamp: Some(stamp),
        hash: store::content_hash(out.as_bytes()),
        merged,
    })
}

fn key(origin: &Name) -> String {
    origin.to_lowercase().to_string()
}

impl Manager {
    pub fn new(
        stats: Arc<Stats>,
        zones_dir: PathBuf,
        config: Config,
        config_path: Option<PathBuf>,
        set: Arc<ArcSwap<ZoneSet>>,
        keys_dir: PathBuf,
        access: Arc<ArcSwap<Access>>,
    ) -> Manager {
        Manager {
            stats,
            zones_dir,
            config,
            config_path,
            set,
            keys_dir,
            access,
            notifying: Default::default(),
            top: Default::default(),
            serials_failing: Default::default(),
            states: BTreeMap::new(),
            rx: None,
            tx: None,
            queued: VecDeque::new(),
            writing: HashMap::new(),
            recheck: None,
        }
    }

    /// The zones the directory and config define now: origin → file.
    fn discover(&self) -> BTreeMap<String, (Name, PathBuf)> {
        let mut found = BTreeMap::new();
        let mut configured_files = Vec::new();
        for zc in &self.config.zones {
            let Ok(origin) = Name::parse(&format!("{}.", zc.name.trim_end_matches('.')), None)
            else {
                tracing::error!(zone = %zc.name, "config names a zone that is not a valid domain name");
                continue;
            };
            let file = match &zc.file {
                Some(f) => self.zones_dir.join(f),
                None => self
                    .zones_dir
                    .join(format!("{}.zone", zc.name.trim_end_matches('.'))),
            };
            configured_files.push(file.clone());
            // Lower-cased, as the zones served are: a state's origin finds its zone.
            found.insert(key(&origin), (origin.to_lowercase(), file));
        }
        match store::zone_files(&self.zones_dir) {
            Ok(files) => {
                for file in files {
                    if configured_files.contains(&file) {
                        continue;
                    }
                    if let Some(origin) = store::origin_from_file_name(&file) {
                        found
                            .entry(key(&origin))
                            .or_insert((origin.to_lowercase(), file));
                    }
                }
            }
            Err(e) => {
                tracing::error!(dir = %self.zones_dir.display(), error = %e, "reading the zones directory")
            }
        }
        found
    }

    fn new_state(origin: Name, file: PathBuf) -> ZoneState {
        ZoneState {
            origin,
            file,
            frozen: false,
            pending_change: false,
            file_missing: false,
            last_load: None,
            last_result: LoadResult::NotLoaded,
            last_error: None,
            warnings: Vec::new(),
            serial_warning: None,
            attempted: None,
            served_hash: None,
            default_ttl: crate::zone::parse::DEFAULT_TTL,
            included: Vec::new(),
            pending: None,
            flushing: None,
            flush_error: None,
        }
    }

    /// Loads every zone before the sockets open (blocking; runs before the runtime starts).
    pub fn load_all_initial(&mut self) {
        let found = self.discover();
        match histories::read_serials(&self.zones_dir) {
            Ok((serials, bad)) => {
                for at in bad {
                    tracing::error!("{at}: not `ORIGIN SERIAL`, left out; the highest serial served of a zone it named is not known, so secondaries holding it may get wrong differences: put its line back");
                }
                *self.top.lock().unwrap_or_else(|e| e.into_inner()) = serials;
            }
            Err(e) => {
                // Left as it is, not written over: what it holds may still be read back.
                self.serials_failing.store(true, Ordering::Relaxed);
                tracing::error!(error = %e, "the highest serials served before (.ixfr/serials) could not be read, and are not written until a restart reads them: until then, a zone served again at a serial it had before may send secondaries wrong differences");
            }
        }
        let mut saved = histories::take_all(&self.zones_dir);
        let key = match histories::key(&self.zones_dir, false) {
            Ok(key) => key,
            Err(e) => {
                tracing::warn!(error = %e, "saved IXFR histories not used");
                None
            }
        };
        let mut set = ZoneSet::new();
        let mut replayed = Vec::new();
        for (k, (origin, file)) in found {
            let mut state = Self::new_state(origin.clone(), file.clone());
            let result = store::load_zone(&file, &origin);
            let mut loaded = None;
            let outcome = Self::apply_load(&mut state, None, result, |z| loaded = Some(z));
            log_outcome(&k, &outcome);
            self.states.insert(k.clone(), state);
            // Journaled edits go on top before anything is served.
            let zone = match self.replay_journal(&k, loaded.as_ref()) {
                Some(z) => {
                    replayed.push(k);
                    Some(z)
                }
                None => loaded,
            };
            if let Some(mut z) = zone {
                if let Some(bytes) = saved.remove(z.origin()) {
                    z = self.restore_history(z, &bytes, key.as_ref());
                }
                set.insert(Arc::new(z));
            }
        }
        for origin in saved.keys() {
            tracing::info!(zone = %origin, "saved IXFR history not used: the zone is not served");
        }
        let _ = self.note_served(&ZoneSet::new(), &set);
        if !self.serials_failing.load(Ordering::Relaxed) {
            // One line a zone again (edits append), with the zones loaded now.
            let top = self.top.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = histories::write_serials(&self.zones_dir, &top) {
                tracing::error!(error = %e, "could not write the highest serials served (.ixfr/serials): a zone served again at a serial it had before may send secondaries wrong differences");
            }
        }
        self.set.store(Arc::new(set));
        for k in replayed {
            self.flush_blocking(&k);
        }
    }

    /// `zone`, loaded at start-up, with the history of differences saved when the server
    /// stopped (`bytes`, made with `key`) if it was saved with this very version and some
    /// client may transfer the zone; else as it is, and secondaries behind it get the whole
    /// zone at the next change.
    fn restore_history(&self, zone: Zone, bytes: &[u8], key: Option<&ixfr::Key>) -> Zone {
        let origin = zone.origin().clone();
        if !self.transferable(&origin) {
            tracing::info!(zone = %origin, "saved IXFR history not used: no client may transfer the zone");
            return zone;
        }
        let restored = match key {
            Some(key) => ixfr::restore(bytes, &zone, key),
            None => Err(ixfr::Unused::Bad("its key is gone".into())),
        };
        match restored {
            Ok(history) => {
                match history.oldest() {
                    Some(from) => tracing::info!(
                        zone = %origin,
                        differences = history.len(),
                        from,
                        "IXFR history restored"
                    ),
                    None => {
                        tracing::debug!(zone = %origin, "IXFR history restored (no differences)")
                    }
                }
                zone.with_history(history)
            }
            Err(ixfr::Unused::Changed) => {
                tracing::info!(zone = %origin, "saved IXFR history not used (the zone changed since it was saved): secondaries behind get the whole zone at the next change");
                zone
            }
            Err(ixfr::Unused::Bad(why)) => {
                tracing::warn!(zone = %origin, "saved IXFR history not used ({why}): secondaries behind get the whole zone at the next change");
                zone
            }
        }
    }

    /// Saves the history of differences of every zone some client may transfer and that
    /// changed since the start (or took a history back then), for the next start to take back
    /// ([`Manager::restore_history`]). At shutdown, once the pending edits are written.
    async fn save_histories(&self) {
        let set = self.set.load_full();
        let zones: Vec<Arc<Zone>> = set
            .iter()
            .filter(|z| z.history().is_known() && self.transferable(z.origin()))
            .cloned()
            .collect();
        if zones.is_empty() {
            return;
        }
        let dir = self.zones_dir.clone();
        let save = move || {
            let key = match histories::key(&dir, true) {
                Ok(key) => key.expect("made when missing"),
                Err(e) => {
                    tracing::warn!(error = %e, "IXFR histories not saved; secondaries behind get the whole zone at the next change after the restart");
                    return;
                }
            };
            for zone in zones {
                if let Err(e) = histories::save(&dir, zone.origin(), &ixfr::save(&zone, &key)) {
                    tracing::warn!(zone = %zone.origin(), error = %e, "could not save the IXFR history; secondaries behind get the whole zone at the next change after the restart");
                }
            }
        };
        let _ = tokio::task::spawn_blocking(save).await;
    }

    /// Writes every zone's pending edits and saves the zones' histories (at shutdown).
    async fn stop(&mut self) {
        self.flush_all().await;
        self.save_histories().await;
    }

    /// Applies the journaled edits the zone file does not hold yet (the server stopped before
    /// writing it) to `loaded`, the zone just read from the file (None: it did not load), and
    /// clears a journal the file holds already. Returns the zone with the edits, for the caller
    /// to publish instead of `loaded` and to write into the file (they are its pending edits);
    /// None if there were none to apply. A journal that does not fit the file (hand-edited
    /// meanwhile) is moved aside, never applied half-way or deleted. Runs at start-up, and when
    /// a zone that did not load then loads later.
    fn replay_journal(&mut self, k: &str, loaded: Option<&Zone>) -> Option<Zone> {
        let state = self.states.get_mut(k).expect("state exists");
        let path = journal::path(&self.zones_dir, &state.origin);
        let txns = match journal::read_all(&path, &state.origin) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(zone = %k, "unreadable journal, not replayed: {e}");
                return None;
            }
        };
        if txns.is_empty() {
            return None;
        }
        let Some(mut zone) = loaded.cloned() else {
            tracing::error!(zone = %k, journal = %path.display(), "the zone did not load, so its journal is not replayed yet: it is when the file loads");
            return None;
        };
        let mut ops = Vec::new();
        let mut applied = 0;
        let cx = update::Context {
            file: &state.file,
            default_ttl: state.default_ttl,
            included: &state.included,
        };
        // The transactions the file's serial is at or past: written into the file before the
        // server stopped, unless the file was edited by hand meanwhile. Judged together, as a
        // later one may undo an earlier one.
        let file_serial = zone.serial().unwrap_or(0);
        let written = txns
            .iter()
            .take_while(|t| t.from != file_serial && !serial_gt(t.to, file_serial))
            .count();
        let written_ops: Vec<&[EditOp]> = txns[..written].iter().map(|t| &t.ops[..]).collect();
        let in_file = update::holds_all(&zone, &written_ops, &cx);
        for (i, txn) in txns.iter().enumerate() {
            let current = zone.serial().unwrap_or(0);
            if txn.from != current {
                if !serial_gt(txn.to, current) {
                    if i < written && in_file {
                        continue; // already in the file
                    }
                    // The file's serial is past the transaction but the file lacks its edits:
                    // it was edited by hand while the server was stopped. Which should win is
                    // the operator's call; nothing is applied or dropped.
                    let aside = journal::set_aside(&path, clock::unix_now());
                    tracing::error!(zone = %k, "journal transaction {} → {} is not in the file, whose serial {current} is at or past it (was the file edited while the server was stopped?); journal moved aside ({aside:?}), not replayed: apply its edits again if they are still wanted", txn.from, txn.to);
                    return None;
                }
                let aside = journal::set_aside(&path, clock::unix_now());
                tracing::error!(zone = %k, "journal transaction {} → {} does not follow the file's serial {current}; journal moved aside ({aside:?}), not replayed", txn.from, txn.to);
                return None;
            }
            let result = if txn.ops.is_empty() {
                update::set_serial(&zone, txn.to)
            } else {
                update::update(&zone, &txn.ops, &cx, |_| txn.to).map(|u| {
                    ops.extend(u.ops);
                    u.zone
                })
            };
            match result {
                Ok(z) => zone = z,
                Err(e) => {
                    let aside = journal::set_aside(&path, clock::unix_now());
                    tracing::error!(zone = %k, "journal transaction {} → {} does not apply: {e}; journal moved aside ({aside:?})", txn.from, txn.to);
                    return None;
                }
            }
            applied += 1;
        }
        let serial = zone.serial().unwrap_or(0);
        if applied > 0 {
            tracing::info!(zone = %k, "replayed {applied} journaled edit(s), serial {serial}");
            let state = self.states.get_mut(k).expect("state exists");
            state.pending = Some(Pending {
                ops,
                serial,
                due: None,
            });
            return Some(zone);
        }
        for p in [journal::flushing_path(&path), path] {
            if let Err(e) = journal::clear(&p) {
                tracing::warn!(zone = %k, "clearing the journal {}: {e}", p.display());
            }
        }
        None
    }

    /// Writes a zone's pending edits into its file (see [`write_edits`]) and clears its journal,
    /// blocking (at start-up, before the runtime runs).
    fn flush_blocking(&mut self, k: &str) {
        let origin = self.states[k].origin.clone();
        let policy = self.policy(&origin);
        let path = journal::path(&self.zones_dir, &origin);
        let state = self.states.get_mut(k).expect("state exists");
        let Some(p) = state.pending.take() else {
            return;
        };
        let job = WriteJob {
            file: &state.file,
            origin: &state.origin,
            ops: &p.ops,
            serial: p.serial,
            served_hash: state.served_hash,
            policy,
            now: clock::unix_now(),
        };
        let result = journal::rotate(&path)
            .map_err(|e| format!("moving the journal aside: {e}"))
            .and_then(|()| write_edits(&job));
        state.flushing = Some(p);
        self.flushed(k, result);
    }

    /// Starts writing a zone's pending edits into its file in a blocking task, unless a write
    /// is already running; the task reports with [`ManagerMsg::Flushed`]. The journal is
    /// rotated first, so edits made meanwhile go to a fresh one.
    fn start_flush(&mut self, k: &str) {
        let file = self.states[k].file.clone();
        if self.being_written(&file) {
            // Another process is writing the file in place: a rewrite now would replace it
            // half-written, and the rest of its write would go to the replaced file. The edits
            // stay journaled, and are written when the zone is next reloaded: at the close of
            // that write, or when its grace ends.
            if let Some(p) = self.states.get_mut(k).and_then(|s| s.pending.as_mut()) {
                p.due = None;
            }
            return;
        }
        let state = self.states.get_mut(k).expect("state exists");
        if state.flushing.is_some() {
            return;
        }
        let Some(p) = state.pending.take() else {
            return;
        };
        let path = journal::path(&self.zones_dir, &state.origin);
        let (file, origin, ops, serial, served_hash) = (
            state.file.clone(),
            state.origin.clone(),
            p.ops.clone(),
            p.serial,
            state.served_hash,
        );
        state.flushing = Some(p);
        // Rotated here, before any other edit is journaled: the `.flushing` file then holds
        // exactly the transactions this write puts into the zone file, and it is removed
        // only when they are there.
        if let Err(e) = journal::rotate(&path) {
            self.flushed(k, Err(format!("moving the journal aside: {e}")));
            return;
        }
        let policy = self.policy(&origin);
        let tx = self.tx.clone().expect("the manager runs");
        let zone = k.to_owned();
        tokio::task::spawn_blocking(move || {
            let job = WriteJob {
                file: &file,
                origin: &origin,
                ops: &ops,
                serial,
                served_hash,
                policy,
                now: clock::unix_now(),
            };
            let result = write_edits(&job);
            let _ = tx.send(ManagerMsg::Flushed { zone, result });
        });
    }

    /// Records the end of a write of a zone's edits into its file.
    fn flushed(&mut self, k: &str, result: Result<Written, String>) {
        let Some(state) = self.states.get_mut(k) else {
            return;
        };
        let Some(p) = state.flushing.take() else {
            return;
        };
        match result {
            Ok(written) => {
                state.flush_error = None;
                if written.merged {
                    // The file now holds a change that is not served: load it like any change.
                    tracing::warn!(zone = %k, "the zone file was changed without `freeze` while edits were pending; the edits were written on top of the change, which is loaded now");
                    state.attempted = None;
                    if let Some(tx) = &self.tx {
                        let _ = tx.send(ManagerMsg::FilesChanged);
                    }
                } else {
                    state.attempted = written.stamp;
                    state.served_hash = Some(written.hash);
                }
                let path = journal::flushing_path(&journal::path(&self.zones_dir, &state.origin));
                if let Err(e) = journal::clear(&path) {
                    tracing::warn!(zone = %k, "removing the journal {}: {e}", path.display());
                }
                tracing::debug!(zone = %k, serial = p.serial, "zone file written");
            }
            Err(e) => {
                let message = format!(
                    "{}: the served edits (serial {}) could not be written to the file; they stay \
                     served and journaled, and are written when the file is saved so that it can \
                     hold them: {e}",
                    state.file.display(),
                    p.serial
                );
                tracing::error!(zone = %k, "{message}");
                state.flush_error = Some(message);
                // The failed ops go first again, before any edit made meanwhile.
                let mut ops = p.ops;
                let serial = match state.pending.take() {
                    Some(later) => {
                        ops.extend(later.ops);
                        later.serial
                    }
                    None => p.serial,
                };
                state.pending = Some(Pending {
                    ops,
                    serial,
                    due: None,
                });
            }
        }
        // The watcher's events are not looked at while the server writes the file: a change
        // made meanwhile (by hand, or one the write failed on) is looked at now.
        let changed = FileStamp::of(&state.file).ok().flatten() != state.attempted;
        if changed && state.attempted.is_some() {
            if let Some(tx) = &self.tx {
                let _ = tx.send(ManagerMsg::FilesChanged);
            }
        }
    }

    /// Waits until no write of the zone's file runs (other messages are queued meanwhile).
    async fn await_flush(&mut self, k: &str) {
        while self.states.get(k).is_some_and(|s| s.flushing.is_some()) {
            let Some(rx) = self.rx.as_mut() else {
                return;
            };
            match rx.recv().await {
                Some(ManagerMsg::Flushed { zone, result }) => self.flushed(&zone, result),
                Some(other) => self.queued.push_back(other),
                None => return,
            }
        }
    }

    /// Writes a zone's acknowledged edits into its file and waits until they are there.
    async fn flush(&mut self, k: &str) {
        self.await_flush(k).await;
        self.start_flush(k);
        self.await_flush(k).await;
        self.compact(k).await;
    }

    /// Folds a zone's edit overlay into its base when it has grown large (off the async
    /// threads; no edit runs meanwhile, as this is the manager's only task).
    async fn compact(&mut self, k: &str) {
        let origin = self.states[k].origin.clone();
        let Some(zone) = self.set.load().get(&origin).cloned() else {
            return;
        };
        if !zone.wants_compaction() {
            return;
        }
        if let Ok(z) = tokio::task::spawn_blocking(move || zone.compacted()).await {
            self.publish(|set| set.insert(Arc::new(z)));
        }
    }

    /// Writes every zone's pending edits (at shutdown).
    async fn flush_all(&mut self) {
        let keys: Vec<String> = self.states.keys().cloned().collect();
        for k in keys {
            self.flush(&k).await;
        }
    }

    /// The earliest time a zone's pending edits are due to be written.
    fn next_flush(&self) -> Option<tokio::time::Instant> {
        self.states
            .values()
            .filter(|s| s.flushing.is_none())
            .filter_map(|s| s.pending.as_ref().and_then(|p| p.due))
            .min()
    }

    /// Starts the writes of the pending edits that are due.
    fn flush_due(&mut self) {
        let now = tokio::time::Instant::now();
        let due: Vec<String> = self
            .states
            .iter()
            .filter(|(_, s)| {
                s.pending
                    .as_ref()
                    .and_then(|p| p.due)
                    .is_some_and(|d| d <= now)
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            self.start_flush(&k);
        }
    }

    /// `Request::Records`: one RRset of the zone `k` as served.
    fn records(&self, k: &str, owner: &str, rtype: RType) -> Response {
        let state = &self.states[k];
        let owner = match Name::parse(owner, None) {
            Ok(o) if o.is_subdomain_of(&state.origin) => o,
            Ok(o) => {
                return Response::Error {
                    message: format!("{o} is not in zone {k}"),
                }
            }
            Err(e) => {
                return Response::Error {
                    message: format!("bad owner name {owner:?}: {e}"),
                }
            }
        };
        let Some(zone) = self.set.load().get(&state.origin).cloned() else {
            return Response::Error {
                message: format!("{k} is not served: its file did not load"),
            };
        };
        Response::Records {
            serial: zone.serial().unwrap_or(0),
            rdatas: encode_rdatas(&Expected::current(&zone, &owner, rtype).rdatas),
        }
    }

    /// The serial policy of a zone: its `[[zone]]` entry's, else the config's, else the default.
    fn policy(&self, origin: &Name) -> SerialPolicy {
        self.config.serial_policy_for(&origin.to_string())
    }

    /// `Request::Edit`: see the module docs.
    async fn edit(&mut self, zone: String, change: EditChange, dry_run: bool) -> Response {
        let keys = match self.select(&Some(zone)) {
            Ok(k) => k,
            Err(message) => return Response::Error { message },
        };
        let k = keys[0].clone();
        let state = &self.states[&k];
        if state.frozen {
            return Response::Error {
                message: format!(
                    "zone is frozen: thaw it first ({k} is being edited by hand; `zonectl thaw \
                     {k}` when that is done); nothing was changed"
                ),
            };
        }
        let Some(zone) = self.set.load().get(&state.origin).cloned() else {
            return Response::Error {
                message: format!(
                    "{k} is not served: its file did not load ({}); fix the file and `zonectl \
                     reload {k}`; nothing was changed",
                    state.last_error.as_deref().unwrap_or("not loaded yet")
                ),
            };
        };
        // An edit is acknowledged only if it can be written to the file: not while the file
        // holds a hand edit that does not load, nor while earlier edits wait to be written.
        if state.last_result == LoadResult::Failed {
            return Response::Error {
                message: format!(
                    "{k}: refused, nothing was changed: the zone file does not load ({}), so an \
                     edit could not be written to it; fix the file (the server loads it when it \
                     is saved) or `zonectl reload {k}`, then edit again",
                    state
                        .last_error
                        .as_deref()
                        .unwrap_or("see `zonectl status`")
                ),
            };
        }
        if let Some(e) = &state.flush_error {
            return Response::Error {
                message: format!(
                    "{k}: refused, nothing was changed: edits acknowledged before are not in the \
                     file yet ({e}); make the file hold them (the server writes them when the \
                     file is saved), then edit again"
                ),
            };
        }
        let policy = self.policy(&state.origin);
        let now = clock::unix_now();
        let refused = |e: String| Response::Error {
            message: format!("{k}: refused, the zone and its file are unchanged: {e}"),
        };
        let old = zone.serial().unwrap_or(0);
        let (new_zone, changes, new, ops, warnings, touched) = match change {
            EditChange::Ops { ops, expect } => {
                let ops: Vec<EditOp> = match ops.iter().map(EditOp::try_from).collect() {
                    Ok(ops) => ops,
                    Err(e) => return refused(e),
                };
                let expected: Vec<Expected> = match expect.iter().map(Expected::try_from).collect()
                {
                    Ok(e) => e,
                    Err(e) => return refused(e),
                };
                if let Err(e) = update::check_expected(&zone, &expected) {
                    return refused(e.to_string());
                }
                let cx = update::Context {
                    file: &state.file,
                    default_ttl: state.default_ttl,
                    included: &state.included,
                };
                match update::update(&zone, &ops, &cx, |old| next_serial(policy, old, now)) {
                    Ok(u) => (
                        u.zone,
                        u.changes,
                        u.new_serial,
                        u.ops,
                        u.warnings.iter().map(|f| f.to_string()).collect(),
                        u.touched,
                    ),
                    Err(e) => return refused(e.to_string()),
                }
            }
            EditChange::Bump | EditChange::SetSerial { .. } => {
                let (new, warning) = match change {
                    EditChange::SetSerial { serial, force } => {
                        match settle_serial_set(old, serial, force) {
                            Ok(x) => x,
                            Err(e) => return refused(e),
                        }
                    }
                    _ => (next_serial(policy, old, now), None),
                };
                match update::set_serial(&zone, new) {
                    Ok(z) => (
                        z,
                        Vec::new(),
                        new,
                        Vec::new(),
                        warning.into_iter().collect(),
                        Vec::new(),
                    ),
                    Err(e) => return refused(e.to_string()),
                }
            }
        };
        let done = EditDone {
            zone: k.clone(),
            changes: changes
                .into_iter()
                .map(|c| ChangeLine {
                    old: c.old,
                    new: c.new,
                })
                .collect(),
            old_serial: old,
            new_serial: new,
            warnings,
            dry_run,
        };
        if dry_run || new == old {
            return Response::Edited(done);
        }
        let txn = Txn {
            from: old,
            to: new,
            time: now,
            ops,
        };
        let path = journal::path(&self.zones_dir, &state.origin);
        let (jpath, origin, jtxn) = (path.clone(), state.origin.clone(), txn.clone());
        let written = tokio::task::spawn_blocking(move || journal::append(&jpath, &origin, &jtxn))
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e.to_string())));
        if let Err(e) = written {
            return Response::Error {
                message: format!(
                    "{k}: cannot write the journal {}: {e}; nothing was changed",
                    path.display()
                ),
            };
        }
        // The difference from the served version is at the names the edit touched: cheap.
        let new_zone = if self.transferable(zone.origin()) {
            new_zone.succeeding_edit(&zone, &touched, self.top(zone.origin()))
        } else {
            new_zone.with_history(Arc::default())
        };
        self.publish(|set| set.insert(Arc::new(new_zone)));
        let delay = self
            .config
            .zonefile_sync_ms
            .map_or(FLUSH_DELAY, Duration::from_millis);
        let state = self.states.get_mut(&k).expect("selected");
        let p = state.pending.get_or_insert_with(|| Pending {
            ops: Vec::new(),
            serial: new,
            due: None,
        });
        p.ops.extend(txn.ops);
        p.serial = new;
        p.due = Some(p.due.unwrap_or_else(|| tokio::time::Instant::now() + delay));
        tracing::info!(zone = %k, "edited, serial {old} → {new}");
        Response::Edited(done)
    }

    /// Records a load attempt's result in `state`; on success hands the zone to `publish`.
    fn apply_load(
        state: &mut ZoneState,
        old_serial: Option<u32>,
        result: Result<LoadedZone, LoadError>,
        publish: impl FnOnce(crate::zone::Zone),
    ) -> ZoneOutcome {
        let zone_name = state.origin.to_string();
        state.last_load = Some(clock::unix_now());
        match result {
            Err(e) => {
                let message = e.to_string();
                state.last_result = LoadResult::Failed;
                state.last_error = Some(message.clone());
                state.attempted = FileStamp::of(&state.file).ok().flatten();
                let kept = match old_serial {
                    Some(s) => format!("\nstill serving the last good version (serial {s})"),
                    None => "\nthe zone is not served until the file loads".into(),
                };
                ZoneOutcome {
                    zone: zone_name,
                    ok: false,
                    message: format!("{message}{kept}"),
                    warnings: Vec::new(),
                }
            }
            Ok(loaded) => {
                let new_serial = loaded.zone.serial().unwrap_or(0);
                let changed = state.served_hash != Some(loaded.content_hash);
                let mut warnings: Vec<String> =
                    loaded.warnings.iter().map(|f| f.located()).collect();
                let message = match old_serial {
                    None => {
                        state.serial_warning = None;
                        format!("loaded, serial {new_serial}")
                    }
                    // The served data is the same: a warning about it still holds.
                    Some(old) if !changed => format!("reloaded, no change (serial {old})"),
                    Some(old) => {
                        state.serial_warning = (!serial_gt(new_serial, old)).then(|| {
                            format!(
                                "{}: the content changed but the serial did not increase ({old} → {new_serial}): secondaries will not see this change; raise the serial",
                                state.file.display()
                            )
                        });
                        format!("reloaded, serial {old} → {new_serial}")
                    }
                };
                warnings.extend(state.serial_warning.clone());
                state.last_result = LoadResult::Ok;
                state.last_error = None;
                state.warnings = warnings.clone();
                state.attempted = loaded.stamp;
                state.served_hash = Some(loaded.content_hash);
                state.file_missing = false;
                state.pending_change = false;
                state.default_ttl = loaded.default_ttl;
                state.included = loaded.included;
                publish(loaded.zone);
                ZoneOutcome {
                    zone: zone_name,
                    ok: true,
                    message,
                    warnings,
                }
            }
        }
    }

    /// Replaces the published snapshot with a modified copy (cheap: the zones are shared).
    fn publish(&self, change: impl FnOnce(&mut ZoneSet)) {
        let mut next = ZoneSet::clone(&self.set.load());
        change(&mut next);
        let next = Arc::new(next);
        let old = self.set.swap(next.clone());
        let raised = self.note_served(&old, &next);
        self.remember_serials(&raised);
        // The secondaries are told once the new serial is what the servers answer.
        self.notify_changed(Some(&old), &next);
        // Freeing a replaced zone of millions of records takes a while: not on this thread,
        // which has edits to answer. (A query thread may still hold it; then that thread's
        // release is only a count decrement, as this thread holds a reference until here.)
        if old.iter().any(|z| z.record_count() >= store::LARGE_ZONE) {
            store::free_in_background(old);
        }
    }

    /// Records in `top` the serials of the zones a publish replaced or removed (in `old`) and
    /// of those it put in their place (in `next`): every version served passes here, also one
    /// loaded at start-up and dropped without a change. Returns the serials that rose.
    fn note_served(&self, old: &ZoneSet, next: &ZoneSet) -> Vec<(Name, u32)> {
        let changed = |a: &'_ ZoneSet, b: &'_ ZoneSet| {
            a.iter()
                .filter(|z| !b.get(z.origin()).is_some_and(|o| Arc::ptr_eq(o, z)))
                .filter_map(|z| Some((z.origin().clone(), z.serial()?)))
                .collect::<Vec<_>>()
        };
        let mut top = self.top.lock().unwrap_or_else(|e| e.into_inner());
        let mut raised = Vec::new();
        for (origin, serial) in changed(old, next).into_iter().chain(changed(next, old)) {
            // Kept only above a lower serial: after a jump of 2^31 (the reset of RFC 1982 §7),
            // the new serial.
            let highest = top.get(&origin).map_or(serial, |&t| serial_max(t, serial));
            if top.insert(origin.clone(), highest) != Some(highest) {
                raised.push((origin, highest));
            }
        }
        raised
    }

    /// Appends the serials that rose to `.ixfr/serials`, for the next start (a serial lowered
    /// while the server was stopped): a line each, not fsynced, cheaper than the edit's own
    /// journal write. Not once the file could not be read or written.
    fn remember_serials(&self, raised: &[(Name, u32)]) {
        if raised.is_empty() || self.serials_failing.load(Ordering::Relaxed) {
            return;
        }
        if let Err(e) = histories::append_serials(&self.zones_dir, raised) {
            self.serials_failing.store(true, Ordering::Relaxed);
            tracing::error!(error = %e, "could not write the highest serials served (.ixfr/serials), and stopped trying until a restart: a zone served again at a serial it had before may send secondaries wrong differences");
        }
    }

    /// The highest serial `origin` was served with, also before the server started.
    fn top(&self, origin: &Name) -> Option<u32> {
        let top = self.top.lock().unwrap_or_else(|e| e.into_inner());
        top.get(origin).copied()
    }

    /// May any client transfer `origin`? Only then is its history of differences kept.
    fn transferable(&self, origin: &Name) -> bool {
        !self.access.load().transfer_for(origin).is_empty()
    }

    /// `zone`, loaded from its file, as the version that replaces the one served: with the
    /// history of differences that secondaries are sent incremental transfers from, and the
    /// difference between the two added (none kept for a zone nobody may transfer).
    /// Comparing two versions of a large zone name by name takes a while (0.2–0.3 s for 3M
    /// records), so it runs on the blocking pool; if it fails, the zone starts a new history
    /// (secondaries then get the whole zone).
    async fn succeeding(&self, zone: Zone) -> Zone {
        let old = self.set.load().get(zone.origin()).cloned();
        let Some(old) = old.filter(|_| self.transferable(zone.origin())) else {
            return zone;
        };
        let new = zone.clone();
        let top = self.top(zone.origin());
        let compare = move || ixfr::History::after(&old, &new, None, top);
        match tokio::task::spawn_blocking(compare).await {
            Ok(history) => zone.with_history(history),
            Err(e) => {
                tracing::error!(zone = %zone.origin(), error = %e, "comparing the zone with the version served");
                zone
            }
        }
    }

    /// Sends a NOTIFY to the configured secondaries for each zone of `next` whose serial is not
    /// the one it had in `old` (every zone if `old` is None). A NOTIFY still unanswered for an
    /// older serial of the zone is dropped for the new one.
    fn notify_changed(&self, old: Option<&ZoneSet>, next: &ZoneSet) {
        let access = self.access.load();
        if access.notify.is_empty() && access.zones.iter().all(|(_, z)| z.notify.is_none()) {
            return;
        }
        let sources = self.config.notify_source.as_deref().unwrap_or_default();
        let mut notifying = self.notifying.lock().unwrap_or_else(|e| e.into_inner());
        for zone in next.iter() {
            let before = old.and_then(|old| old.get(zone.origin()));
            if before.is_some_and(|b| Arc::ptr_eq(b, zone)) {
                continue;
            }
            let serial = zone.serial();
            if serial.is_none() || serial == before.and_then(|z| z.serial()) {
                continue;
            }
            for target in access.notify_for(zone.origin()) {
                let key = (zone.origin().clone(), target.addr);
                if let Some(previous) = notifying.remove(&key) {
                    previous.abort();
                }
                let tsig = target
                    .key
                    .as_ref()
                    .and_then(|k| access.keys.get(k))
                    .cloned();
                if let Some(task) = super::notify::spawn(zone, target.addr, tsig, sources) {
                    notifying.insert(key, task);
                }
            }
        }
        notifying.retain(|_, task| !task.is_finished());
    }

    fn served_serial(&self, origin: &Name) -> Option<u32> {
        self.set
            .load()
            .get(&origin.to_lowercase())
            .and_then(|z| z.serial())
    }

    /// Reads one zone's file again (off the async threads) and publishes it if it is good.
    async fn reload_one(&mut self, k: &str) -> ZoneOutcome {
        let Some(state) = self.states.get(k) else {
            return ZoneOutcome {
                zone: k.into(),
                ok: false,
                message: "zone is not served".into(),
                warnings: vec![],
            };
        };
        // Edits not yet in the file go in first, so the file read is the file served.
        if state.pending.is_some() || state.flushing.is_some() {
            self.flush(k).await;
        }
        let state = &self.states[k];
        if let Some(message) = waiting_for_writer(state) {
            // Loading the file now would drop the edits not written into it.
            return ZoneOutcome {
                zone: k.into(),
                ok: false,
                message,
                warnings: Vec::new(),
            };
        }
        let (origin, file) = (state.origin.clone(), state.file.clone());
        let old_serial = self.served_serial(&origin);
        // The very bytes that are served, and no `$INCLUDE`d file that could have changed on
        // its own: nothing to parse again (reading and hashing 100 MB costs a tenth of parsing
        // it). The usual case of an explicit reload right after the watcher loaded the change.
        let served = state.served_hash.filter(|_| {
            state.last_result == LoadResult::Ok && state.included.is_empty() && old_serial.is_some()
        });
        let result = load_blocking(file.clone(), origin, served).await;
        let Some(result) = result.transpose() else {
            let serial = old_serial.unwrap_or_default();
            let state = self.states.get_mut(k).expect("state exists");
            state.last_load = Some(clock::unix_now());
            state.attempted = FileStamp::of(&file).ok().flatten();
            return ZoneOutcome {
                zone: k.into(),
                ok: true,
                message: format!("reloaded, no change (serial {serial})"),
                warnings: state.warnings.clone(),
            };
        };
        let state = self.states.get_mut(k).expect("state exists");
        if let (Some(e), Ok(_)) = (&state.flush_error, &result) {
            // The file loads, but without the acknowledged edits that could not be written into
            // it (a hand edit they conflict with): serving it would drop them. The zone keeps
            // serving them, and edits wait, until the file can hold them.
            let message = format!(
                "{}: not loaded, it would drop served edits: {e}\n(or serve the file without \
                 them: `zonectl reload {} --discard-edits`)",
                file.display(),
                k.trim_end_matches('.')
            );
            state.last_load = Some(clock::unix_now());
            state.last_result = LoadResult::Failed;
            state.last_error = Some(message.clone());
            state.attempted = FileStamp::of(&file).ok().flatten();
            tracing::error!(zone = %k, "{message}");
            return ZoneOutcome {
                zone: k.into(),
                ok: false,
                message,
                warnings: Vec::new(),
            };
        }
        let mut loaded_zone = None;
        let outcome = Self::apply_load(state, old_serial, result, |z| loaded_zone = Some(z));
        if let Some(z) = loaded_zone {
            // A zone that did not load at start-up kept its journal for now: replayed on top,
            // so the file's version without the edits is never served (nor notified).
            let replayed = match old_serial {
                None => self.replay_journal(k, Some(&z)),
                Some(_) => None,
            };
            let flush = replayed.is_some();
            let z = self.succeeding(replayed.unwrap_or(z)).await;
            self.publish(|set| set.insert(Arc::new(z)));
            if flush {
                self.start_flush(k);
            }
        }
        log_outcome(k, &outcome);
        outcome
    }

    /// `reload ZONE --discard-edits`: the zone's file is loaded and served without the
    /// acknowledged edits that are not in it yet (a hand edit they conflict with, which a plain
    /// reload does not load over them). Only if the file loads: otherwise nothing changes. The
    /// edits are not deleted: their journal is set aside, as at a start-up replay that does
    /// not fit, and `status` warns until the file is removed.
    async fn reload_discarding(&mut self, k: &str) -> ZoneOutcome {
        // A write of the edits that already runs ends first (then they are in the file).
        self.await_flush(k).await;
        let state = &self.states[k];
        if state.pending.is_none() {
            return self.reload_one(k).await;
        }
        let failed = |message: String| ZoneOutcome {
            zone: k.into(),
            ok: false,
            message,
            warnings: Vec::new(),
        };
        let (origin, file) = (state.origin.clone(), state.file.clone());
        if self.being_written(&file) {
            return failed(format!(
                "{}: being written by another process; nothing discarded: run this again once \
                 that write ends",
                file.display()
            ));
        }
        let old_serial = self.served_serial(&origin);
        let loaded = match load_blocking(file.clone(), origin.clone(), None).await {
            Ok(loaded) => loaded.expect("no served hash: always loaded"),
            Err(e) => {
                return failed(format!(
                    "{e}\nnot loaded; nothing discarded: the edits stay served and journaled"
                ))
            }
        };
        // Secondaries may hold the served serial already: the file's version must come after
        // it, or they would never take it (and the next edit would give that serial to other
        // content).
        let file_serial = loaded.zone.serial().unwrap_or(0);
        if let Some(served) = old_serial.filter(|&s| !serial_gt(file_serial, s)) {
            return failed(format!(
                "{}: its serial {file_serial} is not above the served serial {served}, which \
                 secondaries may hold already: raise it past {served} in the file, then run this \
                 again; nothing discarded",
                file.display()
            ));
        }
        let path = journal::path(&self.zones_dir, &origin);
        let kept = match journal::set_aside(&path, clock::unix_now()) {
            Ok(moved) => moved,
            Err(e) => {
                return failed(format!(
                    "{}: setting the journal aside: {e}; nothing discarded",
                    path.display()
                ))
            }
        };
        let state = self.states.get_mut(k).expect("state exists");
        let serial = state.pending.take().map(|p| p.serial);
        state.flush_error = None;
        // What is served is not the file's last version any more, even if the file is.
        state.served_hash = None;
        let kept: Vec<String> = kept.iter().map(|p| p.display().to_string()).collect();
        let note = format!(
            "discarded the edits not in the file (served serial {}), kept in {}",
            serial.unwrap_or_default(),
            kept.join(", ")
        );
        tracing::warn!(zone = %k, "{note}");
        let mut loaded_zone = None;
        let mut outcome =
            Self::apply_load(state, old_serial, Ok(loaded), |z| loaded_zone = Some(z));
        if let Some(z) = loaded_zone {
            let z = self.succeeding(z).await;
            self.publish(|set| set.insert(Arc::new(z)));
        }
        log_outcome(k, &outcome);
        outcome.message = format!("{}; {note}", outcome.message);
        outcome
    }

    /// Explicit reload of every zone: the config file and the TSIG keys are read again (zones,
    /// policies, owners, transfers), new files are added, zones whose file is gone are dropped.
    async fn reload_all(&mut self) -> Vec<ZoneOutcome> {
        let read = match &self.config_path {
            Some(path) => Config::load(path).map_err(|e| e.to_string()),
            None => Ok(self.config.clone()),
        };
        let mut outcomes = Vec::new();
        match read.and_then(|c| {
            // Applied at the next start only, but checked now, as the rest of the file is.
            c.server_identity("")?;
            let access = c.access(&self.keys_dir)?;
            Ok((c, access))
        }) {
            Ok((c, access)) => {
                self.config = c;
                self.access.store(Arc::new(access));
            }
            Err(e) => {
                // Told to the caller too, not only logged: `reload` then exits non-zero.
                let message = format!("{e}; keeping the configuration and keys read before");
                tracing::error!("{message}");
                outcomes.push(ZoneOutcome {
                    zone: "(configuration)".into(),
                    ok: false,
                    message,
                    warnings: Vec::new(),
                });
            }
        }
        let found = self.discover();
        let gone: Vec<String> = self
            .states
            .keys()
            .filter(|k| !found.contains_key(*k))
            .cloned()
            .collect();
        for k in gone {
            outcomes.push(self.drop_zone(&k));
        }
        for (k, (origin, file)) in found {
            let state = self
                .states
                .entry(k.clone())
                .or_insert_with(|| Self::new_state(origin, file.clone()));
            state.file = file;
            outcomes.push(self.reload_one(&k).await);
        }
        outcomes
    }

    fn drop_zone(&mut self, k: &str) -> ZoneOutcome {
        let state = self.states.remove(k).expect("state exists");
        let origin = state.origin.clone();
        self.publish(|set| {
            set.remove(&origin);
        });
        tracing::info!(zone = %k, file = %state.file.display(), "zone file is gone: zone no longer served");
        ZoneOutcome {
            zone: k.into(),
            ok: true,
            message: format!("{} is gone: zone no longer served", state.file.display()),
            warnings: vec![],
        }
    }

    /// Keeps track of the zone files being written in place, from the watcher's events.
    fn note_write(&mut self, msg: ManagerMsg) {
        if let ManagerMsg::FileWrite { name, closed } = msg {
            if closed {
                self.writing.remove(&name);
            } else {
                self.writing.insert(name, tokio::time::Instant::now());
            }
        }
    }

    /// Whether the zone file `file` is being written in place (written within [`WRITE_GRACE`]
    /// and not closed); if so, a look again is due when the grace ends.
    fn being_written(&mut self, file: &Path) -> bool {
        let Some(&last) = file.file_name().and_then(|n| self.writing.get(n)) else {
            return false;
        };
        let until = last + WRITE_GRACE;
        if tokio::time::Instant::now() >= until {
            return false;
        }
        self.recheck = Some(self.recheck.map_or(until, |r| r.min(until)));
        true
    }

    /// After watcher events: load new files, reload changed ones (unless frozen), flag deleted
    /// ones (they keep answering until an explicit reload).
    async fn sync_dir(&mut self) {
        let found = self.discover();
        for (k, (origin, file)) in &found {
            if !self.states.contains_key(k) && !self.being_written(file) {
                self.states
                    .insert(k.clone(), Self::new_state(origin.clone(), file.clone()));
                self.reload_one(k).await;
            }
        }
        let keys: Vec<String> = self.states.keys().cloned().collect();
        for k in keys {
            let file = self.states[&k].file.clone();
            let writing = self.being_written(&file);
            let state = self.states.get_mut(&k).expect("state exists");
            match FileStamp::of(&state.file) {
                Ok(None) => {
                    if !state.file_missing {
                        tracing::warn!(zone = %k, file = %state.file.display(), "zone file deleted; still serving until `zonectl reload`");
                    }
                    state.file_missing = true;
                }
                // The server itself is writing the file: its own write is not a change.
                Ok(Some(_)) if state.flushing.is_some() => {}
                // Another process is: loaded when it closes the file.
                Ok(Some(stamp)) if writing && Some(stamp) != state.attempted => {
                    tracing::debug!(zone = %k, "zone file being written; loaded when it is closed");
                }
                Ok(Some(stamp)) => {
                    state.file_missing = false;
                    if Some(stamp) != state.attempted {
                        if state.frozen {
                            state.pending_change = true;
                        } else {
                            self.reload_one(&k).await;
                        }
                    }
                }
                Err(e) => tracing::warn!(zone = %k, error = %e, "cannot stat zone file"),
            }
        }
    }

    /// The keys a request names: one zone (which must exist) or all of them.
    fn select(&self, zone: &Option<String>) -> Result<Vec<String>, String> {
        match zone {
            None => Ok(self.states.keys().cloned().collect()),
            Some(z) => {
                let text = if z.ends_with('.') {
                    z.clone()
                } else {
                    format!("{z}.")
                };
                let origin = Name::parse(&text, None).map_err(|e| format!("{z}: {e}"))?;
                let k = key(&origin);
                if self.states.contains_key(&k) {
                    Ok(vec![k])
                } else {
                    let known: Vec<&str> = self.states.keys().map(String::as_str).collect();
                    Err(format!(
                        "zone {k} is not served (served zones: {})",
                        known.join(", ")
                    ))
                }
            }
        }
    }

    /// A warning while journals of the zone that could not be replayed are kept aside.
    fn set_aside_warning(&self, origin: &Name) -> Option<String> {
        let files = journal::set_aside_files(&self.zones_dir, origin);
        let list: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
        (!list.is_empty()).then(|| {
            format!(
                "acknowledged edits that could not be applied to the file are kept in {}: apply \
                 the lines between `txn` and `end` again with `zonectl apply` if they are still \
                 wanted, then remove the file",
                list.join(", ")
            )
        })
    }

    fn status(&self, k: &str) -> ZoneStatus {
        let s = &self.states[k];
        let set = self.set.load();
        let zone = set.get(&s.origin.to_lowercase());
        ZoneStatus {
            zone: k.into(),
            file: s.file.clone(),
            serial: zone.and_then(|z| z.serial()),
            frozen: s.frozen,
            records: zone.map(|z| z.record_count()).unwrap_or(0),
            last_load: s.last_load,
            last_result: match s.last_result {
                LoadResult::NotLoaded => "not loaded",
                LoadResult::Ok => "ok",
                LoadResult::Failed => "failed",
            }
            .into(),
            last_error: s.last_error.clone(),
            warnings: s
                .warnings
                .iter()
                .chain(&s.flush_error)
                .cloned()
                .chain(self.set_aside_warning(&s.origin))
                .collect(),
            file_missing: s.file_missing,
            pending_change: s.pending_change,
            ixfr_from: zone.and_then(|z| z.history().oldest()),
            ixfr_differences: zone.map_or(0, |z| z.history().len()),
        }
    }

    /// May `caller` run verbs on zone `k`? The server's user and root may on every zone; others
    /// on the zones whose `owner` is them or whose `owner_group` they are in.
    fn may_touch(&self, caller: &Caller, k: &str) -> Result<(), String> {
        if caller.admin {
            return Ok(());
        }
        let zc = self.config.zone(k);
        let by_user = zc
            .and_then(|z| z.owner.as_deref())
            .and_then(crate::users::uid_of)
            .is_some_and(|uid| uid == caller.uid);
        let by_group = || {
            zc.and_then(|z| z.owner_group.as_deref())
                .and_then(crate::users::gid_of)
                .is_some_and(|gid| crate::users::groups_of(caller.uid, caller.gid).contains(&gid))
        };
        if by_user || by_group() {
            return Ok(());
        }
        let owner = zc
            .and_then(|z| z.owners_text())
            .unwrap_or_else(|| "the server's owner".into());
        Err(format!("permission denied: {k} belongs to {owner}"))
    }

    /// The zones a request may act on for `caller`: one named zone it may touch, or, for a
    /// request about every zone, the zones it may touch (all of them for the server's user).
    fn authorize(
        &self,
        caller: &Caller,
        keys: Vec<String>,
        named: bool,
    ) -> Result<Vec<String>, String> {
        if caller.admin {
            return Ok(keys);
        }
        if named {
            for k in &keys {
                self.may_touch(caller, k)?;
            }
            return Ok(keys);
        }
        let mine: Vec<String> = keys
            .into_iter()
            .filter(|k| self.may_touch(caller, k).is_ok())
            .collect();
        if mine.is_empty() {
            return Err("permission denied: no zone on this server belongs to you".into());
        }
        Ok(mine)
    }

    async fn handle(&mut self, req: Request, caller: Caller) -> Response {
        let req = match req {
            Request::Edit {
                zone,
                change,
                dry_run,
            } => {
                let allowed = self
                    .select(&Some(zone.clone()))
                    .and_then(|keys| self.authorize(&caller, keys, true));
                if let Err(message) = allowed {
                    return Response::Error { message };
                }
                return self.edit(zone, change, dry_run).await;
            }
            // Server-wide counts, which tell nothing of any zone's data.
            Request::Stats => return Response::Stats(Box::new(self.stats.totals())),
            Request::Records { zone, owner, rtype } => {
                return match self
                    .select(&Some(zone))
                    .and_then(|keys| self.authorize(&caller, keys, true))
                {
                    Ok(keys) => self.records(&keys[0], &owner, RType(rtype)),
                    Err(message) => Response::Error { message },
                };
            }
            other => other,
        };
        let zone = match &req {
            Request::Status { zone }
            | Request::Check { zone }
            | Request::Reload { zone, .. }
            | Request::Freeze { zone }
            | Request::Thaw { zone }
            | Request::Sync { zone } => zone.clone(),
            Request::Edit { .. } | Request::Records { .. } | Request::Stats => {
                unreachable!("handled above")
            }
        };
        let keys = match self
            .select(&zone)
            .and_then(|keys| self.authorize(&caller, keys, zone.is_some()))
        {
            Ok(k) => k,
            Err(message) => return Response::Error { message },
        };
        // Every zone: for a participant, every zone of theirs.
        let all = zone.is_none() && caller.admin;
        match req {
            Request::Status { .. } => Response::Status {
                zones: keys.iter().map(|k| self.status(k)).collect(),
            },
            Request::Reload {
                discard_edits: true,
                ..
            } => match (zone.is_some(), keys.as_slice()) {
                (true, [k]) => Response::Done {
                    outcomes: vec![self.reload_discarding(k).await],
                },
                _ => Response::Error {
                    message: "--discard-edits needs one zone".into(),
                },
            },
            Request::Reload { .. } if all => Response::Done {
                outcomes: self.reload_all().await,
            },
            Request::Reload { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    outcomes.push(self.reload_one(&k).await);
                }
                Response::Done { outcomes }
            }
            Request::Check { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    let s = &self.states[&k];
                    let result = load_blocking(s.file.clone(), s.origin.clone(), None)
                        .await
                        .map(|z| z.expect("no served hash: always loaded"));
                    outcomes.push(ZoneOutcome::of_check(k, &s.file, result));
                }
                Response::Done { outcomes }
            }
            Request::Freeze { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    // The hand editor must see every acknowledged edit in the file.
                    self.flush(&k).await;
                    let s = self.states.get_mut(&k).expect("selected");
                    let message = if s.frozen { "already frozen" } else { "frozen" };
                    s.frozen = true;
                    tracing::info!(zone = %k, "{message}");
                    outcomes.push(ZoneOutcome {
                        zone: k,
                        ok: true,
                        message: message.into(),
                        warnings: s.flush_error.iter().cloned().collect(),
                    });
                }
                Response::Done { outcomes }
            }
            Request::Edit { .. } | Request::Records { .. } | Request::Stats => {
                unreachable!("handled above")
            }
            Request::Sync { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    self.flush(&k).await;
                    let s = &self.states[&k];
                    let waiting = waiting_for_writer(s);
                    outcomes.push(ZoneOutcome {
                        ok: s.flush_error.is_none() && waiting.is_none(),
                        message: s
                            .flush_error
                            .clone()
                            .or(waiting)
                            .unwrap_or_else(|| "file in sync".into()),
                        zone: k,
                        warnings: vec![],
                    });
                }
                Response::Done { outcomes }
            }
            Request::Thaw { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    let s = self.states.get_mut(&k).expect("selected");
                    let was_frozen = std::mem::replace(&mut s.frozen, false);
                    let changed =
                        s.pending_change || FileStamp::of(&s.file).ok().flatten() != s.attempted;
                    // Looked at now: a load that fails is told by its error, not as still to come.
                    s.pending_change = false;
                    tracing::info!(zone = %k, "thawed");
                    if changed && !s.file_missing {
                        let mut o = self.reload_one(&k).await;
                        o.message = format!("thawed; file changed: {}", o.message);
                        outcomes.push(o);
                    } else {
                        let message = if was_frozen {
                            "thawed"
                        } else {
                            "was not frozen"
                        };
                        outcomes.push(ZoneOutcome {
                            zone: k,
                            ok: true,
                            message: message.into(),
                            warnings: vec![],
                        });
                    }
                }
                Response::Done { outcomes }
            }
        }
    }

    /// Serves messages until `shutdown`.
    pub async fn run(
        mut self,
        tx: UnboundedSender<ManagerMsg>,
        rx: UnboundedReceiver<ManagerMsg>,
        shutdown: CancellationToken,
    ) {
        self.tx = Some(tx);
        self.rx = Some(rx);
        // As Knot and BIND do at start-up: a zone edited while the server was down reaches the
        // secondaries now, not at their next refresh.
        self.notify_changed(None, &self.set.load());
        loop {
            let msg = match self.queued.pop_front() {
                Some(m) => m,
                None => {
                    let flush_at = self.next_flush();
                    let recheck = self.recheck;
                    let rx = self.rx.as_mut().expect("set above");
                    tokio::select! {
                        m = rx.recv() => match m {
                            Some(m) => m,
                            None => return self.stop().await,
                        },
                        _ = shutdown.cancelled() => return self.stop().await,
                        _ = sleep_until(flush_at) => {
                            self.flush_due();
                            continue;
                        }
                        _ = sleep_until(recheck) => {
                            self.recheck = None;
                            self.sync_dir().await;
                            continue;
                        }
                    }
                }
            };
            match msg {
                ManagerMsg::Control(req, caller, reply) => {
                    let resp = self.handle(req, caller).await;
                    let _ = reply.send(resp);
                }
                ManagerMsg::ReloadAll => {
                    self.reload_all().await;
                }
                ManagerMsg::Flushed { zone, result } => self.flushed(&zone, result),
                ManagerMsg::FilesChanged | ManagerMsg::FileWrite { .. } => {
                    self.note_write(msg);
                    // Debounce: wait until file events stop for a moment. Any other message ends
                    // the wait at once (the directory is read first, then the message handled),
                    // so a control request never waits for an editor that keeps writing.
                    loop {
                        let rx = self.rx.as_mut().expect("set above");
                        match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                            Ok(Some(
                                m @ (ManagerMsg::FilesChanged | ManagerMsg::FileWrite { .. }),
                            )) => {
                                self.note_write(m);
                            }
                            Ok(Some(other)) => {
                                self.queued.push_back(other);
                                break;
                            }
                            Ok(None) | Err(_) => break,
                        }
                    }
                    self.sync_dir().await;
                }
            }
        }
    }
}
