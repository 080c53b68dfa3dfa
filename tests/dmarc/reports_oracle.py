"""parsedmarc as the oracle of `zonectl dmarc report` and `zonectl tlsrpt report` (run by
tests/dmarc/reports_oracle.sh).

For each file given, parsedmarc's parse_report_file (offline: no DNS, no GeoIP) and
`zonectl --json dmarc report FILE` (or `tlsrpt report` for an SMTP TLS report) must agree. For
a DMARC aggregate report, on:
  - whether the file holds a report (parsedmarc raises for what it cannot read; zonectl then
    exits 1 and names the file);
  - the report's reporter (org_name, without case: parsedmarc lower-cases some, and names a
    reporter without one by its email's domain, as zonectl does), report id, policy domain and
    period (UTC);
  - its messages: in all, passing DMARC (parsedmarc's alignment.dmarc), DKIM- and SPF-aligned;
  - per source IP, its messages and its failing messages;
  - the messages per disposition and per override reason.
For an SMTP TLS report (RFC 8460), on its reporter, report id and period, and per policy: its
type, domain (without case), successful and failed sessions, and each failure detail's result,
sending and receiving IP, receiving MX (without case) and sessions.
Prints `ok - FILE` or `not ok - FILE` with each difference, then "N passed, M failed"; exits 1
if any file disagreed.

Usage: python reports_oracle.py ZONECTL [--synthesize DIR COUNT SEED] FILE...
(run with TZ=UTC: parsedmarc prints local time). --synthesize adds COUNT made-up DMARC
reports and COUNT // 2 SMTP TLS reports, written to DIR by generators seeded with SEED (see
synthesize() and synthesize_tls()).
"""

import collections
import datetime
import json
import subprocess
import sys

import parsedmarc


def parsedmarc_view(path):
    """What parsedmarc reads in `path`: None if it is not an aggregate report."""
    try:
        parsed = parsedmarc.parse_report_file(path, offline=True)
    except Exception as e:  # parsedmarc's ParserError and whatever its parsers raise
        return None, f"{type(e).__name__}: {e}"
    if parsed["report_type"] == "smtp_tls":
        return tls_view(parsed["report"]), None
    if parsed["report_type"] != "aggregate":
        return None, f"a {parsed['report_type']} report"
    report = parsed["report"]
    meta, policy = report["report_metadata"], report["policy_published"]
    view = {
        # parsedmarc lower-cases some reporters' names (Outlook.com): compared without case.
        "org_name": (meta["org_name"] or "").lower(),
        "report_id": meta["report_id"] or "",
        "domain": policy["domain"].lower().rstrip("."),
        "begin": meta["begin_date"],
        "end": meta["end_date"],
    }
    totals = collections.Counter()
    sources = collections.defaultdict(lambda: [0, 0])
    dispositions = collections.Counter()
    overrides = collections.Counter()
    for r in report["records"]:
        n = r["count"]
        totals["messages"] += n
        totals["passed"] += n if r["alignment"]["dmarc"] else 0
        totals["dkim_aligned"] += n if r["alignment"]["dkim"] else 0
        totals["spf_aligned"] += n if r["alignment"]["spf"] else 0
        ip = r["source"]["ip_address"]
        sources[ip][0] += n
        sources[ip][1] += 0 if r["alignment"]["dmarc"] else n
        dispositions[(r["policy_evaluated"]["disposition"] or "").lower()] += n
        for reason in r["policy_evaluated"]["policy_override_reasons"]:
            if reason.get("type"):
                overrides[reason["type"].lower()] += n
    view.update(totals)
    view["sources"] = {ip: tuple(v) for ip, v in sources.items()}
    view["dispositions"] = dict(dispositions)
    view["overrides"] = dict(overrides)
    return view, None


def epoch(text):
    """An RFC 3339 time as UNIX seconds, or the text if it is not one."""
    try:
        return int(datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())
    except (AttributeError, ValueError):
        return text


def tls_view(report, policy_domain="domain", policy_type="policy_type"):
    """An SMTP TLS report as compared: parsedmarc's names by default."""
    return {
        "kind": "smtp_tls",
        "org_name": report["organization_name"],
        "report_id": report["report_id"],
        "begin": epoch(report["begin_date"]),
        "end": epoch(report["end_date"]),
        "policies": sorted(
            (
                p["policy_domain"].lower().rstrip("."),
                p["policy_type"],
                int(p["successful_session_count"]),
                int(p["failed_session_count"]),
                tuple(
                    sorted(
                        (
                            f["result_type"].lower(),
                            f.get("sending_mta_ip", ""),
                            f.get("receiving_mx_hostname", "").lower().rstrip("."),
                            f.get("receiving_ip", ""),
                            int(f["failed_session_count"]),
                        )
                        for f in p.get("failure_details", [])
                    )
                ),
            )
            for p in report["policies"]
        ),
    }


