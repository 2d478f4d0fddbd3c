#!/bin/bash
# Smallest guest script: shows the PCI layout, IOMMU groups and boot VGA, then says DONE.
R=/tmp/results/results
{
echo "uptime $(cut -d' ' -f1 /proc/uptime)"
for d in /sys/bus/pci/devices/*; do
  a=${d##*/}; g=$(readlink $d/iommu_group 2>/dev/null); drv=$(readlink $d/driver 2>/dev/null)
  echo "$a class=$(cat $d/class) id=$(cat $d/vendor):$(cat $d/device) group=${g##*/} driver=${drv##*/} boot_vga=$(cat $d/boot_vga 2>/dev/null)"
done
modprobe bochs && modprobe snd-hda-intel && modprobe cirrus; sleep 1
for d in /sys/bus/pci/devices/*; do a=${d##*/}; drv=$(readlink $d/driver 2>/dev/null); echo "$a ${drv##*/}"; done
ls -l /dev/dri /sys/kernel/iommu_groups
t0=$EPOCHREALTIME; java -version 2>&1 | head -1; echo "java: $t0 $EPOCHREALTIME"
lsmod | head -30
echo DONE
} > $R 2>&1
