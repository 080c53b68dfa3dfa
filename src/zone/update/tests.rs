use std::io;
use std::path::Path;

use super::*;
use crate::zone::edit::{apply_edits, parse_batch, EditOutcome};
use crate::zone::parse::parse_zone_str;
use crate::zone::Record;

const APPLE: &str = include_str!("../../../zones/apple.example.zone");
const FILE: &str = "apple.example.zone";

fn n(text: &str) -> Name {
    Name::parse(text, None).unwrap()
}

fn origin() -> Name {
    n("apple.example.")
}

fn load(text: &str) -> Zone {
    let entries = parse_zone_str(text, Path::new(FILE), &origin()).unwrap();
    Zone::from_records(&origin(), &entries)
}

fn cx() -> Context<'static> {
    Context {
        file: Path::new(FILE),
        default_ttl: 3600,
        included: &[],
    }
}

fn ops(batch: &str) -> Vec<EditOp> {
    parse_batch(batch, &origin()).unwrap_or_else(|e| panic!("{batch}: {e}"))
}

fn run(text: &str, batch: &str) -> Result<Update, EditError> {
    update(&load(text), &ops(batch), &cx(), |s| s.wrapping_add(1))
}

/// The words of the warnings of an edit (`batch`) that applies to `text`.
fn warnings(text: &str, batch: &str) -> Vec<String> {
    run(text, batch)
        .unwrap_or_else(|e| panic!("{batch}: {e}"))
        .warnings
        .iter()
        .map(|f| f.message.clone())
        .collect()
}

/// The shipped `apple.example` zone with `extra` lines after it.
fn with(extra: &str) -> String {
    format!("{APPLE}{extra}\n")
}

/// Every record of a zone, for comparing (owners lower-cased by the zone).
fn records(zone: &Zone) -> Vec<Record> {
    zone.records_sorted()
}

fn refuse_includes(_: &Path) -> io::Result<String> {
    Err(io::Error::new(io::ErrorKind::Unsupported, "no includes"))
}

/// `text` with the update `u` written into it as the server and the CLI write one: its ops,
/// with its serial (an SOA given with a new serial is written by them too).
fn written(text: &str, u: &Update) -> Result<EditOutcome, EditError> {
    apply_edits(
        text,
        Path::new(FILE),
        &origin(),
        &u.ops,
        |_| u.new_serial,
        &mut refuse_includes,
    )
}

/// The in-memory update and the file edit agree: both accept or both refuse, and when they
/// accept, the zone read back from the edited file is the zone the update built — the same
/// records, TTLs and serial — and the node structure (empty non-terminals) is the same.
fn agree(text: &str, batch: &str) -> Option<Update> {
    let memory = run(text, batch);
    let file = memory.as_ref().ok().map(|u| written(text, u));
    // The file edit of the original ops, for refusals.
    let direct = apply_edits(
        text,
        Path::new(FILE),
        &origin(),
        &ops(batch),
        |s| s.wrapping_add(1),
        &mut refuse_includes,
    );
    match (memory, file) {
        (Ok(u), Some(Ok(out))) => {
            let from_file = load(&out.text);
            assert_eq!(records(&u.zone), records(&from_file), "{batch}");
            let mut names_memory: Vec<String> =
                u.zone.nodes().map(|(n, _)| n.to_string()).collect();
            let mut names_file: Vec<String> =
                from_file.nodes().map(|(n, _)| n.to_string()).collect();
            names_memory.sort();
            names_file.sort();
            assert_eq!(names_memory, names_file, "{batch}: names differ");
            assert_eq!(u.zone.record_count(), from_file.record_count(), "{batch}");
            assert_eq!(u.new_serial, out.new_serial, "{batch}");
            assert_eq!(
                u.changes.len(),
                out.changes.len(),
                "{batch}: {:?}",
                u.changes
            );
            assert!(direct.is_ok(), "{batch}: the file edit refuses: {direct:?}");
            Some(u)
        }
        (Ok(u), Some(Err(e))) => panic!("{batch}: memory accepts ({:?}), file refuses: {e}", u.ops),
        // The serial an edit asks for is decided in memory; the file edit writes the one given.
        (Err(EditError::SoaSerialNotGreater { .. }), _) => None,
        (Err(e), _) => {
            assert!(
                direct.is_err(),
                "{batch}: memory refuses ({e}) but the file edit accepts"
            );
            None
        }
        (Ok(_), None) => unreachable!(),
    }
}

#[test]
fn every_record_deleted_and_every_owner_added_to_agrees_with_the_file_edit() {
    let zone = load(APPLE);
    for r in zone.records_sorted() {
        let rdata = rdata_to_text(r.rtype, &r.rdata);
        agree(APPLE, &format!("del {} {} {rdata}", r.owner, r.rtype));
        agree(APPLE, &format!("del {} {}", r.owner, r.rtype));
        agree(APPLE, &format!("del {}", r.owner));
        agree(APPLE, &format!("add {} TXT \"added\"", r.owner));
        agree(APPLE, &format!("set {} {} 60 {rdata}", r.owner, r.rtype));
    }
}

