#!/bin/bash
# Real stack 2: a VM through libvirt. A domain with managed='no' hostdevs for both functions:
# virsh start -> the shipped hook's ClaimDomain -> both functions on vfio-pci, the VM's qemu holds
# /dev/vfio/N, the GPU says vfio with the domain as holder; virsh destroy -> release end -> both
# functions back on bochs-drm and snd_hda_intel, the DRM node back; StateChanged and
# PropertiesChanged seen on the system bus in order. (virsh shutdown needs a guest OS that
# answers ACPI; this VM has none, so the stop is virsh destroy.)
source "$GP_VM/stack/lib.sh"
reset_stack
card=$(card_of $GPU)
D_NAME=gp-r2
define_dom $D_NAME no $GPU $AUD
require "domain $D_NAME defined" test "$(dom_state $D_NAME)" = "shut off"
sys_monitor_start "$GP_RES/$SCEN.signals"
m=$(jmark)
t0=$(now_us)
vstart $D_NAME "$GP_RES/$SCEN.start.out"; rc=$?
fig stack.virsh_start_hook_ms $(( ($(now_us) - t0) / 1000 ))
require "virsh start $D_NAME exits 0" test $rc = 0
expect "domain running" test "$(dom_state $D_NAME)" = running
expect "sysfs: both functions on vfio-pci, /dev/vfio/$G present" on_vfio
expect "sysfs: the GPU's DRM node ($card) gone" not has_card $GPU
qp=$(qemu_pid $D_NAME); log "qemu pid $qp: $(ls -l /proc/$qp/fd 2>/dev/null | grep -E 'vfio' | tr '\n' ';')"
expect "the VM's qemu ($qp) holds /dev/vfio/$G" holds_vfio "$qp"
expect "the VM's qemu has the two vfio device fds" test "$(ls -l /proc/$qp/fd 2>/dev/null | grep -c 'anon_inode:\[vfio-device\]')" = 2
expect "qemu runs as libvirt-qemu" test "$(stat -c %U /proc/$qp)" = libvirt-qemu
expect "State vfio" test "$(sprop $GPU State)" = vfio
expect "Holder is the domain's name" test "$(sprop $GPU Holder)" = $D_NAME
expect "systemctl status: '01:00.0 ...: vfio ($D_NAME)'" matches "$(uprop gpupassd.service StatusText)" "01:00\.0 [^·]*: vfio \($D_NAME\)"
expect "journal: the daemon claimed for $D_NAME" jwait 30 "$m" gpupassd.service "claim $GPU for $D_NAME"
t0=$(now_us)
o=$(vsh destroy $D_NAME 2>&1); rc=$?; log "virsh destroy: exit $rc: $o"
fig stack.virsh_destroy_hook_ms $(( ($(now_us) - t0) / 1000 ))
expect "virsh destroy exits 0" test $rc = 0
expect "the pair back on bochs-drm + snd_hda_intel when virsh destroy returns" on_host
expect "the DRM node back" has_card $GPU
expect "/dev/vfio/$G gone" absent /dev/vfio/$G
expect "State host, no holder" test "$(sprop $GPU State)/$(sprop $GPU Holder)" = "host/"
monitor_stop
sc=$(state_changes "$GP_RES/$SCEN.signals" $GPU); log "StateChanged: $sc"
expect "StateChanged host>claiming>vfio>releasing>host (got: $sc)" test "$sc" = "host>claiming claiming>vfio vfio>releasing releasing>host"
# The holder each change is for (docs/dbus-api.md): the claimant while claiming and once vfio, the
# holder being released while releasing, "" back on host.
sh_=$(grep 'StateChanged' "$GP_RES/$SCEN.signals" | grep "'$GPU'" | sed -E "s/.*'$GPU', '([a-z]*)', '([a-z]*)', '([^']*)'.*/\1>\2:\3/" | tr '\n' ' ' | sed 's/ $//')
log "StateChanged with holders: $sh_"
expect "StateChanged holders: the claimant while claiming and once vfio (got: $sh_)" \
    test "$sh_" = "host>claiming:$D_NAME claiming>vfio:$D_NAME vfio>releasing:$D_NAME releasing>host:"
pc=$(grep 'PropertiesChanged' "$GP_RES/$SCEN.signals" | grep "pci_${GPU//[:.]/_}" | grep -o "'State': <'[a-z]*'>" | sed -E "s/.*<'([a-z]*)'>/\1/" | tr '\n' ' ' | sed 's/ $//')
log "PropertiesChanged State: $pc"
expect "PropertiesChanged State claiming vfio releasing host (got: $pc)" test "$pc" = "claiming vfio releasing host"
# Each State change: its PropertiesChanged before its StateChanged, or the other way, but never out of turn.
order=$(grep -E "StateChanged|PropertiesChanged" "$GP_RES/$SCEN.signals" | grep "pci_${GPU//[:.]/_}" | grep -oE "StateChanged \(objectpath '[^']*', '[^']*', '[a-z]*', '[a-z]*'|'State': <'[a-z]*'>" \
    | sed -E "s/StateChanged.*'([a-z]*)'$/S:\1/; s/'State': <'([a-z]*)'>/P:\1/" | tr '\n' ' ')
log "signal order: $order"
expect "signals in order (each state announced by both before the next)" \
    matches "$order" "^((S|P):claiming (S|P):claiming )((S|P):vfio (S|P):vfio )((S|P):releasing (S|P):releasing )((S|P):host (S|P):host ) ?$"
vsh undefine $D_NAME > /dev/null
finish
