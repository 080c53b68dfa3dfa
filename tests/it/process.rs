//! `zonectl serve` as an operator runs it: a separate process, with signals, a crash and a
//! second instance.

use std::fs;
use std::time::Duration;

use hickory_proto::op::ResponseCode;
use hickory_proto::rr::RecordType;

use crate::harness::{
    decode, free_port, small_zone, soa_serial, wait_until, zonectl_in, ServeProcess, Udp, BOTH,
};

/// A temporary directory with `zones/test.example.zone` (serial 1).
fn zones_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir(dir.path().join("zones")).expect("zones dir");
    fs::write(
        dir.path().join("zones/test.example.zone"),
        small_zone(1, ""),
    )
    .expect("zone file");
    dir
}

/// The names of the entries of `dir`.
fn names_in(dir: &std::path::Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

fn assert_answers(p: &ServeProcess) {
    for t in BOTH {
        let m = p.query(t, "www.test.example.", RecordType::A);
        assert_eq!(
            m.metadata.response_code,
            ResponseCode::NoError,
            "{t:?}: {m}"
        );
        assert_eq!(m.answers.len(), 1, "{t:?}: {m}\n{}", p.log());
    }
}

#[test]
fn second_serve_on_the_same_zones_dir_or_socket_fails_and_the_first_keeps_answering() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let first = ServeProcess::start(&zones, &dir.path().join("a.sock"), dir.path());
    assert_answers(&first);

    // Same zones directory, another socket and port.
    let err =
        match ServeProcess::start_on(&zones, free_port(), &dir.path().join("b.sock"), dir.path()) {
            Ok(p) => panic!(
                "a second serve started on the same zones directory:\n{}",
                p.log()
            ),
            Err(e) => e,
        };
    assert_eq!(err.code, Some(1), "{}", err.stderr);
    assert!(err.stderr.contains("already running"), "{}", err.stderr);
    assert!(
        err.stderr.contains(&zones.display().to_string()),
        "{}",
        err.stderr
    );

    // Same control socket, another zones directory.
    let other = dir.path().join("other");
    fs::create_dir(&other).expect("mkdir");
    let err = match ServeProcess::start_on(&other, free_port(), &first.control, dir.path()) {
        Ok(p) => panic!(
            "a second serve started on the same control socket:\n{}",
            p.log()
        ),
        Err(e) => e,
    };
    assert_eq!(err.code, Some(1), "{}", err.stderr);
    assert!(err.stderr.contains("in use"), "{}", err.stderr);
    assert!(err.stderr.contains("a.sock"), "{}", err.stderr);

    assert_answers(&first);
    let out = zonectl_in(dir.path(), Some(&first.control), &["status"]);
    assert_eq!(
        out.code, 0,
        "the first server's control socket still works: {out}"
    );
}

/// A command given the wrong control socket while a server serves the zones directory: not
/// "no server is running" and, for an edit, no edit of the file behind the server's back, but
/// which server holds the directory and what to pass.
#[test]
fn a_wrong_control_socket_is_named_as_such_while_a_server_serves_the_zones() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let server = ServeProcess::start(&zones, &dir.path().join("a.sock"), dir.path());
    let file = zones.join("test.example.zone");
    let before = fs::read_to_string(&file).expect("zone file");
    let wrong = dir.path().join("typo.sock");
    for args in [
        &["record", "add", "test.example", "x", "A", "192.0.2.9"][..],
        &["status"],
        &["reload", "test.example"],
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
        &["lab", "reset", "test.example"],
    ] {
        let out = zonectl_in(dir.path(), Some(&wrong), args);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(
            out.stderr.contains("nothing answers on control socket")
                && out.stderr.contains("a zonectl server serves")
                && out.stderr.contains(".zonectl.lock"),
            "{args:?}: {out}"
        );
    }
    assert_eq!(fs::read_to_string(&file).expect("zone file"), before);
    let zone_files = names_in(&zones)
        .iter()
        .filter(|n| n.ends_with(".zone"))
        .count();
    assert_eq!(zone_files, 1, "no lab zone was created");
    assert_eq!(
        server
            .query(Udp, "x.test.example.", RecordType::A)
            .answers
            .len(),
        0
    );
    // With the server stopped, the same edit goes to the file, as before.
    drop(server);
    let out = zonectl_in(
        dir.path(),
        Some(&wrong),
        &["record", "add", "test.example", "x", "A", "192.0.2.9"],
    );
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("no server running"), "{out}");
}

