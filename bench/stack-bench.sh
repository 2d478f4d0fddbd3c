#!/bin/bash
# Real-stack benchmark: one systemd guest (topology dual, TCG) with the project installed, libvirt
# and the daemon under the shipped unit; times one cycle of the GPU-like pair to vfio-pci and back
# (raw sysfs writes, gpupassd through busctl --system, virsh nodedev-detach/reattach, driverctl, the
# seed-style hook), takes the daemon's own time apart with ftrace, and times a VM's start and stop
# three ways (the gpupassd hook, libvirt's managed='yes', a pre-bound floor); prints the table.
#   bench/stack-bench.sh            (run as root after mvn package)
# Env (counts; defaults in src/test/vm/stack/bench-stack.sh): BENCH_N, BENCH_TRACE, BENCH_VM_N,
# BENCH_NODEDEV_N, and BENCH_N/BENCH_NSEED of the baselines.
set -euo pipefail
base=$(cd "$(dirname "$0")/.." && pwd)
vm=$base/src/test/vm
"$vm/check-prereqs.sh" && "$vm/stack/check-prereqs.sh" || { echo "stack-bench: missing prerequisites (above)" >&2; exit 2; }
out=$base/target/vm-runs/stack-bench
counts=()
for v in BENCH_N BENCH_NSEED BENCH_TRACE BENCH_VM_N BENCH_NODEDEV_N; do
    [ -n "${!v:-}" ] && counts+=("$v=${!v}")
done
t0=$(date +%s)
"$vm/run-vm.sh" -s -t 3000 -o "$out" dual "$vm/guest/main.sh" "jar=$base/target/gpupassd.jar" limit=2400 dir=stack \
    "${counts[@]}" stack-setup bench-baselines bench-stack
grep -E '^(PASS|FAIL|SKIP)' "$out/results" || true
echo
"$vm/bench-table.sh" "$out/results" | tee "$base/target/vm-runs/stack-bench.txt"
echo "guest userspace up after $(awk '$2=="boot.userspace_s" {print $3}' "$out/results") s; whole run $(( $(date +%s) - t0 )) s (TCG, $(nproc) host cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
