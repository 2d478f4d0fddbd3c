#!/bin/bash
# Prints the benchmark table from a guest's results file (FIG bench.<method>.median_ms lines):
# the real-kernel tier's (gpupassd on a private bus) or the real-stack tier's (gpupassd under
# systemd, libvirt, the split of the daemon's time); rows whose figures are missing are left out.
#   bench-table.sh RESULTS_FILE
res=${1:?results file}
m() { awk -v k="FIG bench.$1.median_ms" 'index($0, k " ") == 1 { print $3 }' "$res" | tail -1; }
f() { awk -v k="FIG bench.$1" 'index($0, k " ") == 1 { print $3 }' "$res" | tail -1; }
raw=$(m raw) gp=$(m gpupassd) gps=$(m gpupassd_system) dc=$(m driverctl) seed=$(m seed) nd=$(m nodedev)
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "n/a"; }
row() { [ -n "$2" ] && printf '%-52s %12s %10s\n' "$1" "$2" "$(ratio "$2" "$raw")"; return 0; }
printf '%-52s %12s %10s\n' "one cycle of the pair to vfio-pci and back" "median (ms)" "vs raw"
printf '%-52s %12s %10s\n' "raw sysfs writes (3 per function, and back)" "${raw:-n/a}" "$(ratio "$raw" "$raw")"
row "gpupassd (busctl Claim + Release, private bus)" "$gp"
row "gpupassd under systemd (busctl --system)" "$gps"
row "virsh nodedev-detach + nodedev-reattach" "$nd"
row "driverctl --nosave set/unset-override" "$dc"
row "seed-style hook (new_id/unbind/bind, sleep 2)" "$seed"
bc=$(m busctl_get_property) cs=$(m gpupassd.claim_steps) rs=$(m gpupassd.release_steps)
if [ -n "$gp" ] && [ -n "$bc" ] && [ -n "$cs" ] && [ -n "$rs" ]; then
    echo "gpupassd's cycle, taken apart: 2 busctl execs ~$((2 * bc)) ms (one bare get-property: $bc ms);" \
        "the daemon's steps: claim $cs + release $rs = $((cs + rs)) ms; the rest (snapshot, plan, journal, signals): ~$((gp - 2 * bc - cs - rs)) ms"
    echo "the daemon's own steps vs raw: $(ratio $((cs + rs)) "$raw")"
    cn=$(m busctl_claim_noop)
    [ -n "$cn" ] && echo "a Claim that changes nothing (same holder) through busctl: $cn ms"
fi
# The real stack: the daemon's time inside it, from the traced cycles (stack/trace-split.py).
w=$(f split.cycle.window_ms)
if [ -n "$w" ]; then
    k=$(f split.cycle.kernel_ms) sn=$(f split.cycle.snapshot_ms) ho=$(f split.cycle.holders_ms) jo=$(f split.cycle.journal_ms)
    si=$(f split.cycle.signals_ms) bu=$(f split.cycle.bus_ms) cp=$(f split.cycle.cpu_ms) jv=$(f split.cycle.jvm_ms)
    ot=$(f split.cycle.other_ms) id=$(f split.cycle.idle_ms) tr=$(m gpupassd_system_traced)
    own=$((sn + ho + jo + si + bu + cp))
    pct() { awk -v a="$1" -v b="$w" 'BEGIN { printf "%d%%", (b > 0 ? 100 * a / b + 0.5 : 0) }'; }
    echo "inside the daemon, one cycle (claim + release), ftrace of its threads over $(f split.traced_cycles) cycles (traced cycle $tr ms, untraced ${gps:-?} ms):"
    printf '  %-50s %7s %6s\n' "from reading the call to sending the reply" "$w" "100%"
    printf '  %-50s %7s %6s\n' "kernel steps (sysfs control writes, module loads)" "$k" "$(pct "$k")"
    printf '  %-50s %7s %6s\n' "own work" "$own" "$(pct "$own")"
    printf '  %-50s %7s %6s\n' "  snapshot (reading sysfs, /dev, /proc/modules)" "$sn" "$(pct "$sn")"
    printf '  %-50s %7s %6s\n' "  holder scan (/proc/PID/fd, cgroup, ...)" "$ho" "$(pct "$ho")"
    printf '  %-50s %7s %6s\n' "  journal (the state directory, fsync, rename)" "$jo" "$(pct "$jo")"
    printf '  %-50s %7s %6s\n' "  signals (building StateChanged, PropertiesChanged)" "$si" "$(pct "$si")"
    printf '  %-50s %7s %6s\n' "  D-Bus I/O (call dispatch, reply, systemd queries)" "$bu" "$(pct "$bu")"
    printf '  %-50s %7s %6s\n' "  plan, model, marshalling (Java between I/O)" "$cp" "$(pct "$cp")"
    printf '  %-50s %7s %6s\n' "JVM threads (JIT compiler, GC)" "$jv" "$(pct "$jv")"
    printf '  %-50s %7s %6s\n' "other syscalls" "$ot" "$(pct "$ot")"
    printf '  %-50s %7s %6s\n' "waiting (sleeps, polls, hand-offs between threads)" "$id" "$(pct "$id")"
    echo "  per call: holder scan $(f split.claim.holders_syscalls) syscalls, snapshot $(f split.claim.snapshot_syscalls)," \
        "journal $(f split.claim.journal_syscalls), kernel steps $(f split.claim.kernel_syscalls) (a claim)"
    echo "  own work vs raw: $(ratio "$own" "$raw") traced (tracing slows the syscall-heavy parts most; target < 0.2x)"
    gb=$(m busctl_system_get_property)
    if [ -n "$gps" ] && [ -n "$gb" ]; then
        est=$(awk -v o="$own" -v w="$w" -v c="$gps" -v b="$gb" 'BEGIN { printf "%d", o / w * (c - 2 * b) }')
        echo "  untraced estimate: own work ~$est ms of the $((gps - 2 * gb)) ms the daemon has (the cycle less 2 busctl execs of $gb ms) = $(ratio "$est" "$raw") raw"
    fi
fi
vs() { m "vm_start.$1"; }
ve() { m "vm_stop.$1"; }
if [ -n "$(vs hook)$(vs managed)$(vs prebound)" ]; then
    printf '\n%-52s %12s %12s\n' "a VM (virsh, nested TCG)" "start (ms)" "stop (ms)"
    printf '%-52s %12s %12s\n' "gpupassd hook, managed='no'" "$(vs hook)" "$(ve hook)"
    printf '%-52s %12s %12s\n' "libvirt alone, managed='yes'" "$(vs managed)" "$(ve managed)"
    printf '%-52s %12s %12s\n' "floor: pre-bound to vfio-pci, no hook (+ raw back)" "$(vs prebound)" "$(ve prebound)"
fi
g=${gp:-$gps}
if [ -n "$g" ] && [ -n "$raw" ] && [ -n "$seed" ]; then
    a=$(awk -v g="$g" -v r="$raw" 'BEGIN { print (g <= 1.5 * r) ? "met" : "MISSED" }')
    b=$(awk -v g="$g" -v s="$seed" 'BEGIN { print (s >= 10 * g) ? "met" : "MISSED" }')
    echo "targets: gpupassd <= 1.5x raw: $a ($(ratio "$g" "$raw")); seed-style >= 10x gpupassd: $b ($(ratio "$seed" "$g"))"
else
    echo "targets: not evaluated (a figure is missing)"
fi