/// A command that looks whether a server holds the zones directory takes its lock shared for
/// an instant: a server starting then is not turned away as a second server.
#[test]
fn a_brief_look_at_the_zones_lock_does_not_stop_a_server_starting() {
    use std::os::fd::AsRawFd;
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let lock = fs::File::create(zones.join(".zonectl.lock")).expect("lock file");
    // SAFETY: flock on a descriptor this test owns.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_SH) }, 0);
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(80));
        drop(lock);
    });
    let server = ServeProcess::start(&zones, &dir.path().join("a.sock"), dir.path());
    release.join().expect("the lock holder");
    assert_answers(&server);
}

#[test]
fn serve_starts_again_after_sigkill_with_no_manual_cleanup() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let sock = dir.path().join("ctl.sock");
    let mut first = ServeProcess::start(&zones, &sock, dir.path());
    assert_answers(&first);
    let port = first.addr.port();
    first.signal(libc::SIGKILL);
    assert_eq!(
        first.wait_exit(Duration::from_secs(10)),
        None,
        "killed by a signal"
    );
    assert!(sock.exists(), "a crash leaves the socket file behind");

    let second = match ServeProcess::start_on(&zones, port, &sock, dir.path()) {
        Ok(p) => p,
        // The port itself may have been taken by another test meanwhile; that is not the point.
        Err(e) if e.stderr.contains("cannot listen") => {
            ServeProcess::start(&zones, &sock, dir.path())
        }
        Err(e) => panic!("serve after SIGKILL: {e:?}"),
    };
    assert_answers(&second);
    let out = zonectl_in(dir.path(), Some(&sock), &["status", "test.example"]);
    assert_eq!(out.code, 0, "{out}");
}

#[test]
fn sighup_reloads_every_zone() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let mut p = ServeProcess::start(&zones, &dir.path().join("ctl.sock"), dir.path());
    // Frozen, so the watcher cannot be what applies the edit; SIGHUP is an explicit reload,
    // which runs on frozen zones too.
    let out = zonectl_in(dir.path(), Some(&p.control), &["freeze"]);
    assert_eq!(out.code, 0, "{out}");
    fs::write(zones.join("test.example.zone"), small_zone(2, "")).expect("edit");
    p.signal(libc::SIGHUP);
    let serial = || {
        let m = p.query(Udp, "test.example.", RecordType::SOA);
        crate::harness::soa_serial(&m)
    };
    let reloaded = wait_until(Duration::from_secs(5), || serial() == Some(2));
    assert!(reloaded, "SIGHUP reloads:\n{}", p.log());
    assert_eq!(p.exited(), None, "still running after SIGHUP");
}

#[test]
fn sigterm_stops_cleanly_and_removes_the_control_socket() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let sock = dir.path().join("ctl.sock");
    let mut p = ServeProcess::start(&zones, &sock, dir.path());
    assert_answers(&p);
    p.signal(libc::SIGTERM);
    let code = p.wait_exit(Duration::from_secs(10));
    assert_eq!(code, Some(0), "exit status after SIGTERM:\n{}", p.log());
    assert!(!sock.exists(), "control socket removed:\n{}", p.log());
}

