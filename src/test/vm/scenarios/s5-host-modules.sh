#!/bin/bash
# Scenario 5 (topology shared): with unload_host_modules on, the host driver module of a GPU that
# nobody else uses (cirrus, for the Cirrus VGA at 01:00.0) is unloaded on Claim and loaded again on
# Release; bochs, used by the boot VGA and 03:01.0, stays.
source "$GP_VM/guest/lib.sh"
need_daemon
GPU=0000:01:00.0 AUD=0000:01:00.1 BOOT=0000:00:02.0
G=$(group $GPU)
require "sysfs: 01:00.0 on cirrus" is_drv $GPU cirrus
require "cirrus module loaded" mod_loaded cirrus
conf=/run/gpupass/s5.conf
printf '%s\n' '# scenario 5: unload the host modules nobody else uses' 'unload_host_modules = true' 'modules.cirrus = cirrus' > $conf
start_daemon $conf
o=$(mgr Claim ss $GPU vmtest 2>&1); log "Claim: $o"
expect "Claim succeeds" test "$o" = "o \"$(gpu_path $GPU)\""
expect "sysfs: GPU on vfio-pci" is_drv $GPU vfio-pci
expect "sysfs: audio on vfio-pci" is_drv $AUD vfio-pci
expect "/dev/vfio/$G present" exists /dev/vfio/$G
expect "cirrus module unloaded" mod_absent cirrus
expect "bochs module (boot VGA) still loaded" mod_loaded bochs
expect "sysfs: boot VGA still on bochs-drm" is_drv $BOOT bochs-drm
log "modules while claimed: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
o=$(mgr Release ss $GPU vmtest 2>&1); log "Release: $o"
expect "Release succeeds" test -z "$o"
expect "cirrus module loaded again" mod_loaded cirrus
expect "sysfs: GPU back on cirrus" is_drv $GPU cirrus
expect "sysfs: audio back on snd_hda_intel" is_drv $AUD snd_hda_intel
expect "sysfs: GPU has its DRM node again" has_card $GPU
expect "no overrides left" sh -c "grep -q null $D/$GPU/driver_override && grep -q null $D/$AUD/driver_override"
expect "State host" test "$(prop $GPU State)" = host
stop_daemon
finish
