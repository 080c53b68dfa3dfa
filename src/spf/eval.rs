//! `check_host()` (RFC 7208 §4–§6): the SPF result for a client address, a sender and a HELO
//! name, with the processing limits of §4.6.4 (10 DNS-querying terms, 2 void lookups, 10 MX
//! and PTR names) and `exp=` explanations (§6.2).
//!
//! DNS is asked through the [`Resolver`] trait, so this file does no I/O: tests give it a map,
//! `zonectl` its own zones ([`super::resolve::ZoneResolver`]) or a DNS server
//! ([`super::dns::DnsResolver`]).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::macros::{MacroFacts, MacroPlace, MacroString};
use super::record::{DomainSpec, Mechanism, Qualifier, SpfRecord, TermKind};
use crate::zone::{Name, RType};

/// Most DNS-querying terms (`include a mx ptr exists redirect`) one check may evaluate.
pub const MAX_DNS_TERMS: u32 = 10;
/// Most lookups that may return no records (NXDOMAIN or an empty answer).
pub const MAX_VOID_LOOKUPS: u32 = 2;
/// Most MX names an `mx` mechanism may have (more is a permerror).
pub const MAX_MX_NAMES: usize = 10;
/// Most PTR names a `ptr` mechanism or `%{p}` looks at (the rest are ignored).
pub const MAX_PTR_NAMES: usize = 10;
/// Longest domain name a macro expansion may produce; longer ones lose labels on the left.
const MAX_EXPANDED_NAME: usize = 253;

/// What a DNS question returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    /// The RDATA (uncompressed wire form) of every record of the type asked for.
    Records(Vec<Vec<u8>>),
    /// The name does not exist (RCODE 3).
    NxDomain,
    /// The name exists, with no record of this type.
    NoData,
    /// No usable answer: a timeout, SERVFAIL, or a name no source knows. The reason is shown.
    Unavailable(String),
}

/// Answers the DNS questions SPF asks (TXT, A, AAAA, MX, PTR; class IN).
pub trait Resolver {
    fn query(&self, name: &Name, rtype: RType) -> DnsAnswer;
}

/// The SPF results (§2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpfResult {
    None,
    Neutral,
    Pass,
    Fail,
    SoftFail,
    TempError,
    PermError,
}

impl SpfResult {
    /// The result's name as RFC 7208 writes it in lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            SpfResult::None => "none",
            SpfResult::Neutral => "neutral",
            SpfResult::Pass => "pass",
            SpfResult::Fail => "fail",
            SpfResult::SoftFail => "softfail",
            SpfResult::TempError => "temperror",
            SpfResult::PermError => "permerror",
        }
    }
}

impl std::fmt::Display for SpfResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Qualifier> for SpfResult {
    fn from(q: Qualifier) -> SpfResult {
        match q {
            Qualifier::Pass => SpfResult::Pass,
            Qualifier::Fail => SpfResult::Fail,
            Qualifier::SoftFail => SpfResult::SoftFail,
            Qualifier::Neutral => SpfResult::Neutral,
        }
    }
}

/// The facts of one SMTP transaction that SPF checks.
#[derive(Debug, Clone)]
pub struct CheckHostInput {
    /// The client's address.
    pub ip: IpAddr,
    /// The HELO/EHLO name.
    pub helo: String,
    /// The MAIL FROM address (`local@domain`), empty for a bounce (then `postmaster@HELO`
    /// is checked, §2.4).
    pub mail_from: String,
    /// The receiving host's name, for `%{r}` (default `unknown`).
    pub receiver: Option<String>,
    /// Seconds since 1970, for `%{t}`.
    pub now: u64,
}

/// The outcome of [`check_host`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpfOutcome {
    pub result: SpfResult,
    /// The domain checked (the MAIL FROM domain, or the HELO name for a bounce): the one
    /// DMARC aligns with.
    pub domain: String,
    /// The `exp=` explanation, for a fail whose record has one that could be used.
    pub explanation: Option<String>,
    /// Why: the term that matched, or the error.
    pub reason: String,
    /// DNS-querying terms evaluated.
    pub dns_terms: u32,
    /// Lookups that returned nothing.
    pub void_lookups: u32,
}