#[test]
fn batches_agree_with_the_file_edit() {
    for batch in [
        "add _dmarc TXT \"v=DMARC1; p=none\"",
        "set @ TXT \"v=spf1 mx -all\"\nadd _dmarc TXT \"v=DMARC1; p=none\"\ndel receiver AAAA",
        "add a.b.c TXT \"deep\"",
        "add a.b.c TXT \"deep\"\ndel a.b.c",
        "add x A 300 192.0.2.1\nadd x A 192.0.2.2",
        "add x A 300 192.0.2.1\nadd x A 600 192.0.2.2",
        "add www CNAME mail",
        "add www CNAME mail\nadd www A 192.0.2.9",
        "add mail CNAME receiver",
        "del @ NS",
        "del @ SOA",
        "del ns",
        "del ns A\ndel ns AAAA",
        "set @ NS ns.apple.example.\nadd @ NS ns.orange.example.",
        "add sub NS ns.elsewhere.example.\nadd a.sub A 192.0.2.1",
        "add a.sub A 192.0.2.1\nadd sub DNAME elsewhere.example.",
        "add sub DNAME elsewhere.example.\nadd a.sub A 192.0.2.1",
        "add @ SOA ns hostmaster 1 2 3 4 5",
        "set @ SOA ns.apple.example. hostmaster.apple.example. 1 7200 900 1209600 300",
        "del nothing-here",
        "del mail A 192.0.2.99",
        "add _25._tcp.mail TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "add @ MX 20 backup.apple.example.\nadd backup A 192.0.2.30",
    ] {
        agree(APPLE, batch);
    }
}

#[test]
fn an_soa_given_with_another_serial_sets_that_serial() {
    let soa = |serial: u32, refresh: u32| {
        format!("set @ SOA ns.apple.example. hostmaster.apple.example. {serial} {refresh} 900 1209600 300")
    };
    let serial_of = |u: &Update| u.zone.serial();
    // The current serial, another field changed: the policy raises the serial.
    let u = agree(APPLE, &soa(2025103001, 7200)).expect("accepted");
    assert_eq!(
        (u.new_serial, serial_of(&u)),
        (2025103002, Some(2025103002))
    );
    // A greater serial is the one set, alone or with another field.
    for refresh in [3600, 7200] {
        let u = agree(APPLE, &soa(2030010100, refresh)).expect("accepted");
        assert_eq!(
            (u.new_serial, serial_of(&u)),
            (2030010100, Some(2030010100))
        );
    }
    // A journaled SOA edit is held by a zone whose SOA is the same but for a later serial (a
    // later edit raised it; the caller compares serials), not by one whose SOA differs.
    let u = run(APPLE, &soa(2030010100, 7200)).expect("accepted");
    let later = update(&u.zone, &ops("add www A 192.0.2.80"), &cx(), |s| s + 1).unwrap();
    assert!(holds_all(
        &later.zone,
        &[&ops(&soa(2030010100, 7200))],
        &cx()
    ));
    assert!(!holds_all(
        &later.zone,
        &[&ops(&soa(2030010100, 3600))],
        &cx()
    ));
    // A serial not greater (RFC 1982) is refused, by both halves, and says what to give, with
    // another field changed or not.
    for (serial, refresh) in [
        (2025103000, 7200),
        (1, 7200),
        (2025103001 + (1 << 31), 7200),
        (2025103000, 3600),
    ] {
        assert!(agree(APPLE, &soa(serial, refresh)).is_none(), "{serial}");
        let e = run(APPLE, &soa(serial, refresh)).unwrap_err();
        assert!(
            e.to_string().contains(&format!(
                "the SOA given has serial {serial}, which is not greater than the current serial \
                 2025103001 under RFC 1982"
            )),
            "{e}"
        );
    }
}

#[test]
fn deleting_the_last_record_of_a_leaf_removes_the_name_and_its_empty_parents() {
    let u = run(APPLE, "add a.b.c TXT \"deep\"").unwrap();
    assert!(u
        .zone
        .node(n("b.c.apple.example.").as_wire())
        .is_some_and(Node::is_empty));
    let u2 = update(&u.zone, &ops("del a.b.c"), &cx(), |s| s + 1).unwrap();
    for gone in [
        "a.b.c.apple.example.",
        "b.c.apple.example.",
        "c.apple.example.",
    ] {
        assert!(
            u2.zone.node(n(gone).as_wire()).is_none(),
            "{gone} still exists"
        );
    }
    assert_eq!(u2.zone.record_count(), load(APPLE).record_count());
    assert_eq!(u2.new_serial, 2025103003);
}

#[test]
fn a_name_with_descendants_stays_as_an_empty_non_terminal() {
    let u = run(APPLE, "add a.b TXT \"x\"\nadd b TXT \"y\"").unwrap();
    let u2 = update(&u.zone, &ops("del b"), &cx(), |s| s + 1).unwrap();
    assert!(u2
        .zone
        .node(n("b.apple.example.").as_wire())
        .is_some_and(Node::is_empty));
    assert!(u2.zone.node(n("a.b.apple.example.").as_wire()).is_some());
}

