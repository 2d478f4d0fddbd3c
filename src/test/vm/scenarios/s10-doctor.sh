#!/bin/bash
# Scenario 10 (every topology): gpupassctl doctor and hostdev-xml on the guest's real sysfs agree
# with sysfs: the IOMMU verdict, each GPU's group members and claimability, the boot VGA; the exit
# status is 1 exactly when a check fails (the guest's emulated CPU may lack VMX: that check may fail).
source "$GP_VM/guest/lib.sh"
need_daemon
GPU=0000:01:00.0 AUD=0000:01:00.1
ctl() { java $GP_JAVA_OPTS -cp "$GP_JAR" org.gpupass.cli.Gpupassctl "$@"; }
json=$(ctl doctor --json --sysfs-root=/ --config=/nonexistent 2>/tmp/s10-doctor.err); rc=$?
log "doctor exit $rc: $json"
iommu_on=false
[ -n "$(ls /sys/kernel/iommu_groups 2>/dev/null)" ] && iommu_on=true
verdicts=$(printf '%s' "$json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
checks = {c["name"]: c["verdict"] for c in d["checks"]}
gpus = {g["address"]: g for g in d["gpus"]}
g = gpus["0000:01:00.0"]
boot = [a for a, x in gpus.items() if x["boot_vga"]]
members = sorted(m["address"] for m in g["members"])
failed = [n for n, v in checks.items() if v == "fail"] or ["none"]
print(checks["iommu"], checks["gpus"], g["claimable"], g["iommu_group"], ",".join(boot) or "none", ",".join(members) or "none",
      d["ok"], ",".join(failed))
') || verdicts="unparsable"
log "doctor verdicts: $verdicts"
read -r iommu gpus claimable group boot members ok failed <<<"$verdicts"
if [ "$failed" = none ]; then want_rc=0; else want_rc=1; fi
expect "exit $rc is 1 exactly when a check fails (failed: $failed)" test "$rc" = "$want_rc"
expect "doctor --json parses and names 0000:01:00.0" test "$verdicts" != unparsable
expect "boot VGA is 0000:00:02.0 as sysfs says" test "$boot" = 0000:00:02.0 -a "$(cat /sys/bus/pci/devices/0000:00:02.0/boot_vga)" = 1
if $iommu_on; then
    g=$(basename "$(readlink /sys/bus/pci/devices/$GPU/iommu_group)")
    expect "iommu check ok" test "$iommu" = ok
    expect "01:00.0 group $group is sysfs's $g" test "$group" = "$g"
    sysfs_members=$(ls /sys/bus/pci/devices/$GPU/iommu_group/devices | sort | paste -sd, -)
    expect "group members $members are sysfs's $sysfs_members" test "$members" = "$sysfs_members"
    expect "01:00.0 claimable, gpus check ok" test "$claimable" = True -a "$gpus" = ok
    expect "neither the IOMMU nor the GPUs block (failed: $failed)" sh -c "! echo ,$failed, | grep -Eq ',(iommu|gpus|vfio-pci),'"
else
    expect "iommu check fails" test "$iommu" = fail
    expect "01:00.0 group -1, not claimable" test "$group" = -1 -a "$claimable" = False
    expect "exit 1: passthrough is blocked" test "$rc" = 1 -a "$ok" = False -a "$gpus" = fail
    advice=$(printf '%s' "$json" | python3 -c '
import json, sys
print(next(c["advice"] for c in json.load(sys.stdin)["checks"] if c["name"] == "iommu"))')
    log "iommu advice: $advice"
    if grep -q GenuineIntel /proc/cpuinfo && ! grep -q 'intel_iommu=on' /proc/cmdline; then
        expect "the advice names this CPU's parameters" sh -c 'case "$1" in *"add intel_iommu=on iommu=pt to the kernel command line"*) ;; *) exit 1 ;; esac' _ "$advice"
        if grep -Eq '^ID=(debian|ubuntu)' /etc/os-release; then
            expect "the advice gives this Debian's /etc/default/grub line and update-grub" sh -c 'case "$1" in *"GRUB_CMDLINE_LINUX_DEFAULT=\""*"intel_iommu=on iommu=pt\" in /etc/default/grub, then run sudo update-grub"*) ;; *) exit 1 ;; esac' _ "$advice"
        fi
        expect "the advice says the firmware switch and the reboot" sh -c 'case "$1" in *"enable VT-d in the firmware setup; then reboot"*) ;; *) exit 1 ;; esac' _ "$advice"
    fi
fi
xml=$(ctl hostdev-xml --sysfs-root=/ --config=/nonexistent 01:00.1); rc=$?
log "hostdev-xml 01:00.1 (exit $rc): $xml"
expect "hostdev-xml names both functions of the GPU, managed='no'" sh -c "[ $rc = 0 ] && [ \$(printf '%s' \"\$1\" | grep -c \"managed='no'\") = 2 ] && printf '%s' \"\$1\" | grep -q \"function='0x0'\" && printf '%s' \"\$1\" | grep -q \"function='0x1'\"" _ "$xml"
finish