#[test]
fn default_log_level_does_not_log_each_query() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let mut p = ServeProcess::start(&zones, &dir.path().join("ctl.sock"), dir.path());
    for _ in 0..20 {
        assert_answers(&p);
        p.query(Udp, "nope.test.example.", RecordType::A);
        p.query(Udp, "www.elsewhere.example.", RecordType::A);
    }
    // Stop it, so that everything it would log has been written.
    p.signal(libc::SIGTERM);
    assert_eq!(p.wait_exit(Duration::from_secs(10)), Some(0));
    let log = p.log();
    for qname in ["www.test", "nope.test", "elsewhere"] {
        assert!(
            !log.contains(qname),
            "{qname} logged at the default level:\n{log}"
        );
    }
}

#[test]
fn serve_replaces_a_stale_control_socket_but_no_other_file() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    // `--control zonectl.toml`, mistyped: the file must survive, and serve must say why not.
    let config = dir.path().join("zonectl.toml");
    std::fs::write(&config, "max_udp_payload = 1232\n").expect("writing the config");
    let err = match ServeProcess::start_on(&zones, free_port(), &config, dir.path()) {
        Ok(p) => panic!("serve took a regular file as its socket:\n{}", p.log()),
        Err(e) => e,
    };
    assert_eq!(err.code, Some(1), "{}", err.stderr);
    assert!(err.stderr.contains("not a socket"), "{}", err.stderr);
    assert_eq!(
        std::fs::read_to_string(&config).expect("the config is still there"),
        "max_udp_payload = 1232\n"
    );
    // A socket left by a server that died is taken over.
    let sock = dir.path().join("ctl.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).expect("binding a socket"));
    let p = ServeProcess::start(&zones, &sock, dir.path());
    assert_answers(&p);
}

#[test]
fn serve_without_a_zones_directory_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-zones");
    let err = match ServeProcess::start_on(
        &missing,
        free_port(),
        &dir.path().join("ctl.sock"),
        dir.path(),
    ) {
        Ok(p) => panic!("serve started without a zones directory:\n{}", p.log()),
        Err(e) => e,
    };
    assert_eq!(err.code, Some(1), "{}", err.stderr);
    assert!(err.stderr.contains("no-such-zones"), "{}", err.stderr);
    assert!(err.stderr.contains("--zones-dir"), "{}", err.stderr);
}

/// Regression: the UDP workers start answering before the runtime thread has installed the
/// SIGHUP/SIGTERM/SIGINT handlers (`server::start` spawns the `signals` task last, and the task
/// registers them only when it first runs). A SIGHUP (a routine `systemctl reload`) or SIGTERM in
/// that window kills the server with the default action: no reload, no clean stop, a stale
/// socket. The window is short, so this samples several starts; with the bug it fails only
/// sometimes, with the handlers installed before the sockets answer it never fails.
#[test]
fn signal_handlers_are_installed_before_the_first_answer() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    for attempt in 0..8 {
        let sock = dir.path().join(format!("ctl-{attempt}.sock"));
        let p = ServeProcess::start(&zones, &sock, dir.path());
        let missing: Vec<&str> = [
            (libc::SIGHUP, "SIGHUP"),
            (libc::SIGTERM, "SIGTERM"),
            (libc::SIGINT, "SIGINT"),
        ]
        .into_iter()
        .filter(|&(sig, _)| !p.catches(sig))
        .map(|(_, name)| name)
        .collect();
        assert!(
            missing.is_empty(),
            "start {attempt}: answering queries, but no handler yet for {missing:?}: such a signal \
             would kill the server"
        );
    }
}

