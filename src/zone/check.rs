//! Zone checks run before a zone is served or written: what `kzonecheck` (Knot) and
//! `named-checkzone` (BIND) reject, and the mistakes that make a zone serve something other than
//! what its file says.
//!
//! [`check_entries`] takes the records as the parser read them ([`Entry`], with file and line) and
//! returns [`Finding`]s. An [`Severity::Error`] makes the zone unservable (the server keeps its last
//! good version, an edit is refused); a [`Severity::Warning`] is reported and the zone is served.
//!
//! | check                                                     | here    | Knot 3.2          | BIND 9  |
//! |-----------------------------------------------------------|---------|-------------------|---------|
//! | no SOA at the apex                                        | error   | error             | error   |
//! | more than one SOA                                         | error   | accepted          | error   |
//! | SOA below the apex                                        | error   | accepted          | error   |
//! | no NS at the apex                                         | error   | warning           | error   |
//! | owner outside the zone                                    | error   | warning (ignored) | warning (ignored) |
//! | TTL above 2^31-1                                          | error   | accepted          | warning (TTL 0) |
//! | CNAME and other data (RRSIG/NSEC excepted), CNAME at apex | error   | error             | error   |
//! | more than one CNAME at a name                             | error   | error             | error   |
//! | more than one DNAME at a name                             | error   | error             | error   |
//! | DNAME and NS at a name below the apex                     | error   | error             | accepted |
//! | names below a DNAME                                       | error   | error             | error for NS targets |
//! | DS at the apex                                            | error   | accepted          | error   |
//! | DNSKEY at the apex (a zone signed elsewhere: see below)   | warning | accepted          | accepted |
//! | a private key in a TXT record (PEM, or DKIM `p=`)          | error   | accepted          | accepted |
//! | DKIM key record verifiers cannot parse, or its key        | warning | accepted          | accepted |
//! | more than one DKIM key record at a selector               | warning | accepted          | accepted |
//! | NS at a wildcard name                                     | error   | accepted          | error   |
//! | apex NS target in the zone without A/AAAA                 | error   | warning           | error   |
//! | apex NS target that is a CNAME                            | error   | warning           | error   |
//! | delegation NS target in the zone without A/AAAA (glue)    | warning | warning           | warning |
//! | delegation NS target that is a CNAME                      | warning | warning           | warning |
//! | MX/SRV target that is a CNAME                             | warning | accepted          | warning |
//! | MX/SRV target in the zone without A/AAAA                  | warning | accepted          | warning |
//! | RRset whose records have different TTLs                   | warning | notice            | warning |
//! | data at or below a delegation other than NS/DS/glue       | warning | accepted          | accepted |
//! | more than one SPF record at a name (RFC 7208 §4.5)        | warning | accepted          | accepted |
//! | SPF strings that join into something else than `v=spf1 …` | warning | accepted          | accepted |
//! | SPF record receivers reject (syntax: a permerror)          | warning | accepted          | accepted |
//! | SPF record with over 10 terms that query DNS (itself)     | warning | accepted          | accepted |
//! | SPF include/redirect to a name here with no SPF record    | warning | accepted          | accepted |
//! | more than one DMARC record at `_dmarc` (RFC 7489 §6.6.3)  | warning | accepted          | accepted |
//! | `v=DMARC1` not followed by `;` (receivers read no DMARC)  | warning | accepted          | accepted |
//! | DMARC record with tags receivers drop, or without `p`     | warning | accepted          | accepted |
//! | more than one MTA-STS record at `_mta-sts` (RFC 8461)     | warning | accepted          | accepted |
//! | more than one TLS-RPT record at `_smtp._tls` (RFC 8460)   | warning | accepted          | accepted |
//! | more than one BIMI record at `SEL._bimi` (BIMI draft)     | warning | accepted          | accepted |
//! | MTA-STS/TLS-RPT/BIMI record its readers cannot parse      | warning | accepted          | accepted |
//! | TXT there meant as one but without the exact version      | warning | accepted          | accepted |
//! | MTA-STS policy host `mta-sts` in the zone, no address     | warning | accepted          | accepted |
//! | BIMI record whose DMARC here is not at enforcement        | warning | accepted          | accepted |
//!
//! The MTA-STS, TLS-RPT and BIMI rows follow RFC 8461 §3.1 (`v=STSv1`, `id` of 1 to 32
//! letters and digits), RFC 8460 §3 (`v=TLSRPTv1`, `rua` of `mailto:` and `https:` URIs) and
//! draft-brand-indicators-for-message-identification-10 §4.3 and §7.2 (`v=BIMI1`, `l` and `a`
//! empty or one HTTPS URI, the logo an SVG), as `mail_policy` parses them. A policy host
//! without address has no A, AAAA or CNAME (nor a wildcard giving it one) and is not in a child
//! zone. BIMI's DMARC (§7.1) is judged only from a DMARC TXT record at `_dmarc.DOMAIN` in this
//! zone (none there is not judged: the policy may be the organizational domain's, or behind a
//! CNAME): `p=none` or no valid `p`, `sp=none`, or `p=quarantine` with `pct` below 100.
//!
//! A zone with a DNSKEY at its apex was signed by another tool. zonectl serves its RRSIG, NSEC
//! and NSEC3 records as the plain records they are (to a question of their type, or ANY) and
//! adds none to an answer, so a validating resolver that has a DS for the zone from its parent
//! finds every answer bogus; and an edit is not signed. Knot and BIND serve such a zone signed.
//!
//! Pure: imports only `std`, `rustc_hash`, `smallvec`, the other `zone` modules, and the pure
//! modules that recognise mail records: `spf::record` (`is_spf`, `SpfRecord::parse`, and
//! `spf::eval`'s limit of 10 DNS-querying terms), `dmarc::record`
//! (`DmarcRecord::is_dmarc`, and `looks_like_dmarc` for a record meant as DMARC that
//! receivers read as none), `dkim::record` (`private_key_in`, `DkimRecord::parse`),
//! `dkim::key` (`unusable_key`: reading the published key) and `mail_policy` (MTA-STS,
//! TLS-RPT and BIMI).

use std::fmt;
use std::path::PathBuf;

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use super::name::{self, Name};
use super::parse::Entries;
use super::rdata::RType;
use crate::dkim::key as dkim_key;
use crate::dkim::record as dkim_record;
use crate::dmarc::record::{self as dmarc_record, DmarcError, DmarcRecord, Tag};
use crate::mail_policy::{bimi, Kind};
use crate::spf::eval::MAX_DNS_TERMS;
use crate::spf::record as spf_record;

/// Largest TTL a zone may hold (RFC 2181 §8).
const MAX_TTL: u32 = 0x7fff_ffff;

/// The first label of a DMARC record's owner, `_dmarc.DOMAIN`, in wire form.
const DMARC_LABEL: &[u8] = b"\x06_dmarc";

/// The first label of the MTA-STS policy host, `mta-sts.DOMAIN` (RFC 8461 §3.2), in wire form.
const MTA_STS_HOST_LABEL: &[u8] = b"\x07mta-sts";

/// How bad a [`Finding`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The zone must not be served or written as it is.
    Error,
    /// The zone is served, but probably not as its author meant.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One problem found in a zone, with where it was written.
///
/// Displays as `FILE:LINE: error: message`, leaving out what is unknown (`FILE: warning: ...`,
/// `error: ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// Error or warning.
    pub severity: Severity,
    /// The file holding the record at fault (an `$INCLUDE`d file for records inside it).
    pub file: Option<PathBuf>,
    /// 1-based line where the record at fault starts; `None` for zone-wide findings such as a
    /// missing SOA.
    pub line: Option<usize>,
    /// Owner name of the record at fault (the apex for zone-wide findings).
    pub owner: Option<Name>,
    /// What is wrong and what to do about it.
    pub message: String,
    /// Given by every edit of the zone, even one that did not bring it about: a signed zone's
    /// warning, as each edit leaves records unsigned. An edit gives the others only where it
    /// changed records or brought them about.
    pub every_edit: bool,
}

impl Finding {
    /// Is this an error (the zone must not be served)?
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl Finding {
    /// `FILE:LINE: message`, without the severity: for a list that says it already (a zone's
    /// warnings, which `status` and `reload` print after `warning:`).
    pub fn located(&self) -> String {
        format!("{}{}", self.place(), self.message)
    }

    /// `FILE:LINE: `, leaving out what is unknown.
    fn place(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{}:{line}: ", file.display()),
            (Some(file), None) => format!("{}: ", file.display()),
            (None, Some(line)) => format!("line {line}: "),
            (None, None) => String::new(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: {}", self.place(), self.severity, self.message)
    }
}

/// Does any finding make the zone unservable?
pub fn has_errors(findings: &[Finding]) -> bool {
    findings.iter().any(Finding::is_error)
}

/// Checks the records of a zone about to be served or written (the table in the module docs
/// lists the checks). Errors make the zone unservable; warnings don't.
///
/// Findings come zone-wide ones first (no SOA, no NS), then in the order of the records they
/// are about.
pub fn check_entries(origin: &Name, entries: &Entries) -> Vec<Finding> {
    check_part(origin, entries, &[])
}

/// [`check_entries`] on part of a zone (an edit's neighbourhood): `empty` names the empty
/// non-terminals of the whole zone among the names looked at, which the entries cannot show
/// (no record is at one, and the names below it that make it exist may not be in the part). A
/// name that exists answers for itself, and no wildcard for it (RFC 4592 §2.2.1).
pub fn check_part(origin: &Name, entries: &Entries, empty: &[Name]) -> Vec<Finding> {
    let origin = origin.to_lowercase();
    // Owners not written in lower case, lower-cased (`None`: the owner already is), by index
    // into `entries.owners()`: the index borrows every lower-cased owner from here or from the
    // entries.
    let lowered: Vec<Option<Name>> = entries
        .owners()
        .iter()
        .map(|owner| (!owner.is_lowercase()).then(|| owner.to_lowercase()))
        .collect();
    let mut out = Out {
        entries,
        origin: origin.clone(),
        findings: Vec::new(),
    };
    let empty: Vec<&[u8]> = empty
        .iter()
        .map(Name::as_wire)
        .filter(|n| name::wire_is_subdomain(n, origin.as_wire()))
        .collect();
    let ix = Index::new(&origin, entries, &lowered, &empty, &mut out);
    ix.check_ttls(&mut out);
    ix.check_soa(&mut out);
    ix.check_apex_ns(&mut out);
    ix.check_nodes(&mut out);
    ix.check_below_dname(&mut out);
    ix.check_occluded(&mut out);
    ix.check_targets(&mut out);
    out.finish()
}

/// RRset identity for the TTL check: RRSIGs form one set per type covered (RFC 4034 §3).
type RRsetKey<'a> = (&'a [u8], RType, u16);

/// The findings being collected, each with the index of the entry it is about.
struct Out<'a> {
    entries: &'a Entries,
    /// Zone apex, lower-cased.
    origin: Name,
    /// `None`: zone-wide.
    findings: Vec<(Option<usize>, Finding)>,
}

impl Out<'_> {
    fn push(&mut self, severity: Severity, at: usize, message: String) {
        let e = self.entries.get(at);
        let finding = Finding {
            severity,
            file: Some(e.file.to_path_buf()),
            line: Some(e.line),
            owner: Some(e.owner.clone()),
            message,
            every_edit: false,
        };
        self.findings.push((Some(at), finding));
    }

    fn error(&mut self, at: usize, message: String) {
        self.push(Severity::Error, at, message);
    }

    fn warning(&mut self, at: usize, message: String) {
        self.push(Severity::Warning, at, message);
    }

    /// A warning every edit of the zone gives ([`Finding::every_edit`]).
    fn warning_every_edit(&mut self, at: usize, message: String) {
        self.warning(at, message);
        if let Some((_, f)) = self.findings.last_mut() {
            f.every_edit = true;
        }
    }

    /// A zone-wide error, reported against the main file (that of the first record).
    fn zone_error(&mut self, message: String) {
        let finding = Finding {
            severity: Severity::Error,
            file: self.entries.iter().next().map(|e| e.file.to_path_buf()),
            line: None,
            owner: Some(self.origin.clone()),
            message,
            every_edit: false,
        };
        self.findings.push((None, finding));
    }

    /// Zone-wide findings first, then by record; the sort is stable, so the findings about one
    /// record keep the order of the checks.
    fn finish(mut self) -> Vec<Finding> {
        self.findings.sort_by_key(|(at, _)| *at);
        self.findings.into_iter().map(|(_, f)| f).collect()
    }
}

/// What an NS, MX or SRV target inside the zone resolves to.
enum Target {
    /// It has an A or AAAA record (or a wildcard gives it one).
    Address,
    /// It is a CNAME (entry index).
    Cname(usize),
    /// It has no address in the zone.
    Missing,
    /// Not ours to judge: below another delegation or a DNAME.
    Skip,
}

