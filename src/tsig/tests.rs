use super::*;

/// Messages signed by dnspython 2.3 (an independent TSIG implementation) with the key below at
/// time [`T`]: an SOA query, the first message of the response, and a second message of the same
/// stream. Made by:
///
/// ```text
/// time.time = lambda: 1764000000.0
/// q = dns.message.make_query("apple.example.", "SOA", use_edns=False); q.id = 0x1234; q.flags = 0
/// q.use_tsig(ring, "xfr.example."); wq = q.to_wire()
/// r1 = dns.message.make_response(dns.message.from_wire(wq, keyring=ring)); r1.flags |= AA
/// r1.answer.append(<apple.example. SOA>); w1 = r1.to_wire(multi=True)
/// r2 = dns.message.Message(id=q.id); r2.flags = r1.flags; r2.answer.append(<www A 192.0.2.1>)
/// r2.use_tsig(ring, "xfr.example."); w2 = r2.to_wire(multi=True, tsig_ctx=r1.tsig_ctx)
/// ```
const QUERY: &str = "123400000001000000000001056170706c65076578616d706c65000006000103786672c01200fa00ff00000000003d0b686d61632d73686132353600000069248100012c002045641d91007ef02dca1370b2c78462e88b34fbc110a26247e7fa86d105a029f9123400000000";
const FIRST: &str = "123484000001000100000001056170706c65076578616d706c650000060001c00c0006000100000e100027036e7331c00c0a686f73746d6173746572c00c78c4078500000e1000000384001275000000012c03786672c01200fa00ff00000000003d0b686d61632d73686132353600000069248100012c0020735ed9838370d93f99ed9fee87bf2ee19c66640c9bb67166d113b60281b8b44c123400000000";
const SECOND: &str = "12348400000000010000000103777777056170706c65076578616d706c6500000100010000012c0004c000020103786672c01600fa00ff00000000003d0b686d61632d73686132353600000069248100012c0020e07008d3bffa37bff0c41eb05300a3b3de5333dc6b1661bce24986b574c96ca0123400000000";
const T: u64 = 1_764_000_000;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn name(s: &str) -> Name {
    Name::parse(s, Some(&Name::root())).unwrap()
}

fn ring_with(secret: &[u8]) -> Keyring {
    let mut ring = Keyring::default();
    ring.add(
        Key::new(&name("xfr.example."), Algorithm::HmacSha256, secret),
        Path::new("t.key"),
    )
    .unwrap();
    ring
}

fn secret() -> Vec<u8> {
    (0u8..32).collect()
}

/// The TSIG record at the end of `msg`.
fn last_record(msg: &[u8]) -> Record<'_> {
    let at = last_record_start(msg).expect("a last record");
    Record::parse(msg, at).expect("a TSIG record")
}

/// `msg` without its TSIG record, as it was before signing.
fn unsigned(msg: &[u8]) -> Vec<u8> {
    let rec = last_record(msg);
    let mut out = msg[..rec.start].to_vec();
    let ar = u16::from_be_bytes([out[10], out[11]]) - 1;
    out[10..12].copy_from_slice(&ar.to_be_bytes());
    out
}

#[test]
fn a_request_signed_by_dnspython_verifies() {
    let query = hex(QUERY);
    let rec = last_record(&query);
    assert_eq!(rec.key_name, name("xfr.example."));
    assert_eq!(rec.time_signed, T);
    let ring = ring_with(&secret());
    let signer = verify_request(&query, &rec, &ring, T + 10).unwrap_or_else(|r| {
        panic!("refused: {}", r.reason());
    });
    assert_eq!(signer.key().name(), &name("xfr.example."));
}

