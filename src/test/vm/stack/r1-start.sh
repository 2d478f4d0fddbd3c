#!/bin/bash
# Real stack 1: systemctl start gpupassd under the shipped unit. It returns once READY=1 is sent
# and org.gpupass1 is owned; systemctl status shows the daemon's status line for each GPU;
# systemctl show and /proc show the hardening in force while the daemon loads vfio-pci, writes
# sysfs and reads another user's /proc/PID/fd; WATCHDOG=1 keeps it alive well past WatchdogSec.
source "$GP_VM/stack/lib.sh"
require "gpupassd inactive before the start" test "$(systemctl is-active gpupassd.service)" = inactive
expect "vfio-pci not loaded yet (the daemon loads it)" mod_absent vfio_pci
m=$(jmark)
t0=$(now_us)
systemctl start gpupassd.service; rc=$?
fig stack.systemctl_start_ms $(( ($(now_us) - t0) / 1000 ))
require "systemctl start gpupassd exits 0" test $rc = 0
expect "org.gpupass1 is owned when systemctl start returns" sys_name_owned
expect "ActiveState active, SubState running" test "$(uprop gpupassd.service ActiveState)/$(uprop gpupassd.service SubState)" = active/running
jwait 30 "$m" gpupassd.service 'Started gpupassd' || log "no 'Started' in the journal after 10 s"
j=$(jsince "$m" -u gpupassd.service); log "journal:"$'\n'"$j"
# READY=1 comes after the name is owned: the daemon's "On the bus" line precedes systemd's "Started".
on_bus=$(grep -n 'On the bus as org.gpupass1' <<<"$j" | head -1 | cut -d: -f1)
started=$(grep -n 'Started gpupassd.service' <<<"$j" | head -1 | cut -d: -f1)
expect "journal: 'On the bus as org.gpupass1' before systemd's 'Started'" test -n "$on_bus" -a -n "$started" -a "${on_bus:-0}" -lt "${started:-0}"

st=$(systemctl status gpupassd.service --no-pager 2>&1); log "systemctl status:"$'\n'"$st"
line=$(sed -n 's/^ *Status: "\(.*\)"$/\1/p' <<<"$st")
expect "systemctl status shows a Status line" test -n "$line"
expect "the status line names 00:02.0 as host" matches "$line" '00:02\.0 [^·]*: host'
expect "the status line names 01:00.0 as host" matches "$line" '01:00\.0 [^·]*: host'
expect "StatusText property agrees" test "$(uprop gpupassd.service StatusText)" = "$line"

# The hardening in force, as systemd reports it and as the kernel shows it for the main process.
pid=$(mainpid)
expect "ProtectSystem=strict" test "$(uprop gpupassd.service ProtectSystem)" = strict
expect "PrivateNetwork=yes" test "$(uprop gpupassd.service PrivateNetwork)" = yes
expect "NoNewPrivileges=yes" test "$(uprop gpupassd.service NoNewPrivileges)" = yes
cb=$(uprop gpupassd.service CapabilityBoundingSet); log "CapabilityBoundingSet=$cb"
expect "CapabilityBoundingSet = cap_dac_read_search cap_sys_module cap_sys_ptrace" \
    test "$(tr ' ' '\n' <<<"$cb" | sort | tr '\n' ' ')" = "cap_dac_read_search cap_sys_module cap_sys_ptrace "
