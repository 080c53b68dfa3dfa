#!/usr/bin/python3
"""Zone files with a character or two changed: whatever Knot accepts, zonectl must accept.

Usage: mutants.py ZONECTL SRC_DIR WORK_DIR SEED PER_FILE

For each SRC_DIR/ORIGIN.zone (the made-up zones of gen_zones.py), writes PER_FILE mutants to
WORK_DIR, each with one or two characters deleted, doubled or inserted (quotes, parentheses,
semicolons, backslashes, blanks, newlines, CR, dots, `$`, `@`, `*`, `#`, digits, letters), and
asks kzonecheck and `zonectl check` about each. Most mutants are no longer valid zones, and
both refuse them; a mutant Knot refuses and zonectl accepts is a leniency zonectl shares with
BIND (bare words next to quoted strings, `@` and `#` inside names, a CR before a newline,
base64 and hex split anywhere), and is counted only.

A mutant Knot accepts and zonectl refuses fails the test, unless zonectl refuses it for one of
REFUSED_ON_PURPOSE. Prints the counts of each pair of verdicts, each failure with zonectl's
message, and `N passed, M failed` (one check per mutant Knot accepts); exits 1 on a failure.
"""
import os
import random
import subprocess
import sys

INSERTED = ['"', "(", ")", ";", "\\", " ", "\n", ".", "$", "0", "9", "a", "Z", "\t", "@",
            "*", "-", "#", "\r"]

# (what zonectl's message says, why it refuses what Knot takes)
REFUSED_ON_PURPOSE = [
    ("is out of zone", "a record outside the zone: Knot and BIND ignore it with a warning, nsd "
     "refuses the zone, as zonectl does (an $ORIGIN typo must not make records vanish)"),
    ("CAA: tag", "a CAA tag that is not letters and digits (RFC 8659 §4.1): BIND and nsd "
     "refuse it too"),
    ("generic form: the", "RFC 3597's \\# form for a known type with RDATA not valid for it "
     "(RFC 3597 §5): BIND refuses it too"),
]


def mutate(text, rng):
    for _ in range(rng.randint(1, 2)):
        i = rng.randrange(len(text))
        op = rng.random()
        if op < 1 / 3:
            text = text[:i] + text[i + 1:]
        elif op < 2 / 3:
            text = text[:i] + rng.choice(INSERTED) + text[i:]
        else:
            text = text[:i] + text[i] + text[i:]
    return text


def accepts(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return False, "timed out after 30 s"
    return p.returncode == 0, p.stdout + p.stderr


def main():
    zonectl, src, work, seed, per = sys.argv[1:6]
    rng = random.Random(int(seed))
    pairs = {}
    failures = []
    for name in sorted(os.listdir(src)):
        origin = name[:-len("zone")]
        text = open(os.path.join(src, name)).read()
        for k in range(int(per)):
            path = os.path.join(work, "%s.m%d" % (name, k))
            with open(path, "w") as f:
                f.write(mutate(text, rng))
            knot, _ = accepts(["kzonecheck", "-o", origin, path])
            ours, said = accepts([zonectl, "check", "--file", path, "--origin", origin])
            pairs[(knot, ours)] = pairs.get((knot, ours), 0) + 1
            if knot and not ours and not any(m in said for m, _ in REFUSED_ON_PURPOSE):
                failures.append((path, said))
    show = {True: "accepts", False: "refuses"}
    for (knot, ours), n in sorted(pairs.items()):
        print("# Knot %s, zonectl %s: %d" % (show[knot], show[ours], n))
    for path, said in failures:
        print("not ok - Knot accepts %s, zonectl refuses it:\n    # %s" % (
            path, said.strip().replace("\n", "\n    # ")))
    knot_accepted = sum(n for (knot, _), n in pairs.items() if knot)
    print("%d passed, %d failed" % (knot_accepted - len(failures), len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
