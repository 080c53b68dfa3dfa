//! The wire layer, judged by an independent decoder (hickory-proto): what a client receives.

use std::path::Path;
use std::sync::Arc;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption, NSIDPayload};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{DNSClass, Name as HName, RData, RecordType};

use super::*;
use crate::zone::parse::parse_zone_str;
use crate::zone::{Name, Zone};

fn zones() -> ZoneSet {
    let origin = Name::parse("example.", None).unwrap();
    let big_txt: String = (0..12)
        .map(|i| format!("{i} IN TXT \"{}\"\n", "x".repeat(200)))
        .collect();
    let text = format!(
        "$ORIGIN example.\n$TTL 300\n@ SOA ns hostmaster 7 3600 900 1209600 60\n@ NS ns\nns A 192.0.2.1\n\
         www A 192.0.2.2\nbig TXT \"{}\" \"{}\"\n{big_txt}",
        "a".repeat(255),
        "b".repeat(200)
    );
    let mut text = text;
    // One name with twelve 200-byte TXT records: 2.4 kB, too big for 512 or 1232 bytes.
    for i in 0..12 {
        text.push_str(&format!("many TXT \"{i}{}\"\n", "y".repeat(200)));
    }
    let entries = parse_zone_str(&text, Path::new("example.zone"), &origin).unwrap();
    let zone = Zone::from_records(&origin, &entries);
    let mut set = ZoneSet::new();
    set.insert(Arc::new(zone));
    set
}

