#!/bin/bash
# The GNOME Shell extension (desktop/gnome-shell) in a real GNOME Shell 50, headless, against the
# real daemon on a private system bus (rig.sh). Every check reads what the user sees through
# org.gnome.Shell.Eval (gnome-probe.js): the toggles' titles and subtitles, the panel icon, the
# notifications, the confirmation dialog.
#
#   src/test/desktop/gnome-test.sh     (root; after mvn package; the chroot is built on first use)
#
# Screenshots and logs: target/desktop/. Skips without root, mmdebstrap or the mirror; fails
# instead with CI=true.
set -uo pipefail
. "$(dirname "$0")/rig.sh"
rig_enter "$@"
cd "$PROJECT_ROOT"

UUID=gpupass@gpupass.org

ensure_test_user
rig_start || { finish; exit; }
make -s gnome-shell-extension DESKTOP_OUT="$RIG_WORK/build" >/dev/null || { not_ok "make gnome-shell-extension"; finish; exit; }
cp "$RIG_WORK/build/$UUID.shell-extension.zip" "$RIG_ROOT/tmp/"

# eval JS: the value of JS in the shell, as JSON (fails when Eval reports an error)
eval_js() {
    local out
    out=$(setpriv --reuid="$RIG_UID" --regid="$RIG_GID" --clear-groups -- busctl \
        --address="unix:path=$RIG_ROOT/run/user/$RIG_UID/bus" call org.gnome.Shell /org/gnome/Shell \
        org.gnome.Shell Eval s "$1" --json=short 2>&1) || { echo "eval failed: $out" >&2; return 1; }
    [ "$(jq -r '.data[0]' <<<"$out")" = true ] || { echo "eval error: $(jq -r '.data[1]' <<<"$out")" >&2; return 1; }
    jq -r '.data[1]' <<<"$out"
}
probe() { eval_js "gpupassProbe.$1"; }
# toggle PATH FIELD: a field of that GPU's toggle as shown ("" when there is no such toggle)
toggle() { probe "toggles()" | jq -r --arg p "$1" --arg f "$2" '.[] | select(.path == $p) | .[$f] | if type == "array" then join("\n") else tostring end'; }
subtitle_is() { [ "$(toggle "$1" subtitle)" = "$2" ]; }
toggle_count_is() { [ "$(probe "toggles().length")" = "$1" ]; }
panel_icon_shown() { [ "$(probe "panelIcon()" | jq -r .shown)" = true ]; }
# shot NAME [CROP]: a screenshot of the whole screen (target/desktop/NAME.png); CROP=menu cuts it
# to the Quick Settings menu with a margin, CROP=WxH+X+Y to that rectangle
shot() {
    local f=/tmp/$1.png
    setpriv --reuid="$RIG_UID" --regid="$RIG_GID" --clear-groups -- busctl \
        --address="unix:path=$RIG_ROOT/run/user/$RIG_UID/bus" call org.gnome.Shell /org/gnome/Shell/Screenshot \
        org.gnome.Shell.Screenshot Screenshot bbs false false "$f" >/dev/null || return 1
    if [ "${2:-}" = menu ]; then
        local box x y w h
        box=$(probe "menuBox()")
        # from the top of the screen (the panel and its icon) to below the menu, with a margin
        x=$(jq '.x - 16 | if . < 0 then 0 else . end' <<<"$box")
        w=$(jq '.w + 32' <<<"$box"); h=$(jq '.y + .h + 16' <<<"$box")
        rig_as_tester convert "$f" -crop "${w}x${h}+${x}+0" +repage "$f.crop.png" && mv "$RIG_ROOT$f.crop.png" "$RIG_ROOT$f"
    elif [ -n "${2:-}" ]; then
        rig_as_tester convert "$f" -crop "$2" +repage "$f.crop.png" && mv "$RIG_ROOT$f.crop.png" "$RIG_ROOT$f"
    fi
    cp "$RIG_ROOT$f" "$RIG_OUT/gnome-$1.png" && echo "# screenshot: target/desktop/gnome-$1.png"
}

# --- the shell
rig_as_tester gnome-extensions install --force "/tmp/$UUID.shell-extension.zip" \
    || not_ok "gnome-extensions install accepts the zip"
rig_as_tester sh -c "
    gsettings set org.gnome.shell disable-user-extensions false &&
    gsettings set org.gnome.shell enabled-extensions \"['$UUID']\" &&
    gsettings set org.gnome.shell welcome-dialog-last-shown-version '999' &&
    gsettings set org.gnome.desktop.lockdown disable-lock-screen true &&
    gsettings set org.gnome.desktop.interface clock-show-weekday false" || not_ok "gsettings for the session"
rig_daemon_start dual-gpu || { not_ok "the daemon starts (dual-gpu)"; finish; exit; }

