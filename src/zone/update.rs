//! Edits applied to a loaded [`Zone`] in memory: the fast half of the live edit path.
//!
//! The server applies an edit here, to the zone it serves, and answers with the new data at
//! once; the zone file is rewritten afterwards by [`super::edit::apply_edits`] from the ops this
//! returns (see `server::manager`). So both halves must agree, record for record:
//! - The ops keep [`EditOp`]'s meaning (add is a no-op for a record already there, set replaces
//!   an RRset and is a no-op when it is already exactly that, del of nothing is an error).
//! - A missing TTL is resolved here (the RRset's TTL, else the zone's default), and the returned
//!   [`Update::ops`] carry it, so the file gets exactly the TTL that is served.
//! - The new zone is checked by [`check_entries`] on the part of the zone an edit can affect:
//!   the apex, each changed name with its ancestors (occlusion, DNAME) and the in-zone targets of
//!   the NS, MX and SRV records among them (with the wildcard at a target's closest encloser,
//!   which gives it its address), the names the mail-policy checks of a changed name read
//!   ([`names_read_with`]: MTA-STS's policy host, BIMI's DMARC record) and the names whose
//!   checks read a changed name ([`names_reading`]: the MTA-STS record of a policy host, the BIMI
//!   records of a DMARC record), the records whose targets now answer otherwise (an MX, SRV or
//!   NS record or an SPF include or redirect naming a name that gained or lost its existence,
//!   address, CNAME or SPF record, itself or through the wildcard answering for it), and the
//!   descendants of a name that gains or loses a DNAME or NS. Every check that makes a zone
//!   unservable is about such a neighbourhood, so an edit the server accepts is one the file
//!   check accepts.
//! - The warnings returned are the edit's: those on names whose records it changed, and those
//!   on the neighbourhood that the old zone, checked on the same names, did not have. A
//!   property test holds them to the whole file's: every warning the edit gives, the file has,
//!   and every one the file gains, the edit gives.
//!
//! Cost: proportional to the change, not the zone — except when a name gains or loses a DNAME
//! or NS, or a DMARC record changes where BIMI records are, which scan the zone's names once to
//! find descendants (0.14–0.21 s for a whole edit on a zone of 1M names, under 10 ms on 10k,
//! release build). A name that loses its last record stays if it has a child, which the
//! zone's count of each name's children and its overlay tell (5–7 ms for the edit on 1M
//! names, against 111–147 ms when it scanned). When a name is added or deleted or gains or
//! loses an address, CNAME or SPF record, the records naming it are looked for among the
//! names that may name others ([`Zone::namers`]: those with NS, MX or SRV records or a TXT
//! record that may be SPF, kept with the zone), each of which is then checked (0.6 s for an
//! edit that leaves 50k SPF records without their include's SPF record). A change of other
//! records at a name that stays (a DMARC or DKIM record, a TXT, an MX) looks at none.
//!
//! Pure: no filesystem, no clock.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::check::{
    check_part, names_read_by_txt, names_read_with, names_reading, without_line_refs, Finding,
};
use super::edit::{next_serial, serial_asked, Change, EditError, EditOp};
use super::name::{self, Name};
use super::parse::{Entries, Entry};
use super::rdata::{rdata_to_text, RType};
use super::{Node, RRset, Soa, Zone};

/// A record that lives in an `$INCLUDE`d file. Edits never change those (the file zonectl
/// rewrites is the main one), as [`super::edit::apply_edits`] refuses too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludedRecord {
    /// Lower-cased owner.
    pub owner: Name,
    pub rtype: RType,
    pub ttl: u32,
    pub rdata: Box<[u8]>,
    pub file: PathBuf,
    pub line: usize,
}

/// What an update needs to know about the zone beyond its records.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The zone's main file, named in findings.
    pub file: &'a Path,
    /// TTL of a new RRset when the op gives none.
    pub default_ttl: u32,
    /// Records of `$INCLUDE`d files.
    pub included: &'a [IncludedRecord],
}

/// The result of [`update`].
#[derive(Debug, Clone)]
pub struct Update {
    /// The zone after the edit (the old one, shared, for a no-op).
    pub zone: Zone,
    /// The records changed (the serial is not listed), empty for a no-op.
    pub changes: Vec<Change>,
    pub old_serial: u32,
    /// Equal to `old_serial` for a no-op.
    pub new_serial: u32,
    /// The ops with every TTL explicit: applying them to the file's text gives this zone. Empty
    /// for a no-op.
    pub ops: Vec<EditOp>,
    /// Warnings of the checks about the changed names.
    pub warnings: Vec<Finding>,
    /// The names whose records may have changed (lower-cased; the apex for the serial).
    pub touched: Vec<Name>,
}

/// A condition an edit is made under, as RFC 2136 §3.2's value-dependent prerequisites: the
/// RRset `owner`/`rtype` holds exactly `rdatas`, in any order (none: the name has no such
/// RRset). A command that reads records, changes them and writes them back (`dmarc set`
/// merging tags into the record it read) states what it read, so that an edit made in between
/// is refused rather than overwritten.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub owner: Name,
    pub rtype: RType,
    pub rdatas: Vec<Vec<u8>>,
}

