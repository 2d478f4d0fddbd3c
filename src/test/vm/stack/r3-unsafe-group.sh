#!/bin/bash
# Real stack 3 (shared): a domain with the shared group's VGA (03:01.0, with a NIC behind the same
# PCI bridge) -> virsh start fails with the daemon's IommuGroupUnsafe message; nothing changed.
source "$GP_VM/stack/lib.sh"
VGA=0000:03:01.0 NIC=0000:03:02.0
require "shared topology: 03:01.0 on bochs-drm" is_drv $VGA bochs-drm
require "shared topology: 03:02.0 on e1000" is_drv $NIC e1000
reset_stack
before=$(snapshot $VGA $NIC)
define_dom gp-r3u no $VGA
refused "the daemon's IommuGroupUnsafe message naming the NIC $NIC" gp-r3u \
    "gpupassd hook: ClaimDomain for domain 'gp-r3u' failed: .*IOMMU group [0-9]+ also holds $NIC"
expect "nothing changed in sysfs" test "$(snapshot $VGA $NIC)" = "$before"
expect "no override on 03:01.0" no_ovr $VGA
vsh undefine gp-r3u > /dev/null
finish
