#!/bin/bash
# Tests `make install` / `make uninstall` into a DESTDIR:
#  - without target/gpupassd.jar: fails with a clear message and installs nothing;
#  - PREFIX=/usr/local (default), PREFIX=/usr and PREFIX=/opt/gpupassd: the exact file list,
#    modes, paths substituted into the launchers and the unit (ExecStart, @PKGDATADIR@);
#  - an existing /etc/gpupassd/gpupassd.conf is never overwritten;
#  - uninstall removes every installed file except the configuration;
#  - the installed layout works: the installed unit scores <= 3.0 in systemd-analyze security,
#    the installed bus policy on a private dbus-daemon lets root (not gpupass-test) own
#    org.gpupass1, and (with a real jar) the installed launcher starts the daemon on
#    --simulate on that bus, where gpupass-test reads Status and the installed gpupassctl works.
# Uses target/ when built; otherwise (not on CI) a stand-in jar, and skips the run checks.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

work=$(mktemp -d /tmp/gpupass-install.XXXXXX)
chmod 0755 "$work"
daemon=""
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
    "$SHELL_DIR/private-bus.sh" stop "$work/bus" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

real_jar=false
if [ -f target/gpupassd.jar ] && ls target/lib/*.jar >/dev/null 2>&1; then
    tgt=$PROJECT_ROOT/target
    case "$(unzip -l target/gpupassd.jar 2>/dev/null)" in *org/gpupass/Main.class*) real_jar=true ;; esac
else
    [ "${CI:-}" = true ] && not_ok "target/gpupassd.jar exists on CI (mvn package ran)"
    tgt=$work/fake-target
    mkdir -p "$tgt/lib"
    echo "not a jar" >"$tgt/gpupassd.jar"
    for l in dbus-java-core-5.2.0 jna-5.19.1; do echo x >"$tgt/lib/$l.jar"; done
    skip "no target/gpupassd.jar: a stand-in jar is installed, run checks skipped"
fi
libs=$(cd "$tgt/lib" && ls *.jar)

# 1. make install without a build
out=$(make -s install DESTDIR="$work/none" TARGET="$work/empty" 2>&1); rc=$?
check "make install without a jar fails (rc=$rc)" test "$rc" -ne 0
check "  ... and says to run mvn package ($out)" contains "$out" "mvn package"
check "  ... and installs nothing" test ! -e "$work/none"

# expected_files PREFIX: the list install must produce (relative to DESTDIR)
expected_files() {
    local p=$1 unit dbus polkit
    case "$p" in
        /usr) unit=/usr/lib/systemd/system; dbus=/usr/share/dbus-1/system.d; polkit=/usr/share/polkit-1/actions ;;
        /usr/local) unit=/usr/local/lib/systemd/system; dbus=/etc/dbus-1/system.d; polkit=/etc/polkit-1/actions ;;
        *) unit=/etc/systemd/system; dbus=/etc/dbus-1/system.d; polkit=/etc/polkit-1/actions ;;
    esac
    {
        echo "$p/bin/gpupassd"; echo "$p/bin/gpupassctl"
        echo "$p/share/gpupassd/gpupassd.jar"
        for l in $libs; do echo "$p/share/gpupassd/lib/$l"; done
        echo "$unit/gpupassd.service"
        echo "$dbus/org.gpupass1.conf"
        echo "$polkit/org.gpupass1.policy"
        echo "/etc/libvirt/hooks/qemu.d/gpupassd"
        for x in org.gpupass1.Manager.xml org.gpupass1.Gpu.xml; do
            [ -f src/main/resources/org/gpupass1/$x ] && echo "$p/share/dbus-1/interfaces/$x"
        done
        echo "$p/share/doc/gpupassd/50-gpupassd-libvirt.rules.example"
        [ -f docs/install.md ] && echo "$p/share/doc/gpupassd/install.md"
        if [ -f etc/gpupassd.conf ]; then
            echo "$p/share/doc/gpupassd/gpupassd.conf"
            echo "/etc/gpupassd/gpupassd.conf"
        fi
        local ext=$p/share/gnome-shell/extensions/gpupass@gpupass.org
        for f in metadata.json extension.js client.js indicator.js notices.js gpuwords.mjs \
            icons/gpupass-symbolic.svg icons/gpupass-stuck-symbolic.svg; do echo "$ext/$f"; done
        local w=$p/share/plasma/plasmoids/org.gpupass.widget
        echo "$w/metadata.json"
        for f in main.qml GpuPass.qml CompactRepresentation.qml FullRepresentation.qml GpuRow.qml TrackedButton.qml \
            gpuwords.mjs notified.mjs; do echo "$w/contents/ui/$f"; done
        for f in gpupass-symbolic.svg gpupass-stuck-symbolic.svg; do echo "$w/contents/icons/$f"; done
    } | sort
}
for x in org.gpupass1.Manager.xml org.gpupass1.Gpu.xml; do
    [ -f src/main/resources/org/gpupass1/$x ] || skip_or_fail "src/main/resources/org/gpupass1/$x exists"
done
[ -f etc/gpupassd.conf ] || skip_or_fail "etc/gpupassd.conf (example configuration) exists"

for prefix in /usr/local /usr /opt/gpupassd; do
    d=$work/root${prefix//\//_}
    if [ "$prefix" = /usr/local ]; then args=(); else args=(PREFIX="$prefix"); fi
    make -s install DESTDIR="$d" TARGET="$tgt" "${args[@]}" >"$work/make.log" 2>&1
    rc=$?
    check "[$prefix] make install DESTDIR=... succeeds (rc=$rc)" test "$rc" -eq 0
    if [ "$rc" -ne 0 ]; then sed 's/^/#   /' "$work/make.log"; continue; fi
    got=$(cd "$d" && find . -type f | sed 's|^\.||' | sort)
    want=$(expected_files "$prefix")
    if [ "$got" = "$want" ]; then
        ok "[$prefix] installed files are exactly: $(echo $want)"
    else
        not_ok "[$prefix] installed files"
        diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
    fi
    bin=$d$prefix/bin
    check "[$prefix] launchers are executable" test -x "$bin/gpupassd" -a -x "$bin/gpupassctl"
    check "[$prefix] hook is executable" test -x "$d/etc/libvirt/hooks/qemu.d/gpupassd"
    check "[$prefix] launchers know the jar's place ($prefix/share/gpupassd)" \
        grep -q "^pkgdatadir='$prefix/share/gpupassd'\$" "$bin/gpupassd" "$bin/gpupassctl"
    check_not "[$prefix] no @PLACEHOLDER@ left" grep -rq '@[A-Z]*@' "$bin" "$(dirname "$(find "$d" -name gpupassd.service)")"
    unit=$(find "$d" -name gpupassd.service)
    check "[$prefix] unit: ExecStart=$prefix/bin/gpupassd" grep -q "^ExecStart=$prefix/bin/gpupassd\$" "$unit"
    check "[$prefix] unit, policy, action, interfaces are 0644" \
        test -z "$(find "$d" -name gpupassd.service -o -name org.gpupass1.conf -o -name org.gpupass1.policy -o -name '*.xml' | xargs -r stat -c %a | grep -v 644)"
    score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null | sed -n 's/.*Overall exposure level for gpupassd.service: \([0-9.]*\).*/\1/p')
    check "[$prefix] installed unit: systemd-analyze security $score <= 3.0" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 3.0) }'

    # a changed configuration survives a second install
    if [ -f etc/gpupassd.conf ]; then
        echo "# changed by the admin" >>"$d/etc/gpupassd/gpupassd.conf"
        make -s install DESTDIR="$d" TARGET="$tgt" "${args[@]}" >/dev/null 2>&1
        check "[$prefix] reinstall keeps the changed /etc/gpupassd/gpupassd.conf" \
            grep -q "changed by the admin" "$d/etc/gpupassd/gpupassd.conf"
    fi

    if [ "$prefix" = /usr/local ]; then
        cp -a "$d" "$work/installed"   # for the run checks below
        # the zip for gnome-extensions install and the .plasmoid hold what make install installs
        make -s desktop DESKTOP_OUT="$work/desktop" >/dev/null 2>&1
        for pkg in "gpupass@gpupass.org.shell-extension.zip $d/usr/local/share/gnome-shell/extensions/gpupass@gpupass.org" \
                   "org.gpupass.widget.plasmoid $d/usr/local/share/plasma/plasmoids/org.gpupass.widget"; do
            set -- $pkg
            rm -rf "$work/unzipped" && mkdir "$work/unzipped" && (cd "$work/unzipped" && unzip -q "$work/desktop/$1")
            check "make desktop: $1 holds the installed files, byte for byte" diff -r "$work/unzipped" "$2"
        done
    fi
    make -s uninstall DESTDIR="$d" TARGET="$tgt" "${args[@]}" >/dev/null 2>&1
    left=$(cd "$d" && find . -type f | sed 's|^\.||' | sort | tr '\n' ' ')
    want_left=""; [ -f etc/gpupassd.conf ] && want_left="/etc/gpupassd/gpupassd.conf "
    check "[$prefix] uninstall leaves only the configuration (left: ${left:-nothing})" test "$left" = "$want_left"
