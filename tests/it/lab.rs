//! Lab hosting: participants use the control socket on their own zones only, and the
//! instructor creates, resets, compares and lists lab zones.
//!
//! The permission tests run the real `zonectl` binary as other users (uids 64001…, with no
//! entry in /etc/passwd: the server only sees numbers through SO_PEERCRED), which needs root.
//! CI runs as root; elsewhere these tests say so and check nothing.

use std::fs;
use std::os::unix::fs::MetadataExt;

use hickory_proto::rr::RecordType;

use crate::harness::{small_zone, zonectl_as, zonectl_in, Ctl, TestServer, Udp};

const A: (u32, u32) = (64001, 64001);
const B: (u32, u32) = (64002, 64002);
/// A member of group 64010 only.
const G: (u32, u32) = (64005, 64010);

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// `zone_text` for `NAME.example.` (a copy of the small test zone under another name).
fn zone(name: &str, serial: u32) -> String {
    small_zone(serial, "").replace("test.example.", &format!("{name}.example."))
}

/// Runs `zonectl ARGS` as `user` (or as root) against the server `s`.
fn run(s: &TestServer, user: Option<(u32, u32)>, args: &[&str]) -> Ctl {
    let zones = s.zones_dir().display().to_string();
    let server = s.addr.to_string();
    let config = s.config_path().display().to_string();
    let mut all = vec![
        "--zones-dir",
        &zones,
        "--server",
        &server,
        "--config",
        &config,
    ];
    all.extend_from_slice(args);
    zonectl_as(user, s.dir(), Some(&s.control_path()), &all)
}

