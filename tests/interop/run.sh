#!/usr/bin/env bash
# Checks are single-quoted predicate strings that `check` evaluates later, so the variables they
# name are expanded then, on purpose (SC2016, SC2034).
# shellcheck disable=SC2016,SC2034,SC2001
# Interop tests: zonectl judged by independent DNS implementations.
#
#   a. Zone-file agreement: every shipped zone and every zone file in ../shared/corpus/zones/ is
#      checked by Knot (kzonecheck), BIND (named-checkzone) and `zonectl check --file`. Every
#      file Knot accepts must be accepted by zonectl; the other disagreements are only printed.
#   b. Answers: `zonectl serve` runs on a free loopback port with a generated test zone (plus the
#      shipped zones) and is queried with BIND's `dig` and Knot's `kdig`, over UDP and TCP.
#   c. Control verbs against the running server: status, freeze, reload (good and bad edits),
#      thaw, and the file watcher.
#   d. Zone transfers: knotd and BIND's named as secondaries of a zonectl that allows it,
#      pulling the test zone and the shipped zones, then edits and hand edits on zonectl's
#      NOTIFY, by IXFR (a difference, or the whole zone where a difference cannot be trusted),
#      after which each one's copy is zonectl's zone.
#   d2. DNSSEC: a knotd and a named secondary of zonectl each sign apple.example (knotd's
#      `dnssec-signing: on`, named's `dnssec-policy`); BIND's delv validates their answers, and
#      the DMARC step made on zonectl once they have it on zonectl's NOTIFY; and knotd's signed
#      zone loaded into zonectl: `check` warns, and delv finds it bogus.
#   e. TSIG: a zonectl whose transfers need a key made by `zonectl tsig generate`; dig, kdig and
#      dnspython verify its signed answers (dnspython every message of a long transfer), and a
#      knotd, an nsd and a named with the same key transfer, are notified (a signed NOTIFY)
#      and serve an edit.
#   e2. Rate limiting: a zonectl at 1 answer a second; dig and kdig get the truncated answer
#      past it and ask again over TCP.
#   f. A wildcard listen address: in a network namespace with loopback only (`unshare -n`, as
#      root), zonectl listens on 0.0.0.0 and [::], and dig checks that each answer comes from
#      the address it asked (dig drops any other), over IPv4 and IPv6 (tests/interop/wildcard.sh).
#
# Prints `ok - ...` / `not ok - ...` per check and `N passed, M failed` at the end; exits 1 if
# anything failed. Needs: cargo, kzonecheck, named-checkzone, dig, kdig, delv, knotd, knotc, nsd, named, openssl, base64,
# timeout.
# Usage: tests/interop/run.sh   (from anywhere; CARGO_TARGET_DIR is honoured like cargo does)
# Helpers shared with the other shell tests are in tests/lib.sh.
set -euo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
CORPUS=${ZONECTL_CORPUS:-$REPO/../shared/corpus}
ZONECTL=$BUILT_ZONECTL

WHY=""

ok() { PASSED=$((PASSED + 1)); echo "ok - $1"; }
not_ok() {
    FAILED=$((FAILED + 1))
    echo "not ok - $1"
    if [[ -n ${2:-} ]]; then
        sed 's/^/    # /' <<<"$2"
    fi
}
section() { printf '\n### %s\n' "$*"; }

for tool in cargo kzonecheck named-checkzone dig kdig delv knotd knotc named openssl base64 timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "tests/interop/run.sh: '$tool' is not installed (apt-get install knot knot-dnssecutils" \
            "knot-dnsutils bind9 bind9-utils bind9-dnsutils openssl)" >&2
        exit 1
    fi
done

section "build"
(cd "$REPO" && cargo build --tests)
if [[ ! -x $ZONECTL ]]; then
    echo "tests/interop/run.sh: $ZONECTL was not built" >&2
    exit 1
fi

# ---------------------------------------------------------------------------------------------
# a. Zone-file agreement with Knot and BIND
# ---------------------------------------------------------------------------------------------
section "zone files: Knot (kzonecheck) vs BIND (named-checkzone) vs zonectl check"

# Corpus files: path under $CORPUS/zones | origin (from $ORIGIN / the SOA owner; files whose SOA
# owner is `@` use the names their records are written under) | directory named-checkzone runs
# in (BIND resolves a relative $INCLUDE against its working directory, Knot and zonectl against
# the including file's directory; empty = the file's own directory, which is what Knot does).
CORPUS_TABLE=(
    "nsd/bug077_dname_length.zone|example.com.|"
    "nsd/bug086_chars.zone|spf-test.nl.|"
    "nsd/bug087_parse_at.zone|example.com.|"
    "nsd/bug090_000_txt.zone|text-test.nl.|"
    "nsd/bug095_screwy_wc.zone1|example.|"
    "nsd/bug101_spf.zone|spf-test.nl.|"
    "nsd/bug107_bad_hex_3597.zone|interop3597.rfc.se.|"
    "nsd/bug128_backslash_eos.zone|example.com.|"
    "nsd/bug144_loc_defaults.zone|example.com.|"
    "nsd/bug236_rrs_before_soa.zone|bug236_rrs_before_soa.net.|"
    "nsd/include_rel/m/com/example.com.zone|example.com.|nsd/include_rel"
    "dnspython/example|example.|"
)