done

# 2. the installed layout at work
d=$work/installed
if [ "$(id -u)" != 0 ] || ! command -v dbus-daemon >/dev/null; then
    skip_or_fail "run checks need root and dbus-daemon"; finish; exit
fi
ensure_test_user || { not_ok "test user"; finish; exit; }
addr=$("$SHELL_DIR/private-bus.sh" start "$work/bus" "$d/etc/dbus-1/system.d") || { not_ok "private bus with the installed policy"; finish; exit; }
ok "private bus runs with the installed policy $d/etc/dbus-1/system.d"
BUS=(org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus)
out=$(as_test_user busctl --address="$addr" call "${BUS[@]}" RequestName su org.gpupass1 4 2>&1)
check "installed policy: $TEST_USER may not own org.gpupass1" contains "$out" "Access denied"

if ! $real_jar; then
    skip_or_fail "daemon run checks need the real jar (mvn package)"; finish; exit
fi
# the launcher finds its jar through the substituted path: point it into DESTDIR by copying
# the launcher with the path rewritten (the installed one names /usr/local/share/gpupassd)
sed "s|^pkgdatadir='/usr/local/share/gpupassd'|pkgdatadir='$d/usr/local/share/gpupassd'|" \
    "$d/usr/local/bin/gpupassd" >"$work/gpupassd"
