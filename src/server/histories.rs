//! What the server keeps in `ZONES_DIR/.ixfr/` (mode 0700) for incremental transfers across a
//! restart:
//! - `ORIGIN.ixfr` (`apple.example.ixfr`): a zone's history of differences, in the form of
//!   [`ixfr::save`], written when the server stops. The next start reads and removes them all,
//!   so a file never outlives the start after it (a server that then dies without stopping
//!   leaves none, and its zones start with no history, as before).
//! - `serials`: the highest serial each zone was served with, `ORIGIN SERIAL` lines, a later
//!   line for an origin replacing an earlier one. A line is appended whenever a serial rises
//!   (not the whole file: a lab's past zones stay in it), and the file is written afresh, one
//!   line a zone, at each start. It is never removed: secondaries may hold any serial served,
//!   so none served before may be sent a difference from once the zone is served again at or
//!   below it (a backup restored, a serial lowered by hand), whatever happened in between.
//! - `key`: 16 random bytes the digests of saved histories are made with (mode 0600).
//!
//! A file is written whole to a temporary file renamed into place (`serials` also has lines
//! appended), and nothing is fsynced: after a power cut a history may come back torn or old,
//! and then its check or digest fails and it is not used, and a line of `serials` cut short is
//! left out; a stop of a lab of a thousand zones is not held up by 2000 fsyncs.
//!
//! [`ixfr::save`]: crate::zone::ixfr::save

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};

use crate::zone::ixfr::Key;
use crate::zone::Name;

fn dir(zones_dir: &Path) -> PathBuf {
    zones_dir.join(".ixfr")
}