ZONE_ROWS=() # display|path|origin|bind-cwd
for f in "$REPO"/zones/*.zone; do
    [[ -e $f ]] || continue
    base=$(basename "$f" .zone)
    ZONE_ROWS+=("zones/$base.zone|$f|$base.|")
done
if [[ -d $CORPUS/zones ]]; then
    for row in "${CORPUS_TABLE[@]}"; do
        IFS='|' read -r rel origin bindcwd <<<"$row"
        if [[ ! -f $CORPUS/zones/$rel ]]; then
            not_ok "corpus file $rel exists" "missing: $CORPUS/zones/$rel"
            continue
        fi
        [[ -n $bindcwd ]] && bindcwd=$CORPUS/zones/$bindcwd
        ZONE_ROWS+=("corpus/$rel|$CORPUS/zones/$rel|$origin|$bindcwd")
    done
    # Every zone file in the corpus must be in the table (so none is silently skipped).
    while IFS= read -r f; do
        rel=${f#"$CORPUS/zones/"}
        found=no
        for row in "${CORPUS_TABLE[@]}"; do
            [[ ${row%%|*} == "$rel" ]] && found=yes
        done
        if [[ $found == no ]]; then
            not_ok "corpus zone file $rel has an origin in tests/interop/run.sh CORPUS_TABLE" \
                "add a line \"$rel|ORIGIN.|\" to CORPUS_TABLE"
        fi
    done < <(cd "$CORPUS/zones" && find nsd dnspython -type f \
        \( -name '*.zone' -o -name '*.zone1' -o -path 'dnspython/example' \) | sort |
        sed "s|^|$CORPUS/zones/|")
else
    not_ok "corpus directory $CORPUS/zones exists" "expected ../shared/corpus beside the repository"
fi

verdict() { if "$@" >/dev/null 2>&1; then echo accept; else echo reject; fi; }

TABLE=$(printf '%-46s %-27s %-8s %-8s %-8s\n' FILE ORIGIN KNOT BIND ZONECTL)
NOTES=""
for row in "${ZONE_ROWS[@]}"; do
    IFS='|' read -r shown path origin bindcwd <<<"$row"
    [[ -n $bindcwd ]] || bindcwd=$(dirname "$path")
    knot=$(verdict timeout 60 kzonecheck -o "$origin" "$path")
    bind=$(cd "$bindcwd" && verdict timeout 60 named-checkzone -q "${origin%.}" "$path")
    zc=$(verdict timeout 60 "$ZONECTL" check --file "$path" --origin "$origin")
    TABLE+=$'\n'$(printf '%-46s %-27s %-8s %-8s %-8s' "$shown" "$origin" "$knot" "$bind" "$zc")
    if [[ $knot == accept ]]; then
        if [[ $zc == accept ]]; then
            ok "zone file $shown: Knot accepts it, so zonectl must accept it"
        else
            not_ok "zone file $shown: Knot accepts it, so zonectl must accept it" \
                "zonectl check --file $path --origin $origin:
$("$ZONECTL" check --file "$path" --origin "$origin" 2>&1 | head -20)"
        fi
    elif [[ $zc == accept ]]; then
        knot_errors=$(kzonecheck -v -o "$origin" "$path" 2>&1 | grep -iE 'error|missing' || true)
        NOTES+="note: $shown: Knot rejects it ($(grep -c . <<<"$knot_errors") error lines), "
        NOTES+="zonectl accepts it. Knot's first: $(head -1 <<<"$knot_errors")"$'\n'
    fi
done
echo
echo "$TABLE"
[[ -z $NOTES ]] || printf '\n%s' "$NOTES"
echo "(named-checkzone runs in the file's directory, include_rel in its test root as NSD's test"
echo " does; Knot and zonectl resolve \$INCLUDE against the including file's directory.)"

# ---------------------------------------------------------------------------------------------
# b. Answers judged by dig and kdig
# ---------------------------------------------------------------------------------------------
section "answers: zonectl serve queried with dig and kdig"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zonectl-interop.XXXXXX")
# The servers sections d to e2 start beside SERVER_PID (other zonectls, knotd, nsd, named),
# stopped by PID.
XFR_PIDS=()
trap 'stop_server; stop_pids XFR_PIDS; rm -rf "$TMP"' EXIT
trap 'exit 130' INT TERM

ZONES=$TMP/zones
CONTROL=$TMP/zonectl.sock
mkdir -p "$ZONES"
cp "$REPO"/zones/*.zone "$ZONES"/ # the shipped zones, served beside the test zone

ORIGIN=interop.test
ZFILE=$ZONES/$ORIGIN.zone
SERIAL=2025010101

# A real 2048-bit RSA public key, as a DKIM record carries it (392 base64 characters).
DKIM_P=$(openssl genrsa 2048 2>/dev/null | openssl rsa -pubout -outform DER 2>/dev/null | base64 -w0)
if [[ ${#DKIM_P} -ne 392 ]]; then
    echo "tests/interop/run.sh: openssl gave a ${#DKIM_P}-character key, expected 392" >&2
    exit 1
fi
DKIM_ALL="v=DKIM1; k=rsa; p=$DKIM_P"
DKIM_S1=${DKIM_ALL:0:255} # the longest string a TXT record can hold
DKIM_S2=${DKIM_ALL:255}
SPF='v=spf1 ip4:192.0.2.25 ip6:2001:db8::25 mx -all'

# write_zone SERIAL [EXTRA-LINES] — writes the test zone to a temporary file, then renames it
# over the zone file (the way vim and `sed -i` save).
write_zone() {
    local serial=$1 extra=${2:-} i
    {
        cat <<EOF
; zonectl interop test zone (generated by tests/interop/run.sh)
\$ORIGIN $ORIGIN.
\$TTL 3600
@         3600 IN SOA ns1.$ORIGIN. hostmaster.$ORIGIN. ( $serial 7200 900 1209600 300 )
@              IN NS    ns1
@              IN NS    ns2
@              IN MX    10 mail
@              IN TXT   "$SPF"
ns1            IN A     192.0.2.1
ns2            IN A     192.0.2.2
ns2            IN AAAA  2001:db8::2
mail           IN A     192.0.2.25
mail           IN AAAA  2001:db8::25
sel._domainkey IN TXT   ( "$DKIM_S1"
                          "$DKIM_S2" )
www            IN CNAME web
web            IN A     192.0.2.80
chain          IN CNAME www
outside        IN CNAME target.example.net.
*.wild         IN A     192.0.2.99
*.wild         IN TXT   "from the wildcard"
y.x.wild       IN A     192.0.2.98     ; x.wild is an empty non-terminal under the wildcard's parent
a.b.ent        IN A     192.0.2.97     ; b.ent and ent are empty non-terminals
old            IN DNAME new.$ORIGIN.
host.new       IN A     192.0.2.77
sub            IN NS    ns.sub
ns.sub         IN A     192.0.2.53     ; glue
unknown        IN TYPE65280 \# 4 0A000001
generic-a      IN TYPE1 \# 4 C0000201
EOF
        # 30 TXT records at one name: about 2.2 kB, more than 1232 bytes.
        for i in $(seq -w 1 30); do
            echo "big            IN TXT   \"big record $i: 0123456789abcdefghijklmnopqrstuvwxyz0123456\""
        done
        # 10 TXT records: about 800 bytes, more than 512 and less than 1232.
        for i in $(seq -w 1 10); do
            echo "medium         IN TXT   \"medium record $i: 0123456789abcdefghijklmnopqrstuvwxyz012\""
        done
        [[ -z $extra ]] || printf '%s\n' "$extra"
    } >"$ZFILE.tmp"
    mv -f "$ZFILE.tmp" "$ZFILE"
}
write_zone "$SERIAL"

if ! kzonecheck -o "$ORIGIN." "$ZFILE" >/dev/null 2>&1; then
    not_ok "Knot accepts the generated test zone" "$(kzonecheck -v -o "$ORIGIN." "$ZFILE" 2>&1)"
fi

# --- start the server on a free port (bounded tries from a random base) ---
PORT=""
BASE=$((20000 + RANDOM % 30000))
for try in $(seq 0 9); do
    port=$((BASE + try * 7))
    NO_COLOR=1 "$ZONECTL" serve --zones-dir "$ZONES" --listen "127.0.0.1:$port" --control "$CONTROL" \
        </dev/null 2>>"$TMP/serve.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do # up to ~10 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        soa=$(dig @127.0.0.1 -p "$port" +norec +time=1 +tries=1 +short SOA "$ORIGIN" 2>/dev/null) || true
        if [[ " $soa " == *" $SERIAL "* ]]; then
            PORT=$port
            break
        fi
        sleep 0.1
    done
    [[ -n $PORT ]] && break
    stop_server
done
if [[ -z $PORT ]]; then
    not_ok "zonectl serve starts and answers" "$(tail -30 "$TMP/serve.log")"
    summary
    exit 1
fi
ok "zonectl serve starts and answers on 127.0.0.1:$PORT (pid $SERVER_PID)"

# --- query helpers ---
# q TOOL PROTO [ARGS...] runs one query and leaves the output in OUT.
OUT=""
CMD=""
q() {
    local tool=$1 proto=$2
    shift 2
    local args=(@127.0.0.1 -p "$PORT" +norec)
    if [[ $tool == dig ]]; then
        args+=(+time=3 +tries=1)
    else
        args+=(+time=3 +retry=0 +bufsize=1232) # kdig sends no EDNS unless asked; dig sends 1232
    fi
    if [[ $proto == tcp ]]; then args+=(+tcp); else args+=(+notcp +ignore); fi # dig 9.18 sends ANY over TCP unless told
    CMD="$tool ${args[*]} $*"
    OUT=$(timeout 20 "$tool" "${args[@]}" "$@" 2>&1) || true
}

# Predicates on OUT (dig and kdig formats); on failure they set WHY.
get_status() { sed -nE 's/.*->>HEADER<<-.*status: ([A-Z0-9]+).*/\1/p' <<<"$OUT" | head -1; }
get_flags() { sed -nE 's/^;; [Ff]lags: ?([^;]*);.*/\1/p' <<<"$OUT" | head -1; }
get_count() { grep -oE "$1: [0-9]+" <<<"$OUT" | head -1 | grep -oE '[0-9]+$' || true; }
# section NAME: the records of a section, one per line, fields separated by single spaces.
section_of() {
    awk -v want=";; $1 SECTION:" '
        index($0, want) == 1 { on = 1; next }
        on && (/^$/ || /^;; [A-Z]+ SECTION:/ || /^;; (Received|Query time)/) { exit }
        on && !/^;/ { $1 = $1; print }
    ' <<<"$OUT"
}
st() {
    local got
    got=$(get_status)
    [[ $got == "$1" ]] || { WHY="expected status $1, got '${got:-no response}'"; return 1; }
}
flag() {
    [[ " $(get_flags) " == *" $1 "* ]] || { WHY="expected flag '$1' in '$(get_flags)'"; return 1; }
}
noflag() {
    [[ " $(get_flags) " != *" $1 "* ]] || { WHY="flag '$1' must not be set: '$(get_flags)'"; return 1; }
}
count() {
    local got
    got=$(get_count "$1")
    [[ $got == "$2" ]] || { WHY="expected $1: $2, got '${got:-?}'"; return 1; }
}
# has SECTION 'owner ttl class type rdata' — that exact record is in the section (names compared
# case-insensitively).
has() {
    grep -Fxqi -- "$2" <<<"$(section_of "$1")" ||
        { WHY="expected in $1 section: $2"; return 1; }
}
edns() {
    grep -qE '^;; (OPT|EDNS) PSEUDOSECTION' <<<"$OUT" || { WHY="no OPT record in the response"; return 1; }
}
noedns() {
    ! grep -qE '^;; (OPT|EDNS) PSEUDOSECTION' <<<"$OUT" ||
        { WHY="OPT record in the response to a query without EDNS"; return 1; }
}
# short 'expected' — OUT (from a +short query) is exactly this.
short() {
    [[ $OUT == "$1" ]] || { WHY="expected +short output: $1"; return 1; }
}
qname_echo() {
    local got
    got=$(awk '{ sub(/^;+ */, ""); print $1 }' <<<"$(awk -v w=";; QUESTION SECTION:" \
        'index($0, w) == 1 { getline; print; exit }' <<<"$OUT")")
    [[ $got == "$1" ]] || { WHY="question echoed as '$got', expected '$1'"; return 1; }
}
via_udp() { # the answer really came over UDP (dig: "SERVER: ...(UDP)", kdig: "From ...(UDP)")
    grep -qE '^;; (SERVER:|From) .*\(UDP\)' <<<"$OUT" || { WHY="the answer did not come over UDP"; return 1; }
}
one_rrset() {
    local sets
    sets=$(section_of ANSWER | awk '{ print tolower($1), $4 }' | sort -u | wc -l)
    [[ $sets -eq 1 ]] || { WHY="expected exactly one RRset in the answer, got $sets"; return 1; }
}

# check DESCRIPTION EXPRESSION — evaluates the predicates against OUT.
check() {
    WHY=""
    if eval "$2"; then
        ok "$1"
    else
        not_ok "$1" "$WHY
\$ $CMD
$OUT"
    fi
}

SOA_NEG="$ORIGIN. 300 IN SOA ns1.$ORIGIN. hostmaster.$ORIGIN. $SERIAL 7200 900 1209600 300"
SOA_ANS="$ORIGIN. 3600 IN SOA ns1.$ORIGIN. hostmaster.$ORIGIN. $SERIAL 7200 900 1209600 300"
Z=$ORIGIN
APPLE_SPF=$(grep -oE '"v=spf1[^"]*"' "$REPO/zones/apple.example.zone" | head -1)