/// A stream of edits, with `zonectl serve` killed by SIGKILL in the middle of it: the zone file
/// left behind parses, and after a restart every acknowledged edit is served and in the file
/// (the journal, fsynced before each acknowledgement, is replayed at start-up).
#[test]
fn acknowledged_edits_survive_sigkill_in_the_middle_of_a_stream() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Mutex;

    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let sock = dir.path().join("ctl.sock");
    let mut server = ServeProcess::start(&zones, &sock, dir.path());
    let addr = server.addr.to_string();
    let acked = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            for i in 0..300 {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let name = format!("e{i}");
                let out = zonectl_in(
                    dir.path(),
                    Some(&sock),
                    &[
                        "--zones-dir",
                        &zones.display().to_string(),
                        "--server",
                        &addr,
                        "record",
                        "add",
                        "test.example",
                        &name,
                        "TXT",
                        &format!("edit {i}"),
                    ],
                );
                // Exit 0 is the acknowledgement. A failure is the kill (the edit may or may
                // not have been journaled: it was not acknowledged).
                if out.code != 0 {
                    break;
                }
                acked.lock().expect("lock").push(name);
            }
        });
        assert!(
            wait_until(Duration::from_secs(60), || acked
                .lock()
                .expect("lock")
                .len()
                >= 20),
            "20 edits acknowledged in time\n{}",
            server.log()
        );
        server.signal(libc::SIGKILL);
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(server.wait_exit(Duration::from_secs(10)), None, "killed");
    let acked = acked.into_inner().expect("lock");

    let file = zones.join("test.example.zone");
    let origin = zonectl::zone::Name::parse("test.example.", None).expect("name");
    zonectl::store::load_zone(&file, &origin).expect("the file left by the kill loads");

    // With no server, an edit of the file itself is refused while the journal holds edits the
    // file does not have (their serials would collide with the file's).
    let out = zonectl_in(
        dir.path(),
        Some(&sock),
        &[
            "--zones-dir",
            &zones.display().to_string(),
            "record",
            "add",
            "test.example",
            "late",
            "TXT",
            "late",
        ],
    );
    if zones.join(".journal/test.example.jnl").exists()
        || zones.join(".journal/test.example.jnl.flushing").exists()
    {
        assert_eq!(out.code, 1, "{out}");
        assert!(out.stderr.contains("start `zonectl serve`"), "{out}");
    }

    let restarted = ServeProcess::start(&zones, &sock, dir.path());
    for name in &acked {
        let m = restarted.query(Udp, &format!("{name}.test.example."), RecordType::TXT);
        assert_eq!(
            m.answers.len(),
            1,
            "{name} was acknowledged before the kill, so it is served after a restart: {m}\n{}",
            restarted.log()
        );
    }
    let text = fs::read_to_string(&file).expect("zone file");
    for name in &acked {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{name} "))),
            "{name} is in the zone file after the restart:\n{text}"
        );
    }
    zonectl::store::load_zone(&file, &origin).expect("the rewritten file loads");
    eprintln!(
        "{} edits acknowledged before SIGKILL, all served and written after the restart",
        acked.len()
    );
}

/// Journals, as a server that stopped before writing its zone file would have, the edit
/// taking test.example. from serial 1 to 2 by adding `late TXT late`; the journal's path.
fn journal_late_edit(zones: &std::path::Path) -> std::path::PathBuf {
    use zonectl::zone::edit::EditOp;
    journal_edit(
        zones,
        (1, 2),
        EditOp::Add {
            owner: late(),
            rtype: zonectl::zone::RType::TXT,
            ttl: Some(3600),
            rdata: b"\x04late".to_vec(),
        },
    )
}

fn late() -> zonectl::zone::Name {
    zonectl::zone::Name::parse("late.test.example.", None).expect("name")
}

/// Journals an edit of test.example. taking it from serial `from` to `to`; the journal's path.
fn journal_edit(
    zones: &std::path::Path,
    (from, to): (u32, u32),
    op: zonectl::zone::edit::EditOp,
) -> std::path::PathBuf {
    use zonectl::journal::{self, Txn};
    let origin = zonectl::zone::Name::parse("test.example.", None).expect("name");
    let jnl = journal::path(zones, &origin);
    let txn = Txn {
        from,
        to,
        time: 1_764_374_400 + i64::from(from),
        ops: vec![op],
    };
    journal::append(&jnl, &origin, &txn).expect("journal");
    jnl
}

