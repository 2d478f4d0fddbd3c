#!/bin/bash
# The real-stack benchmark (topology dual, after bench-baselines in the same boot): one cycle of
# the GPU-like pair to vfio-pci and back, and a VM's start and stop, timed several ways.
#   gpupassd          busctl --system Claim + Release against the daemon systemd runs (BENCH_N cycles)
#   split             BENCH_TRACE more cycles with the daemon's threads traced by ftrace
#                     (syscalls + kprobes naming the files): its time inside the daemon taken apart
#                     into kernel steps and its own work (trace-split.py)
#   nodedev           virsh nodedev-detach + nodedev-reattach of both functions (what
#                     managed='yes' makes libvirt do)
#   VM start/stop     virsh start -> running, virsh destroy -> host drivers back (BENCH_VM_N each):
#                     the gpupassd hook with managed='no'; managed='yes' with the hook moved away;
#                     the floor: a pair already on vfio-pci, managed='no', no hook (destroy is
#                     followed by the raw writes back)
# Every cycle is checked in sysfs. Figures: FIG bench.<what>.median_ms (bench-table.sh).
source "$GP_VM/stack/lib.sh"
N=${BENCH_N:-20} NTRACE=${BENCH_TRACE:-5} NVM=${BENCH_VM_N:-3} NNODE=${BENCH_NODEDEV_N:-5}
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else printf "%d\n", (a[NR/2]+a[NR/2+1])/2}'; }
samples() { fig "bench.$1.samples_ms" "$(echo $2 | tr ' ' ,)"; fig "bench.$1.median_ms" "$(echo $2 | median)"; }
ms_since() { echo $(( ($(now_us) - $1) / 1000 )); }
reset_stack
T=/sys/kernel/tracing
mark() { echo "$*" > $T/trace_marker 2>/dev/null; }

# --- gpupassd through the system bus --------------------------------------------------------------
cycle() { # one Claim + Release through busctl --system, checked in sysfs; prints its ms
    local t0; t0=$(now_us)
    mark "gp-split claim start"; smgr Claim ss $GPU bench > /dev/null; mark "gp-split claim end"
    on_vfio || { log "not on vfio after Claim: $(snapshot $GPU $AUD)"; return 1; }
    mark "gp-split release start"; smgr Release ss $GPU bench > /dev/null; mark "gp-split release end"
    on_host || { log "not on host after Release: $(snapshot $GPU $AUD)"; return 1; }
    CYCLE_MS=$(ms_since $t0)
}
s= bad=0
for ((i = 0; i < N; i++)); do cycle || { bad=1; break; }; s+=" $CYCLE_MS"; done
expect "gpupassd: $N cycles to vfio-pci and back" test $bad = 0
samples gpupassd_system "$s"
s=; for ((i = 0; i < 10; i++)); do t0=$(now_us); sb get-property org.gpupass1 "$(gpu_path $GPU)" org.gpupass1.Gpu State > /dev/null; s+=" $(ms_since $t0)"; done
samples busctl_system_get_property "$s"

# --- the same cycles traced: where the daemon's time goes -----------------------------------------
# Without the periodic sysfs refresh (refresh_interval = 0), which would run in the same thread
# and land in some windows; one untraced cycle first, so that the JIT has warmed up again.
set_conf "refresh_interval = 0"
systemctl restart gpupassd.service
cycle
pid=$(mainpid)
trace_on() {
    echo 0 > $T/tracing_on; echo > $T/trace; echo 16384 > $T/buffer_size_kb
    echo > $T/kprobe_events
    # Which file each open/readlink/stat names (the syscall events only carry pointers).
    echo 'p:gp/open do_sys_openat2 path=+0(%si):ustring' >> $T/kprobe_events &&
        echo 'r:gp/openr do_sys_openat2 ret=$retval:s32' >> $T/kprobe_events &&
        echo 'p:gp/readlink do_readlinkat path=+0(%si):ustring' >> $T/kprobe_events &&
        echo 'p:gp/stat vfs_fstatat path=+0(%si):ustring' >> $T/kprobe_events || return 1
    echo 1 > $T/events/gp/enable && echo 1 > $T/events/raw_syscalls/enable || return 1
    echo 1 > $T/options/event-fork
    ls /proc/$pid/task | tr '\n' ' ' > $T/set_event_pid
    echo 1 > $T/tracing_on
}
trace_off() { # keeps the trace in FILE (removing the kprobes empties the buffer)
    echo 0 > $T/tracing_on
    echo 0 > $T/events/raw_syscalls/enable; echo 0 > $T/events/gp/enable 2>/dev/null
    [ -n "${1:-}" ] && cp $T/trace "$1"
    echo > $T/trace; echo > $T/kprobe_events 2>/dev/null
    echo > $T/set_event_pid; echo 0 > $T/options/event-fork
}
# The daemon's file descriptors before tracing (the bus sockets among them) for the analysis.
ls -l /proc/$pid/fd > "$GP_RES/bench-trace.fds" 2>&1
if trace_on; then
    s=
    for ((i = 0; i < NTRACE; i++)); do cycle || { bad=1; break; }; s+=" $CYCLE_MS"; done
    trace_off "$GP_RES/bench-trace.txt"
    samples gpupassd_system_traced "$s"
    python3 "$GP_VM/stack/trace-split.py" "$GP_RES/bench-trace.txt" "$GP_RES/bench-trace.fds" > "$GP_RES/bench-split.txt" 2>&1
    expect "the trace was taken apart" test $? = 0
    grep '^FIG ' "$GP_RES/bench-split.txt" >> "$GP_RESULTS"
    log "split:"$'\n'"$(cat "$GP_RES/bench-split.txt")"
