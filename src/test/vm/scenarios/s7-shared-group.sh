#!/bin/bash
# Scenario 7 (topology shared): the VGA 03:01.0 shares its IOMMU group with the NIC 03:02.0
# (both behind a conventional PCI bridge): not claimable, the blocker names the NIC, Claim fails
# with IommuGroupUnsafe and changes nothing; the other GPU (01:00.0) still works, and Claim ""
# picks it (the only claimable one).
source "$GP_VM/guest/lib.sh"
need_daemon
VGA=0000:03:01.0 NIC=0000:03:02.0 BR=0000:02:00.0 GPU=0000:01:00.0 AUD=0000:01:00.1
G=$(group $VGA)
require "sysfs: VGA and NIC in one IOMMU group" test "$G" != -1 -a "$(group $NIC)" = "$G"
expect "sysfs: the PCIe-to-PCI bridge is in that group too" test "$(group $BR)" = "$G"
expect "sysfs: NIC on e1000" is_drv $NIC e1000
start_daemon
expect "Claimable false" test "$(prop $VGA Claimable)" = false
b=$(prop $VGA Blockers); log "Blockers: $b"
expect "a blocker names the NIC $NIC" contains "$b" "$NIC"
expect "no blocker names the bridge $BR" lacks "$b" "$BR"
before=$(snapshot $VGA $NIC)
r=$(ds_mgr Claim string:$VGA string:vmtest); log "Claim: $r"
expect "Claim fails with org.gpupass1.Error.IommuGroupUnsafe" contains "$r" "org.gpupass1.Error.IommuGroupUnsafe"
expect "the error names the NIC" contains "$r" "$NIC"
after=$(snapshot $VGA $NIC)
expect "sysfs unchanged (before: $before / after: $after)" test "$before" = "$after"
expect "sysfs: NIC still on e1000" is_drv $NIC e1000
expect "sysfs: VGA still on bochs-drm" is_drv $VGA bochs-drm
expect "no /dev/vfio/$G" absent /dev/vfio/$G
# the other GPU
o=$(mgr Claim ss "" vmtest 2>&1); log "Claim \"\": $o"
expect "Claim \"\" picks the only claimable GPU 01:00.0" test "$o" = "o \"$(gpu_path $GPU)\""
expect "sysfs: GPU on vfio-pci" is_drv $GPU vfio-pci
expect "sysfs: audio on vfio-pci" is_drv $AUD vfio-pci
expect "/dev/vfio/$(group $GPU) present" exists /dev/vfio/$(group $GPU)
mgr Release ss $GPU vmtest
expect "sysfs: GPU back on cirrus" is_drv $GPU cirrus
expect "sysfs: audio back on snd_hda_intel" is_drv $AUD snd_hda_intel
stop_daemon
finish