/// A journal left by a stopped server whose zone file does not load at the next start: the zone
/// is not served and the journal is kept; once the file is fixed, the journal is replayed on
/// top of it and written into it, not dropped (and its serial not given to other content). The
/// fixed file's own version, without the edit, is never published: secondaries are notified
/// of the replayed serial only.
#[test]
fn a_journal_is_replayed_when_a_zone_that_did_not_load_at_start_loads() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    let jnl = journal_late_edit(&zones);
    let file = zones.join("test.example.zone");
    fs::write(&file, small_zone(1, "bad IN A 192.0.2.300\n")).expect("a broken file");
    let secondary = std::net::UdpSocket::bind("127.0.0.1:0").expect("a fake secondary");
    let config = dir.path().join("zonectl.toml");
    let notify = secondary.local_addr().expect("its address");
    fs::write(&config, format!("notify = [\"{notify}\"]\n")).expect("config");
    let server = ServeProcess::start_configured(
        &zones,
        &dir.path().join("ctl.sock"),
        dir.path(),
        Some(&config),
    );
    let soa = server.query(Udp, "test.example.", RecordType::SOA);
    assert_eq!(soa.metadata.response_code, ResponseCode::Refused, "{soa}");
    assert!(jnl.exists(), "the journal is kept:\n{}", server.log());
    // Fixed the way editors save: a new file renamed over the old one.
    let tmp = zones.join(".test.example.zone.tmp");
    fs::write(&tmp, small_zone(1, "")).expect("the fixed file");
    fs::rename(&tmp, &file).expect("renaming it over");
    let replayed = wait_until(Duration::from_secs(20), || {
        server
            .query(Udp, "late.test.example.", RecordType::TXT)
            .answers
            .len()
            == 1
    });
    assert!(replayed, "the journaled edit is served:\n{}", server.log());
    let soa = server.query(Udp, "test.example.", RecordType::SOA);
    assert_eq!(soa_serial(&soa), Some(2), "{soa}");
    // Unanswered, the NOTIFY is sent again (every 2 s): the first two say what was published.
    secondary
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut notified = Vec::new();
    let mut buf = [0u8; 4096];
    while notified.len() < 2 {
        let (n, _) = secondary.recv_from(&mut buf).expect("a NOTIFY");
        notified.push(soa_serial(&decode(&buf[..n])));
    }
    assert_eq!(notified, [Some(2), Some(2)], "{}", server.log());
    let written = wait_until(Duration::from_secs(20), || {
        !jnl.exists() && fs::read_to_string(&file).is_ok_and(|t| t.contains("late"))
    });
    assert!(
        written,
        "written into the file, journal cleared:\n{}",
        server.log()
    );
}

