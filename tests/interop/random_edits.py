#!/usr/bin/python3
"""Random edits through the `zonectl record` verbs, on the zones a running `zonectl serve` holds.

Usage: random_edits.py ZONECTL CONFIG PORT SEED EDITS ORIGIN...

For each zone, EDITS times: transfers the zone from 127.0.0.1:PORT (as served now), picks one of
its records and edits at it: deletes that record, its RRset or its whole name; adds a record to
its name, or replaces an RRset there; changes the RRset's TTL; or adds a new name. About one
time in three, 2 to 4 such edits go together in one `zonectl apply` batch. Then `record show` has the
server write the zone file. The same SEED gives the same edits on the same zones.

An edit the server refuses (one that would remove the apex SOA or NS, or the address of the
zone's own name server) is counted, not an error: zonectl's checks are not the subject here.
Prints `EDITS made, REFUSED refused` and exits 1 if a `zonectl` command failed otherwise (an
exit status other than 0 and 1) or fewer than half the edits were made. What the edits leave
is judged by the caller: the files zonectl wrote, read by knotd, must be the zones it serves.
"""
import random
import subprocess
import sys

import dns.query
import dns.rdatatype

NEW = [("A", "192.0.2.200"), ("TXT", '"added by an edit"'), ("MX", "10 mail.example."),
       ("AAAA", "2001:db8::200"), ("TXT", '"two" "strings; one with \\"quotes\\""'),
       ("CAA", '0 issue "ca.example"'), ("SRV", "0 5 443 target.example.")]


def transfer(origin, port):
    """(owner, type, rdata text) of every record but the SOA, as served now."""
    records = []
    for m in dns.query.xfr("127.0.0.1", origin, port=port, timeout=10, relativize=False):
        for rrset in m.answer:
            if rrset.rdtype != dns.rdatatype.SOA:
                records += [(rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype),
                             rd.to_text()) for rd in rrset]
    return sorted(set(records))


def edit_args(rng, origin, owner, rtype, text):
    """The `zonectl` arguments of one random edit at that record."""
    kind = rng.choice(["del-record", "del-rrset", "del-name", "add", "set", "ttl", "new-name"])
    new_type, new_value = rng.choice(NEW)
    if kind == "del-record":
        return ["record", "del", origin, owner, rtype, text]
    if kind == "del-rrset":
        return ["record", "del", origin, owner, rtype]
    if kind == "del-name":
        return ["record", "del", origin, owner]
    if kind in ("add", "set") and rtype != "CNAME":
        return ["record", kind, origin, owner, new_type, new_value]
    if kind == "ttl":
        return ["record", "set", origin, owner, rtype, str(rng.choice([60, 7200])), text]
    return ["record", "add", origin, "new%d" % rng.randint(0, 999), new_type, new_value]


def main():
    zonectl, config, port, seed, edits = sys.argv[1:6]
    rng = random.Random(int(seed))
    made = refused = 0
    for origin in sys.argv[6:]:
        for _ in range(int(edits)):
            records = transfer(origin, int(port))
            args = edit_args(rng, origin, *rng.choice(records))
            batch = None
            if rng.random() < 0.3:  # a batch of 2 to 4 edits, applied all or nothing
                lines = [edit_args(rng, origin, *rng.choice(records))[1:]
                         for _ in range(rng.randint(2, 4))]
                batch = "".join(" ".join([ln[0]] + ln[2:]) + "\n" for ln in lines)
                args = ["apply", origin, "-"]
            p = subprocess.run([zonectl, "--config", config, "--server", "127.0.0.1:" + port]
                               + args, capture_output=True, text=True, input=batch)
            if p.returncode == 0:
                made += 1
            elif p.returncode == 1 and "refused" in p.stderr:
                refused += 1
            else:
                print("zonectl %s: exit %d\n%s" % (" ".join(args), p.returncode, p.stderr))
                sys.exit(1)
        p = subprocess.run([zonectl, "--config", config, "record", "show", origin],
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("zonectl record show %s: exit %d\n%s" % (origin, p.returncode, p.stderr))
            sys.exit(1)
    print("%d edits made, %d refused" % (made, refused))
    sys.exit(0 if made * 2 >= made + refused else 1)


if __name__ == "__main__":
    main()
