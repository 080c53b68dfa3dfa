//! Lookup rules, one test per behaviour, on a zone that has one of everything.

use std::path::Path;

use super::*;
use crate::zone::parse::parse_zone_str;
use crate::zone::rdata::rdata_to_text;

const ZONE: &str = r#"
$ORIGIN example.
$TTL 3600
@        SOA   ns hostmaster 1 3600 900 1209600 300
@        NS    ns
ns       A     192.0.2.1
www      A     192.0.2.2
         AAAA  2001:db8::2
alias    CNAME www
chain1   CNAME chain2
chain2   CNAME www
loop1    CNAME loop2
loop2    CNAME loop1
out      CNAME www.other.test.
missing  CNAME nowhere
*.wild   TXT   "wild"
*.wildc  CNAME www
a.b.c    A     192.0.2.3
x.wild3  A     192.0.2.5
*.wild3  A     192.0.2.6
sub      NS    ns.sub
ns.sub   A     192.0.2.4
deep.sub A     192.0.2.40
dn       DNAME target.test.
dn2      DNAME inzone.example.
x.inzone A     192.0.2.9
mx       MX    10 mail
mail     A     192.0.2.25
"#;

fn zone() -> Zone {
    let origin = Name::parse("example.", None).unwrap();
    let entries = parse_zone_str(ZONE, Path::new("example.zone"), &origin).unwrap();
    Zone::from_records(&origin, &entries)
}

fn q<'z>(z: &'z Zone, name: &str, t: RType) -> Answer<'z> {
    let n = Name::parse(name, None).unwrap().to_lowercase();
    lookup(z, n.as_wire(), t, LookupOptions::default())
}