#[test]
fn our_responses_carry_the_macs_dnspython_computes_for_a_stream() {
    let query = hex(QUERY);
    let ring = ring_with(&secret());
    let Ok(mut signer) = verify_request(&query, &last_record(&query), &ring, T) else {
        panic!("refused");
    };
    for theirs in [hex(FIRST), hex(SECOND)] {
        let mut ours = unsigned(&theirs);
        signer.sign(&mut ours);
        let (a, b) = (last_record(&ours), last_record(&theirs));
        assert_eq!(a.mac, b.mac, "MAC of message {}", hex_of(&theirs));
        assert_eq!((a.time_signed, a.error, a.original_id), (T, 0, 0x1234));
        assert_eq!(u16::from_be_bytes([ours[10], ours[11]]), 1, "ARCOUNT");
        // The record is the last thing in the message: re-read from its start, it ends there.
        let rdlen_at = read_compressed(&ours, a.start).unwrap().1 + 8;
        let rdlen = u16::from_be_bytes([ours[rdlen_at], ours[rdlen_at + 1]]) as usize;
        assert_eq!(rdlen_at + 2 + rdlen, ours.len());
    }
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn a_wrong_secret_a_changed_byte_or_a_wrong_truncated_mac_is_badsig() {
    let query = hex(QUERY);
    let wrong = ring_with(b"another secret");
    let refusal =
        |packet: &[u8], ring: &Keyring| match verify_request(packet, &last_record(packet), ring, T)
        {
            Ok(_) => panic!("verified"),
            Err(r) => r.error,
        };
    assert_eq!(refusal(&query, &wrong), BADSIG);
    let ring = ring_with(&secret());
    let mut changed = query.clone();
    changed[17] ^= 0x20; // a letter of the question's name, in the other case
    assert_eq!(refusal(&changed, &ring), BADSIG);
    // The header's ID is not what was signed but the record's original ID (RFC 8945 §4.3.1:
    // a forwarder may change the ID).
    let mut changed_id = query.clone();
    changed_id[1] ^= 1;
    assert!(verify_request(&changed_id, &last_record(&changed_id), &ring, T).is_ok());
    // A wrong MAC shortened to a length truncation allows: still BADSIG.
    let mut wrong = query.clone();
    let mac_end = last_record(&query).start + 6 + 10 + 13 + 10 + 32;
    wrong[mac_end - 32] ^= 1; // the first byte of the MAC
    assert_eq!(refusal(&with_mac_len(&wrong, 31), &ring), BADSIG);
}

/// `query` (the dnspython vector, MAC size 32) with its MAC cut or padded to `len` bytes.
fn with_mac_len(query: &[u8], len: usize) -> Vec<u8> {
    let rr = read_compressed(query, last_record(query).start).unwrap().1;
    // After type, class, TTL and RDLENGTH: the algorithm (13 bytes), time (6) and fudge (2).
    let size_at = rr + 10 + 13 + 8;
    assert_eq!(&query[size_at..size_at + 2], &[0, 32]);
    let mut out = query[..size_at].to_vec();
    out.extend_from_slice(&(len as u16).to_be_bytes());
    let mac = &query[size_at + 2..size_at + 2 + 32];
    out.extend((0..len).map(|i| mac.get(i).copied().unwrap_or(0)));
    out.extend_from_slice(&query[size_at + 2 + 32..]);
    let rdlen = u16::from_be_bytes([out[rr + 8], out[rr + 9]]) as usize + len - 32;
    out[rr + 8..rr + 10].copy_from_slice(&(rdlen as u16).to_be_bytes());
    out
}

#[test]
fn mac_lengths_follow_rfc_8945_truncation_rules() {
    let query = hex(QUERY);
    let ring = ring_with(&secret());
    let verdict = |packet: &[u8]| match verify_request(packet, &last_record(packet), &ring, T) {
        Ok(_) => (0, 0),
        Err(r) => (r.rcode(), r.error),
    };
    assert_eq!(
        verdict(&with_mac_len(&query, 32)),
        (0, 0),
        "whole: verified"
    );
    // A true MAC cut to 16..=31 bytes verifies, and is refused as truncated: NOTAUTH, BADTRUNC.
    for len in [16, 31] {
        assert_eq!(
            verdict(&with_mac_len(&query, len)),
            (9, BADTRUNC),
            "{len} bytes"
        );
    }
    // Shorter than half the hash, or longer than it: FORMERR (§5.2.2.1).
    for len in [0, 10, 15, 33, 64] {
        assert_eq!(verdict(&with_mac_len(&query, len)), (1, 0), "{len} bytes");
    }
    // BADTRUNC is answered signed; FORMERR carries no TSIG record.
    let cut = with_mac_len(&query, 20);
    let Err(refusal) = verify_request(&cut, &last_record(&cut), &ring, T) else {
        panic!("verified");
    };
    let mut msg = unsigned(&hex(FIRST));
    refusal.finish(&mut msg, T);
    let back = last_record(&msg);
    assert_eq!((back.error, back.mac.len()), (BADTRUNC, 32));
    let long = with_mac_len(&query, 33);
    let Err(refusal) = verify_request(&long, &last_record(&long), &ring, T) else {
        panic!("verified");
    };
    let mut msg = unsigned(&hex(FIRST));
    let before = msg.clone();
    refusal.finish(&mut msg, T);
    assert_eq!(msg, before, "no TSIG record with FORMERR");
}

#[test]
fn an_unknown_key_or_algorithm_is_badkey_and_the_answer_unsigned() {
    let query = hex(QUERY);
    let mut ring = Keyring::default();
    ring.add(
        Key::new(&name("other.example."), Algorithm::HmacSha256, &secret()),
        Path::new("t.key"),
    )
    .unwrap();
    let rec = last_record(&query);
    let Err(refusal) = verify_request(&query, &rec, &ring, T) else {
        panic!("verified");
    };
    assert_eq!(refusal.error, BADKEY);
    let mut msg = unsigned(&hex(FIRST));
    refusal.finish(&mut msg, T + 5);
    let back = last_record(&msg);
    assert_eq!((back.error, back.mac.len()), (BADKEY, 0));
    assert_eq!(back.key_name, name("xfr.example."));
    // The right name with another algorithm is no better.
    let mut ring = Keyring::default();
    ring.add(
        Key::new(&name("xfr.example."), Algorithm::HmacSha512, &secret()),
        Path::new("t.key"),
    )
    .unwrap();
    assert!(matches!(
        verify_request(&query, &rec, &ring, T),
        Err(Refusal { error: BADKEY, .. })
    ));
}

#[test]
fn a_request_outside_the_fudge_is_badtime_signed_with_our_clock() {
    let query = hex(QUERY);
    let ring = ring_with(&secret());
    let rec = last_record(&query);
    assert!(verify_request(&query, &rec, &ring, T + 300).is_ok());
    assert!(verify_request(&query, &rec, &ring, T - 300).is_ok());
    for now in [T + 301, T - 301] {
        let Err(refusal) = verify_request(&query, &rec, &ring, now) else {
            panic!("verified at {now}");
        };
        assert_eq!(refusal.error, BADTIME);
        let mut msg = unsigned(&hex(FIRST));
        refusal.finish(&mut msg, now);
        let back = last_record(&msg);
        assert_eq!(back.error, BADTIME);
        assert_eq!(back.time_signed, T, "the request's time");
        assert_eq!(back.other, &now.to_be_bytes()[2..], "our time");
        assert_eq!(back.mac.len(), 32, "signed");
    }
}

#[test]
fn a_reply_to_our_signed_request_is_checked_against_its_signature() {
    // The client's side: sign the query as dnspython did, then check dnspython's answer.
    let ring = ring_with(&secret());
    let key = ring.get(&name("xfr.example.")).unwrap().clone();
    let mut request = unsigned(&hex(QUERY));
    let mut signer = Signer::request(key, T);
    signer.sign(&mut request);
    let answer = hex(FIRST);
    assert!(signer.verifies_reply(&answer, T + 5));
    let mut changed = answer.clone();
    changed[20] ^= 1;
    assert!(!signer.verifies_reply(&changed, T), "a changed byte");
    assert!(!signer.verifies_reply(&unsigned(&answer), T), "unsigned");
    assert!(
        !signer.verifies_reply(&answer, T + 301),
        "outside the fudge"
    );
    let other = ring_with(b"another secret");
    let mut theirs = Signer::request(other.get(&name("xfr.example.")).unwrap().clone(), T);
    theirs.sign(&mut unsigned(&hex(QUERY)));
    assert!(!theirs.verifies_reply(&answer, T), "another secret");
}

#[test]
fn a_signed_request_is_verified_with_the_same_code_as_ours() {
    // NOTIFY signing: sign a request, then verify it as a server would.
    let ring = ring_with(&secret());
    let key = ring.get(&name("XFR.example.")).expect("found in any case");
    let mut msg = unsigned(&hex(QUERY));
    Signer::request(key.clone(), T).sign(&mut msg);
    let rec = last_record(&msg);
    assert_eq!(rec.mac, last_record(&hex(QUERY)).mac, "dnspython's MAC");
    assert!(verify_request(&msg, &rec, &ring, T).is_ok());
}

#[test]
fn key_files_as_tsig_keygen_writes_them() {
    let text = "# made by tsig-keygen\nkey \"xfr.example\" {\n\talgorithm hmac-sha256;\n\tsecret \"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\";\n};\n/* a second\n key */ key second. { algorithm HMAC-SHA512; secret \"c2VjcmV0\"; }; // end\n";
    let keys = parse_key_file(text, Path::new("k.key")).unwrap();
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0].name(), &name("xfr.example."));
    assert_eq!(keys[0].algorithm(), Algorithm::HmacSha256);
    assert_eq!(keys[1].name(), &name("second."));
    assert_eq!(keys[1].algorithm(), Algorithm::HmacSha512);
    // What we write, we read, with the same secret.
    let written = key_file_text(&name("xfr.example."), Algorithm::HmacSha256, &secret());
    assert_eq!(
        written,
        text.lines().skip(1).take(4).collect::<Vec<_>>().join("\n") + "\n"
    );
    let back = parse_key_file(&written, Path::new("k.key")).unwrap();
    let query = hex(QUERY);
    let mut ring = Keyring::default();
    for key in back {
        ring.add(key, Path::new("k.key")).unwrap();
    }
    assert!(verify_request(&query, &last_record(&query), &ring, T).is_ok());
}