fn query(name: &str, t: RecordType, edns: Option<u16>) -> Vec<u8> {
    let mut m = Message::query();
    m.add_query(Query::query(HName::from_ascii(name).unwrap(), t));
    m.metadata.recursion_desired = true;
    if let Some(size) = edns {
        let mut e = Edns::new();
        e.set_max_payload(size);
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

fn ask(packet: &[u8], transport: Transport) -> Option<(Vec<u8>, Message)> {
    let mut out = Vec::new();
    if !respond(
        &zones(),
        &AnswerConfig::default(),
        &Keyring::default(),
        packet,
        transport,
        &mut out,
    ) {
        return None;
    }
    let msg = Message::from_vec(&out).expect("response decodes");
    Some((out, msg))
}

#[test]
fn answers_with_aa_and_echoes_question_case() {
    let q = query("WwW.ExAmPlE.", RecordType::A, None);
    let (_, m) = ask(&q, Transport::Udp).unwrap();
    assert_eq!(m.metadata.message_type, MessageType::Response);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.metadata.authoritative);
    assert!(m.metadata.recursion_desired, "RD is copied");
    assert!(!m.metadata.recursion_available);
    assert_eq!(m.queries[0].name().to_string(), "WwW.ExAmPlE.");
    assert_eq!(m.answers.len(), 1);
    assert_eq!(m.answers[0].name.to_string(), "WwW.ExAmPlE.");
    assert_eq!(m.answers[0].data, RData::A("192.0.2.2".parse().unwrap()));
}

#[test]
fn multi_string_txt_comes_back_byte_for_byte() {
    let q = query("big.example.", RecordType::TXT, Some(1232));
    let (_, m) = ask(&q, Transport::Udp).unwrap();
    let RData::TXT(txt) = &m.answers[0].data else {
        panic!("not TXT")
    };
    let strings: Vec<&[u8]> = txt.txt_data.iter().map(|s| &s[..]).collect();
    assert_eq!(strings, [&b"a".repeat(255)[..], &b"b".repeat(200)[..]]);
}

#[test]
fn nxdomain_and_refused() {
    let (_, m) = ask(&query("nope.example.", RecordType::A, None), Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NXDomain);
    assert_eq!(m.authorities[0].record_type(), RecordType::SOA);
    assert_eq!(m.authorities[0].ttl, 60);
    let (_, m) = ask(
        &query("www.other.test.", RecordType::A, None),
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    assert!(!m.metadata.authoritative);
}

#[test]
fn truncates_over_udp_and_answers_in_full_over_tcp() {
    let q = query("many.example.", RecordType::TXT, None);
    let (bytes, m) = ask(&q, Transport::Udp).unwrap();
    assert!(bytes.len() <= 512);
    assert!(m.metadata.truncation);
    assert!(m.answers.is_empty());
    let q = query("many.example.", RecordType::TXT, Some(1232));
    let (bytes, m) = ask(&q, Transport::Udp).unwrap();
    assert!(bytes.len() <= 1232);
    assert!(m.metadata.truncation);
    assert!(m.edns.is_some(), "OPT is kept in a truncated response");
    let (_, m) = ask(&q, Transport::Tcp).unwrap();
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 12);
}

#[test]
fn edns_size_is_honoured_up_to_our_maximum() {
    // 2 kB answer: fits in a 4096-byte client buffer only if our maximum allows it.
    let q = query("many.example.", RecordType::TXT, Some(4096));
    let config = AnswerConfig {
        max_udp_payload: 4096,
        ..AnswerConfig::default()
    };
    let m = ask_with(&config, &q, Transport::Udp);
    assert!(!m.metadata.truncation);
    assert_eq!(m.answers.len(), 12);
    assert_eq!(m.edns.as_ref().unwrap().max_payload(), 4096);
}

#[test]
fn edns_version_1_is_badvers() {
    let mut m = Message::query();
    m.add_query(Query::query(
        HName::from_ascii("www.example.").unwrap(),
        RecordType::A,
    ));
    let mut e = Edns::new();
    e.set_version(1);
    m.set_edns(e);
    let (_, r) = ask(&m.to_vec().unwrap(), Transport::Udp).unwrap();
    // 16 is BADVERS in an OPT context (hickory names the shared code BADSIG).
    assert_eq!(u16::from(r.metadata.response_code), 16);
    assert!(r.answers.is_empty());
}

#[test]
fn unknown_opcode_is_notimp() {
    let mut m = Message::new(99, MessageType::Query, OpCode::Update);
    m.add_query(Query::query(
        HName::from_ascii("example.").unwrap(),
        RecordType::SOA,
    ));
    let (_, r) = ask(&m.to_vec().unwrap(), Transport::Udp).unwrap();
    assert_eq!(r.metadata.response_code, ResponseCode::NotImp);
    assert_eq!(r.metadata.id, 99);
}

#[test]
fn zone_transfers_and_other_classes_are_refused() {
    // `respond` never transfers: the TCP layer hands allowed clients to `transfer_request`.
    let (_, m) = ask(&query("example.", RecordType::AXFR, None), Transport::Tcp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    let (_, m) = ask(&ixfr("example.", 1), Transport::Udp).unwrap();
    assert_eq!(
        m.metadata.response_code,
        ResponseCode::Refused,
        "an IXFR is not a FORMERR"
    );
    let mut q = query("example.", RecordType::SOA, None);
    let n = q.len();
    q[n - 1] = 3; // class CH
    let (_, m) = ask(&q, Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
}

fn identified() -> AnswerConfig {
    AnswerConfig {
        identity: Arc::new(Identity {
            name: b"ns1.example".to_vec(),
            version: b"zonectl 9".to_vec(),
            nsid: b"ns1".to_vec(),
        }),
        ..AnswerConfig::default()
    }
}

/// A query for `name`/`t` in `class`, with EDNS and an NSID option if `nsid`.
fn query_in(name: &str, t: RecordType, class: DNSClass, edns: bool, nsid: bool) -> Vec<u8> {
    let mut q = Query::query(HName::from_ascii(name).unwrap(), t);
    q.query_class = class;
    let mut m = Message::query();
    m.add_query(q);
    if edns {
        let mut e = Edns::new();
        e.set_max_payload(1232);
        if nsid {
            e.options_mut()
                .insert(EdnsOption::NSID(NSIDPayload::new(Vec::new()).unwrap()));
        }
        m.set_edns(e);
    }
    m.to_vec().unwrap()
}

/// The answer, as sent, of a server of [`zones`] with `config` and `keys`.
fn answer_bytes(
    config: &AnswerConfig,
    keys: &Keyring,
    packet: &[u8],
    transport: Transport,
) -> Vec<u8> {
    let mut out = Vec::new();
    assert!(respond(&zones(), config, keys, packet, transport, &mut out));
    out
}

fn ask_with(config: &AnswerConfig, packet: &[u8], transport: Transport) -> Message {
    let out = answer_bytes(config, &Keyring::default(), packet, transport);
    Message::from_vec(&out).expect("response decodes")
}

fn nsid_of(m: &Message) -> Option<Vec<u8>> {
    match m.edns.as_ref()?.options().get(EdnsCode::NSID)? {
        EdnsOption::NSID(payload) => Some(payload.as_ref().to_vec()),
        _ => None,
    }
}

#[test]
fn ch_txt_id_server_and_version_bind_tell_who_answers() {
    let config = identified();
    for (name, text) in [
        ("id.server.", "ns1.example"),
        ("HOSTNAME.Bind.", "ns1.example"),
        ("version.server.", "zonectl 9"),
        ("version.bind.", "zonectl 9"),
    ] {
        for transport in [Transport::Udp, Transport::Tcp] {
            let q = query_in(name, RecordType::TXT, DNSClass::CH, false, false);
            let m = ask_with(&config, &q, transport);
            assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{name}");
            assert!(!m.metadata.authoritative, "not AA, as knotd answers");
            assert_eq!(m.answers.len(), 1);
            let rr = &m.answers[0];
            assert_eq!(rr.name.to_string(), name, "the question's spelling");
            assert_eq!((rr.dns_class, rr.ttl), (DNSClass::CH, 0));
            assert_eq!(rr.data, RData::TXT(TXT::new(vec![text.into()])));
        }
    }
    // Other names, types and classes, and a question whose answer is kept to oneself.
    let mut quiet = identified();
    Arc::make_mut(&mut quiet.identity).version.clear();
    for (config, name, t, class) in [
        (&config, "authors.bind.", RecordType::TXT, DNSClass::CH),
        (&config, "x.id.server.", RecordType::TXT, DNSClass::CH),
        (&config, "id.server.", RecordType::A, DNSClass::CH),
        (&config, "id.server.", RecordType::ANY, DNSClass::CH),
        (&config, "id.server.", RecordType::TXT, DNSClass::HS),
        (&quiet, "version.bind.", RecordType::TXT, DNSClass::CH),
        (
            &AnswerConfig::default(),
            "id.server.",
            RecordType::TXT,
            DNSClass::CH,
        ),
    ] {
        let m = ask_with(
            config,
            &query_in(name, t, class, true, false),
            Transport::Udp,
        );
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::Refused,
            "{name} {t} {class}"
        );
        assert!(m.answers.is_empty());
    }
}

#[test]
fn the_nsid_goes_to_the_queries_that_ask_for_it() {
    let config = identified();
    let www = |edns, nsid| query_in("www.example.", RecordType::A, DNSClass::IN, edns, nsid);
    for transport in [Transport::Udp, Transport::Tcp] {
        let m = ask_with(&config, &www(true, true), transport);
        assert_eq!(m.answers.len(), 1);
        assert_eq!(nsid_of(&m).as_deref(), Some(&b"ns1"[..]));
        let m = ask_with(&config, &www(true, false), transport);
        assert_eq!(m.answers.len(), 1);
        assert!(
            m.edns.is_some() && nsid_of(&m).is_none(),
            "not asked: not sent"
        );
        let m = ask_with(&config, &www(false, false), transport);
        assert!(m.edns.is_none());
    }
    // Errors and CH answers carry it too; no NSID configured sends none.
    for q in [
        query_in("www.other.test.", RecordType::A, DNSClass::IN, true, true),
        query_in("id.server.", RecordType::TXT, DNSClass::CH, true, true),
        query_in("authors.bind.", RecordType::TXT, DNSClass::CH, true, true),
    ] {
        let m = ask_with(&config, &q, Transport::Udp);
        assert_eq!(nsid_of(&m).as_deref(), Some(&b"ns1"[..]));
        let m = ask_with(&AnswerConfig::default(), &q, Transport::Udp);
        assert!(m.edns.is_some() && nsid_of(&m).is_none());
    }
}

/// `query` with the UDP size of its OPT record (the last record, holding `options` bytes of
/// options) set to `size`.
fn with_udp_size(mut query: Vec<u8>, options: usize, size: u16) -> Vec<u8> {
    let at = query.len() - options - 8;
    query[at..at + 2].copy_from_slice(&size.to_be_bytes());
    query
}

#[test]
fn the_nsid_is_left_out_where_it_would_not_fit_beside_the_question() {
    let mut config = identified();
    Arc::make_mut(&mut config.identity).nsid = vec![b'n'; MAX_IDENTITY_LEN];
    // A 255-byte name in no zone: REFUSED, 12 + 259 bytes before the OPT, 270 with the NSID.
    let long = format!(
        "{}.{}.{}.{}.",
        "x".repeat(63),
        "x".repeat(63),
        "x".repeat(63),
        "x".repeat(61)
    );
    let q = query_in(&long, RecordType::A, DNSClass::IN, true, true);
    let m = ask_with(&config, &q, Transport::Udp);
    assert_eq!(
        nsid_of(&m).map(|n| n.len()),
        Some(MAX_IDENTITY_LEN),
        "fits in 1232"
    );
    let q = with_udp_size(q, 4, 512);
    let out = answer_bytes(&config, &Keyring::default(), &q, Transport::Udp);
    assert!(out.len() <= 512, "{} bytes", out.len());
    let m = Message::from_vec(&out).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    assert!(m.edns.is_some() && nsid_of(&m).is_none());
    // Over TCP it fits.
    let m = ask_with(&config, &q, Transport::Tcp);
    assert_eq!(nsid_of(&m).map(|n| n.len()), Some(MAX_IDENTITY_LEN));
}

#[test]
fn the_nsid_and_the_identity_give_way_to_a_tsig_record_under_512_bytes() {
    // The largest TSIG record: a 255-byte key name and HMAC-SHA512, 366 bytes.
    let long = format!(
        "{}.{}.{}.{}.",
        "k".repeat(63),
        "k".repeat(63),
        "k".repeat(63),
        "k".repeat(61)
    );
    let key_name = Name::parse(&long, None).unwrap();
    let key = tsig::Key::new(&key_name, tsig::Algorithm::HmacSha512, b"a shared secret");
    let mut keys = Keyring::default();
    keys.add(key, Path::new("long.key")).unwrap();
    let mut config = identified();
    let id = Arc::make_mut(&mut config.identity);
    id.name = vec![b'i'; MAX_IDENTITY_LEN];
    id.nsid = vec![b'n'; MAX_IDENTITY_LEN];
    let ask_signed = |name: &str, t: RecordType, class: DNSClass| {
        let mut q = with_udp_size(query_in(name, t, class, true, true), 4, 512);
        let key = keys.get(&key_name).unwrap().clone();
        tsig::Signer::request(key, tsig::now()).sign(&mut q);
        let out = answer_bytes(&config, &keys, &q, Transport::Udp);
        assert!(out.len() <= 512, "{name}: {} bytes", out.len());
        assert!(tsig::last_record_start(&out).is_some(), "{name}: signed");
        Message::from_vec(&out).unwrap()
    };
    // The answer fits beside the TSIG record; the NSID does not.
    let m = ask_signed("www.example.", RecordType::A, DNSClass::IN);
    assert_eq!(m.answers.len(), 1);
    assert!(nsid_of(&m).is_none());
    // A 255-byte identity does not fit either: TC, and the client asks again over TCP.
    let m = ask_signed("id.server.", RecordType::TXT, DNSClass::CH);
    assert!(m.metadata.truncation && m.answers.is_empty());
    assert!(nsid_of(&m).is_none());
}

#[test]
fn the_nsid_counts_against_the_udp_limit() {
    let mut config = identified();
    Arc::make_mut(&mut config.identity).nsid = vec![b'n'; MAX_IDENTITY_LEN];
    // big.example.'s TXT record is 469 bytes: with the header, the question and an OPT, 508;
    // with a 255-byte NSID too, 767. That fits in 1232 bytes, not in 600.
    let mut q = query_in("big.example.", RecordType::TXT, DNSClass::IN, true, true);
    let m = ask_with(&config, &q, Transport::Udp);
    assert!(!m.metadata.truncation);
    assert_eq!(nsid_of(&m).map(|n| n.len()), Some(MAX_IDENTITY_LEN));
    q = with_udp_size(q, 4, 600);
    let out = answer_bytes(&config, &Keyring::default(), &q, Transport::Udp);
    assert!(out.len() <= 600, "{} bytes", out.len());
    let m = Message::from_vec(&out).unwrap();
    assert!(m.metadata.truncation);
    assert_eq!(nsid_of(&m).map(|n| n.len()), Some(MAX_IDENTITY_LEN));
    let m = ask_with(&AnswerConfig::default(), &q, Transport::Udp);
    assert!(!m.metadata.truncation, "without an NSID it fits");
}

#[test]
fn malformed_queries_get_formerr_or_nothing() {
    // Too short for a header: dropped.
    assert!(ask(&[1, 2, 3], Transport::Udp).is_none());
    // A response: dropped, never answered.
    let mut q = query("www.example.", RecordType::A, None);
    q[2] |= 0x80;
    assert!(ask(&q, Transport::Udp).is_none());
    // Two questions: FORMERR.
    let mut q = query("www.example.", RecordType::A, None);
    q[5] = 2;
    let (_, m) = ask(&q, Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    // Question cut short: FORMERR.
    let q = query("www.example.", RecordType::A, None);
    let (_, m) = ask(&q[..q.len() - 3], Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
}

#[test]
fn two_opt_records_are_formerr() {
    let mut q = query("www.example.", RecordType::A, Some(1232));
    let opt = q[q.len() - 11..].to_vec();
    q.extend_from_slice(&opt);
    q[11] = 2; // ARCOUNT
    let (_, m) = ask(&q, Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
}

/// A fixed-seed generator (xorshift64): the same packets every run.
fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

#[test]
fn random_packets_never_panic() {
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let set = zones();
    let base = query("www.example.", RecordType::A, Some(1232));
    let mut out = Vec::new();
    for i in 0..20_000 {
        let mut p = base.clone();
        // Mutate a few bytes, sometimes cut or extend.
        for _ in 0..(next() % 6) {
            let at = (next() as usize) % p.len();
            p[at] = next() as u8;
        }
        match i % 4 {
            0 => p.truncate((next() as usize) % (p.len() + 1)),
            1 => p.extend((0..next() % 40).map(|_| next() as u8)),
            _ => {}
        }
        if p.len() > 2 {
            p[2] &= 0x7f; // keep it a query so that the answer path is exercised
            let keys = Keyring::default();
            respond(
                &set,
                &AnswerConfig::default(),
                &keys,
                &p,
                Transport::Udp,
                &mut out,
            );
            if !out.is_empty() {
                Message::from_vec(&out).expect("every response we send decodes");
            }
        }
    }
}

#[test]
fn random_transfer_requests_never_panic() {
    // Mutations of AXFR and IXFR requests through the TCP layer's first step and the transfer.
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let set = zones();
    let bases = [
        query("example.", RecordType::AXFR, Some(1232)),
        ixfr("example.", 3),
    ];
    let mut transfers = 0;
    for i in 0..20_000 {
        let mut p = bases[i % 2].clone();
        for _ in 0..(next() % 4) {
            let at = (next() as usize) % p.len();
            p[at] = next() as u8;
        }
        match i % 3 {
            0 => p.truncate((next() as usize) % (p.len() + 1)),
            1 => p.extend((0..next() % 40).map(|_| next() as u8)),
            _ => {}
        }
        if let Some(request) = transfer_request_default(&p) {
            transfers += 1;
            request.answer(request.zone(&set).map(|z| &**z), None, |msg| {
                Message::from_vec(msg).expect("every transfer message decodes");
                true
            });
        }
    }
    assert!(
        transfers > 1000,
        "only {transfers} mutated requests were transfers"
    );
}

#[test]
fn names_are_compressed() {
    // Header 12 + question 17 + answer (pointer 2 + type/class/ttl/len 10 + A 4) = 45 bytes.
    let (bytes, _) = ask(&query("www.example.", RecordType::A, None), Transport::Udp).unwrap();
    assert_eq!(bytes.len(), 45);
    // NXDOMAIN: the SOA owner and both SOA names point into the question.
    let (bytes, m) = ask(&query("nope.example.", RecordType::A, None), Transport::Udp).unwrap();
    let soa = m.authorities[0].to_string();
    assert!(soa.contains("ns.example. hostmaster.example. 7"), "{soa}");
    // 12 + 18 + owner ptr 2 + 10 + mname (ns + ptr: 5) + rname (hostmaster + ptr: 13) + 20 = 80.
    assert_eq!(bytes.len(), 80);
}

/// An IXFR query for `zone` from a client holding `serial` (its SOA in the authority section).
fn ixfr(zone: &str, serial: u32) -> Vec<u8> {
    use hickory_proto::rr::rdata::SOA;
    use hickory_proto::rr::Record;
    let name = HName::from_ascii(zone).unwrap();
    let mut m = Message::query();
    m.add_query(Query::query(name.clone(), RecordType::IXFR));
    let soa = SOA::new(name.clone(), name.clone(), serial, 0, 0, 0, 0);
    m.add_authority(Record::from_rdata(name, 0, RData::SOA(soa)));
    m.to_vec().unwrap()
}

/// Every message a transfer of `packet`'s request sends, decoded, and what it reported.
fn transfer(zones: &ZoneSet, packet: &[u8]) -> (Vec<Message>, Transferred) {
    let request = transfer_request_default(packet).expect("a transfer request");
    let mut msgs = Vec::new();
    let outcome = request.answer(request.zone(zones).map(|z| &**z), None, |raw| {
        assert!(raw.len() <= u16::MAX as usize);
        msgs.push(Message::from_vec(raw).expect("transfer message decodes"));
        true
    });
    (msgs, outcome)
}

/// [`transfer`] as asked over UDP ([`TransferRequest::over_udp`]); None for an AXFR.
fn transfer_over_udp(zones: &ZoneSet, packet: &[u8]) -> Option<(Vec<Message>, Transferred)> {
    let request = transfer_request_default(packet)?.over_udp()?;
    let mut msgs = Vec::new();
    let outcome = request.answer(request.zone(zones).map(|z| &**z), None, |raw| {
        msgs.push(Message::from_vec(raw).expect("message decodes"));
        true
    });
    Some((msgs, outcome))
}

#[test]
fn over_udp_an_ixfr_gets_the_soa_alone_whatever_the_client_holds() {
    let zones = zones();
    for (serial, outcome) in [
        (6, Transferred::AskOverTcp),
        (0xFFFF_FFF0, Transferred::AskOverTcp),
        (7 + (1 << 31), Transferred::AskOverTcp),
        (7, Transferred::UpToDate),
        (8, Transferred::UpToDate),
    ] {
        let (msgs, got) = transfer_over_udp(&zones, &ixfr("example.", serial)).unwrap();
        assert_eq!(got, outcome, "client serial {serial}");
        assert_eq!(msgs.len(), 1);
        let m = &msgs[0];
        assert!(m.metadata.authoritative && !m.metadata.truncation);
        assert_eq!(m.queries.len(), 1);
        assert_eq!(
            transferred_records(&msgs),
            ["example. 300 IN SOA ns.example. hostmaster.example. 7 3600 900 1209600 60"]
        );
        assert!(m.authorities.is_empty());
    }
    // No SOA in the authority section: the SOA alone too, not the zone.
    let bare = query("example.", RecordType::IXFR, None);
    let (msgs, got) = transfer_over_udp(&zones, &bare).unwrap();
    assert_eq!(got, Transferred::AskOverTcp);
    assert_eq!(transferred_records(&msgs).len(), 1);
    // Not a zone's apex: NOTAUTH. An AXFR: not answered here.
    let (msgs, got) = transfer_over_udp(&zones, &ixfr("www.example.", 7)).unwrap();
    assert_eq!(got, Transferred::NotServed);
    assert_eq!(msgs[0].metadata.response_code, ResponseCode::NotAuth);
    let axfr = query("example.", RecordType::AXFR, None);
    assert!(transfer_over_udp(&zones, &axfr).is_none());
}

#[test]
fn over_udp_an_soa_too_large_for_the_client_is_truncated() {
    // Names of 190 bytes: the SOA alone takes about 900 bytes.
    let long = |c: &str| [c.repeat(60).as_str(), &c.repeat(60), &c.repeat(60)].join(".");
    let origin = format!("{}.ex.", long("c"));
    let text = format!(
        "$ORIGIN {origin}\n$TTL 300\n@ SOA {}.mn. {}.rn. 7 3600 900 1209600 60\n@ NS ns\n\
         ns A 192.0.2.1\n",
        long("a"),
        long("b")
    );
    let name = Name::parse(&origin, None).unwrap();
    let entries = parse_zone_str(&text, Path::new("long.zone"), &name).unwrap();
    let mut zones = ZoneSet::new();
    zones.insert(Arc::new(Zone::from_records(&name, &entries)));
    let with_edns = |size: u16| {
        let mut m = Message::from_vec(&ixfr(&origin, 6)).unwrap();
        let mut e = Edns::new();
        e.set_max_payload(size);
        m.set_edns(e);
        m.to_vec().unwrap()
    };
    for (packet, fits) in [
        (ixfr(&origin, 6), false),
        (with_edns(512), false),
        (with_edns(1232), true),
    ] {
        let mut raw = Vec::new();
        let request = transfer_request_default(&packet)
            .unwrap()
            .over_udp()
            .unwrap();
        request.answer(request.zone(&zones).map(|z| &**z), None, |msg| {
            raw = msg.to_vec();
            true
        });
        let m = Message::from_vec(&raw).unwrap();
        assert_eq!(m.metadata.truncation, !fits, "{} bytes", raw.len());
        assert_eq!(m.answers.len(), usize::from(fits));
        assert_eq!(m.queries.len(), 1);
        assert!(
            raw.len() <= if fits { 1232 } else { 512 },
            "{} bytes",
            raw.len()
        );
    }
}

/// The answer records of all messages, in order, as presentation text.
fn transferred_records(msgs: &[Message]) -> Vec<String> {
    msgs.iter()
        .flat_map(|m| m.answers.iter().map(|r| r.to_string()))
        .collect()
}

/// A zone of `hosts` names with an A and a TXT record each, beside its SOA and NS.
fn hosts_zone(hosts: usize) -> ZoneSet {
    let origin = Name::parse("big.example.", None).unwrap();
    let mut text = String::from("$TTL 300\n@ SOA ns hostmaster 42 3600 900 1209600 60\n@ NS ns\n");
    for i in 0..hosts {
        text.push_str(&format!(
            "h{i} A 192.0.2.{}\nh{i} TXT \"host {i}\"\n",
            i % 250
        ));
    }
    let entries = parse_zone_str(&text, Path::new("big.zone"), &origin).unwrap();
    let mut set = ZoneSet::new();
    set.insert(Arc::new(Zone::from_records(&origin, &entries)));
    set
}

#[test]
fn axfr_sends_the_soa_first_and_last_and_every_other_record_once() {
    let zones = zones();
    let (msgs, outcome) = transfer(&zones, &query("Example.", RecordType::AXFR, None));
    let records = transferred_records(&msgs);
    let zone = zones.find(b"\x07example\x00").unwrap();
    assert_eq!(outcome, Transferred::Zone(zone.record_count() + 1));
    assert_eq!(records.len(), zone.record_count() + 1);
    assert!(records[0].contains("SOA"), "{}", records[0]);
    assert_eq!(records.first(), records.last());
    assert_eq!(records.iter().filter(|r| r.contains(" SOA ")).count(), 2);
    let mut middle = records[1..records.len() - 1].to_vec();
    let n = middle.len();
    middle.sort();
    middle.dedup();
    assert_eq!(middle.len(), n, "a record sent twice");
    assert!(
        middle
            .iter()
            .any(|r| r.starts_with("www.example. 300 IN A 192.0.2.2")),
        "{middle:?}"
    );
    let m = &msgs[0];
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.metadata.authoritative);
    assert_eq!(
        m.queries[0].name().to_string(),
        "Example.",
        "the question as asked"
    );
    assert!(
        records.iter().all(|r| r.contains("example. ")),
        "the records keep the zone's case"
    );
}

#[test]
fn a_large_zone_goes_in_several_messages_with_the_question_in_the_first() {
    let zones = hosts_zone(2000);
    let (msgs, outcome) = transfer(&zones, &query("big.example.", RecordType::AXFR, Some(1232)));
    assert_eq!(outcome, Transferred::Zone(2 * 2000 + 3));
    assert!(msgs.len() > 3, "{} messages", msgs.len());
    assert_eq!(msgs[0].queries.len(), 1);
    for m in &msgs {
        assert_eq!(m.metadata.id, msgs[0].metadata.id);
        assert!(m.metadata.authoritative);
        let edns = m
            .edns
            .as_ref()
            .expect("an EDNS query gets an OPT in every message");
        assert_eq!(
            edns.max_payload(),
            1232,
            "our UDP size, as answers advertise"
        );
    }
    assert!(msgs[1..].iter().all(|m| m.queries.is_empty()));
    let mut records = transferred_records(&msgs);
    assert_eq!(records.len(), 2 * 2000 + 3);
    // Every record, names and all, decoded from the messages: a compression pointer into an
    // earlier message would decode to another name or not at all.
    records.sort();
    records.dedup();
    let mut want: Vec<String> = (0..2000)
        .flat_map(|i| {
            [
                format!("h{i}.big.example. 300 IN A 192.0.2.{}", i % 250),
                format!("h{i}.big.example. 300 IN TXT host {i}"),
            ]
        })
        .chain([
            "big.example. 300 IN NS ns.big.example.".to_string(),
            "big.example. 300 IN SOA ns.big.example. hostmaster.big.example. 42 3600 900 1209600 60"
                .to_string(),
        ])
        .collect();
    want.sort();
    assert_eq!(records, want);
}

#[test]
fn ixfr_without_a_history_gets_the_whole_zone_unless_the_client_is_current() {
    let zones = zones();
    let whole = zones.find(b"\x07example\x00").unwrap().record_count() + 1;
    let (msgs, outcome) = transfer(&zones, &ixfr("example.", 6));
    assert_eq!(outcome, Transferred::Zone(whole));
    assert_eq!(transferred_records(&msgs).len(), whole);
    // Older by RFC 1982 serial arithmetic, though larger as numbers; and 2^31 apart, which
    // compares as neither.
    for serial in [0xFFFF_FFF0, 7 + (1 << 31) + 1, 7 + (1 << 31)] {
        let (_, outcome) = transfer(&zones, &ixfr("example.", serial));
        assert_eq!(outcome, Transferred::Zone(whole), "client serial {serial}");
    }
    // An SOA elsewhere than in the authority section is not the client's serial.
    let mut misplaced = ixfr("example.", 7);
    misplaced[8..12].copy_from_slice(&[0, 0, 0, 1]); // NSCOUNT 0, ARCOUNT 1
    let (_, outcome) = transfer(&zones, &misplaced);
    assert_eq!(outcome, Transferred::Zone(whole));
    for serial in [7, 8, 7 + (1 << 31) - 1] {
        let (msgs, outcome) = transfer(&zones, &ixfr("example.", serial));
        assert_eq!(outcome, Transferred::UpToDate);
        let records = transferred_records(&msgs);
        assert_eq!(records.len(), 1);
        assert!(
            records[0].contains(" SOA ") && records[0].contains(" 7 "),
            "{}",
            records[0]
        );
    }
}

/// `set`'s big.example after the edit `batch`, serial raised by one, as the server serves it:
/// with the difference in its history.
fn edited(set: &ZoneSet, batch: &str) -> ZoneSet {
    use crate::zone::update::{update, Context};
    let origin = Name::parse("big.example.", None).unwrap();
    let old = set.get(&origin).unwrap();
    let cx = Context {
        file: Path::new("big.zone"),
        default_ttl: 300,
        included: &[],
    };
    let ops = crate::zone::edit::parse_batch(batch, &origin).unwrap();
    let u = update(old, &ops, &cx, |s| s + 1).unwrap();
    let mut next = set.clone();
    next.insert(Arc::new(u.zone.succeeding_edit(old, &u.touched, None)));
    next
}

/// [`hosts_zone`] as served after a first edit (serial 43), which gives the name server its
/// address: the differences from there on are kept (not from the serial a zone is loaded with).
fn served_hosts_zone(hosts: usize) -> ZoneSet {
    edited(&hosts_zone(hosts), "add ns A 192.0.2.53\n")
}

#[test]
fn a_long_difference_goes_in_several_messages() {
    let v1 = served_hosts_zone(2000);
    let batch: String = (0..1000)
        .map(|i| format!("add n{i} TXT \"new {i}\"\n"))
        .collect();
    let v2 = edited(&v1, &batch);
    let (msgs, outcome) = transfer(&v2, &ixfr("big.example.", 43));
    assert_eq!(
        outcome,
        Transferred::Increments {
            from: 43,
            to: 44,
            diffs: 1,
            records: 1004
        }
    );
    assert!(msgs.len() > 1, "{} messages", msgs.len());
    assert_eq!(msgs[0].queries.len(), 1);
    assert!(msgs[1..].iter().all(|m| m.queries.is_empty()));
    let records = transferred_records(&msgs);
    let soa = |serial| {
        format!("big.example. 300 IN SOA ns.big.example. hostmaster.big.example. {serial} 3600 900 1209600 60")
    };
    assert_eq!(records[..3], [soa(44), soa(43), soa(44)]);
    assert_eq!(records[1003], soa(44));
    let mut added = records[3..1003].to_vec();
    added.sort();
    let mut want: Vec<String> = (0..1000)
        .map(|i| format!("n{i}.big.example. 300 IN TXT new {i}"))
        .collect();
    want.sort();
    assert_eq!(added, want);
    // From serial 44, nothing; from 42, the serial it was loaded with, the whole zone.
    assert_eq!(
        transfer(&v2, &ixfr("big.example.", 44)).1,
        Transferred::UpToDate
    );
    assert_eq!(
        transfer(&v2, &ixfr("big.example.", 42)).1,
        Transferred::Zone(2 * 2000 + 1001 + 3)
    );
}

#[test]
fn differences_no_smaller_than_the_zone_send_the_zone() {
    let v1 = served_hosts_zone(300);
    // 603 records; after h0's two removed and 299 TXT records changed (a removal and an
    // addition each), 601, and the difference holds 602 with its two SOAs.
    let changes: String = (1..300)
        .map(|i| format!("set h{i} TXT \"changed {i}\"\n"))
        .collect();
    let v2 = edited(&v1, &format!("del h0 A\ndel h0 TXT\n{changes}"));
    let (_, outcome) = transfer(&v2, &ixfr("big.example.", 43));
    assert_eq!(outcome, Transferred::Zone(601 + 1));
    // With h0 kept, the difference (600) is smaller than the zone (603).
    let v2 = edited(&v1, &changes);
    let (_, outcome) = transfer(&v2, &ixfr("big.example.", 43));
    assert_eq!(
        outcome,
        Transferred::Increments {
            from: 43,
            to: 44,
            diffs: 1,
            records: 600 + 2
        }
    );
}

#[test]
fn a_transfer_of_a_name_that_is_no_zone_apex_is_notauth() {
    for name in ["www.example.", "other.test."] {
        let (msgs, outcome) = transfer(&zones(), &query(name, RecordType::AXFR, None));
        assert_eq!(outcome, Transferred::NotServed);
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].metadata.response_code, ResponseCode::NotAuth);
        assert!(msgs[0].answers.is_empty());
    }
}

#[test]
fn a_transfer_stops_when_the_client_goes_away() {
    let zones = hosts_zone(2000);
    let packet = query("big.example.", RecordType::AXFR, None);
    let request = transfer_request_default(&packet).unwrap();
    let mut sent = 0;
    let outcome = request.answer(request.zone(&zones).map(|z| &**z), None, |_| {
        sent += 1;
        sent < 2
    });
    assert_eq!(outcome, Transferred::Cut);
    assert_eq!(sent, 2);
}

#[test]
fn only_standard_in_class_transfers_are_transfer_requests() {
    assert!(transfer_request_default(&query("example.", RecordType::AXFR, None)).is_some());
    assert!(transfer_request_default(&ixfr("example.", 1)).is_some());
    assert!(transfer_request_default(&query("example.", RecordType::SOA, None)).is_none());
    let mut q = query("example.", RecordType::AXFR, None);
    let n = q.len();
    q[n - 1] = 3; // class CH
    assert!(transfer_request_default(&q).is_none());
}

#[test]
fn a_notify_names_the_zone_and_carries_its_new_soa() {
    let zones = zones();
    let zone = zones.find(b"\x07example\x00").unwrap();
    let raw = notify_message(0x1234, zone).unwrap();
    let m = Message::from_vec(&raw).expect("NOTIFY decodes");
    assert_eq!(m.metadata.id, 0x1234);
    assert_eq!(m.metadata.op_code, OpCode::Notify);
    assert_eq!(m.metadata.message_type, MessageType::Query);
    assert!(m.metadata.authoritative);
    assert_eq!(m.queries[0].name().to_string(), "example.");
    assert_eq!(m.queries[0].query_type(), RecordType::SOA);
    assert_eq!(m.answers.len(), 1);
    match &m.answers[0].data {
        RData::SOA(soa) => assert_eq!(soa.serial, 7),
        other => panic!("not an SOA: {other:?}"),
    }
    assert_eq!(m.answers[0].name.to_string(), "example.");
}

#[test]
fn only_a_response_to_our_notify_is_its_reply() {
    let zones = zones();
    let zone = zones.find(b"\x07example\x00").unwrap();
    let mut raw = notify_message(77, zone).unwrap();
    assert_eq!(notify_reply(&raw, 77), None, "our own request is no reply");
    raw[2] |= 0x80; // QR
    assert_eq!(notify_reply(&raw, 77), Some(0));
    assert_eq!(notify_reply(&raw, 78), None, "another ID");
    raw[3] |= 5; // REFUSED
    assert_eq!(notify_reply(&raw, 77), Some(5));
    let (answer, _) = ask(&query("example.", RecordType::SOA, None), Transport::Udp).unwrap();
    let id = u16::from_be_bytes([answer[0], answer[1]]);
    assert_eq!(notify_reply(&answer, id), None, "a query's answer");
    assert_eq!(notify_reply(&[0, 77], 77), None);
}

/// A keyring with `xfr.example.` (HMAC-SHA256).
fn tsig_keys() -> Keyring {
    let mut keys = Keyring::default();
    let name = Name::parse("xfr.example.", None).unwrap();
    keys.add(
        tsig::Key::new(&name, tsig::Algorithm::HmacSha256, b"a shared secret"),
        Path::new("t.key"),
    )
    .unwrap();
    keys
}

/// `packet` signed now with `keys`' only key.
fn signed(mut packet: Vec<u8>, keys: &Keyring) -> Vec<u8> {
    let name = Name::parse("xfr.example.", None).unwrap();
    tsig::Signer::request(keys.get(&name).unwrap().clone(), tsig::now()).sign(&mut packet);
    packet
}

/// The TSIG record ending `msg`, which must have one: its last record.
fn tsig_of(msg: &[u8]) -> tsig::Record<'_> {
    let at = tsig::last_record_start(msg).expect("a last record");
    tsig::Record::parse(msg, at).expect("a TSIG record last")
}

/// The answer over UDP, with the default settings, of a server holding `keys`.
fn answer_signed_udp(keys: &Keyring, packet: &[u8]) -> Vec<u8> {
    answer_bytes(&AnswerConfig::default(), keys, packet, Transport::Udp)
}

#[test]
fn a_signed_query_gets_a_signed_answer_and_a_bad_key_notauth() {
    let keys = tsig_keys();
    let q = signed(query("www.example.", RecordType::A, Some(1232)), &keys);
    let out = answer_signed_udp(&keys, &q);
    let m = Message::from_vec(&out).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!(m.answers.len(), 1);
    let rec = tsig_of(&out);
    assert_eq!((rec.error, rec.mac.len()), (0, 32));
    // Unknown to a server without the key: NOTAUTH, BADKEY, unsigned.
    let out = answer_signed_udp(&Keyring::default(), &q);
    let m = Message::from_vec(&out).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NotAuth);
    assert!(m.answers.is_empty());
    let rec = tsig_of(&out);
    assert_eq!((rec.error, rec.mac.len()), (tsig::BADKEY, 0));
    // A changed byte: BADSIG.
    let mut changed = q.clone();
    changed[14] ^= 0x01;
    assert_eq!(
        tsig_of(&answer_signed_udp(&keys, &changed)).error,
        tsig::BADSIG
    );
}

