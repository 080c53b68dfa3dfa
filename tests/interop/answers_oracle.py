#!/usr/bin/python3
"""Asks zonectl, knotd and nsd the same questions about the same zone files, and compares.

Usage: answers_oracle.py [--few | --zones-only | --zones-read-by NAME] ZONECTL_PORT KNOTD_PORT
                         NSD_PORT ORIGIN...
       answers_oracle.py --server ZONECTL_PORT KNOTD_PORT ORIGIN IDENTITY VERSION NSID_HEX
       answers_oracle.py --wait PORT ORIGIN...   (until the server answers each zone's SOA;
                                                   exits 1 after 10 s)

With --server, what each server tells of itself, configured alike in both (IDENTITY, VERSION,
and the NSID in hex, "0x..."): questions in class CH (RFC 4892's id.server and version.bind,
their other spellings, other names, types and classes), and the NSID option (RFC 5001) in the
answers to queries that ask for it (about ORIGIN's apex, a name below it, a name in no zone
served, and the CH questions) and its absence where they do not. Compared: as below, with each
record's class, and the NSID option's data; and zonectl's answers to id.server and version.bind
must be IDENTITY and VERSION, with the NSID.

First the zones themselves: each as zonectl transfers it must be the zone as knotd transfers
it, record for record (with --zones-only, that is all; --zones-read-by NAME says the second
server is NAME, another reader of the same files). knotd is the reference for the answers too.
The questions come from each zone as knotd transfers it: every owner name, as written and in
mixed case, a name below each owner, two labels below it, the empty non-terminals above owners,
and a name beside the apex; each with the types at the name, ANY and a fixed set of others;
over UDP with EDNS (1232 bytes), over UDP without EDNS, and over TCP (--few: fewer, see
questions()). Compared: the RCODE, the AA and TC flags, each section as a set of records (the order of
records inside an RRset carries no meaning), and the order of the RRsets in the answer (a CNAME
chain is read in order). A truncated answer is compared by its RCODE and flags only.

Two differences are by design, and are compared against something else instead:
- ANY at a name with records: knotd answers one RRset, over UDP and TCP; zonectl one over UDP
  and all of them over TCP (RFC 8482 §4.1 allows either). The RCODE and flags must agree, and
  zonectl's answer must hold every RRset at the name over TCP and one of them over UDP.
- Below a wildcard owning NS records, whose meaning RFC 4592 §4.2 leaves undefined (knotd
  answers a delegation; nsd and zonectl answer the records), nsd is the reference: RCODE, flags
  and answer, since nsd also puts the apex NS records in positive answers.

NSD_PORT 0 means no nsd: nothing is asked of it, and a question below a wildcard owning NS
fails.

Prints `ok - ...` or `not ok - ...` per zone, then the first differences with what each server
answered. Exits 1 if a zone had a difference.
"""
import random
import sys
import time

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

TYPES = ["A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "DNAME", "DS", "SRV", "PTR", "CAA",
         "TYPE65280", "ANY"]
FEW_TYPES = ["A", "MX", "TXT", "CNAME", "ANY"]
HOWS = ("udp", "udp-noedns", "tcp")
TIMEOUT = 3
SHOWN = 40  # differences printed per zone


def ask(port, qname, qtype, how, rdclass="IN", nsid=False):
    """The server's answer, or None if it sent none (or nothing dnspython can read). With
    nsid, the query asks for the server's NSID (an empty NSID option)."""
    options = [dns.edns.GenericOption(dns.edns.NSID, b"")] if nsid else None
    q = dns.message.make_query(qname, qtype, rdclass,
                               use_edns=(False if how == "udp-noedns" else 0), payload=1232,
                               options=options)
    q.flags &= ~dns.flags.RD
    try:
        if how == "tcp":
            return dns.query.tcp(q, "127.0.0.1", port=port, timeout=TIMEOUT)
        return dns.query.udp(q, "127.0.0.1", port=port, timeout=TIMEOUT)
    except (dns.exception.Timeout, dns.exception.FormError, OSError):
        return None