for tool in dig kdig; do
    for proto in udp tcp; do
        t="[$tool/$proto]"

        q "$tool" "$proto" SOA "$Z"
        check "$t SOA at the apex: NOERROR, aa, the SOA with its own TTL" \
            'st NOERROR && flag aa && count ANSWER 1 && has ANSWER "$SOA_ANS"'
        check "$t EDNS: the response to an EDNS query carries an OPT record" 'edns'

        q "$tool" "$proto" +noedns SOA "$Z"
        check "$t EDNS: no OPT record in the response to a query without one" \
            'st NOERROR && noedns'

        q "$tool" "$proto" A "mail.$Z"
        check "$t A mail.$Z" 'st NOERROR && flag aa && has ANSWER "mail.$Z. 3600 IN A 192.0.2.25"'
        q "$tool" "$proto" AAAA "ns2.$Z"
        check "$t AAAA ns2.$Z" 'st NOERROR && flag aa && has ANSWER "ns2.$Z. 3600 IN AAAA 2001:db8::2"'
        q "$tool" "$proto" MX "$Z"
        check "$t MX at the apex" 'st NOERROR && flag aa && has ANSWER "$Z. 3600 IN MX 10 mail.$Z."'

        q "$tool" "$proto" +short TXT "$Z"
        check "$t SPF TXT returned as written" 'short "\"$SPF\""'
        q "$tool" "$proto" +short TXT "sel._domainkey.$Z"
        check "$t 2048-bit DKIM TXT: both strings byte for byte (255 + ${#DKIM_S2})" \
            'short "\"$DKIM_S1\" \"$DKIM_S2\""'

        q "$tool" "$proto" A "nope.$Z"
        check "$t NXDOMAIN: aa, no answer, SOA in authority with TTL min(3600, 300) = 300" \
            'st NXDOMAIN && flag aa && count ANSWER 0 && has AUTHORITY "$SOA_NEG"'
        q "$tool" "$proto" TXT "mail.$Z"
        check "$t NODATA: NOERROR, aa, no answer, SOA in authority with TTL 300" \
            'st NOERROR && flag aa && count ANSWER 0 && has AUTHORITY "$SOA_NEG"'
        q "$tool" "$proto" A "b.ent.$Z"
        check "$t empty non-terminal: NOERROR/NODATA (not NXDOMAIN) with the SOA" \
            'st NOERROR && flag aa && count ANSWER 0 && has AUTHORITY "$SOA_NEG"'

        q "$tool" "$proto" A "chain.$Z"
        check "$t CNAME chain followed inside the zone (chain -> www -> web)" \
            'st NOERROR && flag aa && count ANSWER 3 &&
             has ANSWER "chain.$Z. 3600 IN CNAME www.$Z." &&
             has ANSWER "www.$Z. 3600 IN CNAME web.$Z." &&
             has ANSWER "web.$Z. 3600 IN A 192.0.2.80"'
        q "$tool" "$proto" A "outside.$Z"
        check "$t CNAME leaving the zone: NOERROR, the CNAME alone" \
            'st NOERROR && flag aa && count ANSWER 1 &&
             has ANSWER "outside.$Z. 3600 IN CNAME target.example.net."'

        q "$tool" "$proto" A "foo.wild.$Z"
        check "$t wildcard: A synthesized at the query name" \
            'st NOERROR && flag aa && count ANSWER 1 && has ANSWER "foo.wild.$Z. 3600 IN A 192.0.2.99"'
        q "$tool" "$proto" MX "foo.wild.$Z"
        check "$t wildcard NODATA: the wildcard has no MX" \
            'st NOERROR && flag aa && count ANSWER 0 && has AUTHORITY "$SOA_NEG"'
        q "$tool" "$proto" A "x.wild.$Z"
        check "$t wildcard: an empty non-terminal is not covered by it (NODATA)" \
            'st NOERROR && flag aa && count ANSWER 0 && has AUTHORITY "$SOA_NEG"'
        q "$tool" "$proto" A "z.x.wild.$Z"
        check "$t wildcard: a name below an empty non-terminal is NXDOMAIN (RFC 4592 2.2.2)" \
            'st NXDOMAIN && flag aa && count ANSWER 0 && has AUTHORITY "$SOA_NEG"'

        q "$tool" "$proto" A "host.old.$Z"
        check "$t DNAME: the DNAME, the synthesized CNAME and the target's A" \
            'st NOERROR && flag aa && count ANSWER 3 &&
             has ANSWER "old.$Z. 3600 IN DNAME new.$Z." &&
             has ANSWER "host.old.$Z. 3600 IN CNAME host.new.$Z." &&
             has ANSWER "host.new.$Z. 3600 IN A 192.0.2.77"'

        q "$tool" "$proto" A "www.sub.$Z"
        check "$t delegation: referral, aa clear, NS in authority, glue in additional" \
            'st NOERROR && noflag aa && count ANSWER 0 &&
             has AUTHORITY "sub.$Z. 3600 IN NS ns.sub.$Z." &&
             has ADDITIONAL "ns.sub.$Z. 3600 IN A 192.0.2.53"'

        q "$tool" "$proto" A www.example.org
        check "$t a name in no served zone: REFUSED" 'st REFUSED && count ANSWER 0'

        q "$tool" "$proto" TYPE65280 "unknown.$Z"
        check "$t unknown type in RFC 3597 form" \
            'st NOERROR && flag aa && has ANSWER "unknown.$Z. 3600 IN TYPE65280 \\# 4 0A000001"'
        q "$tool" "$proto" A "generic-a.$Z"
        check "$t known type written in RFC 3597 form (TYPE1 \\# 4 C0000201) answers as A" \
            'st NOERROR && flag aa && has ANSWER "generic-a.$Z. 3600 IN A 192.0.2.1"'

        if [[ $tool == dig ]]; then # kdig lower-cases the query name before sending it
            q dig "$proto" TXT ApPlE.ExAmPlE
            check "$t case: the question is echoed as typed (ApPlE.ExAmPlE.)" \
                'st NOERROR && flag aa && qname_echo ApPlE.ExAmPlE. &&
                 has ANSWER "apple.example. 3600 IN TXT $APPLE_SPF"'
        fi

        if [[ $proto == udp ]]; then
            q "$tool" udp +bufsize=512 TXT "big.$Z"
            check "$t 2.2 kB TXT RRset, bufsize 512: TC set" 'via_udp && st NOERROR && flag tc'
            q "$tool" udp TXT "big.$Z"
            check "$t 2.2 kB TXT RRset, bufsize 1232: TC set" 'via_udp && st NOERROR && flag tc'
            q "$tool" udp +bufsize=512 TXT "medium.$Z"
            check "$t 800-byte TXT RRset, bufsize 512: TC set" 'via_udp && st NOERROR && flag tc'
            q "$tool" udp +bufsize=1232 TXT "medium.$Z"
            check "$t 800-byte TXT RRset, bufsize 1232: the client's size is honoured, no TC" \
                'via_udp && st NOERROR && noflag tc && count ANSWER 10'
            q "$tool" udp ANY "$Z"
            check "$t ANY over UDP: a single RRset (RFC 8482)" \
                'via_udp && st NOERROR && one_rrset'
        else
            q "$tool" tcp +bufsize=512 TXT "big.$Z"
            check "$t 2.2 kB TXT RRset over TCP: no TC, all 30 records" \
                'st NOERROR && flag aa && noflag tc && count ANSWER 30'
        fi

        if [[ $tool == dig ]]; then # kdig cannot set an arbitrary opcode
            q dig "$proto" +opcode=3 SOA "$Z"
            check "$t unknown opcode 3: NOTIMP" 'st NOTIMP'
            q dig "$proto" +opcode=15 SOA "$Z"
            check "$t unknown opcode 15: NOTIMP" 'st NOTIMP'
        fi

        for shipped in "$REPO"/zones/*.zone; do
            name=$(basename "$shipped" .zone)
            spf=$(grep -oE '"v=spf1[^"]*"' "$shipped" | head -1)
            q "$tool" "$proto" +short TXT "$name"
            check "$t shipped zone: TXT $name is its SPF record $spf" 'short "$spf"'
        done
    done
done

# Malformed packets must be dropped or answered with FORMERR, never crash the server.
q dig udp +header-only
check "[dig/udp] query without a question: FORMERR or no answer" \
    '[[ -z $(get_status) || $(get_status) == FORMERR ]] || { WHY="got $(get_status)"; false; }'
for junk in '\x00' '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03ww' \
    '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01' \
    '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01\x00\x00\x01\x00\x01\x00\x00\x29\x10'; do
    printf '%b' "$junk" >"/dev/udp/127.0.0.1/$PORT" 2>/dev/null || true
done
sleep 0.3
q dig udp SOA "$Z"
check "after malformed UDP packets the server is alive and answers" \
    'kill -0 "$SERVER_PID" 2>/dev/null && st NOERROR && has ANSWER "$SOA_ANS"'

# ---------------------------------------------------------------------------------------------
# c. Control verbs against the running server
# ---------------------------------------------------------------------------------------------
section "control: status, freeze, reload, thaw, watch"

zc() { timeout 30 "$ZONECTL" --control "$CONTROL" "$@"; }
RC=0
ctl() { # ctl ARGS... -> OUT, RC
    CMD="zonectl --control $CONTROL $*"
    RC=0
    OUT=$(zc "$@" 2>&1) || RC=$?
}
rc_is() { [[ $RC -eq $1 ]] || { WHY="exit status $RC, expected $1"; return 1; }; }
out_has() { grep -qiF -- "$1" <<<"$OUT" || { WHY="output lacks '$1'"; return 1; }; }
serial_is() { # serial_is TOOL SERIAL
    q "$1" udp +short SOA "$Z"
    [[ $(awk '{ print $3 }' <<<"$OUT") == "$2" ]] || { WHY="expected serial $2"; return 1; }
}
# wait_serial SERIAL — bounded poll (10 s) until dig sees the serial.
wait_serial() {
    for _ in $(seq 100); do
        serial_is dig "$1" && return 0
        sleep 0.1
    done
    WHY="serial $1 not served within 10 s"
    return 1
}

ctl status
check "zonectl status: exit 0, lists $Z with serial $SERIAL" \
    'rc_is 0 && out_has "$Z" && out_has "$SERIAL" && out_has apple.example'

ctl freeze "$Z"
check "zonectl freeze $Z: exit 0" 'rc_is 0'

S2=$((SERIAL + 1))
write_zone "$S2" "added          IN TXT   \"reload-ok\""
sleep 1.5
check "frozen: an edited file is not picked up by the watcher (serial still $SERIAL)" \
    'serial_is dig "$SERIAL"'

ctl reload "$Z"
check "zonectl reload $Z after the edit (serial up): exit 0" 'rc_is 0'
for tool in dig kdig; do
    check "[$tool] the reloaded zone is served: serial $S2" 'serial_is "$tool" "$S2"'
    q "$tool" udp +short TXT "added.$Z"
    check "[$tool] the record added by the edit is served" 'short "\"reload-ok\""'
done

S3=$((SERIAL + 2))
write_zone "$S3" "added          IN TXT   \"reload-ok\"
broken         IN A     192.0.2.300"
BAD_LINE=$(grep -n '^broken ' "$ZFILE" | cut -d: -f1)
ctl reload "$Z"
check "zonectl reload $Z with a bad edit: exit 1, names the file and line ($ORIGIN.zone:$BAD_LINE)" \
    'rc_is 1 && out_has "$ORIGIN.zone:$BAD_LINE"'
for tool in dig kdig; do
    check "[$tool] after the failed reload the last good zone answers (serial $S2)" \
        'serial_is "$tool" "$S2"'
    q "$tool" udp +short TXT "added.$Z"
    check "[$tool] after the failed reload the last good data answers" 'short "\"reload-ok\""'
done
ctl status "$Z"
check "zonectl status $Z shows the reload error" 'out_has "$ORIGIN.zone:$BAD_LINE"'

S4=$((SERIAL + 3))
write_zone "$S4" "added          IN TXT   \"thawed\""
ctl thaw "$Z"
check "zonectl thaw $Z: exit 0" 'rc_is 0'
check "thaw picks up the file changed while frozen (serial $S4)" 'wait_serial "$S4"'

S5=$((SERIAL + 4))
write_zone "$S5" "added          IN TXT   \"watched\""
check "watcher: a saved file (rename-over) is served without a reload (serial $S5)" \
    'wait_serial "$S5"'

ctl status "$Z"
check "zonectl status $Z: exit 0 after a good load, serial $S5" 'rc_is 0 && out_has "$S5"'

check "the server is still running" 'kill -0 "$SERVER_PID" 2>/dev/null || { WHY="server exited"; false; }'

# ---------------------------------------------------------------------------------------------
# c. Files zonectl writes: every edit verb's output must load in Knot and BIND.
section "files zonectl writes: kzonecheck and named-checkzone"
EDIR=$TMP/edits
mkdir -p "$EDIR/zones"
cp "$REPO"/zones/*.zone "$EDIR/zones/"
DKIM_P=$(openssl genrsa 2048 2>/dev/null | openssl rsa -pubout -outform DER 2>/dev/null | base64 -w0)
edit() { # edit DESCRIPTION ARGS... : run a zonectl edit (no server) and judge the written file
    local what=$1
    shift
    local out rc=0
    out=$("$ZONECTL" --zones-dir "$EDIR/zones" --control "$EDIR/none.sock" "$@" 2>&1) || rc=$?
    if [[ $rc -ne 0 ]]; then
        not_ok "zonectl $what: exit $rc" "$out"
        return
    fi
    local file=$EDIR/zones/apple.example.zone k b
    k=$(kzonecheck -o apple.example. "$file" 2>&1) && ok "kzonecheck accepts the file after: $what" ||
        not_ok "kzonecheck accepts the file after: $what" "$k"
    b=$(named-checkzone apple.example "$file" 2>&1) && ok "named-checkzone accepts the file after: $what" ||
        not_ok "named-checkzone accepts the file after: $what" "$b"
}
edit "record add _dmarc TXT" record add apple.example _dmarc TXT "v=DMARC1; p=none; rua=mailto:dmarc@apple.example"
edit "record set _dmarc TXT (p=quarantine)" record set apple.example _dmarc TXT "v=DMARC1; p=quarantine"
edit "record add a 2048-bit DKIM key (split at 255 bytes)" \
    record add apple.example sel1._domainkey TXT "v=DKIM1; k=rsa; p=$DKIM_P"
edit "record add MX" record add apple.example @ MX 20 backup.apple.example.
edit "record del ns AAAA (the next record keeps its owner)" record del apple.example ns AAAA
edit "apply a batch" apply apple.example - <<'BATCH'
add www A 192.0.2.80
set mail TXT "mail host"
del receiver AAAA
BATCH
edit "serial bump" serial bump apple.example
if grep -q '^; apple.example' "$EDIR/zones/apple.example.zone"; then
    ok "the operator's comments are still in the file"
else
    not_ok "the operator's comments are still in the file" "$(head -5 "$EDIR/zones/apple.example.zone")"
fi


# The same through the running server: it applies the edit, journals it and writes the file
# shortly after; `record show` asks it to write pending edits first, then the file is judged.
live() { # live DESCRIPTION ARGS... : an edit through the server on $PORT, then judge $ZFILE
    local what=$1
    shift
    local out rc=0 k b
    out=$("$ZONECTL" --zones-dir "$ZONES" --control "$CONTROL" --server "127.0.0.1:$PORT" "$@" 2>&1) || rc=$?
    if [[ $rc -ne 0 || $out != *"served: "* ]]; then
        not_ok "live edit $what: exit $rc, served" "$out"
        return
    fi
    "$ZONECTL" --zones-dir "$ZONES" --control "$CONTROL" record show "$ORIGIN" >/dev/null
    k=$(kzonecheck -o "$ORIGIN." "$ZFILE" 2>&1) && ok "kzonecheck accepts the file after live: $what" ||
        not_ok "kzonecheck accepts the file after live: $what" "$k"
    b=$(named-checkzone "$ORIGIN" "$ZFILE" 2>&1) && ok "named-checkzone accepts the file after live: $what" ||
        not_ok "named-checkzone accepts the file after live: $what" "$b"
}
live "record add TXT" record add "$ORIGIN" live-edit TXT "written by the server"
live "record set TXT" record set "$ORIGIN" live-edit TXT "rewritten by the server"
live "apply a batch" apply "$ORIGIN" - <<'BATCH'
add live-a A 192.0.2.201
add live-a AAAA 2001:db8::201
del live-edit TXT
BATCH
live "serial bump" serial bump "$ORIGIN"
check "[dig] a live edit is served" \
    'out=$(dig @127.0.0.1 -p "$PORT" +short AAAA "live-a.$ORIGIN") && [[ $out == "2001:db8::201" ]]'

# ---------------------------------------------------------------------------------------------
# d. Zone transfers: knotd and named as secondaries
# ---------------------------------------------------------------------------------------------
section "transfers: knotd and named as secondaries of zonectl"

check "[dig] AXFR is refused by a server without transfer_allow" \
    'CMD="dig AXFR $ORIGIN"; OUT=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 AXFR "$ORIGIN" 2>&1); [[ $OUT == *"Transfer failed"* ]] && ! grep -q "IN[[:space:]]SOA" <<<"$OUT"'

# served_serial PORT ZONE: the SOA serial the server on PORT answers for ZONE, or nothing.
served_serial() {
    dig @127.0.0.1 -p "$1" +norec +time=1 +tries=1 +short SOA "$2" 2>/dev/null | awk '{print $3}'
}
# A second zonectl over a copy of the zones, allowing transfers to loopback; knotd pulling every
# zone from it; and, as the reference, a knotd that loads the same files itself. All stopped by
# PID (stop_pids XFR_PIDS), also when this script exits.
XDIR=$TMP/xfr
mkdir -p "$XDIR/zones" "$XDIR/knot" "$XDIR/ref"
# The files as served: `record show` has the server write its pending edits first.
"$ZONECTL" --zones-dir "$ZONES" --control "$CONTROL" record show "$ORIGIN" >/dev/null
XSERIAL=$(served_serial "$PORT" "$ORIGIN")
cp "$ZONES"/*.zone "$XDIR/zones/"
XPORT=$(free_port)
KPORT=$(free_port)
RPORT=$(free_port)
BPORT=$(free_port)
# primary_config DIR PORT NOTIFIED_PORT...: DIR/zonectl.toml for a zonectl serving DIR/zones on
# 127.0.0.1:PORT that allows transfers to loopback and notifies 127.0.0.1 on each NOTIFIED_PORT.
primary_config() {
    local dir=$1 port=$2 notify
    shift 2
    notify=$(printf '"127.0.0.1:%s", ' "$@")
    printf 'zones_dir = "%s"\ncontrol = "%s"\nlisten = ["127.0.0.1:%s"]\ntransfer_allow = ["127.0.0.1"]\nnotify = [%s]\n' \
        "$dir/zones" "$dir/zonectl.sock" "$port" "${notify%, }" >"$dir/zonectl.toml"
}
primary_config "$XDIR" "$XPORT" "$KPORT" "$BPORT"
XZONES=()
for f in "$XDIR"/zones/*.zone; do
    XZONES+=("$(basename "$f" .zone)")
done
# knot_base PORT DIR LOG ACTION [KEYS]: the start of a knotd config: listening on
# 127.0.0.1@PORT, keeping its state in DIR, logging at LOG to stderr, with an acl `loopback` that
# allows ACTION from 127.0.0.1; with KEYS (a knot.conf `key:` section), signed with its key.
knot_base() {
    printf 'server:\n  listen: 127.0.0.1@%s\n  rundir: %s\n' "$1" "$2"
    printf 'log:\n  - target: stderr\n    any: %s\n' "$3"
    printf 'database:\n  storage: %s\n' "$2"
    [[ -z ${5:-} ]] || printf '%s\n' "$5"
    printf 'acl:\n  - id: loopback\n    address: 127.0.0.1\n    action: %s\n' "$4"
    [[ -z ${5:-} ]] || printf '    key: %s\n' "$(awk '/- id:/ {print $3; exit}' <<<"$5")"
}
{
    knot_base "$KPORT" "$XDIR/knot" info "[transfer, notify]"
    printf 'remote:\n  - id: zonectl\n    address: 127.0.0.1@%s\n' "$XPORT"
    printf 'template:\n  - id: default\n    storage: %s\n    master: zonectl\n    acl: loopback\n' "$XDIR/knot"
    printf '    zonefile-sync: -1\n    zonefile-load: none\n    journal-content: none\n'
    printf 'zone:\n'
    printf '  - domain: %s\n' "${XZONES[@]}"
} >"$XDIR/knot.conf"
{
    knot_base "$RPORT" "$XDIR/ref" warning transfer
    printf 'template:\n  - id: default\n    storage: %s\n    acl: loopback\n' "$XDIR/ref"
    printf '    zonefile-sync: -1\n    zonefile-load: whole\n    journal-content: none\n'
    printf 'zone:\n'
    for z in "${XZONES[@]}"; do
        printf '  - domain: %s\n    file: %s\n' "$z" "$XDIR/ref/$z.zone"
        cp "$XDIR/zones/$z.zone" "$XDIR/ref/$z.zone"
    done
} >"$XDIR/knot-ref.conf"
# BIND's named, a second secondary of the same zonectl, also notified.
named_setup "$XDIR"
{
    named_options "$XDIR" "$BPORT" "allow-notify { 127.0.0.1; }" "allow-transfer { 127.0.0.1; }"
    for z in "${XZONES[@]}"; do
        printf 'zone "%s" { type secondary; primaries port %s { 127.0.0.1; }; file "%s.db"; masterfile-format text; };\n' \
            "$z" "$XPORT" "$z"
    done
} >"$XDIR/named.conf"
knotd -c "$XDIR/knot-ref.conf" </dev/null 2>"$XDIR/knotd-ref.log" &
XFR_PIDS+=($!)

NO_COLOR=1 "$ZONECTL" --config "$XDIR/zonectl.toml" serve </dev/null 2>"$XDIR/serve.log" &
XFR_PIDS+=($!)

# wait_served_serial PORT ZONE SERIAL: up to ~20 s for the server on PORT to answer ZONE's SOA
# with SERIAL (section c's wait_serial polls the main server, for check's diagnostics).
wait_served_serial() {
    local _
    for _ in $(seq 200); do
        [[ $(served_serial "$1" "$2") == "$3" ]] && return 0
        sleep 0.1
    done
    return 1
}
# zone_records PORT ZONE: the zone by AXFR as kdig prints it, one record a line, sorted, the SOA
# once. kdig decodes both servers' messages alike, so equal text is an equal zone.
zone_records() {
    kdig @127.0.0.1 -p "$1" +tcp +noall +answer AXFR "$2" 2>&1 |
        awk 'NF && $1 !~ /^;/ {$1 = $1; print}' | sort -u
}

if wait_served_serial "$XPORT" "$ORIGIN" "$XSERIAL"; then
    ok "a zonectl with transfer_allow serves on 127.0.0.1:$XPORT"
else
    not_ok "a zonectl with transfer_allow serves on 127.0.0.1:$XPORT" "$(tail -20 "$XDIR/serve.log")"
fi
# knotd and named start once the primary answers: their first refresh then finds it.
knotd -c "$XDIR/knot.conf" </dev/null 2>"$XDIR/knotd.log" &
XFR_PIDS+=($!)
"$XDIR/named" -g -c "$XDIR/named.conf" </dev/null >"$XDIR/named.log" 2>&1 &
XFR_PIDS+=($!)
for z in "${XZONES[@]}"; do
    want=$(served_serial "$XPORT" "$z")
    if [[ -n $want ]] && wait_served_serial "$BPORT" "$z" "$want" &&
        [[ $(zone_records "$BPORT" "$z") == "$(zone_records "$XPORT" "$z")" ]]; then
        ok "named transferred $z (serial $want) and holds zonectl's zone"
    else
        not_ok "named transferred $z (serial ${want:-?}) and holds zonectl's zone" \
            "$(diff <(zone_records "$XPORT" "$z") <(zone_records "$BPORT" "$z") | head -10; grep -F "$z" "$XDIR/named.log" | tail -8)"
    fi
    if [[ -n $want ]] && wait_served_serial "$KPORT" "$z" "$want"; then
        ok "knotd transferred $z (serial $want)"
    else
        not_ok "knotd transferred $z (serial ${want:-?})" "$(grep -iF "$z" "$XDIR/knotd.log" | tail -8)"
        continue
    fi
    ours=$(zone_records "$XPORT" "$z")
    theirs=$(zone_records "$KPORT" "$z")
    wait_served_serial "$RPORT" "$z" "$want" || true
    ref=$(zone_records "$RPORT" "$z")
    if [[ -n $ref && $ref == "$theirs" && $ref == "$ours" ]]; then
        ok "knotd's copy of $z is the zone as Knot reads the file ($(wc -l <<<"$ref") records)"
    else
        not_ok "knotd's copy of $z is the zone as Knot reads the file" \
            "$(diff <(echo "$ref") <(echo "$theirs") | head -20)
zonectl's AXFR against the file as Knot reads it:
$(diff <(echo "$ref") <(echo "$ours") | head -20)"
    fi
done

# An edit: zonectl sends knotd a NOTIFY, and knotd asks by IXFR, which gets the difference.
# knotd's own refresh timer (the SOA's 7200 s) does not run out meanwhile.
out=$("$ZONECTL" --config "$XDIR/zonectl.toml" --server "127.0.0.1:$XPORT" \
    record set "$ORIGIN" xfr-edit TXT "after the transfer" 2>&1) || true
new=$(served_serial "$XPORT" "$ORIGIN")
if [[ -n $new && $new != "$XSERIAL" ]]; then
    ok "record set on the primary: serial $XSERIAL -> $new"
else
    not_ok "record set on the primary" "$out"
fi
if [[ -n $new ]] && wait_served_serial "$KPORT" "$ORIGIN" "$new" &&
    [[ $(dig @127.0.0.1 -p "$KPORT" +short TXT "xfr-edit.$ORIGIN") == '"after the transfer"' ]]; then
    ok "knotd serves the edit, notified by zonectl"
else
    not_ok "knotd serves the edit, notified by zonectl" \
        "$(grep -iF "$ORIGIN" "$XDIR/knotd.log" | tail -8; grep -i notify "$XDIR/serve.log" | tail -4)"
fi
if grep -q 'NOTIFY acknowledged' "$XDIR/serve.log" && grep -qi "notify, incoming.*serial $new" "$XDIR/knotd.log"; then
    ok "knotd received and acknowledged the NOTIFY of serial $new"
else
    not_ok "knotd received and acknowledged the NOTIFY" "$(grep -i notify "$XDIR/serve.log" "$XDIR/knotd.log" | tail -6)"
fi
if grep -q 'IXFR' "$XDIR/knotd.log"; then
    ok "knotd asked by IXFR: $(grep -m1 -F 'IXFR' "$XDIR/knotd.log" | cut -c1-160)"
else
    not_ok "knotd asked by IXFR" "$(tail -8 "$XDIR/knotd.log")"
fi

# More changes, each sent to knotd and named as a difference: a record deleted, an RRset's TTL
# changed, and a hand edit of the file (a record added, the serial raised) that `reload` loads.
# After each, their copies are zonectl's zone record for record.
xfr_step() { # DESCRIPTION: the change was made; knotd and named follow and hold the same zone
    local serial who port log
    serial=$(served_serial "$XPORT" "$ORIGIN")
    for who in knotd:$KPORT:knotd.log named:$BPORT:named.log; do
        IFS=: read -r who port log <<<"$who"
        if [[ -n $serial ]] && wait_served_serial "$port" "$ORIGIN" "$serial" &&
            [[ $(zone_records "$XPORT" "$ORIGIN") == "$(zone_records "$port" "$ORIGIN")" ]]; then
            ok "$who follows $1 (serial $serial) and holds zonectl's zone"
        else
            not_ok "$who follows $1 (serial ${serial:-?}) and holds zonectl's zone" \
                "$(diff <(zone_records "$XPORT" "$ORIGIN") <(zone_records "$port" "$ORIGIN") | head -10; grep -iF "$ORIGIN" "$XDIR/$log" | tail -4)"
        fi
    done
}
xedit() {
    local out
    out=$("$ZONECTL" --config "$XDIR/zonectl.toml" --server "127.0.0.1:$XPORT" "$@" 2>&1) ||
        not_ok "zonectl $*" "$out"
}
xedit record del "$ORIGIN" xfr-edit TXT
xfr_step "a record deleted"
xedit record set "$ORIGIN" xfr-ttl A 300 192.0.2.1
xfr_step "a record added"
xedit record set "$ORIGIN" xfr-ttl A 600 192.0.2.1
xfr_step "an RRset's TTL changed"
# The hand edit goes into the file as the server wrote it (`record show` has it write first).
xedit record show "$ORIGIN"
hserial=$(served_serial "$XPORT" "$ORIGIN")
{
    sed "s/\b$hserial\b/$((hserial + 1))/" "$XDIR/zones/$ORIGIN.zone"
    echo "xfr-hand.$ORIGIN. 300 IN TXT \"by hand\""
} >"$XDIR/hand.zone"
mv "$XDIR/hand.zone" "$XDIR/zones/$ORIGIN.zone"
xedit reload "$ORIGIN"
xfr_step "a hand edit and a reload"
# A hand edit that keeps the serial (reload warns that secondaries will not see it): knotd
# still holds the serial with the records before it, so the next edit must reach it as the
# whole zone, not as the difference from that serial. The one after is a difference again.
xedit record show "$ORIGIN"
sed 's/"by hand"/"by hand, same serial"/' "$XDIR/zones/$ORIGIN.zone" >"$XDIR/hand.zone"
mv "$XDIR/hand.zone" "$XDIR/zones/$ORIGIN.zone"
xedit reload "$ORIGIN"
xedit record set "$ORIGIN" xfr-after A 192.0.2.2
xfr_step "a hand edit that kept the serial, then an edit"
xedit record set "$ORIGIN" xfr-later A 192.0.2.3
xfr_step "the next edit"
# zonectl stopped (SIGTERM, as `systemctl stop` sends) and started again: it saves the zone's
# history of differences when it stops and takes it back when it starts, so the next edit
# still reaches knotd as a difference.
zpid=${XFR_PIDS[1]}
kill -TERM "$zpid"
wait "$zpid" || true
XFR_PIDS=("${XFR_PIDS[0]}" "${XFR_PIDS[@]:2}")
NO_COLOR=1 "$ZONECTL" --config "$XDIR/zonectl.toml" serve </dev/null 2>>"$XDIR/serve.log" &
XFR_PIDS+=($!)
wait_served_serial "$XPORT" "$ORIGIN" "$(served_serial "$KPORT" "$ORIGIN")" || true
if grep -q "IXFR history restored.*zone=$ORIGIN" "$XDIR/serve.log"; then
    ok "zonectl took its IXFR history back after a restart: $(grep -m1 "IXFR history restored.*zone=$ORIGIN" "$XDIR/serve.log" | sed 's/.*INFO //' | cut -c1-160)"
else
    not_ok "zonectl took its IXFR history back after a restart" "$(tail -8 "$XDIR/serve.log")"
fi
xedit record set "$ORIGIN" xfr-restart A 192.0.2.4
xfr_step "an edit after zonectl restarted"
# Knot logs "AXFR-style IXFR" when an IXFR is answered with the whole zone: for the first
# change after zonectl first started (what it served at its first serial before is not known
# to it) and for the edit after the serial was reused; the other six were differences.
whole=$(grep -cF "[$ORIGIN.] IXFR, incoming, remote 127.0.0.1@$XPORT, receiving AXFR-style IXFR" "$XDIR/knotd.log" || true)
incremental=$(grep -cF "[$ORIGIN.] IXFR, incoming, remote 127.0.0.1@$XPORT, finished" "$XDIR/knotd.log" || true)
if [[ $whole == 2 && $incremental -ge 6 ]]; then
    ok "knotd took 6 changes as incremental transfers ($incremental) and the 2 that must be whole as whole"
else
    not_ok "knotd took 6 changes as incremental transfers and 2 whole (got $incremental and $whole)" \
        "$(grep -F "[$ORIGIN.]" "$XDIR/knotd.log" | grep -i xfr | tail -16)"
fi
# named logs each transfer's size: the first (it had no copy) and the two that must be whole
# carry the zone; the others a few records each. It must have refused none.
sizes=$(sed -nE "s/.*transfer of '$ORIGIN\/IN' from .*Transfer completed: [0-9]+ messages, ([0-9]+) records.*/\1/p" "$XDIR/named.log")
whole=$(awk '$1 >= 20' <<<"$sizes" | grep -c . || true)
incremental=$(awk '$1 < 20' <<<"$sizes" | grep -c . || true)
refused=$(grep -F "$ORIGIN" "$XDIR/named.log" | grep -iE "fail|not exact|error" || true)
if [[ $whole == 3 && $incremental -ge 6 && -z $refused ]]; then
    ok "named took 6 changes as incremental transfers ($incremental) and its first copy and the 2 that must be whole as whole"
