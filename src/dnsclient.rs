//! A minimal blocking DNS client (a stub resolver's query side), so that `zonectl` can confirm
//! on the wire what a server answers after an edit.
//!
//! Deliberately independent of [`crate::wire`], the server's encoder: the query bytes are built
//! and the response is read here, by hand, so a bug in the encoder is caught rather than
//! mirrored. Reads the header, checks the question, and decodes the answer and authority
//! sections, decompressing the names inside the RDATA of the RFC 1035 types that may be
//! compressed (RFC 3597 §4); the additional section is not decoded.
//!
//! Imports only `std`, `thiserror` and the zone model's [`Name`] and [`RType`].

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use crate::zone::name::{lowercase_wire, read_compressed};
use crate::zone::{Name, RType};

/// The EDNS(0) UDP payload size advertised (the DNS flag day 2020 value).
const EDNS_PAYLOAD: u16 = 1232;

/// How long each UDP attempt waits before the query is sent again.
const UDP_TRIES: [Duration; 3] = [
    Duration::from_millis(300),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// How long a TCP exchange may take.
const TCP_TIMEOUT: Duration = Duration::from_secs(5);

const CLASS_IN: u16 = 1;

/// Response codes used by callers.
pub const RCODE_NOERROR: u8 = 0;
pub const RCODE_NXDOMAIN: u8 = 3;
pub const RCODE_YXDOMAIN: u8 = 6;

/// One resource record of a response, RDATA with every name decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub owner: Name,
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    /// Uncompressed wire-form RDATA.
    pub rdata: Vec<u8>,
}

/// A decoded response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The 4-bit RCODE of the header (no extended RCODE: EDNS is only advertised).
    pub rcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub answer: Vec<Record>,
    pub authority: Vec<Record>,
}

/// Why a query got no usable answer.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("no answer from {addr} over {transport}: is a DNS server listening there?")]
    NoAnswer {
        addr: SocketAddr,
        transport: &'static str,
    },
    #[error("{transport} query to {addr}: {error}")]
    Io {
        addr: SocketAddr,
        transport: &'static str,
        error: std::io::Error,
    },
    #[error("malformed answer from {addr}: {reason}")]
    Malformed { addr: SocketAddr, reason: String },
}

/// Asks `qname`/`qtype` (class IN) at `addr`, an authoritative server: over UDP with EDNS(0),
/// sent again if no answer comes, and over TCP if the UDP answer is truncated.
pub fn query(addr: SocketAddr, qname: &Name, qtype: RType) -> Result<Response, QueryError> {
    ask(addr, qname, qtype, false)
}

/// Like [`query`] with the RD bit set, for a recursive resolver (`--resolver`): it recurses,
/// where without RD it would answer from its cache only. An authoritative server ignores RD.
pub fn query_recursive(
    addr: SocketAddr,
    qname: &Name,
    qtype: RType,
) -> Result<Response, QueryError> {
    ask(addr, qname, qtype, true)
}

fn ask(addr: SocketAddr, qname: &Name, qtype: RType, rd: bool) -> Result<Response, QueryError> {
    let resp = query_udp(addr, qname, qtype, rd)?;
    if resp.truncated {
        return query_tcp(addr, qname, qtype, rd);
    }
    Ok(resp)
}

/// Asks over UDP only (the answer may be truncated); `rd` sets the RD bit.
fn query_udp(
    addr: SocketAddr,
    qname: &Name,
    qtype: RType,
    rd: bool,
) -> Result<Response, QueryError> {
    let io = |error| QueryError::Io {
        addr,
        transport: "UDP",
        error,
    };
    let local: SocketAddr = if addr.is_ipv4() {
        "0.0.0.0:0".parse().expect("valid address")
    } else {
        "[::]:0".parse().expect("valid address")
    };
    let sock = UdpSocket::bind(local).map_err(io)?;
    sock.connect(addr).map_err(io)?;
    let id = next_id();
    let packet = build_query(id, qname, qtype, Some(EDNS_PAYLOAD), rd);
    let mut buf = vec![0u8; 65_535];
    for wait in UDP_TRIES {
        sock.send(&packet).map_err(io)?;
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            sock.set_read_timeout(Some(left)).map_err(io)?;
            match sock.recv(&mut buf) {
                Ok(n) => {
                    // A late answer to an earlier attempt has the same ID and is as good.
                    // Anything else (another ID, garbage) is ignored, as a stub does.
                    if n >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == id {
                        return parse_response(&buf[..n], id, qname, qtype)
                            .map_err(|reason| QueryError::Malformed { addr, reason });
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    break
                }
                // ICMP port unreachable on loopback: nobody listens there.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    return Err(QueryError::NoAnswer {
                        addr,
                        transport: "UDP",
                    })
                }
                Err(e) => return Err(io(e)),
            }
        }
    }
    Err(QueryError::NoAnswer {
        addr,
        transport: "UDP",
    })
}