t0=$(date +%s%N)
RIG_EXTRA_ENV="XDG_SESSION_TYPE=wayland XDG_CURRENT_DESKTOP=GNOME"
rig_bg "$RIG_WORK/gnome-shell.log" gnome-shell --headless --virtual-monitor 1280x800 --unsafe-mode --no-x11
shell_pid=$RIG_BG_PID
RIG_EXTRA_ENV=""
ready() { [ "$(eval_js 'Main.layoutManager._startingUp' 2>/dev/null)" = false ]; }
if ! wait_for 15 ready; then
    eval_js "Main.layoutManager._startingUp" | sed "s/^/#   eval: /"; not_ok "GNOME Shell starts"; tail -5 "$RIG_WORK/gnome-shell.log" | sed 's/^/#   /'; finish; exit
fi
ok "GNOME Shell $(eval_js "import('resource:///org/gnome/shell/misc/config.js').then(c => c.PACKAGE_VERSION)" | jq -r .) is up in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
eval_js "$(cat "$RIG_DIR/gnome-probe.js")" >/dev/null || not_ok "the probe loads"
eval_js "Main.overview.hide(), gpupassProbe.clearNotifications()" >/dev/null   # the session's own start-up notices
if [ -n "${GPUPASS_RIG_HOLD:-}" ]; then   # for debugging: a live session to poke at (see rig_hold)
    rig_hold "$GPUPASS_RIG_HOLD"; finish; exit
fi

# --- 1. the extension is ACTIVE
info=$(rig_as_tester gnome-extensions info "$UUID" 2>&1)
check "gnome-extensions info: State: ACTIVE" contains "$info" "State: ACTIVE"

# --- 2. both GPUs of dual-gpu, with the right words
listed() { toggle_count_is 2 && subtitle_is $NV "On the host (nvidia)" && subtitle_is $IGPU "Not claimable"; }
if wait_for 10 listed; then ok "both GPUs listed: \"$NV_NAME\" On the host (nvidia), \"$IGPU_NAME\" Not claimable"
else not_ok "both GPUs listed with their subtitles"; probe "toggles()" | sed 's/^/#   /'; fi
check "titles are the GPUs' names" test "$(toggle $NV title)|$(toggle $IGPU title)" = "$NV_NAME|$IGPU_NAME"
check "neither toggle is on" test "$(toggle $NV checked)|$(toggle $IGPU checked)" = "false|false"
check "the iGPU's menu says why it is not claimable" \
    contains "$(toggle $IGPU details)" "Not claimable because:
• 0000:00:02.0 is the firmware's boot display (set allow_boot_display = true to hand it over)"
check "  ... and offers no action" test "$(toggle $IGPU action)" = null
check "the NVIDIA GPU offers \"Reserve for virtual machines\"" test "$(toggle $NV action)" = "Reserve for virtual machines"
check_not "no panel icon while every GPU is on the host" panel_icon_shown
probe "openQuickSettings()" >/dev/null; sleep 0.5
shot idle menu
probe "toggle('$IGPU').menu.open(false), true" >/dev/null; sleep 0.5
shot not-claimable menu
probe "closeQuickSettings()" >/dev/null

# --- 3. a Claim from outside (busctl, root) shows "With win11" within two seconds
t1=$(date +%s%N)
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 >/dev/null || not_ok "busctl Claim 01:00.0 win11"
if wait_for 2 subtitle_is $NV "With win11"; then
    ok "Claim from busctl: \"With win11\" after $(( ($(date +%s%N) - t1) / 1000000 )) ms (the call included)"
else not_ok "Claim from busctl shows \"With win11\" within 2 s (shows: $(toggle $NV subtitle))"; fi
check "  ... the toggle is on" test "$(toggle $NV checked)" = true
check "  ... the panel icon shows" panel_icon_shown
check "  ... the menu says who holds it" contains "$(toggle $NV details)" "Held by win11"
probe "openQuickSettings('$NV')" >/dev/null; sleep 0.5
shot claimed-win11 menu
probe "closeQuickSettings()" >/dev/null
t1=$(date +%s%N)
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Release ss 01:00.0 win11 >/dev/null || not_ok "busctl Release"
if wait_for 2 subtitle_is $NV "On the host (nvidia)"; then
    ok "Release from busctl: \"On the host (nvidia)\" after $(( ($(date +%s%N) - t1) / 1000000 )) ms"
else not_ok "Release shows the host again within 2 s (shows: $(toggle $NV subtitle))"; fi
wait_for 2 rig_not panel_icon_shown; check_not "  ... the panel icon is gone" panel_icon_shown