#[test]
fn the_names_after_edits_are_those_of_the_same_records_loaded_fresh() {
    // Names emptied at every depth, from the base (loaded with them) and from the overlay
    // (added by edits), before and after a compaction: the empty non-terminals that stay are
    // exactly those above an owner, as a fresh load of the same records makes them.
    let text = format!("{APPLE}a.b.c TXT \"1\"\nx.b.c TXT \"2\"\nd.e.f.g A 192.0.2.1\n");
    let steps = [
        "del a.b.c TXT",
        "add y.x.b.c TXT \"3\"\nadd h.g A 192.0.2.2",
        "del x.b.c TXT",
        "del y.x.b.c",
        "add b.c TXT \"4\"\nadd p.q.r A 192.0.2.3",
        "del d.e.f.g\ndel b.c TXT",
        "add d.e.f.g A 192.0.2.1\ndel p.q.r A",
        "del h.g",
        "del d.e.f.g",
    ];
    let names = |z: &Zone| {
        let mut names: Vec<String> = z.nodes().map(|(n, _)| n.to_string()).collect();
        names.sort();
        names
    };
    let mut zone = load(&text);
    for (i, batch) in steps.iter().enumerate() {
        zone = update(&zone, &ops(batch), &cx(), |s| s + 1)
            .unwrap_or_else(|e| panic!("{batch}: {e}"))
            .zone;
        if i == 4 {
            zone = zone.compacted();
        }
        let fresh = Zone::from_records(&origin(), zone.records_sorted());
        assert_eq!(names(&zone), names(&fresh), "after {batch:?}");
    }
    for gone in ["c", "g", "r"] {
        let name = format!("{gone}.apple.example.");
        assert!(!names(&zone).contains(&name), "{name} left");
    }
}

#[test]
fn missing_ttls_are_resolved_from_the_rrset_or_the_default() {
    let u = run(APPLE, "add mail A 192.0.2.99\nadd new TXT \"t\"").unwrap();
    let ttls: Vec<Option<u32>> = u
        .ops
        .iter()
        .map(|op| match op {
            EditOp::Add { ttl, .. } => *ttl,
            _ => None,
        })
        .collect();
    assert_eq!(ttls, [Some(3600), Some(3600)]);
    let c = Context {
        default_ttl: 120,
        ..cx()
    };
    let u = update(&load(APPLE), &ops("add new TXT \"t\""), &c, |s| s + 1).unwrap();
    let rr = u.zone.node(n("new.apple.example.").as_wire()).unwrap();
    assert_eq!(rr.get(RType::TXT).unwrap().ttl, 120);
}

#[test]
fn a_no_op_keeps_the_zone_and_the_serial() {
    let u = run(APPLE, "add mail A 192.0.2.25").unwrap();
    assert!(u.changes.is_empty() && u.ops.is_empty());
    assert_eq!(u.new_serial, u.old_serial);
    assert_eq!(u.zone.overlay_len(), 0);
}

#[test]
fn refusals_name_the_reason() {
    let e = run(APPLE, "del @ NS").unwrap_err();
    assert!(matches!(e, EditError::Invalid { .. }), "{e}");
    assert!(e.to_string().contains("NS"), "{e}");
    let e = run(APPLE, "add mail CNAME receiver").unwrap_err();
    assert!(e.to_string().contains("CNAME"), "{e}");
    let e = run(APPLE, "add x A 300 192.0.2.1\nadd x A 600 192.0.2.2").unwrap_err();
    assert!(matches!(e, EditError::TtlMismatch { .. }), "{e}");
    let e = run(APPLE, "del nothing-here").unwrap_err();
    assert!(matches!(e, EditError::NotFound { .. }), "{e}");
    let e = update(&load(APPLE), &ops("add x A 192.0.2.1"), &cx(), |s| s).unwrap_err();
    assert!(matches!(e, EditError::SerialNotGreater { .. }), "{e}");
}

#[test]
fn records_of_included_files_are_not_edited() {
    let included = [IncludedRecord {
        owner: n("mail.apple.example."),
        rtype: RType::A,
        ttl: 600,
        rdata: vec![192, 0, 2, 25].into(),
        file: "mail.inc".into(),
        line: 3,
    }];
    let c = Context {
        included: &included,
        ..cx()
    };
    for batch in ["del mail A 192.0.2.25", "set mail A 192.0.2.1", "del mail"] {
        let e = update(&load(APPLE), &ops(batch), &c, |s| s + 1).unwrap_err();
        assert!(
            matches!(&e, EditError::InIncludedFile { line: 3, record, .. }
                if record == "mail.apple.example. 600 IN A 192.0.2.25"),
            "{batch}: {e}"
        );
    }
    // Another type at the same owner is fine.
    update(&load(APPLE), &ops("del mail AAAA"), &c, |s| s + 1).unwrap();
    // So is a set that keeps the included record.
    let text = with("inc 600 A 192.0.2.25");
    let included = [IncludedRecord {
        owner: n("inc.apple.example."),
        ..included[0].clone()
    }];
    let c = Context {
        included: &included,
        ..cx()
    };
    let kept = update(
        &load(&text),
        &ops("set inc A 192.0.2.25\nset inc A 192.0.2.26"),
        &c,
        |s| s + 1,
    );
    assert!(kept.is_ok(), "{kept:?}");
    let e = update(&load(&text), &ops("set inc A 60 192.0.2.25"), &c, |s| s + 1).unwrap_err();
    assert!(matches!(e, EditError::InIncludedFile { .. }), "{e}");
}

