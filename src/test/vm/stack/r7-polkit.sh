#!/bin/bash
# Real stack 7: polkit with the shipped action and the shipped example rule (members of libvirt
# may manage GPUs). gp-alice (in libvirt) claims and releases with gpupassctl; gp-bob (not in it)
# gets AccessDenied and nothing changes.
source "$GP_VM/stack/lib.sh"
reset_stack
as() { local u=$1; shift; runuser -u "$u" -- gpupassctl "$@" 2>&1; }
o=$(as gp-bob claim $GPU bob-vm); rc=$?; log "gp-bob: gpupassctl claim: exit $rc: $o"
expect "gp-bob's claim: exit 16 (AccessDenied)" test $rc = 16
expect "gp-bob's claim: nothing changed" on_host
expect "gp-bob's claim: State host" test "$(sprop $GPU State)" = host
t0=$(now_us)
o=$(as gp-alice claim $GPU alice-vm); rc=$?; log "gp-alice: gpupassctl claim: exit $rc: $o"
fig stack.gpupassctl_claim_ms $(( ($(now_us) - t0) / 1000 ))
expect "gp-alice's claim: exit 0" test $rc = 0
expect "gp-alice's claim: both functions on vfio-pci" on_vfio
expect "gp-alice's claim: Holder alice-vm" test "$(sprop $GPU Holder)" = alice-vm
o=$(as gp-bob release $GPU); rc=$?; log "gp-bob: gpupassctl release: exit $rc: $o"
expect "gp-bob's release: exit 16 (AccessDenied)" test $rc = 16
expect "gp-bob's release: still on vfio-pci for alice-vm" test "$(sprop $GPU Holder)" = alice-vm
expect "gp-bob's release: sysfs unchanged" on_vfio
o=$(as gp-alice release $GPU alice-vm); rc=$?; log "gp-alice: gpupassctl release: exit $rc: $o"
expect "gp-alice's release: exit 0" test $rc = 0
expect "gp-alice's release: back on the host" on_host
expect "polkitd answered (it runs, started on demand by D-Bus)" test "$(systemctl is-active polkit.service)" = active
finish
