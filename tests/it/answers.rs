//! What a resolver sees: every answer rule of the issue, each checked over UDP and over TCP.

use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{Name, RData, Record, RecordType};

use crate::harness::{decode, request, request_edns, Tcp, TestServer, Transport, Udp, BOTH};

/// A zone with one of everything the answer tests need.
const TEST_ZONE: &str = r#"$ORIGIN test.example.
$TTL 3600
@         IN SOA   ns.test.example. hostmaster.test.example. 2024010101 3600 900 1209600 300
@         IN NS    ns.test.example.
@         IN MX    10 mail.test.example.
@         IN CAA   0 issue "letsencrypt.org"
ns        IN A     192.0.2.53
mail      IN A     192.0.2.25
www       IN A     192.0.2.80
www       IN AAAA  2001:db8::80
www       IN SSHFP 4 2 7d8f9b2f1e6c0a4b3d5e7f9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e
www       IN HTTPS 1 . alpn=h2
alias     IN CNAME www.test.example.
chain     IN CNAME alias.test.example.
away      IN CNAME www.elsewhere.example.
a.b.ent   IN A     192.0.2.1
old    60 IN DNAME new.test.example.
www.new   IN A     192.0.2.81
sub       IN NS    ns1.sub.test.example.
sub       IN NS    ns.elsewhere.example.
sub       IN DS    60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118
ns1.sub   IN A     192.0.2.200
unknown   IN TYPE65280 \# 4 0A000001
generic   IN A     \# 4 C0000207
_sip._udp IN SRV   10 60 5060 mail.test.example.
_443._tcp.www IN TLSA 3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6
naptr     IN NAPTR 100 10 "S" "SIP+D2U" "" _sip._udp.test.example.
hinfo     IN HINFO "Generic PC" "Linux"
_svc      IN SVCB  1 svc.test.example. alpn=h2,h3 port=8443
svc       IN A     192.0.2.90
ptr       IN PTR   www.test.example.
loc       IN LOC   42 21 54 N 71 06 18 W -24m 30m
_http._tcp IN URI  10 1 "http://www.example.com/path"
eui       IN EUI48 00-00-5e-00-53-2a
"#;

/// The example zone of RFC 4592 §2.2.1, plus a wildcard whose parent is an empty non-terminal
/// and a wildcard CNAME.
const RFC4592_ZONE: &str = r#"$ORIGIN example.
$TTL 3600
example.                 IN SOA   ns.example.com. hostmaster.example. 1 3600 900 1209600 300
example.                 IN NS    ns.example.com.
example.                 IN NS    ns.example.net.
*.example.               IN TXT   "this is a wildcard"
*.example.               IN MX    10 host1.example.
sub.*.example.           IN TXT   "this is not a wildcard"
host1.example.           IN A     192.0.2.1
_ssh._tcp.host1.example. IN SRV   0 0 22 host1.example.
_ssh._tcp.host2.example. IN SRV   0 0 22 host1.example.
subdel.example.          IN NS    ns.example.com.
subdel.example.          IN NS    ns.example.net.
*.ent-parent.example.    IN A     192.0.2.7
*.cn.example.            IN CNAME host1.example.
"#;

/// A zone whose SOA TTL (60) is below its MINIMUM (300).
const LOW_TTL_ZONE: &str = r#"$ORIGIN low.example.
@   60 IN SOA ns.low.example. hostmaster.low.example. 7 3600 900 1209600 300
@ 3600 IN NS  ns.low.example.
ns 3600 IN A  192.0.2.53
"#;

fn server() -> TestServer {
    TestServer::start(&[("test.example.zone", TEST_ZONE)])
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("valid name")
}

/// The answer section as (owner, type) pairs, owner in presentation form.
fn shape(records: &[Record]) -> Vec<(String, RecordType)> {
    records
        .iter()
        .map(|r| (r.name.to_ascii(), r.record_type()))
        .collect()
}

/// The negative-answer SOA in the authority section: asserts there is exactly one, at the apex.
fn negative_soa<'m>(msg: &'m Message, apex: &str) -> &'m Record {
    let soas: Vec<&Record> = msg
        .authorities
        .iter()
        .filter(|r| r.record_type() == RecordType::SOA)
        .collect();
    assert_eq!(soas.len(), 1, "one SOA in authority: {msg}");
    assert_eq!(soas[0].name, name(apex), "SOA owner: {msg}");
    soas[0]
}

fn a(text: &str) -> RData {
    RData::A(hickory_proto::rr::rdata::A(text.parse().expect("IPv4")))
}

#[test]
fn authoritative_data_is_answered_with_aa() {
    let s = server();
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(m.metadata.message_type, MessageType::Response);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: AA set: {m}");
        assert!(!m.metadata.truncation, "{t:?}: {m}");
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
        assert_eq!(m.answers[0].name, name("www.test.example."));
        assert_eq!(m.answers[0].ttl, 3600);
        assert_eq!(m.answers[0].data, a("192.0.2.80"));
        assert!(m.authorities.is_empty(), "{t:?}: {m}");
    }
}

