//! In-place edits of a zone file's text: add, replace and delete records and set the SOA
//! serial so that the file stays the operator's.
//!
//! What an edit keeps and changes (each rule has a test below that diffs the texts):
//! - Comments, blank lines, directives, record order and the bytes of every untouched line stay
//!   as they were. The serial is changed in place: only the serial token's digits change, even in
//!   an SOA spread over several commented lines.
//! - A deleted record loses exactly its lines. A surviving record that leaned on a deleted or
//!   moved neighbour is *pinned*: a line that starts with whitespace (owner inherited) gets its
//!   owner written in the owner column, and a record without a TTL that took the previous
//!   record's TTL (no `$TTL` in effect) gets its TTL written before its class or type.
//! - A new record goes right after the last record of its RRset, else after its owner's last
//!   record, else at the end of the file. `set` rewrites only the records that change (all of
//!   them if the TTL does), the new ones where the first of those was; a record replaced by
//!   one record keeps the comments written on its lines, after the new one. A new record is
//!   written in the file's style: owner relative to the `$ORIGIN` in effect if most
//!   owners in the file are relative, left blank if it repeats the previous record's owner and
//!   the file writes repeated owners that way, class `IN` if most records state it, a TTL only
//!   when it differs from the one the line would get without it, and columns aligned with the
//!   nearest record line. RDATA is printed canonically (names absolute; TXT strings longer than
//!   255 bytes split into 255-byte strings).
//! - The result is read back with [`parse_zone`]: its records must be exactly the old ones with
//!   the intended changes (a guard against bugs here), and it must pass [`check_entries`].
//!   Otherwise the edit fails and the caller writes nothing.
//! - Records of `$INCLUDE`d files are never edited here ([`EditError::InIncludedFile`]).
//!
//! [`parse_batch`] and [`op_from_args`] turn `zonectl apply` files and `zonectl record` words
//! into [`EditOp`]s.
//!
//! Pure: no filesystem, no clock. The caller passes the text, a loader for `$INCLUDE`d files and
//! the serial policy (as a function of the old serial). Imports only `std`, `thiserror` and the
//! other `zone` modules.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::check::{check_entries, Finding};
use super::name::{self, Name};
use super::parse::{
    self, parse_zone, Entries, Entry, FileLayout, ParseError, RecordLayout, Token, DEFAULT_TTL,
};
use super::rdata::{rdata_from_text, rdata_to_text, txt_from_value, RType};
use super::serial::serial_gt;
use super::update::RecRef;
use super::Soa;

/// One change to a zone's records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EditOp {
    /// Add one record to an RRset (no-op if an identical record exists). `ttl` `None`: the
    /// RRset's existing TTL, else the TTL the new line gets from the file (`$TTL` or the previous
    /// record), else 3600. A `ttl` that differs from the existing RRset's is refused
    /// ([`EditError::TtlMismatch`]): use `Set` to change an RRset's TTL.
    Add {
        owner: Name,
        rtype: RType,
        ttl: Option<u32>,
        rdata: Vec<u8>,
    },
    /// Replace the whole RRset `owner`/`rtype` with these records (`ttl` `None`: keep the old
    /// RRset's TTL, else as for `Add`). A no-op if the RRset already is exactly this.
    /// Replacing the SOA with the zone's current serial keeps the serial policy: the new SOA
    /// gets the bumped serial. Another serial is the one asked for ([`serial_asked`], decided by
    /// `update::update`; [`apply_edits`] writes the serial it is given).
    Set {
        owner: Name,
        rtype: RType,
        ttl: Option<u32>,
        rdatas: Vec<Vec<u8>>,
    },
    /// Delete records: all types at `owner` (`rtype` `None`), one RRset (`rdata` `None`), or
    /// one record. Deleting nothing is an error ([`EditError::NotFound`]).
    Del {
        owner: Name,
        rtype: Option<RType>,
        rdata: Option<Vec<u8>>,
    },
}

/// One changed record: `old` → `new` as presentation lines `name TTL TYPE rdata` with the
/// absolute owner. An added record has no `old`, a deleted one no `new`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub old: Option<String>,
    pub new: Option<String>,
}

/// The result of [`apply_edits`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    /// The new text of the zone file (the old text, unchanged, for a no-op).
    pub text: String,
    /// The records changed (the SOA serial is not listed: see the serials), empty for a no-op.
    pub changes: Vec<Change>,
    pub old_serial: u32,
    /// Equal to `old_serial` for a no-op.
    pub new_serial: u32,
    /// Warnings of the checks on the new zone (it is written anyway).
    pub warnings: Vec<Finding>,
}

/// Why an edit was refused. Nothing was changed; each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The zone file does not parse as it is.
    #[error("the zone file does not parse, so it cannot be edited; fix it first: {0}")]
    Parse(ParseError),
    /// The zone has no SOA at its apex, so there is no serial to bump.
    #[error(
        "the zone has no SOA record at its apex {origin}; add one first \
         (`@ SOA mname rname serial refresh retry expire minimum`)"
    )]
    NoSoa { origin: Name },
    /// A `del` matched nothing.
    #[error("nothing to delete: the zone has no {what}; `zonectl record show` lists what it has")]
    NotFound { what: String },
    /// The record to change lives in a file included with `$INCLUDE`.
    #[error(
        "{record} is in {}:{line}, a file included with $INCLUDE, which zonectl does not edit; \
         edit that file instead",
        .file.display()
    )]
    InIncludedFile {
        file: PathBuf,
        line: usize,
        record: String,
    },
    /// The zone would fail its checks after the edit.
    #[error(
        "the zone would fail its checks after this edit, so nothing was changed:\n{}",
        .findings.iter().map(|f| format!("  {f}")).collect::<Vec<_>>().join("\n")
    )]
    Invalid { findings: Vec<Finding> },
    /// `add` with a TTL other than its RRset's.
    #[error(
        "TTL {ttl} differs from TTL {rrset_ttl} of the existing {owner} {rtype} records, and \
         the records of an RRset share one TTL: leave the TTL out, or use `set` to replace the \
         RRset with the new TTL"
    )]
    TtlMismatch {
        owner: Name,
        rtype: RType,
        ttl: u32,
        rrset_ttl: u32,
    },
    /// Records of an included file inherit their TTL from the record before the `$INCLUDE`, and
    /// the edit would change that record.
    #[error(
        "the records of {} take their TTL from the record before its $INCLUDE (no $TTL is in \
         effect there), and this edit would change them (line {line} there); add a $TTL line \
         before the $INCLUDE, or write the TTLs in that file",
        .file.display()
    )]
    IncludeTtlChanged { file: PathBuf, line: usize },
    /// The SOA's serial is not written as a plain number that can be replaced in place.
    #[error("the SOA serial at {}:{line} cannot be changed in place: {reason}", .file.display())]
    SerialNotEditable {
        file: PathBuf,
        line: usize,
        reason: String,
    },
    /// An SOA written by the edit asks for a serial that is not greater than the current one.
    #[error(
        "the SOA given has serial {asked}, which is not greater than the current serial {old} \
         under RFC 1982, so secondaries would not pick up the change: give the current serial \
         {old} to have zonectl raise it, or a greater one"
    )]
    SoaSerialNotGreater { old: u32, asked: u32 },
    /// The serial policy gave a serial that is not greater than the current one.
    #[error(
        "the new serial {new} is not greater than the current serial {old} under RFC 1982, so \
         secondaries would not pick up the change; check the zone's serial policy"
    )]
    SerialNotGreater { old: u32, new: u32 },
    /// The records a read-modify-write command read changed before its edit arrived
    /// ([`super::update::Expected`]).
    #[error(
        "{owner} {rtype} {CHANGED_MEANWHILE} (another edit was made meanwhile), so this edit, \
         made from what was read, was not applied; run the command again"
    )]
    Changed { owner: Name, rtype: RType },
    /// Command-line words or a batch line are not a valid edit.
    #[error("{0}")]
    BadArgs(String),
    /// A line of a batch (`zonectl apply`) is not a valid edit.
    #[error("line {line}: {error}")]
    Batch { line: usize, error: Box<EditError> },
    /// The edited text did not read back as intended: a bug in this module.
    #[error(
        "internal error: the edited zone text does not read back as intended ({detail}); nothing \
         was changed; please report this together with the zone file"
    )]
    Internal { detail: String },
}

/// The words of [`EditError::Changed`], by which a client of the control socket tells that
/// refusal from others, to read again and retry.
pub const CHANGED_MEANWHILE: &str = "changed since it was read";

/// Reads the text of an `$INCLUDE`d file (as [`parse_zone`] takes it).
pub type IncludeLoader<'a> = &'a mut dyn FnMut(&Path) -> io::Result<String>;

/// Applies `ops` in order, all or nothing, then sets the SOA serial (in place) to
/// `new_serial(old_serial)`, which must be greater under RFC 1982, whatever serial an SOA in the
/// ops holds: the serial an edit asks for is decided before, by `update::update`
/// ([`next_serial`]), and the ops written into a file may be several edits' (the server writes
/// the edits made since its last write at once, with the serial it serves). If no op changed
/// anything, returns the text unchanged with no changes and `new_serial == old_serial`
/// (`new_serial` is not called), so a no-op writes nothing.
///
/// `file` is the main file's path (records whose [`Entry::file`] differs are in `$INCLUDE`d
/// files); `load_include` reads included files, for the checks. See the module docs for the
/// rules.
pub fn apply_edits(
    text: &str,
    file: &Path,
    origin: &Name,
    ops: &[EditOp],
    new_serial: impl FnOnce(u32) -> u32,
    load_include: IncludeLoader<'_>,
) -> Result<EditOutcome, EditError> {
    let mut doc = Doc::load(text, file, origin, load_include)?;
    for op in ops {
        doc.apply(op)?;
    }
    let changes = doc.changes();
    // An SOA given with another serial changes the file even if nothing else in it differs
    // (the change list leaves serials out): it is written, with the serial given here.
    if changes.is_empty() && serial_asked(ops, origin, doc.old_serial).is_none() {
        return Ok(EditOutcome {
            text: text.to_owned(),
            changes,
            old_serial: doc.old_serial,
            new_serial: doc.old_serial,
            warnings: Vec::new(),
        });
    }
    let old_serial = doc.old_serial;
    let serial = new_serial(old_serial);
    if !serial_gt(serial, old_serial) {
        return Err(EditError::SerialNotGreater {
            old: old_serial,
            new: serial,
        });
    }
    let done = doc.finish(serial, load_include)?;
    Ok(EditOutcome {
        text: done.text,
        changes: done.changes,
        old_serial,
        new_serial: serial,
        warnings: done.warnings,
    })
}

/// The serial an edit asks for: that of the last SOA at the apex `origin` the ops write, when
/// it differs from the zone's serial `old` (an SOA given with the current serial asks for none:
/// the serial policy raises it). An edit asking for one changes the zone even if nothing else
/// in the SOA differs, and is refused if it is not greater ([`next_serial`]).
pub fn serial_asked(ops: &[EditOp], origin: &Name, old: u32) -> Option<u32> {
    let soa = |owner: &Name, rtype: RType| rtype == RType::SOA && owner.eq_ignore_case(origin);
    ops.iter()
        .filter_map(|op| match op {
            EditOp::Add {
                owner,
                rtype,
                rdata,
                ..
            } if soa(owner, *rtype) => Some(rdata.as_slice()),
            EditOp::Set {
                owner,
                rtype,
                rdatas,
                ..
            } if soa(owner, *rtype) => rdatas.last().map(Vec::as_slice),
            _ => None,
        })
        .next_back()
        .and_then(Soa::from_rdata)
        .map(|soa| soa.serial)
        .filter(|&serial| serial != old)
}

/// The serial of an edit that changes something: the one asked for by an SOA it writes
/// ([`serial_asked`]), else `new_serial(old)`; either must be greater than `old` (RFC 1982).
pub fn next_serial(
    ops: &[EditOp],
    origin: &Name,
    old: u32,
    new_serial: impl FnOnce(u32) -> u32,
) -> Result<u32, EditError> {
    match serial_asked(ops, origin, old) {
        Some(asked) if serial_gt(asked, old) => Ok(asked),
        Some(asked) => Err(EditError::SoaSerialNotGreater { old, asked }),
        None => {
            let serial = new_serial(old);
            if serial_gt(serial, old) {
                Ok(serial)
            } else {
                Err(EditError::SerialNotGreater { old, new: serial })
            }
        }
    }
}

/// Sets the SOA serial to `serial`, rewriting only the serial token (`serial bump` and
/// `serial set`; the caller decides whether the value is acceptable). The result is read back
/// and checked like an edit.
pub fn set_serial(
    text: &str,
    file: &Path,
    origin: &Name,
    serial: u32,
    load_include: IncludeLoader<'_>,
) -> Result<String, EditError> {
    let doc = Doc::load(text, file, origin, load_include)?;
    if serial == doc.old_serial {
        return Ok(text.to_owned());
    }
    doc.finish(serial, load_include).map(|done| done.text)
}

// ---------------------------------------------------------------------------------------------
// The zone being edited

/// A record the edit adds: the file's own records are read in place from its parsed
/// [`Entries`].
#[derive(Debug)]
struct Rec {
    owner: Name,
    ttl: u32,
    rtype: RType,
    rdata: Vec<u8>,
    /// The comments of the record this one replaced (`; …`), written after it.
    comment: Option<String>,
}

impl Rec {
    fn view(&self) -> RecRef<'_> {
        RecRef {
            owner: &self.owner,
            ttl: self.ttl,
            rtype: self.rtype,
            rdata: &self.rdata,
        }
    }
}

/// What identifies a record for the change list: owner (in any case), type, RDATA without an
/// SOA's serial (a serial bump alone is not a change) and TTL.
fn change_key(r: &RecRef<'_>) -> (Name, RType, Vec<u8>, u32) {
    (
        r.owner.to_lowercase(),
        r.rtype,
        r.rdata_without_serial(),
        r.ttl,
    )
}

/// Where the records of `recs` are, by `key`: each list holds the positions last first, so
/// that `pop` takes the first one left. Pairing the change list by lookup keeps it linear in the
/// number of records an edit removes and adds.
fn first_first<'r, K: Hash + Eq>(
    recs: &[Option<RecRef<'r>>],
    key: impl Fn(&RecRef<'r>) -> K,
) -> HashMap<K, Vec<usize>> {
    let mut at: HashMap<K, Vec<usize>> = HashMap::new();
    for (i, r) in recs.iter().enumerate().rev() {
        if let Some(r) = r {
            at.entry(key(r)).or_default().push(i);
        }
    }
    at
}

/// A position in the main file, in file order: its records, the end of its text, and new
/// records placed between them.
#[derive(Debug)]
enum Slot {
    /// The `k`th record of the main file (deleted when not `live`; new records placed after a
    /// deleted one are written where it was).
    Orig { k: usize, live: bool },
    /// The end of the original text: records placed after it are appended to the file.
    Eof,
    /// A record added by the edit (boxed: a large file is millions of `Orig` slots).
    New { rec: Box<Rec>, live: bool },
}

/// Where a record is: a slot of the main file or an included file's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Loc {
    Slot(usize),
    Included(usize),
}

