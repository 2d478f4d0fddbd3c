#!/bin/bash
# The Plasma widget (desktop/plasma) in a real Plasma 6.7 (plasmashell under Xvfb, the widget in a
# real panel and in the system tray; plasmawindowed for clean screenshots), against the real daemon
# on a private system bus (rig.sh). Checks read what the widget shows from its state lines
# (org.gpupass.widget.info, see main.qml) and click where its buttons are, with xdotool.
#
#   src/test/desktop/plasma-test.sh     (root; after mvn package; the chroot is built on first use)
#
# Screenshots and logs: target/desktop/. Skips without root, mmdebstrap or the mirror; fails
# instead with CI=true.
set -uo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"
cd "$PROJECT_ROOT"

ID=org.gpupass.widget
LOG=

ensure_test_user
rig_start || { finish; exit; }
make -s plasma-widget DESKTOP_OUT="$RIG_WORK/build" >/dev/null || { not_ok "make plasma-widget"; finish; exit; }
cp "$RIG_WORK/build/$ID.plasmoid" "$RIG_ROOT/tmp/"

# --- X and the session's environment
rig_as_tester sh -c 'exec Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>/tmp/display' >"$RIG_WORK/xvfb.log" 2>&1 &
wait_for 10 test -s "$RIG_ROOT/tmp/display" || { not_ok "Xvfb starts"; cat "$RIG_WORK/xvfb.log"; finish; exit; }
DISPLAY=:$(cat "$RIG_ROOT/tmp/display")
RIG_EXTRA_ENV="DISPLAY=$DISPLAY QT_QPA_PLATFORM=xcb XDG_SESSION_TYPE=x11 XDG_CURRENT_DESKTOP=KDE KDE_FULL_SESSION=true
    KDE_SESSION_VERSION=6 QT_LOGGING_RULES=org.gpupass.widget.info=true"
# services the session bus starts (kactivitymanagerd, kded6...) need the display too
# shellcheck disable=SC2086
rig_as_tester dbus-update-activation-environment $RIG_EXTRA_ENV || not_ok "the session bus takes the environment"

rig_as_tester kpackagetool6 -t Plasma/Applet -i "/tmp/$ID.plasmoid" >/dev/null 2>&1
check "kpackagetool6 -i installs the .plasmoid" test -f "$RIG_ROOT/home/$RIG_USER/.local/share/plasma/plasmoids/$ID/metadata.json"

# marker lines of the widget: "gpupass-widget APPLET KIND state JSON", "... button JSON", "... notify JSON"
# state APPLET: the last state the applet logged (JSON)
state() { grep -a "gpupass-widget $1 [a-z]* state " "$LOG" | tail -1 | sed 's/.* state //'; }
# applet_of KIND: the id of the last applet of that kind (panel, tray, planar) that logged a state
applet_of() { grep -a -o "gpupass-widget [0-9]* $1 state " "$LOG" | tail -1 | awk '{print $2}'; }
# row APPLET PATH FIELD
row() { state "$1" | jq -r --arg p "$2" --arg f "$3" '.rows[] | select(.path == $p) | .[$f] | if type == "array" then join("\n") else tostring end'; }
place_is() { [ "$(row "$1" "$2" place)" = "$3" ]; }
field_is() { [ "$(state "$1" | jq -r ".$2")" = "$3" ]; }
# click APPLET MARKER: a left click where that applet's button (or icon) is
click() {
    local at
    at=$(grep -a "gpupass-widget $1 button " "$LOG" | sed 's/.* button //' | jq -r --arg m "$2" 'select(.marker == $m) | "\(.x) \(.y)"' | tail -1)
    [ -n "$at" ] || { echo "# no button '$2' of applet $1 logged" >&2; return 1; }
    rig_as_tester xdotool mousemove $at click 1
}
# the popup above the panel's right end, the panel's end, and notifications above it
POPUP_AREA=470x520+810+280
shot() { # NAME [GEOMETRY]: the screen, or part of it (WxH+X+Y), to target/desktop/plasma-NAME.png
    rig_as_tester import -window root ${2:+-crop "$2"} "/tmp/$1.png" 2>/dev/null &&
        cp "$RIG_ROOT/tmp/$1.png" "$RIG_OUT/plasma-$1.png" && echo "# screenshot: target/desktop/plasma-$1.png"
}
script() { # JS: org.kde.PlasmaShell.evaluateScript (its print() output)
    setpriv --reuid="$RIG_UID" --regid="$RIG_GID" --clear-groups -- busctl \
        --address="unix:path=$RIG_ROOT/run/user/$RIG_UID/bus" call org.kde.plasmashell /PlasmaShell \
        org.kde.PlasmaShell evaluateScript s "$1" --json=short | jq -r '.data[0]'
}

