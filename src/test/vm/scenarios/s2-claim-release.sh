#!/bin/bash
# Scenario 2 (topology dual): Claim "" moves both functions of the pair to vfio-pci, creates
# /dev/vfio/N, signals host>claiming>vfio in order, leaves the boot VGA and the bochs module it
# shares with the pair alone. Release brings bochs-drm and snd_hda_intel back, clears the
# overrides, brings the DRM node back.
source "$GP_VM/guest/lib.sh"
need_daemon
BOOT=0000:00:02.0 GPU=0000:01:00.0 AUD=0000:01:00.1
G=$(group $GPU)
require "sysfs: GPU on bochs-drm" is_drv $GPU bochs-drm
require "sysfs: audio on snd_hda_intel" is_drv $AUD snd_hda_intel
bootcard=$(card_of $BOOT); require "boot VGA has a DRM card" test -n "$bootcard"
start_daemon
monitor_start "$GP_RES/$SCEN.signals"
o=$(mgr Claim ss "" vmtest 2>&1); log "Claim: $o"
expect "Claim \"\" returns the pair's object" test "$o" = "o \"$(gpu_path $GPU)\""
expect "sysfs: GPU on vfio-pci" is_drv $GPU vfio-pci
expect "sysfs: audio on vfio-pci" is_drv $AUD vfio-pci
expect "/dev/vfio/$G present" exists /dev/vfio/$G
expect "sysfs: GPU has no DRM node any more" sh -c "! ls $D/$GPU/drm 2>/dev/null | grep -q card"
expect "sysfs: boot VGA still on bochs-drm" is_drv $BOOT bochs-drm
expect "boot VGA's /dev/dri/$bootcard still there" exists /dev/dri/$bootcard
expect "shared bochs module still loaded" mod_loaded bochs
expect "State vfio" test "$(prop $GPU State)" = vfio
expect "Holder vmtest" test "$(prop $GPU Holder)" = vmtest
expect "Driver vfio-pci" test "$(prop $GPU Driver)" = vfio-pci
expect "HostDriver bochs-drm" test "$(prop $GPU HostDriver)" = bochs-drm
o=$(mgr Release ss 01:00.0 vmtest 2>&1); log "Release: $o"
expect "Release succeeds" test -z "$o"
monitor_stop
expect "sysfs: GPU back on bochs-drm" is_drv $GPU bochs-drm
expect "sysfs: audio back on snd_hda_intel" is_drv $AUD snd_hda_intel
expect "sysfs: GPU override cleared" no_ovr $GPU
expect "sysfs: audio override cleared" no_ovr $AUD
expect "sysfs: GPU has its DRM node again" has_card $GPU
expect "/dev/dri/$(card_of $GPU) exists" exists "/dev/dri/$(card_of $GPU)"
expect "/dev/vfio/$G gone" absent /dev/vfio/$G
expect "sysfs: boot VGA still on bochs-drm" is_drv $BOOT bochs-drm
expect "State host" test "$(prop $GPU State)" = host
expect "Holder empty" test "$(prop $GPU Holder)" = ""
sc=$(state_changes "$GP_RES/$SCEN.signals" $GPU); log "StateChanged: $sc"
expect "StateChanged in order host>claiming claiming>vfio vfio>releasing releasing>host (got: $sc)" \
    test "$sc" = "host>claiming claiming>vfio vfio>releasing releasing>host"
expect "no StateChanged for the boot VGA" lacks "$(grep StateChanged "$GP_RES/$SCEN.signals")" "'$BOOT'"
stop_daemon
finish