/// How the file writes its records.
#[derive(Debug)]
struct Style {
    /// Owner names relative to the origin (most owners written without a trailing dot).
    relative: bool,
    /// Class `IN` written (by most records).
    class_in: bool,
    /// A repeated owner left blank (by most records that repeat their predecessor's owner).
    blank_owners: bool,
    /// Line ending (`\r\n` if the file uses it).
    eol: &'static str,
}

/// The zone file being edited.
struct Doc<'a> {
    text: &'a str,
    file: &'a Path,
    origin: &'a Name,
    layout: FileLayout,
    /// The records parsed, included ones too.
    entries: Entries,
    /// The main file's records, as indices into `entries`, parallel to `layout.records`.
    main: Vec<u32>,
    /// The records of `$INCLUDE`d files, as indices into `entries`.
    included: Vec<u32>,
    /// The main file in order, as edited so far.
    seq: Vec<Slot>,
    style: Style,
    /// Serial of the apex SOA before the edit.
    old_serial: u32,
}

/// What [`Doc::finish`] made: the new text, the checks' warnings on it, and the changes.
struct Finished {
    text: String,
    warnings: Vec<Finding>,
    changes: Vec<Change>,
}

impl<'a> Doc<'a> {
    fn load(
        text: &'a str,
        file: &'a Path,
        origin: &'a Name,
        load_include: IncludeLoader<'_>,
    ) -> Result<Doc<'a>, EditError> {
        let entries = parse_zone(text, file, origin, load_include).map_err(EditError::Parse)?;
        let old_serial = entries
            .iter()
            .find(|e| e.rtype == RType::SOA && e.owner.eq_ignore_case(origin))
            .and_then(|e| Soa::from_rdata(e.rdata))
            .map(|soa| soa.serial)
            .ok_or_else(|| EditError::NoSoa {
                origin: origin.clone(),
            })?;
        // Indices fit: the parser refuses a file of 2^32 records or more.
        let mut main = Vec::with_capacity(entries.len());
        let mut included = Vec::new();
        for (i, e) in entries.iter().enumerate() {
            // A file cannot include itself without looping, which the parser refuses, so the
            // path tells the main file's records from included ones.
            if *e.file == *file {
                main.push(i as u32);
            } else {
                included.push(i as u32);
            }
        }
        let layout = parse::record_layouts(text, file, origin).map_err(EditError::Parse)?;
        if main.len() != layout.records.len() {
            return Err(EditError::Internal {
                detail: format!(
                    "{} records parsed, {} laid out",
                    main.len(),
                    layout.records.len()
                ),
            });
        }
        if let Some((line, _)) = main
            .iter()
            .map(|&i| entries.get(i as usize).line)
            .zip(&layout.records)
            .find(|(line, lay)| lay.line != *line)
        {
            return Err(EditError::Internal {
                detail: format!("no layout for the record at line {line}"),
            });
        }
        let style = Style::of(text, &layout, |k| entries.get(main[k] as usize).owner);
        let mut seq: Vec<Slot> = (0..main.len())
            .map(|k| Slot::Orig { k, live: true })
            .collect();
        seq.push(Slot::Eof);
        Ok(Doc {
            text,
            file,
            origin,
            layout,
            entries,
            main,
            included,
            seq,
            style,
            old_serial,
        })
    }

    /// The main file's `k`th record, as written.
    fn orig(&self, k: usize) -> RecRef<'_> {
        self.entries.get(self.main[k] as usize).into()
    }

    /// The `i`th record of the included files, with where it is written.
    fn included(&self, i: usize) -> Entry<'_> {
        self.entries.get(self.included[i] as usize)
    }

    /// The included files' records in order, with where each is written.
    fn included_all(&self) -> impl Iterator<Item = Entry<'_>> {
        self.included.iter().map(|&j| self.entries.get(j as usize))
    }

    /// The live record in slot `i`, if any.
    fn slot_rec(&self, i: usize) -> Option<RecRef<'_>> {
        match &self.seq[i] {
            Slot::Orig { k, live: true } => Some(self.orig(*k)),
            Slot::New { rec, live: true } => Some(rec.view()),
            _ => None,
        }
    }

    fn rec(&self, loc: Loc) -> RecRef<'_> {
        match loc {
            // `Loc::Slot` is only made for live slots.
            Loc::Slot(i) => self.slot_rec(i).expect("Loc::Slot points at a live slot"),
            Loc::Included(i) => self.included(i).into(),
        }
    }

    /// Every live record matching `pred`: the main file's in file order, then included ones.
    fn find(&self, pred: impl Fn(RecRef<'_>) -> bool) -> Vec<Loc> {
        let main = (0..self.seq.len())
            .filter(|&i| self.slot_rec(i).is_some_and(&pred))
            .map(Loc::Slot);
        let included = self
            .included_all()
            .enumerate()
            .filter(|(_, e)| pred(RecRef::from(*e)))
            .map(|(i, _)| Loc::Included(i));
        main.chain(included).collect()
    }

    /// Refuses to touch records of included files.
    fn refuse_included(&self, locs: &[Loc]) -> Result<(), EditError> {
        match locs.iter().find_map(|l| match l {
            Loc::Included(i) => Some(self.included(*i)),
            Loc::Slot(_) => None,
        }) {
            Some(inc) => Err(EditError::InIncludedFile {
                file: inc.file.to_path_buf(),
                line: inc.line,
                record: RecRef::from(inc).presentation(),
            }),
            None => Ok(()),
        }
    }

    /// The comments written on a record's lines, joined on one line; `None` if it has none.
    fn comment_of(&self, loc: Loc) -> Option<String> {
        match loc {
            Loc::Slot(i) => match &self.seq[i] {
                Slot::Orig { k, .. } => {
                    let found = comments(self.text, &self.layout.records[*k]);
                    (!found.is_empty()).then(|| found.join(" "))
                }
                Slot::New { rec, .. } => rec.comment.clone(),
                Slot::Eof => None,
            },
            Loc::Included(_) => None,
        }
    }

    fn kill(&mut self, loc: Loc) {
        if let Loc::Slot(i) = loc {
            match &mut self.seq[i] {
                Slot::Orig { live, .. } | Slot::New { live, .. } => *live = false,
                Slot::Eof => {}
            }
        }
    }

    /// The slot a new record of `owner`/`rtype` goes after: the RRset's last record in the main
    /// file, else the owner's last record there, else the end of the file.
    fn insertion_point(&self, owner: &Name, rtype: RType) -> usize {
        let last = |pred: &dyn Fn(RecRef<'_>) -> bool| {
            (0..self.seq.len())
                .rev()
                .find(|&i| self.slot_rec(i).is_some_and(pred))
        };
        last(&|r| r.in_rrset(owner, rtype))
            .or_else(|| last(&|r| r.owner.eq_ignore_case(owner)))
            .unwrap_or(self.seq.len() - 1)
    }

    /// `$TTL` in effect at slot `i` (directives sit between original records).
    fn dollar_ttl_at(&self, i: usize) -> Option<u32> {
        self.seq[..=i].iter().rev().find_map(|slot| match slot {
            Slot::Orig { k, .. } => Some(self.layout.records[*k].dollar_ttl),
            Slot::Eof => Some(self.layout.end_dollar_ttl),
            Slot::New { .. } => None,
        })?
    }

    /// The TTL a record without one would get right after slot `i`.
    fn default_ttl_after(&self, i: usize, rtype: RType, rdata: &[u8]) -> u32 {
        let prev = (0..=i).rev().find_map(|j| self.slot_rec(j)).map(|r| r.ttl);
        implicit_ttl(self.dollar_ttl_at(i), prev, rtype, rdata)
    }

    fn apply(&mut self, op: &EditOp) -> Result<(), EditError> {
        match op {
            EditOp::Add {
                owner,
                rtype,
                ttl,
                rdata,
            } => self.add(owner, *rtype, *ttl, rdata),
            EditOp::Set {
                owner,
                rtype,
                ttl,
                rdatas,
            } => self.set(owner, *rtype, *ttl, rdatas),
            EditOp::Del {
                owner,
                rtype,
                rdata,
            } => self.del(owner, *rtype, rdata.as_deref()),
        }
    }

    fn add(
        &mut self,
        owner: &Name,
        rtype: RType,
        ttl: Option<u32>,
        rdata: &[u8],
    ) -> Result<(), EditError> {
        if !self.find(|r| r.is(owner, rtype, rdata)).is_empty() {
            return Ok(());
        }
        let rrset_ttl = self
            .find(|r| r.in_rrset(owner, rtype))
            .first()
            .map(|&l| self.rec(l).ttl);
        let at = self.insertion_point(owner, rtype);
        let ttl = match (ttl, rrset_ttl) {
            (Some(ttl), Some(rrset_ttl)) if ttl != rrset_ttl => {
                return Err(EditError::TtlMismatch {
                    owner: owner.clone(),
                    rtype,
                    ttl,
                    rrset_ttl,
                })
            }
            (Some(ttl), _) | (None, Some(ttl)) => ttl,
            (None, None) => self.default_ttl_after(at, rtype, rdata),
        };
        let rec = Rec {
            owner: owner.clone(),
            ttl,
            rtype,
            rdata: rdata.to_vec(),
            comment: None,
        };
        self.seq.insert(
            at + 1,
            Slot::New {
                rec: Box::new(rec),
                live: true,
            },
        );
        Ok(())
    }

    fn set(
        &mut self,
        owner: &Name,
        rtype: RType,
        ttl: Option<u32>,
        rdatas: &[Vec<u8>],
    ) -> Result<(), EditError> {
        let mut unique: Vec<&[u8]> = Vec::with_capacity(rdatas.len());
        for rdata in rdatas {
            if !unique.contains(&rdata.as_slice()) {
                unique.push(rdata);
            }
        }
        if unique.is_empty() {
            return Err(EditError::BadArgs(format!(
                "`set {owner} {rtype}` needs at least one record; use `del` to delete an RRset"
            )));
        }
        let old = self.find(|r| r.in_rrset(owner, rtype));
        let ttl = ttl
            .or_else(|| old.first().map(|&l| self.rec(l).ttl))
            .unwrap_or_else(|| {
                let at = match old.first() {
                    Some(Loc::Slot(i)) => *i,
                    _ => self.insertion_point(owner, rtype),
                };
                self.default_ttl_after(at, rtype, unique[0])
            });
        // The records that stay, with their TTL, keep their lines: only those that change are
        // rewritten (all of them for a new TTL), the new ones where the first one gone was
        // (else after the RRset).
        let stays = |l: Loc| {
            let r = self.rec(l);
            r.ttl == ttl && unique.contains(&r.rdata)
        };
        let gone: Vec<Loc> = old.iter().copied().filter(|&l| !stays(l)).collect();
        let added: Vec<&[u8]> = unique
            .iter()
            .copied()
            .filter(|&d| !old.iter().any(|&l| stays(l) && self.rec(l).rdata == d))
            .collect();
        if gone.is_empty() && added.is_empty() {
            return Ok(());
        }
        // Records of an included file that stay are no reason to refuse.
        self.refuse_included(&gone)?;
        // An SOA already replaced by this edit is replaced again where it is, so the one slot
        // after the original stays the SOA written in its place (`soa_in_place`).
        if let ([Loc::Slot(i)], [rdata]) = (old.as_slice(), unique.as_slice()) {
            if let Slot::New { rec, live: true } = &mut self.seq[*i] {
                if rtype == RType::SOA {
                    rec.ttl = ttl;
                    rec.rdata = rdata.to_vec();
                    return Ok(());
                }
            }
        }
        let at = match gone.first() {
            Some(Loc::Slot(i)) => *i,
            _ => self.insertion_point(owner, rtype),
        };
        // A replaced SOA keeps its owner as written, so it can stay where and as it is written
        // (`soa_in_place`).
        let owner = match old.first() {
            Some(&l) if rtype == RType::SOA => self.rec(l).owner.clone(),
            _ => owner.clone(),
        };
        // One record replaced by one keeps the operator's comments on it.
        let mut comment = match (gone.as_slice(), added.len()) {
            ([only], 1) => self.comment_of(*only),
            _ => None,
        };
        for &loc in &gone {
            self.kill(loc);
        }
        for (n, rdata) in added.into_iter().enumerate() {
            let rec = Rec {
                owner: owner.clone(),
                ttl,
                rtype,
                rdata: rdata.to_vec(),
                comment: comment.take(),
            };
            self.seq.insert(
                at + 1 + n,
                Slot::New {
                    rec: Box::new(rec),
                    live: true,
                },
            );
        }
        Ok(())
    }

    fn del(
        &mut self,
        owner: &Name,
        rtype: Option<RType>,
        rdata: Option<&[u8]>,
    ) -> Result<(), EditError> {
        let found = self.find(|r| {
            r.owner.eq_ignore_case(owner)
                && rtype.is_none_or(|t| r.rtype == t)
                && rdata.is_none_or(|d| r.rdata == d)
        });
        if found.is_empty() {
            let what = match (rtype, rdata) {
                (None, _) => format!("records at {owner}"),
                (Some(t), None) => format!("{t} records at {owner}"),
                (Some(t), Some(d)) => format!("record `{owner} {t} {}`", rdata_to_text(t, d)),
            };
            return Err(EditError::NotFound { what });
        }
        self.refuse_included(&found)?;
        // A record written more than once is one record in the zone: every copy goes.
        for loc in found {
            self.kill(loc);
        }
        Ok(())
    }

    /// The records removed and added so far, in file order: a record deleted and added back
    /// is no change, and a removed record is paired with an added one of the same RRset.
    fn changes(&self) -> Vec<Change> {
        let mut removed: Vec<RecRef<'_>> = Vec::new();
        let mut gone = HashSet::new();
        let mut added: Vec<Option<RecRef<'_>>> = Vec::new();
        for slot in &self.seq {
            match slot {
                // A record written more than once is one record of the zone: listed once.
                Slot::Orig { k, live: false } => {
                    let r = self.orig(*k);
                    if gone.insert((r.owner.to_lowercase(), r.rtype, r.rdata)) {
                        removed.push(r);
                    }
                }
                Slot::New { rec, live: true } => added.push(Some(rec.view())),
                _ => {}
            }
        }
        let mut same = first_first(&added, change_key);
        let mut kept_removed = Vec::new();
        for r in removed {
            match same.get_mut(&change_key(&r)).and_then(Vec::pop) {
                Some(i) => added[i] = None,
                None => kept_removed.push(r),
            }
        }
        let mut rrsets = first_first(&added, |a| (a.owner.to_lowercase(), a.rtype));
        let mut changes = Vec::new();
        for r in kept_removed {
            let pair = rrsets
                .get_mut(&(r.owner.to_lowercase(), r.rtype))
                .and_then(Vec::pop)
                .and_then(|i| added[i].take());
            changes.push(Change {
                old: Some(r.presentation()),
                new: pair.as_ref().map(RecRef::presentation),
            });
        }
        changes.extend(added.into_iter().flatten().map(|r| Change {
            old: None,
            new: Some(r.presentation()),
        }));
        changes
    }

    /// Sets the serial, writes the text, reads it back and checks it. Returns the text and the
    /// checks' warnings.
    fn finish(
        mut self,
        serial: u32,
        load_include: IncludeLoader<'_>,
    ) -> Result<Finished, EditError> {
        // The SOA that will be served: the first live one at the apex. An original SOA gets its
        // serial token rewritten; a new one (from `set`) is written with the serial.
        let soa = self
            .find(|r| r.rtype == RType::SOA && r.owner.eq_ignore_case(self.origin))
            .first()
            .copied();
        let mut serial_at = None;
        match soa {
            Some(Loc::Included(i)) => {
                let inc = self.included(i);
                return Err(EditError::InIncludedFile {
                    file: inc.file.to_path_buf(),
                    line: inc.line,
                    record: RecRef::from(inc).presentation(),
                });
            }
            Some(Loc::Slot(i)) => {
                if let Slot::Orig { k, .. } = self.seq[i] {
                    match self.serial_span(k) {
                        Ok(span) => serial_at = Some((k, span, serial)),
                        // A serial that cannot be rewritten where it stands (RFC 3597 generic
                        // form, or not a plain number): the SOA is written anew, in its place.
                        Err(EditError::SerialNotEditable { .. }) => {
                            let old = self.orig(k);
                            let (ttl, mut rdata) = (old.ttl, old.rdata.to_vec());
                            Soa::set_serial(&mut rdata, serial);
                            self.set(self.origin, RType::SOA, Some(ttl), &[rdata])?;
                        }
                        Err(e) => return Err(e),
                    }
                } else if let Slot::New { rec, .. } = &mut self.seq[i] {
                    Soa::set_serial(&mut rec.rdata, serial);
                }
            }
            // No SOA left: the checks below say so.
            None => {}
        }
        let text = self.render(serial_at.clone());
        // Now a replaced SOA is listed with its new serial.
        let changes = self.changes();
        // The layout, the largest part of a large file's `Doc`, is not needed past rendering:
        // freed before the text is read back and checked.
        drop(std::mem::take(&mut self.layout));

        let entries = parse_zone(&text, self.file, self.origin, load_include).map_err(|e| {
            EditError::Internal {
                detail: format!("it does not parse: {e}"),
            }
        })?;
        // Included files start with the TTL of the record before their $INCLUDE when no $TTL is
        // in effect, which an edit of the main file cannot pin.
        let reread = entries.iter().filter(|e| *e.file != *self.file);
        for (before, after) in self.included_all().zip(reread) {
            if before.ttl != after.ttl {
                return Err(EditError::IncludeTtlChanged {
                    file: before.file.to_path_buf(),
                    line: before.line,
                });
            }
        }
        let mut soa_rdata = None;
        if let Some((k, _, serial)) = serial_at {
            let mut rdata = self.orig(k).rdata.to_vec();
            Soa::set_serial(&mut rdata, serial);
            soa_rdata = Some((k, rdata));
        }
        // The text read back holds the records wanted, in order: the main file's as the slots
        // are written, and each included file's in between, as before. Compared in step, so a
        // file of millions of records is not copied into lists to sort.
        let main = self.seq.iter().filter_map(|slot| match slot {
            Slot::Orig { k, live: true } => Some(match &soa_rdata {
                Some((soa_k, rdata)) if soa_k == k => RecRef {
                    rdata,
                    ..self.orig(*k)
                },
                _ => self.orig(*k),
            }),
            Slot::New { rec, live: true } => Some(rec.view()),
            _ => None,
        });
        let included = self.included_all().map(RecRef::from);
        let read_main = entries.iter().filter(|e| *e.file == *self.file);
        let read_included = entries.iter().filter(|e| *e.file != *self.file);
        read_back_matches(main, read_main)?;
        read_back_matches(included, read_included)?;
        let (errors, warnings): (Vec<Finding>, Vec<Finding>) = check_entries(self.origin, &entries)
            .into_iter()
            .partition(Finding::is_error);
        if !errors.is_empty() {
            return Err(EditError::Invalid { findings: errors });
        }
        Ok(Finished {
            text,
            warnings,
            changes,
        })
    }

    /// Byte range of the serial token of the main file's `k`th record (an SOA).
    fn serial_span(&self, k: usize) -> Result<Range<usize>, EditError> {
        let lay = &self.layout.records[k];
        let refuse = |reason: &str| EditError::SerialNotEditable {
            file: self.file.to_path_buf(),
            line: lay.line,
            reason: reason.to_owned(),
        };
        let first = lay.span(usize::from(lay.rtype) + 1).map(|s| &self.text[s]);
        if first == Some("\\#") {
            return Err(refuse(
                "the SOA is written in RFC 3597 generic form (\\# length hex); write it as \
                 `mname rname serial refresh retry expire minimum`",
            ));
        }
        let span = lay
            .span(usize::from(lay.rtype) + 3)
            .ok_or_else(|| refuse("the SOA has no serial field"))?;
        let old = Soa::from_rdata(self.orig(k).rdata).map(|s| s.serial);
        let written = &self.text[span.clone()];
        if written.parse::<u32>().ok() != old || !written.bytes().all(|b| b.is_ascii_digit()) {
            return Err(refuse(&format!(
                "the serial is written as '{written}'; write it as a plain number"
            )));
        }
        Ok(span)
    }

    /// The new text. `serial`: the SOA record (main-file index) whose serial token (byte range)
    /// to replace with the new serial.
    fn render(&self, serial: Option<(usize, Range<usize>, u32)>) -> String {
        let text = self.text;
        let mut out = String::with_capacity(text.len() + 256);
        let mut cursor = 0;
        let mut origin = 0;
        let mut dollar_ttl = None;
        let mut prev: Option<RecRef<'_>> = None;
        // A new record written in place of the original before it (an SOA replaced by `set`).
        let mut written_in_place = None;
        for (i, slot) in self.seq.iter().enumerate() {
            match slot {
                Slot::Orig { k, live } => {
                    let lay = &self.layout.records[*k];
                    out.push_str(&text[cursor..lay.bytes.start]);
                    cursor = lay.bytes.end;
                    origin = lay.origin;
                    dollar_ttl = lay.dollar_ttl;
                    let replacement = match self.seq.get(i + 1) {
                        Some(Slot::New { rec, live: true }) if !live => self
                            .soa_in_place(*k, rec.view())
                            .map(|edits| (rec.view(), edits)),
                        _ => None,
                    };
                    if !live && replacement.is_none() {
                        continue;
                    }
                    let (rec, mut edits) =
                        replacement.unwrap_or_else(|| (self.orig(*k), Vec::new()));
                    if !live {
                        written_in_place = Some(i + 1);
                    }
                    if lay.blank_owner && prev.map(|p| p.owner) != Some(rec.owner) {
                        edits.push(self.owner_pin(lay, rec.owner));
                    }
                    let inherited = implicit_ttl(None, prev.map(|p| p.ttl), rec.rtype, rec.rdata);
                    if lay.ttl.is_none() && lay.dollar_ttl.is_none() && inherited != rec.ttl {
                        let before = lay.class.unwrap_or(lay.rtype).min(lay.rtype);
                        let at = lay.span(before.into()).expect("a laid-out token").start;
                        edits.push((at..at, format!("{} ", rec.ttl)));
                    }
                    if let Some((_, span, value)) = serial.as_ref().filter(|s| s.0 == *k) {
                        edits.push((span.clone(), value.to_string()));
                    }
                    edits.sort_by_key(|(r, _)| r.start);
                    let mut at = lay.bytes.start;
                    for (range, replacement) in edits {
                        out.push_str(&text[at..range.start]);
                        out.push_str(&replacement);
                        at = range.end;
                    }
                    out.push_str(&text[at..lay.bytes.end]);
                    prev = Some(rec);
                }
                Slot::Eof => {
                    out.push_str(&text[cursor..]);
                    cursor = text.len();
                    origin = self.layout.end_origin;
                    dollar_ttl = self.layout.end_dollar_ttl;
                }
                Slot::New { rec, live } => {
                    if !live || written_in_place == Some(i) {
                        continue;
                    }
                    let comment = &rec.comment;
                    let rec = rec.view();
                    if !out.is_empty() && !out.ends_with('\n') {
                        out.push_str(self.style.eol);
                    }
                    let default =
                        implicit_ttl(dollar_ttl, prev.map(|p| p.ttl), rec.rtype, rec.rdata);
                    let blank = self.style.blank_owners && prev.map(|p| p.owner) == Some(rec.owner);
                    let owner = if blank {
                        String::new()
                    } else {
                        self.owner_text(rec.owner, origin)
                    };
                    let columns = self.neighbour(i).map(|k| self.columns(k));
                    out.push_str(&format_line(
                        &owner,
                        (rec.ttl != default).then_some(rec.ttl),
                        self.style.class_in,
                        rec.rtype,
                        &rdata_to_text(rec.rtype, rec.rdata),
                        columns.as_ref(),
                    ));
                    if let Some(comment) = &comment {
                        out.push(' ');
                        out.push_str(comment);
                    }
                    out.push_str(self.style.eol);
                    prev = Some(rec);
                }
            }
        }
        out.push_str(&text[cursor..]);
        out
    }

    /// The edits that turn the SOA written as the main file's `k`th record into `new` where it
    /// stands, keeping its layout and comments (a multi-line SOA stays one): the token of each
    /// field whose value changed is rewritten. `None` if that cannot be done token for token:
    /// `new` is not an SOA of the same owner and TTL, or the SOA is in RFC 3597 generic form.
    fn soa_in_place(&self, k: usize, new: RecRef<'_>) -> Option<Vec<(Range<usize>, String)>> {
        let old = self.orig(k);
        if new.rtype != RType::SOA
            || old.rtype != RType::SOA
            || !new.owner.eq_ignore_case(old.owner)
            || new.ttl != old.ttl
        {
            return None;
        }
        let lay = &self.layout.records[k];
        let first = usize::from(lay.rtype) + 1;
        if lay.token_count() != first + 7 || lay.span(first).map(|s| &self.text[s]) == Some("\\#") {
            return None;
        }
        let (was, now) = (Soa::from_rdata(old.rdata)?, Soa::from_rdata(new.rdata)?);
        let mut edits = Vec::new();
        for (i, (was, now)) in [(&was.mname, &now.mname), (&was.rname, &now.rname)]
            .into_iter()
            .enumerate()
        {
            if was != now {
                edits.push((lay.span(first + i)?, self.owner_text(now, lay.origin)));
            }
        }
        let numbers = [
            (was.serial, now.serial),
            (was.refresh, now.refresh),
            (was.retry, now.retry),
            (was.expire, now.expire),
            (was.minimum, now.minimum),
        ];
        for (i, (was, now)) in numbers.into_iter().enumerate() {
            if was != now {
                edits.push((lay.span(first + 2 + i)?, now.to_string()));
            }
        }
        Some(edits)
    }

    /// The owner as this file would write it under the origin `origin` (an index into
    /// `layout.origins`).
    fn owner_text(&self, owner: &Name, origin: u32) -> String {
        if self.style.relative {
            owner.to_relative_string(&self.layout.origins[origin as usize])
        } else {
            owner.to_string()
        }
    }

    /// Writes the owner into the blank owner column of a record whose line starts with
    /// whitespace. Leading spaces: the owner replaces as many as it can while leaving one, so
    /// the columns after it stay where they were (one space after a longer owner). Leading
    /// tabs stay after the owner, where they still reach the same tab stop for short owners.
    fn owner_pin(&self, lay: &RecordLayout, owner: &Name) -> (Range<usize>, String) {
        let owner = self.owner_text(owner, lay.origin);
        let line = &self.text[lay.bytes.clone()];
        let ws = line
            .bytes()
            .take_while(|b| matches!(b, b' ' | b'\t'))
            .count();
        let spaces = &line[..ws];
        let replacement = if spaces.contains('\t') {
            format!("{owner}{spaces}")
        } else if ws > owner.len() {
            format!("{owner}{}", &spaces[owner.len()..])
        } else {
            format!("{owner} ")
        };
        (lay.bytes.start..lay.bytes.start + ws, replacement)
    }

    /// The original record nearest before slot `i` that is still written, else the nearest
    /// after it: the line a new record is aligned with.
    fn neighbour(&self, i: usize) -> Option<usize> {
        let orig = |slot: &Slot| match slot {
            Slot::Orig { k, live: true } => Some(*k),
            _ => None,
        };
        self.seq[..i]
            .iter()
            .rev()
            .find_map(orig)
            .or_else(|| self.seq[i..].iter().find_map(orig))
    }

    /// The display columns of the fields on the first line of the `k`th record.
    fn columns(&self, k: usize) -> Columns {
        let lay = &self.layout.records[k];
        let start = lay.bytes.start;
        let first_line_end = self.text[start..lay.bytes.end]
            .find('\n')
            .map_or(lay.bytes.end, |n| start + n);
        let column = |index: Option<u8>| {
            let span = lay.span(index?.into())?;
            (span.start < first_line_end).then(|| display_width(&self.text[start..span.start]))
        };
        let rdata_start = lay
            .span(usize::from(lay.rtype) + 1)
            .map_or(first_line_end, |s| s.start.min(first_line_end));
        Columns {
            ttl: column(lay.ttl),
            class: column(lay.class),
            rtype: column(Some(lay.rtype)),
            rdata: column(Some(lay.rtype + 1)),
            tabs: self.text[start..rdata_start].contains('\t'),
        }
    }
}