#[test]
fn a_signed_answer_keeps_room_for_its_signature_under_the_udp_limit() {
    let keys = tsig_keys();
    // 12 TXT records of 2 kB: truncated at 512 bytes without EDNS, TSIG included.
    let q = signed(query("many.example.", RecordType::TXT, None), &keys);
    let out = answer_signed_udp(&keys, &q);
    assert!(out.len() <= 512, "{} bytes", out.len());
    assert!(Message::from_vec(&out).unwrap().metadata.truncation);
    assert_eq!(tsig_of(&out).error, 0);
}

#[test]
fn a_tsig_record_anywhere_but_last_is_formerr() {
    let keys = tsig_keys();
    let mut q = signed(query("www.example.", RecordType::A, None), &keys);
    // An OPT after the TSIG record.
    q[11] += 1;
    q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    let m = Message::from_vec(&answer_signed_udp(&keys, &q)).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
}

#[test]
fn errors_to_signed_requests_are_signed_once_the_request_is_read() {
    let keys = tsig_keys();
    // A signed NOTIFY or UPDATE to zonectl: NOTIMP, signed.
    for opcode in [4u8, 5] {
        let mut q = query("www.example.", RecordType::SOA, None);
        q[2] |= opcode << 3;
        let q = signed(q, &keys);
        let out = answer_signed_udp(&keys, &q);
        assert_eq!(out[3] & 0xF, 4, "NOTIMP for opcode {opcode}");
        let rec = tsig_of(&out);
        assert_eq!((rec.error, rec.mac.len()), (0, 32), "opcode {opcode}");
        // Without the key: NOTAUTH, BADKEY.
        let out = answer_signed_udp(&Keyring::default(), &q);
        assert_eq!(out[3] & 0xF, 9);
        assert_eq!(tsig_of(&out).error, tsig::BADKEY);
    }
    // A query with an answer section: FORMERR, signed.
    let mut q = query("www.example.", RecordType::A, None);
    q[7] = 1; // ANCOUNT
    q.extend_from_slice(&[0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    let out = answer_signed_udp(&keys, &signed(q, &keys));
    assert_eq!(out[3] & 0xF, 1, "FORMERR");
    assert_eq!(tsig_of(&out).mac.len(), 32);
}

#[test]
fn a_signed_transfer_signs_every_message_and_refusals_name_the_error() {
    let keys = tsig_keys();
    let zones = hosts_zone(2000);
    let packet = signed(query("big.example.", RecordType::AXFR, None), &keys);
    let request = transfer_request_default(&packet).unwrap();
    let Signature::Signed(signer) = request.verify(&keys, tsig::now()) else {
        panic!("not verified");
    };
    let mut macs = Vec::new();
    let outcome = request.answer(request.zone(&zones).map(|z| &**z), Some(signer), |raw| {
        assert!(raw.len() <= u16::MAX as usize);
        let rec = tsig_of(raw);
        assert_eq!(rec.error, 0);
        macs.push(rec.mac.to_vec());
        true
    });
    assert!(matches!(outcome, Transferred::Zone(_)));
    assert!(macs.len() > 2, "{} messages", macs.len());
    let sent = macs.len();
    macs.sort();
    macs.dedup();
    assert_eq!(macs.len(), sent, "each message its own MAC");
    // Unsigned: no signature to check.
    let plain = query("big.example.", RecordType::AXFR, None);
    let plain = transfer_request_default(&plain).unwrap();
    assert!(matches!(plain.verify(&keys, 0), Signature::Unsigned));
    // An unknown key: NOTAUTH with BADKEY.
    let Signature::Refused(refusal) = request.verify(&Keyring::default(), tsig::now()) else {
        panic!("verified without the key");
    };
    let mut out = Vec::new();
    request.refuse_signature(refusal, &mut out, tsig::now());
    let m = Message::from_vec(&out).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NotAuth);
    assert_eq!(tsig_of(&out).error, tsig::BADKEY);
    // A TSIG record that cannot be read.
    let mut broken = packet.clone();
    let n = broken.len();
    broken[n - 1] = 9; // other length, past the end of the record
    let broken = transfer_request_default(&broken).unwrap();
    assert!(matches!(broken.verify(&keys, 0), Signature::Malformed));
}

/// [`transfer_request`] with the default answer settings.
fn transfer_request_default(packet: &[u8]) -> Option<TransferRequest<'_>> {
    transfer_request(packet, &AnswerConfig::default())
}

