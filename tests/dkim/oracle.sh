#!/usr/bin/env bash
# Real-verifier oracle for `zonectl dkim` (issue 6). Run by .ci/run after `cargo test`.
#
# Starts `zonectl serve` on a free 127.0.0.1 port over a temporary zones directory, then:
#   - keygen RSA-2048 and Ed25519; every key file zonectl wrote loads in `openssl pkey`;
#   - a message signed with each key by an independent implementation (dkimpy's `dkimsign`)
#     verifies with dkimpy against the record zonectl serves (shared/corpus/oracles/dkim_verify.py);
#     a tampered message, and a message signed with a key that is not the published one, do not;
#   - opendkim-testkey says the RSA key is OK against the served record, and reports a mismatch
#     (exit 65) for another key;
#   - `dkim list` finds a published key that does not match the private key, a private key with
#     too-open permissions, and a missing private key;
#   - activate → rotate → activate → retire (clock moved with ZONECTL_NOW): after `retire`,
#     verification fails because the key is revoked; after `remove`, because it is gone.
#
# Needs: openssl, python3-dkim, python3-dnspython, python3-nacl, opendkim-tools (Debian 12).
# Uses the zonectl binary at $ZONECTL, else ${CARGO_TARGET_DIR:-target}/debug/zonectl.
# Prints one line per check and "N passed, M failed"; exits 1 if any check failed.
# The server it starts is stopped by its PID on exit. Helpers shared with the other shell tests
# are in tests/lib.sh.
set -uo pipefail

# shellcheck source=SCRIPTDIR/../lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
ZONECTL=${ZONECTL:-$BUILT_ZONECTL}
oracle=${DKIM_ORACLE:-$REPO/../shared/corpus/oracles/dkim_verify.py}
py=/usr/bin/python3 # Debian's, which sees python3-dkim (a pyenv python3 on PATH may not)

for need in "$ZONECTL" "$oracle"; do
    [[ -e $need ]] || { echo "oracle.sh: missing $need" >&2; exit 1; }
done
for tool in openssl dkimsign opendkim-testkey "$py"; do
    command -v "$tool" >/dev/null || { echo "oracle.sh: missing $tool" >&2; exit 1; }
done

work=$(mktemp -d /tmp/zonectl-dkim-oracle.XXXXXX)
trap 'stop_server; rm -rf "$work"' EXIT
cd "$work" || exit 1

mkdir zones
cat >zones/example.com.zone <<'EOF'
$ORIGIN example.com.
$TTL 300
@    IN SOA ns1 hostmaster 2024010101 3600 600 86400 300
@    IN NS  ns1
ns1  IN A   127.0.0.1
EOF
serve_here oracle.sh example.com

# check NAME WANT_RC CMD...: runs CMD, passes if its exit code is WANT_RC.
check() {
    local name=$1 want=$2
    shift 2
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [[ $rc -eq $want ]]; then
        PASSED=$((PASSED + 1))
        printf 'ok    %s\n' "$name"
    else
        FAILED=$((FAILED + 1))
        printf 'FAIL  %s (exit %d, wanted %d)\n%s\n' "$name" "$rc" "$want" "$out" | sed '2,$s/^/      /'
    fi
}
# check_out NAME PATTERN CMD...: passes if CMD's output matches PATTERN (grep -E).
check_out() {
    local name=$1 pattern=$2
    shift 2
    local out
    out=$("$@" 2>&1)
    if grep -Eq -- "$pattern" <<<"$out"; then
        PASSED=$((PASSED + 1))
        printf 'ok    %s\n' "$name"
    else
        FAILED=$((FAILED + 1))
        printf 'FAIL  %s (no /%s/ in)\n%s\n' "$name" "$pattern" "$out" | sed '2,$s/^/      /'
    fi
}
verify() { "$py" "$oracle" "$PORT" "$1"; }
# served_txt NAME: the TXT value served for NAME, strings joined (dnspython, as the oracle asks).
served_txt() {
    "$py" -c 'import sys, dns.resolver
r = dns.resolver.Resolver(configure=False); r.nameservers = ["127.0.0.1"]; r.port = int(sys.argv[1])
print("\n".join(b"".join(rd.strings).decode() for rd in r.resolve(sys.argv[2], "TXT")))' "$PORT" "$1"
}
# z_at TIME ARGS...: z with zonectl's clock at TIME (seconds since the epoch).
z_at() { ZONECTL_NOW=$1 z "${@:2}"; }
# private_key_lines: whether `dkim list --json` lists the selectors, and how many of its lines
# hold a private key; only the error if the listing fails.
private_key_lines() {
    local json
    json=$(z --json dkim list example.com) || return
    grep -q '"selectors"' <<<"$json" || { echo "no selectors in: $json"; return 1; }
    echo "selectors listed, $(grep -c 'PRIVATE KEY' <<<"$json") private key lines"
}
keys=keys/example.com
# dkimpy takes an Ed25519 private key as the base64 of its 32-byte seed: the last 32 bytes of
# the PKCS#8 v1 DER.
seed_of() { openssl pkey -in "$1" -outform DER | tail -c 32 | base64 -w0; }

printf 'From: alice@example.com\r\nTo: bob@example.org\r\nSubject: oracle\r\nDate: Sun, 29 Nov 2026 00:00:00 +0000\r\nMessage-ID: <oracle@example.com>\r\n\r\nHello from zonectl.\r\n' >msg.eml

