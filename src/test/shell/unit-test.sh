#!/bin/bash
# Tests systemd/gpupassd.service:
#  - systemd-analyze security --offline=yes scores <= 3.0 (and the score in its comment is current);
#  - the settings the job needs are there: Type=notify, BusName=org.gpupass1, NotifyAccess=main,
#    WatchdogSec, Restart=on-failure, State/Runtime/Configuration/CacheDirectory=gpupassd,
#    ReadOnlyPaths=/etc/gpupassd,
#    Before=libvirtd.service virtqemud.service, and none of ProtectKernelTunables=yes,
#    ProtectKernelModules=yes, MemoryDenyWriteExecute=yes, PrivateDevices=yes, SecureBits=noroot;
#  - the capability bounding set is enough to read another user's /proc/PID/fd (what the holder
#    scan does) and each of CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH is needed for it (setpriv
#    emulates the bounding set; needs root).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
unit=$PROJECT_ROOT/systemd/gpupassd.service

if command -v systemd-analyze >/dev/null; then
    score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for gpupassd.service: \([0-9.]*\).*/\1/p')
    check "systemd-analyze security: $score <= 3.0" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.0) }'
    check "the unit's comment states the current score ($score)" grep -q "(systemd [0-9]*): $score OK" "$unit"
else
    skip_or_fail "systemd-analyze not installed"
fi

val() { sed -n "s/^$1=//p" "$unit" | tail -1; }
check "Type=notify" test "$(val Type)" = notify
check "BusName=org.gpupass1" test "$(val BusName)" = org.gpupass1
check "NotifyAccess=main" test "$(val NotifyAccess)" = main
check "WatchdogSec set ($(val WatchdogSec))" test -n "$(val WatchdogSec)"
check "Restart=on-failure" test "$(val Restart)" = on-failure
for d in StateDirectory RuntimeDirectory ConfigurationDirectory CacheDirectory; do
    check "$d=gpupassd" test "$(val $d)" = gpupassd
done
check "ReadOnlyPaths=/etc/gpupassd (ProtectSystem=strict leaves a ConfigurationDirectory= writable)" \
    test "$(val ReadOnlyPaths)" = /etc/gpupassd
check "Before=libvirtd.service virtqemud.service" test "$(val Before)" = "libvirtd.service virtqemud.service"
check "ExecStart=/usr/bin/gpupassd (make/rpm substitute the prefix)" test "$(val ExecStart)" = /usr/bin/gpupassd
for bad in ProtectKernelTunables ProtectKernelModules MemoryDenyWriteExecute PrivateDevices; do
    check_not "not $bad=yes" test "$(val $bad)" = yes
done
check_not "no SecureBits=noroot" grep -q '^SecureBits=.*noroot' "$unit"
caps=$(val CapabilityBoundingSet)
check "CapabilityBoundingSet=CAP_SYS_MODULE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH" \
    test "$caps" = "CAP_SYS_MODULE CAP_SYS_PTRACE CAP_DAC_READ_SEARCH"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
    skip_or_fail "capability checks need root and setpriv"; finish; exit
fi
ensure_test_user || { not_ok "test user"; finish; exit; }
setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups sleep 30 </dev/null &
victim=$!
sleep 0.3
bset=$(echo "$caps" | tr 'A-Z' 'a-z' | sed 's/cap_/+/g; s/ /,/g')
scan() { # BOUNDING-SET: reads the victim's fd links as the holder scan does
    setpriv --bounding-set "-all,$1" --inh-caps=-all sh -c \
        "ls /proc/$victim/fd >/dev/null 2>&1 && readlink /proc/$victim/fd/0 >/dev/null 2>&1 && cat /proc/$victim/cgroup /proc/$victim/comm >/dev/null 2>&1"
}
check "with the unit's bounding set ($bset) root reads $TEST_USER's /proc/PID/fd links" scan "$bset"
check_not "without cap_sys_ptrace it cannot" scan "$(echo "$bset" | sed 's/+sys_ptrace,\{0,1\}//; s/,$//')"
check_not "without cap_dac_read_search it cannot" scan "$(echo "$bset" | sed 's/+dac_read_search,\{0,1\}//; s/,$//')"
kill "$victim" 2>/dev/null
finish