/// A set that keeps some records of an RRset and replaces others leaves them in the order the
/// file edit writes them, so the zone served is the zone the file reloads as.
#[test]
fn a_partial_set_orders_the_rrset_as_the_file_does() {
    let text = with("x 60 A 192.0.2.1 ; c1\n  60 A 192.0.2.2 ; c2\n  60 A 192.0.2.3");
    agree(&text, "set x A 192.0.2.2\nset x A 192.0.2.9");
    agree(
        &text,
        "set x A 192.0.2.3\nset x A 192.0.2.9\nset x A 192.0.2.1",
    );
    agree(
        &text,
        "set x A 192.0.2.1\nset x A 192.0.2.2\nset x A 192.0.2.3\nset x A 192.0.2.4",
    );
    // An RRset written with two TTLs (served with its first): a record whose line has the
    // other TTL is rewritten, so the file reloads with the records and TTL served (their order
    // may differ, and the file's change list has that line too: the zone served cannot tell
    // the lines' TTLs).
    let mixed = with("x 60 A 192.0.2.1\nx 3600 A 192.0.2.4\nx 3600 A 192.0.2.2");
    for batch in [
        "set x A 192.0.2.4\nset x A 192.0.2.1",
        "set x A 192.0.2.2\nset x A 192.0.2.9",
    ] {
        let u = run(&mixed, batch).unwrap();
        let out = written(&mixed, &u).unwrap();
        let sorted = |z: &Zone| {
            let mut r = records(z);
            r.sort_by(|a, b| {
                (a.owner.as_wire(), a.rtype, &a.rdata).cmp(&(b.owner.as_wire(), b.rtype, &b.rdata))
            });
            r
        };
        assert_eq!(sorted(&u.zone), sorted(&load(&out.text)), "{batch}");
    }
}

#[test]
fn updates_stack_on_the_overlay_and_compaction_keeps_the_zone() {
    let mut zone = load(APPLE);
    for i in 0..50 {
        zone = update(
            &zone,
            &ops(&format!("add h{i} A 192.0.2.{i}")),
            &cx(),
            |s| s + 1,
        )
        .unwrap()
        .zone;
    }
    zone = update(&zone, &ops("del h7"), &cx(), |s| s + 1)
        .unwrap()
        .zone;
    assert_eq!(zone.overlay_len(), 50);
    assert_eq!(zone.record_count(), load(APPLE).record_count() + 49);
    assert_eq!(zone.serial(), Some(2025103001 + 51));
    let compact = zone.compacted();
    assert_eq!(compact.overlay_len(), 0);
    assert_eq!(records(&compact), records(&zone));
    assert_eq!(compact.node_count(), zone.node_count());
    assert!(compact.node(n("h7.apple.example.").as_wire()).is_none());
}

#[test]
fn set_serial_changes_only_the_serial() {
    let zone = load(APPLE);
    let z = set_serial(&zone, 7).unwrap();
    assert_eq!(z.serial(), Some(7));
    let strip = |z: &Zone| {
        records(z)
            .into_iter()
            .filter(|r| r.rtype != RType::SOA)
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&z), strip(&zone));
}

#[test]
fn holds_tells_edits_the_zone_has_from_edits_it_lacks() {
    let zone = load(APPLE);
    let holds = |batch: &str| holds_all(&zone, &[&ops(batch)], &cx());
    // Held: records present, an RRset exactly as set, deletions of what is not there.
    assert!(holds("add mail.apple.example. A 3600 192.0.2.25"));
    assert!(holds(
        "set mail.apple.example. AAAA 3600 2001:db8:a::25\ndel gone.apple.example."
    ));
    assert!(holds("del ns.apple.example. A 192.0.2.99"));
    assert!(holds(""));
    // Lacked: a missing record, an RRset that differs (records or TTL), a record still there.
    assert!(!holds("add mail.apple.example. A 3600 192.0.2.99"));
    assert!(!holds(
        "set mail.apple.example. A 3600 192.0.2.25\nset mail.apple.example. A 3600 192.0.2.99"
    ));
    assert!(!holds("set mail.apple.example. A 60 192.0.2.25"));
    assert!(!holds("del ns.apple.example. A 192.0.2.53"));
    assert!(!holds(
        "add mail.apple.example. A 3600 192.0.2.25\ndel ns.apple.example."
    ));
}

#[test]
fn mail_policy_warnings_see_the_names_they_depend_on() {
    // An edit is checked on its neighbourhood only, which must hold `mta-sts` (and the wildcard
    // beside it) and `_dmarc`: else an edit of a `_mta-sts` or BIMI record warns of a missing
    // policy host or DMARC record that the zone has.
    let sts = "add _mta-sts TXT \"v=STSv1; id=1\"";
    let bimi = "add default._bimi TXT \"v=BIMI1; l=https://apple.example/logo.svg\"";
    for (text, batch) in [
        (with("mta-sts A 192.0.2.80"), sts),
        (with("* A 192.0.2.80"), sts),
        (with("_dmarc TXT \"v=DMARC1; p=reject\""), bimi),
        (
            APPLE.to_owned(),
            "add _smtp._tls TXT \"v=TLSRPTv1; rua=mailto:tls@apple.example\"",
        ),
    ] {
        assert_eq!(warnings(&text, batch), Vec::<String>::new(), "{batch}");
    }
    let got = warnings(APPLE, sts);
    assert!(
        got.len() == 1 && got[0].contains("its policy host mta-sts.apple.example. has no A"),
        "{got:?}"
    );
    let got = warnings(&with("_dmarc TXT \"v=DMARC1; p=none\""), bimi);
    assert!(
        got.len() == 1 && got[0].contains("the DMARC record _dmarc.apple.example. has p=none"),
        "{got:?}"
    );
}

