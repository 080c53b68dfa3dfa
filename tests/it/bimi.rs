//! `zonectl bimi`: the record set through a running server and served at once, the readiness
//! report moving from not ready to ready as DMARC reaches enforcement, and logo files judged
//! against SVG Tiny PS through the real binary. The CI's checkdmarc oracle
//! (`tests/bimi/oracle.sh`) checks records and logos against another implementation.

use std::fs;

use crate::harness::{zonectl_in, TestServer};

const SHIPPED_LOGO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/logos/apple.example.svg");
const VMC: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/bimi/apple.example.vmc.pem"
);

/// A small zone at `origin` with the records `extra`.
fn zone(origin: &str, extra: &str) -> String {
    format!(
        "$ORIGIN {origin}.\n$TTL 3600\n\
         @ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 900 1209600 300\n\
         @ IN NS ns\nns IN A 192.0.2.53\n{extra}"
    )
}

fn shipped_zone() -> String {
    fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/zones/apple.example.zone"
    ))
    .unwrap()
}

#[test]
fn bimi_set_serves_the_record_and_check_follows_dmarc_to_enforcement() {
    let s = TestServer::start(&[(
        "apple.example.zone",
        &format!(
            "{}_dmarc IN TXT \"v=DMARC1; p=none; rua=mailto:d@apple.example\"\n\
             default._bimi IN TXT \"site-verification=abc\"\n",
            shipped_zone()
        ),
    )]);
    let z = |args: &[&str]| s.edit_ctl(args);
    let name = "default._bimi.apple.example.";

    // Set: the record is served over UDP and TCP, the other TXT at the name kept.
    let out = z(&[
        "bimi",
        "set",
        "apple.example",
        "l=https://apple.example/logo.svg",
        "avp=brand",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let mut served = s.served_txt(name);
    served.sort();
    assert_eq!(
        served,
        [
            "site-verification=abc",
            "v=BIMI1; l=https://apple.example/logo.svg; avp=brand"
        ]
    );
    // The edit path's zone check warns that DMARC is not at enforcement.
    assert!(
        out.stderr
            .contains("publishes a BIMI logo, but the DMARC record _dmarc.apple.example."),
        "{out}"
    );

    // A tag merged in; an invalid value refused with nothing changed.
    let out = z(&[
        "bimi",
        "set",
        "apple.example",
        "a=https://apple.example/vmc.pem",
    ]);
    assert_eq!(out.code, 0, "{out}");
    let record = "v=BIMI1; l=https://apple.example/logo.svg; a=https://apple.example/vmc.pem; \
                  avp=brand";
    assert!(s.served_txt(name).contains(&record.to_owned()));
    let serial = s.serial(crate::harness::Transport::Udp, "apple.example.");
    for (bad, says) in [
        (
            "l=http://apple.example/logo.svg",
            "only https: URIs are fetched",
        ),
        (
            "logo=https://apple.example/logo.svg",
            "logo= is not a BIMI tag",
        ),
        (
            "avp=mine",
            "avp=mine is not valid: avp takes personal or brand",
        ),
    ] {
        let out = z(&["bimi", "set", "apple.example", bad]);
        assert_eq!(out.code, 1, "{out}");
        assert!(
            out.stderr.contains("refused, nothing was changed") && out.stderr.contains(says),
            "{bad}: {out}"
        );
    }
    assert_eq!(
        s.serial(crate::harness::Transport::Udp, "apple.example."),
        serial
    );

    // show explains the record and says DMARC keeps the logo from being shown.
    let out = z(&["bimi", "show", "apple.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.starts_with(&format!("{name} TXT \"{record}\"")),
        "{out}"
    );
    assert!(
        out.stdout.contains(
            "DMARC: _dmarc.apple.example has p=none: receivers show a logo only under \
             p=quarantine (pct=100) or p=reject, with no sp=none and no t=y; `zonectl dmarc \
             rollout apple.example next` moves it on\n"
        ),
        "{out}"
    );

    // Not ready under p=none; ready once DMARC rejects, with the shipped logo.
    let check = |args: &[&str]| {
        let mut all = vec![
            "bimi",
            "check",
            "apple.example",
            "--logo",
            SHIPPED_LOGO,
            "--evidence",
            VMC,
        ];
        all.extend_from_slice(args);
        z(&all)
    };
    let out = check(&[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out
        .stdout
        .contains("  FAIL     dmarc        _dmarc.apple.example has p=none"));
    assert!(out.stdout.contains("not ready (dmarc FAIL)"), "{out}");
    let out = z(&["dmarc", "set", "apple.example", "p=reject"]);
    assert_eq!(out.code, 0, "{out}");
    let out = check(&[]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "  ok       logo         {SHIPPED_LOGO}: SVG Tiny PS, \"Apple Example\", 100 by 100, \
             643 bytes\n"
        )),
        "{out}"
    );
    assert!(out.stdout.ends_with("ready\n"), "{out}");
    // The same as JSON, item by item.
    let out = z(&["--json", "bimi", "check", "apple.example"]);
    assert_eq!(out.code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let statuses: Vec<(&str, &str)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["check"].as_str().unwrap(), i["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("record", "ok"),
            ("dmarc", "ok"),
            ("logo", "unknown"),
            ("evidence", "unknown")
        ],
        "{out}"
    );

    // The declination: l= and a= empty; check says no logo is shown.
    let out = z(&["bimi", "set", "apple.example", "l=", "a=", "avp="]);
    assert_eq!(out.code, 0, "{out}");
    assert!(s.served_txt(name).contains(&"v=BIMI1; l=; a=".to_owned()));
    let out = check(&[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("declines (l= and a= empty)"), "{out}");
}

#[test]
fn bimi_logo_names_what_keeps_receivers_from_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| zonectl_in(dir.path(), None, args);
    let out = run(&["bimi", "logo", SHIPPED_LOGO]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout
            .ends_with("valid: SVG Tiny PS, \"Apple Example\", 100 by 100, 643 bytes\n"),
        "{out}"
    );
    // A logo as editors export it: SVG 1.1, a style sheet, a script.
    let exported = dir.path().join("exported.svg");
    fs::write(
        &exported,
        "<?xml version=\"1.0\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 10 20\">\n\
         <style>.a{fill:#c00}</style>\n\
         <script>alert(1)</script>\n\
         <rect class=\"a\" width=\"10\" height=\"20\"/>\n\
         </svg>\n",
    )
    .unwrap();
    let out = run(&["bimi", "logo", exported.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[1..],
        [
            "  the root has version=\"1.1\": SVG Tiny PS needs version=\"1.2\"",
            "  the root has no baseProfile: SVG Tiny PS needs baseProfile=\"tiny-ps\"",
            "  no <title> child of <svg>: SVG Tiny PS needs one, naming the brand",
            "  line 3: <style>: CSS is not part of SVG Tiny 1.2: use presentation attributes \
             (fill=, stroke=) instead",
            "  line 4: <script>: scripts are not allowed",
            "  warning: the viewBox is 10 by 20: receivers show the logo in a square or a \
             circle, so it should be square and centred",
        ],
        "{out}"
    );
    // JSON carries the same findings.
    let out = run(&["--json", "bimi", "logo", exported.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["problems"].as_array().unwrap().len(), 5, "{out}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1, "{out}");
    // Thousands of problems: the first 50 printed, all in JSON.
    let many = dir.path().join("many.svg");
    fs::write(
        &many,
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.2\" \
             baseProfile=\"tiny-ps\" viewBox=\"0 0 1 1\"><title>T</title>{}</svg>",
            "<script/>".repeat(3000)
        ),
    )
    .unwrap();
    let out = run(&["bimi", "logo", many.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(out.stdout.lines().count(), 52, "{out}");
    assert!(out
        .stdout
        .ends_with("  … and 2950 more (`--json` lists them all)\n"));
    let out = run(&["--json", "bimi", "logo", many.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 3000);
    // Not a file: an error naming it.
    let out = run(&["bimi", "logo", "no-such.svg"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.starts_with("zonectl: no-such.svg: "), "{out}");
}

#[test]
fn bimi_evidence_reads_a_mark_certificate_and_check_uses_it() {
    const VMC: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/bimi/apple.example.vmc.pem"
    );
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| zonectl_in(dir.path(), None, args);
    let out = run(&[
        "bimi",
        "evidence",
        VMC,
        "--domain",
        "apple.example",
        "--logo",
        SHIPPED_LOGO,
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(
        out.stdout,
        format!(
            "{VMC}: valid: a mark certificate (Registered Mark) for apple.example, valid until \
             2099-01-01 00:00:00 UTC, issued by CN=Test Mark Authority (not an MVA) (its chain \
             to a mark verifying authority is not checked here)\n  \
             subject: C=XX, O=Apple Example Ltd, CN=Apple Example Ltd, markType=Registered Mark\n  \
             logo: SVG Tiny PS, \"Apple Example\", 100 by 100, 643 bytes\n"
        )
    );
    // Another domain, another logo: refused, each reason named.
    let other = dir.path().join("other.svg");
    fs::write(
        &other,
        fs::read_to_string(SHIPPED_LOGO)
            .unwrap()
            .replace("#c8102e", "#ff8c00"),
    )
    .unwrap();
    let out = run(&[
        "--json",
        "bimi",
        "evidence",
        VMC,
        "--domain",
        "orange.example",
        "--logo",
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["problems"],
        serde_json::json!(["orange.example is not among its names (subjectAltName)"])
    );
    assert_eq!(
        v["warnings"],
        serde_json::json!([
            "the logo file differs from the logo in the certificate: receivers that read the \
             certificate show its logo, or none; serve the very file it was issued for"
        ])
    );
    assert_eq!(v["names"], serde_json::json!(["apple.example"]));
    // Not a certificate: an error naming the file.
    let out = run(&[
        "bimi",
        "evidence",
        SHIPPED_LOGO,
        "--domain",
        "apple.example",
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert_eq!(
        out.stderr,
        format!("zonectl: {SHIPPED_LOGO}: not a PEM certificate file: it holds no certificate\n")
    );

    // In check: the certificate given is read against the zone and the logo.
    let s = TestServer::start(&[(
        "apple.example.zone",
        &format!(
            "{}_dmarc IN TXT \"v=DMARC1; p=reject\"\n\
             default._bimi IN TXT \"v=BIMI1; l=https://apple.example/logo.svg; \
             a=https://apple.example/vmc.pem\"\n",
            shipped_zone()
        ),
    )]);
    let check = |logo: &str| {
        s.edit_ctl(&[
            "bimi",
            "check",
            "apple.example",
            "--logo",
            logo,
            "--evidence",
            VMC,
        ])
    };
    let out = check(SHIPPED_LOGO);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains(&format!(
            "  ok       evidence     {VMC}: a mark certificate (Registered Mark) for \
             apple.example"
        )),
        "{out}"
    );
    // Another logo: the certificate's is not it (a warning), and the other is fine alone.
    let out = check(other.to_str().unwrap());
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.contains("  warn     evidence     ")
            && out.stdout.contains("the logo file differs"),
        "{out}"
    );
    // Another domain's certificate: refused.
    let orange = dir.path().join("orange.pem");
    fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/bimi/vmc-no-eku.pem"),
        &orange,
    )
    .unwrap();
    let out = s.edit_ctl(&[
        "bimi",
        "check",
        "apple.example",
        "--logo",
        SHIPPED_LOGO,
        "--evidence",
        orange.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("not ready (evidence FAIL)"), "{out}");
    assert!(out.stdout.contains("not a mark certificate"), "{out}");
}

#[test]
fn bimi_set_without_dmarc_warns_and_dry_run_changes_nothing() {
    let s = TestServer::start(&[("apple.example.zone", &shipped_zone())]);
    let name = "default._bimi.apple.example.";
    let out = s.edit_ctl(&[
        "--dry-run",
        "bimi",
        "set",
        "apple.example",
        "l=https://apple.example/logo.svg",
    ]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.starts_with(
            "+ default._bimi.apple.example. 3600 IN TXT \"v=BIMI1; l=https://apple.example/logo.svg\"\n"
        ),
        "{out}"
    );
    assert!(
        out.stderr.contains(
            "zonectl: apple.example: warning: no DMARC record at _dmarc.apple.example.: \
             receivers show the logo only for a domain whose DMARC policy is at enforcement"
        ),
        "{out}"
    );
    assert_eq!(s.served_txt(name), Vec::<String>::new());
    // A selector that is not a name is refused.
    let out = s.edit_ctl(&["bimi", "set", "apple.example", "--selector", "a..b", "l="]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("is not a valid name"), "{out}");
}

#[test]
fn the_readme_shows_what_the_file_verbs_print() {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = fs::read_to_string(repo.join("README.md")).unwrap();
    for (args, code) in [
        (&["bimi", "logo", "logos/apple.example.svg"][..], 0),
        (&["bimi", "logo", "tests/bimi/exported.svg"][..], 1),
        (
            &[
                "bimi",
                "evidence",
                "tests/bimi/apple.example.vmc.pem",
                "--domain",
                "apple.example",
                "--logo",
                "logos/apple.example.svg",
            ][..],
            0,
        ),
    ] {
        let out = zonectl_in(repo, None, args);
        assert_eq!(out.code, code, "{out}");
        let block: String = std::iter::once(format!("$ zonectl {}", args.join(" ")))
            .chain(out.stdout.lines().map(str::to_owned))
            .map(|l| format!("    {l}\n"))
            .collect();
        assert!(
            readme.contains(&block),
            "README's example differs from the output:\n{block}"
        );
    }
}

#[test]
fn a_subdomain_zone_is_judged_by_its_organizational_domain_as_receivers_do() {
    let s = TestServer::start(&[
        (
            "brand.example.zone",
            &zone(
                "brand.example",
                "_dmarc IN TXT \"v=DMARC1; p=reject; sp=none\"\n\
                 default._bimi IN TXT \"v=BIMI1; l=https://brand.example/logo.svg\"\n",
            ),
        ),
        ("news.brand.example.zone", &zone("news.brand.example", "")),
    ]);
    let out = s.edit_ctl(&[
        "bimi",
        "check",
        "news.brand.example",
        "--logo",
        SHIPPED_LOGO,
    ]);
    assert_eq!(out.code, 1, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[1..3],
        [
            "  ok       record       default._bimi.brand.example (the organizational domain's: \
             news.brand.example has none): v=BIMI1; l=https://brand.example/logo.svg",
            "  FAIL     dmarc        _dmarc.brand.example (the organizational domain's, for \
             news.brand.example) has sp=none: receivers show a logo only under p=quarantine \
             (pct=100) or p=reject, with no sp=none and no t=y; `zonectl dmarc rollout \
             brand.example next` moves it on",
        ],
        "{out}"
    );
    // show reads the same.
    let out = s.edit_ctl(&["bimi", "show", "news.brand.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(
        out.stdout.starts_with(
            "default._bimi.brand.example. TXT \"v=BIMI1; l=https://brand.example/logo.svg\"\n"
        ),
        "{out}"
    );
}

#[test]
fn the_dmarc_rollout_says_when_a_logo_can_be_shown_and_when_it_stops() {
    let s = TestServer::start(&[(
        "apple.example.zone",
        &format!(
            "{}default._bimi IN TXT \"v=BIMI1; l=https://apple.example/logo.svg\"\n",
            shipped_zone()
        ),
    )]);
    let step = |n: usize| {
        let out = s.edit_ctl(&["dmarc", "rollout", "apple.example", "next", "--force"]);
        assert_eq!(out.code, 0, "step {n}: {out}");
        out.stdout
            .lines()
            .filter(|l| l.contains("BIMI"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    // none, quarantine (t=y): no logo either way, nothing said.
    assert_eq!(step(1), Vec::<String>::new());
    assert_eq!(step(2), Vec::<String>::new());
    // quarantine: enforcement.
    assert_eq!(
        step(3),
        [
            "apple.example: DMARC is at enforcement: BIMI receivers may show a logo for it; \
          `zonectl bimi check apple.example` says what else they need"
        ]
    );
    // reject (t=y): RFC 9989's test mode hides the logo again.
    assert_eq!(
        step(4),
        [
            "apple.example: DMARC has t=y (RFC 9989's test mode: its receivers do not apply the \
          policy): BIMI receivers stop showing the logo of default._bimi.apple.example. until \
          it is at enforcement again"
        ]
    );
    assert_eq!(step(5).len(), 1);
}

#[test]
fn another_selector_falls_back_to_default_and_a_parent_not_served_is_unknown() {
    let s = TestServer::start(&[
        (
            "solo.example.zone",
            &zone(
                "solo.example",
                "_dmarc IN TXT \"v=DMARC1; p=reject\"\n\
                 default._bimi IN TXT \"v=BIMI1; l=https://solo.example/logo.svg\"\n",
            ),
        ),
        ("news.brand.example.zone", &zone("news.brand.example", "")),
    ]);
    // Receivers look for brand2._bimi, then default._bimi (never brand2 elsewhere).
    let out = s.edit_ctl(&["bimi", "check", "solo.example", "--selector", "brand2"]);
    assert!(
        out.stdout.contains(
            "  ok       record       default._bimi.solo.example (the default selector's: \
             brand2._bimi.solo.example has none): v=BIMI1; l=https://solo.example/logo.svg\n"
        ),
        "{out}"
    );
    // brand.example is not served and no --resolver is given: what it holds is unknown.
    let out = s.edit_ctl(&["bimi", "check", "news.brand.example"]);
    assert_eq!(out.code, 1, "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[1..3],
        [
            "  unknown  record       default._bimi.news.brand.example: none here, and the \
             organizational domain's is not known: _dmarc.brand.example could not be asked: not \
             in a zone zonectl serves; pass --resolver IP:PORT",
            "  unknown  dmarc        _dmarc.news.brand.example: none here, and \
             _dmarc.brand.example could not be asked: not in a zone zonectl serves; pass \
             --resolver IP:PORT",
        ],
        "{out}"
    );
}
