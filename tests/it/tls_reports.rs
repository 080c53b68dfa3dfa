//! `zonectl tlsrpt report`: SMTP TLS reports (RFC 8460) read through the real binary, from
//! the forms they arrive in, mixed with DMARC reports as one `rua` mailbox holds them. The
//! shipped examples are in `reports::the_shipped_reports_read_as_the_readme_shows`; the CI's
//! parsedmarc oracle (`tests/dmarc/reports_oracle.sh`) checks the counts on generated reports.

use std::fs;
use std::io::Write;
use std::path::Path;

use crate::harness::{zonectl_in, TestServer};

/// RFC 8460 §4.4's example report, with its period moved to `day` (`YYYY-MM-DD`) and its id
/// to `id`.
fn rfc_example(day: &str, id: &str) -> String {
    format!(
        r#"{{
  "organization-name": "Company-X",
  "date-range": {{"start-datetime": "{day}T00:00:00Z", "end-datetime": "{day}T23:59:59Z"}},
  "contact-info": "sts-reporting@company-x.example",
  "report-id": "{id}",
  "policies": [{{
    "policy": {{
      "policy-type": "sts",
      "policy-string": ["version: STSv1", "mode: testing", "mx: *.mail.company-y.example", "max_age: 86400"],
      "policy-domain": "company-y.example",
      "mx-host": "*.mail.company-y.example"
    }},
    "summary": {{"total-successful-session-count": 5326, "total-failure-session-count": 303}},
    "failure-details": [
      {{"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::1",
        "receiving-mx-hostname": "mx1.mail.company-y.example", "failed-session-count": 100}},
      {{"result-type": "starttls-not-supported", "sending-mta-ip": "2001:db8:abcd:0013::1",
        "receiving-mx-hostname": "mx2.mail.company-y.example", "receiving-ip": "203.0.113.56",
        "failed-session-count": 200,
        "additional-information": "https://reports.company-x.example/report_info?id=5065427c-23d3#StarttlsNotSupported"}},
      {{"result-type": "validation-failure", "sending-mta-ip": "198.51.100.62",
        "receiving-ip": "203.0.113.58", "receiving-mx-hostname": "mx-backup.mail.company-y.example",
        "failed-session-count": 3, "failure-reason-code": "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"}}
    ]
  }}]
}}"#
    )
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// A report mail as RFC 8460 §5.3 describes it, the report attached uncompressed as
/// `application/tlsrpt+json`.
fn mail(report: &str) -> String {
    format!(
        "From: tlsrpt@company-x.example\r\nTLS-Report-Domain: company-y.example\r\n\
         TLS-Report-Submitter: company-x.example\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nA TLS report.\r\n--b\r\n\
         Content-Type: application/tlsrpt+json\r\nContent-Transfer-Encoding: 7bit\r\n\
         Content-Disposition: attachment; filename=\"company-x.example!company-y.example!1!2!3.json\"\r\n\
         \r\n{report}\r\n--b--\r\n"
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    fs::write(dir.join(name), bytes).unwrap();
}

#[test]
fn tls_reports_are_summed_from_json_gzip_and_mail_beside_dmarc_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.json", rfc_example("2026-11-20", "a").as_bytes());
    // The same report again, gzipped: left out as a duplicate.
    write(
        d,
        "a.json.gz",
        &gzip(rfc_example("2026-11-20", "a").as_bytes()),
    );
    write(d, "b.eml", mail(&rfc_example("2026-11-21", "b")).as_bytes());
    // Three weeks older: counted, unless --days leaves it out.
    write(d, "old.json", rfc_example("2026-10-30", "old").as_bytes());
    // A DMARC report in the same mailbox is passed over, not an error.
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/dmarc-aggregate/mail-dmarc/test_dmarc.xml"),
        d.join("dmarc.xml"),
    )
    .unwrap();
    let out = zonectl_in(d, None, &["tlsrpt", "report", "."]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stderr, "", "{out}");
    let want = "\
read 4 SMTP TLS reports from 4 of 5 files; 1 left out as duplicates (same reporter and report id); 1 DMARC aggregate report passed over (`zonectl dmarc report` reads it)

