#!/usr/bin/python3
"""Writes made-up zone files that use the master-file syntax the way people and tools write it.

Usage: gen_zones.py DIR COUNT SEED

Writes DIR/zNNN.test.zone for NNN in 0..COUNT-1, the same files for the same SEED. Each is a
valid zone (Knot loads it), and between them they use: owners written relative, absolute, as @,
left blank (the previous owner), in mixed case and with escapes (\\., \\DDD); the TTL and
class in either order or left out; TTLs with units; $ORIGIN and $TTL changing mid-file;
parentheses across lines, comments after records and inside parentheses; and RDATA of many types in its odd forms
(TXT with several strings, unquoted words, escapes and empty strings; IPv6 shorthand; CAA, SRV,
NAPTR, SSHFP, TLSA, DS, LOC, HINFO, URI, CERT with spaces in the base64; RFC 3597's \\# form
for known and unknown types). tests/interop/answers_oracle.sh has zonectl and knotd load them
and compares the zones as each transfers them.
"""
import base64
import random
import sys

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def label(rng):
    n = rng.randint(1, 10)
    s = "".join(rng.choice(LETTERS + "0123456789-") for _ in range(n)).strip("-") or "x"
    r = rng.random()
    if r < 0.05:
        s += "\\.dot"
    elif r < 0.10:
        s += "\\%03d" % rng.choice([32, 40, 41, 59, 200, 255])
    elif r < 0.13:
        s = "_" + s
    if rng.random() < 0.2:
        s = "".join(c.upper() if rng.random() < 0.5 else c for c in s)
    return s


def txt_string(rng):
    """One <character-string>: quoted (with escapes, spaces, semicolons) or a bare word."""
    r = rng.random()
    if r < 0.2:
        return "".join(rng.choice(LETTERS) for _ in range(rng.randint(1, 12)))
    parts = []
    for _ in range(rng.randint(0, 12)):
        c = rng.random()
        if c < 0.1:
            parts.append('\\"')
        elif c < 0.15:
            parts.append("\\\\")
        elif c < 0.25:
            parts.append("\\%03d" % rng.randint(0, 255))
        elif c < 0.3:
            parts.append(";")
        elif c < 0.35:
            parts.append(" ")
        elif c < 0.38:
            parts.append("(")
        else:
            parts.append("".join(rng.choice(LETTERS + "=:@.") for _ in range(rng.randint(1, 8))))
    return '"%s"' % "".join(parts)


def ipv6(rng):
    groups = ["%x" % rng.randint(0, 0xffff) for _ in range(8)]
    r = rng.random()
    if r < 0.4:
        i = rng.randint(1, 6)
        return ":".join(groups[:i]) + "::" + ":".join(groups[i + 1:][-rng.randint(1, 7 - i):])
    if r < 0.5:
        return "::ffff:192.0.2.%d" % rng.randint(0, 255)
    if r < 0.55:
        return "::"
    return ":".join(g.upper() if rng.random() < 0.3 else g for g in groups)


