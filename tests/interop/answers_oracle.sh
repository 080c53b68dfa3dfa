#!/usr/bin/env bash
# Answers judged by knotd, question for question: `zonectl serve`, knotd and nsd load the same
# zone files, and tests/interop/answers_oracle.py asks each of them the same questions about
# every name of every zone (over UDP with and without EDNS, and TCP) and compares the answers,
# and the zone each server transfers (see its docstring for what is compared, and the two
# differences that are by design).
#
# The zones, in rounds of servers that each load the same ones:
#   1. the shipped zones; tests/interop/answers.test.zone, made of the cases answers get wrong
#      (CNAME chains and loops, wildcards, DNAME, delegations and glue, empty non-terminals,
#      big RRsets); the corpus's NSD regression zones that Knot loads, each under its own
#      origin; and the RFC 8463 DKIM zone, a child of one of them; then what the server
#      tells of itself (answers_oracle.py --server: class CH and NSID), judged by knotd;
#   2. 200 zone files made up by tests/interop/gen_zones.py (seed GEN_ZONES_SEED, 1 unless
#      set), compared as each server read them; then RANDOM_EDITS (10 unless set) random edits
#      of each through zonectl (tests/interop/random_edits.py), and a knotd started again, and
#      BIND's named, must read from the files zonectl wrote the zones it serves;
#   3. to 18. each scenario of the RFC 7208 (SPF) suite, a root zone of TXT records as SPF
#      checkers meet them, with fewer questions each.
# Then no server: 5 mutants of each made-up zone file (tests/interop/mutants.py), a character
# or two changed; whichever kzonecheck accepts, `zonectl check` must accept, unless it refuses
# it on purpose (out-of-zone data, a CAA tag that is not alphanumeric, invalid RFC 3597 RDATA).
#
# Prints `ok - ...`/`not ok - ...` per zone and `N passed, M failed` at the end; exits 1 if
# anything failed.
# Needs: cargo, knotd, kzonecheck, nsd, named, Debian's /usr/bin/python3 with python3-dnspython.
# Usage: tests/interop/answers_oracle.sh   (from anywhere; CARGO_TARGET_DIR is honoured)
# Helpers shared with the other shell tests are in tests/lib.sh.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
CORPUS=${ZONECTL_CORPUS:-$REPO/../shared/corpus}
ZONECTL=$BUILT_ZONECTL
PYTHON=/usr/bin/python3
ORACLE=$REPO/tests/interop/answers_oracle.py

for tool in knotd kzonecheck nsd named; do
    if ! command -v "$tool" >/dev/null; then
        echo "tests/interop/answers_oracle.sh: $tool is missing (apt-get install knot knot-dnsutils nsd bind9)" >&2
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
    "zones/nsd/bug090_000_txt.zone|text-test.nl."
    "zones/nsd/bug095_screwy_wc.zone1|example."
    "zones/nsd/bug101_spf.zone|spf-test.nl."
    "zones/nsd/bug144_loc_defaults.zone|example.com."
    "zones/nsd/bug236_rrs_before_soa.zone|bug236_rrs_before_soa.net."
    "dkim/rfc8463-football.example.com.zone|football.example.com."
)

# identity, version and nsid, set alike for zonectl and knotd (the NSID in hex, "oracle-ns").
IDENTITY=("oracle.example" "oracle 1.0" "0x6f7261636c652d6e73")

WORK=$(mktemp -d)
PIDS=()
trap 'stop_pids PIDS; rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