# --- plasmashell, with the daemon running
rig_daemon_start dual-gpu || { not_ok "the daemon starts (dual-gpu)"; finish; exit; }
LOG=$RIG_WORK/plasmashell.log
t0=$(date +%s%N)
rig_bg "$LOG" plasmashell --no-respawn
shell_pid=$RIG_BG_PID
tray_listed() { t=$(applet_of tray); [ -n "$t" ] && [ "$(state "$t" | jq '.rows | length')" = 2 ]; }
if wait_for 60 tray_listed; then
    ok "plasmashell $(rig_as_tester plasmashell --version 2>/dev/null | awk '{print $2}'): the system tray loaded the widget (X-Plasma-DBusActivationService, the daemon runs) and it lists 2 GPUs after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
else
    not_ok "the system tray shows the widget while the daemon runs"; tail -20 "$LOG" | sed 's/^/#   /'
fi
TRAY=$(applet_of tray)

# the widget in the panel, too
PANEL=$(script 'var w = panels()[0].addWidget("org.gpupass.widget"); print(w.id);')
listed() { place_is "$1" $NV "On the host (nvidia)" && place_is "$1" $IGPU "Not claimable"; }
if [ -n "$PANEL" ] && wait_for 10 listed "$PANEL"; then
    ok "in the panel (applet $PANEL): \"$NV_NAME\" On the host (nvidia), \"$IGPU_NAME\" Not claimable"
else not_ok "the widget in the panel lists both GPUs"; state "$PANEL" | sed 's/^/#   /'; fi
check "names as the daemon gives them" test "$(row "$PANEL" $NV name)|$(row "$PANEL" $IGPU name)" = "$NV_NAME|$IGPU_NAME"
check "the iGPU says why it is not claimable" contains "$(row "$PANEL" $IGPU details)" "Not claimable because:
• 0000:00:02.0 is the firmware's boot display (set allow_boot_display = true to hand it over)"
check "  ... and offers nothing to do" test "$(row "$PANEL" $IGPU action)" = none
check "the NVIDIA GPU offers \"Reserve for virtual machines\"" test "$(row "$PANEL" $NV actionLabel)" = "Reserve for virtual machines"
check "the icon's look: every GPU on the host" field_is "$PANEL" look host

popup_open() { grep -aq "gpupass-widget $PANEL button .*\"action 0000:01:00.0\"" "$LOG"; }
click "$PANEL" "icon panel" && wait_for 5 popup_open || not_ok "a click on the panel icon opens the popup"
sleep 0.5
shot idle "$POPUP_AREA"
shot panel-idle 200x48+1080+752

# --- a Claim from outside (busctl, root) shows "With win11" within two seconds; the Release the host
t1=$(date +%s%N)
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 >/dev/null || not_ok "busctl Claim 01:00.0 win11"
if wait_for 2 place_is "$PANEL" $NV "With win11"; then
    ok "Claim from busctl: \"With win11\" after $(( ($(date +%s%N) - t1) / 1000000 )) ms (the call included)"
else not_ok "Claim from busctl shows \"With win11\" within 2 s ($(row "$PANEL" $NV place))"; fi
check "  ... the icon's look: with a VM" field_is "$PANEL" look vm
check "  ... Held by win11" contains "$(row "$PANEL" $NV details)" "Held by win11"
check "  ... the tray's widget says the same" place_is "$TRAY" $NV "With win11"
sleep 0.5
shot claimed-win11 "$POPUP_AREA"
shot panel-claimed 200x48+1080+752
t1=$(date +%s%N)
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Release ss 01:00.0 win11 >/dev/null || not_ok "busctl Release"
if wait_for 2 place_is "$PANEL" $NV "On the host (nvidia)"; then
    ok "Release from busctl: \"On the host (nvidia)\" after $(( ($(date +%s%N) - t1) / 1000000 )) ms"
else not_ok "Release shows the host again within 2 s ($(row "$PANEL" $NV place))"; fi

# --- idle: no method calls from the widgets for 30 s
rig_idle_calls 30
if [ ! -s "$RIG_WORK/idle-gpupass.txt" ]; then ok "idle for 30 s: plasmashell made no method call to or about org.gpupass1"
else not_ok "idle for 30 s: method calls to or about org.gpupass1"; sed 's/^/#   /' "$RIG_WORK/idle-gpupass.txt"; fi
[ -s "$RIG_WORK/idle-other.txt" ] && sed 's/^/#   (plasmashell itself, not the widget) /' "$RIG_WORK/idle-other.txt"

