#!/usr/bin/env bash
# Answers judged by knotd, question for question: `zonectl serve`, knotd and nsd load the same
# zone files, and tests/interop/answers_oracle.py asks each of them the same questions about
# every name of every zone (over UDP with and without EDNS, and TCP) and compares the answers
# (see its docstring for what is compared, and the two differences that are by design).
#
# The zones: the shipped ones; tests/interop/answers.test.zone, made of the cases answers get
# wrong (CNAME chains and loops, wildcards, DNAME, delegations and glue, empty non-terminals,
# big RRsets); and the corpus's NSD regression zones that Knot loads, each under its own origin.
#
# Needs: cargo, knotd, nsd, Debian's /usr/bin/python3 with python3-dnspython.
# Usage: tests/interop/answers_oracle.sh   (from anywhere; CARGO_TARGET_DIR is honoured)
# Helpers shared with the other shell tests are in tests/lib.sh.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
CORPUS=${ZONECTL_CORPUS:-$REPO/../shared/corpus}
ZONECTL=$BUILT_ZONECTL
PYTHON=/usr/bin/python3

for tool in knotd nsd; do
    if ! command -v "$tool" >/dev/null; then
        echo "tests/interop/answers_oracle.sh: $tool is missing (apt-get install knot nsd)" >&2
        exit 1
    fi
done
if ! "$PYTHON" -c 'import dns.query' 2>/dev/null; then
    echo "tests/interop/answers_oracle.sh: $PYTHON lacks dnspython (apt-get install python3-dnspython)" >&2
    exit 1
fi
(cd "$REPO" && cargo build --quiet)

# Corpus file | the origin it is written for. The corpus's other zone files are refused by
# Knot (section a of tests/interop/run.sh), or reuse one of these origins.
CORPUS_ZONES=(
    "nsd/bug090_000_txt.zone|text-test.nl"
    "nsd/bug095_screwy_wc.zone1|example"
    "nsd/bug101_spf.zone|spf-test.nl"
    "nsd/bug144_loc_defaults.zone|example.com"
    "nsd/bug236_rrs_before_soa.zone|bug236_rrs_before_soa.net"
)

WORK=$(mktemp -d)
PIDS=()
stop_all() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

Z=$WORK/zones
mkdir -p "$Z" "$WORK/knot" "$WORK/nsd"
cp "$REPO"/zones/*.zone "$REPO/tests/interop/answers.test.zone" "$Z"/
for row in "${CORPUS_ZONES[@]}"; do
    cp "$CORPUS/zones/${row%%|*}" "$Z/${row#*|}.zone"
done
ORIGINS=()
for f in "$Z"/*.zone; do
    ORIGINS+=("$(basename "$f" .zone)")
done

ZPORT=$(free_port)
KPORT=$(free_port)
NPORT=$(free_port)
printf 'zones_dir = "%s"\ncontrol = "%s/zonectl.sock"\nlisten = ["127.0.0.1:%s"]\n' \
    "$Z" "$WORK" "$ZPORT" >"$WORK/zonectl.toml"
{
    printf 'server:\n  listen: 127.0.0.1@%s\n  rundir: %s/knot\n' "$KPORT" "$WORK"
    printf 'log:\n  - target: stderr\n    any: warning\n'
    printf 'database:\n  storage: %s/knot\n' "$WORK"
    printf 'acl:\n  - id: loopback\n    address: 127.0.0.1\n    action: transfer\n'
    printf 'template:\n  - id: default\n    storage: %s\n    acl: loopback\n' "$Z"
    printf '    zonefile-sync: -1\n    journal-content: none\n'
    printf 'zone:\n'
    printf '  - domain: %s\n' "${ORIGINS[@]}"
} >"$WORK/knot.conf"
{
    printf 'server:\n  ip-address: 127.0.0.1@%s\n  zonesdir: "%s"\n  database: ""\n' "$NPORT" "$Z"
    for f in pidfile:nsd.pid xfrdfile:xfrd.state zonelistfile:zone.list; do
        printf '  %s: "%s/nsd/%s"\n' "${f%%:*}" "$WORK" "${f#*:}"
    done
    printf '  username: ""\n  chroot: ""\n  verbosity: 1\n  rrl-ratelimit: 0\n'
    printf 'remote-control:\n  control-enable: no\n'
    for o in "${ORIGINS[@]}"; do
        printf 'zone:\n  name: %s\n  zonefile: %s/%s.zone\n' "$o" "$Z" "$o"
    done
} >"$WORK/nsd.conf"

NO_COLOR=1 "$ZONECTL" --config "$WORK/zonectl.toml" serve </dev/null 2>"$WORK/zonectl.log" &
PIDS+=($!)
knotd -c "$WORK/knot.conf" </dev/null 2>"$WORK/knotd.log" &
PIDS+=($!)
nsd -d -c "$WORK/nsd.conf" </dev/null 2>"$WORK/nsd.log" &
PIDS+=($!)

# Each server must answer every zone's SOA within ~10 s.
for who in zonectl:$ZPORT knotd:$KPORT nsd:$NPORT; do
    for o in "${ORIGINS[@]}"; do
        for _ in $(seq 100); do
            if "$PYTHON" - "${who#*:}" "$o" <<'EOF' 2>/dev/null; then
import sys, dns.message, dns.query, dns.rcode
q = dns.message.make_query(sys.argv[2], "SOA")
r = dns.query.udp(q, "127.0.0.1", port=int(sys.argv[1]), timeout=0.5)
sys.exit(0 if r.rcode() == dns.rcode.NOERROR and r.answer else 1)
EOF
                continue 2
            fi
            sleep 0.1
        done
        echo "tests/interop/answers_oracle.sh: ${who%%:*} does not answer $o's SOA; its log:" >&2
        cat "$WORK/${who%%:*}.log" >&2
        exit 1
    done
done

"$PYTHON" "$REPO/tests/interop/answers_oracle.py" "$ZPORT" "$KPORT" "$NPORT" "${ORIGINS[@]}"