impl Expected {
    /// What `zone` holds at `owner`/`rtype` now, as the condition that it still does.
    pub fn current(zone: &Zone, owner: &Name, rtype: RType) -> Expected {
        let rdatas = zone
            .node(owner.to_lowercase().as_wire())
            .and_then(|n| n.get(rtype))
            .map(|set| set.rdatas().iter().map(<[u8]>::to_vec).collect())
            .unwrap_or_default();
        Expected {
            owner: owner.clone(),
            rtype,
            rdatas,
        }
    }

    /// Does `zone` hold exactly these records there?
    pub fn holds(&self, zone: &Zone) -> bool {
        let mut now = Expected::current(zone, &self.owner, self.rtype).rdatas;
        let mut expected = self.rdatas.clone();
        now.sort_unstable();
        expected.sort_unstable();
        expected.dedup();
        now == expected
    }
}

/// Refuses an edit whose conditions `zone` does not meet ([`EditError::Changed`], naming the
/// first).
pub fn check_expected(zone: &Zone, expected: &[Expected]) -> Result<(), EditError> {
    match expected.iter().find(|e| !e.holds(zone)) {
        Some(e) => Err(EditError::Changed {
            owner: e.owner.clone(),
            rtype: e.rtype,
        }),
        None => Ok(()),
    }
}

/// Does `zone` hold what the transactions `txns`, made in this order, did, as a file written
/// after all of them does? Their ops are applied to it in order (a `del` that finds nothing
/// counting as done, an SOA taken with the zone's serial): it holds them if that changes
/// nothing. So a transaction undone by a later one (add X, then delete X), or one that deletes
/// an RRset and adds it back as it is, is held; a file that lost any of their records is not.
/// Tells journaled transactions already written into the zone file from ones it lacks.
pub fn holds_all(zone: &Zone, txns: &[&[EditOp]], cx: &Context<'_>) -> bool {
    let serial = zone.serial().unwrap_or(0);
    let mut work = Work::new(zone);
    for op in txns.iter().flat_map(|ops| ops.iter()) {
        let op = with_soa_serial(op, zone.origin(), serial);
        match work.apply(&op, cx) {
            Ok(_) => {}
            Err(EditError::NotFound { .. }) if matches!(op, EditOp::Del { .. }) => {}
            Err(_) => return false,
        }
    }
    work.changes().is_empty()
}

/// `op`, with the serial of any SOA it writes at the apex `origin` set to `serial`.
fn with_soa_serial(op: &EditOp, origin: &Name, serial: u32) -> EditOp {
    let mut op = op.clone();
    let rdatas: Vec<&mut Vec<u8>> = match &mut op {
        EditOp::Add {
            owner,
            rtype: RType::SOA,
            rdata,
            ..
        } if owner.eq_ignore_case(origin) => vec![rdata],
        EditOp::Set {
            owner,
            rtype: RType::SOA,
            rdatas,
            ..
        } if owner.eq_ignore_case(origin) => rdatas.iter_mut().collect(),
        _ => Vec::new(),
    };
    for rdata in rdatas {
        Soa::set_serial(rdata, serial);
    }
    op
}

/// Applies `ops` in order, all or nothing, then sets the serial to the one an SOA in the ops
/// asks for, else `new_serial(old)`, which must be greater under RFC 1982
/// ([`super::edit::next_serial`]). A no-op (nothing changed, no serial asked for)
/// returns the zone as it is and does not call `new_serial`.
pub fn update(
    zone: &Zone,
    ops: &[EditOp],
    cx: &Context<'_>,
    new_serial: impl FnOnce(u32) -> u32,
) -> Result<Update, EditError> {
    let old_serial = zone.serial().ok_or_else(|| EditError::NoSoa {
        origin: zone.origin().clone(),
    })?;
    let mut work = Work::new(zone);
    let mut resolved = Vec::with_capacity(ops.len());
    for op in ops {
        resolved.push(work.apply(op, cx)?);
    }
    let changes = work.changes();
    if changes.is_empty() && serial_asked(ops, zone.origin(), old_serial).is_none() {
        return Ok(Update {
            zone: zone.clone(),
            changes,
            old_serial,
            new_serial: old_serial,
            ops: Vec::new(),
            warnings: Vec::new(),
            touched: Vec::new(),
        });
    }
    let serial = next_serial(ops, zone.origin(), old_serial, new_serial)?;
    work.set_serial(serial);
    work.prune();
    let warnings = work.check(cx)?;
    // Listed after the serial is set, so a replaced SOA shows its new serial.
    let changes = work.changes();
    let touched = work.before.iter().map(|(name, _)| name.clone()).collect();
    Ok(Update {
        zone: work.finish(),
        changes,
        old_serial,
        new_serial: serial,
        ops: resolved,
        warnings,
        touched,
    })
}

