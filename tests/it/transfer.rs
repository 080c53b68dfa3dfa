//! Zone transfers (AXFR, IXFR) over TCP: refused unless `transfer_allow` admits the client; the
//! zone as served, SOA first and last; over UDP an IXFR gets our SOA alone. NOTIFY to the
//! configured secondaries.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use hickory_proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{RData, RecordType};

use crate::harness::{
    decode, read_tcp_message, request, soa_serial, wait_until, zonectl_bin, zonectl_in,
    ServeProcess, TestServer, Transport,
};

const ZONE: &str = "xfr.example.zone";

fn zone_text(serial: u32, extra: &str) -> String {
    format!(
        "$ORIGIN xfr.example.\n$TTL 300\n@ SOA ns hostmaster {serial} 3600 900 1209600 60\n\
         @ NS ns\nns A 192.0.2.53\n@ TXT \"v=spf1 -all\"\n_dmarc TXT \"v=DMARC1; p=none\"\n{extra}"
    )
}

/// Transfers allowed to 127.0.0.1, serials raised by one at each edit.
const TRANSFERS: &str = "transfer_allow = [\"127.0.0.1\"]\nserial_policy = \"increment\"\n";

/// Twenty hosts, h1 to h20, so that the differences are smaller than the zone (else it is
/// sent whole).
fn hosts() -> String {
    (1..=20).map(|i| format!("h{i} A 192.0.2.{i}\n")).collect()
}

fn server(allow: &str) -> TestServer {
    TestServer::start_with_config_file(
        &format!("transfer_allow = [{allow}]\n"),
        &[(ZONE, &zone_text(1, ""))],
    )
}

/// Sends `query` on `stream` and reads messages until the transfer ends: after the SOA that
/// came first comes again at the end (the second time in a whole zone, the third in an
/// incremental transfer, whose second record is an SOA), or after a first message that is an
/// error or holds the SOA alone.
fn transfer_on(stream: &mut TcpStream, query: &Message) -> Vec<Message> {
    let packet = query.to_vec().expect("encoding the query");
    transfer_raw(stream, &packet)
        .iter()
        .map(|raw| decode(raw))
        .collect()
}

/// [`transfer_on`] for a request already encoded (signed), returning the messages as sent.
fn transfer_raw(stream: &mut TcpStream, packet: &[u8]) -> Vec<Vec<u8>> {
    let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(packet);
    stream
        .write_all(&framed)
        .expect("sending the transfer request");
    let mut msgs: Vec<Vec<u8>> = Vec::new();
    // Records read, the first SOA's serial, how often it came, and whether the second record
    // was an SOA.
    let (mut seen, mut first, mut current, mut incremental) = (0, None, 0, false);
    while let Some(raw) = read_tcp_message(stream) {
        let msg = decode(&raw);
        for r in &msg.answers {
            let serial = match &r.data {
                RData::SOA(soa) => Some(soa.serial),
                _ => None,
            };
            seen += 1;
            incremental |= seen == 2 && serial.is_some();
            first = first.or(serial);
            current += usize::from(serial.is_some() && serial == first);
        }
        let only_message = msgs.is_empty();
        let done = msg.metadata.response_code != ResponseCode::NoError
            || current == if incremental { 3 } else { 2 }
            || (only_message && msg.answers.len() == 1);
        msgs.push(raw);
        if done || msgs.len() > 1000 {
            break;
        }
    }
    msgs
}

fn connect(s: &TestServer) -> TcpStream {
    connect_to(s.addr)
}

fn connect_to(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connecting over TCP");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream
}

fn records(msgs: &[Message]) -> Vec<String> {
    msgs.iter()
        .flat_map(|m| m.answers.iter().map(|r| r.to_string()))
        .collect()
}

#[test]
fn transfers_are_refused_by_default_and_to_clients_not_allowed() {
    for s in [
        TestServer::start(&[(ZONE, &zone_text(1, ""))]),
        server("\"10.0.0.0/8\", \"::1\""),
    ] {
        for rtype in [RecordType::AXFR, RecordType::IXFR] {
            let msgs = transfer_on(&mut connect(&s), &request("xfr.example.", rtype));
            assert_eq!(msgs.len(), 1);
            assert_eq!(msgs[0].metadata.response_code, ResponseCode::Refused);
            assert!(msgs[0].answers.is_empty());
        }
    }
}