/// RFC 7208 `check_host()` for a transaction: the sender's domain (or the HELO name for an
/// empty MAIL FROM) is checked for `input.ip`.
pub fn check_host(resolver: &dyn Resolver, input: &CheckHostInput) -> SpfOutcome {
    let (local, domain) = match input.mail_from.rsplit_once('@') {
        _ if input.mail_from.is_empty() => ("postmaster".to_string(), input.helo.clone()),
        Some((l, d)) => (
            if l.is_empty() { "postmaster" } else { l }.to_string(),
            d.to_string(),
        ),
        None => ("postmaster".to_string(), input.mail_from.clone()),
    };
    let domain = domain.strip_suffix('.').unwrap_or(&domain).to_string();
    let ip = match input.ip {
        // An IPv4-mapped IPv6 client is an IPv4 client (§5, 5.6).
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    let mut eval = Eval {
        resolver,
        facts: MacroFacts {
            local,
            sender_domain: domain.clone(),
            domain: domain.clone(),
            ip,
            helo: input.helo.clone(),
            receiver: input.receiver.clone().unwrap_or_else(|| "unknown".into()),
            now: input.now,
        },
        dns_terms: 0,
        void_lookups: 0,
    };
    // §4.3: a malformed or single-label domain gives "none" without any lookup.
    let outcome = match initial_name(&domain) {
        Some(name) => eval.check(&name, &domain),
        None => Outcome::new(
            SpfResult::None,
            format!("'{domain}' is not a valid multi-label domain name"),
        ),
    };
    SpfOutcome {
        result: outcome.result,
        domain,
        explanation: outcome.explanation,
        reason: outcome.reason,
        dns_terms: eval.dns_terms,
        void_lookups: eval.void_lookups,
    }
}

/// The domain of §4.3 as a DNS name: not a domain literal, at least two labels, none empty or
/// longer than 63 bytes.
fn initial_name(domain: &str) -> Option<Name> {
    if domain.starts_with('[') || !domain.contains('.') {
        return None;
    }
    name_from_text(domain)
}

/// A name from dotted text taken byte for byte (no escapes: SPF domains may hold any visible
/// character), or `None` if it cannot be a DNS name.
pub fn name_from_text(text: &str) -> Option<Name> {
    let text = text.strip_suffix('.').unwrap_or(text);
    if text.is_empty() {
        return None;
    }
    let mut wire = Vec::with_capacity(text.len() + 2);
    for label in text.split('.') {
        if label.is_empty() || label.len() > 63 {
            return None;
        }
        wire.push(label.len() as u8);
        wire.extend_from_slice(label.as_bytes());
    }
    wire.push(0);
    Name::from_wire(&wire).ok()
}

/// The text of a name as SPF macros see it: labels joined by dots, no trailing dot.
pub fn name_text(name: &Name) -> String {
    name.labels()
        .map(|l| String::from_utf8_lossy(l).into_owned())
        .collect::<Vec<_>>()
        .join(".")
}

/// The result of one record's evaluation.
#[derive(Debug, Clone)]
struct Outcome {
    result: SpfResult,
    explanation: Option<String>,
    reason: String,
}

impl Outcome {
    fn new(result: SpfResult, reason: String) -> Outcome {
        Outcome {
            result,
            explanation: None,
            reason,
        }
    }
}

/// Ends the whole evaluation (§4.6.4, §5.2: errors propagate through includes).
enum Abort {
    Temp(String),
    Perm(String),
}

impl From<Abort> for Outcome {
    fn from(a: Abort) -> Outcome {
        match a {
            Abort::Temp(r) => Outcome::new(SpfResult::TempError, r),
            Abort::Perm(r) => Outcome::new(SpfResult::PermError, r),
        }
    }
}

struct Eval<'r> {
    resolver: &'r dyn Resolver,
    facts: MacroFacts,
    dns_terms: u32,
    void_lookups: u32,
}

/// What [`Eval::fetch_record`] found at a domain.
pub enum RecordLookup {
    Found(Vec<u8>),
    None(String),
    Multiple(usize),
    Unavailable(String),
}