/// The zone with its SOA serial set to `serial` and nothing else changed (`serial bump` and
/// `serial set`; the caller decides whether the value is acceptable).
pub fn set_serial(zone: &Zone, serial: u32) -> Result<Zone, EditError> {
    if zone.serial().is_none() {
        return Err(EditError::NoSoa {
            origin: zone.origin().clone(),
        });
    }
    let mut work = Work::new(zone);
    work.set_serial(serial);
    Ok(work.finish())
}

/// An update in progress: copies of the nodes it touched.
struct Work<'z> {
    zone: &'z Zone,
    /// Touched names (lower-cased) → the node as edited (`None`: no such name).
    nodes: FxHashMap<Name, Option<Node>>,
    /// Touched names, in the order first touched, with their node before the update.
    before: Vec<(Name, Option<Node>)>,
}

impl<'z> Work<'z> {
    fn new(zone: &'z Zone) -> Work<'z> {
        Work {
            zone,
            nodes: FxHashMap::default(),
            before: Vec::new(),
        }
    }

    /// The node at `name` (lower-cased) as edited so far.
    fn current(&self, name: &Name) -> Option<&Node> {
        match self.nodes.get(name) {
            Some(node) => node.as_ref(),
            None => self.zone.node(name.as_wire()),
        }
    }

    /// The wildcard that gives `target` its records when it has none of its own: `*.` its
    /// closest encloser (RFC 4592 §3.3.1), the nearest ancestor that exists (empty non-terminals
    /// included). It goes into the checked neighbourhood with its parent, the closest encloser,
    /// so the check finds the same one; a wildcard above it does not apply, and is not added.
    /// `node` gives the zone looked at: as edited, or as it was.
    fn covering_wildcard<'n>(
        target: &Name,
        apex_len: usize,
        node: impl Fn(&Name) -> Option<&'n Node>,
    ) -> Option<Name> {
        if node(target).is_some() {
            return None;
        }
        let encloser = name::wire_ancestors(target.as_wire(), apex_len)
            .find(|a| node(&Name::from_lowercase_wire(a)).is_some())?;
        let wildcard = Name::from_wire(&[b"\x01*".as_slice(), encloser].concat()).ok()?;
        node(&wildcard).is_some().then_some(wildcard)
    }

    /// The node at `name` (lower-cased) for changing, copied from the zone on first touch.
    fn touch(&mut self, name: &Name) -> &mut Option<Node> {
        if !self.nodes.contains_key(name) {
            let node = self.zone.node(name.as_wire()).cloned();
            self.before.push((name.clone(), node.clone()));
            self.nodes.insert(name.clone(), node);
        }
        self.nodes.get_mut(name).expect("inserted above")
    }

    /// The node at `name` for adding records: created, with the empty non-terminals between it
    /// and the closest existing ancestor, if it does not exist.
    fn node_for_add(&mut self, name: &Name) -> &mut Node {
        if self.current(name).is_none() {
            let apex_len = self.zone.origin().wire_len();
            for parent in name::wire_ancestors(name.as_wire(), apex_len) {
                let parent = Name::from_lowercase_wire(parent);
                if self.current(&parent).is_some() {
                    break;
                }
                *self.touch(&parent) = Some(Node::default());
            }
        }
        self.touch(name).get_or_insert_with(Node::default)
    }

    fn refuse_included(
        &self,
        owner: &Name,
        matches: impl Fn(&IncludedRecord) -> bool,
        cx: &Context<'_>,
    ) -> Result<(), EditError> {
        match cx.included.iter().find(|r| r.owner == *owner && matches(r)) {
            Some(r) => Err(EditError::InIncludedFile {
                file: r.file.clone(),
                line: r.line,
                record: presentation(&r.owner, r.rtype, r.ttl, &r.rdata),
            }),
            None => Ok(()),
        }
    }