company-y.example: 3 reports, 2026-10-30T00:00:00Z to 2026-11-21T23:59:59Z
  reporters (sessions): Company-X 16887
  MTA-STS policy (the newest reported): mode testing, mx *.mail.company-y.example
  sessions: 16887; succeeded 15978 (94.6%), failed 909 (5.4%)
  MTA-STS testing: under `mode: enforce` senders would not have delivered over 909 of 16887 sessions (5.4%): they would try another MX, or hold the mail and retry, and bounce it if no MX passes; fix the failures below before enforcing
  failures, most sessions first:
    starttls-not-supported  at mx2.mail.company-y.example [203.0.113.56]        600 sessions from 1 sending IP  (sts testing): the MX did not offer STARTTLS
    certificate-expired     at mx1.mail.company-y.example                       300 sessions from 1 sending IP  (sts testing): the MX's certificate has expired
    validation-failure      at mx-backup.mail.company-y.example [203.0.113.58]    9 sessions from 1 sending IP  (sts testing)  reason X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED: failed for another reason: see the reason code
";
    assert_eq!(out.stdout, want, "{out}");

    // --days 14: the October report is left out and said so; --top 1; --json has every group.
    let recent = zonectl_in(
        d,
        None,
        &["tlsrpt", "report", ".", "--days", "14", "--top", "1"],
    );
    assert_eq!(recent.code, 0, "{recent}");
    assert!(
        recent.stdout.contains(
            "company-y.example: 2 reports, 2026-11-20T00:00:00Z to 2026-11-21T23:59:59Z \
             (1 older left out by --days)\n"
        ),
        "{recent}"
    );
    assert!(
        recent
            .stdout
            .contains("  failures, most sessions first (1 of 3; --top N for more):\n"),
        "{recent}"
    );
    let json = zonectl_in(
        d,
        None,
        &["--json", "tlsrpt", "report", ".", "--days", "14"],
    );
    let v: serde_json::Value =
        serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json}"));
    let dom = &v["domains"][0];
    assert_eq!(dom["domain"], "company-y.example");
    assert_eq!(
        (dom["successful"].as_u64(), dom["failed"].as_u64()),
        (Some(10652), Some(606))
    );
    assert_eq!(dom["by_policy"]["sts testing"]["failed"], 606);
    assert_eq!(dom["sts_mode"], "testing");
    assert_eq!(dom["failures"].as_array().unwrap().len(), 3);
    assert_eq!(dom["failures"][0]["receiving_ips"][0], "203.0.113.56");
    assert_eq!(v["duplicates"], 1);
    let files = v["files"].as_array().unwrap();
    let mail = files.iter().find(|f| f["path"] == "./b.eml").unwrap();
    assert_eq!(
        mail["reports"][0]["inside"][0],
        "company-x.example!company-y.example!1!2!3.json"
    );
    assert_eq!(
        files.iter().find(|f| f["path"] == "./dmarc.xml").unwrap()["dmarc_reports"],
        1
    );
}

