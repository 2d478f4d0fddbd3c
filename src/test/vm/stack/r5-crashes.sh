#!/bin/bash
# Real stack 5: crashes. kill -9 of the daemon while a VM runs: systemd restarts it, it keeps the
# claim (holder = the domain) from its state directory, and virsh destroy still returns the GPU.
# kill -9 in the middle of a transition (the core's test-only pause point, set by a drop-in this
# scenario writes and removes): after the restart the GPU is consistently host or vfio, and
# libvirt's next start works.
source "$GP_VM/stack/lib.sh"
reset_stack
D_NAME=gp-r5
define_dom $D_NAME no $GPU $AUD
# restarted_after OLD_PID: systemd has started a new main process and it owns the name again.
restarted_after() { local p; p=$(mainpid); [ "$p" != 0 ] && [ "$p" != "$1" ] && daemon_up; }

# 1. kill -9 while the VM runs
require "virsh start $D_NAME" vstart $D_NAME "$GP_RES/$SCEN.start1.out"
qp=$(qemu_pid $D_NAME)
pid=$(mainpid) nr=$(uprop gpupassd.service NRestarts)
m=$(jmark)
t0=$(now_us)
kill -KILL "$pid"
require "systemd restarts gpupassd after kill -9 (within 120 s)" wait_for 120 restarted_after "$pid"
fig stack.restart_after_kill_ms $(( ($(now_us) - t0) / 1000 ))
expect "journal: systemd saw the main process killed by a signal" jwait 30 "$m" gpupassd.service "gpupassd.service: Failed with result 'signal'"
expect "journal: systemd scheduled the restart" jwait 30 "$m" gpupassd.service "Scheduled restart job"
log "journal:"$'\n'"$(jsince "$m" -u gpupassd.service)"
expect "NRestarts went up by one" test "$(uprop gpupassd.service NRestarts)" = $((nr + 1))
expect "the claim is kept: State vfio" test "$(sprop $GPU State)" = vfio
expect "the claim is kept: Holder $D_NAME" test "$(sprop $GPU Holder)" = $D_NAME
expect "the VM still runs, its qemu holds /dev/vfio/$G" vm_runs_holding $D_NAME "$qp"
o=$(vsh destroy $D_NAME 2>&1); log "virsh destroy: $o"
expect "virsh destroy returns the GPU to the host (the restarted daemon released it)" on_host
expect "State host, no holder" test "$(sprop $GPU State)/$(sprop $GPU Holder)" = "host/"

# 2. kill -9 in the middle of the hook's ClaimDomain (paused after step 3: the GPU off bochs-drm,
# the audio function still on snd_hda_intel)
dropin test-pause "Environment=GPUPASSD_TEST_PAUSE_AFTER_STEP=3"
require "restart with the pause point" systemctl restart gpupassd.service
m=$(jmark)
vstart $D_NAME "$GP_RES/$SCEN.start2.out" &
vs=$!
require "the hook's claim reaches the pause point" jwait 120 "$m" gpupassd.service 'paused after step 3'
log "paused at: $(snapshot $GPU $AUD)"
# The restart after the kill must not pause again.
rm -f "$DROPINS/test-pause.conf"; systemctl daemon-reload
pid=$(mainpid)
kill -KILL "$pid"
wait $vs; rc=$?
expect "that virsh start fails" test $rc != 0
require "systemd restarts gpupassd" wait_for 120 restarted_after "$pid"
st=$(sprop $GPU State); log "after the restart: State $st, Holder $(sprop $GPU Holder): $(snapshot $GPU $AUD)"
fig stack.mid_transition.reconciled "$st"
case $st in
    host) expect "host: sysfs agrees (both functions on host drivers, no override)" on_host ;;
    vfio) expect "vfio: sysfs agrees (both functions on vfio-pci)" on_vfio ;;
    *) errs+=("State after the restart is '$st', not host or vfio") ;;
esac
expect "Transition idle" test "$(sb get-property org.gpupass1 /org/gpupass1 org.gpupass1.Manager Transition)" = 's ""'
expect "the domain is not running" test "$(dom_state $D_NAME)" = "shut off"
expect "libvirt's next start works" vstart $D_NAME "$GP_RES/$SCEN.start3.out"
expect "Holder $D_NAME" test "$(sprop $GPU Holder)" = $D_NAME
expect "both functions on vfio-pci" on_vfio
vsh destroy $D_NAME > /dev/null
expect "virsh destroy: back on the host" on_host
vsh undefine $D_NAME > /dev/null
finish