impl Style {
    /// The style of a file whose `k`th record has the owner `owner(k)`.
    fn of<'n>(text: &str, layout: &FileLayout, owner: impl Fn(usize) -> &'n Name) -> Style {
        let (mut relative, mut absolute, mut with_class) = (0usize, 0usize, 0usize);
        let (mut repeats, mut blank) = (0usize, 0usize);
        for (k, lay) in layout.records.iter().enumerate() {
            if let Some(i) = lay.owner {
                let owner = &text[lay.span(i.into()).expect("a laid-out token")];
                if written_absolute(owner) {
                    absolute += 1;
                } else {
                    relative += 1;
                }
            }
            with_class += usize::from(lay.class.is_some());
            if k > 0 && owner(k - 1) == owner(k) {
                repeats += 1;
                blank += usize::from(lay.blank_owner);
            }
        }
        Style {
            relative: relative >= absolute,
            class_in: with_class * 2 > layout.records.len(),
            blank_owners: repeats > 0 && blank * 2 >= repeats,
            eol: if text.contains("\r\n") { "\r\n" } else { "\n" },
        }
    }
}

/// Where the fields of a record line start (display columns, tabs every 8).
#[derive(Debug)]
struct Columns {
    ttl: Option<usize>,
    class: Option<usize>,
    rtype: Option<usize>,
    rdata: Option<usize>,
    /// Does the line separate its fields with tabs?
    tabs: bool,
}

