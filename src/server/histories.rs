//! Where zones' histories of differences wait while the server is stopped:
//! `ZONES_DIR/.ixfr/ORIGIN.ixfr` (`apple.example.ixfr`), in the form of [`ixfr::save`]. The
//! server writes them when it stops and reads them when it starts; reading removes them all,
//! so a file never outlives the start after it (a server that then dies without stopping
//! leaves none, and its zones start with no history, as before).
//!
//! [`ixfr::save`]: crate::zone::ixfr::save

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::store;
use crate::zone::Name;

fn dir(zones_dir: &Path) -> PathBuf {
    zones_dir.join(".ixfr")
}

/// Saves the history `bytes` of the zone `origin`, replacing the one saved before: written
/// beside it and renamed over it, so a server that dies meanwhile leaves the old file or the
/// new one. Not fsynced: after a power cut a file may come back torn, and then its check fails
/// and it is not used (a stop of a lab of a thousand zones is not held up by 2000 fsyncs).
pub fn save(zones_dir: &Path, origin: &Name, bytes: &[u8]) -> io::Result<()> {
    let dir = dir(zones_dir);
    if !dir.is_dir() {
        fs::DirBuilder::new().mode(0o700).create(&dir)?;
    }
    let name = format!("{}ixfr", origin.to_lowercase());
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let written = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)
        .and_then(|mut f| f.write_all(bytes))
        .and_then(|()| fs::rename(&tmp, dir.join(name)));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    written
}

/// Every saved history, by the origin its file is named for, each file removed once read.
/// A file that cannot be read or removed is logged and left out.
pub fn take_all(zones_dir: &Path) -> HashMap<Name, Vec<u8>> {
    let mut saved = HashMap::new();
    let Ok(entries) = fs::read_dir(dir(zones_dir)) else {
        return saved;
    };
    for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
        let origin = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix("ixfr"))
            .and_then(|n| Name::parse(n, None).ok());
        let Some(origin) = origin else {
            // What a write cut short by a crash leaves; anything else is not ours.
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().contains(".ixfr.tmp."))
            {
                let _ = fs::remove_file(&path);
            }
            continue;
        };
        let read = fs::read(&path);
        if let Err(e) = fs::remove_file(&path) {
            tracing::warn!(file = %path.display(), error = %e, "could not remove a saved IXFR history; it is not used");
            continue;
        }
        match read {
            Ok(bytes) => {
                saved.insert(origin.to_lowercase(), bytes);
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "could not read a saved IXFR history")
            }
        }
    }
    let _ = store::sync_dir(&dir(zones_dir));
    saved
}