#[test]
fn what_is_not_a_tls_report_is_named_and_the_rest_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "good.json", rfc_example("2026-11-20", "a").as_bytes());
    write(
        d,
        "cut.json",
        &rfc_example("2026-11-21", "b").as_bytes()[..200],
    );
    write(d, "other.json", br#"{"name": "not a report"}"#);
    write(
        d,
        "dane.json",
        rfc_example("2026-11-22", "c")
            .replace(r#""policy-type": "sts""#, r#""policy-type": "dane""#)
            .as_bytes(),
    );
    let out = zonectl_in(d, None, &["tlsrpt", "report", "."]);
    assert_eq!(out.code, 1, "{out}");
    for want in [
        "zonectl: ./cut.json: JSON that cannot be read: EOF while parsing",
        "zonectl: ./other.json: JSON, but not an SMTP TLS report (RFC 8460): it has no \
         organization-name and policies\n",
        "zonectl: ./dane.json: not a usable SMTP TLS report: policy 1: policy-type \"dane\" is \
         none of sts, tlsa and no-policy-found\n",
    ] {
        assert!(out.stderr.contains(want), "{want}: {out}");
    }
    assert!(
        out.stdout
            .starts_with("read 1 SMTP TLS report from 1 of 4 files\n"),
        "{out}"
    );
    // Another domain asked for: none, exit 1 and said.
    let none = zonectl_in(
        d,
        None,
        &["tlsrpt", "report", "good.json", "--domain", "a.example"],
    );
    assert_eq!(none.code, 1, "{none}");
    assert!(
        none.stderr
            .contains("zonectl: no SMTP TLS report for a.example in what was read\n"),
        "{none}"
    );
    // dmarc report, handed the good report, finds no DMARC report in it and no error.
    let dmarc = zonectl_in(d, None, &["dmarc", "report", "good.json"]);
    assert_eq!(dmarc.code, 0, "{dmarc}");
    assert_eq!(
        dmarc.stdout,
        "read 0 reports from 0 of 1 file; 1 SMTP TLS report passed over (`zonectl tlsrpt \
         report` reads it)\n",
        "{dmarc}"
    );
    // Handed the whole directory, it names the same three files and exits 1.
    let all = zonectl_in(d, None, &["dmarc", "report", "."]);
    assert_eq!(all.code, 1, "{all}");
    for file in ["cut.json", "other.json", "dane.json"] {
        assert!(
            all.stderr.contains(&format!("zonectl: ./{file}: ")),
            "{file}: {all}"
        );
    }
    assert!(!all.stderr.contains("good.json"), "{all}");
}

/// An SMTP TLS report about apple.example for the day before today (so the evidence is never
/// stale), with `ok` sessions and `failed` certificate-host-mismatch ones at its MX.
fn apple_report_yesterday(id: &str, ok: u64, failed: u64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let day = now / 86_400 - 1;
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = day as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let date = format!("{y:04}-{m:02}-{d:02}");
    let failures = if failed == 0 {
        String::new()
    } else {
        format!(
            r#", "failure-details": [{{"result-type": "certificate-host-mismatch",
            "receiving-mx-hostname": "mail.apple.example", "receiving-ip": "2001:db8:a::25",
            "sending-mta-ip": "198.51.100.7", "failed-session-count": {failed}}}]"#
        )
    };
    format!(
        r#"{{"organization-name": "Google Inc.", "contact-info": "smtp-tls-reporting@google.com",
        "report-id": "{id}", "date-range": {{"start-datetime": "{date}T00:00:00Z",
        "end-datetime": "{date}T23:59:59Z"}}, "policies": [{{"policy": {{"policy-type": "sts",
        "policy-string": ["version: STSv1", "mode: testing", "mx: mail.apple.example",
        "max_age: 604800"], "policy-domain": "apple.example"}}, "summary":
        {{"total-successful-session-count": {ok}, "total-failure-session-count": {failed}}}{failures}}}]}}"#
    )
}

