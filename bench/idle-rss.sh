#!/bin/bash
# Idle RSS of the daemon after 200 Status calls (MiB), started with bin/gpupassd's flags.
# Target: <= 48 MiB.   Usage: bench/idle-rss.sh
. "$(dirname "$0")/lib.sh"
bench_bus
bench_cds
bench_daemon
for _ in $(seq 1 200); do
    busctl --address="$BUS" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status >/dev/null
done
sleep 3
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status")
threads=$(awk '/^Threads:/ {print $2}' "/proc/$DAEMON_PID/status")
awk -v kb="$rss_kb" -v t="$threads" 'BEGIN { printf "idle RSS after 200 Status calls: %.1f MiB (%d threads; target <= 48 MiB)\n", kb / 1024, t }'
