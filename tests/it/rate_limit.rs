//! Response rate limiting over UDP (`[rate_limit]`): past the rate, answers are dropped or sent
//! truncated, never over TCP, never to exempt clients, and not at all without the section.

use std::time::Duration;

use hickory_proto::rr::RecordType;

use crate::harness::{decode, request, small_zone, TestServer, Transport};

/// What a burst of queries got back: full answers, truncated ones (TC, no records), none.
#[derive(Debug)]
struct Burst {
    full: usize,
    truncated: usize,
    missing: usize,
}

/// Sends `n` queries for `name` (`{i}` in it replaced by the query's number) at once over UDP,
/// then reads answers until none comes for 300 ms.
fn burst(s: &TestServer, name: &str, rtype: RecordType, n: u16) -> Burst {
    let sock = s.udp_socket(Duration::from_millis(300));
    for i in 0..n {
        let mut q = request(&name.replace("{i}", &i.to_string()), rtype);
        q.metadata.id = i;
        sock.send(&q.to_vec().expect("encoding")).expect("sending");
    }
    let (mut full, mut truncated) = (0, 0);
    let mut buf = [0u8; 4096];
    while let Ok(len) = sock.recv(&mut buf) {
        let msg = decode(&buf[..len]);
        if msg.metadata.truncation {
            assert!(
                msg.answers.is_empty() && msg.authorities.is_empty(),
                "a truncated answer carries no records: {msg:?}"
            );
            assert_eq!(msg.queries.len(), 1, "the question is echoed");
            truncated += 1;
        } else {
            full += 1;
        }
    }
    Burst {
        full,
        truncated,
        missing: usize::from(n) - full - truncated,
    }
}

fn limited_server(section: &str) -> TestServer {
    TestServer::start_with_config_file(
        section,
        &[(
            "test.example.zone",
            &small_zone(1, "*.wild TXT \"wildcard\"\nd DNAME wild.test.example.\n"),
        )],
    )
}

/// At 5 a second, a burst of 40 gets 5 answers (10 if it spans the turn of a second), and of
/// the rest every second one truncated.
fn assert_limited(b: &Burst, what: &str) {
    assert!((5..=10).contains(&b.full), "{what}: {b:?}");
    let over = 40 - b.full;
    assert!(
        b.truncated.abs_diff(over / 2) <= 2 && b.missing > 0,
        "{what}: about half of the {over} over the rate truncated: {b:?}"
    );
}

#[test]
fn answers_over_the_rate_are_dropped_or_truncated_and_tcp_still_answers() {
    let s = limited_server("[rate_limit]\nresponses_per_second = 5\n");
    assert_limited(&burst(&s, "test.example.", RecordType::SOA, 40), "one name");
    // TCP is never limited, and another name has its own bucket.
    let over_tcp = s.query(Transport::Tcp, "test.example.", RecordType::SOA);
    assert_eq!(over_tcp.answers.len(), 1, "{over_tcp:?}");
    let other = burst(&s, "ns.test.example.", RecordType::A, 1);
    assert_eq!(other.full, 1, "{other:?}");
    // Random names count as one, by their zone: NXDOMAIN, or a wildcard's answer.
    assert_limited(
        &burst(&s, "nx{i}.test.example.", RecordType::A, 40),
        "random names that do not exist",
    );
    assert_limited(
        &burst(&s, "r{i}.wild.test.example.", RecordType::TXT, 40),
        "random names under a wildcard",
    );
    assert_limited(
        &burst(&s, "r{i}.d.test.example.", RecordType::TXT, 40),
        "random names under a DNAME",
    );
    // Refusals for names in no zone, as in a reflection attack with someone else's names.
    assert_limited(
        &burst(&s, "x{i}.other.test.", RecordType::A, 40),
        "refusals",
    );
}

#[test]
fn slip_zero_drops_all_and_exempt_clients_are_never_limited() {
    let s = limited_server("[rate_limit]\nresponses_per_second = 5\nslip = 0\n");
    let b = burst(&s, "test.example.", RecordType::SOA, 40);
    assert!((5..=10).contains(&b.full) && b.truncated == 0, "{b:?}");
    let s = limited_server("[rate_limit]\nresponses_per_second = 5\nexempt = [\"127.0.0.0/8\"]\n");
    let b = burst(&s, "test.example.", RecordType::SOA, 40);
    assert_eq!(b.full, 40, "{b:?}");
}

#[test]
fn without_the_section_nothing_is_limited() {
    let s = TestServer::start(&[("test.example.zone", &small_zone(1, ""))]);
    let b = burst(&s, "test.example.", RecordType::SOA, 40);
    assert_eq!(b.full, 40, "{b:?}");
}

#[test]
fn a_bad_setting_is_named_and_a_reload_keeps_the_one_before() {
    let s = limited_server("[rate_limit]\nresponses_per_second = 5\n");
    let out = s.reload_config("[rate_limit]\nresponses_per_second = 0\n");
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("rate_limit.responses_per_second = 0: give 1 to 10000")
            || out
                .stderr
                .contains("rate_limit.responses_per_second = 0: give 1 to 10000"),
        "{out}"
    );
    assert_limited(
        &burst(&s, "test.example.", RecordType::SOA, 40),
        "still limited as before",
    );
    let out = s.reload_config("");
    assert_eq!(out.code, 0, "{out}");
    let b = burst(&s, "test.example.", RecordType::SOA, 40);
    assert_eq!(b.full, 40, "the section removed: {b:?}");
}