/// Looks up the SPF record at `name` (§4.4, §4.5): the TXT records starting with `v=spf1`,
/// each one's strings joined without separators.
pub fn fetch_record(resolver: &dyn Resolver, name: &Name) -> RecordLookup {
    match resolver.query(name, RType::TXT) {
        DnsAnswer::Records(rdatas) => {
            let mut spf: Vec<Vec<u8>> = rdatas
                .iter()
                .filter_map(|rd| txt_value(rd))
                .filter(|v| super::record::is_spf(v))
                .collect();
            match spf.len() {
                0 => RecordLookup::None(format!("{} has no v=spf1 TXT record", name_text(name))),
                1 => RecordLookup::Found(spf.remove(0)),
                n => RecordLookup::Multiple(n),
            }
        }
        DnsAnswer::NxDomain => {
            RecordLookup::None(format!("{} does not exist (NXDOMAIN)", name_text(name)))
        }
        DnsAnswer::NoData => RecordLookup::None(format!("{} has no TXT record", name_text(name))),
        DnsAnswer::Unavailable(why) => {
            RecordLookup::Unavailable(format!("TXT {}: {why}", name_text(name)))
        }
    }
}

/// A TXT record's strings joined (§3.3), or `None` for malformed RDATA.
pub fn txt_value(rdata: &[u8]) -> Option<Vec<u8>> {
    crate::zone::rdata::txt_strings(rdata).map(|s| s.concat())
}

