"""checkdmarc as the oracle of `zonectl mta-sts policy` (run by tests/mta_sts/policy_oracle.sh).

For each policy file, checkdmarc's parse_mta_sts_policy and `zonectl --json mta-sts policy FILE
--mx HOST...` must agree on whether the policy is valid; for a valid one on its mode, max_age
and mx patterns (compared without case: zonectl lower-cases them); and for each host on whether
the patterns allow it (checkdmarc's mx_in_mta_sts_patterns). Prints `ok - CASE` or `not ok -
CASE` with the differences, then "N passed, M failed"; exits 1 if any case disagreed.

Usage: python policy_oracle.py ZONECTL DIR COUNT SEED: the fixed cases and COUNT made-up ones
from a generator seeded with SEED are written to DIR.
"""

import json
import os
import random
import subprocess
import sys

from checkdmarc.mta_sts import MTASTSPolicySyntaxError, mx_in_mta_sts_patterns, parse_mta_sts_policy

HOSTS = [
    "mail.example.com",
    "MAIL.Example.Com",
    "mx1.example.net",
    "a.b.example.net",
    "example.net",
    "backupmx.example.com",
    "mail.example.org",
    "bad-example.com",
]

FIXED = {
    # RFC 8461 §3.2's examples.
    "rfc-enforce": "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\nmx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n",
    "rfc-none": "version: STSv1\nmode: none\nmax_age: 86400\n",
    "any-order": "max_age: 1\nmx: mail.example.com\nmode: testing\nversion: STSv1",
    "no-space": "version:STSv1\nmode:testing\nmx:mail.example.com\nmax_age:86400\n",
    "extension": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 86400\nx-note: kept out\n",
    "bad-version": "version: STSv2\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "bad-mode": "version: STSv1\nmode: Enforce\nmx: mail.example.com\nmax_age: 1\n",
    "no-mode": "version: STSv1\nmx: mail.example.com\nmax_age: 1\n",
    "no-max-age": "version: STSv1\nmode: testing\nmx: mail.example.com\n",
    "max-age-year": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 31557600\n",
    "max-age-over": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 31557601\n",
    "max-age-11-digits": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 00000086400\n",
    "max-age-plus": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: +86400\n",
    "testing-no-mx": "version: STSv1\nmode: testing\nmax_age: 86400\n",
    "mx-final-dot": "version: STSv1\nmode: testing\nmx: mail.example.com.\nmax_age: 1\n",
    "mx-underscore": "version: STSv1\nmode: testing\nmx: mail_1.example.com\nmax_age: 1\n",
    "mx-hyphen-edge": "version: STSv1\nmode: testing\nmx: -mail.example.com\nmax_age: 1\n",
    "mx-one-label-wildcard": "version: STSv1\nmode: testing\nmx: *.example\nmax_age: 1\n",
    "mx-bare-star": "version: STSv1\nmode: testing\nmx: *\nmax_age: 1\n",
    "key-case": "Version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "key-space": "version : STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "key-indent": " version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "duplicate-mode": "version: STSv1\nmode: testing\nmode: enforce\nmx: mail.example.com\nmax_age: 1\n",
    "duplicate-bad": "version: STSv1\nmode: testing\nmode: nonsense\nmx: mail.example.com\nmax_age: 1\n",
    "stray-cr": "version: STSv1\r\r\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "bom": "\ufeffversion: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "not-key-value": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\nhello\n",
    "blank-line": "version: STSv1\n\nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "spaces-line": "version: STSv1\n   \nmode: testing\nmx: mail.example.com\nmax_age: 1\n",
    "bad-extension-name": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\nx note: 1\n",
    "empty-extension": "version: STSv1\nmode: testing\nmx: mail.example.com\nmax_age: 1\nx-note:\n",
}