#[test]
fn an_allowed_client_gets_the_zone_as_served_then_the_connection_goes_on() {
    let s = server("\"127.0.0.0/8\"");
    let mut stream = connect(&s);
    let msgs = transfer_on(&mut stream, &request("xfr.example.", RecordType::AXFR));
    let got = records(&msgs);
    assert_eq!(got.len(), 6, "{got:#?}");
    assert!(
        got[0].starts_with("xfr.example. 300 IN SOA ns.xfr.example. hostmaster.xfr.example. 1 ")
    );
    assert_eq!(got.first(), got.last());
    for want in [
        "xfr.example. 300 IN NS ns.xfr.example.",
        "ns.xfr.example. 300 IN A 192.0.2.53",
        "_dmarc.xfr.example. 300 IN TXT v=DMARC1; p=none",
    ] {
        assert!(got.iter().any(|r| r == want), "{want} in {got:#?}");
    }
    // The same connection answers a query after the transfer.
    let msgs = transfer_on(&mut stream, &request("ns.xfr.example.", RecordType::A));
    assert_eq!(msgs[0].answers.len(), 1);
    assert_eq!(
        msgs[0].answers[0].data,
        RData::A("192.0.2.53".parse().unwrap())
    );

    // A reload is in the next transfer; an IXFR from the serial the server started with gets
    // the whole zone (what was served at it before is not known), one from the new serial the
    // SOA alone.
    s.write_zone_atomic(ZONE, &zone_text(2, "new A 192.0.2.7\n"));
    let out = s.ctl(&["reload", "xfr.example"]);
    assert_eq!(out.code, 0, "{out}");
    let got = records(&transfer_on(
        &mut connect(&s),
        &request("xfr.example.", RecordType::AXFR),
    ));
    assert_eq!(got.len(), 7, "{got:#?}");
    assert!(got
        .iter()
        .any(|r| r == "new.xfr.example. 300 IN A 192.0.2.7"));
    let msgs = transfer_on(&mut connect(&s), &ixfr_from(1));
    assert_eq!(records(&msgs).len(), 7, "{:#?}", records(&msgs));
    let msgs = transfer_on(&mut connect(&s), &ixfr_from(2));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].answers.len(), 1);
    assert_eq!(soa_serial(&msgs[0]), Some(2));

    // `stats`: four transfers sent whole (the last the SOA alone), each also a NOERROR answer,
    // and the query between them; counted once each has ended, which may be a moment after
    // its last message arrived here.
    let mut stats = serde_json::Value::Null;
    let counted = wait_until(Duration::from_secs(5), || {
        let out = s.ctl(&["--json", "stats"]);
        stats = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {out}"));
        stats["tcp"]["transfers"] == 4
    });
    assert!(counted, "{stats}");
    assert_eq!(stats["tcp"]["received"], 5, "{stats}");
    assert_eq!(stats["tcp"]["noerror"], 5, "{stats}");
    assert_eq!(stats["tcp"]["transfers_refused"], 0, "{stats}");
}

/// `zonectl record ARGS` against `s`, verified on its address; it must succeed.
fn record(s: &TestServer, args: &[&str]) {
    let addr = s.addr.to_string();
    let out = s.ctl(&[&["--server", addr.as_str(), "record"], args].concat());
    assert_eq!(out.code, 0, "{out}");
}

/// The records of an IXFR from `serial` on `s`'s xfr.example, each as `SOA N` or its text.
fn ixfr_lines(s: &TestServer, serial: u32) -> Vec<String> {
    ixfr_lines_at(s.addr, serial)
}

/// [`ixfr_lines`] from the server at `addr`.
fn ixfr_lines_at(addr: SocketAddr, serial: u32) -> Vec<String> {
    transfer_on(&mut connect_to(addr), &ixfr_from(serial))
        .iter()
        .flat_map(|m| m.answers.iter())
        .map(|r| match &r.data {
            RData::SOA(soa) => format!("SOA {}", soa.serial),
            _ => r.to_string(),
        })
        .collect()
}

#[test]
fn an_ixfr_gets_the_differences_since_the_client_s_serial() {
    let hosts = hosts() + "old A 192.0.2.9\n";
    let s = TestServer::start_with_config_file(TRANSFERS, &[(ZONE, &zone_text(1, &hosts))]);
    // Two edits (serials 2 and 3), then a hand edit of the file (serial 10).
    let edit = |args: &[&str]| record(&s, args);
    edit(&["add", "xfr.example", "www", "A", "192.0.2.80"]);
    edit(&[
        "set",
        "xfr.example",
        "_dmarc",
        "TXT",
        "\"v=DMARC1; p=quarantine\"",
    ]);
    let text = s.synced_text(ZONE);
    let text = text
        .replacen(" 3 3600", " 10 3600", 1)
        .replace("old", "new");
    assert!(text.contains(" 10 3600"), "{text}");
    s.write_zone_atomic(ZONE, &text);
    let out = s.ctl(&["reload", "xfr.example"]);
    assert_eq!(out.code, 0, "{out}");

    let dmarc = |p: &str| format!("_dmarc.xfr.example. 300 IN TXT v=DMARC1; p={p}");
    let mut want = vec!["SOA 10".to_string()];
    let steps = [
        (2, 3, vec![dmarc("none")], vec![dmarc("quarantine")]),
        (
            3,
            10,
            vec!["old.xfr.example. 300 IN A 192.0.2.9".to_string()],
            vec!["new.xfr.example. 300 IN A 192.0.2.9".to_string()],
        ),
    ];
    for (from, to, removed, added) in &steps {
        want.push(format!("SOA {from}"));
        want.extend(removed.iter().cloned());
        want.push(format!("SOA {to}"));
        want.extend(added.iter().cloned());
    }
    want.push("SOA 10".into());
    assert_eq!(ixfr_lines(&s, 2), want, "from 2: every step since");
    let from_three: Vec<String> = ["SOA 10", "SOA 3"]
        .into_iter()
        .map(String::from)
        .chain(want[6..].iter().cloned())
        .collect();
    assert_eq!(ixfr_lines(&s, 3), from_three, "from 3: the last step");
    assert_eq!(ixfr_lines(&s, 10), ["SOA 10"], "current: our SOA alone");
    // `status` says from which serial secondaries get differences.
    assert_eq!(s.status_json("xfr.example")["ixfr_from"], 2);
    let status = s.status_text();
    assert!(
        status.contains(
            "IXFR: the changes since serial 2 (2 kept); older serials get the whole zone"
        ),
        "{status}"
    );
    // The serial the server started with, and one the zone never had: the whole zone (what
    // was served at 1 before the server started is not known).
    for serial in [1, 7] {
        let whole = ixfr_lines(&s, serial);
        assert_eq!(whole.len(), 28, "{whole:#?}");
        assert!(whole[1] != format!("SOA {serial}"));
        assert!(whole.iter().any(|r| r.starts_with("new.xfr.example.")));
    }

    // A change that keeps the serial: secondaries at 10 may hold either version, so nothing
    // is sent as a difference from 10 or below, not even after the next edit; from the
    // serials after, it is.
    s.write_zone_atomic(ZONE, &text.replace("192.0.2.80", "192.0.2.81"));
    let out = s.ctl(&["reload", "xfr.example"]);
    assert_eq!(out.code, 0, "{out}");
    edit(&["add", "xfr.example", "after", "A", "192.0.2.82"]);
    for serial in [3, 10] {
        let whole = ixfr_lines(&s, serial);
        assert_eq!(whole.len(), 29, "from {serial}: {whole:#?}");
        assert!(whole.iter().any(|r| r.ends_with("IN A 192.0.2.81")));
    }
    edit(&["add", "xfr.example", "later", "A", "192.0.2.83"]);
    assert_eq!(
        ixfr_lines(&s, 11),
        [
            "SOA 12",
            "SOA 11",
            "SOA 12",
            "later.xfr.example. 300 IN A 192.0.2.83",
            "SOA 12"
        ]
    );
}