def zonectl_tls_view(zonectl, path):
    """What `zonectl tlsrpt report` reads in `path`: None if it holds no SMTP TLS report."""
    out = subprocess.run(
        [zonectl, "--json", "tlsrpt", "report", path], capture_output=True, text=True, check=False
    )
    reports = json.loads(out.stdout)["files"][0]["reports"]
    if len(reports) != 1:
        return (None if not reports else {"reports": len(reports)}), (
            f"exit {out.returncode}: {out.stderr.strip()}"
        )
    r = reports[0]
    # Spelt as parsedmarc spells it, then compared alike.
    return tls_view(
        {
            "organization_name": r["org_name"],
            "report_id": r["report_id"],
            "begin_date": r["begin"],
            "end_date": r["end"],
            "policies": [
                {
                    "policy_domain": p["domain"],
                    "policy_type": p["policy_type"],
                    "successful_session_count": p["successful"],
                    "failed_session_count": p["failed"],
                    "failure_details": [
                        {
                            "result_type": f["result"],
                            "sending_mta_ip": f["sending_ip"],
                            "receiving_mx_hostname": f["receiving_mx"],
                            "receiving_ip": f["receiving_ip"],
                            "failed_session_count": f["sessions"],
                        }
                        for f in p["failure_details"]
                    ],
                }
                for p in r["policies"]
            ],
        }
    ), None


def zonectl_view(zonectl, path):
    """What zonectl reads in `path`: None if it holds no report."""
    out = subprocess.run(
        [zonectl, "--json", "dmarc", "report", path],
        capture_output=True,
        text=True,
        check=False,
    )
    doc = json.loads(out.stdout)
    reports = doc["files"][0]["reports"]
    if not reports:
        tls, why = zonectl_tls_view(zonectl, path)
        if tls is not None:
            return tls, None
        return None, f"exit {out.returncode}: {out.stderr.strip()}; tlsrpt report: {why}"
    if len(reports) != 1 or len(doc["domains"]) != 1:
        return {"reports": len(reports)}, None
    r, d = reports[0], doc["domains"][0]
    iso = lambda t: t and t.replace("T", " ").rstrip("Z")
    return {
        "org_name": r["org_name"].lower(),
        "report_id": r["report_id"],
        "domain": r["domain"],
        "begin": iso(r["begin"]),
        "end": iso(r["end"]),
        "messages": d["messages"],
        "passed": d["passed"],
        "dkim_aligned": d["dkim_aligned"],
        "spf_aligned": d["spf_aligned"],
        "sources": {s["ip"]: (s["messages"], s["failed"]) for s in d["sources"]},
        "dispositions": {k: v for k, v in d["dispositions"].items()},
        "overrides": d["overrides"],
    }, None