def canonical(rd):
    """An RDATA's text in canonical form (RFC 4034 §6.2): the names in it lower-cased, since name
    compression may copy their case from the question; a TXT record's text as it is."""
    wire = rd.to_digestable()
    return dns.rdata.from_wire(rd.rdclass, rd.rdtype, wire, 0, len(wire)).to_text()


def section_set(section):
    return frozenset(
        "%s %d %s %s" % (rrset.name.to_text().lower(), rrset.ttl,
                         dns.rdatatype.to_text(rrset.rdtype), canonical(rd))
        for rrset in section if rrset.rdtype != dns.rdatatype.OPT for rd in rrset)


def summary(m):
    """What is compared of one answer: (rcode, flags[, answer, authority, additional, order])."""
    if m is None:
        return ("no answer", ())
    flags = tuple(f for f in ("AA", "TC") if m.flags & dns.flags.from_text(f))
    rcode = dns.rcode.to_text(m.rcode())
    if "TC" in flags:
        return (rcode, flags)
    order = tuple((r.name.to_text().lower(), r.rdtype) for r in m.answer)
    return (rcode, flags, section_set(m.answer), section_set(m.authority),
            section_set(m.additional), order)


def show(s):
    lines = ["%s %s" % (s[0], " ".join(s[1]))]
    if len(s) > 2:
        for name, sec in zip(("answer", "authority", "additional"), s[2:5]):
            lines += ["  %s: %s" % (name, r) for r in sorted(sec)]
    return "\n".join(lines)


def server_summary(m):
    """What is compared of an answer about the server: summary(m) with each record's class, and
    the NSID option's data (None: no option)."""
    if m is None:
        return ("no answer",)
    nsid = [o.to_wire() for o in m.options if o.otype == dns.edns.NSID]
    classes = tuple(sorted("%s %s" % (r.name.to_text().lower(), dns.rdataclass.to_text(r.rdclass))
                           for r in m.answer))
    return summary(m) + (classes, nsid[0] if nsid else None)


def server_questions(origin):
    """(name, type, class, transport, asks NSID) for each question of --server."""
    for name in ("id.server.", "hostname.bind.", "version.server.", "version.bind.",
                 "ID.Server.", "VERSION.bind.", "authors.bind.", "x.id.server.", "server.",
                 origin):
        for qtype, rdclass in (("TXT", "CH"), ("A", "CH"), ("ANY", "CH"), ("SOA", "CH"),
                               ("TXT", "HS")):
            yield from with_and_without_nsid(name, qtype, rdclass)
    for name in (origin, below("zz-none", origin), "zz-none.invalid."):
        for qtype in ("SOA", "TXT"):
            yield from with_and_without_nsid(name, qtype, "IN")


def with_and_without_nsid(name, qtype, rdclass):
    """The question over each transport, with EDNS asking for the NSID and not."""
    for how in HOWS:
        for nsid in (False,) if how == "udp-noedns" else (True, False):
            yield name, qtype, rdclass, how, nsid


def check_server(origin, ports, identity, version, nsid):
    """Whether zonectl tells of itself what knotd does, and what it was configured to (--server)."""
    for name, text in (("id.server.", identity), ("version.bind.", version)):
        m = ask(ports["zonectl"], name, "TXT", "udp", "CH", nsid=True)
        told = (m.answer[0][0].to_text() if m and m.answer else None, server_summary(m)[-1])
        if told != ('"%s"' % text, nsid):
            print("not ok - the server itself: zonectl told %r to CH TXT %s with NSID, where it "
                  "was configured to tell %r with NSID %r" % (told, name, text, nsid))
            return False
    diffs = []
    n = 0
    for qname, qtype, rdclass, how, nsid in server_questions(origin):
        n += 1
        got = {who: server_summary(ask(ports[who], qname, qtype, how, rdclass, nsid))
               for who in ("zonectl", "knotd")}
        if got["zonectl"] != got["knotd"]:
            diffs.append((qname, qtype, rdclass, how, nsid, got))
    if not diffs:
        print("ok - the server itself: %d questions in class CH and with NSID, answered as knotd "
              "does" % n)
        return True
    print("not ok - the server itself: %d of %d questions answered differently" % (len(diffs), n))
    for qname, qtype, rdclass, how, nsid, got in diffs[:SHOWN]:
        print("    # %s %s %s over %s%s" % (qname, rdclass, qtype, how, " with NSID" * nsid))
        for who in ("zonectl", "knotd"):
            print("    #   %s: %s" % (who, got[who]))
    return False