#[test]
fn an_edit_warns_about_what_it_brings_about_and_not_about_what_was_there() {
    // Taking the MX target's addresses away: the warning is the apex MX's, brought about here.
    let got = warnings(APPLE, "del mail A\ndel mail AAAA");
    assert!(
        got.len() == 1
            && got[0].contains("MX target mail.apple.example. is in this zone but has no A"),
        "{got:?}"
    );
    // The zone has that warning already: an edit elsewhere does not repeat it, though every
    // edit changes the apex's SOA serial.
    let no_mail = APPLE
        .lines()
        .filter(|l| !l.starts_with("mail") && !l.contains("2001:db8:a::25"))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(load(&no_mail)
        .node(n("mail.apple.example.").as_wire())
        .is_none());
    assert_eq!(
        warnings(&no_mail, "add www A 192.0.2.80"),
        Vec::<String>::new()
    );
    // An edit of a name with a warning repeats it: the warning is about what was edited.
    let got = warnings(
        &with("sub TXT \"v=spf1 -all\"\nsub TXT \"v=spf1 mx -all\""),
        "add sub A 192.0.2.80",
    );
    assert!(
        got.len() == 1 && got[0].contains("more than one SPF record"),
        "{got:?}"
    );
    // A DMARC record leaving enforcement: the BIMI records of the domain now show no logo.
    let bimi = "default._bimi TXT \"v=BIMI1; l=https://apple.example/logo.svg\"\n\
                brand.news._bimi TXT \"v=BIMI1; l=https://apple.example/news.svg\"";
    let got = warnings(
        &with(&format!("_dmarc TXT \"v=DMARC1; p=reject\"\n{bimi}")),
        "set _dmarc TXT \"v=DMARC1; p=none\"",
    );
    assert!(
        got.len() == 2
            && got.iter().all(|w| w.contains(
                "publishes a BIMI logo, but the DMARC record _dmarc.apple.example. has p=none"
            )),
        "{got:?}"
    );
    // An SPF include of a name in the zone: judged on that name (or the wildcard answering for
    // it), which the neighbourhood holds.
    let include = "set @ TXT \"v=spf1 include:_spf.apple.example include:a.w.apple.example -all\"";
    let got = warnings(APPLE, include);
    assert!(
        got.len() == 2
            && got
                .iter()
                .all(|w| w.contains("has no SPF record in this zone")),
        "{got:?}"
    );
    let spf = "_spf TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n*.w TXT \"v=spf1 -all\"";
    assert_eq!(warnings(&with(spf), include), Vec::<String>::new());
    // A name losing its SPF record: the records that include it or redirect to it, wherever
    // they are, now permerror.
    let includers = "_spf TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n\
                     bounce TXT \"v=spf1 include:_spf.apple.example -all\"\n\
                     sub TXT \"v=spf1 redirect=_spf.apple.example\"";
    let got = warnings(&with(includers), "del _spf TXT");
    assert!(
        got.len() == 2
            && got.iter().all(
                |w| w.contains("_spf.apple.example, but _spf.apple.example. has no SPF record")
            )
            && got
                .iter()
                .any(|w| w.contains("SPF record at bounce.apple.example."))
            && got
                .iter()
                .any(|w| w.contains("SPF record at sub.apple.example.")),
        "{got:?}"
    );
    let changed = "set _spf TXT \"v=spf1 ip4:192.0.2.0/25 -all\"";
    assert_eq!(warnings(&with(includers), changed), Vec::<String>::new());
    // A target a wildcard answered for, given records of its own: the wildcard no longer
    // answers (RFC 4592), which the old zone, checked on the same names, must see too.
    let wild = "@ MX 20 a.w.apple.example.\n*.w A 192.0.2.9\n*.w TXT \"v=spf1 -all\"";
    let got = warnings(&with(wild), "add a.w TXT \"hello\"");
    assert!(
        got.len() == 1
            && got[0].contains("MX target a.w.apple.example. is in this zone but has no A"),
        "{got:?}"
    );
    let including = with(wild).replace(" mx -all\"", " mx include:b.w.apple.example -all\"");
    assert!(including.contains("include:b.w"));
    let got = warnings(&including, "add b.w A 192.0.2.10");
    assert!(
        got.len() == 1
            && got[0].contains("include:b.w.apple.example, but b.w.apple.example. has no SPF"),
        "{got:?}"
    );
    // Targets in a child zone or below a DNAME are not this zone's to judge, as in the file
    // check: the neighbourhood holds the delegation and the DNAME above them.
    let cut = "child NS ns.elsewhere.example.\nold DNAME new.example.";
    for batch in [
        "set @ TXT \"v=spf1 include:_spf.child.apple.example include:_spf.old.apple.example -all\"",
        "add @ MX 20 mx.child.apple.example.\nadd @ MX 30 mx.old.apple.example.",
    ] {
        assert_eq!(warnings(&with(cut), batch), Vec::<String>::new(), "{batch}");
    }
    // A record pointing below its own name at a changed one: a delegation's glue deleted.
    let got = warnings(
        &with("sub NS ns.sub.apple.example.\nns.sub A 192.0.2.5"),
        "del ns.sub A",
    );
    assert!(got.len() == 1 && got[0].contains("missing glue"), "{got:?}");
    // An empty non-terminal exists: no wildcard answers for it (RFC 4592), in the edit's
    // check as in the file's, though no record is at it and the name below it is not looked at.
    let ent = "* A 192.0.2.9\nx.ent A 192.0.2.1";
    let got = warnings(&with(ent), "add @ MX 20 ent.apple.example.");
    assert!(
        got.len() == 1
            && got[0].contains("MX target ent.apple.example. is in this zone but has no A"),
        "{got:?}"
    );
    assert!(
        agree(&with(ent), "add @ NS ent.apple.example.").is_none(),
        "refused by both"
    );
    let got = warnings(
        &with("@ MX 20 ent.apple.example.\nx.ent A 192.0.2.1"),
        "add * CNAME host.example.org.",
    );
    assert_eq!(got, Vec::<String>::new());
    // A name looked at for what it holds (here the target of the wildcard's include) is not
    // judged itself: what its own records need is not looked at (the DNAME above its target).
    let context = "old DNAME other.example.\nfoo TXT \"v=spf1 include:y.old.apple.example -all\"\n\
                   * TXT \"v=spf1 include:foo.apple.example -all\"";
    assert_eq!(
        warnings(&with(context), "set * TXT \"hello\""),
        Vec::<String>::new()
    );
    // The MTA-STS policy host losing its address, or the wildcard that gave it one.
    for (extra, batch) in [
        ("mta-sts A 192.0.2.81", "del mta-sts A"),
        ("* A 192.0.2.81", "del * A"),
    ] {
        let got = warnings(
            &with(&format!("_mta-sts TXT \"v=STSv1; id=1\"\n{extra}")),
            batch,
        );
        assert!(
            got.len() == 1 && got[0].contains("its policy host mta-sts.apple.example. has no A"),
            "{batch}: {got:?}"
        );
    }
}