#[test]
fn mta_sts_check_judges_enforce_by_records_policy_mx_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    fs::create_dir(d.join("zones")).unwrap();
    fs::create_dir(d.join("reports")).unwrap();
    let shipped = fs::read_to_string(repo.join("zones/apple.example.zone")).unwrap();
    fs::write(d.join("zones/apple.example.zone"), &shipped).unwrap();

    // The shipped zone publishes nothing for MTA-STS yet.
    let bare = zonectl_in(d, None, &["mta-sts", "check", "apple.example"]);
    assert_eq!(bare.code, 1, "{bare}");
    assert!(
        bare.stdout.ends_with(
            "not ready (record FAIL, policy-host FAIL, policy unknown, mx unknown, reports \
             unknown): fix what FAILs; `unknown` could not be established\n"
        ),
        "{bare}"
    );
    assert!(
        bare.stdout.contains(
            "  warn     tlsrpt       no TLS-RPT record at _smtp._tls.apple.example: senders send \
             no SMTP TLS reports"
        ),
        "{bare}"
    );

    let published = format!(
        "{shipped}_mta-sts IN TXT \"v=STSv1; id=20261128\"\n\
         _smtp._tls IN TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@apple.example\"\n\
         mta-sts IN CNAME sts.provider.example.\n"
    );
    fs::write(d.join("zones/apple.example.zone"), published).unwrap();
    write(
        d,
        "mta-sts.txt",
        b"version: STSv1\r\nmode: testing\r\nmx: mail.apple.example\r\nmax_age: 604800\r\n",
    );
    write(
        &d.join("reports"),
        "clean.json",
        apple_report_yesterday("a", 2000, 0).as_bytes(),
    );
    let check = |extra: &[&str]| {
        let mut args = vec![
            "mta-sts",
            "check",
            "apple.example",
            "--policy",
            "mta-sts.txt",
        ];
        args.extend_from_slice(extra);
        zonectl_in(d, None, &args)
    };
    let ready = check(&["--reports", "reports"]);
    assert_eq!(ready.code, 0, "{ready}");
    for want in [
        "readiness of apple.example for MTA-STS mode: enforce:\n",
        "  ok       record       _mta-sts.apple.example: id=20261128\n",
        "  ok       policy-host  mta-sts.apple.example is a CNAME to sts.provider.example (not \
         followed: the policy is served there)\n",
        "  ok       policy       mta-sts.txt: mode testing, max_age 604800, mx mail.apple.example\n",
        "  ok       mx           every MX is allowed by the policy: mail.apple.example \
         (mail.apple.example)\n",
        "  ok       reports      no session under the MTA-STS policy failed, of 2000 (2000 \
         session(s) in 1 report(s), ",
    ] {
        assert!(ready.stdout.contains(want), "{want}: {ready}");
    }
    assert!(ready.stdout.ends_with("\nready\n"), "{ready}");
    // The same from the configuration: the zone's policy file and the reports' directory.
    write(
        d,
        "zonectl.toml",
        b"tlsrpt_reports = \"reports\"\n[[zone]]\nname = \"apple.example\"\nmta_sts_policy = \"mta-sts.txt\"\n",
    );
    let configured = zonectl_in(
        d,
        None,
        &[
            "--config",
            "zonectl.toml",
            "mta-sts",
            "check",
            "apple.example",
        ],
    );
    assert_eq!(configured.code, 0, "{configured}");
    assert_eq!(configured.stdout, ready.stdout);

    // An MX the policy does not name: enforce would refuse to deliver to it.
    write(
        d,
        "other.txt",
        b"version: STSv1\nmode: testing\nmx: *.mail.apple.example\nmax_age: 86400\n",
    );
    let uncovered = zonectl_in(
        d,
        None,
        &["mta-sts", "check", "apple.example", "--policy", "other.txt"],
    );
    assert_eq!(uncovered.code, 1, "{uncovered}");
    assert!(
        uncovered.stdout.contains(
            "  FAIL     mx           MX mail.apple.example allowed by no mx: line of the policy: \
             under enforce senders would not deliver to it"
        ),
        "{uncovered}"
    );

    // 1 % of the sessions failing fails; --json says the same.
    write(
        &d.join("reports"),
        "failing.json",
        apple_report_yesterday("b", 1970, 30).as_bytes(),
    );
    let failing = check(&["--reports", "reports", "--json"]);
    assert_eq!(failing.code, 1, "{failing}");
    let v: serde_json::Value =
        serde_json::from_str(&failing.stdout).unwrap_or_else(|e| panic!("{e}: {failing}"));
    assert_eq!(v["ready"], false);
    let reports = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["check"] == "reports")
        .unwrap();
    assert_eq!(reports["status"], "FAIL");
    assert!(
        reports["detail"].as_str().unwrap().starts_with(
            "enforce would not deliver over 30 of 4000 session(s) under the policy; fix \
             certificate-host-mismatch at mail.apple.example (30)"
        ),
        "{failing}"
    );
    // A reports path that does not exist leaves the item unknown, the rest still judged.
    let missing = check(&["--reports", "no-such-dir"]);
    assert_eq!(missing.code, 1, "{missing}");
    assert!(
        missing
            .stdout
            .contains("  unknown  reports      the reports in no-such-dir cannot be read: "),
        "{missing}"
    );
}

