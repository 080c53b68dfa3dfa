"""checkdmarc as the oracle of `zonectl bimi` (run by tests/bimi/oracle.sh).

Records: each BIMI record is published at its own selector of a zone, and `zonectl --json bimi
show ZONE --selector SEL` must call it valid exactly when checkdmarc's parse_bimi_record does
(with its HTTPS fetches of the logo and certificate turned into immediate failures: nothing
leaves the machine).

Logos: each SVG file goes through checkdmarc's get_svg_metadata and check_svg_requirements and
`zonectl --json bimi logo FILE`. Where checkdmarc refuses a logo, zonectl must refuse it too;
where checkdmarc takes it, zonectl must take it as well, unless the file holds something of
SVG Tiny PS that checkdmarc does not look for (a script, a style sheet, an image, an editor's
namespace, a missing SVG namespace...: the generator knows which), which zonectl must refuse.
For a logo both take, the title, the viewBox's size and whether it is square must agree.
Known differences, by design: zonectl refuses a record whose l= names a .png (or other image
format) and one with an unknown tag given twice, which checkdmarc takes; checkdmarc refuses a logo without a viewBox, which zonectl takes
with a warning; checkdmarc counts 32 KB as 32,000 bytes and zonectl as 32,768 (the generator
makes no logo between the two); checkdmarc does not inflate a gzip-compressed logo.

Certificates: mark certificates made by make_vmc.py (for some of three names, valid now, expired
or not yet valid, without subjectAltName or logotype, with the logo compressed or not) go through
checkdmarc's get_certificate_metadata and `zonectl --json bimi evidence FILE --domain ZONE`. The
names, the validity period, whether it has expired or is not valid yet, whether it names the
domain, and the SHA-256 of the embedded logo must agree (checkdmarc takes a logo of any media
type from the data: URI; zonectl only an SVG one). Neither verifies the chain here.

Prints `ok - CASE` or `not ok - CASE` with the differences, then "N passed, M failed"; exits 1
if any case disagreed.

Usage: python oracle.py ZONECTL DIR COUNT SEED: the fixed cases, COUNT made-up records, COUNT
made-up logos and COUNT/4 made-up certificates from a generator seeded with SEED are written
under DIR.
"""

import json
import os
import random
import re
import subprocess
import sys

import datetime
import hashlib

import requests
from checkdmarc.bimi import (
    check_svg_requirements,
    get_certificate_metadata,
    get_svg_metadata,
    parse_bimi_record,
)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_vmc  # noqa: E402  (beside this file)

ZONE = "brand.example"
LOGO = "https://brand.example/logo.svg"
VMC = "https://brand.example/vmc.pem"


def no_fetch(self, url, *args, **kwargs):
    raise requests.ConnectionError(f"the oracle fetches nothing: {url}")


requests.Session.get = no_fetch

FIXED_RECORDS = {
    "logo": f"v=BIMI1; l={LOGO}",
    "logo-and-vmc": f"v=BIMI1; l={LOGO}; a={VMC};",
    "spaces": f"v=BIMI1 ; l = {LOGO} ; a = {VMC}",
    "declines": "v=BIMI1; l=; a=;",
    "certificate-logo": f"v=BIMI1; l=; a={VMC}",
    "lps": f"v=BIMI1; l={LOGO}; lps=noreply, news,mkt-2",
    "lps-empty": f"v=BIMI1; l={LOGO}; lps=",
    "lps-dot": f"v=BIMI1; l={LOGO}; lps=no.reply",
    "avp-brand": f"v=BIMI1; l={LOGO}; avp=brand",
    "avp-other": f"v=BIMI1; l={LOGO}; avp=logo",
    "unknown-tag": f"v=BIMI1; l={LOGO}; x_future=1",
    "http-logo": "v=BIMI1; l=http://brand.example/logo.svg",
    "ip-logo": "v=BIMI1; l=https://192.0.2.1/logo.svg",
    "ip-vmc": f"v=BIMI1; l={LOGO}; a=https://192.0.2.1/vmc.pem",
    "single-label-vmc": f"v=BIMI1; l={LOGO}; a=https://localhost/vmc.pem",
    "comma-logo": f"v=BIMI1; l={LOGO},https://brand.example/2.svg",
    "no-logo-tag": f"v=BIMI1; a={VMC}",
    "duplicate-l": f"v=BIMI1; l={LOGO}; l={LOGO}",
    "no-separator": f"v=BIMI1 l={LOGO}",
    "version-only": "v=BIMI1;",
}