#[test]
fn bad_key_files_name_the_file_and_line() {
    let err = |text: &str| {
        parse_key_file(text, Path::new("keys/tsig/x.key"))
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let cases = [
        (
            "key \"a\" {\n algorithm hmac-md5;\n secret \"c2VjcmV0\";\n};\n",
            "keys/tsig/x.key:2: unknown algorithm \"hmac-md5\"",
        ),
        (
            "key \"a\" {\n algorithm hmac-sha256;\n secret \"not base64!\";\n};\n",
            "keys/tsig/x.key:3: the secret is not base64",
        ),
        (
            "key \"a\" {\n algorithm hmac-sha256;\n};\n",
            "keys/tsig/x.key:1: key a needs both an algorithm and a secret",
        ),
        (
            "key \"a\" {\n algorithm hmac-sha256\n secret \"c2VjcmV0\";\n};\n",
            "keys/tsig/x.key:3: expected \";\", found \"secret\"",
        ),
        (
            "server 1.2.3.4 { };\n",
            "keys/tsig/x.key:1: expected a key statement",
        ),
        (
            "key \"a\" {\n algorithm \"c2VjcmV0c2VjcmV0\";\n secret hmac-sha256;\n};\n",
            "keys/tsig/x.key:2: unknown algorithm (not shown: it may be the secret)",
        ),
        ("key \"a\" {\n", "keys/tsig/x.key:1: the file ends where"),
        (
            "key \"a\n",
            "keys/tsig/x.key:1: a quoted string is not closed",
        ),
        (
            "/* never\nclosed\n",
            "keys/tsig/x.key:1: a /* comment is never closed",
        ),
    ];
    for (text, want) in cases {
        let got = err(text);
        assert!(got.starts_with(want), "{text:?}: {got}");
    }
}

#[test]
fn the_keyring_refuses_keys_others_can_read_and_names_defined_twice() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tsig");
    assert!(
        Keyring::load(&dir).unwrap().is_empty(),
        "no directory: no keys"
    );
    std::fs::create_dir(&dir).unwrap();
    let write = |file: &str, key: &str, mode: u32| {
        let path = dir.join(file);
        std::fs::write(
            &path,
            key_file_text(&name(key), Algorithm::HmacSha256, b"s"),
        )
        .unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    write("a.key", "a.example.", 0o600);
    std::fs::write(dir.join("notes.txt"), "not a key").unwrap();
    assert_eq!(Keyring::load(&dir).unwrap().len(), 1);
    write("b.key", "b.example.", 0o640);
    let err = Keyring::load(&dir).unwrap_err().to_string();
    assert!(
        err.contains("b.key can be read by others (mode 0640)"),
        "{err}"
    );
    assert!(err.contains("chmod 600"), "{err}");
    write("b.key", "A.example.", 0o600);
    let err = Keyring::load(&dir).unwrap_err().to_string();
    assert!(err.contains("defined twice"), "{err}");
    assert!(err.contains("a.key") && err.contains("b.key"), "{err}");
}

#[test]
fn a_key_never_prints_its_secret() {
    let key = Key::new(&name("xfr.example."), Algorithm::HmacSha256, b"topsecret");
    assert_eq!(format!("{key:?}"), "Key(xfr.example. hmac-sha256)");
}

#[test]
fn malformed_records_are_not_read() {
    let query = hex(QUERY);
    let rec = last_record(&query);
    for cut in 1..(query.len() - rec.start) {
        let short = &query[..query.len() - cut];
        assert!(
            Record::parse(short, rec.start).is_none(),
            "read with {cut} bytes missing"
        );
    }
    assert!(Record::parse(&query, rec.start + 1).is_none());
}