#[test]
fn mta_sts_publish_checks_the_policy_then_serves_a_new_id() {
    let shipped = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/zones/apple.example.zone"
    ))
    .unwrap();
    let s = TestServer::start(&[(
        "apple.example.zone",
        &format!("{shipped}_mta-sts IN TXT \"v=STSv1; id=1\"\n_mta-sts IN TXT \"other\"\n"),
    )]);
    let dir = tempfile::tempdir().unwrap();
    let policy = |name: &str, text: &str| {
        let path = dir.path().join(name);
        fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let z = |args: &[&str]| s.edit_ctl(args);
    let name = "_mta-sts.apple.example.";
    let before = s.served_txt(name);

    // Enforced without the zone's MX: refused, nothing changed.
    let enforce = policy(
        "enforce.txt",
        "version: STSv1\nmode: enforce\nmx: *.mail.apple.example\nmax_age: 604800\n",
    );
    let out = z(&["mta-sts", "publish", "apple.example", "--policy", &enforce]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains(
            "apple.example: refused, nothing was changed: MX mail.apple.example allowed by no \
             mx: line of "
        ),
        "{out}"
    );
    assert_eq!(s.served_txt(name), before);
    // A policy senders could not parse: refused, naming the line.
    let broken = policy(
        "broken.txt",
        "version: STSv1\nmode: enforcing\nmx: mail.apple.example\nmax_age: 86400\n",
    );
    let out = z(&["mta-sts", "publish", "apple.example", "--policy", &broken]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("line 2: mode: \"enforcing\" is not valid: enforce, testing or none"),
        "{out}"
    );

    // A good one: a new id (the UTC time), other TXT at the name kept, served at once.
    let testing = policy(
        "testing.txt",
        "version: STSv1\nmode: testing\nmx: mail.apple.example\nmax_age: 86400\n",
    );
    let out = z(&["mta-sts", "publish", "apple.example", "--policy", &testing]);
    assert_eq!(out.code, 0, "{out}");
    let served = s.served_txt(name);
    assert_eq!(served.len(), 2, "{served:?}");
    assert!(served.contains(&"other".to_string()), "{served:?}");
    let first = served
        .iter()
        .find(|t| t.starts_with("v=STSv1; id="))
        .unwrap()
        .clone();
    let id = &first["v=STSv1; id=".len()..];
    assert!(
        id.len() >= 14 && id.bytes().all(|b| b.is_ascii_digit()),
        "{first}"
    );
    assert!(
        out.stderr
            .contains("mode testing, max_age 86400, mx mail.apple.example; the new id"),
        "{out}"
    );

    // Published again (within the same second or not): the id changes again.
    let out = z(&["mta-sts", "publish", "apple.example", "--policy", &testing]);
    assert_eq!(out.code, 0, "{out}");
    let again = s.served_txt(name);
    assert!(!again.contains(&first), "{again:?}");

    // A repeated key is published (senders use the first), with the warning said.
    let repeated = policy(
        "repeated.txt",
        "version: STSv1\nmode: testing\nmx: mail.apple.example\nmode: enforce\nmax_age: 86400\n",
    );
    let out = z(&[
        "--dry-run",
        "mta-sts",
        "publish",
        "apple.example",
        "--policy",
        &repeated,
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stderr
            .contains("repeated.txt: line 4: mode: appears again: senders use the first"),
        "{out}"
    );

    // --force publishes the enforced policy anyway; --dry-run changes nothing.
    let dry = z(&[
        "--dry-run",
        "mta-sts",
        "publish",
        "apple.example",
        "--policy",
        &enforce,
        "--force",
    ]);
    assert_eq!(dry.code, 0, "{dry}");
    assert_eq!(s.served_txt(name), again);
    let forced = z(&[
        "mta-sts",
        "publish",
        "apple.example",
        "--policy",
        &enforce,
        "--force",
    ]);
    assert_eq!(forced.code, 0, "{forced}");
    assert_ne!(s.served_txt(name), again);
}

/// `_mta-sts` delegated by CNAME (as hosted MTA-STS does) is read at its target, and `publish`
/// leaves its id to whoever serves the target; with no MX record the domain itself is the mail
/// host the policy must allow.
#[test]
fn mta_sts_follows_a_delegated_record_and_the_implicit_mx() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("zones")).unwrap();
    let shipped = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/zones/apple.example.zone"
    ))
    .unwrap();
    let without_mx: String = shipped
        .lines()
        .filter(|l| !l.contains(" MX "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_ne!(without_mx, shipped, "the shipped zone has an MX line");
    fs::write(
        d.join("zones/apple.example.zone"),
        format!(
            "{without_mx}@ IN A 192.0.2.25\n_mta-sts IN CNAME sts-id\nsts-id IN TXT \
             \"v=STSv1; id=77\"\nmta-sts IN CNAME sts.provider.example.\n"
        ),
    )
    .unwrap();
    write(
        d,
        "p.txt",
        b"version: STSv1\nmode: enforce\nmx: mail.apple.example\nmax_age: 604800\n",
    );
    let out = zonectl_in(
        d,
        None,
        &["mta-sts", "check", "apple.example", "--policy", "p.txt"],
    );
    assert_eq!(out.code, 1, "{out}");
    for want in [
        "  ok       record       _mta-sts.apple.example (a CNAME to sts-id.apple.example): \
         id=77\n",
        "  ok       policy-host  mta-sts.apple.example is a CNAME to sts.provider.example (not \
         followed: the policy is served there)\n",
        "  FAIL     mx           no MX record, so senders deliver to the domain itself (RFC 5321 \
         §5.1): MX apple.example allowed by no mx: line of the policy",
    ] {
        assert!(out.stdout.contains(want), "{want}: {out}");
    }
    let publish = zonectl_in(
        d,
        None,
        &["mta-sts", "publish", "apple.example", "--policy", "p.txt"],
    );
    assert_eq!(publish.code, 1, "{publish}");
    assert!(
        publish.stderr.contains(
            "apple.example: refused, nothing was changed: _mta-sts.apple.example is a CNAME to \
             sts-id.apple.example: the policy id is changed there"
        ),
        "{publish}"
    );
}

#[test]
fn mta_sts_policy_reads_a_file_as_senders_do_and_matches_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "p.txt",
        b"version: STSv1\r\nmode: testing\r\nmode: enforce\r\nmx: *.example.net\r\nmax_age: 86400\r\n",
    );
    let out = zonectl_in(
        d,
        None,
        &[
            "mta-sts",
            "policy",
            "p.txt",
            "--mx",
            "MX1.example.net.",
            "--mx",
            "example.net",
        ],
    );
    assert_eq!(out.code, 1, "a host is not allowed: {out}");
    assert_eq!(
        out.stdout,
        "p.txt: valid: mode testing, max_age 86400, mx *.example.net\n  warning: line 3: mode: \
         appears again: senders use the first and ignore this one (RFC 8461 §3.2); keep one\n\
         MX1.example.net.: allowed by mx: *.example.net\nexample.net: allowed by no mx: line: \
         under mode: enforce senders would not deliver to it\n",
        "{out}"
    );
    let ok = zonectl_in(
        d,
        None,
        &["mta-sts", "policy", "p.txt", "--mx", "a.example.net"],
    );
    assert_eq!(ok.code, 0, "{ok}");
    write(
        d,
        "bad.txt",
        b"version: STSv1\nmode: testing\nmx: mail.example.com.\n",
    );
    let bad = zonectl_in(d, None, &["--json", "mta-sts", "policy", "bad.txt"]);
    assert_eq!(bad.code, 1, "{bad}");
    let v: serde_json::Value = serde_json::from_str(&bad.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(
        v["problems"],
        serde_json::json!([
            "line 3: mx: \"mail.example.com.\" is not valid: a host name without a final dot \
             (senders compare patterns as written)",
            "max_age: is missing",
            "no valid mx: line: under mode testing senders would accept no MX at all"
        ])
    );
}

