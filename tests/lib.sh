# Helpers the shell tests under tests/ share; each of them sources this file, which is not run
# on its own:
#   REPO, BUILT_ZONECTL    the repository, and the debug binary `cargo build` writes for it;
#   free_port              a free TCP port on 127.0.0.1;
#   SERVER_PID, wait_for_server, stop_server, server_log_tail
#                          the `zonectl serve` a script starts in the background: waited for
#                          until it answers, stopped by its PID, its log shown after a failure;
#   serve_here, z, PORT    for the scripts that work in a scratch directory: its server, and
#                          zonectl pointed at it;
#   pip_venv               a venv holding one pinned PyPI package (the oracles' checkdmarc and
#                          parsedmarc), made unless it already holds it;
#   stop_pids              the other processes a script started, stopped by their PIDs;
#   named_setup, named_options
#                          BIND's named for the tests that run it: its copy and its options;
#   PASSED, FAILED, summary
#                          the check counters, bumped by each script's own reporting functions
#                          (their per-check lines differ), and the closing "N passed, M failed".
# Every helper behaves the same with or without `set -e`: the scripts differ on it.
# The scripts read the variables set here, which shellcheck cannot see from this file alone.
# shellcheck shell=bash disable=SC2034

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Where cargo puts it: cargo honours CARGO_TARGET_DIR, so the tests do too. Cargo reads a
# relative one from the directory it runs in, which the scripts leave for scratch directories:
# made absolute here.
BUILT_ZONECTL=${CARGO_TARGET_DIR:-$REPO/target}
[[ $BUILT_ZONECTL == /* ]] || BUILT_ZONECTL=$PWD/$BUILT_ZONECTL
BUILT_ZONECTL=$BUILT_ZONECTL/debug/zonectl

# free_port: a TCP port on 127.0.0.1 that was free a moment ago (the kernel picked it for a socket
# this closes again).
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The PID of the `zonectl serve` the script started in the background; empty while there is none.
SERVER_PID=""

# wait_for_server WHO LOG CMD...: polls CMD (output discarded) every 0.1 s until it succeeds.
# If it has not within 10 s, or SERVER_PID has exited, prints "WHO: zonectl serve did not start:"
# and LOG to stderr and exits 1.
wait_for_server() {
    local who=$1 log=$2 _
    shift 2
    for _ in $(seq 100); do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "$who: zonectl serve did not start:" >&2
    cat "$log" >&2
    exit 1
}

# stop_server: stops SERVER_PID if it is still running: SIGTERM, then SIGKILL if it has not
# ended within 5 s, so a hung server cannot hang the test. Reaps it and forgets it. Quiet and
# always succeeds, so an EXIT trap under `set -e` goes on to its own cleanup.
stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        local _
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}

# serve_here WHO ZONE: starts `$ZONECTL serve` in the background over ./zones, with the control
# socket ./ctl.sock and its log in ./serve.log, on a free port it puts in PORT. Returns once
# `z status ZONE` succeeds; exits as wait_for_server does if it never does.
serve_here() {
    PORT=$(free_port)
    "$ZONECTL" serve --zones-dir zones --listen "127.0.0.1:$PORT" --control ctl.sock 2>serve.log &
    SERVER_PID=$!
    wait_for_server "$1" serve.log z status "$2"
}

# z ARGS...: `$ZONECTL ARGS` on the server serve_here started, with ./zones and ./keys.
z() { "$ZONECTL" --zones-dir zones --keys-dir keys --control ctl.sock --server "127.0.0.1:$PORT" "$@"; }

# server_log_tail LOG: the end of the server's log, to stderr, for a run that failed.
server_log_tail() {
    echo "--- zonectl serve log (tail) ---" >&2
    tail -n 40 "$1" >&2
}

# pip_venv VENV PACKAGE VERSION [VENV_ARGS...]: makes VENV hold PACKAGE==VERSION from PyPI,
# unless it already does (a venv given by the caller is reused). VENV_ARGS go to Debian's
# `python3 -m venv` (Debian's python is externally managed, PEP 668: pip installs go in a venv).
# Exits 1 if no venv can be made or pip fails.
pip_venv() {
    local venv=$1 package=$2 version=$3
    shift 3
    if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c 'import sys, importlib.metadata as m
sys.exit(m.version(sys.argv[1]) != sys.argv[2])' "$package" "$version" 2>/dev/null; then
        return 0
    fi
    if ! /usr/bin/python3 -m venv "$@" "$venv"; then
        echo "$0: cannot create a venv (apt-get install python3-venv)" >&2
        exit 1
    fi
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$package==$version" || {
        echo "$0: pip could not install $package==$version from PyPI" >&2
        exit 1
    }
}

# stop_pids ARRAY: ends each process whose PID the array named ARRAY holds (SIGTERM), reaps it,
# and empties the array. Quiet and always succeeds, as stop_server does.
stop_pids() {
    local -n pids=$1
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    pids=()
}

# named_setup DIR: a copy of BIND's named at DIR/named, and DIR/bind for its state. The tests run
# the copy: Debian's AppArmor profile for /usr/sbin/named, where AppArmor is on, confines named
# to /etc/bind and /var/cache/bind, and the tests' files are elsewhere.
named_setup() {
    mkdir -p "$1/bind"
    cp "$(command -v named)" "$1/named"
}

# named_options DIR PORT [OPTION...]: the start of a named.conf for a named set up in DIR: its
# state in DIR/bind, listening on 127.0.0.1 port PORT only, no recursion, no NOTIFYs of its own,
# no rndc; each OPTION (`allow-transfer { 127.0.0.1; }`) goes inside `options`, with its `;`.
named_options() {
    local dir=$1 port=$2 option
    shift 2
    printf 'options {\n  directory "%s/bind";\n  pid-file "%s/bind/named.pid";\n' "$dir" "$dir"
    printf '  session-keyfile "%s/bind/session.key";\n  managed-keys-directory "%s/bind";\n' "$dir" "$dir"
    printf '  listen-on port %s { 127.0.0.1; };\n  listen-on-v6 { none; };\n' "$port"
    printf '  recursion no;\n  notify no;\n'
    for option in "$@"; do
        printf '  %s;\n' "$option"
    done
    printf '};\ncontrols { };\n'
}

PASSED=0
FAILED=0

# summary: the closing count, after a blank line.
summary() {
    printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
}