/// Asks over TCP (RFC 7766: two-byte length prefix); `rd` sets the RD bit.
fn query_tcp(
    addr: SocketAddr,
    qname: &Name,
    qtype: RType,
    rd: bool,
) -> Result<Response, QueryError> {
    let io = |error: std::io::Error| match error.kind() {
        std::io::ErrorKind::ConnectionRefused
        | std::io::ErrorKind::WouldBlock
        | std::io::ErrorKind::TimedOut
        | std::io::ErrorKind::UnexpectedEof => QueryError::NoAnswer {
            addr,
            transport: "TCP",
        },
        _ => QueryError::Io {
            addr,
            transport: "TCP",
            error,
        },
    };
    let mut stream = TcpStream::connect_timeout(&addr, TCP_TIMEOUT).map_err(io)?;
    stream.set_read_timeout(Some(TCP_TIMEOUT)).map_err(io)?;
    stream.set_write_timeout(Some(TCP_TIMEOUT)).map_err(io)?;
    let id = next_id();
    let packet = build_query(id, qname, qtype, None, rd);
    let mut framed = Vec::with_capacity(packet.len() + 2);
    framed.extend_from_slice(&(packet.len() as u16).to_be_bytes());
    framed.extend_from_slice(&packet);
    stream.write_all(&framed).map_err(io)?;
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).map_err(io)?;
    let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut buf).map_err(io)?;
    parse_response(&buf, id, qname, qtype).map_err(|reason| QueryError::Malformed { addr, reason })
}

/// A query ID that differs between calls and between processes (not secret: this client only
/// talks to a server it trusts, usually on loopback).
fn next_id() -> u16 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mixed =
        nanos ^ std::process::id().rotate_left(16) ^ COUNTER.fetch_add(0x9E37, Ordering::Relaxed);
    (mixed ^ (mixed >> 16)) as u16
}

/// The bytes of a query: header (RD set if `rd`), one question, and an OPT record advertising
/// `edns_payload` if given.
pub fn build_query(
    id: u16,
    qname: &Name,
    qtype: RType,
    edns_payload: Option<u16>,
    rd: bool,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + qname.wire_len() + 4 + 11);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[u8::from(rd), 0]); // QR=0, opcode QUERY, RD as asked
    out.extend_from_slice(&1u16.to_be_bytes()); // QDCOUNT
    out.extend_from_slice(&[0, 0, 0, 0]); // ANCOUNT, NSCOUNT
    out.extend_from_slice(&u16::from(edns_payload.is_some()).to_be_bytes()); // ARCOUNT
    out.extend_from_slice(qname.as_wire());
    out.extend_from_slice(&qtype.0.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    if let Some(payload) = edns_payload {
        out.push(0); // root owner
        out.extend_from_slice(&RType::OPT.0.to_be_bytes());
        out.extend_from_slice(&payload.to_be_bytes()); // CLASS = UDP payload size
        out.extend_from_slice(&[0, 0, 0, 0]); // extended RCODE, version 0, flags
        out.extend_from_slice(&[0, 0]); // RDLENGTH
    }
    out
}

