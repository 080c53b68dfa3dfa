//! `zonectl dmarc` through the real binary against a running server: `set` creates and merges
//! the record and it is served at once with the new serial; a no-op writes nothing; a bad value
//! or a frozen zone is refused and the file stays byte-identical; `show` explains; `authorize`
//! publishes the authorization record; `rollout next` refuses early, `--force` and `back` work,
//! and the history file records each step. Readiness checks SPF for real (lookups through
//! includes, syntax, one record, `--resolver` for includes elsewhere), and `evaluate` runs SPF
//! over the served zones and aligns with the domain SPF checked (MAIL FROM, or HELO).

use std::fs;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::harness::{free_port, txt_answers, Ctl, TestServer, BOTH};

const APPLE: &str = "apple.example.zone";

fn apple_zone() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/zones/apple.example.zone");
    fs::read_to_string(path).expect("reading the shipped apple.example zone")
}

fn orange_zone() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/zones/orange.example.zone");
    fs::read_to_string(path).expect("reading the shipped orange.example zone")
}

fn server() -> TestServer {
    TestServer::start(&[
        (APPLE, &apple_zone()),
        ("orange.example.zone", &orange_zone()),
    ])
}

/// `zonectl --zones-dir … --server … ARGS` against the test server.
fn z(s: &TestServer, args: &[&str]) -> Ctl {
    s.edit_ctl(args)
}

fn apple_text(s: &TestServer) -> String {
    s.synced_text(APPLE)
}

/// The new serial an edit printed (`serial OLD → NEW`).
fn new_serial(out: &Ctl) -> u32 {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("serial "))
        .unwrap_or_else(|| panic!("no serial line: {out}"));
    line.rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bad serial line {line:?}"))
}

/// The TXT served at `name` over UDP and TCP (the same on both).
fn served_txt(s: &TestServer, name: &str) -> Vec<String> {
    s.served_txt(name)
}

fn assert_served_serial(s: &TestServer, serial: u32) {
    for t in BOTH {
        assert_eq!(s.serial(t, "apple.example."), Some(serial), "{t:?}");
    }
}

#[test]
fn set_creates_then_merges_and_each_change_is_served_with_its_serial() {
    let s = server();
    assert!(served_txt(&s, "_dmarc.apple.example.").is_empty());

    let out = z(&s, &["dmarc", "set", "apple.example", "p=quarantine"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("+ _dmarc.apple.example. 3600 IN TXT \"v=DMARC1; p=quarantine\""),
        "{out}"
    );
    assert!(out.stdout.contains("served: verified"), "{out}");
    let serial = new_serial(&out);
    assert_served_serial(&s, serial);
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=quarantine"]
    );

    // Merge: other tags kept, output canonical, old → new printed.
    let out = z(
        &s,
        &[
            "dmarc",
            "set",
            "apple.example",
            "rua=mailto:dmarc@apple.example",
            "ADKIM=s",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("- _dmarc.apple.example. 3600 IN TXT \"v=DMARC1; p=quarantine\""),
        "{out}"
    );
    let serial2 = new_serial(&out);
    assert!(serial2 > serial);
    assert_served_serial(&s, serial2);
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=quarantine; adkim=s; rua=mailto:dmarc@apple.example"]
    );

    // Removal with TAG=.
    let out = z(&s, &["dmarc", "set", "apple.example", "adkim="]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=quarantine; rua=mailto:dmarc@apple.example"]
    );
    let serial3 = new_serial(&out);

    // A no-op writes nothing.
    let before = apple_text(&s);
    let out = z(
        &s,
        &["dmarc", "set", "apple.example", "p=quarantine", "ruf="],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("no change"), "{out}");
    assert_eq!(apple_text(&s), before, "a no-op must not write the file");
    assert_served_serial(&s, serial3);
}