#[test]
fn every_edit_of_a_signed_zone_warns_that_it_is_not_signed() {
    // The zone had the warning before the edit, which changes no record at the apex: an edit
    // repeats it all the same, as each edit leaves records without signatures.
    let signed = with(
        "@ 3600 DNSKEY 257 3 13 AAAA\n\
         @ 3600 RRSIG DNSKEY 13 2 3600 20300101000000 20200101000000 1234 apple.example. AAAA",
    );
    for batch in ["add www A 192.0.2.80", "set mail A 192.0.2.26"] {
        let got = warnings(&signed, batch);
        assert!(
            got.len() == 1 && got[0].contains("is a signed zone (DNSKEY at the apex)"),
            "{batch}: {got:?}"
        );
    }
    assert_eq!(
        warnings(APPLE, "add www A 192.0.2.80"),
        Vec::<String>::new()
    );
    // The apex spelt in capitals: the edit's warning is the whole file's, word for word.
    let capitals = with("APPLE.EXAMPLE. 3600 DNSKEY 257 3 13 AAAA");
    let entries = parse_zone_str(&capitals, Path::new(FILE), &origin()).unwrap();
    let file: Vec<String> = crate::zone::check::check_entries(&origin(), &entries)
        .into_iter()
        .map(|f| f.message)
        .collect();
    assert_eq!(warnings(&capitals, "add www A 192.0.2.80"), file);
    assert!(
        file[0].starts_with("apple.example. is a signed zone"),
        "{file:?}"
    );
}

#[test]
fn target_warnings_see_the_wildcards_that_give_a_target_its_address() {
    // An MX, SRV or NS target with no records of its own can have an address from a wildcard
    // above it: the edit's neighbourhood holds those wildcards, or the edit warns of a missing
    // address that the file check does not.
    for (text, batch) in [
        (with("* A 192.0.2.80"), "add @ MX 20 mx2.apple.example."),
        (
            with("*.hosts A 192.0.2.81"),
            "add @ MX 30 a.b.hosts.apple.example.",
        ),
    ] {
        assert_eq!(warnings(&text, batch), Vec::<String>::new(), "{batch}");
    }
    // Without a wildcard, the warning stays.
    let got = run(APPLE, "add @ MX 20 mx2.apple.example.").expect("applies");
    assert_eq!(got.warnings.len(), 1, "{:?}", got.warnings);
    // A wildcard above the closest encloser gives nothing (RFC 4592): `b.hosts` exists (an
    // empty non-terminal, or with records), so `a.b.hosts` has no address, and an apex NS
    // there is refused, as the file check refuses it.
    for extra in [
        "*.hosts A 192.0.2.80\nx.b.hosts A 192.0.2.81",
        "*.hosts A 192.0.2.80\nb.hosts TXT \"here\"",
    ] {
        let e = run(&with(extra), "add @ NS a.b.hosts.apple.example.").unwrap_err();
        assert!(e.to_string().contains("has no A or AAAA"), "{extra}: {e}");
    }
}