/// A journal left by a stopped server, then the zone file edited by hand with its serial raised
/// to the journal's: a journaled edit the file holds is not applied twice, and one it lacks is
/// neither applied over the hand edit nor dropped, but moved aside with an error that says so.
#[test]
fn a_journal_overtaken_by_a_hand_edit_is_cleared_if_the_file_holds_it_else_set_aside() {
    for (hand_edit, held) in [("late TXT late\n", true), ("other TXT hand\n", false)] {
        let dir = zones_dir();
        let zones = dir.path().join("zones");
        let jnl = journal_late_edit(&zones);
        let file = zones.join("test.example.zone");
        let text = small_zone(2, hand_edit);
        fs::write(&file, &text).expect("hand edit");

        let server = ServeProcess::start(&zones, &dir.path().join("ctl.sock"), dir.path());
        let late = server.query(Udp, "late.test.example.", RecordType::TXT);
        let other = server.query(Udp, "other.test.example.", RecordType::TXT);
        let aside: Vec<String> = names_in(jnl.parent().expect("journal dir"))
            .into_iter()
            .filter(|n| n.contains(".unapplied-"))
            .collect();
        let log = server.log();
        if held {
            assert_eq!(late.answers.len(), 1, "{late}\n{log}");
            assert!(aside.is_empty(), "{aside:?}\n{log}");
            assert!(!log.contains("ERROR"), "{log}");
        } else {
            assert_eq!(
                late.answers.len(),
                0,
                "not applied over the hand edit: {late}"
            );
            assert_eq!(
                other.answers.len(),
                1,
                "the hand edit is served: {other}\n{log}"
            );
            assert_eq!(
                aside.len(),
                1,
                "the journal is kept aside: {aside:?}\n{log}"
            );
            assert!(
                log.contains("journal transaction 1 → 2 is not in the file, whose serial 2"),
                "{log}"
            );
            // `status` says so for as long as the set-aside journal is there.
            let status = zonectl_in(dir.path(), Some(&dir.path().join("ctl.sock")), &["status"]);
            assert!(
                status.stdout.contains("could not be applied") && status.stdout.contains(&aside[0]),
                "{status}"
            );
            for name in &aside {
                fs::remove_file(jnl.parent().expect("journal dir").join(name)).expect("removed");
            }
            let status = zonectl_in(dir.path(), Some(&dir.path().join("ctl.sock")), &["status"]);
            assert!(!status.stdout.contains("could not be applied"), "{status}");
        }
        assert!(!jnl.exists(), "nothing is left to replay at the next start");
        assert_eq!(
            fs::read_to_string(&file).expect("file"),
            text,
            "file unchanged"
        );
    }
}

/// A journal whose later transaction undid an earlier one, left by a server that wrote both into
/// the file and stopped before clearing it: the file holds them, so the journal is cleared,
/// with no error and nothing set aside.
#[test]
fn a_journal_written_into_the_file_is_cleared_even_where_a_transaction_undid_another() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    journal_late_edit(&zones);
    let jnl = journal_edit(
        &zones,
        (2, 3),
        zonectl::zone::edit::EditOp::Del {
            owner: late(),
            rtype: Some(zonectl::zone::RType::TXT),
            rdata: None,
        },
    );
    fs::write(zones.join("test.example.zone"), small_zone(3, "")).expect("file");
    let server = ServeProcess::start(&zones, &dir.path().join("ctl.sock"), dir.path());
    assert_answers(&server);
    let log = server.log();
    assert!(!log.contains("ERROR"), "{log}");
    assert!(!jnl.exists(), "the journal is cleared: {log}");
    let aside = names_in(jnl.parent().expect("journal dir"))
        .iter()
        .filter(|n| n.contains(".unapplied-"))
        .count();
    assert_eq!(aside, 0, "{log}");
}

/// A zone with a warning on each of many records logs the first 20 and a line that counts the
/// rest and names the commands that list them; `status` lists them all. A log written to a
/// file has no colour codes.
#[test]
fn a_load_with_many_warnings_logs_twenty_and_counts_the_rest() {
    let dir = zones_dir();
    let includers: String = (0..25)
        .map(|i| format!("s{i} TXT \"v=spf1 include:nospf.test.example -all\"\n"))
        .collect();
    fs::write(
        dir.path().join("zones/test.example.zone"),
        small_zone(1, &format!("nospf A 192.0.2.9\n{includers}")),
    )
    .expect("zone file");
    let server = ServeProcess::start(
        &dir.path().join("zones"),
        &dir.path().join("a.sock"),
        dir.path(),
    );
    assert_answers(&server);
    let log = server.log();
    assert!(
        !log.contains('\u{1b}'),
        "no colour codes in a log file: {log:?}"
    );
    let about = |what: &str| log.lines().filter(|l| l.contains(what)).count();
    assert_eq!(about("nospf.test.example"), 20, "{log}");
    assert_eq!(
        about("and 5 more warnings: `zonectl status test.example.` or `zonectl check test.example.` lists them all"),
        1,
        "{log}"
    );
    let status = zonectl_in(
        dir.path(),
        Some(&server.control),
        &["status", "test.example"],
    );
    assert_eq!(
        status
            .stdout
            .lines()
            .filter(|l| l.contains("nospf.test.example"))
            .count(),
        25,
        "{status}"
    );
}