    /// Applies one op; returns it with its TTL resolved.
    fn apply(&mut self, op: &EditOp, cx: &Context<'_>) -> Result<EditOp, EditError> {
        let origin = self.zone.origin();
        let owner = match op {
            EditOp::Add { owner, .. } | EditOp::Set { owner, .. } | EditOp::Del { owner, .. } => {
                owner
            }
        };
        if !owner.is_subdomain_of(origin) {
            return Err(EditError::BadArgs(format!(
                "{owner} is not in the zone {origin}: write a name relative to the zone, or an \
                 absolute name ending in .{origin}"
            )));
        }
        let lower = owner.to_lowercase();
        match op {
            EditOp::Add {
                owner,
                rtype,
                ttl,
                rdata,
            } => {
                let rtype = *rtype;
                let existing = self.current(&lower).and_then(|n| n.get(rtype));
                let rrset_ttl = existing.map(|s| s.ttl);
                let resolved = |ttl: u32| EditOp::Add {
                    owner: owner.clone(),
                    rtype,
                    ttl: Some(ttl),
                    rdata: rdata.clone(),
                };
                if let Some(set) = existing {
                    if set.contains(rdata) {
                        return Ok(resolved(set.ttl));
                    }
                }
                let ttl = match (*ttl, rrset_ttl) {
                    (Some(ttl), Some(rrset_ttl)) if ttl != rrset_ttl => {
                        return Err(EditError::TtlMismatch {
                            owner: owner.clone(),
                            rtype,
                            ttl,
                            rrset_ttl,
                        })
                    }
                    (Some(ttl), _) | (None, Some(ttl)) => ttl,
                    (None, None) => cx.default_ttl,
                };
                self.node_for_add(&lower).update(|sets| {
                    match sets.iter_mut().find(|s| s.rtype == rtype) {
                        Some(set) => set.push(rdata),
                        None => sets.push(RRset::new(rtype, ttl, [rdata])),
                    }
                });
                Ok(resolved(ttl))
            }
            EditOp::Set {
                owner,
                rtype,
                ttl,
                rdatas,
            } => {
                let rtype = *rtype;
                let mut unique: Vec<&[u8]> = Vec::with_capacity(rdatas.len());
                for rdata in rdatas {
                    if !unique.contains(&rdata.as_slice()) {
                        unique.push(rdata);
                    }
                }
                if unique.is_empty() {
                    return Err(EditError::BadArgs(format!(
                        "`set {owner} {rtype}` needs at least one record; use `del` to delete an \
                         RRset"
                    )));
                }
                let old = self.current(&lower).and_then(|n| n.get(rtype));
                let ttl = ttl.or_else(|| old.map(|s| s.ttl)).unwrap_or(cx.default_ttl);
                // As the file edit: records of an included file that stay are no reason to
                // refuse (a new TTL changes them all).
                self.refuse_included(
                    &lower,
                    |r| r.rtype == rtype && (r.ttl != ttl || !unique.contains(&&r.rdata[..])),
                    cx,
                )?;
                let resolved = EditOp::Set {
                    owner: owner.clone(),
                    rtype,
                    ttl: Some(ttl),
                    rdatas: unique.iter().map(|d| d.to_vec()).collect(),
                };
                let unchanged = old.is_some_and(|s| {
                    s.ttl == ttl
                        && s.len() == unique.len()
                        && s.rdatas().iter().all(|d| unique.contains(&d))
                });
                if unchanged {
                    return Ok(resolved);
                }
                // In the order the file edit writes them: with the TTL kept, the records that
                // stay where they were and the new ones where the first one gone was, else
                // after them.
                let ordered: Vec<Vec<u8>> = match old.filter(|s| s.ttl == ttl) {
                    Some(old) => {
                        let was: Vec<&[u8]> = old.rdatas().iter().collect();
                        let mut added: Vec<&[u8]> = unique
                            .iter()
                            .copied()
                            .filter(|d| !was.contains(d))
                            .collect();
                        let mut ordered = Vec::with_capacity(unique.len());
                        for d in was {
                            if unique.contains(&d) {
                                ordered.push(d);
                            } else {
                                ordered.append(&mut added);
                            }
                        }
                        ordered.append(&mut added);
                        ordered.into_iter().map(<[u8]>::to_vec).collect()
                    }
                    None => unique.iter().map(|d| d.to_vec()).collect(),
                };
                let set = RRset::new(rtype, ttl, &ordered);
                self.node_for_add(&lower).update(|sets| {
                    match sets.iter_mut().find(|s| s.rtype == rtype) {
                        Some(old) => *old = set,
                        None => sets.push(set),
                    }
                });
                Ok(resolved)
            }
            EditOp::Del {
                owner,
                rtype,
                rdata,
            } => {
                let (rtype, rdata) = (*rtype, rdata.as_deref());
                let matches = |t: RType, d: &[u8]| {
                    rtype.is_none_or(|want| want == t) && rdata.is_none_or(|want| want == d)
                };
                self.refuse_included(&lower, |r| matches(r.rtype, &r.rdata), cx)?;
                let found = self.current(&lower).is_some_and(|n| {
                    n.rrsets()
                        .any(|s| s.rdatas().iter().any(|d| matches(s.rtype, d)))
                });
                if !found {
                    let what = match (rtype, rdata) {
                        (None, _) => format!("records at {owner}"),
                        (Some(t), None) => format!("{t} records at {owner}"),
                        (Some(t), Some(d)) => {
                            format!("record {owner} {t} {}", rdata_to_text(t, d))
                        }
                    };
                    return Err(EditError::NotFound { what });
                }
                let node = self
                    .touch(&lower)
                    .as_mut()
                    .expect("a node with a matching record exists");
                node.update(|sets| {
                    for set in sets {
                        let rtype = set.rtype;
                        set.retain(|d| !matches(rtype, d));
                    }
                });
                Ok(op.clone())
            }
        }
    }

    /// Writes `serial` into the apex SOA (if the zone still has one: the checks refuse a zone
    /// without).
    fn set_serial(&mut self, serial: u32) {
        let origin = self.zone.origin().clone();
        if self
            .current(&origin)
            .and_then(|n| n.get(RType::SOA))
            .is_none()
        {
            return;
        }
        let apex = self.touch(&origin).as_mut().expect("the apex exists");
        apex.update(|sets| {
            let soa = sets
                .iter_mut()
                .find(|s| s.rtype == RType::SOA)
                .expect("checked above");
            soa.map(|rdata| {
                let mut rdata = rdata.to_vec();
                Soa::set_serial(&mut rdata, serial);
                rdata
            });
        });
    }