/// Serves xfr.example (20 hosts, serial 1) to transfer_allow 127.0.0.1 with serials raised by
/// one, and edits it three times (serial 4).
fn edited_server() -> TestServer {
    let hosts = hosts();
    let s = TestServer::start_with_config_file(TRANSFERS, &[(ZONE, &zone_text(1, &hosts))]);
    for e in ["e1", "e2", "e3"] {
        record(&s, &["add", "xfr.example", e, "A", "192.0.2.100"]);
    }
    assert_eq!(s.serial(Transport::Udp, "xfr.example."), Some(4));
    s
}

/// From serial 1, serials 2 to 4 served again with other records (f1 to f3 added), then 5 and
/// 6: a secondary at 4 holds what was served at 4 before, so it must get the whole zone, and
/// one at 5 the change.
fn assert_reused_serials_get_the_whole_zone(s: &TestServer) {
    for f in ["f1", "f2", "f3", "g"] {
        record(s, &["add", "xfr.example", f, "A", "192.0.2.101"]);
    }
    assert_eq!(s.serial(Transport::Udp, "xfr.example."), Some(5));
    let whole = ixfr_lines(s, 4);
    assert!(
        whole.len() > 20,
        "from 4 (served before with e1 to e3): {whole:#?}"
    );
    assert!(whole.iter().any(|r| r.starts_with("f1.xfr.example.")));
    record(s, &["add", "xfr.example", "h", "A", "192.0.2.102"]);
    assert_eq!(
        ixfr_lines(s, 5),
        [
            "SOA 6",
            "SOA 5",
            "SOA 6",
            "h.xfr.example. 300 IN A 192.0.2.102",
            "SOA 6"
        ]
    );
}

#[test]
fn a_zone_dropped_and_back_at_a_lower_serial_sends_the_reused_serials_whole() {
    let s = edited_server();
    // The file (once it holds the edits) goes, the zone is dropped at reload, and the file
    // comes back at serial 1.
    s.synced_text(ZONE);
    std::fs::remove_file(s.zone_path(ZONE)).expect("removing the file");
    s.ctl(&["reload"]);
    assert_eq!(s.serial(Transport::Udp, "xfr.example."), None);
    let hosts = hosts();
    s.write_zone_atomic(ZONE, &zone_text(1, &hosts));
    let out = s.ctl(&["reload"]);
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(s.serial(Transport::Udp, "xfr.example."), Some(1), "{out}");
    assert_reused_serials_get_the_whole_zone(&s);
}

#[test]
fn a_zone_dropped_unchanged_and_back_at_a_lower_serial_sends_the_reused_serials_whole() {
    // Served at 4 from start-up, never changed, dropped; back at 1, then 2 to 6 by edits.
    let hosts = hosts();
    let s = TestServer::start_with_config_file(
        TRANSFERS,
        &[(ZONE, &zone_text(4, &format!("{hosts}e1 A 192.0.2.100\n")))],
    );
    std::fs::remove_file(s.zone_path(ZONE)).expect("removing the file");
    s.ctl(&["reload"]);
    assert_eq!(s.serial(Transport::Udp, "xfr.example."), None);
    s.write_zone_atomic(ZONE, &zone_text(1, &hosts));
    let out = s.ctl(&["reload"]);
    assert_eq!(out.code, 0, "{out}");
    assert_reused_serials_get_the_whole_zone(&s);
}

#[test]
fn serials_reused_while_transfers_were_off_are_sent_whole() {
    let s = edited_server();
    // Transfers off (no history kept), the serial lowered to 1, transfers on again.
    let config = |allow: &str| {
        let out = s.reload_config(&format!(
            "transfer_allow = [{allow}]\nserial_policy = \"increment\"\n"
        ));
        assert_eq!(out.code, 0, "{out}");
    };
    config("");
    let addr = s.addr.to_string();
    let out = s.ctl(&[
        "--server",
        &addr,
        "serial",
        "set",
        "xfr.example",
        "1",
        "--force",
    ]);
    assert_eq!(out.code, 0, "{out}");
    config("\"127.0.0.1\"");
    assert_reused_serials_get_the_whole_zone(&s);
}

/// A zones directory with xfr.example (as `text`) and a config file of [`TRANSFERS`], for a
/// real `zonectl serve` stopped and started again.
struct Restarts {
    dir: tempfile::TempDir,
    zones: PathBuf,
    file: PathBuf,
    config: PathBuf,
    control: PathBuf,
}

impl Restarts {
    fn new(text: &str) -> Restarts {
        let dir = tempfile::tempdir().expect("temporary directory");
        let zones = dir.path().join("zones");
        std::fs::create_dir(&zones).expect("zones directory");
        let file = zones.join(ZONE);
        std::fs::write(&file, text).expect("zone file");
        let config = dir.path().join("zonectl.toml");
        std::fs::write(&config, TRANSFERS).expect("config file");
        let control = dir.path().join("control.sock");
        Restarts {
            dir,
            zones,
            file,
            config,
            control,
        }
    }

