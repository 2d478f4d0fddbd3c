#!/bin/bash
# What an unprivileged local user can do to the daemon started with bin/gpupassd's flags (-Xmx64m,
# -XX:+ExitOnOutOfMemoryError), measured: large calls (1 x 30 MB and 10 x 16 MB Claim, 10 x 1.5 MiB
# ClaimDomain), then a 10 s flood (24 connections calling Release, 8 calling ClaimDomain with 1 MiB of
# XML, back to back) during which root makes 30 concurrent calls. Prints the replies each side got, the
# daemon's peak RSS and heap, and the log lines written. Needs root and the user gpupass-test
# (AuthorizationIT creates it), and target/test-classes (mvn test-compile) for the hostile client.
# Usage: bench/hostile-callers.sh      (GPUPASS_JAR=... to measure another build)
. "$(dirname "$0")/lib.sh"
user=${GPUPASS_HOSTILE_USER:-gpupass-test}
[ "$(id -u)" = 0 ] || { echo "needs root (setpriv to $user)" >&2; exit 1; }
id "$user" >/dev/null 2>&1 || { echo "no user $user" >&2; exit 1; }
classes=$BENCH_ROOT/target/test-classes
[ -f "$classes/org/gpupass/it/HostileClient.class" ] || { echo "run mvn test-compile first" >&2; exit 1; }
chmod 0755 "$BENCH_DIR"   # the user's client reaches the bus socket inside it
bench_bus
bench_daemon
hostile() {
    setpriv --reuid="$user" --regid="$user" --init-groups java -Xmx2g -XX:+UseSerialGC \
        -cp "$classes:$BENCH_ROOT/target/gpupassd.jar" org.gpupass.it.HostileClient "$1" "$BUS" "${@:2}" 2>&1 |
        sed 's/^/    /'
}
alive() {
    if kill -0 "$DAEMON_PID" 2>/dev/null; then
        # the heap's generations ("def new generation total 1216K, used 611K ..." and "tenured ..."), summed
        heap=$(jcmd "$DAEMON_PID" GC.heap_info 2>/dev/null | awk '/generation +total/ {for (i=1;i<=NF;i++) {
            if ($i=="total") t+=$(i+1); if ($i=="used") u+=$(i+1)}} END {if (t) printf "%.1f of %.1f MiB", u/1024, t/1024}')
        echo "  daemon alive: peak RSS $(awk '/^VmHWM:/ {printf "%.1f MiB", $2/1024}' "/proc/$DAEMON_PID/status"), heap used now ${heap:-?}"
    else
        echo "  daemon DEAD: $(tail -n 3 "$BENCH_DIR/daemon.log" | tr '\n' ' ')"
    fi
}
refused() { grep -c 'Refused' "$BENCH_DIR/daemon.log" || true; }
echo "1 x 30 MB Claim from $user:"; hostile big 1 30 Claim; alive
kill -0 "$DAEMON_PID" 2>/dev/null || { bench_daemon; }
echo "10 x 16 MB Claim at once:"; hostile big 10 16 Claim; alive
kill -0 "$DAEMON_PID" 2>/dev/null || { bench_daemon; }
echo "10 x 1.5 MiB ClaimDomain at once:"; hostile big 10 1.5 ClaimDomain; alive
kill -0 "$DAEMON_PID" 2>/dev/null || { bench_daemon; }
lines_before=$(refused)
echo "flood for 10 s (24 x Release, 8 x ClaimDomain of 1 MiB) and root's 30 concurrent calls after 3 s:"
hostile flood 24 10 Release >"$BENCH_DIR/flood1" &
f1=$!
hostile flood 8 10 ClaimDomain >"$BENCH_DIR/flood2" &
f2=$!
sleep 3
ok=0; failed=""; roots=""
start=$(date +%s%N)
for i in $(seq 1 30); do
    if [ $((i % 2)) = 0 ]; then m=Claim; else m=Release; fi
    ( dbus-send --bus="$BUS" --print-reply --reply-timeout=60000 --dest=org.gpupass1 /org/gpupass1 \
        "org.gpupass1.Manager.$m" string:01:00.0 string:root-vm >/dev/null 2>"$BENCH_DIR/root.$i" ) &
    roots="$roots $!"
done
# shellcheck disable=SC2086 # a list of pids
wait $roots
root_ms=$(( ($(date +%s%N) - start) / 1000000 ))
for i in $(seq 1 30); do
    if [ -s "$BENCH_DIR/root.$i" ]; then failed=${failed:-$(head -c 120 "$BENCH_DIR/root.$i")}; else ok=$((ok + 1)); fi
done
wait "$f1" "$f2"
cat "$BENCH_DIR/flood1" "$BENCH_DIR/flood2"
echo "  root: $ok of 30 calls succeeded (all answered within $root_ms ms)${failed:+; the first failure: $failed}"
echo "  log lines with 'Refused' written during the flood: $(( $(refused) - lines_before ))"
alive
echo "reads for 10 s (8 connections pipelining Get calls of 4 kB that want no reply), Status timed meanwhile:"
hostile reads 8 10 - >"$BENCH_DIR/reads" &
f3=$!
sleep 2
status_ms=$( { time -p busctl --address="$BUS" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status >/dev/null; } 2>&1 |
    awk '/^real/ {printf "%d", $2 * 1000}')
get_ms=$( { time -p busctl --address="$BUS" get-property org.gpupass1 /org/gpupass1/gpu/pci_0000_01_00_0 org.gpupass1.Gpu State >/dev/null; } 2>&1 |
    awk '/^real/ {printf "%d", $2 * 1000}')
alive
wait "$f3"
cat "$BENCH_DIR/reads"
echo "  meanwhile Status took ${status_ms} ms and Get ${get_ms} ms"
alive