/// A record line without its line ending: owner (empty for a blank owner), then the fields,
/// each starting at the neighbour's column for it where the line has not passed it yet. A TTL
/// the neighbour has no column for follows the owner, or on a blank-owner line takes the
/// column of the class or type (`        60 IN TXT`, not ` 60     IN TXT`).
/// The comments on the lines of the record laid out as `lay` in `text`: each from a `;` in the
/// text between its tokens (or after the last, to the end of its lines) to the end of its line.
/// The lexer's token spans say where the tokens are, so a `;` inside one is never taken.
fn comments<'t>(text: &'t str, lay: &RecordLayout) -> Vec<&'t str> {
    let mut gaps = Vec::with_capacity(lay.token_count() + 1);
    let mut at = lay.bytes.start;
    for i in 0..lay.token_count() {
        let span = lay.span(i).expect("a laid-out token");
        gaps.push(at..span.start);
        at = span.end;
    }
    gaps.push(at..lay.bytes.end);
    gaps.into_iter()
        .flat_map(|gap| text[gap].split('\n'))
        .filter_map(|line| line.find(';').map(|c| line[c..].trim_end()))
        .collect()
}

fn format_line(
    owner: &str,
    ttl: Option<u32>,
    class_in: bool,
    rtype: RType,
    rdata: &str,
    columns: Option<&Columns>,
) -> String {
    let mut line = owner.to_owned();
    let mut col = display_width(owner);
    let ttl = ttl.map(|t| t.to_string());
    let rtype = rtype.to_string();
    let ttl_column = columns.and_then(|c| match c.ttl {
        None if owner.is_empty() => c.class.or(c.rtype),
        column => column,
    });
    let fields = [
        (ttl.as_deref(), ttl_column),
        (class_in.then_some("IN"), columns.and_then(|c| c.class)),
        (Some(rtype.as_str()), columns.and_then(|c| c.rtype)),
        (Some(rdata), columns.and_then(|c| c.rdata)),
    ];
    let tabs = columns.is_some_and(|c| c.tabs);
    for (field, target) in fields {
        let Some(field) = field else { continue };
        match target {
            Some(target) if col < target => {
                while col < target {
                    if tabs {
                        line.push('\t');
                        col = (col / 8 + 1) * 8;
                    } else {
                        line.push(' ');
                        col += 1;
                    }
                }
            }
            _ => {
                line.push(if tabs { '\t' } else { ' ' });
                col = if tabs { (col / 8 + 1) * 8 } else { col + 1 };
            }
        }
        line.push_str(field);
        col += display_width(field);
    }
    line
}

/// Display width of `s` with tab stops every 8 columns.
fn display_width(s: &str) -> usize {
    s.chars().fold(0, |col, c| {
        if c == '\t' {
            (col / 8 + 1) * 8
        } else {
            col + 1
        }
    })
}

/// Do the records read back from the new text match the records wanted, in order? An error
/// names the first that differs.
fn read_back_matches<'r, 'e>(
    mut want: impl Iterator<Item = RecRef<'r>>,
    mut got: impl Iterator<Item = Entry<'e>>,
) -> Result<(), EditError> {
    loop {
        let (w, g) = (want.next(), got.next().map(RecRef::from));
        let same = match (w, g) {
            (None, None) => return Ok(()),
            // The owner in any case: one written relative to `$ORIGIN` takes the case of the
            // origin as the file writes it, whatever case the edit gave.
            (Some(w), Some(g)) => {
                w.owner.eq_ignore_case(g.owner)
                    && (w.rtype, w.ttl, w.rdata) == (g.rtype, g.ttl, g.rdata)
            }
            _ => false,
        };
        if !same {
            let show = |r: Option<RecRef<'_>>| r.map_or("nothing".to_owned(), |r| r.presentation());
            let (wanted, read) = (show(w), show(g));
            return Err(EditError::Internal {
                detail: format!("expected {wanted}, read back {read}"),
            });
        }
    }
}

/// The TTL the parser gives a record written without one (see [`parse`]'s module docs).
fn implicit_ttl(dollar_ttl: Option<u32>, prev_ttl: Option<u32>, rtype: RType, rdata: &[u8]) -> u32 {
    dollar_ttl
        .or(prev_ttl)
        .or_else(|| {
            (rtype == RType::SOA)
                .then(|| Soa::from_rdata(rdata).map(|s| s.minimum))
                .flatten()
        })
        .unwrap_or(DEFAULT_TTL)
}

// ---------------------------------------------------------------------------------------------
// Ops from words

/// Parses a batch for `zonectl apply`, one op a line:
///
/// ```text
/// add NAME TYPE [TTL] RDATA…
/// set NAME TYPE [TTL] RDATA…
/// del NAME [TYPE [RDATA…]]
/// ```
///
/// Blank lines and lines starting with `;` or `#` are ignored; a line is read like a zone-file
/// line (quotes, escapes, `;` comments). Names are relative to `origin` unless they end with a
/// dot. The TTL rule is [`op_from_args`]'s. Consecutive `set` lines for the same name and type
/// build one RRset (`set www A 192.0.2.1` then `set www A 192.0.2.2` leaves both). A TXT string
/// longer than 255 bytes is split into 255-byte strings. Errors name the line.
pub fn parse_batch(text: &str, origin: &Name) -> Result<Vec<EditOp>, EditError> {
    let mut ops: Vec<EditOp> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at = |error: EditError| EditError::Batch {
            line: index + 1,
            error: Box::new(error),
        };
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let tokens =
            parse::tokenize_rdata(line).map_err(|kind| at(EditError::BadArgs(kind.to_string())))?;
        let Some((verb, words)) = tokens.split_first() else {
            continue;
        };
        if verb.quoted {
            return Err(at(EditError::BadArgs(format!(
                "\"{}\" is not a verb: start the line with add, set or del",
                verb.text
            ))));
        }
        let op = build_op(&verb.text, words, false, origin).map_err(at)?;
        if let (
            EditOp::Set {
                owner,
                rtype,
                ttl,
                rdatas,
            },
            Some(EditOp::Set {
                owner: last_owner,
                rtype: last_rtype,
                ttl: last_ttl,
                rdatas: last_rdatas,
            }),
        ) = (&op, ops.last_mut())
        {
            if last_owner.eq_ignore_case(owner) && last_rtype == rtype {
                match (*last_ttl, *ttl) {
                    (Some(a), Some(b)) if a != b => {
                        return Err(at(EditError::BadArgs(format!(
                            "TTL {b} differs from TTL {a} on the previous `set {owner} {rtype}` \
                             line; the records of an RRset share one TTL"
                        ))))
                    }
                    (None, ttl) => *last_ttl = ttl,
                    _ => {}
                }
                last_rdatas.extend(rdatas.iter().cloned());
                continue;
            }
        }
        ops.push(op);
    }
    Ok(ops)
}

/// `ops` as `zonectl apply` lines that [`parse_batch`] reads back as the same ops (the
/// journal's form). Names are absolute and RDATA canonical. An op without a TTL is written
/// without one, which is only unambiguous for ops whose TTL was resolved ([`super::update`]
/// resolves them all). A `set` directly followed by a `set` of the same RRset is left out: the
/// second replaces it wholly, and [`parse_batch`] would merge consecutive `set` lines.
pub fn batch_text(ops: &[EditOp]) -> String {
    let mut out = String::new();
    let ttl_word = |ttl: &Option<u32>| ttl.map_or_else(String::new, |t| format!(" {t}"));
    for (i, op) in ops.iter().enumerate() {
        match op {
            EditOp::Add {
                owner,
                rtype,
                ttl,
                rdata,
            } => out.push_str(&format!(
                "add {owner} {rtype}{} {}\n",
                ttl_word(ttl),
                rdata_to_text(*rtype, rdata)
            )),
            EditOp::Set {
                owner,
                rtype,
                ttl,
                rdatas,
            } => {
                let replaced = matches!(ops.get(i + 1), Some(EditOp::Set { owner: o, rtype: t, .. })
                    if o.eq_ignore_case(owner) && t == rtype);
                if replaced {
                    continue;
                }
                for rdata in rdatas {
                    out.push_str(&format!(
                        "set {owner} {rtype}{} {}\n",
                        ttl_word(ttl),
                        rdata_to_text(*rtype, rdata)
                    ));
                }
            }
            EditOp::Del {
                owner,
                rtype,
                rdata,
            } => {
                out.push_str(&format!("del {owner}"));
                if let Some(t) = rtype {
                    out.push_str(&format!(" {t}"));
                    if let Some(d) = rdata {
                        out.push_str(&format!(" {}", rdata_to_text(*t, d)));
                    }
                }
                out.push('\n');
            }
        }
    }
    out
}

/// Builds one op from the words of `zonectl record add|set|del ZONE …` after the zone:
/// `NAME TYPE [TTL] RDATA…` for `add` and `set`, `NAME [TYPE [RDATA…]]` for `del`.
///
/// - NAME is relative to `origin` (`@` is the apex) unless it ends with a dot. A relative name
///   that spells out the zone (`www.example.com` in `example.com.`) is refused as ambiguous.
/// - TTL rule: the word right after TYPE is the TTL when it reads as a TTL (`300`, `1h30m`) and
///   the words after it still make valid RDATA for the type; otherwise it is RDATA. So
///   `A 300 192.0.2.1` has TTL 300, `MX 10 mail` has no TTL, `TXT 300` is the string "300",
///   and `TXT 300 x` has TTL 300 (write `TXT 3600 300 x` for two strings).
/// - RDATA is zone-file syntax: the words are joined with spaces and read like a zone-file
///   line. For TXT and SPF each word is one string as it is (`'v=DMARC1; p=none'` needs no
///   inner quotes), unless it starts with a double quote, when it is read as zone-file syntax
///   (`'"part one" "part two"'`). A string longer than 255 bytes (a DKIM key) is split into
///   255-byte strings.
pub fn op_from_args(verb: &str, args: &[String], origin: &Name) -> Result<EditOp, EditError> {
    let words: Vec<Token> = args
        .iter()
        .map(|a| Token {
            text: a.clone(),
            quoted: false,
        })
        .collect();
    build_op(verb, &words, true, origin)
}

/// The shared grammar of [`parse_batch`] and [`op_from_args`]. `cli`: the RDATA words are
/// command-line words (see [`op_from_args`]), not zone-file tokens.
fn build_op(verb: &str, words: &[Token], cli: bool, origin: &Name) -> Result<EditOp, EditError> {
    let bad = |s: String| EditError::BadArgs(s);
    let usage = match verb.to_ascii_lowercase().as_str() {
        "add" => "add NAME TYPE [TTL] RDATA…",
        "set" => "set NAME TYPE [TTL] RDATA…",
        "del" => "del NAME [TYPE [RDATA…]]",
        _ => return Err(bad(format!("unknown verb '{verb}': use add, set or del"))),
    };
    let is_del = usage.starts_with("del");
    let Some(name_word) = words.first() else {
        return Err(bad(format!("missing NAME: write `{usage}`")));
    };
    if name_word.quoted {
        return Err(bad(format!(
            "the name \"{}\" must not be quoted: write `{usage}`",
            name_word.text
        )));
    }
    let owner = owner_from_text(&name_word.text, origin)?;
    let Some(type_word) = words.get(1) else {
        if is_del {
            return Ok(EditOp::Del {
                owner,
                rtype: None,
                rdata: None,
            });
        }
        return Err(bad(format!("missing TYPE: write `{usage}`")));
    };
    let rtype = (!type_word.quoted)
        .then(|| RType::from_name(&type_word.text))
        .flatten()
        .ok_or_else(|| {
            bad(format!(
                "unknown record type '{}': write a type such as A, MX or TXT (or TYPEnnn), \
                 as in `{usage}`",
                type_word.text
            ))
        })?;
    let rest = &words[2..];
    if is_del {
        let rdata = if rest.is_empty() {
            None
        } else {
            Some(rdata_wire(rtype, rest, cli, origin)?)
        };
        return Ok(EditOp::Del {
            owner,
            rtype: Some(rtype),
            rdata,
        });
    }
    if rest.is_empty() {
        return Err(bad(format!("missing RDATA for {rtype}: write `{usage}`")));
    }
    let ttl_and_rdata = (rest.len() > 1 && !rest[0].quoted)
        .then(|| parse::ttl_from_text(&rest[0].text).ok())
        .flatten()
        .and_then(|ttl| {
            rdata_wire(rtype, &rest[1..], cli, origin)
                .ok()
                .map(|rdata| (ttl, rdata))
        });
    let (ttl, rdata) = match ttl_and_rdata {
        Some((ttl, rdata)) => (Some(ttl), rdata),
        None => match rdata_wire(rtype, rest, cli, origin) {
            Ok(rdata) => (None, rdata),
            Err(e) => {
                // A first word that is a number too large for a TTL, before valid RDATA: the
                // TTL is what is wrong, not the RDATA it was then read as.
                let digits = !rest[0].quoted && rest[0].text.bytes().all(|b| b.is_ascii_digit());
                if let (true, Err(ttl)) = (digits, parse::ttl_from_text(&rest[0].text)) {
                    if rest.len() > 1 && rdata_wire(rtype, &rest[1..], cli, origin).is_ok() {
                        return Err(bad(ttl.to_string()));
                    }
                }
                return Err(e);
            }
        },
    };
    Ok(if usage.starts_with("add") {
        EditOp::Add {
            owner,
            rtype,
            ttl,
            rdata,
        }
    } else {
        EditOp::Set {
            owner,
            rtype,
            ttl,
            rdatas: vec![rdata],
        }
    })
}