#[test]
fn bad_values_are_refused_by_tag_name_and_change_nothing() {
    let s = server();
    let out = z(&s, &["dmarc", "set", "apple.example", "p=none"]);
    assert_eq!(out.code, 0, "{out}");
    let serial = new_serial(&out);
    let before = apple_text(&s);
    for (args, want) in [
        (vec!["p=block"], "p=\"block\" is not valid"),
        (vec!["p=reject", "pct=150"], "pct=\"150\" is not valid"),
        (vec!["rua=dmarc@apple.example"], "rua="),
        (vec!["adkim=x"], "adkim="),
        (vec!["polcy=reject"], "unknown tag \"polcy\""),
        (vec!["p="], "p is required"),
        (vec!["v=DMARC2"], "cannot be changed"),
        (
            vec!["p=none", "P=reject"],
            "p is given twice (p=none and P=reject)",
        ),
    ] {
        let mut all = vec!["dmarc", "set", "apple.example"];
        all.extend(args.iter().copied());
        let out = z(&s, &all);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains(want), "{args:?}: {out}");
        assert!(
            out.stderr.contains("refused, nothing was changed"),
            "{args:?}: {out}"
        );
        assert_eq!(
            apple_text(&s),
            before,
            "{args:?}: the file must be byte-identical"
        );
    }
    assert_served_serial(&s, serial);
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=none"]
    );
}

