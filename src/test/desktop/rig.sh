# The rig for the desktop tests (source it): a real desktop shell in the Debian forky chroot
# (chroot.sh), as the ordinary user `tester`, against the real daemon from this checkout.
#
#   rig_enter "$@"          first thing in a test: checks what is needed (skips, or fails with
#                           CI=true), then re-runs the test in its own mount and PID namespaces,
#                           so that every mount and process it makes goes when it ends
#   rig_start               private system bus, polkitd with a rule for tester, the chroot mounts,
#                           tester's session bus
#   rig_daemon_start [HOST [CONFIG_TEXT]]   the daemon (--simulate=HOST, default dual-gpu)
#   rig_daemon_stop
#   rig_as_tester CMD...    CMD in the chroot as tester, with the session's environment
#   rig_bg LOG CMD...       the same in the background (pid in RIG_BG_PID)
#   bus ARGS...             busctl on the private system bus, as root (the "outside" caller)
#
# Outside the chroot, as root: dbus-daemon (the system bus, loading dbus-policy/), polkitd, the
# daemon (java -jar target/gpupassd.jar). Inside, as tester (uid of the host's gpupass-test, so
# that polkitd, which reads the host's passwd, knows it): the session bus and the shell. The
# system bus socket is bind-mounted in and named by DBUS_SYSTEM_BUS_ADDRESS. polkitd sees only
# the project's action and the test's rule: both folders are bind-mounted over in the namespace,
# nothing is written to the host's /etc or /usr.
# Results go to target/desktop/ (logs, screenshots).

RIG_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(cd "$RIG_DIR/../../.." && pwd)
. "$PROJECT_ROOT/src/test/shell/lib.sh"
SHELL_DIR=$PROJECT_ROOT/src/test/shell
RIG_OUT=${RIG_OUT:-$PROJECT_ROOT/target/desktop}
RIG_USER=tester

# rig_need: exits (skip, or failure on CI) when the rig cannot run here
rig_need() {
    local why=""
    if [ "$(id -u)" != 0 ]; then why="needs root (chroot, mounts, namespaces)"
    elif ! command -v unshare >/dev/null || ! command -v dbus-daemon >/dev/null || ! command -v busctl >/dev/null \
        || ! command -v jq >/dev/null; then why="needs unshare, dbus-daemon, busctl, jq"
    elif [ ! -x /usr/lib/polkit-1/polkitd ]; then why="needs polkitd (Debian: polkitd)"
    elif [ ! -f "$PROJECT_ROOT/target/gpupassd.jar" ]; then why="needs target/gpupassd.jar (mvn package)"
    else why=$("$RIG_DIR/chroot.sh" check)
    fi
    if [ -n "$why" ]; then
        skip_or_fail "desktop rig: $why"
        finish; exit
    fi
}

rig_enter() {
    if [ "${GPUPASS_RIG_INSIDE:-}" != 1 ]; then
        rig_need
        ensure_test_user || { not_ok "the test user exists"; finish; exit; }
        # the chroot is built (once, ~5 min) before the clock of the test starts
        local t0=$SECONDS
        RIG_ROOT=$("$RIG_DIR/chroot.sh" path) || { not_ok "the forky chroot builds"; finish; exit; }
        [ $((SECONDS - t0)) -gt 5 ] && echo "# chroot built in $((SECONDS - t0)) s"
        # unshare keeps this pid (exec) and lives in the new mount namespace (rig_hold)
        export RIG_ROOT GPUPASS_RIG_INSIDE=1 RIG_HOST_PID=$$
        exec unshare --mount --pid --fork --kill-child --mount-proc --propagation private bash "$0" "$@"
    fi
    trap rig_cleanup EXIT
}

