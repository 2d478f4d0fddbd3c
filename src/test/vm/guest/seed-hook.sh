#!/bin/bash
# The seed-style libvirt hook this project replaces, made faithful for the emulated pair
# (the classic vfio-startup / vfio-teardown scripts): unbind, sleep 2, new_id; and remove_id,
# unbind, sleep 2, bind. Only for the benchmark.
#   seed-hook.sh start|revert   (env GPU=0000:01:00.0 AUD=0000:01:00.1 GPU_ID="1234 1111"
#                                AUD_ID="8086 293e" GPU_DRV=bochs-drm AUD_DRV=snd_hda_intel)
set -x
GPU=${GPU:-0000:01:00.0} AUD=${AUD:-0000:01:00.1}
GPU_ID=${GPU_ID:-1234 1111} AUD_ID=${AUD_ID:-8086 293e}
GPU_DRV=${GPU_DRV:-bochs-drm} AUD_DRV=${AUD_DRV:-snd_hda_intel}
case $1 in
start)
    # Unbind the GPU from the host driver
    echo "$GPU" > /sys/bus/pci/devices/$GPU/driver/unbind
    echo "$AUD" > /sys/bus/pci/devices/$AUD/driver/unbind
    # Avoid a race condition
    sleep 2
    # Load vfio
    modprobe vfio
    modprobe vfio_pci
    modprobe vfio_iommu_type1
    echo "$GPU_ID" > /sys/bus/pci/drivers/vfio-pci/new_id
    echo "$AUD_ID" > /sys/bus/pci/drivers/vfio-pci/new_id
    ;;
revert)
    echo "$GPU_ID" > /sys/bus/pci/drivers/vfio-pci/remove_id
    echo "$AUD_ID" > /sys/bus/pci/drivers/vfio-pci/remove_id
    echo "$GPU" > /sys/bus/pci/drivers/vfio-pci/unbind
    echo "$AUD" > /sys/bus/pci/drivers/vfio-pci/unbind
    # Avoid a race condition
    sleep 2
    # Re-bind the host drivers
    echo "$GPU" > /sys/bus/pci/drivers/$GPU_DRV/bind
    echo "$AUD" > /sys/bus/pci/drivers/$AUD_DRV/bind
    ;;
*) echo "usage: seed-hook.sh start|revert" >&2; exit 2 ;;
esac