sf=$(uprop gpupassd.service SystemCallFilter)
expect "SystemCallFilter allows finit_module (@module)" contains " $sf " " finit_module "
expect "SystemCallFilter denies mount (not in @system-service)" lacks " $sf " " mount "
en=$(uprop gpupassd.service SystemCallErrorNumber); log "SystemCallErrorNumber=$en"
expect "the filter's errno is EPERM (1)" matches "$en" '^(EPERM|1)$'
# CapBnd bits: CAP_DAC_READ_SEARCH 2, CAP_SYS_MODULE 16, CAP_SYS_PTRACE 19.
expect "/proc/$pid/status: CapBnd 0000000000090004" grep -q '^CapBnd:.0000000000090004$' /proc/$pid/status
expect "/proc/$pid/status: Seccomp 2 (filter)" grep -q '^Seccomp:.2$' /proc/$pid/status
expect "/proc/$pid/status: NoNewPrivs 1" grep -q '^NoNewPrivs:.1$' /proc/$pid/status
expect "its own network namespace (PrivateNetwork)" test "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/1/ns/net)"
expect "/ read-only in its mount namespace (ProtectSystem=strict)" grep -qE '^[0-9]+ [0-9]+ [^ ]+ / / ro,' /proc/$pid/mountinfo
# It reads its configuration and never writes it: /etc/gpupassd stays read-only like the rest of /etc.
expect "/etc/gpupassd read-only for the daemon (no writable mount there)" sh -c "! grep -qE '^[0-9]+ [0-9]+ [^ ]+ [^ ]+ /etc/gpupassd rw,' /proc/$pid/mountinfo"
log "the daemon's mounts: $(awk '{print $5, $6}' /proc/$pid/mountinfo | tr '\n' ';')"

# What the hardening must still allow: loading vfio-pci, writing sysfs ...
o=$(smgr Claim ss $GPU r1 2>&1); log "Claim: $o"
expect "Claim under the hardening: both functions on vfio-pci" on_vfio
expect "the daemon loaded vfio-pci" mod_loaded vfio_pci
o=$(smgr Release ss $GPU r1 2>&1); log "Release: $o"
expect "Release: both functions back on their host drivers" on_host
# ... and reading another user's /proc/PID/fd (nobody's process holding the GPU's DRM node).
card=$(card_of $GPU)
setpriv --reuid=65534 --regid=65534 --clear-groups sleep 600 < /dev/dri/$card &
h=$!; track $h
wait_for 10 sh -c "ls -l /proc/$h/fd 2>/dev/null | grep -q /dev/dri/$card"
r=$(sds_mgr Claim string:$GPU string:r1); log "Claim with nobody's sleep holding $card: $r"
expect "InUse naming the pid $h of another user's process" matches "$r" "org\.gpupass1\.Error\.InUse.*$h"
expect "nothing changed" on_host
kill $h; wait $h 2>/dev/null

# WATCHDOG=1: alive and the same process well past WatchdogSec (30 s), the last ping recent.
wd=$(uprop gpupassd.service WatchdogUSec); log "WatchdogUSec=$wd"
expect "WatchdogUSec=30s (the shipped value)" test "$wd" = 30s
enter=$(uprop gpupassd.service ActiveEnterTimestampMonotonic)
read -r up _ < /proc/uptime; up_us=$(( ${up/./} * 10000 ))
wait_s=$(( 50 - (up_us - enter) / 1000000 )); [ $wait_s -gt 0 ] && { log "waiting ${wait_s}s to pass 50 s after the start"; nap $wait_s; }
read -r up _ < /proc/uptime; up_us=$(( ${up/./} * 10000 ))
ping=$(uprop gpupassd.service WatchdogTimestampMonotonic)
fig stack.watchdog.alive_s $(( (up_us - enter) / 1000000 ))
fig stack.watchdog.last_ping_ago_ms $(( (up_us - ping) / 1000 ))
expect "still active after $(( (up_us - enter) / 1000000 )) s" test "$(uprop gpupassd.service ActiveState)" = active
expect "the same main process ($pid)" test "$(mainpid)" = "$pid"
expect "no restart (NRestarts=0)" test "$(uprop gpupassd.service NRestarts)" = 0
expect "a watchdog ping within the last 30 s" test $(( up_us - ping )) -lt 30000000 -a "$ping" -gt "$enter"
expect "no watchdog timeout in the journal" sh -c "! journalctl -q -u gpupassd.service | grep -qi 'watchdog timeout'"
finish