    fn start(&self) -> ServeProcess {
        ServeProcess::start_configured(
            &self.zones,
            &self.control,
            self.dir.path(),
            Some(&self.config),
        )
    }

    /// `zonectl record add xfr.example NAME A 192.0.2.99` through `p`; it must succeed.
    fn edit(&self, p: &ServeProcess, name: &str) {
        let addr = p.addr.to_string();
        let args = [
            "--server",
            &addr,
            "record",
            "add",
            "xfr.example",
            name,
            "A",
            "192.0.2.99",
        ];
        let out = zonectl_in(self.dir.path(), Some(&self.control), &args);
        assert_eq!(out.code, 0, "{out}");
    }
}

/// Stops `p` by SIGTERM, as `systemctl stop` does; it must exit 0.
fn stop(mut p: ServeProcess) {
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0), "{}", p.log());
}

#[test]
fn a_restart_keeps_the_ixfr_history_unless_the_zone_changed_meanwhile() {
    let r = Restarts::new(&zone_text(1, &hosts()));
    let added = |name: &str| format!("{name}.xfr.example. 300 IN A 192.0.2.99");
    let step = |from: u32, to: u32, name: &str| {
        vec![format!("SOA {from}"), format!("SOA {to}"), added(name)]
    };
    let incremental = |to: u32, steps: &[Vec<String>]| {
        let mut want = vec![format!("SOA {to}")];
        want.extend(steps.iter().flatten().cloned());
        want.push(format!("SOA {to}"));
        want
    };
    let saved = r.zones.join(".ixfr/xfr.example.ixfr");

    let p = r.start();
    r.edit(&p, "e1");
    r.edit(&p, "e2");
    stop(p);
    assert!(saved.exists(), "saved when the server stopped");
    let p = r.start();
    assert!(!saved.exists(), "taken back at the start");
    assert!(p.log().contains("IXFR history restored"), "{}", p.log());
    assert_eq!(
        ixfr_lines_at(p.addr, 2),
        incremental(3, &[step(2, 3, "e2")]),
        "from before the restart"
    );
    r.edit(&p, "e3");
    assert_eq!(
        ixfr_lines_at(p.addr, 2),
        incremental(4, &[step(2, 3, "e2"), step(3, 4, "e3")]),
        "across the restart"
    );
    stop(p);

    // Changed while stopped (the serial kept): the saved history is not used.
    let file = &r.file;
    let text = std::fs::read_to_string(file).expect("zone file");
    std::fs::write(file, text.replace("192.0.2.20", "192.0.2.21")).expect("hand edit");
    let p = r.start();
    assert!(
        p.log()
            .contains("saved IXFR history not used (the zone changed since it was saved)"),
        "{}",
        p.log()
    );
    let whole = ixfr_lines_at(p.addr, 3);
    assert!(whole.len() > 20, "the whole zone: {whole:#?}");
    assert!(whole.iter().any(|r| r.ends_with("IN A 192.0.2.21")));
    // Nor is any difference kept from the serial it holds other records at now.
    r.edit(&p, "e4");
    assert!(ixfr_lines_at(p.addr, 4).len() > 20);
    stop(p);

    // The serial lowered by hand while stopped: the serials served before (up to 5) come
    // again with other records, and the server still knows they were served.
    let text = std::fs::read_to_string(file).expect("zone file");
    assert!(text.contains(" 5 3600"), "{text}");
    std::fs::write(file, text.replacen(" 5 3600", " 2 3600", 1)).expect("hand edit");
    let p = r.start();
    for name in ["f3", "f4", "f5", "f6", "f7"] {
        r.edit(&p, name);
    }
    for reused in [3, 4, 5] {
        let whole = ixfr_lines_at(p.addr, reused);
        assert!(whole.len() > 20, "from {reused}: {whole:#?}");
    }
    assert_eq!(
        ixfr_lines_at(p.addr, 6),
        incremental(7, &[step(6, 7, "f7")])
    );
    stop(p);
}

#[test]
fn the_serials_served_are_remembered_across_any_restart() {
    // A secondary holds serial 10 from a run that changed nothing; then the server is killed
    // (not stopped) in a run that did change the zone. Each time an older backup comes back
    // at serial 5, and edits take the zone to 11: a secondary at 10 must get the whole zone.
    let hosts = hosts();
    let r = Restarts::new(&zone_text(10, &hosts));
    let file = &r.file;
    let backup = format!("{hosts}old A 192.0.2.9\n");
    let backup_then_edits = |p: &ServeProcess| {
        for e in ["e6", "e7", "e8", "e9", "e10", "e11"] {
            r.edit(p, e);
        }
        let whole = ixfr_lines_at(p.addr, 10);
        assert!(whole.len() > 20, "from 10, served before: {whole:#?}");
        assert!(whole.iter().any(|r| r.starts_with("old.xfr.example.")));
    };

    stop(r.start());
    std::fs::write(file, zone_text(5, &backup)).expect("backup");
    let p = r.start();
    backup_then_edits(&p);

    // Killed once the file holds the edits (so that none is replayed from the journal).
    wait_until(Duration::from_secs(10), || {
        std::fs::read_to_string(file).is_ok_and(|t| t.contains("e11"))
    });
    let mut p = p;
    p.signal(libc::SIGKILL);
    p.wait_exit(Duration::from_secs(10));
    std::fs::write(file, zone_text(5, &backup)).expect("backup");
    // A line gone wrong in the file of serials leaves the others as they were.
    let serials = r.zones.join(".ixfr/serials");
    let mut text = std::fs::read_to_string(&serials).expect("serials");
    text.insert_str(0, "garbage\n");
    std::fs::write(&serials, text).expect("serials");
    let p = r.start();
    assert!(
        p.log().contains("serials:1: not `ORIGIN SERIAL`"),
        "{}",
        p.log()
    );
    backup_then_edits(&p);
}

