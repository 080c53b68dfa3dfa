#!/usr/bin/env bash
# Interop oracle for MTA-STS policy files (RFC 8461 §3.2) and MX matching (§4.1). Run by
# .ci/run after the report oracle.
#
# checkdmarc (pip, pinned below, in a venv under a temp dir) parses each policy file with
# parse_mta_sts_policy, and `zonectl --json mta-sts policy FILE --mx HOST…` reads the same file.
# They must agree, file by file, on whether senders can use it, and for one they can on its mode,
# max_age and mx patterns (without case), and for every host given on whether a pattern allows
# it (checkdmarc's mx_in_mta_sts_patterns). The files (tests/mta_sts/policy_oracle.py): fixed
# cases (RFC 8461's examples, each rule of the grammar broken once) and 200 made-up policies from
# a seeded generator (lines in any order, LF or CRLF, repeated and misspelt keys, extensions,
# patterns with wildcards, final dots, underscores, hyphens, stray carriage returns, a BOM).
#
# Needs: Debian 12's /usr/bin/python3 with python3-venv; PyPI reachable for
# `pip install checkdmarc==$CHECKDMARC_VERSION` (set CHECKDMARC_VENV to reuse a venv that already
# has it). Uses $ZONECTL, else ${CARGO_TARGET_DIR:-target}/debug/zonectl (built beforehand).
# Prints `ok`/`not ok` per file and "N passed, M failed"; exits 1 if any file disagreed.
set -euo pipefail

CHECKDMARC_VERSION=6.0.4

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ZONECTL=${ZONECTL:-$BUILT_ZONECTL}
[[ -e $ZONECTL ]] || { echo "tests/mta_sts/policy_oracle.sh: missing $ZONECTL" >&2; exit 1; }

work=$(mktemp -d /tmp/zonectl-mta-sts-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT

venv=${CHECKDMARC_VENV:-$work/venv}
pip_venv "$venv" checkdmarc "$CHECKDMARC_VERSION"
mkdir "$work/policies"
"$venv/bin/python" "$REPO/tests/mta_sts/policy_oracle.py" "$ZONECTL" "$work/policies" 200 2026
