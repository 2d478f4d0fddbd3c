#!/bin/bash
# Scenario 6 (topology dual): kill -9 the daemon in the middle of a Claim, and of a Release, then
# start it again: it reconciles the pair to `host` or `vfio` (whichever its journal documents),
# consistent in sysfs, and a claim that survives keeps its holder. Plus: an idle kill -9 and
# restart keeps a finished claim.
#
# "In the middle": the core's test-only pause point GPUPASSD_TEST_PAUSE_AFTER_STEP=N makes every
# transition stop after its N-th step (logged "paused after step N (...) until killed"); the kill
# lands there. After step 3 a claim has moved the GPU off bochs-drm but not the audio function;
# after step 5 the GPU is already on vfio-pci and the audio function unbound; after step 3 a
# release has the GPU unbound and the audio function still on vfio-pci. Without the pause point
# (an older build) the scenario races: it watches sysfs with shell builtins and kills the daemon as
# soon as the transition's first kernel write is visible.
# Expected, as docs/state.md and the Reconciler document: an interrupted claim whose functions are
# not all on vfio-pci is rolled back (host, no claim); one that had finished is kept (vfio, its
# holder); an interrupted release is finished (host).
source "$GP_VM/guest/lib.sh"
need_daemon
GPU=0000:01:00.0 AUD=0000:01:00.1
G=$(group $GPU)
PAUSE_STEP=3
on_vfio() { is_drv $GPU vfio-pci && is_drv $AUD vfio-pci && [[ -e /dev/vfio/$G ]]; }
on_host() { is_drv $GPU bochs-drm && is_drv $AUD snd_hda_intel && no_ovr $GPU && no_ovr $AUD; }
# mid-transition markers, read with builtins only
claim_started() { local o; read -r o < $D/$GPU/driver_override; [[ $o == vfio-pci || ! -e $D/$GPU/driver ]]; }
release_started() { local o; read -r o < $D/$GPU/driver_override; [[ $o == "(null)" || ! -e $D/$GPU/driver ]]; }

# kill_during OP METHOD HOLDER STARTED_TEST: runs the call in the background, kills -9 the daemon
# mid-way, prints how far the kernel had got.
kill_during() {
    local op=$1 method=$2 holder=$3 started=$4 how
    GP_DAEMON_ENV="GPUPASSD_TEST_PAUSE_AFTER_STEP=$PAUSE_STEP" start_daemon
    bctl call org.gpupass1 /org/gpupass1 org.gpupass1.Manager $method ss $GPU "$holder" > "$GP_RES/$SCEN.$op.call" 2>&1 &
    local call=$!
    if wait_for 20 grep -q "paused after step" "$GP_RES/$SCEN.daemon.log"; then
        how="pause point ($(grep -o "paused after step.*" "$GP_RES/$SCEN.daemon.log" | tail -1))"
    else
        # no pause point in this build (or not reached): race on sysfs
        how="race"
        wait_for 30 $started || how="race (no start seen)"
    fi
    kill -KILL $DAEMON_PID; wait $DAEMON_PID 2>/dev/null; DAEMON_PID=
    wait $call 2>/dev/null
    log "killed during $op by $how at: $(snapshot $GPU $AUD)"
    fig "s6.$op.$PAUSE_STEP.killed_at" "$how: $(snapshot $GPU $AUD | tr ' ' _)"
    FINISHED=0
    if [ $op = claim ] && on_vfio; then FINISHED=1; log "note: the claim had already finished when the kill landed"; fi
    if [ $op = release ] && on_host; then FINISHED=1; log "note: the release had already finished when the kill landed"; fi
    expect "$op: the kill landed mid-transition" test $FINISHED = 0
    cat "$GP_RES/$SCEN.daemon.log" >> "$GP_RES/$SCEN.daemon.log.before-$op-$PAUSE_STEP"; : > "$GP_RES/$SCEN.daemon.log"
}
# reconciled HOLDER LABEL WANT: after a restart, State is WANT and sysfs agrees; vfio keeps HOLDER
reconciled() {
    local holder=$1 want=$3 st h
    st=$(prop $GPU State); h=$(prop $GPU Holder)
    log "after restart: State=$st Holder=$h sysfs: $(snapshot $GPU $AUD)"
    fig "s6.reconciled.$2" "$st"
    expect "$2: reconciled to $want as documented (got $st)" test "$st" = "$want"
    case $st in
        host) expect "$2: host: sysfs shows both functions on host drivers, no overrides" on_host
              expect "$2: host: no holder" test -z "$h" ;;
        vfio) expect "$2: vfio: sysfs shows both functions on vfio-pci with /dev/vfio/$G" on_vfio
              expect "$2: vfio: the claim's holder '$holder' is remembered (got '$h')" test "$h" = "$holder" ;;
        *) errs+=("$2: State after restart is '$st', not host or vfio") ;;
    esac
    expect "$2: Transition idle after restart" test "$(bctl get-property org.gpupass1 /org/gpupass1 org.gpupass1.Manager Transition)" = 's ""'
}
back_to_host() {
    [ "$(prop $GPU State)" = host ] && return 0
    mgr Release ss $GPU "" > /dev/null
    on_host
}

require "pair on host drivers at start" on_host
# 1. kill -9 in the middle of a Claim, at two points
for PAUSE_STEP in 3 5; do
    kill_during claim Claim crash1 claim_started
    want=host; [ $FINISHED = 1 ] && want=vfio
    start_daemon
    reconciled crash1 "claim-after-step-$PAUSE_STEP" $want
    expect "back to host after the claim interrupted after step $PAUSE_STEP" back_to_host
    stop_daemon
done
PAUSE_STEP=3
# 2. kill -9 in the middle of a Release
start_daemon
o=$(mgr Claim ss $GPU crash2 2>&1); log "Claim: $o"
require "claimed for crash2" on_vfio
stop_daemon
kill_during release Release crash2 release_started
start_daemon
reconciled crash2 release host
expect "back to host after the interrupted release" back_to_host
# 3. an idle kill -9 keeps a finished claim
o=$(mgr Claim ss $GPU keep 2>&1)
require "claimed for keep" on_vfio
kill -KILL $DAEMON_PID; wait $DAEMON_PID 2>/dev/null; DAEMON_PID=
start_daemon
expect "claim remembered across kill -9: State vfio" test "$(prop $GPU State)" = vfio
expect "claim remembered across kill -9: Holder keep" test "$(prop $GPU Holder)" = keep
r=$(ds_mgr Release string:$GPU string:other); log "Release by another holder: $r"
expect "Release by another holder: NotHolder" contains "$r" "org.gpupass1.Error.NotHolder"
o=$(mgr Release ss $GPU keep 2>&1)
expect "released by its holder" on_host
stop_daemon
finish
