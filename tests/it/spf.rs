//! SPF (issue 4): the RFC 7208 test suite run through zonectl's own evaluator against each
//! scenario's zone served by a real zonectl server over UDP, and the `zonectl spf` verbs
//! through the real binary against a running server.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use hickory_proto::rr::RecordType;
use serde::Deserialize;
use zonectl::config::{Config, ZoneConfig};
use zonectl::server::ServeOptions;
use zonectl::spf::{check_host, CheckHostInput, DnsResolver, SpfResult};

use crate::harness::{small_zone, txt_answers, Ctl, TestServer, BOTH};

/// The shared corpus beside the repository (`../shared/corpus/spf`).
fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/spf")
}

#[derive(Debug, Deserialize)]
struct Scenario {
    description: String,
    tests: BTreeMap<String, Case>,
}

#[derive(Debug, Deserialize)]
struct Case {
    helo: String,
    host: String,
    mailfrom: String,
    result: Expected,
    explanation: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Expected {
    One(String),
    Any(Vec<String>),
}

impl Expected {
    fn accepts(&self, got: SpfResult) -> bool {
        match self {
            Expected::One(r) => r == got.as_str(),
            Expected::Any(rs) => rs.iter().any(|r| r == got.as_str()),
        }
    }
}

/// The cases whose expected result needs a DNS timeout (the suite's `TIMEOUT` zone data). An
/// authoritative server answers every question at once, so the name is simply absent from the
/// served zone (the rendered zones leave it out) and the lookup gives NXDOMAIN instead of a
/// temperror. Every other case must agree; these must disagree (so the list stays honest).
const NEEDS_TIMEOUT: [(&str, &str); 5] = [
    // TXT lookup times out: expected temperror; NXDOMAIN gives none.
    ("Record lookup", "txttimeout"),
    ("Record lookup", "nospftxttimeout"),
    ("Record lookup", "alltimeout"),
    // include:ip8.example.com times out: temperror expected; no record makes it permerror.
    (
        "Include mechanism semantics and syntax",
        "include-temperror",
    ),
    // exists:err.example.com times out: temperror expected; NXDOMAIN is no match, so -all.
    ("EXISTS mechanism syntax", "exists-dnserr"),
];

/// Starts a zonectl server serving `zone_text` as the root zone `.` on `127.0.0.1:0`.
fn serve_root(zone_text: &str) -> (tempfile::TempDir, zonectl::server::ServerHandle) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let zones = dir.path().join("zones");
    fs::create_dir(&zones).expect("zones directory");
    fs::write(zones.join("root.zone"), zone_text).expect("writing root.zone");
    let config = Config {
        zones: vec![ZoneConfig {
            name: ".".into(),
            file: Some("root.zone".into()),
            ..ZoneConfig::default()
        }],
        ..Config::default()
    };
    let handle = zonectl::server::start(ServeOptions {
        keys_dir: dir.path().join("keys"),
        zones_dir: zones,
        listen: vec!["127.0.0.1:0".parse().expect("address")],
        listen_where_available: false,
        control: dir.path().join("control.sock"),
        config,
        config_path: None,
        answer: zonectl::wire::AnswerConfig::default(),
        udp_workers: 1,
        handle_signals: false,
    })
    .expect("starting the server");
    (dir, handle)
}

