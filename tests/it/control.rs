//! The knotc-style verbs through the real `zonectl` binary: what an operator types and sees.

use std::time::Duration;

use hickory_proto::rr::RecordType;

use crate::harness::{small_zone, wait_until, zonectl_in, TestServer, BOTH};

const ZONE: &str = "test.example.zone";

fn server(serial: u32, extra: &str) -> TestServer {
    TestServer::start(&[(ZONE, &small_zone(serial, extra))])
}

/// Asserts the serial served over UDP and TCP.
fn assert_serial(s: &TestServer, want: u32) {
    for t in BOTH {
        assert_eq!(
            s.serial(t, "test.example."),
            Some(want),
            "serial over {t:?}; status:\n{}",
            s.status_text()
        );
    }
}

#[test]
fn status_shows_serial_frozen_records_file_and_last_result() {
    let s = TestServer::start(&[
        (ZONE, &small_zone(2024010101, "")),
        (
            "other.example.zone",
            &small_zone(7, "").replace("test.example", "other.example"),
        ),
    ]);
    let out = s.ctl(&["status", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("[test.example.]"))
        .unwrap_or_else(|| panic!("no status line for test.example.: {out}"));
    for want in [
        "serial: 2024010101",
        "frozen: no",
        "records: 4",
        "(ok)",
        &s.zone_path(ZONE).display().to_string(),
    ] {
        assert!(line.contains(want), "{want:?} in {line:?}");
    }
    assert!(
        !out.stdout.contains("other.example"),
        "only the zone asked: {out}"
    );

    // Without a zone: every zone.
    let out = s.ctl(&["status"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("[test.example.]"), "{out}");
    assert!(out.stdout.contains("[other.example.] serial: 7"), "{out}");

    // --json, for scripts.
    let z = s.status_json("test.example");
    assert_eq!(z["zone"], "test.example.", "{z}");
    assert_eq!(z["serial"], 2024010101, "{z}");
    assert_eq!(z["frozen"], false, "{z}");
    assert_eq!(z["records"], 4, "{z}");
    assert_eq!(z["last_result"], "ok", "{z}");
    assert!(z["last_error"].is_null(), "{z}");
    assert!(
        z["last_load"].as_i64().is_some_and(|t| t > 1_600_000_000),
        "{z}"
    );
    assert_eq!(
        z["file"].as_str(),
        Some(s.zone_path(ZONE).display().to_string().as_str()),
        "{z}"
    );
}

#[test]
fn reload_of_a_good_edit_serves_the_new_serial() {
    let s = server(1, "");
    s.write_zone(ZONE, &small_zone(2, "new IN A 192.0.2.9\n"));
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("test.example."), "{out}");
    assert_serial(&s, 2);
    for t in BOTH {
        let m = s.query(t, "new.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
    }
    // Reload of every zone, nothing changed: still fine.
    let out = s.ctl(&["reload"]);
    assert_eq!(out.code, 0, "{out}");
    assert_serial(&s, 2);
    // The very bytes served: read and hashed, not parsed again.
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("reloaded, no change (serial 2)"),
        "{out}"
    );
    assert_serial(&s, 2);
}

#[test]
fn reload_of_a_bad_file_fails_with_file_and_line_and_keeps_the_old_zone() {
    let s = server(1, "keep IN TXT \"old\"\n");
    // Line 7 is bad.
    s.write_zone(ZONE, &small_zone(2, "bad IN A 999.1.1.1\n"));
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 1, "reload of a bad file fails: {out}");
    let at = format!("{}:7:", s.zone_path(ZONE).display());
    assert!(out.stderr.contains(&at), "{at} in stderr: {out}");
    assert!(!out.stdout.contains("reloaded"), "{out}");

    // The last good zone keeps answering.
    assert_serial(&s, 1);
    for t in BOTH {
        let m = s.query(t, "keep.test.example.", RecordType::TXT);
        assert_eq!(crate::harness::txt_answers(&m), ["old"], "{t:?}: {m}");
    }

    // status shows the error until a good load.
    let out = s.ctl(&["status", "test.example"]);
    assert!(out.stdout.contains(&at), "status shows the error: {out}");
    assert!(out.stdout.contains("serial: 1"), "{out}");
    let z = s.status_json("test.example");
    assert_eq!(z["last_result"], "failed", "{z}");
    assert!(
        z["last_error"].as_str().is_some_and(|e| e.contains(&at)),
        "{z}"
    );

    s.write_zone(ZONE, &small_zone(3, ""));
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_serial(&s, 3);
    let z = s.status_json("test.example");
    assert_eq!(z["last_result"], "ok", "{z}");
    assert!(
        z["last_error"].is_null(),
        "error cleared by a good load: {z}"
    );
    let out = s.ctl(&["status", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("error:"), "{out}");
}

#[test]
fn reload_of_a_change_without_a_serial_increase_loads_and_warns() {
    let s = server(5, "");
    // Frozen, so the explicit reload is what loads the change (as in Knot).
    assert_eq!(s.ctl(&["freeze", "test.example"]).code, 0);
    s.write_zone(ZONE, &small_zone(5, "added IN A 192.0.2.10\n"));
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 0, "loads anyway: {out}");
    assert!(
        out.stderr.contains("warning") && out.stderr.contains("serial"),
        "warns about the serial on stderr: {out}"
    );
    for t in BOTH {
        let m = s.query(t, "added.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "the change is served over {t:?}: {m}");
    }
    let out = s.ctl(&["status", "test.example"]);
    assert!(
        out.stdout.contains("warning") && out.stdout.contains("serial did not increase"),
        "status shows the warning: {out}"
    );
}

#[test]
fn change_without_serial_increase_applied_by_the_watcher_stays_flagged_after_reload() {
    let s = server(5, "");
    s.write_zone(ZONE, &small_zone(5, "added IN A 192.0.2.10\n"));
    let served = wait_until(Duration::from_secs(5), || {
        !s.udp("added.test.example.", RecordType::A)
            .answers
            .is_empty()
    });
    assert!(served, "the watcher loads the change:\n{}", s.status_text());
    let warned = |s: &TestServer| {
        s.status_json("test.example")["warnings"]
            .as_array()
            .is_some_and(|w| {
                w.iter()
                    .any(|w| w.as_str().is_some_and(|w| w.contains("serial")))
            })
    };
    assert!(warned(&s), "status warns:\n{}", s.status_text());
    // The operator's habitual `reload` finds nothing new; the warning must not vanish, since
    // the secondaries still have not seen the change.
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        warned(&s),
        "status still warns after a no-change reload:\n{}",
        s.status_text()
    );
}