# answers_for TITLE DIR ORACLE_FLAGS ORIGIN|FILE...: one round. zonectl (allowing transfers to
# loopback, so that its zones can be compared with knotd's), knotd and nsd serve those zone
# files from their own copies in DIR, and answers_oracle.py asks, with ORACLE_FLAGS (empty,
# --few, or --zones-only, which needs no nsd and goes on with the random edits). Adds its
# zones to PASSED and FAILED.
answers_for() {
    local title=$1 dir=$WORK/$2 flags=$3 row i who
    shift 3
    mkdir -p "$dir/zones" "$dir/knot" "$dir/nsd" "$dir/none"
    local origins=() files=()
    for row in "$@"; do
        origins+=("${row%%|*}")
        files+=("$dir/zones/${#files[@]}.zone")
        cp "${row#*|}" "${files[-1]}"
    done
    local zport kport nport
    zport=$(free_port)
    kport=$(free_port)
    nport=$(free_port)
    {
        printf 'zones_dir = "%s/none"\ncontrol = "%s/zonectl.sock"\n' "$dir" "$dir"
        printf 'listen = ["127.0.0.1:%s"]\ntransfer_allow = ["127.0.0.1"]\n' "$zport"
        printf 'identity = "%s"\nversion = "%s"\nnsid = "%s"\n' "${IDENTITY[@]}"
        for i in "${!origins[@]}"; do
            printf '[[zone]]\nname = "%s"\nfile = "%s"\n' "${origins[i]}" "${files[i]}"
        done
    } >"$dir/zonectl.toml"
    {
        printf 'server:\n  listen: 127.0.0.1@%s\n  rundir: %s/knot\n' "$kport" "$dir"
        printf '  identity: "%s"\n  version: "%s"\n  nsid: "%s"\n' "${IDENTITY[@]}"
        printf 'log:\n  - target: stderr\n    any: warning\n'
        printf 'database:\n  storage: %s/knot\n' "$dir"
        printf 'acl:\n  - id: loopback\n    address: 127.0.0.1\n    action: transfer\n'
        printf 'template:\n  - id: default\n    acl: loopback\n'
        printf '    zonefile-sync: -1\n    journal-content: none\n'
        printf 'zone:\n'
        for i in "${!origins[@]}"; do
            printf '  - domain: "%s"\n    file: %s\n' "${origins[i]}" "${files[i]}"
        done
    } >"$dir/knot.conf"
    {
        printf 'server:\n  ip-address: 127.0.0.1@%s\n  database: ""\n' "$nport"
        for i in pidfile:nsd.pid xfrdfile:xfrd.state zonelistfile:zone.list; do
            printf '  %s: "%s/nsd/%s"\n' "${i%%:*}" "$dir" "${i#*:}"
        done
        printf '  username: ""\n  chroot: ""\n  verbosity: 1\n  rrl-ratelimit: 0\n'
        printf 'remote-control:\n  control-enable: no\n'
        for i in "${!origins[@]}"; do
            printf 'zone:\n  name: "%s"\n  zonefile: %s\n' "${origins[i]}" "${files[i]}"
        done
    } >"$dir/nsd.conf"

    NO_COLOR=1 "$ZONECTL" --config "$dir/zonectl.toml" serve </dev/null 2>"$dir/zonectl.log" &
    PIDS+=($!)
    knotd -c "$dir/knot.conf" </dev/null 2>"$dir/knotd.log" &
    PIDS+=($!)
    local servers=(zonectl:"$zport" knotd:"$kport")
    if [[ $flags != --zones-only ]]; then # nsd is asked questions only
        nsd -d -c "$dir/nsd.conf" </dev/null 2>"$dir/nsd.log" &
        PIDS+=($!)
        servers+=(nsd:"$nport")
    fi
    for who in "${servers[@]}"; do
        if ! "$PYTHON" "$ORACLE" --wait "${who#*:}" "${origins[@]}"; then
            echo "tests/interop/answers_oracle.sh: ${who%%:*} does not answer every zone's SOA; its log:" >&2
            cat "$dir/${who%%:*}.log" >&2
            exit 1
        fi
    done

    printf '\n### %s\n' "$title"
    # shellcheck disable=SC2086 # flags: no word or one
    "$PYTHON" "$ORACLE" $flags "$zport" "$kport" "$nport" "${origins[@]}" | tee "$dir/oracle.out" || true
    count_oracle "$dir/oracle.out" "${#origins[@]}"
    if [[ -z $flags ]]; then
        printf '\n### %s: what the server tells of itself (class CH, NSID)\n' "$title"
        "$PYTHON" "$ORACLE" --server "$zport" "$kport" "${origins[0]}" "${IDENTITY[@]}" | tee "$dir/server.out" || true
        count_oracle "$dir/server.out" 1
    fi
    if [[ $flags == --zones-only ]]; then
        # Then random edits through zonectl, and a knotd started afresh on the files zonectl
        # wrote: it must read the zones zonectl serves.
        printf '\n### %s, after %s random edits each through zonectl: the files it wrote, as knotd reads them\n' \
            "$title" "$EDITS"
        if "$PYTHON" "$REPO/tests/interop/random_edits.py" "$ZONECTL" "$dir/zonectl.toml" "$zport" \
            "${GEN_ZONES_SEED:-1}" "$EDITS" "${origins[@]}"; then
            kill "${PIDS[1]}" && wait "${PIDS[1]}" || true
            knotd -c "$dir/knot.conf" </dev/null 2>"$dir/knotd.log" &
            PIDS[1]=$!
            "$PYTHON" "$ORACLE" --wait "$kport" "${origins[@]}" || true
            "$PYTHON" "$ORACLE" --zones-only "$zport" "$kport" "$nport" "${origins[@]}" |
                tee "$dir/edited.out" || true
            count_oracle "$dir/edited.out" "${#origins[@]}"
            # Answers after edits come from each zone's base and the overlay of what the edits
            # changed; knotd's from the files, loaded afresh. 50 of the zones are asked.
            printf '\n### %s, after the random edits: zonectl (the edits in memory) answers as knotd (the files)\n' \
                "$title"
            local asked=("${origins[@]:0:50}")
            "$PYTHON" "$ORACLE" --few "$zport" "$kport" 0 "${asked[@]}" |
                tee "$dir/edited-answers.out" || true
            count_oracle "$dir/edited-answers.out" "${#asked[@]}"
            # And BIND's named, loading the same files as their primary.
            printf '\n### %s, after the random edits: the files zonectl wrote, as named reads them\n' "$title"
            named_reads "$dir" "$zport" "${origins[@]}"
        else
            FAILED=$((FAILED + ${#origins[@]}))
        fi
    fi
    stop_pids PIDS
}

# named_reads DIR ZONECTL_PORT ORIGIN...: named, as the primary of those zones from the files
# DIR/zones/N.zone (N counting from 0, as answers_for copies them), its loading checks off but
# for syntax, must transfer the zones zonectl serves.
named_reads() {
    local dir=$1 zport=$2 bport i
    shift 2
    local origins=("$@")
    bport=$(free_port)
    named_setup "$dir"
    {
        named_options "$dir" "$bport" "allow-transfer { 127.0.0.1; }" "check-names primary ignore" \
            "check-integrity no" "check-mx ignore" "check-mx-cname ignore" "check-srv-cname ignore" \
            "check-wildcard no" "check-sibling no" "check-dup-records ignore"
        for i in "${!origins[@]}"; do
            printf 'zone "%s" { type primary; file "%s/zones/%s.zone"; };\n' "${origins[i]}" "$dir" "$i"
        done
    } >"$dir/named.conf"
    "$dir/named" -g -c "$dir/named.conf" </dev/null >"$dir/named.log" 2>&1 &
    PIDS+=($!)
    if ! "$PYTHON" "$ORACLE" --wait "$bport" "$@"; then
        echo "tests/interop/answers_oracle.sh: named does not answer every zone's SOA; its log:" >&2
        tail -40 "$dir/named.log" >&2
        FAILED=$((FAILED + $#))
        return
    fi
    "$PYTHON" "$ORACLE" --zones-read-by named "$zport" "$bport" 0 "$@" | tee "$dir/named.out" || true
    count_oracle "$dir/named.out" $#
}

# count_oracle OUTPUT ZONES: adds an oracle run's zones to PASSED and FAILED. A zone with no `ok`
# line failed, also when the oracle stopped before it.
count_oracle() {
    local passed
    passed=$(grep -c '^ok - ' "$1" || true)
    PASSED=$((PASSED + passed))
    FAILED=$((FAILED + $2 - passed))
}
EDITS=${RANDOM_EDITS:-10}

ROUND=()
for f in "$REPO"/zones/*.zone; do
    ROUND+=("$(basename "$f" .zone).|$f")
done
ROUND+=("answers.test.|$REPO/tests/interop/answers.test.zone")
for row in "${CORPUS_ZONES[@]}"; do
    ROUND+=("${row#*|}|$CORPUS/${row%%|*}")
done
answers_for "the shipped zones, answers.test and the corpus's zones" main "" "${ROUND[@]}"

# Made-up zone files in every syntax the generator knows, compared as each server read them.
mkdir -p "$WORK/made-up"
"$PYTHON" "$REPO/tests/interop/gen_zones.py" "$WORK/made-up" 200 "${GEN_ZONES_SEED:-1}"
ROUND=()
for f in "$WORK"/made-up/*.zone; do
    ROUND+=("$(basename "$f" .zone).|$f")
done
answers_for "200 made-up zone files (tests/interop/gen_zones.py, seed ${GEN_ZONES_SEED:-1})" \
    made-up-zones --zones-only "${ROUND[@]}"

# Fewer questions here (see answers_oracle.py's --few): the suite's names are many.
for f in "$CORPUS"/spf/rfc7208-zones/scenario*.zone; do
    answers_for "the RFC 7208 suite's $(basename "$f" .zone), a root zone" "$(basename "$f" .zone)" \
        --few ".|$f"
done

# The made-up zones again, each with a character or two changed: what Knot accepts, zonectl
# must accept (tests/interop/mutants.py), unless it refuses it on purpose.
printf '\n### 1000 made-up zone files with a character or two changed: kzonecheck and zonectl check\n'
mkdir -p "$WORK/mutants"
"$PYTHON" "$REPO/tests/interop/mutants.py" "$ZONECTL" "$WORK/made-up" "$WORK/mutants" \
    "${GEN_ZONES_SEED:-1}" 5 | tee "$WORK/mutants.out" || true
read -r passed _ failed _ < <(tail -n 1 "$WORK/mutants.out")
if [[ $passed =~ ^[0-9]+$ && $failed =~ ^[0-9]+$ ]]; then
    PASSED=$((PASSED + passed))
    FAILED=$((FAILED + failed))
else
    FAILED=$((FAILED + 1)) # the script stopped before its count
fi

summary
[[ $FAILED -eq 0 ]]