/// An owner name from a word: relative to `origin` unless absolute, and inside the zone.
fn owner_from_text(text: &str, origin: &Name) -> Result<Name, EditError> {
    let owner = Name::parse(text, Some(origin))
        .map_err(|e| EditError::BadArgs(format!("bad name '{text}': {e}")))?;
    let apex = origin.to_string();
    let apex = apex.trim_end_matches('.');
    let relative = text != "@" && !written_absolute(text);
    let lower = text.to_ascii_lowercase();
    let apex_lower = apex.to_ascii_lowercase();
    if relative
        && !apex.is_empty()
        && (lower == apex_lower || lower.ends_with(&format!(".{apex_lower}")))
    {
        let meant = format!("{text}.");
        return Err(EditError::BadArgs(format!(
            "'{text}' has no trailing dot, so it is relative to the zone and means {owner}; \
             write '{}' or the absolute '{meant}'",
            Name::parse(&meant, None)
                .map(|n| n.to_relative_string(origin))
                .unwrap_or_else(|_| text.to_owned())
        )));
    }
    if !owner.is_subdomain_of(origin) {
        return Err(EditError::BadArgs(format!(
            "{owner} is not in the zone {origin}; write a name relative to the zone or ending in \
             .{origin}"
        )));
    }
    Ok(owner)
}

/// Is a name written absolute (ending in an unescaped dot)?
fn written_absolute(text: &str) -> bool {
    let Some(body) = text.strip_suffix('.') else {
        return false;
    };
    let backslashes = body.bytes().rev().take_while(|&b| b == b'\\').count();
    backslashes % 2 == 0
}

/// Wire RDATA from words (see [`op_from_args`] for `cli` words).
fn rdata_wire(
    rtype: RType,
    words: &[Token],
    cli: bool,
    origin: &Name,
) -> Result<Vec<u8>, EditError> {
    let is_txt = rtype == RType::TXT || rtype == RType::SPF;
    let tokens = if !cli {
        words.to_vec()
    } else if is_txt {
        let mut tokens = Vec::new();
        for word in words {
            if word.text.starts_with('"') {
                tokens.extend(tokenize(&word.text)?);
            } else {
                tokens.push(Token {
                    text: word.text.replace('\\', "\\\\").replace('"', "\\\""),
                    quoted: true,
                });
            }
        }
        tokens
    } else {
        let joined: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        tokenize(&joined.join(" "))?
    };
    match rdata_from_text(rtype, &tokens, origin) {
        Ok(rdata) => Ok(rdata),
        Err(e) => match is_txt.then(|| split_long_strings(&tokens)).flatten() {
            Some(rdata) => Ok(rdata),
            None => Err(EditError::BadArgs(e.to_string())),
        },
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, EditError> {
    parse::tokenize_rdata(text).map_err(|kind| EditError::BadArgs(kind.to_string()))
}

/// TXT wire RDATA from tokens of which some are longer than 255 bytes: each token split into
/// 255-byte strings. `None` when no token is too long or the tokens are not plain strings.
fn split_long_strings(tokens: &[Token]) -> Option<Vec<u8>> {
    if tokens.first().is_some_and(|t| !t.quoted && t.text == "\\#") {
        return None;
    }
    let values: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| unescape_text(&t.text))
        .collect::<Option<_>>()?;
    if !values.iter().any(|v| v.len() > 255) {
        return None;
    }
    let wire: Vec<u8> = values.iter().flat_map(|v| txt_from_value(v)).collect();
    (wire.len() <= 65535).then_some(wire)
}

/// A `<character-string>`'s bytes: `\X` and `\DDD` escapes decoded.
fn unescape_text(text: &str) -> Option<Vec<u8>> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            let (byte, used) = name::unescape(&b[i + 1..])?;
            out.push(byte);
            i += 1 + used;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::parse::parse_zone_str;
    use crate::zone::serial::{next_serial, SerialPolicy};

    const APPLE: &str = include_str!("../../zones/apple.example.zone");

    /// The apple zone's serial line, before and after a bump.
    const APPLE_SERIAL_OLD: &str = "-8                       2025103001 ; serial (YYYYMMDDnn)";
    const APPLE_SERIAL_NEW: &str = "+8                       2025103002 ; serial (YYYYMMDDnn)";

    fn n(text: &str) -> Name {
        Name::parse(text, None).unwrap()
    }

    fn refuse_includes(_: &Path) -> io::Result<String> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no includes here",
        ))
    }

    /// Applies a batch with the `increment` policy.
    fn apply(text: &str, origin: &str, batch: &str) -> Result<EditOutcome, EditError> {
        let origin = n(origin);
        let ops = parse_batch(batch, &origin).unwrap_or_else(|e| panic!("{batch}: {e}"));
        apply_edits(
            text,
            Path::new("zone.db"),
            &origin,
            &ops,
            |s| s.wrapping_add(1),
            &mut refuse_includes,
        )
    }

    #[test]
    fn the_read_back_must_hold_the_wanted_records_in_order() {
        let origin = n("example.");
        let read = parse_zone_str(
            "a 60 A 192.0.2.1\nb 60 A 192.0.2.2\n",
            Path::new("zone.db"),
            &origin,
        )
        .unwrap();
        let rec = |owner: &str, ttl: u32, last: u8| Rec {
            owner: n(owner),
            ttl,
            rtype: RType::A,
            rdata: vec![192, 0, 2, last],
            comment: None,
        };
        let (a, b) = (rec("a.example.", 60, 1), rec("b.example.", 60, 2));
        let wanted = |recs: &[&Rec]| {
            read_back_matches(
                recs.iter()
                    .map(|r| r.view())
                    .collect::<Vec<_>>()
                    .into_iter(),
                read.iter(),
            )
        };
        assert_eq!(wanted(&[&a, &b]), Ok(()));
        let err = |r: Result<(), EditError>| r.unwrap_err().to_string();
        assert!(err(wanted(&[&b, &a])).contains(
            "expected b.example. 60 IN A 192.0.2.2, read back a.example. 60 IN A 192.0.2.1"
        ));
        assert!(err(wanted(&[&a])).contains("expected nothing, read back b.example."));
        let longer = rec("b.example.", 300, 2);
        assert!(err(wanted(&[&a, &longer])).contains("expected b.example. 300 IN A"));
    }

    #[test]
    fn deleting_a_record_written_twice_deletes_both_copies() {
        let text = format!("{APPLE}mail IN A 192.0.2.25\n");
        let out = apply(&text, "apple.example.", "del mail A 192.0.2.25").unwrap();
        assert!(!out.text.contains("192.0.2.25\n"), "{}", out.text);
        assert!(out.text.contains("2001:db8:a::25"), "{}", out.text);
        let removed: Vec<_> = out.changes.iter().map(|c| c.old.clone()).collect();
        assert_eq!(
            removed,
            [Some("mail.apple.example. 3600 IN A 192.0.2.25".to_owned())],
            "one record, as served"
        );
    }

    /// Applies a batch that must succeed, and checks the records of the result (see [`verify`]).
    fn ok(text: &str, origin: &str, batch: &str) -> EditOutcome {
        let out = apply(text, origin, batch).unwrap_or_else(|e| panic!("{batch}: {e}"));
        verify(text, &out, &n(origin));
        out
    }

    /// Presentation lines of a zone's records, sorted, with SOA serials masked.
    fn records(text: &str, origin: &Name) -> Vec<String> {
        let entries = parse_zone_str(text, Path::new("zone.db"), origin)
            .unwrap_or_else(|e| panic!("{e}\n{text}"));
        let mut v: Vec<String> = entries
            .iter()
            .map(|e| mask_serial(&RecRef::from(e).presentation()))
            .collect();
        v.sort();
        v
    }

    fn mask_serial(line: &str) -> String {
        let mut fields: Vec<&str> = line.split(' ').collect();
        if fields.get(3) == Some(&"SOA") {
            fields[6] = "S";
        }
        fields.join(" ")
    }

    /// The new text's records are the old ones with exactly `out.changes` applied, and its SOA
    /// has the new serial.
    fn verify(old: &str, out: &EditOutcome, origin: &Name) {
        let mut want = records(old, origin);
        for change in &out.changes {
            if let Some(o) = &change.old {
                let o = mask_serial(o);
                let i = want
                    .iter()
                    .position(|r| *r == o)
                    .unwrap_or_else(|| panic!("{o} not in the old zone"));
                want.remove(i);
            }
            if let Some(new) = &change.new {
                want.push(mask_serial(new));
            }
        }
        want.sort();
        assert_eq!(records(&out.text, origin), want, "{}", out.text);
        let entries = parse_zone_str(&out.text, Path::new("zone.db"), origin).unwrap();
        let soa = entries.iter().find(|e| e.rtype == RType::SOA).unwrap();
        assert_eq!(Soa::from_rdata(soa.rdata).unwrap().serial, out.new_serial);
    }

    /// A line diff (longest common subsequence): `-N line` for a line of `old` that is gone,
    /// `+N line` for a line of `new` that is new (N: 1-based line in its text). A line whose
    /// only change is its line ending shows as changed too.
    fn diff(old: &str, new: &str) -> Vec<String> {
        let a: Vec<&str> = old.split_inclusive('\n').collect();
        let b: Vec<&str> = new.split_inclusive('\n').collect();
        let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
        for i in (0..a.len()).rev() {
            for j in (0..b.len()).rev() {
                lcs[i][j] = if a[i] == b[j] {
                    lcs[i + 1][j + 1] + 1
                } else {
                    lcs[i + 1][j].max(lcs[i][j + 1])
                };
            }
        }
        let show = |sign: char, n: usize, line: &str| {
            format!("{sign}{n} {}", line.trim_end_matches(['\n', '\r']))
        };
        let (mut i, mut j) = (0, 0);
        let mut out = Vec::new();
        while i < a.len() || j < b.len() {
            if i < a.len() && j < b.len() && a[i] == b[j] {
                i += 1;
                j += 1;
            } else if j == b.len() || (i < a.len() && lcs[i + 1][j] >= lcs[i][j + 1]) {
                out.push(show('-', i + 1, a[i]));
                i += 1;
            } else {
                out.push(show('+', j + 1, b[j]));
                j += 1;
            }
        }
        out
    }

    /// A record replaced by one record keeps the comments on its lines (after it, on one
    /// line); a `;` in a quoted string is data. The records of an RRset that stay keep their
    /// lines; several records replaced by one, or one by several, keep no comment (which would
    /// go with which?).
    #[test]
    fn a_record_replaced_by_one_keeps_its_comments() {
        let text = "$ORIGIN example.\n$TTL 300\n\
            @ SOA ns hostmaster 1 3600 900 1209600 300\n\
            @ NS ns\n\
            ns A 192.0.2.53\n\
            _dmarc TXT \"v=DMARC1; p=none\" ; until the audit ends\n\
            sel._domainkey TXT ( \"v=DKIM1; k=rsa; \" ; first half\n\
            \t\"p=MIIB\" )  ; second half\n\
            two A 192.0.2.1 ; first\n\
            two A 192.0.2.2 ; second\n\
            one A 192.0.2.3 ; one\n\
            esc TXT \"say \\\"x; y\\\"\" ; quoted\n";
        let cases: &[(&str, &[&str])] = &[
            (
                "set _dmarc TXT \"v=DMARC1; p=quarantine\"",
                &[
                    "-6 _dmarc TXT \"v=DMARC1; p=none\" ; until the audit ends",
                    "+6 _dmarc TXT \"v=DMARC1; p=quarantine\" ; until the audit ends",
                ],
            ),
            (
                "set sel._domainkey TXT \"v=DKIM1; p=\"",
                &[
                    "-7 sel._domainkey TXT ( \"v=DKIM1; k=rsa; \" ; first half",
                    "-8 \t\"p=MIIB\" )  ; second half",
                    "+7 sel._domainkey TXT \"v=DKIM1; p=\" ; first half ; second half",
                ],
            ),
            // A `;` in a quoted string, after an escaped quote, is data.
            (
                "set esc TXT \"z\"",
                &[
                    "-12 esc TXT \"say \\\"x; y\\\"\" ; quoted",
                    "+12 esc TXT \"z\" ; quoted",
                ],
            ),
            // A record that stays keeps its line; the one changed keeps its comment.
            (
                "set two A 192.0.2.1\nset two A 192.0.2.9",
                &[
                    "-10 two A 192.0.2.2 ; second",
                    "+10 two A 192.0.2.9 ; second",
                ],
            ),
            // Two records by one, one by two: the comments go with the records.
            (
                "set two A 192.0.2.9",
                &[
                    "-9 two A 192.0.2.1 ; first",
                    "-10 two A 192.0.2.2 ; second",
                    "+9 two A 192.0.2.9",
                ],
            ),
        ];
        for (batch, want) in cases {
            let out = ok(text, "example.", batch);
            // Columns aside: the new line is aligned with its neighbours.
            let words = |l: &str| l.split_whitespace().collect::<Vec<_>>().join(" ");
            let got: Vec<String> = diff(text, &out.text)
                .iter()
                .filter(|l| !l.contains("SOA"))
                .map(|l| words(l))
                .collect();
            let want: Vec<String> = want.iter().map(|l| words(l)).collect();
            assert_eq!(got, want, "{batch}\n{}", out.text);
        }
        let set = |owner: &str, rtype, rdatas: &[&[u8]]| EditOp::Set {
            owner: n(owner),
            rtype,
            ttl: None,
            rdatas: rdatas.iter().map(|d| d.to_vec()).collect(),
        };
        let edit = |ops: &[EditOp]| {
            apply_edits(
                text,
                Path::new("zone.db"),
                &n("example."),
                ops,
                |s| s + 1,
                &mut refuse_includes,
            )
            .unwrap()
        };
        let by_two = set(
            "one.example.",
            RType::A,
            &[&[192, 0, 2, 4], &[192, 0, 2, 5]],
        );
        let out = edit(&[by_two]);
        assert!(!out.text.contains("; one"), "{}", out.text);
        // Replaced twice in one edit: the comment stays.
        let dmarc = |p: &str| {
            let value = format!("v=DMARC1; p={p}");
            set(
                "_dmarc.example.",
                RType::TXT,
                &[&txt_from_value(value.as_bytes())],
            )
        };
        let out = edit(&[dmarc("quarantine"), dmarc("reject")]);
        assert!(
            out.text
                .contains("_dmarc TXT \"v=DMARC1; p=reject\" ; until the audit ends\n"),
            "{}",
            out.text
        );
    }

    /// A record written twice in the file is one record: a set that adds another to it is a
    /// change, not "no change"; the owner of an edit matches the file's in any case.
    #[test]
    fn set_counts_records_not_lines_and_owners_in_any_case() {
        let text = "$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n\
                    @ NS ns\nns A 192.0.2.53\nx A 192.0.2.1\nx A 192.0.2.1\n";
        let out = ok(text, "example.", "set x A 192.0.2.1\nset x A 192.0.2.2");
        assert!(out.text.contains("192.0.2.2"), "{}", out.text);
        let out = apply(text, "EXAMPLE.", "set _dmarc TXT \"v=DMARC1; p=none\"").unwrap();
        assert!(out.text.contains("_dmarc TXT"), "{}", out.text);
    }

    // -- The shipped zone ---------------------------------------------------------------

    /// Table: one batch each against zones/apple.example.zone, and the exact line diff.
    #[test]
    fn apple_zone_edits_change_only_their_lines() {
        let cases: &[(&str, &[&str])] = &[
            // A new owner goes at the end, relative, class IN, aligned with the last line.
            (
                "add _dmarc TXT \"v=DMARC1; p=none\"",
                &["+25 _dmarc      IN  TXT   \"v=DMARC1; p=none\""],
            ),
            // Absolute names work the same; a TTL other than $TTL is written.
            (
                "add _dmarc.apple.example. TXT 300 \"v=DMARC1; p=none\"",
                &["+25 _dmarc 300  IN  TXT   \"v=DMARC1; p=none\""],
            ),
            // A record of an existing RRset goes after the RRset, with a blank owner as the
            // file writes repeated owners.
            (
                "add @ TXT \"google-site-verification=abc\"",
                &["+16             IN  TXT   \"google-site-verification=abc\""],
            ),
            ("add ns A 192.0.2.54", &["+18             IN  A     192.0.2.54"]),
            // A new type at an existing owner goes after the owner's last record.
            (
                "add mail TXT \"hello\"",
                &["+21             IN  TXT   \"hello\""],
            ),
            // Deleting a blank-owner line removes just that line.
            ("del @ MX", &["-14             IN  MX    10 mail.apple.example."]),
            // Deleting a line whose owner the next line inherits writes the owner there.
            (
                "del ns A 192.0.2.53",
                &[
                    "-17 ns          IN  A     192.0.2.53",
                    "-18             IN  AAAA  2001:db8:a::53",
                    "+17 ns          IN  AAAA  2001:db8:a::53",
                ],
            ),
            // A whole owner.
            (
                "del receiver",
                &[
                    "-21 receiver    IN  A     192.0.2.26",
                    "-22             IN  AAAA  2001:db8:a::26",
                ],
            ),
            // Set replaces the RRset in place.
            (
                "set @ TXT \"v=spf1 mx -all\"",
                &[
                    "-15             IN  TXT   \"v=spf1 ip4:192.0.2.25 ip6:2001:db8:a::25 mx -all\"",
                    "+15             IN  TXT   \"v=spf1 mx -all\"",
                ],
            ),
            // Set of a new RRset at an existing owner.
            (
                "set sender MX 10 mail",
                &["+25             IN  MX    10 mail.apple.example."],
            ),
            // A batch: one serial bump for all of it.
            (
                "add _dmarc TXT \"v=DMARC1; p=none\"\ndel sender AAAA\nadd sender AAAA 2001:db8:a::28",
                &[
                    "-24             IN  AAAA  2001:db8:a::27",
                    "+24             IN  AAAA  2001:db8:a::28",
                    "+25 _dmarc      IN  TXT   \"v=DMARC1; p=none\"",
                ],
            ),
        ];
        for (batch, want) in cases {
            let out = ok(APPLE, "apple.example.", batch);
            assert_eq!((out.old_serial, out.new_serial), (2025103001, 2025103002));
            let mut full = vec![APPLE_SERIAL_OLD, APPLE_SERIAL_NEW];
            full.extend_from_slice(want);
            let got = diff(APPLE, &out.text);
            assert_eq!(got, full, "{batch}:\n{}", out.text);
        }
    }

    #[test]
    fn changes_list_old_and_new_records() {
        let out = ok(
            APPLE,
            "apple.example.",
            "set @ TXT \"v=spf1 mx -all\"\nadd _dmarc TXT \"v=DMARC1; p=none\"\ndel receiver AAAA",
        );
        let c = |old: Option<&str>, new: Option<&str>| Change {
            old: old.map(str::to_owned),
            new: new.map(str::to_owned),
        };
        assert_eq!(
            out.changes,
            [
                c(
                    Some("apple.example. 3600 IN TXT \"v=spf1 ip4:192.0.2.25 ip6:2001:db8:a::25 mx -all\""),
                    Some("apple.example. 3600 IN TXT \"v=spf1 mx -all\"")
                ),
                c(Some("receiver.apple.example. 3600 IN AAAA 2001:db8:a::26"), None),
                c(None, Some("_dmarc.apple.example. 3600 IN TXT \"v=DMARC1; p=none\"")),
            ]
        );
    }

    #[test]
    fn changes_pair_an_rrset_in_file_order_and_skip_what_stays() {
        let zone = "$ORIGIN example.\n$TTL 300\n\
            @ SOA ns hostmaster 1 7200 900 1209600 300\n@ NS ns\nns A 192.0.2.53\n\
            WWW A 192.0.2.1\nwww A 192.0.2.2\nwww A 192.0.2.3\n";
        let batch = "set www A 192.0.2.2\nset www A 192.0.2.9\nset www A 192.0.2.8";
        let out = ok(zone, "example.", batch);
        let a = |last: u8| Some(format!("www.example. 300 IN A 192.0.2.{last}"));
        let pairs: Vec<_> = out
            .changes
            .iter()
            .map(|c| (c.old.clone(), c.new.clone()))
            .collect();
        // 192.0.2.2 stays; the others pair up in the order they are written, the owner
        // written in capitals being the same name (and listed as written).
        let first = Some("WWW.example. 300 IN A 192.0.2.1".to_owned());
        assert_eq!(pairs, [(first, a(9)), (a(3), a(8))]);
    }

    /// Deleting any single record of the shipped zone, and adding one at every owner: the
    /// diff touches only that record's lines, the serial line and the line that gets pinned.
    #[test]
    fn apple_every_record_deleted_and_every_owner_added_to() {
        let origin = n("apple.example.");
        let entries = parse_zone_str(APPLE, Path::new("zone.db"), &origin).unwrap();
        for e in &entries {
            let rdata = rdata_to_text(e.rtype, e.rdata);
            let batch = format!("del {} {} {rdata}", e.owner, e.rtype);
            match apply(APPLE, "apple.example.", &batch) {
                Ok(out) => {
                    verify(APPLE, &out, &origin);
                    for line in diff(APPLE, &out.text) {
                        let (sign, rest) = line.split_at(1);
                        let num: usize = rest.split(' ').next().unwrap().parse().unwrap();
                        let allowed = num == 8
                            || (sign == "-" && (e.line..=e.end_line + 1).contains(&num))
                            || (sign == "+" && num == e.line);
                        assert!(allowed, "{batch}: unexpected {line}");
                    }
                }
                // The SOA and the apex NS cannot go.
                Err(EditError::Invalid { .. }) => {
                    assert!(matches!(e.rtype, RType::SOA | RType::NS), "{batch}")
                }
                Err(err) => panic!("{batch}: {err}"),
            }
            let batch = format!("add {} TXT \"new\"", e.owner);
            let out = ok(APPLE, "apple.example.", &batch);
            assert_eq!(diff(APPLE, &out.text).len(), 3, "{batch}");
        }
    }

    // -- The serial ------------------------------------------------------------------------

    const MULTILINE_SOA: &str = "\
; a zone whose SOA spans lines, with comments everywhere
$ORIGIN example.com.
$TTL 1h
@   IN  SOA  ns1.example.com.  hostmaster.example.com. ( ; the SOA
                SERIAL   ; serial: ( not a paren ) \"nor a quote
                2h       ; refresh
                15m      ; retry
                2w       ; expire
                5m )     ; negative TTL
    IN  NS   ns1
