#!/bin/bash
# Real stack 8: systemctl stop gpupassd exits 0 well within TimeoutStopSec, the daemon tells
# systemd STOPPING=1 (seen in systemd's debug log) and the unit ends clean (not failed);
# systemctl restart keeps the claim of a running VM.
source "$GP_VM/stack/lib.sh"
reset_stack
pid=$(mainpid)
m=$(jmark)
systemd-analyze log-level debug
t0=$(now_us)
systemctl stop gpupassd.service; rc=$?
ms=$(( ($(now_us) - t0) / 1000 ))
systemd-analyze log-level info
fig stack.systemctl_stop_ms $ms
expect "systemctl stop exits 0" test $rc = 0
expect "within 30 s, well within TimeoutStopSec=150s (${ms} ms)" test $ms -lt 30000
expect "systemd got STOPPING=1 from the daemon ($pid)" jwait 30 "$m" gpupassd.service "Got notification message from PID $pid .*STOPPING=1"
log "systemd's log of the stop:"$'\n'"$(jsince "$m" -u gpupassd.service | grep -vE 'message type|Sent message|D-Bus' | head -40)"
expect "the unit is inactive, not failed" test "$(systemctl is-active gpupassd.service)" = inactive
expect "Result=success" test "$(uprop gpupassd.service Result)" = success
expect "the name is gone from the bus" not sys_name_owned
require "systemctl start gpupassd" start_gpupassd
# restart with a VM running
D_NAME=gp-r8
define_dom $D_NAME no $GPU $AUD
require "virsh start $D_NAME" vstart $D_NAME "$GP_RES/$SCEN.start.out"
qp=$(qemu_pid $D_NAME)
pid=$(mainpid)
t0=$(now_us)
systemctl restart gpupassd.service; rc=$?
fig stack.systemctl_restart_ms $(( ($(now_us) - t0) / 1000 ))
expect "systemctl restart exits 0" test $rc = 0
expect "a new main process" test "$(mainpid)" != "$pid"
expect "the name owned when systemctl restart returns" sys_name_owned
expect "the claim is kept: State vfio, Holder $D_NAME" test "$(sprop $GPU State)/$(sprop $GPU Holder)" = "vfio/$D_NAME"
expect "sysfs: still on vfio-pci" on_vfio
expect "the VM still runs, its qemu holds /dev/vfio/$G" vm_runs_holding $D_NAME "$qp"
vsh destroy $D_NAME > /dev/null
expect "virsh destroy: back on the host" on_host
vsh undefine $D_NAME > /dev/null
finish
