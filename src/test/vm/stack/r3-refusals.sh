#!/bin/bash
# Real stack 3 (dual): refusals as libvirt shows them.
#   a hostdev with managed='yes'      -> virsh start fails with the daemon's ManagedHostdev message
#   gpupassd stopped                  -> the hook's "not running" message; a domain without
#                                        hostdevs still starts
#   a GPU another running domain holds -> AlreadyClaimed naming that domain; the running one keeps it
# Nothing changes in sysfs for any refusal. (The shared topology's IommuGroupUnsafe: r3-unsafe-group.)
source "$GP_VM/stack/lib.sh"
reset_stack
before=$(snapshot $GPU $AUD)
# 1. managed='yes'
define_dom gp-r3y yes $GPU $AUD
refused "managed='yes' (the daemon's ManagedHostdev message)" gp-r3y \
    "gpupassd hook: ClaimDomain for domain 'gp-r3y' failed: domain gp-r3y has managed='yes' on $GPU"
expect "managed='yes': nothing changed in sysfs" test "$(snapshot $GPU $AUD)" = "$before"
expect "managed='yes': State host" test "$(sprop $GPU State)" = host
vsh undefine gp-r3y > /dev/null
# 2. gpupassd stopped
require "systemctl stop gpupassd" systemctl stop gpupassd.service
define_dom gp-r3s no $GPU $AUD
refused "gpupassd stopped (the hook's 'not running' message)" gp-r3s \
    "gpupassd hook: gpupassd is not running \(org.gpupass1 is not on the system bus\)"
expect "gpupassd stopped: nothing changed in sysfs" test "$(snapshot $GPU $AUD)" = "$before"
expect "gpupassd stopped: it was not started behind our back" test "$(systemctl is-active gpupassd.service)" = inactive
define_dom gp-r3n no
expect "gpupassd stopped: a domain without hostdevs starts" vstart gp-r3n "$GP_RES/$SCEN.gp-r3n.out"
expect "gpupassd stopped: that domain runs" test "$(dom_state gp-r3n)" = running
vsh destroy gp-r3n > /dev/null; vsh undefine gp-r3n > /dev/null; vsh undefine gp-r3s > /dev/null
require "systemctl start gpupassd" start_gpupassd
# 3. a GPU another running domain holds
define_dom gp-r3a no $GPU $AUD
define_dom gp-r3b no $GPU $AUD
require "the first domain starts" vstart gp-r3a "$GP_RES/$SCEN.gp-r3a.out"
qp=$(qemu_pid gp-r3a)
refused "a GPU another running domain holds (AlreadyClaimed naming it)" gp-r3b "is already claimed by gp-r3a"
# libvirt runs the second domain's release hook too: it must not take the GPU from the first.
expect "the first keeps the GPU: on vfio-pci" on_vfio
expect "the first keeps the GPU: Holder gp-r3a" test "$(sprop $GPU Holder)" = gp-r3a
expect "the first VM still runs and its qemu holds /dev/vfio/$G" vm_runs_holding gp-r3a "$qp"
vsh destroy gp-r3a > /dev/null
expect "after the first is destroyed: back on the host" on_host
vsh undefine gp-r3a > /dev/null; vsh undefine gp-r3b > /dev/null
finish