#[test]
fn ipv6_loopback_is_answered_over_udp_and_tcp() {
    // The default listen addresses include [::1]:5353; a host without IPv6 cannot run this.
    if std::net::UdpSocket::bind("[::1]:0").is_err() {
        eprintln!("note: no IPv6 loopback on this host; skipping");
        return;
    }
    let s = TestServer::start_on(
        "[::1]:0".parse().expect("valid address"),
        &[("test.example.zone", TEST_ZONE)],
    );
    assert!(s.addr.is_ipv6());
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert_eq!(m.answers[0].data, a("192.0.2.80"), "{t:?}: {m}");
    }
}

#[test]
fn nxdomain_carries_the_soa_with_the_negative_ttl() {
    let s = TestServer::start(&[
        ("test.example.zone", TEST_ZONE),
        ("low.example.zone", LOW_TTL_ZONE),
    ]);
    for t in BOTH {
        let m = s.query(t, "nope.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert!(m.answers.is_empty(), "{t:?}: {m}");
        let soa = negative_soa(&m, "test.example.");
        // RFC 2308 §3: min(SOA TTL 3600, MINIMUM 300).
        assert_eq!(soa.ttl, 300, "{t:?}: {m}");
        let RData::SOA(rdata) = &soa.data else {
            panic!("{t:?}: not an SOA: {m}")
        };
        assert_eq!(rdata.serial, 2024010101);
        assert_eq!(rdata.minimum, 300);

        // The other way round: min(SOA TTL 60, MINIMUM 300).
        let m = s.query(t, "nope.low.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
        assert_eq!(negative_soa(&m, "low.example.").ttl, 60, "{t:?}: {m}");
    }
}

#[test]
fn nodata_is_noerror_with_the_soa() {
    let s = server();
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::MX);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert!(m.answers.is_empty(), "{t:?}: {m}");
        assert_eq!(negative_soa(&m, "test.example.").ttl, 300, "{t:?}: {m}");
    }
}

#[test]
fn empty_non_terminal_is_nodata_not_nxdomain() {
    let s = server();
    for t in BOTH {
        for ent in [
            "ent.test.example.",
            "b.ent.test.example.",
            "_udp.test.example.",
        ] {
            let m = s.query(t, ent, RecordType::A);
            assert_eq!(
                m.metadata.response_code,
                ResponseCode::NoError,
                "{t:?} {ent}: {m}"
            );
            assert!(m.answers.is_empty(), "{t:?} {ent}: {m}");
            negative_soa(&m, "test.example.");
        }
        // Below the empty non-terminal, the existing name answers and a missing one does not.
        let m = s.query(t, "a.b.ent.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
        let m = s.query(t, "c.b.ent.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
    }
}

#[test]
fn cname_chains_are_followed_inside_the_zone() {
    let s = server();
    for t in BOTH {
        let m = s.query(t, "chain.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert_eq!(
            shape(&m.answers),
            [
                ("chain.test.example.".to_string(), RecordType::CNAME),
                ("alias.test.example.".to_string(), RecordType::CNAME),
                ("www.test.example.".to_string(), RecordType::A),
            ],
            "{t:?}: {m}"
        );
        assert_eq!(
            m.answers[0].data,
            RData::CNAME(hickory_proto::rr::rdata::CNAME(name("alias.test.example.")))
        );
        assert_eq!(m.answers[2].data, a("192.0.2.80"));

        // Asking for the CNAME itself does not follow it.
        let m = s.query(t, "alias.test.example.", RecordType::CNAME);
        assert_eq!(shape(&m.answers).len(), 1, "{t:?}: {m}");

        // A target outside the zone: the CNAME only, the resolver goes on from there.
        let m = s.query(t, "away.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert_eq!(
            shape(&m.answers),
            [("away.test.example.".to_string(), RecordType::CNAME)],
            "{t:?}: {m}"
        );
    }
}

/// (qname, qtype, rcode, AA, answer section as (owner, type)).
type WildcardCase = (
    &'static str,
    RecordType,
    ResponseCode,
    bool,
    &'static [(&'static str, RecordType)],
);

