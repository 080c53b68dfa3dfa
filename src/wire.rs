//! DNS messages on the query path: parse a query, answer it from a [`ZoneSet`], encode the
//! response with name compression, EDNS(0) (RFC 6891) and truncation.
//!
//! Pure and allocation-light: the caller owns the output buffer and reuses it between queries.
//! Imports only [`crate::zone`] and, for signed requests, [`crate::tsig`].

use std::sync::Arc;

use crate::rrl::{Kind, RateKey};
use crate::tsig::{self, Keyring, Refusal, Signer, RTYPE_TSIG};
use crate::zone::lookup::{self, Answer, LookupOptions, Owner, Rcode, Rdatas, Rrset};
use crate::zone::name::MAX_NAME_LEN;
use crate::zone::serial::serial_gt;
use crate::zone::{RType, Soa, Zone, ZoneSet};

const HEADER_LEN: usize = 12;
/// Size of an OPT record with no options.
const OPT_LEN: usize = 11;
/// DNS response codes used here (12-bit extended codes: the low 4 bits go in the header, the
/// rest in the OPT record).
const RCODE_FORMERR: u16 = 1;
const RCODE_SERVFAIL: u16 = 2;
const RCODE_NOTIMP: u16 = 4;
const RCODE_REFUSED: u16 = 5;
const RCODE_NOTAUTH: u16 = 9;
const RCODE_BADVERS: u16 = 16;
const CLASS_IN: u16 = 1;
const CLASS_CH: u16 = 3;
/// EDNS option code of the name server identifier (RFC 5001).
const OPTION_NSID: u16 = 3;

/// How the query arrived: it decides the size limit and how ANY is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
}

/// Server-wide answering options.
#[derive(Debug, Clone)]
pub struct AnswerConfig {
    /// Largest UDP response we send to an EDNS client, whatever larger size it advertises.
    pub max_udp_payload: u16,
    /// What the server tells of itself; by default nothing.
    pub identity: Arc<Identity>,
}

impl Default for AnswerConfig {
    fn default() -> Self {
        // The DNS Flag Day 2020 value, Knot's and BIND's default: avoids IP fragmentation.
        AnswerConfig {
            max_udp_payload: 1232,
            identity: Arc::default(),
        }
    }
}

impl AnswerConfig {
    /// The NSID option's data for the answer to a query with `edns`: ours if the query asked
    /// for it (RFC 5001 §2.1), and if the header, `before` (the bytes the answer must hold
    /// besides: the question) and our OPT with the option fit in `limit`; else none. The option
    /// is optional, the rest of the answer is not.
    #[inline]
    fn nsid_for(&self, edns: Option<Edns>, before: usize, limit: usize) -> &[u8] {
        let nsid = &self.identity.nsid;
        match edns {
            Some(e) if e.nsid && HEADER_LEN + before + opt_len(nsid) <= limit => nsid,
            _ => &[],
        }
    }
}

/// What the server tells of itself, each empty to tell nothing (Knot's `identity`, `version`
/// and `nsid`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Identity {
    /// The answer to `CH TXT id.server.` and `hostname.bind.` (RFC 4892); empty: REFUSED.
    pub name: Vec<u8>,
    /// The answer to `CH TXT version.server.` and `version.bind.`; empty: REFUSED.
    pub version: Vec<u8>,
    /// The name server identifier (RFC 5001) sent to the queries that ask for it.
    pub nsid: Vec<u8>,
}

/// The longest `identity`, `version` or `nsid`: one TXT string.
pub const MAX_IDENTITY_LEN: usize = 255;

/// EDNS(0) data from the query's OPT record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Edns {
    udp_size: u16,
    version: u8,
    dnssec_ok: bool,
    /// The query carries an NSID option (RFC 5001): its answer carries ours.
    nsid: bool,
}

impl Edns {
    /// The OPT record whose TYPE field is at `rr` in `p` (its fixed fields must be there).
    #[inline]
    fn read(p: &[u8], rr: usize) -> Edns {
        Edns {
            udp_size: u16::from_be_bytes([p[rr + 2], p[rr + 3]]),
            version: p[rr + 5],
            dnssec_ok: p[rr + 6] & 0x80 != 0,
            nsid: false,
        }
    }
}

/// A parsed query question plus the bits of the header we echo.
#[derive(Debug)]
struct Query<'a> {
    id: u16,
    opcode: u8,
    /// RD and CD, copied into the response.
    copied_flags: u16,
    /// The question as sent: name (case preserved) + type + class.
    question: &'a [u8],
    qname_len: usize,
    qtype: RType,
    qclass: u16,
    edns: Option<Edns>,
    /// Where its TSIG record (RFC 8945) starts, if it is signed.
    tsig: Option<usize>,
}

impl Query<'_> {
    /// The header fields its response copies.
    fn head(&self) -> Head {
        Head {
            id: self.id,
            opcode: self.opcode,
            copied_flags: self.copied_flags,
        }
    }

    /// The query name, lower-cased into `buf`: the form zones are looked up by.
    #[inline]
    fn lowercase_qname<'b>(&self, buf: &'b mut [u8; MAX_NAME_LEN]) -> &'b [u8] {
        let qname = &mut buf[..self.qname_len];
        qname.copy_from_slice(&self.question[..self.qname_len]);
        qname.make_ascii_lowercase();
        qname
    }
}

enum Parsed<'a> {
    Query(Query<'a>),
    /// Answer with this RCODE and, if it could be parsed, the question echoed.
    Error {
        id: u16,
        opcode: u8,
        copied_flags: u16,
        rcode: u16,
        question: Option<&'a [u8]>,
        edns: Option<Edns>,
    },
    /// Not worth an answer (a response, or too short to have an ID).
    Drop,
}

/// Answers one query packet. Returns `false` if nothing should be sent (the packet is a response or
/// garbage); otherwise `out` holds the response.
pub fn respond(
    zones: &ZoneSet,
    config: &AnswerConfig,
    keys: &Keyring,
    packet: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
) -> bool {
    answer_packet(zones, config, keys, packet, transport, out, None)
}

/// Whether `out`, an answer [`respond`] wrote, is REFUSED: a zone transfer asked for (or a
/// name in no zone served here).
#[inline]
pub fn is_refused(out: &[u8]) -> bool {
    out.get(3)
        .is_some_and(|b| u16::from(b & 0x0f) == RCODE_REFUSED)
}

