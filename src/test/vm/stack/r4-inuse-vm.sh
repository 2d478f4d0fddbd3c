#!/bin/bash
# Real stack 4: while a VM runs, gpupassctl release refuses with InUse naming the qemu process
# and its machine scope unit; nothing changes, the VM keeps running.
source "$GP_VM/stack/lib.sh"
reset_stack
D_NAME=gp-r4
define_dom $D_NAME no $GPU $AUD
require "virsh start $D_NAME" vstart $D_NAME "$GP_RES/$SCEN.start.out"
qp=$(qemu_pid $D_NAME)
scope=$(sed -n 's|^0::.*/\([^/]*\.scope\)\(/.*\)\?$|\1|p' /proc/$qp/cgroup); log "qemu $qp in $scope ($(cat /proc/$qp/cgroup))"
require "qemu runs in a machine scope" matches "$scope" '^machine-qemu.*\.scope$'
t0=$(now_us)
o=$(gpupassctl release $GPU 2>&1); rc=$?
log "gpupassctl release $GPU: exit $rc: $o"
fig stack.gpupassctl_release_ms $(( ($(now_us) - t0) / 1000 ))
expect "gpupassctl exits 11 (InUse)" test $rc = 11
expect "the message names qemu's pid $qp" contains "$o" "pid $qp "
expect "the message names the machine scope $scope" contains "$o" "$scope"
expect "the message names /dev/vfio/$G" contains "$o" "/dev/vfio/$G"
expect "nothing changed: still on vfio-pci" on_vfio
expect "Holder still $D_NAME" test "$(sprop $GPU Holder)" = $D_NAME
expect "the VM still runs" test "$(dom_state $D_NAME)" = running
expect "qemu still holds /dev/vfio/$G" holds_vfio "$qp"
vsh destroy $D_NAME > /dev/null
expect "after virsh destroy: back on the host" on_host
vsh undefine $D_NAME > /dev/null
finish