/// `example.` delegating `child.example.` (with a DS) and `nods.example.` (without), both
/// child zones served here too.
fn parent_and_children() -> ZoneSet {
    let mut set = ZoneSet::new();
    for (origin, text) in [
        (
            "example.",
            "$TTL 300\n@ SOA ns hostmaster 7 3600 900 1209600 60\n@ NS ns\nns A 192.0.2.1\n\
             child NS ns.child\nns.child A 192.0.2.2\n\
             child 3600 DS 54321 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE6BB4C49EBB9C54D5DEA7B5EB\n\
             nods NS ns\n",
        ),
        (
            "child.example.",
            "$TTL 300\n@ 60 SOA ns hostmaster 1 3600 900 1209600 60\n@ NS ns\nns A 192.0.2.2\n",
        ),
        (
            "nods.example.",
            "$TTL 300\n@ 60 SOA ns hostmaster 1 3600 900 1209600 30\n@ NS ns.example.\n",
        ),
    ] {
        let origin = Name::parse(origin, None).unwrap();
        let entries = parse_zone_str(text, Path::new("t.zone"), &origin).unwrap();
        set.insert(Arc::new(Zone::from_records(&origin, &entries)));
    }
    set
}

fn ask_in(set: &ZoneSet, name: &str, t: RecordType) -> Message {
    let mut out = Vec::new();
    let q = query(name, t, Some(1232));
    assert!(respond(
        set,
        &AnswerConfig::default(),
        &Keyring::default(),
        &q,
        Transport::Udp,
        &mut out
    ));
    Message::from_vec(&out).expect("response decodes")
}

