#!/bin/bash
# Benchmark baselines (topology dual): one Claim+Release-equivalent cycle of the pair
# 01:00.0 (bochs-drm) + 01:00.1 (snd_hda_intel), done three ways without the daemon:
#   raw      per function driver_override, unbind, drivers_probe, and back (the kernel's own cost)
#   driverctl  driverctl --nosave set-override / unset-override (Debian's driverctl)
#   seed     the seed-style hook: unbind, sleep 2, new_id / remove_id, unbind, sleep 2, bind
# Each cycle ends when sysfs shows both functions on vfio-pci with /dev/vfio/N present, and then
# both back on their host drivers with the DRM node back; every cycle is checked.
source "$GP_VM/guest/lib.sh"
GPU=0000:01:00.0 AUD=0000:01:00.1
N=${BENCH_N:-10} NSEED=${BENCH_NSEED:-3}
modprobe vfio-pci
G=$(group $GPU)
require "the pair is in an IOMMU group" test "$G" != -1
on_vfio() { is_drv $GPU vfio-pci && is_drv $AUD vfio-pci && [ -e /dev/vfio/$G ]; }
on_host() { is_drv $GPU bochs-drm && is_drv $AUD snd_hda_intel && has_card $GPU; }
require "the pair starts on its host drivers" on_host
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%d\n", (a[NR/2]+a[NR/2+1])/2}'; }

bench() { # NAME COUNT TO_VFIO_CMD TO_HOST_CMD
    local name=$1 n=$2 to=$3 back=$4 i t0 samples= bad=0
    for ((i = 0; i < n; i++)); do
        now; t0=$NOW
        eval "$to" || bad=1
        wait_for 10 on_vfio || { bad=1; log "$name cycle $i: not on vfio-pci: $(snapshot $GPU $AUD)"; }
        eval "$back" || bad=1
        wait_for 10 on_host || { bad=1; log "$name cycle $i: not back on host: $(snapshot $GPU $AUD)"; }
        now; samples+=" $(( (NOW - t0) / 1000 ))"
        [ $bad = 1 ] && break
    done
    expect "$name: every cycle reached vfio-pci and came back" test $bad = 0
    expect "$name: no override left" no_ovr $GPU
    expect "$name: no override left on the audio function" no_ovr $AUD
    fig "bench.$name.samples_ms" "$(echo $samples | tr ' ' ,)"
    fig "bench.$name.median_ms" "$(echo $samples | median)"
}
bench raw "$N" 'raw_to_vfio $GPU $AUD' 'raw_to_host $GPU $AUD'
bench driverctl "$N" 'driverctl --nosave set-override $GPU vfio-pci && driverctl --nosave set-override $AUD vfio-pci' \
    'driverctl --nosave unset-override $GPU && driverctl --nosave unset-override $AUD'
bench seed "$NSEED" 'bash $GP_VM/guest/seed-hook.sh start' 'bash $GP_VM/guest/seed-hook.sh revert'
finish
