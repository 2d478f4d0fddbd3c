#!/bin/bash
# Builds an AppCDS archive of the daemon's classes on the host, at native speed, for the guests:
# under TCG a cold JVM start of the daemon takes a minute or more, with the archive a fraction.
# (The shipped launcher bin/gpupassd keeps such an archive too.) The archive is made by running
# the daemon from JAR on the simulated dual-gpu host on a private bus, calling Status, Claim and
# Release, and stopping it; the JVM writes the classes it loaded at exit.
#   make-cds.sh JAR CACHE_DIR      prints the archive's path (reused while JAR and java are unchanged)
# Exit 0 with no output when no archive could be made (the guests then start the JVM cold).
set -uo pipefail
jar=${1:?usage: make-cds.sh JAR CACHE_DIR}; cache=${2:?cache dir}
mkdir -p "$cache"; cache=$(cd "$cache" && pwd); jar=$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")
here=$(cd "$(dirname "$0")" && pwd)
base=$(cd "$here/../../.." && pwd)
opts=${GP_JAVA_OPTS:--XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xms8m -Xmx64m -XX:-UsePerfData}
javabin=$(readlink -f "$(command -v java)")
libs=$(dirname "$jar")/lib
key=$( { echo "$opts $javabin"; sha256sum "$jar"; stat -c '%n %s %Y' "$jar" "$libs"/*.jar 2>/dev/null; } | sha256sum | cut -c1-16)
jsa=$cache/gpupassd-$key.jsa
[ -s "$jsa" ] && { echo "$jsa"; exit 0; }
mkdir -p "$cache"
work=$(mktemp -d /tmp/gpupass-cds.XXXXXX)
cleanup() {
    [ -n "${dpid:-}" ] && kill "$dpid" 2>/dev/null
    [ -n "${bpid:-}" ] && kill "$bpid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
tmpl=$base/src/test/resources/bus/system-test.conf.in
[ -f "$tmpl" ] || tmpl=$here/guest/bus.conf.in
sed -e "s|@SOCKET@|$work/bus.sock|g" -e "s|@POLICY_DIR@|$base/dbus-policy|g" "$tmpl" > "$work/bus.conf"
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile > /dev/null 2>&1 &
bpid=$!
for _ in $(seq 50); do [ -S "$work/bus.sock" ] && break; sleep 0.1; done
addr=unix:path=$work/bus.sock
# shellcheck disable=SC2086
DBUS_SYSTEM_BUS_ADDRESS=$addr java $opts -XX:ArchiveClassesAtExit="$jsa.tmp" -Xlog:cds=off -Xlog:cds+dynamic=off \
    -jar "$jar" --simulate=dual-gpu --bus="$addr" --state-dir="$work/state" > "$work/daemon.log" 2>&1 &
dpid=$!
b() { busctl --address="$addr" --timeout=30 "$@"; }
for _ in $(seq 300); do
    b call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.gpupass1 2>/dev/null | grep -q true && break
    kill -0 $dpid 2>/dev/null || break
    sleep 0.1
done
b call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status > /dev/null 2>&1
b get-property org.gpupass1 /org/gpupass1/gpu/pci_0000_01_00_0 org.gpupass1.Gpu State > /dev/null 2>&1
b call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 0000:01:00.0 cds > /dev/null 2>&1
b call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Release ss 0000:01:00.0 cds > /dev/null 2>&1
b call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Claim ss 0000:00:02.0 cds > /dev/null 2>&1
b introspect org.gpupass1 /org/gpupass1 > /dev/null 2>&1
kill -TERM $dpid 2>/dev/null
for _ in $(seq 200); do kill -0 $dpid 2>/dev/null || break; sleep 0.1; done
wait $dpid 2>/dev/null; dpid=
if [ -s "$jsa.tmp" ]; then mv "$jsa.tmp" "$jsa"; find "$cache" -maxdepth 1 -name 'gpupassd-*.jsa' ! -path "$jsa" -delete; echo "$jsa"
else echo "make-cds: no archive made (daemon log: $(tail -2 "$work/daemon.log" | tr '\n' ' '))" >&2; rm -f "$jsa.tmp"; fi
exit 0