rig_start() {
    RIG_WORK=$(mktemp -d /tmp/gpupass-desktop.XXXXXX)
    chmod 0755 "$RIG_WORK"
    mkdir -p "$RIG_OUT"
    RIG_UID=$(id -u "$TEST_USER"); RIG_GID=$(id -g "$TEST_USER")
    local C=$RIG_ROOT

    # the system bus, with the project's policy
    RIG_BUS=$("$SHELL_DIR/private-bus.sh" start "$RIG_WORK/bus") || { not_ok "private system bus starts"; return 1; }

    # polkitd: only org.gpupass1.manage, and a rule that allows it to the test user
    mkdir -p "$RIG_WORK/actions" "$RIG_WORK/rules" /etc/polkit-1/rules.d
    install -m 0644 "$PROJECT_ROOT/polkit/org.gpupass1.policy" "$RIG_WORK/actions/"
    cat >"$RIG_WORK/rules/50-gpupass-desktop-test.rules" <<EOF
polkit.addRule(function(action, subject) {
    if (action.id == "org.gpupass1.manage" && subject.user == "$TEST_USER")
        return polkit.Result.YES;
});
EOF
    chmod 0755 "$RIG_WORK/rules" "$RIG_WORK/actions"
    mount --bind "$RIG_WORK/actions" /usr/share/polkit-1/actions
    mount --bind "$RIG_WORK/rules" /etc/polkit-1/rules.d
    DBUS_SYSTEM_BUS_ADDRESS=$RIG_BUS /usr/lib/polkit-1/polkitd --no-debug >"$RIG_WORK/polkitd.log" 2>&1 &
    RIG_POLKITD=$!
    wait_for 10 bus_has_owner org.freedesktop.PolicyKit1 || { not_ok "polkitd on the private bus"; return 1; }

    # the chroot: its cached tree read-only, everything a session writes on tmpfs
    mount --bind "$C" "$C" && mount -o remount,bind,ro "$C"
    mount -t proc proc "$C/proc"
    mount --rbind /sys "$C/sys"
    mount --rbind /dev "$C/dev"
    local d
    for d in run tmp var/tmp home; do mount -t tmpfs -o mode=1777 tmpfs "$C/$d"; done
    chmod 0755 "$C/run" "$C/home"
    mkdir -p "$C/run/gpupass-bus" "$C/run/dbus" "$C/run/user/$RIG_UID" "$C/home/$RIG_USER"
    mount --bind "$RIG_WORK/bus" "$C/run/gpupass-bus"
    ln -s ../gpupass-bus/bus.socket "$C/run/dbus/system_bus_socket"
    chown "$RIG_UID:$RIG_GID" "$C/run/user/$RIG_UID" "$C/home/$RIG_USER"
    chmod 0700 "$C/run/user/$RIG_UID"
    # tester: the host test user's uid; entries of the chroot with the same numbers give way
    awk -F: -v u="$RIG_UID" '$3 != u' "$C/etc/passwd" >"$RIG_WORK/passwd"
    echo "$RIG_USER:x:$RIG_UID:$RIG_GID:Test user:/home/$RIG_USER:/bin/bash" >>"$RIG_WORK/passwd"
    awk -F: -v g="$RIG_GID" '$3 != g' "$C/etc/group" >"$RIG_WORK/group"
    echo "$RIG_USER:x:$RIG_GID:" >>"$RIG_WORK/group"
    chmod 0644 "$RIG_WORK/passwd" "$RIG_WORK/group"
    mount --bind "$RIG_WORK/passwd" "$C/etc/passwd"
    mount --bind "$RIG_WORK/group" "$C/etc/group"
    mount --bind /etc/machine-id "$C/etc/machine-id"

    RIG_SESSION=unix:path=/run/user/$RIG_UID/bus
    rig_bg "$RIG_WORK/session-bus.log" dbus-daemon --session --nofork --address="$RIG_SESSION"
    wait_for 10 test -S "$C/run/user/$RIG_UID/bus" || { not_ok "session bus of $RIG_USER"; return 1; }
    echo "# rig: chroot $C ($(sed -n 's/^built //p' "$C/../built")); system bus $RIG_BUS; tester uid $RIG_UID"
}

