//! `zonectl dkim` through the real binary against the in-process server: keygen publishes a
//! record answered on the wire with its strings byte-exact; the rotation schedule with the clock
//! set by `ZONECTL_NOW`; `dkim list` faults (a tampered published key, loose permissions, a
//! missing private key); refusals that change nothing. The real-verifier checks (dkimpy,
//! opendkim-testkey) are in `tests/dkim/oracle.sh`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use zonectl::dkim::PrivateKey;

use crate::harness::{small_zone, zonectl_bin, Ctl, TestServer, BOTH};

const ZONE: &str = "test.example.zone";
const HOUR: i64 = 3600;
const DAY: i64 = 86_400;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

fn server() -> TestServer {
    // A revoked key record published by hand, not by zonectl.
    let extra = "hand._domainkey IN TXT \"v=DKIM1; p=\"\n";
    TestServer::start(&[(ZONE, &small_zone(2024010101, extra))])
}

/// Runs `zonectl` on the test server's directories, with the clock at `clock` if given.
fn dkim(srv: &TestServer, clock: Option<i64>, args: &[&str]) -> Ctl {
    let mut cmd = Command::new(zonectl_bin());
    cmd.arg("--control")
        .arg(srv.control_path())
        .arg("--zones-dir")
        .arg(srv.zones_dir())
        .arg("--keys-dir")
        .arg(keys_dir(srv))
        .arg("--server")
        .arg(srv.addr.to_string())
        .args(args)
        .current_dir(srv.dir())
        .env_remove("ZONECTL_CONTROL")
        .env_remove("ZONECTL_NOW")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null());
    if let Some(t) = clock {
        cmd.env("ZONECTL_NOW", t.to_string());
    }
    let out = cmd.output().expect("running zonectl");
    Ctl {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn keys_dir(srv: &TestServer) -> PathBuf {
    srv.dir().join("keys")
}

fn key_path(srv: &TestServer, selector: &str) -> PathBuf {
    keys_dir(srv)
        .join("test.example")
        .join(format!("{selector}.private"))
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).expect("stat").permissions().mode() & 0o777
}

/// The TXT strings served for `name` over each transport (one record expected).
fn served_strings(srv: &TestServer, name: &str) -> Vec<Vec<u8>> {
    let mut seen = Vec::new();
    for t in BOTH {
        let msg = srv.query(t, name, RecordType::TXT);
        assert_eq!(msg.metadata.response_code, ResponseCode::NoError, "{t:?}");
        let txts: Vec<Vec<Vec<u8>>> = msg
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::TXT(txt) => Some(txt.txt_data.iter().map(|s| s.to_vec()).collect()),
                _ => None,
            })
            .collect();
        assert_eq!(txts.len(), 1, "one TXT record at {name} over {t:?}");
        seen.push(txts[0].clone());
    }
    assert_eq!(seen[0], seen[1], "UDP and TCP agree");
    seen.remove(0)
}

/// The quoted strings of a `.txt` file, in order.
fn txt_file_strings(text: &str) -> Vec<Vec<u8>> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .map(|s| s.as_bytes().to_vec())
        .collect()
}

fn read_key(srv: &TestServer, selector: &str) -> PrivateKey {
    PrivateKey::from_pem(&fs::read_to_string(key_path(srv, selector)).expect("key file"))
        .expect("a PEM key")
}

fn list_json(srv: &TestServer, clock: Option<i64>) -> (i32, serde_json::Value) {
    let out = dkim(srv, clock, &["--json", "dkim", "list", "test.example"]);
    let v = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"));
    (out.code, v)
}

fn selector_row<'v>(list: &'v serde_json::Value, selector: &str) -> &'v serde_json::Value {
    list["selectors"]
        .as_array()
        .expect("selectors")
        .iter()
        .find(|s| s["selector"] == selector)
        .unwrap_or_else(|| panic!("no {selector} in {list:#}"))
}