else
    not_ok "named took 6 changes as incremental transfers and 3 whole (got $incremental and $whole)" \
        "${refused:-sizes: $(tr '\n' ' ' <<<"$sizes")}"
fi
if grep -q "zone transferred incrementally (IXFR).*zone=$ORIGIN" "$XDIR/serve.log"; then
    ok "zonectl logged the incremental transfers: $(grep -m1 'zone transferred incrementally' "$XDIR/serve.log" | sed 's/.*INFO //' | cut -c1-160)"
else
    not_ok "zonectl logged the incremental transfers" "$(grep -i transfer "$XDIR/serve.log" | tail -6)"
fi
stop_pids XFR_PIDS

# ---------------------------------------------------------------------------------------------
# d2. DNSSEC: zonectl serves no signatures; secondaries sign what they transfer
# ---------------------------------------------------------------------------------------------
section "DNSSEC: knotd and named secondaries sign the zone zonectl serves, BIND's delv validates it"

# A zonectl on the shipped zones, allowing transfers to loopback and notifying a knotd and a
# named that each transfer apple.example from it and sign it with keys of their own (knotd's
# `dnssec-signing: on`, named's `dnssec-policy default` with `inline-signing`; both default to
# ECDSA P-256 and NSEC). delv validates each one's answers from its key-signing key as the
# trust anchor, as a resolver would from the parent's DS.
SDIR=$TMP/signer
SZONE=apple.example
mkdir -p "$SDIR/zones" "$SDIR/knot" "$SDIR/served"
cp "$REPO"/zones/*.zone "$SDIR/zones/"
SPORT=$(free_port)
SKPORT=$(free_port)
SBPORT=$(free_port)
SSPORT=$(free_port)
primary_config "$SDIR" "$SPORT" "$SKPORT" "$SBPORT"
{
    knot_base "$SKPORT" "$SDIR/knot" info "[transfer, notify]"
    printf 'remote:\n  - id: zonectl\n    address: 127.0.0.1@%s\n' "$SPORT"
    printf 'template:\n  - id: default\n    storage: %s\n    master: zonectl\n    acl: loopback\n' "$SDIR/knot"
    printf '    dnssec-signing: on\n    zonefile-sync: -1\n    zonefile-load: none\n'
    printf 'zone:\n  - domain: %s\n' "$SZONE"
} >"$SDIR/knot.conf"
named_setup "$SDIR"
{
    named_options "$SDIR" "$SBPORT" "allow-notify { 127.0.0.1; }"
    printf 'zone "%s" { type secondary; primaries port %s { 127.0.0.1; }; file "%s.db";\n' "$SZONE" "$SPORT" "$SZONE"
    printf '  dnssec-policy default; inline-signing yes; key-directory "%s/bind"; };\n' "$SDIR"
} >"$SDIR/named.conf"
NO_COLOR=1 "$ZONECTL" --config "$SDIR/zonectl.toml" serve </dev/null 2>"$SDIR/serve.log" &
XFR_PIDS+=($!)
SSERIAL=$(sed -n 's/^ *\([0-9]\{10\}\) *; serial.*/\1/p' "$SDIR/zones/$SZONE.zone")
if [[ -z $SSERIAL ]] || ! wait_served_serial "$SPORT" "$SZONE" "$SSERIAL"; then
    not_ok "a zonectl with transfer_allow serves $SZONE (serial ${SSERIAL:-not found in the file})" \
        "$(tail -10 "$SDIR/serve.log")"
