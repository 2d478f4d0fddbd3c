#!/bin/bash
# Tests dbus-policy/org.gpupass1.conf on a real private dbus-daemon (private-bus.sh):
# only root may own org.gpupass1; anyone may call it and receive its signals.
# Needs root (to act as another user), dbus-daemon, busctl, gdbus, setpriv, and for the
# call/signal checks python3-dbus + python3-gi (a stand-in owner of the name).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ]; then skip_or_fail "dbus-policy-test needs root"; finish; exit; fi
for t in dbus-daemon busctl gdbus setpriv; do
    command -v $t >/dev/null || { not_ok "$t is installed"; finish; exit; }
done
ensure_test_user || { not_ok "test user exists"; finish; exit; }

work=$(mktemp -d /tmp/gpupass-policy.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    "$SHELL_DIR/private-bus.sh" stop "$work/bus"
    rm -rf "$work"
}
trap cleanup EXIT

addr=$("$SHELL_DIR/private-bus.sh" start "$work/bus" "$PROJECT_ROOT/dbus-policy") || { not_ok "private bus starts"; finish; exit; }
ok "private bus starts with the project's policy ($addr)"
BUS=(org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus)

# 1. ownership
out=$(busctl --address="$addr" call "${BUS[@]}" RequestName su org.gpupass1 4 2>&1)
check "root may own org.gpupass1 (RequestName -> 1: $out)" test "$out" = "u 1"

out=$(as_test_user busctl --address="$addr" call "${BUS[@]}" RequestName su org.gpupass1 4 2>&1)
check "$TEST_USER may not own org.gpupass1 ($out)" contains "$out" "Access denied"
out=$(as_test_user busctl --address="$addr" call "${BUS[@]}" RequestName su org.gpupass1.Other 4 2>&1)
check "$TEST_USER may not own another name either ($out)" contains "$out" "Access denied"

# 2. calls and signals, with a stand-in owner
PY=/usr/bin/python3
if ! $PY -c 'import dbus, gi; from gi.repository import GLib' 2>/dev/null; then
    skip_or_fail "call and signal checks need python3-dbus and python3-gi"
    finish; exit
fi
coproc SVC { exec setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups --reset-env -- $PY "$SHELL_DIR/fake-gpupass-service.py" "$addr" 2>&1; }
read -r -t 10 line <&"${SVC[0]}"
check "a service run as $TEST_USER cannot take the name ($line)" contains "$line" "denied: org.freedesktop.DBus.Error.AccessDenied"
wait "$SVC_PID" 2>/dev/null

coproc SVC { exec $PY "$SHELL_DIR/fake-gpupass-service.py" "$addr" 2>&1; }
pids+=("$SVC_PID")
read -r -t 10 line <&"${SVC[0]}"
check "a service run as root takes the name ($line)" test "$line" = ready

out=$(as_test_user busctl --address="$addr" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status 2>&1)
check "$TEST_USER may call Status ($out)" test "$out" = "aa{sv} 0"
out=$(as_test_user busctl --address="$addr" introspect org.gpupass1 /org/gpupass1 2>&1)
check "$TEST_USER may introspect" contains "$out" "org.gpupass1.Manager"
# (python-dbus does not answer dbus-send's call, so: the bus must not refuse it)
out=$(as_test_user dbus-send --address="$addr" --print-reply --reply-timeout=1000 --dest=org.gpupass1 /org/gpupass1 org.gpupass1.Manager.Status 2>&1)
check_not "the bus delivers $TEST_USER's dbus-send call (${out:0:60})" contains "$out" "AccessDenied"
out=$(as_test_user gdbus call --address "$addr" --dest org.gpupass1 --object-path /org/gpupass1 --method org.freedesktop.DBus.Introspectable.Introspect 2>&1)
check "$TEST_USER may call Introspectable (gdbus)" contains "$out" "StateChanged"

# a mutating call reaches the daemon (which does its own authorization)
setpriv --reuid="$TEST_USER" --regid="$(id -g "$TEST_USER")" --init-groups --reset-env -- \
    gdbus monitor --address "$addr" --dest org.gpupass1 >"$work/monitor" 2>&1 &
mon=$!; pids+=("$mon")
for _ in $(seq 1 50); do grep -q "Monitoring signals" "$work/monitor" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
out=$(as_test_user busctl --address="$addr" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 2>&1)
check "the bus lets $TEST_USER's Claim reach the service ($out)" test "$out" = 'o "/org/gpupass1/gpu/pci_0000_01_00_0"'
for _ in $(seq 1 50); do grep -q StateChanged "$work/monitor" && break; sleep 0.1; done
check "$TEST_USER receives the service's signals (gdbus monitor)" grep -q "org.gpupass1.Manager.StateChanged" "$work/monitor"

# 3. the name is not stealable while owned, even by root with replace
out=$(busctl --address="$addr" call "${BUS[@]}" RequestName su org.gpupass1 4 2>&1)
check "a second root connection does not get the name while it is owned ($out)" test "$out" = "u 3"

# 4. control: without the project's policy the same calls are refused, so the checks above
#    test dbus-policy/ and not a lax bus
kill "$SVC_PID" 2>/dev/null; wait "$SVC_PID" 2>/dev/null
mkdir -p "$work/empty-policy"
addr2=$("$SHELL_DIR/private-bus.sh" start "$work/bus2" "$work/empty-policy")
out=$(busctl --address="$addr2" call "${BUS[@]}" RequestName su org.gpupass1 4 2>&1)
check "control: without the policy root may not own org.gpupass1 ($out)" contains "$out" "Access denied"
"$SHELL_DIR/private-bus.sh" stop "$work/bus2"

finish
