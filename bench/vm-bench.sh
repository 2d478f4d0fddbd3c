#!/bin/bash
# Real-kernel benchmark: one qemu guest (topology dual, TCG) times a Claim+Release cycle of the
# GPU-like pair four ways in the same boot — gpupassd through busctl (scenario s3-cycles, 20
# cycles), the raw sysfs writes, driverctl --nosave, and the seed-style hook — and prints a table.
#   bench/vm-bench.sh [JAR]        (run as root after mvn package; JAR defaults to target/gpupassd.jar)
# Env: BENCH_N (raw/driverctl cycles, default 10), BENCH_NSEED (seed-hook cycles, default 3).
set -euo pipefail
base=$(cd "$(dirname "$0")/.." && pwd)
jar=${1:-$base/target/gpupassd.jar}
vm=$base/src/test/vm
"$vm/check-prereqs.sh" || { echo "vm-bench: missing prerequisites (above)" >&2; exit 2; }
out=$base/target/vm-runs/bench
scen=(bench-baselines)
if [ -f "$jar" ] && grep -qa 'org/gpupass/Main.class' "$jar"; then scen=(s3-cycles bench-baselines)
else echo "vm-bench: no daemon in $jar: baselines only" >&2; fi
cds=$("$vm/make-cds.sh" "$jar" "$base/target/vm-cache" 2>/dev/null || true)
t0=$(date +%s)
"$vm/run-vm.sh" -t 1800 -o "$out" dual "$vm/guest/main.sh" "jar=$jar" ${cds:+cds=$cds} limit=1200 "${scen[@]}"
grep -E '^(PASS|FAIL|SKIP)' "$out/results" || true
echo
"$vm/bench-table.sh" "$out/results" | tee "$base/target/vm-runs/bench.txt"
echo "guest userspace up after $(awk '$2=="boot.userspace_s" {print $3}' "$out/results") s; whole run $(( $(date +%s) - t0 )) s (TCG, $(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