#[test]
fn wildcards_follow_rfc_4592_including_empty_non_terminals() {
    let s = TestServer::start(&[("example.zone", RFC4592_ZONE)]);
    use RecordType::{A, CNAME, MX, SRV, TXT};
    let nx = ResponseCode::NXDomain;
    let ok = ResponseCode::NoError;
    let cases: &[WildcardCase] = &[
        // §2.2.1: synthesized from the wildcard, owned by the query name.
        ("host3.example.", MX, ok, true, &[("host3.example.", MX)]),
        (
            "foo.bar.example.",
            TXT,
            ok,
            true,
            &[("foo.bar.example.", TXT)],
        ),
        // The wildcard matches but has no A: NODATA.
        ("host3.example.", A, ok, true, &[]),
        // Names that exist are never covered by the wildcard.
        ("host1.example.", MX, ok, true, &[]),
        ("sub.*.example.", MX, ok, true, &[]),
        // host2.example. is an empty non-terminal: it exists, so no wildcard applies.
        ("host2.example.", MX, ok, true, &[]),
        ("_tcp.host2.example.", TXT, ok, true, &[]),
        // Closest encloser _tcp.host1.example. has no wildcard child: NXDOMAIN.
        ("_telnet._tcp.host1.example.", SRV, nx, true, &[]),
        // Wildcard not applying below an existing name.
        ("x.host1.example.", TXT, nx, true, &[]),
        // `*` inside a name is an ordinary label: ghost.*.example. does not exist.
        ("ghost.*.example.", MX, nx, true, &[]),
        // The wildcard owner itself is an ordinary name.
        ("*.example.", TXT, ok, true, &[("*.example.", TXT)]),
        // A wildcard whose parent is an empty non-terminal.
        ("ent-parent.example.", A, ok, true, &[]),
        (
            "x.ent-parent.example.",
            A,
            ok,
            true,
            &[("x.ent-parent.example.", A)],
        ),
        (
            "a.b.ent-parent.example.",
            A,
            ok,
            true,
            &[("a.b.ent-parent.example.", A)],
        ),
        // A wildcard CNAME is synthesized at the query name and then followed.
        (
            "x.cn.example.",
            A,
            ok,
            true,
            &[("x.cn.example.", CNAME), ("host1.example.", A)],
        ),
        // Delegations are not covered by the wildcard either.
        ("host.subdel.example.", A, ok, false, &[]),
    ];
    for t in BOTH {
        for &(qname, qtype, rcode, aa, want) in cases {
            let m = s.query(t, qname, qtype);
            let what = format!("{t:?} {qname} {qtype}: {m}");
            assert_eq!(m.metadata.response_code, rcode, "{what}");
            assert_eq!(m.metadata.authoritative, aa, "{what}");
            let want: Vec<(String, RecordType)> =
                want.iter().map(|(n, t)| (n.to_string(), *t)).collect();
            assert_eq!(shape(&m.answers), want, "{what}");
            if want.is_empty() && aa {
                negative_soa(&m, "example.");
            }
        }
        // The synthesized data is the wildcard's.
        let m = s.query(t, "foo.bar.example.", TXT);
        assert_eq!(
            crate::harness::txt_answers(&m),
            ["this is a wildcard"],
            "{t:?}: {m}"
        );
        let m = s.query(t, "x.ent-parent.example.", A);
        assert_eq!(m.answers[0].data, a("192.0.2.7"), "{t:?}: {m}");
    }
}

