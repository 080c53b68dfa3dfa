//! The shipped example zones and the workshop's DMARC rollout, end to end, as the README and the
//! issue tell an operator to do it.

use std::fs;
use std::path::Path;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::harness::{txt_answers, TestServer, BOTH};

/// Every `*.zone` file of the repository's `zones/` directory, as (file name, contents).
fn shipped_zones() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("zones");
    let mut zones: Vec<(String, String)> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "zone"))
        .map(|p| {
            let name = p
                .file_name()
                .expect("file name")
                .to_string_lossy()
                .into_owned();
            let text = fs::read_to_string(&p).expect("reading a shipped zone");
            (name, text)
        })
        .collect();
    zones.sort();
    zones
}

/// Serves a copy of the shipped zones (a copy: a developer's own `serve` may hold the lock on
/// the repository's directory).
fn serve_shipped() -> TestServer {
    let zones = shipped_zones();
    let files: Vec<(&str, &str)> = zones
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    TestServer::start(&files)
}

#[test]
fn shipped_zones_load_and_answer_txt_apple_example() {
    let zones = shipped_zones();
    let names: Vec<&str> = zones.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"apple.example.zone"), "{names:?}");
    assert!(names.contains(&"orange.example.zone"), "{names:?}");
    let s = serve_shipped();
    for (file, _) in &zones {
        let zone = file.trim_end_matches(".zone");
        let z = s.status_json(zone);
        assert_eq!(z["last_result"], "ok", "{file} loads: {z}");
    }
    for t in BOTH {
        let m = s.query(t, "apple.example.", RecordType::TXT);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        let txt = txt_answers(&m);
        assert!(
            txt.iter()
                .any(|t| t.starts_with("v=spf1 ") && t.ends_with(" -all")),
            "{t:?}: an SPF record: {txt:?}"
        );
        // The starting point of a DMARC rollout: no _dmarc record yet.
        for zone in ["apple.example.", "orange.example."] {
            let m = s.query(t, &format!("_dmarc.{zone}"), RecordType::TXT);
            assert_eq!(
                m.metadata.response_code,
                ResponseCode::NXDomain,
                "{t:?}: {m}"
            );
        }
    }
}

#[test]
fn workshop_flow_freeze_edit_thaw_reload_serves_dmarc_and_new_serial() {
    let s = serve_shipped();
    let serial = s
        .serial(crate::harness::Udp, "apple.example.")
        .expect("apple.example. has an SOA");

    let out = s.ctl(&["freeze", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");

    // The hand edit: serial + 1 and the DMARC record.
    let path = s.zone_path("apple.example.zone");
    let text = fs::read_to_string(&path).expect("reading the zone");
    assert_eq!(
        text.matches(&serial.to_string()).count(),
        1,
        "one serial in the file"
    );
    let mut edited = text.replace(&serial.to_string(), &(serial + 1).to_string());
    if !edited.ends_with('\n') {
        edited.push('\n');
    }
    edited.push_str("_dmarc.apple.example. 20 TXT \"v=DMARC1; p=quarantine;\"\n");
    s.write_zone("apple.example.zone", &edited);

    let out = s.ctl(&["thaw", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    let out = s.ctl(&["reload", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");

    for t in BOTH {
        let m = s.query(t, "_dmarc.apple.example.", RecordType::TXT);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert!(m.metadata.authoritative, "{t:?}: {m}");
        assert_eq!(txt_answers(&m), ["v=DMARC1; p=quarantine;"], "{t:?}: {m}");
        assert_eq!(m.answers[0].ttl, 20, "{t:?}: {m}");
        assert_eq!(s.serial(t, "apple.example."), Some(serial + 1), "{t:?}");
    }
    let z = s.status_json("apple.example");
    assert_eq!(z["serial"], serial + 1, "{z}");
    assert_eq!(z["frozen"], false, "{z}");
    assert_eq!(z["last_result"], "ok", "{z}");
}