/// [`respond`] over UDP with response rate limiting: `rate` is set to the bucket the response
/// counts in ([`crate::rrl`]).
pub fn respond_counted(
    zones: &ZoneSet,
    config: &AnswerConfig,
    keys: &Keyring,
    packet: &[u8],
    out: &mut Vec<u8>,
    rate: &mut RateKey,
) -> bool {
    *rate = RateKey::default();
    answer_packet(zones, config, keys, packet, Transport::Udp, out, Some(rate))
}

/// [`respond`], telling `rate` (if given) what the response is.
#[inline(never)]
fn answer_packet(
    zones: &ZoneSet,
    config: &AnswerConfig,
    keys: &Keyring,
    packet: &[u8],
    transport: Transport,
    out: &mut Vec<u8>,
    rate: Option<&mut RateKey>,
) -> bool {
    out.clear();
    match parse_query(packet) {
        Parsed::Drop => false,
        Parsed::Error {
            id,
            opcode,
            copied_flags,
            rcode,
            question,
            edns,
        } => {
            let head = Head {
                id,
                opcode,
                copied_flags,
            };
            let payload = config.max_udp_payload;
            // The error keeps EDNS if the query had it (RFC 6891 §7), also when parsing stopped
            // before the OPT record.
            let edns = match edns {
                Some(edns) => Some(edns),
                None => opt_of_malformed(packet),
            };
            // An error to a signed request is signed too (RFC 8945 §5.2), when its records can
            // be read as far as the TSIG record. Looked for here, off the path of answers.
            // (`and`, not `and_then`: with a closure here, LLVM built `respond` so that every
            // answer took 15 more instructions, by callgrind.)
            let signed = question.and(signed_error_tsig(packet));
            // No NSID beside a TSIG record, whose size is not known yet.
            let nsid = match signed {
                Some(_) => &[][..],
                None => config.nsid_for(edns, question.map_or(0, <[u8]>::len), {
                    limit_of(transport, edns, payload)
                }),
            };
            let write = |out: &mut Vec<u8>, rcode| {
                write_error(out, head, rcode, question, edns, payload, nsid)
            };
            write(out, rcode);
            if let Some(at) = signed {
                if let Some(mut signer) = check_signature(keys, packet, at, out, &write) {
                    signer.sign(out);
                }
            }
            true
        }
        Parsed::Query(q) => {
            // One call of answer_query, so that it stays inlined here.
            let mut signer = None;
            if let Some(at) = q.tsig {
                let payload = config.max_udp_payload;
                // A signature that does not verify: an error, with no NSID beside its TSIG
                // record.
                let write = |out: &mut Vec<u8>, rcode| {
                    write_error(out, q.head(), rcode, Some(q.question), q.edns, payload, &[])
                };
                match check_signature(keys, packet, at, out, &write) {
                    Some(s) => signer = Some(s),
                    None => return true,
                }
            }
            let reserve = signer.as_ref().map_or(0, Signer::record_len);
            let mut rate = rate;
            if let Some(r) = rate.as_deref_mut() {
                r.signed = signer.is_some();
            }
            answer_query(zones, config, &q, transport, reserve, out, rate);
            if let Some(mut signer) = signer {
                signer.sign(out);
            }
            true
        }
    }
}

/// A zone transfer asked for over TCP: AXFR (RFC 5936), or IXFR (RFC 1995), answered with the
/// differences since the client's serial when the zone's history reaches back to it, and
/// otherwise with the whole zone in AXFR form, as RFC 1995 §4 allows.
pub struct TransferRequest<'a> {
    query: Query<'a>,
    packet: &'a [u8],
    /// The UDP size the OPT of each message advertises (`max_udp_payload`), as answers do.
    payload: u16,
    /// The serial of the copy an IXFR client holds (the SOA in its authority section).
    client_serial: Option<u32>,
    /// Asked over UDP: answered with our SOA alone ([`TransferRequest::over_udp`]).
    soa_only: bool,
}

/// What a request's TSIG record (at `tsig_at`, if any) says, checked with `keys` at `now`.
fn signature(packet: &[u8], tsig_at: Option<usize>, keys: &Keyring, now: u64) -> Signature {
    let Some(at) = tsig_at else {
        return Signature::Unsigned;
    };
    let Some(rec) = tsig::Record::parse(packet, at) else {
        return Signature::Malformed;
    };
    match tsig::verify_request(packet, &rec, keys, now) {
        Ok(signer) => Signature::Signed(signer),
        Err(refusal) => Signature::Refused(refusal),
    }
}

/// What a request's TSIG record says.
pub enum Signature {
    Unsigned,
    /// Verified: the answer is signed with the same key.
    Signed(Signer),
    /// Signed, but not verified: answered with [`TransferRequest::refuse_signature`].
    Refused(Refusal),
    /// A TSIG record that cannot be read.
    Malformed,
}

/// What a transfer request got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transferred {
    /// The zone, with this many records (its SOA twice).
    Zone(usize),
    /// An IXFR answered with the differences from the client's serial `from` to ours `to`:
    /// `diffs` of them, in `records` records (our SOA twice, each difference's two).
    Increments {
        from: u32,
        to: u32,
        diffs: usize,
        records: usize,
    },
    /// The IXFR client's copy is current: our SOA alone (RFC 1995 §2).
    UpToDate,
    /// An IXFR over UDP from a client whose copy is older (or unknown): our SOA alone, which
    /// tells it to ask again over TCP (RFC 1995 §2).
    AskOverTcp,
    /// Not the apex of a zone served here: NOTAUTH.
    NotServed,
    /// The client went away, or a record was too large to send.
    Cut,
}

/// Most bytes of records in one transfer message before the next starts. Names are compressed
/// against the first 16 kB of a message only (pointers reach no further).
const TRANSFER_MESSAGE: usize = 16 * 1024;

/// The request in `packet` if it is a well-formed standard query for AXFR or IXFR in class IN;
/// anything else (also a malformed transfer request) is for [`respond`] to answer.
pub fn transfer_request<'a>(
    packet: &'a [u8],
    config: &AnswerConfig,
) -> Option<TransferRequest<'a>> {
    // The question's type first: every TCP query comes here before it is answered.
    let qtype_at = HEADER_LEN + plain_name_len(packet.get(HEADER_LEN..)?)?;
    let qtype = packet.get(qtype_at..qtype_at + 2)?;
    if !matches!(
        RType(u16::from_be_bytes([qtype[0], qtype[1]])),
        RType::AXFR | RType::IXFR
    ) {
        return None;
    }
    match parse_query(packet) {
        Parsed::Query(query)
            if query.qclass == CLASS_IN
                && matches!(query.qtype, RType::AXFR | RType::IXFR)
                && query.edns.is_none_or(|e| e.version == 0) =>
        {
            let client_serial = (query.qtype == RType::IXFR)
                .then(|| authority_soa_serial(packet, HEADER_LEN + query.question.len()))
                .flatten();
            Some(TransferRequest {
                query,
                packet,
                payload: config.max_udp_payload,
                client_serial,
                soa_only: false,
            })
        }
        _ => None,
    }
}

