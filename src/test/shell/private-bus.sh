#!/bin/bash
# A private D-Bus "system bus" that loads the project's bus policy, for tests.
#
#   private-bus.sh start DIR [POLICY_DIR]   start one; prints its address (one line) on stdout
#   private-bus.sh stop DIR                 stop the one started in DIR
#
# DIR is created if needed and holds: bus.conf (from src/test/resources/bus/system-test.conf.in),
# bus.socket, address, pid, bus.log. POLICY_DIR defaults to the checkout's dbus-policy/.
# The bus listens on unix:path=DIR/bus.socket (dbus-java's native transport cannot use
# abstract sockets); DIR is made world-traversable so that other users (setpriv, runuser)
# can connect. The dbus-daemon runs detached (its own session, no inherited stdout), so a
# caller that reads this script's stdout to EOF (Java's ProcessBuilder) does not hang.
# Environment: DBUS_DAEMON (default dbus-daemon), GPUPASS_BUS_TEMPLATE (the .conf.in).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)

die() { echo "private-bus.sh: $*" >&2; exit 1; }

start() {
    local dir=${1:?usage: private-bus.sh start DIR [POLICY_DIR]}
    local policy=${2:-$root/dbus-policy}
    local template=${GPUPASS_BUS_TEMPLATE:-$root/src/test/resources/bus/system-test.conf.in}
    local daemon=${DBUS_DAEMON:-dbus-daemon}
    command -v "$daemon" >/dev/null || die "$daemon not found (Debian: apt-get install dbus-daemon)"
    [ -f "$template" ] || die "no bus template $template"
    [ -d "$policy" ] || die "no policy folder $policy"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    policy=$(cd "$policy" && pwd)
    chmod 0755 "$dir"
    local socket=$dir/bus.socket
    # sun_path holds 107 bytes
    [ ${#socket} -lt 100 ] || die "socket path too long (${#socket} bytes): $socket"
    if [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
        die "a bus already runs in $dir (pid $(cat "$dir/pid"))"
    fi
    rm -f "$socket" "$dir/address" "$dir/pid"
    sed -e "s|@SOCKET@|$socket|g" -e "s|@POLICY_DIR@|$policy|g" "$template" >"$dir/bus.conf"
    setsid "$daemon" --config-file="$dir/bus.conf" --nofork --print-address=1 \
        </dev/null >"$dir/address" 2>"$dir/bus.log" &
    echo $! >"$dir/pid"
    local i
    for i in $(seq 1 100); do
        if [ -s "$dir/address" ] && [ -S "$socket" ]; then
            head -n1 "$dir/address"
            return 0
        fi
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/bus.log" >&2; die "dbus-daemon exited"; }
        sleep 0.05
    done
    cat "$dir/bus.log" >&2
    die "dbus-daemon did not come up within 5 s"
}

stop() {
    local dir=${1:?usage: private-bus.sh stop DIR}
    [ -f "$dir/pid" ] || return 0
    local pid
    pid=$(cat "$dir/pid")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$dir/pid" "$dir/bus.socket"
}

case "${1:-}" in
    start) shift; start "$@" ;;
    stop) shift; stop "$@" ;;
    *) echo "usage: private-bus.sh start DIR [POLICY_DIR] | stop DIR" >&2; exit 2 ;;
esac
