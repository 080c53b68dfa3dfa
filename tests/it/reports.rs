//! `zonectl dmarc report`: DMARC aggregate reports read through the real binary, checked
//! against parsedmarc's verdicts on the shared corpus; `dmarc check` and `rollout next` judging
//! readiness by reports.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::harness::{zonectl_in, Ctl, TestServer};

/// The corpus's aggregate reports (`../shared/corpus/dmarc-aggregate`).
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/dmarc-aggregate")
}

fn report(args: &[&str]) -> Ctl {
    let cwd = tempfile::tempdir().expect("a temporary directory");
    zonectl_in(cwd.path(), None, args)
}

fn json_of(out: &Ctl) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// parsedmarc's verdict on one file: its path in the corpus, and the messages of each
/// aggregate report it found (none for a file it could not parse).
struct Oracle {
    file: String,
    messages: Vec<u64>,
}

/// `ORACLE-parsedmarc-11.1.0-offline.txt`: `FILE | rc=0 | agg=N recs=[M, …] fail=0 | …`, where
/// `recs` holds each report's message count (the sum of its records' `<count>`).
fn oracle() -> Vec<Oracle> {
    let text = fs::read_to_string(corpus().join("ORACLE-parsedmarc-11.1.0-offline.txt"))
        .expect("reading the parsedmarc oracle");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split(" | ").collect();
            let verdict = fields[2];
            let agg: usize = verdict
                .strip_prefix("agg=")
                .and_then(|v| v.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("agg= in {line}"));
            let recs = &verdict[verdict.find("recs=[").expect("recs=") + 6..];
            let recs = &recs[..recs.find(']').expect("]")];
            let messages: Vec<u64> = recs
                .split(',')
                .filter(|n| !n.trim().is_empty())
                .map(|n| n.trim().parse().expect("a message count"))
                .collect();
            assert_eq!(messages.len(), agg, "{line}");
            Oracle {
                file: fields[0].to_string(),
                messages,
            }
        })
        .collect()
}

#[test]
fn every_corpus_file_gives_the_reports_and_messages_parsedmarc_found() {
    let cases = oracle();
    assert_eq!(cases.len(), 26, "files in the oracle");
    let mut disagree = Vec::new();
    for case in &cases {
        let path = corpus().join(&case.file);
        let out = report(&["--json", "dmarc", "report", path.to_str().unwrap()]);
        let v = json_of(&out);
        let reports = v["files"][0]["reports"].as_array().expect("reports");
        let ours: Vec<u64> = reports
            .iter()
            .map(|r| r["messages"].as_u64().unwrap())
            .collect();
        let readable = !case.messages.is_empty();
        let exit_ok = out.code == i32::from(!readable);
        if ours != case.messages || !exit_ok {
            disagree.push(format!(
                "{}: parsedmarc {:?}, zonectl {ours:?} (exit {})",
                case.file, case.messages, out.code
            ));
        }
        if !readable {
            assert!(out.stderr.contains(&case.file), "{out}");
        }
    }
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
}

