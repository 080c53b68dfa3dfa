//! The zone model: names, record types, RDATA, zone-file parsing, and the immutable [`Zone`]
//! that the server answers from.
//!
//! Pure: no sockets, no clock, no filesystem access except through what callers pass in.

pub mod check;
pub mod civil;
pub mod edit;
pub mod ixfr;
pub mod lookup;
pub mod name;
pub mod parse;
pub mod rdata;
pub mod serial;
pub mod update;

use std::sync::Arc;

use rustc_hash::FxHashMap;

pub use name::Name;
pub use rdata::RType;

/// One resource record as the zone holds it (class IN is implied: zonectl serves IN only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Absolute owner name, as written in the file.
    pub owner: Name,
    pub ttl: u32,
    pub rtype: RType,
    /// Uncompressed wire-form RDATA.
    pub rdata: Box<[u8]>,
}

/// A record as [`Zone::from_records`] takes it: owned, its owner name moved into the zone, or
/// borrowed (a parsed zone-file entry still being checked), its owner copied.
pub trait ZoneRecord {
    fn owner(&self) -> &Name;
    fn rtype(&self) -> RType;
    fn ttl(&self) -> u32;
    fn rdata(&self) -> &[u8];
    fn into_owner(self) -> Name;
}

impl ZoneRecord for Record {
    fn owner(&self) -> &Name {
        &self.owner
    }
    fn rtype(&self) -> RType {
        self.rtype
    }
    fn ttl(&self) -> u32 {
        self.ttl
    }
    fn rdata(&self) -> &[u8] {
        &self.rdata
    }
    fn into_owner(self) -> Name {
        self.owner
    }
}

/// All records of one type at one owner.
///
/// The records' RDATA live in one allocation ([`Packed`]): a zone of a million hosts holds
/// millions of RRsets of one small record each, and one allocation per RRset instead of two
/// (the list and the record) is a third of the zone's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRset {
    pub rtype: RType,
    pub ttl: u32,
    /// Uncompressed wire-form RDATA of each record, in file order, without duplicates, each as a
    /// 2-byte big-endian length and the bytes.
    data: Box<[u8]>,
}

impl RRset {
    /// An RRset of these records (duplicates dropped, order kept).
    pub fn new<R: AsRef<[u8]>>(
        rtype: RType,
        ttl: u32,
        rdatas: impl IntoIterator<Item = R>,
    ) -> RRset {
        let mut set = RRset {
            rtype,
            ttl,
            data: Box::default(),
        };
        let mut data = Vec::new();
        for rdata in rdatas {
            let rdata = rdata.as_ref();
            if !Packed(&data).iter().any(|d| d == rdata) {
                push_packed(&mut data, rdata);
            }
        }
        set.data = data.into_boxed_slice();
        set
    }

    /// The RRset as a node holds it, to read.
    pub fn as_ref(&self) -> RRsetRef<'_> {
        RRsetRef {
            rtype: self.rtype,
            ttl: self.ttl,
            data: &self.data,
        }
    }

    /// The records' RDATA.
    pub fn rdatas(&self) -> Packed<'_> {
        self.as_ref().rdatas()
    }

    /// Does the RRset hold no record (only while an edit builds it)?
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Does the RRset hold a record with this RDATA?
    pub fn contains(&self, rdata: &[u8]) -> bool {
        self.as_ref().contains(rdata)
    }

    /// Adds a record (no-op if it is there already).
    pub fn push(&mut self, rdata: &[u8]) {
        if !self.contains(rdata) {
            let mut data = std::mem::take(&mut self.data).into_vec();
            push_packed(&mut data, rdata);
            self.data = data.into_boxed_slice();
        }
    }

    /// Keeps the records for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&[u8]) -> bool) {
        let mut data = Vec::with_capacity(self.data.len());
        for rdata in self.rdatas().iter().filter(|d| keep(d)) {
            push_packed(&mut data, rdata);
        }
        self.data = data.into_boxed_slice();
    }

    /// Replaces each record's RDATA by `f` of it.
    pub fn map(&mut self, mut f: impl FnMut(&[u8]) -> Vec<u8>) {
        let rdatas: Vec<Vec<u8>> = self.rdatas().iter().map(&mut f).collect();
        *self = RRset::new(self.rtype, self.ttl, rdatas);
    }
}