/// The zone's in-zone entries indexed by owner. Built once, read by every check.
///
/// Names are lower-cased wire forms borrowed from the entries (or their lower-cased copies), so
/// indexing allocates nothing per name. Each name is a node, numbered in the order it was first
/// met; the entries of all nodes are one array, node by node (in file order within a node), so
/// going node by node reads the entries about in file order.
struct Index<'a> {
    /// Zone apex, lower-cased.
    origin: &'a Name,
    entries: &'a Entries,
    /// Per owner of `entries`: lower-cased, if it was not already.
    lowered: &'a [Option<Name>],
    /// Indices of the entries whose owner is in the zone, in file order.
    in_zone: Vec<usize>,
    /// Every owner and every empty non-terminal between an owner and the apex → its node.
    nodes: FxHashMap<&'a [u8], u32>,
    /// Node → its name.
    names: Vec<&'a [u8]>,
    /// Node `n`'s entries are `at[starts[n]..starts[n + 1]]` (none for an empty non-terminal).
    starts: Vec<u32>,
    at: Vec<usize>,
    /// Delegation points (names below the apex with NS) → their first NS entry.
    cuts: FxHashMap<&'a [u8], usize>,
    /// Names with a DNAME → their first DNAME entry.
    dnames: FxHashMap<&'a [u8], usize>,
}

/// Number of labels of wire name `name`, not counting the root.
fn label_count(name: &[u8]) -> usize {
    let (mut pos, mut n) = (0, 0);
    while name[pos] != 0 {
        pos += 1 + name[pos] as usize;
        n += 1;
    }
    n
}

impl<'a> Index<'a> {
    /// Indexes the entries; reports each out-of-zone entry, which no other check looks at.
    /// `origin` is lower-cased; `lowered` is as built by [`check_entries`].
    fn new(
        origin: &'a Name,
        entries: &'a Entries,
        lowered: &'a [Option<Name>],
        empty: &[&'a [u8]],
        out: &mut Out,
    ) -> Index<'a> {
        let mut ix = Index {
            origin,
            entries,
            lowered,
            in_zone: Vec::with_capacity(entries.len()),
            nodes: FxHashMap::default(),
            names: Vec::new(),
            starts: Vec::new(),
            at: Vec::new(),
            cuts: FxHashMap::default(),
            dnames: FxHashMap::default(),
        };
        // Every owner stored once per run of records is a node, and a few empty non-terminals.
        ix.nodes.reserve(entries.owners().len() + 1);
        ix.names.reserve(entries.owners().len() + 1);
        let apex = origin.as_wire();
        ix.add_node(apex);
        // The node of each in-zone entry; entries of one stored owner share it, and are
        // usually next to each other, so the map is asked once per run.
        let mut node_of: Vec<u32> = Vec::with_capacity(entries.len());
        let mut last: Option<(usize, u32)> = None;
        for (i, e) in entries.iter().enumerate() {
            let stored = entries.owner_index(i);
            let node = match last {
                Some((s, node)) if s == stored => node,
                _ => {
                    if !e.owner.is_subdomain_of(origin) {
                        out.error(
                            i,
                            format!(
                                "{} is out of zone: it is neither {origin} nor a name below it; \
                                 remove the record or move it to the zone it belongs to",
                                e.owner
                            ),
                        );
                        continue;
                    }
                    let node = ix.node_for(ix.owner(i));
                    last = Some((stored, node));
                    node
                }
            };
            ix.in_zone.push(i);
            node_of.push(node);
            let owner = ix.owner(i);
            if e.rtype == RType::NS && owner != apex {
                ix.cuts.entry(owner).or_insert(i);
            }
            if e.rtype == RType::DNAME {
                ix.dnames.entry(owner).or_insert(i);
            }
        }
        for &name in empty {
            ix.node_for(name);
        }
        // Group the entries node by node (a counting sort: file order within a node).
        let mut starts = vec![0u32; ix.names.len() + 1];
        for &node in &node_of {
            starts[node as usize + 1] += 1;
        }
        for n in 1..starts.len() {
            starts[n] += starts[n - 1];
        }
        let mut next = starts.clone();
        let mut at = vec![0; node_of.len()];
        for (&i, &node) in ix.in_zone.iter().zip(&node_of) {
            let slot = &mut next[node as usize];
            at[*slot as usize] = i;
            *slot += 1;
        }
        ix.starts = starts;
        ix.at = at;
        ix
    }

    /// The node of `owner` (lower-cased), added with the empty non-terminals up to the first
    /// name already known (the apex always is) if it is new.
    fn node_for(&mut self, owner: &'a [u8]) -> u32 {
        if let Some(&node) = self.nodes.get(owner) {
            return node;
        }
        for p in name::wire_ancestors(owner, self.origin.wire_len()) {
            if self.nodes.contains_key(p) {
                break;
            }
            self.add_node(p);
        }
        self.add_node(owner)
    }

    fn add_node(&mut self, name: &'a [u8]) -> u32 {
        let node = self.names.len() as u32;
        self.nodes.insert(name, node);
        self.names.push(name);
        node
    }

    /// The entries of node `n`.
    fn entries_of(&self, n: usize) -> &[usize] {
        &self.at[self.starts[n] as usize..self.starts[n + 1] as usize]
    }

    /// Every owner with its entries, in the order its node was made: checks that go owner by
    /// owner use this, as findings are sorted by entry at the end.
    fn owners(&self) -> impl Iterator<Item = (&'a [u8], &[usize])> {
        self.names
            .iter()
            .enumerate()
            .map(|(n, &name)| (name, self.entries_of(n)))
            .filter(|(_, at)| !at.is_empty())
    }

