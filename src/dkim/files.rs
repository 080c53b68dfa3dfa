//! The DKIM files of a zone under the keys directory, and the only part of `dkim` that touches
//! the filesystem:
//!
//! ```text
//! KEYS_DIR/                 0700 when zonectl creates it
//!   ZONE/                   0700 (the zone lower-cased, without the final dot)
//!     SEL.private           0600, PKCS#8 PEM, created 0600 (never readable by others, not even
//!                           for an instant), never overwritten
//!     SEL.txt               0644, the record as a zone-file line (opendkim-genkey's shape)
//!     dkim.toml             the state file (`dkim::state`), replaced atomically
//!     .ZONE.lock            flock held by every `zonectl dkim` verb that changes the zone
//! ```
//!
//! New files are written to a temporary file in the same directory, fsynced, then *linked* to
//! their name (link(2) fails if the name exists, so an existing key is never replaced, and a
//! crash leaves either no file or the whole file), and the directory is fsynced. Imports only
//! `store` (atomic replace and the flock) below it.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::state::KeyState;
use crate::store;
use crate::zone::Name;

/// The state file's name inside `KEYS_DIR/ZONE/`.
pub const STATE_FILE: &str = "dkim.toml";

/// The keys directory of one zone.
#[derive(Debug, Clone)]
pub struct ZoneKeys {
    pub dir: PathBuf,
    /// The zone without the final dot, lower-cased.
    pub zone: String,
}

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("{}: {error}", path.display())]
    Io { path: PathBuf, error: io::Error },
    #[error("{} exists already; refusing to overwrite a key (pick another selector)", path.display())]
    Exists { path: PathBuf },
    #[error("{}: {message}", path.display())]
    State { path: PathBuf, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> FilesError + '_ {
    move |error| FilesError::Io {
        path: path.to_path_buf(),
        error,
    }
}

impl ZoneKeys {
    /// `KEYS_DIR/ZONE` for `origin` (nothing is created).
    pub fn new(keys_dir: &Path, origin: &Name) -> ZoneKeys {
        let zone = origin
            .to_lowercase()
            .to_string()
            .trim_end_matches('.')
            .to_owned();
        ZoneKeys {
            dir: keys_dir.join(&zone),
            zone,
        }
    }

    pub fn private_path(&self, selector: &str) -> PathBuf {
        self.dir.join(format!("{selector}.private"))
    }

    pub fn txt_path(&self, selector: &str) -> PathBuf {
        self.dir.join(format!("{selector}.txt"))
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    /// Creates `KEYS_DIR` and `KEYS_DIR/ZONE` (mode 0700) if missing.
    pub fn create_dirs(&self) -> Result<(), FilesError> {
        create_private_dir(&self.dir)
    }

    /// Takes the zone's DKIM lock (see the module docs); `on_wait` is called before waiting.
    pub fn lock(
        &self,
        origin: &Name,
        on_wait: impl FnOnce(&Path),
    ) -> Result<store::ZoneLock, FilesError> {
        self.create_dirs()?;
        store::lock_zone(&self.dir, origin, on_wait).map_err(io_err(&self.dir))
    }

    /// Writes a new private key file, mode 0600 from its creation; refuses an existing one.
    pub fn write_private(&self, selector: &str, pem: &str) -> Result<PathBuf, FilesError> {
        let path = self.private_path(selector);
        write_new(&path, pem.as_bytes(), 0o600)?;
        Ok(path)
    }

    /// Writes a new `.txt` record file (mode 0644); refuses an existing one.
    pub fn write_txt(&self, selector: &str, text: &str) -> Result<PathBuf, FilesError> {
        let path = self.txt_path(selector);
        write_new(&path, text.as_bytes(), 0o644)?;
        Ok(path)
    }

    /// Deletes the key files of `selector` (those that exist) and fsyncs the directory.
    pub fn remove_files(&self, selector: &str) -> Result<Vec<PathBuf>, FilesError> {
        let mut removed = Vec::new();
        for path in [self.private_path(selector), self.txt_path(selector)] {
            match fs::remove_file(&path) {
                Ok(()) => removed.push(path),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err(&path)(e)),
            }
        }
        sync_dir(&self.dir)?;
        Ok(removed)
    }