ns1 IN  A    192.0.2.1
";

    #[test]
    fn serial_changes_in_place_across_the_wrap() {
        let origin = n("example.com.");
        let cases: &[(u32, u32)] = &[
            (2025103001, 2025103002),
            (4294967295, 0),
            (4294967294, 4294967295),
            (0, 1),
            (9, 10),
            (2147483647, 2147483648),
            (1, 2147483648),
        ];
        for &(old, new) in cases {
            let text = MULTILINE_SOA.replace("SERIAL", &old.to_string());
            let set = set_serial(
                &text,
                Path::new("zone.db"),
                &origin,
                new,
                &mut refuse_includes,
            )
            .unwrap();
            let old_line = text.lines().nth(4).unwrap();
            let new_line = old_line.replacen(&old.to_string(), &new.to_string(), 1);
            assert_eq!(
                diff(&text, &set),
                [format!("-5 {old_line}"), format!("+5 {new_line}")],
                "{old} -> {new}"
            );

            // The same through an edit with the `increment` policy.
            if new == old.wrapping_add(1) {
                let out = apply_edits(
                    &text,
                    Path::new("zone.db"),
                    &origin,
                    &[op(&origin, "add www A 192.0.2.80")],
                    |s| next_serial(SerialPolicy::Increment, s, 0),
                    &mut refuse_includes,
                )
                .unwrap();
                assert_eq!((out.old_serial, out.new_serial), (old, new));
                verify(&text, &out, &origin);
                assert_eq!(
                    diff(&text, &out.text),
                    [
                        format!("-5 {old_line}"),
                        format!("+5 {new_line}"),
                        "+12 www IN  A    192.0.2.80".to_owned()
                    ]
                );
            }
        }
        // Unchanged serial: unchanged text.
        let text = MULTILINE_SOA.replace("SERIAL", "7");
        assert_eq!(
            set_serial(
                &text,
                Path::new("zone.db"),
                &origin,
                7,
                &mut refuse_includes
            )
            .unwrap(),
            text
        );
    }

    #[test]
    fn serial_on_the_soa_line() {
        let origin = n("example.com.");
        for (text, line) in [
            (
                "@ 3600 IN SOA ns1 hostmaster 4294967295 7200 900 1209600 300 ; one line\n@ NS ns1\nns1 A 192.0.2.1\n",
                "@ 3600 IN SOA ns1 hostmaster 0 7200 900 1209600 300 ; one line",
            ),
            (
                "@ IN SOA ns1 hostmaster ( 4294967295 ; serial\n 1 2 3 4 )\n@ NS ns1\nns1 A 192.0.2.1\n",
                "@ IN SOA ns1 hostmaster ( 0 ; serial",
            ),
        ] {
            let set = set_serial(text, Path::new("z"), &origin, 0, &mut refuse_includes).unwrap();
            assert_eq!(set.lines().next().unwrap(), line);
            assert_eq!(diff(text, &set).len(), 2);
        }
    }

    #[test]
    fn serial_refusals() {
        let origin = n("example.com.");
        // The policy must move forwards.
        let e = apply_edits(
            APPLE,
            Path::new("z"),
            &n("apple.example."),
            &[op(&n("apple.example."), "add x A 192.0.2.1")],
            |s| s,
            &mut refuse_includes,
        )
        .unwrap_err();
        assert_eq!(
            e,
            EditError::SerialNotGreater {
                old: 2025103001,
                new: 2025103001
            }
        );
        // Generic form: the serial cannot be rewritten where it stands, so the SOA is written
        // anew in its place, by a serial change alone or by an SOA given with a serial.
        let text = "@ SOA \\# 37 036e733100 0a686f73746d617374657200 00000001 00000002 00000003 00000004 00000005\n@ NS ns1\nns1 A 192.0.2.1\n";
        let anew = "@ SOA ns1. hostmaster. 2 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";
        let set = set_serial(text, Path::new("z"), &origin, 2, &mut refuse_includes).unwrap();
        assert_eq!(set, anew);
        let given = apply_edits(
            text,
            Path::new("z"),
            &origin,
            &[op(&origin, "set @ SOA ns1. hostmaster. 9 2 3 4 5")],
            |_| 2,
            &mut refuse_includes,
        )
        .unwrap();
        assert_eq!((given.text.as_str(), given.new_serial), (anew, 2));
        // No SOA.
        let e = set_serial(
            "ns1 A 192.0.2.1\n",
            Path::new("z"),
            &origin,
            2,
            &mut refuse_includes,
        )
        .unwrap_err();
        assert_eq!(e, EditError::NoSoa { origin });
    }

    fn op(origin: &Name, line: &str) -> EditOp {
        parse_batch(line, origin).unwrap().remove(0)
    }

    // -- Layout rules ----------------------------------------------------------------------

    const ORIGINS: &str = "\
$ORIGIN example.com.
$TTL 300
@ SOA ns1 hostmaster 1 7200 900 1209600 300
  NS ns1
ns1 A 192.0.2.1
www A 192.0.2.2
$ORIGIN lab.example.com.
; the lab
host1 A 192.0.2.10
host2 A 192.0.2.11
gw.example.com. A 192.0.2.1
      AAAA 2001:db8::1
$ORIGIN example.com.
mail A 192.0.2.25
";

    #[test]
    fn origin_changes_mid_file() {
        let cases: &[(&str, &[&str])] = &[
            // Written relative to the $ORIGIN in effect where it goes.
            (
                "add host1.lab AAAA 2001:db8::10",
                &["+10       AAAA 2001:db8::10"],
            ),
            ("add host2.lab TXT \"b\"", &["+11       TXT \"b\""]),
            // At the end, the last $ORIGIN applies.
            ("add x.lab A 192.0.2.99", &["+15 x.lab A 192.0.2.99"]),
            ("add new A 192.0.2.98", &["+15 new  A 192.0.2.98"]),
            (
                "del host2.lab\nadd www.lab AAAA 2001:db8::1\nset ns1 A 192.0.2.5",
                &[
                    "-5 ns1 A 192.0.2.1",
                    "+5 ns1 A 192.0.2.5",
                    "-10 host2 A 192.0.2.11",
                    "+14 www.lab AAAA 2001:db8::1",
                ],
            ),
            // A name outside the origin in effect is written absolute.
            (
                "del gw A",
                &[
                    "-11 gw.example.com. A 192.0.2.1",
                    "-12       AAAA 2001:db8::1",
                    "+11 gw.example.com. AAAA 2001:db8::1",
                ],
            ),
            ("add gw TXT \"t\"", &["+13       TXT  \"t\""]),
            // A deleted first record under a $ORIGIN: the next line has its own owner.
            ("del host1.lab", &["-9 host1 A 192.0.2.10"]),
        ];
        for (batch, want) in cases {
            let out = ok(ORIGINS, "example.com.", batch);
            let mut full = vec![
                "-3 @ SOA ns1 hostmaster 1 7200 900 1209600 300",
                "+3 @ SOA ns1 hostmaster 2 7200 900 1209600 300",
            ];
            full.extend_from_slice(want);
            assert_eq!(diff(ORIGINS, &out.text), full, "{batch}:\n{}", out.text);
        }
    }

    const PARENS: &str = "\
$ORIGIN example.com.
$TTL 3600
@       IN  SOA ns1 hostmaster 1 7200 900 1209600 300
        IN  NS  ns1
