//! The differences between successive versions of a zone, kept so that a secondary holding an
//! older version is sent what changed (an incremental transfer, RFC 1995) instead of the whole
//! zone.
//!
//! Each version a zone is served in carries its [`History`]: the differences that lead to it
//! from earlier serials, oldest first. A new version's history is the old one's with one more
//! [`Diff`], found by comparing the two versions ([`History::after`]): only the names an edit
//! changed when the new version shares the old one's base (an edit), every name otherwise (a
//! file loaded again). The history is dropped when the versions cannot be chained: a change
//! whose serial did not increase, a zone without an SOA. It is bounded ([`History::limit`]): a
//! secondary further behind than the oldest difference kept gets the whole zone, as it would
//! from a server that keeps no history.

use std::sync::Arc;

use super::serial::serial_gt;
use super::{Name, Node, RRset, RRsetRef, RType, Soa, Zone};

/// A zone's SOA record: its TTL and RDATA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoaRecord {
    pub ttl: u32,
    pub rdata: Box<[u8]>,
}

impl SoaRecord {
    /// The SOA record at the apex of `zone`, if it has one that holds a serial.
    pub fn of(zone: &Zone) -> Option<SoaRecord> {
        let set = zone.apex().get(RType::SOA)?;
        let rdata = set.rdatas().first()?;
        Soa::from_rdata(rdata)?;
        Some(SoaRecord {
            ttl: set.ttl,
            rdata: rdata.into(),
        })
    }