impl Eval<'_> {
    /// Evaluates the record at `name` (`domain` is its text, for `%{d}`).
    fn check(&mut self, name: &Name, domain: &str) -> Outcome {
        let record = match fetch_record(self.resolver, name) {
            RecordLookup::Found(r) => r,
            RecordLookup::None(why) => return Outcome::new(SpfResult::None, why),
            RecordLookup::Multiple(n) => {
                return Outcome::new(
                    SpfResult::PermError,
                    format!("{domain} has {n} v=spf1 records; there must be exactly one"),
                )
            }
            RecordLookup::Unavailable(why) => return Outcome::new(SpfResult::TempError, why),
        };
        let record = match SpfRecord::parse(&record) {
            Ok(r) => r,
            Err(e) => {
                return Outcome::new(SpfResult::PermError, format!("{domain}: {e}"));
            }
        };
        let saved = std::mem::replace(&mut self.facts.domain, domain.to_string());
        let outcome = self
            .evaluate(&record, name, domain)
            .unwrap_or_else(Outcome::from);
        self.facts.domain = saved;
        outcome
    }

    fn evaluate(
        &mut self,
        record: &SpfRecord,
        name: &Name,
        domain: &str,
    ) -> Result<Outcome, Abort> {
        for term in &record.terms {
            let TermKind::Directive {
                qualifier,
                mechanism,
            } = &term.kind
            else {
                continue;
            };
            if mechanism.queries_dns() {
                self.count_dns_term()?;
            }
            if self.matches(mechanism, name)? {
                let result = SpfResult::from(*qualifier);
                let mut outcome =
                    Outcome::new(result, format!("{domain}: '{}' matched", term.text));
                if result == SpfResult::Fail {
                    outcome.explanation = record.exp().and_then(|exp| self.explanation(exp));
                }
                return Ok(outcome);
            }
        }
        if let (Some(target), false) = (record.redirect(), record.has_all()) {
            self.count_dns_term()?;
            let text = self.expand_domain(target);
            let Some(target_name) = text.as_deref().and_then(name_from_text) else {
                return Err(Abort::Perm(format!(
                    "{domain}: redirect={} is not a valid domain name",
                    text.unwrap_or_default()
                )));
            };
            let target_text = name_text(&target_name);
            let outcome = self.check(&target_name, &target_text);
            if outcome.result == SpfResult::None {
                return Err(Abort::Perm(format!(
                    "{domain}: redirect={target_text} has no SPF record ({})",
                    outcome.reason
                )));
            }
            return Ok(outcome);
        }
        Ok(Outcome::new(
            SpfResult::Neutral,
            format!("{domain}: no term matched"),
        ))
    }

    fn count_dns_term(&mut self) -> Result<(), Abort> {
        self.dns_terms += 1;
        if self.dns_terms > MAX_DNS_TERMS {
            return Err(Abort::Perm(format!(
                "more than {MAX_DNS_TERMS} DNS-querying terms (include a mx ptr exists redirect)"
            )));
        }
        Ok(())
    }

    fn count_void(&mut self) -> Result<(), Abort> {
        self.void_lookups += 1;
        if self.void_lookups > MAX_VOID_LOOKUPS {
            return Err(Abort::Perm(format!(
                "more than {MAX_VOID_LOOKUPS} void lookups (names with no records)"
            )));
        }
        Ok(())
    }

    /// A DNS query for a mechanism: records, or nothing (a void lookup, counted), or temperror.
    fn lookup(&mut self, name: &Name, rtype: RType) -> Result<Vec<Vec<u8>>, Abort> {
        match self.resolver.query(name, rtype) {
            DnsAnswer::Records(r) if !r.is_empty() => Ok(r),
            DnsAnswer::Records(_) | DnsAnswer::NoData | DnsAnswer::NxDomain => {
                self.count_void()?;
                Ok(Vec::new())
            }
            DnsAnswer::Unavailable(why) => {
                Err(Abort::Temp(format!("{rtype} {}: {why}", name_text(name))))
            }
        }
    }

    /// Expands a domain-spec (§7): trailing dot dropped, cut to 253 characters from the left.
    fn expand_domain(&mut self, spec: &DomainSpec) -> Option<String> {
        let resolver = self.resolver;
        let facts = self.facts.clone();
        let mut validated = || validated_name(resolver, &facts);
        let text = spec.0.expand(&self.facts, &mut validated);
        let mut text = text.strip_suffix('.').unwrap_or(&text).to_string();
        while text.len() > MAX_EXPANDED_NAME {
            let (_, rest) = text.split_once('.')?;
            text = rest.to_string();
        }
        Some(text)
    }

    /// The target of a mechanism: its domain-spec expanded, else the current domain. `None`:
    /// not a name DNS could hold (empty or over-long labels), which matches nothing.
    fn target(&mut self, spec: &Option<DomainSpec>, current: &Name) -> Option<Name> {
        match spec {
            None => Some(current.clone()),
            Some(spec) => self.expand_domain(spec).as_deref().and_then(name_from_text),
        }
    }

    fn matches(&mut self, mechanism: &Mechanism, current: &Name) -> Result<bool, Abort> {
        let ip = self.facts.ip;
        match mechanism {
            Mechanism::All => Ok(true),
            Mechanism::Ip4 { network, cidr } => Ok(match ip {
                IpAddr::V4(v4) => in_v4(v4, *network, cidr.unwrap_or(32)),
                IpAddr::V6(_) => false,
            }),
            Mechanism::Ip6 { network, cidr } => Ok(match ip {
                IpAddr::V6(v6) => in_v6(v6, *network, cidr.unwrap_or(128)),
                IpAddr::V4(_) => false,
            }),
            Mechanism::A {
                domain,
                cidr4,
                cidr6,
            } => {
                let Some(target) = self.target(domain, current) else {
                    self.count_void()?;
                    return Ok(false);
                };
                let addrs = self.lookup(&target, addr_type(ip))?;
                Ok(addrs.iter().any(|rd| addr_matches(ip, rd, *cidr4, *cidr6)))
            }
            Mechanism::Mx {
                domain,
                cidr4,
                cidr6,
            } => {
                let Some(target) = self.target(domain, current) else {
                    self.count_void()?;
                    return Ok(false);
                };
                let mxs = self.lookup(&target, RType::MX)?;
                if mxs.len() > MAX_MX_NAMES {
                    return Err(Abort::Perm(format!(
                        "mx: {} has {} MX records, more than the limit of {MAX_MX_NAMES}",
                        name_text(&target),
                        mxs.len()
                    )));
                }
                for rd in &mxs {
                    let Some(host) = crate::zone::rdata::mx_exchange(rd) else {
                        continue;
                    };
                    // A null MX (RFC 7505) names no host.
                    if host.is_root() {
                        continue;
                    }
                    match self.resolver.query(&host, addr_type(ip)) {
                        DnsAnswer::Records(addrs) => {
                            if addrs.iter().any(|a| addr_matches(ip, a, *cidr4, *cidr6)) {
                                return Ok(true);
                            }
                        }
                        DnsAnswer::NxDomain | DnsAnswer::NoData => {}
                        DnsAnswer::Unavailable(why) => {
                            return Err(Abort::Temp(format!(
                                "{} {}: {why}",
                                addr_type(ip),
                                name_text(&host)
                            )))
                        }
                    }
                }
                Ok(false)
            }
            Mechanism::Ptr { domain } => {
                let Some(target) = self.target(domain, current) else {
                    return Ok(false);
                };
                let names = match self.resolver.query(&reverse_name(ip), RType::PTR) {
                    DnsAnswer::Records(r) if !r.is_empty() => r,
                    // §5.5: a DNS error in the PTR lookup means no match.
                    DnsAnswer::Unavailable(_) => return Ok(false),
                    _ => {
                        self.count_void()?;
                        return Ok(false);
                    }
                };
                Ok(validated_names(self.resolver, ip, &names)
                    .iter()
                    .any(|n| n.is_subdomain_of(&target)))
            }
            Mechanism::Exists { domain } => {
                let Some(target) = self.target(&Some(domain.clone()), current) else {
                    self.count_void()?;
                    return Ok(false);
                };
                Ok(!self.lookup(&target, RType::A)?.is_empty())
            }
            Mechanism::Include { domain } => {
                let expanded = self.expand_domain(domain);
                let Some(target) = expanded.as_deref().and_then(name_from_text) else {
                    return Err(Abort::Perm(format!(
                        "include:{} is not a valid domain name",
                        expanded.unwrap_or_default()
                    )));
                };
                let text = name_text(&target);
                let inner = self.check(&target, &text);
                match inner.result {
                    SpfResult::Pass => Ok(true),
                    SpfResult::Fail | SpfResult::SoftFail | SpfResult::Neutral => Ok(false),
                    SpfResult::TempError => Err(Abort::Temp(inner.reason)),
                    SpfResult::PermError => Err(Abort::Perm(inner.reason)),
                    SpfResult::None => Err(Abort::Perm(format!(
                        "include:{text} has no SPF record ({})",
                        inner.reason
                    ))),
                }
            }
        }
    }

    /// The `exp=` explanation (§6.2); any problem means no explanation, never an error.
    fn explanation(&mut self, spec: &DomainSpec) -> Option<String> {
        let name = self
            .expand_domain(spec)
            .as_deref()
            .and_then(name_from_text)?;
        let DnsAnswer::Records(rdatas) = self.resolver.query(&name, RType::TXT) else {
            return None;
        };
        let [rdata] = rdatas.as_slice() else {
            return None;
        };
        let value = txt_value(rdata)?;
        if !value.is_ascii() {
            return None;
        }
        let text = String::from_utf8(value).ok()?;
        let ms = MacroString::parse(&text, MacroPlace::Explanation).ok()?;
        let resolver = self.resolver;
        let facts = self.facts.clone();
        Some(ms.expand(&self.facts, &mut || validated_name(resolver, &facts)))
    }
}

