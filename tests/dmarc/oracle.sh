#!/usr/bin/env bash
# Interop oracle for `zonectl dmarc` (issue 5). Run by .ci/run after the DKIM oracle.
#
# Starts `zonectl serve` on a free 127.0.0.1 port over a copy of the shipped zones/, then:
#   - checkdmarc (pip, pinned below, in a venv under the temp dir) against every DMARC record
#     zonectl writes: `dmarc set` with p sp np adkim aspf fo rua (two mailto URIs, one with
#     `!10m`) ruf t psd and RFC 7489's pct rf ri, `dmarc rollout next --force` through every
#     stage and `back` down again, `dmarc authorize`. After each write the record zonectl
#     printed, the record it serves and the record checkdmarc reads must all equal the expected
#     canonical text, and checkdmarc must call it valid with no error, found at the domain
#     itself. checkdmarc's warnings are listed, not failed on (see "Tolerated" below).
#     The external rua destination: checkdmarc must warn that orange.example does not accept
#     apple.example's reports before `dmarc authorize orange.example apple.example`, and not
#     after (RFC 7489 §7.1).
#   - `zonectl dmarc evaluate --json`'s SPF result against pyspf (Debian's python3-spf,
#     ../shared/corpus/oracles/spf_check.py) for the same (IP, MAIL FROM, HELO) over the served
#     zones; evaluate runs once reading the zones and once with --resolver pointed at the
#     server, and both must equal pyspf's result.
#
# Only the DMARC part of checkdmarc's report counts. The rest is checkdmarc's opinion of the
# lab domains, not of the DMARC records: no DNSSEC, no PTR for the MX addresses (the server is
# not authoritative for in-addr.arpa/ip6.arpa and answers REFUSED), no MTA-STS, TLS-RPT or BIMI
# records. The script prints it once and goes on.
#
# Tolerated DMARC warnings (each is checkdmarc's advice, not a validity problem, and zonectl
# writes what the operator asked for):
#   - "A p tag value of none makes DMARC unenforced": p=none is the first rollout stage.
#   - "Support for the pct/rf/ri tag was removed in RFC 9989": zonectl accepts them with the same
#     warning, and writes pct=0 with t=y on purpose so RFC 7489 receivers hold back (README).
#   - "The size limit (`!size`) on rua URI … is obsolete in RFC 9989": the issue asks for
#     `!size` to be accepted; RFC 7489 §6.2 defines it and RFC 9989 receivers ignore it, and
#     zonectl gives the same warning.
#   - "rua tag … not found": a rollout of a zone without rua (orange.example) is allowed;
#     `dmarc check` warns about it too.
#   - the report authorization warning before `dmarc authorize` (asserted, see above).
#
# Needs: Debian 12's /usr/bin/python3 with python3-venv, python3-spf, python3-dnspython; PyPI
# reachable for `pip install checkdmarc==$CHECKDMARC_VERSION` (set CHECKDMARC_VENV to reuse a
# venv that already has it). Uses $ZONECTL, else ${CARGO_TARGET_DIR:-target}/debug/zonectl
# (built by `cargo build` beforehand). Prints `ok`/`not ok` per check and "N passed, M failed";
# exits 1 if any check failed. The server it starts is stopped by its PID on exit. Helpers
# shared with the other shell tests are in tests/lib.sh.
set -euo pipefail

CHECKDMARC_VERSION=6.0.4

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ZONECTL=${ZONECTL:-$BUILT_ZONECTL}
oracles=${ZONECTL_ORACLES:-$REPO/../shared/corpus/oracles}
py=/usr/bin/python3 # Debian's, which sees python3-spf and python3-dnspython

for need in "$ZONECTL" "$oracles/checkdmarc_local.py" "$oracles/spf_check.py" "$REPO/zones"; do
    [[ -e $need ]] || { echo "tests/dmarc/oracle.sh: missing $need" >&2; exit 1; }
done
if ! "$py" -c 'import spf, dns.resolver' 2>/dev/null; then
    echo "tests/dmarc/oracle.sh: $py lacks pyspf or dnspython (apt-get install python3-spf python3-dnspython)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/zonectl-dmarc-oracle.XXXXXX)
