# Sourced by every real-stack scenario: the guest runs systemd as PID 1 and the project as
# stack-setup installed it (make install PREFIX=/usr). Everything is asserted from outside the
# daemon: sysfs, systemctl, journalctl, virsh, /proc, busctl --system, gdbus monitor --system.
# The verdict helpers, the sysfs readers and the sleeps are the plain guest's (guest/lib.sh).
SCEN=${SCEN:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}
source "$GP_VM/guest/lib.sh"
BOOT=0000:00:02.0 GPU=0000:01:00.0 AUD=0000:01:00.1
G=$(group $GPU)
# Test-only settings go in drop-ins under /run (gone at the next boot, and removed by reset_stack).
DROPINS=/run/systemd/system/gpupassd.service.d
CONF=/etc/gpupassd/gpupassd.conf

not() { ! "$@"; }
on_vfio() { is_drv $GPU vfio-pci && is_drv $AUD vfio-pci && [[ -e /dev/vfio/$G ]]; }
# The pair's GPU: a stdvga on bochs-drm (dual), a Cirrus VGA on cirrus (shared).
read -r _v < $D/$GPU/vendor; GPU_HOST_DRV=bochs-drm; [ "$_v" = 0x1013 ] && GPU_HOST_DRV=cirrus
on_host() { is_drv $GPU $GPU_HOST_DRV && is_drv $AUD snd_hda_intel && no_ovr $GPU && no_ovr $AUD && has_card $GPU; }

# --- the system bus --------------------------------------------------------------------------
sb() { busctl --system --timeout=150 "$@"; }
smgr() { sb call org.gpupass1 /org/gpupass1 org.gpupass1.Manager "$@"; }
# sprop ADDR NAME: a GPU property's value only (busctl prints 's "vfio"', 'b true').
sprop() { sb get-property org.gpupass1 "$(gpu_path "$1")" org.gpupass1.Gpu "$2" | sed -E 's/^[a-z]+ //; s/^"(.*)"$/\1/'; }
# dbus-send prints the D-Bus error name ("Error org.gpupass1.Error.InUse: ..."), busctl does not.
sds_mgr() { local m=$1; shift; dbus-send --system --print-reply --reply-timeout=150000 --dest=org.gpupass1 \
    /org/gpupass1 "org.gpupass1.Manager.$m" "$@" 2>&1; }
sys_name_owned() { sb call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.gpupass1 2>/dev/null | grep -q true; }
# sys_monitor_start FILE / monitor_stop: the daemon's signals on the system bus as gdbus sees them.
sys_monitor_start() {
    gdbus monitor --system --dest org.gpupass1 > "$1" 2>&1 &
    MON_PID=$!; track $MON_PID
    wait_for 20 grep -q 'Monitoring signals' "$1" || log "gdbus monitor did not say it was monitoring"
    nap 1
}

# --- systemd ---------------------------------------------------------------------------------
uprop() { systemctl show -p "$2" --value "$1"; }      # UNIT PROPERTY
mainpid() { uprop gpupassd.service MainPID; }
# A point in the journal, and what a unit logged after it. A time, not a cursor: here
# "--after-cursor=C -u gpupassd.service" missed the daemon's own lines logged after C.
jmark() { echo "@$EPOCHREALTIME"; }
jsince() { journalctl -q --no-pager -o short-monotonic --since="$1" "${@:2}"; }
# jwait SECONDS MARK UNIT TEXT: until UNIT's journal since MARK has TEXT (an ERE). journald
# takes messages asynchronously (seen lagging by more than 10 s on a loaded host): --sync first
# makes it take everything sent so far.
jwait() {
    journalctl --sync; wait_for "$1" _jhas "$2" "$3" "$4" && return 0
    log "jwait: no /$4/ in $3's journal since $2; its last lines:"$'\n'"$(journalctl -q --no-pager -n 8 -u "$3")"
    return 1
}
_jhas() { journalctl -q --no-pager --since="$1" -u "$2" | grep -qE "$3"; }
daemon_up() { [ "$(uprop gpupassd.service ActiveState)" = active ] && sys_name_owned; }
# start_gpupassd: systemctl start, and the name owned when it returns (READY=1 is sent then).
start_gpupassd() { systemctl start gpupassd.service && sys_name_owned; }
# dropin NAME TEXT: a test-only drop-in for the shipped unit, and a daemon-reload.
dropin() { mkdir -p "$DROPINS"; printf '[Service]\n%s\n' "$2" > "$DROPINS/$1.conf"; systemctl daemon-reload; }
set_conf() { printf '%s\n' "$@" > "$CONF"; }   # LINE... : the daemon's configuration, as a user edits it