#[test]
fn a_report_is_summed_with_its_failing_sources_in_words() {
    let path =
        corpus().join("parsedmarc/rfc9990-example.net!example.com!1700000000!1700086399.xml");
    let out = report(&["dmarc", "report", path.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{out}");
    let want = "\
read 1 report from 1 of 1 file

example.com: 1 report, 2023-11-14T22:13:20Z to 2023-11-15T22:13:19Z
  reporters (messages): example.net 7
  published (latest report): p=reject sp=quarantine np=reject t=y adkim=s aspf=s fo=1
  messages: 7; DMARC pass 5 (71.4%): DKIM aligned 5, SPF aligned 5
  DMARC fail: 2 (28.6%): the mail p=quarantine quarantines and p=reject rejects
  receivers applied: none 5, reject 2
  receivers' overrides: other 2
  failing sources, most failing mail first:
    203.0.113.10  2 of 2 fail  From example.com  SPF spoofed.example.com=fail  DKIM none  (overridden, not exempted: other)
  sources with no failing mail: 1 (5 messages)
";
    assert_eq!(out.stdout, want, "{out}");
}

#[test]
fn a_directory_is_read_whole_a_bad_file_is_named_and_the_rest_still_count() {
    let dir = tempfile::tempdir().unwrap();
    let c = corpus();
    fs::create_dir(dir.path().join("2026-11")).unwrap();
    for (from, to) in [
        ("mail-dmarc/test_dmarc.xml", "a.xml"),
        // The same report again, zipped: left out as a duplicate.
        ("mail-dmarc/test_dmarc.xml.zip", "2026-11/a.zip"),
        ("parsedmarc/twilight.eml", "2026-11/google.eml"),
        ("parsedmarc/empty.xml", "empty.xml"),
        (
            "parsedmarc/usssa.com!example.com!1538784000!1538870399.xml",
            ".hidden.xml",
        ),
    ] {
        fs::copy(c.join(from), dir.path().join(to)).unwrap();
    }
    let mut notes = fs::File::create(dir.path().join("2026-11/notes.txt")).unwrap();
    writeln!(notes, "reports for November").unwrap();
    // A symlink back up is read once; a FIFO is not opened (the read would block).
    std::os::unix::fs::symlink("..", dir.path().join("2026-11/up")).unwrap();
    let fifo = std::ffi::CString::new(dir.path().join("pipe").to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    let out = zonectl_in(dir.path(), None, &["dmarc", "report", "."]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("zonectl: ./pipe: not a regular file: not read\n"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("zonectl: ./empty.xml: the file is empty\n"),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "zonectl: ./2026-11/notes.txt: not a report: it is not XML, JSON, gzip, zip \
             or a mail message (it starts with \"reports for Nove\")"
        ),
        "{out}"
    );
    assert!(
        out.stdout.starts_with(
            "read 3 reports from 3 of 6 files; 1 left out as duplicates (same reporter and \
             report id)\n"
        ),
        "{out}"
    );
    assert!(out.stdout.contains("\ntwlnet.com: 1 report,"), "{out}");
    assert!(!out.stdout.contains("usssa"), "a dot file was read: {out}");

    let only = zonectl_in(
        dir.path(),
        None,
        &[
            "--json",
            "dmarc",
            "report",
            "a.xml",
            "2026-11",
            "--domain",
            "Example.COM.",
        ],
    );
    assert_eq!(only.code, 1, "notes.txt is still not a report: {only}");
    let v = json_of(&only);
    let domains = v["domains"].as_array().unwrap();
    assert_eq!(domains.len(), 1, "{only}");
    assert_eq!(domains[0]["domain"], "example.com");
    assert_eq!(domains[0]["messages"], 1);
    assert_eq!(v["duplicates"], 1);

    let none = report(&[
        "dmarc",
        "report",
        c.join("mail-dmarc/test_dmarc.xml").to_str().unwrap(),
        "--domain",
        "example.org",
    ]);
    assert_eq!(none.code, 1, "{none}");
    assert!(none.stderr.contains("no report for example.org"), "{none}");
}

#[test]
fn a_dangling_symlink_is_named_and_a_name_that_is_not_utf8_is_printed() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let c = corpus();
    fs::copy(
        c.join("mail-dmarc/test_dmarc.xml.gz"),
        dir.path().join("a.xml.gz"),
    )
    .unwrap();
    std::os::unix::fs::symlink("nowhere.xml", dir.path().join("gone.xml")).unwrap();
    let odd = std::ffi::OsStr::from_bytes(b"report-\xff.xml");
    fs::copy(
        c.join("parsedmarc/rfc9990-sample.xml"),
        dir.path().join(odd),
    )
    .unwrap();
    let out = zonectl_in(dir.path(), None, &["--json", "dmarc", "report", "."]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("zonectl: ./gone.xml: cannot read: No such file or directory"),
        "{out}"
    );
    let v = json_of(&out);
    let paths: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        ["./a.xml.gz", "./gone.xml", "./report-\u{FFFD}.xml"],
        "{out}"
    );
    assert_eq!(v["domains"][0]["messages"], 124, "{out}");
    // Named one by one, as a shell glob names them: the same.
    let out = zonectl_in(
        dir.path(),
        None,
        &["dmarc", "report", "gone.xml", "a.xml.gz"],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("zonectl: gone.xml: cannot read: No such file or directory"),
        "{out}"
    );
    assert!(
        out.stdout.starts_with("read 1 report from 1 of 2 files\n"),
        "{out}"
    );
}

/// `zonectl ARGS` with `input` on its standard input.
fn piped(input: &[u8], args: &[&str]) -> (i32, String, String) {
    use std::process::{Command, Stdio};
    let cwd = tempfile::tempdir().expect("a temporary directory");
    let mut child = Command::new(crate::harness::zonectl_bin())
        .args(args)
        .current_dir(cwd.path())
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running zonectl");
    // Written from a thread, so that a reader that stops early cannot block the test.
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().expect("waiting for zonectl");
    writer.join().expect("the writer");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (
        out.status.code().unwrap_or(-1),
        text(&out.stdout),
        text(&out.stderr),
    )
}

#[test]
fn a_report_mail_piped_in_reads_as_the_saved_message_does_for_both_verbs() {
    let path = corpus().join("parsedmarc/google.com_report_borschow.com_949348866075514174.eml");
    let saved = report(&["dmarc", "report", path.to_str().unwrap()]);
    assert_eq!(saved.code, 0, "{saved}");
    let mail = fs::read(&path).expect("reading the message");
    // `-` twice is read once: standard input has one message.
    let (code, stdout, stderr) = piped(&mail, &["dmarc", "report", "-", "-"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, saved.stdout.as_str(), "")
    );
    assert!(
        stdout.starts_with("read 1 report from 1 of 1 file\n"),
        "{stdout}"
    );
    // Something else piped in is named as standard input's, as `cat -` would.
    let (code, stdout, stderr) = piped(
        b"Subject: hello\n\nnot a report\n",
        &["dmarc", "report", "-"],
    );
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stderr.starts_with("zonectl: -: "), "{stderr}");
    // The TLS reports' verb reads it the same way.
    let shipped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/microsoft-tlsrpt-2026-11-29.eml");
    let saved = report(&["tlsrpt", "report", shipped.to_str().unwrap()]);
    assert_eq!(saved.code, 0, "{saved}");
    let mail = fs::read(&shipped).expect("reading the message");
    let (code, stdout, stderr) = piped(&mail, &["tlsrpt", "report", "-"]);
    assert_eq!(
        (code, stdout.as_str(), stderr.as_str()),
        (0, saved.stdout.as_str(), "")
    );
}