fn push_packed(data: &mut Vec<u8>, rdata: &[u8]) {
    let len = u16::try_from(rdata.len()).expect("RDATA is at most 65535 bytes");
    data.extend_from_slice(&len.to_be_bytes());
    data.extend_from_slice(rdata);
}

/// The RDATA of an RRset's records, packed (see [`RRset`]); iterate with [`Packed::iter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packed<'a>(&'a [u8]);

impl<'a> Packed<'a> {
    /// Each record's RDATA, in order.
    pub fn iter(self) -> PackedIter<'a> {
        PackedIter(self.0)
    }

    /// The first record's RDATA.
    pub fn first(self) -> Option<&'a [u8]> {
        self.iter().next()
    }

    /// Just the first record.
    pub fn first_only(self) -> Packed<'a> {
        match self.first() {
            Some(d) => Packed(&self.0[..2 + d.len()]),
            None => self,
        }
    }

    /// Number of records.
    pub fn len(self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }
}

impl<'a> IntoIterator for Packed<'a> {
    type Item = &'a [u8];
    type IntoIter = PackedIter<'a>;
    fn into_iter(self) -> PackedIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Packed`] RDATA.
#[derive(Debug, Clone)]
pub struct PackedIter<'a>(&'a [u8]);

impl<'a> Iterator for PackedIter<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        let (len, rest) = self.0.split_first_chunk::<2>()?;
        let len = u16::from_be_bytes(*len) as usize;
        let (rdata, rest) = rest.split_at(len);
        self.0 = rest;
        Some(rdata)
    }
}

/// The RRsets at one owner name, packed into one allocation. A node with no RRsets is an
/// empty non-terminal (and allocates nothing).
///
/// A zone of a million hosts is a million nodes of two or three small RRsets each: one
/// allocation per node instead of one per RRset and one for their list halves the memory of
/// such a zone, and an answer reads one place in memory. Each RRset is a 10-byte header (type,
/// TTL, length of its records, in native byte order) followed by its records as [`RRset`]
/// packs them. Edits unpack a node into [`RRset`]s ([`Node::rrsets_owned`]) and pack it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    data: Box<[u8]>,
}

/// Bytes of an RRset's header in a [`Node`].
const SET_HEADER: usize = 10;

/// The number of children of each name of `nodes` that has any. Every name between an owner
/// and the apex has a node, so a name has descendants if and only if it has a child: an edit
/// that empties a name tells whether it stays (an empty non-terminal) without scanning the zone.
fn children(nodes: &FxHashMap<Name, Node>) -> FxHashMap<Name, u32> {
    let mut children: FxHashMap<Name, u32> = FxHashMap::default();
    for name in nodes.keys().filter(|name| !name.is_root()) {
        let parent = name::suffix_wire_at(name.as_wire(), 1);
        match children.get_mut(parent) {
            Some(count) => *count += 1,
            None => {
                children.insert(Name::from_lowercase_wire(parent), 1);
            }
        }
    }
    children
}

/// The names of `nodes` whose records may name others.
fn namers(nodes: &FxHashMap<Name, Node>) -> Vec<Name> {
    nodes
        .iter()
        .filter(|(_, node)| node.may_name_others())
        .map(|(name, _)| name.clone())
        .collect()
}

impl Node {
    /// May this node's records name other names whose records their checks read: an NS, MX
    /// or SRV record, or a TXT record that may be an SPF record (its text starts with `v`;
    /// told without copying it, so some others pass too)?
    pub fn may_name_others(&self) -> bool {
        self.rrsets().any(|set| match set.rtype {
            RType::NS | RType::MX | RType::SRV => true,
            RType::TXT => set
                .rdatas()
                .into_iter()
                .any(|rdata| matches!(rdata, [0, ..] | [_, b'v' | b'V', ..] | [])),
            _ => false,
        })
    }

    /// A node holding these RRsets (empty ones left out), in this order.
    pub fn new<'s>(rrsets: impl IntoIterator<Item = &'s RRset>) -> Node {
        let mut data = Vec::new();
        for set in rrsets {
            if !set.is_empty() {
                push_set(&mut data, set.rtype, set.ttl, &set.data);
            }
        }
        Node {
            data: data.into_boxed_slice(),
        }
    }

    /// The RRset of type `rtype`, if any.
    #[inline]
    pub fn get(&self, rtype: RType) -> Option<RRsetRef<'_>> {
        self.rrsets().find(|r| r.rtype == rtype)
    }

    /// The RRsets, in the order they were added.
    #[inline]
    pub fn rrsets(&self) -> RRsets<'_> {
        RRsets(&self.data)
    }

    /// Does this node hold any RRset?
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Number of records.
    pub fn record_count(&self) -> usize {
        self.rrsets().map(|s| s.len()).sum()
    }

    /// The RRsets as owned values, to change and pack again with [`Node::new`].
    pub fn rrsets_owned(&self) -> Vec<RRset> {
        self.rrsets()
            .map(|s| RRset {
                rtype: s.rtype,
                ttl: s.ttl,
                data: s.data.into(),
            })
            .collect()
    }

    /// Changes the RRsets through `f` (RRsets left empty are dropped).
    pub fn update<T>(&mut self, f: impl FnOnce(&mut Vec<RRset>) -> T) -> T {
        let mut sets = self.rrsets_owned();
        let out = f(&mut sets);
        *self = Node::new(&sets);
        out
    }
}

/// Appends an RRset (header and packed records) to a node's bytes.
fn push_set(node: &mut Vec<u8>, rtype: RType, ttl: u32, packed: &[u8]) {
    push_set_header(node, rtype, ttl, packed.len());
    node.extend_from_slice(packed);
}

/// Appends the header of an RRset whose packed records take `len` bytes.
fn push_set_header(node: &mut Vec<u8>, rtype: RType, ttl: u32, len: usize) {
    let len = u32::try_from(len).expect("an RRset of less than 4 GiB");
    node.extend_from_slice(&rtype.0.to_ne_bytes());
    node.extend_from_slice(&ttl.to_ne_bytes());
    node.extend_from_slice(&len.to_ne_bytes());
}

/// Adds a record to a node's bytes being built, to its RRset of `rtype` (made, with `ttl`, if
/// there is none). Returns whether it was added (`false`: an identical record is there).
fn add_to_node(node: &mut Vec<u8>, rtype: RType, ttl: u32, rdata: &[u8]) -> bool {
    let packed_len = 2 + rdata.len();
    let mut at = 0;
    for set in RRsets(node) {
        let end = at + SET_HEADER + set.data.len();
        if set.rtype == rtype {
            if set.contains(rdata) {
                return false;
            }
            let len = u32::try_from(set.data.len() + packed_len).expect("less than 4 GiB");
            node[at + 6..at + SET_HEADER].copy_from_slice(&len.to_ne_bytes());
            // The record goes at the end of its RRset, which may not be the node's last.
            let mut tail = node.split_off(end);
            push_packed(node, rdata);
            node.append(&mut tail);
            return true;
        }
        at = end;
    }
    push_set_header(node, rtype, ttl, packed_len);
    push_packed(node, rdata);
    true
}

/// Iterator over the RRsets of a [`Node`].
#[derive(Debug, Clone)]
pub struct RRsets<'a>(&'a [u8]);

impl<'a> Iterator for RRsets<'a> {
    type Item = RRsetRef<'a>;

    #[inline]
    fn next(&mut self) -> Option<RRsetRef<'a>> {
        let (header, rest) = self.0.split_first_chunk::<SET_HEADER>()?;
        let rtype = RType(u16::from_ne_bytes([header[0], header[1]]));
        let ttl = u32::from_ne_bytes([header[2], header[3], header[4], header[5]]);
        let len = u32::from_ne_bytes([header[6], header[7], header[8], header[9]]) as usize;
        let (data, rest) = rest.split_at(len);
        self.0 = rest;
        Some(RRsetRef { rtype, ttl, data })
    }
}

/// An RRset as a [`Node`] holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RRsetRef<'a> {
    pub rtype: RType,
    pub ttl: u32,
    /// The records, packed as in [`RRset`].
    data: &'a [u8],
}

impl<'a> RRsetRef<'a> {
    /// The records' RDATA.
    #[inline]
    pub fn rdatas(self) -> Packed<'a> {
        Packed(self.data)
    }

    /// Number of records.
    pub fn len(self) -> usize {
        self.rdatas().len()
    }

    /// Does the RRset hold no record? (Never, in a node.)
    pub fn is_empty(self) -> bool {
        self.data.is_empty()
    }

    /// Does the RRset hold a record with this RDATA?
    pub fn contains(self, rdata: &[u8]) -> bool {
        self.rdatas().iter().any(|d| d == rdata)
    }
}

/// An immutable, loaded zone: what queries are answered from.
///
/// Every owner name and every empty non-terminal between an owner and the apex has a node, so
/// "does this name exist" is one hash lookup and never a scan.
///
/// The nodes are a large shared `base` (as loaded from the file) and a small `overlay` of the
/// nodes that edits changed since ([`update`]): an edit builds a new `Zone` that shares the base
/// and copies only the overlay, so applying it costs the size of the change and not the size of
/// the zone. A name in the overlay hides the base's node (`None`: the name was removed). When
/// the overlay grows past a fraction of the base it is folded in ([`Zone::compacted`]).
#[derive(Debug, Clone)]
pub struct Zone {
    /// Zone apex, lower-cased.
    origin: Name,
    /// Lower-cased owner name (wire form) → node.
    base: Arc<FxHashMap<Name, Node>>,
    /// Nodes changed by edits since the base was built.
    overlay: FxHashMap<Name, Option<Arc<Node>>>,
    /// The names of the base whose records may name others ([`Node::may_name_others`]), so
    /// that an edit finds the records naming a name without scanning every node.
    base_namers: Arc<Vec<Name>>,
    /// The number of children of each name of the base that has any ([`children`]).
    base_children: Arc<FxHashMap<Name, u32>>,
    /// Number of records (not RRsets) in the zone.
    record_count: usize,
    /// The differences that led to this version, for incremental transfers.
    history: Arc<ixfr::History>,
}

impl Zone {
    /// Builds a zone from records. Records whose owner is outside `origin` are ignored here; the
    /// checks in [`check`] report them before a zone is ever built for serving. Duplicate records
    /// are merged; an RRset takes the TTL of its first record.
    pub fn from_records<R: ZoneRecord>(
        origin: &Name,
        records: impl IntoIterator<Item = R>,
    ) -> Zone {
        let origin = origin.to_lowercase();
        let records = records.into_iter();
        let mut nodes: FxHashMap<Name, Node> = FxHashMap::default();
        // Zones usually hold a few records per owner.
        nodes.reserve(records.size_hint().0 / 2);
        nodes.insert(origin.clone(), Node::default());
        let mut record_count = 0;
        // Records of one owner usually come together: a run of them is gathered in `data` (the
        // bytes of its node) and stored when the next owner starts. `run` is the run's owner as
        // written, `key` its lower-cased name.
        let mut run: Vec<u8> = Vec::new();
        let mut key: Option<Name> = None;
        let mut data: Vec<u8> = Vec::new();
        // The names whose records may name others, told as each node is stored (a name stored
        // twice, its records not together in the file, may be listed twice).
        let mut namers: Vec<Name> = Vec::new();
        let mut store = |key: Name, data: &mut Vec<u8>, nodes: &mut FxHashMap<Name, Node>| {
            let node = Node {
                data: data.as_slice().into(),
            };
            data.clear();
            if node.may_name_others() {
                namers.push(key.clone());
            }
            nodes.insert(key, node);
        };
        for rec in records {
            let (rtype, ttl) = (rec.rtype(), rec.ttl());
            if !rec.owner().is_subdomain_of(&origin) {
                continue;
            }
            if key.is_some() && run == rec.owner().as_wire() {
                record_count += usize::from(add_to_node(&mut data, rtype, ttl, rec.rdata()));
                continue;
            }
            if let Some(done) = key.take() {
                store(done, &mut data, &mut nodes);
            }
            run.clear();
            run.extend_from_slice(rec.owner().as_wire());
            let lowered = lowercase_wire_cow(rec.owner().as_wire());
            if let Some((name, node)) = nodes.get_key_value(&*lowered) {
                // An owner met before (or an empty non-terminal so far): its node grows.
                data.extend_from_slice(&node.data);
                key = Some(name.clone());
            } else {
                // Create the empty non-terminals up to the first existing ancestor.
                for p in name::wire_ancestors(&lowered, origin.wire_len()) {
                    if nodes.contains_key(p) {
                        break;
                    }
                    nodes.insert(Name::from_lowercase_wire(p), Node::default());
                }
            }
            drop(lowered);
            record_count += usize::from(add_to_node(&mut data, rtype, ttl, rec.rdata()));
            if key.is_none() {
                // An owned owner written in lower case (the usual) is moved in, not copied.
                key = Some(if rec.owner().is_lowercase() {
                    rec.into_owner()
                } else {
                    rec.owner().to_lowercase()
                });
            }
        }
        if let Some(done) = key {
            store(done, &mut data, &mut nodes);
        }
        namers.sort_unstable_by(|a, b| a.as_wire().cmp(b.as_wire()));
        namers.dedup();
        Zone {
            origin,
            base_namers: Arc::new(namers),
            base_children: Arc::new(children(&nodes)),
            base: Arc::new(nodes),
            overlay: FxHashMap::default(),
            record_count,
            history: Arc::default(),
        }
    }

    /// The names whose records may name other names (see [`Node::may_name_others`]): a
    /// superset of the owners of the NS, MX and SRV records and of the SPF records, in no
    /// particular order.
    pub fn namers(&self) -> impl Iterator<Item = &Name> {
        let base = self
            .base_namers
            .iter()
            .filter(|name| !self.overlay.contains_key(*name));
        let changed = self
            .overlay
            .iter()
            .filter(|(_, node)| node.as_deref().is_some_and(Node::may_name_others))
            .map(|(name, _)| name);
        base.chain(changed)
    }

    /// The zone apex (lower-cased).
    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// The node at `name` (lower-cased wire form), if the name exists in the zone.
    pub fn node(&self, lowercase_wire: &[u8]) -> Option<&Node> {
        self.nodes_entry(lowercase_wire).map(|(_, node)| node)
    }

    /// The stored owner name and node at `name` (lower-cased wire form).
    #[inline]
    pub fn nodes_entry(&self, lowercase_wire: &[u8]) -> Option<(&Name, &Node)> {
        if !self.overlay.is_empty() {
            if let Some((name, node)) = self.overlay.get_key_value(lowercase_wire) {
                return node.as_deref().map(|node| (name, node));
            }
        }
        self.base.get_key_value(lowercase_wire)
    }

    /// The apex node.
    pub fn apex(&self) -> &Node {
        // The apex node is inserted by `from_records` and never removed by an update.
        self.node(self.origin.as_wire())
            .expect("the apex node always exists")
    }

    /// The SOA RDATA at the apex, if the zone has one.
    pub fn soa(&self) -> Option<Soa> {
        self.apex().get(RType::SOA).and_then(|set| {
            set.rdatas()
                .first()
                .and_then(Soa::from_rdata)
                .map(|mut soa| {
                    soa.ttl = set.ttl;
                    soa
                })
        })
    }

    /// The SOA serial, if the zone has an SOA.
    pub fn serial(&self) -> Option<u32> {
        self.soa().map(|s| s.serial)
    }

    /// Number of records.
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// Number of nodes, including empty non-terminals.
    pub fn node_count(&self) -> usize {
        let mut count = self.base.len();
        for (name, node) in &self.overlay {
            match (self.base.contains_key(name), node.is_some()) {
                (true, false) => count -= 1,
                (false, true) => count += 1,
                _ => {}
            }
        }
        count
    }

    /// Every (owner, node) pair, in no particular order.
    pub fn nodes(&self) -> impl Iterator<Item = (&Name, &Node)> {
        let base = self
            .base
            .iter()
            .filter(|(name, _)| !self.overlay.contains_key(*name));
        let changed = self
            .overlay
            .iter()
            .filter_map(|(name, node)| node.as_deref().map(|node| (name, node)));
        base.chain(changed)
    }

    /// The differences that led to this version from earlier serials.
    pub fn history(&self) -> &ixfr::History {
        &self.history
    }

    /// This zone as the version that replaces `old` (the same zone's served version), which
    /// is the highest serial served yet unless `top` is higher: with `old`'s history and the
    /// difference between them ([`ixfr::History::after`]), found by comparing every name.
    pub fn succeeding(self, old: &Zone, top: Option<u32>) -> Zone {
        let history = ixfr::History::after(old, &self, None, top);
        self.with_history(history)
    }

    /// [`Zone::succeeding`] for an edit of `old` that touched only the names `touched`.
    pub fn succeeding_edit(self, old: &Zone, touched: &[Name], top: Option<u32>) -> Zone {
        let history = ixfr::History::after(old, &self, Some(touched), top);
        self.with_history(history)
    }

    /// This zone with `history` (found by [`ixfr::History::after`]).
    pub fn with_history(mut self, history: Arc<ixfr::History>) -> Zone {
        self.history = history;
        self
    }

    /// Number of nodes changed by edits since the zone was built or compacted.
    pub fn overlay_len(&self) -> usize {
        self.overlay.len()
    }

    /// The same zone with the overlay folded into a new base: copies every node, so callers do
    /// it rarely (when the overlay has grown past a fraction of the base).
    pub fn compacted(&self) -> Zone {
        let nodes: FxHashMap<Name, Node> = self
            .nodes()
            .map(|(name, node)| (name.clone(), node.clone()))
            .collect();
        Zone {
            origin: self.origin.clone(),
            base_namers: Arc::new(namers(&nodes)),
            base_children: Arc::new(children(&nodes)),
            base: Arc::new(nodes),
            overlay: FxHashMap::default(),
            record_count: self.record_count,
            history: self.history.clone(),
        }
    }

    /// Should the overlay be folded in? When it holds more than 1/16 of the base (and at least
    /// a few thousand names), lookups of changed names and the copy each edit makes of the
    /// overlay start to cost more than an occasional fold.
    pub fn wants_compaction(&self) -> bool {
        self.overlay.len() > 4096 + self.base.len() / 16
    }

    /// Every record as a flat list, owners in canonical order (for printing and comparing).
    pub fn records_sorted(&self) -> Vec<Record> {
        let mut nodes: Vec<(&Name, &Node)> = self.nodes().collect();
        nodes.sort_by(|a, b| a.0.canonical_cmp(b.0));
        let mut out = Vec::with_capacity(self.record_count);
        for (owner, node) in nodes {
            let mut sets: Vec<RRsetRef> = node.rrsets().collect();
            // SOA first at the apex, then by type code.
            sets.sort_by_key(|s| (s.rtype != RType::SOA, s.rtype));
            for set in sets {
                for rd in set.rdatas() {
                    out.push(Record {
                        owner: owner.clone(),
                        ttl: set.ttl,
                        rtype: set.rtype,
                        rdata: rd.into(),
                    });
                }
            }
        }
        out
    }
}

/// The fields of an SOA record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Soa {
    pub mname: Name,
    pub rname: Name,
    pub serial: u32,
    pub refresh: u32,
    pub retry: u32,
    pub expire: u32,
    pub minimum: u32,
    /// TTL of the SOA RRset (not part of RDATA; filled in by [`Zone::soa`]).
    pub ttl: u32,
}

impl Soa {
    /// Decodes SOA wire RDATA.
    pub fn from_rdata(rdata: &[u8]) -> Option<Soa> {
        let m_len = name::wire_name_len(rdata)?;
        let mname = Name::from_wire(&rdata[..m_len]).ok()?;
        let r_len = name::wire_name_len(&rdata[m_len..])?;
        let rname = Name::from_wire(&rdata[m_len..m_len + r_len]).ok()?;
        let rest = &rdata[m_len + r_len..];
        if rest.len() != 20 {
            return None;
        }
        let u = |i: usize| u32::from_be_bytes([rest[i], rest[i + 1], rest[i + 2], rest[i + 3]]);
        Some(Soa {
            mname,
            rname,
            serial: u(0),
            refresh: u(4),
            retry: u(8),
            expire: u(12),
            minimum: u(16),
            ttl: 0,
        })
    }

    /// Offset of the serial within the SOA RDATA.
    pub fn serial_offset(rdata: &[u8]) -> Option<usize> {
        let m_len = name::wire_name_len(rdata)?;
        let r_len = name::wire_name_len(&rdata[m_len..])?;
        Some(m_len + r_len)
    }

    /// Writes `serial` into SOA RDATA (left as it is if it is too short to hold one). With 0,
    /// what identifies an SOA apart from its serial.
    pub fn set_serial(rdata: &mut [u8], serial: u32) {
        if let Some(at) = Soa::serial_offset(rdata).filter(|&at| at + 4 <= rdata.len()) {
            rdata[at..at + 4].copy_from_slice(&serial.to_be_bytes());
        }
    }
}

/// The zones being served, keyed by lower-cased origin: what one immutable snapshot holds.
#[derive(Debug, Clone, Default)]
pub struct ZoneSet {
    zones: FxHashMap<Name, std::sync::Arc<Zone>>,
}

impl ZoneSet {
    /// An empty set.
    pub fn new() -> ZoneSet {
        ZoneSet::default()
    }

    /// Adds or replaces a zone.
    pub fn insert(&mut self, zone: std::sync::Arc<Zone>) {
        self.zones.insert(zone.origin().clone(), zone);
    }

    /// Removes the zone with this origin.
    pub fn remove(&mut self, origin: &Name) -> Option<std::sync::Arc<Zone>> {
        self.zones.remove(&origin.to_lowercase())
    }

    /// The zone with exactly this origin.
    pub fn get(&self, origin: &Name) -> Option<&std::sync::Arc<Zone>> {
        self.zones.get(origin.as_wire())
    }

    /// The zone whose origin is `lowercase_wire` (a lower-cased wire name).
    pub fn get_wire(&self, lowercase_wire: &[u8]) -> Option<&std::sync::Arc<Zone>> {
        self.zones.get(lowercase_wire)
    }

    /// The most specific zone containing `lowercase_wire` (a lower-cased wire name).
    pub fn find(&self, lowercase_wire: &[u8]) -> Option<&Zone> {
        let mut pos = 0;
        loop {
            if let Some(z) = self.zones.get(&lowercase_wire[pos..]) {
                return Some(z);
            }
            let len = *lowercase_wire.get(pos)? as usize;
            if len == 0 {
                return None;
            }
            pos += 1 + len;
        }
    }

    /// The zone that answers `qtype` at `lowercase_wire`: the most specific one containing it,
    /// except for DS at a zone's apex. DS belongs to the parent side of the cut, so when the
    /// parent zone is served here too, it answers (RFC 4035 §3.1.4.1).
    #[inline]
    pub fn find_for(&self, lowercase_wire: &[u8], qtype: RType) -> Option<&Zone> {
        if qtype == RType::DS {
            if let (Some(apex), Some(&len)) =
                (self.zones.get(lowercase_wire), lowercase_wire.first())
            {
                if len != 0 {
                    let parent = &lowercase_wire[1 + len as usize..];
                    return self.find(parent).or(Some(apex));
                }
            }
        }
        self.find(lowercase_wire)
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Is the set empty?
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Every zone, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &std::sync::Arc<Zone>> {
        self.zones.values()
    }
}

/// `wire` lower-cased, borrowed when it already is.
fn lowercase_wire_cow(wire: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if name::has_ascii_uppercase(wire) {
        let mut v = wire.to_vec();
        name::lowercase_wire(&mut v);
        std::borrow::Cow::Owned(v)
    } else {
        std::borrow::Cow::Borrowed(wire)
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::zone::parse::parse_zone_str;

    fn name(text: &str) -> Name {
        Name::parse(text, None).unwrap()
    }

    fn zone(text: &str) -> Zone {
        let origin = name("example.");
        let entries = parse_zone_str(text, Path::new("t.zone"), &origin).unwrap();
        Zone::from_records(&origin, &entries)
    }

    /// The names that may name others: NS, MX, SRV, TXT that may be SPF (split strings
    /// included), kept through edits and compaction.
    #[test]
    fn namers_are_the_names_whose_records_may_name_others() {
        let z = zone(
            "@ SOA ns hostmaster 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nm MX 10 ns\n\
             s SRV 0 0 25 ns\nspf TXT \"v=spf1 -all\"\nsplit TXT \"\" \"v=spf1 -all\"\n\
             host TXT \"host 1\"\nm AAAA 2001:db8::1\n",
        );
        let listed = |z: &Zone| {
            let mut v: Vec<String> = z.namers().map(|n| n.to_string()).collect();
            v.sort();
            v
        };
        let want = [
            "example.",
            "m.example.",
            "s.example.",
            "spf.example.",
            "split.example.",
        ];
        assert_eq!(listed(&z), want);
        let cx = update::Context {
            file: Path::new("t.zone"),
            default_ttl: 300,
            included: &[],
        };
        let ops = edit::parse_batch("add host MX 10 ns\ndel m MX", &name("example.")).unwrap();
        let edited = update::update(&z, &ops, &cx, |s| s + 1).unwrap().zone;
        let want = [
            "example.",
            "host.example.",
            "s.example.",
            "spf.example.",
            "split.example.",
        ];
        assert_eq!(listed(&edited), want);
        assert_eq!(listed(&edited.compacted()), want);
    }

    fn types(node: &Node) -> Vec<(RType, usize)> {
        node.rrsets().map(|s| (s.rtype, s.len())).collect()
    }

    #[test]
    fn records_of_one_owner_make_one_node_wherever_and_however_they_are_written() {
        let z = zone(
            "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nb.a A 192.0.2.1\nwww A 192.0.2.1\n\
             WWW TXT \"x\"\nmail A 192.0.2.2\nwww A 192.0.2.3\nwww A 192.0.2.1\na TXT \"y\"\n\
             www 300 AAAA ::1\nwww A 192.0.2.4\n",
        );
        let www = z.node(name("www.example.").as_wire()).unwrap();
        assert_eq!(
            types(www),
            [(RType::A, 3), (RType::TXT, 1), (RType::AAAA, 1)]
        );
        let a: Vec<&[u8]> = www.get(RType::A).unwrap().rdatas().iter().collect();
        assert_eq!(a, [&[192, 0, 2, 1][..], &[192, 0, 2, 3], &[192, 0, 2, 4]]);
        assert_eq!(www.get(RType::AAAA).unwrap().ttl, 300);
        // `a` was an empty non-terminal (above b.a) until its own record came.
        let a = z.node(name("a.example.").as_wire()).unwrap();
        assert_eq!(types(a), [(RType::TXT, 1)]);
        assert_eq!(z.node_count(), 5);
        // SOA, NS, b.a, www × 5 (the repeated A merged), mail, a.
        assert_eq!(z.record_count(), 10);
    }

    #[test]
    fn a_node_unpacks_changes_and_packs_again() {
        let z = zone("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nns TXT \"t\"\n");
        let mut ns = z.node(name("ns.example.").as_wire()).unwrap().clone();
        let count = ns.update(|sets| {
            sets[0].push(&[192, 0, 2, 2]);
            sets[1].retain(|_| false);
            sets.len()
        });
        assert_eq!(count, 2);
        // The emptied TXT RRset is gone.
        assert_eq!(types(&ns), [(RType::A, 2)]);
        assert_eq!(ns.record_count(), 2);
        ns.update(|sets| sets.clear());
        assert!(ns.is_empty());
        assert_eq!(ns, Node::default());
    }
}
