//! SPF (issue 4): the RFC 7208 test suite run through zonectl's own evaluator against each
//! scenario's zone served by a real zonectl server over UDP, and the `zonectl spf` verbs
//! through the real binary against a running server.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zonectl::config::{Config, ZoneConfig};
use zonectl::server::ServeOptions;
use zonectl::spf::{check_host, CheckHostInput, DnsResolver, SpfResult};

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
            serial_policy: None,
        }],
        ..Config::default()
    };
    let handle = zonectl::server::start(ServeOptions {
        zones_dir: zones,
        listen: vec!["127.0.0.1:0".parse().expect("address")],
        listen_where_available: false,
        control: dir.path().join("control.sock"),
        config,
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