#[test]
fn ds_at_a_cut_is_answered_by_the_parent_when_both_zones_are_served() {
    let set = parent_and_children();
    // RFC 4035 §3.1.4.1: the DS record is the parent's, not the child apex's.
    let m = ask_in(&set, "child.example.", RecordType::DS);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.metadata.authoritative);
    assert_eq!(m.answers.len(), 1);
    assert_eq!(m.answers[0].record_type(), RecordType::DS);
    assert_eq!(m.answers[0].ttl, 3600);
    // No DS at the cut: the parent's NODATA, with the parent's SOA.
    let m = ask_in(&set, "NoDs.Example.", RecordType::DS);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert!(m.answers.is_empty());
    let soa = &m.authorities[0];
    assert_eq!(soa.name.to_lowercase().to_string(), "example.");
    assert_eq!(soa.record_type(), RecordType::SOA);
    // Every other type at the child apex is the child's.
    let m = ask_in(&set, "child.example.", RecordType::SOA);
    assert_eq!(m.answers[0].name.to_string(), "child.example.");
    assert_eq!(m.answers[0].ttl, 60);
    let m = ask_in(&set, "child.example.", RecordType::NS);
    assert!(m.metadata.authoritative, "the child answers its own NS");
    assert_eq!(m.answers.len(), 1);
    // Without the parent, the child apex answers for DS itself: NODATA with its SOA.
    let mut alone = ZoneSet::new();
    alone.insert(
        set.get(&Name::parse("child.example.", None).unwrap())
            .unwrap()
            .clone(),
    );
    let m = ask_in(&alone, "child.example.", RecordType::DS);
    assert!(m.answers.is_empty());
    assert_eq!(m.authorities[0].name.to_string(), "child.example.");
    // The root zone has no parent to defer to: it answers for its own apex.
    let root = Name::parse(".", None).unwrap();
    let entries = parse_zone_str(
        "@ 60 SOA a. b. 1 2 3 4 5\n@ 60 NS a.\n",
        Path::new("root.zone"),
        &root,
    )
    .unwrap();
    let mut with_root = set.clone();
    with_root.insert(Arc::new(Zone::from_records(&root, &entries)));
    let m = ask_in(&with_root, ".", RecordType::DS);
    assert!(m.metadata.authoritative && m.answers.is_empty());
    assert_eq!(m.authorities[0].name.to_string(), ".");
    // With the root served, `example.`'s DS is the root's to answer (here: NODATA).
    let m = ask_in(&with_root, "example.", RecordType::DS);
    assert_eq!(m.authorities[0].name.to_string(), ".");
}

