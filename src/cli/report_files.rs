//! The report files the `report` verbs read (`dmarc report`, `tlsrpt report`, and the
//! evidence of `dmarc check` and `rollout`): paths walked, each file read once, and every
//! report in it found, of either kind ([`crate::inbox`]).
//!
//! Every file is read on its own: one that is not a report, or cannot be read, keeps its
//! errors ([`FileRead::errors`]) and the others are still read.

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::bail;

use crate::clock;
use crate::container::MAX_UNPACKED;
use crate::dmarc::aggregate;
use crate::dmarc::readiness::ReportFacts;
use crate::inbox::{self, AnyReport};
use crate::tlsrpt;
use crate::zone::civil::format_iso;

/// One file and what was read from it.
pub(super) struct FileRead {
    pub path: PathBuf,
    /// The DMARC aggregate reports found, with the attachments and members they were inside.
    pub dmarc: Vec<(Vec<String>, aggregate::Report)>,
    /// The SMTP TLS reports found, alike.
    pub tls: Vec<(Vec<String>, tlsrpt::Report)>,
    /// Why the file, or a document in it, is not a report.
    pub errors: Vec<String>,
}

/// The files `paths` name, read, for a verb that reads reports: an error if they name no file.
pub(super) fn read_named(paths: &[PathBuf]) -> anyhow::Result<Vec<FileRead>> {
    let read = read_paths(paths)?;
    if read.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "no files to read in {} (names starting with a dot are skipped): save the reports \
             there, or name them",
            names.join(", ")
        );
    }
    Ok(read)
}