/// Writes `bytes` as the file `name` of the directory, replacing it by a rename.
fn write(zones_dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let dir = dir(zones_dir);
    if !dir.is_dir() {
        fs::DirBuilder::new().mode(0o700).create(&dir)?;
    }
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

/// The key of the saved histories' digests: made on first use when `create`, else None if
/// there is none yet.
pub fn key(zones_dir: &Path, create: bool) -> io::Result<Option<Key>> {
    let path = dir(zones_dir).join("key");
    match fs::read(&path) {
        Ok(bytes) => {
            let key = bytes.try_into().map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{} is not 16 bytes", path.display()),
                )
            })?;
            Ok(Some(key))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
            let mut key = Key::default();
            SystemRandom::new()
                .fill(&mut key)
                .map_err(|_| io::Error::other("no random bytes from the system"))?;
            write(zones_dir, "key", &key)?;
            Ok(Some(key))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Saves the history `bytes` of the zone `origin`, replacing the one saved before.
pub fn save(zones_dir: &Path, origin: &Name, bytes: &[u8]) -> io::Result<()> {
    write(zones_dir, &format!("{}ixfr", origin.to_lowercase()), bytes)
}

/// Every saved history, by the (lower-cased) origin its file is named for, each file removed
/// once read; what a write cut short left is removed too. A file that cannot be read or
/// removed is logged and left out.
pub fn take_all(zones_dir: &Path) -> HashMap<Name, Vec<u8>> {
    let mut saved = HashMap::new();
    let entries = match fs::read_dir(dir(zones_dir)) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return saved,
        Err(e) => {
            tracing::warn!(dir = %dir(zones_dir).display(), error = %e, "could not read the saved IXFR histories; secondaries behind get the whole zone at the next change");
            return saved;
        }
    };
    for path in entries.filter_map(|e| e.ok()).map(|e| e.path()) {
        let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if file.starts_with('.') && file.contains(".tmp.") {
            let _ = fs::remove_file(&path);
            continue;
        }
        let Some(origin) = file
            .strip_suffix("ixfr")
            .and_then(|n| Name::parse(n, None).ok())
        else {
            continue; // `serials`, `key`
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
    saved
}

/// The highest serial each zone was served with, as last written (none if never), and the
/// lines that are not `ORIGIN SERIAL` and a newline (a hand edit gone wrong, a line cut short
/// by a power cut), each as `FILE:LINE`: they are left out, the others kept.
pub fn read_serials(zones_dir: &Path) -> io::Result<(HashMap<Name, u32>, Vec<String>)> {
    let path = dir(zones_dir).join("serials");
    let text = match fs::read(&path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(e),
    };
    let mut serials = HashMap::new();
    let mut bad = Vec::new();
    for (n, line) in text.split_inclusive('\n').enumerate() {
        // A last line without its newline was cut short: its serial may have lost digits.
        let whole = line.ends_with('\n');
        let line = line.trim();
        if whole && (line.is_empty() || line.starts_with(';')) {
            continue;
        }
        let mut words = line.split_whitespace();
        let parsed = match (words.next(), words.next(), words.next()) {
            (Some(origin), Some(serial), None) => Name::parse(origin, None)
                .ok()
                .zip(serial.parse::<u32>().ok()),
            _ => None,
        };
        match parsed.filter(|_| whole) {
            Some((origin, serial)) => {
                serials.insert(origin.to_lowercase(), serial);
            }
            None => bad.push(format!("{}:{}", path.display(), n + 1)),
        }
    }
    Ok((serials, bad))
}

/// Writes the highest serial each zone was served with, one line a zone.
pub fn write_serials(zones_dir: &Path, serials: &HashMap<Name, u32>) -> io::Result<()> {
    let mut lines: Vec<String> = serials.iter().map(|(o, s)| format!("{o} {s}\n")).collect();
    lines.sort();
    let text = format!(
        "; zonectl: the highest serial each zone was served with (IXFR); a later line for a \
         zone replaces an earlier one\n{}",
        lines.concat()
    );
    write(zones_dir, "serials", text.as_bytes())
}

/// Appends the serials that rose to those [`write_serials`] wrote.
pub fn append_serials(zones_dir: &Path, raised: &[(Name, u32)]) -> io::Result<()> {
    let lines: String = raised.iter().map(|(o, s)| format!("{o} {s}\n")).collect();
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(dir(zones_dir).join("serials"))?
        .write_all(lines.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_read_back_as_written_and_a_bad_line_is_left_out() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_serials(dir.path()).unwrap(),
            Default::default(),
            "none yet"
        );
        let name = |o: &str| Name::parse(o, None).unwrap();
        let serials: HashMap<Name, u32> = [("b.example.", 7), ("a.example.", 4_294_967_295)]
            .into_iter()
            .map(|(o, s)| (name(o), s))
            .collect();
        write_serials(dir.path(), &serials).unwrap();
        assert_eq!(read_serials(dir.path()).unwrap(), (serials, Vec::new()));
        // A later line replaces an earlier one.
        append_serials(
            dir.path(),
            &[(name("b.example."), 9), (name("c.example."), 1)],
        )
        .unwrap();
        let (read, bad) = read_serials(dir.path()).unwrap();
        assert_eq!(read[&name("b.example.")], 9);
        assert_eq!(read.len(), 3);
        assert!(bad.is_empty());
        // Spaces, a CR, an indented comment: read; a line cut short or garbled: left out.
        let path = dir.path().join(".ixfr/serials");
        let text = "  ; c\nA.Example.  3\r\nb.example.\nc.example. 2 x\nd.example. 4\ne.example. 5";
        fs::write(&path, text).unwrap();
        let (read, bad) = read_serials(dir.path()).unwrap();
        assert_eq!(read.len(), 2, "{read:?}");
        assert_eq!(read[&name("a.example.")], 3);
        assert_eq!(read[&name("d.example.")], 4);
        let at = |n: usize| format!("{}:{n}", path.display());
        assert_eq!(bad, [at(3), at(4), at(6)], "the last one cut short");
    }

    #[test]
    fn the_key_is_made_once_and_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(key(dir.path(), false).unwrap(), None);
        let made = key(dir.path(), true).unwrap().expect("made");
        assert_eq!(key(dir.path(), false).unwrap(), Some(made));
        assert_eq!(key(dir.path(), true).unwrap(), Some(made));
        let mode = |p: PathBuf| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(dir.path().join(".ixfr/key")), 0o600);
        assert_eq!(mode(dir.path().join(".ixfr")), 0o700);
    }

    #[test]
    fn taking_the_histories_removes_them_and_leaves_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let origin = Name::parse("Apple.Example.", None).unwrap();
        save(dir.path(), &origin, b"saved").unwrap();
        write_serials(dir.path(), &HashMap::new()).unwrap();
        key(dir.path(), true).unwrap();
        fs::write(
            dir.path().join(".ixfr/.pear.example.ixfr.tmp.1"),
            b"cut short",
        )
        .unwrap();
        let taken = take_all(dir.path());
        assert_eq!(
            taken.get(&origin.to_lowercase()).map(Vec::as_slice),
            Some(&b"saved"[..])
        );
        let mut left: Vec<String> = fs::read_dir(dir.path().join(".ixfr"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["key", "serials"]);
        assert!(take_all(dir.path()).is_empty(), "taken once");
    }
}