/// `query(...)` for www.example. A with EDNS, its OPT's RDATA replaced by `options`.
fn query_with_options(options: &[u8]) -> Vec<u8> {
    let mut q = query("www.example.", RecordType::A, Some(1232));
    let rdlen = q.len() - 2;
    q[rdlen..].copy_from_slice(&(options.len() as u16).to_be_bytes());
    q.extend_from_slice(options);
    q
}

#[test]
fn errors_to_queries_with_edns_keep_an_opt_record() {
    // RFC 6891 §7: a FORMERR to a query with an OPT carries an OPT, so the client can tell a
    // format error from a server without EDNS.
    let with_opt = query("www.example.", RecordType::A, Some(1232));
    let opt = with_opt[with_opt.len() - 11..].to_vec();
    // No question.
    let mut no_question = with_opt[..12].to_vec();
    no_question[5] = 0; // QDCOUNT
    no_question.extend_from_slice(&opt);
    // Two questions.
    let mut two = with_opt[..with_opt.len() - 11].to_vec();
    two[5] = 2;
    two.extend_from_slice(&with_opt[12..with_opt.len() - 11]);
    two.extend_from_slice(&opt);
    // Two OPT records.
    let mut two_opts = with_opt.clone();
    two_opts.extend_from_slice(&opt);
    two_opts[11] = 2;
    // An option whose length runs past the RDATA: code 10 (cookie), length 8, 3 bytes.
    let bad_option = query_with_options(&[0, 10, 0, 8, 1, 2, 3]);
    // An option header cut short.
    let cut_header = query_with_options(&[0, 10, 0]);
    for (what, q) in [
        ("no question", no_question),
        ("two questions", two),
        ("two OPT records", two_opts),
        ("an option longer than the RDATA", bad_option),
        ("an option header cut short", cut_header),
    ] {
        let (_, m) = ask(&q, Transport::Udp).unwrap();
        assert_eq!(m.metadata.response_code, ResponseCode::FormErr, "{what}");
        assert!(m.edns.is_some(), "{what}: the FORMERR has no OPT");
    }
    // Without EDNS in the query, none in the error.
    let mut plain = query("www.example.", RecordType::A, None);
    plain[5] = 0;
    plain.truncate(12);
    let (_, m) = ask(&plain, Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::FormErr);
    assert!(m.edns.is_none());
}

