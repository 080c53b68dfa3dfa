//! Answering one question from one zone: exact match, CNAME chains inside the zone, wildcards
//! (RFC 4592), DNAME (RFC 6672), delegations as referrals with glue, NXDOMAIN and NODATA with
//! the SOA for negative caching (RFC 2308), minimal ANY (RFC 8482).
//!
//! Pure: works on an immutable [`Zone`] and produces references into it; the wire encoder
//! turns the result into bytes. Every name lookup is a hash probe on a suffix of the query
//! name, so a negative answer costs as little as a positive one.

use smallvec::SmallVec;

use super::name::{wire_is_subdomain, Name, MAX_NAME_LEN};
use super::{Node, Packed, RRsetRef, RType, Zone};

/// Longest CNAME/DNAME chain followed inside one zone before giving up (loops end here too).
const MAX_CHAIN: usize = 12;

/// Who owns a record in the response.
#[derive(Debug, Clone)]
pub enum Owner<'z> {
    /// The query name exactly as the client wrote it (encoded as a pointer to the question).
    QName,
    /// A name stored in the zone.
    Zone(&'z Name),
    /// A name made up for this answer (a CNAME target we followed, a DNAME synthesis).
    Owned(Name),
}

/// The RDATA of one response RRset.
#[derive(Debug, Clone)]
pub enum Rdatas<'z> {
    /// Records straight from the zone.
    Zone(Packed<'z>),
    /// One synthesized record (the CNAME made from a DNAME).
    Owned(Vec<u8>),
}

/// One RRset placed in a response section.
#[derive(Debug, Clone)]
pub struct Rrset<'z> {
    pub owner: Owner<'z>,
    pub rtype: RType,
    pub ttl: u32,
    pub rdatas: Rdatas<'z>,
}

/// Response code chosen by the lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rcode {
    NoError,
    NxDomain,
    /// A DNAME substitution made a name longer than 255 bytes (RFC 6672 §2.2).
    YxDomain,
}

/// One response section; almost every answer fits inline, so the query path does not allocate.
pub type Section<'z> = SmallVec<[Rrset<'z>; 4]>;

/// What a zone says about one question.
#[derive(Debug, Clone)]
pub struct Answer<'z> {
    pub rcode: Rcode,
    /// Authoritative answer (clear for referrals).
    pub authoritative: bool,
    pub answer: Section<'z>,
    pub authority: Section<'z>,
    pub additional: Section<'z>,
    /// Is the additional section required (glue for a referral)? If it does not fit, the
    /// response must be marked truncated (RFC 9471).
    pub additional_required: bool,
    /// The wildcard, or the DNAME, whose records made the answer for a name asked for that
    /// does not exist itself.
    pub synthesized_by: Option<&'z Name>,
}

impl<'z> Answer<'z> {
    fn new() -> Self {
        Answer {
            rcode: Rcode::NoError,
            authoritative: true,
            answer: Section::new(),
            authority: Section::new(),
            additional: Section::new(),
            additional_required: false,
            synthesized_by: None,
        }
    }
}

/// Options that change how a question is answered.
#[derive(Debug, Clone, Copy, Default)]
pub struct LookupOptions {
    /// ANY is answered with one RRset (RFC 8482 §4.2) rather than all of them.
    pub minimal_any: bool,
}

/// Answers `qname`/`qtype` from `zone`. `qname` must be the lower-cased wire form of a name at
/// or below the zone's origin.
pub fn lookup<'z>(zone: &'z Zone, qname: &[u8], qtype: RType, opts: LookupOptions) -> Answer<'z> {
    let mut ans = Answer::new();
    let mut current: Option<Name> = None; // None = still the query name itself
                                          // Names already visited by a CNAME/DNAME chain, so that a loop ends at once.
    let mut visited: Vec<Name> = Vec::new();
    for _ in 0..MAX_CHAIN {
        let name_wire: &[u8] = match &current {
            None => qname,
            Some(n) => n.as_wire(),
        };
        match step(zone, name_wire, qtype, opts, &current, &mut ans) {
            Step::Done => return ans,
            Step::Follow(next) => {
                if !wire_is_subdomain(next.as_wire(), zone.origin().as_wire()) {
                    // The chain leaves the zone: the resolver follows it from here.
                    return ans;
                }
                let next = next.to_lowercase();
                if next.as_wire() == qname || visited.contains(&next) {
                    return ans;
                }
                visited.push(next.clone());
                current = Some(next);
            }
        }
    }
    ans
}

enum Step {
    Done,
    Follow(Name),
}

fn owner_for<'z>(current: &Option<Name>, zone_owner: Option<&'z Name>) -> Owner<'z> {
    match (current, zone_owner) {
        (None, _) => Owner::QName,
        (Some(_), Some(z)) => Owner::Zone(z),
        (Some(n), None) => Owner::Owned(n.clone()),
    }
}