# --- 4. idle: no method calls from the shell for 30 s
rig_idle_calls 30
if [ ! -s "$RIG_WORK/idle-gpupass.txt" ]; then ok "idle for 30 s: the shell made no method call to or about org.gpupass1"
else not_ok "idle for 30 s: method calls to or about org.gpupass1"; sed 's/^/#   /' "$RIG_WORK/idle-gpupass.txt"; fi
[ -s "$RIG_WORK/idle-other.txt" ] && sed 's/^/#   (the shell itself, not the extension) /' "$RIG_WORK/idle-other.txt"

# --- 5. the toggle claims for desktop:tester (polkit rule), and releases
rig_monitor_start "$RIG_WORK/claim-monitor.json"
probe "click('$NV')" >/dev/null
if wait_for 10 subtitle_is $NV "Reserved for VMs by tester"; then ok "toggle on: \"Reserved for VMs by tester\""
else not_ok "toggle on claims (shows: $(toggle $NV subtitle))"; fi
rig_monitor_stop
# header flag 0x4: ALLOW_INTERACTIVE_AUTHORIZATION (the shell's polkit agent may ask for a password)
flags=$(grep '^{' "$RIG_WORK/claim-monitor.json" | jq -r 'select(.type == "method_call" and .member == "Claim") | .flags')
check "  ... the Claim carried ALLOW_INTERACTIVE_AUTHORIZATION (header flags: $flags)" \
    test -n "$flags" -a $(( ${flags:-0} & 4 )) -eq 4
check "  ... the daemon reports holder desktop:$RIG_USER" test "$(gpu_prop 0000:01:00.0 Holder)" = "desktop:$RIG_USER"
check "  ... and State vfio" test "$(gpu_prop 0000:01:00.0 State)" = vfio
probe "openQuickSettings()" >/dev/null; sleep 0.5
shot claimed menu
probe "closeQuickSettings()" >/dev/null
probe "click('$NV')" >/dev/null
if wait_for 10 subtitle_is $NV "On the host (nvidia)"; then ok "toggle off: back \"On the host (nvidia)\""
else not_ok "toggle off releases (shows: $(toggle $NV subtitle))"; fi
check "  ... the daemon reports State host, no holder" test "$(gpu_prop 0000:01:00.0 State)|$(gpu_prop 0000:01:00.0 Holder)" = "host|"

# --- 6. the daemon goes: everything hidden; it comes back: everything back
rig_daemon_stop
if wait_for 2 toggle_count_is 0; then ok "daemon stopped: no GPU toggles"; else not_ok "daemon stopped: toggles hidden"; fi
check_not "  ... and no panel icon" panel_icon_shown

# --- 7. a transition that fails in the kernel: the notification has the daemon's message
# (rmmod nvidia_drm is refused: something outside holds a reference to it)
rig_host_busy_module "$RIG_WORK/busy-module.host"
rig_daemon_start "$RIG_WORK/busy-module.host" "unload_host_modules = true" || not_ok "the daemon starts again"
if wait_for 5 listed; then ok "daemon started again: both GPUs back"; else not_ok "daemon started again: GPUs back"; fi
probe "clearNotifications()" >/dev/null
err=$(bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 2>&1)
msg=$(gpu_prop 0000:01:00.0 LastError)
check "the claim fails in the kernel ($err)" contains "$msg" "rmmod nvidia_drm: EBUSY"
has_notice() { [ "$(probe "notifications()" | jq --arg t "$1" --arg b "$2" '[.[] | select(.title == $t and .body == $b)] | length')" -ge 1 ]; }
if wait_for 2 has_notice "Moving $NV_NAME failed" "$msg"; then ok "notification \"Moving $NV_NAME failed\" with the daemon's message"
else not_ok "notification for TransitionFailed"; probe "notifications()" | sed 's/^/#   /'; fi
check "  ... and the subtitle says where it is: on the host" subtitle_is $NV "On the host (nvidia)"
check "  ... the menu shows the last error" contains "$(toggle $NV details)" "Last error: $msg"
shot failed 560x130+360+28
probe "clearNotifications()" >/dev/null
probe "click('$NV')" >/dev/null
ui_msg() { [ "$(gpu_prop 0000:01:00.0 LastError)" != "$msg" ]; }
wait_for 10 ui_msg
msg=$(gpu_prop 0000:01:00.0 LastError)
wait_for 2 has_notice "Moving $NV_NAME failed" "$msg"
check "a claim from the toggle that fails: one notification with the daemon's message ($msg)" \
    test "$(probe "notifications()" | jq --arg b "$msg" '[.[] | select(.body == $b)] | length')" = 1
probe "clearNotifications()" >/dev/null

