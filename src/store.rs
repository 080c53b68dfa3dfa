//! Zone files on disk: reading a zone file (with its `$INCLUDE`s), checking it, and building the
//! servable [`Zone`]. The only module besides the server that touches the zones directory.

use std::hash::{Hash, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::zone::check::{check_entries, Finding, Severity};
use crate::zone::parse::{parse_zone_with_end_ttl, Entries, ParseError, DEFAULT_TTL};
use crate::zone::update::IncludedRecord;
use crate::zone::{Name, Zone};

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
        match std::fs::metadata(path) {
            Ok(m) => Ok(Some(FileStamp::from_metadata(&m))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The stamp of an open file.
    fn of_file(file: &std::fs::File) -> io::Result<FileStamp> {
        Ok(FileStamp::from_metadata(&file.metadata()?))
    }

    fn from_metadata(m: &std::fs::Metadata) -> FileStamp {
        use std::os::unix::fs::MetadataExt;
        FileStamp {
            len: m.len(),
            modified: m.modified().ok(),
            inode: m.ino(),
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
    /// TTL of a new RRset an edit gives none: the `$TTL` in effect at the end of the file, else
    /// 3600 (Knot's default).
    pub default_ttl: u32,
    /// Records of `$INCLUDE`d files, which edits do not change.
    pub included: Vec<IncludedRecord>,
}

/// Why a zone file could not be loaded. Display gives `FILE:LINE: reason` lines.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{}: {error}; check the path and permissions", path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("{}: not valid UTF-8 text; write non-ASCII bytes as \\DDD escapes", path.display())]
    NotUtf8 { path: PathBuf },
    // Transparent: `#[from]` makes the parse error the source too, which `{:#}` would print
    // again after the same text.
    #[error(transparent)]
    Parse(#[from] ParseError),
    #[error("{}", findings.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"))]
    Check { findings: Vec<Finding> },
}

/// Reads, parses and checks the zone file at `path` for the zone `origin`.
pub fn load_zone(path: &Path, origin: &Name) -> Result<LoadedZone, LoadError> {
    load_zone_if_changed(path, origin, None)
        .map(|loaded| loaded.expect("no served hash: always loaded"))
}

/// Like [`load_zone`], reading the file once: `None` if its bytes hash to `served` (the bytes
/// already served: nothing to parse).
pub fn load_zone_if_changed(
    path: &Path,
    origin: &Name,
    served: Option<u64>,
) -> Result<Option<LoadedZone>, LoadError> {
    let stamp = FileStamp::of(path).map_err(|error| LoadError::Read {
        path: path.into(),
        error,
    })?;
    let bytes = std::fs::read(path).map_err(|error| LoadError::Read {
        path: path.into(),
        error,
    })?;
    let content_hash = content_hash(&bytes);
    if served == Some(content_hash) {
        return Ok(None);
    }
    let text = String::from_utf8(bytes).map_err(|_| LoadError::NotUtf8 { path: path.into() })?;
    let parsed = parse(&text, path, origin)?;
    // The text is not needed any more: its memory is for building the zone.
    drop(text);
    zone_from_entries(parsed, path, origin, stamp, content_hash).map(Some)
}

/// Parses and checks the text of the zone file at `path` (its `$INCLUDE`s read from disk).
pub fn zone_from_text(
    text: &str,
    path: &Path,
    origin: &Name,
    stamp: Option<FileStamp>,
    content_hash: u64,
) -> Result<LoadedZone, LoadError> {
    zone_from_entries(
        parse(text, path, origin)?,
        path,
        origin,
        stamp,
        content_hash,
    )
}

/// The records of the zone file at `path` and the `$TTL` in effect at its end.
fn parse(text: &str, path: &Path, origin: &Name) -> Result<(Entries, Option<u32>), ParseError> {
    let mut load_include = |p: &Path| read_include(path, p);
    parse_zone_with_end_ttl(text, path, origin, &mut load_include)
}

/// Reads `included`, a file the zone file `zone_file` names in an `$INCLUDE`.
///
/// Only a regular file: a FIFO would block the reader until someone writes to it, and a device
/// such as `/dev/zero` never ends. A zone file that another user than this process could have
/// written (owned by a lab participant, or writable by its group or by all) may include only
/// files in its own directory or below: the server must not read for that user, and quote in
/// its errors, a file the user could not read (`$INCLUDE /etc/shadow`). What is checked is the
/// file opened, after symbolic links, so a link swapped in meanwhile does not get past.
///
/// # Errors
///
/// The reason, for the parser's "cannot read included file" error.
pub fn read_include(zone_file: &Path, included: &Path) -> io::Result<String> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let refuse = |why: String| Err(io::Error::new(io::ErrorKind::PermissionDenied, why));
    let dir = zone_file.parent().unwrap_or(Path::new("."));
    // SAFETY: geteuid cannot fail.
    let euid = unsafe { libc::geteuid() };
    let zone_meta = std::fs::metadata(zone_file)?;
    let others_could_write = zone_meta.uid() != euid || zone_meta.mode() & 0o022 != 0;
    // Opened without blocking, so that a FIFO is seen for what it is before any read.
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(included)?;
    if others_could_write {
        let opened = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()));
        let inside = match (opened, dir.canonicalize()) {
            (Ok(file), Ok(dir)) => file.starts_with(dir),
            _ => false,
        };
        if !inside {
            return refuse(format!(
                "{} can be written by another user than the server's, and may include only files \
                 under {}",
                zone_file.display(),
                dir.display()
            ));
        }
    }
    if !file.metadata()?.is_file() {
        return refuse("not a regular file".into());
    }
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// Checks the parsed records of the zone file at `path` and builds the zone from them.
fn zone_from_entries(
    (entries, end_ttl): (Entries, Option<u32>),
    path: &Path,
    origin: &Name,
    stamp: Option<FileStamp>,
    content_hash: u64,
) -> Result<LoadedZone, LoadError> {
    // A large zone is checked on a second thread while the servable zone is built from the same
    // entries (the two take about as long); a zone that fails its check is then dropped.
    let (findings, zone) = if entries.len() >= LARGE_ZONE {
        std::thread::scope(|s| {
            let checking = s.spawn(|| check_entries(origin, &entries));
            let zone = Zone::from_records(origin, &entries);
            let findings = checking
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (findings, zone)
        })
    } else {
        (
            check_entries(origin, &entries),
            Zone::from_records(origin, &entries),
        )
    };
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = findings
        .into_iter()
        .partition(|f| f.severity == Severity::Error);
    if !errors.is_empty() {
        return Err(LoadError::Check { findings: errors });
    }
    let included = entries
        .iter()
        // The main file's entries carry `path` itself: bytes compare faster than components.
        .filter(|e| e.file.as_os_str() != path.as_os_str())
        .map(|e| IncludedRecord {
            owner: e.owner.to_lowercase(),
            rtype: e.rtype,
            ttl: e.ttl,
            rdata: e.rdata.into(),
            file: e.file.to_path_buf(),
            line: e.line,
        })
        .collect();
    if entries.len() >= LARGE_ZONE {
        free_in_background(entries);
    }
    Ok(LoadedZone {
        zone,
        warnings,
        stamp,
        content_hash,
        default_ttl: end_ttl.unwrap_or(DEFAULT_TTL),
        included,
    })
}

/// Records from which a zone is large: checked and built on two threads, and freed on a thread
/// of its own ([`free_in_background`]); for smaller zones a thread costs more than it saves.
pub const LARGE_ZONE: usize = 100_000;

/// Frees `value` on a thread of its own: a zone or the parsed entries of millions of records
/// take a second to free. The thread runs at nice 10, so answering queries hardly waits for it,
/// yet a server kept busy by queries still frees each replaced zone within seconds (at idle
/// priority, every zone replaced while the load lasted would stay in memory). For values of
/// [`LARGE_ZONE`] records and more.
pub fn free_in_background<T: Send + 'static>(value: T) {
    std::thread::spawn(move || {
        // SAFETY: setpriority on this thread's own id changes only this thread.
        unsafe {
            libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 10);
        }
        drop(value);
    });
}

