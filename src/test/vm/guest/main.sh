#!/bin/bash
# Runs inside the guest (chrooted into the host root): loads the host drivers of the topology,
# then runs each named scenario (scenarios/NAME.sh) under its own time limit, each writing
# "PASS NAME" / "FAIL NAME: reason" / "FIG key value" lines to /tmp/results/results, and its own log
# to /tmp/results/NAME.log. Ends with a DONE line; the init then powers the guest off.
#   main.sh [jar=PATH] [cds=ARCHIVE] [limit=SECONDS] [dir=DIR] [NAME=VALUE...] SCENARIO...
# dir= is where the scenarios are, relative to src/test/vm (default scenarios; the real-stack
# tier's are in stack, run under systemd; a name not there is looked up in scenarios). cds= names an AppCDS archive of the daemon made on the host (make-cds.sh): a cold JVM start
# takes minutes under TCG.
GP_VM=$(cd "$(dirname "$0")/.." && pwd)
export GP_VM GP_RES=/tmp/results
export GP_RESULTS=$GP_RES/results
limit=240 dir=scenarios
scen=()
for a in "$@"; do
    case $a in
        jar=*) export GP_JAR=${a#jar=} ;;
        cds=*) export GP_CDS=${a#cds=} ;;
        limit=*) limit=${a#limit=} ;;
        dir=*) dir=${a#dir=} ;;
        [A-Z]*=*) export "${a?}" ;;     # BENCH_N=5 and the like, for the scenarios
        *) scen+=("$a") ;;
    esac
done
: > "$GP_RESULTS"
echo "FIG boot.userspace_s $(cut -d' ' -f1 /proc/uptime)" >> "$GP_RESULTS"
exec 2>>"$GP_RES/main.log" >>"$GP_RES/main.log"
set -x
mkdir -p /run/gpupass /tmp/gp
# Host drivers, as a desktop would have them (no udev in the plain guest: load them by hand; under
# systemd udev has loaded them already and these do nothing).
modprobe bochs
modprobe snd-hda-intel
grep -q 0x1013 /sys/bus/pci/devices/*/vendor 2>/dev/null && modprobe cirrus
grep -q 0x100e /sys/bus/pci/devices/*/device 2>/dev/null && modprobe e1000
lspci -nnk > "$GP_RES/lspci.txt" 2>&1 || true
for s in "${scen[@]}"; do
    t0=${EPOCHREALTIME/./}
    f=$GP_VM/$dir/$s.sh; [ -f "$f" ] || f=$GP_VM/scenarios/$s.sh
    timeout -k 5 "$limit" bash "$f" > "$GP_RES/$s.log" 2>&1 </dev/null
    rc=$?
    t1=${EPOCHREALTIME/./}; echo "FIG time.$s.ms $(( (t1 - t0) / 1000 ))" >> "$GP_RESULTS"
    if ! grep -qE "^(PASS|FAIL|SKIP) $s(:|$)" "$GP_RESULTS"; then
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then why="no verdict: timed out after ${limit}s"; else why="no verdict: exited $rc"; fi
        echo "FAIL $s: $why" >> "$GP_RESULTS"
    fi
    # A scenario that left a daemon or bus behind must not disturb the next one.
    # (lib.sh records every background process it starts in /run/gpupass/pids.)
    if [ -s /run/gpupass/pids ]; then
        while read -r p; do kill -KILL "$p" 2>/dev/null; done < /run/gpupass/pids
        : > /run/gpupass/pids
    fi
    rm -f /run/gpupass/bus.sock
done
sync
echo DONE >> "$GP_RESULTS"
sync