/// An edit of the MX records is checked against the zone's MTA-STS policy file
/// (`mta_sts_policy`): under `mode: enforce` one that leaves a mail host the policy does not
/// allow is refused, dry run or not, unless `--force`; under `mode: testing` it is a warning.
#[test]
fn an_mx_edit_is_checked_against_the_zones_mta_sts_policy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::create_dir(d.join("zones")).unwrap();
    let zone = d.join("zones/apple.example.zone");
    fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/zones/apple.example.zone"),
        &zone,
    )
    .unwrap();
    let enforce = b"version: STSv1\nmode: enforce\nmx: mail.apple.example\nmax_age: 604800\n";
    write(d, "mta-sts.txt", enforce);
    write(
        d,
        "z.toml",
        b"[[zone]]\nname = \"apple.example\"\nmta_sts_policy = \"mta-sts.txt\"\n",
    );
    let z = |args: &[&str]| {
        let mut all = vec!["--config", "z.toml"];
        all.extend_from_slice(args);
        zonectl_in(d, None, &all)
    };
    let refusal = "zonectl: apple.example.: refused, nothing was changed: MX mx2.apple.example \
                   allowed by no mx: line of the MTA-STS policy mta-sts.txt (mode enforce): \
                   senders enforcing it will not deliver to it; add it to the policy, then \
                   `zonectl mta-sts publish apple.example` (`--force` edits anyway)\n";
    let before = fs::read_to_string(&zone).unwrap();
    for dry in [true, false] {
        let mut args = vec![
            "record",
            "add",
            "apple.example",
            "@",
            "MX",
            "20",
            "mx2.apple.example.",
        ];
        if dry {
            args.insert(0, "--dry-run");
        }
        let out = z(&args);
        assert_eq!(out.code, 1, "{out}");
        assert!(out.stderr.contains(refusal), "{out}");
    }
    assert_eq!(
        fs::read_to_string(&zone).unwrap(),
        before,
        "nothing was changed"
    );
    // --force makes it, with the warning (in --json's warnings too).
    let forced = z(&[
        "--json",
        "record",
        "add",
        "--force",
        "apple.example",
        "@",
        "MX",
        "20",
        "mx2.apple.example.",
    ]);
    assert_eq!(forced.code, 0, "{forced}");
    let v: serde_json::Value = serde_json::from_str(&forced.stdout).unwrap();
    assert!(
        v["warnings"].as_array().unwrap().iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("warning: MX mx2.apple.example allowed")),
        "{forced}"
    );
    // Deleting it leaves only allowed hosts; an edit of other records is not checked.
    let del = z(&[
        "record",
        "del",
        "apple.example",
        "@",
        "MX",
        "20",
        "mx2.apple.example.",
    ]);
    assert_eq!(del.code, 0, "{del}");
    assert!(!del.stderr.contains("MTA-STS"), "{del}");
    let other = z(&["record", "add", "apple.example", "www", "A", "192.0.2.9"]);
    assert_eq!(other.code, 0, "{other}");
    assert!(!other.stderr.contains("MTA-STS"), "{other}");

    // Records, not names: with mx9 at two preferences, removing one leaves the other, named
    // once.
    let batch = "add @ MX 20 mx9.apple.example.\nadd @ MX 30 mx9.apple.example.\n";
    write(d, "batch.txt", batch.as_bytes());
    let added = z(&["apply", "--force", "apple.example", "batch.txt"]);
    assert_eq!(added.code, 0, "{added}");
    let one = z(&[
        "--dry-run",
        "record",
        "del",
        "apple.example",
        "@",
        "MX",
        "20",
        "mx9.apple.example.",
    ]);
    assert_eq!(one.code, 1, "{one}");
    assert!(
        one.stderr
            .contains("refused, nothing was changed: MX mx9.apple.example allowed by no mx: line"),
        "{one}"
    );
    assert!(one.stderr.contains("will not deliver to it;"), "{one}");
    // With no MX left, the domain itself is the mail host (RFC 5321 §5.1).
    let none = z(&["--dry-run", "record", "del", "apple.example", "@", "MX"]);
    assert_eq!(none.code, 1, "{none}");
    assert!(
        none.stderr.contains(
            "no MX record is left, so senders deliver to apple.example itself (RFC 5321 §5.1), \
             which is allowed by no mx: line of the MTA-STS policy mta-sts.txt"
        ),
        "{none}"
    );
    // Under mode: testing nothing is refused: a warning says what enforcing would do.
    write(
        d,
        "mta-sts.txt",
        b"version: STSv1\nmode: testing\nmx: mail.apple.example\nmax_age: 86400\n",
    );
    let testing = z(&[
        "record",
        "add",
        "apple.example",
        "@",
        "MX",
        "40",
        "mx4.apple.example.",
    ]);
    assert_eq!(testing.code, 0, "{testing}");
    assert!(
        testing.stderr.contains(
            "warning: MX mx4.apple.example, mx9.apple.example allowed by no mx: line of the \
             MTA-STS policy mta-sts.txt (mode testing): once it is enforced, senders will not \
             deliver to them"
        ),
        "{testing}"
    );
}