#[test]
fn well_formed_options_are_answered_whatever_they_are() {
    // Unknown options are ignored (RFC 6891 §6.1.2): NSID asked for, a cookie, an unknown
    // code with no data, and one with data.
    let options = [
        &[0, 3, 0, 0][..],
        &[0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8],
        &[0xFD, 0xE9, 0, 0],
        &[0xFD, 0xEA, 0, 2, 9, 9],
    ]
    .concat();
    let (_, m) = ask(&query_with_options(&options), Transport::Udp).unwrap();
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!(m.answers.len(), 1);
    assert!(m.edns.is_some());
}

#[test]
fn any_over_udp_is_answered_with_an_rrset_that_fits() {
    // RFC 8482: one RRset of the name. A 1.5 kB TXT RRset written first would not fit in 512
    // bytes and send the client to TCP; the address does.
    let origin = Name::parse("example.", None).unwrap();
    let mut text = String::from(
        "$TTL 300\n@ SOA ns hostmaster 7 3600 900 1209600 60\n@ NS ns\nns A 192.0.2.1\n",
    );
    for i in 0..6 {
        text.push_str(&format!("mixed TXT \"{i}{}\"\n", "t".repeat(250)));
    }
    text.push_str("mixed A 192.0.2.9\n");
    let entries = parse_zone_str(&text, Path::new("t.zone"), &origin).unwrap();
    let mut set = ZoneSet::new();
    set.insert(Arc::new(Zone::from_records(&origin, &entries)));
    let m = ask_in(&set, "mixed.example.", RecordType::ANY);
    assert!(!m.metadata.truncation, "{m:?}");
    assert_eq!(m.answers.len(), 1, "{m:?}");
    assert_eq!(m.answers[0].data, RData::A("192.0.2.9".parse().unwrap()));
}