def transfer(origin, port):
    """The zone's records as the server on port transfers it, a set of lines (the SOA once)."""
    records = set()
    for m in dns.query.xfr("127.0.0.1", origin, port=port, timeout=10, relativize=False):
        records |= section_set(m.answer)
    return records


def owners_of(records):
    """Each owner name of a transferred zone, lower-cased, with the types it holds."""
    owners = {}
    for line in records:
        owner, _, rtype, _ = line.split(" ", 3)
        owners.setdefault(owner, set()).add(rtype)
    return owners


def below(label, name):
    """The name label.name, or None where that is longer than a name may be."""
    try:
        return dns.name.from_text(label, dns.name.from_text(name)).to_text()
    except dns.name.NameTooLong:
        return None


def existing_names(owners, origin):
    """The owner names and the empty non-terminals between them and the apex."""
    apex = dns.name.from_text(origin)
    names = set()
    for owner in owners:
        n = dns.name.from_text(owner)
        while n.is_subdomain(apex) and n.to_text() not in names:
            names.add(n.to_text())
            if n == apex:
                break
            n = n.parent()
    return names


def under_wildcard_ns(qname, owners, existing):
    """Whether qname does not exist and its closest encloser has a wildcard owning NS."""
    name = dns.name.from_text(qname.lower())
    if name.to_text() in existing:
        return False
    while len(name) > 1:
        name = name.parent()
        if name.to_text() in existing:
            return "NS" in owners.get("*." + name.to_text(), ())
    return False


def questions(owners, origin, rng, few):
    """(name, type, transport, types at the name) for every question asked about the zone.
    With few (--few): no mixed case and no second name below each owner, the types FEW_TYPES,
    and no UDP without EDNS."""
    names = {name: set() for name in existing_names(owners, origin)}  # with the empty ones
    for owner, types in sorted(owners.items()):
        names.update({owner: types, below("zz-none", owner): set()})
        if not few:
            mixed = "".join(c.upper() if rng.random() < 0.5 else c for c in owner)
            names.update({mixed: types, below("a.b", owner): set()})
    names[below("zz-none", origin)] = set()
    names.pop(None, None)
    for name in sorted(names):
        for t in sorted(set(FEW_TYPES if few else TYPES) | names[name]):
            for how in HOWS:
                if not (few and how == "udp-noedns"):
                    yield name, t, how, names[name]


def any_differs(zonectl, ref, types, how):
    """The first rule of the module's docstring."""
    if zonectl is None or summary(zonectl)[:2] != summary(ref)[:2]:
        return True
    if zonectl.flags & dns.flags.TC:
        return False
    got = sorted(dns.rdatatype.to_text(r.rdtype) for r in zonectl.answer)
    if how == "tcp":
        return got != sorted(types)
    return len(got) != 1 or got[0] not in types


def differs(msgs, got, reference, qtype, types, how):
    ref = msgs[reference]
    if (qtype == "ANY" and types and "CNAME" not in types and ref is not None
            and ref.flags & dns.flags.AA and ref.answer):
        return any_differs(msgs["zonectl"], ref, types, how)
    if reference == "nsd":
        return got["zonectl"][:3] != got["nsd"][:3]
    return got["zonectl"] != got["knotd"]