#[test]
fn a_frozen_zone_refuses_set() {
    let s = server();
    let out = s.ctl(&["freeze", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    let before = apple_text(&s);
    let out = z(&s, &["dmarc", "set", "apple.example", "p=reject"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("frozen"), "{out}");
    assert_eq!(apple_text(&s), before);
    assert!(served_txt(&s, "_dmarc.apple.example.").is_empty());
}

#[test]
fn show_explains_each_tag_and_both_receiver_generations() {
    let s = server();
    let out = z(&s, &["dmarc", "show", "apple.example"]);
    assert_eq!(out.code, 1, "no record yet: {out}");
    assert!(out.stdout.contains("no DMARC record"), "{out}");

    let out = z(
        &s,
        &[
            "dmarc",
            "set",
            "apple.example",
            "p=reject",
            "t=y",
            "pct=0",
            "rua=mailto:d@apple.example",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["dmarc", "show", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    for want in [
        "_dmarc.apple.example. TXT \"v=DMARC1; p=reject; t=y; pct=0; rua=mailto:d@apple.example\"",
        "refuse it during the SMTP session",
        "test mode",
        "RFC 7489 receivers: quarantine (spam folder) (pct=0",
        "RFC 9989 receivers: deliver; test mode (t=y)",
        "warning: pct: RFC 9989 removed",
    ] {
        assert!(out.stdout.contains(want), "missing {want:?}: {out}");
    }
    let out = z(&s, &["--json", "dmarc", "show", "apple.example"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("show --json is JSON");
    assert_eq!(
        v["canonical"],
        "v=DMARC1; p=reject; t=y; pct=0; rua=mailto:d@apple.example"
    );
    assert_eq!(v["tags"].as_array().map(Vec::len), Some(5));
}

#[test]
fn authorize_publishes_the_report_authorization_and_check_sees_it() {
    let s = server();
    let out = z(
        &s,
        &[
            "dmarc",
            "set",
            "apple.example",
            "p=none",
            "rua=mailto:reports@orange.example",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["dmarc", "check", "apple.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("FAIL     destination  rua mailto:reports@orange.example: not authorized"),
        "{out}"
    );

    let out = z(
        &s,
        &["dmarc", "authorize", "orange.example", "apple.example"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "apple.example._report._dmarc.orange.example."),
        ["v=DMARC1"]
    );
    for t in BOTH {
        let m = s.query(t, "orange.example.", RecordType::SOA);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    }
    // Again: no change, nothing written.
    let before = s.synced_text("orange.example.zone");
    let out = z(
        &s,
        &["dmarc", "authorize", "orange.example", "apple.example"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("no change"), "{out}");
    assert_eq!(s.synced_text("orange.example.zone"), before);

    let out = z(&s, &["dmarc", "check", "apple.example"]);
    assert!(
        out.stdout.contains(
            "ok       destination  rua mailto:reports@orange.example: authorized by \
             apple.example._report._dmarc.orange.example"
        ),
        "{out}"
    );
    // SPF is checked; there is no DKIM selector yet, which is all that keeps it from ready.
    assert!(
        out.stdout
            .contains("ok       spf          valid, 1 DNS lookup(s) of 10"),
        "{out}"
    );
    assert!(out.stdout.contains("FAIL     dkim"), "{out}");
    assert!(out.stdout.contains("not ready (dkim FAIL)"), "{out}");
    assert_eq!(out.code, 1, "{out}");
}

/// `z(s, args)` with stdout and stderr a pipe whose reader has gone (as `2>&1 | head -0`):
/// how the process ended.
fn z_into_closed_pipe(s: &TestServer, args: &[&str]) -> std::process::ExitStatus {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut ends = [0; 2];
    // SAFETY: pipe writes two new descriptors, each owned once below.
    assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0, "a pipe");
    let (reader, writer) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    drop(reader);
    let zones = s.zones_dir().display().to_string();
    let server = s.addr.to_string();
    std::process::Command::new(crate::harness::zonectl_bin())
        .arg("--control")
        .arg(s.control_path())
        .args(["--zones-dir", &zones, "--server", &server])
        .args(args)
        .current_dir(s.dir())
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone().expect("a second writer"))
        .stderr(writer)
        .status()
        .expect("running zonectl")
}

/// A reader that goes away (`| head -1`) does not stop a rollout step between its edit and its
/// history line: the step is applied, served and recorded, and the command ends as usual.
#[test]
fn a_rollout_step_printing_to_a_closed_pipe_still_writes_its_history() {
    let s = server();
    let history = s.zones_dir().join("apple.example.dmarc-history");
    let status = z_into_closed_pipe(&s, &["dmarc", "rollout", "apple.example", "next"]);
    assert!(status.success(), "{status:?}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=none"]
    );
    let text = fs::read_to_string(&history).expect("the history file is written");
    assert!(text.contains(" | next | none | "), "{text}");
    // A command that only reads still ends at the closed pipe, as Unix tools do.
    let status = z_into_closed_pipe(&s, &["dmarc", "show", "apple.example"]);
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(libc::SIGPIPE),
        "{status:?}"
    );
}

#[test]
fn rollout_next_refuses_early_force_steps_up_back_steps_down_and_history_records_it() {
    let s = server();
    let history = s.zones_dir().join("apple.example.dmarc-history");

    // From no record: the first stage, p=none (no readiness needed to monitor).
    let out = z(&s, &["dmarc", "rollout", "apple.example", "next"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=none"]
    );
    let serial1 = new_serial(&out);
    let text = fs::read_to_string(&history).expect("the history file is written");
    assert!(
        text.starts_with("# zonectl DMARC rollout history of apple.example\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!(" | next | none | {serial1} | ")),
        "{text}"
    );

    // Too early (and not ready): refused, nothing changes.
    let before = apple_text(&s);
    let out = z(&s, &["dmarc", "rollout", "apple.example", "next"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("minimum dwell time ends"), "{out}");
    assert!(out.stderr.contains("`--force` steps up anyway"), "{out}");
    assert_eq!(apple_text(&s), before);
    assert_served_serial(&s, serial1);

    // --force: the test-mode quarantine stage, for both generations of receivers.
    let out = z(
        &s,
        &["dmarc", "rollout", "apple.example", "next", "--force"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("--force: overriding"), "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=quarantine; t=y; pct=0"]
    );
    let serial2 = new_serial(&out);
    assert_served_serial(&s, serial2);

    // status shows the stage and the history.
    let out = z(&s, &["dmarc", "rollout", "apple.example", "status"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("position: stage 2 of 5: quarantine (t=y)"),
        "{out}"
    );
    assert!(
        out.stdout.contains("next --force quarantine (t=y)"),
        "{out}"
    );

    // back: at once, no conditions.
    let out = z(&s, &["dmarc", "rollout", "apple.example", "back"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=none"]
    );
    let serial3 = new_serial(&out);
    let text = fs::read_to_string(&history).unwrap();
    let steps: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(steps.len(), 3, "{text}");
    assert!(
        steps[1].contains(&format!(
            " | next --force | quarantine (t=y) | {serial2} | "
        )),
        "{text}"
    );
    assert!(
        steps[2].contains(&format!(" | back | none | {serial3} | ")),
        "{text}"
    );
    assert!(steps[2].ends_with(" | v=DMARC1; p=none"), "{text}");

    // A hand edit (here through `dmarc set`) is detected and reported.
    let out = z(
        &s,
        &[
            "dmarc",
            "set",
            "apple.example",
            "rua=mailto:d@apple.example",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["dmarc", "rollout", "apple.example"]);
    assert!(out.stdout.contains("hand edit detected"), "{out}");
    // back from the first stage is refused.
    let out = z(&s, &["dmarc", "rollout", "apple.example", "back"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("already at the first stage"), "{out}");
}

#[test]
fn evaluate_prints_the_decision_table() {
    let s = server();
    let out = z(
        &s,
        &["dmarc", "set", "apple.example", "p=reject", "sp=quarantine"],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = z(
        &s,
        &[
            "dmarc",
            "evaluate",
            "apple.example",
            "--mail-from",
            "bounce@orange.example",
            "--from",
            "news@apple.example",
            "--ip",
            "192.0.2.99",
            "--spf",
            "pass",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    for want in [
        "policy        _dmarc.apple.example: v=DMARC1; p=reject; sp=quarantine (the From domain's own record)",
        "SPF           pass for orange.example (given with --spf)",
        "relaxed no · strict no",
        "DMARC         fail",
        "RFC 7489      reject (p=reject)",
        "RFC 9989      reject (p=reject)",
    ] {
        assert!(out.stdout.contains(want), "missing {want:?}: {out}");
    }
    // A subdomain with aligned DKIM passes; without it, sp applies.
    let out = z(
        &s,
        &[
            "dmarc",
            "evaluate",
            "apple.example",
            "--mail-from",
            "",
            "--helo",
            "mail.apple.example",
            "--from",
            "x@sender.apple.example",
            "--ip",
            "192.0.2.27",
            "--spf",
            "fail",
        ],
    );
    assert!(
        out.stdout
            .contains("RFC 9989      quarantine (spam folder) (sp=quarantine)"),
        "{out}"
    );
    // Without --spf, SPF is evaluated from the served zones: mail.apple.example's address is
    // in apple.example's SPF.
    let out = z(
        &s,
        &[
            "dmarc",
            "evaluate",
            "apple.example",
            "--mail-from",
            "a@apple.example",
            "--from",
            "a@apple.example",
            "--ip",
            "192.0.2.25",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("SPF           pass for apple.example (evaluated: "),
        "{out}"
    );
    assert!(out.stdout.contains("DMARC         pass"), "{out}");
}

/// A zone `ORIGIN` (without the final dot) with SOA, NS and `extra` records.
fn mail_zone(origin: &str, extra: &str) -> String {
    format!(
        "$ORIGIN {origin}.\n\
         $TTL 3600\n\
         @    IN SOA ns.{origin}. hostmaster.{origin}. 2025103001 3600 900 1209600 300\n\
         @    IN NS  ns\n\
         ns   IN A   192.0.2.53\n\
         {extra}"
    )
}

/// Includes served here cost 11 lookups in all: include (1) + 4 a: in each of two includes,
/// plus the apex's own mx.
const ELEVEN_LOOKUPS: &str = "\
@     IN TXT \"v=spf1 include:s1.spf.example include:s2.spf.example mx -all\"
@     IN MX  10 h1
s1    IN TXT \"v=spf1 a:h1.spf.example a:h2.spf.example a:h3.spf.example a:h4.spf.example -all\"
s2    IN TXT \"v=spf1 a:h1.spf.example a:h2.spf.example a:h3.spf.example a:h4.spf.example -all\"
h1    IN A   192.0.2.1
h2    IN A   192.0.2.2
h3    IN A   192.0.2.3
h4    IN A   192.0.2.4
_dmarc IN TXT \"v=DMARC1; p=none; rua=mailto:d@spf.example\"
";

/// `dmarc check ZONE` on a server holding one zone `spf.example` with `extra` records.
fn check_spf_zone(extra: &str, args: &[&str]) -> Ctl {
    let s = TestServer::start(&[("spf.example.zone", &mail_zone("spf.example", extra))]);
    let mut all = vec!["dmarc", "check", "spf.example"];
    all.extend_from_slice(args);
    z(&s, &all)
}

/// The readiness line of `check` (`  STATUS  CHECK  DETAIL`).
fn readiness_line<'a>(out: &'a Ctl, check: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(check))
        .unwrap_or_else(|| panic!("no {check} line: {out}"))
}

#[test]
fn check_fails_readiness_on_spf_over_the_lookup_limit_invalid_or_doubled() {
    let dmarc = "_dmarc IN TXT \"v=DMARC1; p=none; rua=mailto:d@spf.example\"\n";
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "11 lookups through includes",
            ELEVEN_LOOKUPS.to_owned(),
            "11 DNS-querying terms (include a mx ptr exists redirect), over the limit of 10",
        ),
        (
            "a syntax error",
            format!("@ IN TXT \"v=spf1 ip4:192.0.2.300 -all\"\n{dmarc}"),
            "192.0.2.300",
        ),
        (
            "an unknown mechanism",
            format!("@ IN TXT \"v=spf1 ip5:192.0.2.1 -all\"\n{dmarc}"),
            "ip5",
        ),
        (
            "two records",
            format!("@ IN TXT \"v=spf1 -all\"\n@ IN TXT \"v=spf1 mx -all\"\n{dmarc}"),
            "2 SPF records at the apex",
        ),
    ];
    for (name, extra, want) in cases {
        let out = check_spf_zone(&extra, &[]);
        assert_eq!(out.code, 1, "{name}: {out}");
        let line = readiness_line(&out, "spf");
        assert!(line.trim_start().starts_with("FAIL"), "{name}: {out}");
        assert!(line.contains(want), "{name}: missing {want:?}: {out}");
        assert!(
            out.stdout.contains("not ready (spf FAIL, dkim FAIL)"),
            "{name}: {out}"
        );
    }
    // The same zone within the budget: SPF ok, with its count; only DKIM is missing.
    let ten = ELEVEN_LOOKUPS.replace(" mx -all", " -all");
    let out = check_spf_zone(&ten, &["--json"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("check --json is JSON");
    let spf = v["items"]
        .as_array()
        .and_then(|items| items.iter().find(|i| i["check"] == "spf"))
        .unwrap_or_else(|| panic!("no spf item: {out}"));
    assert_eq!(spf["status"], "ok", "{out}");
    assert_eq!(spf["detail"], "valid, 10 DNS lookup(s) of 10", "{out}");
    assert_eq!(v["ready"], false, "DKIM is still missing: {out}");
}

#[test]
fn check_counts_includes_outside_the_served_zones_through_resolver() {
    // The vendor's zone is served elsewhere; ours only includes it.
    let vendor = TestServer::start(&[(
        "vendor.example.zone",
        &mail_zone(
            "vendor.example",
            "_spf IN TXT \"v=spf1 a:ns.vendor.example mx:vendor.example -all\"\n\
             @ IN MX 10 ns\n",
        ),
    )]);
    let ours = "\
@      IN TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.vendor.example -all\"
_dmarc IN TXT \"v=DMARC1; p=none; rua=mailto:d@spf.example\"
";
    let out = check_spf_zone(ours, &[]);
    let line = readiness_line(&out, "spf");
    assert!(line.trim_start().starts_with("unknown"), "{out}");
    assert!(
        line.contains("not resolved: spf.example: include:_spf.vendor.example"),
        "{out}"
    );
    assert!(line.contains("--resolver"), "{out}");
    assert!(out.stdout.contains("not ready (spf unknown"), "{out}");

    // A resolver that does not answer is named as such, with no hint at the edit verbs' flag.
    let nowhere = format!("127.0.0.1:{}", free_port());
    let out = check_spf_zone(ours, &["--resolver", &nowhere]);
    let line = readiness_line(&out, "spf");
    assert!(
        line.contains(&format!("no answer from {nowhere} over UDP")),
        "{out}"
    );
    assert!(!out.stdout.contains("--server"), "{out}");

    let resolver = vendor.addr.to_string();
    let out = check_spf_zone(ours, &["--resolver", &resolver]);
    assert!(
        readiness_line(&out, "spf").contains("ok       spf          valid, 3 DNS lookup(s) of 10"),
        "{out}"
    );
}

/// `dmarc evaluate ZONE --mail-from MAIL_FROM --from FROM --ip IP EXTRA…` against `s`.
fn evaluate(
    s: &TestServer,
    zone: &str,
    mail_from: &str,
    from: &str,
    ip: &str,
    extra: &[&str],
) -> Ctl {
    let mut all = vec![
        "dmarc",
        "evaluate",
        zone,
        "--mail-from",
        mail_from,
        "--from",
        from,
        "--ip",
        ip,
    ];
    all.extend_from_slice(extra);
    z(s, &all)
}

/// What `evaluate --json` decided.
#[derive(Debug, PartialEq)]
struct Decision {
    spf: String,
    /// The domain SPF checked.
    spf_domain: String,
    spf_aligned_pass: bool,
    dmarc: String,
}

fn decision(out: &Ctl) -> Decision {
    let v: serde_json::Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
    Decision {
        spf: text(&v["spf"]["result"]),
        spf_domain: text(&v["spf"]["domain"]),
        spf_aligned_pass: v["spf"]["aligned_pass"].as_bool().unwrap_or_default(),
        dmarc: text(&v["dmarc"]),
    }
}

#[test]
fn evaluate_checks_spf_from_the_served_zones_and_aligns_with_the_domain_checked() {
    // soft.example: ~all, and a HELO name with its own SPF.
    let soft = mail_zone(
        "soft.example",
        "@      IN TXT \"v=spf1 ip4:203.0.113.0/28 ~all\"\n\
         mail   IN A   203.0.113.25\n\
         mail   IN TXT \"v=spf1 a -all\"\n\
         _dmarc IN TXT \"v=DMARC1; p=reject\"\n",
    );
    let s = TestServer::start(&[
        (APPLE, &apple_zone()),
        ("orange.example.zone", &orange_zone()),
        ("soft.example.zone", &soft),
    ]);
    let out = z(&s, &["dmarc", "set", "apple.example", "p=reject"]);
    assert_eq!(out.code, 0, "{out}");
    let j = ["--json"];
    let t = |spf: &str, domain: &str, aligned: bool, dmarc: &str| Decision {
        spf: spf.to_owned(),
        spf_domain: domain.to_owned(),
        spf_aligned_pass: aligned,
        dmarc: dmarc.to_owned(),
    };
    let cases: Vec<(&str, Ctl, Decision)> = vec![
        (
            "IP in apple's SPF",
            evaluate(
                &s,
                "apple.example",
                "b@apple.example",
                "n@apple.example",
                "192.0.2.25",
                &j,
            ),
            t("pass", "apple.example", true, "pass"),
        ),
        (
            "IPv6 in apple's SPF",
            evaluate(
                &s,
                "apple.example",
                "b@apple.example",
                "n@apple.example",
                "2001:db8:a::25",
                &j,
            ),
            t("pass", "apple.example", true, "pass"),
        ),
        (
            "IP outside apple's SPF (-all)",
            evaluate(
                &s,
                "apple.example",
                "b@apple.example",
                "n@apple.example",
                "192.0.2.99",
                &j,
            ),
            t("fail", "apple.example", false, "fail"),
        ),
        (
            "IP outside soft's SPF (~all)",
            evaluate(
                &s,
                "soft.example",
                "b@soft.example",
                "n@soft.example",
                "192.0.2.99",
                &j,
            ),
            t("softfail", "soft.example", false, "fail"),
        ),
        (
            "MAIL FROM orange passes SPF, From apple: not aligned",
            evaluate(
                &s,
                "apple.example",
                "b@orange.example",
                "n@apple.example",
                "198.51.100.25",
                &j,
            ),
            t("pass", "orange.example", false, "fail"),
        ),
        (
            "null sender: the HELO name is checked and aligned",
            evaluate(
                &s,
                "soft.example",
                "",
                "n@soft.example",
                "203.0.113.25",
                &["--json", "--helo", "mail.soft.example"],
            ),
            t("pass", "mail.soft.example", true, "pass"),
        ),
        (
            "null sender: HELO outside its SPF",
            evaluate(
                &s,
                "soft.example",
                "<>",
                "n@soft.example",
                "203.0.113.1",
                &["--json", "--helo", "mail.soft.example"],
            ),
            t("fail", "mail.soft.example", false, "fail"),
        ),
        (
            "SPF fails, aligned DKIM passes",
            evaluate(
                &s,
                "apple.example",
                "b@apple.example",
                "n@apple.example",
                "192.0.2.99",
                &["--json", "--dkim", "apple.example=pass"],
            ),
            t("fail", "apple.example", false, "pass"),
        ),
        (
            "--spf overrides the evaluation (what-if)",
            evaluate(
                &s,
                "apple.example",
                "b@apple.example",
                "n@apple.example",
                "192.0.2.99",
                &["--json", "--spf", "pass"],
            ),
            t("pass", "apple.example", true, "pass"),
        ),
    ];
    for (name, out, want) in cases {
        assert_eq!(out.code, 0, "{name}: {out}");
        assert_eq!(decision(&out), want, "{name}: {out}");
    }

    // The table says where the result came from and what matched.
    let out = evaluate(
        &s,
        "soft.example",
        "b@soft.example",
        "n@soft.example",
        "192.0.2.99",
        &[],
    );
    for want in [
        "SPF           softfail for soft.example (evaluated: soft.example: '~all' matched; 0 DNS lookup(s))",
        "DMARC         fail",
        "RFC 7489      reject (p=reject)",
    ] {
        assert!(out.stdout.contains(want), "missing {want:?}: {out}");
    }
    let out = evaluate(
        &s,
        "apple.example",
        "b@apple.example",
        "n@apple.example",
        "192.0.2.99",
        &[],
    );
    assert!(
        out.stdout.contains("SPF           fail for apple.example (evaluated: apple.example: '-all' matched; 1 DNS lookup(s))"),
        "{out}"
    );
}

#[test]
fn rollout_next_needs_a_dkim_key_that_parses() {
    // A published DKIM record whose key is cut short: readiness fails on DKIM alone.
    let apple = format!(
        "{}s1._domainkey IN TXT \"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\"\n",
        apple_zone()
    );
    let s = TestServer::start(&[(APPLE, &apple), ("orange.example.zone", &orange_zone())]);
    let out = z(&s, &["dmarc", "rollout", "apple.example", "next"]);
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["dmarc", "rollout", "apple.example", "next"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("  - not ready for an enforcing policy: dkim FAIL (see `dmarc check`)\n"),
        "{out}"
    );
    assert!(!out.stderr.contains(" spf "), "SPF is not a reason: {out}");
    let out = z(&s, &["dmarc", "check", "apple.example"]);
    assert!(
        out.stdout
            .contains("ok       spf          valid, 1 DNS lookup(s) of 10"),
        "{out}"
    );
    assert!(out.stdout.contains("not ready (dkim FAIL)"), "{out}");

    // A key made and published by `dkim keygen`: DKIM passes and the rollout goes on.
    let out = z(
        &s,
        &[
            "dkim",
            "keygen",
            "apple.example",
            "--selector",
            "s2",
            "--algorithm",
            "ed25519",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["record", "del", "apple.example", "s1._domainkey"]);
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["dmarc", "check", "apple.example"]);
    assert!(
        out.stdout
            .contains("ok       dkim         published with a valid key: s2"),
        "{out}"
    );
    // Ready now: what still holds the step is only the time at the current stage.
    let out = z(&s, &["dmarc", "rollout", "apple.example", "next"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("minimum dwell time") && !out.stderr.contains("not ready"),
        "{out}"
    );
    let out = z(
        &s,
        &["dmarc", "rollout", "apple.example", "next", "--force"],
    );
    assert_eq!(out.code, 0, "{out}");
    let m = s.query(
        crate::harness::Udp,
        "_dmarc.apple.example.",
        RecordType::TXT,
    );
    assert!(
        txt_answers(&m)
            .iter()
            .any(|t| t.contains("p=quarantine") && t.contains("t=y")),
        "{m}"
    );
}

#[test]
fn a_report_size_limit_is_kept_and_warned_about() {
    let s = server();
    let rua = "rua=mailto:d@apple.example!10m";
    let out = z(&s, &["dmarc", "set", "apple.example", "p=none", rua]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        vec!["v=DMARC1; p=none; rua=mailto:d@apple.example!10m".to_owned()]
    );
    let out = z(&s, &["dmarc", "show", "apple.example"]);
    assert!(
        out.stdout.contains(
            "warning: rua: the size limit in mailto:d@apple.example!10m is RFC 7489 syntax \
             that RFC 9989 dropped"
        ),
        "{out}"
    );
}

/// A record meant as DMARC that receivers read as none (no `;` after the version): `show` says
/// so rather than only "no DMARC record", and `set` replaces it instead of adding a second.
#[test]
fn a_record_without_the_semicolon_after_the_version_is_named_and_replaced_by_set() {
    let s = server();
    let out = z(
        &s,
        &[
            "record",
            "add",
            "apple.example",
            "_dmarc",
            "TXT",
            "v=DMARC1 p=none",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let out = z(&s, &["dmarc", "show", "apple.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("_dmarc.apple.example.: no DMARC record")
            && out.stdout.contains(
                "\"v=DMARC1 p=none\" starts like a DMARC record, but receivers read it as none"
            ),
        "{out}"
    );
    let out = z(&s, &["dmarc", "set", "apple.example", "p=none"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=none"]
    );
}

/// `dmarc set` reads the record, merges its tags and writes it back. Run four at once, each
/// keeps the others' tags (a command whose record changed before its edit arrived reads it
/// again), through the server and on the file with no server running.
#[test]
fn sets_run_at_once_each_keep_the_others_tags() {
    let tags = ["adkim=s", "aspf=s", "fo=1", "rua=mailto:d@apple.example"];
    let run_all = |run: &(dyn Fn(&[&str]) -> Ctl + Sync)| {
        let out = run(&["dmarc", "set", "apple.example", "p=none"]);
        assert_eq!(out.code, 0, "{out}");
        std::thread::scope(|sc| {
            let runs: Vec<_> = tags
                .iter()
                .map(|t| sc.spawn(move || run(&["dmarc", "set", "apple.example", t])))
                .collect();
            for r in runs {
                let out = r.join().expect("a dmarc set thread");
                assert_eq!(out.code, 0, "{out}");
            }
        });
    };
    let has_all = |record: &str| {
        for t in tags {
            assert!(record.contains(t), "{t} lost from {record:?}");
        }
    };

    let s = server();
    run_all(&|args| z(&s, args));
    let served = served_txt(&s, "_dmarc.apple.example.");
    assert_eq!(served.len(), 1, "{served:?}");
    has_all(&served[0]);

    let dir = tempfile::tempdir().expect("tempdir");
    let zones = dir.path().join("zones");
    fs::create_dir(&zones).expect("zones dir");
    fs::write(zones.join(APPLE), apple_zone()).expect("zone file");
    let zones = zones.display().to_string();
    let control = dir.path().join("no-server.sock");
    run_all(&|args| {
        let mut all = vec!["--zones-dir", zones.as_str()];
        all.extend_from_slice(args);
        crate::harness::zonectl_in(dir.path(), Some(&control), &all)
    });
    let text = fs::read_to_string(dir.path().join("zones").join(APPLE)).expect("zone file");
    let line = text
        .lines()
        .find(|l| l.contains("v=DMARC1"))
        .unwrap_or_else(|| panic!("no DMARC record in\n{text}"));
    has_all(line);
}

/// The zone named in capitals is the same zone: the edit is served, written into the file, and
/// the next one is accepted.
#[test]
fn set_with_the_zone_in_capitals_edits_the_zone_and_its_file() {
    let s = server();
    let out = z(&s, &["dmarc", "set", "APPLE.EXAMPLE", "p=quarantine"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        served_txt(&s, "_dmarc.apple.example."),
        ["v=DMARC1; p=quarantine"]
    );
    assert!(apple_text(&s).contains("\"v=DMARC1; p=quarantine\""));
    let out = z(&s, &["dmarc", "set", "apple.example", "p=reject"]);
    assert_eq!(out.code, 0, "{out}");
    let out = z(
        &s,
        &[
            "record",
            "set",
            "APPLE.EXAMPLE",
            "_dmarc",
            "TXT",
            "v=DMARC1; p=none",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(apple_text(&s).contains("\"v=DMARC1; p=none\""));
}

/// `show` shows the record the server serves: while a hand edit that does not load waits in
/// the file, the record served is the one shown.
#[test]
fn show_shows_the_record_served_while_the_file_does_not_load() {
    let s = server();
    let out = z(&s, &["dmarc", "set", "apple.example", "p=quarantine"]);
    assert_eq!(out.code, 0, "{out}");
    let broken = apple_text(&s).replace("p=quarantine", "p=reject") + "bad A 192.0.2.999\n";
    s.write_zone(APPLE, &broken);
    assert!(
        crate::harness::wait_until(std::time::Duration::from_secs(5), || s
            .status_text()
            .contains("(failed)")),
        "{}",
        s.status_text()
    );
    let out = z(&s, &["dmarc", "show", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .contains("_dmarc.apple.example. TXT \"v=DMARC1; p=quarantine\""),
        "{out}"
    );
}
