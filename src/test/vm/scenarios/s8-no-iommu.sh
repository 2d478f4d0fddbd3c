#!/bin/bash
# Scenario 8 (topology noiommu): no IOMMU groups: Claim fails with IommuDisabled, IommuGroup is -1,
# nothing changes in sysfs.
source "$GP_VM/guest/lib.sh"
need_daemon
GPU=0000:01:00.0 AUD=0000:01:00.1
require "sysfs: no IOMMU groups" sh -c "[ -z \"\$(ls /sys/kernel/iommu_groups 2>/dev/null)\" ]"
require "sysfs: GPU on bochs-drm" is_drv $GPU bochs-drm
start_daemon
expect "IommuGroup -1" test "$(prop $GPU IommuGroup)" = -1
expect "Claimable false" test "$(prop $GPU Claimable)" = false
b=$(prop $GPU Blockers); log "Blockers: $b"
before=$(snapshot $GPU $AUD)
r=$(ds_mgr Claim string:$GPU string:vmtest); log "Claim: $r"
expect "Claim fails with org.gpupass1.Error.IommuDisabled" contains "$r" "org.gpupass1.Error.IommuDisabled"
r=$(ds_mgr Claim string: string:vmtest); log "Claim \"\": $r"
expect "Claim \"\" fails too (IommuDisabled or NoSuchDevice)" matches "$r" 'org\.gpupass1\.Error\.(IommuDisabled|NoSuchDevice)'
after=$(snapshot $GPU $AUD)
expect "sysfs unchanged (before: $before / after: $after)" test "$before" = "$after"
expect "no /dev/vfio groups" sh -c "[ -z \"\$(ls /dev/vfio 2>/dev/null | grep -v '^vfio$')\" ]"
expect "vfio-pci not bound to anything" sh -c "! ls /sys/bus/pci/drivers/vfio-pci 2>/dev/null | grep -q '^0000:'"
expect "State host" test "$(prop $GPU State)" = host
stop_daemon
finish