def check_zone(origin, ports, rng, mode, reader="knotd"):
    """Whether zonectl's copy of the zone is the second server's, and, unless mode is "zones",
    zonectl answered every question about it as the reference did ("few": fewer questions)."""
    theirs = transfer(origin, ports["knotd"])
    try:
        ours = transfer(origin, ports["zonectl"])
    except (dns.exception.DNSException, OSError) as e:
        ours = {"(the transfer failed: %s)" % e}
    if ours != theirs:
        print("not ok - %s: zonectl's zone is not %s's" % (origin, reader))
        for line in sorted(ours - theirs)[:SHOWN]:
            print("    # only zonectl: %s" % line)
        for line in sorted(theirs - ours)[:SHOWN]:
            print("    # only %s: %s" % (reader, line))
        return False
    if mode == "zones":
        print("ok - %s: %d records, as %s reads them" % (origin, len(theirs), reader))
        return True
    owners = owners_of(theirs)
    existing = existing_names(owners, origin)
    n = by_nsd = 0
    diffs = []
    for qname, qtype, how, types in questions(owners, origin, rng, mode == "few"):
        n += 1
        msgs = {who: ask(port, qname, qtype, how) if port else None
                for who, port in ports.items()}
        got = {who: summary(m) for who, m in msgs.items()}
        reference = "knotd"
        if under_wildcard_ns(qname, owners, existing):
            reference = "nsd"
            by_nsd += 1
        if differs(msgs, got, reference, qtype, types, how):
            diffs.append((qname, qtype, how, reference, got))
    if not diffs:
        as_nsd = " (as nsd does in the %d below a wildcard owning NS)" % by_nsd if by_nsd else ""
        print("ok - %s: %d records, as knotd reads them; %d questions, answered as knotd does%s"
              % (origin, len(theirs), n, as_nsd))
        return True
    print("not ok - %s: %d of %d questions answered differently" % (origin, len(diffs), n))
    for qname, qtype, how, reference, got in diffs[:SHOWN]:
        print("    # %s %s over %s (reference: %s)" % (qname, qtype, how, reference))
        for who in ("zonectl", "knotd", "nsd"):
            print("    #   %s: %s" % (who, show(got[who]).replace("\n", "\n    #     ")))
    return False


def wait_for(port, origins):
    """Whether the server on port answers each zone's SOA within 10 s."""
    deadline = time.monotonic() + 10
    for origin in origins:
        q = dns.message.make_query(origin, "SOA")
        while True:
            try:
                r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.5)
                if r.rcode() == dns.rcode.NOERROR and r.answer:
                    break
            except (dns.exception.Timeout, OSError):
                pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
    return True


def main():
    args = sys.argv[1:]
    if args[0] == "--wait":
        sys.exit(0 if wait_for(int(args[1]), args[2:]) else 1)
    if args[0] == "--server":
        ports = {"zonectl": int(args[1]), "knotd": int(args[2])}
        nsid = bytes.fromhex(args[6].removeprefix("0x"))
        ok = check_server(args[3].rstrip(".") + ".", ports, args[4], args[5], nsid)
        sys.exit(0 if ok else 1)
    mode, reader = "all", "knotd"
    if args[0] == "--zones-read-by":
        mode, reader, args = "zones", args[1], args[2:]
    elif args[0] in ("--few", "--zones-only"):
        mode, args = {"--few": "few", "--zones-only": "zones"}[args[0]], args[1:]
    ports = dict(zip(("zonectl", "knotd", "nsd"), (int(a) for a in args[:3])))
    rng = random.Random(1)  # the mixed-case spellings, the same in every run
    ok = [check_zone(origin.rstrip(".") + ".", ports, rng, mode, reader) for origin in args[3:]]
    sys.exit(0 if all(ok) else 1)


if __name__ == "__main__":
    main()
