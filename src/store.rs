//! Zone files on disk: reading a zone file (with its `$INCLUDE`s), checking it, and building the
//! servable [`Zone`]. The only module besides the server that touches the zones directory.

use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::zone::check::{check_entries, Finding, Severity};
use crate::zone::parse::{parse_zone, ParseError};
use crate::zone::{Name, Record, Zone};

/// What identifies a version of a file cheaply, to tell whether it changed since it was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStamp {
    pub len: u64,
    pub modified: Option<SystemTime>,
    pub inode: u64,
}

impl FileStamp {
    /// The stamp of the file at `path`, or `None` if it does not exist.
    pub fn of(path: &Path) -> io::Result<Option<FileStamp>> {
        use std::os::unix::fs::MetadataExt;
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(FileStamp {
                len: m.len(),
                modified: m.modified().ok(),
                inode: m.ino(),
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// A zone read from its file and checked.
#[derive(Debug)]
pub struct LoadedZone {
    pub zone: Zone,
    /// Warnings found by the checks (errors would have refused the zone).
    pub warnings: Vec<Finding>,
    /// The file's stamp before it was read.
    pub stamp: Option<FileStamp>,
    /// Hash of the file's bytes, to tell a real change from a touch.
    pub content_hash: u64,
}

/// Why a zone file could not be loaded. Display gives `FILE:LINE: reason` lines.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {error}; check the path and permissions", path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("{}: not valid UTF-8 text; write non-ASCII bytes as \\DDD escapes", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("{0}")]
    Parse(#[from] ParseError),
    #[error("{}", findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"))]
    Check { findings: Vec<Finding> },
}

/// Reads, parses and checks the zone file at `path` for the zone `origin`.
pub fn load_zone(path: &Path, origin: &Name) -> Result<LoadedZone, LoadError> {
    let stamp = FileStamp::of(path).map_err(|error| LoadError::Read {
        path: path.into(),
        error,
    })?;
    let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
        path: path.into(),
        error,
    })?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let content_hash = hasher.finish();
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 { path: path.into() })?;
    let mut load_include = |p: &Path| -> io::Result<String> { std::fs::read_to_string(p) };
    let entries = parse_zone(&text, path, origin, &mut load_include)?;
    let findings = check_entries(origin, &entries);
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(LoadError::Check { findings: errors });
    }
    let records = entries.into_iter().map(|e| Record {
        owner: e.owner,
        ttl: e.ttl,
        rtype: e.rtype,
        rdata: e.rdata.into_boxed_slice(),
    });
    let zone = Zone::from_records(origin, records);
    Ok(LoadedZone {
        zone,
        warnings,
        stamp,
        content_hash,
    })
}

/// The zone origin a file name implies: `apple.example.zone` → `apple.example.`.
pub fn origin_from_file_name(path: &Path) -> Option<Name> {
    let stem = path.file_name()?.to_str()?.strip_suffix(".zone")?;
    if stem.is_empty() || stem.starts_with('.') {
        return None;
    }
    Name::parse(&format!("{}.", stem.trim_end_matches('.')), None).ok()
}

/// Every `*.zone` file directly inside `dir`, sorted by name.
pub fn zone_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "zone")
            && origin_from_file_name(&path).is_some()
            && path.is_file()
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_comes_from_file_name() {
        let n = origin_from_file_name(Path::new("zones/apple.example.zone")).unwrap();
        assert_eq!(n.to_string(), "apple.example.");
        assert!(origin_from_file_name(Path::new("zones/.zone")).is_none());
        assert!(origin_from_file_name(Path::new("zones/apple.example.zone.swp")).is_none());
    }
}