/// The serial of an IXFR's authority SOA: the record at `pos`, the first after the question
/// (the answer section of a query is empty). None if the authority section is empty, or its
/// first record is not an SOA of class IN that holds a serial.
fn authority_soa_serial(p: &[u8], pos: usize) -> Option<u32> {
    if u16::from_be_bytes([*p.get(8)?, *p.get(9)?]) == 0 {
        return None;
    }
    let rr = pos + skip_name(p, pos)?;
    let head = p.get(rr..rr + 10)?;
    let field = |i: usize| u16::from_be_bytes([head[i], head[i + 1]]);
    if field(0) != RType::SOA.0 || field(2) != CLASS_IN {
        return None;
    }
    let rdata = rr + 10;
    let end = rdata + field(8) as usize;
    let rname = rdata + skip_name(p, rdata)?;
    let serial = rname + skip_name(p, rname)?;
    if serial + 4 > end {
        return None;
    }
    Some(u32::from_be_bytes(
        p.get(serial..serial + 4)?.try_into().ok()?,
    ))
}

impl TransferRequest<'_> {
    /// The request as asked over UDP, where only an IXFR is answered (AXFR is defined over TCP
    /// only, RFC 5936 §4.2): `None` for an AXFR. [`TransferRequest::answer`] then sends our SOA
    /// alone, which tells a client that is current that it is, and one that is behind to ask
    /// again over TCP (RFC 1995 §2). The differences go over TCP only, as Knot sends them.
    pub fn over_udp(self) -> Option<Self> {
        (self.query.qtype == RType::IXFR).then_some(Self {
            soa_only: true,
            ..self
        })
    }

    /// The zone asked for, as written in the question (for logs).
    pub fn zone_text(&self) -> String {
        crate::zone::Name::from_wire(&self.query.question[..self.query.qname_len])
            .map(|n| n.to_string())
            .unwrap_or_default()
    }

    /// The name asked for, lower-cased: the zone whose transfer settings apply.
    pub fn zone_name(&self) -> Option<crate::zone::Name> {
        crate::zone::Name::from_wire(&self.query.question[..self.query.qname_len])
            .ok()
            .map(|n| n.to_lowercase())
    }

    /// The zone asked for, if the question names the apex of a zone in `zones`.
    pub fn zone<'z>(&self, zones: &'z ZoneSet) -> Option<&'z std::sync::Arc<crate::zone::Zone>> {
        let mut lower = [0u8; MAX_NAME_LEN];
        zones.get_wire(self.query.lowercase_qname(&mut lower))
    }

    /// The request's signature checked with `keys` at `now`: none, verified (the signer for
    /// the answer), or refused.
    pub fn verify(&self, keys: &Keyring, now: u64) -> Signature {
        signature(self.packet, self.query.tsig, keys, now)
    }

    /// The answer to a request whose TSIG record is malformed: FORMERR, unsigned.
    pub fn refuse_malformed(&self, out: &mut Vec<u8>) {
        self.error(out, RCODE_FORMERR);
    }

    /// The answer to a request whose signature did not verify: NOTAUTH with the TSIG error, or
    /// FORMERR for a MAC of an impossible length (RFC 8945 §5.2).
    pub fn refuse_signature(&self, refusal: Refusal, out: &mut Vec<u8>, now: u64) {
        self.error(out, refusal.rcode());
        refusal.finish(out, now);
    }

    /// The answer to a client not allowed to transfer zones: REFUSED (RFC 5936 §4.2), signed
    /// if the request was.
    pub fn refuse(&self, out: &mut Vec<u8>, signer: Option<Signer>) {
        self.error(out, RCODE_REFUSED);
        if let Some(mut signer) = signer {
            signer.sign(out);
        }
    }

    fn error(&self, out: &mut Vec<u8>, rcode: u16) {
        let q = &self.query;
        let head = q.head();
        out.clear();
        write_error(
            out,
            head,
            rcode,
            Some(q.question),
            q.edns,
            self.payload,
            &[],
        );
    }

    /// Answers with `zone` (found by [`TransferRequest::zone`]), one message at a time through
    /// `send`, which returns false to stop (the client went away). The zone's SOA comes first
    /// and last, every other record once in between (RFC 5936 §2.2), the question in the first
    /// message only. No zone (the name is not the apex of a served zone) gets NOTAUTH
    /// (§2.2.1); an IXFR client whose serial is not older than ours gets our SOA alone (RFC
    /// 1995 §2).
    pub fn answer(
        &self,
        zone: Option<&crate::zone::Zone>,
        mut signer: Option<Signer>,
        mut send_raw: impl FnMut(&[u8]) -> bool,
    ) -> Transferred {
        let q = &self.query;
        let reserve = signer.as_ref().map_or(0, |s| s.record_len());
        // Every message signed, each with the MAC of the one before (RFC 8945 §5.3.1).
        let mut send = |out: &mut Vec<u8>| {
            if let Some(s) = signer.as_mut() {
                s.sign(out);
            }
            send_raw(out)
        };
        let mut out = Vec::with_capacity(TRANSFER_MESSAGE + 1024);
        let served = zone.and_then(|z| {
            let set = z.apex().get(RType::SOA)?;
            Some((z, set, set.rdatas().first()?))
        });
        let Some((zone, soa_set, soa_rd)) = served else {
            self.error(&mut out, RCODE_NOTAUTH);
            send(&mut out);
            return Transferred::NotServed;
        };
        let soa = Rrset {
            owner: Owner::Zone(zone.origin()),
            rtype: RType::SOA,
            ttl: soa_set.ttl,
            rdatas: Rdatas::Zone(soa_set.rdatas().first_only()),
        };
        let mut msg = TransferMessage::start(q, true, &mut out);
        let mut sent = 0;
        let mut put = |out: &mut Vec<u8>, msg: &mut TransferMessage, set: &Rrset<'_>, rd: &[u8]| {
            let mark = out.len();
            let names = msg.enc.mark();
            msg.enc.write_record(out, set, rd);
            if out.len() > TRANSFER_MESSAGE && msg.records > 0 {
                out.truncate(mark);
                msg.enc.reset_to(names);
                msg.finish(q, self.payload, false, out);
                if !send(out) {
                    return false;
                }
                *msg = TransferMessage::start(q, false, out);
                msg.enc.write_record(out, set, rd);
            }
            if out.len() + OPT_LEN + reserve > u16::MAX as usize {
                // One record too large for any message (RDATA near 64 kB): the transfer fails
                // rather than send a message TCP cannot frame.
                self.error(out, RCODE_SERVFAIL);
                send(out);
                return false;
            }
            msg.records += 1;
            sent += 1;
            true
        };
        if !put(&mut out, &mut msg, &soa, soa_rd) {
            return Transferred::Cut;
        }
        let ours = Soa::from_rdata(soa_rd).map(|s| s.serial);
        // Current: the same serial or a newer one. Two serials 2^31 apart compare as neither
        // (RFC 1982 §3.2): the client gets the zone.
        let current = matches!((self.client_serial, ours),
            (Some(theirs), Some(ours)) if theirs == ours || serial_gt(theirs, ours));
        if current || self.soa_only {
            msg.finish(q, self.payload, false, &mut out);
            if self.soa_only && out.len() + reserve > udp_limit(q.edns, self.payload) {
                // Larger than the client takes over UDP (long names, a TSIG record): TC and
                // the question alone, as for any answer over UDP; it asks again over TCP.
                let empty = TransferMessage::start(q, true, &mut out);
                empty.finish(q, self.payload, true, &mut out);
            }
            send(&mut out);
            return if current {
                Transferred::UpToDate
            } else {
                Transferred::AskOverTcp
            };
        }
        // An IXFR from a serial the zone's history reaches back to: the differences since,
        // each its old SOA, the records removed, its new SOA and the records added, between
        // our SOA first and last (RFC 1995 §4); the whole zone instead if they are no smaller.
        let diffs = self
            .client_serial
            .and_then(|theirs| zone.history().since(theirs))
            .filter(|d| d.iter().map(|d| d.records()).sum::<usize>() < zone.record_count());
        if let Some(diffs) = diffs {
            for diff in diffs {
                for (soa, nodes) in [(&diff.from, &diff.removed), (&diff.to, &diff.added)] {
                    let view = Rrset {
                        owner: Owner::Zone(zone.origin()),
                        rtype: RType::SOA,
                        ttl: soa.ttl,
                        rdatas: Rdatas::Owned(Vec::new()),
                    };
                    if !put(&mut out, &mut msg, &view, &soa.rdata) {
                        return Transferred::Cut;
                    }
                    for (name, node) in nodes {
                        if !put_node(&mut put, &mut out, &mut msg, zone, name, node) {
                            return Transferred::Cut;
                        }
                    }
                }
            }
        } else {
            for (name, node) in zone.nodes() {
                if !put_node(&mut put, &mut out, &mut msg, zone, name, node) {
                    return Transferred::Cut;
                }
            }
        }
        if !put(&mut out, &mut msg, &soa, soa_rd) {
            return Transferred::Cut;
        }
        msg.finish(q, self.payload, false, &mut out);
        if !send(&mut out) {
            return Transferred::Cut;
        }
        match diffs {
            Some(diffs) => Transferred::Increments {
                from: diffs[0].from.serial(),
                to: diffs[diffs.len() - 1].to.serial(),
                diffs: diffs.len(),
                records: sent,
            },
            None => Transferred::Zone(sent),
        }
    }
}