    /// Does any name strictly below `name` exist (as edited)? Every name between an owner and
    /// the apex has a node, so one does if and only if a child of `name` does: the children
    /// the zone's base counts, less those the zone's overlay or this edit removed, plus those
    /// they added (the overlay is a small part of the zone: no scan of every name).
    fn has_descendant(&self, name: &Name) -> bool {
        let base = &self.zone.base;
        let mut children = i64::from(self.zone.base_children.get(name).copied().unwrap_or(0));
        let changed = self
            .zone
            .overlay
            .keys()
            .filter(|n| !self.nodes.contains_key(*n));
        let is_child =
            |n: &Name| !n.is_root() && name::suffix_wire_at(n.as_wire(), 1) == name.as_wire();
        for n in changed.chain(self.nodes.keys()) {
            if is_child(n) {
                let (was, is) = (base.contains_key(n), self.current(n).is_some());
                children += i64::from(is) - i64::from(was);
            }
        }
        children > 0
    }

    /// Every existing name strictly below `name` (as edited).
    fn descendants(&self, name: &Name) -> Vec<Name> {
        self.current_nodes()
            .filter(|(n, _)| *n != name && is_below(n, name))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Every name of the zone as edited, with its node: the touched ones, then the others.
    fn current_nodes(&self) -> impl Iterator<Item = (&Name, &Node)> {
        self.with_touched(self.zone.nodes())
    }

    /// The touched names that exist as edited, with their nodes, then those of `untouched`
    /// (names of the zone as it was, with their nodes) that the edit did not touch.
    fn with_touched<'a>(
        &'a self,
        untouched: impl Iterator<Item = (&'a Name, &'a Node)>,
    ) -> impl Iterator<Item = (&'a Name, &'a Node)> {
        let touched = self
            .nodes
            .iter()
            .filter_map(|(n, node)| node.as_ref().map(|node| (n, node)));
        touched.chain(untouched.filter(|(n, _)| !self.nodes.contains_key(*n)))
    }

    /// The touched names that gained or lost a delegation (NS below the apex) or a DNAME.
    fn recut(&self) -> Vec<&Name> {
        let origin = self.zone.origin();
        self.before
            .iter()
            .filter(|(n, before)| {
                is_cut(origin, n, before.as_ref()) != is_cut(origin, n, self.current(n))
            })
            .map(|(n, _)| n)
            .collect()
    }

    /// Removes names left without records and without descendants, and then the empty
    /// non-terminals above them that no longer lead anywhere. The apex stays.
    fn prune(&mut self) {
        let origin = self.zone.origin().clone();
        let emptied: Vec<Name> = self
            .nodes
            .iter()
            .filter(|(n, node)| **n != origin && node.as_ref().is_some_and(Node::is_empty))
            .map(|(n, _)| n.clone())
            .collect();
        for name in emptied {
            let mut at = name;
            while at != origin
                && self.current(&at).is_some_and(Node::is_empty)
                && !self.has_descendant(&at)
            {
                *self.touch(&at) = None;
                at = at.parent().expect("a name below the apex has a parent");
            }
        }
    }