# Fragments of SVG Tiny PS that checkdmarc does not look for, and zonectl refuses, each with what
# zonectl's problem must name: in the body, and on the root element.
STRICT_ONLY = {
    "script": ("<script>alert(1)</script>", "<script>"),
    "style-element": ("<style>.a{fill:#c00}</style>", "<style>"),
    "style-attribute": ('<rect width="1" height="1" style="fill:#c00"/>', "style="),
    "image": ('<image width="1" height="1" href="#x"/>', "<image>"),
    "animate": ('<rect width="1" height="1"><animate attributeName="x" to="2"/></rect>', "<animate>"),
    "foreign-object": ("<foreignObject/>", "<foreignObject>"),
    "onclick": ('<rect width="1" height="1" onclick="f()"/>', "onclick="),
    "external-href": ('<use href="https://brand.example/other.svg#a"/>', "refers outside"),
    "external-paint": ('<rect width="1" height="1" fill="url(https://brand.example/p.svg#g)"/>', "refers outside"),
    "clip-path": ('<clipPath id="c"><rect width="1" height="1"/></clipPath>', "<clipPath>"),
    "link": ('<a href="#x"><rect width="1" height="1"/></a>', "<a>"),
    "editor-element": (
        '<sodipodi:namedview xmlns:sodipodi="http://sodipodi.sourceforge.net/DTD/sodipodi-0.dtd"/>',
        "<sodipodi:namedview>",
    ),
    "editor-attribute": (
        '<g xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:label="Layer 1"/>',
        "inkscape:label=",
    ),
    "metadata-script": ("<metadata><script>alert(1)</script></metadata>", "<script>"),
}
ROOT_STRICT = {
    "root-onload": ('onload="alert(1)"', "onload="),
    "root-style": ('style="fill:#c00"', "style="),
    "root-editor": (
        'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" inkscape:version="1.3"',
        "inkscape:version=",
    ),
}

SHAPES = [
    '<rect width="100" height="100" fill="#ffffff"/>',
    '<circle cx="50" cy="50" r="40" fill="#c8102e"/>',
    '<path d="M10 10 L90 90 Z" stroke="#000" fill="none"/>',
    '<g fill="#123456"><ellipse cx="50" cy="50" rx="20" ry="10"/></g>',
    '<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>',
    '<text x="10" y="50" font-size="12">Brand</text>',
    '<polygon points="0,0 10,0 10,10"/>',
    '<metadata><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/></metadata>',
]