def generated(count, seed):
    """`count` made-up policies: mostly valid lines in any order, with one or two faults."""
    rng = random.Random(seed)
    good = ["mail.example.com", "*.example.net", "backupmx.example.com", "MAIL.example.COM",
            "*.example", "xn--bcher-kva.example", "1.2.3.4", "mx-1.example.org"]
    bad = ["mail.example.com.", "mail_1.example.com", "-x.example.com", "x-.example.com",
           "*.*.example.net", "a..example.com", "*example.net", ""]
    benign = ["mode: enforce", "version: STSv1", "max_age: 5", "x-ext: v", "Mode: testing",
              "", "ext.name-1: a b c", "mx: mail.example.org"]
    faulty = ["x ext: v", "mx :mail.example.com", "   ", "junk", "x-ext:", "version: STSv2"]
    for i in range(count):
        max_age = rng.choice(["86400", "604800", "31557600", "0"])
        if rng.random() < 0.15:
            max_age = rng.choice(["31557601", "1e5", "", "00000086400", "-1"])
        lines = [
            "version: STSv1",
            f"mode: {rng.choice(['testing', 'enforce', 'none', 'testing', 'enforce'])}",
            f"max_age: {max_age}",
        ]
        for _ in range(rng.randrange(0, 4)):
            lines.append(f"mx: {rng.choice(bad if rng.random() < 0.15 else good)}")
        for _ in range(rng.choice([0, 0, 1, 2])):
            lines.append(rng.choice(faulty if rng.random() < 0.25 else benign))
        rng.shuffle(lines)
        if rng.random() < 0.05:
            # A carriage return inside a line: never part of a CRLF.
            at = rng.randrange(len(lines))
            cut = rng.randrange(len(lines[at]) + 1)
            lines[at] = lines[at][:cut] + "\r" + lines[at][cut:] + "x"
        end = rng.choice(["\n", "\r\n"])
        text = end.join(lines) + rng.choice([end, ""])
        if rng.random() < 0.03:
            text = "\ufeff" + text
        yield f"gen-{i:03}", text


def theirs(text, hosts):
    try:
        policy = parse_mta_sts_policy(text)["policy"]
    except MTASTSPolicySyntaxError as e:
        return None, str(e)
    return {
        "mode": policy["mode"],
        "max_age": policy["max_age"],
        "mx": [m.lower() for m in policy["mx"]],
        "allowed": {h: mx_in_mta_sts_patterns(h, policy["mx"]) for h in hosts},
    }, None


def ours(zonectl, path, hosts):
    args = [zonectl, "--json", "mta-sts", "policy", path]
    for h in hosts:
        args += ["--mx", h]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    doc = json.loads(out.stdout)
    # Exit 0 exactly when the policy is valid and allows every host (or is mode none).
    want = 0 if doc["valid"] and (
        doc["policy"]["mode"] == "none" or all(h["allowed_by"] for h in doc["hosts"])
    ) else 1
    if out.returncode != want:
        return {"exit": out.returncode}, f"exit {out.returncode}, not {want}"
    if not doc["valid"]:
        return None, "; ".join(doc["problems"])
    p = doc["policy"]
    return {
        "mode": p["mode"],
        "max_age": p["max_age"],
        "mx": p["mx"],
        "allowed": {h["host"]: h["allowed_by"] is not None for h in doc["hosts"]},
    }, None


def main():
    zonectl, directory, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    cases = list(FIXED.items()) + list(generated(count, seed))
    passed = failed = 0
    for name, text in cases:
        path = os.path.join(directory, name + ".txt")
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        t, t_why = theirs(text, HOSTS)
        o, o_why = ours(zonectl, path, HOSTS)
        problems = []
        if (t is None) != (o is None):
            problems.append(f"checkdmarc: {t_why or 'valid'}; zonectl: {o_why or 'valid'}")
        elif t is not None:
            for key in t:
                if t[key] != o[key]:
                    problems.append(f"{key}: checkdmarc {t[key]!r}, zonectl {o[key]!r}")
        if problems:
            failed += 1
            print(f"not ok - {name}: {text!r}")
            for p in problems:
                print(f"    {p}")
        else:
            passed += 1
            print(f"ok - {name}: {'valid, mode ' + t['mode'] if t else 'invalid for both'}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
