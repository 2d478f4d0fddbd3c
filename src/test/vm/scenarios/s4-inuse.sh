#!/bin/bash
# Scenario 4 (topology dual): a process holding the GPU's /dev/dri node makes Claim fail with
# org.gpupass1.Error.InUse naming that pid; sysfs unchanged.
source "$GP_VM/guest/lib.sh"
need_daemon
GPU=0000:01:00.0 AUD=0000:01:00.1
card=$(card_of $GPU); require "the GPU has a DRM card" test -n "$card"
start_daemon
sleep 600 < /dev/dri/$card &
holder=$!; track $holder
nap 0.5
before=$(snapshot $GPU $AUD)
r=$(ds_mgr Claim string:$GPU string:vmtest); log "Claim: $r"
expect "Claim fails with org.gpupass1.Error.InUse" contains "$r" "org.gpupass1.Error.InUse"
expect "the error names the holder's pid $holder" contains "$r" "$holder"
after=$(snapshot $GPU $AUD)
expect "sysfs unchanged (before: $before / after: $after)" test "$before" = "$after"
expect "sysfs: GPU still on bochs-drm" is_drv $GPU bochs-drm
expect "State host" test "$(prop $GPU State)" = host
kill $holder; wait $holder 2>/dev/null
# Once the holder is gone the same claim works (and is released again).
o=$(mgr Claim ss $GPU vmtest 2>&1); log "Claim after the holder left: $o"
expect "Claim succeeds once the holder is gone" is_drv $GPU vfio-pci
mgr Release ss $GPU vmtest
expect "released again" is_drv $GPU bochs-drm
stop_daemon
finish