rig_cleanup() {
    rig_daemon_stop
    [ -n "${RIG_POLKITD:-}" ] && kill "$RIG_POLKITD" 2>/dev/null
    [ -n "${RIG_WORK:-}" ] && "$SHELL_DIR/private-bus.sh" stop "$RIG_WORK/bus"
    # the mounts and the other processes end with this namespace; keep the logs
    if [ -n "${RIG_WORK:-}" ]; then
        cp "$RIG_WORK"/*.log "$RIG_OUT/" 2>/dev/null
        rm -rf "$RIG_WORK"
    fi
}

rig_env() {
    echo HOME=/home/$RIG_USER USER=$RIG_USER LOGNAME=$RIG_USER SHELL=/bin/bash PATH=/usr/local/bin:/usr/bin:/bin \
        LANG=C.UTF-8 XDG_RUNTIME_DIR=/run/user/$RIG_UID DBUS_SESSION_BUS_ADDRESS=$RIG_SESSION \
        DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/gpupass-bus/bus.socket ${RIG_EXTRA_ENV:-}
}
# shellcheck disable=SC2046
rig_as_tester() {
    chroot --userspec="$RIG_UID:$RIG_GID" "$RIG_ROOT" env -i $(rig_env) "$@"
}
rig_bg() { # (chroot and env exec the command: RIG_BG_PID is the command's own pid)
    local log=$1; shift
    # shellcheck disable=SC2046
    (exec chroot --userspec="$RIG_UID:$RIG_GID" "$RIG_ROOT" env -i $(rig_env) "$@") >"$log" 2>&1 &
    RIG_BG_PID=$!
}

bus() { busctl --address="$RIG_BUS" "$@"; }
bus_has_owner() {
    [ "$(bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s "$1" 2>/dev/null)" = "b true" ]
}
# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds (the test waits; the applets never poll)
wait_for() {
    local end=$((SECONDS + $1)); shift
    while ! "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.1
    done
}

# rig_daemon_start [HOST [CONFIG_TEXT [FAULTS]]]: HOST a built-in name or a file; a fresh state
# directory; FAULTS for GPUPASSD_SIM_FAULTS (e.g. hang:UNBIND:0000:01:00.0, see Hosts.java)
rig_daemon_start() {
    local host=${1:-dual-gpu} conf=${2:-} faults=${3:-}
    rig_daemon_stop
    rm -rf "$RIG_WORK/state"
    printf '%s\n' "$conf" >"$RIG_WORK/gpupassd.conf"
    GPUPASSD_SIM_FAULTS=$faults java -jar "$PROJECT_ROOT/target/gpupassd.jar" --simulate="$host" --bus="$RIG_BUS" \
        --state-dir="$RIG_WORK/state" --config="$RIG_WORK/gpupassd.conf" >>"$RIG_WORK/daemon.log" 2>&1 &
    RIG_DAEMON=$!
    wait_for 30 bus_has_owner org.gpupass1
}
rig_daemon_stop() {
    [ -n "${RIG_DAEMON:-}" ] || return 0
    kill "$RIG_DAEMON" 2>/dev/null
    wait "$RIG_DAEMON" 2>/dev/null
    RIG_DAEMON=""
    wait_for 10 rig_not bus_has_owner org.gpupass1
}
rig_not() { ! "$@"; }

# rig_hold SECONDS: for debugging, keeps the session alive and writes the commands to reach it
# (nsenter into this namespace) to target/desktop/hold.sh
rig_hold() {
    {
        echo "# source this file: the desktop rig's session (its namespace: pid $RIG_HOST_PID), for $1 s"
        declare -p RIG_ROOT RIG_UID RIG_GID RIG_BUS RIG_SESSION RIG_WORK
        echo "rig() { nsenter -t $RIG_HOST_PID -m \"\$@\"; }"
        echo "evaljs() { rig setpriv --reuid=$RIG_UID --regid=$RIG_GID --clear-groups -- busctl --address=unix:path=$RIG_ROOT/run/user/$RIG_UID/bus call org.gnome.Shell /org/gnome/Shell org.gnome.Shell Eval s \"\$1\"; }"
    } >"$RIG_OUT/hold.sh"
    echo "# holding for $1 s: . $RIG_OUT/hold.sh"
    sleep "$1"
}

# The GPUs of the dual-gpu host: object paths and names
NV=/org/gpupass1/gpu/pci_0000_01_00_0
IGPU=/org/gpupass1/gpu/pci_0000_00_02_0
NV_NAME="NVIDIA AD103 [GeForce RTX 4070 Ti SUPER]"
IGPU_NAME="Intel Raptor Lake-S GT1 [UHD Graphics 770]"

# Simulated hosts the tests start the daemon on (variants of the built-in dual-gpu, wherever the
# sources keep it)
rig_dual_gpu_host() {
    local f
    f=$(find "$PROJECT_ROOT/src/main/resources" -name dual-gpu.host | head -1)
    [ -n "$f" ] || { echo "rig.sh: no dual-gpu.host under src/main/resources" >&2; return 1; }
    cat "$f"
}
# rig_host_busy_module FILE: rmmod nvidia_drm is refused (EBUSY: a reference from outside the
# model), so a claim with unload_host_modules = true fails at that step and is rolled back
rig_host_busy_module() {
    rig_dual_gpu_host | sed -e 's/^load i915 .*/&\nextra-users nvidia_drm 1/' >"$1"
}
# rig_host_vm_running FILE: the NVIDIA GPU on vfio-pci since boot with a running qemu holding
# /dev/vfio/1 (a Claim adopts it; a Release is refused with InUse)
rig_host_vm_running() {
    rig_dual_gpu_host | sed -e 's/^\(device 0000:01:00.0 .*\) driver=nvidia/\1 driver=vfio-pci/' \
        -e 's/^\(device 0000:01:00.1 .*\) driver=snd_hda_intel/\1 driver=vfio-pci/' >"$1"
    echo "process qemu-system-x86_64 uid=107 opens=/dev/vfio/1" >>"$1"
}