/// Writes the records of `node` at `name` through `put` (the apex's SOA left out: a transfer
/// writes it where it belongs); false if `put` stopped.
fn put_node(
    put: &mut impl FnMut(&mut Vec<u8>, &mut TransferMessage, &Rrset<'_>, &[u8]) -> bool,
    out: &mut Vec<u8>,
    msg: &mut TransferMessage,
    zone: &crate::zone::Zone,
    name: &crate::zone::Name,
    node: &crate::zone::Node,
) -> bool {
    for set in node.rrsets() {
        if set.rtype == RType::SOA && name.eq_ignore_case(zone.origin()) {
            continue;
        }
        let view = Rrset {
            owner: Owner::Zone(name),
            rtype: set.rtype,
            ttl: set.ttl,
            rdatas: Rdatas::Zone(set.rdatas()),
        };
        for rd in set.rdatas() {
            if !put(out, msg, &view, rd) {
                return false;
            }
        }
    }
    true
}

/// The DNS NOTIFY opcode (RFC 1996).
const OPCODE_NOTIFY: u8 = 4;

/// A NOTIFY (RFC 1996 §3.7) telling a secondary that `zone` changed: the question is the zone's
/// SOA, the answer its new SOA record, so the secondary knows the serial at once. None for a
/// zone without an SOA.
pub fn notify_message(id: u16, zone: &crate::zone::Zone) -> Option<Vec<u8>> {
    let soa = zone.apex().get(RType::SOA)?;
    let rdata = soa.rdatas().first()?;
    let origin = zone.origin().as_wire();
    let mut out = Vec::with_capacity(HEADER_LEN + 2 * origin.len() + 14 + rdata.len());
    // AA set (§3.7); QR clear: a request.
    write_header(
        &mut out,
        id,
        ((OPCODE_NOTIFY as u16) << 11) | 0x0400,
        [1, 1, 0, 0],
    );
    out.extend_from_slice(origin);
    out.extend_from_slice(&RType::SOA.0.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&(0xC000u16 | HEADER_LEN as u16).to_be_bytes());
    out.extend_from_slice(&RType::SOA.0.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out.extend_from_slice(&soa.ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
    Some(out)
}

/// What a secondary answered to the NOTIFY with ID `id`: None if `packet` is no answer to it;
/// else its RCODE (0: acknowledged).
pub fn notify_reply(packet: &[u8], id: u16) -> Option<u8> {
    let header = packet.get(..HEADER_LEN)?;
    let flags = u16::from_be_bytes([header[2], header[3]]);
    let is_reply = u16::from_be_bytes([header[0], header[1]]) == id
        && flags & 0x8000 != 0
        && ((flags >> 11) & 0xF) as u8 == OPCODE_NOTIFY;
    is_reply.then_some((flags & 0xF) as u8)
}

/// One message of a zone transfer being written.
struct TransferMessage {
    enc: Compressor,
    records: u16,
}

impl TransferMessage {
    /// Starts a message in `out`: the header, and the question if `first`. Names are not
    /// compressed against the question, so the records keep the zone's case, not the client's.
    fn start(q: &Query<'_>, first: bool, out: &mut Vec<u8>) -> TransferMessage {
        out.clear();
        write_header(out, q.id, 0, [first as u16, 0, 0, 0]);
        if first {
            out.extend_from_slice(q.question);
        }
        TransferMessage {
            enc: Compressor::empty(),
            records: 0,
        }
    }

    /// Completes the header (flags, TC if `truncated`, counts) and, for an EDNS query, the OPT
    /// advertising `payload`.
    fn finish(&self, q: &Query<'_>, payload: u16, truncated: bool, out: &mut Vec<u8>) {
        let mut ar = 0u16;
        if let Some(e) = q.edns {
            write_opt(out, payload, 0, e.dnssec_ok, &[]);
            ar = 1;
        }
        let flags = response_flags(q.opcode, q.copied_flags, true, truncated, 0);
        out[2..4].copy_from_slice(&flags.to_be_bytes());
        out[6..8].copy_from_slice(&self.records.to_be_bytes());
        out[10..12].copy_from_slice(&ar.to_be_bytes());
    }
}

fn parse_query(p: &[u8]) -> Parsed<'_> {
    if p.len() < HEADER_LEN {
        return Parsed::Drop;
    }
    let id = u16::from_be_bytes([p[0], p[1]]);
    let flags = u16::from_be_bytes([p[2], p[3]]);
    if flags & 0x8000 != 0 {
        return Parsed::Drop; // a response: never answer it (avoids loops)
    }
    let opcode = ((flags >> 11) & 0xF) as u8;
    let copied_flags = flags & 0x0110; // RD, CD
    let qd = u16::from_be_bytes([p[4], p[5]]);
    let an = u16::from_be_bytes([p[6], p[7]]);
    let ns = u16::from_be_bytes([p[8], p[9]]);
    let ar = u16::from_be_bytes([p[10], p[11]]);
    let err = |rcode, question, edns| Parsed::Error {
        id,
        opcode,
        copied_flags,
        rcode,
        question,
        edns,
    };
    if qd != 1 {
        let rcode = if opcode != 0 {
            RCODE_NOTIMP
        } else {
            RCODE_FORMERR
        };
        return err(rcode, None, None);
    }
    let Some(qname_len) = plain_name_len(&p[HEADER_LEN..]) else {
        return err(RCODE_FORMERR, None, None);
    };
    let qend = HEADER_LEN + qname_len + 4;
    if p.len() < qend {
        return err(RCODE_FORMERR, None, None);
    }
    let question = &p[HEADER_LEN..qend];
    let qtype = RType(u16::from_be_bytes([p[qend - 4], p[qend - 3]]));
    let qclass = u16::from_be_bytes([p[qend - 2], p[qend - 1]]);
    // Records after the question: skip answer/authority, find the OPT in additional.
    let mut pos = qend;
    let mut edns = None;
    let mut tsig = None;
    let records = an as usize + ns as usize + ar as usize;
    for i in 0..records {
        let Some(name_len) = skip_name(p, pos) else {
            return err(RCODE_FORMERR, Some(question), None);
        };
        let rr = pos + name_len;
        if p.len() < rr + 10 {
            return err(RCODE_FORMERR, Some(question), None);
        }
        let rtype = u16::from_be_bytes([p[rr], p[rr + 1]]);
        let rdlen = u16::from_be_bytes([p[rr + 8], p[rr + 9]]) as usize;
        if p.len() < rr + 10 + rdlen {
            return err(RCODE_FORMERR, Some(question), None);
        }
        let in_additional = i >= an as usize + ns as usize;
        if rtype == RTYPE_TSIG {
            // The last record, in the additional section (RFC 8945 §5.1).
            if !in_additional || i + 1 != records {
                return err(RCODE_FORMERR, Some(question), None);
            }
            tsig = Some(pos);
        }
        if rtype == RType::OPT.0 {
            // One OPT, owned by the root, in the additional section (RFC 6891 §6.1.1).
            if !in_additional || edns.is_some() || name_len != 1 || p[pos] != 0 {
                return err(RCODE_FORMERR, Some(question), None);
            }
            let mut opt = Edns::read(p, rr);
            match asks_nsid(&p[rr + 10..rr + 10 + rdlen]) {
                Some(nsid) => opt.nsid = nsid,
                // RFC 6891 §7: FORMERR, with an OPT in the answer.
                None => return err(RCODE_FORMERR, Some(question), Some(opt)),
            }
            edns = Some(opt);
        }
        pos = rr + 10 + rdlen;
    }
    if opcode != 0 {
        return err(RCODE_NOTIMP, Some(question), edns);
    }
    // An IXFR carries the client's SOA in the authority section (RFC 1995 §3).
    if an != 0 || (ns != 0 && qtype != RType::IXFR) {
        return err(RCODE_FORMERR, Some(question), edns);
    }
    Parsed::Query(Query {
        id,
        opcode,
        copied_flags,
        question,
        qname_len,
        qtype,
        qclass,
        edns,
        tsig,
    })
}

/// Whether the RDATA of an OPT record, a sequence of whole options (code, length, data), has
/// an NSID option; None if it is not such a sequence.
fn asks_nsid(mut options: &[u8]) -> Option<bool> {
    let mut nsid = false;
    while let [c1, c2, hi, lo, rest @ ..] = options {
        let len = u16::from_be_bytes([*hi, *lo]) as usize;
        if rest.len() < len {
            return None;
        }
        nsid |= u16::from_be_bytes([*c1, *c2]) == OPTION_NSID;
        options = &rest[len..];
    }
    options.is_empty().then_some(nsid)
}

/// The first OPT record in the additional section of a query that could not be parsed, read
/// leniently (any number of questions), so that its error keeps EDNS (RFC 6891 §7).
#[cold]
fn opt_of_malformed(p: &[u8]) -> Option<Edns> {
    let count = |at: usize| u16::from_be_bytes([p[at], p[at + 1]]) as usize;
    if p.len() < HEADER_LEN {
        return None;
    }
    let (qd, an, ns, ar) = (count(4), count(6), count(8), count(10));
    let mut pos = HEADER_LEN;
    for _ in 0..qd {
        pos += skip_name(p, pos)? + 4;
    }
    for i in 0..an + ns + ar {
        let name_len = skip_name(p, pos)?;
        let rr = pos + name_len;
        let rdlen = u16::from_be_bytes([*p.get(rr + 8)?, *p.get(rr + 9)?]) as usize;
        if i >= an + ns
            && name_len == 1
            && p[pos] == 0
            && p[rr..rr + 2] == RType::OPT.0.to_be_bytes()
        {
            return Some(Edns::read(p, rr));
        }
        pos = rr + 10 + rdlen;
    }
    None
}

/// Length of an uncompressed name at the start of `b` (queries never need compression in the
/// question), or `None` if malformed or compressed.
fn plain_name_len(b: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let len = *b.get(pos)? as usize;
        if len == 0 {
            return if pos < MAX_NAME_LEN {
                Some(pos + 1)
            } else {
                None
            };
        }
        if len > 63 {
            return None;
        }
        pos += 1 + len;
        if pos >= MAX_NAME_LEN {
            return None;
        }
    }
}

/// Length (in the packet) of a possibly compressed name starting at `pos`.
fn skip_name(p: &[u8], mut pos: usize) -> Option<usize> {
    let start = pos;
    loop {
        let len = *p.get(pos)?;
        match len {
            0 => return Some(pos + 1 - start),
            l if l & 0xC0 == 0xC0 => {
                p.get(pos + 1)?;
                return Some(pos + 2 - start);
            }
            l if l > 63 => return None,
            l => pos += 1 + l as usize,
        }
    }
}

fn write_header(out: &mut Vec<u8>, id: u16, flags: u16, counts: [u16; 4]) {
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&flags.to_be_bytes());
    for c in counts {
        out.extend_from_slice(&c.to_be_bytes());
    }
}