    /// Checks the neighbourhood of the change (see the module docs); errors refuse the edit.
    /// Returns the warnings about the change: those on names whose records it changed, and
    /// those it brought about elsewhere in the neighbourhood (found on the new zone and not on
    /// the old one, such as an MX whose target lost its address, or a BIMI record whose DMARC
    /// record left enforcement). Warnings the zone already had elsewhere are not repeated, but
    /// for those every edit gives ([`Finding::every_edit`]: a signed zone's).
    fn check(&self, cx: &Context<'_>) -> Result<Vec<Finding>, EditError> {
        let origin = self.zone.origin();
        // The names checked, each once, in the order met.
        let mut names: Vec<Name> = Vec::new();
        let mut seen: FxHashSet<Name> = FxHashSet::default();
        let mut push = |n: Name| {
            if seen.insert(n.clone()) {
                names.push(n);
            }
        };
        // The names whose warnings can be the edit's: the others only give the checks what
        // they read (a target, a wildcard, an ancestor), and their own records may need names
        // not looked at here to be judged.
        let mut subjects: FxHashSet<Name> = FxHashSet::default();
        push(origin.clone());
        subjects.insert(origin.clone());
        let changed: Vec<&Name> = self.before.iter().map(|(n, _)| n).collect();
        // Each changed name and its ancestors: judged, as their records may point below
        // themselves at a changed name (a delegation's glue, an MX to a name under its owner).
        for n in &changed {
            let mut at = (*n).clone();
            loop {
                push(at.clone());
                subjects.insert(at.clone());
                if at == *origin {
                    break;
                }
                at = at.parent().expect("a name below the apex has a parent");
            }
        }
        // What the mail-policy checks of a changed name read elsewhere (MTA-STS's policy host,
        // BIMI's DMARC record), and the names whose checks read a changed name.
        for n in &changed {
            for other in names_read_with(n) {
                push(other);
            }
            let readers = names_reading(n);
            let mut reading = readers.names;
            if let Some(top) = readers.below {
                if self.current(&top).is_some() || self.zone.node(top.as_wire()).is_some() {
                    reading.extend(self.descendants(&top));
                }
            }
            for other in reading {
                subjects.insert(other.clone());
                push(other);
            }
        }
        // Below a name that gained a DNAME or NS records are occluded; below one that lost its
        // last, they are served again and judged for the first time.
        let recut = self.recut();
        for cut in &recut {
            for d in self.descendants(cut) {
                subjects.insert(d.clone());
                push(d);
            }
        }
        // The records whose targets now answer otherwise are judged again: their owners join
        // the neighbourhood, with their targets, and with their ancestors (a delegation or
        // DNAME above one occludes it).
        for n in &self.referrers(&recut) {
            subjects.insert(n.clone());
            for a in name::wire_ancestors(n.as_wire(), origin.wire_len()) {
                push(Name::from_lowercase_wire(a));
            }
            push(n.clone());
        }
        // Targets of NS, MX and SRV records, and of SPF includes and redirects, at every name
        // judged, before and after (the old zone is checked on the same names).
        let apex_len = origin.wire_len();
        // (Every name judged: their targets are what their checks read.)
        let mut sources: Vec<&Name> = subjects.iter().collect();
        sources.sort_unstable_by(|a, b| a.as_wire().cmp(b.as_wire()));
        for n in &sources {
            let nodes = [self.current(n), self.zone.node(n.as_wire())];
            for node in nodes.into_iter().flatten() {
                for set in node.rrsets() {
                    for rdata in set.rdatas() {
                        let targets = match set.rtype {
                            RType::TXT => names_read_by_txt(rdata),
                            rtype => target(rtype, rdata)
                                .map(|t| t.to_lowercase())
                                .into_iter()
                                .collect(),
                        };
                        for t in targets.into_iter().filter(|t| t.is_subdomain_of(origin)) {
                            // Its ancestors (a delegation or DNAME above it makes it not this
                            // zone's to judge), and the wildcard answering for it in the zone as
                            // edited and as it was.
                            for a in name::wire_ancestors(t.as_wire(), apex_len) {
                                push(Name::from_lowercase_wire(a));
                            }
                            let now = Self::covering_wildcard(&t, apex_len, |n| self.current(n));
                            let was = Self::covering_wildcard(&t, apex_len, |n| {
                                self.zone.node(n.as_wire())
                            });
                            for w in now.into_iter().chain(was) {
                                push(w);
                            }
                            push(t);
                        }
                    }
                }
            }
        }
        let (errors, new_warnings): (Vec<Finding>, Vec<Finding>) = self
            .findings(&names, cx, |n| self.current(n))
            .into_iter()
            .partition(Finding::is_error);
        if !errors.is_empty() {
            return Err(EditError::Invalid { findings: errors });
        }
        let before = self.findings(&names, cx, |n| self.zone.node(n.as_wire()));
        let before: FxHashSet<&str> = before.iter().map(|f| f.message.as_str()).collect();
        let edited: FxHashSet<Name> = self.edited().into_iter().cloned().collect();
        Ok(new_warnings
            .into_iter()
            .filter(|f| match &f.owner {
                None => !before.contains(f.message.as_str()),
                Some(owner) => {
                    let owner = owner.to_lowercase();
                    subjects.contains(&owner)
                        && (edited.contains(&owner)
                            || !before.contains(f.message.as_str())
                            || f.every_edit)
                }
            })
            .collect())
    }

    /// The owners (in the zone as edited) of the records whose checks read a name that now
    /// answers otherwise: an MX, SRV or NS record whose target, or an SPF record whose
    /// `include:` or `redirect=` target, gained or lost its address, CNAME, SPF record or
    /// existence, itself or through the wildcard that answers for it, or that is at or below a
    /// name that gained or lost a delegation or DNAME. Looks at the names whose
    /// records may name others ([`Zone::namers`], kept with the zone), and only when a touched
    /// name changed in one of those ways (added or deleted, an address, CNAME or SPF record
    /// added or removed): not for an edit of other records at names that stay.
    ///
    /// `recut`: the touched names that gained or lost a delegation or DNAME ([`Work::recut`]);
    /// the checks skip the targets at or below one, so every target there answers otherwise.
    fn referrers(&self, recut: &[&Name]) -> Vec<Name> {
        let origin = self.zone.origin();
        if recut.is_empty()
            && self
                .before
                .iter()
                .all(|(n, before)| Target::of(before.as_ref()) == Target::of(self.current(n)))
        {
            return Vec::new();
        }
        let apex_len = origin.wire_len();
        let mut answers: FxHashMap<Name, bool> = FxHashMap::default();
        let mut changed = |t: Name| -> bool {
            if !t.is_subdomain_of(origin) {
                return false;
            }
            if recut.iter().any(|c| t.is_subdomain_of(c)) {
                return true;
            }
            *answers.entry(t).or_insert_with_key(|t| {
                let now = Target::answer(t, apex_len, |n| self.current(n));
                let was = Target::answer(t, apex_len, |n| self.zone.node(n.as_wire()));
                now != was
            })
        };
        let mut found = Vec::new();
        // The zone's names whose records may name others, as edited.
        let namers = self
            .zone
            .namers()
            .filter_map(|n| self.zone.node(n.as_wire()).map(|node| (n, node)));
        for (owner, node) in self.with_touched(namers) {
            let refers = node.rrsets().any(|set| match set.rtype {
                RType::TXT => set
                    .rdatas()
                    .into_iter()
                    .any(|rdata| names_read_by_txt(rdata).into_iter().any(&mut changed)),
                RType::MX | RType::SRV | RType::NS => set.rdatas().into_iter().any(|rdata| {
                    target(set.rtype, rdata).is_some_and(|t| changed(t.to_lowercase()))
                }),
                _ => false,
            });
            if refers {
                found.push(owner.clone());
            }
        }
        // In a stable order (the zone's map has none), so the warnings come in one.
        found.sort_unstable_by(|a, b| a.as_wire().cmp(b.as_wire()));
        found
    }