/// A section as `owner TYPE rdata` lines (owner `QNAME` for the query name).
fn show(section: &[Rrset<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for set in section {
        let owner = match &set.owner {
            Owner::QName => "QNAME".to_string(),
            Owner::Zone(n) => n.to_string(),
            Owner::Owned(n) => n.to_string(),
        };
        let rdatas: Vec<Vec<u8>> = match &set.rdatas {
            Rdatas::Zone(r) => r.iter().map(|b| b.to_vec()).collect(),
            Rdatas::Owned(v) => vec![v.clone()],
        };
        for rd in rdatas {
            out.push(format!(
                "{owner} {} {} {}",
                set.ttl,
                set.rtype,
                rdata_to_text(set.rtype, &rd)
            ));
        }
    }
    out
}

#[test]
fn exact_match_is_authoritative() {
    let z = zone();
    let a = q(&z, "www.example.", RType::A);
    assert_eq!(a.rcode, Rcode::NoError);
    assert!(a.authoritative);
    assert_eq!(show(&a.answer), ["QNAME 3600 A 192.0.2.2"]);
    assert!(a.authority.is_empty());
}

#[test]
fn names_are_case_insensitive() {
    let z = zone();
    let a = q(&z, "WwW.ExAmPlE.", RType::A);
    assert_eq!(show(&a.answer), ["QNAME 3600 A 192.0.2.2"]);
}

#[test]
fn nodata_carries_soa_with_negative_ttl() {
    let z = zone();
    let a = q(&z, "ns.example.", RType::AAAA);
    assert_eq!(a.rcode, Rcode::NoError);
    assert!(a.answer.is_empty());
    // RFC 2308 §3: TTL = min(SOA TTL 3600, MINIMUM 300).
    assert_eq!(
        show(&a.authority),
        ["example. 300 SOA ns.example. hostmaster.example. 1 3600 900 1209600 300"]
    );
}

#[test]
fn nxdomain_carries_soa() {
    let z = zone();
    let a = q(&z, "nope.example.", RType::A);
    assert_eq!(a.rcode, Rcode::NxDomain);
    assert!(a.authoritative);
    assert_eq!(a.authority.len(), 1);
    assert_eq!(a.authority[0].rtype, RType::SOA);
}

#[test]
fn empty_non_terminal_is_nodata_not_nxdomain() {
    let z = zone();
    for name in ["b.c.example.", "c.example."] {
        let a = q(&z, name, RType::A);
        assert_eq!(a.rcode, Rcode::NoError, "{name}");
        assert!(a.answer.is_empty());
        assert_eq!(a.authority[0].rtype, RType::SOA);
    }
    assert_eq!(q(&z, "x.c.example.", RType::A).rcode, Rcode::NxDomain);
}

#[test]
fn cname_is_followed_inside_the_zone() {
    let z = zone();
    let a = q(&z, "alias.example.", RType::A);
    assert_eq!(
        show(&a.answer),
        [
            "QNAME 3600 CNAME www.example.",
            "www.example. 3600 A 192.0.2.2"
        ]
    );
    let a = q(&z, "chain1.example.", RType::AAAA);
    assert_eq!(
        show(&a.answer),
        [
            "QNAME 3600 CNAME chain2.example.",
            "chain2.example. 3600 CNAME www.example.",
            "www.example. 3600 AAAA 2001:db8::2"
        ]
    );
}

#[test]
fn cname_query_returns_only_the_cname() {
    let z = zone();
    let a = q(&z, "alias.example.", RType::CNAME);
    assert_eq!(show(&a.answer), ["QNAME 3600 CNAME www.example."]);
}

#[test]
fn cname_loop_terminates() {
    let z = zone();
    let a = q(&z, "loop1.example.", RType::A);
    assert_eq!(
        show(&a.answer),
        [
            "QNAME 3600 CNAME loop2.example.",
            "loop2.example. 3600 CNAME loop1.example."
        ]
    );
}

#[test]
fn cname_leaving_the_zone_stops_there() {
    let z = zone();
    let a = q(&z, "out.example.", RType::A);
    assert_eq!(show(&a.answer), ["QNAME 3600 CNAME www.other.test."]);
    assert_eq!(a.rcode, Rcode::NoError);
}

#[test]
fn cname_to_missing_name_is_nxdomain_with_the_cname() {
    // RFC 6604: the RCODE describes the last name in the chain.
    let z = zone();
    let a = q(&z, "missing.example.", RType::A);
    assert_eq!(a.rcode, Rcode::NxDomain);
    assert_eq!(show(&a.answer), ["QNAME 3600 CNAME nowhere.example."]);
    assert_eq!(a.authority[0].rtype, RType::SOA);
}

#[test]
fn wildcard_synthesises_with_the_query_name() {
    let z = zone();
    let a = q(&z, "anything.wild.example.", RType::TXT);
    assert_eq!(show(&a.answer), ["QNAME 3600 TXT \"wild\""]);
    let a = q(&z, "two.labels.wild.example.", RType::TXT);
    assert_eq!(show(&a.answer), ["QNAME 3600 TXT \"wild\""]);
    // Wildcard matches but has no A: NODATA.
    let a = q(&z, "anything.wild.example.", RType::A);
    assert_eq!(a.rcode, Rcode::NoError);
    assert!(a.answer.is_empty());
}

#[test]
fn wildcard_parent_is_an_empty_non_terminal() {
    // RFC 4592 §2.2.2: `wild.example.` exists (as an ENT), so it is NODATA.
    let z = zone();
    let a = q(&z, "wild.example.", RType::TXT);
    assert_eq!(a.rcode, Rcode::NoError);
    assert!(a.answer.is_empty());
}

#[test]
fn wildcard_does_not_apply_below_an_existing_name() {
    // RFC 4592 §2.2.1: the closest encloser of y.x.wild3 is x.wild3, which has no wildcard child.
    let z = zone();
    assert_eq!(q(&z, "y.x.wild3.example.", RType::A).rcode, Rcode::NxDomain);
    assert_eq!(
        show(&q(&z, "x.wild3.example.", RType::A).answer),
        ["QNAME 3600 A 192.0.2.5"]
    );
    assert_eq!(
        show(&q(&z, "other.wild3.example.", RType::A).answer),
        ["QNAME 3600 A 192.0.2.6"]
    );
    // The wildcard itself can be asked for by name.
    assert_eq!(
        show(&q(&z, "*.wild3.example.", RType::A).answer),
        ["QNAME 3600 A 192.0.2.6"]
    );
}

#[test]
fn wildcard_cname_is_followed() {
    let z = zone();
    let a = q(&z, "x.wildc.example.", RType::A);
    assert_eq!(
        show(&a.answer),
        [
            "QNAME 3600 CNAME www.example.",
            "www.example. 3600 A 192.0.2.2"
        ]
    );
}

#[test]
fn delegation_is_a_referral_with_glue() {
    let z = zone();
    for (name, t) in [
        ("www.sub.example.", RType::A),
        ("sub.example.", RType::NS),
        ("deep.sub.example.", RType::A),
    ] {
        let a = q(&z, name, t);
        assert_eq!(a.rcode, Rcode::NoError, "{name}");
        assert!(!a.authoritative, "{name}: referrals have AA clear");
        assert!(a.answer.is_empty(), "{name}: occluded data is not answered");
        assert_eq!(show(&a.authority), ["sub.example. 3600 NS ns.sub.example."]);
        assert_eq!(show(&a.additional), ["ns.sub.example. 3600 A 192.0.2.4"]);
        assert!(a.additional_required);
    }
}

#[test]
fn ds_at_the_cut_is_answered_by_the_parent() {
    let z = zone();
    let a = q(&z, "sub.example.", RType::DS);
    assert!(a.authoritative);
    assert!(a.answer.is_empty());
    assert_eq!(a.authority[0].rtype, RType::SOA);
}

#[test]
fn dname_synthesises_a_cname() {
    let z = zone();
    let a = q(&z, "x.y.dn.example.", RType::A);
    assert_eq!(
        show(&a.answer),
        [
            "dn.example. 3600 DNAME target.test.",
            "QNAME 3600 CNAME x.y.target.test."
        ]
    );
    // The DNAME owner itself is not redirected.
    assert_eq!(
        show(&q(&z, "dn.example.", RType::DNAME).answer),
        ["QNAME 3600 DNAME target.test."]
    );
    assert_eq!(q(&z, "dn.example.", RType::A).answer.len(), 0);
}

#[test]
fn dname_into_the_zone_is_followed() {
    let z = zone();
    let a = q(&z, "x.dn2.example.", RType::A);
    assert_eq!(
        show(&a.answer),
        [
            "dn2.example. 3600 DNAME inzone.example.",
            "QNAME 3600 CNAME x.inzone.example.",
            "x.inzone.example. 3600 A 192.0.2.9"
        ]
    );
}

#[test]
fn a_cname_query_below_a_dname_gets_the_synthesized_cname_unfollowed() {
    let z = zone();
    // x.inzone exists and y.inzone does not: asked for the CNAME, neither is looked at, so
    // the answer is NOERROR with no authority, as knotd and nsd answer.
    for (name, target) in [("x", "x.inzone.example."), ("y", "y.inzone.example.")] {
        let a = q(&z, &format!("{name}.dn2.example."), RType::CNAME);
        assert_eq!(
            show(&a.answer),
            [
                "dn2.example. 3600 DNAME inzone.example.".to_string(),
                format!("QNAME 3600 CNAME {target}")
            ]
        );
        assert_eq!(a.rcode, Rcode::NoError, "{name}");
        assert!(a.authority.is_empty(), "{name}");
    }
    // Asked for another type, the chain is followed to the name that does not exist.
    assert_eq!(q(&z, "y.dn2.example.", RType::A).rcode, Rcode::NxDomain);
}

#[test]
fn dname_overflow_is_yxdomain() {
    let origin = Name::parse("example.", None).unwrap();
    let long_target = format!(
        "{}.",
        ["a".repeat(63), "b".repeat(63), "c".repeat(63)].join(".")
    );
    let text = format!("@ 300 SOA ns h 1 1 1 1 1\n@ 300 NS ns\ndn 300 DNAME {long_target}\n");
    let entries = parse_zone_str(&text, Path::new("t.zone"), &origin).unwrap();
    let z = Zone::from_records(&origin, &entries);
    let qname = format!("{}.{}.dn.example.", "q".repeat(60), "r".repeat(60));
    let a = q(&z, &qname, RType::A);
    assert_eq!(a.rcode, Rcode::YxDomain);
}

#[test]
fn mx_answer_adds_target_addresses() {
    let z = zone();
    let a = q(&z, "mx.example.", RType::MX);
    assert_eq!(show(&a.answer), ["QNAME 3600 MX 10 mail.example."]);
    assert_eq!(show(&a.additional), ["mail.example. 3600 A 192.0.2.25"]);
    assert!(!a.additional_required);
}

#[test]
fn any_is_minimal_when_asked() {
    let z = zone();
    let n = Name::parse("www.example.", None).unwrap();
    let full = lookup(
        &z,
        n.as_wire(),
        RType::ANY,
        LookupOptions { minimal_any: false },
    );
    assert_eq!(full.answer.len(), 2);
    let minimal = lookup(
        &z,
        n.as_wire(),
        RType::ANY,
        LookupOptions { minimal_any: true },
    );
    assert_eq!(minimal.answer.len(), 1);
}

#[test]
fn an_any_answer_adds_the_addresses_an_mx_or_ns_names() {
    let z = zone();
    for minimal_any in [false, true] {
        let n = Name::parse("mx.example.", None).unwrap();
        let a = lookup(&z, n.as_wire(), RType::ANY, LookupOptions { minimal_any });
        assert_eq!(show(&a.answer), ["QNAME 3600 MX 10 mail.example."]);
        assert_eq!(show(&a.additional), ["mail.example. 3600 A 192.0.2.25"]);
    }
}