/// The largest answer `transport` takes: 64 kB over TCP, [`udp_limit`] over UDP.
fn limit_of(transport: Transport, edns: Option<Edns>, max_udp_payload: u16) -> usize {
    match transport {
        Transport::Tcp => u16::MAX as usize,
        Transport::Udp => udp_limit(edns, max_udp_payload),
    }
}

/// The largest answer a client takes over UDP: 512 bytes without EDNS, else the size its OPT
/// gives, up to `max_udp_payload` (RFC 6891 §6.2.5).
fn udp_limit(edns: Option<Edns>, max_udp_payload: u16) -> usize {
    edns.map_or(512, |e| {
        usize::from(e.udp_size.min(max_udp_payload)).max(512)
    })
}

fn response_flags(opcode: u8, copied: u16, aa: bool, tc: bool, rcode: u8) -> u16 {
    0x8000
        | ((opcode as u16) << 11)
        | if aa { 0x0400 } else { 0 }
        | if tc { 0x0200 } else { 0 }
        | copied
        | (rcode as u16 & 0xF)
}

/// Our OPT record: the UDP `payload` we take, the extended RCODE bits, DO as the query had
/// it, and an NSID option with `nsid` unless it is empty.
fn write_opt(out: &mut Vec<u8>, payload: u16, ext_rcode: u8, dnssec_ok: bool, nsid: &[u8]) {
    out.push(0); // root owner
    out.extend_from_slice(&RType::OPT.0.to_be_bytes());
    out.extend_from_slice(&payload.to_be_bytes());
    out.push(ext_rcode);
    out.push(0); // version
    out.push(if dnssec_ok { 0x80 } else { 0 });
    out.push(0);
    if nsid.is_empty() {
        out.extend_from_slice(&0u16.to_be_bytes()); // RDLENGTH
    } else {
        out.extend_from_slice(&(4 + nsid.len() as u16).to_be_bytes());
        out.extend_from_slice(&OPTION_NSID.to_be_bytes());
        out.extend_from_slice(&(nsid.len() as u16).to_be_bytes());
        out.extend_from_slice(nsid);
    }
}

