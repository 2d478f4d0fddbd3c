# Shared by the bench scripts: a private bus and the daemon started through the installed launcher.
# Usage: . bench/lib.sh; bench_bus; bench_daemon [ARGS...]; ...; (cleanup runs on exit)
set -eu
BENCH_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export GPUPASS_JAR=${GPUPASS_JAR:-$BENCH_ROOT/target/gpupassd.jar}
[ -f "$GPUPASS_JAR" ] || { echo "no $GPUPASS_JAR: run mvn -q package -DskipTests first" >&2; exit 1; }
BENCH_DIR=$(mktemp -d /tmp/gpupass-bench.XXXXXX)
export CACHE_DIRECTORY=$BENCH_DIR/cache  # the launcher's AppCDS archive lives here for the run
DAEMON_PID=""
bench_cleanup() {
    [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
    "$BENCH_ROOT/src/test/shell/private-bus.sh" stop "$BENCH_DIR/bus" >/dev/null 2>&1 || true
    rm -rf "$BENCH_DIR"
}
trap bench_cleanup EXIT
bench_bus() {
    BUS=$("$BENCH_ROOT/src/test/shell/private-bus.sh" start "$BENCH_DIR/bus")
}
# Starts gpupassd via bin/gpupassd on $BUS and returns when it owns org.gpupass1; sets DAEMON_PID, LAUNCH_MS.
bench_daemon() {
    gdbus wait --address "$BUS" --timeout 60 org.gpupass1 &
    local waiter=$!
    sleep 0.2   # let gdbus subscribe first
    local start
    start=$(date +%s%N)
    "$BENCH_ROOT/bin/gpupassd" --bus="$BUS" --simulate --state-dir="$BENCH_DIR/state.$$" "$@" \
        >>"$BENCH_DIR/daemon.log" 2>&1 &
    DAEMON_PID=$!
    wait "$waiter"
    LAUNCH_MS=$(( ($(date +%s%N) - start) / 1000000 ))
}
# Two starts and stops, as after an install: the launcher records the classes the daemon loads, then
# dumps its AppCDS archive from them (in the background); returns once the archive is in place.
bench_cds() {
    bench_daemon; bench_stop
    bench_daemon; bench_stop
    for _ in $(seq 1 100); do
        [ -s "$CACHE_DIRECTORY/gpupassd.jsa" ] && return 0
        sleep 0.2
    done
    echo "no AppCDS archive was made in $CACHE_DIRECTORY:" >&2
    cat "$CACHE_DIRECTORY/gpupassd.jsa.log" >&2
    return 1
}
bench_stop() {
    kill "$DAEMON_PID"
    wait "$DAEMON_PID" || true
    DAEMON_PID=""
    rm -rf "$BENCH_DIR/state.$$"
}