# gpu_prop ADDR PROP: a property of a GPU as the daemon reports it (busctl's value, unquoted)
gpu_prop() {
    local path=/org/gpupass1/gpu/pci_${1//[:.]/_}
    bus get-property org.gpupass1 "$path" org.gpupass1.Gpu "$2" --json=short | jq -r .data
}

# rig_monitor_start FILE / rig_monitor_stop: every message on the system bus, as JSON lines
# (busctl monitor, as root), e.g. to read a call's header flags
rig_monitor_start() {
    busctl --address="$RIG_BUS" monitor --json=short >"$1" 2>/dev/null &
    RIG_MONITOR=$!
    sleep 0.3
}
rig_monitor_stop() {
    kill "$RIG_MONITOR" 2>/dev/null   # (SIGINT is ignored by background jobs)
    wait "$RIG_MONITOR" 2>/dev/null
}
# rig_calls FILE MEMBER: how many method calls of MEMBER a monitor file holds
rig_calls() { grep '^{' "$1" | jq -s --arg m "$2" '[.[] | select(.type == "method_call" and .member == $m)] | length'; }

# rss_mib PID: resident memory of a process
rss_mib() { awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }

# rig_idle_calls SECONDS: the method calls made on the system bus by connections of the test user
# during SECONDS (dbus-monitor as root), each on one line with its arguments; in two files:
# $RIG_WORK/idle-gpupass.txt those to or about org.gpupass1 (to the daemon, or a match rule or
# name lookup naming it), $RIG_WORK/idle-other.txt the rest (the shell's own business)
rig_idle_calls() {
    local secs=$1 mon=$RIG_WORK/idle-monitor.txt owner s uid
    owner=$(bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetNameOwner s org.gpupass1 | awk '{print $2}' | tr -d '"')
    timeout "$secs" dbus-monitor --address "$RIG_BUS" --monitor "type='method_call'" >"$mon" 2>&1
    # one line per message: the header and its arguments
    awk '/^(method|signal|error)/ { if (m) print m; m = $0; next } { gsub(/^ +/, " "); m = m $0 } END { if (m) print m }' \
        "$mon" | grep '^method call' >"$mon.lines"
    : >"$RIG_WORK/idle-gpupass.txt"; : >"$RIG_WORK/idle-other.txt"
    for s in $(sed -n 's/^method call .* sender=\([^ ]*\) .*/\1/p' "$mon.lines" | sort -u); do
        uid=$(bus call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetConnectionUnixUser s "$s" 2>/dev/null | awk '{print $2}')
        [ "$uid" = "$RIG_UID" ] || continue
        grep -F "sender=$s " "$mon.lines" | grep -e 'gpupass' -e "destination=$owner " >>"$RIG_WORK/idle-gpupass.txt"
        grep -F "sender=$s " "$mon.lines" | grep -v -e 'gpupass' -e "destination=$owner " >>"$RIG_WORK/idle-other.txt"
    done
}