/// The length of our OPT record with an NSID option holding `nsid` (none if empty).
fn opt_len(nsid: &[u8]) -> usize {
    OPT_LEN + if nsid.is_empty() { 0 } else { 4 + nsid.len() }
}

/// The header fields every response copies from its query.
#[derive(Clone, Copy)]
struct Head {
    id: u16,
    opcode: u8,
    copied_flags: u16,
}

/// A response with no records: header, the question if there was a readable one, and an OPT
/// (our `payload` size, the extended RCODE bits, `nsid` if not empty) if the query had EDNS.
fn write_error(
    out: &mut Vec<u8>,
    head: Head,
    rcode: u16,
    question: Option<&[u8]>,
    edns: Option<Edns>,
    payload: u16,
    nsid: &[u8],
) {
    let qd = question.is_some() as u16;
    let ar = edns.is_some() as u16;
    let flags = response_flags(
        head.opcode,
        head.copied_flags,
        false,
        false,
        (rcode & 0xF) as u8,
    );
    write_header(out, head.id, flags, [qd, 0, 0, ar]);
    if let Some(q) = question {
        out.extend_from_slice(q);
    }
    if let Some(e) = edns {
        write_opt(out, payload, (rcode >> 4) as u8, e.dnssec_ok, nsid);
    }
}

/// Answers a parsed query, telling `rate` (if given) what the answer is.
fn answer_query(
    zones: &ZoneSet,
    config: &AnswerConfig,
    q: &Query<'_>,
    transport: Transport,
    reserve: usize,
    out: &mut Vec<u8>,
    rate: Option<&mut RateKey>,
) {
    let head = q.head();
    // The most the answer may take, its TSIG record (`reserve`) left out.
    let limit = limit_of(transport, q.edns, config.max_udp_payload) - reserve;
    let refuse = |out: &mut Vec<u8>, rcode: u16| {
        write_error(
            out,
            head,
            rcode,
            Some(q.question),
            q.edns,
            config.max_udp_payload,
            config.nsid_for(q.edns, q.question.len(), limit),
        )
    };
    if q.edns.is_some_and(|e| e.version != 0) {
        // RFC 6891 §6.1.3: BADVERS, with our highest version (0) in the OPT.
        return refuse(out, RCODE_BADVERS);
    }
    if q.qclass != CLASS_IN {
        return answer_chaos(out, q, limit, config);
    }
    match q.qtype {
        // Zone transfers go to the clients the config allows ([`transfer_request`]): AXFR
        // over TCP, IXFR also over UDP ([`TransferRequest::over_udp`]). Here they are refused.
        RType::AXFR | RType::IXFR => return refuse(out, RCODE_REFUSED),
        // OPT is not a question one can ask; other meta types likewise.
        RType::OPT | RType(128..=250) => return refuse(out, RCODE_FORMERR),
        _ => {}
    }
    let mut lower = [0u8; MAX_NAME_LEN];
    let qname = q.lowercase_qname(&mut lower);
    let Some(zone) = zones.find_for(qname, q.qtype) else {
        return refuse(out, RCODE_REFUSED);
    };
    let opts = LookupOptions {
        minimal_any: transport == Transport::Udp,
    };
    let ans = lookup::lookup(zone, qname, q.qtype, opts);
    if let Some(rate) = rate {
        count_as(rate, zone, qname, q.qtype, &ans);
    }
    encode_answer(out, q, &ans, limit, config);
}