fi
knotd -c "$SDIR/knot.conf" </dev/null 2>"$SDIR/knotd.log" &
XFR_PIDS+=($!)
"$SDIR/named" -g -c "$SDIR/named.conf" </dev/null >"$SDIR/named.log" 2>&1 &
XFR_PIDS+=($!)
SIGNERS=("knotd:$SKPORT:knotd.log" "named:$SBPORT:named.log")

# signed_answer PORT NAME TYPE: the answer of the server on PORT with DNSSEC records, as kdig
# prints it.
signed_answer() {
    kdig @127.0.0.1 -p "$1" +dnssec +noall +answer "$3" "$2" 2>&1
}
# wait_signed PORT NAME TYPE [TEXT]: up to ~20 s for the server on PORT to answer NAME TYPE
# with an RRSIG covering TYPE (and with TEXT in the answer).
wait_signed() {
    local _ answer
    for _ in $(seq 200); do
        answer=$(signed_answer "$1" "$2" "$3")
        [[ $answer == *"RRSIG"*"$3 13 "* && $answer == *"${4:-}"* ]] && return 0
        sleep 0.1
    done
    return 1
}
# validated WHO PORT NAME TYPE: delv's verdict on the answer of the server on PORT, with WHO's
# key-signing key (anchors.WHO) as the trust anchor; its stdout and stderr.
validated() {
    timeout 30 delv @127.0.0.1 -p "$2" -a "$SDIR/anchors.$1" +root="$SZONE" "$4" "$3" 2>&1
}
for signer in "${SIGNERS[@]}"; do
    IFS=: read -r who port log <<<"$signer"
    if wait_signed "$port" "$SZONE" SOA; then
        ok "$who transferred $SZONE from zonectl and serves it signed (its SOA with an RRSIG)"
    else
        not_ok "$who transferred $SZONE from zonectl and serves it signed" \
            "$(grep -iF "$SZONE" "$SDIR/$log" | tail -8)"
        continue
    fi
    ksk=$(kdig @127.0.0.1 -p "$port" +short DNSKEY "$SZONE" | awk '$1 == 257 {$1 = $2 = $3 = ""; gsub(/ /, ""); print; exit}') || true
    printf 'trust-anchors {\n  %s. static-key 257 3 13 "%s";\n};\n' "$SZONE" "$ksk" >"$SDIR/anchors.$who"
    out=$(validated "$who" "$port" "$SZONE" TXT)
    if [[ $out == *"; fully validated"* && $out == *'"v=spf1 '* ]]; then
        ok "[delv] $SZONE's SPF record, as $who signed it, is fully validated"
    else
        not_ok "[delv] $SZONE's SPF record, as $who signed it, is fully validated" "$out"
    fi
    out=$(validated "$who" "$port" "nowhere.$SZONE" A)
    if [[ $out == *"; negative response, fully validated"* && $out == *NXDOMAIN* ]]; then
        ok "[delv] $who denies a name the zone lacks with a valid NSEC proof (NXDOMAIN, fully validated)"
    else
        not_ok "[delv] $who denies a name the zone lacks with a valid NSEC proof" "$out"
    fi