    /// The findings of the checks on the records at `names`, each name's node given by `node`
    /// (the zone as edited, or as it was). The entries are synthesized, so no line is named.
    fn findings<'n>(
        &self,
        names: &'n [Name],
        cx: &Context<'_>,
        node: impl Fn(&Name) -> Option<&'n Node>,
    ) -> Vec<Finding>
    where
        'z: 'n,
    {
        let mut entries = Entries::default();
        let mut empty = Vec::new();
        for n in names {
            let Some(node) = node(n) else {
                continue;
            };
            if node.is_empty() {
                empty.push(n.clone());
            }
            for set in node.rrsets() {
                for rdata in set.rdatas() {
                    entries.push(Entry {
                        file: cx.file,
                        line: 0,
                        end_line: 0,
                        owner: n,
                        ttl: set.ttl,
                        rtype: set.rtype,
                        rdata,
                    });
                }
            }
        }
        let mut findings = check_part(self.zone.origin(), &entries, &empty);
        for f in &mut findings {
            f.file = Some(cx.file.to_path_buf());
            f.line = None;
            f.message = without_line_refs(&f.message);
        }
        findings
    }

    /// The touched names whose records changed, other than by the apex's SOA serial: the
    /// serial changes with every edit, and is no reason to repeat the apex's warnings.
    fn edited(&self) -> Vec<&Name> {
        fn records(node: Option<&Node>) -> Vec<(RType, u32, Vec<&[u8]>)> {
            let mut sets: Vec<_> = node
                .into_iter()
                .flat_map(Node::rrsets)
                .filter(|s| s.rtype != RType::SOA)
                .map(|s| {
                    let mut rdatas: Vec<&[u8]> = s.rdatas().into_iter().collect();
                    rdatas.sort_unstable();
                    (s.rtype, s.ttl, rdatas)
                })
                .collect();
            sets.sort();
            sets
        }
        self.before
            .iter()
            .filter(|(n, before)| records(before.as_ref()) != records(self.current(n)))
            .map(|(n, _)| n)
            .collect()
    }

    /// Old → new records of the touched names.
    fn changes(&self) -> Vec<Change> {
        let mut changes = Vec::new();
        let mut added_all = Vec::new();
        for (name, before) in &self.before {
            let after = self.nodes.get(name).and_then(Option::as_ref);
            let old = records(name, before.as_ref());
            let new = records(name, after);
            let mut added: Vec<Option<&RecRef>> = new
                .iter()
                .filter(|r| !old.iter().any(|o| o.key() == r.key()))
                .map(Some)
                .collect();
            for r in old
                .iter()
                .filter(|o| !new.iter().any(|n| n.key() == o.key()))
            {
                let pair = added
                    .iter_mut()
                    .find(|a| a.is_some_and(|a| a.rtype == r.rtype))
                    .and_then(Option::take);
                changes.push(Change {
                    old: Some(r.presentation()),
                    new: pair.map(RecRef::presentation),
                });
            }
            added_all.extend(added.into_iter().flatten().map(|r| Change {
                old: None,
                new: Some(r.presentation()),
            }));
        }
        changes.extend(added_all);
        changes
    }

    /// The new zone: the old base, the old overlay and the touched nodes.
    fn finish(self) -> Zone {
        let mut overlay = self.zone.overlay.clone();
        let mut record_count = self.zone.record_count as isize;
        for (name, before) in self.before {
            let after = self.nodes.get(&name).cloned().flatten();
            record_count += count(after.as_ref()) as isize - count(before.as_ref()) as isize;
            if after.is_none() && !self.zone.base.contains_key(&name) {
                overlay.remove(&name);
            } else {
                overlay.insert(name, after.map(Arc::new));
            }
        }
        Zone {
            origin: self.zone.origin.clone(),
            base: self.zone.base.clone(),
            base_namers: self.zone.base_namers.clone(),
            base_children: self.zone.base_children.clone(),
            overlay,
            record_count: record_count.max(0) as usize,
            history: self.zone.history.clone(),
        }
    }
}

