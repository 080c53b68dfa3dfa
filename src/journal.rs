//! The change journal: every edit the server acknowledges is appended here and fsynced before
//! the answer goes out, so it survives a crash (even SIGKILL) in the moment before the zone
//! file is rewritten. At start-up the server replays the transactions its zone file does not
//! hold yet, then writes the file; once an edit is in the zone file its transaction is dropped.
//!
//! One file per zone, `ZONES_DIR/.journal/ORIGIN.jnl` (`apple.example.jnl`), plain text:
//!
//! ```text
//! ; zonectl journal of apple.example.
//! txn 2025103001 2025103002 1764374400
//! set _dmarc.apple.example. TXT 3600 "v=DMARC1; p=quarantine"
//! end
//! ```
//!
//! While the server writes the zone file, the journal being written is renamed
//! `ORIGIN.jnl.flushing` and new edits go to a fresh `ORIGIN.jnl`, so edits are never held up by
//! a slow write of a large file; the `.flushing` file is removed once the zone file holds its
//! edits. At start-up both are read, `.flushing` first.
//!
//! `txn FROM TO UNIXTIME` opens a transaction that takes the zone from serial FROM to serial TO;
//! its lines are `zonectl apply` lines with every name absolute and every TTL explicit; `end`
//! closes it. A transaction without its `end` was being written when the server died, was never
//! acknowledged, and is ignored.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::store;
use crate::zone::edit::{batch_text, parse_batch, EditOp};
use crate::zone::Name;

/// One acknowledged change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Txn {
    pub from: u32,
    pub to: u32,
    /// UNIX time it was acknowledged.
    pub time: i64,
    /// The ops, TTLs resolved; empty for a serial-only change.
    pub ops: Vec<EditOp>,
}

/// The journal file of the zone `origin`.
pub fn path(zones_dir: &Path, origin: &Name) -> PathBuf {
    zones_dir
        .join(".journal")
        .join(format!("{}jnl", origin.to_lowercase()))
}

/// The journal file holding edits a server acknowledged but did not write into the zone file
/// before it stopped, if there is one (they are applied when a server starts).
pub fn unapplied(zones_dir: &Path, origin: &Name) -> Option<PathBuf> {
    let path = path(zones_dir, origin);
    [flushing_path(&path), path]
        .into_iter()
        .find(|p| p.exists())
}

/// The journal being written into the zone file, beside `path`.
pub fn flushing_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".flushing");
    PathBuf::from(p)
}

/// Starts a write of the zone file: the journal's transactions move to the `.flushing` file
/// (appended to it, if an earlier write failed and left it), and new ones go to a fresh journal.
pub fn rotate(path: &Path) -> io::Result<()> {
    let flushing = flushing_path(path);
    match fs::read(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(bytes) if flushing.exists() => {
            let mut f = OpenOptions::new().append(true).open(&flushing)?;
            f.write_all(&bytes)?;
            f.sync_data()?;
            fs::remove_file(path)?;
        }
        Ok(_) => fs::rename(path, &flushing)?,
    }
    store::sync_dir(path.parent().expect("a journal path has a directory"))
}

/// The transactions of the `.flushing` file and then of the journal (see [`read`]).
pub fn read_all(path: &Path, origin: &Name) -> Result<Vec<Txn>, String> {
    let mut txns = read(&flushing_path(path), origin)?;
    txns.extend(read(path, origin)?);
    Ok(txns)
}

/// Appends `txn` and fsyncs it (and, when the file is new, its directory).
pub fn append(path: &Path, origin: &Name, txn: &Txn) -> io::Result<()> {
    let dir = path.parent().expect("a journal path has a directory");
    if !dir.is_dir() {
        fs::DirBuilder::new().mode(0o700).create(dir)?;
        store::sync_dir(dir.parent().unwrap_or(dir))?;
    }
    let new = !path.exists();
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    let mut text = String::new();
    if new {
        text.push_str(&format!("; zonectl journal of {origin}\n"));
    }
    text.push_str(&format!("txn {} {} {}\n", txn.from, txn.to, txn.time));
    text.push_str(&batch_text(&txn.ops));
    text.push_str("end\n");
    file.write_all(text.as_bytes())?;
    file.sync_data()?;
    if new {
        store::sync_dir(dir)?;
    }
    Ok(())
}

/// The complete transactions in the journal, oldest first (none if there is no journal).
/// Errors name the file and line.
pub fn read(path: &Path, origin: &Name) -> Result<Vec<Txn>, String> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let mut txns = Vec::new();
    let mut open: Option<(usize, Txn, String)> = None;
    for (index, line) in text.lines().enumerate() {
        let at = |what: String| format!("{}:{}: {what}", path.display(), index + 1);
        if let Some(rest) = line.strip_prefix("txn ") {
            let nums: Vec<&str> = rest.split_whitespace().collect();
            let parse = |i: usize| nums.get(i).and_then(|n| n.parse::<i64>().ok());
            let (Some(from), Some(to), Some(time)) = (parse(0), parse(1), parse(2)) else {
                return Err(at(format!("bad transaction header {line:?}")));
            };
            let header = Txn {
                from: from as u32,
                to: to as u32,
                time,
                ops: Vec::new(),
            };
            // An unfinished transaction followed by another cannot happen (appends are
            // sequential); treat it as torn all the same.
            open = Some((index + 1, header, String::new()));
        } else if line == "end" {
            let Some((first, mut txn, body)) = open.take() else {
                return Err(at("`end` without `txn`".into()));
            };
            txn.ops = parse_batch(&body, origin)
                .map_err(|e| format!("{}: transaction at line {first}: {e}", path.display()))?;
            txns.push(txn);
        } else if let Some((_, _, body)) = &mut open {
            body.push_str(line);
            body.push('\n');
        }
    }
    Ok(txns)
}