ns1     IN  A   192.0.2.1
mail    IN  TXT ( \"part one\"   ; the first part
                  \"part two\" ) ; the second
        IN  A   192.0.2.25
        IN  MX  10 mail ; self
";

    #[test]
    fn records_in_parentheses_and_inherited_owners() {
        let cases: &[(&str, &[&str])] = &[
            // The record's two lines go, and the next line gets the owner it inherited.
            (
                "del mail TXT",
                &[
                    "-6 mail    IN  TXT ( \"part one\"   ; the first part",
                    "-7                   \"part two\" ) ; the second",
                    "-8         IN  A   192.0.2.25",
                    "+6 mail    IN  A   192.0.2.25",
                ],
            ),
            // Adding after a multi-line record goes after its last line.
            (
                "add mail TXT \"three\"",
                &["+8         IN  TXT   \"three\""],
            ),
            // Set where the first old record was, the owner written: the next line inherits it.
            (
                "set mail TXT \"one\" \"two\"",
                &[
                    "-6 mail    IN  TXT ( \"part one\"   ; the first part",
                    "-7                   \"part two\" ) ; the second",
                    "+6 mail    IN  TXT \"one\" \"two\" ; the first part ; the second",
                ],
            ),
            // Deleting a middle blank-owner line.
            ("del mail A", &["-8         IN  A   192.0.2.25"]),
            // Deleting the apex's second line, then its first: nothing to pin.
            ("del mail MX", &["-9         IN  MX  10 mail ; self"]),
        ];
        for (batch, want) in cases {
            let out = ok(PARENS, "example.com.", batch);
            let mut full = vec![
                "-3 @       IN  SOA ns1 hostmaster 1 7200 900 1209600 300",
                "+3 @       IN  SOA ns1 hostmaster 2 7200 900 1209600 300",
            ];
            full.extend_from_slice(want);
            assert_eq!(diff(PARENS, &out.text), full, "{batch}:\n{}", out.text);
        }
    }

    /// No `$TTL`: records without a TTL take the previous record's, so edits around them pin
    /// their TTL.
    const NO_DOLLAR_TTL: &str = "\
@ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300
       IN NS ns1
ns1    IN A 192.0.2.1
www 300 IN A 192.0.2.2
        IN A 192.0.2.3
other   IN A 192.0.2.4
";

    #[test]
    fn inherited_ttls_are_pinned() {
        let cases: &[(&str, &[&str])] = &[
            // The next line inherited owner and TTL from the deleted one.
            (
                "del www A 192.0.2.2",
                &[
                    "-4 www 300 IN A 192.0.2.2",
                    "-5         IN A 192.0.2.3",
                    "+4 www     300 IN A 192.0.2.3",
                ],
            ),
            // A new record with another TTL before a line that inherits its TTL.
            (
                "add www TXT 60 \"t\"",
                &[
                    "-6 other   IN A 192.0.2.4",
                    "+6         60 IN TXT \"t\"",
                    "+7 other   300 IN A 192.0.2.4",
                ],
            ),
            // TTL left out: the RRset's, else the one the line inherits (no TTL written).
            ("add ns1 A 192.0.2.9", &["+4        IN A 192.0.2.9"]),
            ("add ns1 TXT \"x\"", &["+4        IN TXT \"x\""]),
            ("add other TXT 60 \"x\"", &["+7         60 IN TXT \"x\""]),
            // Deleting what `other` inherited from: it keeps 300.
            (
                "del www",
                &[
                    "-4 www 300 IN A 192.0.2.2",
                    "-5         IN A 192.0.2.3",
                    "-6 other   IN A 192.0.2.4",
                    "+4 other   300 IN A 192.0.2.4",
                ],
            ),
        ];
        for (batch, want) in cases {
            let out = ok(NO_DOLLAR_TTL, "example.com.", batch);
            let mut full = vec![
                "-1 @ 3600 IN SOA ns1 hostmaster 1 7200 900 1209600 300",
                "+1 @ 3600 IN SOA ns1 hostmaster 2 7200 900 1209600 300",
            ];
            full.extend_from_slice(want);
            assert_eq!(
                diff(NO_DOLLAR_TTL, &out.text),
                full,
                "{batch}:\n{}",
                out.text
            );
        }
    }

    #[test]
    fn absolute_style_tabs_and_crlf() {
        // Absolute owners, no class, tabs: new lines follow.
        let text = "example.com.\t3600\tSOA\tns1.example.com. h.example.com. 1 2 3 4 5\nexample.com.\t3600\tNS\tns1.example.com.\nns1.example.com.\t3600\tA\t192.0.2.1\n";
        let out = ok(
            text,
            "example.com.",
            "add www A 192.0.2.2\nadd ns1 AAAA 2001:db8::1",
        );
        assert_eq!(
            diff(text, &out.text)[2..],
            [
                "+4 ns1.example.com.\t\tAAAA\t2001:db8::1",
                "+5 www.example.com.\t\tA\t192.0.2.2",
            ]
        );
        // (3600 is the TTL the lines get without one, so none is written.)

        // CRLF line endings are kept, and a file without a final newline gets one before an
        // appended line.
        let text = "@ SOA ns1 h 1 2 3 4 5\r\n@ NS ns1\r\nns1 A 192.0.2.1";
        let out = ok(text, "example.com.", "add www A 192.0.2.2");
        assert_eq!(
            out.text,
            "@ SOA ns1 h 2 2 3 4 5\r\n@ NS ns1\r\nns1 A 192.0.2.1\r\nwww A 192.0.2.2\r\n"
        );
    }

    // -- Includes, refusals, no-ops -------------------------------------------------------

    /// Regression: without `$TTL`, an included file's first records take the TTL of the record
    /// before the `$INCLUDE`; an edit that changes it is refused with the reason.
    #[test]
    fn ttl_inherited_by_an_included_file() {
        let origin = n("example.com.");
        let main = "@ 3600 IN SOA ns1 h 1 2 3 4 5\n       IN NS ns1\nns1    IN A 192.0.2.1\n$INCLUDE hosts.inc\n";
        let mut load = |_: &Path| -> io::Result<String> { Ok("h1 A 192.0.2.10\n".into()) };
        let mut run = |batch: &str| {
            apply_edits(
                main,
                Path::new("/z/main.zone"),
                &origin,
                &parse_batch(batch, &origin).unwrap(),
                |s| s + 1,
                &mut load,
            )
        };
        assert_eq!(
            run("add ns1 TXT 60 \"x\"").unwrap_err(),
            EditError::IncludeTtlChanged {
                file: PathBuf::from("/z/hosts.inc"),
                line: 1
            }
        );
        // The same TTL is fine.
        let out = run("add ns1 TXT \"x\"").unwrap();
        assert_eq!(out.changes.len(), 1);
    }

    #[test]
    fn included_records_cannot_be_edited() {
        let origin = n("example.com.");
        let main = "$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\n$INCLUDE hosts.inc\nns1 A 192.0.2.1\nwww A 192.0.2.80\n";
        let mut load = |p: &Path| -> io::Result<String> {
            assert_eq!(p, Path::new("/zones/hosts.inc"));
            Ok("h1 A 192.0.2.10\nh2 A 192.0.2.11\n".into())
        };
        let run = |batch: &str, load: &mut dyn FnMut(&Path) -> io::Result<String>| {
            apply_edits(
                main,
                Path::new("/zones/main.zone"),
                &origin,
                &parse_batch(batch, &origin).unwrap(),
                |s| s + 1,
                load,
            )
        };
        for batch in [
            "del h2",
            "del h2 A",
            "del h2 A 192.0.2.11",
            "set h2 A 192.0.2.99",
        ] {
            assert_eq!(
                run(batch, &mut load).unwrap_err(),
                EditError::InIncludedFile {
                    file: PathBuf::from("/zones/hosts.inc"),
                    line: 2,
                    record: "h2.example.com. 300 IN A 192.0.2.11".into()
                },
                "{batch}"
            );
        }
        // Adding next to included records is an edit of the main file; an identical one is a
        // no-op; the serial and the main file's records can be edited.
        let out = run(
            "add h2 AAAA 2001:db8::11\nadd h1 A 192.0.2.10\ndel www A",
            &mut load,
        )
        .unwrap();
        assert_eq!(
            diff(main, &out.text),
            [
                "-2 @ SOA ns1 h 1 2 3 4 5",
                "+2 @ SOA ns1 h 2 2 3 4 5",
                "-6 www A 192.0.2.80",
                "+6 h2  AAAA 2001:db8::11",
            ]
        );
        // A set that keeps the included record adds to the main file; one that changes its
        // TTL would change it, and is refused.
        let out = run("set h2 A 192.0.2.11\nset h2 A 192.0.2.12", &mut load).unwrap();
        assert_eq!(
            diff(main, &out.text),
            [
                "-2 @ SOA ns1 h 1 2 3 4 5",
                "+2 @ SOA ns1 h 2 2 3 4 5",
                "+7 h2  A 192.0.2.12",
            ]
        );
        let e = run("set h2 A 600 192.0.2.11", &mut load).unwrap_err();
        assert!(
            matches!(e, EditError::InIncludedFile { line: 2, .. }),
            "{e}"
        );
        // An RRset whose records have other TTLs in the two files: the included one that
        // stays, with its TTL, is no reason to refuse; the main file's is rewritten.
        let mixed = format!("{main}h2 120 A 192.0.2.12\n");
        let out = apply_edits(
            &mixed,
            Path::new("/zones/main.zone"),
            &origin,
            &parse_batch("set h2 A 300 192.0.2.11\nset h2 A 300 192.0.2.13", &origin).unwrap(),
            |s| s + 1,
            &mut load,
        )
        .unwrap();
        assert!(
            out.text.contains("192.0.2.13") && !out.text.contains("192.0.2.12"),
            "{}",
            out.text
        );
        // The checks see the included records: a CNAME next to one is refused.
        let e = run("add h1 CNAME www", &mut load).unwrap_err();
        assert!(matches!(e, EditError::Invalid { .. }), "{e}");
        // An SOA in an included file: its serial cannot be changed here.
        let main = "$INCLUDE soa.inc
@ NS ns1
ns1 A 192.0.2.1
";
        let mut load = |_: &Path| -> io::Result<String> { Ok("@ SOA ns1 h 1 2 3 4 5\n".into()) };
        let e = set_serial(main, Path::new("/z/main.zone"), &origin, 2, &mut load).unwrap_err();
        assert!(
            matches!(&e, EditError::InIncludedFile { file, line: 1, .. } if file == Path::new("/z/soa.inc")),
            "{e}"
        );
    }

    #[test]
    fn refusals_change_nothing() {
        let apple = n("apple.example.");
        type Check = fn(&EditError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("del www", |e| matches!(e, EditError::NotFound { .. })),
            ("del ns TXT", |e| matches!(e, EditError::NotFound { .. })),
            ("del ns A 192.0.2.99", |e| {
                e.to_string()
                    == "nothing to delete: the zone has no record `ns.apple.example. A 192.0.2.99`; \
                        `zonectl record show` lists what it has"
            }),
            // All or nothing: the first op was fine.
            ("add _dmarc TXT \"v=DMARC1; p=none\"\ndel nothing", |e| {
                matches!(e, EditError::NotFound { .. })
            }),
            // The checks: no apex NS left, CNAME next to other data, an NS target without
            // an address.
            ("del @ NS", |e| matches!(e, EditError::Invalid { .. })),
            (
                "add mail CNAME receiver",
                |e| matches!(e, EditError::Invalid { findings } if findings.iter().any(|f| f.message.contains("CNAME"))),
            ),
            ("del ns A\ndel ns AAAA", |e| {
                matches!(e, EditError::Invalid { .. })
            }),
            ("del @ SOA", |e| matches!(e, EditError::Invalid { .. })),
            ("add mail A 300 192.0.2.99", |e| {
                matches!(
                    e,
                    EditError::TtlMismatch {
                        ttl: 300,
                        rrset_ttl: 3600,
                        ..
                    }
                )
            }),
        ];
        for (batch, check) in cases {
            let e = apply(APPLE, "apple.example.", batch).unwrap_err();
            assert!(check(&e), "{batch}: {e}");
        }
        // A file that does not parse.
        let e = apply(
            "@ SOA ns1 h 1 2 3 4 5\nwww A 192.0.2.300\n",
            "example.com.",
            "del www",
        )
        .unwrap_err();
        assert!(matches!(&e, EditError::Parse(p) if p.line == 2), "{e}");
        // The check's message lists the findings.
        let e = apply(APPLE, "apple.example.", "del @ NS").unwrap_err();
        assert!(e.to_string().contains("\n  zone.db: error: "), "{e}");
        let _ = apple;
    }

    #[test]
    fn no_ops_return_the_text_unchanged() {
        for batch in [
            "add mail A 192.0.2.25",
            "add MAIL.apple.example. A 192.0.2.25",
            "set mail A 192.0.2.25",
            "set @ NS ns",
            "add x A 192.0.2.1\ndel x A 192.0.2.1",
            "del mail AAAA\nadd mail AAAA 2001:db8:a::25",
        ] {
            let origin = n("apple.example.");
            let out = apply_edits(
                APPLE,
                Path::new("zone.db"),
                &origin,
                &parse_batch(batch, &origin).unwrap(),
                |_| panic!("no serial for a no-op"),
                &mut refuse_includes,
            )
            .unwrap();
            assert_eq!(out.text, APPLE, "{batch}");
            assert!(out.changes.is_empty(), "{batch}");
            assert_eq!((out.old_serial, out.new_serial), (2025103001, 2025103001));
        }
        // A TTL change is a change.
        let out = ok(APPLE, "apple.example.", "set mail A 300 192.0.2.25");
        assert_eq!(
            diff(APPLE, &out.text)[2..],
            [
                "-19 mail        IN  A     192.0.2.25",
                "+19 mail 300    IN  A     192.0.2.25",
            ]
        );
    }

    #[test]
    fn replacing_the_soa_with_its_serial_keeps_the_serial_policy() {
        let out = ok(
            APPLE,
            "apple.example.",
            "set @ SOA ns.apple.example. hostmaster.apple.example. 2025103001 7200 900 1209600 300",
        );
        assert_eq!(out.new_serial, 2025103002);
        assert_eq!(
            out.changes,
            [Change {
                old: Some("apple.example. 3600 IN SOA ns.apple.example. hostmaster.apple.example. 2025103001 3600 900 1209600 300".into()),
                new: Some("apple.example. 3600 IN SOA ns.apple.example. hostmaster.apple.example. 2025103002 7200 900 1209600 300".into()),
            }]
        );
        // The SOA stays where and as it was written, on its six lines with their comments:
        // only the fields that changed are rewritten.
        assert_eq!(
            diff(APPLE, &out.text),
            [
                "-8                       2025103001 ; serial (YYYYMMDDnn)",
                "-9                       3600       ; refresh",
                "+8                       2025103002 ; serial (YYYYMMDDnn)",
                "+9                       7200       ; refresh",
            ]
        );
    }

    #[test]
    fn a_replaced_soa_keeps_its_layout_unless_its_ttl_changes() {
        // Names are written as the file writes owners; fields written with units stay as they
        // are unless their value changes.
        let text = "$ORIGIN example.\n$TTL 1h\n@ SOA ns hostmaster ( 1 1h 15m 2w 5m ) ; the SOA\n\
                    @ NS ns\nns A 192.0.2.1\nns2 A 192.0.2.2\n";
        let out = ok(
            text,
            "example.",
            "set @ SOA ns2.example. hostmaster.example. 1 3600 900 1209600 600",
        );
        assert_eq!(
            diff(text, &out.text),
            [
                "-3 @ SOA ns hostmaster ( 1 1h 15m 2w 5m ) ; the SOA",
                "+3 @ SOA ns2 hostmaster ( 2 1h 15m 2w 600 ) ; the SOA",
            ]
        );
        // The owner written in another case is the same owner.
        let upper = text.replace("@ SOA", "EXAMPLE. SOA");
        let out = ok(
            &upper,
            "example.",
            "set @ SOA ns.example. hostmaster.example. 1 3600 900 1209600 600",
        );
        assert_eq!(
            diff(&upper, &out.text),
            [
                "-3 EXAMPLE. SOA ns hostmaster ( 1 1h 15m 2w 5m ) ; the SOA",
                "+3 EXAMPLE. SOA ns hostmaster ( 2 1h 15m 2w 600 ) ; the SOA",
            ]
        );
        // Two SOAs given in one edit (or written together): the last, still in place.
        let out = ok(
            text,
            "example.",
            "set @ SOA ns.example. hostmaster.example. 1 7200 900 1209600 300\n\
             add x A 192.0.2.8\n\
             set @ SOA ns.example. hostmaster.example. 1 7200 900 1209600 600",
        );
        assert_eq!(
            diff(text, &out.text),
            [
                "-3 @ SOA ns hostmaster ( 1 1h 15m 2w 5m ) ; the SOA",
                "+3 @ SOA ns hostmaster ( 2 7200 15m 2w 600 ) ; the SOA",
                "+7 x   A 192.0.2.8",
            ]
        );
        // A new TTL needs a TTL token the record may not have: the SOA is written anew, with
        // its comment.
        let out = ok(
            text,
            "example.",
            "set @ SOA 60 ns.example. hostmaster.example. 1 3600 900 1209600 300",
        );
        assert_eq!(
            diff(text, &out.text),
            [
                "-3 @ SOA ns hostmaster ( 1 1h 15m 2w 5m ) ; the SOA",
                "+3 @ 60 SOA ns.example. hostmaster.example. 2 3600 900 1209600 300 ; the SOA",
            ]
        );
    }

    // -- TXT splitting ---------------------------------------------------------------------

    #[test]
    fn long_txt_values_are_split_at_255_bytes() {
        let origin = n("apple.example.");
        let key = format!("v=DKIM1; k=rsa; p={}", "A".repeat(392));
        assert_eq!(key.len(), 410);
        let args = |words: &[&str]| words.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        let op = op_from_args("add", &args(&["sel._domainkey", "TXT", &key]), &origin).unwrap();
        let EditOp::Add { rdata, .. } = &op else {
            panic!("{op:?}")
        };
        let strings = crate::zone::rdata::txt_strings(rdata).unwrap();
        assert_eq!(
            strings.iter().map(|s| s.len()).collect::<Vec<_>>(),
            [255, 155]
        );
        let out = apply_edits(
            APPLE,
            Path::new("zone.db"),
            &origin,
            &[op],
            |s| s + 1,
            &mut refuse_includes,
        )
        .unwrap();
        verify(APPLE, &out, &origin);
        let want = format!(
            "+25 sel._domainkey IN TXT \"{}\" \"{}\"",
            &key[..255],
            &key[255..]
        );
        assert_eq!(diff(APPLE, &out.text)[2..], [want]);

        // The same from a batch line, quoted, with a TTL.
        let ops = parse_batch(&format!("add sel._domainkey TXT 1h \"{key}\""), &origin).unwrap();
        assert_eq!(
            ops,
            [EditOp::Add {
                owner: n("sel._domainkey.apple.example."),
                rtype: RType::TXT,
                ttl: Some(3600),
                rdata: txt_from_value(key.as_bytes()),
            }]
        );
    }

    // -- Words to ops ----------------------------------------------------------------------

    #[test]
    fn op_from_args_rules() {
        let origin = n("apple.example.");
        let add = |owner: &str, rtype: RType, ttl: Option<u32>, rdata: &str| EditOp::Add {
            owner: n(owner),
            rtype,
            ttl,
            rdata: rdata_from_text(rtype, &parse::tokenize_rdata(rdata).unwrap(), &origin).unwrap(),
        };
        let cases: Vec<(&str, &[&str], EditOp)> = vec![
            // The TTL rule.
            (
                "add",
                &["www", "A", "300", "192.0.2.1"],
                add("www.apple.example.", RType::A, Some(300), "192.0.2.1"),
            ),
            (
                "add",
                &["www", "A", "192.0.2.1"],
                add("www.apple.example.", RType::A, None, "192.0.2.1"),
            ),
            (
                "add",
                &["@", "MX", "10", "mail"],
                add("apple.example.", RType::MX, None, "10 mail"),
            ),
            (
                "add",
                &["@", "MX", "1h", "10", "mail"],
                add("apple.example.", RType::MX, Some(3600), "10 mail"),
            ),
            (
                "add",
                &["@", "MX", "10 mail.apple.example."],
                add("apple.example.", RType::MX, None, "10 mail"),
            ),
            (
                "add",
                &["t", "TXT", "300"],
                add("t.apple.example.", RType::TXT, None, "\"300\""),
            ),
            (
                "add",
                &["t", "TXT", "300", "x"],
                add("t.apple.example.", RType::TXT, Some(300), "x"),
            ),
            // TXT words are strings as they are; a leading quote means zone-file syntax.
            (
                "add",
                &["_dmarc", "TXT", "v=DMARC1; p=none"],
                add(
                    "_dmarc.apple.example.",
                    RType::TXT,
                    None,
                    "\"v=DMARC1; p=none\"",
                ),
            ),
            (
                "add",
                &["t", "txt", "a \"b\" \\c"],
                add("t.apple.example.", RType::TXT, None, r#""a \"b\" \\c""#),
            ),
            (
                "add",
                &["t", "TXT", "\"one\" \"two\""],
                add("t.apple.example.", RType::TXT, None, "one two"),
            ),
            // CAA value with a semicolon: quoted inside.
            (
                "add",
                &["@", "CAA", "0", "issue", "\"ca.example; account=1\""],
                add(
                    "apple.example.",
                    RType::CAA,
                    None,
                    "0 issue \"ca.example; account=1\"",
                ),
            ),
            // Absolute names.
            (
                "add",
                &["www.apple.example.", "A", "192.0.2.1"],
                add("www.apple.example.", RType::A, None, "192.0.2.1"),
            ),
            (
                "set",
                &["www", "AAAA", "60", "2001:db8::1"],
                EditOp::Set {
                    owner: n("www.apple.example."),
                    rtype: RType::AAAA,
                    ttl: Some(60),
                    rdatas: vec![vec![
                        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
                    ]],
                },
            ),
            (
                "del",
                &["www"],
                EditOp::Del {
                    owner: n("www.apple.example."),
                    rtype: None,
                    rdata: None,
                },
            ),
            (
                "del",
                &["www", "A"],
                EditOp::Del {
                    owner: n("www.apple.example."),
                    rtype: Some(RType::A),
                    rdata: None,
                },
            ),
            (
                "del",
                &["www", "A", "192.0.2.1"],
                EditOp::Del {
                    owner: n("www.apple.example."),
                    rtype: Some(RType::A),
                    rdata: Some(vec![192, 0, 2, 1]),
                },
            ),
        ];
        for (verb, words, want) in cases {
            let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let got =
                op_from_args(verb, &args, &origin).unwrap_or_else(|e| panic!("{words:?}: {e}"));
            assert_eq!(got, want, "{verb} {words:?}");
        }

        let errors: &[(&str, &[&str], &str)] = &[
            ("add", &["www", "A"], "missing RDATA for A: write `add NAME TYPE [TTL] RDATA…`"),
            ("add", &["www"], "missing TYPE: write `add NAME TYPE [TTL] RDATA…`"),
            ("add", &[], "missing NAME: write `add NAME TYPE [TTL] RDATA…`"),
            ("put", &["www"], "unknown verb 'put': use add, set or del"),
            ("add", &["www", "BOGUS", "1"], "unknown record type 'BOGUS'"),
            ("add", &["www", "A", "192.0.2.300"], "A: "),
            // A TTL too large is said to be one, not read as RDATA.
            ("add", &["www", "A", "2147483648", "192.0.2.1"], "TTL \"2147483648\" is larger than the maximum 2147483647"),
            ("set", &["@", "MX", "4294967296", "10", "mail"], "TTL \"4294967296\" is larger than the maximum"),
            ("add", &["www", "A", "2147483648"], "A: "),
            ("add", &["www.apple.example", "A", "192.0.2.1"], "'www.apple.example' has no trailing dot, so it is relative to the zone and means www.apple.example.apple.example.; write 'www' or the absolute 'www.apple.example.'"),
            ("add", &["apple.example", "A", "192.0.2.1"], "write '@' or"),
            ("add", &["www.orange.example.", "A", "192.0.2.1"], "www.orange.example. is not in the zone apple.example."),
            ("del", &["a..b"], "bad name 'a..b'"),
        ];
        for (verb, words, want) in errors {
            let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let e = op_from_args(verb, &args, &origin).unwrap_err();
            assert!(matches!(e, EditError::BadArgs(_)), "{e:?}");
            assert!(e.to_string().contains(want), "{words:?}: {e}");
        }
    }

    #[test]
    fn batches() {
        let origin = n("apple.example.");
        let text = "\
; a DMARC rollout
# with both comment styles

add _dmarc TXT \"v=DMARC1; p=none\"   ; trailing comment
SET www A 192.0.2.1
set www A 300 192.0.2.2
set WWW.apple.example. A 192.0.2.3
  del  old
del mail AAAA 2001:db8:a::25
";
        let ops = parse_batch(text, &origin).unwrap();
        assert_eq!(
            ops,
            [
                EditOp::Add {
                    owner: n("_dmarc.apple.example."),
                    rtype: RType::TXT,
                    ttl: None,
                    rdata: txt_from_value(b"v=DMARC1; p=none"),
                },
                EditOp::Set {
                    owner: n("www.apple.example."),
                    rtype: RType::A,
                    ttl: Some(300),
                    rdatas: vec![vec![192, 0, 2, 1], vec![192, 0, 2, 2], vec![192, 0, 2, 3]],
                },
                EditOp::Del {
                    owner: n("old.apple.example."),
                    rtype: None,
                    rdata: None
                },
                EditOp::Del {
                    owner: n("mail.apple.example."),
                    rtype: Some(RType::AAAA),
                    rdata: Some(vec![
                        0x20, 0x01, 0x0d, 0xb8, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25
                    ]),
                },
            ]
        );
        for (text, line, want) in [
            (
                "add a A 192.0.2.1\n\nfrob a A\n",
                3,
                "line 3: unknown verb 'frob'",
            ),
            (
                "add a TXT \"open\n",
                1,
                "line 1: quoted string is not closed",
            ),
            (
                "set a A 60 192.0.2.1\nset a A 120 192.0.2.2\n",
                2,
                "line 2: TTL 120 differs from TTL 60",
            ),
            (
                "\"add\" a A 192.0.2.1\n",
                1,
                "line 1: \"add\" is not a verb",
            ),
            ("add \"a\" A 192.0.2.1\n", 1, "must not be quoted"),
        ] {
            let e = parse_batch(text, &origin).unwrap_err();
            assert!(
                matches!(&e, EditError::Batch { line: l, .. } if *l == line),
                "{e}"
            );
            assert!(e.to_string().contains(want), "{e}");
        }
        assert_eq!(parse_batch("; nothing\n\n", &origin).unwrap(), []);
    }

    /// `cargo test --release --lib zone::edit::tests::million_records -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark: run in release mode"]
    fn million_records() {
        use std::fmt::Write;
        let mut text = String::from("$TTL 3600\n@ IN SOA ns1 hostmaster 1 7200 900 1209600 300\n  IN NS ns1\nns1 IN A 192.0.2.1\n");
        for i in 0..1_000_000 {
            writeln!(text, "h{i:06} IN A 192.0.2.1").unwrap();
        }
        let origin = n("example.com.");
        let ops = parse_batch("add _dmarc TXT \"v=DMARC1; p=none\"\ndel h500000", &origin).unwrap();
        let start = std::time::Instant::now();
        let out = apply_edits(
            &text,
            Path::new("z"),
            &origin,
            &ops,
            |s| s + 1,
            &mut refuse_includes,
        )
        .unwrap();
        println!(
            "edited {} MB in {:?}",
            text.len() / 1_000_000,
            start.elapsed()
        );
        assert_eq!(out.changes.len(), 2);
    }

    /// Writes the outputs of some edits for `kzonecheck` and `named-checkzone`:
    /// `ZONECTL_EDIT_OUT=/tmp/edit-out cargo test --lib zone::edit::tests::interop -- --ignored`
    #[test]
    #[ignore = "writes files for a manual interop check"]
    fn interop() {
        let Some(dir) = std::env::var_os("ZONECTL_EDIT_OUT") else {
            return;
        };
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).unwrap();
        let key = format!("v=DKIM1; k=rsa; p={}", "A".repeat(392));
        let outputs = [
            ("apple-dmarc", APPLE, "apple.example.", "add _dmarc TXT \"v=DMARC1; p=none; rua=mailto:d@apple.example\"\nset @ TXT \"v=spf1 mx -all\"\ndel ns A".to_owned()),
            ("apple-dkim", APPLE, "apple.example.", format!("add sel._domainkey TXT \"{key}\"\nset @ SOA ns hostmaster 1 7200 900 1209600 300")),
            ("origins", ORIGINS, "example.com.", "del host2.lab\nadd www.lab AAAA 2001:db8::1\nadd x.lab A 192.0.2.99\nadd host1.lab TXT \"t\"".to_owned()),
            ("parens", PARENS, "example.com.", "del mail TXT\nadd mail TXT 60 \"x\"".to_owned()),
            ("ttls", NO_DOLLAR_TTL, "example.com.", "del www A 192.0.2.2\nadd www TXT 60 \"t\"".to_owned()),
        ];
        for (file, text, origin, batch) in outputs {
            let out = ok(text, origin, &batch);
            std::fs::write(dir.join(format!("{file}.zone")), &out.text).unwrap();
            println!("{origin} {}", dir.join(format!("{file}.zone")).display());
        }
    }
}