#[test]
fn freeze_holds_off_the_watcher_and_thaw_applies_the_edit() {
    let s = server(1, "");
    let out = s.ctl(&["freeze", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("frozen"), "{out}");
    assert_eq!(s.status_json("test.example")["frozen"], true);

    s.write_zone(ZONE, &small_zone(2, "new IN A 192.0.2.9\n"));
    // Asserting that something does NOT happen: give the watcher (150 ms debounce) ample time.
    std::thread::sleep(Duration::from_millis(1500));
    assert_serial(&s, 1);
    let z = s.status_json("test.example");
    assert_eq!(z["pending_change"], true, "{z}");
    let out = s.ctl(&["status", "test.example"]);
    assert!(out.stdout.contains("frozen: yes"), "{out}");
    assert!(out.stdout.contains("changed while frozen"), "{out}");

    let out = s.ctl(&["thaw", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_serial(&s, 2);
    let z = s.status_json("test.example");
    assert_eq!(z["frozen"], false, "{z}");
    assert_eq!(z["pending_change"], false, "{z}");

    // Thawed: the watcher applies edits again.
    s.write_zone(ZONE, &small_zone(3, ""));
    let applied = wait_until(Duration::from_secs(5), || {
        s.serial(crate::harness::Udp, "test.example.") == Some(3)
    });
    assert!(applied, "watching resumes after thaw:\n{}", s.status_text());
}

#[test]
fn a_thaw_whose_load_fails_says_so_and_no_longer_promises_the_load() {
    let s = server(1, "");
    assert_eq!(s.ctl(&["freeze", "test.example"]).code, 0);
    s.write_zone(ZONE, &small_zone(2, "bad IN A 192.0.2.300\n"));
    let noticed = wait_until(Duration::from_secs(5), || {
        s.status_json("test.example")["pending_change"] == true
    });
    assert!(noticed, "{}", s.status_text());
    let out = s.ctl(&["thaw", "test.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert_serial(&s, 1);
    let out = s.ctl(&["status", "test.example"]);
    assert!(out.stdout.contains("frozen: no"), "{out}");
    assert!(
        out.stdout.contains("192.0.2.300"),
        "the error is shown: {out}"
    );
    assert!(!out.stdout.contains("thaw` will load it"), "{out}");
}

#[test]
fn knot_order_freeze_edit_reload_thaw_works() {
    let s = server(1, "");
    assert_eq!(s.ctl(&["freeze", "test.example"]).code, 0);
    s.write_zone(ZONE, &small_zone(2, "new IN A 192.0.2.9\n"));
    // An explicit reload runs on a frozen zone.
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_serial(&s, 2);
    assert_eq!(s.status_json("test.example")["frozen"], true);
    let out = s.ctl(&["thaw", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_serial(&s, 2);
    let z = s.status_json("test.example");
    assert_eq!(z["frozen"], false, "{z}");
    assert_eq!(z["last_result"], "ok", "{z}");
}

#[test]
fn knot_zone_aliases_work() {
    let s = server(1, "");
    let out = s.ctl(&["zone-status", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("serial: 1"), "{out}");
    let out = s.ctl(&["zone-check", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let out = s.ctl(&["zone-freeze", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(s.status_json("test.example")["frozen"], true);
    s.write_zone(ZONE, &small_zone(2, ""));
    let out = s.ctl(&["zone-reload", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_serial(&s, 2);
    let out = s.ctl(&["zone-thaw", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(s.status_json("test.example")["frozen"], false);
    // Without a zone, the verbs apply to every zone.
    for verb in [
        "zone-freeze",
        "zone-thaw",
        "zone-reload",
        "zone-check",
        "zone-status",
    ] {
        let out = s.ctl(&[verb]);
        assert_eq!(out.code, 0, "{verb}: {out}");
    }
}

#[test]
fn control_socket_comes_from_zonectl_control() {
    let s = server(1, "");
    let out = std::process::Command::new(crate::harness::zonectl_bin())
        .arg("status")
        .env("ZONECTL_CONTROL", s.control_path())
        .current_dir(s.dir())
        .output()
        .expect("running zonectl");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("[test.example.] serial: 1"), "{stdout}");
}

#[test]
fn unknown_zone_fails_with_a_helpful_message() {
    let s = server(1, "");
    for verb in ["status", "reload", "freeze", "thaw", "check"] {
        let out = s.ctl(&[verb, "nope.example"]);
        assert_eq!(out.code, 1, "{verb}: {out}");
        assert!(
            out.stderr.contains("nope.example"),
            "{verb} names the zone: {out}"
        );
        assert!(
            out.stderr.contains("test.example."),
            "{verb} lists the served zones: {out}"
        );
    }
    // Nothing was changed by the failed verbs.
    assert_eq!(s.status_json("test.example")["frozen"], false);
}

#[test]
fn verbs_without_a_server_say_to_start_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A socket path with no file, and a stale socket file left by a crashed server.
    let missing = dir.path().join("missing.sock");
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).expect("binding a socket"));
    assert!(stale.exists());
    for sock in [&missing, &stale] {
        for verb in ["status", "reload", "freeze", "thaw"] {
            let out = zonectl_in(dir.path(), Some(sock), &[verb]);
            assert_eq!(out.code, 1, "{verb} {}: {out}", sock.display());
            assert!(
                out.stderr.contains("zonectl serve"),
                "{verb} says how to start a server: {out}"
            );
            assert!(
                out.stderr.contains(&sock.display().to_string()),
                "{verb} names the socket: {out}"
            );
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["frobnicate"][..],
        &["status", "a.example", "b.example"],
        &["--no-such-flag", "status"],
        &["check", "--origin", "test.example"],
        &["check", "test.example", "--file", "x.zone"],
        &[],
    ] {
        let out = zonectl_in(dir.path(), None, args);
        assert_eq!(out.code, 2, "{args:?}: {out}");
        assert!(!out.stderr.is_empty(), "{args:?} explains: {out}");
    }
}

#[test]
fn check_file_works_without_a_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("test.example.zone");
    std::fs::write(&good, small_zone(42, "")).expect("write");
    let out = zonectl_in(
        dir.path(),
        None,
        &["check", "--file", &good.display().to_string()],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("serial 42"), "{out}");

    // Any file name, with the origin given.
    let other = dir.path().join("draft.txt");
    std::fs::write(&other, small_zone(43, "")).expect("write");
    let out = zonectl_in(
        dir.path(),
        None,
        &[
            "check",
            "--file",
            &other.display().to_string(),
            "--origin",
            "test.example",
        ],
    );
    assert_eq!(out.code, 0, "{out}");

    let bad = dir.path().join("bad.zone");
    std::fs::write(&bad, small_zone(44, "mail IN MX ten mail\n")).expect("write");
    let out = zonectl_in(
        dir.path(),
        None,
        &[
            "check",
            "--file",
            &bad.display().to_string(),
            "--origin",
            "test.example.",
        ],
    );
    assert_eq!(out.code, 1, "{out}");
    let at = format!("{}:7:", bad.display());
    assert!(out.stderr.contains(&at), "{at} in: {out}");
}

#[test]
fn check_warns_of_an_mta_sts_record_senders_would_ignore_and_still_passes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("test.example.zone");
    // Line 7: an id with dashes, which RFC 8461 §3.1 does not allow, and no `mta-sts` host.
    std::fs::write(
        &file,
        small_zone(42, "_mta-sts IN TXT \"v=STSv1; id=2024-06-01\"\n"),
    )
    .expect("write");
    let out = zonectl_in(
        dir.path(),
        None,
        &["check", "--file", &file.display().to_string()],
    );
    assert_eq!(out.code, 0, "warnings do not fail a check: {out}");
    assert!(out.stdout.contains("ok, serial 42"), "{out}");
    // Once "warning:", before the place (the CLI says it, not each warning again).
    let at = format!("test.example.: warning: {}:7: ", file.display());
    for says in [
        "MTA-STS record at _mta-sts.test.example. cannot be used (id=2024-06-01 is not valid: \
         id takes 1 to 32 letters and digits); senders then assume the domain has no MTA-STS \
         policy and deliver to it without requiring TLS (RFC 8461 §3.1): correct it",
        "its policy host mta-sts.test.example. has no A, AAAA or CNAME record in this zone",
    ] {
        assert!(
            out.stderr
                .lines()
                .any(|l| l.contains(&at) && l.contains(says)),
            "{at}…{says} in: {out}"
        );
    }
}

#[test]
fn control_socket_admits_only_its_owner() {
    use std::os::unix::fs::PermissionsExt;
    let s = server(1, "");
    let mode = std::fs::metadata(s.control_path())
        .expect("control socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
}

#[test]
fn config_file_with_an_unknown_key_is_rejected_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("zonectl.toml"),
        "listen_on = [\"127.0.0.1:53\"]\n",
    )
    .expect("write");
    for verb in ["serve", "status"] {
        let out = zonectl_in(dir.path(), None, &["--config", "zonectl.toml", verb]);
        assert_eq!(out.code, 1, "{verb}: {out}");
        assert!(
            out.stderr.contains("listen_on"),
            "{verb} names the key: {out}"
        );
    }
}

/// Two versions of a zone that differ in two places a single answer spans (a CNAME and its
/// target), so a response mixing them would show.
fn version(serial: u32) -> String {
    let target = if serial % 2 == 0 { "even" } else { "odd" };
    let addr = if serial % 2 == 0 {
        "192.0.2.2"
    } else {
        "192.0.2.1"
    };
    small_zone(
        serial,
        &format!("alias IN CNAME {target}\n{target} IN A {addr}\n"),
    )
}

#[test]
fn queries_during_reloads_see_the_old_zone_or_the_new_one_never_a_mix() {
    use hickory_proto::rr::RData;
    use std::sync::atomic::{AtomicBool, Ordering};

    let s = server(1, "");
    s.write_zone(ZONE, &version(1));
    assert_eq!(s.ctl(&["reload"]).code, 0);
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let querier = scope.spawn(|| {
            let mut seen = 0;
            // Bounded: stops when the reloads are done, or after 20 000 queries.
            while !done.load(Ordering::Relaxed) && seen < 20_000 {
                for t in BOTH {
                    let m = s.query(t, "alias.test.example.", RecordType::A);
                    let got: Vec<String> = m
                        .answers
                        .iter()
                        .map(|r| match &r.data {
                            RData::CNAME(c) => c.0.to_ascii(),
                            RData::A(a) => a.0.to_string(),
                            other => format!("{other:?}"),
                        })
                        .collect();
                    let odd = ["odd.test.example.", "192.0.2.1"];
                    let even = ["even.test.example.", "192.0.2.2"];
                    assert!(got == odd || got == even, "{t:?}: a mixed answer: {m}");
                    seen += 1;
                }
            }
            seen
        });
        let request = zonectl::control::Request::Reload {
            zone: Some("test.example".into()),
            discard_edits: false,
        };
        for serial in 2..10 {
            s.write_zone(ZONE, &version(serial));
            let resp = zonectl::control::call(&s.control_path(), &request).expect("reload");
            assert!(
                matches!(&resp, zonectl::control::Response::Done { outcomes } if outcomes[0].ok),
                "{resp:?}"
            );
        }
        done.store(true, Ordering::Relaxed);
        let seen = querier.join().expect("the querier does not panic");
        assert!(seen > 0);
    });
    assert_serial(&s, 9);
}

#[test]
fn check_through_the_server_reports_like_check_file() {
    // Regression: the server's `check` used to drop the record count that `check --file` prints.
    let s = server(5, "");
    let served = s.ctl(&["check", "test.example"]);
    assert_eq!(served.code, 0, "{served}");
    let file = s.zone_path(ZONE);
    let local = s.ctl(&["check", "--file", &file.display().to_string()]);
    assert_eq!(local.code, 0, "{local}");
    let served_line = served.stdout.trim();
    assert!(
        served_line.contains(": ok, serial 5, ") && served_line.ends_with(" records"),
        "{served}"
    );
    // The same wording; only the path may be spelled differently.
    let tail = |line: &str| line.rsplit_once(": ok").map(|(_, t)| t.to_string());
    assert_eq!(
        tail(served_line),
        tail(local.stdout.trim()),
        "{served}\n{local}"
    );
}

#[test]
fn stats_count_what_was_received_and_answered_by_transport_and_rcode() {
    use crate::harness::{request, Udp};
    use hickory_proto::op::OpCode;
    let s = server(1, "");
    for _ in 0..3 {
        s.udp("www.test.example.", RecordType::A);
    }
    s.udp("nope.test.example.", RecordType::A);
    s.tcp("www.other.example.", RecordType::A);
    s.tcp("test.example.", RecordType::AXFR); // no transfer_allow: REFUSED
    let mut update = request("test.example.", RecordType::SOA);
    update.metadata.op_code = OpCode::Update;
    s.query_with(Udp, &update); // NOTIMP
                                // A response is never answered.
    let mut response = request("test.example.", RecordType::SOA).to_vec().unwrap();
    response[2] |= 0x80;
    assert_eq!(s.exchange(Udp, &response, Duration::from_millis(300)), None);

    let out = s.ctl(&["--json", "stats"]);
    assert_eq!(out.code, 0, "{out}");
    let stats: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let count = |t: &str, what: &str| {
        stats[t][what]
            .as_u64()
            .unwrap_or_else(|| panic!("{t}.{what}: {stats}"))
    };
    assert_eq!(count("udp", "received"), 6, "{stats}");
    assert_eq!(count("udp", "noerror"), 3);
    assert_eq!(count("udp", "nxdomain"), 1);
    assert_eq!(count("udp", "notimp"), 1);
    assert_eq!(count("udp", "not_answered"), 1);
    assert_eq!(count("tcp", "received"), 2);
    assert_eq!(count("tcp", "refused"), 2);
    assert_eq!(count("tcp", "transfers_refused"), 1);
    assert_eq!(count("tcp", "transfers"), 0);
    let started = stats["started"].as_i64().expect("started");
    assert!(
        (zonectl::clock::unix_now() - started).abs() < 600,
        "{started}"
    );

    let out = s.ctl(&["stats"]);
    assert_eq!(out.code, 0, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("since "), "{out}");
    let row = |t: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.starts_with(t))
            .unwrap_or_else(|| panic!("{out}"));
        line.split_whitespace().skip(1).map(String::from).collect()
    };
    // received, NOERROR, NXDOMAIN, REFUSED, SERVFAIL, FORMERR, NOTIMP, other, truncated, not answered
    assert_eq!(
        row("udp"),
        ["6", "3", "1", "0", "0", "0", "1", "0", "0", "1"],
        "{out}"
    );
    assert_eq!(
        row("tcp"),
        ["2", "0", "0", "2", "0", "0", "0", "0", "0", "0"],
        "{out}"
    );
    assert!(
        out.stdout
            .contains("\nzone transfers (tcp): 0, 1 refused\n"),
        "{out}"
    );
}

#[test]
fn stats_count_the_lookups_of_mail_authentication_records() {
    let s = server(1, "_dmarc TXT \"v=DMARC1; p=none\"\n");
    s.udp("_dmarc.test.example.", RecordType::TXT);
    s.udp("_dmarc.test.example.", RecordType::TXT);
    s.tcp("sel1._domainkey.test.example.", RecordType::TXT); // NXDOMAIN: a lookup all the same
    s.udp("_mta-sts.test.example.", RecordType::TXT);
    s.udp("_smtp._tls.test.example.", RecordType::TXT);
    s.udp("default._bimi.test.example.", RecordType::TXT);
    s.udp("_dmarc.test.example.", RecordType::A); // not a TXT question
    s.udp("www.test.example.", RecordType::TXT);
    let out = s.ctl(&["stats"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.ends_with(
            "mail authentication (TXT questions): DMARC 2, DKIM 1, MTA-STS 1, TLS-RPT 1, BIMI 1\n"
        ),
        "{out}"
    );
    let out = s.ctl(&["--json", "stats"]);
    let stats: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(stats["udp"]["dmarc"], 2, "{stats}");
    assert_eq!(stats["tcp"]["dkim"], 1, "{stats}");
    assert_eq!(stats["udp"]["dkim"], 0, "{stats}");
}

#[test]
fn a_reload_refuses_a_config_whose_nsid_is_not_hex_and_keeps_the_one_before() {
    let s = TestServer::start_with_config_file(
        "transfer_allow = [\"127.0.0.1\"]\n",
        &[(ZONE, &small_zone(1, ""))],
    );
    let out = s.reload_config("transfer_allow = [\"192.0.2.53\"]\nnsid = \"0xZZ\"\n");
    assert_ne!(out.code, 0, "a config not taken is an error: {out}");
    assert!(
        out.stderr
            .contains("nsid \"0xZZ\": after \"0x\", two hex digits for each byte")
            && out
                .stderr
                .contains("keeping the configuration and keys read before"),
        "{out}"
    );
    // The transfer_allow read before still admits this client.
    let m = s.tcp("test.example.", RecordType::AXFR);
    assert_eq!(
        m.metadata.response_code,
        hickory_proto::op::ResponseCode::NoError,
        "{m}"
    );
}