/// The same refusal through a running server: the edit is tried as a dry run first, and
/// nothing is applied or served; `--force` applies it.
#[test]
fn an_mx_edit_through_the_server_is_refused_before_it_is_applied() {
    let s = TestServer::start(&[(
        "apple.example.zone",
        &fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/zones/apple.example.zone"
        ))
        .unwrap(),
    )]);
    let policy = s.dir().join("mta-sts.txt");
    fs::write(
        &policy,
        "version: STSv1\nmode: enforce\nmx: mail.apple.example\nmax_age: 604800\n",
    )
    .unwrap();
    let config = s.dir().join("z.toml");
    fs::write(
        &config,
        format!(
            "[[zone]]\nname = \"apple.example\"\nmta_sts_policy = \"{}\"\n",
            policy.display()
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let serial = s.status_json("apple.example")["serial"].clone();
    assert!(serial.is_u64(), "{serial}");
    let add = |force: bool| {
        let mut args = vec!["--config", config.as_str(), "record", "add"];
        if force {
            args.push("--force");
        }
        args.extend(["apple.example", "@", "MX", "20", "mx2.apple.example."]);
        s.edit_ctl(&args)
    };
    let refused = add(false);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(
        refused
            .stderr
            .contains("refused, nothing was changed: MX mx2.apple.example allowed by no mx: line"),
        "{refused}"
    );
    assert_eq!(
        s.status_json("apple.example")["serial"],
        serial,
        "nothing applied"
    );
    let forced = add(true);
    assert_eq!(forced.code, 0, "{forced}");
    assert!(forced.stdout.contains("served: verified on"), "{forced}");
    assert!(
        forced
            .stderr
            .contains("warning: MX mx2.apple.example allowed by no mx: line"),
        "{forced}"
    );
}
