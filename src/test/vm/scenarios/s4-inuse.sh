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
expect "the error names the holder's command (sleep)" contains "$r" "sleep"
after=$(snapshot $GPU $AUD)
expect "sysfs unchanged (before: $before / after: $after)" test "$before" = "$after"
expect "sysfs: GPU still on bochs-drm" is_drv $GPU bochs-drm
expect "State host" test "$(prop $GPU State)" = host
kill $holder; wait $holder 2>/dev/null
# The audio function's sound card nodes count too.
ctl=$(ls -d $D/$AUD/sound/card*/controlC* 2>/dev/null | head -1)
if [ -n "$ctl" ]; then
    sleep 600 < /dev/snd/${ctl##*/} &
    sholder=$!; track $sholder; nap 0.5
    before=$(snapshot $GPU $AUD)
    r=$(ds_mgr Claim string:$GPU string:vmtest); log "Claim with /dev/snd/${ctl##*/} held: $r"
    expect "a holder of the audio function's /dev/snd/${ctl##*/} → InUse naming pid $sholder" \
        matches "$r" "org\.gpupass1\.Error\.InUse.*$sholder"
    expect "sysfs unchanged with the sound node held" test "$before" = "$(snapshot $GPU $AUD)"
    kill $sholder; wait $sholder 2>/dev/null
else
    errs+=("the audio function has no sound card (HDA codec not probed?)")
fi
# Once the holder is gone the same claim works (and is released again).
o=$(mgr Claim ss $GPU vmtest 2>&1); log "Claim after the holder left: $o"
expect "Claim succeeds once the holder is gone" is_drv $GPU vfio-pci
mgr Release ss $GPU vmtest
expect "released again" is_drv $GPU bochs-drm
stop_daemon
finish