/// Random small zones (wildcards, empty non-terminals, a delegation, a DNAME, MX, SRV and SPF
/// includes) and random edits, each judged in memory on its neighbourhood and by the check of
/// the whole file written: both refuse or both accept, every warning the edit gives is one the
/// whole file has, and every warning the whole file gains is one the edit gives.
#[test]
fn edits_judged_on_their_neighbourhood_agree_with_the_whole_file_check() {
    use crate::zone::check::{check_entries, without_line_refs};
    use std::collections::BTreeSet;
    const OWNERS: [&str; 18] = [
        "@", "a", "b", "a.b", "x.ent", "ent", "*", "*.b", "mail", "sub", "s2", "foo", "q.x.ent",
        "z.b", "y.old", "w.child", "child", "old",
    ];
    // Two seeds, 8000 rounds each (the second found what the first did not).
    let state = std::cell::Cell::new(0x9e37_79b9_7f4a_7c15_u64);
    let mut rnd = |n: usize| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        (x % n as u64) as usize
    };
    let record = |rnd: &mut dyn FnMut(usize) -> usize| -> (String, String) {
        let owner = OWNERS[rnd(OWNERS.len())].to_owned();
        let target = match OWNERS[rnd(OWNERS.len())] {
            "@" => "apple.example".to_owned(),
            t => format!("{}.apple.example", t.replace('*', "z")),
        };
        let rr = match rnd(11) {
            0 | 1 => format!("A 192.0.2.{}", rnd(3) + 10),
            10 => "DNSKEY 257 3 13 AAAA".to_owned(),
            9 => format!("NS {target}."),
            2 => format!("MX {} {target}.", rnd(3) * 10),
            3 | 4 => format!("TXT \"v=spf1 include:{target} -all\""),
            5 => "TXT \"v=spf1 -all\"".to_owned(),
            6 => "CNAME host.example.org.".to_owned(),
            7 => "TXT \"hello\"".to_owned(),
            _ => format!("SRV 0 0 25 {target}."),
        };
        (owner, rr)
    };
    // Owner and words of each warning, whatever lines it names.
    let warnings = |findings: &[Finding]| -> BTreeSet<(String, String)> {
        findings
            .iter()
            .filter(|f| !f.is_error())
            .map(|f| {
                let owner = f.owner.as_ref().map(|o| o.to_lowercase().to_string());
                (owner.unwrap_or_default(), without_line_refs(&f.message))
            })
            .collect()
    };
    let head = "$ORIGIN apple.example.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 900 1209600 300\n\
                @ NS ns1\nns1 A 192.0.2.1\nchild NS ns.child\nns.child A 192.0.2.2\n\
                old DNAME other.example.\n";
    let (mut judged, mut refused) = (0, 0);
    for round in 0..16000 {
        if round == 8000 {
            state.set(0x1234_5678_9abc_def1);
        }
        let mut text = head.to_owned();
        for _ in 0..rnd(8) + 2 {
            let (owner, rr) = record(&mut rnd);
            if !owner.ends_with("old") && !owner.ends_with("child") {
                text.push_str(&format!("{owner} {rr}\n"));
            }
        }
        let Ok(entries) = parse_zone_str(&text, Path::new(FILE), &origin()) else {
            continue;
        };
        let before = check_entries(&origin(), &entries);
        if before.iter().any(Finding::is_error) {
            continue;
        }
        let mut batch = String::new();
        for _ in 0..rnd(2) + 1 {
            let (owner, rr) = record(&mut rnd);
            let verb = ["add", "set", "del"][rnd(3)];
            let rr = if verb == "del" {
                rr.split_whitespace().next().unwrap_or("A").to_owned()
            } else {
                rr
            };
            batch.push_str(&format!("{verb} {owner} {rr}\n"));
        }
        let ops = ops(&batch);
        let direct = apply_edits(
            &text,
            Path::new(FILE),
            &origin(),
            &ops,
            |s| s + 1,
            &mut refuse_includes,
        );
        let u = match update(&load(&text), &ops, &cx(), |s| s + 1) {
            Ok(u) => u,
            Err(EditError::Invalid { findings }) => {
                refused += 1;
                assert!(
                    direct.is_err(),
                    "round {round}: refused in memory ({findings:?}), accepted by the file \
                     check:\n{text}--\n{batch}"
                );
                continue;
            }
            Err(_) => continue,
        };
        if u.new_serial == u.old_serial {
            continue;
        }
        let out = written(&text, &u)
        .unwrap_or_else(|e| {
            panic!("round {round}: accepted in memory, refused by the file check: {e}\n{text}--\n{batch}")
        });
        judged += 1;
        let whole = warnings(&out.warnings);
        let live = warnings(&u.warnings);
        let false_warnings: Vec<_> = live.difference(&whole).collect();
        assert!(
            false_warnings.is_empty(),
            "round {round}: warnings the whole file does not have: {false_warnings:#?}\n{text}--\n{batch}"
        );
        // What the edit brings about anywhere, it reports.
        let old = warnings(&before);
        let missed: Vec<_> = whole
            .difference(&old)
            .filter(|w| !live.contains(*w))
            .collect();
        assert!(
            missed.is_empty(),
            "round {round}: warnings brought about, not given: {missed:#?}\n{text}--\n{batch}"
        );
    }
    assert!(
        judged > 1000 && refused > 20,
        "{judged} judged, {refused} refused"
    );
}

#[test]
fn an_edit_made_from_records_read_is_refused_once_they_changed() {
    let text = with("_dmarc TXT \"v=DMARC1; p=none\"\nmulti TXT \"a\"\nmulti TXT \"b\"");
    let zone = load(&text);
    let read = |owner: &str, rtype| Expected::current(&zone, &n(owner), rtype);
    let dmarc = read("_dmarc.apple.example.", RType::TXT);
    assert_eq!(dmarc.rdatas.len(), 1);
    // What was read holds, in any order and in any case of the owner; so does "none there".
    let mut multi = read("MULTI.apple.example.", RType::TXT);
    multi.rdatas.reverse();
    let nothing = read("new.apple.example.", RType::TXT);
    assert!(nothing.rdatas.is_empty());
    assert_eq!(
        check_expected(&zone, &[dmarc.clone(), multi.clone(), nothing.clone()]),
        Ok(())
    );

    // Another edit changes the record, adds a record to the set or creates the RRset.
    for (batch, stale) in [
        ("set _dmarc TXT \"v=DMARC1; p=reject\"", &dmarc),
        ("add multi TXT \"c\"", &multi),
        ("del multi TXT \"a\"", &multi),
        ("add new TXT \"x\"", &nothing),
    ] {
        let changed = run(&text, batch).unwrap().zone;
        let e = check_expected(&changed, std::slice::from_ref(stale)).unwrap_err();
        assert_eq!(
            e,
            EditError::Changed {
                owner: stale.owner.clone(),
                rtype: RType::TXT
            },
            "{batch}"
        );
        assert!(
            e.to_string()
                .contains(super::super::edit::CHANGED_MEANWHILE),
            "{e}"
        );
        // An edit elsewhere does not disturb it.
        assert_eq!(
            check_expected(&changed, &[read("www.apple.example.", RType::A)]),
            Ok(()),
            "{batch}"
        );
    }
}