/// Removes a journal file (`path` or its [`flushing_path`]) whose transactions are all in the
/// zone file now.
pub fn clear(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => store::sync_dir(path.parent().expect("a journal path has a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Moves a journal that does not fit the zone file aside, so nothing in it is lost and it is
/// not replayed again: `ORIGIN.jnl` and its [`flushing_path`], whichever exist, get the suffix
/// `.unapplied-UNIXTIME` (`-N` added when a journal was set aside in the same second: never
/// over another). Returns the new paths. Only the server's manager sets journals aside, one at
/// a time.
pub fn set_aside(path: &Path, now: i64) -> io::Result<Vec<PathBuf>> {
    let mut moved = Vec::new();
    for from in [flushing_path(path), path.to_path_buf()] {
        if !from.exists() {
            continue;
        }
        let to = (0..)
            .map(|n| {
                let mut to = from.as_os_str().to_owned();
                to.push(format!(".unapplied-{now}"));
                if n > 0 {
                    to.push(format!("-{n}"));
                }
                PathBuf::from(to)
            })
            .find(|to| !to.exists())
            .expect("a free name");
        match fs::rename(&from, &to) {
            Ok(()) => moved.push(to),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    store::sync_dir(path.parent().expect("a journal path has a directory"))?;
    Ok(moved)
}

/// The journals of the zone `origin` that [`set_aside`] moved away and nobody has removed yet:
/// acknowledged edits that are in neither the zone file nor what is served.
pub fn set_aside_files(zones_dir: &Path, origin: &Name) -> Vec<PathBuf> {
    let path = path(zones_dir, origin);
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return Vec::new();
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let n = e.file_name();
            let n = n.to_string_lossy();
            n.starts_with(&prefix) && n.contains(".unapplied-")
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::RType;

    fn n(text: &str) -> Name {
        Name::parse(text, None).unwrap()
    }

    #[test]
    fn journals_set_aside_in_the_same_second_keep_apart() {
        let dir = tempfile::tempdir().unwrap();
        let origin = n("apple.example.");
        let path = path(dir.path(), &origin);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut kept = Vec::new();
        for text in ["first", "second"] {
            fs::write(&path, text).unwrap();
            kept.extend(set_aside(&path, 1_795_977_621).unwrap());
        }
        let texts: Vec<String> = kept
            .iter()
            .map(|p| fs::read_to_string(p).unwrap())
            .collect();
        assert_eq!(texts, ["first", "second"], "{kept:?}");
        assert_eq!(set_aside_files(dir.path(), &origin), kept);
    }

    #[test]
    fn transactions_round_trip_and_a_torn_one_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let origin = n("apple.example.");
        let path = path(dir.path(), &origin);
        assert_eq!(read(&path, &origin).unwrap(), []);
        let ops = vec![
            EditOp::Set {
                owner: n("_dmarc.apple.example."),
                rtype: RType::TXT,
                ttl: Some(300),
                rdatas: vec![b"\x0bv=DMARC1; p".to_vec(), b"\x03two".to_vec()],
            },
            EditOp::Add {
                owner: n("x.apple.example."),
                rtype: RType::MX,
                ttl: Some(60),
                rdata: [&[0u8, 10][..], n("mail.apple.example.").as_wire()].concat(),
            },
            EditOp::Del {
                owner: n("old.apple.example."),
                rtype: None,
                rdata: None,
            },
        ];
        let t1 = Txn {
            from: 1,
            to: 2,
            time: 100,
            ops,
        };
        let t2 = Txn {
            from: 2,
            to: 4_000_000_000,
            time: 101,
            ops: Vec::new(),
        };
        append(&path, &origin, &t1).unwrap();
        append(&path, &origin, &t2).unwrap();
        // A write cut short by a crash.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"txn 4000000000 4000000001 102\nadd y.apple.example. A 60 192.0.2.1\n")
            .unwrap();
        assert_eq!(read(&path, &origin).unwrap(), [t1.clone(), t2.clone()]);
        let mode = fs::metadata(&path).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o600
        );
        // A write of the zone file starts: new transactions go to a fresh journal.
        rotate(&path).unwrap();
        assert!(!path.exists() && flushing_path(&path).exists());
        let t3 = Txn {
            from: 4_000_000_000,
            to: 4_000_000_001,
            time: 103,
            ops: Vec::new(),
        };
        append(&path, &origin, &t3).unwrap();
        assert_eq!(
            read_all(&path, &origin).unwrap(),
            [t1.clone(), t2.clone(), t3.clone()]
        );
        // That write failed; the next one takes both.
        rotate(&path).unwrap();
        assert_eq!(read_all(&path, &origin).unwrap(), [t1, t2, t3]);
        clear(&flushing_path(&path)).unwrap();
        assert!(!flushing_path(&path).exists());
        assert_eq!(read_all(&path, &origin).unwrap(), []);
    }

    #[test]
    fn a_bad_line_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let origin = n("apple.example.");
        let path = path(dir.path(), &origin);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "txn 1 2 3\nadd x.apple.example. NOPE 1\nend\n").unwrap();
        let e = read(&path, &origin).unwrap_err();
        assert!(
            e.contains("apple.example.jnl") && e.contains("line 1"),
            "{e}"
        );
    }
}
