#!/bin/bash
# Real stack 6: a real display server on the passthrough GPU, run as display-manager.service:
# Xorg with the modesetting driver (Debian's xserver-xorg-core), which opens every GPU it finds.
#   default configuration       -> Claim refused with InUse naming display-manager.service
#   stop_display_manager = when-holding (dual GPU) -> the daemon stops it through systemd, claims,
#                                  starts it again: it runs on the other GPU afterwards
#   a single-GPU host (the other GPU removed from the PCI bus) -> it stays stopped while the
#                                  GPU is claimed and is started again on it by the Release
source "$GP_VM/stack/lib.sh"
# On the way out (pass or fail): 00:02.0 back if it was removed, and what the display server said.
trap '[ -e $D/$BOOT ] || echo 1 > /sys/bus/pci/rescan; log "$DM at the end: $(systemctl status $DM --no-pager 2>&1 | head -12)"; log "Xorg.0.log tail:"; grep -E "\((EE|WW)\)|using drv|no screens" /var/log/Xorg.0.log | tail -20' EXIT
command -v Xorg > /dev/null || skip "no Xorg (apt-get install xserver-xorg-core)"
reset_stack
DM=display-manager.service
cat > /etc/systemd/system/$DM <<'U'
[Unit]
Description=Display server on every GPU (Xorg, modesetting; gpupassd real-stack test)
[Service]
ExecStart=/usr/lib/xorg/Xorg :0 -nolisten tcp -noreset -novtswitch vt7
U
systemctl daemon-reload
dm_pid() { uprop $DM MainPID; }
# holds_card ADDR: the display server's main process has that GPU's DRM card open.
holds_card() { local c; c=$(card_of "$1") && ls -l "/proc/$(dm_pid)/fd" 2>/dev/null | grep -q " -> /dev/dri/$c\$"; }
dm_cards() { ls -l "/proc/$(dm_pid)/fd" 2>/dev/null | grep -o '/dev/dri/card[0-9]*' | tr '\n' ' '; }
require "systemctl start $DM" systemctl start $DM
holds_both() { holds_card $BOOT && holds_card $GPU; }
require "Xorg opens both GPUs (00:02.0 and 01:00.0)" wait_for 60 holds_both
xpid=$(dm_pid); log "Xorg $xpid holds: $(dm_cards)"

# 1. default configuration: InUse naming the unit
r=$(sds_mgr Claim string:$GPU string:r6); log "Claim (stop_display_manager = never): $r"
expect "InUse" contains "$r" "org.gpupass1.Error.InUse"
expect "the error names Xorg's pid $xpid and $DM" matches "$r" "pid $xpid \(Xorg, uid 0, $DM\)"
expect "nothing changed: on the host" on_host
expect "the display server still runs, the same process" test "$(dm_pid)" = "$xpid"

# 2. when-holding, dual GPU: stopped, claimed, started again on the other GPU
set_conf "stop_display_manager = when-holding"
require "restart gpupassd with the new configuration" systemctl restart gpupassd.service
m=$(jmark)
o=$(smgr Claim ss $GPU r6 2>&1); rc=$?; log "Claim (when-holding): exit $rc: $o"
expect "Claim succeeds" test $rc = 0
expect "both functions on vfio-pci" on_vfio
expect "systemd stopped $DM for the claim" jwait 30 "$m" $DM "Stopped $DM"
expect "and started it again" jwait 30 "$m" $DM "Started $DM"
log "$DM's journal:"$'\n'"$(jsince "$m" -u $DM | grep -v 'Xorg\[')"
require "the display server is active again" test "$(systemctl is-active $DM)" = active
expect "a new Xorg process" test "$(dm_pid)" != "$xpid"
expect "Xorg runs on the other GPU (00:02.0's card)" wait_for 60 holds_card $BOOT
expect "and holds no node of the claimed GPU (01:00.0 has no DRM node now)" test -z "$(ls $D/$GPU/drm 2>/dev/null)"
log "Xorg $(dm_pid) holds: $(dm_cards)"
o=$(smgr Release ss $GPU r6 2>&1); log "Release: $o"
expect "Release: back on the host" on_host

# 3. a single-GPU host: 00:02.0 removed from the PCI bus (the display server stopped meanwhile),
# so 01:00.0 is the only GPU; PCI rescan brings it back afterwards.
systemctl stop $DM
echo 1 > $D/$BOOT/remove
require "00:02.0 removed: a single-GPU host" wait_for 10 absent $D/$BOOT
require "systemctl start $DM on the single GPU" systemctl start $DM
require "the display server runs on 01:00.0" wait_for 60 holds_card $GPU
xpid=$(dm_pid); log "Xorg $xpid holds: $(dm_cards)"
m=$(jmark)
o=$(smgr Claim ss $GPU r6 2>&1); rc=$?; log "Claim $GPU as the only host GPU: exit $rc: $o"
expect "single-GPU Claim succeeds" test $rc = 0
expect "single-GPU: both functions on vfio-pci" on_vfio
expect "single-GPU: the display server stays stopped while the GPU is claimed" test "$(systemctl is-active $DM)" = inactive
expect "single-GPU: systemd stopped it" jwait 30 "$m" $DM "Stopped $DM"
m=$(jmark)
o=$(smgr Release ss $GPU r6 2>&1); log "Release $GPU: $o"
expect "single-GPU Release: back on the host" on_host
expect "single-GPU Release: the display server started again" test "$(systemctl is-active $DM)" = active
expect "single-GPU Release: systemd started it" jwait 30 "$m" $DM "Started $DM"
expect "single-GPU Release: it runs on the returned GPU (01:00.0's card)" wait_for 60 holds_card $GPU
log "Xorg $(dm_pid) holds: $(dm_cards)"
systemctl stop $DM
echo 1 > /sys/bus/pci/rescan
expect "PCI rescan: 00:02.0 back on bochs-drm" wait_for 30 is_drv $BOOT bochs-drm
rm -f /etc/systemd/system/$DM; systemctl daemon-reload
finish