    /// The state file, or an empty state if there is none yet.
    pub fn read_state(&self) -> Result<KeyState, FilesError> {
        let path = self.state_path();
        match fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| FilesError::State {
                path: path.clone(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(KeyState::new(&self.zone)),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// Replaces the state file atomically (`store::write_atomic`).
    pub fn write_state(&self, state: &KeyState) -> Result<(), FilesError> {
        let path = self.state_path();
        let body = toml::to_string(state).map_err(|e| FilesError::State {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let text = format!(
            "# DKIM selectors of {}, kept by zonectl: see README \"DKIM\". Times are UTC.\n\
             # Written by `zonectl dkim`; edit by hand only with no zonectl dkim command running.\n\
             {body}",
            state.zone
        );
        self.create_dirs()?;
        store::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))
    }

    /// The selectors that have a `SEL.private` file, sorted.
    pub fn selectors_on_disk(&self) -> Result<Vec<String>, FilesError> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&self.dir)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(&self.dir))?;
            if let Some(sel) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".private"))
            {
                if !sel.is_empty() && !sel.starts_with('.') {
                    out.push(sel.to_owned());
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The permission bits of `path` (following links), or `None` if it does not exist.
pub fn mode_of(path: &Path) -> io::Result<Option<u32>> {
    match fs::metadata(path) {
        Ok(m) => Ok(Some(m.permissions().mode() & 0o7777)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Creates `dir` and its missing parents with mode 0700: a directory of private keys.
pub(crate) fn create_private_dir(dir: &Path) -> Result<(), FilesError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true).mode(0o700);
    b.create(dir).map_err(io_err(dir))
}

/// Writes `bytes` to a new file `path` with exactly `mode`: a temporary file is created with
/// `mode` (O_EXCL), written, fsynced, then hard-linked to `path` (refused if `path` exists) and
/// unlinked; the directory is fsynced. A crash leaves no partial file under `path`.
pub(crate) fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), FilesError> {
    if fs::symlink_metadata(path).is_ok() {
        return Err(FilesError::Exists { path: path.into() });
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let _ = fs::remove_file(&tmp); // a leftover of a killed run of this same PID
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    let result = (|| {
        // The umask may have taken bits away from `mode` (never added any): set it exactly.
        file.set_permissions(fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::hard_link(&tmp, path)
    })();
    let _ = fs::remove_file(&tmp);
    match result {
        Ok(()) => sync_dir(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            Err(FilesError::Exists { path: path.into() })
        }
        Err(e) => Err(io_err(path)(e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), FilesError> {
    crate::store::sync_dir(dir).map_err(io_err(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_keys_are_0600_in_0700_dirs_and_never_overwritten() {
        let tmp = tempfile::tempdir().unwrap();
        let keys = tmp.path().join("keys");
        let origin = Name::parse("Example.COM.", None).unwrap();
        let zk = ZoneKeys::new(&keys, &origin);
        assert_eq!(zk.dir, keys.join("example.com"));
        zk.create_dirs().unwrap();
        assert_eq!(mode_of(&keys).unwrap(), Some(0o700));
        assert_eq!(mode_of(&zk.dir).unwrap(), Some(0o700));

        // Even with a permissive umask the key is 0600.
        // SAFETY: umask(2) only changes this process's file-creation mask.
        let old = unsafe { libc::umask(0) };
        let written = zk.write_private("s1", "secret\n");
        unsafe { libc::umask(old) };
        let path = written.unwrap();
        assert_eq!(mode_of(&path).unwrap(), Some(0o600));
        assert_eq!(fs::read_to_string(&path).unwrap(), "secret\n");

        let again = zk.write_private("s1", "other\n");
        assert!(matches!(again, Err(FilesError::Exists { .. })), "{again:?}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "secret\n");

        zk.write_txt("s1", "s1._domainkey IN TXT \"v=DKIM1; p=\"\n")
            .unwrap();
        assert_eq!(zk.selectors_on_disk().unwrap(), ["s1"]);
        // No temporary files left.
        let names: Vec<String> = fs::read_dir(&zk.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
        assert_eq!(zk.remove_files("s1").unwrap().len(), 2);
        assert!(zk.selectors_on_disk().unwrap().is_empty());
    }

    #[test]
    fn state_is_read_back_as_written() {
        use crate::dkim::record::KeyType;
        use crate::dkim::state::SelectorEntry;
        let tmp = tempfile::tempdir().unwrap();
        let origin = Name::parse("example.com.", None).unwrap();
        let zk = ZoneKeys::new(tmp.path(), &origin);
        assert_eq!(zk.read_state().unwrap(), KeyState::new("example.com"));
        let mut s = KeyState::new("example.com");
        s.add(SelectorEntry::new("a", KeyType::Rsa, 2048, 0))
            .unwrap();
        zk.write_state(&s).unwrap();
        let text = fs::read_to_string(zk.state_path()).unwrap();
        assert!(
            text.starts_with("# DKIM selectors of example.com"),
            "{text}"
        );
        assert_eq!(zk.read_state().unwrap(), s);
        fs::write(zk.state_path(), "zone = 3\n").unwrap();
        assert!(matches!(zk.read_state(), Err(FilesError::State { .. })));
    }
}