# --- the button claims for desktop:tester (polkit rule), and releases
click "$PANEL" "action 0000:01:00.0"
if wait_for 10 place_is "$PANEL" $NV "Reserved for VMs by tester"; then ok "\"Reserve for virtual machines\": \"Reserved for VMs by tester\""
else not_ok "the button claims ($(row "$PANEL" $NV place))"; fi
check "  ... the daemon reports holder desktop:$RIG_USER" test "$(gpu_prop 0000:01:00.0 Holder)" = "desktop:$RIG_USER"
check "  ... the button now says \"Return to the host\"" test "$(row "$PANEL" $NV actionLabel)" = "Return to the host"
sleep 0.5
shot claimed "$POPUP_AREA"
click "$PANEL" "action 0000:01:00.0"
if wait_for 10 place_is "$PANEL" $NV "On the host (nvidia)"; then ok "\"Return to the host\": back \"On the host (nvidia)\""
else not_ok "the button releases ($(row "$PANEL" $NV place))"; fi
check "  ... the daemon reports State host, no holder" test "$(gpu_prop 0000:01:00.0 State)|$(gpu_prop 0000:01:00.0 Holder)" = "host|"

# --- the daemon goes: "not running" in the panel, gone from the tray; it comes back: rows again
rig_daemon_stop
if wait_for 2 field_is "$PANEL" running false; then ok "daemon stopped: the panel's widget says gpupassd is not running"
else not_ok "daemon stopped: not running"; fi
check "  ... and shows no rows" test "$(state "$PANEL" | jq '.rows | length')" = 0
# The tray should unload it (X-Plasma-DBusActivationService); Plasma 6.7.4 counts the name once per
# look at the bus and may not: then the widget has hidden itself (HiddenStatus) in the tray.
tray_gone() { grep -aq "gpupass-widget $TRAY gone" "$LOG" || field_is "$TRAY" status hidden; }
if wait_for 5 tray_gone; then
    if grep -aq "gpupass-widget $TRAY gone" "$LOG"; then ok "  ... the system tray unloaded its widget (applet $TRAY)"
    else ok "  ... the system tray's widget (applet $TRAY) is hidden (the tray kept it loaded)"; fi
else not_ok "  ... the system tray no longer shows the widget"; fi
sleep 0.5
shot not-running "$POPUP_AREA"

# a transition that fails in the kernel: the notification carries the daemon's message
rig_host_busy_module "$RIG_WORK/busy-module.host"
rig_daemon_start "$RIG_WORK/busy-module.host" "unload_host_modules = true" || not_ok "the daemon starts again"
if wait_for 5 listed "$PANEL"; then ok "daemon started again: both GPUs back in the panel's widget"; else not_ok "rows back after the daemon's start"; fi
tray_back() { t=$(applet_of tray); [ -n "$t" ] && [ "$(state "$t" | jq -r '"\(.running) \(.rows | length) \(.status)"')" != "false 0 hidden" ] \
    && [ "$(state "$t" | jq '.rows | length')" = 2 ]; }
if wait_for 10 tray_back; then ok "  ... and the system tray shows it again (applet $(applet_of tray), $(state "$(applet_of tray)" | jq -r .status))"
else not_ok "  ... and in the tray again"; fi
TRAY=$(applet_of tray)