echo "== keygen"
check "keygen rsa (selector rsa1)" 0 z dkim keygen example.com --selector rsa1
check "keygen ed25519 (selector ed1)" 0 z dkim keygen example.com --selector ed1 --algorithm ed25519
check "keygen refuses an existing selector" 1 z dkim keygen example.com --selector rsa1
check "keygen refuses 1024 bits without --force" 1 z dkim keygen example.com --selector weak --bits 1024
check "openssl pkey loads the RSA key" 0 openssl pkey -in $keys/rsa1.private -noout
check "openssl pkey loads the Ed25519 key" 0 openssl pkey -in $keys/ed1.private -noout
check_out "the RSA key file is mode 0600" '^600$' stat -c %a $keys/rsa1.private
check_out "the Ed25519 key file is mode 0600" '^600$' stat -c %a $keys/ed1.private
check_out "the keys directory is mode 0700" '^700$' stat -c %a $keys

echo "== dkimpy signs, dkimpy verifies against the served record"
seed_of $keys/ed1.private >ed1.seed
dkimsign rsa1 example.com $keys/rsa1.private <msg.eml >rsa.eml
dkimsign --signalg ed25519-sha256 ed1 example.com ed1.seed <msg.eml >ed.eml
check "RSA signature verifies" 0 verify rsa.eml
check "Ed25519 signature verifies" 0 verify ed.eml
sed 's/Hello from/Hullo from/' rsa.eml >rsa-tampered.eml
sed 's/Hello from/Hullo from/' ed.eml >ed-tampered.eml
check "tampered RSA-signed message is rejected" 1 verify rsa-tampered.eml
check "tampered Ed25519-signed message is rejected" 1 verify ed-tampered.eml
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other-rsa.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out other-ed.pem 2>/dev/null
dkimsign rsa1 example.com other-rsa.pem <msg.eml >rsa-wrongkey.eml
seed_of other-ed.pem >other-ed.seed
dkimsign --signalg ed25519-sha256 ed1 example.com other-ed.seed <msg.eml >ed-wrongkey.eml
check "RSA signature by another key is rejected" 1 verify rsa-wrongkey.eml
check "Ed25519 signature by another key is rejected" 1 verify ed-wrongkey.eml

echo "== opendkim-testkey against the served record"
printf 'Nameservers 127.0.0.1@%s\n' "$PORT" >od.conf
check "opendkim-testkey: RSA key OK" 0 opendkim-testkey -x od.conf -d example.com -s rsa1 -k $keys/rsa1.private
check "opendkim-testkey: another key is a mismatch (65)" 65 opendkim-testkey -x od.conf -d example.com -s rsa1 -k other-rsa.pem

echo "== dkim list finds faults"
check "list: no faults" 0 z dkim list example.com
chmod 644 $keys/rsa1.private
check_out "list: key permissions too open" 'key permissions too open' z dkim list example.com
check "list exits 1 on a fault" 1 z dkim list example.com
chmod 600 $keys/rsa1.private
mv $keys/ed1.private ed1.private.away
check_out "list: private key missing" 'private key missing' z dkim list example.com
mv ed1.private.away $keys/ed1.private
other_spki=$(openssl pkey -in other-rsa.pem -pubout -outform DER | base64 -w0)
good=$(z --json dkim list example.com | "$py" -c 'import json,sys; print([s["record"] for s in json.load(sys.stdin)["selectors"] if s["selector"]=="rsa1"][0])')
check "tamper: publish another key at rsa1" 0 z record set example.com rsa1._domainkey TXT "v=DKIM1; k=rsa; p=$other_spki"
check_out "list: published key does not match the private key" 'published key does not match the private key' z dkim list example.com
check "activate refuses a selector whose served key does not match" 1 z_at $(($(date +%s) + 3600)) dkim activate example.com rsa1
check "restore rsa1's record" 0 z record set example.com rsa1._domainkey TXT "$good"
check "list: no faults after the repair" 0 z dkim list example.com
check_out "list --json never shows a private key" '^selectors listed, 0 private key lines$' private_key_lines

echo "== schedule: activate, rotate, activate, retire, remove"
t0=$(date +%s)
at() { z_at $((t0 + $1)) "${@:2}"; }
check "activate before the TTL is refused" 1 at 0 dkim activate example.com rsa1
check "activate rsa1 after the TTL" 0 at 400 dkim activate example.com rsa1
check "rotate is refused while ed1 waits to be activated" 1 at 450 dkim rotate example.com
check "retire ed1 (never active: at once)" 0 at 450 dkim retire example.com ed1
check "rotate publishes a new selector (rsa2)" 0 at 500 dkim rotate example.com --selector rsa2
check "activate rsa2 after its TTL" 0 at 900 dkim activate example.com rsa2
check "retire rsa1 inside the grace period is refused" 1 at 1000 dkim retire example.com rsa1
check "retire rsa1 after the grace period" 0 at $((900 + 7 * 86400)) dkim retire example.com rsa1
check_out "rsa1 is served in the revoked form" '^v=DKIM1; p=$' served_txt rsa1._domainkey.example.com
check "revoked RSA key: verification fails" 1 verify rsa.eml
check "revoked Ed25519 key: verification fails" 1 verify ed.eml
check "remove rsa1" 0 at $((900 + 8 * 86400)) dkim remove example.com rsa1
check "removed RSA key: verification fails" 1 verify rsa.eml
check "rsa1's private key is deleted" 1 test -e $keys/rsa1.private
dkimsign rsa2 example.com $keys/rsa2.private <msg.eml >rsa2.eml
check "the rotated-to key rsa2 verifies" 0 verify rsa2.eml
check_out "list shows rsa2 active, rsa1 removed, ed1 revoked" 'rsa2 +rsa +2048 .* active' z dkim list example.com

summary
[[ $FAILED -eq 0 ]]