/// The hash that tells a real change of a zone file's bytes from a touch.
pub fn content_hash(bytes: &[u8]) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
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

/// Makes a directory's entries durable (a file created, renamed or removed in it).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

/// Replaces the file at `path` with `bytes` so that a crash at any instant leaves either the old
/// file or the new one, never a torn one: writes a new temporary file in the same directory
/// (created with `O_EXCL` under a unique name), fsyncs it, gives it the old file's permission
/// bits (if there was an old file), renames it over `path` and fsyncs the directory. On any
/// error the temporary file is removed and `path` is untouched.
///
/// A symbolic link at `path` is followed: the file it points to is replaced and the link stays.
/// The owner and group are kept when the writer may set them (root, or the owner itself);
/// otherwise the new file belongs to whoever writes it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let (staged, _) = Staged::write(path, bytes)?;
    std::fs::rename(&staged.tmp, &staged.target)?;
    sync_dir(&staged.dir)
}

/// Why [`replace_if_unchanged`] left a file as it was.
#[derive(Debug, thiserror::Error)]
pub enum ReplaceError {
    /// The file is no longer the version the new text was made from: someone changed it.
    #[error("the file changed since it was read")]
    Changed,
    #[error(transparent)]
    Io(#[from] io::Error),
}

/// [`write_atomic`], for a new version made from the file as it was when `expected` was taken:
/// the file is replaced only if it is still that version, so a change someone else saved
/// meanwhile (a hand edit made without the edit lock) is never overwritten.
///
/// The new version is written and synced first; then the file's stamp is compared, the two are
/// swapped in one step (`renameat2` with `RENAME_EXCHANGE`) and the version swapped out is
/// compared again, which closes the gap between the comparison and the rename: a change that
/// landed in it is swapped back into place. On a filesystem without `RENAME_EXCHANGE` the
/// comparison just before a plain rename is all there is.
pub fn replace_if_unchanged(
    path: &Path,
    bytes: &[u8],
    expected: FileStamp,
) -> Result<FileStamp, ReplaceError> {
    replace_checked(path, bytes, expected, || {})
}

/// [`replace_if_unchanged`], calling `before_swap` between the comparison and the swap (where
/// a test puts the change that races it). Returns the stamp of the version written, taken from
/// the file written rather than from the path, which another writer may have taken since.
fn replace_checked(
    path: &Path,
    bytes: &[u8],
    expected: FileStamp,
    before_swap: impl FnOnce(),
) -> Result<FileStamp, ReplaceError> {
    let (mut staged, written) = Staged::write(path, bytes)?;
    if FileStamp::of(&staged.target)? != Some(expected) {
        return Err(ReplaceError::Changed);
    }
    before_swap();
    match exchange(&staged.tmp, &staged.target) {
        // The version swapped out, now at the temporary name, is the one read: it goes before
        // the directory is synced, so no copy of it is left.
        Ok(()) if matches!(FileStamp::of(&staged.tmp), Ok(Some(s)) if s == expected) => {
            let _ = std::fs::remove_file(&staged.tmp);
        }
        // Another version (or one that cannot be looked at): back into place.
        Ok(()) => {
            if let Err(e) = exchange(&staged.tmp, &staged.target) {
                // Theirs stays at the temporary name, not deleted: say where.
                staged.keep = true;
                return Err(ReplaceError::Io(io::Error::other(format!(
                    "the file changed while it was replaced, and putting the changed version \
                     back failed ({e}): it is at {}",
                    staged.tmp.display()
                ))));
            }
            return Err(ReplaceError::Changed);
        }
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) => {
            std::fs::rename(&staged.tmp, &staged.target)?;
        }
        Err(e) => return Err(e.into()),
    }
    sync_dir(&staged.dir)?;
    Ok(written)
}

