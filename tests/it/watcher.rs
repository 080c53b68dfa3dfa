//! Hand edits picked up by the zones-directory watcher, whatever the editor's save pattern.

use std::io::Write;
use std::time::{Duration, Instant};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::harness::{small_zone, txt_answers, wait_until, TestServer, Udp, BOTH};

const ZONE: &str = "test.example.zone";

/// How long a poll waits before the test fails. The promise is a second; the time
/// taken is printed rather than asserted (timings belong to benchmarks: on a loaded CI machine
/// running every test at once a scheduler hiccup is not a bug), and the bound is generous.
const BOUND: Duration = Duration::from_secs(10);

fn server(serial: u32) -> TestServer {
    TestServer::start(&[(ZONE, &small_zone(serial, ""))])
}

/// Waits (bounded) until `serial` is served over UDP; returns how long it took.
fn time_until_serial(s: &TestServer, serial: u32) -> Duration {
    let start = Instant::now();
    let served = wait_until(BOUND, || s.serial(Udp, "test.example.") == Some(serial));
    assert!(
        served,
        "serial {serial} not served after {BOUND:?}:\n{}",
        s.status_text()
    );
    start.elapsed()
}

#[test]
fn rename_over_save_is_served() {
    let s = server(1);
    s.write_zone_atomic(ZONE, &small_zone(2, "new IN TXT \"renamed\"\n"));
    let took = time_until_serial(&s, 2);
    eprintln!("served {took:?} after the save (the promise: within 1 s)");
    for t in BOTH {
        let m = s.query(t, "new.test.example.", RecordType::TXT);
        assert_eq!(txt_answers(&m), ["renamed"], "{t:?}: {m}");
    }
}

#[test]
fn truncate_and_write_save_is_served() {
    let s = server(1);
    s.write_zone_truncate(ZONE, &small_zone(2, "new IN TXT \"in place\"\n"));
    let took = time_until_serial(&s, 2);
    eprintln!("served {took:?} after the save (the promise: within 1 s)");
    for t in BOTH {
        let m = s.query(t, "new.test.example.", RecordType::TXT);
        assert_eq!(txt_answers(&m), ["in place"], "{t:?}: {m}");
    }
}

