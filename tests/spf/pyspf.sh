#!/usr/bin/env bash
# pyspf, the reference SPF implementation, run against the RFC 7208 test suite's zones served by
# `zonectl serve` (issue 4): ../shared/corpus/oracles/rfc7208_dns_runner.py writes each scenario
# as a root zone, asks zonectl to reload it, waits for its serial, and evaluates every case with
# pyspf over DNS. The score must equal Knot's baseline: 197 of 203 (5 cases need DNS timeouts,
# which an authoritative server does not produce, and pyspf's ptr-cname-loop differs).
#
# Needs: Debian's /usr/bin/python3 with python3-spf, python3-dnspython and python3-yaml; cargo.
# Usage: tests/spf/pyspf.sh   (from anywhere; CARGO_TARGET_DIR is honoured like cargo does)
# Helpers shared with the other shell tests are in tests/lib.sh.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
CORPUS=${ZONECTL_CORPUS:-$REPO/../shared/corpus}
ZONECTL=$BUILT_ZONECTL
PYTHON=/usr/bin/python3
EXPECTED_PASSED=197
EXPECTED_TOTAL=203

if ! "$PYTHON" -c 'import spf, dns.resolver, yaml' 2>/dev/null; then
    echo "tests/spf/pyspf.sh: $PYTHON lacks pyspf, dnspython or PyYAML" \
        "(apt-get install python3-spf python3-dnspython python3-yaml)" >&2
    exit 1
fi
(cd "$REPO" && cargo build --quiet)

WORK=$(mktemp -d)
trap 'stop_server; rm -rf "$WORK"' EXIT

# The runner writes OUTDIR/root.zone (and a copy per scenario); zonectl serves that one file as
# the root zone from an empty zones directory, so the copies are not mistaken for zones.
mkdir "$WORK/zones" "$WORK/out"
PORT=$(free_port)
cat >"$WORK/zonectl.toml" <<TOML
zones_dir = "$WORK/zones"
listen = ["127.0.0.1:$PORT"]
control = "$WORK/control.sock"
udp_workers = 1

[[zone]]
name = "."
file = "$WORK/out/root.zone"
TOML

"$ZONECTL" --config "$WORK/zonectl.toml" serve 2>"$WORK/serve.log" &
SERVER_PID=$!
wait_for_server tests/spf/pyspf.sh "$WORK/serve.log" test -S "$WORK/control.sock"

RELOAD="'$ZONECTL' --config '$WORK/zonectl.toml' reload ."
"$PYTHON" "$CORPUS/oracles/rfc7208_dns_runner.py" "$CORPUS/spf/rfc7208-tests.yml" "$PORT" \
    "$WORK/out" "$RELOAD" >"$WORK/pyspf.out"
# Indented, so CI does not take pyspf's "N passed, M failed" for this script's own test count.
sed 's/^/    pyspf| /' "$WORK/pyspf.out"

SCORE=$(tail -n 1 "$WORK/pyspf.out")
WANT="$EXPECTED_PASSED passed, $((EXPECTED_TOTAL - EXPECTED_PASSED)) failed"
if [[ $SCORE != "$WANT" ]]; then
    echo "tests/spf/pyspf.sh: pyspf against zonectl scored '$SCORE', expected '$WANT' (Knot's baseline)" >&2
    server_log_tail "$WORK/serve.log"
    exit 1
fi
echo "pyspf against zonectl serve: $EXPECTED_PASSED of $EXPECTED_TOTAL, equal to Knot's baseline"
