#!/bin/bash
# Scenario 3 (topology dual), also the gpupassd line of the benchmark: twenty Claim+Release
# cycles through busctl. Each cycle is checked in sysfs; at the end no override is left and the
# daemon's memory has not grown (RSS after cycle 20 vs after cycle 5).
source "$GP_VM/guest/lib.sh"
need_daemon
GPU=0000:01:00.0 AUD=0000:01:00.1
N=${CYCLES:-20}
G=$(group $GPU)
start_daemon
on_vfio() { is_drv $GPU vfio-pci && is_drv $AUD vfio-pci && [[ -e /dev/vfio/$G ]]; }
on_host() { is_drv $GPU bochs-drm && is_drv $AUD snd_hda_intel && has_card $GPU; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%d\n", (a[NR/2]+a[NR/2+1])/2}'; }
samples= bad=0 rss5=
for ((i = 1; i <= N; i++)); do
    now; t0=$NOW
    bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss $GPU bench > /dev/null || { bad=1; log "cycle $i: Claim failed"; }
    wait_for 10 on_vfio || { bad=1; log "cycle $i: not on vfio: $(snapshot $GPU $AUD)"; }
    bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Release ss $GPU bench > /dev/null || { bad=1; log "cycle $i: Release failed"; }
    wait_for 10 on_host || { bad=1; log "cycle $i: not on host: $(snapshot $GPU $AUD)"; }
    now; samples+=" $(( (NOW - t0) / 1000 ))"
    [ $i = 5 ] && rss5=$(daemon_rss_kib)
    [ $bad = 1 ] && break
done
rss20=$(daemon_rss_kib)
# Where a cycle's time goes: one busctl call that does nothing (its exec and connect), and the
# daemon's own step time per transition (from its log: "claim ...: 10/10 steps in N ms").
calls=
for ((i = 0; i < 10; i++)); do
    now; t0=$NOW; bctl get-property org.gpupass1 "$(gpu_path $GPU)" org.gpupass1.Gpu State > /dev/null; now
    calls+=" $(( (NOW - t0) / 1000 ))"
done
fig bench.busctl_get_property.median_ms "$(echo $calls | median)"
# A Claim that changes nothing (already held by the same holder): the daemon's fixed cost per call.
bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss $GPU bench > /dev/null
calls=
for ((i = 0; i < 10; i++)); do
    now; t0=$NOW; bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss $GPU bench > /dev/null; now
    calls+=" $(( (NOW - t0) / 1000 ))"
done
fig bench.busctl_claim_noop.median_ms "$(echo $calls | median)"
bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Release ss $GPU bench > /dev/null
expect "released after the no-op claims" on_host
fig bench.gpupassd.claim_steps.median_ms "$(grep -o 'claim 0000:01:00.0 for bench: [0-9/]* steps in [0-9]* ms' "$GP_RES/$SCEN.daemon.log" | awk '{print $(NF-1)}' | median)"
fig bench.gpupassd.release_steps.median_ms "$(grep -o 'release 0000:01:00.0 from bench: [0-9/]* steps in [0-9]* ms' "$GP_RES/$SCEN.daemon.log" | awk '{print $(NF-1)}' | median)"
expect "all $N cycles went to vfio-pci and back (sysfs)" test $bad = 0
expect "no override left on the GPU" no_ovr $GPU
expect "no override left on the audio function" no_ovr $AUD
expect "no /dev/vfio/$G left" absent /dev/vfio/$G
expect "State host, no holder" test "$(prop $GPU State)/$(prop $GPU Holder)" = "host/"
fig bench.gpupassd.samples_ms "$(echo $samples | tr ' ' ,)"
fig bench.gpupassd.median_ms "$(echo $samples | median)"
fig daemon.rss_kib.after5 "$rss5"
fig daemon.rss_kib.after20 "$rss20"
# The JIT and the heap settle in the first cycles; after that, 20 cycles must not grow the RSS by
# more than 8 MiB (a leak of a few KiB per transition would not show, a leak per step would).
expect "daemon RSS did not grow (${rss5} KiB after 5 cycles, ${rss20} KiB after $N)" \
    test $(( rss20 - rss5 )) -le 8192
stop_daemon
finish
