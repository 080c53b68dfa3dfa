//! SPF's DNS questions asked of a DNS server (`--resolver IP:PORT`, or `zonectl serve` itself in
//! the RFC 7208 suite test). The one part of [`crate::spf`] that does I/O; the evaluator and the
//! record check only see the [`Resolver`] trait.
//!
//! Queries go over UDP with the RD bit set (so a recursive resolver recurses; an authoritative
//! server ignores it), are sent again when no answer comes, and are repeated over TCP when the
//! answer is truncated. Responses are read by [`crate::dnsclient`].

use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use super::eval::{DnsAnswer, Resolver};
use crate::dnsclient::{self, Response, RCODE_NOERROR, RCODE_NXDOMAIN};
use crate::zone::{Name, RType};

/// How long each UDP attempt waits: about 3.5 s in all before a lookup is a temperror.
const UDP_TRIES: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// Asks one DNS server.
#[derive(Debug, Clone)]
pub struct DnsResolver {
    pub server: SocketAddr,
}

impl DnsResolver {
    pub fn new(server: SocketAddr) -> DnsResolver {
        DnsResolver { server }
    }

    fn exchange(&self, name: &Name, rtype: RType) -> Result<Response, String> {
        let resp = self.udp(name, rtype)?;
        if resp.truncated {
            return dnsclient::query_tcp(self.server, name, rtype).map_err(|e| e.to_string());
        }
        Ok(resp)
    }

    fn udp(&self, name: &Name, rtype: RType) -> Result<Response, String> {
        let local: SocketAddr = if self.server.is_ipv4() {
            "0.0.0.0:0".parse().expect("valid address")
        } else {
            "[::]:0".parse().expect("valid address")
        };
        let io = |e: std::io::Error| format!("UDP query to {}: {e}", self.server);
        let sock = UdpSocket::bind(local).map_err(io)?;
        sock.connect(self.server).map_err(io)?;
        let id = query_id(name, rtype);
        let mut packet = dnsclient::build_query(id, name, rtype, Some(1232));
        packet[2] |= 0x01; // RD: recursion desired
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
                    Ok(n) if n >= 2 && u16::from_be_bytes([buf[0], buf[1]]) == id => {
                        return dnsclient::parse_response(&buf[..n], id, name, rtype)
                            .map_err(|e| format!("malformed answer from {}: {e}", self.server));
                    }
                    // Another ID: a stray or late answer; keep waiting.
                    Ok(_) => {}
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                        ) =>
                    {
                        break
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                        return Err(format!("nothing answers DNS at {}", self.server))
                    }
                    Err(e) => return Err(io(e)),
                }
            }
        }
        Err(format!("no answer from {} (timeout)", self.server))
    }
}

/// A query ID that differs between calls (not secret: the resolver is one the operator names).
fn query_id(name: &Name, rtype: RType) -> u16 {
    use std::hash::{Hash, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (
        name.as_wire(),
        rtype.0,
        COUNTER.fetch_add(1, Ordering::Relaxed),
    )
        .hash(&mut h);
    std::process::id().hash(&mut h);
    std::time::SystemTime::now().hash(&mut h);
    h.finish() as u16
}

impl Resolver for DnsResolver {
    fn query(&self, name: &Name, rtype: RType) -> DnsAnswer {
        match self.exchange(name, rtype) {
            Err(why) => DnsAnswer::Unavailable(why),
            Ok(resp) => answer_of(&resp, rtype),
        }
    }
}

/// A response as SPF sees it: the records of the type asked (after any CNAMEs the server
/// followed), NXDOMAIN, NODATA, or an error RCODE.
fn answer_of(resp: &Response, rtype: RType) -> DnsAnswer {
    match resp.rcode {
        RCODE_NXDOMAIN => DnsAnswer::NxDomain,
        RCODE_NOERROR => {
            let records: Vec<Vec<u8>> = resp
                .answer
                .iter()
                .filter(|r| r.rtype == rtype)
                .map(|r| r.rdata.clone())
                .collect();
            if records.is_empty() {
                DnsAnswer::NoData
            } else {
                DnsAnswer::Records(records)
            }
        }
        rcode => DnsAnswer::Unavailable(format!("the server answered RCODE {rcode}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_listening_is_unavailable() {
        // A loopback port just bound and released: nobody answers there.
        let port = UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .unwrap()
            .port();
        let r = DnsResolver::new(SocketAddr::from(([127, 0, 0, 1], port)));
        let name = Name::parse("example.com.", None).unwrap();
        assert!(matches!(
            r.query(&name, RType::TXT),
            DnsAnswer::Unavailable(_)
        ));
    }
}
