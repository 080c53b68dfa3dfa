//! The differences between successive versions of a zone, kept so that a secondary holding an
//! older version is sent what changed (an incremental transfer, RFC 1995) instead of the whole
//! zone.
//!
//! Each version a zone is served in carries its [`History`]: the differences that lead to it
//! from earlier serials, oldest first. A new version's history is the old one's with one more
//! [`Diff`], found by comparing the two versions ([`History::after`]): at the names an edit
//! touched, or at every name (a file loaded again). No difference is kept from a serial whose
//! records the history cannot vouch for: the serial a zone was loaded with fresh, and every
//! serial at or below one that was served with other records (a change that kept or lowered
//! the serial). The history is bounded ([`History::limit`]). A secondary at a serial it holds
//! no difference from gets the whole zone, as it would from a server that keeps no history.
//! A history is saved when the server stops and taken back when it starts, for the version it
//! ends at only ([`save`], [`restore`]).

mod saved;

use std::sync::Arc;

pub use saved::{decode as restore, digest, encode as save, Key, Unused};

use super::serial::{serial_gt, serial_max};
use super::{Name, Node, RRset, RRsetRef, RType, Soa, Zone};

/// A zone's SOA record: its TTL and RDATA, and the serial read from it once (IXFR requests
/// look for a client's serial among every difference kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoaRecord {
    pub ttl: u32,
    pub rdata: Box<[u8]>,
    serial: u32,
}

impl SoaRecord {
    /// The SOA record at the apex of `zone`, if it has one that holds a serial.
    pub fn of(zone: &Zone) -> Option<SoaRecord> {
        let set = zone.apex().get(RType::SOA)?;
        let rdata = set.rdatas().first()?;
        Some(SoaRecord {
            ttl: set.ttl,
            rdata: rdata.into(),
            serial: Soa::from_rdata(rdata)?.serial,
        })
    }

    /// The serial.
    pub fn serial(&self) -> u32 {
        self.serial
    }
}

/// What changed from one version of a zone to the next: its SOA before and after, and the
/// other records removed and added, gathered by owner (lower-cased, in canonical order), each
/// node holding only the records removed (or added) there. A record whose RRset's TTL changed
/// is removed with the old TTL and added with the new one.
#[derive(Debug)]
pub struct Diff {
    pub from: SoaRecord,
    pub to: SoaRecord,
    pub removed: Vec<(Name, Node)>,
    pub added: Vec<(Name, Node)>,
    /// Records in the difference, both SOAs included.
    records: usize,
}

impl Diff {
    /// The difference between `old` and `new`, two versions of one zone whose SOA records are
    /// `from` and `to`, looking at the names `changed` (None: every name of both), or None as
    /// soon as it holds more than `limit` records (SOAs included).
    fn between(
        old: &Zone,
        new: &Zone,
        changed: Option<&[Name]>,
        (from, to): (SoaRecord, SoaRecord),
        limit: usize,
    ) -> Option<Diff> {
        let apex = new.origin();
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let mut records = 2;
        // False once the difference is over the limit.
        let mut compare = |name: &Name, before: Option<&Node>, after: Option<&Node>| {
            if before == after {
                return true;
            }
            let (gone, came) = node_changes(before, after, name == apex);
            for (sets, into) in [(gone, &mut removed), (came, &mut added)] {
                if !sets.is_empty() {
                    let node = Node::new(&sets);
                    records += node.record_count();
                    into.push((name.clone(), node));
                }
            }
            records <= limit
        };
        match changed {
            Some(names) => {
                for name in names {
                    let (before, after) = (old.node(name.as_wire()), new.node(name.as_wire()));
                    if !compare(name, before, after) {
                        return None;
                    }
                }
            }
            None => {
                // Every name of the old version looked up in the new one; then, unless all
                // were found and the new version has no more names, the new names.
                let mut found = 0;
                for (name, before) in old.nodes() {
                    let after = new.node(name.as_wire());
                    found += usize::from(after.is_some());
                    if !compare(name, Some(before), after) {
                        return None;
                    }
                }
                if found != new.node_count() {
                    for (name, after) in new.nodes() {
                        if old.node(name.as_wire()).is_none() && !compare(name, None, Some(after)) {
                            return None;
                        }
                    }
                }
            }
        }
        removed.sort_unstable_by(|a, b| a.0.canonical_cmp(&b.0));
        added.sort_unstable_by(|a, b| a.0.canonical_cmp(&b.0));
        Some(Diff {
            from,
            to,
            removed,
            added,
            records,
        })
    }