/// Every case of rfc7208-tests.yml: zonectl's `check_host()` over DNS against zonectl serving
/// the scenario's zone (`rfc7208-zones/scenarioNN.zone`, document NN of the YAML).
#[test]
fn spf_rfc7208_suite_through_served_zones() {
    let yaml = fs::read_to_string(corpus().join("rfc7208-tests.yml"))
        .expect("reading ../shared/corpus/spf/rfc7208-tests.yml");
    let scenarios: Vec<Scenario> = serde_yaml::Deserializer::from_str(&yaml)
        .map(|doc| Scenario::deserialize(doc).expect("a scenario of the suite"))
        .collect();
    assert_eq!(scenarios.len(), 16, "scenarios in the suite");
    let (mut agree, mut total) = (0, 0);
    let mut disagree = Vec::new();
    for (i, sc) in scenarios.iter().enumerate() {
        let zone_file = corpus().join(format!("rfc7208-zones/scenario{i:02}.zone"));
        let text = fs::read_to_string(&zone_file)
            .unwrap_or_else(|e| panic!("reading {}: {e}", zone_file.display()));
        let (_dir, handle) = serve_root(&text);
        let resolver = DnsResolver::new(handle.addrs[0]);
        // The server answers from the scenario's zone: its serial is 1000 + NN.
        let soa = zonectl::dnsclient::query(
            handle.addrs[0],
            &zonectl::zone::Name::root(),
            zonectl::zone::RType::SOA,
        )
        .expect("SOA of the root zone");
        assert_eq!(soa.answer.len(), 1, "scenario {i} is served");
        for (id, case) in &sc.tests {
            total += 1;
            let out = check_host(
                &resolver,
                &CheckHostInput {
                    ip: case.host.parse().expect("the case's host is an address"),
                    helo: case.helo.clone(),
                    mail_from: case.mailfrom.clone(),
                    receiver: None,
                    now: 0,
                },
            );
            let result_ok = case.result.accepts(out.result);
            let explanation_ok = match case.explanation.as_deref() {
                None => true,
                Some("DEFAULT") => out.explanation.is_none(),
                Some(e) => out.explanation.as_deref() == Some(e),
            };
            if result_ok && explanation_ok {
                agree += 1;
            } else {
                disagree.push((
                    sc.description.clone(),
                    id.clone(),
                    format!(
                        "expected {:?} explanation {:?}, got {} explanation {:?} ({})",
                        case.result, case.explanation, out.result, out.explanation, out.reason
                    ),
                ));
            }
        }
        handle.stop();
    }
    println!("RFC 7208 suite through zonectl serve: {agree} of {total} agree");
    for (d, id, why) in &disagree {
        println!("  differs: {d} / {id}: {why}");
    }
    assert_eq!(total, 203, "cases in the suite");
    let mut got: Vec<(&str, &str)> = disagree
        .iter()
        .map(|(d, id, _)| (d.as_str(), id.as_str()))
        .collect();
    got.sort();
    let mut want = NEEDS_TIMEOUT.to_vec();
    want.sort();
    assert_eq!(
        got, want,
        "the cases that differ from the suite must be exactly those that need a DNS timeout"
    );
    assert_eq!(agree, 198);
}

/// The SPF test zone: a record with an include into another served zone, a verification TXT
/// record beside it, and a DMARC policy of reject.
fn spf_server(spf: &str) -> TestServer {
    let extra = format!(
        "@       IN MX  10 mail\n\
         mail    IN A   192.0.2.25\n\
         @       IN TXT \"{spf}\"\n\
         @       IN TXT \"site-verification=abc\"\n\
         _dmarc  IN TXT \"v=DMARC1; p=reject\"\n"
    );
    let other = "$ORIGIN other.example.\n$TTL 3600\n\
                 @ IN SOA ns.other.example. h.other.example. 1 3600 900 1209600 300\n\
                 @ IN NS ns\nns IN A 192.0.2.54\n\
                 _spf IN TXT \"v=spf1 a:relay.other.example ip4:198.51.100.0/24 ~all\"\n\
                 relay IN A 198.51.100.7\n";
    TestServer::start(&[
        ("test.example.zone", &small_zone(2024010101, &extra)),
        ("other.example.zone", other),
    ])
}

fn spf(server: &TestServer, args: &[&str]) -> Ctl {
    let zones = server.zones_dir().display().to_string();
    let addr = server.addr.to_string();
    let mut all = vec!["--zones-dir", &zones, "--server", &addr];
    all.extend_from_slice(args);
    server.ctl(&all)
}

/// The TXT records served at `name`, over UDP and TCP (which must agree).
fn served_txt(server: &TestServer, name: &str) -> Vec<String> {
    let mut per_transport = BOTH.map(|t| {
        let mut v = txt_answers(&server.query(t, name, RecordType::TXT));
        v.sort();
        v
    });
    assert_eq!(per_transport[0], per_transport[1], "UDP and TCP answers");
    std::mem::take(&mut per_transport[0])
}

