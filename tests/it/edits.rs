//! The edit verbs through the real binary (`record`, `apply`, `serial`): applied to a running
//! server and served at once (checked here with an independent client over UDP and TCP), or
//! written to the file when no server runs; refusals leave the file byte-identical and the
//! served serial unchanged; concurrent edits are never lost.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use zonectl::zone::serial::{next_serial, SerialPolicy};

use crate::harness::{
    free_port, request_edns, small_zone, txt_answers, zonectl_bin, zonectl_in, Ctl, TestServer,
    BOTH,
};

const ZONE: &str = "test.example.zone";

/// The edit verbs need the zones directory and the DNS address of the test server too.
trait Edits {
    /// `zonectl --control … --zones-dir … --server … ARGS`.
    fn edit(&self, args: &[&str]) -> Ctl;
    /// Like [`Edits::edit`], with a config file setting `serial_policy = "increment"`.
    fn edit_incr(&self, args: &[&str]) -> Ctl;
    /// Like [`Edits::edit_incr`], with `stdin` as standard input.
    fn edit_stdin(&self, args: &[&str], stdin: &str) -> Ctl;
    fn zone_text(&self) -> String;
    fn assert_serial(&self, want: u32);
}

impl Edits for TestServer {
    fn edit(&self, args: &[&str]) -> Ctl {
        self.edit_ctl(args)
    }

    fn edit_incr(&self, args: &[&str]) -> Ctl {
        let config = increment_config(self.dir());
        let config = config.display().to_string();
        let mut all = vec!["--config", &config];
        all.extend_from_slice(args);
        self.edit(&all)
    }

