#!/bin/bash
# Prints launcher figures (not a test): for each JVM flag set, the median time from exec to
# org.gpupass1 on a private bus (ms, daemon on --simulate), and the RSS after 200 Status calls.
# Also `java -version` and `gpupassctl --help`-style short runs.
#   launcher-bench.sh [JAR]     (default: target/gpupassd.jar; RUNS=5)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
jar=${1:-$root/target/gpupassd.jar}
runs=${RUNS:-5}
[ -f "$jar" ] || { echo "no $jar (mvn package first)"; exit 1; }
work=$(mktemp -d /tmp/gpupass-bench.XXXXXX); chmod 755 "$work"
trap '"$here/private-bus.sh" stop "$work/bus"; rm -rf "$work"' EXIT
addr=$("$here/private-bus.sh" start "$work/bus")
now() { date +%s%N; }
owned() { [ "$(busctl --address="$addr" call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus NameHasOwner s org.gpupass1 2>/dev/null)" = "b true" ]; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

base="-Dfile.encoding=UTF-8 -Djna.tmpdir=$work/cache"
mkdir -p "$work/cache"
declare -a names flags
add() { names+=("$1"); flags+=("$2"); }
lean="-XX:TieredStopAtLevel=1 -XX:CICompilerCount=1 -XX:+UseSerialGC -Xms8m -Xmx64m -XX:MaxMetaspaceSize=64m -XX:ReservedCodeCacheSize=32m -Xss512k -XX:-UsePerfData"
add "JDK defaults" ""
add "TieredStopAtLevel=1" "-XX:TieredStopAtLevel=1"
add "SerialGC" "-XX:+UseSerialGC"
add "SerialGC -Xmx64m" "-XX:+UseSerialGC -Xmx64m"
add "lean (launcher, no CDS)" "$lean"
add "lean -Xshare:off" "$lean -Xshare:off"
add "lean + AppCDS" "$lean -XX:SharedArchiveFile=$work/cache/app.jsa"
[ -n "${EXTRA_FLAGS:-}" ] && add "extra" "$EXTRA_FLAGS"

# the AppCDS archive: one run that dumps at exit
java $lean -XX:ArchiveClassesAtExit="$work/cache/app.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off $base -jar "$jar" --bus="$addr" --simulate --state-dir="$work/state-cds" >/dev/null 2>&1 &
p=$!
for _ in $(seq 1 300); do owned && break; sleep 0.02; done
for _ in $(seq 1 20); do busctl --address="$addr" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status >/dev/null; done
kill $p; wait $p 2>/dev/null
echo "AppCDS archive: $(du -k "$work/cache/app.jsa" 2>/dev/null | cut -f1) KiB"

printf '%-28s %12s %12s %14s %8s\n' "flags" "to name (ms)" "CPU (ms)" "RSS idle (MiB)" "threads"
for i in "${!names[@]}"; do
    times=(); cpus=(); rss=""; thr=""
    for r in $(seq 1 "$runs"); do
        rm -rf "$work/state"
        t0=$(now)
        java ${flags[$i]} $base -jar "$jar" --bus="$addr" --simulate --state-dir="$work/state" >"$work/log" 2>&1 &
        p=$!
        while ! owned; do kill -0 $p 2>/dev/null || { echo "daemon died:"; tail -5 "$work/log"; break; }; sleep 0.005; done
        t1=$(now)
        times+=($(( (t1 - t0) / 1000000 )))
        # CPU time (user+sys, all threads) spent until then: less sensitive to a busy machine
        cpus+=($(awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' /proc/$p/stat))
        if [ "$r" = "$runs" ]; then
            for _ in $(seq 1 200); do busctl --address="$addr" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status >/dev/null; done
            sleep 1
            rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$p/status)
            thr=$(awk '/Threads/ {print $2}' /proc/$p/status)
        fi
        kill $p; wait $p 2>/dev/null
        for _ in $(seq 1 100); do owned || break; sleep 0.01; done
    done
    printf '%-28s %12s %12s %14s %8s   (runs: %s)\n' "${names[$i]}" "$(printf '%s\n' "${times[@]}" | median)" \
        "$(printf '%s\n' "${cpus[@]}" | median)" "$rss" "$thr" "${times[*]}"
done

echo
echo "short runs (median of $runs, ms):"
short() {
    local label=$1; shift
    local ts=()
    for _ in $(seq 1 "$runs"); do t0=$(now); "$@" >/dev/null 2>&1; ts+=($(( ($(now) - t0) / 1000000 ))); done
    printf '  %-52s %6s   (%s)\n' "$label" "$(printf '%s\n' "${ts[@]}" | median)" "${ts[*]}"
}
short "java -version" java -version
short "java -Xshare:off -version" java -Xshare:off -version
short "gpupassctl --help, JDK defaults" java -cp "$jar" org.gpupass.cli.Gpupassctl --help
short "gpupassctl --help, -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto" java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -cp "$jar" org.gpupass.cli.Gpupassctl --help
java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -XX:ArchiveClassesAtExit="$work/cache/ctl.jsa" -Xlog:cds=off -Xlog:cds+dynamic=off -cp "$jar" org.gpupass.cli.Gpupassctl --bus="$addr" status >/dev/null 2>&1
short "gpupassctl status (no daemon), lean" java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -cp "$jar" org.gpupass.cli.Gpupassctl --bus="$addr" status
short "gpupassctl status (no daemon), lean + AppCDS" java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -XX:SharedArchiveFile="$work/cache/ctl.jsa" -cp "$jar" org.gpupass.cli.Gpupassctl --bus="$addr" status