#[test]
fn spf_show_and_check_count_lookups_through_includes() {
    let server = spf_server("v=spf1 mx include:_spf.other.example ?all");
    let show = spf(&server, &["spf", "show", "test.example"]);
    assert_eq!(show.code, 0, "{show}");
    // mx (1) + include (1) + its a: (1) = 3, the include's subtree shown with its own count.
    assert!(show.stdout.contains("3 of 10 DNS lookups"), "{show}");
    assert!(
        show.stdout
            .contains("        2  include:_spf.other.example"),
        "{show}"
    );
    assert!(
        show.stdout
            .contains("_spf.other.example: v=spf1 a:relay.other.example"),
        "{show}"
    );
    assert!(show.stdout.contains("DMARC policy: p=reject"), "{show}");
    assert!(show.stdout.contains("warning: ?all"), "{show}");
    let check = spf(&server, &["spf", "check", "test.example"]);
    assert_eq!(check.code, 0, "{check}");
    assert!(
        check.stdout.contains("test.example: SPF ok; 3 of 10"),
        "{check}"
    );

    let json = spf(&server, &["--json", "spf", "check", "test.example"]);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(v["lookups"], 3);
    assert_eq!(
        v["tree"]["terms"][1]["child"]["domain"],
        "_spf.other.example"
    );

    // An include outside the served zones is unresolved and counted as one lookup.
    let ext = spf_server("v=spf1 include:_spf.elsewhere.example -all");
    let out = spf(&ext, &["spf", "check", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("not resolved"), "{out}");
    assert!(out.stdout.contains("1 of 10 DNS lookups"), "{out}");
    // Through --resolver (here the test server itself, which refuses the name): still one.
    let addr = ext.addr.to_string();
    let out = spf(&ext, &["spf", "show", "test.example", "--resolver", &addr]);
    assert!(out.stdout.contains("1 of 10 DNS lookups"), "{out}");
}

#[test]
fn spf_check_exits_1_on_errors() {
    let server = spf_server("v=spf1 mx include:nowhere.test.example -all");
    let out = spf(&server, &["spf", "check", "test.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stdout
            .contains("error: test.example: include:nowhere.test.example"),
        "{out}"
    );
    // Two SPF records at one name.
    let two = spf_server("v=spf1 -all\"\n@ IN TXT \"v=spf1 mx -all");
    let out = spf(&two, &["spf", "check", "test.example"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("2 v=spf1 records"), "{out}");
    // No record at a name.
    let out = spf(&server, &["spf", "check", "test.example", "www"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stdout.contains("no SPF record"), "{out}");
}

#[test]
fn spf_edits_are_checked_served_and_keep_other_txt() {
    let server = spf_server("v=spf1 mx -all");
    let verification = "site-verification=abc".to_string();

    let out = spf(
        &server,
        &[
            "spf",
            "add",
            "test.example",
            "ip4:192.0.2.0/24",
            "include:_spf.other.example",
        ],
    );
    assert_eq!(out.code, 0, "{out}");
    let want = "v=spf1 mx ip4:192.0.2.0/24 include:_spf.other.example -all".to_string();
    assert_eq!(
        served_txt(&server, "test.example."),
        vec![verification.clone(), want]
    );
    assert!(out.stdout.contains("serial 2024010101 → "), "{out}");

    let out = spf(&server, &["spf", "remove", "test.example", "@", "mx"]);
    assert_eq!(out.code, 0, "{out}");
    let want = "v=spf1 ip4:192.0.2.0/24 include:_spf.other.example -all".to_string();
    assert_eq!(
        served_txt(&server, "test.example."),
        vec![verification.clone(), want.clone()]
    );

    // Refused: a typo, a term that is not there, over the lookup limit. Nothing changes.
    let before = server.synced_text("test.example.zone");
    let typo = spf(&server, &["spf", "add", "test.example", "inclde:x.example"]);
    assert_eq!(typo.code, 1, "{typo}");
    assert!(typo.stderr.contains("unknown mechanism 'inclde'"), "{typo}");
    let absent = spf(&server, &["spf", "remove", "test.example", "ptr"]);
    assert_eq!(absent.code, 1, "{absent}");
    let eleven = format!("v=spf1 {} -all", ["mx"; 11].join(" "));
    let over = spf(&server, &["spf", "set", "test.example", &eleven]);
    assert_eq!(over.code, 1, "{over}");
    assert!(over.stderr.contains("11 DNS-querying terms"), "{over}");
    let bad = spf(
        &server,
        &["spf", "set", "test.example", "v=spf1 ip4:192.0.2.300 -all"],
    );
    assert_eq!(bad.code, 1, "{bad}");
    assert_eq!(server.synced_text("test.example.zone"), before);
    assert_eq!(
        served_txt(&server, "test.example."),
        vec![verification.clone(), want]
    );

    // set at another name, long enough to need several strings of at most 255 bytes.
    let long = format!(
        "v=spf1 {} -all",
        (1..=30)
            .map(|i| format!("ip4:203.0.113.{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    assert!(long.len() > 255);
    let out = spf(&server, &["spf", "set", "test.example", "_spf", &long]);
    assert_eq!(out.code, 0, "{out}");
    // Over 512 bytes: a UDP client without EDNS is told to retry over TCP.
    assert!(
        server
            .udp("_spf.test.example.", RecordType::TXT)
            .metadata
            .truncation
    );
    let resp = server.tcp("_spf.test.example.", RecordType::TXT);
    assert_eq!(txt_answers(&resp), vec![long.clone()]);
    let hickory_proto::rr::RData::TXT(txt) = &resp.answers[0].data else {
        panic!("a TXT answer: {resp:?}");
    };
    assert_eq!(
        txt.txt_data.iter().map(|s| s.len()).collect::<Vec<_>>(),
        long.as_bytes()
            .chunks(255)
            .map(<[u8]>::len)
            .collect::<Vec<_>>()
    );
    // Setting the same record again changes nothing.
    let same = spf(&server, &["spf", "set", "test.example", "_spf", &long]);
    assert_eq!(same.code, 0, "{same}");
    assert!(same.stdout.contains("nothing changed"), "{same}");
}

/// `spf set` resolves includes into the other zones served here from their files; a running
/// server writes its acknowledged edits into them first, so an edit made a moment before (the
/// file written 5 s later here) counts: a removed include target is refused, a new one taken.
#[test]
fn spf_set_sees_edits_of_other_zones_not_yet_in_their_files() {
    let base = spf_server("v=spf1 mx -all");
    let files: Vec<(String, String)> = ["test.example.zone", "other.example.zone"]
        .iter()
        .map(|f| (f.to_string(), base.synced_text(f)))
        .collect();
    drop(base);
    let config = zonectl::config::Config {
        zonefile_sync_ms: Some(5000),
        ..Default::default()
    };
    let listen = "127.0.0.1:0".parse().expect("valid address");
    let zones: Vec<(&str, &str)> = files
        .iter()
        .map(|(f, t)| (f.as_str(), t.as_str()))
        .collect();
    let server = TestServer::start_with(listen, config, &zones);

    // Each command right after the one before, well within the 5 s before files are written.
    let include_of = |name: &str| format!("v=spf1 include:{name}.other.example -all");
    let (gone, new) = (include_of("_spf"), include_of("_new"));
    for (args, code, why) in [
        (
            vec!["record", "del", "other.example", "_spf", "TXT"],
            0,
            "deleted",
        ),
        (
            vec!["spf", "set", "test.example", &gone],
            1,
            "the include's target is gone",
        ),
        (
            vec![
                "record",
                "add",
                "other.example",
                "_new",
                "TXT",
                "v=spf1 ip4:198.51.100.0/24 -all",
            ],
            0,
            "added",
        ),
        (
            vec!["spf", "set", "test.example", &new],
            0,
            "the new include's target is served",
        ),
    ] {
        let out = spf(&server, &args);
        assert_eq!(out.code, code, "{why}: {out}");
    }
}

/// `spf add` reads the record, adds its terms and writes it back: four run at once each keep
/// the others' terms (one whose record changed before its edit arrived does it again).
#[test]
fn adds_run_at_once_each_keep_the_others_terms() {
    let server = TestServer::start(&[(
        "test.example.zone",
        &small_zone(2024010101, "@ IN TXT \"v=spf1 mx -all\"\n"),
    )]);
    let terms = ["ip4:192.0.2.1", "ip4:192.0.2.2", "ip4:192.0.2.3", "a"];
    std::thread::scope(|sc| {
        let server = &server;
        let runs: Vec<_> = terms
            .iter()
            .map(|t| sc.spawn(move || spf(server, &["spf", "add", "test.example", t])))
            .collect();
        for r in runs {
            let out = r.join().expect("an spf add thread");
            assert_eq!(out.code, 0, "{out}");
        }
    });
    let served = served_txt(&server, "test.example.");
    assert_eq!(served.len(), 1, "{served:?}");
    for t in terms {
        assert!(
            served[0].contains(&format!(" {t} ")),
            "{t} lost from {served:?}"
        );
    }
}

/// An SPF edit rewrites the SPF record's line only: the new record keeps the operator's comment
/// and the other TXT records at the name keep their lines.
#[test]
fn an_spf_edit_keeps_the_comment_and_the_other_txt_records() {
    let server = TestServer::start(&[(
        "test.example.zone",
        &small_zone(
            2024010101,
            "@ IN TXT \"v=spf1 mx -all\" ; our mail servers\n\
             @ IN TXT \"site-verification=abc\" ; for the search console\n",
        ),
    )]);
    let out = spf(&server, &["spf", "add", "test.example", "ip4:192.0.2.7"]);
    assert_eq!(out.code, 0, "{out}");
    let text = server.synced_text("test.example.zone");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"v=spf1 mx ip4:192.0.2.7 -all\" ; our mail servers")),
        "{text}"
    );
    assert!(
        lines.contains(&"@ IN TXT \"site-verification=abc\" ; for the search console"),
        "{text}"
    );
}