# --- libvirt ---------------------------------------------------------------------------------
vsh() { virsh -q -c qemu:///system "$@"; }
# dom_xml NAME MANAGED ADDR...: a small QEMU (TCG) domain, no disk, a PCI hostdev per address.
dom_xml() {
    local name=$1 managed=$2 a; shift 2
    echo "<domain type='qemu'><name>$name</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>"
    echo "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>"
    echo "<emulator>/usr/bin/qemu-system-x86_64</emulator>"
    for a in "$@"; do
        echo "<hostdev mode='subsystem' type='pci' managed='$managed'><source><address domain='0x${a:0:4}'" \
            "bus='0x${a:5:2}' slot='0x${a:8:2}' function='0x${a:11:1}'/></source></hostdev>"
    done
    echo "</devices></domain>"
}
define_dom() { local f=/tmp/gp-$1.xml; dom_xml "$@" > "$f"; vsh define "$f" > /dev/null; }
dom_state() { vsh domstate "$1" 2>/dev/null; }
qemu_pid() { local p=; read -r p < "/run/libvirt/qemu/$1.pid" 2>/dev/null; echo "$p"; }   # no newline in that file
holds_vfio() { ls -l "/proc/$1/fd" 2>/dev/null | grep -q " -> /dev/vfio/$G\$"; }   # PID
vm_runs_holding() { [ "$(dom_state "$1")" = running ] && holds_vfio "$2"; }   # NAME QEMU_PID
# vstart NAME OUT: virsh start, its output (libvirt's error with the hook's message) in OUT.
vstart() { vsh start "$1" > "$2" 2>&1; local rc=$?; log "virsh start $1: exit $rc: $(tr '\n' ' ' < "$2")"; return $rc; }

# refused LABEL NAME ERE: virsh start NAME fails, what virsh prints (libvirt's error with the hook's
# message) matches ERE, and the domain is not running.
refused() {
    local out="$GP_RES/$SCEN.$2.out"
    expect "$1: virsh start $2 fails" not vstart "$2" "$out"
    expect "$1: virsh shows /$3/" grep -qE "$3" "$out"
    expect "$1: $2 is not running" test "$(dom_state "$2")" = "shut off"
}

# reset_stack: the state every scenario starts from: no domain, no test drop-in, the shipped
# configuration, gpupassd running with both GPUs on the host.
reset_stack() {
    local d
    for d in $(vsh list --all --name 2>/dev/null); do
        vsh destroy "$d" > /dev/null 2>&1; vsh undefine "$d" > /dev/null 2>&1
    done
    local restart=
    # A drop-in or configuration a failed scenario left behind: gone, and a daemon without them.
    if [ -d "$DROPINS" ]; then rm -rf "$DROPINS"; systemctl daemon-reload; restart=1; fi
    cmp -s /usr/share/doc/gpupassd/gpupassd.conf "$CONF" || { cp /usr/share/doc/gpupassd/gpupassd.conf "$CONF"; restart=1; }
    if [ -n "$restart" ]; then systemctl restart gpupassd.service; fi
    systemctl is-active -q gpupassd.service || systemctl start gpupassd.service
    [ "$(sprop $GPU State)" = host ] || smgr Release ss $GPU "" > /dev/null
    [ "$(sprop $BOOT State)" = host ] || smgr Release ss $BOOT "" > /dev/null
    # Neither host nor claimed (a transition cut short by a failed scenario): the raw writes back.
    on_host || { log "reset: $(snapshot $GPU $AUD): raw writes back to the host"; raw_to_host $GPU $AUD; wait_for 10 on_host; }
    require "reset: gpupassd active with the name owned" daemon_up
    require "reset: the pair on its host drivers" on_host
}