/// Is `name` a subdomain of `ancestor` (both lower-cased)? A byte-suffix test first, as the
/// descendant scans run over every name of the zone.
fn is_below(name: &Name, ancestor: &Name) -> bool {
    name.as_wire().ends_with(ancestor.as_wire())
        && name::wire_is_subdomain(name.as_wire(), ancestor.as_wire())
}

/// The target name of an NS, MX or SRV record.
fn target(rtype: RType, rdata: &[u8]) -> Option<Name> {
    let offset = match rtype {
        RType::NS => 0,
        RType::MX => 2,
        RType::SRV => 6,
        _ => return None,
    };
    let wire = rdata.get(offset..)?;
    let len = name::wire_name_len(wire)?;
    Name::from_wire(&wire[..len]).ok()
}

/// Does the node at `n` make a delegation (NS below the apex `origin`) or hold a DNAME: either
/// way, the names below it are not this zone's to answer?
fn is_cut(origin: &Name, n: &Name, node: Option<&Node>) -> bool {
    node.is_some_and(|node| {
        node.get(RType::DNAME).is_some() || (n != origin && node.get(RType::NS).is_some())
    })
}

/// What the checks of a record naming a name read there: whether it exists (an empty
/// non-terminal apart), and whether it has an address, a CNAME or an SPF record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    exists: bool,
    empty: bool,
    address: bool,
    cname: bool,
    spf: bool,
}

impl Target {
    /// A node's own records.
    fn of(node: Option<&Node>) -> Target {
        let has = |rtype| node.is_some_and(|n| n.get(rtype).is_some());
        Target {
            exists: node.is_some(),
            empty: node.is_some_and(Node::is_empty),
            address: has(RType::A) || has(RType::AAAA),
            cname: has(RType::CNAME),
            spf: node.and_then(|n| n.get(RType::TXT)).is_some_and(|set| {
                set.rdatas().into_iter().any(|rdata| {
                    super::rdata::txt_strings(rdata)
                        .is_some_and(|s| crate::spf::record::is_spf(&s.concat()))
                })
            }),
        }
    }

    /// What answers at `target` in the zone `node` gives: its own node, else the wildcard
    /// answering for it.
    fn answer<'n>(
        target: &Name,
        apex_len: usize,
        node: impl Fn(&Name) -> Option<&'n Node> + Copy,
    ) -> Target {
        match node(target) {
            Some(n) => Target::of(Some(n)),
            None => match Work::covering_wildcard(target, apex_len, node) {
                Some(w) => Target {
                    exists: false,
                    ..Target::of(node(&w))
                },
                None => Target::of(None),
            },
        }
    }
}

fn count(node: Option<&Node>) -> usize {
    node.map_or(0, Node::record_count)
}

/// One record, read in place: for the change lists of an update here and of a file edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RecRef<'a> {
    pub(super) owner: &'a Name,
    pub(super) rtype: RType,
    pub(super) ttl: u32,
    pub(super) rdata: &'a [u8],
}

impl<'a> From<Entry<'a>> for RecRef<'a> {
    fn from(e: Entry<'a>) -> RecRef<'a> {
        RecRef {
            owner: e.owner,
            rtype: e.rtype,
            ttl: e.ttl,
            rdata: e.rdata,
        }
    }
}

impl RecRef<'_> {
    /// Is this the record (owner case-insensitively, type, RDATA wire bytes)?
    pub(super) fn is(&self, owner: &Name, rtype: RType, rdata: &[u8]) -> bool {
        self.rtype == rtype && self.rdata == rdata && self.owner.eq_ignore_case(owner)
    }

    pub(super) fn in_rrset(&self, owner: &Name, rtype: RType) -> bool {
        self.rtype == rtype && self.owner.eq_ignore_case(owner)
    }

    /// The RDATA, with an SOA's serial blanked: what identifies a record in a change list, so
    /// that a serial change alone is not listed.
    pub(super) fn rdata_without_serial(&self) -> Vec<u8> {
        let mut rdata = self.rdata.to_vec();
        if self.rtype == RType::SOA {
            Soa::set_serial(&mut rdata, 0);
        }
        rdata
    }

    /// `name TTL IN TYPE rdata`, as `record show` and zone files write it.
    pub(super) fn presentation(&self) -> String {
        presentation(self.owner, self.rtype, self.ttl, self.rdata)
    }

    /// What identifies a record of one name in the change list.
    fn key(&self) -> (RType, u32, Vec<u8>) {
        (self.rtype, self.ttl, self.rdata_without_serial())
    }
}

fn records<'a>(owner: &'a Name, node: Option<&'a Node>) -> Vec<RecRef<'a>> {
    node.into_iter()
        .flat_map(Node::rrsets)
        .flat_map(|s| {
            s.rdatas().iter().map(move |d| RecRef {
                owner,
                rtype: s.rtype,
                ttl: s.ttl,
                rdata: d,
            })
        })
        .collect()
}

/// `name TTL IN TYPE rdata`, as `record show` and the file edits print records.
fn presentation(owner: &Name, rtype: RType, ttl: u32, rdata: &[u8]) -> String {
    format!("{owner} {ttl} IN {rtype} {}", rdata_to_text(rtype, rdata))
}

#[cfg(test)]
mod tests;