# --- 8. a GPU a running VM holds: "Return to the host…" asks first, then the daemon's InUse
rig_host_vm_running "$RIG_WORK/vm-running.host"
rig_daemon_start "$RIG_WORK/vm-running.host" || not_ok "the daemon starts with a running VM"
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 >/dev/null || not_ok "win11 adopts the GPU"
if wait_for 5 subtitle_is $NV "With win11"; then ok "a VM's GPU: \"With win11\""; else not_ok "a VM's GPU shows With win11 ($(toggle $NV subtitle))"; fi
check "  ... its menu offers \"Return to the host…\"" test "$(toggle $NV action)" = "Return to the host…"
rig_monitor_start "$RIG_WORK/cancel-monitor.json"
probe "click('$NV')" >/dev/null
dialog_open() { [ "$(probe "dialog()")" != null ]; }
if wait_for 2 dialog_open; then
    d=$(probe "dialog()")
    ok "the toggle asks first: $(jq -r .title <<<"$d") / $(jq -r .description <<<"$d")"
    check "  ... buttons Cancel and Return to the host" test "$(jq -c .buttons <<<"$d")" = '["Cancel","Return to the host"]'
    sleep 0.5; shot confirm 520x290+380+255
    probe "pressDialogButton('Cancel')" >/dev/null
    wait_for 2 rig_not dialog_open
    sleep 0.5; rig_monitor_stop
    check "Cancel: no Release reached the bus, the GPU stays with win11" \
        test "$(rig_calls "$RIG_WORK/cancel-monitor.json" Release)|$(gpu_prop 0000:01:00.0 Holder)" = "0|win11"
    probe "click('$NV')" >/dev/null; wait_for 2 dialog_open
    rig_monitor_start "$RIG_WORK/confirm-monitor.json"
    probe "pressDialogButton('Return to the host')" >/dev/null
    inuse="cannot release 0000:01:00.0 while a VM uses it: "
    notice_starts() { probe "notifications()" | jq -e --arg t "$1" --arg b "$2" 'any(.[]; .title == $t and (.body | startswith($b)))' >/dev/null; }
    if wait_for 5 notice_starts "$NV_NAME is still in use" "$inuse"; then
        ok "Return to the host while the VM runs: \"$NV_NAME is still in use\": $(probe "notifications()" | jq -r '.[0].body')"
    else not_ok "the InUse refusal is shown"; probe "notifications()" | sed 's/^/#   /'; fi
    rig_monitor_stop
    check "  ... after the confirmation one Release was sent" test "$(rig_calls "$RIG_WORK/confirm-monitor.json" Release)" = 1
    check "  ... the GPU stays with win11" subtitle_is $NV "With win11"
else
    not_ok "the toggle of a VM's GPU opens a confirmation"
fi

# --- 9. a kernel write that hangs: "Moving to win11…" while the daemon waits, then "Stuck…"
rig_daemon_start dual-gpu "write_timeout = 3s" hang:UNBIND:0000:01:00.0 || not_ok "the daemon starts with a hanging unbind"
wait_for 5 listed || not_ok "both GPUs back (hanging unbind)"
bus call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 win11 >"$RIG_WORK/stuck-claim.txt" 2>&1 &
claim=$!
if wait_for 3 subtitle_is $NV "Moving to win11…"; then ok "a claim waiting on the kernel: \"Moving to win11…\""
else not_ok "a claim under way shows \"Moving to win11…\" ($(toggle $NV subtitle))"; fi
check "  ... the panel icon shows while it moves" panel_icon_shown
wait $claim
check "the hung unbind fences the GPU: State stuck" test "$(gpu_prop 0000:01:00.0 State)" = stuck
if wait_for 2 subtitle_is $NV "Stuck: reboot or remove and rescan"; then ok "then \"Stuck: reboot or remove and rescan\""
else not_ok "a fenced GPU shows Stuck ($(toggle $NV subtitle))"; fi
check "  ... the panel icon is the stuck one" test "$(probe "panelIcon()" | jq -r '.shown, .icon' | paste -sd' ')" = "true gpupass-stuck-symbolic.svg"
msg=$(gpu_prop 0000:01:00.0 LastError)
check "  ... the menu shows the daemon's message ($msg)" contains "$(toggle $NV details)" "Last error: $msg"
check "  ... which says the write hung" contains "$msg" "hung"
check "  ... and offers no action" test "$(toggle $NV action)" = null
probe "clearNotifications()" >/dev/null
probe "openQuickSettings('$NV')" >/dev/null; sleep 0.5
shot stuck menu
probe "closeQuickSettings()" >/dev/null

# --- 10. the shell's log: no JavaScript errors from the extension
sleep 0.5
errs=$(grep -n -E "extensions/$UUID/|JS ERROR|JS WARNING|Gjs-CRITICAL|Gjs-WARNING" "$RIG_WORK/gnome-shell.log" | grep -F -e "$UUID" -e gpupass)
if [ -z "$errs" ]; then ok "the shell's log has no JavaScript errors or warnings from the extension"
else not_ok "JavaScript errors from the extension in the shell's log"; echo "$errs" | sed 's/^/#   /'; fi
echo "# gnome-shell RSS: $(rss_mib "$shell_pid") MiB"

finish