/// One step of the RFC 1034 §4.3.2 algorithm for one name of a (possible) chain.
fn step<'z>(
    zone: &'z Zone,
    name: &[u8],
    qtype: RType,
    opts: LookupOptions,
    current: &Option<Name>,
    ans: &mut Answer<'z>,
) -> Step {
    let origin = zone.origin().as_wire();
    let total_labels = count_labels(name);
    let origin_labels = count_labels(origin);
    // Walk down from the apex towards the name, one label at a time: stop at a zone cut, a
    // DNAME, or the first name that does not exist.
    let mut encloser: &[u8] = origin;
    for below in (0..total_labels - origin_labels).rev() {
        // Check the encloser found so far for a cut or a DNAME before descending further.
        let enc_node = zone.node(encloser).expect("encloser exists");
        if let Some(step) = cut_or_dname(zone, encloser, enc_node, name, qtype, current, ans) {
            return step;
        }
        let candidate = suffix(name, below);
        match zone.node(candidate) {
            Some(_) => encloser = candidate,
            None => return not_found(zone, encloser, qtype, opts, current, ans),
        }
    }
    // `encloser` is now `name` itself: it exists.
    let (owner, node) = zone.nodes_entry(name).expect("name exists");
    // At a zone cut the parent answers only DS; everything else is a referral.
    if name != origin && node.get(RType::NS).is_some() && qtype != RType::DS {
        referral(zone, owner, node, ans);
        return Step::Done;
    }
    answer_from_node(zone, node, Some(owner), qtype, opts, current, ans)
}

/// At an existing ancestor of the name: a delegation (below the apex) or a DNAME redirects the
/// query. Returns `None` to keep descending. The CNAME a DNAME synthesizes is followed unless it
/// is what was asked for (RFC 6672 §3.2, as a CNAME in the zone).
fn cut_or_dname<'z>(
    zone: &'z Zone,
    encloser: &[u8],
    node: &'z Node,
    name: &[u8],
    qtype: RType,
    current: &Option<Name>,
    ans: &mut Answer<'z>,
) -> Option<Step> {
    if encloser != zone.origin().as_wire() && node.get(RType::NS).is_some() {
        let (owner, node) = zone.nodes_entry(encloser).expect("encloser exists");
        referral(zone, owner, node, ans);
        return Some(Step::Done);
    }
    let dname = node.get(RType::DNAME)?;
    let target_wire = dname.rdatas().first()?;
    let (owner, _) = zone.nodes_entry(encloser).expect("encloser exists");
    if current.is_none() {
        ans.synthesized_by = Some(owner);
    }
    ans.answer.push(Rrset {
        owner: Owner::Zone(owner),
        rtype: RType::DNAME,
        ttl: dname.ttl,
        rdatas: Rdatas::Zone(dname.rdatas()),
    });
    let target = Name::from_wire(target_wire).ok()?;
    let qn = Name::from_wire(name).ok()?;
    match qn.replace_suffix(owner, &target) {
        Ok(synth) => {
            ans.answer.push(Rrset {
                owner: owner_for(current, None),
                rtype: RType::CNAME,
                ttl: dname.ttl,
                rdatas: Rdatas::Owned(synth.as_wire().to_vec()),
            });
            if qtype == RType::CNAME {
                return Some(Step::Done);
            }
            Some(Step::Follow(synth))
        }
        Err(_) => {
            ans.rcode = Rcode::YxDomain;
            Some(Step::Done)
        }
    }
}

/// The name does not exist below `encloser` (its closest encloser): a wildcard may match,
/// otherwise NXDOMAIN.
fn not_found<'z>(
    zone: &'z Zone,
    encloser: &[u8],
    qtype: RType,
    opts: LookupOptions,
    current: &Option<Name>,
    ans: &mut Answer<'z>,
) -> Step {
    // `*.encloser` on the stack; a name too long for a wildcard child has none.
    let mut wild = [0u8; MAX_NAME_LEN + 2];
    wild[..2].copy_from_slice(&[1, b'*']);
    wild[2..2 + encloser.len()].copy_from_slice(encloser);
    let wild = &wild[..2 + encloser.len()];
    if let Some((wildcard, node)) = zone
        .nodes_entry(wild)
        .filter(|_| wild.len() <= MAX_NAME_LEN)
    {
        if current.is_none() {
            ans.synthesized_by = Some(wildcard);
        }
        // RFC 4592: the wildcard's data is answered with the name asked for as owner.
        return answer_from_node(zone, node, None, qtype, opts, current, ans);
    }
    ans.rcode = Rcode::NxDomain;
    negative_soa(zone, ans);
    Step::Done
}