    /// Does it change nothing but (perhaps) the SOA?
    pub fn is_soa_only(&self) -> bool {
        self.removed.is_empty() && self.added.is_empty()
    }

    /// Records in the difference, both SOAs included.
    pub fn records(&self) -> usize {
        self.records
    }
}

/// The RRsets removed from a node and added to it (its SOA left out at the apex).
fn node_changes(
    before: Option<&Node>,
    after: Option<&Node>,
    apex: bool,
) -> (Vec<RRset>, Vec<RRset>) {
    let (old, new) = (sets(before, apex), sets(after, apex));
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for o in &old {
        match find(&new, o.rtype) {
            Some(n) if n.ttl == o.ttl => {
                let gone: Vec<&[u8]> = o.rdatas().iter().filter(|r| !n.contains(r)).collect();
                if !gone.is_empty() {
                    removed.push(RRset::new(o.rtype, o.ttl, gone));
                }
                let came: Vec<&[u8]> = n.rdatas().iter().filter(|r| !o.contains(r)).collect();
                if !came.is_empty() {
                    added.push(RRset::new(n.rtype, n.ttl, came));
                }
            }
            Some(n) => {
                removed.push(RRset::new(o.rtype, o.ttl, o.rdatas()));
                added.push(RRset::new(n.rtype, n.ttl, n.rdatas()));
            }
            None => removed.push(RRset::new(o.rtype, o.ttl, o.rdatas())),
        }
    }
    for n in &new {
        if find(&old, n.rtype).is_none() {
            added.push(RRset::new(n.rtype, n.ttl, n.rdatas()));
        }
    }
    (removed, added)
}

/// The RRsets of `node` (none if no node), its SOA left out at the apex.
fn sets(node: Option<&Node>, apex: bool) -> Vec<RRsetRef<'_>> {
    node.map(|n| {
        n.rrsets()
            .filter(|s| !(apex && s.rtype == RType::SOA))
            .collect()
    })
    .unwrap_or_default()
}

/// The RRset of `rtype` among `sets`.
fn find<'a>(sets: &[RRsetRef<'a>], rtype: RType) -> Option<RRsetRef<'a>> {
    sets.iter().find(|s| s.rtype == rtype).copied()
}

/// The differences that lead to a version of a zone, oldest first, each starting at the serial
/// the one before ends at.
///
/// A difference is kept only from a serial whose records the history can vouch for: not from a
/// serial at or below the highest served before the history started or restarted (the serial
/// a zone was loaded with fresh, whose records before are not known; the serials served before
/// a change that kept or lowered the serial, which secondaries may hold with other records). A
/// secondary at such a serial gets the whole zone.
#[derive(Debug, Default)]
pub struct History {
    diffs: Vec<Arc<Diff>>,
    /// Records in all of them.
    records: usize,
    /// Was it made by [`History::after`]? Not for a zone loaded fresh, nor one whose history
    /// was not kept (nobody could transfer it).
    known: bool,
    /// No difference is kept from a serial at or below this one (RFC 1982), until one is kept
    /// from above it.
    floor: Option<u32>,
}

impl History {
    /// Most records kept for a zone of `zone_records`: half the zone (a longer chain of
    /// differences is no cheaper to send than the zone), but at least 1000 so that a small
    /// zone keeps its last edits, and at most 100 000 so that a large zone's history stays a
    /// few MB.
    pub fn limit(zone_records: usize) -> usize {
        (zone_records / 2).clamp(1000, 100_000)
    }