/// The record type holding the client's address family.
fn addr_type(ip: IpAddr) -> RType {
    match ip {
        IpAddr::V4(_) => RType::A,
        IpAddr::V6(_) => RType::AAAA,
    }
}

/// Is the A/AAAA RDATA `rd` within the mechanism's prefix of the client's address?
fn addr_matches(ip: IpAddr, rd: &[u8], cidr4: Option<u8>, cidr6: Option<u8>) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            <[u8; 4]>::try_from(rd).is_ok_and(|o| in_v4(v4, Ipv4Addr::from(o), cidr4.unwrap_or(32)))
        }
        IpAddr::V6(v6) => <[u8; 16]>::try_from(rd)
            .is_ok_and(|o| in_v6(v6, Ipv6Addr::from(o), cidr6.unwrap_or(128))),
    }
}

fn in_v4(ip: Ipv4Addr, net: Ipv4Addr, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len.min(32)))
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

fn in_v6(ip: Ipv6Addr, net: Ipv6Addr, len: u8) -> bool {
    let mask = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    u128::from(ip) & mask == u128::from(net) & mask
}

/// `in-addr.arpa` / `ip6.arpa` name of an address.
pub fn reverse_name(ip: IpAddr) -> Name {
    let text = match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut s = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                s.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            s.push_str("ip6.arpa");
            s
        }
    };
    name_from_text(&text).expect("a reverse name is a valid name")
}

