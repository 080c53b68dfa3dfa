//! Answering SPF's DNS questions from zonectl's own zones: a name inside a served zone is
//! answered by the zone's lookup rules (CNAME chains, wildcards, NXDOMAIN vs NODATA), exactly
//! as the server would answer it; any other name goes to a fallback resolver (`--resolver`), or
//! is reported unavailable.
//!
//! Pure: reads immutable [`Zone`]s only.

use super::eval::{DnsAnswer, Resolver};
use crate::zone::lookup::{lookup, LookupOptions, Rcode, Rdatas};
use crate::zone::name::lowercase_wire;
use crate::zone::{Name, RType, Zone, ZoneSet};

/// How many CNAMEs leaving one zone for another are followed before giving up.
const MAX_CROSS_ZONE_CNAMES: usize = 8;

/// Answers from a set of zones, then from `fallback` for names outside them.
pub struct ZoneResolver<'a> {
    zones: &'a ZoneSet,
    fallback: Option<&'a dyn Resolver>,
}

impl<'a> ZoneResolver<'a> {
    /// Names outside `zones` are asked of `fallback`, or are unavailable without one.
    pub fn new(zones: &'a ZoneSet, fallback: Option<&'a dyn Resolver>) -> ZoneResolver<'a> {
        ZoneResolver { zones, fallback }
    }

    fn outside(&self, name: &Name, rtype: RType, why: &str) -> DnsAnswer {
        match self.fallback {
            Some(r) => r.query(name, rtype),
            None => DnsAnswer::Unavailable(format!(
                "{why}; pass --resolver IP:PORT to look it up over DNS"
            )),
        }
    }

    fn query_depth(&self, name: &Name, rtype: RType, depth: usize) -> DnsAnswer {
        let mut wire = name.as_wire().to_vec();
        lowercase_wire(&mut wire);
        let Some(zone) = self.zones.find(&wire) else {
            return self.outside(name, rtype, "not in a zone zonectl serves");
        };
        answer_from_zone(zone, &wire, rtype).unwrap_or_else(|next| match next {
            Next::Delegated => self.outside(name, rtype, "delegated away from zonectl's zone"),
            Next::Cname(target) if depth < MAX_CROSS_ZONE_CNAMES => {
                self.query_depth(&target, rtype, depth + 1)
            }
            Next::Cname(target) => {
                DnsAnswer::Unavailable(format!("CNAME chain too long at {target}"))
            }
        })
    }
}

impl Resolver for ZoneResolver<'_> {
    fn query(&self, name: &Name, rtype: RType) -> DnsAnswer {
        self.query_depth(name, rtype, 0)
    }
}

/// Where to look next when a zone has no final answer.
enum Next {
    /// The name is below a zone cut.
    Delegated,
    /// A CNAME chain leaves the zone for this name.
    Cname(Name),
}

/// The answer of `zone` for `qname` (lower-cased wire form inside the zone).
fn answer_from_zone(zone: &Zone, qname: &[u8], rtype: RType) -> Result<DnsAnswer, Next> {
    let ans = lookup(zone, qname, rtype, LookupOptions::default());
    if ans.rcode == Rcode::NxDomain {
        return Ok(DnsAnswer::NxDomain);
    }
    if ans.rcode == Rcode::YxDomain {
        return Ok(DnsAnswer::Unavailable(
            "DNAME substitution overflow (YXDOMAIN)".into(),
        ));
    }
    if !ans.authoritative && ans.answer.is_empty() {
        return Err(Next::Delegated);
    }
    let mut records = Vec::new();
    let mut last_cname = None;
    for set in &ans.answer {
        let rdatas: Vec<Vec<u8>> = match &set.rdatas {
            Rdatas::Zone(rds) => rds.iter().map(|r| r.to_vec()).collect(),
            Rdatas::Owned(rd) => vec![rd.clone()],
        };
        if set.rtype == rtype {
            records.extend(rdatas);
        } else if set.rtype == RType::CNAME {
            last_cname = rdatas.first().and_then(|rd| Name::from_wire(rd).ok());
        }
    }
    if !records.is_empty() {
        return Ok(DnsAnswer::Records(records));
    }
    match last_cname {
        Some(target) if !target.is_subdomain_of(zone.origin()) => Err(Next::Cname(target)),
        _ => Ok(DnsAnswer::NoData),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spf::eval::name_from_text;
    use crate::zone::Record;
    use std::sync::Arc;

    fn zone(origin: &str, lines: &[(&str, RType, &str)]) -> Arc<Zone> {
        let o = Name::parse(origin, None).unwrap();
        let recs = lines.iter().map(|(n, t, rd)| Record {
            owner: Name::parse(n, Some(&o)).unwrap(),
            ttl: 300,
            rtype: *t,
            rdata: if *t == RType::TXT {
                crate::zone::rdata::txt_from_value(rd.as_bytes()).into()
            } else {
                Name::parse(rd, Some(&o)).unwrap().as_wire().into()
            },
        });
        Arc::new(Zone::from_records(&o, recs))
    }

    #[test]
    fn answers_from_zones_and_falls_back() {
        let mut set = ZoneSet::new();
        set.insert(zone(
            "example.com.",
            &[
                ("@", RType::TXT, "v=spf1 -all"),
                ("alias", RType::CNAME, "@"),
                ("out", RType::CNAME, "spf.example.net."),
                ("sub", RType::NS, "ns.elsewhere.example."),
            ],
        ));
        set.insert(zone(
            "example.net.",
            &[("spf", RType::TXT, "v=spf1 a -all")],
        ));
        let r = ZoneResolver::new(&set, None);
        let n = |s: &str| name_from_text(s).unwrap();
        assert!(
            matches!(r.query(&n("EXAMPLE.com"), RType::TXT), DnsAnswer::Records(v) if v.len() == 1)
        );
        assert!(matches!(
            r.query(&n("alias.example.com"), RType::TXT),
            DnsAnswer::Records(_)
        ));
        assert!(matches!(
            r.query(&n("out.example.com"), RType::TXT),
            DnsAnswer::Records(_)
        ));
        assert_eq!(r.query(&n("example.com"), RType::A), DnsAnswer::NoData);
        assert_eq!(
            r.query(&n("nope.example.com"), RType::A),
            DnsAnswer::NxDomain
        );
        assert!(
            matches!(r.query(&n("x.sub.example.com"), RType::A), DnsAnswer::Unavailable(w) if w.contains("delegated"))
        );
        assert!(
            matches!(r.query(&n("example.org"), RType::TXT), DnsAnswer::Unavailable(w) if w.contains("--resolver"))
        );
        let fallback = ZoneResolver::new(&set, None);
        let chained = ZoneResolver::new(&set, Some(&fallback));
        assert!(matches!(
            chained.query(&n("example.org"), RType::TXT),
            DnsAnswer::Unavailable(_)
        ));
    }
}