def logo_text(
    *,
    namespace=True,
    version="1.2",
    profile="tiny-ps",
    view_box="0 0 100 100",
    root_xy=False,
    root_extra="",
    title="Brand",
    body=(),
    doctype=False,
    pad=0,
):
    root = ["<svg"]
    if namespace:
        root.append('xmlns="http://www.w3.org/2000/svg"')
    if version is not None:
        root.append(f'version="{version}"')
    if profile is not None:
        root.append(f'baseProfile="{profile}"')
    if view_box is not None:
        root.append(f'viewBox="{view_box}"')
    if root_xy:
        root.append('x="0" y="0"')
    if root_extra:
        root.append(root_extra)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    if doctype:
        parts.append(
            '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
            '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
        )
    parts.append(" ".join(root) + ">")
    if title is not None:
        parts.append(f"<title>{title}</title>")
    parts.extend(body)
    if pad:
        parts.append(f"<desc>{'x' * pad}</desc>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# Each logo with what zonectl alone refuses in it (None: both judge it alike).
FIXED_LOGOS = {
    "valid": (logo_text(body=SHAPES[:3]), None),
    "empty-title": (logo_text(title=""), None),
    "no-title": (logo_text(title=None), None),
    "version-1.1": (logo_text(version="1.1"), None),
    "no-version": (logo_text(version=None), None),
    "profile-tiny": (logo_text(profile="tiny"), None),
    "no-profile": (logo_text(profile=None), None),
    "root-x-y": (logo_text(root_xy=True), None),
    "wide": (logo_text(view_box="0 0 200 100"), None),
    "bad-view-box": (logo_text(view_box="0 0 a b"), None),
    "doctype": (logo_text(doctype=True), None),
    "too-large": (logo_text(pad=33000), None),
    "not-xml": ("<svg><g></svg>\n", None),
    "not-svg": ('<html xmlns="http://www.w3.org/1999/xhtml"/>\n', None),
    "no-namespace": (logo_text(namespace=False), "not <svg> in the SVG namespace"),
}
for name, (fragment, names) in STRICT_ONLY.items():
    FIXED_LOGOS[f"strict-{name}"] = (logo_text(body=[SHAPES[0], fragment]), names)
for name, (attributes, names) in ROOT_STRICT.items():
    FIXED_LOGOS[f"strict-{name}"] = (logo_text(root_extra=attributes), names)


def random_record(rng):
    version = rng.choice(["v=BIMI1"] * 8 + ["v = BIMI1", "v=bimi1", "v=BIMI2"])
    tags = []
    if rng.random() < 0.92:
        tags.append(
            "l="
            + rng.choice(
                [LOGO] * 5
                + [
                    "",
                    "http://brand.example/logo.svg",
                    "https://brand.example/logo.png",
                    "https://192.0.2.7/logo.svg",
                    f"{LOGO}?v=2",
                ]
            )
        )
    if rng.random() < 0.5:
        tags.append(
            "a="
            + rng.choice(
                [VMC] * 4 + ["", "https://localhost/vmc.pem", "http://brand.example/vmc.pem"]
            )
        )
    if rng.random() < 0.25:
        tags.append(
            "lps=" + rng.choice(["noreply", "noreply,news", "a-b, c", "", "no.reply", "x y"])
        )
    if rng.random() < 0.25:
        tags.append("avp=" + rng.choice(["brand", "personal", "logo"]))
    if rng.random() < 0.15:
        tags.append(rng.choice(["x_future=1", "z9=ok"]))
    if tags and rng.random() < 0.08:
        tags.append(rng.choice(tags))
    rng.shuffle(tags)
    sep = rng.choice(["; ", ";", " ; "])
    text = version + "".join(sep + t for t in tags)
    if rng.random() < 0.3:
        text += ";"
    return text


def random_logo(rng):
    strict = None
    body = rng.sample(SHAPES, rng.randint(0, 4))
    root_extra = ""
    if rng.random() < 0.2:
        name = rng.choice(sorted(STRICT_ONLY))
        fragment, strict = STRICT_ONLY[name]
        body.insert(rng.randint(0, len(body)), fragment)
    elif rng.random() < 0.05:
        root_extra, strict = ROOT_STRICT[rng.choice(sorted(ROOT_STRICT))]
    namespace = rng.random() < 0.97
    if not namespace:
        strict = "not <svg> in the SVG namespace"
    size = rng.choice([0] * 8 + [rng.randint(1000, 31000), rng.randint(33000, 40000)])
    side = rng.choice(["100", "64", "512"])
    view_box = rng.choice(
        [f"0 0 {side} {side}"] * 6 + [f"0 0 {side} 50", "10 10 80 80", "0 0 a b"]
    )
    text = logo_text(
        namespace=namespace,
        version=rng.choice(["1.2"] * 8 + ["1.1", None]),
        profile=rng.choice(["tiny-ps"] * 8 + ["tiny", None]),
        view_box=view_box,
        root_xy=rng.random() < 0.08,
        root_extra=root_extra,
        title=rng.choice(["Brand"] * 8 + ["", None]),
        body=body,
        doctype=rng.random() < 0.1,
        pad=size,
    )
    if rng.random() < 0.04:
        # Not well-formed: both refuse it, whatever else it holds.
        text, strict = text.replace("</svg>", ""), None
    if len(text.encode()) > 32768:
        # Too large: both refuse it, and zonectl reads no further.
        strict = None
    return text, strict


# Where zonectl refuses a record checkdmarc takes, by design: a logo URI naming another image
# format (checkdmarc finds out when it fetches the file), and an unknown tag given twice (RFC 6376
# §3.2, whose tag-list BIMI uses: a duplicated tag makes the whole list invalid; checkdmarc
# skips unknown tags before it looks for duplicates).
STRICTER = re.compile(
    r"the logo must be an SVG image|^(?!(?:l|a|lps|avp|v)=)[a-z0-9_]+= appears more than once"
)


def checkdmarc_record(text):
    try:
        parse_bimi_record(text, domain=ZONE)
        return True, ""
    except Exception as e:  # checkdmarc's several syntax errors
        return False, f"{type(e).__name__}: {e}"


def zonectl_json(zonectl, args, cwd):
    out = subprocess.run(
        [zonectl, "--json", *args], capture_output=True, text=True, cwd=cwd, check=False
    )
    try:
        return json.loads(out.stdout), out
    except json.JSONDecodeError:
        return None, out


def compare_records(zonectl, work, records):
    zones = os.path.join(work, "zones")
    os.makedirs(zones, exist_ok=True)
    lines = [
        f"$ORIGIN {ZONE}.",
        "$TTL 3600",
        f"@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 900 1209600 300",
        "@ IN NS ns",
        "ns IN A 192.0.2.53",
    ]
    for k, (_, text) in enumerate(records):
        lines.append(f's{k}._bimi IN TXT "{text}"')
    with open(os.path.join(zones, f"{ZONE}.zone"), "w") as f:
        f.write("\n".join(lines) + "\n")
    results = []
    for k, (name, text) in enumerate(records):
        ours, out = zonectl_json(
            zonectl,
            ["--control", os.path.join(work, "no.sock"), "bimi", "show", ZONE, "--selector", f"s{k}"],
            work,
        )
        if ours is None:
            results.append((f"record {name}", [f"zonectl printed no JSON: {out.stderr.strip()}"]))
            continue
        our_valid = not ours["errors"]
        their_valid, why = checkdmarc_record(text)
        diffs = []
        # zonectl's error names the record, then its problems after "cannot be used: ".
        problems = [
            p
            for e in ours["errors"]
            for p in (e.split("cannot be used: ", 1)[-1].split("; "))
        ]
        stricter = their_valid and problems and all(STRICTER.search(p) for p in problems)
        if our_valid != their_valid and not stricter:
            diffs.append(
                f"{text!r}: zonectl {'takes' if our_valid else 'refuses'} it "
                f"({'; '.join(ours['errors'])}), checkdmarc "
                f"{'takes' if their_valid else 'refuses'} it ({why})"
            )
        results.append((f"record {name}", diffs))
    return results


def compare_logo(zonectl, path, text, strict):
    ours, out = zonectl_json(zonectl, ["bimi", "logo", path], os.path.dirname(path))
    if ours is None:
        return [f"zonectl printed no JSON: {out.stderr.strip()}"]
    data = text.encode()
    try:
        meta = get_svg_metadata(data)
        errors = check_svg_requirements(meta)
    except ValueError as e:
        meta, errors = None, [str(e)]
    their_valid = not errors
    root = re.search(r"<svg\b[^>]*>", text)
    no_view_box = root is not None and "viewBox=" not in root.group(0)
    diffs = []
    if strict:
        if ours["valid"]:
            diffs.append(f"zonectl takes a logo outside SVG Tiny PS ({strict})")
        elif not any(strict in p for p in ours["problems"]):
            diffs.append(f"zonectl refuses it, but names no {strict}: {ours['problems']}")
    elif their_valid != ours["valid"]:
        # checkdmarc cannot read a logo without a viewBox; zonectl warns of it.
        known = not their_valid and ours["valid"] and meta is None and no_view_box
        if not known:
            diffs.append(
                f"zonectl {'takes' if ours['valid'] else 'refuses'} it ({ours['problems']}), "
                f"checkdmarc {'takes' if their_valid else 'refuses'} it ({errors})"
            )
    if their_valid and ours["valid"]:
        if (meta.get("title") or None) != ours["title"]:
            diffs.append(f"title: zonectl {ours['title']!r}, checkdmarc {meta.get('title')!r}")
        vb = ours["view_box"]
        if vb is None or [vb[2], vb[3]] != [meta["width"], meta["height"]]:
            diffs.append(f"viewBox: zonectl {vb}, checkdmarc {meta['width']} by {meta['height']}")
        ours_square = not any("should be square" in w for w in ours["warnings"])
        if ours_square != (meta["width"] == meta["height"]):
            diffs.append(f"square: zonectl {ours_square}, checkdmarc {meta['width']}x{meta['height']}")
    return diffs


def random_certificate(rng, logos):
    """A certificate for some of three names, valid now or not, with pieces dropped."""
    names = rng.sample([ZONE, f"www.{ZONE}", "other.example"], rng.randint(1, 3))
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start, end = rng.choice(
        [
            (now - datetime.timedelta(days=30), now + datetime.timedelta(days=365)),
            (now - datetime.timedelta(days=400), now - datetime.timedelta(days=2)),
            (now + datetime.timedelta(days=2), now + datetime.timedelta(days=400)),
        ]
    )
    flags = [
        f
        for f, p in [("no-logotype", 0.1), ("no-san", 0.1), ("plain-logotype", 0.2), ("png-logotype", 0.05)]
        if rng.random() < p
    ]
    logo = rng.choice(logos).encode()
    return make_vmc.make(logo, names, start, end, flags), flags


def compare_certificate(zonectl, path, pem, flags, logo_path):
    ours, out = zonectl_json(
        zonectl,
        ["bimi", "evidence", path, "--domain", ZONE, "--logo", logo_path],
        os.path.dirname(path),
    )
    if ours is None:
        return [f"zonectl printed no JSON: {out.stderr.strip()}"]
    theirs = get_certificate_metadata(pem, domain=ZONE)
    errors = " ".join(theirs["validation_errors"])
    problems = " ".join(ours["problems"])
    diffs = []

    def same(what, a, b):
        if a != b:
            diffs.append(f"{what}: zonectl {a!r}, checkdmarc {b!r}")

    same("names", ours["names"], theirs["domains"] or [])
    same("not_before", ours["not_before"].replace("T", " "), theirs["not_valid_before"])
    same("not_after", ours["not_after"].replace("T", " "), theirs["not_valid_after"])
    same("expired", "expired at" in problems, theirs["expired"])
    same("not yet valid", "not valid until" in problems, "is not valid until" in errors)
    same(
        "wrong domain",
        "is not among its names" in problems,
        "does not match the certificate" in errors,
    )
    same(
        "no names",
        "no DNS name in subjectAltName" in problems,
        "required extension: subjectAlternativeName" in errors,
    )
    theirs_hash = theirs["logotype_sha256"]
    if "png-logotype" in flags:
        # zonectl reads only an SVG data: URI; checkdmarc takes any.
        theirs_hash = None
    same("logo sha256", ours["logo_sha256"], theirs_hash)
    same("no logo", any(p.startswith("no logo:") for p in ours["problems"]), theirs_hash is None)
    if theirs_hash is not None:
        with open(logo_path, "rb") as f:
            given = hashlib.sha256(f.read()).hexdigest()
        same(
            "logo file differs",
            any("the logo file differs" in w for w in ours["warnings"]),
            given != theirs_hash,
        )
    return diffs


def now_window():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    return now - datetime.timedelta(days=1), now + datetime.timedelta(days=365)


def main():
    zonectl, work, count, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed)
    records = list(FIXED_RECORDS.items())
    records += [(f"random-{k}", random_record(rng)) for k in range(count)]
    results = compare_records(zonectl, work, records)
    logos = list(FIXED_LOGOS.items())
    logos += [(f"random-{k}", random_logo(rng)) for k in range(count)]
    for name, (text, strict) in logos:
        size = len(text.encode())
        if 32000 < size <= 32768:
            continue  # the two limits differ there, by design
        path = os.path.join(work, f"{name}.svg")
        with open(path, "w") as f:
            f.write(text)
        results.append((f"logo {name}", compare_logo(zonectl, path, text, strict)))
    valid_logos = [FIXED_LOGOS["valid"][0]]
    valid_logos += [logo_text(body=rng.sample(SHAPES, 3)) for _ in range(3)]
    fixed = [
        ("valid", make_vmc.make(valid_logos[0].encode(), [ZONE], *now_window(), ()), ()),
    ]
    for k in range(count // 4):
        pem, flags = random_certificate(rng, valid_logos)
        fixed.append((f"random-{k}", pem, flags))
    logo_paths = []
    for k, text in enumerate(valid_logos):
        logo_paths.append(os.path.join(work, f"certificate-logo-{k}.svg"))
        with open(logo_paths[-1], "w") as f:
            f.write(text)
    for name, pem, flags in fixed:
        path = os.path.join(work, f"{name}.pem")
        with open(path, "wb") as f:
            f.write(pem)
        # The logo the certificate was made with, or another one.
        logo_path = rng.choice(logo_paths)
        results.append(
            (f"certificate {name}", compare_certificate(zonectl, path, pem, flags, logo_path))
        )
    failed = 0
    for name, diffs in results:
        if diffs:
            failed += 1
            print(f"not ok - {name}")
            for d in diffs:
                print(f"    {d}")
        else:
            print(f"ok - {name}")
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
