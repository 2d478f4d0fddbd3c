#!/bin/bash
# Status calls per second from a Java client (bench/StatusRate.java) against the daemon started with
# bin/gpupassd's flags, and the CPU time each process (daemon, dbus-daemon, client) spends per call.
# Target: >= 5,000/s.   Usage: bench/status-rate.sh [CLIENT_THREADS] [SECONDS]
. "$(dirname "$0")/lib.sh"
bench_bus
bench_daemon
java -XX:+UseSerialGC -cp "$GPUPASS_JAR" "$BENCH_ROOT/bench/StatusRate.java" "$BUS" "${1:-4}" "${2:-5}" \
    "gpupassd=$DAEMON_PID" "dbus-daemon=$(cat "$BENCH_DIR/bus/pid")"
