//! SPF's DNS questions asked of a DNS server (`--resolver IP:PORT`, or `zonectl serve` itself in
//! the RFC 7208 suite test). The one part of [`crate::spf`] that does I/O; the evaluator and the
//! record check only see the [`Resolver`] trait.
//!
//! Queries are [`crate::dnsclient::query_recursive`]: the RD bit set (so a recursive resolver
//! recurses; an authoritative server ignores it), sent again when no answer comes, and repeated
//! over TCP when the answer is truncated.

use std::net::SocketAddr;

use super::eval::{DnsAnswer, Resolver};
use crate::dnsclient::{self, Response, RCODE_NOERROR, RCODE_NXDOMAIN};
use crate::zone::{Name, RType};

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
        dnsclient::query_recursive(self.server, name, rtype).map_err(|e| e.to_string())
    }
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
        let port = std::net::UdpSocket::bind("127.0.0.1:0")
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
