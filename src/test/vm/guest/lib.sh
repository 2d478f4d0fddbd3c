# Sourced by every scenario in the guest. Verdict lines go to $GP_RESULTS; everything else to the
# scenario's log (stdout). SCEN is the scenario's name (its file name).
SCEN=${SCEN:-$(basename "${BASH_SOURCE[1]:-$0}" .sh)}
GP_RESULTS=${GP_RESULTS:-/tmp/results/results}
GP_RES=${GP_RES:-/tmp/results}
errs=()
log() { local u; read -r u _ < /proc/uptime; echo "[$u] $*"; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
fig() { echo "FIG $1 $2" >> "$GP_RESULTS"; log "FIG $1 $2"; }
# expect DESCRIPTION COMMAND...: records a failed expectation (the scenario goes on).
expect() {
    local d=$1; shift
    if "$@"; then log "ok: $d"; else errs+=("$d"); log "NOT OK: $d"; fi
}
# require DESCRIPTION COMMAND...: as expect, but ends the scenario at once when it fails.
require() {
    local d=$1; shift
    if "$@"; then log "ok: $d"; else errs+=("$d"); log "NOT OK (fatal): $d"; finish; fi
}
skip() { echo "SKIP $SCEN: $*" >> "$GP_RESULTS"; log "SKIP: $*"; exit 0; }
finish() {
    if ((${#errs[@]})); then
        local IFS=';'; echo "FAIL $SCEN: ${errs[*]}" >> "$GP_RESULTS"; exit 1
    fi
    echo "PASS $SCEN" >> "$GP_RESULTS"; exit 0
}
track() { echo "$1" >> /run/gpupass/pids; }

# --- sysfs, read directly (no forks in the hot helpers: every exec goes over 9p under TCG) -------
# Addresses are always full (0000:01:00.0).
D=/sys/bus/pci/devices
drv() { local l; l=$(readlink "$D/$1/driver" 2>/dev/null) && echo "${l##*/}" || echo ""; }
ovr() { local o; read -r o < "$D/$1/driver_override"; [ "$o" = "(null)" ] && o=; echo "$o"; }
group() { local l; l=$(readlink "$D/$1/iommu_group" 2>/dev/null) && echo "${l##*/}" || echo -1; }
is_drv() { [[ "$D/$1/driver" -ef "/sys/bus/pci/drivers/$2" ]]; }
unbound() { [[ ! -e "$D/$1/driver" ]]; }
no_ovr() { local o; read -r o < "$D/$1/driver_override"; [[ "$o" = "(null)" ]]; }
exists() { [[ -e "$1" ]]; }
absent() { [[ ! -e "$1" ]]; }
mod_loaded() { grep -q "^${1//-/_} " /proc/modules; }
mod_absent() { ! grep -q "^${1//-/_} " /proc/modules; }
has_card() { local f=("$D/$1"/drm/card*); [[ -e "${f[0]}" ]]; }
card_of() { local f=("$D/$1"/drm/card*); [[ -e "${f[0]}" ]] && echo "${f[0]##*/}"; }
# A sleep without a fork: read with a timeout from a fifo nobody writes to.
mkfifo /tmp/gp.sleep.$$ 2>/dev/null; exec {_sleepfd}<>/tmp/gp.sleep.$$; rm -f /tmp/gp.sleep.$$
nap() { read -r -t "$1" -u "$_sleepfd" _ 2>/dev/null; return 0; }
now() { NOW=${EPOCHREALTIME/./}; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# wait_for SECONDS COMMAND...: polls every 5 ms.
wait_for() {
    now; local end=$(( NOW + $1 * 1000000 )); shift
    until "$@"; do now; (( NOW >= end )) && return 1; nap 0.005; done
}
snapshot() { # one line: each function's driver and override, /dev/vfio and /dev/dri
    local a; for a in "$@"; do echo -n "$a drv=$(drv "$a") ovr=$(ovr "$a") | "; done
    echo "vfio: $(ls /dev/vfio 2>/dev/null | tr '\n' ' ')| dri: $(ls /dev/dri 2>/dev/null | tr '\n' ' ')"
}

# --- raw moves (the kernel's own cost: three writes per function) -------------------------------
raw_to_vfio() { # ADDR...
    local a; for a in "$@"; do
        echo vfio-pci > "$D/$a/driver_override"
        [[ -e "$D/$a/driver" ]] && echo "$a" > "$D/$a/driver/unbind"
        echo "$a" > /sys/bus/pci/drivers_probe
    done
}
raw_to_host() { # ADDR...
    local a; for a in "$@"; do
        echo > "$D/$a/driver_override"
        [[ -e "$D/$a/driver" ]] && echo "$a" > "$D/$a/driver/unbind"
        echo "$a" > /sys/bus/pci/drivers_probe
    done
}

# --- the daemon on a private bus ---------------------------------------------------------------
BUS_SOCK=/run/gpupass/bus.sock
export GP_BUS=unix:path=$BUS_SOCK
STATE=/run/gpupass/state
GP_BASE=${GP_BASE:-$(cd "$GP_VM/../../.." && pwd)}
GP_JAR=${GP_JAR:-$GP_BASE/target/gpupassd.jar}
# The jar exists after any mvn package; the daemon is in it once org.gpupass.Main is (the zip's
# central directory names every entry uncompressed).
have_daemon() { [ -f "$GP_JAR" ] && grep -qa 'org/gpupass/Main.class' "$GP_JAR"; }
need_daemon() { have_daemon || skip "no daemon in $GP_JAR (org.gpupass.Main missing: mvn package with the daemon merged)"; }

start_bus() {
    [ -S "$BUS_SOCK" ] && return 0
    local tmpl=$GP_BASE/src/test/resources/bus/system-test.conf.in conf=/run/gpupass/bus.conf
    [ -f "$tmpl" ] || tmpl=$GP_VM/guest/bus.conf.in
    sed -e "s|@SOCKET@|$BUS_SOCK|g" -e "s|@POLICY_DIR@|$GP_BASE/dbus-policy|g" "$tmpl" > "$conf"
    dbus-daemon --config-file="$conf" --nofork --nopidfile --print-address=1 > /run/gpupass/bus.addr 2> "$GP_RES/$SCEN.bus.log" &
    track $!
    wait_for 10 test -S "$BUS_SOCK" || { errs+=("private dbus-daemon did not start"); finish; }
}
DAEMON_PID=
# The flags of the shipped launcher (bin/gpupassd): C1 only, serial GC, small heap.
GP_JAVA_OPTS=${GP_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xms8m -Xmx64m -XX:-UsePerfData}
# start_daemon [CONFIG_FILE]: starts the daemon from the jar on the guest's real /sys and waits
# until org.gpupass1 is on the bus.
start_daemon() {
    local conf=${1:-/run/gpupass/empty.conf}
    [ -e "$conf" ] || : > "$conf"
    start_bus
    mkdir -p "$STATE"
    local t0; t0=$(now_us)
    # The guest has no system bus (no systemd); the daemon's systemd-unit client connects to the
    # system bus at start even with --bus, so point that at the private bus too (no systemd1 on it).
    local cds=
    [ -n "${GP_CDS:-}" ] && [ -f "$GP_CDS" ] && cds="-XX:SharedArchiveFile=$GP_CDS -Xlog:cds=off -Xlog:cds+dynamic=off"
    # A JVM crash report goes to the results share (the guest's cwd is the read-only root).
    env DBUS_SYSTEM_BUS_ADDRESS="$GP_BUS" ${GP_DAEMON_ENV:-} java $GP_JAVA_OPTS $cds -XX:ErrorFile="$GP_RES/hs_err_$SCEN.%p.log" -jar "$GP_JAR" --bus="$GP_BUS" --state-dir="$STATE" --sysfs-root=/ --config="$conf" \
        >> "$GP_RES/$SCEN.daemon.log" 2>&1 &
    DAEMON_PID=$!
    track $DAEMON_PID
    # Poll gently: under TCG each busctl exec costs the JVM's single vCPU tens of milliseconds.
    local end=$(( t0 + 180000000 ))
    until name_owned; do
        if ! kill -0 $DAEMON_PID 2>/dev/null; then
            errs+=("daemon exited at start: $(tail -3 "$GP_RES/$SCEN.daemon.log" | tr '\n' ' ')"); finish
        fi
        now; if (( NOW >= end )); then errs+=("daemon did not own org.gpupass1 within 180 s (see $SCEN.daemon.log)"); finish; fi
        nap 0.5
    done
    fig "daemon.start_ms.$SCEN" $(( ($(now_us) - t0) / 1000 ))
}
name_owned() { busctl --address="$GP_BUS" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.gpupass1 2>/dev/null | grep -q true; }
stop_daemon() { # polite stop (SIGTERM), then make sure
    [ -n "$DAEMON_PID" ] || return 0
    kill -TERM "$DAEMON_PID" 2>/dev/null
    wait_for 15 sh -c "! kill -0 $DAEMON_PID 2>/dev/null" || kill -KILL "$DAEMON_PID" 2>/dev/null
    wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
}
bctl() { busctl --address="$GP_BUS" --timeout=60 "$@"; }
mgr() { bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager "$@"; }
gpu_path() { local a=${1//[:.]/_}; echo "/org/gpupass1/gpu/pci_$a"; }
# prop ADDR NAME: the value only (busctl prints 's "host"', 'b true', 'as 2 "a" "b"').
prop() { bctl get-property org.gpupass1 "$(gpu_path "$1")" org.gpupass1.Gpu "$2" | sed -E 's/^[a-z]+ //; s/^"(.*)"$/\1/'; }
# call_err COMMAND...: runs a busctl call expected to fail; prints the D-Bus error text.
call_err() { local o; if o=$("$@" 2>&1); then echo "UNEXPECTED-SUCCESS $o"; else echo "$o"; fi; }

# dbus-send shows the D-Bus error name ("Error org.gpupass1.Error.InUse: ..."); busctl does not.
ds() { dbus-send --bus="$GP_BUS" --print-reply --reply-timeout=60000 --dest=org.gpupass1 "$@" 2>&1; }
ds_mgr() { local m=$1; shift; ds /org/gpupass1 "org.gpupass1.Manager.$m" "$@"; }
# monitor_start FILE / monitor_stop: the daemon's signals as gdbus monitor prints them.
MON_PID=
monitor_start() {
    gdbus monitor --address "$GP_BUS" --dest org.gpupass1 > "$1" 2>&1 &
    MON_PID=$!; track $MON_PID
    nap 1.5   # gdbus needs a moment to subscribe (TCG)
}
monitor_stop() { nap 1; [ -n "$MON_PID" ] && kill "$MON_PID" 2>/dev/null; wait "$MON_PID" 2>/dev/null; MON_PID=; }
# state_changes FILE ADDR: the StateChanged transitions of one GPU, e.g. "host>claiming claiming>vfio"
state_changes() {
    grep 'StateChanged' "$1" | grep "'$2'" | sed -E "s/.*'$2', '([a-z]*)', '([a-z]*)'.*/\1>\2/" | tr '\n' ' ' | sed 's/ $//'
}
daemon_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON_PID/status"; }
contains() { case $1 in *"$2"*) return 0 ;; esac; return 1; }
lacks() { ! contains "$1" "$2"; }
matches() { [[ $1 =~ $2 ]]; }  # TEXT ERE