/// The PTR names (at most 10) whose A/AAAA records include `ip` (§5.5); lookup errors skip a
/// name.
fn validated_names(resolver: &dyn Resolver, ip: IpAddr, ptr_rdatas: &[Vec<u8>]) -> Vec<Name> {
    ptr_rdatas
        .iter()
        .take(MAX_PTR_NAMES)
        .filter_map(|rd| Name::from_wire(rd).ok())
        .filter(|n| match resolver.query(n, addr_type(ip)) {
            DnsAnswer::Records(addrs) => addrs.iter().any(|a| addr_matches(ip, a, None, None)),
            _ => false,
        })
        .collect()
}

/// `%{p}` (§7.3): a validated name of the client, preferring the current domain itself, then a
/// subdomain of it, then any; `unknown` if none.
fn validated_name(resolver: &dyn Resolver, facts: &MacroFacts) -> String {
    let DnsAnswer::Records(ptrs) = resolver.query(&reverse_name(facts.ip), RType::PTR) else {
        return "unknown".into();
    };
    let names = validated_names(resolver, facts.ip, &ptrs);
    let domain = name_from_text(&facts.domain);
    let pick = domain
        .as_ref()
        .and_then(|d| {
            names
                .iter()
                .find(|n| n.eq_ignore_case(d))
                .or_else(|| names.iter().find(|n| n.is_subdomain_of(d)))
        })
        .or(names.first());
    pick.map_or_else(|| "unknown".into(), name_text)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A resolver over a map: `(name lower-cased, type) → answer`; other names NXDOMAIN.
    #[derive(Default)]
    pub struct MapResolver(pub HashMap<(String, RType), DnsAnswer>);

    impl MapResolver {
        pub fn txt(mut self, name: &str, values: &[&str]) -> Self {
            let rds = values
                .iter()
                .map(|v| crate::zone::rdata::txt_from_value(v.as_bytes()))
                .collect();
            self.0.insert(
                (name.to_ascii_lowercase(), RType::TXT),
                DnsAnswer::Records(rds),
            );
            self
        }
        pub fn a(mut self, name: &str, addrs: &[&str]) -> Self {
            let rds = addrs
                .iter()
                .map(|a| a.parse::<Ipv4Addr>().unwrap().octets().to_vec())
                .collect();
            self.0.insert(
                (name.to_ascii_lowercase(), RType::A),
                DnsAnswer::Records(rds),
            );
            self
        }
        pub fn mx(mut self, name: &str, hosts: &[&str]) -> Self {
            let rds = hosts
                .iter()
                .map(|h| {
                    let mut v = vec![0, 10];
                    v.extend_from_slice(name_from_text(h).unwrap().as_wire());
                    v
                })
                .collect();
            self.0.insert(
                (name.to_ascii_lowercase(), RType::MX),
                DnsAnswer::Records(rds),
            );
            self
        }
        pub fn answer(mut self, name: &str, rtype: RType, a: DnsAnswer) -> Self {
            self.0.insert((name.to_ascii_lowercase(), rtype), a);
            self
        }
    }

    impl Resolver for MapResolver {
        fn query(&self, name: &Name, rtype: RType) -> DnsAnswer {
            let key = (name_text(name).to_ascii_lowercase(), rtype);
            if let Some(a) = self.0.get(&key) {
                return a.clone();
            }
            if self.0.keys().any(|(n, _)| *n == key.0) {
                DnsAnswer::NoData
            } else {
                DnsAnswer::NxDomain
            }
        }
    }

    fn run(r: &MapResolver, ip: &str, from: &str) -> SpfOutcome {
        check_host(
            r,
            &CheckHostInput {
                ip: ip.parse().unwrap(),
                helo: "mail.example.org".into(),
                mail_from: from.into(),
                receiver: None,
                now: 0,
            },
        )
    }

    #[test]
    fn basic_results() {
        let r = MapResolver::default()
            .txt(
                "example.com",
                &[
                    "v=spf1 ip4:192.0.2.0/24 a:mail.example.com mx -all",
                    "other",
                ],
            )
            .a("mail.example.com", &["198.51.100.7"])
            .mx("example.com", &["mx1.example.com"])
            .a("mx1.example.com", &["203.0.113.9"]);
        assert_eq!(
            run(&r, "192.0.2.77", "a@example.com").result,
            SpfResult::Pass
        );
        assert_eq!(
            run(&r, "198.51.100.7", "a@example.com").result,
            SpfResult::Pass
        );
        let mx = run(&r, "203.0.113.9", "a@example.com");
        assert_eq!((mx.result, mx.dns_terms), (SpfResult::Pass, 2));
        let fail = run(&r, "10.0.0.1", "a@Example.COM.");
        assert_eq!(fail.result, SpfResult::Fail);
        assert_eq!(fail.domain, "Example.COM");
        assert_eq!(
            run(&r, "::ffff:192.0.2.1", "a@example.com").result,
            SpfResult::Pass
        );
        assert_eq!(
            run(&r, "10.0.0.1", "a@nowhere.example").result,
            SpfResult::None
        );
        assert_eq!(run(&r, "10.0.0.1", "a@localhost").result, SpfResult::None);
    }

    #[test]
    fn includes_redirects_and_errors() {
        let r = MapResolver::default()
            .txt("a.example", &["v=spf1 include:b.example ~all"])
            .txt("b.example", &["v=spf1 ip4:192.0.2.1 -all"])
            .txt("c.example", &["v=spf1 include:none.example -all"])
            .txt("d.example", &["v=spf1 redirect=b.example"])
            .txt("e.example", &["v=spf1 include:t.example -all"])
            .answer(
                "t.example",
                RType::TXT,
                DnsAnswer::Unavailable("timeout".into()),
            )
            .txt("f.example", &["v=spf1 -all", "v=spf1 +all"])
            .txt("g.example", &["v=spf1 redirect=g.example"]);
        assert_eq!(run(&r, "192.0.2.1", "x@a.example").result, SpfResult::Pass);
        assert_eq!(
            run(&r, "192.0.2.2", "x@a.example").result,
            SpfResult::SoftFail
        );
        assert_eq!(
            run(&r, "192.0.2.1", "x@c.example").result,
            SpfResult::PermError
        );
        assert_eq!(run(&r, "192.0.2.2", "x@d.example").result, SpfResult::Fail);
        assert_eq!(
            run(&r, "192.0.2.2", "x@e.example").result,
            SpfResult::TempError
        );
        assert_eq!(
            run(&r, "192.0.2.2", "x@f.example").result,
            SpfResult::PermError
        );
        let looped = run(&r, "192.0.2.2", "x@g.example");
        assert_eq!(looped.result, SpfResult::PermError);
        assert_eq!(looped.dns_terms, MAX_DNS_TERMS + 1);
    }

    #[test]
    fn void_lookup_limit_and_explanation() {
        let r = MapResolver::default()
            .txt(
                "v2.example",
                &["v=spf1 a:n1.example a:n2.example -all exp=why.example"],
            )
            .txt(
                "v3.example",
                &["v=spf1 a:n1.example a:n2.example a:n3.example -all"],
            )
            .txt("why.example", &["%{i} is not one of %{d}'s hosts"]);
        let two = run(&r, "192.0.2.9", "x@v2.example");
        assert_eq!(two.result, SpfResult::Fail);
        assert_eq!(two.void_lookups, 2);
        assert_eq!(
            two.explanation.as_deref(),
            Some("192.0.2.9 is not one of v2.example's hosts")
        );
        assert_eq!(
            run(&r, "192.0.2.9", "x@v3.example").result,
            SpfResult::PermError
        );
    }

    #[test]
    fn cidr_matching() {
        assert!(in_v4(
            "10.1.2.3".parse().unwrap(),
            "10.1.0.0".parse().unwrap(),
            16
        ));
        assert!(!in_v4(
            "10.2.2.3".parse().unwrap(),
            "10.1.0.0".parse().unwrap(),
            16
        ));
        assert!(in_v4(
            "10.2.2.3".parse().unwrap(),
            "1.1.1.1".parse().unwrap(),
            0
        ));
        assert!(in_v6(
            "2001:db8::1".parse().unwrap(),
            "2001:db8::".parse().unwrap(),
            32
        ));
        assert!(!in_v6(
            "2001:db9::1".parse().unwrap(),
            "2001:db8::".parse().unwrap(),
            32
        ));
        assert_eq!(
            name_text(&reverse_name("192.0.2.3".parse().unwrap())),
            "3.2.0.192.in-addr.arpa"
        );
    }
}