/// Answers from the node that matched (exactly or through a wildcard).
fn answer_from_node<'z>(
    zone: &'z Zone,
    node: &'z Node,
    zone_owner: Option<&'z Name>,
    qtype: RType,
    opts: LookupOptions,
    current: &Option<Name>,
    ans: &mut Answer<'z>,
) -> Step {
    let owner = || owner_for(current, zone_owner);
    if qtype == RType::ANY {
        if node.is_empty() {
            negative_soa(zone, ans);
        } else if opts.minimal_any {
            // One RRset (RFC 8482 §4.1): the smallest, so that it fits where a large one (a
            // DKIM key, a long SPF record) would be truncated and send the client to TCP.
            let set = node
                .rrsets()
                .min_by_key(|s| s.rdatas().iter().map(|r| r.len() + 12).sum::<usize>())
                .expect("the node is not empty");
            ans.answer.push(rrset(owner(), set));
            add_additional(zone, set, ans);
        } else {
            for set in node.rrsets() {
                ans.answer.push(rrset(owner(), set));
                add_additional(zone, set, ans);
            }
        }
        return Step::Done;
    }
    if let Some(set) = node.get(qtype) {
        ans.answer.push(rrset(owner(), set));
        add_additional(zone, set, ans);
        return Step::Done;
    }
    if let Some(cname) = node.get(RType::CNAME) {
        ans.answer.push(rrset(owner(), cname));
        return match cname
            .rdatas()
            .first()
            .and_then(|rd| Name::from_wire(rd).ok())
        {
            Some(target) => Step::Follow(target),
            None => Step::Done,
        };
    }
    negative_soa(zone, ans);
    Step::Done
}

fn rrset<'z>(owner: Owner<'z>, set: RRsetRef<'z>) -> Rrset<'z> {
    Rrset {
        owner,
        rtype: set.rtype,
        ttl: set.ttl,
        rdatas: Rdatas::Zone(set.rdatas()),
    }
}

/// A referral to the child zone at `cut`: its NS set in authority, glue in additional, AA clear.
fn referral<'z>(zone: &'z Zone, cut: &'z Name, node: &'z Node, ans: &mut Answer<'z>) {
    let ns = node.get(RType::NS).expect("cut has NS");
    // A referral after a CNAME chain keeps AA for the part we answered (RFC 1034 §4.3.2).
    ans.authoritative = !ans.answer.is_empty();
    ans.authority.push(Rrset {
        owner: Owner::Zone(cut),
        rtype: RType::NS,
        ttl: ns.ttl,
        rdatas: Rdatas::Zone(ns.rdatas()),
    });
    for rd in ns.rdatas() {
        glue_for(zone, rd, ans);
    }
    ans.additional_required = !ans.additional.is_empty();
}

/// A and AAAA records for a target name inside the zone (glue, or helpful additional data).
fn glue_for<'z>(zone: &'z Zone, target_wire: &[u8], ans: &mut Answer<'z>) {
    let mut lower = [0u8; 255];
    let len = target_wire.len().min(255);
    lower[..len].copy_from_slice(&target_wire[..len]);
    lower[..len].make_ascii_lowercase();
    if let Some((owner, node)) = zone.nodes_entry(&lower[..len]) {
        for t in [RType::A, RType::AAAA] {
            if let Some(set) = node.get(t) {
                if !ans.additional.iter().any(|r| {
                    matches!(r.owner, Owner::Zone(o) if std::ptr::eq(o, owner)) && r.rtype == t
                }) {
                    ans.additional.push(rrset(Owner::Zone(owner), set));
                }
            }
        }
    }
}

/// Additional-section processing for NS, MX and SRV answers (RFC 1035 §3.3, RFC 2782).
fn add_additional<'z>(zone: &'z Zone, set: RRsetRef<'z>, ans: &mut Answer<'z>) {
    let offset = match set.rtype {
        RType::NS => 0,
        RType::MX => 2,
        RType(33) => 6, // SRV: priority, weight, port, target
        _ => return,
    };
    for rd in set.rdatas() {
        if rd.len() > offset {
            glue_for(zone, &rd[offset..], ans);
        }
    }
}

/// NXDOMAIN / NODATA: the SOA in authority with TTL = min(SOA TTL, SOA MINIMUM) (RFC 2308 §3).
fn negative_soa<'z>(zone: &'z Zone, ans: &mut Answer<'z>) {
    let apex = zone.apex();
    if let Some(set) = apex.get(RType::SOA) {
        let minimum = set
            .rdatas()
            .first()
            .and_then(|rd| {
                rd.len()
                    .checked_sub(4)
                    .map(|i| u32::from_be_bytes([rd[i], rd[i + 1], rd[i + 2], rd[i + 3]]))
            })
            .unwrap_or(set.ttl);
        ans.authority.push(Rrset {
            owner: Owner::Zone(zone.origin()),
            rtype: RType::SOA,
            ttl: set.ttl.min(minimum),
            rdatas: Rdatas::Zone(set.rdatas().first_only()),
        });
    }
}

/// Number of labels in a wire name (root = 0).
pub fn count_labels(wire: &[u8]) -> usize {
    let mut n = 0;
    let mut pos = 0;
    while pos < wire.len() && wire[pos] != 0 {
        pos += 1 + wire[pos] as usize;
        n += 1;
    }
    n
}

/// The suffix of a wire name after skipping `skip` labels.
fn suffix(wire: &[u8], skip: usize) -> &[u8] {
    let mut pos = 0;
    for _ in 0..skip {
        pos += 1 + wire[pos] as usize;
    }
    &wire[pos..]
}

#[cfg(test)]
mod tests;
