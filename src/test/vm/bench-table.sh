#!/bin/bash
# Prints the benchmark table from a guest's results file (FIG bench.<method>.median_ms lines).
#   bench-table.sh RESULTS_FILE
res=${1:?results file}
m() { awk -v k="FIG bench.$1.median_ms" 'index($0, k " ") == 1 { print $3 }' "$res" | tail -1; }
raw=$(m raw) gp=$(m gpupassd) dc=$(m driverctl) seed=$(m seed)
ratio() { [ -n "$1" ] && [ -n "$2" ] && [ "$2" -gt 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' || echo "n/a"; }
printf '%-44s %18s %10s\n' "one Claim+Release cycle of the pair" "median (ms)" "vs raw"
printf '%-44s %18s %10s\n' "raw sysfs writes (3 per function, and back)" "${raw:-n/a}" "$(ratio "$raw" "$raw")"
printf '%-44s %18s %10s\n' "gpupassd (busctl Claim + Release)" "${gp:-n/a}" "$(ratio "$gp" "$raw")"
printf '%-44s %18s %10s\n' "driverctl --nosave set/unset-override" "${dc:-n/a}" "$(ratio "$dc" "$raw")"
printf '%-44s %18s %10s\n' "seed-style hook (new_id/unbind/bind, sleep 2)" "${seed:-n/a}" "$(ratio "$seed" "$raw")"
bc=$(m busctl_get_property) cs=$(m gpupassd.claim_steps) rs=$(m gpupassd.release_steps)
if [ -n "$gp" ] && [ -n "$bc" ] && [ -n "$cs" ] && [ -n "$rs" ]; then
    echo "gpupassd's cycle, taken apart: 2 busctl execs ~$((2 * bc)) ms (one bare get-property: $bc ms);" \
        "the daemon's steps: claim $cs + release $rs = $((cs + rs)) ms; the rest (snapshot, plan, journal, signals): ~$((gp - 2 * bc - cs - rs)) ms"
    echo "the daemon's own steps vs raw: $(ratio $((cs + rs)) "$raw")"
    cn=$(m busctl_claim_noop)
    [ -n "$cn" ] && echo "a Claim that changes nothing (same holder) through busctl: $cn ms"
fi
if [ -n "$gp" ] && [ -n "$raw" ] && [ -n "$seed" ]; then
    a=$(awk -v g="$gp" -v r="$raw" 'BEGIN { print (g <= 1.5 * r) ? "met" : "MISSED" }')
    b=$(awk -v g="$gp" -v s="$seed" 'BEGIN { print (s >= 10 * g) ? "met" : "MISSED" }')
    echo "targets: gpupassd <= 1.5x raw: $a ($(ratio "$gp" "$raw")); seed-style >= 10x gpupassd: $b ($(ratio "$seed" "$gp"))"
else
    echo "targets: not evaluated (a figure is missing)"
fi
