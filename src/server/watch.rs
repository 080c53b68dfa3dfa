//! Watches the zones directory (not single files: editors save by rename) and tells the zone
//! manager that something changed. The manager debounces and re-reads the directory itself, so
//! a lost or merged event costs nothing.

use std::path::Path;

use notify::{RecursiveMode, Watcher};
use tokio::sync::mpsc::UnboundedSender;

use super::ManagerMsg;

/// Starts watching `dir`. The watcher stops when the returned value is dropped. A watcher that
/// cannot start is logged, not fatal: `reload` still works.
pub fn start(dir: &Path, tx: UnboundedSender<ManagerMsg>) -> Option<notify::RecommendedWatcher> {
    let handler = move |res: notify::Result<notify::Event>| match res {
        Ok(ev) => {
            let relevant = ev
                .paths
                .iter()
                .any(|p| p.extension().is_some_and(|e| e == "zone"));
            if relevant && !ev.kind.is_access() {
                let _ = tx.send(ManagerMsg::FilesChanged);
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
