#!/usr/bin/env bash
# Interop oracle for BIMI records, logos and mark certificates. Run by .ci/run after the MTA-STS policy oracle.
#
# checkdmarc (pip, pinned below, in a venv under a temp dir) judges each BIMI record with
# parse_bimi_record (its HTTPS fetches made to fail at once: nothing leaves the machine) and each
# logo with get_svg_metadata and check_svg_requirements; `zonectl --json bimi show` (the record
# published at a selector of its own in a scratch zone) and `zonectl --json bimi logo` judge the
# same. They must agree on which records and logos receivers can use, and for a logo both take
# on its title, its viewBox's size and whether it is square. zonectl checks more of SVG Tiny PS
# than checkdmarc (scripts, style sheets, images, editors' namespaces...): for a logo holding
# one, zonectl must refuse it. Mark certificates (made by tests/bimi/make_vmc.py) go through
# checkdmarc's get_certificate_metadata and `zonectl --json bimi evidence`: names, validity and
# the embedded logo's hash must agree. The cases (tests/bimi/oracle.py): fixed ones, each rule
# broken once, and 200 made-up records, 200 made-up logos and 50 made-up certificates from a
# seeded generator.
#
# Needs: Debian 12's /usr/bin/python3 with python3-venv; PyPI reachable for
# `pip install checkdmarc==$CHECKDMARC_VERSION` (set CHECKDMARC_VENV to reuse a venv that already
# has it). Uses $ZONECTL, else ${CARGO_TARGET_DIR:-target}/debug/zonectl (built beforehand).
# Prints `ok`/`not ok` per case and "N passed, M failed"; exits 1 if any case disagreed.
set -euo pipefail

CHECKDMARC_VERSION=6.0.4

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ZONECTL=${ZONECTL:-$BUILT_ZONECTL}
[[ -e $ZONECTL ]] || { echo "tests/bimi/oracle.sh: missing $ZONECTL" >&2; exit 1; }

work=$(mktemp -d /tmp/zonectl-bimi-oracle.XXXXXX)
trap 'rm -rf "$work"' EXIT

venv=${CHECKDMARC_VENV:-$work/venv}
pip_venv "$venv" checkdmarc "$CHECKDMARC_VERSION"
"$venv/bin/python" "$REPO/tests/bimi/oracle.py" "$ZONECTL" "$work" 200 2026
