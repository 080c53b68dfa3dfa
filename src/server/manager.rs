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

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use tokio::sync::{mpsc::UnboundedReceiver, oneshot};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::control::{Request, Response, ZoneOutcome, ZoneStatus};
use crate::store::{self, FileStamp, LoadError, LoadedZone};
use crate::zone::serial::serial_gt;
use crate::zone::{Name, ZoneSet};

/// How long file events must be quiet before the directory is re-read.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Messages to the zone manager.
#[derive(Debug)]
pub enum ManagerMsg {
    /// A control request and where to send its answer.
    Control(Request, oneshot::Sender<Response>),
    /// Something changed in the zones directory.
    FilesChanged,
    /// SIGHUP: reload every zone.
    ReloadAll,
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
}

/// Owns the zone states and the published snapshot.
pub struct Manager {
    zones_dir: PathBuf,
    config: Config,
    set: Arc<ArcSwap<ZoneSet>>,
    /// Keyed by the zone's absolute, lower-cased origin text, so `status` lists zones in order.
    states: BTreeMap<String, ZoneState>,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Reads, parses and checks a zone file on the blocking pool, away from the async threads.
async fn load_blocking(file: PathBuf, origin: Name) -> Result<LoadedZone, LoadError> {
    let path = file.clone();
    tokio::task::spawn_blocking(move || store::load_zone(&file, &origin))
        .await
        .unwrap_or_else(|e| {
            Err(LoadError::Read {
                path,
                error: std::io::Error::other(e.to_string()),
            })
        })
}

fn key(origin: &Name) -> String {
    origin.to_lowercase().to_string()
}

impl Manager {
    pub fn new(zones_dir: PathBuf, config: Config, set: Arc<ArcSwap<ZoneSet>>) -> Manager {
        Manager {
            zones_dir,
            config,
            set,
            states: BTreeMap::new(),
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
            found.insert(key(&origin), (origin, file));
        }
        match store::zone_files(&self.zones_dir) {
            Ok(files) => {
                for file in files {
                    if configured_files.contains(&file) {
                        continue;
                    }
                    if let Some(origin) = store::origin_from_file_name(&file) {
                        found.entry(key(&origin)).or_insert((origin, file));
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
        }
    }

    /// Loads every zone before the sockets open (blocking; runs before the runtime starts).
    pub fn load_all_initial(&mut self) {
        let found = self.discover();
        let mut set = ZoneSet::new();
        for (k, (origin, file)) in found {
            let mut state = Self::new_state(origin.clone(), file.clone());
            let result = store::load_zone(&file, &origin);
            let outcome = Self::apply_load(&mut state, None, result, |z| set.insert(Arc::new(z)));
            if outcome.ok {
                tracing::info!(zone = %k, "{}", outcome.message);
            } else {
                tracing::error!(zone = %k, "{}", outcome.message);
            }
            self.states.insert(k, state);
        }
        self.set.store(Arc::new(set));
    }

    /// Records a load attempt's result in `state`; on success hands the zone to `publish`.
    fn apply_load(
        state: &mut ZoneState,
        old_serial: Option<u32>,
        result: Result<LoadedZone, LoadError>,
        publish: impl FnOnce(crate::zone::Zone),
    ) -> ZoneOutcome {
        let zone_name = state.origin.to_string();
        state.last_load = Some(now_unix());
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
                    loaded.warnings.iter().map(|f| f.to_string()).collect();
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
        self.set.store(Arc::new(next));
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
        let (origin, file) = (state.origin.clone(), state.file.clone());
        let old_serial = self.served_serial(&origin);
        let result = load_blocking(file, origin).await;
        let mut loaded_zone = None;
        let state = self.states.get_mut(k).expect("state exists");
        let outcome = Self::apply_load(state, old_serial, result, |z| loaded_zone = Some(z));
        if let Some(z) = loaded_zone {
            self.publish(|set| set.insert(Arc::new(z)));
        }
        if outcome.ok {
            tracing::info!(zone = %k, "{}", outcome.message);
        } else {
            tracing::error!(zone = %k, "{}", outcome.message);
        }
        for w in &outcome.warnings {
            tracing::warn!(zone = %k, "{w}");
        }
        outcome
    }

    /// Explicit reload of every zone: new files are added, zones whose file is gone are dropped.
    async fn reload_all(&mut self) -> Vec<ZoneOutcome> {
        let found = self.discover();
        let mut outcomes = Vec::new();
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

    /// After watcher events: load new files, reload changed ones (unless frozen), flag deleted
    /// ones (they keep answering until an explicit reload).
    async fn sync_dir(&mut self) {
        let found = self.discover();
        for (k, (origin, file)) in &found {
            if !self.states.contains_key(k) {
                self.states
                    .insert(k.clone(), Self::new_state(origin.clone(), file.clone()));
                self.reload_one(k).await;
            }
        }
        let keys: Vec<String> = self.states.keys().cloned().collect();
        for k in keys {
            let state = self.states.get_mut(&k).expect("state exists");
            match FileStamp::of(&state.file) {
                Ok(None) => {
                    if !state.file_missing {
                        tracing::warn!(zone = %k, file = %state.file.display(), "zone file deleted; still serving until `zonectl reload`");
                    }
                    state.file_missing = true;
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
            warnings: s.warnings.clone(),
            file_missing: s.file_missing,
            pending_change: s.pending_change,
        }
    }

    async fn handle(&mut self, req: Request) -> Response {
        let zone = match &req {
            Request::Status { zone }
            | Request::Check { zone }
            | Request::Reload { zone }
            | Request::Freeze { zone }
            | Request::Thaw { zone } => zone.clone(),
        };
        let keys = match self.select(&zone) {
            Ok(k) => k,
            Err(message) => return Response::Error { message },
        };
        match req {
            Request::Status { .. } => Response::Status {
                zones: keys.iter().map(|k| self.status(k)).collect(),
            },
            Request::Reload { zone: None } => Response::Done {
                outcomes: self.reload_all().await,
            },
            Request::Reload { zone: Some(_) } => Response::Done {
                outcomes: vec![self.reload_one(&keys[0]).await],
            },
            Request::Check { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    let s = &self.states[&k];
                    let result = load_blocking(s.file.clone(), s.origin.clone()).await;
                    outcomes.push(ZoneOutcome::of_check(k, &s.file, result));
                }
                Response::Done { outcomes }
            }
            Request::Freeze { .. } => {
                let outcomes = keys
                    .into_iter()
                    .map(|k| {
                        let s = self.states.get_mut(&k).expect("selected");
                        let message = if s.frozen { "already frozen" } else { "frozen" };
                        s.frozen = true;
                        tracing::info!(zone = %k, "{message}");
                        ZoneOutcome {
                            zone: k,
                            ok: true,
                            message: message.into(),
                            warnings: vec![],
                        }
                    })
                    .collect();
                Response::Done { outcomes }
            }
            Request::Thaw { .. } => {
                let mut outcomes = Vec::new();
                for k in keys {
                    let s = self.states.get_mut(&k).expect("selected");
                    let was_frozen = std::mem::replace(&mut s.frozen, false);
                    let changed =
                        s.pending_change || FileStamp::of(&s.file).ok().flatten() != s.attempted;
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
    pub async fn run(mut self, mut rx: UnboundedReceiver<ManagerMsg>, shutdown: CancellationToken) {
        let mut queued: VecDeque<ManagerMsg> = VecDeque::new();
        loop {
            let msg = match queued.pop_front() {
                Some(m) => m,
                None => tokio::select! {
                    m = rx.recv() => match m { Some(m) => m, None => return },
                    _ = shutdown.cancelled() => return,
                },
            };
            match msg {
                ManagerMsg::Control(req, reply) => {
                    let resp = self.handle(req).await;
                    let _ = reply.send(resp);
                }
                ManagerMsg::ReloadAll => {
                    self.reload_all().await;
                }
                ManagerMsg::FilesChanged => {
                    // Debounce: wait until file events stop for a moment. Any other message ends
                    // the wait at once (the directory is read first, then the message handled),
                    // so a control request never waits for an editor that keeps writing.
                    loop {
                        match tokio::time::timeout(DEBOUNCE, rx.recv()).await {
                            Ok(Some(ManagerMsg::FilesChanged)) => continue,
                            Ok(Some(other)) => {
                                queued.push_back(other);
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