/// A question in class CH for `name`, with EDNS asking for the NSID.
fn chaos_txt(name: &str) -> hickory_proto::op::Message {
    use hickory_proto::rr::rdata::opt::{EdnsOption, NSIDPayload};
    let mut msg = crate::harness::request_edns(name, RecordType::TXT, 1232);
    msg.queries[0].query_class = hickory_proto::rr::DNSClass::CH;
    let edns = msg.edns.as_mut().expect("EDNS");
    edns.options_mut()
        .insert(EdnsOption::NSID(NSIDPayload::new(Vec::new()).unwrap()));
    msg
}

/// The TXT text of the answer, and the NSID option's data.
fn told(m: &hickory_proto::op::Message) -> (Vec<String>, Option<Vec<u8>>) {
    use hickory_proto::rr::rdata::opt::{EdnsCode, EdnsOption};
    let nsid = m
        .edns
        .as_ref()
        .and_then(|e| match e.options().get(EdnsCode::NSID)? {
            EdnsOption::NSID(p) => Some(p.as_ref().to_vec()),
            _ => None,
        });
    (crate::harness::txt_answers(m), nsid)
}

#[test]
fn the_server_tells_its_identity_version_and_nsid_as_configured() {
    let dir = zones_dir();
    let zones = dir.path().join("zones");
    // By default: the host's name, and zonectl's version, as Knot tells its own.
    let p = ServeProcess::start(&zones, &dir.path().join("a.sock"), dir.path());
    let host = fs::read_to_string("/proc/sys/kernel/hostname").expect("the host's name");
    let host = host.trim_end().to_string();
    let version = format!("zonectl {}", env!("CARGO_PKG_VERSION"));
    for t in BOTH {
        let m = p.query_with(t, &chaos_txt("id.server."));
        assert_eq!(
            told(&m),
            (vec![host.clone()], Some(host.clone().into_bytes()))
        );
        let m = p.query_with(t, &chaos_txt("version.bind."));
        assert_eq!(told(&m).0, [version.as_str()]);
    }
    drop(p);
    // Configured: text, nothing, and an NSID in hex.
    let config = dir.path().join("zonectl.toml");
    fs::write(
        &config,
        "identity = \"ns1.lab\"\nversion = \"\"\nnsid = \"0x6e7331\"\n",
    )
    .expect("writing the config");
    let p = ServeProcess::start_configured(
        &zones,
        &dir.path().join("b.sock"),
        dir.path(),
        Some(&config),
    );
    for t in BOTH {
        let m = p.query_with(t, &chaos_txt("hostname.bind."));
        assert_eq!(told(&m), (vec!["ns1.lab".into()], Some(b"ns1".to_vec())));
        let m = p.query_with(t, &chaos_txt("version.server."));
        assert_eq!(m.metadata.response_code, ResponseCode::Refused);
        assert_eq!(told(&m).1.as_deref(), Some(&b"ns1"[..]));
    }
    assert_answers(&p);
    drop(p);
    // An NSID that is not hex after "0x": serve says which setting, and does not start.
    fs::write(&config, "nsid = \"0xns1\"\n").expect("writing the config");
    let err = match ServeProcess::start_on_configured(
        &zones,
        free_port(),
        &dir.path().join("c.sock"),
        dir.path(),
        &config,
    ) {
        Ok(p) => panic!("serve started with a bad nsid:\n{}", p.log()),
        Err(e) => e,
    };
    assert_eq!(err.code, Some(1), "{}", err.stderr);
    assert!(
        err.stderr
            .contains("nsid \"0xns1\": after \"0x\", two hex digits for each byte"),
        "{}",
        err.stderr
    );
}