/// A question in a class other than IN. In class CH, `TXT id.server.` (or `hostname.bind.`)
/// and `TXT version.server.` (or `version.bind.`) get the server's identity and version (RFC
/// 4892), as knotd answers them: not authoritative, TTL 0. Anything else is REFUSED, as is a
/// question whose answer the server keeps to itself (an empty setting).
#[cold]
#[inline(never)]
fn answer_chaos(out: &mut Vec<u8>, q: &Query<'_>, limit: usize, config: &AnswerConfig) {
    let mut lower = [0u8; MAX_NAME_LEN];
    let text: &[u8] = match q.lowercase_qname(&mut lower) {
        _ if q.qclass != CLASS_CH || q.qtype != RType::TXT => &[],
        b"\x02id\x06server\x00" | b"\x08hostname\x04bind\x00" => &config.identity.name,
        b"\x07version\x06server\x00" | b"\x07version\x04bind\x00" => &config.identity.version,
        _ => &[],
    };
    let (payload, edns) = (config.max_udp_payload, q.edns);
    if text.is_empty() {
        // Written here rather than by `answer_query`'s `refuse`: a fourth call of that closure
        // cost every answer 15 instructions (callgrind, `cargo bench --bench answer`).
        let nsid = config.nsid_for(edns, q.question.len(), limit);
        return write_error(
            out,
            q.head(),
            RCODE_REFUSED,
            Some(q.question),
            edns,
            payload,
            nsid,
        );
    }
    write_header(out, q.id, 0, [1, 1, 0, edns.is_some() as u16]);
    out.extend_from_slice(q.question);
    out.extend_from_slice(&(0xC000u16 | HEADER_LEN as u16).to_be_bytes());
    out.extend_from_slice(&RType::TXT.0.to_be_bytes());
    out.extend_from_slice(&CLASS_CH.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes()); // TTL
    let text = &text[..text.len().min(MAX_IDENTITY_LEN)];
    out.extend_from_slice(&(1 + text.len() as u16).to_be_bytes());
    out.push(text.len() as u8);
    out.extend_from_slice(text);
    // The NSID if it fits beside the answer; TC if the answer does not (a 512-byte client
    // asking for a long identity, or a TSIG record to come): the client asks again over TCP.
    let nsid = config.nsid_for(edns, out.len() - HEADER_LEN, limit);
    let mut truncated = false;
    if out.len() + edns.map_or(0, |_| opt_len(nsid)) > limit {
        out.truncate(HEADER_LEN + q.question.len());
        out[6..8].copy_from_slice(&0u16.to_be_bytes());
        truncated = true;
    }
    if let Some(e) = edns {
        write_opt(out, payload, 0, e.dnssec_ok, nsid);
    }
    let flags = response_flags(q.opcode, q.copied_flags, false, truncated, 0);
    out[2..4].copy_from_slice(&flags.to_be_bytes());
}

/// Sets the bucket `ans` (the answer from `zone` to `qname`/`qtype`) counts in for rate
/// limiting; errors keep the default ([`Kind::Error`]).
#[inline(never)]
fn count_as(rate: &mut RateKey, zone: &Zone, qname: &[u8], qtype: RType, ans: &Answer<'_>) {
    let origin = zone.origin().as_wire();
    match ans.rcode {
        Rcode::NxDomain => rate.set(Kind::NxDomain, origin, 0),
        Rcode::YxDomain => {}
        Rcode::NoError if !ans.authoritative => {
            let cut = match ans.authority.first().map(|set| &set.owner) {
                Some(Owner::Zone(name)) => name.as_wire(),
                _ => origin,
            };
            rate.set(Kind::Referral, cut, 0);
        }
        Rcode::NoError if ans.answer.is_empty() => rate.set(Kind::NoData, origin, 0),
        Rcode::NoError => match ans.synthesized_by {
            Some(by) => rate.set(Kind::Synthesized, by.as_wire(), qtype.0),
            None => rate.set(Kind::Answer, qname, qtype.0),
        },
    }
}

/// Where the TSIG record of `packet` starts, if its last record is one.
#[cold]
fn signed_error_tsig(packet: &[u8]) -> Option<usize> {
    let at = tsig::last_record_start(packet)?;
    tsig::Record::parse(packet, at).map(|_| at)
}

/// Checks the TSIG record at `tsig_at` of a signed request: the signer for its answer (with the
/// same key) if it verifies. Otherwise `out` holds the answer, written by `write_error` with the
/// RCODE given: NOTAUTH with the TSIG error (RFC 8945 §5.2), or FORMERR for a record that
/// cannot be read.
#[cold]
#[inline(never)]
fn check_signature(
    keys: &Keyring,
    packet: &[u8],
    tsig_at: usize,
    out: &mut Vec<u8>,
    write_error: &dyn Fn(&mut Vec<u8>, u16),
) -> Option<Signer> {
    let now = tsig::now();
    match signature(packet, Some(tsig_at), keys, now) {
        Signature::Signed(signer) => return Some(signer),
        Signature::Refused(refusal) => {
            out.clear();
            write_error(out, refusal.rcode());
            refusal.finish(out, now);
        }
        Signature::Malformed | Signature::Unsigned => {
            out.clear();
            write_error(out, RCODE_FORMERR);
        }
    }
    None
}

fn encode_answer(
    out: &mut Vec<u8>,
    q: &Query<'_>,
    ans: &Answer<'_>,
    limit: usize,
    config: &AnswerConfig,
) {
    let rcode = match ans.rcode {
        Rcode::NoError => 0,
        Rcode::NxDomain => 3,
        Rcode::YxDomain => 6,
    };
    let nsid = config.nsid_for(q.edns, q.question.len(), limit);
    let opt_size = if q.edns.is_some() { opt_len(nsid) } else { 0 };
    let limit = limit.saturating_sub(opt_size);
    write_header(out, q.id, 0, [1, 0, 0, 0]);
    out.extend_from_slice(q.question);
    let mut enc = Compressor::new(q.question, q.qname_len);
    let mut truncated = false;
    let mut counts = [1u16, 0, 0, 0];
    'sections: for (i, section) in [&ans.answer, &ans.authority, &ans.additional]
        .into_iter()
        .enumerate()
    {
        for set in section.iter() {
            let mark = out.len();
            let mark_names = enc.mark();
            let n = enc.write_rrset(out, set);
            if out.len() > limit {
                out.truncate(mark);
                enc.reset_to(mark_names);
                if i < 2 || ans.additional_required {
                    // Answer or authority does not fit (or required glue): the client must retry over TCP.
                    truncated = true;
                    if i < 2 {
                        out.truncate(HEADER_LEN + q.question.len());
                        counts = [1, 0, 0, 0];
                    }
                }
                break 'sections;
            }
            counts[i + 1] += n;
        }
    }
    if q.edns.is_some() {
        write_opt(
            out,
            config.max_udp_payload,
            0,
            q.edns.is_some_and(|e| e.dnssec_ok),
            nsid,
        );
        counts[3] += 1;
    }
    let flags = response_flags(
        q.opcode,
        q.copied_flags,
        ans.authoritative,
        truncated,
        rcode,
    );
    out[2..4].copy_from_slice(&flags.to_be_bytes());
    for (i, c) in counts.iter().enumerate() {
        out[4 + 2 * i..6 + 2 * i].copy_from_slice(&c.to_be_bytes());
    }
}

