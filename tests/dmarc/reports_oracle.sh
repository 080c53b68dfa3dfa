#!/usr/bin/env bash
# Interop oracle for `zonectl dmarc report` and `zonectl tlsrpt report`. Run by .ci/run after
# the DMARC record oracle.
#
# parsedmarc (pip, pinned below, in a venv under a temp dir; read offline: no DNS, no GeoIP)
# and `zonectl --json dmarc report` read the same files, and must agree, file by file, on
# whether it holds a report; its reporter, id, policy domain and period; its messages in all,
# passing DMARC, DKIM- and SPF-aligned; each source IP's messages and failing messages; the
# messages per disposition and per override reason (tests/dmarc/reports_oracle.py). For an SMTP
# TLS report (RFC 8460), `zonectl --json tlsrpt report` must agree on its reporter, id and
# period, and per policy on its type, domain, sessions and failure details. The files:
#   - every report of ../shared/corpus/dmarc-aggregate (parsedmarc's, OpenDMARC's and
#     Mail::DMARC's test data: XML, gzip, zip, mail; broken XML, invalid UTF-8, an empty file);
#   - the example reports shipped in reports/ (DMARC and SMTP TLS);
#   - 60 made-up DMARC reports from a seeded generator (1 to 40 records each, results in any
#     case, override reasons, HELO-scoped SPF, RFC 9990's namespace; XML, gzip or zip);
#   - 30 made-up SMTP TLS reports from a seeded generator (sts, tlsa and no-policy-found
#     policies, failure details of every result type, quoted counts; JSON, gzip, or mailed
#     as application/tlsrpt+gzip or +json; a few that both must refuse).
#
# Needs: Debian 12's /usr/bin/python3 with python3-venv; PyPI reachable for
# `pip install parsedmarc==$PARSEDMARC_VERSION` (set PARSEDMARC_VENV to reuse a venv that
# already has it). Uses $ZONECTL, else ${CARGO_TARGET_DIR:-target}/debug/zonectl (built by
# `cargo build` beforehand). Prints `ok`/`not ok` per file and "N passed, M failed"; exits 1 if
# any file disagreed.
set -euo pipefail

PARSEDMARC_VERSION=11.1.0

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ZONECTL=${ZONECTL:-$BUILT_ZONECTL}
corpus=${ZONECTL_CORPUS:-$REPO/../shared/corpus}/dmarc-aggregate

for need in "$ZONECTL" "$corpus" "$REPO/reports"; do
    [[ -e $need ]] || { echo "tests/dmarc/reports_oracle.sh: missing $need" >&2; exit 1; }
done

work=$(mktemp -d /tmp/zonectl-reports-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT

venv=${PARSEDMARC_VENV:-$work/venv}
pip_venv "$venv" parsedmarc "$PARSEDMARC_VERSION"

# Every file of the corpus that is a report or was meant as one (the schema and parsedmarc's
# own verdicts are not).
mapfile -t files < <(find "$corpus" -type f ! -name '*.xsd' ! -name 'ORACLE-*' | sort)
mkdir "$work/synthetic"
TZ=UTC "$venv/bin/python" "$REPO/tests/dmarc/reports_oracle.py" "$ZONECTL" \
    --synthesize "$work/synthetic" 60 2026 "${files[@]}" "$REPO"/reports/*