#[test]
fn half_written_file_is_never_served_and_the_complete_write_is() {
    let s = server(1);
    let full = small_zone(
        2,
        "_dmarc IN TXT \"v=DMARC1; p=quarantine;\"\nlast IN A 192.0.2.77\n",
    );
    // Cut inside the quoted string: what a reader sees in the middle of a slow write.
    let cut = full.find("p=quarantine").expect("marker");
    s.write_zone_truncate(ZONE, &full[..cut]);
    let failed = wait_until(BOUND, || {
        s.status_json("test.example")["last_result"] == "failed"
    });
    assert!(
        failed,
        "the half file is tried and rejected:\n{}",
        s.status_text()
    );
    for t in BOTH {
        assert_eq!(s.serial(t, "test.example."), Some(1), "old zone over {t:?}");
        let m = s.query(t, "_dmarc.test.example.", RecordType::TXT);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
    }

    // The writer finishes: the next event loads the complete file.
    s.write_zone_truncate(ZONE, &full);
    time_until_serial(&s, 2);
    for t in BOTH {
        let m = s.query(t, "_dmarc.test.example.", RecordType::TXT);
        assert_eq!(txt_answers(&m), ["v=DMARC1; p=quarantine;"], "{t:?}: {m}");
        let m = s.query(t, "last.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
    }
    assert_eq!(s.status_json("test.example")["last_result"], "ok");
}

/// Starts rewriting the zone file in place, as a slow writer does: truncated, then serial 2
/// with `mail` written, a whole zone so far, and synced. Returns the open file, what was written
/// so far, and the rest of the write (`last`), which the test writes before closing the file.
fn write_in_place_until_a_pause(s: &TestServer) -> (std::fs::File, String, String) {
    let full = small_zone(2, "mail IN A 192.0.2.25\nlast IN A 192.0.2.77\n");
    let cut = full.find("last IN").expect("marker");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(s.zone_path(ZONE))
        .expect("opening the zone file");
    f.write_all(&full.as_bytes()[..cut]).expect("writing");
    f.sync_data().expect("syncing");
    (f, full[..cut].to_owned(), full[cut..].to_owned())
}

/// A slow writer (`scp`, `cat >` from a pipe) that pauses at a record boundary: what it has
/// written so far is a whole zone with the new serial, and would be served, and transferred,
/// without the records still to come. The file is loaded when its writer closes it.
#[test]
fn a_file_written_in_place_is_loaded_when_its_writer_closes_it() {
    let s = server(1);
    let (mut f, _, rest) = write_in_place_until_a_pause(&s);
    // Far longer than the watcher's debounce.
    std::thread::sleep(Duration::from_millis(1500));
    for t in BOTH {
        assert_eq!(
            s.serial(t, "test.example."),
            Some(1),
            "{t:?}: {}",
            s.status_text()
        );
        let m = s.query(t, "mail.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "{t:?}: {m}"
        );
    }
    f.write_all(rest.as_bytes()).expect("writing the rest");
    drop(f);
    let took = time_until_serial(&s, 2);
    eprintln!("served {took:?} after the writer closed the file");
    for t in BOTH {
        let m = s.query(t, "last.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
    }
}

/// An edit acknowledged while another process writes the file in place: the server does not
/// rewrite the file under the writer (the rest of its write would go to the replaced file),
/// and writes the edit on top of the writer's file once it is closed.
#[test]
fn an_edit_made_while_the_file_is_written_in_place_waits_for_the_writer() {
    let s = server(1);
    let (mut f, written, rest) = write_in_place_until_a_pause(&s);
    let zones = s.zones_dir().display().to_string();
    let addr = s.addr.to_string();
    let out = s.ctl(&[
        "--zones-dir",
        &zones,
        "--server",
        &addr,
        "record",
        "add",
        "test.example",
        "edited",
        "TXT",
        "while written",
    ]);
    assert_eq!(out.code, 0, "{out}");
    // Well past the 200 ms after which an edit is written into the file.
    std::thread::sleep(Duration::from_millis(1500));
    let on_disk = std::fs::read_to_string(s.zone_path(ZONE)).expect("reading the file");
    assert_eq!(on_disk, written, "the file was rewritten under its writer");
    f.write_all(rest.as_bytes()).expect("writing the rest");
    drop(f);
    let both = wait_until(BOUND, || {
        s.udp("last.test.example.", RecordType::A).answers.len() == 1
            && txt_answers(&s.udp("edited.test.example.", RecordType::TXT)) == ["while written"]
    });
    assert!(
        both,
        "the writer's records and the edit are served:\n{}",
        s.status_text()
    );
    let text = s.synced_text(ZONE);
    assert!(
        text.contains("last IN A") && text.contains("while written"),
        "{text}"
    );
}

#[test]
fn new_zone_file_starts_being_served() {
    let s = server(1);
    let m = s.udp("www.new.example.", RecordType::A);
    assert_eq!(m.metadata.response_code, ResponseCode::Refused, "{m}");

    let text = small_zone(9, "").replace("test.example", "new.example");
    s.write_zone_atomic("new.example.zone", &text);
    let served = wait_until(BOUND, || {
        s.udp("www.new.example.", RecordType::A)
            .metadata
            .response_code
            == ResponseCode::NoError
    });
    assert!(served, "new zone served:\n{}", s.status_text());
    for t in BOTH {
        let m = s.query(t, "www.new.example.", RecordType::A);
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}");
        assert_eq!(s.serial(t, "new.example."), Some(9));
    }
    let out = s.ctl(&["status", "new.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("[new.example.] serial: 9"), "{out}");
}

#[test]
fn deleted_file_keeps_answering_flagged_in_status_until_reload() {
    let s = server(1);
    std::fs::remove_file(s.zone_path(ZONE)).expect("deleting the zone file");
    let flagged = wait_until(BOUND, || {
        s.status_json("test.example")["file_missing"] == true
    });
    assert!(
        flagged,
        "status flags the deleted file:\n{}",
        s.status_text()
    );
    let out = s.ctl(&["status", "test.example"]);
    assert!(out.stdout.contains("file deleted"), "{out}");
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "still answering over {t:?}: {m}");
    }

    let out = s.ctl(&["reload"]);
    assert_eq!(out.code, 0, "{out}");
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::Refused,
            "no longer served over {t:?}: {m}"
        );
    }
    let out = s.ctl(&["status", "test.example"]);
    assert_eq!(out.code, 1, "{out}");
}