err=$(bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 2>&1)
msg=$(gpu_prop 0000:01:00.0 LastError)
check "the claim fails in the kernel ($err)" contains "$msg" "rmmod nvidia_drm: EBUSY"
# notifications sent, by any of the widgets (panel, tray): COUNT TITLE MESSAGE
notified() { [ "$(grep -a "gpupass-widget [0-9]* notify " "$LOG" | sed 's/.* notify //' |
    jq -s --arg t "$2" --arg m "$3" '[.[] | select(.title == $t and .message == $m)] | length')" = "$1" ]; }
if wait_for 2 notified 1 "Moving $NV_NAME failed" "$msg"; then ok "notification \"Moving $NV_NAME failed\" with the daemon's message"
else not_ok "a notification for TransitionFailed"; grep -a "notify" "$LOG" | sed 's/^/#   /'; fi
sleep 0.5
check "  ... one notification, though the panel's and the tray's widget both saw the signal" notified 1 "Moving $NV_NAME failed" "$msg"
check "  ... the row shows the last error" contains "$(row "$PANEL" $NV details)" "Last error: $msg"
sleep 1
shot failed "$POPUP_AREA"

# --- a GPU a running VM holds: "Return to the host…" asks first, then the daemon's InUse
rig_host_vm_running "$RIG_WORK/vm-running.host"
rig_daemon_start "$RIG_WORK/vm-running.host" || not_ok "the daemon starts with a running VM"
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 >/dev/null || not_ok "win11 adopts the GPU"
if wait_for 5 place_is "$PANEL" $NV "With win11"; then ok "a VM's GPU: \"With win11\""; else not_ok "a VM's GPU shows With win11"; fi
check "  ... the button says \"Return to the host…\"" test "$(row "$PANEL" $NV actionLabel)" = "Return to the host…"
tray_active() { t=$(applet_of tray); [ -n "$t" ] && field_is "$t" status active; }
check "  ... the tray's widget is in view (ActiveStatus while a GPU is away)" wait_for 5 tray_active
popup_open || { click "$PANEL" "icon panel" && wait_for 5 popup_open; }
sleep 0.5
rig_monitor_start "$RIG_WORK/cancel-monitor.json"
click "$PANEL" "action 0000:01:00.0"
if wait_for 2 field_is "$PANEL" confirming $NV; then ok "the button asks first"; else not_ok "the button asks before returning the GPU"; fi
sleep 0.5; shot confirm "$POPUP_AREA"
click "$PANEL" "cancel 0000:01:00.0"
wait_for 2 field_is "$PANEL" confirming ""
sleep 0.5; rig_monitor_stop
check "Cancel: no Release reached the bus, the GPU stays with win11" \
    test "$(rig_calls "$RIG_WORK/cancel-monitor.json" Release)|$(gpu_prop 0000:01:00.0 Holder)" = "0|win11"
sleep 0.3
click "$PANEL" "action 0000:01:00.0"; wait_for 2 field_is "$PANEL" confirming $NV
sleep 0.3
rig_monitor_start "$RIG_WORK/confirm-monitor.json"
click "$PANEL" "confirm 0000:01:00.0"
inuse="cannot release 0000:01:00.0 while a VM uses it: "
refused() { state "$PANEL" | jq -e --arg p $NV --arg t "$NV_NAME is still in use" --arg m "$inuse" \
    '.outcomes[$p] | .type == "error" and .title == $t and (.message | startswith($m))' >/dev/null; }
if wait_for 5 refused; then ok "Return to the host while the VM runs: \"$NV_NAME is still in use\": $(state "$PANEL" | jq -r --arg p $NV '.outcomes[$p].message')"
else not_ok "the InUse refusal is shown"; state "$PANEL" | jq -c .outcomes | sed 's/^/#   /'; fi
rig_monitor_stop
check "  ... after the confirmation one Release was sent" test "$(rig_calls "$RIG_WORK/confirm-monitor.json" Release)" = 1
check "  ... the GPU stays with win11" place_is "$PANEL" $NV "With win11"
sleep 0.5; shot in-use "$POPUP_AREA"

# --- a kernel write that hangs: "Moving to win11…" while the daemon waits, then "Stuck…"
rig_daemon_start dual-gpu "write_timeout = 3s" hang:UNBIND:0000:01:00.0 || not_ok "the daemon starts with a hanging unbind"
wait_for 10 listed "$PANEL" || not_ok "both GPUs back in the panel's widget (hanging unbind)"
check "  ... the earlier daemon's refusal is no longer shown" test "$(state "$PANEL" | jq -c '[.outcomes[] | select(. != null)]')" = "[]"
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 >"$RIG_WORK/stuck-claim.txt" 2>&1 &
claim=$!
if wait_for 3 place_is "$PANEL" $NV "Moving to win11…"; then ok "a claim waiting on the kernel: \"Moving to win11…\""
else not_ok "a claim under way shows \"Moving to win11…\" ($(row "$PANEL" $NV place))"; fi
check "  ... the icon's look: moving" field_is "$PANEL" look moving
wait $claim
check "the hung unbind fences the GPU: State stuck" test "$(gpu_prop 0000:01:00.0 State)" = stuck
if wait_for 2 place_is "$PANEL" $NV "Stuck: reboot or remove and rescan"; then ok "then \"Stuck: reboot or remove and rescan\""
else not_ok "a fenced GPU shows Stuck ($(row "$PANEL" $NV place))"; fi
check "  ... the icon's look: stuck" field_is "$PANEL" look stuck
msg=$(gpu_prop 0000:01:00.0 LastError)
check "  ... the row shows the daemon's message ($msg)" contains "$(row "$PANEL" $NV details)" "Last error: $msg"
check "  ... which says the write hung" contains "$msg" "hung"
check "  ... and offers nothing to do" test "$(row "$PANEL" $NV action)" = none
sleep 0.5; shot stuck "$POPUP_AREA"

# --- the log: no QML warnings from the widget
warns=$(grep -a -n "plasmoids/$ID/" "$LOG")
if [ -z "$warns" ]; then ok "plasmashell's log has no QML warnings from the widget"
else not_ok "QML warnings from the widget"; echo "$warns" | sed 's/^/#   /'; fi
echo "# plasmashell RSS: $(rss_mib "$shell_pid") MiB"

# --- plasmawindowed: the popup alone, for clean screenshots (idle, and reserved by tester)
rig_daemon_start dual-gpu || not_ok "the daemon starts (dual-gpu)"
SHELL_LOG=$LOG
LOG=$RIG_WORK/plasmawindowed.log
t1=$(date +%s%N)
rig_bg "$LOG" plasmawindowed $ID
windowed_pid=$RIG_BG_PID
win_listed() { w=$(applet_of planar); [ -n "$w" ] && listed "$w"; }
if wait_for 20 win_listed; then ok "plasmawindowed shows both GPUs after $(( ($(date +%s%N) - t1) / 1000000 )) ms"
else not_ok "plasmawindowed shows the widget"; tail -5 "$LOG" | sed 's/^/#   /'; fi
WIN=$(applet_of planar)
window_shot() { # NAME [WxH]: the widget's window alone (plasmawindowed opens it at its minimum size)
    local wid
    wid=$(rig_as_tester xdotool search --onlyvisible --name "GPU passthrough" | head -1)
    [ -n "$wid" ] || return 1
    rig_as_tester xdotool windowsize "$wid" "${2:-440}" "${3:-470}" && sleep 0.5
    rig_as_tester import -window "$wid" "/tmp/$1.png" 2>/dev/null &&
        cp "$RIG_ROOT/tmp/$1.png" "$RIG_OUT/plasma-$1.png" && echo "# screenshot: target/desktop/plasma-$1.png"
}
sleep 1; window_shot window-idle
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 "desktop:$RIG_USER" >/dev/null
wait_for 5 place_is "$WIN" $NV "Reserved for VMs by tester"
sleep 0.5; window_shot window-claimed
echo "# plasmawindowed RSS: $(rss_mib "$windowed_pid") MiB"
warns=$(grep -a -n "plasmoids/$ID/" "$LOG")
check "plasmawindowed's log has no QML warnings from the widget" test -z "$warns"
kill "$windowed_pid" 2>/dev/null; wait "$windowed_pid" 2>/dev/null

# --- a Plasma older than 6.4 (no DBus.Properties): the widget says so instead of showing anything.
# The same package with that type's name changed stands in for it.
old=$RIG_ROOT/tmp/old-plasma
mkdir -p "$old" && (cd "$old" && unzip -q -o "$RIG_ROOT/tmp/$ID.plasmoid")
sed -i 's/DBus\.Properties {/DBus.PropertiesSincePlasma64 {/' "$old/contents/ui/GpuPass.qml"
sed -i "s/\"Id\": \"$ID\"/\"Id\": \"$ID.oldplasma\"/" "$old/metadata.json"
chmod -R a+rX "$old"
rig_as_tester kpackagetool6 -t Plasma/Applet -i /tmp/old-plasma >/dev/null 2>&1 || not_ok "the stand-in package installs"
LOG=$RIG_WORK/plasmawindowed-old.log
rig_bg "$LOG" plasmawindowed $ID.oldplasma
old_pid=$RIG_BG_PID
unsupported() { w=$(applet_of planar); [ -n "$w" ] && field_is "$w" supported false && field_is "$w" running false; }
wait_for 20 grep -aq "gpupass-widget [0-9]* planar state" "$LOG"
sleep 1
if unsupported; then ok "without DBus.Properties (Plasma < 6.4): \"This widget needs Plasma 6.4 or later\", no rows"
else not_ok "the widget on an older Plasma says it needs 6.4"; tail -3 "$LOG" | sed 's/^/#   /'; fi
window_shot needs-plasma-6.4 440 260
kill "$old_pid" 2>/dev/null; wait "$old_pid" 2>/dev/null
LOG=$SHELL_LOG

finish