#[test]
fn dname_answers_with_a_synthesized_cname() {
    let s = server();
    for t in BOTH {
        let m = s.query(t, "www.old.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert_eq!(
            shape(&m.answers),
            [
                ("old.test.example.".to_string(), RecordType::DNAME),
                ("www.old.test.example.".to_string(), RecordType::CNAME),
                ("www.new.test.example.".to_string(), RecordType::A),
            ],
            "{t:?}: {m}"
        );
        // DNAME RDATA: new.test.example. in uncompressed wire form (RFC 6672 §2.5).
        let wire: Vec<u8> = b"\x03new\x04test\x07example\x00".to_vec();
        match &m.answers[0].data {
            RData::Unknown { rdata, .. } => assert_eq!(rdata.anything, wire, "{t:?}: {m}"),
            other => panic!("{t:?}: DNAME decoded as {other:?}"),
        }
        assert_eq!(m.answers[0].ttl, 60);
        // The synthesized CNAME has the DNAME's TTL (RFC 6672 §3.1).
        assert_eq!(m.answers[1].ttl, 60, "{t:?}: {m}");
        assert_eq!(
            m.answers[1].data,
            RData::CNAME(hickory_proto::rr::rdata::CNAME(name(
                "www.new.test.example."
            )))
        );
        assert_eq!(m.answers[2].data, a("192.0.2.81"));

        // Nothing below the target: the synthesized name does not exist.
        let m = s.query(t, "nope.old.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
        assert_eq!(m.answers.len(), 2, "DNAME + CNAME, {t:?}: {m}");

        // Asked for the CNAME itself, the synthesized one is the answer, not followed to the
        // name that does not exist (RFC 6672 §3.2; knotd and nsd answer so).
        let m = s.query(t, "nope.old.test.example.", RecordType::CNAME);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert_eq!(
            shape(&m.answers),
            [
                ("old.test.example.".to_string(), RecordType::DNAME),
                ("nope.old.test.example.".to_string(), RecordType::CNAME),
            ],
            "{t:?}: {m}"
        );
        assert!(m.authorities.is_empty(), "{t:?}: {m}");

        // The DNAME owner itself is not redirected.
        let m = s.query(t, "old.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.answers.is_empty(), "{t:?}: {m}");
    }
}

#[test]
fn unknown_types_in_rfc_3597_form_are_answered_byte_exact() {
    let s = server();
    for t in BOTH {
        let m = s.query(t, "unknown.test.example.", RecordType::Unknown(65280));
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
        assert_eq!(u16::from(m.answers[0].record_type()), 65280);
        match &m.answers[0].data {
            RData::Unknown { rdata, .. } => {
                assert_eq!(rdata.anything, [0x0A, 0x00, 0x00, 0x01], "{t:?}")
            }
            other => panic!("{t:?}: decoded as {other:?}"),
        }
        // A known type written in the generic form is the same record (RFC 3597 §5).
        let m = s.query(t, "generic.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
        assert_eq!(m.answers[0].data, a("192.0.2.7"), "{t:?}: {m}");
    }
}

/// RDATA hickory parses from the same presentation text as the zone file.
fn parsed(rtype: RecordType, text: &str) -> RData {
    RData::try_from_str(rtype, text).unwrap_or_else(|e| panic!("hickory parses {text}: {e}"))
}

#[test]
fn record_types_are_answered_with_the_right_rdata() {
    let s = server();
    let known: &[(&str, RecordType, &str)] = &[
        ("test.example.", RecordType::MX, "10 mail.test.example."),
        (
            "test.example.",
            RecordType::CAA,
            r#"0 issue "letsencrypt.org""#,
        ),
        ("www.test.example.", RecordType::AAAA, "2001:db8::80"),
        (
            "www.test.example.",
            RecordType::SSHFP,
            "4 2 7d8f9b2f1e6c0a4b3d5e7f9a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e",
        ),
        ("www.test.example.", RecordType::HTTPS, "1 . alpn=h2"),
        (
            "_sip._udp.test.example.",
            RecordType::SRV,
            "10 60 5060 mail.test.example.",
        ),
        (
            "_443._tcp.www.test.example.",
            RecordType::TLSA,
            "3 1 1 0C72AC70B745AC19998811B131D662C9AC69DBDBE7CB23E5B514B56664C5D3D6",
        ),
        (
            "naptr.test.example.",
            RecordType::NAPTR,
            r#"100 10 "S" "SIP+D2U" "" _sip._udp.test.example."#,
        ),
        (
            "hinfo.test.example.",
            RecordType::HINFO,
            r#""Generic PC" "Linux""#,
        ),
        (
            "_svc.test.example.",
            RecordType::SVCB,
            "1 svc.test.example. alpn=h2,h3 port=8443",
        ),
        ("ptr.test.example.", RecordType::PTR, "www.test.example."),
    ];
    // Types hickory decodes as opaque bytes here: the expected wire form, by hand.
    let lat: u32 = (1 << 31) + (42 * 3600 + 21 * 60 + 54) * 1000;
    let lon: u32 = (1 << 31) - (71 * 3600 + 6 * 60 + 18) * 1000;
    let alt: u32 = 10_000_000 - 2400; // -24 m above the 100 000 m base, in cm
    let mut loc = vec![0u8, 0x33, 0x16, 0x13]; // version, size 30m, hp 10km, vp 10m
    loc.extend(lat.to_be_bytes());
    loc.extend(lon.to_be_bytes());
    loc.extend(alt.to_be_bytes());
    let mut ds = vec![0xEC, 0x45, 5, 1]; // key tag 60485, RSASHA1, SHA-1
    ds.extend([
        0x2B, 0xB1, 0x83, 0xAF, 0x5F, 0x22, 0x58, 0x81, 0x79, 0xA5, 0x3B, 0x0A, 0x98, 0x63, 0x1F,
        0xAD, 0x1A, 0x29, 0x21, 0x18,
    ]);
    let mut uri = vec![0, 10, 0, 1];
    uri.extend(b"http://www.example.com/path");
    let opaque: &[(&str, RecordType, Vec<u8>)] = &[
        ("loc.test.example.", RecordType::Unknown(29), loc),
        ("sub.test.example.", RecordType::DS, ds),
        ("_http._tcp.test.example.", RecordType::Unknown(256), uri),
        (
            "eui.test.example.",
            RecordType::Unknown(108),
            vec![0x00, 0x00, 0x5e, 0x00, 0x53, 0x2a],
        ),
    ];
    for t in BOTH {
        for (owner, rtype, text) in known {
            let m = s.query(t, owner, *rtype);
            let what = format!("{t:?} {owner} {rtype}: {m}");
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{what}");
            assert!(m.metadata.authoritative, "{what}");
            let answers: Vec<&Record> = m
                .answers
                .iter()
                .filter(|r| r.record_type() == *rtype)
                .collect();
            assert_eq!(answers.len(), 1, "{what}");
            assert_eq!(answers[0].data, parsed(*rtype, text), "{what}");
        }
        for (owner, rtype, wire) in opaque {
            let m = s.query(t, owner, *rtype);
            let what = format!("{t:?} {owner} {rtype}: {m}");
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{what}");
            // DS is answered by the parent, authoritatively, even at the delegation point.
            assert!(m.metadata.authoritative, "{what}");
            assert_eq!(m.answers.len(), 1, "{what}");
            match &m.answers[0].data {
                RData::Unknown { rdata, .. } => assert_eq!(&rdata.anything, wire, "{what}"),
                other => panic!("{what}: decoded as {other:?}"),
            }
        }
    }
}

#[test]
fn delegation_is_a_referral_with_glue_and_aa_clear() {
    let s = server();
    for t in BOTH {
        for qname in ["host.sub.test.example.", "sub.test.example."] {
            let m = s.query(t, qname, RecordType::A);
            let what = format!("{t:?} {qname}: {m}");
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{what}");
            assert!(!m.metadata.authoritative, "AA clear: {what}");
            assert!(m.answers.is_empty(), "{what}");
            let mut ns: Vec<String> = m
                .authorities
                .iter()
                .map(|r| {
                    assert_eq!(r.name, name("sub.test.example."), "{what}");
                    match &r.data {
                        RData::NS(n) => n.0.to_ascii(),
                        other => panic!("{what}: authority holds {other:?}"),
                    }
                })
                .collect();
            ns.sort();
            assert_eq!(
                ns,
                ["ns.elsewhere.example.", "ns1.sub.test.example."],
                "{what}"
            );
            let glue: Vec<(String, RData)> = m
                .additionals
                .iter()
                .map(|r| (r.name.to_ascii(), r.data.clone()))
                .collect();
            assert_eq!(
                glue,
                [("ns1.sub.test.example.".to_string(), a("192.0.2.200"))],
                "{what}"
            );
        }
    }
}

#[test]
fn names_in_no_served_zone_are_refused() {
    let s = server();
    for t in BOTH {
        for qname in ["www.other.example.", "example.", "."] {
            let m = s.query(t, qname, RecordType::A);
            assert_eq!(
                m.metadata.response_code,
                ResponseCode::Refused,
                "{t:?} {qname}: {m}"
            );
            assert!(!m.metadata.authoritative, "{t:?} {qname}: {m}");
            assert!(m.answers.is_empty(), "{t:?} {qname}: {m}");
        }
    }
}

/// `count` TXT records of `len` bytes each at `owner`.
fn txt_records(owner: &str, count: usize, len: usize) -> String {
    (0..count)
        .map(|i| {
            let body: String = std::iter::repeat_n(char::from(b'a' + i as u8), len).collect();
            format!("{owner} IN TXT \"{body}\"\n")
        })
        .collect()
}

#[test]
fn edns_udp_size_is_honoured_and_tc_set_when_the_answer_does_not_fit() {
    // `big` is about 850 bytes: over 512, under 1232. `huge` is about 2100 bytes.
    let zone = format!(
        "{TEST_ZONE}{}{}",
        txt_records("big", 4, 200),
        txt_records("huge", 10, 200)
    );
    let s = TestServer::start(&[("test.example.zone", &zone)]);
    let raw = |t: Transport, msg: &Message| {
        let bytes = msg.to_vec().expect("encode");
        s.exchange(t, &bytes, Duration::from_secs(5))
            .expect("an answer")
    };

    // No EDNS over UDP: 512 bytes at most, so TC and the client retries over TCP.
    let r = raw(Udp, &request("big.test.example.", RecordType::TXT));
    let m = decode(&r);
    assert!(r.len() <= 512, "{} bytes: {m}", r.len());
    assert!(m.metadata.truncation, "TC without EDNS: {m}");

    // EDNS 1232: it fits, complete, no TC.
    let r = raw(
        Udp,
        &request_edns("big.test.example.", RecordType::TXT, 1232),
    );
    let m = decode(&r);
    assert!(!m.metadata.truncation, "{m}");
    assert_eq!(m.answers.len(), 4, "{m}");
    assert!(r.len() > 512 && r.len() <= 1232, "{} bytes", r.len());
    assert!(m.edns.is_some(), "OPT in the answer to an EDNS query: {m}");

    // The client's smaller size is honoured.
    let r = raw(
        Udp,
        &request_edns("big.test.example.", RecordType::TXT, 700),
    );
    let m = decode(&r);
    assert!(r.len() <= 700, "{} bytes: {m}", r.len());
    assert!(m.metadata.truncation, "TC at 700 bytes: {m}");

    // A larger client size is capped at the server's 1232.
    let r = raw(
        Udp,
        &request_edns("huge.test.example.", RecordType::TXT, 4096),
    );
    let m = decode(&r);
    assert!(r.len() <= 1232, "{} bytes: {m}", r.len());
    assert!(m.metadata.truncation, "TC above 1232 bytes: {m}");

    // The same questions over TCP: complete, no TC.
    for (qname, count) in [("big.test.example.", 4), ("huge.test.example.", 10)] {
        for msg in [
            request(qname, RecordType::TXT),
            request_edns(qname, RecordType::TXT, 700),
        ] {
            let m = s.query_with(Tcp, &msg);
            assert!(!m.metadata.truncation, "TCP {qname}: {m}");
            assert_eq!(m.answers.len(), count, "TCP {qname}: {m}");
        }
    }
}

#[test]
fn edns_version_above_0_gets_badvers() {
    let s = server();
    for t in BOTH {
        let mut msg = request_edns("www.test.example.", RecordType::A, 1232);
        if let Some(edns) = msg.edns.as_mut() {
            edns.set_version(1);
        }
        let bytes = msg.to_vec().expect("encode");
        let raw = s
            .exchange(t, &bytes, Duration::from_secs(5))
            .expect("an answer");
        let m = decode(&raw);
        assert!(m.answers.is_empty(), "{t:?}: {m}");
        let edns = m.edns.as_ref().unwrap_or_else(|| panic!("{t:?}: OPT: {m}"));
        // BADVERS is 16: 1 in the OPT's extended RCODE, 0 in the header (RFC 6891 §6.1.3).
        assert_eq!(edns.rcode_high(), 1, "{t:?}: {m}");
        assert_eq!(raw[3] & 0xF, 0, "{t:?}: {m}");
        assert_eq!(edns.version(), 0, "{t:?}: our highest version: {m}");
    }
}

#[test]
fn dkim_sized_txt_is_returned_byte_for_byte() {
    // A 2048-bit RSA key's DKIM record: 410 bytes, in a 255-byte and a 155-byte string.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let key: String = (0..392)
        .map(|i| char::from(alphabet[(i * 7 + 3) % 64]))
        .collect();
    let value = format!("v=DKIM1; k=rsa; p={key}");
    assert_eq!(value.len(), 410);
    let (first, second) = value.split_at(255);
    let zone = format!("{TEST_ZONE}sel._domainkey IN TXT ( \"{first}\"\n    \"{second}\" )\n");
    let s = TestServer::start(&[("test.example.zone", &zone)]);
    for t in BOTH {
        for msg in [
            request("sel._domainkey.test.example.", RecordType::TXT),
            request_edns("sel._domainkey.test.example.", RecordType::TXT, 1232),
        ] {
            let m = s.query_with(t, &msg);
            assert!(!m.metadata.truncation, "{t:?}: {m}");
            assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
            let RData::TXT(txt) = &m.answers[0].data else {
                panic!("{t:?}: not TXT: {m}")
            };
            let strings: Vec<&[u8]> = txt.txt_data.iter().map(|s| &s[..]).collect();
            assert_eq!(strings, [first.as_bytes(), second.as_bytes()], "{t:?}");
        }
    }
}

#[test]
fn names_are_case_insensitive_and_the_query_case_is_echoed() {
    let s = server();
    for t in BOTH {
        let m = s.query(t, "WwW.TeSt.ExAmPlE.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert_eq!(m.queries[0].name().to_ascii(), "WwW.TeSt.ExAmPlE.", "{t:?}");
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
        assert_eq!(m.answers[0].name.to_ascii(), "WwW.TeSt.ExAmPlE.", "{t:?}");
        assert_eq!(m.answers[0].data, a("192.0.2.80"));

        // Negative answers too: the name exists whatever its case.
        let m = s.query(t, "WWW.TEST.EXAMPLE.", RecordType::MX);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert_eq!(m.queries[0].name().to_ascii(), "WWW.TEST.EXAMPLE.");
    }
}

#[test]
fn any_is_answered_minimally_over_udp() {
    let s = server();
    // www has A, AAAA, SSHFP and HTTPS.
    let m = s.udp("www.test.example.", RecordType::ANY);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{m}");
    assert!(m.metadata.authoritative, "{m}");
    assert!(!m.answers.is_empty(), "{m}");
    let types: std::collections::BTreeSet<RecordType> =
        m.answers.iter().map(|r| r.record_type()).collect();
    assert_eq!(types.len(), 1, "one RRset over UDP (RFC 8482): {m}");
    // Over TCP, size is no argument for minimal answers; at least one RRset, all of www.
    let m = s.tcp("www.test.example.", RecordType::ANY);
    assert!(!m.answers.is_empty(), "{m}");
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::ANY);
        assert!(
            m.answers
                .iter()
                .all(|r| r.name == name("www.test.example.")),
            "{t:?}: {m}"
        );
        let m = s.query(t, "nope.test.example.", RecordType::ANY);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
        // At the apex, the NS and MX records answered (all over TCP, one RRset over UDP) bring
        // their targets' addresses, as an NS or MX question does.
        let m = s.query(t, "test.example.", RecordType::ANY);
        let types: Vec<RecordType> = m.answers.iter().map(|r| r.record_type()).collect();
        if t == Transport::Tcp {
            assert!(types.contains(&RecordType::MX), "{t:?}: {m}");
        }
        for (rtype, target, address) in [
            (RecordType::NS, "ns.test.example.", "192.0.2.53"),
            (RecordType::MX, "mail.test.example.", "192.0.2.25"),
        ] {
            if types.contains(&rtype) {
                assert!(
                    m.additionals
                        .iter()
                        .any(|r| r.name == name(target) && r.data == a(address)),
                    "{t:?}, {rtype:?}: {m}"
                );
            }
        }
    }
}

/// Header bits of a raw response: (QR, opcode, rcode).
fn header_bits(raw: &[u8]) -> (bool, u8, u8) {
    (raw[2] & 0x80 != 0, (raw[2] >> 3) & 0xF, raw[3] & 0xF)
}

#[test]
fn unknown_opcodes_get_notimp() {
    let s = server();
    for t in BOTH {
        for opcode in [OpCode::Status, OpCode::Unknown(3), OpCode::Unknown(15)] {
            let mut msg = request("www.test.example.", RecordType::A);
            msg.metadata.op_code = opcode;
            let bytes = msg.to_vec().expect("encode");
            let raw = s
                .exchange(t, &bytes, Duration::from_secs(5))
                .unwrap_or_else(|| panic!("{t:?} {opcode:?}: no answer"));
            assert_eq!(raw[..2], bytes[..2], "ID echoed");
            let (qr, op, rcode) = header_bits(&raw);
            assert!(qr, "{t:?} {opcode:?}: a response");
            assert_eq!(op, u8::from(opcode), "{t:?}: opcode echoed");
            assert_eq!(rcode, 4, "{t:?} {opcode:?}: NOTIMP");
        }
        // The server still answers normal queries.
        assert_eq!(
            s.query(t, "www.test.example.", RecordType::A).answers.len(),
            1
        );
    }
}

/// Packets no server should answer normally, each with a distinct ID where it has one.
fn malformed_packets() -> Vec<(&'static str, Vec<u8>)> {
    let header = |id: u16, flags: u16, qd: u16, an: u16, ns: u16, ar: u16| {
        let mut h = id.to_be_bytes().to_vec();
        for v in [flags, qd, an, ns, ar] {
            h.extend(v.to_be_bytes());
        }
        h
    };
    let qname = b"\x03www\x04test\x07example\x00".to_vec();
    let mut packets = vec![
        ("empty", vec![]),
        ("one byte", vec![0x42]),
        ("short header", vec![0xA1, 0x01, 0x00, 0x00, 0x00]),
        ("header only, QDCOUNT 1", header(0xA102, 0, 1, 0, 0, 0)),
        ("QDCOUNT 0", header(0xA103, 0, 0, 0, 0, 0)),
    ];
    let mut p = header(0xA104, 0, 1, 0, 0, 0);
    p.extend(b"\x03www\x04te");
    packets.push(("question name cut short", p));
    let mut p = header(0xA105, 0, 1, 0, 0, 0);
    p.extend(&qname);
    p.extend([0x00, 0x01, 0x00]);
    packets.push(("question type/class cut short", p));
    let mut p = header(0xA106, 0, 1, 0, 0, 0);
    p.push(64);
    p.extend([b'x'; 64]);
    p.extend([0, 0, 1, 0, 1]);
    packets.push(("label longer than 63", p));
    let mut p = header(0xA107, 0, 1, 0, 0, 0);
    p.extend([0xC0, 0x0C, 0, 1, 0, 1]);
    packets.push(("compression loop in the question", p));
    let mut p = header(0xA108, 0, 2, 0, 0, 0);
    p.extend(&qname);
    p.extend([0, 1, 0, 1]);
    packets.push(("QDCOUNT 2 with one question", p));
    let mut p = header(0xA109, 0, 1, 0, 0, 5);
    p.extend(&qname);
    p.extend([0, 1, 0, 1]);
    packets.push(("ARCOUNT 5 with no records", p));
    let mut p = header(0xA10A, 0, 1, 0, 0, 1);
    p.extend(&qname);
    p.extend([0, 1, 0, 1]);
    p.extend([0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 9, 1, 2]);
    packets.push(("OPT with RDLENGTH past the end", p));
    // Deterministic garbage (a small LCG), with the QR bit clear so it looks like a query.
    let mut x: u32 = 0x1234_5678;
    let mut garbage: Vec<u8> = (0..300)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    garbage[2] &= 0x7F;
    packets.push(("garbage", garbage));
    packets
}

/// A raw answer to a malformed packet must be a FORMERR (or NOTIMP for a garbage opcode)
/// response with the packet's ID.
fn check_malformed_answer(what: &str, packet: &[u8], raw: &[u8]) {
    assert!(raw.len() >= 12, "{what}: short answer {raw:02x?}");
    assert_eq!(raw[..2], packet[..2], "{what}: ID echoed");
    let (qr, opcode, rcode) = header_bits(raw);
    assert!(qr, "{what}: QR set");
    let allowed: &[u8] = if opcode == 0 { &[1] } else { &[1, 4] };
    assert!(
        allowed.contains(&rcode),
        "{what}: answered with rcode {rcode}, want FORMERR: {raw:02x?}"
    );
}

#[test]
fn malformed_packets_get_formerr_or_nothing_and_the_server_keeps_answering() {
    let s = server();
    let packets = malformed_packets();

    // UDP: send them all on one socket, then a good query; every answer before the good
    // one must be a FORMERR for one of the bad packets.
    let sock = s.udp_socket(Duration::from_secs(5));
    for (_, p) in &packets {
        sock.send(p).expect("send");
    }
    let good = request("www.test.example.", RecordType::A);
    let good_bytes = good.to_vec().expect("encode");
    sock.send(&good_bytes).expect("send");
    let mut buf = vec![0u8; 65535];
    let mut answered = false;
    // At most one answer per packet sent.
    for _ in 0..=packets.len() {
        let n = sock
            .recv(&mut buf)
            .expect("the server answers the good query after the bad ones");
        let raw = &buf[..n];
        if raw[..2] == good_bytes[..2] && header_bits(raw).2 == 0 {
            let m = decode(raw);
            assert_eq!(m.answers.len(), 1, "{m}");
            answered = true;
            break;
        }
        let (what, packet) = packets
            .iter()
            .find(|(_, p)| p.len() >= 2 && p[..2] == raw[..2])
            .unwrap_or_else(|| panic!("an answer to no packet sent: {raw:02x?}"));
        check_malformed_answer(what, packet, raw);
    }
    assert!(answered, "more answers than packets sent");

    // TCP: one connection per packet; the server answers FORMERR or closes the connection.
    for (what, p) in &packets {
        if let Some(raw) = s.exchange(Tcp, p, Duration::from_secs(5)) {
            check_malformed_answer(&format!("TCP {what}"), p, &raw);
        }
    }
    // A length prefix promising more than is sent, then the connection is closed.
    {
        use std::io::Write;
        let mut stream = std::net::TcpStream::connect(s.addr).expect("connect");
        stream.write_all(&[0x01, 0x00, 0xAB, 0xCD]).expect("write");
    }

    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "{t:?} still answering: {m}");
    }
}