done
# The DMARC step made on zonectl: its NOTIFY has each signer transfer the change and sign it.
dmarc='v=DMARC1; p=quarantine; rua=mailto:dmarc@apple.example'
out=$("$ZONECTL" --config "$SDIR/zonectl.toml" --server "127.0.0.1:$SPORT" \
    dmarc set "$SZONE" p=quarantine rua=mailto:dmarc@apple.example 2>&1) ||
    not_ok "zonectl dmarc set $SZONE p=quarantine" "$out"
for signer in "${SIGNERS[@]}"; do
    IFS=: read -r who port log <<<"$signer"
    wait_signed "$port" "_dmarc.$SZONE" TXT "$dmarc" || true
    out=$(validated "$who" "$port" "_dmarc.$SZONE" TXT)
    if [[ $out == *"; fully validated"* && $out == *"\"$dmarc\""* ]]; then
        ok "[delv] the DMARC record set on zonectl reaches $who on its NOTIFY, signed, and is fully validated"
    else
        not_ok "[delv] the DMARC record set on zonectl reaches $who on its NOTIFY, signed, and is fully validated" \
            "$out
$(grep -iF "$SZONE" "$SDIR/$log" | tail -6)"
    fi
done
# knotd's signed zone, loaded into zonectl as a file: check warns, and delv finds the chain of
# trust broken at zonectl's answers, which carry no RRSIG.
kdig @127.0.0.1 -p "$SKPORT" +tcp +noall +answer AXFR "$SZONE" 2>&1 |
    awk 'NF && $1 !~ /^;/ && !seen[$0]++' >"$SDIR/served/$SZONE.zone" || true