    /// The lower-cased owner of entry `i`.
    fn owner(&self, i: usize) -> &'a [u8] {
        let entries: &'a Entries = self.entries;
        let lowered: &'a [Option<Name>] = self.lowered;
        let at = entries.owner_index(i);
        lowered[at]
            .as_ref()
            .unwrap_or(&entries.owners()[at])
            .as_wire()
    }

    /// Does `name` (lower-cased) own records?
    fn is_owner(&self, name: &[u8]) -> bool {
        !self.at(name).is_empty()
    }

    /// The entries at `name` (lower-cased).
    fn at(&self, name: &[u8]) -> &[usize] {
        self.nodes
            .get(name)
            .map_or(&[], |&n| self.entries_of(n as usize))
    }

    /// The first entry of type `rtype` at `name` (lower-cased).
    fn first_of(&self, name: &[u8], rtype: RType) -> Option<usize> {
        self.at(name)
            .iter()
            .copied()
            .find(|&i| self.entries.get(i).rtype == rtype)
    }

    /// Does `name` (lower-cased) have an A or AAAA record?
    fn has_address(&self, name: &[u8]) -> bool {
        self.at(name)
            .iter()
            .any(|&i| matches!(self.entries.get(i).rtype, RType::A | RType::AAAA))
    }

    /// The distinct types of the entries `at` with the first entry of each, in file order.
    fn types_of(&self, at: &[usize]) -> SmallVec<[(RType, usize); 4]> {
        let mut types: SmallVec<[(RType, usize); 4]> = SmallVec::new();
        for &i in at {
            let t = self.entries.get(i).rtype;
            if !types.iter().any(|&(seen, _)| seen == t) {
                types.push((t, i));
            }
        }
        types
    }

    /// Where entry `other` is, as seen from entry `from`: `line N`, or `FILE:N` if the two are
    /// in different files.
    fn loc(&self, other: usize, from: usize) -> String {
        let (o, f) = (self.entries.get(other), self.entries.get(from));
        if o.file == f.file {
            format!("line {}", o.line)
        } else {
            format!("{}:{}", o.file.display(), o.line)
        }
    }

    /// The DNAME entry of the nearest strict ancestor of `name` that has one.
    fn dname_above(&self, name: &[u8]) -> Option<usize> {
        if self.dnames.is_empty() {
            return None;
        }
        self.ancestor_wires(name)
            .find_map(|a| self.dnames.get(a).copied())
    }

    /// The strict ancestors of the lower-cased `name` down to the apex, nearest first, as wire
    /// suffixes of `name` (no allocation: these lookups run for every record).
    fn ancestor_wires<'n>(&self, name: &'n [u8]) -> impl DoubleEndedIterator<Item = &'n [u8]> {
        let below = if name::wire_is_subdomain(name, self.origin.as_wire()) {
            label_count(name) - self.origin.label_count()
        } else {
            0
        };
        (1..=below).map(move |k| name::suffix_wire_at(name, k))
    }

    /// The topmost delegation point strictly above `name` (below the apex), with its first NS.
    fn cut_above(&self, name: &[u8]) -> Option<(&'a [u8], usize)> {
        if self.cuts.is_empty() {
            return None;
        }
        self.ancestor_wires(name)
            .rev()
            .find_map(|a| self.cuts.get_key_value(a))
            .map(|(&n, &i)| (n, i))
    }

    /// The topmost delegation point at or above `name`.
    fn cut_at_or_above(&self, name: &[u8]) -> Option<&'a [u8]> {
        self.cut_above(name)
            .map(|(n, _)| n)
            .or_else(|| self.cuts.get_key_value(name).map(|(&n, _)| n))
    }

    /// TTL above 2^31-1, and records of one RRset with different TTLs.
    fn check_ttls(&self, out: &mut Out) {
        // Owners with many entries look the first of each RRset up in a map; the others (the
        // usual few records per owner) scan their earlier entries.
        const SCAN_MAX: usize = 16;
        let covered = |i: usize| {
            let e = self.entries.get(i);
            match (e.rtype, e.rdata) {
                (RType::RRSIG, [hi, lo, ..]) => u16::from_be_bytes([*hi, *lo]),
                _ => 0,
            }
        };
        let mut first: FxHashMap<RRsetKey, usize> = FxHashMap::default();
        // Findings are sorted by entry at the end, so going owner by owner reports the same.
        for (name, at) in self.owners() {
            for (j, &i) in at.iter().enumerate() {
                self.check_ttl(i, out);
                let e = self.entries.get(i);
                let cov = covered(i);
                let f = if at.len() <= SCAN_MAX {
                    at[..j]
                        .iter()
                        .copied()
                        .find(|&f| self.entries.get(f).rtype == e.rtype && covered(f) == cov)
                } else {
                    let f = first.get(&(name, e.rtype, cov)).copied();
                    if f.is_none() {
                        first.insert((name, e.rtype, cov), i);
                    }
                    f
                };
                if let Some(f) = f {
                    if self.entries.get(f).ttl != e.ttl {
                        let ttl = self.entries.get(f).ttl;
                        out.warning(
                            i,
                            format!(
                                "TTL {} differs from TTL {ttl} of the first {} {} record ({}); \
                                 the whole RRset is served with TTL {ttl}: give its records the \
                                 same TTL",
                                e.ttl,
                                e.owner,
                                e.rtype,
                                self.loc(f, i)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// A TTL above 2^31-1.
    fn check_ttl(&self, i: usize, out: &mut Out) {
        let e = self.entries.get(i);
        if e.ttl > MAX_TTL {
            out.error(
                i,
                format!(
                    "TTL {} is larger than the maximum {MAX_TTL} seconds (RFC 2181 §8); use a \
                     smaller TTL",
                    e.ttl
                ),
            );
        }
    }

    /// Exactly one SOA, at the apex.
    fn check_soa(&self, out: &mut Out) {
        let mut apex_soa: Option<usize> = None;
        for &i in &self.in_zone {
            let e = self.entries.get(i);
            if e.rtype != RType::SOA {
                continue;
            }
            if !e.owner.eq_ignore_case(self.origin) {
                out.error(
                    i,
                    format!(
                        "SOA record at {}, which is not the zone apex {}; a zone has exactly one \
                         SOA, at its apex: remove this one",
                        e.owner, self.origin
                    ),
                );
                continue;
            }
            match apex_soa {
                None => apex_soa = Some(i),
                Some(f) => {
                    // Identical copies are merged silently, as Knot and BIND do.
                    if canonical_rdata(e.rtype, e.rdata)
                        != canonical_rdata(e.rtype, self.entries.get(f).rdata)
                    {
                        out.error(
                            i,
                            format!(
                                "second SOA record at the apex {} (the first is at {}); a zone has \
                                 exactly one SOA: remove one of them",
                                self.origin,
                                self.loc(f, i)
                            ),
                        );
                    }
                }
            }
        }
        if apex_soa.is_none() {
            out.zone_error(format!(
                "no SOA record at the zone apex {}; add one: `@ SOA <primary NS> <hostmaster> \
                 <serial> <refresh> <retry> <expire> <minimum>`",
                self.origin
            ));
        }
    }

    /// At least one NS at the apex.
    fn check_apex_ns(&self, out: &mut Out) {
        if self.first_of(self.origin.as_wire(), RType::NS).is_none() {
            out.zone_error(format!(
                "no NS records at the zone apex {}; add at least one (`@ NS ns1.{}`) naming a \
                 server that answers for the zone",
                self.origin, self.origin
            ));
        }
    }

    /// Per owner: CNAME exclusivity, one CNAME, one DNAME, no DNAME beside NS, no NS at a
    /// wildcard, no DS at the apex, and a DNSKEY at the apex (a signed zone) warned of.
    fn check_nodes(&self, out: &mut Out) {
        for (name, at) in self.owners() {
            let types = self.types_of(at);
            let is_apex = name == self.origin.as_wire();
            let first = |t: RType| types.iter().find(|&&(seen, _)| seen == t).map(|&(_, i)| i);

            if let Some(c) = first(RType::CNAME) {
                let owner = self.entries.get(c).owner;
                if is_apex {
                    out.error(
                        c,
                        format!(
                            "CNAME at the zone apex {owner}; the apex must hold the SOA and NS \
                             records, and a CNAME must be the only record at its name: remove the \
                             CNAME and publish A/AAAA records instead"
                        ),
                    );
                } else {
                    let others: Vec<String> = types
                        .iter()
                        .filter(|(t, _)| !matches!(*t, RType::CNAME | RType::RRSIG | RType::NSEC))
                        .map(|&(t, i)| format!("{t} at {}", self.loc(i, c)))
                        .collect();
                    if !others.is_empty() {
                        out.error(
                            c,
                            format!(
                                "{owner} has a CNAME and other records ({}); a CNAME must be the \
                                 only record at its name (RFC 1034 §3.6.2): remove the CNAME or \
                                 the other records",
                                others.join(", ")
                            ),
                        );
                    }
                }
            }
            for singleton in [RType::CNAME, RType::DNAME] {
                if first(singleton).is_some() {
                    self.check_singleton(at, singleton, out);
                }
            }

            if let (Some(d), Some(ns), false) = (first(RType::DNAME), first(RType::NS), is_apex) {
                out.error(
                    d,
                    format!(
                        "{} has both a DNAME and NS records (NS at {}); a delegation point cannot \
                         hold a DNAME: remove one of them",
                        self.entries.get(d).owner,
                        self.loc(ns, d)
                    ),
                );
            }
            if let (Some(ns), true) = (first(RType::NS), name.starts_with(&[1, b'*'])) {
                // Knot loads such a zone, BIND refuses it: a warning, so every file Knot
                // accepts loads here too.
                out.warning(
                    ns,
                    format!(
                        "NS records at the wildcard name {}; a wildcard cannot be delegated \
                         (RFC 4592 §4.2) and BIND refuses this zone: delegate each name explicitly",
                        self.entries.get(ns).owner
                    ),
                );
            }
            if first(RType::TXT).is_some() {
                self.check_mail_auth_txt(name, at, out);
                self.check_neighbour_txt(name, at, out);
            }
            if let (Some(ds), true) = (first(RType::DS), is_apex) {
                out.error(
                    ds,
                    format!(
                        "DS record at the zone apex {}; a DS belongs in the parent zone: remove it \
                         here and give it to the parent zone's operator",
                        self.entries.get(ds).owner
                    ),
                );
            }
            if let (Some(key), true) = (first(RType::DNSKEY), is_apex) {
                // The apex as the zone knows it (lower-cased), as an edit's check names it too.
                let origin = self.origin;
                out.warning_every_edit(
                    key,
                    format!(
                        "{origin} is a signed zone (DNSKEY at the apex), and zonectl serves no \
                         DNSSEC: its answers come without RRSIGs and NSEC or NSEC3 proofs, also to \
                         queries with the DO bit, and edits are not signed. If the parent zone has \
                         a DS record for {origin}, validating resolvers answer SERVFAIL for every \
                         name in it: have a signer serve the zone (a knotd or named secondary that \
                         signs what it transfers from zonectl, README \"Signed zones\") and remove \
                         these DNSSEC records once the parent's DS names the signer's key, or have \
                         the DS removed at the parent, wait out its TTL, then remove them"
                    ),
                );
            }
        }
    }

    /// The TXT records receivers read as policies: one SPF record per name (two are a
    /// permerror, RFC 7208 §4.5), one DMARC record at `_dmarc` (two, and receivers apply no
    /// DMARC at all, RFC 7489 §6.6.3), and an SPF record whose strings join into one that still
    /// starts with `v=spf1 ` (strings are joined without spaces, RFC 7208 §3.3). Warnings: such
    /// a zone is valid DNS, and the `spf` and `dmarc` commands explain more.
    fn check_mail_auth_txt(&self, name: &[u8], at: &[usize], out: &mut Out) {
        let is_dmarc = name.starts_with(DMARC_LABEL);
        let is_dkim = has_label(name, b"_domainkey");
        // A selector's name: `_domainkey` below its first label.
        let is_selector = is_dkim && !name.starts_with(b"\x0a_domainkey");
        let mut first_dkim: Option<usize> = None;
        let mut first_spf: Option<usize> = None;
        let mut first_dmarc: Option<usize> = None;
        for &i in at {
            let e = self.entries.get(i);
            if e.rtype != RType::TXT {
                continue;
            }
            let Some(strings) = super::rdata::txt_strings(e.rdata) else {
                continue;
            };
            let text: Vec<u8> = strings.concat();
            if let Some(what) = dkim_record::private_key_in(&text, is_dkim) {
                out.error(
                    i,
                    format!(
                        "TXT at {} holds {what}: a zone is public, so this publishes the key to \
                         everyone; remove the record, and take the key as known: replace it \
                         (`zonectl dkim rotate`) wherever it signs",
                        e.owner
                    ),
                );
                continue;
            }
            if is_selector && dkim_record::is_key_record(&text) {
                self.second_policy(
                    &mut first_dkim,
                    i,
                    "DKIM key",
                    "verifiers take one key record per selector, either of them (RFC 6376 \
                     §3.6.2.2): keep one",
                    out,
                );
                check_dkim_record(&text, e.owner, i, out);
                continue;
            }
            let version = spf_record::VERSION.as_bytes();
            let spf_version =
                text.len() >= version.len() && text[..version.len()].eq_ignore_ascii_case(version);
            if spf_version {
                if !spf_record::is_spf(&text) {
                    let shown = String::from_utf8_lossy(&text[..text.len().min(20)]).into_owned();
                    let why = if strings.len() > 1 && strings[0].len() == 6 {
                        "its strings are joined without spaces (RFC 7208 §3.3)"
                    } else {
                        "no space follows the version"
                    };
                    out.warning(
                        i,
                        format!(
                            "TXT at {} looks like SPF but reads \"{shown}\": {why}, so receivers \
                             see no SPF record (RFC 7208 §4.5); put a space after v=spf1",
                            e.owner
                        ),
                    );
                    continue;
                }
                self.second_policy(
                    &mut first_spf,
                    i,
                    "SPF",
                    "receivers treat that as a permanent error, as if the domain's SPF were broken \
                     (RFC 7208 §4.5): merge them into one",
                    out,
                );
                if let Some(record) = check_spf_record(&text, e.owner, i, out) {
                    self.check_spf_targets(&record, i, out);
                }
            }
            if !is_dmarc {
                continue;
            }
            let text = String::from_utf8_lossy(&text);
            if DmarcRecord::is_dmarc(&text) {
                self.second_policy(
                    &mut first_dmarc,
                    i,
                    "DMARC",
                    "receivers then apply no DMARC policy at all (RFC 7489 §6.6.3): keep one",
                    out,
                );
                check_dmarc_record(&text, e.owner, i, out);
            } else if DmarcRecord::looks_like_dmarc(&text) {
                out.warning(
                    i,
                    format!(
                        "TXT at {} starts like a DMARC record but receivers read it as none: the \
                         version must be followed by `;` (v=DMARC1; p=…) (RFC 7489 §6.4)",
                        e.owner
                    ),
                );
            }
        }
    }

    /// The TXT records of SPF's and DMARC's neighbours, by their owner's leading labels: MTA-STS
    /// at `_mta-sts`, TLS-RPT at `_smtp._tls`, BIMI at `SELECTOR._bimi` ([`neighbour_policy`]).
    /// One record of the kind per name, valid as [`Kind::problems`] judges it; a TXT that looks
    /// like one but lacks the exact version is discarded by its readers. Then the names the
    /// record depends on: MTA-STS's policy host, BIMI's DMARC record. Warnings, like SPF's.
    fn check_neighbour_txt(&self, name: &[u8], at: &[usize], out: &mut Out) {
        let Some((kind, domain)) = neighbour_policy(name) else {
            return;
        };
        let mut first: Option<usize> = None;
        // TXT records that look meant as this kind but lack its version, with their start.
        let mut attempts: SmallVec<[(usize, String); 1]> = SmallVec::new();
        for &i in at {
            let e = self.entries.get(i);
            let Some(text) = txt_text(e.rtype, e.rdata) else {
                continue;
            };
            if kind.is_record(&text) {
                let several = format!("{}: keep one", kind.when_several());
                self.second_policy(&mut first, i, kind.name(), &several, out);
                let problems = kind.problems(&text);
                if !problems.is_empty() {
                    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
                    out.warning(
                        i,
                        format!(
                            "{} record at {} cannot be used ({}); {}: correct it",
                            kind.name(),
                            e.owner,
                            problems.join("; "),
                            kind.when_unusable()
                        ),
                    );
                }
            } else if kind.looks_like_record(&text) {
                // Shown up to 24 characters, marked when cut.
                let mut shown: String = text.chars().take(24).collect();
                if shown.len() < text.len() {
                    shown.push('…');
                }
                attempts.push((i, shown));
            }
        }
        for (i, shown) in attempts {
            let (kind_name, version) = (kind.name(), kind.version());
            let (effect, fix) = match first {
                Some(f) => (
                    format!(
                        "so {} discard it and read only the {kind_name} record at {} ({})",
                        kind.readers(),
                        self.loc(f, i),
                        kind.discard_rule()
                    ),
                    "remove it".to_owned(),
                ),
                None => (
                    format!("so it is discarded, and {}", kind.when_unusable()),
                    format!("start it with {version}"),
                ),
            };
            out.warning(
                i,
                format!(
                    "TXT at {} reads \"{shown}\": meant as {kind_name}, it does not start with \
                     {version} exactly, {effect}: {fix}",
                    self.entries.get(i).owner
                ),
            );
        }
        let Some(first) = first else {
            return;
        };
        match kind {
            Kind::MtaSts => self.check_mta_sts_host(domain, first, out),
            Kind::Bimi => self.check_bimi_dmarc(domain, first, out),
            Kind::TlsRpt => {}
        }
    }

    /// The MTA-STS record `record` of `domain` (lower-cased wire) needs its policy host
    /// `mta-sts.DOMAIN`, when that name is this zone's to answer, to have an address or a CNAME:
    /// senders fetch the policy from it over HTTPS.
    fn check_mta_sts_host(&self, domain: &[u8], record: usize, out: &mut Out) {
        let host = [MTA_STS_HOST_LABEL, domain].concat();
        if !matches!(self.host_target(&host), Target::Missing) {
            return;
        }
        let host = companion_name(&host);
        let url_host = host.to_string();
        let url_host = url_host.trim_end_matches('.');
        out.warning(
            record,
            format!(
                "{} publishes an MTA-STS record, but its policy host {host} has no A, AAAA or \
                 CNAME record in this zone, so senders cannot fetch \
                 https://{url_host}/.well-known/mta-sts.txt and deliver as if there were no \
                 policy (RFC 8461 §3.3): give {host} an address, or a CNAME to the web server \
                 that serves the policy",
                self.entries.get(record).owner
            ),
        );
    }

    /// The BIMI record `record` of `domain` (lower-cased wire) shows no logo unless the
    /// domain's DMARC policy is at enforcement (BIMI draft §7.1). Judged only from a DMARC TXT
    /// record in this zone at `_dmarc.DOMAIN`: without one, the policy may be the
    /// organizational domain's (RFC 7489 §6.6.3; a zone's apex need not be that domain) or
    /// behind a CNAME to a DMARC host, neither judged here. A declination to publish wants no
    /// logo.
    fn check_bimi_dmarc(&self, domain: &[u8], record: usize, out: &mut Out) {
        let e = self.entries.get(record);
        let declines = txt_text(e.rtype, e.rdata)
            .and_then(|text| bimi::parse(&text).ok())
            .is_some_and(|a| a.declines());
        let dmarc = [DMARC_LABEL, domain].concat();
        if declines
            || self.cut_at_or_above(&dmarc).is_some()
            || self.dnames.contains_key(dmarc.as_slice())
            || self.dname_above(&dmarc).is_some()
        {
            return;
        }
        let records: Vec<(usize, String)> = self
            .at(&dmarc)
            .iter()
            .filter_map(|&d| {
                let de = self.entries.get(d);
                txt_text(de.rtype, de.rdata).map(|text| (d, text))
            })
            .filter(|(_, text)| DmarcRecord::is_dmarc(text))
            .collect();
        let dmarc_owner = companion_name(&dmarc);
        let what = match records.as_slice() {
            [(d, text)] => {
                let shortfalls: Vec<String> = bimi::dmarc_shortfalls(text)
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if shortfalls.is_empty() {
                    return;
                }
                format!(
                    "the DMARC record {dmarc_owner} at {} {}",
                    self.loc(*d, record),
                    shortfalls.join(" and ")
                )
            }
            // None: the domain's DMARC may be its organizational domain's (a zone's apex need
            // not be one) or a CNAME to a DMARC host; several: already a warning at `_dmarc`.
            _ => return,
        };
        out.warning(
            record,
            format!(
                "{} publishes a BIMI logo, but {what}: receivers show a logo only for mail of a \
                 domain whose DMARC policy is quarantine (with pct=100) or reject, with no \
                 sp=none (BIMI draft §7.1); move the DMARC policy to enforcement (`zonectl \
                 dmarc`) for the logo to be shown",
                e.owner
            ),
        );
    }

    /// Notes the policy record `i` (of `kind`: SPF, DMARC, MTA-STS, TLS-RPT, BIMI) at its owner: the first is
    /// remembered in `first`, any other is a warning saying `effect`.
    fn second_policy(
        &self,
        first: &mut Option<usize>,
        i: usize,
        kind: &str,
        effect: &str,
        out: &mut Out,
    ) {
        match *first {
            None => *first = Some(i),
            Some(f) => out.warning(
                i,
                format!(
                    "more than one {kind} record at {} (the first is at {}); {effect}",
                    self.entries.get(i).owner,
                    self.loc(f, i)
                ),
            ),
        }
    }

    /// At most one distinct record of a singleton type (CNAME, DNAME) among the entries `at` of
    /// one owner; identical copies are merged, as Knot and BIND do.
    fn check_singleton(&self, at: &[usize], rtype: RType, out: &mut Out) {
        let mut first: Option<(usize, Vec<u8>)> = None;
        for &i in at {
            let e = self.entries.get(i);
            if e.rtype != rtype {
                continue;
            }
            let canon = canonical_rdata(rtype, e.rdata);
            match &first {
                None => first = Some((i, canon)),
                Some((f, first_canon)) if *first_canon != canon => {
                    out.error(
                        i,
                        format!(
                            "more than one {rtype} record at {} (the first is at {}); a name can \
                             have only one {rtype}: keep one",
                            e.owner,
                            self.loc(*f, i)
                        ),
                    );
                }
                Some(_) => {}
            }
        }
    }

    /// Nothing may exist below a DNAME (RFC 6672 §2.3; Knot: "child record exists under DNAME").
    fn check_below_dname(&self, out: &mut Out) {
        for (name, at) in self.owners() {
            if let Some(d) = self.dname_above(name) {
                let i = at[0];
                out.error(
                    i,
                    format!(
                        "{} is below the DNAME at {} ({}), which redirects every name under it, \
                         so this record would never be served (RFC 6672 §2.3): remove it or the \
                         DNAME",
                        self.entries.get(i).owner,
                        self.entries.get(d).owner,
                        self.loc(d, i)
                    ),
                );
            }
        }
    }

    /// Data at or below a delegation point other than NS, DS and glue addresses is never served:
    /// queries for it get a referral to the child zone.
    fn check_occluded(&self, out: &mut Out) {
        for (name, at) in self.owners() {
            if self.dname_above(name).is_some() {
                continue; // already an error
            }
            if let Some((_, ns)) = self.cut_above(name) {
                for (t, i) in self.types_of(at) {
                    if matches!(t, RType::A | RType::AAAA) {
                        continue; // glue
                    }
                    out.warning(
                        i,
                        format!(
                            "{} {t} is below the delegation {} (NS at {}) and will not be served \
                             (occluded): the child zone answers for it; move it there or remove it",
                            self.entries.get(i).owner,
                            self.entries.get(ns).owner,
                            self.loc(ns, i)
                        ),
                    );
                }
            } else if let Some(&ns) = self.cuts.get(name) {
                for (t, i) in self.types_of(at) {
                    // CNAME and DNAME beside NS are already errors.
                    let served = [
                        RType::NS,
                        RType::DS,
                        RType::RRSIG,
                        RType::NSEC,
                        RType::A,
                        RType::AAAA,
                    ];
                    if served.contains(&t) || matches!(t, RType::CNAME | RType::DNAME) {
                        continue;
                    }
                    out.warning(
                        i,
                        format!(
                            "{} {t} is at the delegation point {} (NS at {}) and will not be \
                             served (occluded): only NS, DS and glue addresses are served there; \
                             move it to the child zone or remove it",
                            self.entries.get(i).owner,
                            self.entries.get(ns).owner,
                            self.loc(ns, i)
                        ),
                    );
                }
            }
        }
    }

    /// NS targets in the zone need addresses (glue below a delegation) and must not be CNAMEs;
    /// MX and SRV targets in the zone should have addresses and must not be CNAMEs.
    fn check_targets(&self, out: &mut Out) {
        for &i in &self.in_zone {
            let e = self.entries.get(i);
            let offset = match e.rtype {
                RType::NS => 0,
                RType::MX => 2,
                RType::SRV => 6,
                _ => continue,
            };
            let owner = self.owner(i);
            let is_apex = owner == self.origin.as_wire();
            let at_cut = self.cuts.contains_key(owner);
            // Occluded records are reported as such and never served: their targets don't matter.
            if self.dname_above(owner).is_some()
                || self.cut_above(owner).is_some()
                || (at_cut && e.rtype != RType::NS)
            {
                continue;
            }
            let Some(shown) = rdata_name(e.rdata, offset) else {
                continue;
            };
            if shown.is_root() || !shown.is_subdomain_of(self.origin) {
                continue; // null MX / SRV "." or out of bailiwick
            }
            let target = shown.to_lowercase();
            let state = if e.rtype == RType::NS {
                self.ns_target(target.as_wire(), owner)
            } else {
                self.host_target(target.as_wire())
            };
            let apex_ns = e.rtype == RType::NS && is_apex;
            match state {
                Target::Address | Target::Skip => {}
                Target::Cname(c) => {
                    let what = match e.rtype {
                        RType::NS => {
                            "name servers must be named by their canonical name (RFC 2181 §10.3)"
                        }
                        RType::MX => "mail servers may refuse mail for it (RFC 2181 §10.3)",
                        _ => "clients may ignore it (RFC 2782)",
                    };
                    let message = format!(
                        "{} target {shown} is a CNAME ({}); {what}: point the {} at the \
                         CNAME's target",
                        e.rtype,
                        self.loc(c, i),
                        e.rtype
                    );
                    if apex_ns {
                        out.error(i, message);
                    } else {
                        out.warning(i, message);
                    }
                }
                Target::Missing if apex_ns => out.error(
                    i,
                    format!(
                        "NS target {shown} is in this zone but has no A or AAAA record, so the \
                         zone's name server cannot be reached: add its address"
                    ),
                ),
                Target::Missing if e.rtype == RType::NS => out.warning(
                    i,
                    format!(
                        "missing glue: NS target {shown} of the delegation {} is in this zone but \
                         has no A or AAAA record; add its address (glue) so resolvers can reach \
                         the child zone",
                        e.owner
                    ),
                ),
                Target::Missing => out.warning(
                    i,
                    format!(
                        "{} target {shown} is in this zone but has no A or AAAA record; add its \
                         address or point the {} at a host that has one",
                        e.rtype, e.rtype
                    ),
                ),
            }
        }
    }

    /// What an in-zone NS target of the NS RRset at `ns_owner` resolves to (Knot's
    /// `check_delegation`: a missing target whose closest encloser is under another delegation
    /// is that delegation's business; a wildcard with addresses covers it).
    fn ns_target(&self, target: &[u8], ns_owner: &[u8]) -> Target {
        if self.dnames.contains_key(target) || self.dname_above(target).is_some() {
            return Target::Skip;
        }
        // A name that exists, if only as an empty non-terminal, is not answered for by a
        // wildcard (RFC 4592 §2.2.1).
        if self.nodes.contains_key(target) {
            return self.node_target(target);
        }
        let encloser = self.closest_encloser(target);
        if self
            .cut_at_or_above(encloser)
            .is_some_and(|cut| cut != ns_owner)
        {
            return Target::Skip;
        }
        self.wildcard_target(encloser)
    }

    /// The nearest strict ancestor of `target` (lower-cased, in the zone) that exists, or the
    /// apex.
    fn closest_encloser<'n>(&self, target: &'n [u8]) -> &'n [u8]
    where
        'a: 'n,
    {
        self.ancestor_wires(target)
            .find(|a| self.nodes.contains_key(a))
            .unwrap_or(self.origin.as_wire())
    }

    /// The `include:` and `redirect=` targets of the SPF record `record` (entry `i`) that are
    /// names in this zone with no SPF record: receivers return permerror when an evaluation
    /// reaches one (RFC 7208 §5.2 and §6.1). Targets with macros, outside the zone, in a child
    /// zone, below a DNAME or at a CNAME are not judged here (`zonectl spf check` follows
    /// them); one without records of its own is judged by the wildcard that answers for it.
    fn check_spf_targets(&self, record: &spf_record::SpfRecord, i: usize, out: &mut Out) {
        for (target, term, section) in spf_targets(record) {
            let wire = target.as_wire();
            if !target.is_subdomain_of(self.origin)
                || self.cut_at_or_above(wire).is_some()
                || self.dnames.contains_key(wire)
                || self.dname_above(wire).is_some()
            {
                continue;
            }
            // A name that exists, if only as an empty non-terminal, is not answered for by a
            // wildcard (RFC 4592 §2.2.1).
            let answering = if self.nodes.contains_key(wire) {
                Some(wire)
            } else {
                self.wildcard_of(self.closest_encloser(wire))
            };
            let at = answering.map_or(&[][..], |n| self.at(n));
            let cname = at
                .iter()
                .any(|&j| self.entries.get(j).rtype == RType::CNAME);
            let spf = at.iter().any(|&j| {
                let e = self.entries.get(j);
                txt_text(e.rtype, e.rdata).is_some_and(|t| spf_record::is_spf(t.as_bytes()))
            });
            if cname || spf {
                continue;
            }
            out.warning(
                i,
                format!(
                    "SPF record at {} has {}, but {target} has no SPF record in this zone: \
                     receivers return permerror when they reach it (RFC 7208 §{section}): \
                     publish one there, or correct the name",
                    self.entries.get(i).owner,
                    term.text
                ),
            );
        }
    }

    /// The wildcard `*.ENCLOSER`, if it is a name of the zone.
    fn wildcard_of(&self, encloser: &[u8]) -> Option<&'a [u8]> {
        if encloser.len() + 2 > name::MAX_NAME_LEN {
            return None;
        }
        let mut w = [0u8; name::MAX_NAME_LEN];
        w[..2].copy_from_slice(&[1, b'*']);
        w[2..encloser.len() + 2].copy_from_slice(encloser);
        self.nodes
            .get_key_value(&w[..encloser.len() + 2])
            .map(|(name, _)| *name)
    }

    /// What an in-zone MX/SRV target resolves to; targets in a delegated child zone are the
    /// child's business.
    fn host_target(&self, target: &[u8]) -> Target {
        if self.cut_at_or_above(target).is_some()
            || self.dnames.contains_key(target)
            || self.dname_above(target).is_some()
        {
            return Target::Skip;
        }
        // A name that exists, if only as an empty non-terminal, is not answered for by a
        // wildcard (RFC 4592 §2.2.1).
        if self.nodes.contains_key(target) {
            return self.node_target(target);
        }
        self.wildcard_target(self.closest_encloser(target))
    }

    /// An existing name: a CNAME, an address, or neither.
    fn node_target(&self, name: &[u8]) -> Target {
        if let Some(c) = self.first_of(name, RType::CNAME) {
            Target::Cname(c)
        } else if self.has_address(name) {
            Target::Address
        } else {
            Target::Missing
        }
    }

    /// A name that does not exist: answered from the wildcard below its closest encloser, if any.
    fn wildcard_target(&self, encloser: &[u8]) -> Target {
        match self.wildcard_of(encloser) {
            Some(w) if self.is_owner(w) => self.node_target(w),
            _ => Target::Missing,
        }
    }
}

/// An SPF record of `owner` (entry `i`, `text` its strings joined) that receivers cannot
/// evaluate: one their parser rejects (a permerror, RFC 7208 §4.6), or one with more terms that
/// query DNS than the 10 an evaluation may make (§4.6.4), counted in the record alone: its
/// includes and redirect add their own, which `zonectl spf check` follows. The record, if it
/// parses.
fn check_spf_record(
    text: &[u8],
    owner: &Name,
    i: usize,
    out: &mut Out,
) -> Option<spf_record::SpfRecord> {
    let record = match spf_record::SpfRecord::parse(text) {
        Ok(record) => record,
        Err(e) => {
            out.warning(
                i,
                format!(
                    "SPF record at {owner} is not valid ({e}): receivers return permerror (RFC \
                     7208 §4.6), as if the domain's SPF were broken: correct it (`zonectl spf \
                     check` explains each term)"
                ),
            );
            return None;
        }
    };
    // Mechanisms after `all` are never reached (it always matches, §5.1), and with `all` in
    // the record `redirect=` is never followed (§6.1).
    let has_all = record.has_all();
    let mut reached_all = false;
    let lookups = record
        .terms
        .iter()
        .filter(|t| {
            let reached = match t.kind {
                spf_record::TermKind::Directive { .. } => !reached_all,
                spf_record::TermKind::Modifier(_) => !(has_all && t.is_redirect()),
            };
            reached_all |= t.is_all();
            reached && t.queries_dns()
        })
        .count();
    if lookups > MAX_DNS_TERMS as usize {
        out.warning(
            i,
            format!(
                "SPF record at {owner} has {lookups} terms that query DNS (include a mx ptr exists \
                 redirect), before its includes add theirs: receivers return permerror when an \
                 evaluation reaches the {}th (RFC 7208 §4.6.4): replace some with ip4:/ip6: \
                 ranges, or drop senders no longer used",
                MAX_DNS_TERMS + 1
            ),
        );
    }
    Some(record)
}

/// A DKIM key record of `owner` (entry `i`, `text` its strings joined) that verifiers cannot
/// use: one they cannot parse (RFC 6376 §3.6.1), or whose key they cannot read or must refuse
/// ([`dkim_key::unusable_key`]). Every signature made with the selector then fails
/// (RFC 6376 §6.1.2), and DMARC with it where SPF does not align.
fn check_dkim_record(text: &[u8], owner: &Name, i: usize, out: &mut Out) {
    let why = match std::str::from_utf8(text) {
        Err(_) => Some("it is not ASCII text".to_owned()),
        Ok(text) => match dkim_record::DkimRecord::parse(text) {
            Err(e) => Some(e.to_string()),
            Ok(record) => dkim_key::unusable_key(&record),
        },
    };
    if let Some(why) = why {
        out.warning(
            i,
            format!(
                "DKIM key record at {owner} cannot be used ({why}): verifiers fail every \
                 signature made with this selector (RFC 6376 §6.1.2): publish the selector's \
                 public key again, whole (keys/ZONE/SELECTOR.txt after `zonectl dkim keygen`)"
            ),
        );
    }
}

/// A DMARC record of `owner` (entry `i`) with tags receivers cannot read: they drop a bad tag
/// and keep the rest, so the record does not say what it was meant to. Without a valid `p`,
/// RFC 9989 receivers read `p=none` (§4.7); RFC 7489 receivers do so, also for an invalid `sp`,
/// only when `rua` holds a valid URI, and apply no DMARC at all otherwise (§6.6.3). Unknown tags
/// are ignored by receivers (RFC 7489 §6.3); one is usually a misspelt tag. The advice
/// `zonectl dmarc show` gives on a valid record (no `rua`, legacy tags) is not a zone check's.
fn check_dmarc_record(text: &str, owner: &Name, i: usize, out: &mut Out) {
    let (record, errors) = DmarcRecord::parse_lenient(text);
    let bad = |tag: Tag| {
        errors
            .iter()
            .any(|e| matches!(e, DmarcError::BadValue { tag: t, .. } if *t == tag))
    };
    // A report URI this parser refuses (https:, or a mailto: with a query) is still a URI:
    // receivers keep the tag and send where they can. `rf` names report formats: receivers
    // ignore those they do not know, and RFC 9989 dropped the tag.
    let dropped = |e: &&DmarcError| match e {
        DmarcError::BadValue {
            tag: Tag::Rua | Tag::Ruf,
            value,
            ..
        } => !value.split(',').all(dmarc_record::is_uri),
        DmarcError::BadValue { tag: Tag::Rf, .. } => false,
        _ => true,
    };
    let mut problems: Vec<String> = errors
        .iter()
        .filter(dropped)
        .map(ToString::to_string)
        .collect();
    problems.extend(
        record
            .unknown()
            .iter()
            .map(|(name, _)| format!("unknown tag {name:?}, which receivers ignore: misspelt?")),
    );
    if record.p().is_none() && !bad(Tag::P) {
        problems.push("p is missing".to_owned());
    }
    if problems.is_empty() {
        return;
    }
    let rfc7489 = if !dmarc_record::rua_has_uri(text) {
        "apply no DMARC policy at all, as it has no valid rua (RFC 7489 §6.6.3)"
    } else {
        "act as if it said p=none (RFC 7489 §6.6.3)"
    };
    let effect = match (record.p().is_none(), bad(Tag::Sp)) {
        (true, _) => format!(
            "; without a valid p, RFC 9989 receivers read it as p=none, and RFC 7489 receivers \
             {rfc7489}"
        ),
        (false, true) => format!("; with an invalid sp, RFC 7489 receivers {rfc7489}"),
        (false, false) => String::new(),
    };
    out.warning(
        i,
        format!(
            "DMARC record at {owner} has problems ({}): receivers drop what they cannot read and \
             keep the rest{effect}: correct it (`zonectl dmarc set` writes only valid tags)",
            problems.join("; ")
        ),
    );
}

/// The joined strings of a TXT record's RDATA (RFC 7208 §3.3), as text; `None` for other types.
fn txt_text(rtype: RType, rdata: &[u8]) -> Option<String> {
    if rtype != RType::TXT {
        return None;
    }
    let strings = super::rdata::txt_strings(rdata)?;
    Some(String::from_utf8_lossy(&strings.concat()).into_owned())
}

/// The policy a TXT record at `name` (lower-cased wire) is read as by its owner's leading
/// labels, with the domain the policy is for: `_mta-sts.DOMAIN` (MTA-STS), `_smtp._tls.DOMAIN`
/// (TLS-RPT), `SELECTOR._bimi.DOMAIN` (BIMI, a selector of one label or more).
fn neighbour_policy(name: &[u8]) -> Option<(Kind, &[u8])> {
    if let Some(domain) = name.strip_prefix(b"\x08_mta-sts") {
        return Some((Kind::MtaSts, domain));
    }
    if let Some(domain) = name.strip_prefix(b"\x05_smtp\x04_tls") {
        return Some((Kind::TlsRpt, domain));
    }
    if name[0] == 0 {
        return None;
    }
    let mut pos = 1 + name[0] as usize;
    while name[pos] != 0 {
        if let Some(domain) = name[pos..].strip_prefix(b"\x05_bimi") {
            return Some((Kind::Bimi, domain));
        }
        pos += 1 + name[pos] as usize;
    }
    None
}

/// The names, other than `name` and its ancestors, whose records the checks of the TXT records
/// at `name` read: for `_mta-sts.DOMAIN` the policy host `mta-sts.DOMAIN` and the wildcard that
/// may give it an address, for a BIMI record `_dmarc.DOMAIN`. A check of part of a zone (an
/// edit's neighbourhood) includes them.
pub fn names_read_with(name: &Name) -> Vec<Name> {
    let name = name.to_lowercase();
    let Some((kind, domain)) = neighbour_policy(name.as_wire()) else {
        return Vec::new();
    };
    let labels: &[&[u8]] = match kind {
        Kind::MtaSts => &[MTA_STS_HOST_LABEL, b"\x01*"],
        Kind::Bimi => &[DMARC_LABEL],
        Kind::TlsRpt => &[],
    };
    labels
        .iter()
        .map(|label| companion_name(&[label, domain].concat()))
        .collect()
}

/// `message` without the lines it names in the same file (` (the first is at line N)`,
/// ` (line N)`, ` at line N`): the words of a finding whatever lines the records are on, to tell a
/// finding on part of a zone, where entries have no lines, from the same one on the whole file.
pub fn without_line_refs(message: &str) -> String {
    let mut out = message.to_owned();
    for opening in [" (the first is at line ", " (line "] {
        let mut from = 0;
        while let Some(k) = out[from..].find(opening) {
            let at = from + k;
            let number = at + opening.len();
            let digits = out[number..].bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && out[number + digits..].starts_with(')') {
                out.replace_range(at..number + digits + 1, "");
                from = at;
            } else {
                from = number;
            }
        }
    }
    let mut from = 0;
    while let Some(k) = out[from..].find(" at line ") {
        let at = from + k;
        let number = at + " at line ".len();
        let digits = out[number..].bytes().take_while(u8::is_ascii_digit).count();
        let ends = out[number + digits..]
            .bytes()
            .next()
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        if digits == 0 || !ends {
            from = number;
        } else {
            out.replace_range(at..number + digits, "");
            from = at;
        }
    }
    out
}

/// The names whose records the checks of the TXT record `rdata` read: an SPF record's
/// reachable `include:` and `redirect=` targets ([`spf_targets`]), which must have an SPF
/// record when they are in the zone. A check of part of a zone includes them (and the
/// wildcard that may answer for them).
pub fn names_read_by_txt(rdata: &[u8]) -> Vec<Name> {
    // Most TXT records are not SPF: told from the first string's first bytes when it has 7,
    // before anything is copied.
    if let Some((&len, rest)) = rdata.split_first() {
        if len >= 7 && rest.len() >= 7 && !spf_record::is_spf(&rest[..7]) {
            return Vec::new();
        }
    }
    let Some(text) = txt_text(RType::TXT, rdata) else {
        return Vec::new();
    };
    let Ok(record) = spf_record::SpfRecord::parse(text.as_bytes()) else {
        return Vec::new();
    };
    spf_targets(&record)
        .into_iter()
        .map(|(name, _, _)| name)
        .collect()
}

/// The `include:` and `redirect=` targets an evaluation of `record` can reach, without macros,
/// absolute and lower-cased, each with its term and the section of RFC 7208 that makes one with
/// no SPF record a permerror (§5.2, §6.1). No mechanism after `all` is reached (§5.1), nor
/// `redirect=` beside `all` (§6.1).
fn spf_targets(record: &spf_record::SpfRecord) -> Vec<(Name, &spf_record::Term, &'static str)> {
    let has_all = record.has_all();
    let mut reached_all = false;
    let mut targets = Vec::new();
    for term in &record.terms {
        let reached = !reached_all;
        reached_all |= term.is_all();
        let (domain, section) = match &term.kind {
            spf_record::TermKind::Directive {
                mechanism: spf_record::Mechanism::Include { domain },
                ..
            } if reached => (domain, "5.2"),
            spf_record::TermKind::Modifier(spf_record::Modifier::Redirect { domain })
                if !has_all =>
            {
                (domain, "6.1")
            }
            _ => continue,
        };
        if domain.has_macros() {
            continue;
        }
        if let Ok(target) = Name::parse(domain.text(), Some(&Name::root())) {
            targets.push((target.to_lowercase(), term, section));
        }
    }
    targets
}

/// The names whose TXT records' checks read `name`, the converse of [`names_read_with`]: for
/// the policy host `mta-sts.DOMAIN`, or the wildcard `*.DOMAIN` that may give it an address, the
/// MTA-STS record's name `_mta-sts.DOMAIN` in [`Readers::names`]; for `_dmarc.DOMAIN`, every
/// BIMI record of the domain, below `_bimi.DOMAIN` in [`Readers::below`]. A check of part of a
/// zone includes them when `name` changes, so the change's effect on them is seen.
pub fn names_reading(name: &Name) -> Readers {
    let name = name.to_lowercase();
    let wire = name.as_wire();
    let mut readers = Readers::default();
    if let Some(domain) = wire.strip_prefix(DMARC_LABEL) {
        readers.below = Name::from_wire(&[b"\x05_bimi", domain].concat()).ok();
    } else if let Some(domain) = wire
        .strip_prefix(MTA_STS_HOST_LABEL)
        .or_else(|| wire.strip_prefix(b"\x01*"))
    {
        readers
            .names
            .extend(Name::from_wire(&[b"\x08_mta-sts", domain].concat()).ok());
    }
    readers
}

/// What [`names_reading`] returns.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Readers {
    /// Names whose checks read the name.
    pub names: Vec<Name>,
    /// A name all of whose descendants' checks read the name.
    pub below: Option<Name>,
}

/// Does the wire name `wire` have a label equal to `label` (both lower-case)?
fn has_label(wire: &[u8], label: &[u8]) -> bool {
    let mut rest = wire;
    while let Some((&len, tail)) = rest.split_first() {
        if len == 0 {
            return false;
        }
        let Some((this, after)) = tail.split_at_checked(usize::from(len)) else {
            return false;
        };
        if this == label {
            return true;
        }
        rest = after;
    }
    false
}

/// The name a check reads beside a policy record's owner: a label shorter than the owner's
/// leading labels (`mta-sts` or `*` for `_mta-sts`, `_dmarc` for `SELECTOR._bimi`) before the
/// same domain, so always a valid name.
fn companion_name(wire: &[u8]) -> Name {
    Name::from_wire(wire).expect("shorter than the policy record's owner it is built from")
}

/// The domain name in `rdata` at `offset`, if well-formed.
fn rdata_name(rdata: &[u8], offset: usize) -> Option<Name> {
    let rest = rdata.get(offset..)?;
    let len = name::wire_name_len(rest)?;
    Name::from_wire(&rest[..len]).ok()
}

/// RDATA with its domain names lower-cased (RFC 4034 §6.2) for the types where duplicates are
/// compared here, so `www CNAME a.` and `www CNAME A.` count as one record.
fn canonical_rdata(rtype: RType, rdata: &[u8]) -> Vec<u8> {
    let mut v = rdata.to_vec();
    let names_end = match rtype {
        RType::CNAME | RType::DNAME => v.len(),
        RType::SOA => super::Soa::serial_offset(rdata).unwrap_or(0),
        _ => 0,
    };
    name::lowercase_wire(&mut v[..names_end]);
    v
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::zone::parse::{parse_zone_str, Entry};
    use Severity::{Error, Warning};

    /// SOA, NS and the NS's address: lines 1-4, so a test's own records start at line 5.
    const HEAD: &str =
        "$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.1\n";

    fn origin() -> Name {
        Name::parse("example.", None).unwrap()
    }

    fn check(text: &str) -> Vec<Finding> {
        let entries =
            parse_zone_str(text, Path::new("t.zone"), &origin()).unwrap_or_else(|e| panic!("{e}"));
        check_entries(&origin(), &entries)
    }

    /// Appends the record `text` as if read at `line` of `file`, with TTL `ttl` if given: for
    /// what the parser refuses to produce (huge TTLs) or cannot (several files).
    fn push_at(entries: &mut Entries, file: &str, line: usize, text: &str, ttl: Option<u32>) {
        let one = parse_zone_str(text, Path::new(file), &origin()).unwrap();
        let e = one.get(0);
        entries.push(Entry {
            line,
            end_line: line,
            ttl: ttl.unwrap_or(e.ttl),
            ..e
        });
    }

    /// An expected finding: severity, line, and a substring of the message.
    type Want = (Severity, Option<usize>, &'static str);

    fn assert_findings(what: &str, got: &[Finding], want: &[Want]) {
        let show = || got.iter().map(|f| format!("\n  {f}")).collect::<String>();
        assert_eq!(got.len(), want.len(), "{what}: got{}", show());
        for (f, &(severity, line, text)) in got.iter().zip(want) {
            assert_eq!((f.severity, f.line), (severity, line), "{what}: {f}");
            assert!(
                f.message.contains(text),
                "{what}: {f:?} should contain {text:?}"
            );
        }
    }

    #[test]
    fn zones_with_everything_right_pass() {
        let cases: &[(&str, &str)] = &[
            ("minimal", ""),
            (
                "a mail domain",
                "@ MX 10 mail\n\
                 mail A 192.0.2.2\n\
                 mail AAAA 2001:db8::2\n\
                 @ TXT \"v=spf1 mx -all\"\n\
                 _dmarc TXT \"v=DMARC1; p=none\"\n\
                 sel._domainkey TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n\
                 rsa1024._domainkey TXT \"v=DKIM1; k=rsa; p=MIGJAoGBAMGdskx2HJlIZih9/J700/HlvATdyNKgfSdemcLUTxeO24ZUqJJ0IkXXHEuxtXLFyu0tkZoS0hKMJrCOJv74thQ8zCtB1Ukh7BVT9V3AxcbQmS83A4LuY3kA7+VMTEdRjxxgyk8kbHSCq5E/cthkuyUIgLpOGIywAnrJq86hBDBfAgMBAAE=\"\n\
                 old._domainkey TXT \"v=DKIM1; p=\"\n\
                 old._domainkey TXT \"site-verification=abc\"\n\
                 _domainkey TXT \"o=~; p=ignored\"\n\
                 www CNAME @\n\
                 ftp CNAME www.example.org.\n\
                 _sip._tcp SRV 0 5 5060 mail\n\
                 * A 192.0.2.9\n\
                 @ MX 0 .",
            ),
            (
                "SPF in several strings, and policies at other names",
                "@ TXT \"v=spf1 ip4:192.0.2.0/24 \" \"mx -all\"\n\
                 @ TXT \"google-site-verification=abc\"\n\
                 mail TXT \"v=spf1\"\n\
                 _dmarc TXT \"v=DMARC1; p=none\"\n\
                 _dmarc.sub TXT \"v=DMARC1; p=reject\"\n\
                 _dmarc.sub TXT \"v=dmarc1; p=none\"\n\
                 _dmarc.sub2 TXT \"v = DMARC1 ; p=none\"\n\
                 _dmarc.sub3 TXT \"v=DMARC1; p=reject; rua=https://r.example.org/x,mailto:a@example.org?subject=dmarc; rf=afrf:iodef\"\n\
                 sub TXT \"v=spf1 -all\"\n\
                 late TXT \"v=spf1 -all include:nowhere.example\"\n\
                 inc TXT \"v=spf1 include:_spf.example. include:a.wild.example \
                 include:%{d}.example include:child.example include:alias.example \
                 include:example.org -all redirect=nowhere.example\"\n\
                 _spf TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
                 *.wild TXT \"v=spf1 -all\"\n\
                 child NS ns.child\n\
                 ns.child A 192.0.2.77\n\
                 alias CNAME spf.example.org.\n\
                 after TXT \"v=spf1 a mx include:a.example.org include:b.example.org \
                 include:c.example.org include:d.example.org include:e.example.org \
                 include:f.example.org ptr exists:x.example.org ~all a:1.example.org \
                 a:2.example.org mx:3.example.org\"\n\
                 sub2 TXT \"v=spf1 exists:%{i}._spf.%{d} include:a.example.org \
                 include:b.example.org include:c.example.org include:d.example.org \
                 include:e.example.org include:f.example.org a mx ptr -all \
                 redirect=g.example.org\"",
            ),
            (
                "MTA-STS, TLS-RPT and BIMI records as their readers want them",
                "_MTA-STS TXT \"v=STSv1; id=20240601T000000Z;\"\n\
                 _mta-sts TXT \"some-verification=abc\"\n\
                 mta-sts CNAME sts.provider.example.org.\n\
                 _smtp._tls TXT \"v=TLSRPTv1;\" \" rua=mailto:tlsrpt@example.org,https://r.example.org/\"\n\
                 default._bimi TXT \"v=BIMI1; l=https://brand.example/logo.svg; a=https://brand.example/vmc.pem\"\n\
                 brand.news._bimi TXT \"v=BIMI1; l=https://brand.example/news.svg\"\n\
                 _dmarc TXT \"v=DMARC1; p=quarantine; pct=100; rua=mailto:d@example.org\"",
            ),
            (
                "policy hosts covered by a wildcard or in a child zone, a BIMI record of a \
                 subdomain without DMARC here, a BIMI declination without DMARC",
                "_mta-sts.sub TXT \"v=STSv1; id=1\"\n\
                 *.sub A 192.0.2.7\n\
                 _mta-sts.shop TXT \"v=STSv1; id=1\"\n\
                 mta-sts.shop NS ns.elsewhere.example.org.\n\
                 default._bimi.news TXT \"v=BIMI1; l=https://brand.example/news.svg\"\n\
                 default._bimi TXT \"v=BIMI1; l=; a=;\"",
            ),
            (
                "a delegation with glue and DS",
                "sub NS ns.sub\nsub NS ns.other.org.\nsub DS 1234 8 2 \
                 0000000000000000000000000000000000000000000000000000000000000000\nns.sub A 192.0.2.3\n\
                 ns.sub AAAA 2001:db8::3",
            ),
            ("sibling glue under another delegation is that delegation's business", "a NS ns.b\nb NS ns1"),
            ("an NS target covered by a wildcard with an address", "sub NS ns.x\n*.x A 192.0.2.4"),
            ("a DNAME at the apex of an empty zone", "$TTL 60\n@ SOA ns1.example.org. h 1 2 3 4 5\n@ NS ns1.example.org.\n@ DNAME example.net."),
            ("a DNAME below the apex", "old DNAME example.net."),
            (
                "a signed CNAME: RRSIG and NSEC may sit beside it, RRSIGs of different types may differ in TTL",
                "www 300 CNAME ns1\n\
                 www 300 RRSIG CNAME 8 2 300 20300101000000 20200101000000 1234 example. AAAA\n\
                 www 600 NSEC z.example. CNAME RRSIG NSEC\n\
                 www 600 RRSIG NSEC 8 2 600 20300101000000 20200101000000 1234 example. AAAA",
            ),
            ("identical duplicates are merged", "www CNAME a.\nwww CNAME A.\nx A 192.0.2.5\nx A 192.0.2.5"),
            ("case-insensitive apex", "$TTL 3600\nEXAMPLE. SOA ns1 h 1 2 3 4 5\nExample. NS ns1\nNS1 A 192.0.2.1"),
        ];
        for &(what, body) in cases {
            let text = if body.starts_with("$TTL") {
                body.to_string()
            } else {
                format!("{HEAD}{body}")
            };
            assert_findings(what, &check(&text), &[]);
        }
    }

    #[test]
    fn neighbour_policies_are_told_by_their_owner() {
        let wire = |text: &str| Name::parse(text, None).unwrap().to_lowercase();
        for (owner, want) in [
            ("_mta-sts.example.", Some((Kind::MtaSts, "example."))),
            ("_smtp._tls.example.", Some((Kind::TlsRpt, "example."))),
            ("default._bimi.example.", Some((Kind::Bimi, "example."))),
            (
                "brand.news._bimi.sub.example.",
                Some((Kind::Bimi, "sub.example.")),
            ),
            ("_mta-sts.", Some((Kind::MtaSts, "."))),
            ("_bimi.example.", None),
            ("_smtp.example.", None),
            ("_tls.example.", None),
            ("mta-sts.example.", None),
            ("x._mta-sts.example.", None),
            ("example.", None),
            (".", None),
        ] {
            let name = wire(owner);
            let got = neighbour_policy(name.as_wire())
                .map(|(kind, domain)| (kind, Name::from_wire(domain).unwrap()));
            assert_eq!(got, want.map(|(kind, d)| (kind, wire(d))), "{owner}");
        }
        let read = |owner: &str| -> Vec<String> {
            names_read_with(&Name::parse(owner, None).unwrap())
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            read("_MTA-STS.Example."),
            ["mta-sts.example.", "*.example."]
        );
        assert_eq!(read("default._bimi.example."), ["_dmarc.example."]);
        assert!(read("_smtp._tls.example.").is_empty());
        assert!(read("www.example.").is_empty());
    }

    #[test]
    fn findings_table() {
        let cases: &[(&str, &str, &[Want])] = &[
            // SOA and apex NS.
            (
                "no SOA",
                "@ NS ns1\nns1 A 192.0.2.1",
                &[(Error, None, "no SOA record at the zone apex example.; add one")],
            ),
            (
                "two SOAs",
                "@ SOA ns1 hostmaster 1 3600 900 604800 300\n@ SOA ns1 hostmaster 2 3600 900 604800 300\n@ NS ns1\nns1 A 192.0.2.1",
                &[(Error, Some(2), "second SOA record at the apex example. (the first is at line 1)")],
            ),
            (
                "an SOA below the apex",
                "@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\nsub SOA ns1 h 1 2 3 4 5",
                &[(Error, Some(4), "SOA record at sub.example., which is not the zone apex example.")],
            ),
            (
                "only an SOA below the apex",
                "sub SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1",
                &[(Error, None, "no SOA record at the zone apex"), (Error, Some(1), "not the zone apex")],
            ),
            (
                "no NS at the apex",
                "@ SOA ns1 h 1 2 3 4 5\nns1 A 192.0.2.1",
                &[(Error, None, "no NS records at the zone apex example.")],
            ),
            (
                "an empty zone",
                "",
                &[(Error, None, "no SOA record at the zone apex"), (Error, None, "no NS records at the zone apex")],
            ),
            // Out of zone.
            (
                "owner out of zone",
                "{HEAD}www.example.org. A 192.0.2.1\nexample. TXT ok\nnotexample. TXT no",
                &[(Error, Some(5), "www.example.org. is out of zone"), (Error, Some(7), "notexample. is out of zone")],
            ),
            // CNAME.
            (
                "CNAME and TXT",
                "{HEAD}www CNAME a.example.org.\nwww TXT hi",
                &[(Error, Some(5), "www.example. has a CNAME and other records (TXT at line 6)")],
            ),
            (
                "TXT and A before a CNAME, names in other case",
                "{HEAD}WWW TXT hi\nwww A 192.0.2.1\nWww CNAME a.example.org.",
                &[(Error, Some(7), "has a CNAME and other records (TXT at line 5, A at line 6)")],
            ),
            (
                "two CNAMEs",
                "{HEAD}www CNAME a.\nwww CNAME b.",
                &[(Error, Some(6), "more than one CNAME record at www.example. (the first is at line 5)")],
            ),
            (
                "CNAME at the apex",
                "{HEAD}@ CNAME a.example.org.",
                &[(Error, Some(5), "CNAME at the zone apex example.")],
            ),
            // DNAME.
            (
                "two DNAMEs",
                "{HEAD}a DNAME b.\na DNAME c.",
                &[(Error, Some(6), "more than one DNAME record at a.example. (the first is at line 5)")],
            ),
            (
                "DNAME and CNAME",
                "{HEAD}a DNAME b.\na CNAME c.",
                &[(Error, Some(6), "a.example. has a CNAME and other records (DNAME at line 5)")],
            ),
            (
                "DNAME and NS below the apex",
                "{HEAD}a DNAME b.\na NS ns1",
                &[(Error, Some(5), "a.example. has both a DNAME and NS records (NS at line 6)")],
            ),
            (
                "a name below a DNAME",
                "{HEAD}a DNAME b.\nx.a A 192.0.2.1\ny.x.a TXT hi",
                &[
                    (Error, Some(6), "x.a.example. is below the DNAME at a.example. (line 5)"),
                    (Error, Some(7), "y.x.a.example. is below the DNAME at a.example."),
                ],
            ),
            (
                "names below an apex DNAME",
                "{HEAD}@ DNAME example.net.",
                &[(Error, Some(4), "ns1.example. is below the DNAME at example. (line 5)")],
            ),
            // TTLs.
            (
                "an RRset with two TTLs",
                "{HEAD}www 300 A 192.0.2.1\nwww 600 A 192.0.2.2\nwww 300 A 192.0.2.3",
                &[(Warning, Some(6), "TTL 600 differs from TTL 300 of the first www.example. A record (line 5)")],
            ),
            (
                "RRSIGs covering one type with two TTLs",
                "{HEAD}@ 300 RRSIG NS 8 1 300 20300101000000 20200101000000 1234 example. AAAA\n\
                 @ 600 RRSIG NS 8 1 300 20300101000000 20200101000000 4321 example. AAAA",
                &[(Warning, Some(6), "TTL 600 differs from TTL 300 of the first example. RRSIG record (line 5)")],
            ),
            // Delegations.
            (
                "missing glue",
                "{HEAD}sub NS ns.sub\nsub NS ns.example.org.",
                &[(Warning, Some(5), "missing glue: NS target ns.sub.example. of the delegation sub.example")],
            ),
            (
                "NS target in the zone without address",
                "{HEAD}sub NS www\nwww TXT hi",
                &[(Warning, Some(5), "missing glue: NS target www.example.")],
            ),
            (
                "data below and at a delegation",
                "{HEAD}sub NS ns.sub\nns.sub A 192.0.2.3\nx.sub TXT hi\nsub TXT hi\nsub MX 10 mail.sub",
                &[
                    (Warning, Some(7), "x.sub.example. TXT is below the delegation sub.example. (NS at line 5)"),
                    (Warning, Some(8), "sub.example. TXT is at the delegation point sub.example. (NS at line 5)"),
                    (Warning, Some(9), "sub.example. MX is at the delegation point"),
                ],
            ),
            (
                "a delegation below a delegation",
                "{HEAD}sub NS ns1\nx.sub NS ns1",
                &[(Warning, Some(6), "x.sub.example. NS is below the delegation sub.example.")],
            ),
            (
                "NS at a wildcard",
                "{HEAD}* NS ns1",
                &[(Warning, Some(5), "NS records at the wildcard name *.example.")],
            ),
            (
                "DS at the apex",
                "{HEAD}@ DS 1234 8 2 0000000000000000000000000000000000000000000000000000000000000000",
                &[(Error, Some(5), "DS record at the zone apex example.")],
            ),
            (
                "a signed zone: one warning, at the apex's first DNSKEY (one below is no signing key)",
                "{HEAD}@ 300 DNSKEY 256 3 13 AAAA\n@ 300 DNSKEY 257 3 13 AAAA\n\
                 @ 300 RRSIG DNSKEY 13 1 300 20300101000000 20200101000000 1234 example. AAAA\n\
                 sub DNSKEY 256 3 13 AAAA",
                &[(Warning, Some(5), "example. is a signed zone (DNSKEY at the apex), and zonectl serves no DNSSEC")],
            ),
            // `MC4CAQAw…` is an Ed25519 PKCS#8 private key (48 bytes: 30 2e 02 01 00 …).
            (
                "private keys in TXT records",
                "{HEAD}k1._domainkey TXT \"v=DKIM1; k=rsa; p=MC4CAQAwBQYDK2VwBCIEIBHVKjxMmqMGkoOqaWy6S6Kh9jYZPBjVaFkUt7oUvG9W\"\n\
                 k2.mail._domainkey TXT \"k=rsa; p=MC4CAQAwBQYDK2VwBCIEIBHVKjxMmqMGkoOqaWy6S6Kh9jYZPBjVaFkUt7oUvG9W\"\n\
                 note TXT \"-----BEGIN PRIVATE KEY-----\" \"MC4CAQAwBQYDK2VwBCIEI\"\n\
                 other TXT \"k=rsa; p=MC4CAQAwBQYDK2VwBCIEIBHVKjxMmqMGkoOqaWy6S6Kh9jYZPBjVaFkUt7oUvG9W\"",
                &[
                    (Error, Some(5), "TXT at k1._domainkey.example. holds a private key in p="),
                    (Error, Some(6), "TXT at k2.mail._domainkey.example. holds a private key in p="),
                    (Error, Some(7), "TXT at note.example. holds a PEM private key: a zone is public"),
                ],
            ),
            // Targets.
            (
                "apex NS target without address",
                "{HEAD}@ NS ns3",
                &[(Error, Some(5), "NS target ns3.example. is in this zone but has no A or AAAA")],
            ),
            (
                "apex NS target is a CNAME",
                "{HEAD}@ NS ns2\nns2 CNAME ns1",
                &[(Error, Some(5), "NS target ns2.example. is a CNAME (line 6)")],
            ),
            (
                "delegation NS target is a CNAME",
                "{HEAD}sub NS www\nwww CNAME ns1",
                &[(Warning, Some(5), "NS target www.example. is a CNAME (line 6)")],
            ),
            (
                "MX target is a CNAME",
                "{HEAD}@ MX 10 mail\nmail CNAME ns1",
                &[(Warning, Some(5), "MX target mail.example. is a CNAME (line 6); mail servers may refuse")],
            ),
            (
                "SRV target is a CNAME",
                "{HEAD}_sip._tcp SRV 0 0 5060 sip\nsip CNAME ns1",
                &[(Warning, Some(5), "SRV target sip.example. is a CNAME (line 6)")],
            ),
            (
                "MX target without address",
                "{HEAD}@ MX 10 mail\nmail TXT hi",
                &[(Warning, Some(5), "MX target mail.example. is in this zone but has no A or AAAA")],
            ),
            (
                "MX target that does not exist",
                "{HEAD}@ MX 10 Mail",
                &[(Warning, Some(5), "MX target Mail.example. is in this zone but has no A or AAAA")],
            ),
            (
                "MX and SPF include targets that are empty non-terminals beside a wildcard",
                "{HEAD}@ MX 10 ent\n@ TXT \"v=spf1 include:ent.example -all\"\nx.ent A 192.0.2.1\n\
                 * A 192.0.2.9\n* TXT \"v=spf1 -all\"",
                &[
                    (Warning, Some(5), "MX target ent.example. is in this zone but has no A or AAAA"),
                    (Warning, Some(6), "has include:ent.example, but ent.example. has no SPF record"),
                ],
            ),
            (
                "MX target covered by a wildcard CNAME",
                "{HEAD}@ MX 10 mail\n* CNAME ns1",
                &[(Warning, Some(5), "MX target mail.example. is a CNAME (line 6)")],
            ),
            // What receivers read as mail policies.
            (
                "two SPF records",
                "{HEAD}@ TXT \"v=spf1 mx -all\"\n@ TXT \"V=SPF1 -all\"\n@ TXT \"other\"",
                &[(Warning, Some(6), "more than one SPF record at example. (the first is at line 5)")],
            ),
            (
                "SPF strings that join without a space",
                "{HEAD}@ TXT \"v=spf1\" \"-all\"",
                &[(Warning, Some(5), "reads \"v=spf1-all\": its strings are joined without spaces")],
            ),
            (
                "an SPF version with no space after it",
                "{HEAD}@ TXT \"v=spf1-all\"",
                &[(Warning, Some(5), "reads \"v=spf1-all\": no space follows the version")],
            ),
            (
                "SPF records receivers cannot parse",
                "{HEAD}@ TXT \"v=spf1 ip4:192.0.2.300 -all\"\nmail TXT \"v=spf1 include: -all\"\n\
                 www TXT \"v=spf1 redirect=a.example.org redirect=b.example.org\"",
                &[
                    (
                        Warning,
                        Some(5),
                        "SPF record at example. is not valid (term 1 'ip4:192.0.2.300': ",
                    ),
                    (Warning, Some(6), "SPF record at mail.example. is not valid (term 1 'include:'"),
                    (
                        Warning,
                        Some(7),
                        "SPF record at www.example. is not valid (redirect= appears more than \
                         once (at most one redirect= and one exp=)): receivers return permerror",
                    ),
                ],
            ),
            (
                "SPF includes and redirects to names of this zone without an SPF record",
                "{HEAD}@ TXT \"v=spf1 include:_spf.example include:_SPF2.example. -all\"\n\
                 _spf2 TXT \"not spf\"\n\
                 mail TXT \"v=spf1 redirect=nowhere.example\"",
                &[
                    (
                        Warning,
                        Some(5),
                        "SPF record at example. has include:_spf.example, but _spf.example. has \
                         no SPF record in this zone: receivers return permerror when they reach it \
                         (RFC 7208 §5.2): publish one there, or correct the name",
                    ),
                    (Warning, Some(5), "has include:_SPF2.example., but _spf2.example. has no SPF record"),
                    (
                        Warning,
                        Some(7),
                        "SPF record at mail.example. has redirect=nowhere.example, but \
                         nowhere.example. has no SPF record in this zone: receivers return \
                         permerror when they reach it (RFC 7208 §6.1)",
                    ),
                ],
            ),
            (
                "an SPF record with 11 terms that query DNS",
                "{HEAD}@ TXT \"v=spf1 a mx ptr exists:%{i}.e.example.org include:a.example.org \
                 include:b.example.org include:c.example.org include:d.example.org \
                 include:e.example.org include:f.example.org\" \" redirect=g.example.org\"",
                &[(
                    Warning,
                    Some(5),
                    "SPF record at example. has 11 terms that query DNS (include a mx ptr exists \
                     redirect), before its includes add theirs: receivers return permerror when \
                     an evaluation reaches the 11th (RFC 7208 §4.6.4)",
                )],
            ),
            (
                "DKIM key records verifiers cannot use, and two at one selector",
                "{HEAD}cut._domainkey TXT \"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\"\n\
                 ed._domainkey TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPc=\"\n\
                 small._domainkey TXT \"v=DKIM1; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBALNs8w8doMv9+cNv+Vw6soV2lSXY/1u0N8Ianc9R0A+TiJw7Y2+szTZRmmFxziu9Dij/YH9I0R+r5ax80MuCQVECAwEAAQ==\"\n\
                 b64._domainkey TXT \"p=not*base64\"\n\
                 two._domainkey TXT \"v=DKIM1; p=\"\n\
                 two._domainkey TXT \"v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"",
                &[
                    (
                        Warning,
                        Some(5),
                        "DKIM key record at cut._domainkey.example. cannot be used (the published \
                         public key cannot be read: ",
                    ),
                    (Warning, Some(6), "(p= holds 29 bytes; an ed25519 key is 32): verifiers fail every signature made with this selector (RFC 6376 §6.1.2)"),
                    (Warning, Some(7), "(rsa 512: verifiers reject RSA keys under 1024 bits (RFC 8301 §3.2))"),
                    (Warning, Some(8), "(p= is not valid base64)"),
                    (
                        Warning,
                        Some(10),
                        "more than one DKIM key record at two._domainkey.example. (the first is at \
                         line 9); verifiers take one key record per selector",
                    ),
                ],
            ),
            (
                "DMARC records with tags receivers cannot read",
                "{HEAD}_dmarc TXT \"v=DMARC1; p=rejct; rua=mailto:d@example.org\"\n\
                 _dmarc.a TXT \"v=DMARC1; p=reject; sp=none; adkm=s; pct=200\"\n\
                 _dmarc.b TXT \"v=DMARC1; sp=quarantin\"\n\
                 _dmarc.c TXT \"v=DMARC1; rua=mailto:d@example.org\"\n\
                 _dmarc.e TXT \"v=DMARC1; rua=mailto:d@example.org,dmarc@example.org\"",
                &[
                    (
                        Warning,
                        Some(5),
                        "DMARC record at _dmarc.example. has problems (p=\"rejct\" is not \
                         valid: p takes none, quarantine or reject): receivers drop what they \
                         cannot read and keep the rest; without a valid p, RFC 9989 receivers \
                         read it as p=none, and RFC 7489 receivers act as if it said p=none",
                    ),
                    (
                        Warning,
                        Some(6),
                        "(pct=\"200\" is not valid: pct takes an integer from 0 to 100; unknown \
                         tag \"adkm\", which receivers ignore: misspelt?): receivers drop what \
                         they cannot read and keep the rest: correct it",
                    ),
                    (
                        Warning,
                        Some(7),
                        "(sp=\"quarantin\" is not valid: sp takes none, quarantine or reject; p \
                         is missing): receivers drop what they cannot read and keep the rest; \
                         without a valid p, RFC 9989 receivers read it as p=none, and RFC 7489 receivers apply no DMARC \
                         policy at all, as it has no valid rua",
                    ),
                    (Warning, Some(8), "(p is missing)"),
                    (
                        Warning,
                        Some(9),
                        "is not a URI (write mailto:ADDRESS); p is missing): receivers drop what \
                         they cannot read and keep the rest; without a valid p, RFC 9989 receivers \
                         read it as p=none, and RFC 7489 receivers act as if it said p=none (RFC \
                         7489 §6.6.3)",
                    ),
                ],
            ),
            (
                "two DMARC records",
                "{HEAD}_DMARC TXT \"v=DMARC1; p=none\"\n_dmarc TXT \"v=DMARC1; p=reject\"",
                &[(Warning, Some(6), "more than one DMARC record at _dmarc.example. (the first is at line 5)")],
            ),
            (
                "DMARC records receivers read as none: no `;` after the version, strings joined",
                "{HEAD}_dmarc TXT \"v=DMARC1 p=none\"\n_dmarc.sub TXT \"v=DMARC1\" \"p=reject\"\n\
                 _dmarc.sub2 TXT \"v=DMARC10; p=none\"",
                &[
                    (Warning, Some(5), "TXT at _dmarc.example. starts like a DMARC record but receivers read it as none"),
                    (Warning, Some(6), "TXT at _dmarc.sub.example. starts like a DMARC record"),
                ],
            ),
            // SPF's and DMARC's neighbours. `mta-sts A` gives MTA-STS records their policy host.
            (
                "two MTA-STS records",
                "{HEAD}mta-sts A 192.0.2.8\n_mta-sts TXT \"v=STSv1; id=1\"\n_MTA-STS TXT \"v=STSv1; id=2\"",
                &[(
                    Warning,
                    Some(7),
                    "more than one MTA-STS record at _MTA-STS.example. (the first is at line 6); \
                     senders then assume the domain has no MTA-STS policy and deliver to it \
                     without requiring TLS (RFC 8461 §3.1): keep one",
                )],
            ),
            (
                "an MTA-STS id senders cannot parse",
                "{HEAD}mta-sts A 192.0.2.8\n_mta-sts TXT \"v=STSv1; id=2024-06-01;\"",
                &[(
                    Warning,
                    Some(6),
                    "MTA-STS record at _mta-sts.example. cannot be used (id=2024-06-01 is not \
                     valid: id takes 1 to 32 letters and digits); senders then assume",
                )],
            ),
            (
                "an MTA-STS record with two problems",
                "{HEAD}mta-sts A 192.0.2.8\n_mta-sts TXT \"v=STSv1; ID = 1 \"",
                &[(
                    Warning,
                    Some(6),
                    "cannot be used (spaces after the last field, which the grammar allows only \
                     before or after a ;; \"ID = 1\" has spaces around its =, which the grammar \
                     does not allow; id= is missing (ID= is another tag: tag names are \
                     case-sensitive))",
                )],
            ),
            (
                "MTA-STS strings that join without a separator",
                "{HEAD}mta-sts A 192.0.2.8\n_mta-sts TXT \"v=STSv1\" \"id=1\"",
                &[(
                    Warning,
                    Some(6),
                    "TXT at _mta-sts.example. reads \"v=STSv1id=1\": meant as MTA-STS, it does not \
                     start with v=STSv1 exactly, so it is discarded, and senders then assume the \
                     domain has no MTA-STS policy",
                )],
            ),
            (
                "a TLS-RPT record of another version, shown cut",
                "{HEAD}_smtp._tls TXT \"v=TLSRPTv2; rua=mailto:a@b.example\"",
                &[(
                    Warning,
                    Some(5),
                    "TXT at _smtp._tls.example. reads \"v=TLSRPTv2; rua=mailto:a…\": meant as \
                     TLS-RPT",
                )],
            ),
            (
                "an MTA-STS record in another case beside a valid one",
                "{HEAD}mta-sts A 192.0.2.8\n_mta-sts TXT \"v=STSv1; id=1\"\n_mta-sts TXT \"V=STSv1; id=2\"",
                &[(
                    Warning,
                    Some(7),
                    "reads \"V=STSv1; id=2\": meant as MTA-STS, it does not start with v=STSv1 \
                     exactly, so senders discard it and read only the MTA-STS record at line 6 \
                     (RFC 8461 §3.1): remove it",
                )],
            ),
            (
                "an MTA-STS policy host with no address",
                "{HEAD}_mta-sts TXT \"v=STSv1; id=1\"\nmta-sts TXT \"hi\"\n_mta-sts.sub TXT \"v=STSv1; id=1\"",
                &[
                    (
                        Warning,
                        Some(5),
                        "_mta-sts.example. publishes an MTA-STS record, but its policy host \
                         mta-sts.example. has no A, AAAA or CNAME record in this zone, so senders \
                         cannot fetch https://mta-sts.example/.well-known/mta-sts.txt and deliver \
                         as if there were no policy (RFC 8461 §3.3)",
                    ),
                    (Warning, Some(7), "its policy host mta-sts.sub.example. has no A, AAAA or CNAME"),
                ],
            ),
            (
                "two TLS-RPT records, one without rua",
                "{HEAD}_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@example.org\"\n\
                 _smtp._tls TXT \"v=TLSRPTv1; ruf=mailto:r@example.org\"",
                &[
                    (
                        Warning,
                        Some(6),
                        "more than one TLS-RPT record at _smtp._tls.example. (the first is at line \
                         5); senders then assume the domain does not implement TLS-RPT and send no \
                         reports (RFC 8460 §3): keep one",
                    ),
                    (
                        Warning,
                        Some(6),
                        "TLS-RPT record at _smtp._tls.example. cannot be used (rua= is missing); \
                         senders then assume the domain wants no TLS reports and send none \
                         (RFC 8460 §3)",
                    ),
                ],
            ),
            (
                "a TLS-RPT record with a DMARC-style size, one without the version",
                "{HEAD}_smtp._tls TXT \"v=TLSRPTv1; rua=mailto:r@example.org!10m\"\n\
                 _smtp._tls.sub TXT \"rua=mailto:r@example.org\"",
                &[
                    (Warning, Some(5), "rua= \"mailto:r@example.org!10m\" is not usable: a ! in a URI must be written %21"),
                    (Warning, Some(6), "meant as TLS-RPT, it does not start with v=TLSRPTv1 exactly"),
                ],
            ),
            (
                "two BIMI records at a selector, with DMARC at enforcement",
                "{HEAD}_dmarc TXT \"v=DMARC1; p=reject\"\n\
                 default._bimi TXT \"v=BIMI1; l=https://brand.example/a.svg\"\n\
                 default._bimi TXT \"v=BIMI1; l=https://brand.example/b.svg\"",
                &[(
                    Warning,
                    Some(7),
                    "more than one BIMI record at default._bimi.example. (the first is at line \
                     6); receivers then show no logo for the domain (BIMI draft §7.2): keep one",
                )],
            ),
            (
                "a BIMI logo that is not an SVG over HTTPS",
                "{HEAD}_dmarc TXT \"v=DMARC1; p=reject\"\n\
                 default._bimi TXT \"v=BIMI1; l=https://brand.example/logo.png\"\n\
                 brand._bimi TXT \"v=BIMI1; l=http://brand.example/logo.svg\"\n\
                 other._bimi TXT \"v=BIMI1; a=https://brand.example/vmc.pem\"",
                &[
                    (
                        Warning,
                        Some(6),
                        "BIMI record at default._bimi.example. cannot be used (l= \
                         \"https://brand.example/logo.png\" is not usable: the logo must be an SVG \
                         image (§4.3.2)); receivers then show no logo for the domain (BIMI draft \
                         §4.3, §7.3): correct it",
                    ),
                    (Warning, Some(7), "l= \"http://brand.example/logo.svg\" is not usable: only https: URIs are fetched"),
                    (Warning, Some(8), "cannot be used (l= is missing)"),
                ],
            ),
            (
                "a BIMI record under a DMARC policy of none",
                "{HEAD}_dmarc TXT \"v=DMARC1; p=none\"\ndefault._bimi TXT \"v=BIMI1; l=https://brand.example/logo.svg\"",
                &[(
                    Warning,
                    Some(6),
                    "default._bimi.example. publishes a BIMI logo, but the DMARC record \
                     _dmarc.example. at line 5 has p=none: receivers show a logo only for mail of \
                     a domain whose DMARC policy is quarantine (with pct=100) or reject, with no \
                     sp=none (BIMI draft §7.1)",
                )],
            ),
            (
                "BIMI with DMARC hosted elsewhere (a CNAME at _dmarc): not judged",
                "{HEAD}_dmarc CNAME _dmarc.brand.hosted-dmarc.example.net.\n\
                 default._bimi TXT \"v=BIMI1; l=https://brand.example/logo.svg\"",
                &[],
            ),
            (
                "BIMI records under DMARC short of enforcement; none at the apex is not judged",
                "{HEAD}default._bimi TXT \"v=BIMI1; l=https://brand.example/logo.svg\"\n\
                 _dmarc.news TXT \"v=DMARC1; p=quarantine; pct=50; sp=none\"\n\
                 default._bimi.news TXT \"v=BIMI1; l=https://brand.example/news.svg\"\n\
                 _dmarc.shop TXT \"v=DMARC1; rua=mailto:d@example.org\"\n\
                 default._bimi.shop TXT \"v=BIMI1; l=https://brand.example/shop.svg\"",
                &[
                    (Warning, Some(7), "but the DMARC record _dmarc.news.example. at line 6 has p=quarantine with pct=50 and has sp=none:"),
                    (Warning, Some(8), "DMARC record at _dmarc.shop.example. has problems (p is missing)"),
                    (Warning, Some(9), "but the DMARC record _dmarc.shop.example. at line 8 has no valid p= (read as p=none):"),
                ],
            ),
        ];
        for &(what, text, want) in cases {
            let text = text.replace("{HEAD}", HEAD);
            assert_findings(what, &check(&text), want);
        }
    }

    #[test]
    fn ttl_above_2_31_is_an_error() {
        let mut entries = parse_zone_str(HEAD, Path::new("t.zone"), &origin()).unwrap();
        push_at(
            &mut entries,
            "t.zone",
            5,
            "www 60 A 192.0.2.1",
            Some(MAX_TTL + 1),
        );
        assert_findings(
            "TTL 2^31",
            &check_entries(&origin(), &entries),
            &[(
                Error,
                Some(5),
                "TTL 2147483648 is larger than the maximum 2147483647 seconds (RFC 2181 §8)",
            )],
        );
    }

    #[test]
    fn findings_name_records_in_other_files() {
        let mut entries = parse_zone_str(HEAD, Path::new("t.zone"), &origin()).unwrap();
        push_at(&mut entries, "t.zone", 5, "www CNAME a.example.org.", None);
        push_at(&mut entries, "inc/www.zone", 2, "www TXT hi", None);
        let findings = check_entries(&origin(), &entries);
        assert_findings(
            "included",
            &findings,
            &[(Error, Some(5), "(TXT at inc/www.zone:2)")],
        );
        assert_eq!(findings[0].file.as_deref(), Some(Path::new("t.zone")));
    }

    #[test]
    fn line_references_are_taken_out_of_a_message() {
        for (message, want) in [
            (
                "more than one SPF record at a. (the first is at line 12); merge",
                "more than one SPF record at a.; merge",
            ),
            (
                "the DMARC record _dmarc.a. at line 7 has p=none",
                "the DMARC record _dmarc.a. has p=none",
            ),
            ("CNAME at line 0 and A at line 3", "CNAME and A"),
            (
                "MX target m.a. is a CNAME (line 6); mail",
                "MX target m.a. is a CNAME; mail",
            ),
            (
                "a (line x) and (the first is at line 2x)",
                "a (line x) and (the first is at line 2x)",
            ),
            ("no line here at line x", "no line here at line x"),
        ] {
            assert_eq!(without_line_refs(message), want);
        }
    }

    #[test]
    fn finding_display() {
        let f = |file: Option<&str>, line| Finding {
            severity: Error,
            file: file.map(PathBuf::from),
            line,
            owner: None,
            message: "what is wrong".into(),
            every_edit: false,
        };
        assert_eq!(
            f(Some("zones/a.zone"), Some(7)).to_string(),
            "zones/a.zone:7: error: what is wrong"
        );
        assert_eq!(
            f(Some("zones/a.zone"), None).to_string(),
            "zones/a.zone: error: what is wrong"
        );
        assert_eq!(f(None, None).to_string(), "error: what is wrong");
        let w = Finding {
            severity: Warning,
            ..f(None, Some(3))
        };
        assert_eq!(w.to_string(), "line 3: warning: what is wrong");
        assert!(has_errors(&[w.clone(), f(None, None)]));
        assert!(!has_errors(&[w]));
    }

    #[test]
    fn zone_wide_findings_name_the_main_file_and_apex() {
        let findings = check("$TTL 60\nns1 A 192.0.2.1");
        assert_eq!(findings.len(), 2);
        for f in &findings {
            assert_eq!(f.file.as_deref(), Some(Path::new("t.zone")));
            assert_eq!(f.owner, Some(origin()));
            assert_eq!(f.line, None);
        }
        assert!(check_entries(&origin(), &Entries::default())
            .iter()
            .all(|f| f.file.is_none()));
    }
}