/// Names on stderr each file that is not a report (and why), then each problem of the reports
/// `reports` takes from a file (with the attachments and members it was inside).
pub(super) fn print_errors<'a, R: 'a>(
    read: &'a [FileRead],
    reports: impl Fn(&'a FileRead) -> &'a [(Vec<String>, R)],
    problems: impl Fn(&R) -> &[String],
) {
    for f in read {
        for e in &f.errors {
            eprintln!("zonectl: {}: {e}", f.path.display());
        }
        for (inside, r) in reports(f) {
            for p in problems(r) {
                eprintln!("zonectl: {}: {p}", located(&f.path, inside));
            }
        }
    }
}

/// A domain's reports' period, `2026-11-28T00:00:00Z to 2026-11-28T23:59:59Z`, for the headline
/// of a report verb's domain.
pub(super) fn period(begin: Option<i64>, end: Option<i64>) -> String {
    match (begin, end) {
        (Some(b), Some(e)) => format!("{} to {}", format_iso(b), format_iso(e)),
        _ => "period not given".into(),
    }
}

/// ` (3 older left out by --days)`, or nothing when none were.
pub(super) fn older_note(older: usize) -> String {
    match older {
        0 => String::new(),
        n => format!(" ({n} older left out by --days)"),
    }
}

/// The exit status of a `report` verb: 1 when `--domain` named a domain no report is about
/// (`unmatched` says so on stderr), or when a file is not a report.
pub(super) fn exit_status(read: &[FileRead], unmatched: Option<String>) -> ExitCode {
    if let Some(why) = unmatched {
        eprintln!("zonectl: {why}");
        return ExitCode::FAILURE;
    }
    if unreadable(read) > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The readiness evidence in `paths`: what `evidence` finds there about the zone (its summary,
/// and how many files are not reports), with the window and the time it is judged at. A PATH
/// that cannot be read is the facts' `error`: the readiness item is unknown, and the other
/// checks are still shown.
pub(super) fn report_facts<S>(
    paths: &[PathBuf],
    window_days: u32,
    evidence: impl FnOnce(&[PathBuf]) -> anyhow::Result<(Option<S>, usize)>,
) -> ReportFacts<S> {
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    let (summary, unreadable, error) = match evidence(paths) {
        Ok((summary, unreadable)) => (summary, unreadable, None),
        Err(e) => (None, 0, Some(format!("{e:#}"))),
    };
    ReportFacts {
        read_from: names.join(", "),
        summary,
        unreadable,
        error,
        window_days,
        now: clock::unix_now(),
    }
}

/// Every file `paths` name (see [`collect`]), read.
pub(super) fn read_paths(paths: &[PathBuf]) -> anyhow::Result<Vec<FileRead>> {
    Ok(collect(paths)?.into_iter().map(read_file).collect())
}

/// The files that are not reports, or hold something that is not one.
pub(super) fn unreadable(read: &[FileRead]) -> usize {
    read.iter().filter(|f| !f.errors.is_empty()).count()
}

/// The files `paths` name: each file, and each directory's files (recursively, sorted, dot
/// names skipped). Each file and directory is read once, however paths and symlinks lead back
/// to it.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut seen = HashSet::new();
    for path in paths {
        if path.as_os_str() == STDIN {
            if seen.insert(path.clone()) {
                files.push(path.clone());
            }
            continue;
        }
        // A PATH that names nothing is a typo: the run stops. One that names something that
        // cannot be read (a dangling symlink from a glob) is a file that cannot be read.
        if let Err(e) = collect_from(path, &mut files, &mut seen) {
            if fs::symlink_metadata(path).is_err() {
                return Err(e);
            }
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn collect_from(
    path: &Path,
    files: &mut Vec<PathBuf>,
    seen: &mut HashSet<PathBuf>,
) -> anyhow::Result<()> {
    let error = |e: std::io::Error| anyhow::anyhow!("{}: {e}", path.display());
    let meta = fs::metadata(path).map_err(error)?;
    if !seen.insert(fs::canonicalize(path).map_err(error)?) {
        return Ok(());
    }
    if !meta.is_dir() {
        files.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = fs::read_dir(path)
        .map_err(error)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(error)?;
    entries.sort();
    for entry in entries {
        let hidden = entry
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        // Inside a directory, what cannot be walked (a dangling symlink, a directory that
        // cannot be read) is a file that cannot be read: named, and the rest still read.
        if !hidden && collect_from(&entry, files, seen).is_err() {
            files.push(entry);
        }
    }
    Ok(())
}

/// The PATH that stands for standard input: a message piped from a mail client or an MTA.
const STDIN: &str = "-";

fn read_file(path: PathBuf) -> FileRead {
    let mut file = FileRead {
        path,
        dmarc: Vec::new(),
        tls: Vec::new(),
        errors: Vec::new(),
    };
    if file.path.as_os_str() == STDIN {
        let mut bytes = Vec::new();
        let read = std::io::stdin()
            .lock()
            .take(MAX_UNPACKED + 1)
            .read_to_end(&mut bytes);
        match read {
            Err(e) => file.errors.push(format!("cannot read standard input: {e}")),
            Ok(_) if bytes.len() as u64 > MAX_UNPACKED => file.errors.push(too_large()),
            Ok(_) => read_reports(&mut file, &bytes),
        }
        return file;
    }
    let meta = match fs::metadata(&file.path) {
        Ok(m) => m,
        Err(e) => {
            file.errors.push(format!("cannot read: {e}"));
            return file;
        }
    };
    if meta.is_dir() {
        let why = fs::read_dir(&file.path).err().map(|e| e.to_string());
        file.errors.push(format!(
            "a directory that cannot be read: {}",
            why.unwrap_or_else(|| "it changed while being read".into())
        ));
        return file;
    }
    if !meta.is_file() {
        // A FIFO or a device would block the read, or never end.
        file.errors.push("not a regular file: not read".to_owned());
        return file;
    }
    if meta.len() > MAX_UNPACKED {
        file.errors.push(too_large());
        return file;
    }
    match fs::read(&file.path) {
        Ok(bytes) => read_reports(&mut file, &bytes),
        Err(e) => file.errors.push(format!("cannot read: {e}")),
    }
    file
}

fn too_large() -> String {
    let limit = MAX_UNPACKED >> 20;
    format!("larger than {limit} MiB: not read (a report is far smaller)")
}

/// Every report in `bytes`, the file's contents, into `file`.
fn read_reports(file: &mut FileRead, bytes: &[u8]) {
    match inbox::read(bytes) {
        Err(e) => file.errors.push(e.to_string()),
        Ok(found) => {
            for f in found {
                match f.report {
                    Ok(AnyReport::Dmarc(r)) => file.dmarc.push((f.inside, r)),
                    Ok(AnyReport::Tls(r)) => file.tls.push((f.inside, r)),
                    Err(e) if f.inside.is_empty() => file.errors.push(e.to_string()),
                    Err(e) => file.errors.push(format!("{}: {e}", f.inside.join(" > "))),
                }
            }
        }
    }
}

/// `PATH`, or `PATH (a.zip > a.xml)` for a report inside attachments and archives.
fn located(path: &Path, inside: &[String]) -> String {
    if inside.is_empty() {
        path.display().to_string()
    } else {
        format!("{} ({})", path.display(), inside.join(" > "))
    }
}