trap 'stop_server; rm -rf "$work"' EXIT
cd "$work"

# ---- checkdmarc in a venv: Debian's python is externally managed (PEP 668). The venv sees
# Debian's site-packages; pip installs checkdmarc and whatever newer dependencies it needs
# (dnspython among them) inside the venv only.
venv=${CHECKDMARC_VENV:-$work/venv}
pip_venv "$venv" checkdmarc "$CHECKDMARC_VERSION" --system-site-packages
vpy=$venv/bin/python
"$vpy" -c 'import importlib.metadata as m
print("checkdmarc", m.version("checkdmarc"), "· dnspython", m.version("dnspython"), "(venv)")'
"$py" -c 'import spf, dns.version; print("pyspf", spf.__version__, "· dnspython", dns.version.version, "(Debian)")'

# ---- zonectl serve over a copy of the shipped zones
mkdir zones keys
cp "$REPO"/zones/*.zone zones/
serve_here tests/dmarc/oracle.sh apple.example

# report NAME RC DETAIL: one ok/not ok line; DETAIL (indented) after a failure.
report() {
    if [[ $2 -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        printf 'ok      %s\n' "$1"
    else
        FAILED=$((FAILED + 1))
        printf 'not ok  %s\n' "$1"
        [[ -z $3 ]] || sed 's/^/        /' <<<"$3"
    fi
}

# served_txt NAME: the TXT values served for NAME, strings joined, one per line (dnspython);
# nothing for NXDOMAIN or no TXT, "(DNS error: …)" if the server does not answer.
served_txt() {
    "$py" -c 'import sys, dns.exception, dns.resolver
r = dns.resolver.Resolver(configure=False); r.nameservers = ["127.0.0.1"]; r.port = int(sys.argv[1])
try:
    print("\n".join(b"".join(rd.strings).decode() for rd in r.resolve(sys.argv[2], "TXT")))
except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
    pass
except dns.exception.DNSException as e:
    print(f"(DNS error: {e})")' "$PORT" "$1"
}

# checkdmarc DOMAIN: checkdmarc's whole report (JSON) for DOMAIN, asked of the server.
checkdmarc() { "$vpy" "$oracles/checkdmarc_local.py" "$PORT" "$1"; }

# The DMARC part of a checkdmarc report: exit 0 if the record equals WANT, is valid, has no
# error and was found at DOMAIN itself; AUTH is "unauthorized:DEST" (checkdmarc must warn that
# DEST does not accept DOMAIN's reports), "authorized" (no such warning) or "-". Prints the
# problems, then the warnings, one per line.
verdict() { "$py" verdict.py "$@"; }
cat >verdict.py <<'PY'
import json, sys
path, domain, want, auth = sys.argv[1:]
d = json.load(open(path)).get("dmarc", {})
problems = []
if d.get("record") != want:
    problems.append(f"checkdmarc read {d.get('record')!r}, zonectl wrote {want!r}")
if d.get("valid") is not True:
    problems.append(f"checkdmarc: not valid: {d.get('error', '(no error given)')}")
elif "error" in d:
    problems.append(f"checkdmarc error: {d['error']}")
if d.get("location") != domain:
    problems.append(f"checkdmarc found the record at {d.get('location')!r}, not {domain!r}")
warnings = d.get("warnings", [])
unauth = [w for w in warnings if "does not indicate that it accepts DMARC reports" in w]
if auth.startswith("unauthorized:"):
    dest = auth.split(":", 1)[1]
    if not any(w.startswith(f"{dest} does not indicate") and f"about {domain}" in w for w in unauth):
        problems.append(f"checkdmarc did not notice that {dest} has not authorized reports about {domain}")
elif auth == "authorized" and unauth:
    problems.append("checkdmarc still sees an unauthorized report destination")
for p in problems:
    print(p)
for w in warnings:
    print(f"warning (tolerated): {w}")
sys.exit(1 if problems else 0)
PY

# check_write NAME DOMAIN WANT AUTH ZONECTL-ARGS...: a DMARC write through the CLI, then
#   1. zonectl exits 0 and prints `+ _dmarc.DOMAIN. TTL IN TXT "WANT"`, and serves WANT;
#   2. checkdmarc reads WANT there and finds it valid (verdict above, AUTH passed on).
check_write() {
    local name=$1 domain=$2 want=$3 auth=$4
    shift 4
    local rc=0 printed served detail
    z "$@" >write.out 2>write.err || rc=$?
    printed=$(sed -nE "s/^\+ _dmarc\.${domain//./\\.}\. [0-9]+ IN TXT \"(.*)\"$/\1/p" write.out)
    served=$(served_txt "_dmarc.$domain")
    detail=""
    if [[ $rc -ne 0 || $printed != "$want" || $served != "$want" ]]; then
        detail=$(printf 'zonectl %s: exit %d\nwanted:  %s\nprinted: %s\nserved:  %s\n--- stdout\n%s\n--- stderr\n%s' \
            "$*" "$rc" "$want" "$printed" "$served" "$(cat write.out)" "$(cat write.err)")
        report "$name: zonectl writes and serves it" 1 "$detail"
    else
        report "$name: zonectl writes and serves it" 0 ""
    fi
    rc=0
    checkdmarc "$domain" >checkdmarc.json 2>checkdmarc.err || rc=$?
    if [[ $rc -ne 0 ]]; then
        report "$name: checkdmarc accepts it" 1 "checkdmarc exited $rc: $(cat checkdmarc.err)"
        return
    fi
    rc=0
    detail=$(verdict checkdmarc.json "$domain" "$want" "$auth") || rc=$?
    report "$name: checkdmarc accepts it" "$rc" "$detail"
    if [[ $rc -eq 0 && -n $detail ]]; then
        sed 's/^/        /' <<<"$detail"
    fi
}

echo "== checkdmarc's view of the shipped zones outside DMARC (not counted)"
if ! checkdmarc apple.example >first.json 2>first.err; then
    echo "tests/dmarc/oracle.sh: checkdmarc failed against zonectl serve:" >&2
    cat first.err >&2
    exit 1
fi
"$py" - first.json <<'PY' | sed 's/^/        /'
import json, sys
d = json.load(open(sys.argv[1]))
print("dnssec:", d.get("dnssec"))
for part in ("ns", "mx", "spf", "mta_sts", "smtp_tls_reporting", "bimi"):
    p = d.get(part, {})
    for w in p.get("warnings", []):
        print(f"{part}: warning: {w}")
    if p.get("error"):
        print(f"{part}: {p['error']}")
PY

rua='mailto:dmarc@apple.example,mailto:reports@orange.example!10m'

echo "== dmarc set apple.example"
check_write "p=none, rua with two URIs and !10m" apple.example \
    "v=DMARC1; p=none; rua=$rua" "unauthorized:orange.example" \
    dmarc set apple.example p=none "rua=$rua"

echo "== dmarc authorize orange.example apple.example"
rc=0
z dmarc authorize orange.example apple.example >auth.out 2>&1 || rc=$?
auth_txt=$(served_txt apple.example._report._dmarc.orange.example)
if [[ $rc -eq 0 && $auth_txt == "v=DMARC1" ]]; then
    report "authorize: apple.example._report._dmarc.orange.example TXT \"v=DMARC1\" served" 0 ""
else
    report "authorize: apple.example._report._dmarc.orange.example TXT \"v=DMARC1\" served" 1 \
        "$(printf 'exit %d, served %q\n%s' "$rc" "$auth_txt" "$(cat auth.out)")"
fi
rc=0
checkdmarc apple.example >checkdmarc.json 2>checkdmarc.err || rc=$?
detail=$(verdict checkdmarc.json apple.example "v=DMARC1; p=none; rua=$rua" authorized) || rc=$?
report "authorize: checkdmarc sees orange.example accept apple.example's reports" "$rc" "$detail"
# `dmarc check` exits 1 here (no DKIM key yet: not ready); only the destination line counts.
z --json dmarc check apple.example >check.json 2>/dev/null || true
dest=$("$py" -c 'import json, sys
print(next((i["status"] for i in json.load(open(sys.argv[1]))["items"]
            if i["check"] == "destination" and "reports@orange.example" in i["detail"]), "missing"))' \
    check.json 2>&1) || true
if [[ $dest == ok ]]; then
    report "authorize: dmarc check agrees (destination reports@orange.example ok)" 0 ""
else
    report "authorize: dmarc check agrees (destination reports@orange.example ok)" 1 "status: $dest"
fi

echo "== dmarc set apple.example: every RFC 9989 tag, then RFC 7489's"
base="rua=$rua"
check_write "p=quarantine sp=reject np=reject" apple.example \
    "v=DMARC1; p=quarantine; sp=reject; np=reject; $base" authorized \
    dmarc set apple.example p=quarantine sp=reject np=reject
check_write "adkim=s aspf=s" apple.example \
    "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=s; $base" authorized \
    dmarc set apple.example adkim=s aspf=s
check_write "fo=1:d:s ruf=mailto:forensic@apple.example" apple.example \
    "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=s; $base; ruf=mailto:forensic@apple.example; fo=1:d:s" authorized \
    dmarc set apple.example fo=1:d:s ruf=mailto:forensic@apple.example
check_write "t=y psd=n" apple.example \
    "v=DMARC1; p=quarantine; sp=reject; np=reject; t=y; adkim=s; aspf=s; psd=n; $base; ruf=mailto:forensic@apple.example; fo=1:d:s" authorized \
    dmarc set apple.example t=y psd=n
check_write "psd=y" apple.example \
    "v=DMARC1; p=quarantine; sp=reject; np=reject; t=y; adkim=s; aspf=s; psd=y; $base; ruf=mailto:forensic@apple.example; fo=1:d:s" authorized \
    dmarc set apple.example psd=y
check_write "RFC 7489's pct=0 rf=afrf ri=3600, psd removed" apple.example \
    "v=DMARC1; p=quarantine; sp=reject; np=reject; t=y; pct=0; adkim=s; aspf=s; $base; ruf=mailto:forensic@apple.example; fo=1:d:s; rf=afrf; ri=3600" authorized \
    dmarc set apple.example pct=0 rf=afrf ri=3600 psd=
check_write "p=reject fo=d, t pct rf ri removed" apple.example \
    "v=DMARC1; p=reject; sp=reject; np=reject; adkim=s; aspf=s; $base; ruf=mailto:forensic@apple.example; fo=d" authorized \
    dmarc set apple.example p=reject fo=d t= pct= rf= ri=
check_write "back to p=none with rua only" apple.example \
    "v=DMARC1; p=none; $base" authorized \
    dmarc set apple.example p=none sp= np= adkim= aspf= ruf= fo=

echo "== dmarc rollout apple.example: next --force through every stage, then back"
# No DKIM key is published in the shipped zones, so readiness fails: --force steps up anyway.
stages=(
    "quarantine (t=y)|v=DMARC1; p=quarantine; t=y; pct=0; $base"
    "quarantine|v=DMARC1; p=quarantine; $base"
    "reject (t=y)|v=DMARC1; p=reject; t=y; pct=0; $base"
    "reject|v=DMARC1; p=reject; $base"
)
for s in "${stages[@]}"; do
    check_write "rollout next --force → ${s%%|*}" apple.example "${s#*|}" authorized \
        dmarc rollout apple.example next --force
done
rc=0
z dmarc rollout apple.example next --force >beyond.out 2>&1 || rc=$?
if [[ $rc -eq 1 && $(served_txt _dmarc.apple.example) == "v=DMARC1; p=reject; $base" ]]; then
    report "rollout next --force at the last stage is refused and changes nothing" 0 ""
else
    report "rollout next --force at the last stage is refused and changes nothing" 1 \
        "$(printf 'exit %d\n%s' "$rc" "$(cat beyond.out)")"
fi
for ((i = ${#stages[@]} - 2; i >= 0; i--)); do
    s=${stages[i]}
    check_write "rollout back → ${s%%|*}" apple.example "${s#*|}" authorized \
        dmarc rollout apple.example back
done
check_write "rollout back → none" apple.example "v=DMARC1; p=none; $base" authorized \
    dmarc rollout apple.example back

echo "== dmarc rollout orange.example: from no record"
check_write "rollout next --force → none (creates the record)" orange.example "v=DMARC1; p=none" - \
    dmarc rollout orange.example next --force
check_write "rollout next --force → quarantine (t=y)" orange.example "v=DMARC1; p=quarantine; t=y; pct=0" - \
    dmarc rollout orange.example next --force
check_write "rollout back → none" orange.example "v=DMARC1; p=none" - \
    dmarc rollout orange.example back

echo "== dmarc evaluate's SPF result vs pyspf"
# ZONE|IP|MAIL FROM|HELO: apple.example publishes
# "v=spf1 ip4:192.0.2.25 ip6:2001:db8:a::25 mx -all" (mx: mail.apple.example, the same
# addresses), orange.example the same with 198.51.100.25 and 2001:db8:b::25.
cases=(
    "apple.example|192.0.2.25|bounce@apple.example|mail.apple.example"
    "apple.example|192.0.2.99|bounce@apple.example|mail.apple.example"
    "apple.example|192.0.2.26|bounce@apple.example|receiver.apple.example"
    "apple.example|2001:db8:a::25|bounce@apple.example|mail.apple.example"
    "apple.example|2001:db8:a::26|bounce@apple.example|mail.apple.example"
    "apple.example|::ffff:192.0.2.25|bounce@apple.example|mail.apple.example"
    "apple.example|192.0.2.25|BOUNCE@APPLE.EXAMPLE|mail.apple.example"
    "apple.example|192.0.2.25|bounce@sender.apple.example|mail.apple.example"
    "apple.example|192.0.2.25|bounce@no-such-host.apple.example|mail.apple.example"
    "apple.example|192.0.2.25|bounce@unknown-sender.example|mail.apple.example"
    "apple.example|192.0.2.25||apple.example"
    "apple.example|192.0.2.99||apple.example"
    "apple.example|192.0.2.25||mail.apple.example"
    "orange.example|198.51.100.25|bounce@orange.example|mail.orange.example"
    "orange.example|192.0.2.25|bounce@orange.example|mail.apple.example"
    "orange.example|2001:db8:b::25|bounce@orange.example|mail.orange.example"
    "orange.example|2001:db8:a::25|bounce@orange.example|mail.orange.example"
    "orange.example|198.51.100.25||orange.example"
)
for c in "${cases[@]}"; do
    IFS='|' read -r zone ip sender helo <<<"$c"
    rc=0
    pyspf=$("$py" "$oracles/spf_check.py" "$PORT" "$ip" "$sender" "$helo" 2>&1) || rc=$?
    want=$(sed -nE "s/^\('([a-z]+)',.*/\1/p" <<<"$pyspf")
    if [[ $rc -ne 0 || -z $want ]]; then
        report "SPF $ip MAIL FROM <$sender> HELO $helo: pyspf answers" 1 "$pyspf"
        continue
    fi
    for via in "served zones" "--resolver"; do
        extra=()
        [[ $via == --resolver ]] && extra=(--resolver "127.0.0.1:$PORT")
        rc=0
        out=$(z --json dmarc evaluate "$zone" --mail-from "$sender" --from "news@$zone" --ip "$ip" \
            --helo "$helo" "${extra[@]}" 2>&1) || rc=$?
        got=$("$py" -c 'import json, sys; print(json.load(sys.stdin)["spf"]["result"])' <<<"$out" 2>/dev/null) || got=""
        name="SPF $ip MAIL FROM <$sender> HELO $helo ($via): zonectl $got, pyspf $want"
        if [[ $rc -eq 0 && $got == "$want" ]]; then
            report "$name" 0 ""
        else
            report "$name" 1 "$(printf 'pyspf: %s\nzonectl (exit %d):\n%s' "$pyspf" "$rc" "$out")"
        fi
    done
done

summary
if [[ $FAILED -ne 0 ]]; then
    server_log_tail serve.log
    exit 1
fi