/// Swaps the files at `a` and `b` atomically (both must exist, on one filesystem).
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        std::ffi::CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL byte in a path"))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two NUL-terminated paths that outlive the call.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A new version of a file, written and synced under a temporary name beside it, not yet in
/// its place. Dropping it removes whatever is left at the temporary name: nothing once it was
/// renamed into place, the old version once the two were swapped.
struct Staged {
    tmp: PathBuf,
    /// The file to replace (a symbolic link resolved).
    target: PathBuf,
    dir: PathBuf,
    /// Leave what is at the temporary name (someone else's version that could not be put back).
    keep: bool,
}

impl Staged {
    /// Writes and syncs the new version of `path`; with its stamp, from the file written.
    fn write(path: &Path, bytes: &[u8]) -> io::Result<(Staged, FileStamp)> {
        use std::io::Write;
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        use std::sync::atomic::{AtomicU64, Ordering};

        /// Tells apart the temporary files of concurrent writers in one process.
        static COUNTER: AtomicU64 = AtomicU64::new(0);

        let target = match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::canonicalize(path)?,
            _ => path.to_path_buf(),
        };
        let old = match std::fs::metadata(&target) {
            Ok(m) => {
                use std::os::unix::fs::MetadataExt;
                Some((m.permissions().mode() & 0o7777, m.uid(), m.gid()))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = target
            .file_name()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name in path"))?
            .to_string_lossy()
            .into_owned();

        // Unique name: pid + per-process counter + clock; O_EXCL refuses any leftover, so retry.
        let mut attempt = 0;
        let (tmp, mut file) = loop {
            let nanos = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos());
            let tmp = dir.join(format!(
                ".{file_name}.tmp.{}.{}.{nanos}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o666)
                .open(&tmp)
            {
                Ok(file) => break (tmp, file),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(e),
            }
        };
        let staged = Staged {
            tmp,
            target,
            dir,
            keep: false,
        };
        if let Some((mode, uid, gid)) = old {
            // Keep the owner (a lab participant's file written by the server): possible for
            // root, and a no-op for a writer that owns the file already. Otherwise the new file
            // is the writer's.
            let _ = std::os::unix::fs::fchown(&file, Some(uid), Some(gid));
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        let stamp = FileStamp::of_file(&file)?;
        Ok((staged, stamp))
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// An exclusive lock on one zone's edits, held until dropped. Every `zonectl` edit of a zone
/// takes it around read → edit → write → reload → verify, so two edits never both start from
/// the same old text and one of them lost.
///
/// It is a `flock` on `DIR/.ORIGIN.lock` (origin lower-cased, without the final dot), never on
/// the zone file itself: an edit replaces the zone file by rename, and a lock on the old inode
/// would not exclude a process that opens the new one. The kernel drops the lock when its holder
/// closes the file or dies, so a killed `zonectl` leaves no stale lock. The lock file is left in
/// place (deleting it would let a waiter lock a file that no longer has a name), and its name
/// starts with a dot, so it is never taken for a zone file.
#[derive(Debug)]
pub struct ZoneLock {
    /// Closing the descriptor (on drop) releases the lock.
    _file: std::fs::File,
    pub path: PathBuf,
}

/// The path of the lock file for `origin`'s edits in `dir`.
pub fn zone_lock_path(dir: &Path, origin: &Name) -> PathBuf {
    let text = origin.to_lowercase().to_string();
    dir.join(format!(".{}.lock", text.trim_end_matches('.')))
}

/// The file in a zones directory whose `flock` a running server holds, so that two servers
/// never serve one directory.
pub const SERVER_LOCK: &str = ".zonectl.lock";

/// Whether a running server serves the zones directory `dir` (holds its [`SERVER_LOCK`]). Tested
/// by taking a shared lock for an instant, which only a server's exclusive lock refuses.
pub fn served_by_a_server(dir: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(dir.join(SERVER_LOCK)) else {
        return false;
    };
    // SAFETY: flock on a file descriptor we own; closing it (on drop) releases the lock.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    rc != 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}

/// Takes the exclusive edit lock of `origin` in `dir` (see [`ZoneLock`]), waiting as long as
/// another process holds it; `on_wait` is called once, before waiting, if it is held.
pub fn lock_zone(dir: &Path, origin: &Name, on_wait: impl FnOnce(&Path)) -> io::Result<ZoneLock> {
    use std::os::fd::AsRawFd;
    let path = zone_lock_path(dir, origin);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)?;
    let fd = file.as_raw_fd();
    // SAFETY: flock on a file descriptor we own and keep open; no memory is involved.
    if unsafe { libc::flock(fd, libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::WouldBlock {
            return Err(err);
        }
        on_wait(&path);
        loop {
            // SAFETY: as above. Blocks until the holder releases the lock.
            if unsafe { libc::flock(fd, libc::LOCK_EX) } == 0 {
                break;
            }
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
        }
    }
    Ok(ZoneLock { _file: file, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zone of `hosts` names with one A record each, and `extra` lines.
    fn large_zone(hosts: usize, extra: &str) -> String {
        let mut text = String::from(
            "$ORIGIN big.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n\
             @ NS ns\nns A 192.0.2.53\n",
        );
        for i in 0..hosts {
            text.push_str(&format!("h{i} A 192.0.2.{}\n", i % 250));
        }
        text + extra
    }

    #[test]
    fn a_large_zone_checked_while_it_is_built_is_served_whole_or_refused() {
        let origin = Name::parse("big.example.", None).unwrap();
        let path = Path::new("big.example.zone");
        let hosts = LARGE_ZONE;
        let loaded = zone_from_text(&large_zone(hosts, ""), path, &origin, None, 0).unwrap();
        assert_eq!(loaded.zone.record_count(), hosts + 3);
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let last = Name::parse(&format!("h{}.big.example.", hosts - 1), None).unwrap();
        assert!(loaded.zone.node(last.as_wire()).is_some());

        // An error found by the check, running beside the build, refuses the whole zone.
        let bad = large_zone(hosts, "h7 CNAME elsewhere.example.\n");
        match zone_from_text(&bad, path, &origin, None, 0) {
            Err(LoadError::Check { findings }) => {
                assert_eq!(findings.len(), 1, "{findings:?}");
                assert_eq!(findings[0].line, Some(hosts + 6), "{}", findings[0]);
            }
            other => panic!(
                "want a check error, got {:?}",
                other.map(|z| z.zone.record_count())
            ),
        }
    }

    #[test]
    fn origin_comes_from_file_name() {
        let n = origin_from_file_name(Path::new("zones/apple.example.zone")).unwrap();
        assert_eq!(n.to_string(), "apple.example.");
        assert!(origin_from_file_name(Path::new("zones/.zone")).is_none());
        assert!(origin_from_file_name(Path::new("zones/apple.example.zone.swp")).is_none());
    }

    #[test]
    fn zone_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let origin = Name::parse("Apple.Example.", None).unwrap();
        let first = lock_zone(dir.path(), &origin, |_| panic!("nobody holds it yet")).unwrap();
        assert_eq!(first.path, dir.path().join(".apple.example.lock"));
        // flock locks belong to the open file description, so a second open in this process
        // is excluded like another process would be.
        let (tx, rx) = std::sync::mpsc::channel();
        let dir_path = dir.path().to_path_buf();
        let waiter = std::thread::spawn(move || {
            let mut waited = false;
            let lock = lock_zone(&dir_path, &origin, |_| waited = true).unwrap();
            tx.send(()).unwrap();
            drop(lock);
            waited
        });
        assert!(rx
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_err());
        drop(first);
        rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap();
        assert!(waiter.join().unwrap(), "the waiter was told it waits");
        // Not a zone file.
        assert!(zone_files(dir.path()).unwrap().is_empty());
    }

    #[test]
    fn write_atomic_replaces_keeps_mode_and_leaves_no_temp_files() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apple.example.zone");

        // A new file.
        write_atomic(&path, b"one\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"one\n");

        // Replacing keeps the mode.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);

        // Through a symlink: the target is replaced, the link stays.
        let link = dir.path().join("link.zone");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        write_atomic(&link, b"three\n").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&path).unwrap(), b"three\n");

        // A failure (the target is a directory) leaves no temporary file behind.
        let sub = dir.path().join("sub.zone");
        std::fs::create_dir(&sub).unwrap();
        assert!(write_atomic(&sub, b"x").is_err());

        assert_eq!(
            names_in(dir.path()),
            ["apple.example.zone", "link.zone", "sub.zone"]
        );
    }

    /// The names in `dir`, sorted (temporary files included).
    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn replace_if_unchanged_never_overwrites_a_change_made_since_the_read() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("apple.example.zone");
        let stamp = |p: &Path| FileStamp::of(p).unwrap().unwrap();
        // A hand edit saved the way editors do: a new file renamed over the old one.
        let hand_edit = |text: &str| {
            let tmp = dir.path().join("apple.example.zone~");
            std::fs::write(&tmp, text).unwrap();
            std::fs::rename(&tmp, &path).unwrap();
        };

        // Unchanged since it was read: replaced, mode kept, nothing left beside it.
        std::fs::write(&path, "one\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let written = replace_if_unchanged(&path, b"two\n", stamp(&path)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(written, stamp(&path), "the stamp of the version written");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o640);
        assert_eq!(names_in(dir.path()), ["apple.example.zone"]);

        // Changed before the write: refused, the change kept.
        let read = stamp(&path);
        hand_edit("by hand\n");
        assert!(matches!(
            replace_if_unchanged(&path, b"three\n", read),
            Err(ReplaceError::Changed)
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "by hand\n");

        // Changed in place (same inode), too.
        let read = stamp(&path);
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(&path, "in place, longer\n").unwrap();
        assert!(matches!(
            replace_if_unchanged(&path, b"three\n", read),
            Err(ReplaceError::Changed)
        ));
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "in place, longer\n"
        );

        // Changed after the comparison, just before the swap: swapped back into place.
        let read = stamp(&path);
        let raced = replace_checked(&path, b"three\n", read, || hand_edit("raced\n"));
        assert!(matches!(raced, Err(ReplaceError::Changed)), "{raced:?}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "raced\n");
        assert_eq!(names_in(dir.path()), ["apple.example.zone"]);
    }

    /// Writes `lab.example.zone` in `dir`, with `include` as its `$INCLUDE`.
    fn zone_with_include(dir: &Path, include: &Path) -> PathBuf {
        let file = dir.join("lab.example.zone");
        let text = format!(
            "$ORIGIN lab.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 300\n\
             @ NS ns\nns A 192.0.2.53\n$INCLUDE {}\n",
            include.display()
        );
        std::fs::write(&file, text).unwrap();
        file
    }

    /// Loads the zone file `file` in a thread: the result, or a panic after 10 s.
    fn load_in_time(file: PathBuf) -> Result<LoadedZone, LoadError> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let origin = Name::parse("lab.example.", None).unwrap();
            let _ = tx.send(load_zone(&file, &origin));
        });
        rx.recv_timeout(std::time::Duration::from_secs(10))
            .expect("loading the zone hung")
    }

    fn refusal(loaded: Result<LoadedZone, LoadError>) -> String {
        match loaded {
            Ok(_) => panic!("the zone loaded"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn only_regular_files_are_included() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.inc");
        let c_path = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid C string.
        assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
        // A FIFO nobody writes to would block the reader for ever; a device never ends.
        for special in [fifo.as_path(), Path::new("/dev/zero")] {
            let err = refusal(load_in_time(zone_with_include(dir.path(), special)));
            assert!(err.contains("not a regular file"), "{err}");
            assert!(err.contains(&special.display().to_string()), "{err}");
        }
        let inc = dir.path().join("hosts.inc");
        std::fs::write(&inc, "www A 192.0.2.80\n").unwrap();
        let zone = load_in_time(zone_with_include(dir.path(), &inc)).expect("a regular file");
        assert_eq!(zone.included.len(), 1);
    }

    #[test]
    fn a_zone_file_of_another_user_includes_only_files_in_its_directory() {
        let zones = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let secret = elsewhere.path().join("secret");
        std::fs::write(&secret, "root:x:0:0:secret-hash\n").unwrap();
        let inc = zones.path().join("hosts.inc");
        std::fs::write(&inc, "www A 192.0.2.80\n").unwrap();
        let link = zones.path().join("link.inc");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        // The operator's own zone file may include from anywhere (BIND's key files, say).
        let err = refusal(load_in_time(zone_with_include(zones.path(), &secret)));
        assert!(err.contains("secret-hash"), "{err}");
        // The server's own file, writable by its group or by all: as another user's.
        use std::os::unix::fs::PermissionsExt;
        let shared = tempfile::tempdir().unwrap();
        for mode in [0o664, 0o666, 0o644] {
            let file = zone_with_include(shared.path(), &secret);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let err = refusal(load_in_time(file));
            assert_eq!(
                err.contains("secret-hash"),
                mode == 0o644,
                "mode {mode:o}: {err}"
            );
        }
        for (include, allowed) in [(&secret, false), (&link, false), (&inc, true)] {
            // A participant's zone file: given to nobody (65534), which only root can do.
            let file = zone_with_include(zones.path(), include);
            let c_path = std::ffi::CString::new(file.as_os_str().as_encoded_bytes()).unwrap();
            // SAFETY: a valid C string.
            if unsafe { libc::chown(c_path.as_ptr(), 65534, 65534) } != 0 {
                eprintln!("not root: a zone file of another user is not tested");
                return;
            }
            let loaded = load_in_time(file);
            if allowed {
                assert!(loaded.is_ok(), "{}: {:?}", include.display(), loaded.err());
            } else {
                let err = refusal(loaded);
                assert!(err.contains("can be written by another user"), "{err}");
                assert!(!err.contains("secret-hash"), "{err}");
            }
        }
    }
}