/// Decodes a response to the query `id` for `qname`/`qtype`, checking that it is one.
pub fn parse_response(msg: &[u8], id: u16, qname: &Name, qtype: RType) -> Result<Response, String> {
    if msg.len() < 12 {
        return Err(format!("{} bytes, shorter than a DNS header", msg.len()));
    }
    let word = |at: usize| u16::from_be_bytes([msg[at], msg[at + 1]]);
    if word(0) != id {
        return Err(format!("answer ID {} for query ID {id}", word(0)));
    }
    let flags = word(2);
    if flags & 0x8000 == 0 {
        return Err("QR bit clear: a query, not a response".into());
    }
    let (qd, an, ns) = (word(4), word(6), word(8));
    if qd != 1 {
        return Err(format!(
            "{qd} questions in the answer, expected the one asked"
        ));
    }
    let (name, mut pos) = read_compressed(msg, 12)?;
    let fixed = msg.get(pos..pos + 4).ok_or("the question ends early")?;
    let (rtype, class) = (
        u16::from_be_bytes([fixed[0], fixed[1]]),
        u16::from_be_bytes([fixed[2], fixed[3]]),
    );
    pos += 4;
    let mut asked = qname.as_wire().to_vec();
    lowercase_wire(&mut asked);
    let mut got = name.as_wire().to_vec();
    lowercase_wire(&mut got);
    if got != asked || rtype != qtype.0 || class != CLASS_IN {
        return Err(format!(
            "the answer's question is {name} {} class {class}, not the one asked ({qname} {qtype})",
            RType(rtype)
        ));
    }
    let mut answer = Vec::with_capacity(usize::from(an));
    for _ in 0..an {
        let (rec, next) = read_record(msg, pos)?;
        answer.push(rec);
        pos = next;
    }
    let mut authority = Vec::with_capacity(usize::from(ns));
    for _ in 0..ns {
        let (rec, next) = read_record(msg, pos)?;
        authority.push(rec);
        pos = next;
    }
    Ok(Response {
        rcode: (flags & 0x000F) as u8,
        authoritative: flags & 0x0400 != 0,
        truncated: flags & 0x0200 != 0,
        answer,
        authority,
    })
}

/// One resource record at `pos`; returns it and the position after it.
fn read_record(msg: &[u8], pos: usize) -> Result<(Record, usize), String> {
    let (owner, pos) = read_compressed(msg, pos)?;
    let fixed = msg.get(pos..pos + 10).ok_or("a record ends early")?;
    let rtype = RType(u16::from_be_bytes([fixed[0], fixed[1]]));
    let class = u16::from_be_bytes([fixed[2], fixed[3]]);
    let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
    let rdlen = usize::from(u16::from_be_bytes([fixed[8], fixed[9]]));
    let start = pos + 10;
    let end = start + rdlen;
    if end > msg.len() {
        return Err(format!("the RDATA of a {owner} {rtype} record ends early"));
    }
    let rdata =
        decompress_rdata(msg, rtype, start, end).map_err(|e| format!("{owner} {rtype}: {e}"))?;
    Ok((
        Record {
            owner,
            rtype,
            class,
            ttl,
            rdata,
        },
        end,
    ))
}

/// The layout of the RDATA types whose names may be compressed (RFC 3597 §4): fixed-size
/// fields (their byte count) and names, in order; the rest of the RDATA follows as it is.
#[derive(Clone, Copy)]
enum Field {
    Name,
    Bytes(usize),
}

fn compressible_layout(rtype: RType) -> Option<&'static [Field]> {
    match rtype {
        RType::NS
        | RType::MD
        | RType::MF
        | RType::CNAME
        | RType::MB
        | RType::MG
        | RType::MR
        | RType::PTR => Some(&[Field::Name]),
        RType::SOA | RType::MINFO => Some(&[Field::Name, Field::Name]),
        RType::MX => Some(&[Field::Bytes(2), Field::Name]),
        _ => None,
    }
}

/// The RDATA at `msg[start..end]` with its names decompressed.
fn decompress_rdata(msg: &[u8], rtype: RType, start: usize, end: usize) -> Result<Vec<u8>, String> {
    let Some(layout) = compressible_layout(rtype) else {
        return Ok(msg[start..end].to_vec());
    };
    let mut out = Vec::with_capacity(end - start + 32);
    let mut pos = start;
    for field in layout {
        match *field {
            Field::Bytes(n) => {
                if pos + n > end {
                    return Err("RDATA too short".into());
                }
                out.extend_from_slice(&msg[pos..pos + n]);
                pos += n;
            }
            Field::Name => {
                // A name must lie inside its RDATA (its pointers may point anywhere earlier).
                let (name, next) = read_compressed(&msg[..end], pos)?;
                out.extend_from_slice(name.as_wire());
                pos = next;
            }
        }
    }
    out.extend_from_slice(&msg[pos..end]);
    Ok(out)
}