/// Over UDP an allowed client's IXFR gets our SOA alone (RFC 1995 §2): the answer to a client
/// that is current, and the sign to one that is behind to ask again over TCP. AXFR is not
/// defined over UDP (RFC 5936 §4.2), and a client not allowed is refused either way.
#[test]
fn over_udp_an_ixfr_gets_our_soa_alone_and_an_axfr_is_refused() {
    let s = TestServer::start_with_config_file(TRANSFERS, &[(ZONE, &zone_text(1, &hosts()))]);
    // Two edits: serials 2 and 3 (a loaded serial is not one to send differences from).
    record(&s, &["add", "xfr.example", "h21", "A", "192.0.2.21"]);
    record(&s, &["add", "xfr.example", "h22", "A", "192.0.2.22"]);
    for (from, why) in [(2, "behind"), (3, "current"), (7, "ahead")] {
        let m = s.query_with(Transport::Udp, &ixfr_from(from));
        assert_eq!(m.metadata.response_code, ResponseCode::NoError, "{why}");
        assert!(m.metadata.authoritative, "{why}");
        assert_eq!(m.answers.len(), 1, "{why}: {m:?}");
        assert_eq!(soa_serial(&m), Some(3), "{why}");
        assert!(
            m.authorities.is_empty() && m.additionals.is_empty(),
            "{why}"
        );
    }
    // Over TCP, the client that is behind gets the difference.
    assert_eq!(
        ixfr_lines(&s, 2),
        [
            "SOA 3",
            "SOA 2",
            "SOA 3",
            "h22.xfr.example. 300 IN A 192.0.2.22",
            "SOA 3"
        ]
    );
    let m = s.query(Transport::Udp, "xfr.example.", RecordType::AXFR);
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
    assert!(m.answers.is_empty());
    let m = s.query_with(
        Transport::Udp,
        &request("h1.xfr.example.", RecordType::IXFR),
    );
    assert_eq!(m.metadata.response_code, ResponseCode::NotAuth, "no apex");

    let closed = server("");
    for rtype in [RecordType::AXFR, RecordType::IXFR] {
        let m = closed.query(Transport::Udp, "xfr.example.", rtype);
        assert_eq!(m.metadata.response_code, ResponseCode::Refused, "{rtype}");
        assert!(m.answers.is_empty());
    }
    let m = closed.query_with(Transport::Udp, &ixfr_from(0));
    assert_eq!(m.metadata.response_code, ResponseCode::Refused);
}

#[test]
fn a_name_that_is_no_zone_apex_is_notauth() {
    let s = server("\"127.0.0.1\"");
    for name in ["ns.xfr.example.", "elsewhere.example."] {
        let msgs = transfer_on(&mut connect(&s), &request(name, RecordType::AXFR));
        assert_eq!(msgs.len(), 1);
        assert_eq!(msgs[0].metadata.response_code, ResponseCode::NotAuth);
    }
}

#[test]
fn a_bad_transfer_allow_entry_stops_the_server_from_starting_with_its_name() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::create_dir(dir.path().join("zones")).expect("zones directory");
    let config = dir.path().join("zonectl.toml");
    std::fs::write(
        &config,
        "transfer_allow = [\"10.0.0.0/33\"]\nlisten = [\"127.0.0.1:0\"]\n",
    )
    .expect("config file");
    let stderr = serve_fails(dir.path());
    assert!(
        stderr.contains("transfer_allow \"10.0.0.0/33\" is not an IP address or prefix"),
        "{stderr}"
    );
}

/// Runs `zonectl --config zonectl.toml serve` in `dir`, which must fail to start; its stderr.
fn serve_fails(dir: &std::path::Path) -> String {
    let mut child = Command::new(zonectl_bin())
        .current_dir(dir)
        .args(["--config", "zonectl.toml", "serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting zonectl serve");
    let exited = wait_until(Duration::from_secs(10), || {
        child.try_wait().expect("waiting for zonectl").is_some()
    });
    if !exited {
        child
            .kill()
            .expect("stopping the server that should not have started");
    }
    let out = child.wait_with_output().expect("zonectl's output");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        exited && !out.status.success(),
        "zonectl serve started: {stderr}"
    );
    stderr
}

/// An IXFR request from a client holding `serial`.
fn ixfr_from(serial: u32) -> Message {
    use hickory_proto::rr::rdata::SOA;
    use hickory_proto::rr::{Name, Record};
    let mut m = request("xfr.example.", RecordType::IXFR);
    let name = Name::from_ascii("xfr.example.").unwrap();
    let soa = SOA::new(name.clone(), name.clone(), serial, 0, 0, 0, 0);
    m.add_authority(Record::from_rdata(name, 0, RData::SOA(soa)));
    m
}

/// A fake secondary on a free loopback port, and a server serving `files` that notifies it:
/// its `notify` entry is the secondary's address followed by `entry_rest` (` key NAME`), and
/// `more_config` follows.
fn notifying_server(
    entry_rest: &str,
    more_config: &str,
    files: &[(&str, &str)],
) -> (UdpSocket, TestServer) {
    let secondary = UdpSocket::bind("127.0.0.1:0").expect("a fake secondary");
    let addr = secondary.local_addr().expect("its address");
    let config = format!("notify = [\"{addr}{entry_rest}\"]\n{more_config}");
    (
        secondary,
        TestServer::start_with_config_file(&config, files),
    )
}