def b64(rng, n):
    text = base64.b64encode(bytes(rng.randint(0, 255) for _ in range(n))).decode()
    if rng.random() < 0.5 and len(text) > 4:  # split by a space, where Knot allows it
        cut = 4 * rng.randint(1, (len(text) - 1) // 4)
        text = text[:cut] + " " + text[cut:]
    return text


def hexstr(rng, n):
    return "".join("%02X" % rng.randint(0, 255) for _ in range(n))


def target(rng, names):
    r = rng.random()
    if r < 0.4 and names:
        return rng.choice(names)
    if r < 0.6:
        return "%s.elsewhere.example." % label(rng)
    if r < 0.65:
        return "@"
    return label(rng)


def rdata(rng, names):
    """(type, rdata text) for one record."""
    t = rng.choice(["A", "A", "AAAA", "TXT", "TXT", "TXT", "MX", "CNAME", "SRV", "CAA", "PTR",
                    "NAPTR", "SSHFP", "TLSA", "DS", "LOC", "HINFO", "URI", "CERT", "GENERIC",
                    "UNKNOWN", "SPF", "RP", "AFSDB"])
    if t == "A":
        return t, "192.0.2.%d" % rng.randint(0, 255)
    if t == "AAAA":
        return t, ipv6(rng)
    if t in ("TXT", "SPF"):
        return t, " ".join(txt_string(rng) for _ in range(rng.randint(1, 4)))
    if t == "MX":
        return t, "%d %s" % (rng.randint(0, 65535), target(rng, names))
    if t == "CNAME":
        return t, target(rng, names)
    if t == "PTR":
        return t, target(rng, names)
    if t == "SRV":
        return t, "%d %d %d %s" % (rng.randint(0, 100), rng.randint(0, 100),
                                   rng.randint(0, 65535), target(rng, names))
    if t == "CAA":
        tag = rng.choice(["issue", "issuewild", "iodef", "Issue", "contactemail"])
        return t, '%d %s "%s"' % (rng.choice([0, 128]), tag,
                                  rng.choice(["ca.example", "", "mailto:x@y.example",
                                              "ca.example; account=1"]))
    if t == "NAPTR":
        return t, '%d %d "%s" "%s" "%s" %s' % (
            rng.randint(0, 100), rng.randint(0, 100), rng.choice(["U", "S", "", "a"]),
            rng.choice(["E2U+sip", "", "SIP+D2U"]),
            rng.choice(["", "!^.*$!sip:info@example.com!"]),
            rng.choice([".", target(rng, names)]))
    if t == "SSHFP":
        kind = rng.choice([1, 2])
        return t, "%d %d %s" % (rng.randint(1, 4), kind, hexstr(rng, 20 if kind == 1 else 32))
    if t == "TLSA":
        return t, "%d %d %d %s" % (rng.randint(0, 3), rng.randint(0, 1), rng.randint(1, 2),
                                   hexstr(rng, 32))
    if t == "DS":
        return t, "%d %d %d %s" % (rng.randint(0, 65535), rng.choice([8, 13, 15]), 2,
                                   hexstr(rng, 32))
    if t == "LOC":
        return t, rng.choice(["52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
                              "52 N 4 E 10m", "31 58 N 115 49 E 0m 1m",
                              "42 21 43.952 N 71 5 6.344 W -24m 1m 200m 10m"])
    if t == "HINFO":
        return t, "%s %s" % (txt_string(rng), txt_string(rng))
    if t == "URI":
        return t, '%d %d "https://%s.example/"' % (rng.randint(0, 100), rng.randint(0, 100),
                                                   label(rng).lower().replace("\\", ""))
    if t == "CERT":
        return t, "%d %d %d %s" % (rng.randint(1, 8), rng.randint(0, 65535), rng.randint(0, 255),
                                   b64(rng, rng.randint(10, 60)))
    if t == "RP":
        return t, "%s %s" % (target(rng, names), target(rng, names))
    if t == "AFSDB":
        return t, "%d %s" % (rng.randint(0, 3), target(rng, names))
    if t == "GENERIC":  # a known type written in RFC 3597 form
        return "TYPE1", "\\# 4 %s" % hexstr(rng, 4)
    n = rng.randint(0, 20)  # an unknown type
    return "TYPE%d" % rng.randint(65280, 65534), "\\# %d %s" % (n, hexstr(rng, n))


def ttl_text(rng):
    r = rng.random()
    if r < 0.6:
        return str(rng.choice([0, 60, 300, 3600, 86400, 2147483647]))
    return rng.choice(["1h", "1H30M", "2d", "1w", "90s", "1h1m1s", "3M"])


def zone(rng, origin):
    default_ttl = ttl_text(rng)
    lines = ["; made up by tests/interop/gen_zones.py", "$TTL %s" % default_ttl]
    if rng.random() < 0.5:
        lines.append("$ORIGIN %s" % origin)
        apex = "@"
    else:
        apex = origin
    lines.append(rng.choice([
        "%s IN SOA ns.%s hostmaster.%s 1 3600 900 1209600 300" % (apex, origin, origin),
        "%s 3600 IN SOA ns.%s hostmaster.%s (\n    2026113001 ; serial\n    1h 15m 2w 5m )"
        % (apex, origin, origin),
    ]))
    lines.append("%s NS ns.%s" % (apex if rng.random() < 0.5 else "", origin))
    lines.append("ns.%s A 192.0.2.53" % origin)
    names = ["ns.%s" % origin]
    cnames = set()
    owners_types = {}
    ttls = {}  # (owner, type): the TTL text of the RRset's first record
    current = origin
    for _ in range(rng.randint(5, 40)):
        r = rng.random()
        if r < 0.05:
            sub = "%s.%s" % (label(rng), origin)
            lines.append("$ORIGIN %s" % sub)
            current = sub
            continue
        if r < 0.08:
            default_ttl = ttl_text(rng)
            lines.append("$TTL %s" % default_ttl)
            continue
        # An owner, relative to the $ORIGIN in force or absolute.
        rel = ".".join(label(rng) for _ in range(rng.randint(1, 2)))
        if rng.random() < 0.1:
            rel = "*." + rel
        absolute = "%s.%s" % (rel, current)
        owner = absolute if rng.random() < 0.3 else rel
        key = absolute.lower()
        t, text = rdata(rng, names)
        # CNAME alone at its name (RFC 2181 §10.1), once.
        if t == "CNAME" and owners_types.get(key):
            continue
        if key in cnames:
            continue
        if t == "CNAME":
            cnames.add(key)
        owners_types.setdefault(key, set()).add(t)
        fields = [owner]
        ttl = ttl_text(rng) if rng.random() < 0.5 else None
        # The records of an RRset get its first record's TTL: servers disagree on which TTL an
        # RRset written with several is served with (knotd the last, named and nsd the first).
        rrset = (key, "A" if t == "TYPE1" else t)
        if rrset in ttls:
            ttl = ttls[rrset]
        ttls[rrset] = ttl or default_ttl
        cls = "IN" if rng.random() < 0.5 else None
        if ttl and cls and rng.random() < 0.5:
            fields += [cls, ttl]
        else:
            fields += [x for x in (ttl, cls) if x]
        fields.append(t if rng.random() < 0.8 else t.lower())
        line = " ".join(fields) + " " + text
        if rng.random() < 0.1 and " " in text and '"' not in text:  # parentheses across lines
            a, b = text.split(" ", 1)
            line = " ".join(fields) + " ( %s ; a comment\n        %s )" % (a, b)
        if rng.random() < 0.1:
            line += " ; trailing comment"
        lines.append(line)
        names.append(absolute)
        if rng.random() < 0.3 and t != "CNAME":  # another record at the same owner, left blank
            t2, text2 = rdata(rng, names)
            rrset = (key, "A" if t2 == "TYPE1" else t2)
            if t2 != "CNAME":
                owners_types[key].add(t2)
                if rrset in ttls:
                    lines.append("    %s %s %s" % (ttls[rrset], t2, text2))
                else:
                    ttls[rrset] = default_ttl
                    lines.append("    %s %s" % (t2, text2))
    return "\n".join(lines) + "\n"


def main():
    out, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    for i in range(count):
        origin = "z%03d.test." % i
        with open("%s/%s" % (out, origin + "zone"), "w") as f:
            f.write(zone(rng, origin))


if __name__ == "__main__":
    main()
