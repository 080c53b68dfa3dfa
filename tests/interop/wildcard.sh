#!/usr/bin/env bash
# Run by run.sh inside `unshare -n`: a network namespace whose only interface is loopback, so a
# zonectl listening on the wildcard addresses is reachable from nowhere else.
#
#   wildcard.sh ZONECTL DIR PORT ORIGIN
#
# Serves DIR/zones on 0.0.0.0:PORT and [::]:PORT, with 127.0.0.1, 127.0.0.2, fd00::53 and
# fd00::54 on the loopback, and prints one line per query: `NAME ANSWER` (empty when dig got no
# answer it accepted: dig drops an answer from another address than it asked).
set -euo pipefail
zonectl=$1 dir=$2 port=$3 origin=$4
ip link set lo up
ip -6 addr add fd00::53/128 dev lo nodad
ip -6 addr add fd00::54/128 dev lo nodad
NO_COLOR=1 "$zonectl" serve --zones-dir "$dir/zones" --control "$dir/zonectl.sock" \
    --listen "0.0.0.0:$port" --listen "[::]:$port" </dev/null 2>"$dir/serve.log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
    dig @127.0.0.1 -p "$port" +short +tries=1 +time=1 SOA "$origin" 2>/dev/null | grep -q . && break
    sleep 0.05
done
ask() { dig "$@" -p "$port" +short +tries=1 +time=2 SOA "$origin" 2>/dev/null | grep -v '^;' | head -1; }
echo "v4-primary $(ask @127.0.0.1)"
# From 127.0.0.1 to 127.0.0.2: an answer from the socket's default source would come from .1.
echo "v4-second $(ask @127.0.0.2)"
# From fd00::54 to fd00::53: likewise.
echo "v6-second $(ask @fd00::53 -b fd00::54)"