else
    trace_off; errs+=("ftrace with kprobes unavailable in the guest kernel")
fi

# --- a VM's start and stop ---------------------------------------------------------------------
HOOK=/etc/libvirt/hooks/qemu.d/gpupassd
vm_bench() { # NAME MANAGED BEFORE AFTER: BEFORE/AFTER run around each start/stop (pre-binding)
    local name=$1 managed=$2 before=$3 after=$4 i t0 st= sp= bad=0
    define_dom gp-bench-$name $managed $GPU $AUD
    for ((i = 0; i < NVM; i++)); do
        eval "$before"
        t0=$(now_us)
        vsh start gp-bench-$name > "$GP_RES/$SCEN.$name.out" 2>&1 || { bad=1; log "$name: $(cat "$GP_RES/$SCEN.$name.out")"; }
        [ "$(dom_state gp-bench-$name)" = running ] && on_vfio || bad=1
        st+=" $(ms_since $t0)"
        t0=$(now_us)
        vsh destroy gp-bench-$name > /dev/null; eval "$after"
        wait_for 20 on_host || { bad=1; log "$name: not back on the host: $(snapshot $GPU $AUD)"; }
        sp+=" $(ms_since $t0)"
        [ $bad = 1 ] && break
    done
    vsh undefine gp-bench-$name > /dev/null
    expect "VM $name: every start ran with the pair on vfio-pci, every stop gave it back" test $bad = 0
    samples vm_start.$name "$st"; samples vm_stop.$name "$sp"
}
vm_bench hook no : :
mv $HOOK /root/gpupassd.hook
# A fresh libvirtd: after the managed='no' domains before (this boot's scenarios), libvirt 9.0 was
# seen leaving a managed='yes' domain's devices on vfio-pci when it was destroyed.
systemctl restart libvirtd.service
vm_bench managed yes : :
vm_bench prebound no 'raw_to_vfio $GPU $AUD; wait_for 10 on_vfio' 'raw_to_host $GPU $AUD'
mv /root/gpupassd.hook $HOOK
# --- libvirt's own detach/reattach (what managed='yes' does) -------------------------------------
s= bad=0
nd() { local a=${1//[:.]/_}; echo "pci_$a"; }
for ((i = 0; i < NNODE; i++)); do
    t0=$(now_us)
    vsh nodedev-detach $(nd $GPU) > /dev/null && vsh nodedev-detach $(nd $AUD) > /dev/null || bad=1
    wait_for 10 on_vfio || { bad=1; log "nodedev-detach: $(snapshot $GPU $AUD)"; }
    vsh nodedev-reattach $(nd $GPU) > /dev/null && vsh nodedev-reattach $(nd $AUD) > /dev/null || bad=1
    wait_for 10 on_host || { bad=1; log "nodedev-reattach: $(snapshot $GPU $AUD)"; }
    s+=" $(ms_since $t0)"; [ $bad = 1 ] && break
done
expect "nodedev-detach/reattach: every cycle to vfio-pci and back" test $bad = 0
samples nodedev "$s"

expect "the pair ends on the host" on_host
finish
