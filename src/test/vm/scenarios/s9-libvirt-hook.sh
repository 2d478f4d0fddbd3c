#!/bin/bash
# Scenario 9 (topology dual): the project's libvirt hook (libvirt/hooks/qemu.d/gpupassd), invoked
# exactly as libvirt invokes it — argv DOMAIN OPERATION SUB-OPERATION EXTRA, the domain XML on
# stdin — with GPUPASS_BUS_ADDRESS pointing at the private bus: prepare/begin claims,
# release/end releases, other operations are no-ops, managed='yes' makes it fail with nothing
# changed.
source "$GP_VM/guest/lib.sh"
need_daemon
HOOK=$GP_BASE/libvirt/hooks/qemu.d/gpupassd
[ -f "$HOOK" ] || skip "no hook at libvirt/hooks/qemu.d/gpupassd (branch pkg not merged)"
GPU=0000:01:00.0 AUD=0000:01:00.1
G=$(group $GPU)
export GPUPASS_BUS_ADDRESS=$GP_BUS
xml() { # MANAGED
cat <<XML
<domain type='kvm'>
  <name>win11</name>
  <uuid>5b6a8a1e-3c3e-4a53-9a4e-0d3e3c1f6a11</uuid>
  <memory unit='KiB'>8388608</memory>
  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <hostdev mode='subsystem' type='pci' managed='$1'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x0'/></source>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x0' multifunction='on'/>
    </hostdev>
    <hostdev mode='subsystem' type='pci' managed='$1'>
      <source><address domain='0x0000' bus='0x01' slot='0x00' function='0x1'/></source>
      <address type='pci' domain='0x0000' bus='0x06' slot='0x00' function='0x1'/>
    </hostdev>
  </devices>
</domain>
XML
}
hook() { # OP SUBOP MANAGED: runs the hook as libvirtd does (cwd /, a plain environment)
    local rc
    xml "$3" | (cd / && env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin GPUPASS_BUS_ADDRESS="$GP_BUS" \
        "$HOOK" win11 "$1" "$2" -) > "$GP_RES/$SCEN.hook.out" 2>&1
    rc=$?; log "hook win11 $1 $2 - (managed=$3): exit $rc: $(cat "$GP_RES/$SCEN.hook.out")"; return $rc
}
start_daemon
before=$(snapshot $GPU $AUD)
expect "hook 'start begin' is a no-op (exit 0)" hook start begin no
expect "nothing changed by 'start begin'" test "$(snapshot $GPU $AUD)" = "$before"
# managed='yes' makes the hook fail, nothing changed
if hook prepare begin yes; then errs+=("hook prepare begin with managed='yes' exited 0"); fi
expect "hook's stderr carries the daemon's ManagedHostdev message" grep -qiE "managed" "$GP_RES/$SCEN.hook.out"
expect "nothing changed by the refused prepare" test "$(snapshot $GPU $AUD)" = "$before"
# prepare begin claims
expect "hook prepare begin exits 0" hook prepare begin no
expect "sysfs: GPU on vfio-pci" is_drv $GPU vfio-pci
expect "sysfs: audio on vfio-pci" is_drv $AUD vfio-pci
expect "/dev/vfio/$G present" exists /dev/vfio/$G
expect "Holder win11" test "$(prop $GPU Holder)" = win11
expect "hook 'started begin' is a no-op" hook started begin no
expect "still on vfio-pci" is_drv $GPU vfio-pci
# release end releases
expect "hook release end exits 0" hook release end no
expect "sysfs: GPU back on bochs-drm" is_drv $GPU bochs-drm
expect "sysfs: audio back on snd_hda_intel" is_drv $AUD snd_hda_intel
expect "overrides cleared" sh -c "grep -q null $D/$GPU/driver_override && grep -q null $D/$AUD/driver_override"
expect "Holder empty" test "$(prop $GPU Holder)" = ""
expect "a second release end is harmless (exit 0)" hook release end no
stop_daemon
finish