/// `rdata` (uncompressed) with the names of the compressible types lower-cased, for comparing
/// RDATA the way DNS compares names: a server may compress a name into a pointer to the same
/// name spelt in another case.
pub fn rdata_names_lowercased(rtype: RType, rdata: &[u8]) -> Vec<u8> {
    let mut out = rdata.to_vec();
    let Some(layout) = compressible_layout(rtype) else {
        return out;
    };
    let mut pos = 0;
    for field in layout {
        match *field {
            Field::Bytes(n) => pos += n,
            Field::Name => {
                let Some(len) = out.get(pos..).and_then(crate::zone::name::wire_name_len) else {
                    return out;
                };
                lowercase_wire(&mut out[pos..pos + len]);
                pos += len;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Name {
        Name::parse(s, None).unwrap()
    }

    /// A response by hand: question `www.example.` A, an MX answer whose exchange is compressed
    /// to a pointer into the question, and an SOA in authority with both names compressed.
    #[test]
    fn decodes_compressed_rdata_names() {
        let id = 0x1234;
        let q = build_query(id, &name("www.Example."), RType::MX, None, false);
        let mut msg = q.clone();
        msg[2] = 0x84; // QR, AA
        msg[3] = 0x00;
        msg[7] = 1; // ANCOUNT
        msg[9] = 1; // NSCOUNT
                    // Answer: owner = pointer to the question name (offset 12).
        msg.extend_from_slice(&[0xC0, 12]);
        msg.extend_from_slice(&RType::MX.0.to_be_bytes());
        msg.extend_from_slice(&CLASS_IN.to_be_bytes());
        msg.extend_from_slice(&300u32.to_be_bytes());
        // RDATA: preference 10, then "mail" + pointer to "Example." (offset 16).
        let rdata = [&[0u8, 10][..], &[4, b'm', b'a', b'i', b'l', 0xC0, 16][..]].concat();
        msg.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        msg.extend_from_slice(&rdata);
        // Authority: SOA at example. (pointer 16), mname ns + ptr, rname pointer, 20 bytes.
        msg.extend_from_slice(&[0xC0, 16]);
        msg.extend_from_slice(&RType::SOA.0.to_be_bytes());
        msg.extend_from_slice(&CLASS_IN.to_be_bytes());
        msg.extend_from_slice(&60u32.to_be_bytes());
        let soa = [
            &[2u8, b'n', b's', 0xC0, 16][..],
            &[0xC0, 16][..],
            &[0u8; 20][..],
        ]
        .concat();
        msg.extend_from_slice(&(soa.len() as u16).to_be_bytes());
        msg.extend_from_slice(&soa);

        let resp = parse_response(&msg, id, &name("www.example."), RType::MX).unwrap();
        assert!(resp.authoritative && !resp.truncated);
        assert_eq!(resp.rcode, RCODE_NOERROR);
        assert_eq!(resp.answer.len(), 1);
        let mx = &resp.answer[0];
        assert_eq!(mx.owner.to_string(), "www.Example.");
        assert_eq!(mx.ttl, 300);
        let mut want = vec![0u8, 10];
        want.extend_from_slice(name("mail.Example.").as_wire());
        assert_eq!(mx.rdata, want);
        let mut want_lc = vec![0u8, 10];
        want_lc.extend_from_slice(name("mail.example.").as_wire());
        assert_eq!(rdata_names_lowercased(RType::MX, &mx.rdata), want_lc);

        let soa = &resp.authority[0];
        let mut want = name("ns.Example.").as_wire().to_vec();
        want.extend_from_slice(name("Example.").as_wire());
        want.extend_from_slice(&[0u8; 20]);
        assert_eq!(soa.rdata, want);
    }

    #[test]
    fn recursion_is_desired_only_when_asked() {
        // Header flags: byte 2 holds QR, opcode, AA, TC and RD (its lowest bit).
        let plain = build_query(1, &name("a.example."), RType::TXT, Some(1232), false);
        let recursive = build_query(1, &name("a.example."), RType::TXT, Some(1232), true);
        assert_eq!(plain[2], 0x00);
        assert_eq!(recursive[2], 0x01);
        assert_eq!(plain[3..], recursive[3..]);
    }

    #[test]
    fn refuses_what_is_not_the_answer_asked_for() {
        let q = build_query(7, &name("a.example."), RType::A, Some(1232), false);
        // Its own query is not a response.
        assert!(parse_response(&q, 7, &name("a.example."), RType::A)
            .unwrap_err()
            .contains("QR"));
        let mut r = q.clone();
        r[2] |= 0x80;
        assert!(parse_response(&r, 8, &name("a.example."), RType::A)
            .unwrap_err()
            .contains("ID"));
        assert!(parse_response(&r, 7, &name("b.example."), RType::A)
            .unwrap_err()
            .contains("question"));
        assert!(parse_response(&r, 7, &name("A.EXAMPLE."), RType::A).is_ok());
        // A forward pointer (a loop in waiting) is refused.
        let mut looped = r[..12].to_vec();
        looped.extend_from_slice(&[0xC0, 12]);
        assert!(parse_response(&looped, 7, &name("a.example."), RType::A).is_err());
    }
}