/// An edit reports the warnings it brings about at records elsewhere that name what it changed:
/// an MX whose target lost its address, an SRV whose target became a CNAME, an SPF include
/// answered by a wildcard that lost its SPF record, and an MX that a removed delegation no
/// longer hides.
#[test]
fn an_edit_warns_at_the_records_naming_what_it_changed() {
    let cases = [
        (
            "host A 192.0.2.7\nsub MX 10 host.apple.example.",
            "del host A",
            "MX target host.apple.example. is in this zone but has no A or AAAA record",
        ),
        (
            "host A 192.0.2.7\nsub SRV 0 0 25 host.apple.example.",
            "del host A\nadd host CNAME www.apple.example.",
            "SRV target host.apple.example. is a CNAME",
        ),
        (
            "*.spf TXT \"v=spf1 -all\"\nsub TXT \"v=spf1 include:eu.spf.apple.example -all\"",
            "set *.spf TXT \"hello\"",
            "has include:eu.spf.apple.example, but eu.spf.apple.example. has no SPF record",
        ),
        (
            "deleg NS ns.other.example.\nm.deleg MX 10 nowhere.apple.example.",
            "del deleg NS",
            "MX target nowhere.apple.example. is in this zone but has no A or AAAA record",
        ),
    ];
    for (extra, batch, want) in cases {
        let text = with(extra);
        let entries = parse_zone_str(&text, Path::new(FILE), &origin()).unwrap();
        let before = crate::zone::check::check_entries(&origin(), &entries);
        assert!(
            !before.iter().any(|f| f.message.contains(want)),
            "{extra}: {before:?}"
        );
        let got = warnings(&text, batch);
        assert!(got.iter().any(|w| w.contains(want)), "{batch}: {got:?}");
    }
}

/// Transactions judged together against a file written after them: one undone by a later one
/// is held; a file edited by hand that lacks one is not.
#[test]
fn transactions_are_held_together_as_a_file_written_after_them_holds_them() {
    let zone = load(APPLE);
    let add = ops("add late TXT \"late\"");
    let del = ops("del late TXT");
    let other = ops("add other TXT \"x\"");
    assert!(!holds_all(&zone, &[&add], &cx()));
    assert!(holds_all(&zone, &[&add, &del], &cx()));
    assert!(!holds_all(&zone, &[&del, &add], &cx()));
    assert!(!holds_all(&zone, &[&add, &other], &cx()));
    let with_other = load(&with("other TXT \"x\""));
    assert!(holds_all(&with_other, &[&add, &del, &other], &cx()));
    // A later transaction at the same name does not excuse a record the file lost.
    let (txt, a) = (ops("add n TXT \"x\""), ops("add n A 192.0.2.1"));
    assert!(!holds_all(
        &load(&with("n A 192.0.2.1")),
        &[&txt, &a],
        &cx()
    ));
    // An RRset deleted and added back in one transaction is held by the file that has it.
    let replace = ops("del mail A\nadd mail A 3600 192.0.2.99");
    let file = run(APPLE, "del mail A\nadd mail A 3600 192.0.2.99")
        .unwrap()
        .zone;
    assert!(holds_all(&file, &[&replace], &cx()));
}

/// A delegation or DNAME removed: the records elsewhere naming a name below it are judged
/// again (the check skipped their targets), and every warning the whole file gains is given.
#[test]
fn an_edit_removing_a_delegation_or_dname_warns_at_the_records_naming_below_it() {
    use crate::zone::check::check_entries;
    let cases = [
        (
            "sub NS ns.other.example.\nm MX 10 mail.sub.apple.example.",
            "del sub NS",
        ),
        (
            "sub NS ns.other.example.\nsub A 192.0.2.9\nm MX 10 mail.sub.apple.example.",
            "del sub NS",
        ),
        (
            "sub NS ns.other.example.\nsub TXT \"keep\"\nm MX 10 sub.apple.example.",
            "del sub NS",
        ),
        (
            "d DNAME other.example.\nm MX 10 mail.d.apple.example.",
            "del d DNAME",
        ),
        (
            "d DNAME other.example.\nd TXT \"keep\"\nm SRV 0 0 25 d.apple.example.",
            "del d DNAME",
        ),
        (
            "sub NS ns.other.example.\ns TXT \"v=spf1 include:x.sub.apple.example -all\"",
            "del sub NS",
        ),
    ];
    let messages = |text: &str| -> Vec<String> {
        let entries = parse_zone_str(text, Path::new(FILE), &origin()).unwrap();
        check_entries(&origin(), &entries)
            .iter()
            .map(|f| without_line_refs(&f.message))
            .collect()
    };
    for (extra, batch) in cases {
        let text = with(extra);
        let u = run(&text, batch).unwrap_or_else(|e| panic!("{batch}: {e}"));
        let out = written(&text, &u).unwrap();
        let before = messages(&text);
        let given: Vec<String> = u.warnings.iter().map(|f| f.message.clone()).collect();
        let gained: Vec<String> = messages(&out.text)
            .into_iter()
            .filter(|m| !before.contains(m))
            .collect();
        assert!(!gained.is_empty(), "{extra}: the case gains no warning");
        for m in &gained {
            assert!(
                given.contains(m),
                "{extra} / {batch}: {m:?} not given: {given:?}"
            );
        }
    }
}