def synthesize(directory, count, seed):
    """`count` made-up reports in `directory`, from a seeded generator: 1 to 40 records each,
    results in any case, override reasons, several DKIM signatures, HELO-scoped SPF, RFC 9990's
    namespace now and then; saved as XML, gzip or zip. Returns their paths."""
    import gzip
    import os
    import random
    import zipfile

    rng = random.Random(seed)
    results = ["pass", "fail", "Pass", "FAIL", "softfail", "neutral", "none", "temperror"]
    reasons = ["forwarded", "sampled_out", "trusted_forwarder", "mailing_list", "local_policy", "other"]
    paths = []
    for i in range(count):
        # parsedmarc reads RFC 9990's default namespace, not a prefixed one (zonectl reads both).
        ns = ""
        domain = rng.choice(["apple.example", "Orange.Example", "lab.example."])
        begin = 1_790_000_000 + rng.randrange(0, 400) * 86_400
        records = []
        for _ in range(rng.randrange(1, 41)):
            ip = rng.choice([f"192.0.2.{rng.randrange(1, 30)}", f"2001:db8::{rng.randrange(1, 30):x}"])
            dk, sp = rng.choice(["pass", "fail", "Pass"]), rng.choice(["pass", "fail", "FAIL"])
            reason = "".join(
                f"<{ns}reason><{ns}type>{r}</{ns}type><{ns}comment>c</{ns}comment></{ns}reason>"
                for r in rng.sample(reasons, rng.choice([0, 0, 0, 1, 2]))
            )
            dkim = "".join(
                f"<{ns}dkim><{ns}domain>{rng.choice(['apple.example', 'esp.example'])}</{ns}domain>"
                f"<{ns}selector>s{k}</{ns}selector><{ns}result>{rng.choice(results)}</{ns}result></{ns}dkim>"
                for k in range(rng.randrange(0, 3))
            )
            spf = (
                f"<{ns}spf><{ns}domain>{rng.choice(['apple.example', 'bounce.esp.example'])}</{ns}domain>"
                f"<{ns}scope>{rng.choice(['mfrom', 'helo'])}</{ns}scope>"
                f"<{ns}result>{rng.choice(results)}</{ns}result></{ns}spf>"
            )
            records.append(
                f"<{ns}record><{ns}row><{ns}source_ip>{ip}</{ns}source_ip>"
                f"<{ns}count>{rng.randrange(1, 5000)}</{ns}count><{ns}policy_evaluated>"
                f"<{ns}disposition>{rng.choice(['none', 'quarantine', 'reject', 'None'])}</{ns}disposition>"
                f"<{ns}dkim>{dk}</{ns}dkim><{ns}spf>{sp}</{ns}spf>{reason}</{ns}policy_evaluated></{ns}row>"
                f"<{ns}identifiers><{ns}header_from>{domain.rstrip('.').lower()}</{ns}header_from></{ns}identifiers>"
                f"<{ns}auth_results>{dkim}{spf}</{ns}auth_results></{ns}record>"
            )
        xmlns = rng.choice(["", ' xmlns="urn:ietf:params:xml:ns:dmarc-2.0"'])
        doc = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<{ns}feedback{xmlns}><{ns}report_metadata>'
            f"<{ns}org_name>reporter{i % 5}.example</{ns}org_name><{ns}email>dmarc@reporter{i % 5}.example</{ns}email>"
            f"<{ns}report_id>r-{seed}-{i}</{ns}report_id><{ns}date_range><{ns}begin>{begin}</{ns}begin>"
            f"<{ns}end>{begin + 86_399}</{ns}end></{ns}date_range></{ns}report_metadata>"
            f"<{ns}policy_published><{ns}domain>{domain}</{ns}domain><{ns}p>none</{ns}p></{ns}policy_published>"
            + "".join(records)
            + f"</{ns}feedback>\n"
        ).encode()
        base = os.path.join(directory, f"synthetic-{i:02}")
        kind = rng.choice(["xml", "gz", "zip"])
        if kind == "xml":
            path = base + ".xml"
            open(path, "wb").write(doc)
        elif kind == "gz":
            path = base + ".xml.gz"
            open(path, "wb").write(gzip.compress(doc, mtime=0))
        else:
            path = base + ".zip"
            with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr(f"synthetic-{i:02}.xml", doc)
        paths.append(path)
    return paths