    /// The serial.
    pub fn serial(&self) -> u32 {
        Soa::from_rdata(&self.rdata).map_or(0, |s| s.serial)
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
    /// `from` and `to`.
    fn between(old: &Zone, new: &Zone, from: SoaRecord, to: SoaRecord) -> Diff {
        let apex = new.origin();
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let mut compare = |name: &Name, before: Option<&Node>, after: Option<&Node>| {
            if before == after {
                return;
            }
            let (gone, came) = node_changes(before, after, name == apex);
            if !gone.is_empty() {
                removed.push((name.clone(), Node::new(&gone)));
            }
            if !came.is_empty() {
                added.push((name.clone(), Node::new(&came)));
            }
        };
        if Arc::ptr_eq(&old.base, &new.base) {
            // An edit: the names it touched are those whose overlay entry is not the old one.
            for (name, node) in &new.overlay {
                let same = old.overlay.get(name).is_some_and(|o| match (o, node) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    (None, None) => true,
                    _ => false,
                });
                if !same {
                    compare(name, old.node(name.as_wire()), node.as_deref());
                }
            }
            for name in old.overlay.keys() {
                if !new.overlay.contains_key(name) {
                    compare(name, old.node(name.as_wire()), new.node(name.as_wire()));
                }
            }
        } else {
            // Every name of the old version looked up in the new one; then, unless all were
            // found and the new version has no more names, the new names.
            let mut found = 0;
            for (name, before) in old.nodes() {
                let after = new.node(name.as_wire());
                found += usize::from(after.is_some());
                compare(name, Some(before), after);
            }
            if found != new.node_count() {
                for (name, after) in new.nodes() {
                    if old.node(name.as_wire()).is_none() {
                        compare(name, None, Some(after));
                    }
                }
            }
        }
        removed.sort_unstable_by(|a, b| a.0.canonical_cmp(&b.0));
        added.sort_unstable_by(|a, b| a.0.canonical_cmp(&b.0));
        let count =
            |nodes: &[(Name, Node)]| -> usize { nodes.iter().map(|(_, n)| n.record_count()).sum() };
        let records = 2 + count(&removed) + count(&added);
        Diff {
            from,
            to,
            removed,
            added,
            records,
        }
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
#[derive(Debug, Default)]
pub struct History {
    diffs: Vec<Arc<Diff>>,
    /// Records in all of them.
    records: usize,
}

impl History {
    /// Most records kept for a zone of `zone_records`: half the zone (a longer chain of
    /// differences is no cheaper to send than the zone), but at least 1000 so that a small
    /// zone keeps its last edits, and at most 100 000 so that a large zone's history stays a
    /// few MB.
    pub fn limit(zone_records: usize) -> usize {
        (zone_records / 2).clamp(1000, 100_000)
    }

    /// The history of `new`, the version of a zone that replaces `old`: `old`'s with the
    /// difference between the two added (the oldest dropped past [`History::limit`]), `old`'s
    /// as it was if nothing changed, or empty if the versions cannot be chained (no SOA, or a
    /// serial that did not increase with the content).
    pub fn after(old: &Zone, new: &Zone) -> Arc<History> {
        let (Some(from), Some(to)) = (SoaRecord::of(old), SoaRecord::of(new)) else {
            return Arc::default();
        };
        let (old_serial, new_serial) = (from.serial(), to.serial());
        if old_serial == new_serial {
            // A version with the same serial must hold the same records, or a secondary with
            // the serial holds something else than the history says.
            let same = from == to && Diff::between(old, new, from.clone(), to).is_soa_only();
            return if same {
                old.history.clone()
            } else {
                Arc::default()
            };
        }
        if !serial_gt(new_serial, old_serial) {
            return Arc::default();
        }
        let diff = Diff::between(old, new, from, to);
        let limit = History::limit(new.record_count());
        if diff.records > limit {
            return Arc::default();
        }
        let chained = old
            .history
            .diffs
            .last()
            .is_some_and(|last| last.to.serial() == old_serial);
        let mut diffs: Vec<Arc<Diff>> = if chained {
            old.history.diffs.clone()
        } else {
            Vec::new()
        };
        let mut records: usize = diffs.iter().map(|d| d.records).sum::<usize>() + diff.records;
        diffs.push(Arc::new(diff));
        let mut drop = 0;
        while records > limit {
            records -= diffs[drop].records;
            drop += 1;
        }
        diffs.drain(..drop);
        Arc::new(History { diffs, records })
    }

    /// The differences from `serial` to the newest version, if the history reaches back to it.
    pub fn since(&self, serial: u32) -> Option<&[Arc<Diff>]> {
        let start = self.diffs.iter().rposition(|d| d.from.serial() == serial)?;
        Some(&self.diffs[start..])
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
        let new = update(zone, &ops, &cx, |s| s + 1).unwrap().zone;
        new.succeeding(zone)
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
        let v1 = load(ZONE);
        let v2 = edit(
            &v1,
            "set mail A 192.0.2.26\nadd new A 192.0.2.7\ndel mail AAAA\n",
        );
        let h = v2.history();
        assert_eq!(h.len(), 1);
        let d = &h.since(1).expect("from serial 1")[0];
        assert_eq!(
            lines(d),
            [
                "1 → 2".to_string(),
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
        // A second edit chains on; a secondary at 1 gets both, one at 2 the second only.
        let v3 = edit(&v2, "add mail A 192.0.2.27\n");
        assert_eq!(v3.history().since(1).map(<[_]>::len), Some(2));
        let second = &v3.history().since(2).expect("from 2")[0];
        assert_eq!(
            lines(second),
            [
                "2 → 3".to_string(),
                format!("+mail.example. A 300 {:?}", a([192, 0, 2, 27]))
            ]
        );
        assert!(v3.history().since(3).is_none(), "current: nothing to send");
        assert!(v3.history().since(7).is_none(), "a serial never served");
    }

    #[test]
    fn a_file_loaded_again_is_compared_name_by_name() {
        let v1 = load(ZONE).succeeding(&load(ZONE));
        let text = ZONE
            .replace(" 1 3600", " 2 3600")
            .replace("mail AAAA 2001:db8::25\n", "")
            .replace("@ NS ns\n", "@ 600 NS ns\n")
            + "www CNAME mail\n";
        let v2 = load(&text).succeeding(&v1);
        let d = &v2.history().since(1).expect("chained")[0];
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
        let v3 = load(&reordered.replace(" 2 3600", " 3 3600")).succeeding(&v2);
        assert!(v3.history().since(2).expect("chained")[0].is_soa_only());
        assert_eq!(v3.history().since(1).map(<[_]>::len), Some(2));
    }

    #[test]
    fn a_change_whose_serial_did_not_increase_ends_the_history() {
        let v1 = load(ZONE);
        let v2 = edit(&v1, "add x A 192.0.2.9\n");
        // The same serial and the same records (a reload of an unchanged file): kept.
        let same = load(
            &ZONE
                .replace(" 1 3600", " 2 3600")
                .replace("mail A", "x A 192.0.2.9\nmail A"),
        );
        assert_eq!(same.succeeding(&v2).history().len(), 1);
        // The same serial, other records: a secondary at 2 holds something else.
        let other = load(&ZONE.replace(" 1 3600", " 2 3600"));
        assert!(other.succeeding(&v2).history().is_empty());
        // A lower serial, or one 2^31 away.
        let lower = load(ZONE).succeeding(&v2);
        assert!(lower.history().is_empty());
        let far = load(&ZONE.replace(" 1 3600", " 2147483650 3600")).succeeding(&v2);
        assert!(far.history().is_empty());
        // A higher one starts again from there.
        let next = edit(&far, "add y A 192.0.2.10\n");
        assert_eq!(next.history().len(), 1);
        assert!(next.history().since(2147483650).is_some());
    }

    #[test]
    fn the_oldest_differences_go_past_the_limit() {
        let mut zone = load(ZONE);
        // Each edit: one record and the two SOAs.
        let edits = History::limit(zone.record_count()) / 3 + 5;
        for i in 0..edits {
            zone = edit(&zone, &format!("add h{i} A 192.0.2.1\n"));
        }
        let h = zone.history();
        assert!(h.records() <= History::limit(zone.record_count()));
        assert_eq!(h.records(), 3 * h.len());
        assert!(h.since(1).is_none(), "the first edits are gone");
        let newest = zone.serial().unwrap();
        assert_eq!(h.since(newest - 1).map(<[_]>::len), Some(1));
        assert_eq!(
            h.since(newest - h.len() as u32).map(<[_]>::len),
            Some(h.len())
        );
        // One difference larger than the limit is not kept at all.
        let big: String = (0..1100).map(|i| format!("b{i} A 192.0.2.2\n")).collect();
        let bigger = load(&(ZONE.replace(" 1 3600", &format!(" {} 3600", newest + 1)) + &big));
        assert!(bigger.succeeding(&zone).history().is_empty());
    }

    #[test]
    fn compaction_and_identical_versions_keep_the_history() {
        let v1 = load(ZONE);
        let v2 = edit(&v1, "add x A 192.0.2.9\n");
        assert_eq!(v2.compacted().history().len(), 1);
        let dry = v2.clone().succeeding(&v2);
        assert_eq!(dry.history().len(), 1);
    }
}