/// Most name suffixes remembered for compression; later names are written in full.
const MAX_COMPRESSION_ENTRIES: usize = 64;

/// Name compression (RFC 1035 §4.1.4): remembers the offsets where name suffixes were written
/// and compares against the message itself, so it needs no heap memory.
struct Compressor {
    /// Offsets in the message of each suffix (a label, then the rest of its name) written so far.
    entries: [u16; MAX_COMPRESSION_ENTRIES],
    len: usize,
}

impl Compressor {
    fn new(question: &[u8], qname_len: usize) -> Self {
        let mut c = Compressor::empty();
        c.register(&question[..qname_len], HEADER_LEN, qname_len);
        c
    }

    /// For a message without a question.
    fn empty() -> Self {
        Compressor {
            entries: [0; MAX_COMPRESSION_ENTRIES],
            len: 0,
        }
    }

    fn mark(&self) -> usize {
        self.len
    }

    fn reset_to(&mut self, mark: usize) {
        self.len = mark;
    }

    /// Remembers the suffixes of `name` (uncompressed wire, written at `offset`) that start
    /// before `upto`: the labels written in full rather than as a pointer.
    fn register(&mut self, name: &[u8], offset: usize, upto: usize) {
        let mut pos = 0;
        while pos < upto && name[pos] != 0 {
            let at = offset + pos;
            if at > 0x3FFF || self.len == MAX_COMPRESSION_ENTRIES {
                return;
            }
            self.entries[self.len] = at as u16;
            self.len += 1;
            pos += 1 + name[pos] as usize;
        }
    }

    fn find(&self, msg: &[u8], suffix: &[u8]) -> Option<u16> {
        self.entries[..self.len]
            .iter()
            .copied()
            .find(|&off| name_at_eq(msg, off as usize, suffix))
    }

    /// Writes `name` compressed.
    fn write_name(&mut self, out: &mut Vec<u8>, name: &[u8]) {
        let mut pos = 0;
        let start = out.len();
        while pos < name.len() && name[pos] != 0 {
            if let Some(off) = self.find(out, &name[pos..]) {
                out.extend_from_slice(&name[..pos]);
                out.extend_from_slice(&(0xC000 | off).to_be_bytes());
                self.register(name, start, pos);
                return;
            }
            pos += 1 + name[pos] as usize;
        }
        out.extend_from_slice(name);
        self.register(name, start, name.len());
    }

    /// Writes the owner: a pointer to the question name, or a compressed name.
    fn write_owner(&mut self, out: &mut Vec<u8>, owner: &Owner<'_>) {
        match owner {
            Owner::QName => out.extend_from_slice(&(0xC000u16 | HEADER_LEN as u16).to_be_bytes()),
            Owner::Zone(n) => self.write_name(out, n.as_wire()),
            Owner::Owned(n) => self.write_name(out, n.as_wire()),
        }
    }

    /// Writes every record of one RRset; returns how many.
    fn write_rrset(&mut self, out: &mut Vec<u8>, set: &Rrset<'_>) -> u16 {
        match &set.rdatas {
            Rdatas::Zone(r) => {
                let mut n = 0;
                for rd in *r {
                    self.write_record(out, set, rd);
                    n += 1;
                }
                n
            }
            Rdatas::Owned(v) => {
                self.write_record(out, set, v);
                1
            }
        }
    }

    /// Writes one record of `set` with RDATA `rd`.
    fn write_record(&mut self, out: &mut Vec<u8>, set: &Rrset<'_>, rd: &[u8]) {
        self.write_owner(out, &set.owner);
        out.extend_from_slice(&set.rtype.0.to_be_bytes());
        out.extend_from_slice(&CLASS_IN.to_be_bytes());
        out.extend_from_slice(&set.ttl.to_be_bytes());
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        self.write_rdata(out, set.rtype, rd);
        let rdlen = (out.len() - len_at - 2) as u16;
        out[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }

    /// RDATA, compressing the names of the RFC 1035 types that allow it (RFC 3597 §4).
    fn write_rdata(&mut self, out: &mut Vec<u8>, rtype: RType, rd: &[u8]) {
        match rtype {
            RType::NS | RType::CNAME | RType::PTR => self.write_name(out, rd),
            RType::MX if rd.len() > 2 => {
                out.extend_from_slice(&rd[..2]);
                self.write_name(out, &rd[2..]);
            }
            RType::SOA => {
                let m = crate::zone::name::wire_name_len(rd);
                let r = m.and_then(|m| crate::zone::name::wire_name_len(&rd[m..]).map(|r| (m, r)));
                match r {
                    Some((m, r)) => {
                        self.write_name(out, &rd[..m]);
                        self.write_name(out, &rd[m..m + r]);
                        out.extend_from_slice(&rd[m + r..]);
                    }
                    None => out.extend_from_slice(rd),
                }
            }
            _ => out.extend_from_slice(rd),
        }
    }
}

/// Does the (possibly compressed) name at `pos` in `msg` equal the uncompressed `want`,
/// ASCII case-insensitively? Only names this encoder wrote are compared, but the walk is
/// bounded all the same.
fn name_at_eq(msg: &[u8], mut pos: usize, mut want: &[u8]) -> bool {
    for _ in 0..128 {
        let Some(&len) = msg.get(pos) else {
            return false;
        };
        if len & 0xC0 == 0xC0 {
            let Some(&low) = msg.get(pos + 1) else {
                return false;
            };
            pos = ((len as usize & 0x3F) << 8) | low as usize;
            continue;
        }
        let len = len as usize;
        if want.first() != Some(&(len as u8)) {
            return false;
        }
        if len == 0 {
            return true;
        }
        match (msg.get(pos + 1..pos + 1 + len), want.get(1..1 + len)) {
            (Some(a), Some(b)) if a.eq_ignore_ascii_case(b) => {}
            _ => return false,
        }
        pos += 1 + len;
        want = &want[1 + len..];
    }
    false
}

#[cfg(test)]
mod tests;
