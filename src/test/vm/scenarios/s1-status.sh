#!/bin/bash
# Scenario 1 (topology dual): Status shows both GPUs, the boot VGA flagged, the pair's functions
# and IOMMU group — and each answer agrees with sysfs. Every property readable by busctl, gdbus
# and dbus-send.
source "$GP_VM/guest/lib.sh"
need_daemon
BOOT=0000:00:02.0 GPU=0000:01:00.0 AUD=0000:01:00.1
start_daemon
G=$(group $GPU)
gpus=$(bctl get-property org.gpupass1 /org/gpupass1 org.gpupass1.Manager Gpus)
log "Gpus: $gpus"
expect "Gpus lists the boot VGA" contains "$gpus" "$(gpu_path $BOOT)"
expect "Gpus lists the pair's GPU" contains "$gpus" "$(gpu_path $GPU)"
expect "Gpus lists exactly two GPUs" contains "$gpus" "ao 2 "
st=$(mgr Status); log "Status: $st"
expect "Status has the boot VGA" contains "$st" "\"Address\" s \"$BOOT\""
expect "Status has the pair's GPU" contains "$st" "\"Address\" s \"$GPU\""
expect "Status: the boot VGA not claimable, the pair claimable" contains "$st" '"Claimable" b false'
expect "Status: the pair's functions" contains "$st" "\"Functions\" as 2 \"$GPU\" \"$AUD\""

# sysfs first, then the daemon must agree with it
read -r bv < $D/$BOOT/boot_vga; read -r gv < $D/$GPU/boot_vga
require "sysfs: 00:02.0 is the boot VGA, 01:00.0 is not" test "$bv$gv" = 10
expect "BootVga true on 00:02.0" test "$(prop $BOOT BootVga)" = true
expect "BootVga false on 01:00.0" test "$(prop $GPU BootVga)" = false
f=$(prop $GPU Functions); log "Functions: $f"
expect "Functions = GPU, audio (GPU first)" test "$f" = "2 \"$GPU\" \"$AUD\""
expect "IommuGroup = sysfs group $G" test "$(prop $GPU IommuGroup)" = "$G"
expect "sysfs: audio shares the GPU's group" test "$(group $AUD)" = "$G"
expect "Driver = sysfs driver (bochs-drm)" test "$(prop $GPU Driver)" = "$(drv $GPU)"
expect "sysfs: GPU on bochs-drm" is_drv $GPU bochs-drm
expect "State host" test "$(prop $GPU State)" = host
expect "Claimable true for the pair" test "$(prop $GPU Claimable)" = true
expect "VendorId 0x1234" test "$(prop $GPU VendorId)" = 4660
expect "DeviceId 0x1111" test "$(prop $GPU DeviceId)" = 4369
expect "Holder empty" test "$(prop $GPU Holder)" = ""
expect "boot VGA: State host on bochs-drm" test "$(prop $BOOT State)/$(drv $BOOT)" = host/bochs-drm
expect "manager Transition idle" test "$(bctl get-property org.gpupass1 /org/gpupass1 org.gpupass1.Manager Transition)" = 's ""'
# the same property through the other two clients (a Get reply is a variant)
g=$(gdbus call --address "$GP_BUS" --dest org.gpupass1 --object-path "$(gpu_path $GPU)" \
    --method org.freedesktop.DBus.Properties.Get org.gpupass1.Gpu State 2>&1); log "gdbus: $g"
expect "gdbus Get State" test "$g" = "(<'host'>,)"
d=$(ds "$(gpu_path $GPU)" org.freedesktop.DBus.Properties.Get string:org.gpupass1.Gpu string:IommuGroup); log "dbus-send: $d"
expect "dbus-send Get IommuGroup is a variant" matches "$d" "variant[[:space:]]+int32 $G"
i=$(gdbus introspect --address "$GP_BUS" --dest org.gpupass1 --object-path "$(gpu_path $GPU)" 2>&1)
expect "gdbus introspect lists org.gpupass1.Gpu" contains "$i" "interface org.gpupass1.Gpu"
stop_daemon
finish