#[test]
fn dkim_keygen_publishes_records_answered_byte_exact() {
    let srv = server();
    let out = dkim(
        &srv,
        None,
        &["dkim", "keygen", "test.example", "-s", "rsa1"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("serial 2024010101 → "), "{out}");
    assert!(out.stdout.contains("OpenDKIM KeyTable"), "{out}");
    assert!(out.stdout.contains("dkim_signing"), "{out}");
    let out = dkim(
        &srv,
        None,
        &[
            "dkim",
            "keygen",
            "test.example",
            "-s",
            "ed1",
            "-a",
            "ed25519",
        ],
    );
    assert_eq!(out.code, 0, "{out}");

    // Files: 0600 keys in 0700 directories, never the key in any output.
    let zone_keys = keys_dir(&srv).join("test.example");
    assert_eq!(mode(&keys_dir(&srv)), 0o700);
    assert_eq!(mode(&zone_keys), 0o700);
    for sel in ["rsa1", "ed1"] {
        assert_eq!(mode(&key_path(&srv, sel)), 0o600, "{sel}");
    }
    assert!(!out.stdout.contains("PRIVATE KEY") && !out.stderr.contains("PRIVATE KEY"));

    // RSA-2048: "v=DKIM1; k=rsa; p=" + 392 base64 characters = 410 bytes → 255 + 155, exactly
    // the strings of rsa1.txt, and exactly the key of rsa1.private.
    let rsa = read_key(&srv, "rsa1");
    assert_eq!(rsa.bits(), 2048);
    let served = served_strings(&srv, "rsa1._domainkey.test.example.");
    let lens: Vec<usize> = served.iter().map(Vec::len).collect();
    assert_eq!(lens, [255, 155]);
    let txt = fs::read_to_string(zone_keys.join("rsa1.txt")).expect("rsa1.txt");
    assert!(txt.starts_with("rsa1._domainkey\tIN\tTXT\t( "), "{txt}");
    assert_eq!(txt_file_strings(&txt), served);
    assert_eq!(served.concat(), rsa.record().to_value().as_bytes());
    assert!(
        served[0].starts_with(b"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA")
    );

    let ed = read_key(&srv, "ed1");
    let served = served_strings(&srv, "ed1._domainkey.test.example.");
    assert_eq!(served, [ed.record().to_value().into_bytes()]);
    assert_eq!(served[0].len(), "v=DKIM1; k=ed25519; p=".len() + 44);

    // One serial bump per keygen.
    assert_eq!(
        srv.serial(crate::harness::Udp, "test.example."),
        Some(zonectl::zone::serial::next_serial(
            zonectl::zone::serial::SerialPolicy::default(),
            zonectl::zone::serial::next_serial(
                zonectl::zone::serial::SerialPolicy::default(),
                2024010101,
                now()
            ),
            now()
        ))
    );

    let (code, list) = list_json(&srv, None);
    assert_eq!(code, 0, "{list:#}");
    assert_eq!(selector_row(&list, "rsa1")["state"], "published");
    assert_eq!(selector_row(&list, "rsa1")["bits"], 2048);
    assert_eq!(selector_row(&list, "ed1")["algorithm"], "ed25519");
    assert_eq!(selector_row(&list, "ed1")["faults"], serde_json::json!([]));
    assert_eq!(selector_row(&list, "hand")["state"], "revoked (unmanaged)");
}

#[test]
fn dkim_keygen_refusals_change_nothing() {
    let srv = server();
    let ed = ["dkim", "keygen", "test.example", "-s", "a", "-a", "ed25519"];
    assert_eq!(dkim(&srv, None, &ed).code, 0);
    let zone_before = fs::read_to_string(srv.zone_path(ZONE)).unwrap();
    let key_before = fs::read_to_string(key_path(&srv, "a")).unwrap();
    for (args, why) in [
        (&ed[..], "exists already"),
        (
            &["dkim", "keygen", "test.example", "-s", "A", "-a", "ed25519"][..],
            "exists already",
        ),
        (
            &[
                "dkim",
                "keygen",
                "test.example",
                "-s",
                "b",
                "--bits",
                "1024",
            ][..],
            "1024",
        ),
        (
            &[
                "dkim",
                "keygen",
                "test.example",
                "-s",
                "b",
                "--bits",
                "512",
                "--force",
            ][..],
            "512",
        ),
        (
            &["dkim", "keygen", "test.example", "-s", "hand"][..],
            "exists already",
        ),
        (
            &["dkim", "keygen", "test.example", "-s", "../x"][..],
            "one DNS label",
        ),
        (
            &[
                "dkim",
                "keygen",
                "test.example",
                "-s",
                "c",
                "-a",
                "ed25519",
                "--bits",
                "2048",
            ][..],
            "--bits applies to RSA",
        ),
    ] {
        let out = dkim(&srv, None, args);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains(why), "{args:?}: {out}");
    }
    // `hand` is taken by a record published by hand: selectors are checked against the zone too.
    assert_eq!(
        fs::read_to_string(srv.zone_path(ZONE)).unwrap(),
        zone_before
    );
    assert_eq!(fs::read_to_string(key_path(&srv, "a")).unwrap(), key_before);
    assert!(!key_path(&srv, "b").exists() && !key_path(&srv, "c").exists());

    // A dry run writes no key and no record.
    let out = dkim(
        &srv,
        None,
        &[
            "--dry-run",
            "dkim",
            "keygen",
            "test.example",
            "-s",
            "d",
            "-a",
            "ed25519",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("dry run"), "{out}");
    assert!(!key_path(&srv, "d").exists());
    assert_eq!(
        fs::read_to_string(srv.zone_path(ZONE)).unwrap(),
        zone_before
    );
}

#[test]
fn dkim_rotation_follows_the_schedule_with_a_controlled_clock() {
    let srv = server();
    let t0 = now();
    let at = |dt: i64, args: &[&str]| dkim(&srv, Some(t0 + dt), args);
    let ok = |out: Ctl| {
        assert_eq!(out.code, 0, "{out}");
        out
    };
    let refused = |out: Ctl, why: &str| {
        assert_eq!(out.code, 1, "{out}");
        assert!(out.stderr.contains(why), "wanted '{why}': {out}");
    };
    let z = "test.example";
    ok(at(0, &["dkim", "keygen", z, "-s", "a", "-a", "ed25519"]));
    // The record's TTL is the zone's 3600 s ($TTL), longer than the negative TTL (300).
    refused(at(0, &["dkim", "rotate", z]), "waiting to be activated");
    refused(at(HOUR - 1, &["dkim", "activate", z, "a"]), "refused until");
    ok(at(HOUR, &["dkim", "activate", z, "a"]));
    refused(at(HOUR, &["dkim", "retire", z, "a"]), "the signer uses it");
    refused(at(HOUR, &["dkim", "remove", z, "a"]), "only a retired");

    // Rotate: same algorithm as the active key, default dated name.
    let out = ok(at(DAY, &["dkim", "rotate", z]));
    assert!(
        out.stdout.contains("To switch the signer from a to e"),
        "{out}"
    );
    let (_, list) = list_json(&srv, Some(t0 + DAY));
    let new = list["selectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["state"] == "published")
        .expect("the new selector")["selector"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(new.starts_with('e') && new.len() >= 9, "{new}");
    assert_eq!(selector_row(&list, &new)["algorithm"], "ed25519");
    assert_eq!(selector_row(&list, "a")["state"], "active");
    assert_eq!(selector_row(&list, &new)["next"]["action"], "activate");
    assert_eq!(selector_row(&list, &new)["next"]["due_now"], false);

    let out = ok(at(DAY + HOUR, &["dkim", "activate", z, &new]));
    assert!(
        out.stdout.contains("a is inactive: retire it from"),
        "{out}"
    );
    let (_, list) = list_json(&srv, Some(t0 + DAY + HOUR));
    assert_eq!(selector_row(&list, "a")["state"], "inactive");
    assert_eq!(selector_row(&list, "a")["next"]["action"], "retire");

    // Grace: 7 days by default, 2 days by the config file.
    refused(
        at(DAY + HOUR + 7 * DAY - 1, &["dkim", "retire", z, "a"]),
        "grace period",
    );
    let config = srv.dir().join("grace.toml");
    fs::write(&config, "dkim_grace_days = 2\n").unwrap();
    let cfg = config.display().to_string();
    refused(
        at(
            DAY + HOUR + 2 * DAY - 1,
            &["--config", &cfg, "dkim", "retire", z, "a"],
        ),
        "grace period",
    );
    let out = ok(at(
        DAY + HOUR + 2 * DAY,
        &["--config", &cfg, "dkim", "retire", z, "a"],
    ));
    assert!(
        out.stdout
            .contains("+ a._domainkey.test.example. 3600 IN TXT \"v=DKIM1; p=\""),
        "{out}"
    );
    assert_eq!(
        served_strings(&srv, "a._domainkey.test.example."),
        [b"v=DKIM1; p=".to_vec()]
    );

    let revoked_at = DAY + HOUR + 2 * DAY;
    refused(
        at(revoked_at + HOUR - 1, &["dkim", "remove", z, "a"]),
        "refused until",
    );
    ok(at(revoked_at + HOUR, &["dkim", "remove", z, "a"]));
    for t in BOTH {
        let msg = srv.query(t, "a._domainkey.test.example.", RecordType::TXT);
        assert_eq!(msg.metadata.response_code, ResponseCode::NXDomain, "{t:?}");
    }
    assert!(!key_path(&srv, "a").exists());
    let (code, list) = list_json(&srv, Some(t0 + revoked_at + HOUR));
    assert_eq!(code, 0, "{list:#}");
    assert_eq!(selector_row(&list, "a")["state"], "removed");
    assert_eq!(selector_row(&list, &new)["state"], "active");

    // The state file says the same, in TOML a person can read.
    let state = fs::read_to_string(keys_dir(&srv).join("test.example/dkim.toml")).unwrap();
    assert!(state.contains("[[selector]]\nname = \"a\""), "{state}");
    assert!(state.contains("removed = \""), "{state}");
}

#[test]
fn dkim_list_reports_a_tampered_key_loose_permissions_and_a_missing_key() {
    let srv = server();
    let z = "test.example";
    for sel in ["a", "b"] {
        let out = dkim(
            &srv,
            None,
            &["dkim", "keygen", z, "-s", sel, "-a", "ed25519"],
        );
        assert_eq!(out.code, 0, "{out}");
    }
    assert_eq!(list_json(&srv, None).0, 0);

    // Publish b's key under a: a's private key no longer matches what is served.
    let b_value = read_key(&srv, "b").record().to_value();
    let out = dkim(
        &srv,
        None,
        &["record", "set", z, "a._domainkey", "TXT", &b_value],
    );
    assert_eq!(out.code, 0, "{out}");
    let (code, list) = list_json(&srv, None);
    assert_eq!(code, 1, "{list:#}");
    let faults = selector_row(&list, "a")["faults"].to_string();
    assert!(
        faults.contains("published key does not match the private key"),
        "{faults}"
    );
    assert_eq!(selector_row(&list, "b")["faults"], serde_json::json!([]));
    // ... and activate refuses it on the wire even once the TTL has passed.
    let out = dkim(&srv, Some(now() + DAY), &["dkim", "activate", z, "a"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("does not serve the public key"),
        "{out}"
    );

    // Loose permissions, and a key file gone.
    fs::set_permissions(key_path(&srv, "b"), fs::Permissions::from_mode(0o644)).unwrap();
    let out = dkim(&srv, None, &["dkim", "list", z]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("key permissions too open"), "{out}");
    fs::remove_file(key_path(&srv, "b")).unwrap();
    let (_, list) = list_json(&srv, None);
    let faults = selector_row(&list, "b")["faults"].to_string();
    assert!(faults.contains("private key missing"), "{faults}");

    // A key put on disk by hand (opendkim-genkey's way) is listed, unmanaged, with its file time.
    let c = PrivateKey::generate_ed25519().unwrap();
    let c_path = key_path(&srv, "c");
    fs::write(&c_path, c.to_pem().as_bytes()).unwrap();
    fs::set_permissions(&c_path, fs::Permissions::from_mode(0o600)).unwrap();
    let (_, list) = list_json(&srv, None);
    let row = selector_row(&list, "c");
    assert_eq!(row["state"], "on disk only (unmanaged)");
    assert_eq!(row["algorithm"], "ed25519");
    assert!(
        row["created"].as_str().is_some_and(|t| t.ends_with('Z')),
        "{row}"
    );
    assert_eq!(row["faults"], serde_json::json!([]));

    // A record that is not a DKIM key, published by hand, shows as unparseable.
    let out = dkim(
        &srv,
        None,
        &[
            "record",
            "set",
            z,
            "x._domainkey",
            "TXT",
            "v=DKIM1; k=dsa; p=AQID",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let (_, list) = list_json(&srv, None);
    let row = selector_row(&list, "x");
    assert_eq!(row["state"], "published (unmanaged)");
    assert!(
        row["faults"].to_string().contains("record unparseable"),
        "{row}"
    );
    assert!(!list.to_string().contains("PRIVATE KEY"));
}