/// The next NOTIFY a fake secondary on `sock` receives, raw and decoded; None within `wait`.
fn next_notify(
    sock: &UdpSocket,
    wait: Duration,
) -> Option<(Vec<u8>, std::net::SocketAddr, Message)> {
    sock.set_read_timeout(Some(wait)).expect("timeout");
    let mut buf = [0u8; 4096];
    match sock.recv_from(&mut buf) {
        Ok((n, from)) => Some((buf[..n].to_vec(), from, decode(&buf[..n]))),
        Err(_) => None,
    }
}

#[test]
fn a_new_serial_is_notified_to_the_secondaries_until_they_answer() {
    let (secondary, s) = notifying_server(
        "",
        "",
        &[
            (ZONE, &zone_text(1, "")),
            ("other.example.zone", "$ORIGIN other.example.\n@ 300 SOA ns hostmaster 5 3600 900 1209600 60\n@ 300 NS ns\nns 300 A 192.0.2.1\n"),
        ],
    );
    // Starting the server notifies every zone, as Knot and BIND do.
    let mut started = Vec::new();
    while started.len() < 2 {
        let (raw, from, m) =
            next_notify(&secondary, Duration::from_secs(5)).expect("NOTIFY at start");
        let zone = m.queries[0].name().to_string();
        if !started.contains(&zone) {
            started.push(zone);
        }
        let mut reply = raw;
        reply[2] |= 0x80;
        secondary
            .send_to(&reply, from)
            .expect("answering the NOTIFY");
    }
    started.sort();
    assert_eq!(started, ["other.example.", "xfr.example."]);
    // Answered, they stop; a reload with the same serial sends none.
    assert!(next_notify(&secondary, Duration::from_millis(2500)).is_none());
    s.write_zone_atomic(ZONE, &zone_text(1, "same A 192.0.2.8\n"));
    let out = s.ctl(&["reload", "xfr.example"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(next_notify(&secondary, Duration::from_millis(500)).is_none());

    s.write_zone_atomic(ZONE, &zone_text(2, "new A 192.0.2.7\n"));
    let out = s.ctl(&["reload", "xfr.example"]);
    assert_eq!(out.code, 0, "{out}");
    let (_, from, m) = next_notify(&secondary, Duration::from_secs(5)).expect("a NOTIFY");
    assert_eq!(m.metadata.op_code, OpCode::Notify);
    assert_eq!(m.metadata.message_type, MessageType::Query);
    assert_eq!(m.queries[0].name().to_string(), "xfr.example.");
    assert_eq!(m.queries[0].query_type(), RecordType::SOA);
    assert_eq!(soa_serial(&m), Some(2));

    // Unanswered, it comes again, with the same ID; answered, it stops.
    let (raw, from_again, again) =
        next_notify(&secondary, Duration::from_secs(5)).expect("a retransmitted NOTIFY");
    assert_eq!(again.metadata.id, m.metadata.id);
    assert_eq!(from_again, from);
    let mut reply = raw.clone();
    reply[2] |= 0x80; // QR: the answer, as a secondary sends it
    secondary
        .send_to(&reply, from)
        .expect("answering the NOTIFY");
    let late = next_notify(&secondary, Duration::from_millis(2500));
    assert!(
        late.is_none(),
        "NOTIFY after the answer: {:?}",
        late.map(|l| l.2)
    );

    // Two serials in a row: the NOTIFY of the first, unanswered, gives way to the second's.
    for serial in [3, 4] {
        s.write_zone_atomic(ZONE, &zone_text(serial, ""));
        let out = s.ctl(&["reload", "xfr.example"]);
        assert_eq!(out.code, 0, "{out}");
    }
    let mut serials = Vec::new();
    while let Some((_, _, m)) = next_notify(&secondary, Duration::from_millis(2500)) {
        serials.push(soa_serial(&m));
        if serials.len() > 3 {
            break;
        }
    }
    assert_eq!(serials.last(), Some(&Some(4)), "{serials:?}");
    assert!(
        serials.iter().filter(|s| **s == Some(3)).count() <= 1,
        "{serials:?}"
    );
    assert!(
        serials.len() >= 2,
        "serial 4 sent again until answered: {serials:?}"
    );
}

#[test]
fn taking_a_client_out_of_transfer_allow_applies_at_reload() {
    let s = server("\"127.0.0.1\"");
    let mut stream = connect(&s);
    let msgs = transfer_on(&mut stream, &request("xfr.example.", RecordType::AXFR));
    assert_eq!(records(&msgs).len(), 6);
    let out = s.reload_config("transfer_allow = [\"192.0.2.53\"]\n");
    assert_eq!(out.code, 0, "{out}");
    // Refused at once, also on the connection opened before the reload.
    let msgs = transfer_on(&mut stream, &request("xfr.example.", RecordType::AXFR));
    assert_eq!(msgs[0].metadata.response_code, ResponseCode::Refused);
    // A config whose ACL cannot be read is not taken: the one before stays.
    let out = s.reload_config("transfer_allow = [\"127.0.0.1/8\"]\n");
    assert_ne!(out.code, 0, "a config not taken is an error: {out}");
    assert!(
        out.stderr.contains("bits set past its prefix length")
            && out
                .stderr
                .contains("keeping the configuration and keys read before"),
        "{out}"
    );
    let msgs = transfer_on(&mut connect(&s), &request("xfr.example.", RecordType::AXFR));
    assert_eq!(msgs[0].metadata.response_code, ResponseCode::Refused);
}

#[test]
fn notify_goes_out_from_notify_source() {
    let (secondary, _s) = notifying_server(
        "",
        "notify_source = [\"::1\", \"127.0.0.2\"]\n",
        &[(ZONE, &zone_text(1, ""))],
    );
    let (_, from, m) = next_notify(&secondary, Duration::from_secs(5)).expect("NOTIFY at start");
    assert_eq!(m.metadata.op_code, OpCode::Notify);
    assert_eq!(
        from.ip().to_string(),
        "127.0.0.2",
        "the IPv4 source for an IPv4 secondary"
    );
}

/// The TSIG key of the tests below, as its file says.
const KEY_FILE: &str = "key \"xfr.key\" {\n\talgorithm hmac-sha256;\n\tsecret \"c2VjcmV0IHNoYXJlZCB3aXRoIHRoZSBzZWNvbmRhcnk=\";\n};\n";

/// The key of [`KEY_FILE`] with `secret`.
fn test_key(secret: &[u8]) -> zonectl::tsig::Key {
    use zonectl::tsig::{Algorithm, Key};
    let name = zonectl::zone::Name::parse("xfr.key.", None).expect("key name");
    Key::new(&name, Algorithm::HmacSha256, secret)
}

/// `packet` signed now with the key of [`KEY_FILE`], or with `secret` under its name.
fn signed(mut packet: Vec<u8>, secret: &[u8]) -> Vec<u8> {
    use zonectl::tsig::{self, Signer};
    Signer::request(std::sync::Arc::new(test_key(secret)), tsig::now()).sign(&mut packet);
    packet
}

const SECRET: &[u8] = b"secret shared with the secondary";

/// The TSIG record ending `raw`: (error, MAC length); None if its last record is no TSIG.
fn tsig_of(raw: &[u8]) -> Option<(u16, usize)> {
    let at = zonectl::tsig::last_record_start(raw)?;
    let rec = zonectl::tsig::Record::parse(raw, at)?;
    Some((rec.error, rec.mac.len()))
}

#[test]
fn an_entry_with_a_key_admits_only_requests_signed_with_it_and_signs_the_transfer() {
    let extra: String = (0..1500)
        .map(|i| format!("h{i} TXT \"host {i} of many, to fill several transfer messages\"\n"))
        .collect();
    let s = TestServer::start_with_config_file(
        "transfer_allow = [\"127.0.0.1 key xfr.key\"]\n",
        &[
            (ZONE, &zone_text(1, &extra)),
            ("keys/tsig/xfr.key", KEY_FILE),
        ],
    );
    let axfr = || {
        request("xfr.example.", RecordType::AXFR)
            .to_vec()
            .expect("encoding")
    };
    let mut stream = connect(&s);
    let msgs = transfer_raw(&mut stream, &axfr());
    assert_eq!(
        decode(&msgs[0]).metadata.response_code,
        ResponseCode::Refused,
        "unsigned"
    );
    // Signed: the zone, every message signed with no error, on the same connection.
    let msgs = transfer_raw(&mut stream, &signed(axfr(), SECRET));
    assert!(msgs.len() > 1, "a zone of several messages: {}", msgs.len());
    let decoded: Vec<Message> = msgs.iter().map(|raw| decode(raw)).collect();
    assert_eq!(records(&decoded).len(), 1506);
    for raw in &msgs {
        assert_eq!(tsig_of(raw), Some((0, 32)), "each message signed");
    }
    // Another secret under the key's name: NOTAUTH, BADSIG, unsigned.
    let msgs = transfer_raw(&mut stream, &signed(axfr(), b"a guess"));
    assert_eq!(
        decode(&msgs[0]).metadata.response_code,
        ResponseCode::NotAuth
    );
    assert_eq!(tsig_of(&msgs[0]), Some((zonectl::tsig::BADSIG, 0)));

    // An IXFR over UDP likewise: refused unsigned, our SOA signed when signed.
    let ixfr = || ixfr_from(0).to_vec().expect("encoding");
    let over_udp = |packet: &[u8]| {
        s.exchange(Transport::Udp, packet, Duration::from_secs(2))
            .expect("an answer over UDP")
    };
    let raw = over_udp(&ixfr());
    assert_eq!(decode(&raw).metadata.response_code, ResponseCode::Refused);
    let raw = over_udp(&signed(ixfr(), SECRET));
    let m = decode(&raw);
    assert_eq!(m.metadata.response_code, ResponseCode::NoError);
    assert_eq!((m.answers.len(), soa_serial(&m)), (1, Some(1)));
    assert_eq!(tsig_of(&raw), Some((0, 32)));
    let raw = over_udp(&signed(ixfr(), b"a guess"));
    assert_eq!(decode(&raw).metadata.response_code, ResponseCode::NotAuth);
    assert_eq!(tsig_of(&raw), Some((zonectl::tsig::BADSIG, 0)));
}

#[test]
fn signed_queries_get_signed_answers_and_keys_are_read_again_at_reload() {
    use std::os::unix::fs::PermissionsExt;
    let s = TestServer::start_with_config_file(
        "",
        &[(ZONE, &zone_text(1, "")), ("keys/tsig/xfr.key", KEY_FILE)],
    );
    let signed_soa = |t| {
        let soa = request("xfr.example.", RecordType::SOA);
        let packet = signed(soa.to_vec().expect("encoding"), SECRET);
        s.exchange(t, &packet, Duration::from_secs(5))
            .expect("an answer")
    };
    for t in crate::harness::BOTH {
        let raw = signed_soa(t);
        assert_eq!(
            decode(&raw).metadata.response_code,
            ResponseCode::NoError,
            "{t:?}"
        );
        assert_eq!(decode(&raw).answers.len(), 1);
        assert_eq!(tsig_of(&raw), Some((0, 32)), "{t:?}");
    }
    // A key file others can read is refused at reload, and the keys read before stay.
    let file = s.dir().join("keys/tsig/xfr.key");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("mode");
    let out = s.ctl(&["reload"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("can be read by others"), "{out}");
    let raw = signed_soa(Transport::Udp);
    assert_eq!(
        tsig_of(&raw),
        Some((0, 32)),
        "the key read before still signs"
    );
    // The key's file removed and the server reloaded: the key is unknown (BADKEY).
    std::fs::remove_file(&file).expect("removing the key");
    let out = s.ctl(&["reload"]);
    assert_eq!(out.code, 0, "{out}");
    let raw = signed_soa(Transport::Udp);
    assert_eq!(decode(&raw).metadata.response_code, ResponseCode::NotAuth);
    assert_eq!(tsig_of(&raw), Some((zonectl::tsig::BADKEY, 0)));
}

#[test]
fn a_key_others_can_read_or_a_missing_key_stops_the_server_from_starting() {
    use std::os::unix::fs::PermissionsExt;
    for (mode, config, want) in [
        (
            0o644,
            "",
            "keys/tsig/xfr.key can be read by others (mode 0644): a TSIG key is a secret; run chmod 600",
        ),
        (
            0o600,
            "transfer_allow = [\"127.0.0.1 key other.key\"]\n",
            "transfer_allow names TSIG key other.key., which is not in keys/tsig",
        ),
    ] {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::create_dir(dir.path().join("zones")).expect("zones directory");
        std::fs::create_dir_all(dir.path().join("keys/tsig")).expect("keys directory");
        let key = dir.path().join("keys/tsig/xfr.key");
        std::fs::write(&key, KEY_FILE).expect("key file");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(mode)).expect("mode");
        std::fs::write(
            dir.path().join("zonectl.toml"),
            format!("{config}listen = [\"127.0.0.1:0\"]\n"),
        )
        .expect("config file");
        let stderr = serve_fails(dir.path());
        assert!(stderr.contains(want), "{stderr}");
    }
}

#[test]
fn a_signed_notify_wants_a_reply_signed_with_the_same_key() {
    use zonectl::tsig::{self, verify_request, Keyring, Record};
    let (secondary, _s) = notifying_server(
        " key xfr.key",
        "",
        &[(ZONE, &zone_text(1, "")), ("keys/tsig/xfr.key", KEY_FILE)],
    );
    let (raw, from, _) = next_notify(&secondary, Duration::from_secs(5)).expect("NOTIFY at start");
    // The secondary's side: it has the key, and the NOTIFY verifies with it.
    let mut keys = Keyring::default();
    keys.add(test_key(SECRET), std::path::Path::new("xfr.key"))
        .expect("a key");
    let at = zonectl::tsig::last_record_start(&raw).expect("records");
    let rec = Record::parse(&raw, at).expect("a signed NOTIFY");
    let Ok(mut signer) = verify_request(&raw, &rec, &keys, tsig::now()) else {
        panic!("the NOTIFY does not verify");
    };
    // An unsigned answer (the request with QR set) does not count: the NOTIFY comes again.
    let mut reply = raw[..at].to_vec();
    reply[11] -= 1; // ARCOUNT without the TSIG record
    reply[2] |= 0x80;
    secondary.send_to(&reply, from).expect("answering");
    let (again, from, _) = next_notify(&secondary, Duration::from_secs(5))
        .expect("sent again after an unsigned reply");
    assert_eq!(again, raw, "the same NOTIFY");
    // Signed with the key, it is taken: no more.
    signer.sign(&mut reply);
    secondary.send_to(&reply, from).expect("answering");
    let late = next_notify(&secondary, Duration::from_millis(2500));
    assert!(late.is_none(), "NOTIFY after a signed answer");
}

#[test]
fn a_zone_s_own_transfer_allow_and_notify_replace_the_global_ones() {
    let other = "$ORIGIN other.example.\n@ 300 SOA ns hostmaster 5 3600 900 1209600 60\n\
                 @ 300 NS ns\nns 300 A 192.0.2.1\n";
    let own = UdpSocket::bind("127.0.0.1:0").expect("the zone's own secondary");
    let global = UdpSocket::bind("127.0.0.1:0").expect("the global secondary");
    let (own_addr, global_addr) = (own.local_addr().unwrap(), global.local_addr().unwrap());
    let config = format!(
        "transfer_allow = [\"127.0.0.1\"]\nnotify = [\"{global_addr}\"]\n\
         [[zone]]\nname = \"xfr.example.\"\ntransfer_allow = []\nnotify = [\"{own_addr}\"]\n"
    );
    let s = TestServer::start_with_config_file(
        &config,
        &[(ZONE, &zone_text(1, "")), ("other.example.zone", other)],
    );
    // xfr.example's empty list refuses everyone; other.example follows the global one.
    let msgs = transfer_on(&mut connect(&s), &request("xfr.example.", RecordType::AXFR));
    assert_eq!(msgs[0].metadata.response_code, ResponseCode::Refused);
    let msgs = transfer_on(
        &mut connect(&s),
        &request("other.example.", RecordType::AXFR),
    );
    assert_eq!(records(&msgs).len(), 4, "{:?}", records(&msgs));
    // At start, each zone is notified to its own secondaries only.
    let zones_notified = |sock: &UdpSocket| {
        let mut zones = Vec::new();
        while let Some((raw, from, m)) = next_notify(sock, Duration::from_millis(2500)) {
            let zone = m.queries[0].name().to_string();
            if !zones.contains(&zone) {
                zones.push(zone);
            }
            let mut reply = raw;
            reply[2] |= 0x80;
            sock.send_to(&reply, from).expect("answering the NOTIFY");
        }
        zones
    };
    assert_eq!(zones_notified(&own), ["xfr.example."]);
    assert_eq!(zones_notified(&global), ["other.example."]);
}