def synthesize_tls(directory, count, seed):
    """`count` made-up SMTP TLS reports in `directory`, from a seeded generator: 1 to 3
    policies each (sts with its policy string, tlsa, no-policy-found), 0 to 6 failure details
    of any result type, domains and MX names in any case, counts now and then quoted; saved as
    JSON, gzip, or a mail with an application/tlsrpt+gzip or +json attachment; a few are not
    reports (no report-id, a policy type RFC 8460 does not have), which both must refuse.
    Returns their paths."""
    import base64
    import gzip
    import os
    import random

    rng = random.Random(seed)
    results = [
        "starttls-not-supported", "certificate-host-mismatch", "certificate-expired",
        "certificate-not-trusted", "validation-failure", "tlsa-invalid", "dnssec-invalid",
        "dane-required", "sts-policy-fetch-error", "sts-policy-invalid", "sts-webpki-invalid",
    ]
    paths = []
    for i in range(count):
        begin = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
            days=rng.randrange(0, 330)
        )
        stamp = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")
        policies = []
        for _ in range(rng.randrange(1, 4)):
            kind = rng.choice(["sts", "sts", "tlsa", "no-policy-found"])
            domain = rng.choice(["apple.example", "Orange.Example", "lab.example."])
            policy = {"policy-type": kind, "policy-domain": domain}
            if kind == "sts":
                mode = rng.choice(["testing", "enforce"])
                policy["policy-string"] = ["version: STSv1", f"mode: {mode}", "mx: mail.apple.example", "max_age: 86400"]
                policy["mx-host"] = rng.choice(["mail.apple.example", ["mail.apple.example", "*.apple.example"]])
            if kind == "tlsa":
                policy["policy-string"] = ["3 1 1 " + "ab" * 32]
            details = []
            for _ in range(rng.choice([0, 0, 1, 2, 6])):
                d = {"result-type": rng.choice(results), "failed-session-count": rng.randrange(1, 500)}
                if rng.random() < 0.8:
                    d["sending-mta-ip"] = rng.choice([f"192.0.2.{rng.randrange(1, 30)}", f"2001:db8::{rng.randrange(1, 30):x}"])
                if rng.random() < 0.7:
                    d["receiving-mx-hostname"] = rng.choice(["mail.apple.example", "MX2.Apple.Example", "mx.lab.example."])
                if rng.random() < 0.5:
                    d["receiving-ip"] = rng.choice(["192.0.2.25", "2001:db8:a::25"])
                if rng.random() < 0.2:
                    d["failure-reason-code"] = "X509_V_ERR_CERT_HAS_EXPIRED"
                details.append(d)
            failed = sum(d["failed-session-count"] for d in details) + rng.choice([0, 0, 3])
            ok = rng.randrange(0, 100_000)
            quote = rng.random() < 0.2
            entry = {
                "policy": policy,
                "summary": {
                    "total-successful-session-count": str(ok) if quote else ok,
                    "total-failure-session-count": failed,
                },
            }
            if details or rng.random() < 0.5:
                entry["failure-details"] = details
            policies.append(entry)
        report = {
            "organization-name": f"Sender{i % 4} Inc.",
            "date-range": {
                "start-datetime": stamp(begin),
                "end-datetime": stamp(begin + datetime.timedelta(seconds=86_399)),
            },
            "contact-info": f"tlsrpt@sender{i % 4}.example",
            "report-id": f"t-{seed}-{i}",
            "policies": policies,
        }
        broken = rng.random() < 0.1
        if broken:
            if rng.random() < 0.5:
                del report["report-id"]
            else:
                policies[0]["policy"]["policy-type"] = "dane"
        doc = json.dumps(report, indent=rng.choice([None, 2])).encode()
        base = os.path.join(directory, f"tls-{i:02}")
        form = rng.choice(["json", "gz", "mail-gz", "mail-json"])
        if form == "json":
            path = base + ".json"
            open(path, "wb").write(doc)
        elif form == "gz":
            path = base + ".json.gz"
            open(path, "wb").write(gzip.compress(doc, mtime=0))
        else:
            path = base + ".eml"
            media, body = (
                ("application/tlsrpt+gzip", base64.encodebytes(gzip.compress(doc, mtime=0)).decode())
                if form == "mail-gz"
                else ("application/tlsrpt+json", base64.encodebytes(doc).decode())
            )
            name = f"sender{i % 4}.example!apple.example!{int(begin.timestamp())}!0.json" + (
                ".gz" if form == "mail-gz" else ""
            )
            mail = (
                f"From: tlsrpt@sender{i % 4}.example\nTo: tlsrpt@apple.example\n"
                f"Subject: Report Domain: apple.example Submitter: sender{i % 4}.example\n"
                f"TLS-Report-Domain: apple.example\nTLS-Report-Submitter: sender{i % 4}.example\n"
                f'MIME-Version: 1.0\nContent-Type: multipart/report; report-type="tlsrpt"; boundary="b"\n\n'
                f"--b\nContent-Type: text/plain\n\nA TLS report.\n\n--b\n"
                f'Content-Type: {media}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
                f"Content-Transfer-Encoding: base64\n\n{body}\n--b--\n"
            )
            open(path, "w").write(mail)
        paths.append(path)
    return paths


def main():
    zonectl, files = sys.argv[1], sys.argv[2:]
    if files[:1] == ["--synthesize"]:
        directory, count, seed = files[1], int(files[2]), int(files[3])
        files = (
            files[4:]
            + synthesize(directory, count, seed)
            + synthesize_tls(directory, count // 2, seed)
        )
    passed = failed = 0
    for path in files:
        theirs, their_why = parsedmarc_view(path)
        ours, our_why = zonectl_view(zonectl, path)
        problems = []
        if (theirs is None) != (ours is None):
            problems.append(
                f"parsedmarc: {their_why or 'a report'}; zonectl: {our_why or 'a report'}"
            )
        elif theirs is not None:
            for key in sorted(set(theirs) | set(ours)):
                if theirs.get(key) != ours.get(key):
                    problems.append(f"{key}: parsedmarc {theirs.get(key)!r}, zonectl {ours.get(key)!r}")
        if problems:
            failed += 1
            print(f"not ok - {path}")
            for p in problems:
                print(f"    {p}")
        else:
            passed += 1
            if theirs is None:
                what = "no report for either"
            elif theirs.get("kind") == "smtp_tls":
                what = f"SMTP TLS report, {len(theirs['policies'])} polic(ies)"
            else:
                what = (
                    f"{theirs['messages']} message(s), {theirs['passed']} passing, "
                    f"{len(theirs['sources'])} source(s)"
                )
            print(f"ok - {path}: {what}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