#[test]
fn a_burst_from_many_clients_is_answered_in_full_by_threads_taking_turns() {
    let config = zonectl::config::Config {
        udp_workers: Some(3),
        ..Default::default()
    };
    let s = TestServer::start_with(
        "127.0.0.1:0".parse().expect("valid address"),
        config,
        &[("test.example.zone", TEST_ZONE)],
    );
    // Every query is sent before any answer is read, so the socket holds full batches and
    // the thread receiving one hands the socket to the next before answering.
    // 100 answers fit a client socket's default receive buffer.
    const CLIENTS: usize = 16;
    const EACH: u16 = 100;
    let query = request("www.test.example.", RecordType::A)
        .to_vec()
        .expect("encode");
    let socks: Vec<_> = (0..CLIENTS)
        .map(|_| s.udp_socket(Duration::from_secs(5)))
        .collect();
    for sock in &socks {
        for id in 0..EACH {
            let mut q = query.clone();
            q[..2].copy_from_slice(&id.to_be_bytes());
            sock.send(&q).expect("send");
        }
    }
    let mut buf = vec![0u8; 65535];
    for (c, sock) in socks.iter().enumerate() {
        let mut seen = vec![false; EACH as usize];
        for _ in 0..EACH {
            let n = sock.recv(&mut buf).unwrap_or_else(|e| {
                panic!(
                    "client {c}: {} answers missing: {e}",
                    seen.iter().filter(|s| !**s).count()
                )
            });
            let m = decode(&buf[..n]);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{m}");
            assert_eq!(m.answers.len(), 1, "{m}");
            let id = m.metadata.id as usize;
            assert!(!seen[id], "client {c}: query {id} answered twice");
            seen[id] = true;
        }
    }
}