#[test]
fn a_path_that_does_not_exist_is_an_error_that_names_it() {
    let out = report(&["dmarc", "report", "/nonexistent/reports"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("/nonexistent/reports: No such file"),
        "{out}"
    );
}

/// A row of [`aggregate_xml`]: source IP, messages, DMARC's DKIM and SPF verdicts, and SPF's
/// domain and result.
type Row<'a> = (&'a str, u64, &'a str, &'a str, &'a str, &'a str);

/// An aggregate report from `org` about `domain` for the day that ended at `end` (UNIX
/// seconds), one record per row.
fn aggregate_xml(org: &str, domain: &str, end: i64, rows: &[Row<'_>]) -> String {
    let records: String = rows
        .iter()
        .map(|(ip, count, dkim, spf, spf_domain, spf_result)| {
            format!(
                "<record><row><source_ip>{ip}</source_ip><count>{count}</count>\
                 <policy_evaluated><disposition>none</disposition><dkim>{dkim}</dkim>\
                 <spf>{spf}</spf></policy_evaluated></row>\
                 <identifiers><header_from>{domain}</header_from></identifiers>\
                 <auth_results><spf><domain>{spf_domain}</domain><result>{spf_result}</result>\
                 </spf></auth_results></record>\n"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\"?>\n<feedback><report_metadata><org_name>{org}</org_name>\
         <email>dmarc@{org}</email><report_id>{org}-{end}</report_id><date_range>\
         <begin>{}</begin><end>{end}</end></date_range></report_metadata>\
         <policy_published><domain>{domain}</domain><p>none</p></policy_published>\n\
         {records}</feedback>\n",
        end - 86_399
    )
}

/// The end of yesterday (UTC) and that day as `YYYY-MM-DD`.
fn yesterday() -> (i64, String) {
    let now = zonectl::clock::unix_now();
    let end = now - now.rem_euclid(86_400) - 1;
    (end, zonectl::zone::civil::format_iso(end)[..10].to_string())
}

/// The shipped apple.example, ready for a stricter policy but for what reports say: SPF,
/// DMARC with rua, and RFC 8463's Ed25519 key published.
fn ready_apple() -> String {
    let shipped = fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/zones/apple.example.zone"
    ))
    .unwrap();
    format!(
        "{shipped}_dmarc IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc@apple.example\"\n\
         brisbane._domainkey IN TXT \"v=DKIM1; k=ed25519; \
         p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\"\n"
    )
}

#[test]
fn check_and_rollout_judge_readiness_by_the_reports() {
    let s = TestServer::start(&[("apple.example.zone", &ready_apple())]);
    let z = |args: &[&str]| s.edit_ctl(args);
    let reports = s.dir().join("reports");
    fs::create_dir(&reports).unwrap();
    let dir = reports.display().to_string();
    let (end, day) = yesterday();
    let reports_line = |out: &Ctl| -> String {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some("reports"))
            .unwrap_or_else(|| panic!("no reports line: {out}"))
            .to_string()
    };

    // Without reports: ready, and no reports line.
    let out = z(&["dmarc", "check", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains(" reports "), "{out}");

    // No report about apple.example there yet: a warning, still ready. The mailbox holds an
    // SMTP TLS report too (a shipped one), which is no DMARC report and no unreadable file.
    fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("reports/google.com!apple.example!1795824000!1795910399!001.json.gz"),
        reports.join("tls.json.gz"),
    )
    .unwrap();
    fs::write(
        reports.join("other.xml"),
        aggregate_xml(
            "google.com",
            "orange.example",
            end,
            &[("192.0.2.9", 5, "pass", "pass", "orange.example", "pass")],
        ),
    )
    .unwrap();
    let out = z(&["dmarc", "check", "apple.example", "--reports", &dir]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        reports_line(&out).starts_with(&format!(
            "  warn     reports      no aggregate report about this zone's mail in {dir}:"
        )),
        "{out}"
    );
    assert!(!reports_line(&out).contains("not a report"), "{out}");

    // Mail from a newsletter service that passes SPF for its own domain fails DMARC: not ready.
    // Reported three weeks ago too, which is outside the 14 days that count.
    let vendor_failing: [Row<'_>; 3] = [
        ("192.0.2.25", 120, "pass", "pass", "apple.example", "pass"),
        (
            "198.51.100.7",
            30,
            "fail",
            "fail",
            "bounce.news.example",
            "pass",
        ),
        ("203.0.113.66", 9, "fail", "fail", "apple.example", "fail"),
    ];
    fs::write(
        reports.join("google-old.xml"),
        aggregate_xml(
            "google.com",
            "apple.example",
            end - 21 * 86_400,
            &vendor_failing,
        ),
    )
    .unwrap();
    fs::write(
        reports.join("google.xml"),
        aggregate_xml("google.com", "apple.example", end, &vendor_failing),
    )
    .unwrap();
    let out = z(&["dmarc", "check", "apple.example", "--reports", &dir]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        reports_line(&out),
        format!(
            "  FAIL     reports      30 failing message(s) from 1 source(s) that look like the \
             zone's own senders: 198.51.100.7 (30 failing, passes bounce.news.example=pass); \
             have them sign with DKIM for the zone, or send from an envelope domain in the zone \
             that its SPF authorizes; 9 failing message(s) from 1 source(s) that passed neither \
             SPF nor DKIM: spoofing, or a sender nobody set up (a contact form, a printer, an \
             application on a provider's servers); check that none of 203.0.113.66 (9) is the \
             zone's (159 message(s) in 1 report(s), {day} to {day}; 1 older report(s) not \
             counted (the last 14 days count))"
        ),
        "{out}"
    );
    assert!(out.stdout.contains("not ready (reports FAIL)"), "{out}");
    // Counting four weeks, the old report counts too.
    let out = z(&[
        "dmarc",
        "check",
        "apple.example",
        "--reports",
        &dir,
        "--report-days",
        "28",
    ]);
    assert!(
        reports_line(&out).contains("60 failing message(s)"),
        "{out}"
    );

    // The same evidence from the configuration holds `rollout next` back.
    let config = s.dir().join("reports.toml");
    fs::write(&config, format!("dmarc_reports = {:?}\n", dir)).unwrap();
    let config = config.display().to_string();
    let before = fs::read_to_string(s.zone_path("apple.example.zone")).unwrap();
    let out = z(&[
        "--config",
        &config,
        "dmarc",
        "rollout",
        "apple.example",
        "next",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("reports FAIL"), "{out}");
    assert_eq!(
        fs::read_to_string(s.zone_path("apple.example.zone")).unwrap(),
        before
    );

    // The sender fixed (its mail now signed for apple.example): only mail that passed nothing
    // fails in the reports of the last 14 days, while the failures of three weeks ago stay in
    // the directory.
    fs::write(
        reports.join("google.xml"),
        aggregate_xml(
            "google.com",
            "apple.example",
            end,
            &[
                ("192.0.2.25", 120, "pass", "pass", "apple.example", "pass"),
                (
                    "198.51.100.7",
                    30,
                    "pass",
                    "fail",
                    "bounce.news.example",
                    "pass",
                ),
                ("203.0.113.66", 9, "fail", "fail", "apple.example", "fail"),
            ],
        ),
    )
    .unwrap();
    let out = z(&["--config", &config, "dmarc", "check", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    // Ready; the mail that passed nothing (over 0.5 %) is a warning naming its source.
    assert!(
        reports_line(&out).starts_with(
            "  warn     reports      9 failing message(s) from 1 source(s) that passed neither \
             SPF nor DKIM: spoofing, or a sender nobody set up"
        ),
        "{out}"
    );
}

/// The README's examples: the shipped `reports/` (DMARC reports in a zip from Google, a gzip
/// from Yahoo and a mail from Outlook; SMTP TLS reports in a gzip from Google and a mail from
/// Microsoft) about apple.example.
#[test]
fn the_shipped_reports_read_as_the_readme_shows() {
    shipped_reports_read_as_the_readme_shows(
        "dmarc",
        "\
read 3 reports from 3 of 5 files; 2 SMTP TLS reports passed over (`zonectl tlsrpt report` reads them)

apple.example: 3 reports, 2026-11-28T00:00:00Z to 2026-11-28T23:59:59Z
  reporters (messages): google.com 478, Yahoo 154, Outlook.com 90
  published (latest report): p=none sp=none pct=100 adkim=r aspf=r
  messages: 722; DMARC pass 633 (87.7%): DKIM aligned 633, SPF aligned 633
  DMARC fail: 89 (12.3%): the mail p=quarantine quarantines and p=reject rejects
  receivers applied: none 722
  receivers' overrides: forwarded 6
  failing sources, most failing mail first:
    198.51.100.80  78 of 78 fail  From apple.example  SPF bounce.newsletter.example=pass  DKIM newsletter.example/nl1=pass  (passes for another domain: a sender to set up?)
    203.0.113.40   6 of 6 fail  From apple.example  SPF forwarder.example=pass  DKIM apple.example/s2026=fail  (exempted by receivers: forwarded)
    203.0.113.99   5 of 5 fail  From apple.example  SPF apple.example=fail  DKIM none
  sources with no failing mail: 1 (633 messages)
",
    );
    shipped_reports_read_as_the_readme_shows(
        "tlsrpt",
        "\
read 2 SMTP TLS reports from 2 of 5 files; 3 DMARC aggregate reports passed over (`zonectl dmarc report` reads them)

apple.example: 2 reports, 2026-11-28T00:00:00Z to 2026-11-28T23:59:59Z
  reporters (sessions): Google Inc. 1187, Microsoft Corporation 411
  MTA-STS policy (the newest reported): mode testing, mx mail.apple.example
  sessions: 1598; succeeded 1589 (99.4%), failed 9 (0.6%)
  MTA-STS testing: under `mode: enforce` senders would not have delivered over 9 of 1598 sessions (0.6%): they would try another MX, or hold the mail and retry, and bounce it if no MX passes; fix the failures below before enforcing
  failures, most sessions first:
    certificate-host-mismatch  at mail.apple.example [2001:db8:a::25]  9 sessions from 2 sending IPs  (sts testing): the MX's certificate does not name the MX host
",
    );
}

/// `zonectl GROUP report reports` prints `want`, and the README shows it.
fn shipped_reports_read_as_the_readme_shows(group: &str, want: &str) {
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/reports");
    let out = report(&[group, "report", shipped]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, want, "{out}");
    let readme = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let indented: String = want
        .lines()
        .map(|l| format!("    {l}\n").replace("    \n", "\n"))
        .collect();
    assert!(
        readme.contains(&indented),
        "README's `{group} report reports` example differs from the output:\n{indented}"
    );
}