sed "s|^pkgdatadir='/usr/local/share/gpupassd'|pkgdatadir='$d/usr/local/share/gpupassd'|" \
    "$d/usr/local/bin/gpupassctl" >"$work/gpupassctl"
chmod 755 "$work/gpupassd" "$work/gpupassctl"
env -u GPUPASS_JAR CACHE_DIRECTORY="$work/cache" "$work/gpupassd" --bus="$addr" --simulate \
    --state-dir="$work/state" --config="$work/none.conf" >"$work/daemon.log" 2>&1 &
daemon=$!
up=false
for _ in $(seq 1 300); do
    if [ "$(busctl --address="$addr" call "${BUS[@]}" NameHasOwner s org.gpupass1 2>/dev/null)" = "b true" ]; then up=true; break; fi
    kill -0 "$daemon" 2>/dev/null || break
    sleep 0.1
done
check "installed launcher starts the daemon; it owns org.gpupass1 under the installed policy" $up
$up || sed 's/^/#   /' "$work/daemon.log" | tail -20
check "the daemon runs with the launcher's JVM flags" \
    sh -c "tr '\\0' ' ' </proc/$daemon/cmdline | grep -q -- '-XX:TieredStopAtLevel=1 .*-jar $d/usr/local/share/gpupassd/gpupassd.jar'"
out=$(as_test_user busctl --address="$addr" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status 2>&1)
check "$TEST_USER reads Status through the installed policy (${out:0:40}...)" contains "$out" '"Address" s "0000:01:00.0"'
out=$(as_test_user busctl --address="$addr" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 01:00.0 test 2>&1)
check "$TEST_USER's Claim is refused by the daemon ($out)" contains "$out" "ccess denied"
out=$(env -u GPUPASS_JAR XDG_CACHE_HOME="$work/xdg" "$work/gpupassctl" --bus="$addr" status 2>&1)
check "installed gpupassctl shows the status" contains "$out" "0000:01:00.0"

finish