out=$("$ZONECTL" check --file "$SDIR/served/$SZONE.zone" --origin "$SZONE" 2>&1) && rc=0 || rc=$?
if [[ $rc == 0 && $out == *"is a signed zone (DNSKEY at the apex), and zonectl serves no DNSSEC"* ]]; then
    ok "zonectl check accepts knotd's signed zone and warns that zonectl serves it unsigned"
else
    not_ok "zonectl check accepts knotd's signed zone and warns that zonectl serves it unsigned" "rc $rc: $out"
fi
NO_COLOR=1 "$ZONECTL" serve --zones-dir "$SDIR/served" --listen "127.0.0.1:$SSPORT" \
    --control "$SDIR/served.sock" </dev/null 2>"$SDIR/served.log" &
XFR_PIDS+=($!)
kserial=$(served_serial "$SKPORT" "$SZONE") || true
if [[ -n $kserial ]] && wait_served_serial "$SSPORT" "$SZONE" "$kserial"; then
    out=$(validated knotd "$SSPORT" "_dmarc.$SZONE" TXT)
else
    out="zonectl did not serve the signed zone (knotd's serial: ${kserial:-none}): $(tail -5 "$SDIR/served.log")"
fi
if [[ $out != *"fully validated"* && $out == *"broken trust chain"* ]]; then
    ok "[delv] the signed zone served by zonectl does not validate, as check warned: $(grep -m1 'resolution failed' <<<"$out")"
else
    not_ok "[delv] the signed zone served by zonectl does not validate, as check warned" "$out"
fi
stop_pids XFR_PIDS

# ---------------------------------------------------------------------------------------------
# e. TSIG: transfers and NOTIFY signed with a shared key
# ---------------------------------------------------------------------------------------------
section "TSIG: signed transfers, judged by dig, kdig, dnspython, knotd, nsd and named"

