#!/bin/bash
# Launch to name on the bus: ms from starting bin/gpupassd (simulated dual-gpu host, private bus)
# until org.gpupass1 is owned. Two unmeasured starts first make the launcher's AppCDS archive, as the
# first start after an install does. Target: <= 400 ms.   Usage: bench/launch.sh [RUNS]
. "$(dirname "$0")/lib.sh"
runs=${1:-7}
bench_bus
bench_cds
times=()
for _ in $(seq 1 "$runs"); do
    bench_daemon
    times+=("$LAUNCH_MS")
    bench_stop
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
median=$(echo "$sorted" | sed -n "$(( (runs + 1) / 2 ))p")
echo "launch to name on the bus: median ${median} ms (runs: ${times[*]}; target <= 400 ms)"