#[test]
fn participants_touch_only_their_own_zones() {
    if !is_root() {
        eprintln!("skipped: running the CLI as other users needs root (CI runs as root)");
        return;
    }
    let config = "\
control_mode = \"0666\"
serial_policy = \"increment\"
[[zone]]
name = \"a.example\"
owner = \"64001\"
[[zone]]
name = \"b.example\"
owner = \"64002\"
[[zone]]
name = \"c.example\"
owner_group = \"64010\"
";
    let s = TestServer::start_with_config_file(
        config,
        &[
            ("a.example.zone", &zone("a", 10)),
            ("b.example.zone", &zone("b", 20)),
            ("c.example.zone", &zone("c", 30)),
        ],
    );
    let b_before = s.synced_text("b.example.zone");

    // A sees and changes only A's zone.
    let out = run(&s, Some(A), &["--json", "status"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("a.example.") && !out.stdout.contains("b.example."),
        "a participant's status lists their zones only: {out}"
    );
    for args in [
        &["freeze", "a.example"][..],
        &["thaw", "a.example"],
        &["record", "add", "a.example", "x", "A", "192.0.2.1"],
        &["reload", "a.example"],
        &["check", "a.example"],
    ] {
        let out = run(&s, Some(A), args);
        assert_eq!(out.code, 0, "A: {args:?}: {out}");
    }
    let m = s.query(Udp, "x.a.example.", RecordType::A);
    assert_eq!(m.answers.len(), 1, "A's edit is served: {m}");
    assert_eq!(s.serial(Udp, "a.example."), Some(11));

    // …and nothing of B's.
    for args in [
        &["freeze", "b.example"][..],
        &["reload", "b.example"],
        &["status", "b.example"],
        &["record", "add", "b.example", "x", "A", "192.0.2.1"],
        &["serial", "bump", "b.example"],
    ] {
        let out = run(&s, Some(A), args);
        assert_eq!(out.code, 1, "A: {args:?}: {out}");
        assert!(
            out.stderr
                .contains("permission denied: b.example. belongs to 64002"),
            "A: {args:?}: {out}"
        );
    }
    assert_eq!(
        s.serial(Udp, "b.example."),
        Some(20),
        "B's zone is untouched"
    );
    assert_eq!(s.synced_text("b.example.zone"), b_before);
    let status = s.status_json("b.example");
    assert_eq!(status["frozen"], false, "{status}");

    // A group owner: a member of the group may, A may not.
    let out = run(&s, Some(G), &["freeze", "c.example"]);
    assert_eq!(out.code, 0, "{out}");
    let out = run(&s, Some(G), &["thaw", "c.example"]);
    assert_eq!(out.code, 0, "{out}");
    let out = run(&s, Some(A), &["freeze", "c.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("belongs to group 64010"), "{out}");

    // B may edit B's zone; root may do everything.
    let out = run(
        &s,
        Some(B),
        &["record", "add", "b.example", "y", "A", "192.0.2.2"],
    );
    assert_eq!(out.code, 0, "{out}");
    for args in [
        &["freeze", "b.example"][..],
        &["thaw", "b.example"],
        &["reload"],
    ] {
        let out = run(&s, None, args);
        assert_eq!(out.code, 0, "root: {args:?}: {out}");
    }
    // The file the server wrote for A's edit still belongs to whoever owned it.
    let owner = fs::metadata(s.zone_path("a.example.zone")).unwrap().uid();
    assert_eq!(owner, 0, "the owner of a.example.zone is kept");
}

#[test]
fn lab_create_serves_new_zones_at_once_and_reset_diff_list_work() {
    if !is_root() {
        eprintln!("skipped: giving zone files to other users needs root (CI runs as root)");
        return;
    }
    let s = TestServer::start_with_config_file(
        "control_mode = \"0666\"\nserial_policy = \"increment\"\n",
        &[],
    );
    let out = run(
        &s,
        None,
        &[
            "lab",
            "create",
            "--prefix",
            "m",
            "--count",
            "3",
            "--parent",
            "lab.example",
            "--owner-pattern",
            "6400{n}",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("served: the running server loaded all 3"),
        "{out}"
    );
    for n in 1..=3 {
        let zone = format!("m00{n}.lab.example.");
        let m = s.query(Udp, &zone, RecordType::MX);
        assert_eq!(m.answers.len(), 1, "{zone} is served at once: {m}");
        let file = s.zone_path(&format!("m00{n}.lab.example.zone"));
        let meta = fs::metadata(&file).unwrap();
        assert_eq!(
            meta.uid(),
            64000 + n,
            "{} belongs to its participant",
            file.display()
        );
        assert_eq!(meta.mode() & 0o777, 0o644);
    }
    let config = fs::read_to_string(s.config_path()).unwrap();
    assert!(
        config.contains("name = \"m002.lab.example\"\nowner = \"64002\""),
        "{config}"
    );
    // Creating them again is refused and changes nothing.
    let again = run(
        &s,
        None,
        &[
            "lab",
            "create",
            "--prefix",
            "m",
            "--count",
            "1",
            "--parent",
            "lab.example",
        ],
    );
    assert_eq!(again.code, 1, "{again}");
    assert!(again.stderr.contains("exist already"), "{again}");

    // The participant of m001 edits it; m002 is not theirs.
    let out = run(
        &s,
        Some(A),
        &[
            "record",
            "add",
            "m001.lab.example",
            "_dmarc",
            "TXT",
            "v=DMARC1; p=none",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = run(
        &s,
        Some(A),
        &["record", "del", "m002.lab.example", "sender"],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("m002.lab.example. belongs to 64002"),
        "{out}"
    );

    // The participant's DKIM key, made by them: theirs alone.
    let keys = s.dir().join("keys-64001");
    fs::create_dir(&keys).unwrap();
    std::os::unix::fs::chown(&keys, Some(A.0), Some(A.1)).unwrap();
    let keys_arg = keys.display().to_string();
    let out = run(
        &s,
        Some(A),
        &[
            "--keys-dir",
            &keys_arg,
            "dkim",
            "keygen",
            "m001.lab.example",
            "--selector",
            "lab1",
            "--algorithm",
            "ed25519",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let key = fs::metadata(keys.join("m001.lab.example/lab1.private")).unwrap();
    assert_eq!(
        (key.uid(), key.mode() & 0o777),
        (A.0, 0o600),
        "the key is the participant's"
    );
    let out = run(
        &s,
        Some(A),
        &["record", "del", "m001.lab.example", "lab1._domainkey"],
    );
    assert_eq!(out.code, 0, "{out}");

    let diff = run(&s, None, &["lab", "diff", "m001.lab.example"]);
    assert_eq!(diff.code, 1, "a changed zone differs: {diff}");
    assert_eq!(
        diff.stdout, "+ _dmarc.m001.lab.example. 3600 IN TXT \"v=DMARC1; p=none\"\n",
        "{diff}"
    );
    let list = run(&s, None, &["lab", "list"]);
    assert_eq!(list.code, 0, "{list}");
    assert_eq!(list.stdout.lines().count(), 4, "{list}");
    assert!(
        list.stdout
            .lines()
            .any(|l| l.starts_with("m001.lab.example.")
                && l.contains("64001")
                && l.contains("p=none")),
        "{list}"
    );

    let before = s.serial(Udp, "m001.lab.example.").expect("a serial");
    let reset = run(&s, None, &["lab", "reset", "m001.lab.example"]);
    assert_eq!(reset.code, 0, "{reset}");
    let after = s.serial(Udp, "m001.lab.example.").expect("a serial");
    assert_eq!(after, before + 1, "reset raises the serial: {reset}");
    let m = s.query(Udp, "_dmarc.m001.lab.example.", RecordType::TXT);
    assert!(
        m.answers.is_empty(),
        "the participant's record is gone: {m}"
    );
    let diff = run(&s, None, &["lab", "diff", "m001.lab.example"]);
    assert_eq!((diff.code, diff.stdout.as_str()), (0, ""), "{diff}");
    assert_eq!(
        fs::metadata(s.zone_path("m001.lab.example.zone"))
            .unwrap()
            .uid(),
        64001,
        "the reset file still belongs to its participant"
    );
    assert_eq!(
        s.status_json("m001.lab.example")["frozen"],
        false,
        "reset leaves the zone as it found it"
    );
}

#[test]
fn lab_diff_of_a_zone_without_template_says_so() {
    let s = TestServer::start(&[("test.example.zone", &small_zone(1, ""))]);
    let zones = s.zones_dir().display().to_string();
    let out = zonectl_in(
        s.dir(),
        Some(&s.control_path()),
        &["--zones-dir", &zones, "lab", "diff", "test.example"],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("not a lab zone"), "{out}");
}