    /// An empty history that keeps no difference from `floor` or below.
    fn floored(floor: Option<u32>) -> Arc<History> {
        Arc::new(History {
            diffs: Vec::new(),
            records: 0,
            known: true,
            floor,
        })
    }

    /// The history of `new`, the version of a zone that replaces `old`, where only the names
    /// `changed` may differ (None: any name; an edit knows the names it touched), and `top` is
    /// the highest serial this zone was served with before `new`, if known (the server keeps it
    /// while the history comes and goes). `old`'s history with the difference between the two
    /// added (the oldest dropped past [`History::limit`]), `old`'s as it was if nothing
    /// changed, or none kept (see [`History`]).
    pub fn after(
        old: &Zone,
        new: &Zone,
        changed: Option<&[Name]>,
        top: Option<u32>,
    ) -> Arc<History> {
        let (Some(from), Some(to)) = (SoaRecord::of(old), SoaRecord::of(new)) else {
            return Arc::default();
        };
        let (old_serial, new_serial) = (from.serial(), to.serial());
        let top = top.map_or(old_serial, |t| serial_max(t, old_serial));
        let past = &old.history;
        // A history not known starts here: nothing from the serials served so far.
        let floor = if past.known { past.floor } else { Some(top) };
        if old_serial == new_serial {
            // The same serial must hold the same records: else a secondary at it may hold
            // either, and no difference from it or below can be trusted.
            let same = from == to && Diff::between(old, new, changed, (from, to), 2).is_some();
            return if same {
                old.history.clone()
            } else {
                History::floored(Some(top))
            };
        }
        if !serial_gt(new_serial, old_serial) {
            // A lower serial: the serials from it up to the highest served will be served
            // again with other records. (One 2^31 away, as in the reset of RFC 1982 §7, is
            // neither: the serials served come again only 2^31 serials later.)
            return History::floored(serial_gt(top, new_serial).then_some(top));
        }
        if let Some(f) = floor.filter(|&f| !serial_gt(old_serial, f)) {
            return History::floored(Some(f));
        }
        let limit = History::limit(new.record_count());
        let Some(diff) = Diff::between(old, new, changed, (from, to), limit) else {
            // Larger than the history may be: the chain ends; differences start again from
            // the new serial.
            return History::floored(None);
        };
        let chained = past
            .diffs
            .last()
            .is_some_and(|last| last.to.serial() == old_serial);
        let mut diffs: Vec<Arc<Diff>> = if chained {
            past.diffs.clone()
        } else {
            Vec::new()
        };
        let mut records = if chained { past.records } else { 0 } + diff.records;
        diffs.push(Arc::new(diff));
        let mut drop = 0;
        while records > limit {
            records -= diffs[drop].records;
            drop += 1;
        }
        diffs.drain(..drop);
        // Kept from above the floor: every later difference starts higher still.
        Arc::new(History {
            diffs,
            records,
            known: true,
            floor: None,
        })
    }

    /// The differences from `serial` to the newest version, if the history reaches back to it.
    pub fn since(&self, serial: u32) -> Option<&[Arc<Diff>]> {
        let start = self.diffs.iter().rposition(|d| d.from.serial() == serial)?;
        Some(&self.diffs[start..])
    }

    /// The oldest serial a difference is kept from.
    pub fn oldest(&self) -> Option<u32> {
        self.diffs.first().map(|d| d.from.serial())
    }

    /// Number of differences kept.
    pub fn len(&self) -> usize {
        self.diffs.len()
    }

    /// Is no difference kept?
    pub fn is_empty(&self) -> bool {
        self.diffs.is_empty()
    }

    /// Records in all the differences kept.
    pub fn records(&self) -> usize {
        self.records
    }