    fn edit_stdin(&self, args: &[&str], stdin: &str) -> Ctl {
        let config = increment_config(self.dir());
        let mut child = Command::new(zonectl_bin())
            .arg("--control")
            .arg(self.control_path())
            .arg("--zones-dir")
            .arg(self.zones_dir())
            .arg("--server")
            .arg(self.addr.to_string())
            .arg("--config")
            .arg(config)
            .args(args)
            .current_dir(self.dir())
            .env_remove("ZONECTL_CONTROL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("running zonectl");
        child
            .stdin
            .take()
            .expect("piped stdin")
            .write_all(stdin.as_bytes())
            .expect("writing stdin");
        let out = child.wait_with_output().expect("waiting for zonectl");
        Ctl {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn zone_text(&self) -> String {
        self.synced_text(ZONE)
    }

    /// The serial served over UDP and over TCP.
    fn assert_serial(&self, want: u32) {
        for t in BOTH {
            assert_eq!(
                self.serial(t, "test.example."),
                Some(want),
                "serial over {t:?}; status:\n{}",
                self.status_text()
            );
        }
    }
}

/// Writes `DIR/increment.toml` (`serial_policy = "increment"`) and returns its path.
fn increment_config(dir: &Path) -> PathBuf {
    let path = dir.join("increment.toml");
    if !path.exists() {
        fs::write(&path, "serial_policy = \"increment\"\n").expect("writing the config");
    }
    path
}

/// A server whose zones use the `increment` serial policy (the server's policy is the one
/// edits get: it applies them).
fn server(serial: u32, extra: &str) -> TestServer {
    let config = zonectl::config::Config {
        serial_policy: Some(SerialPolicy::Increment),
        ..Default::default()
    };
    let listen = "127.0.0.1:0".parse().expect("valid address");
    TestServer::start_with(listen, config, &[(ZONE, &small_zone(serial, extra))])
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// Asserts that Knot's `kzonecheck` accepts the file; skipped, with a note, if it is not
/// installed (it is in CI).
fn assert_kzonecheck(path: &Path, origin: &str) {
    let out = match Command::new("kzonecheck")
        .arg("-o")
        .arg(origin)
        .arg(path)
        .output()
    {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "note: kzonecheck is not installed; not checking {}",
                path.display()
            );
            return;
        }
        Err(e) => panic!("running kzonecheck: {e}"),
    };
    assert!(
        out.status.success(),
        "kzonecheck refuses {}:\n{}{}\n--- file ---\n{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        fs::read_to_string(path).unwrap_or_default()
    );
}

#[test]
fn edits_are_served_at_once_with_the_serial_plus_one_under_increment() {
    let s = server(7, "");
    let started = Instant::now();
    let out = s.edit_incr(&[
        "record",
        "add",
        "test.example",
        "_dmarc",
        "TXT",
        "v=DMARC1; p=none",
    ]);
    let took = started.elapsed();
    assert_eq!(out.code, 0, "{out}");
    let want = format!(
        "+ _dmarc.test.example. 3600 IN TXT \"v=DMARC1; p=none\"\n\
         serial 7 → 8\n\
         served: verified on {} (serial 8)\n",
        s.addr
    );
    assert_eq!(out.stdout, want, "{out}");
    s.assert_serial(8);
    for t in BOTH {
        let m = s.query(t, "_dmarc.test.example.", RecordType::TXT);
        assert_eq!(txt_answers(&m), ["v=DMARC1; p=none"], "over {t:?}");
    }
    // Printed, not asserted: timings belong to the benchmark.
    eprintln!("one edit, command start to verified: {took:?}");

    // set replaces the RRset.
    let out = s.edit_incr(&[
        "record",
        "set",
        "test.example",
        "www",
        "A",
        "300",
        "192.0.2.81",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("- www.test.example. 3600 IN A 192.0.2.80\n")
            && out
                .stdout
                .contains("+ www.test.example. 300 IN A 192.0.2.81\n")
            && out.stdout.contains("serial 8 → 9\n"),
        "{out}"
    );
    s.assert_serial(9);
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        let addrs: Vec<String> = m
            .answers
            .iter()
            .filter_map(|r| match &r.data {
                RData::A(a) => Some(a.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(addrs, ["192.0.2.81"], "over {t:?}");
        assert_eq!(m.answers[0].ttl, 300, "over {t:?}");
    }

    // del of a whole name: NXDOMAIN at once.
    let out = s.edit_incr(&["record", "del", "test.example", "www"]);
    assert_eq!(out.code, 0, "{out}");
    s.assert_serial(10);
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NXDomain,
            "over {t:?}"
        );
    }

    // The untouched lines are the operator's, byte for byte.
    let text = s.zone_text();
    for line in [
        "$ORIGIN test.example.",
        "$TTL 3600",
        "@    IN NS  ns",
        "ns   IN A   192.0.2.53",
    ] {
        assert!(text.lines().any(|l| l == line), "{line:?} kept in:\n{text}");
    }
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

#[test]
fn a_zone_whose_file_name_has_capitals_is_edited_like_any_other() {
    // `Test.Example.zone` serves test.example.; edits name it in either case.
    let config = zonectl::config::Config {
        serial_policy: Some(SerialPolicy::Increment),
        ..Default::default()
    };
    let listen = "127.0.0.1:0".parse().expect("valid address");
    let file = "Test.Example.zone";
    let s = TestServer::start_with(listen, config, &[(file, &small_zone(7, ""))]);
    for (zone, name, serial) in [("test.example", "a", 8), ("Test.Example", "b", 9)] {
        let out = s.edit(&["record", "add", zone, name, "A", "192.0.2.25"]);
        assert_eq!(out.code, 0, "{out}");
        s.assert_serial(serial);
    }
    let text = s.synced_text(file);
    assert!(text.contains("\nb    IN A   192.0.2.25\n"), "{text}");
}

#[test]
fn the_default_policy_is_dateserial() {
    // A serial from the past becomes today's YYYYMMDD00.
    let s = TestServer::start(&[(ZONE, &small_zone(2024010101, ""))]);
    let before = next_serial(SerialPolicy::Dateserial, 2024010101, now());
    let out = s.edit(&["record", "add", "test.example", "mx1", "A", "192.0.2.25"]);
    let after = next_serial(SerialPolicy::Dateserial, 2024010101, now());
    assert_eq!(out.code, 0, "{out}");
    let served = s
        .serial(crate::harness::Udp, "test.example.")
        .expect("a serial");
    assert!(
        served == before || served == after,
        "serial {served}, expected {before} (today's 00): {out}"
    );
    assert_eq!(served % 100, 0, "{served}");
    s.assert_serial(served);

    // The next change of the day adds one (unless the day ended meanwhile).
    let out = s.edit(&["record", "add", "test.example", "mx2", "A", "192.0.2.26"]);
    assert_eq!(out.code, 0, "{out}");
    let next = s
        .serial(crate::harness::Tcp, "test.example.")
        .expect("a serial");
    assert!(
        next == served + 1 || next == next_serial(SerialPolicy::Dateserial, served, now()),
        "{served} then {next}: {out}"
    );
    assert!(
        out.stdout
            .contains(&format!("served: verified on {} (serial {next})", s.addr)),
        "{out}"
    );
    s.assert_serial(next);
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

#[test]
fn dry_run_prints_the_change_and_changes_nothing() {
    let s = server(7, "");
    let before = s.zone_text();
    let out = s.edit_incr(&[
        "--dry-run",
        "record",
        "add",
        "test.example",
        "_dmarc",
        "TXT",
        "v=DMARC1; p=none",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        out.stdout,
        "+ _dmarc.test.example. 3600 IN TXT \"v=DMARC1; p=none\"\nserial 7 → 8\ndry run: nothing written\n",
        "{out}"
    );
    assert_eq!(s.zone_text(), before, "the file is byte-identical");
    s.assert_serial(7);

    // --json, for scripts.
    let out = s.edit_incr(&["--json", "--dry-run", "serial", "bump", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["zone"], "test.example.", "{v}");
    assert_eq!(v["old_serial"], 7, "{v}");
    assert_eq!(v["new_serial"], 8, "{v}");
    assert_eq!(v["served"], false, "{v}");
    assert_eq!(v["dry_run"], true, "{v}");
    assert_eq!(v["changes"], serde_json::json!([]), "{v}");
    assert_eq!(s.zone_text(), before, "the file is byte-identical");
    s.assert_serial(7);

    // --dry-run is refused, not ignored, where it would not hold.
    let out = s.edit(&["--dry-run", "reload"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("--dry-run"), "{out}");
}

#[test]
fn refused_edits_exit_1_with_the_reason_and_change_nothing() {
    let s = server(7, "alias IN CNAME www\n");
    let before = s.zone_text();
    let cases: &[(&[&str], &str)] = &[
        (
            &["record", "add", "test.example", "www", "A", "192.0.2.999"],
            "192.0.2.999",
        ),
        (
            &[
                "record",
                "add",
                "test.example",
                "alias",
                "TXT",
                "beside a CNAME",
            ],
            "CNAME",
        ),
        (
            &["record", "add", "test.example", "www", "CNAME", "ns"],
            "CNAME",
        ),
        (
            &["record", "del", "test.example", "nothere"],
            "nothing to delete",
        ),
        (
            &["record", "del", "test.example", "www", "A", "192.0.2.1"],
            "nothing to delete",
        ),
        (
            &[
                "record",
                "add",
                "test.example",
                "www.test.example",
                "A",
                "192.0.2.1",
            ],
            "relative",
        ),
        (
            &["record", "add", "test.example", "www", "BOGUS", "x"],
            "BOGUS",
        ),
        // A private key pasted where the public one goes (an Ed25519 PKCS#8 key: version 0).
        (
            &[
                "record",
                "add",
                "test.example",
                "k1._domainkey",
                "TXT",
                "v=DKIM1; k=rsa; p=MC4CAQAwBQYDK2VwBCIEIBHVKjxMmqMGkoOqaWy6S6Kh9jYZPBjVaFkUt7oUvG9W",
            ],
            "holds a private key in p=",
        ),
    ];
    for (args, why) in cases {
        let out = s.edit_incr(args);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains(why), "{args:?}: {why:?} in {out}");
        assert!(out.stderr.contains("unchanged"), "{args:?}: {out}");
        assert_eq!(
            s.zone_text(),
            before,
            "{args:?}: the file is byte-identical"
        );
        s.assert_serial(7);
    }
    // A usage error (no RDATA) is clap's: exit 2.
    let out = s.edit(&["record", "add", "test.example", "www", "A"]);
    assert_eq!(out.code, 2, "{out}");
    assert_eq!(s.zone_text(), before);
}

#[test]
fn a_frozen_zone_refuses_edits() {
    let s = server(7, "");
    let before = s.zone_text();
    let out = s.ctl(&["freeze", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let out = s.edit_incr(&["record", "add", "test.example", "x", "A", "192.0.2.1"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("zone is frozen: thaw it first"),
        "{out}"
    );
    assert_eq!(s.zone_text(), before, "the file is byte-identical");
    s.assert_serial(7);
    // Also for serial verbs and dry runs.
    for args in [
        &["serial", "bump", "test.example"][..],
        &["--dry-run", "record", "del", "test.example", "www"][..],
    ] {
        let out = s.edit_incr(args);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains("zone is frozen"), "{out}");
    }
    assert_eq!(s.zone_text(), before);

    let out = s.ctl(&["thaw", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let out = s.edit_incr(&["record", "add", "test.example", "x", "A", "192.0.2.1"]);
    assert_eq!(out.code, 0, "{out}");
    s.assert_serial(8);
}

/// A zones directory with `test.example` at serial 7 (and `extra` lines), and no server.
struct Offline {
    dir: tempfile::TempDir,
    zones: PathBuf,
    file: PathBuf,
}

impl Offline {
    fn new(extra: &str) -> Offline {
        let dir = tempfile::tempdir().expect("temporary directory");
        let zones = dir.path().join("zones");
        fs::create_dir(&zones).expect("zones directory");
        let file = zones.join(ZONE);
        fs::write(&file, small_zone(7, extra)).expect("zone file");
        Offline { dir, zones, file }
    }

    /// `zonectl --zones-dir ZONES ARGS`, with a control socket nobody answers on.
    fn run(&self, args: &[&str]) -> Ctl {
        let zones = self.zones.display().to_string();
        let mut all = vec!["--zones-dir", zones.as_str()];
        all.extend_from_slice(args);
        let control = self.dir.path().join("nobody.sock");
        zonectl_in(self.dir.path(), Some(&control), &all)
    }
}

#[test]
fn with_no_server_the_file_is_edited() {
    let o = Offline::new("");
    let (zones, file) = (o.zones.clone(), o.file.clone());
    let run = |args: &[&str]| o.run(args);
    let out = run(&[
        "record",
        "add",
        "test.example",
        "_dmarc",
        "TXT",
        "v=DMARC1; p=none",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.ends_with(
            "no server running: the file is updated; it will be served at the next start\n"
        ),
        "{out}"
    );
    let text = fs::read_to_string(&file).expect("zone file");
    assert!(text.contains("_dmarc"), "{text}");
    assert_kzonecheck(&file, "test.example.");

    let out = run(&["--json", "record", "show", "test.example", "_dmarc"]);
    assert_eq!(out.code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(
        v,
        serde_json::json!([{"name": "_dmarc.test.example.", "ttl": 3600, "class": "IN",
                            "type": "TXT", "rdata": "\"v=DMARC1; p=none\""}])
    );

    let out = run(&["--json", "record", "del", "test.example", "_dmarc", "TXT"]);
    assert_eq!(out.code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["served"], false, "{v}");
    assert_eq!(
        v["changes"],
        serde_json::json!([{"old": "_dmarc.test.example. 3600 IN TXT \"v=DMARC1; p=none\"",
                            "new": null}]),
        "{v}"
    );

    // A no-op writes nothing.
    let before = fs::read(&file).expect("zone file");
    let out = run(&["record", "add", "test.example", "ns", "A", "192.0.2.53"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "no change\n", "{out}");
    assert_eq!(fs::read(&file).expect("zone file"), before);

    // An edit's warnings name the file and line, as `check` does: only those the edit brings
    // about, not the zone's others.
    let out = run(&["record", "add", "test.example", "@", "MX", "10", "mail"]);
    assert_eq!(out.code, 0, "{out}");
    let warning = |out: &Ctl| out.stderr.lines().filter(|l| l.contains("warning")).count();
    assert!(
        warning(&out) == 1
            && out.stderr.contains(
                "test.example.zone:5: warning: MX target mail.test.example. is in this zone but \
                 has no A or AAAA record"
            ),
        "{out}"
    );
    let out = run(&["record", "add", "test.example", "other", "A", "192.0.2.9"]);
    assert_eq!((out.code, warning(&out)), (0, 0), "{out}");
    // Two alike at one owner: each at its own line.
    let out = run(&["record", "add", "test.example", "@", "MX", "20", "mail"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        warning(&out) == 2
            && out
                .stderr
                .contains("test.example.zone:5: warning: MX target mail")
            && out
                .stderr
                .contains("test.example.zone:6: warning: MX target mail"),
        "{out}"
    );
    let out = run(&["record", "del", "test.example", "@", "MX"]);
    assert_eq!(out.code, 0, "{out}");

    // The lock file is beside the zone files, and is not a zone.
    assert!(zones.join(".test.example.lock").exists());
    let out = run(&["check"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.lines().count(), 1, "{out}");
}

/// A record from an `$INCLUDE`d file: an edit of it is refused naming it as the file has it
/// (its TTL too); an include that cannot be read is reported once, with its line.
#[test]
fn records_of_included_files_are_named_as_written_and_a_missing_include_once() {
    let o = Offline::new("$INCLUDE extra.inc\n");
    let zones = o.zones.clone();
    let run = |args: &[&str]| o.run(args);
    fs::write(zones.join("extra.inc"), "extra 600 TXT \"from include\"\n").expect("include");
    let out = run(&["record", "del", "test.example", "extra", "TXT"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("extra.test.example. 600 IN TXT \"from include\" is in"),
        "{out}"
    );
    fs::remove_file(zones.join("extra.inc")).expect("removing the include");
    let out = run(&["record", "show", "test.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        out.stderr.matches("cannot read included file").count(),
        1,
        "{out}"
    );
    assert!(out.stderr.contains("test.example.zone:7"), "{out}");
}

#[test]
fn apply_is_all_or_nothing_with_one_serial_bump() {
    let s = server(7, "");
    let before = s.zone_text();
    let batch = s.dir().join("bad.batch");
    fs::write(
        &batch,
        "; a DMARC rollout\n\
         add _dmarc TXT \"v=DMARC1; p=none\"\n\
         set www A 192.0.2.999\n\
         del ns AAAA\n",
    )
    .expect("batch");
    let out = s.edit_incr(&["apply", "test.example", &batch.display().to_string()]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("line 3"), "{out}");
    assert_eq!(s.zone_text(), before, "the file is byte-identical");
    s.assert_serial(7);

    // A good batch from standard input: every change, one bump.
    let out = s.edit_stdin(
        &["apply", "test.example", "-"],
        "add _dmarc TXT \"v=DMARC1; p=none\"\n\
         set www A 192.0.2.81\n\
         set www A 192.0.2.82\n\
         add mail A 192.0.2.25\n",
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("serial 7 → 8\n"), "{out}");
    s.assert_serial(8);
    for t in BOTH {
        let m = s.query(t, "www.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 2, "over {t:?}: {m}");
        let m = s.query(t, "_dmarc.test.example.", RecordType::TXT);
        assert_eq!(txt_answers(&m), ["v=DMARC1; p=none"], "over {t:?}");
    }
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

#[test]
fn two_processes_editing_at_once_lose_nothing() {
    const PER_THREAD: usize = 100;
    let s = server(1000, "");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..2 {
            let s = &s;
            scope.spawn(move || {
                for i in 0..PER_THREAD {
                    let name = format!("c{t}-{i}");
                    let addr = format!("192.0.2.{}", i + 1);
                    let out = s.edit_incr(&["record", "add", "test.example", &name, "A", &addr]);
                    assert_eq!(out.code, 0, "{name}: {out}");
                }
            });
        }
    });
    let took = started.elapsed();
    eprintln!(
        "{} edits from 2 processes at once: {took:?} ({:?} per edit)",
        2 * PER_THREAD,
        took / (2 * PER_THREAD) as u32
    );
    s.assert_serial(1000 + 2 * PER_THREAD as u32);
    let out = s.edit(&["--json", "record", "show", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let records: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let names: Vec<&str> = records
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|r| r["name"].as_str())
        .filter(|n| n.starts_with('c'))
        .collect();
    assert_eq!(names.len(), 2 * PER_THREAD, "{names:?}");
    for t in BOTH {
        let m = s.query(t, "c1-49.test.example.", RecordType::A);
        assert_eq!(m.answers.len(), 1, "over {t:?}");
    }
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

#[test]
fn serial_set_refuses_a_smaller_serial_and_explains_rfc_1982() {
    let s = server(100, "");
    let before = s.zone_text();
    let out = s.edit(&["serial", "set", "test.example", "50"]);
    assert_eq!(out.code, 1, "{out}");
    for want in [
        "RFC 1982",
        "less than the current serial 100",
        "To get there",
        "--force",
    ] {
        assert!(out.stderr.contains(want), "{want:?} in {out}");
    }
    assert_eq!(s.zone_text(), before, "the file is byte-identical");
    s.assert_serial(100);

    // The same serial: a no-op.
    let out = s.edit(&["serial", "set", "test.example", "100"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "no change\n", "{out}");

    // Greater: set and served.
    let out = s.edit(&["serial", "set", "test.example", "200"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("serial 100 → 200\n"), "{out}");
    s.assert_serial(200);

    // --force sets a smaller one, with the warning about secondaries.
    let out = s.edit(&["serial", "set", "test.example", "50", "--force"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr
            .contains("secondaries will not transfer the zone"),
        "{out}"
    );
    s.assert_serial(50);

    // bump follows the policy; show reports file, served and next.
    let out = s.edit_incr(&["serial", "bump", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("serial 50 → 51\n"), "{out}");
    s.assert_serial(51);
    let out = s.edit_incr(&["--json", "serial", "show", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    assert_eq!(v["serial"], 51, "{v}");
    assert_eq!(v["served_serial"], 51, "{v}");
    assert_eq!(v["policy"], "increment", "{v}");
    assert_eq!(v["next"], 52, "{v}");
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

#[test]
fn record_data_may_start_with_a_hyphen_but_options_after_it_are_refused() {
    let s = server(7, "");
    let out = s.edit_incr(&["record", "add", "test.example", "note", "TXT", "-all"]);
    assert_eq!(out.code, 0, "{out}");
    for t in BOTH {
        let m = s.query(t, "note.test.example.", RecordType::TXT);
        assert_eq!(txt_answers(&m), ["-all"], "over {t:?}");
    }
    let out = s.edit_incr(&["record", "del", "test.example", "note", "TXT", "-all"]);
    assert_eq!(out.code, 0, "{out}");
    s.assert_serial(9);

    // `--dry-run` after the data would be TXT data, and a real edit: refused as usage.
    let before = s.zone_text();
    let out = s.edit_incr(&[
        "record",
        "add",
        "test.example",
        "note",
        "TXT",
        "x",
        "--dry-run",
    ]);
    assert_eq!(out.code, 2, "{out}");
    assert!(
        out.stderr.contains("--dry-run comes after the record type"),
        "{out}"
    );
    assert_eq!(s.zone_text(), before);
}

#[test]
fn verification_follows_wildcards_delegations_and_large_answers() {
    let s = server(
        7,
        "*.w  IN TXT \"wild\"\n\
         x.w  IN TXT \"x\"\n\
         sub  IN NS  ns.sub\n\
         ns.sub IN A 192.0.2.100\n",
    );
    // Deleting x.w's TXT leaves the wildcard answering for it.
    let out = s.edit_incr(&["record", "del", "test.example", "x.w", "TXT"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("served: verified"), "{out}");
    // Glue below a delegation is answered with a referral.
    let out = s.edit_incr(&[
        "record",
        "set",
        "test.example",
        "ns.sub",
        "A",
        "192.0.2.101",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("served: verified"), "{out}");
    // An RRset too large for a UDP answer is verified over TCP.
    let big = "k".repeat(1500);
    let out = s.edit_incr(&["record", "set", "test.example", "big", "TXT", &big]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("served: verified"), "{out}");
    let m = s.tcp("big.test.example.", RecordType::TXT);
    assert_eq!(txt_answers(&m), [big.as_str()]);
    s.assert_serial(10);
}

#[test]
fn an_edit_that_cannot_be_verified_exits_1() {
    let s = server(7, "");
    // Nothing answers DNS on this port: the edit is applied and journaled, but not confirmed.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let zones = s.zones_dir().display().to_string();
    let config = increment_config(s.dir()).display().to_string();
    let out = s.ctl(&[
        "--zones-dir",
        &zones,
        "--config",
        &config,
        "--server",
        &nowhere,
        "record",
        "add",
        "test.example",
        "x",
        "A",
        "192.0.2.1",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("no answer from"), "{out}");
    assert!(out.stderr.contains("(pass --server ADDR:PORT)"), "{out}");
    assert!(
        out.stderr.contains("the server acknowledged the edit"),
        "{out}"
    );
    s.assert_serial(8);

    // Another server still answering with the old zone: the edit is not confirmed there.
    let stale = server(8, "");
    let elsewhere = stale.addr.to_string();
    let out = s.ctl(&[
        "--zones-dir",
        &zones,
        "--config",
        &config,
        "--server",
        &elsewhere,
        "record",
        "add",
        "test.example",
        "y",
        "A",
        "192.0.2.2",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("with serial 8, not 9"), "{out}");
    s.assert_serial(9);
}

#[test]
fn record_show_lists_the_files_records() {
    let s = server(7, "");
    let out = s.edit(&["record", "show", "test.example", "www", "A"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        out.stdout, "www.test.example. 3600 IN A 192.0.2.80\n",
        "{out}"
    );
    let out = s.edit(&["record", "show", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout.lines().count(), 4, "{out}");
    assert!(
        out.stdout.starts_with(
            "test.example. 3600 IN SOA ns.test.example. hostmaster.test.example. 7 3600 900 1209600 300\n"
        ),
        "{out}"
    );
    // Nothing there: exit 1, like grep.
    let out = s.edit(&["record", "show", "test.example", "www", "TXT"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("no TXT records at www.test.example."),
        "{out}"
    );
}

/// The server acknowledges an edit once it is journaled and served; the zone file follows on
/// its own (200 ms later on an idle machine: the time is printed, not asserted, as timings
/// belong to benchmarks), as the operator wrote it plus the edit, and passes kzonecheck.
#[test]
fn the_zone_file_follows_an_acknowledged_edit_on_its_own() {
    let s = server(7, "");
    let before = s.zone_text();
    let out = s.edit_incr(&[
        "record",
        "add",
        "test.example",
        "_dmarc",
        "TXT",
        "v=DMARC1; p=none",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let acked = Instant::now();
    // Read the file as it is, not through `zone_text` (which has the server write it first).
    let raw = || fs::read_to_string(s.zone_path(ZONE)).expect("reading the zone file");
    let written = crate::harness::wait_until(std::time::Duration::from_secs(10), || {
        raw().contains("v=DMARC1; p=none")
    });
    assert!(written, "the file after 10 s:\n{}", raw());
    eprintln!(
        "zone file written {:?} after the acknowledgement",
        acked.elapsed()
    );
    let after = raw();
    let removed: Vec<&str> = before
        .lines()
        .filter(|l| !after.lines().any(|a| a == *l))
        .collect();
    assert_eq!(
        removed.len(),
        1,
        "only the serial line changes: {removed:?}"
    );
    assert!(removed[0].contains('7'), "{removed:?}");
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
    // The journal is cleared once the file holds the edit.
    let journal = s.zones_dir().join(".journal/test.example.jnl");
    assert!(
        crate::harness::wait_until(std::time::Duration::from_secs(10), || !journal.exists()),
        "journal {} still there",
        journal.display()
    );
}

/// A record written twice in the file is one record served; deleting it through the server
/// deletes both lines from the file, as the served zone has it, rather than leave the write of
/// an acknowledged edit failing.
#[test]
fn deleting_a_record_written_twice_removes_both_lines() {
    let s = server(7, "www  IN A   192.0.2.80\n");
    let out = s.edit_incr(&["record", "del", "test.example", "www", "A", "192.0.2.80"]);
    assert_eq!(out.code, 0, "{out}");
    let raw = || fs::read_to_string(s.zone_path(ZONE)).expect("reading the zone file");
    let journal = s.zones_dir().join(".journal/test.example.jnl");
    assert!(
        crate::harness::wait_until(std::time::Duration::from_secs(10), || {
            !raw().contains("192.0.2.80") && !journal.exists()
        }),
        "the file after 10 s:\n{}",
        raw()
    );
    assert!(raw().contains(" 8 "), "serial 8 in the file:\n{}", raw());
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

/// A server that writes edits into the zone file 3 s after acknowledging them (serial policy
/// `increment`, zone at serial 7), with `NAME A 192.0.2.7` just added: time for a hand edit of
/// the file while the edit waits to be written.
fn edited_with_slow_writes(name: &str) -> TestServer {
    let config = zonectl::config::Config {
        serial_policy: Some(SerialPolicy::Increment),
        zonefile_sync_ms: Some(3000),
        ..Default::default()
    };
    let listen = "127.0.0.1:0".parse().expect("valid address");
    let s = TestServer::start_with(listen, config, &[(ZONE, &small_zone(7, ""))]);
    let out = s.edit_incr(&["record", "add", "test.example", name, "A", "192.0.2.7"]);
    assert_eq!(out.code, 0, "{out}");
    s
}

/// An SOA given with a serial, then other edits, written into the file together (here within
/// a 3 s `zonefile_sync_ms`): the file gets the serial served, the last edit's, not the one the
/// SOA held, so a restart serves what was served. The same with two SOAs given with the serial
/// current at the time, each raised by the policy.
#[test]
fn edits_written_together_after_an_soa_given_write_the_served_serial() {
    let soa = |serial: u32, minimum: u32| {
        format!("ns.test.example. hostmaster.test.example. {serial} 3600 900 1209600 {minimum}")
    };
    let s = edited_with_slow_writes("api");
    s.assert_serial(8);
    for (args, served) in [
        (
            vec!["record", "set", "test.example", "@", "SOA", &soa(100, 600)],
            100,
        ),
        (
            vec!["record", "add", "test.example", "late", "A", "192.0.2.9"],
            101,
        ),
        (
            vec!["record", "set", "test.example", "@", "SOA", &soa(101, 900)],
            102,
        ),
        (
            vec!["record", "set", "test.example", "@", "SOA", &soa(102, 1200)],
            103,
        ),
    ] {
        let args: Vec<&str> = args.iter().map(|a| a.as_ref()).collect();
        let out = s.edit_incr(&args);
        assert_eq!(out.code, 0, "{args:?}: {out}");
        s.assert_serial(served);
    }
    let text = s.zone_text();
    assert!(
        text.contains(" 103 3600 900 1209600 1200") && text.contains("192.0.2.9"),
        "the file holds serial 103 and every edit:\n{text}"
    );
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

/// A hand edit of the file made without `freeze` while edits wait to be written (here a 3 s
/// `zonefile_sync_ms` leaves time for it): nothing is lost. The server writes its edits on top
/// of the hand-edited text, raises the serial past the hand edit's, and serves both.
#[test]
fn a_hand_edit_while_edits_are_pending_is_merged_not_lost() {
    let s = edited_with_slow_writes("api");
    // The operator's editor rewrites the file from what it showed them: serial 20, a new record,
    // and not the record the server has not written yet.
    s.write_zone_atomic(ZONE, &small_zone(20, "hand IN TXT \"by hand\"\n"));
    let merged = crate::harness::wait_until(std::time::Duration::from_secs(20), || {
        s.serial(crate::harness::Udp, "test.example.") == Some(21)
    });
    assert!(merged, "serial 21 served; status:\n{}", s.status_text());
    for (name, rtype) in [
        ("api.test.example.", RecordType::A),
        ("hand.test.example.", RecordType::TXT),
    ] {
        let m = s.udp(name, rtype);
        assert_eq!(m.answers.len(), 1, "{name} is served: {m}");
    }
    let text = s.zone_text();
    assert!(
        text.contains("hand IN TXT") && text.contains("192.0.2.7"),
        "{text}"
    );
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

/// A hand edit that does not load, saved while an acknowledged edit waits to be written: the
/// edit stays journaled and served, and further edits are refused (they could not be written
/// either) until the file is fixed; then the server writes the waiting edit on top of the fixed
/// hand edit. Nothing acknowledged is lost, and nothing is acknowledged that cannot be kept.
#[test]
fn edits_are_refused_while_a_hand_edit_does_not_load_and_the_waiting_one_is_kept() {
    let s = edited_with_slow_writes("api");
    let hand = "hand IN TXT \"by hand\"\n";
    s.write_zone_atomic(
        ZONE,
        &small_zone(20, &format!("{hand}bad IN A 192.0.2.300\n")),
    );
    let noticed = crate::harness::wait_until(std::time::Duration::from_secs(20), || {
        s.status_json("test.example")["last_result"] == "failed"
    });
    assert!(noticed, "the broken file is seen:\n{}", s.status_text());
    let out = s.edit_incr(&["record", "add", "test.example", "later", "A", "192.0.2.8"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("does not load") && out.stderr.contains("nothing was changed"),
        "{out}"
    );
    assert!(
        out.stderr.contains("test.example.zone:8"),
        "names file and line: {out}"
    );
    assert_eq!(s.udp("later.test.example.", RecordType::A).answers.len(), 0);
    assert_eq!(s.udp("api.test.example.", RecordType::A).answers.len(), 1);
    // Fixed: the waiting edit goes on top of the hand edit, past its serial.
    s.write_zone_atomic(ZONE, &small_zone(20, hand));
    let merged = crate::harness::wait_until(std::time::Duration::from_secs(20), || {
        s.serial(crate::harness::Udp, "test.example.") == Some(21)
    });
    assert!(merged, "serial 21 served; status:\n{}", s.status_text());
    let text = s.zone_text();
    assert!(
        text.contains("hand IN TXT") && text.contains("192.0.2.7"),
        "{text}"
    );
    let out = s.edit_incr(&["record", "add", "test.example", "later", "A", "192.0.2.8"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(s.udp("later.test.example.", RecordType::A).answers.len(), 1);
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

/// A hand edit that loads on its own but conflicts with an edit waiting to be written (a CNAME
/// where the edit added an address): the file is not loaded over the served edit, edits wait,
/// and once the hand edit no longer conflicts the waiting edit is written and served with it.
#[test]
fn a_hand_edit_that_conflicts_with_a_waiting_edit_is_not_served_over_it() {
    let s = edited_with_slow_writes("web");
    s.write_zone_atomic(
        ZONE,
        &small_zone(20, "web IN CNAME www\nhand IN TXT \"h\"\n"),
    );
    let noticed = crate::harness::wait_until(std::time::Duration::from_secs(20), || {
        s.status_json("test.example")["last_result"] == "failed"
    });
    assert!(noticed, "the conflict is seen:\n{}", s.status_text());
    let status = s.status_text();
    assert!(status.contains("would drop served edits"), "{status}");
    let web = s.udp("web.test.example.", RecordType::A);
    assert_eq!(
        web.answers.len(),
        1,
        "the acknowledged edit is still served: {web}"
    );
    assert_eq!(web.answers[0].record_type(), RecordType::A, "{web}");
    assert_eq!(s.serial(crate::harness::Udp, "test.example."), Some(8));
    let out = s.edit_incr(&["record", "add", "test.example", "later", "A", "192.0.2.8"]);
    assert_eq!(out.code, 1, "{out}");
    // The operator drops the CNAME: the waiting edit goes in on top.
    s.write_zone_atomic(ZONE, &small_zone(20, "hand IN TXT \"h\"\n"));
    let merged = crate::harness::wait_until(std::time::Duration::from_secs(20), || {
        s.serial(crate::harness::Udp, "test.example.") == Some(21)
    });
    assert!(merged, "serial 21 served; status:\n{}", s.status_text());
    assert_eq!(s.udp("web.test.example.", RecordType::A).answers.len(), 1);
    assert_eq!(
        s.udp("hand.test.example.", RecordType::TXT).answers.len(),
        1
    );
    let out = s.edit_incr(&["record", "add", "test.example", "later", "A", "192.0.2.8"]);
    assert_eq!(out.code, 0, "{out}");
    assert_kzonecheck(&s.zone_path(ZONE), "test.example.");
}

/// The same conflict, settled the other way: `reload ZONE --discard-edits` serves the hand edit
/// without the waiting edit, whose journal is kept aside (and `status` says where), and edits are
/// taken again. A file that does not load is not served that way: nothing is discarded.
#[test]
fn reload_discard_edits_lets_a_conflicting_hand_edit_win_and_keeps_the_edits_aside() {
    let s = edited_with_slow_writes("web");
    // Needs one zone.
    let out = s.ctl(&["reload", "--discard-edits"]);
    assert_eq!(out.code, 2, "{out}");
    // A hand edit that does not load: refused, the edit still served.
    s.write_zone_atomic(ZONE, &small_zone(20, "web IN A 192.0.2.300\n"));
    let out = s.ctl(&["reload", "test.example", "--discard-edits"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("nothing discarded"), "{out}");
    assert!(out.stderr.contains("test.example.zone:7"), "{out}");
    assert_eq!(s.udp("web.test.example.", RecordType::A).answers.len(), 1);

    // One that loads but keeps the served serial: refused, secondaries may hold serial 8.
    s.write_zone_atomic(ZONE, &small_zone(8, "web IN CNAME www\n"));
    let out = s.ctl(&["reload", "test.example", "--discard-edits"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("its serial 8 is not above the served serial 8"),
        "{out}"
    );
    assert_eq!(s.udp("web.test.example.", RecordType::A).answers.len(), 1);

    // One that loads but conflicts: not loaded by a plain reload, served with --discard-edits.
    s.write_zone_atomic(
        ZONE,
        &small_zone(20, "web IN CNAME www\nhand IN TXT \"h\"\n"),
    );
    let out = s.ctl(&["reload", "test.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("would drop served edits")
            && out
                .stderr
                .contains("zonectl reload test.example --discard-edits"),
        "{out}"
    );
    let out = s.ctl(&["reload", "test.example", "--discard-edits"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("reloaded, serial 8 → 20")
            && out
                .stdout
                .contains("discarded the edits not in the file (served serial 8)"),
        "{out}"
    );
    let web = s.udp("web.test.example.", RecordType::A);
    assert_eq!(web.answers[0].record_type(), RecordType::CNAME, "{web}");
    assert_eq!(s.serial(crate::harness::Udp, "test.example."), Some(20));
    let kept: Vec<_> = fs::read_dir(s.zones_dir().join(".journal"))
        .expect("journal dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().contains(".unapplied-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    let status = s.status_text();
    assert!(
        status.contains(&kept[0].display().to_string()),
        "status names the kept journal: {status}"
    );
    // Edits are taken again, on top of the hand edit.
    let out = s.edit_incr(&["record", "add", "test.example", "later", "A", "192.0.2.8"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(s.serial(crate::harness::Udp, "test.example."), Some(21));
    let text = s.synced_text(ZONE);
    assert!(
        text.contains("web IN CNAME www") && !text.contains("192.0.2.7"),
        "{text}"
    );
}

/// The control socket's `records` answers an RRset as served, acknowledged edits included; an
/// edit sent with the records it was made from is refused, changing nothing, once the zone no
/// longer holds them.
#[test]
fn records_are_read_as_served_and_an_edit_made_from_stale_ones_is_refused() {
    use zonectl::control::{
        call, decode_rdatas, encode_rdatas, EditChange, ExpectWire, OpWire, Request, Response,
    };
    let s = TestServer::start(&[("test.example.zone", &small_zone(1, ""))]);
    let read = |owner: &str| {
        let request = Request::Records {
            zone: "test.example".into(),
            owner: owner.into(),
            rtype: 1,
        };
        match call(&s.control_path(), &request).expect("records") {
            Response::Records { serial, rdatas } => {
                let mut rdatas = decode_rdatas(&rdatas).expect("base64");
                rdatas.sort();
                Ok((serial, rdatas))
            }
            Response::Error { message } => Err(message),
            other => panic!("unexpected answer {other:?}"),
        }
    };
    let first = read("www.test.example.").unwrap();
    assert_eq!(first, (1, vec![vec![192, 0, 2, 80]]));
    assert_eq!(read("nothing.test.example."), Ok((1, vec![])));
    let outside = read("www.other.example.").unwrap_err();
    assert!(outside.contains("not in zone test.example."), "{outside}");

    let server = s.addr.to_string();
    let out = s.ctl(&[
        "--server",
        &server,
        "record",
        "add",
        "test.example",
        "www",
        "A",
        "192.0.2.81",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let (serial, now) = read("www.test.example.").unwrap();
    assert!(serial > 1);
    assert_eq!(now, [vec![192, 0, 2, 80], vec![192, 0, 2, 81]]);

    // Made from the first read: refused, the served zone unchanged.
    let edit = |expected: &[Vec<u8>]| Request::Edit {
        zone: "test.example".into(),
        change: EditChange::Ops {
            ops: vec![OpWire::Set {
                owner: "www.test.example.".into(),
                rtype: 1,
                ttl: None,
                rdatas: encode_rdatas(&[vec![192, 0, 2, 99]]),
            }],
            expect: vec![ExpectWire {
                owner: "www.test.example.".into(),
                rtype: 1,
                rdatas: encode_rdatas(expected),
            }],
        },
        dry_run: false,
    };
    match call(&s.control_path(), &edit(&first.1)).expect("edit") {
        Response::Error { message } => assert!(
            message.contains("www.test.example. A changed since it was read")
                && message.contains("run the command again"),
            "{message}"
        ),
        other => panic!("a stale edit was not refused: {other:?}"),
    }
    assert_eq!(read("www.test.example.").unwrap(), (serial, now.clone()));
    // Made from what is served: applied.
    match call(&s.control_path(), &edit(&now)).expect("edit") {
        Response::Edited(done) => assert!(done.new_serial > serial, "{done:?}"),
        other => panic!("the edit was not applied: {other:?}"),
    }
    assert_eq!(read("www.test.example.").unwrap().1, [vec![192, 0, 2, 99]]);
}

/// A `[[zone]]` entry that names no file has the zone in `ZONES_DIR/NAME.zone`, for the verbs
/// that read the file as for the server (as `lab create` writes them).
#[test]
fn a_zone_entry_without_a_file_is_read_from_the_zones_directory() {
    let s = TestServer::start_with_config_file(
        "[[zone]]\nname = \"test.example\"\n",
        &[("test.example.zone", &small_zone(7, "txt TXT \"here\"\n"))],
    );
    let config = s.config_path().display().to_string();
    // Relative, as the default `zones` is (the commands run in the server's directory).
    assert_eq!(s.zones_dir(), s.dir().join("zones"));
    let zones = "zones";
    for verb in [
        &["record", "show", "test.example"][..],
        &["serial", "show", "test.example"],
    ] {
        let mut args = vec!["--config", &config, "--zones-dir", zones];
        args.extend_from_slice(verb);
        let out = s.ctl(&args);
        assert_eq!(out.code, 0, "{verb:?}: {out}");
        assert!(
            out.stdout.contains("here") || out.stdout.contains('7'),
            "{out}"
        );
    }
}

/// A zone signed by another tool: served without DNSSEC (no RRSIG beside the answer, also to a
/// query with the DO bit, which the answer's OPT echoes), and every edit through the server
/// says so, as `check` does, where an edit repeats no other warning the zone already had.
#[test]
fn a_signed_zone_is_served_unsigned_and_every_edit_warns_of_it() {
    let signed = "@    IN DNSKEY 257 3 13 AAAA\n\
                  @    IN RRSIG DNSKEY 13 2 3600 20300101000000 20200101000000 1234 test.example. AAAA\n\
                  www  IN RRSIG A 13 3 3600 20300101000000 20200101000000 1234 test.example. AAAA\n";
    let s = server(1, signed);
    for t in BOTH {
        let mut query = request_edns("www.test.example.", RecordType::A, 1232);
        if let Some(edns) = query.edns.as_mut() {
            edns.set_dnssec_ok(true);
        }
        let m = s.query_with(t, &query);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "over {t:?}"
        );
        let types: Vec<RecordType> = m.answers.iter().map(|r| r.record_type()).collect();
        assert_eq!(types, [RecordType::A], "no RRSIG added, over {t:?}: {m}");
        assert!(
            m.edns.as_ref().is_some_and(|e| e.flags().dnssec_ok),
            "DO echoed over {t:?}: {m}"
        );
    }
    let check = zonectl_in(
        s.dir(),
        None,
        &[
            "check",
            "--file",
            &s.zones_dir().join(ZONE).display().to_string(),
        ],
    );
    assert_eq!(check.code, 0, "a warning, not an error: {check}");
    let says = "test.example. is a signed zone (DNSKEY at the apex), and zonectl serves no DNSSEC";
    assert!(check.stderr.contains(says), "{check}");
    for (i, host) in ["a", "b"].iter().enumerate() {
        let out = s.edit_incr(&["record", "add", "test.example", host, "A", "192.0.2.9"]);
        assert_eq!(out.code, 0, "{out}");
        assert!(
            out.stderr.contains(&format!("{ZONE}: warning: {says}")),
            "edit {i} warns, naming the file (an edit through the server names no line): {out}"
        );
        s.assert_serial(2 + i as u32);
    }
}
