//! Watches the zones directory (not single files: editors save by rename) and tells the zone
//! manager that something changed. The manager debounces and re-reads the directory itself, so
//! a lost or merged event costs nothing. A zone file written in place (truncated and written,
//! as `cat >` and `scp` do) is reported as being written until its writer closes it, so that
//! the manager does not load the part written so far.

use std::path::Path;

use notify::event::{AccessKind, AccessMode, ModifyKind};
use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::ManagerMsg;

/// Starts watching `dir`. The watcher stops when the returned value is dropped. A watcher that
/// cannot start is logged, not fatal: `reload` still works.
pub fn start(dir: &Path, tx: UnboundedSender<ManagerMsg>) -> Option<notify::RecommendedWatcher> {
    let handler = move |res: notify::Result<notify::Event>| match res {
        Ok(ev) => {
            let zone_files = ev
                .paths
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "zone"))
                .filter_map(|p| p.file_name());
            for name in zone_files {
                let msg = match ev.kind {
                    EventKind::Modify(ModifyKind::Data(_)) => ManagerMsg::FileWrite {
                        name: name.to_owned(),
                        closed: false,
                    },
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                        ManagerMsg::FileWrite {
                            name: name.to_owned(),
                            closed: true,
                        }
                    }
                    EventKind::Access(_) => continue,
                    _ => ManagerMsg::FilesChanged,
                };
                let _ = tx.send(msg);
            }
        }
        Err(e) => tracing::warn!(error = %e, "zones directory watcher"),
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the zones directory; use `zonectl reload` after edits");
            return None;
        }
    };
    if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
        tracing::warn!(error = %e, dir = %dir.display(), "cannot watch the zones directory; use `zonectl reload` after edits");
        return None;
    }
    Some(watcher)
}