    /// Was it made by comparing versions, or taken back from one saved? Not for a zone loaded
    /// fresh and not changed since, nor one whose history was not kept.
    pub fn is_known(&self) -> bool {
        self.known
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::zone::edit::parse_batch;
    use crate::zone::parse::parse_zone_str;
    use crate::zone::update::{update, Context};

    const ZONE: &str = "$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\n\
                        ns A 192.0.2.53\nmail A 192.0.2.25\nmail AAAA 2001:db8::25\n\
                        @ TXT \"v=spf1 mx -all\"\n";

    fn origin() -> Name {
        Name::parse("example.", None).unwrap()
    }

    fn load(text: &str) -> Zone {
        let entries = parse_zone_str(text, Path::new("t.zone"), &origin()).unwrap();
        Zone::from_records(&origin(), &entries)
    }

    /// `zone` after the edit lines of `batch`, the serial raised by one, as the server applies
    /// an edit: sharing the base, with its history carried on.
    fn edit(zone: &Zone, batch: &str) -> Zone {
        let cx = Context {
            file: Path::new("t.zone"),
            default_ttl: 300,
            included: &[],
        };
        let ops = parse_batch(batch, &origin()).unwrap();
        let u = update(zone, &ops, &cx, |s| s.wrapping_add(1)).unwrap();
        u.zone.succeeding_edit(zone, &u.touched, None)
    }

    /// The zone at serial 2, after a first edit of it loaded fresh at serial 1 (a difference
    /// from the serial a zone was loaded with is never kept).
    fn started() -> Zone {
        let v2 = edit(&load(ZONE), "add first A 192.0.2.1\n");
        assert!(v2.history().is_empty() && v2.history().since(1).is_none());
        v2
    }

    /// A difference as text, one line per record: `-` removed, `+` added, owner type TTL and
    /// the RDATA's bytes.
    fn lines(d: &Diff) -> Vec<String> {
        let mut out = vec![format!("{} → {}", d.from.serial(), d.to.serial())];
        for (sign, nodes) in [("-", &d.removed), ("+", &d.added)] {
            for (name, node) in nodes {
                for set in node.rrsets() {
                    for rd in set.rdatas() {
                        out.push(format!("{sign}{name} {} {} {rd:?}", set.rtype, set.ttl));
                    }
                }
            }
        }
        out
    }

    fn a(octets: [u8; 4]) -> Vec<u8> {
        octets.to_vec()
    }

    #[test]
    fn an_edit_is_the_records_it_removed_and_added() {
        let v2 = started();
        let v3 = edit(
            &v2,
            "set mail A 192.0.2.26\nadd new A 192.0.2.7\ndel mail AAAA\n",
        );
        let h = v3.history();
        assert_eq!(h.len(), 1);
        let d = &h.since(2).expect("from serial 2")[0];
        assert_eq!(
            lines(d),
            [
                "2 → 3".to_string(),
                format!("-mail.example. A 300 {:?}", a([192, 0, 2, 25])),
                format!(
                    "-mail.example. AAAA 300 {:?}",
                    [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x25]
                ),
                format!("+mail.example. A 300 {:?}", a([192, 0, 2, 26])),
                format!("+new.example. A 300 {:?}", a([192, 0, 2, 7])),
            ]
        );
        assert_eq!(d.records(), 6, "four records and the two SOAs");
        // A second edit chains on; a secondary at 2 gets both, one at 3 the second only.
        let v4 = edit(&v3, "add mail A 192.0.2.27\n");
        assert_eq!(v4.history().since(2).map(<[_]>::len), Some(2));
        let second = &v4.history().since(3).expect("from 3")[0];
        assert_eq!(
            lines(second),
            [
                "3 → 4".to_string(),
                format!("+mail.example. A 300 {:?}", a([192, 0, 2, 27]))
            ]
        );
        assert!(v4.history().since(4).is_none(), "current: nothing to send");
        assert!(v4.history().since(7).is_none(), "a serial never served");
        assert!(
            v4.history().since(1).is_none(),
            "the serial it was loaded with"
        );
        // A name added by one edit and removed by the next, and a serial bump alone.
        let v5 = edit(&edit(&v4, "add tmp TXT \"x\"\n"), "del tmp TXT\n");
        let steps = v5.history().since(4).expect("from 4");
        assert_eq!(
            lines(&steps[1])[1..],
            [format!("-tmp.example. TXT 300 {:?}", b"\x01x")]
        );
        let v6 = v5.clone().succeeding_edit(&v5, &[], None);
        assert_eq!(v6.history().len(), v5.history().len(), "the same version");
    }

    #[test]
    fn a_file_loaded_again_is_compared_name_by_name() {
        let serial = |n: u32| ZONE.replace(" 1 3600", &format!(" {n} 3600"));
        let v2 = load(&serial(2)).succeeding(&load(ZONE), None);
        assert!(v2.history().is_empty(), "not from the serial loaded fresh");
        let text = serial(3)
            .replace("mail AAAA 2001:db8::25\n", "")
            .replace("@ NS ns\n", "@ 600 NS ns\n")
            + "www CNAME mail\n";
        let v3 = load(&text).succeeding(&v2, None);
        let d = &v3.history().since(2).expect("chained")[0];
        assert_eq!(
            lines(d)[1..],
            [
                "-example. NS 300 [2, 110, 115, 7, 101, 120, 97, 109, 112, 108, 101, 0]",
                "-mail.example. AAAA 300 [32, 1, 13, 184, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 37]",
                "+example. NS 600 [2, 110, 115, 7, 101, 120, 97, 109, 112, 108, 101, 0]",
                "+www.example. CNAME 300 [4, 109, 97, 105, 108, 7, 101, 120, 97, 109, 112, 108, 101, 0]",
            ],
            "a TTL change is the RRset removed and added again"
        );
        // The same records in another order: only the SOA changed.
        let reordered = text.replace("mail A 192.0.2.25\n", "") + "mail A 192.0.2.25\n";
        let v4 = load(&reordered.replace(" 3 3600", " 4 3600")).succeeding(&v3, None);
        assert!(v4.history().since(3).expect("chained")[0].is_soa_only());
        assert_eq!(v4.history().since(2).map(<[_]>::len), Some(2));
    }

    #[test]
    fn no_difference_is_kept_from_a_serial_served_with_other_records() {
        let v3 = edit(&started(), "add x A 192.0.2.9\n");
        assert_eq!(v3.history().len(), 1);
        // The same serial and the same records (an unchanged file loaded again): kept.
        let file = |serial: u32, extra: &str| {
            load(&(ZONE.replace(" 1 3600", &format!(" {serial} 3600")) + extra))
        };
        let same = file(3, "first A 192.0.2.1\nx A 192.0.2.9\n").succeeding(&v3, None);
        assert_eq!(same.history().len(), 1);
        // The same serial, other records: a secondary at 3 holds either. Nothing is sent from
        // 3 or below, not even after the next edits; from the serials after, it is.
        let other = file(3, "x A 192.0.2.10\n").succeeding(&v3, None);
        assert!(other.history().is_empty());
        let v4 = edit(&other, "add y A 192.0.2.11\n");
        assert!(
            v4.history().since(3).is_none(),
            "3 holds other records at the secondaries"
        );
        let v5 = edit(&v4, "add z A 192.0.2.12\n");
        assert!(v5.history().since(3).is_none());
        assert_eq!(v5.history().since(4).map(<[_]>::len), Some(1));
        // A lower serial: the serials up to the highest served come again with other records.
        let lower = file(3, "").succeeding(&v5, None);
        assert!(lower.history().is_empty());
        let v4b = edit(&lower, "add w A 192.0.2.13\n");
        let v5b = edit(&v4b, "add v A 192.0.2.14\n");
        let v6 = edit(&v5b, "add u A 192.0.2.15\n");
        for reused in [3, 4, 5] {
            assert!(
                v6.history().since(reused).is_none(),
                "serial {reused} was reused"
            );
        }
        let v7 = edit(&v6, "add t A 192.0.2.16\n");
        assert_eq!(v7.history().since(6).map(<[_]>::len), Some(1));
        // A serial 2^31 away compares as neither: the serials served come again only 2^31
        // serials later, so the differences from the new one on are kept.
        let far = file(2147483655, "").succeeding(&v7, None);
        assert!(far.history().is_empty());
        let next = edit(&edit(&far, "add s A 192.0.2.17\n"), "add r A 192.0.2.18\n");
        assert_eq!(next.history().since(2147483655).map(<[_]>::len), Some(2));
        assert!(next.history().since(7).is_none());
    }

    #[test]
    fn a_history_started_again_keeps_nothing_from_the_serials_served_before() {
        // The server's highest serial served is 5 (`top`); the zone's history was not kept
        // (transfers were off), or the zone was dropped and its file came back at 3.
        let v5 = edit(
            &edit(
                &edit(&started(), "add a A 192.0.2.1\n"),
                "add b A 192.0.2.2\n",
            ),
            "add c A 192.0.2.3\n",
        );
        assert_eq!(v5.serial(), Some(5));
        for restarted in [
            v5.clone().with_history(Arc::default()),
            load(&ZONE.replace(" 1 3600", " 3 3600")),
        ] {
            let mut zone = restarted;
            let mut top = Some(5);
            while zone.serial() != Some(7) {
                let next = edit(
                    &zone,
                    &format!("add n{} A 192.0.2.9\n", zone.serial().unwrap()),
                );
                let history = History::after(&zone, &next, None, top);
                let next = next.with_history(history);
                top = top.map(|t| serial_max(t, next.serial().unwrap()));
                zone = next;
            }
            for served in [3, 4, 5] {
                assert!(zone.history().since(served).is_none(), "serial {served}");
            }
            assert_eq!(zone.history().since(6).map(<[_]>::len), Some(1));
        }
    }

    #[test]
    fn serials_raised_by_large_steps_keep_their_differences() {
        // Up by less than 2^31 at each step, past 2^32: no serial is served twice.
        let v2 = started();
        let file = |serial: u32| load(&ZONE.replace(" 1 3600", &format!(" {serial} 3600")));
        let mut zone = v2;
        for serial in [2_000_000_000, 4_000_000_000, 4_294_967_293] {
            let top = zone.serial();
            zone = file(serial).succeeding(&zone, top);
        }
        let wrapped = edit(
            &edit(&edit(&zone, "add w A 192.0.2.1\n"), "add x A 192.0.2.2\n"),
            "add y A 192.0.2.3\n",
        );
        assert_eq!(wrapped.serial(), Some(0));
        assert_eq!(wrapped.history().since(4294967293).map(<[_]>::len), Some(3));
        assert_eq!(wrapped.history().since(2).map(<[_]>::len), Some(6));
    }

    #[test]
    fn the_oldest_differences_go_past_the_limit() {
        let mut zone = started();
        // Each edit: one record and the two SOAs.
        let edits = History::limit(zone.record_count()) / 3 + 5;
        for i in 0..edits {
            zone = edit(&zone, &format!("add h{i} A 192.0.2.1\n"));
        }
        let h = zone.history();
        assert!(h.records() <= History::limit(zone.record_count()));
        assert_eq!(h.records(), 3 * h.len());
        assert!(h.since(2).is_none(), "the first edits are gone");
        let newest = zone.serial().unwrap();
        assert_eq!(h.since(newest - 1).map(<[_]>::len), Some(1));
        assert_eq!(
            h.since(newest - h.len() as u32).map(<[_]>::len),
            Some(h.len())
        );
        // One difference larger than the limit is not kept, and ends the chain.
        let big: String = (0..1100).map(|i| format!("b{i} A 192.0.2.2\n")).collect();
        let text = ZONE.replace(" 1 3600", &format!(" {} 3600", newest + 1)) + &big;
        let bigger = load(&text).succeeding(&zone, None);
        assert!(bigger.history().is_empty());
        let after = edit(&bigger, "add c A 192.0.2.3\n");
        assert!(after.history().since(newest).is_none());
        assert_eq!(after.history().since(newest + 1).map(<[_]>::len), Some(1));
    }

    const KEY: Key = *b"0123456789abcdef";

    #[test]
    fn a_saved_history_comes_back_only_for_the_version_it_was_saved_with() {
        let v4 = edit(
            &edit(&started(), "set mail A 192.0.2.26\ndel mail AAAA\n"),
            "add t TXT \"a\" \"b\"\nadd @ MX 10 mail\n",
        );
        let saved = save(&v4, &KEY);
        let history = restore(&saved, &v4, &KEY).expect("the same version");
        let steps = |h: &History| {
            let diffs = h.since(2).expect("from 2");
            diffs.iter().map(|d| lines(d)).collect::<Vec<_>>()
        };
        assert_eq!(steps(&history), steps(v4.history()));
        assert_eq!(history.records(), v4.history().records());
        // Restored, it goes on as if the server had never stopped.
        let v5 = edit(&v4.clone().with_history(history), "add u A 192.0.2.5\n");
        assert_eq!(v5.history().since(2).map(<[_]>::len), Some(3));

        // The file the edits were written to, its records in any order: the same version.
        let text = "$TTL 300\n@ SOA ns hostmaster 4 3600 900 1209600 300\n@ NS ns\n\
                    ns A 192.0.2.53\nmail A 192.0.2.26\n@ TXT \"v=spf1 mx -all\"\n\
                    first A 192.0.2.1\nt TXT \"a\" \"b\"\n@ MX 10 mail\n";
        assert_eq!(digest(&load(text), &KEY), digest(&v4, &KEY));
        let reordered: String = text.lines().rev().map(|l| format!("{l}\n")).collect();
        let reloaded = load(&format!("$TTL 300\n{reordered}"));
        assert!(restore(&saved, &reloaded, &KEY).is_ok());
        // Changed while the server was stopped: a record, a TTL, the serial.
        for changed in [
            text.replace("192.0.2.26", "192.0.2.27"),
            text.replace("@ NS ns", "@ 600 NS ns"),
            text.replace(" 4 3600", " 5 3600"),
        ] {
            assert_eq!(
                restore(&saved, &load(&changed), &KEY).unwrap_err(),
                Unused::Changed
            );
        }
        // Another zone, another key, a damaged or truncated file.
        let org = Name::parse("example.org.", None).unwrap();
        let other = Zone::from_records(
            &org,
            &parse_zone_str(text, Path::new("t.zone"), &org).unwrap(),
        );
        let bad = |bytes: &[u8], zone: &Zone, key: &Key| match restore(bytes, zone, key) {
            Err(Unused::Bad(why)) => why,
            other => panic!("{other:?}"),
        };
        assert_eq!(bad(&saved, &other, &KEY), "saved for example.");
        assert!(bad(&saved, &v4, b"0123456789abcdeF").contains("another key"));
        let mut damaged = saved.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert!(bad(&damaged, &v4, &KEY).contains("damaged"));
        for len in [0, 10, 40, saved.len() - 1] {
            bad(&saved[..len], &v4, &KEY);
        }
        // The digest depends on the key: without it, no other version can be made to match.
        assert_ne!(digest(&v4, &KEY), digest(&v4, b"0123456789abcdeF"));
    }

    #[test]
    fn a_saved_history_keeps_its_floor() {
        // Changed at the same serial: nothing from 3 or below, also after a restart.
        let v3 = edit(&started(), "add x A 192.0.2.9\n");
        let other =
            load(&(ZONE.replace(" 1 3600", " 3 3600") + "x A 192.0.2.10\n")).succeeding(&v3, None);
        let history = restore(&save(&other, &KEY), &other, &KEY).expect("restored");
        let restarted = other.clone().with_history(history);
        let v4 = edit(&restarted, "add y A 192.0.2.11\n");
        let v5 = edit(&v4, "add z A 192.0.2.12\n");
        assert!(v5.history().since(3).is_none());
        assert_eq!(v5.history().since(4).map(<[_]>::len), Some(1));
    }

    #[test]
    fn compaction_and_identical_versions_keep_the_history() {
        let v3 = edit(&started(), "add x A 192.0.2.9\n");
        assert_eq!(v3.compacted().history().len(), 1);
        let dry = v3.clone().succeeding(&v3, None);
        assert_eq!(dry.history().len(), 1);
    }
}