TDIR=$TMP/signed
mkdir -p "$TDIR/zones" "$TDIR/knot"
cp "$XDIR"/zones/*.zone "$TDIR/zones/"
# A zone of several transfer messages, so the chain of signatures is checked too.
{
    printf '$ORIGIN big.example.\n$TTL 300\n@ SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\nns A 192.0.2.1\n'
    for i in $(seq 3000); do
        printf 'h%s A 192.0.2.%s\nh%s TXT "v=spf1 -all; host %s"\n' "$i" $((i % 250 + 1)) "$i" "$i"
    done
} >"$TDIR/zones/big.example.zone"
TPORT=$(free_port)
KTPORT=$(free_port)
NTPORT=$(free_port)
BTPORT=$(free_port)
printf 'zones_dir = "%s"\nkeys_dir = "%s"\ncontrol = "%s"\nlisten = ["127.0.0.1:%s"]\ntransfer_allow = ["127.0.0.1 key xfr.example"]\nnotify = ["127.0.0.1:%s key xfr.example", "127.0.0.1:%s key xfr.example", "127.0.0.1:%s key xfr.example"]\n' \
    "$TDIR/zones" "$TDIR/keys" "$TDIR/zonectl.sock" "$TPORT" "$KTPORT" "$NTPORT" "$BTPORT" >"$TDIR/zonectl.toml"
GEN=$("$ZONECTL" --config "$TDIR/zonectl.toml" tsig generate xfr.example 2>"$TDIR/generate.err") || true
KEYFILE=$TDIR/keys/tsig/xfr.example.key
check "zonectl tsig generate writes the key readable by its owner only" \
    '[[ $(stat -c %a "$KEYFILE") == 600 ]] && grep -q "algorithm hmac-sha256;" "$KEYFILE"'
SECRET=$(sed -n 's/.*secret "\(.*\)";/\1/p' "$KEYFILE")
check "the secret is 32 random bytes, printed for the secondaries" \
    '[[ $(base64 -d <<<"$SECRET" | wc -c) == 32 && $GEN == *"secret: $SECRET"* ]]'
# Knot's, NSD's and BIND's configuration, as `tsig generate` printed it.
printed_for() { awk -v want="# $1" 'index($0, want) == 1 {on = 1; next} /^#/ {on = 0} on' <<<"$GEN"; }
KNOT_KEY=$(printed_for Knot)
NSD_KEY=$(printed_for NSD)
BIND_KEY=$(printed_for BIND)
NO_COLOR=1 "$ZONECTL" --config "$TDIR/zonectl.toml" serve </dev/null 2>"$TDIR/serve.log" &
XFR_PIDS+=($!)
if wait_served_serial "$TPORT" big.example 1; then
    ok "a zonectl requiring the key serves on 127.0.0.1:$TPORT"
else
    not_ok "a zonectl requiring the key serves on 127.0.0.1:$TPORT" "$(tail -20 "$TDIR/serve.log")"
fi
Y="hmac-sha256:xfr.example:$SECRET"
check "[dig] an unsigned AXFR is refused" \
    'OUT=$(dig @127.0.0.1 -p "$TPORT" +time=5 +tries=1 AXFR "$ORIGIN" 2>&1); [[ $OUT == *"Transfer failed"* ]]'
check "[dig] an AXFR signed with the key is answered, and dig verifies every message" \
    'OUT=$(dig @127.0.0.1 -p "$TPORT" -y "$Y" AXFR big.example 2>&1); [[ $OUT == *"XFR size: 6004 records"* && $OUT != *"failure"* && $OUT != *"Transfer failed"* ]]'
# interop.test fits in one message: kdig 3.2 verifies the first message of a transfer only.
check "[kdig] a signed one-message AXFR, verified by Knot's library" \
    'OUT=$(kdig @127.0.0.1 -p "$TPORT" -y "$Y" AXFR "$ORIGIN" 2>&1); [[ $OUT == *"TSIG"* && $OUT != *"failed"* && $OUT != *"rror"* ]] && grep -q "IN[[:space:]]*SOA" <<<"$OUT"'
check "[dig] a query signed with a wrong secret gets NOTAUTH, BADSIG" \
    'OUT=$(dig @127.0.0.1 -p "$TPORT" -y "hmac-sha256:xfr.example:c2VjcmV0" SOA "$ORIGIN" 2>&1); [[ $OUT == *"status: NOTAUTH"* && $OUT == *"BADSIG"* ]]'
check "[dig] a query signed with an unknown key gets NOTAUTH, BADKEY" \
    'OUT=$(dig @127.0.0.1 -p "$TPORT" -y "hmac-sha256:other.example:$SECRET" SOA "$ORIGIN" 2>&1); [[ $OUT == *"status: NOTAUTH"* && $OUT == *"BADKEY"* ]]'
check "[kdig] a signed SOA query over UDP gets a signed answer" \
    'OUT=$(kdig @127.0.0.1 -p "$TPORT" -y "$Y" SOA "$ORIGIN" 2>&1); [[ $OUT == *"status: NOERROR"* && $OUT == *"TSIG PSEUDOSECTION"* && $OUT != *"rror"* ]]'
check "[dnspython] every message of a long signed transfer verifies, and the zone is whole" \
    'OUT=$(/usr/bin/python3 "$REPO/tests/interop/tsig_xfr.py" "$TPORT" big.example. "$SECRET" 2>&1) && read -r n records <<<"$OUT" && [[ $n -gt 5 && $records == 6003 ]]'

# knotd, nsd and named, configured with the key zonectl printed, as secondaries that sign
# their requests and accept only signed NOTIFYs.
mkdir -p "$TDIR/nsd"
named_setup "$TDIR"
{
    knot_base "$KTPORT" "$TDIR/knot" info "[transfer, notify]" "$KNOT_KEY"
    printf 'remote:\n  - id: zonectl\n    address: 127.0.0.1@%s\n    key: xfr.example\n' "$TPORT"
    printf 'template:\n  - id: default\n    storage: %s\n    master: zonectl\n    acl: loopback\n' "$TDIR/knot"
    printf '    zonefile-sync: -1\n    zonefile-load: none\n    journal-content: none\n'
    printf 'zone:\n  - domain: %s\n  - domain: big.example\n' "$ORIGIN"
} >"$TDIR/knotd.conf"
{
    printf 'server:\n  ip-address: 127.0.0.1@%s\n  port: %s\n  username: ""\n  chroot: ""\n' "$NTPORT" "$NTPORT"
    printf '  zonesdir: "%s"\n  database: ""\n  verbosity: 2\n' "$TDIR/nsd"
    for f in zonelistfile:zone.list pidfile:nsd.pid xfrdfile:xfrd.state; do
        printf '  %s: "%s/%s"\n' "${f%%:*}" "$TDIR/nsd" "${f#*:}"
    done
    printf '  xfrdir: "%s"\n%s\nremote-control:\n  control-enable: no\n' "$TDIR/nsd" "$NSD_KEY"
    # For $ORIGIN nsd asks for IXFR over UDP first (its `UDP` option): zonectl answers with
    # its SOA alone (RFC 1995 §2), and nsd asks again over TCP.
    for z in "$ORIGIN:UDP " big.example:; do
        printf 'zone:\n  name: %s\n  zonefile: "%s.zone"\n' "${z%%:*}" "${z%%:*}"
        printf '  request-xfr: %s127.0.0.1@%s xfr.example\n  allow-notify: 127.0.0.1 xfr.example\n' "${z#*:}" "$TPORT"
    done
} >"$TDIR/nsd.conf"
{
    printf '%s\n' "$BIND_KEY"
    named_options "$TDIR" "$BTPORT" "allow-notify { key xfr.example; }"
    for z in "$ORIGIN" big.example; do
        printf 'zone "%s" { type secondary; primaries port %s { 127.0.0.1 key xfr.example; }; file "%s.db"; };\n' \
            "$z" "$TPORT" "$z"
    done
} >"$TDIR/named.conf"
knotd -c "$TDIR/knotd.conf" </dev/null 2>"$TDIR/knotd.log" &
XFR_PIDS+=($!)
nsd -d -c "$TDIR/nsd.conf" </dev/null >"$TDIR/nsd.log" 2>&1 &
XFR_PIDS+=($!)
"$TDIR/named" -g -c "$TDIR/named.conf" </dev/null >"$TDIR/named.log" 2>&1 &
XFR_PIDS+=($!)
SECONDARIES=("knotd:$KTPORT" "nsd:$NTPORT" "named:$BTPORT")
for sec in "${SECONDARIES[@]}"; do
    for z in "$ORIGIN" big.example; do
        want=$(served_serial "$TPORT" "$z")
        if [[ -n $want ]] && wait_served_serial "${sec#*:}" "$z" "$want"; then
            ok "${sec%%:*} transferred $z with TSIG (serial $want)"
        else
            not_ok "${sec%%:*} transferred $z with TSIG (serial ${want:-?})" "$(grep -iF "$z" "$TDIR/${sec%%:*}.log" | tail -8)"
        fi
    done
done
# knotd's own ACL wants the key for transfers from it too.
check "knotd's copy of big.example, transferred from it signed, is whole (6003 records)" \
    '[[ $(kdig @127.0.0.1 -p "$KTPORT" -y "$Y" +tcp +noall +answer AXFR big.example | awk '"'"'NF && $1 !~ /^;/ {$1 = $1; print}'"'"' | sort -u | wc -l) == 6003 ]]'
check "nsd logged both transfers as TSIG verified with key xfr.example" \
    '[[ $(grep -c "committed.*TSIG verified with key xfr.example" "$TDIR/nsd.log") -ge 2 ]]'
# tsig_edit TEXT WHAT: tsig-edit's TXT record set to TEXT on zonectl, and each secondary
# serves it under the new serial, left in $tnew.
tsig_edit() {
    local before sec
    before=$(served_serial "$TPORT" "$ORIGIN")
    "$ZONECTL" --config "$TDIR/zonectl.toml" --server "127.0.0.1:$TPORT" \
        record set "$ORIGIN" tsig-edit TXT "$1" >/dev/null 2>&1 || true
    tnew=$(served_serial "$TPORT" "$ORIGIN")
    for sec in "${SECONDARIES[@]}"; do
        if [[ -n $tnew && $tnew != "$before" ]] && wait_served_serial "${sec#*:}" "$ORIGIN" "$tnew" &&
            [[ $(dig @127.0.0.1 -p "${sec#*:}" +short TXT "tsig-edit.$ORIGIN") == "\"$1\"" ]]; then
            ok "${sec%%:*} serves $2 (serial $tnew)"
        else
            not_ok "${sec%%:*} serves $2" \
                "$(grep -iF "$ORIGIN" "$TDIR/${sec%%:*}.log" | tail -8; grep -i notify "$TDIR/serve.log" | tail -4)"
        fi
    done
}
tsig_edit "signed all the way" "the edit"
new=$tnew
check "knotd, nsd and named took the NOTIFY of serial $new, signed with the key their ACLs want" \
    'grep -qi "notify, incoming.*serial $new" "$TDIR/knotd.log" && grep -q "notify for $ORIGIN. from 127.0.0.1 serial $new" "$TDIR/nsd.log" && grep -q "received notify for zone .$ORIGIN.: TSIG .xfr.example." "$TDIR/named.log" && [[ $(grep -c "NOTIFY acknowledged.*serial=$new" "$TDIR/serve.log") == 3 ]]'
# The next edit: both secondaries hold a serial zonectl keeps the difference from, and take
# it as an incremental transfer, signed.
tsig_edit "signed, then changed" "the next edit"
new2=$tnew
check "zonectl sent knotd, nsd and named that edit as a difference, signed, and nsd committed it" \
    'CMD="grep serve.log nsd.log"; OUT=$(grep "zone transferred incrementally" "$TDIR/serve.log"); [[ $(grep -c "zone=$ORIGIN. from=$new to=$new2" <<<"$OUT") == 3 && $(grep -c "committed.*serial $new2.*TSIG verified with key xfr.example" "$TDIR/nsd.log") == 1 ]]'
check "nsd, asking over UDP first, logged no error from zonectl" \
    'CMD="grep nsd.log"; OUT=$(grep -iE "error|refused" "$TDIR/nsd.log"); [[ -z $OUT ]]'
check "[dig, kdig] a signed IXFR over UDP gets zonectl's SOA alone, signed; an unsigned one REFUSED" \
    'OUT=$(dig @127.0.0.1 -p "$TPORT" +notcp -y "$Y" IXFR=1 "$ORIGIN" 2>&1; kdig @127.0.0.1 -p "$TPORT" +notcp IXFR=1 "$ORIGIN" 2>&1); [[ $(grep -c "IN[[:space:]]*SOA[[:space:]].* $new2 " <<<"$OUT") == 1 && $OUT == *"(UDP)"* && $OUT == *"REFUSED"* && $OUT != *"failure"* ]]'
check "knotd logged no TSIG or ACL error" \
    'CMD="grep knotd.log"; OUT=$(grep -iE "tsig|denied|bad ?sig|bad ?key|bad ?time" "$TDIR/knotd.log"); [[ -z $OUT ]]'
check "named logged no TSIG, transfer or NOTIFY error" \
    'CMD="grep named.log"; OUT=$(grep -iE "fail|denied|refused|bad ?sig|bad ?key|bad ?time|tsig.*(error|invalid)" "$TDIR/named.log"); [[ -z $OUT ]]'
stop_pids XFR_PIDS

# ---------------------------------------------------------------------------------------------
# e2. Response rate limiting: what dig does with an answer over the rate
# ---------------------------------------------------------------------------------------------
section "rate limiting: dig and kdig get the truncated answer and ask again over TCP"

# A zonectl at 1 response a second per bucket, every limited one sent truncated (slip 1): the
# second query in a second gets TC with no records, and dig and kdig, as resolvers do, ask
# again over TCP, which is never limited.
RDIR=$TMP/rrl
mkdir -p "$RDIR/zones"
cp "$ZONES/apple.example.zone" "$RDIR/zones/"
RRLPORT=$(free_port)
printf 'zones_dir = "%s"\ncontrol = "%s"\nlisten = ["127.0.0.1:%s"]\n[rate_limit]\nresponses_per_second = 1\nslip = 1\n' \
    "$RDIR/zones" "$RDIR/zonectl.sock" "$RRLPORT" >"$RDIR/zonectl.toml"
NO_COLOR=1 "$ZONECTL" --config "$RDIR/zonectl.toml" serve </dev/null 2>"$RDIR/serve.log" &
XFR_PIDS+=($!)
wait_served_serial "$RRLPORT" apple.example 2025103001 || true
rrl_dig() { dig @127.0.0.1 -p "$RRLPORT" +time=2 +tries=1 "$@" TXT apple.example 2>&1; }
OUT=$(rrl_dig; rrl_dig; rrl_dig)
check "[dig] an answer over the rate comes truncated, and dig gets it over TCP" \
    'CMD="dig TXT apple.example, three times"; [[ $OUT == *"Truncated, retrying in TCP mode"* && $(grep -c "v=spf1" <<<"$OUT") -ge 3 ]]'
OUT=$(rrl_dig +ignore; rrl_dig +ignore)
check "[dig +ignore] the truncated answer: TC set, no records, the question echoed" \
    'CMD="dig +ignore TXT apple.example, twice"; [[ $OUT == *"flags: qr aa tc"* && $OUT == *"ANSWER: 0"* && $OUT == *";apple.example."*"IN"*"TXT"* ]]'
OUT=$(for _ in 1 2 3; do kdig @127.0.0.1 -p "$RRLPORT" +time=2 +retry=0 TXT apple.example 2>&1; done)
check "[kdig] kdig too asks again over TCP and gets the answer" \
    'CMD="kdig TXT apple.example, three times"; [[ $(grep -c "v=spf1" <<<"$OUT") -ge 3 ]]'
check "zonectl logs what it limited" \
    'CMD="grep serve.log"; OUT=$(grep "over the rate limit" "$RDIR/serve.log"); [[ $OUT == *"latest=127.0.0.0/24"* ]]'
stop_pids XFR_PIDS

# ---------------------------------------------------------------------------------------------
# f. A wildcard listen address, answered from the address asked
# ---------------------------------------------------------------------------------------------
section "wildcard addresses: answers from the address asked (loopback-only network namespace)"

WDIR=$TMP/wildcard
mkdir -p "$WDIR/zones"
cp "$XDIR"/zones/*.zone "$WDIR/zones/"
if unshare -n true 2>/dev/null; then
    WOUT=$(unshare -n bash "$REPO/tests/interop/wildcard.sh" "$ZONECTL" "$WDIR" "$(free_port)" "$ORIGIN" 2>&1) || true
    for probe in v4-primary v4-second v6-second; do
        check "[dig] $probe: the SOA of $ORIGIN, from the address dig asked" \
            'CMD="tests/interop/wildcard.sh"; OUT=$WOUT; [[ $(awk -v p="$probe" '"'"'$1 == p {print $4}'"'"' <<<"$WOUT") =~ ^[0-9]+$ ]]'
    done
else
    echo "# skipped: unshare -n needs root (CI runs as root)"
fi

if [[ $FAILED -gt 0 ]]; then
    echo
    echo "# last lines of the server log:"
    tail -20 "$TMP/serve.log" | sed 's/^/#   /'
fi
summary
[[ $FAILED -eq 0 ]]
