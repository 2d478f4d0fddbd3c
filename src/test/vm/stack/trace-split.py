#!/usr/bin/env python3
"""Takes apart gpupassd's time inside the daemon from an ftrace of its threads (bench-stack.sh).

    trace-split.py TRACE FDS

TRACE: /sys/kernel/tracing/trace with raw_syscalls sys_enter/sys_exit of the daemon's threads,
kprobes gp/open (path), gp/openr (fd), gp/readlink and gp/stat (path), and the bench's markers
"gp-split claim|release start|end" around each busctl call. FDS: `ls -l /proc/PID/fd` of the daemon
before tracing (its sockets, among them the bus connections).

Each syscall of a daemon thread is classed by what it touches:
  kernel    a write to a sysfs control file (driver_override, unbind, bind, drivers_probe, new_id,
            remove, rescan, vtconsole bind) or a module syscall: the kernel doing the step
  snapshot  any other /sys, /dev, /proc/modules|devices, pci.ids access: reading the host
  holders   /proc/PID/...: the holder scan
  journal   /var/lib/gpupassd (the state directory), fsync, rename
  signals   anything the "bus-signals" thread does (building StateChanged, PropertiesChanged)
  bus       sending on a socket (dbus-java's sender thread: the reply, the signals; systemd
            queries), and the dispatch of the call
  jvm       the JVM's own threads: the JIT compiler, GC and VM threads, cleaners
  waits     futex, poll, sleeps, and receiving on a socket (a thread blocked until a message
            comes): not counted as work
A syscall that names no file (fcntl, close of an unknown fd, mmap, ...) in a worker thread takes
the class of that thread's previous syscall; an fstat (newfstatat with AT_EMPTY_PATH) the class of
its file descriptor.
The time between two syscalls of a thread (Java code running) goes to their class when both have
the same one, else to "cpu" (planning, the model, marshalling: Java work between different kinds of
I/O); in a JVM thread to "jvm". Within a call's window (the daemon's first to last event between the markers) every instant
is counted once, for the highest class active in any thread (kernel > journal > holders > snapshot >
signals > bus > cpu > jvm > other); what is left is "idle" (every thread waiting: hand-offs, sleeps).
Tracing slows the daemon down (each event costs a few microseconds, more under TCG): the shares
are the figure to read; the absolute times are inflated.
"""
import re
import statistics
import sys

LINE = re.compile(r'^\s*(.+)-(\d+)\s+\[\d+\]\s+\S+\s+([\d.]+): ([\w]+): (.*)$')
CONTROL = re.compile(r'^/sys/(bus/pci/(drivers_probe|rescan|devices/[^/]+/(driver_override|remove|reset|driver/unbind)'
                     r'|drivers/[^/]+/(bind|unbind|new_id|remove_id))|class/vtconsole/[^/]+/bind'
                     r'|bus/platform/drivers/[^/]+/(bind|unbind))$')
READ_SYSCALLS = {0, 17, 19, 217, 78, 8, 5, 72}      # read pread64 readv getdents64 getdents lseek fstat fcntl
WRITE_SYSCALLS = {1, 18, 20}                        # write pwrite64 writev
SOCKET_SYSCALLS = {44, 45, 46, 47, 299, 307}        # sendto recvfrom sendmsg recvmsg recvmmsg sendmmsg
PATH_SYSCALLS = {2, 257, 4, 6, 262, 332, 89, 267, 21, 269, 439}
MODULE_SYSCALLS = {175, 176, 313}                   # init_module delete_module finit_module
JOURNAL_SYSCALLS = {74, 75, 82, 264, 316}           # fsync fdatasync rename renameat renameat2
WAIT_SYSCALLS = {7, 23, 24, 35, 202, 230, 232, 270, 271, 281, 61, 247}  # polls, sleeps, futex, wait4, waitid
ORDER = ['kernel', 'journal', 'holders', 'snapshot', 'signals', 'bus', 'cpu', 'jvm', 'other']
JVM_THREADS = re.compile(r'^(C[12] CompilerThre|VM Thread|VM Periodic|Monitor Deflati|Reference Handl|Finalizer|'
                         r'Signal Dispatch|Common-Cleaner|JNA Cleaner|Service Thread|Notification Th|Sweeper|GC |G1 )')
RECV_SYSCALLS = {45, 47, 299}                       # recvfrom recvmsg recvmmsg


def path_class(path):
    if path is None:
        return 'other'
    if CONTROL.match(path):
        return 'control'
    if path.startswith('/var/lib/gpupassd'):
        return 'journal'
    if re.match(r'^/proc/\d+(/|$)', path) or path == '/proc':
        return 'holders'
    if (path.startswith('/sys/') or path.startswith('/dev/') or path.startswith('/proc/modules')
            or path.startswith('/proc/devices') or 'pci.ids' in path or path.startswith('/lib/modules')):
        return 'snapshot'
    return 'other'


def classify(nr, path, fdpath, is_socket, thread):
    if nr in WAIT_SYSCALLS or nr in RECV_SYSCALLS or (nr in READ_SYSCALLS and nr != 5 and is_socket):
        return 'waits'
    if JVM_THREADS.match(thread):
        return 'jvm'
    if thread.startswith('bus-signals'):
        return 'signals'
    if nr in MODULE_SYSCALLS:
        return 'kernel'
    if nr in JOURNAL_SYSCALLS:
        return 'journal'
    if nr in SOCKET_SYSCALLS or ((nr in READ_SYSCALLS or nr in WRITE_SYSCALLS) and is_socket):
        return 'bus'
    if nr in PATH_SYSCALLS:
        c = path_class(path)
        return 'snapshot' if c == 'control' else c     # opening a control file is not the step
    if nr in WRITE_SYSCALLS:
        c = path_class(fdpath)
        return 'kernel' if c == 'control' else c
    if nr in READ_SYSCALLS or nr == 3:
        c = path_class(fdpath)
        return 'snapshot' if c == 'control' else c
    return 'other'


def main():
    trace, fds = sys.argv[1], sys.argv[2]
    sockets = set()
    for line in open(fds, errors='replace'):
        m = re.search(r' (\d+) -> socket:', line)
        if m:
            sockets.add(int(m.group(1)))
    fdmap = {}            # fd -> path (the daemon's threads share one table)
    pending = {}          # tid -> [nr, t_enter, args, path]
    last_exit = {}        # tid -> (t, class)
    intervals = []        # (start, end, class)
    marks = []            # (t, 'claim'|'release', 'start'|'end')
    calls = []            # (t, class) of every syscall
    started = False
    counts = {}
    for raw in open(trace, errors='replace'):
        m = LINE.match(raw)
        if not m:
            continue
        task, tid, t, ev, rest = m.group(1).strip(), int(m.group(2)), float(m.group(3)), m.group(4), m.group(5)
        if ev == 'tracing_mark_write':
            mm = re.match(r'gp-split (\w+) (start|end)', rest)
            if mm:
                marks.append((t, mm.group(1), mm.group(2)))
                started = True
            continue
        if not started:
            continue
        if ev == 'sys_enter':
            mm = re.match(r'NR (\d+) \(([^)]*)\)', rest)
            if not mm:
                continue
            args = [int(a, 16) for a in mm.group(2).split(',')]
            pending[tid] = [int(mm.group(1)), t, args, None]
        elif ev in ('open', 'readlink', 'stat'):
            mm = re.search(r'path="(.*)"', rest)
            if tid in pending and mm:
                pending[tid][3] = mm.group(1)
        elif ev == 'openr':
            mm = re.search(r'ret=(-?\d+)', rest)
            if tid in pending and mm and int(mm.group(1)) >= 0:
                fdmap[int(mm.group(1))] = pending[tid][3]
        elif ev == 'sys_exit':
            if tid not in pending:
                continue
            nr, t0, args, path = pending.pop(tid)
            fd = args[0] if args else -1
            if nr == 262 and len(args) > 3 and args[3] & 0x1000:      # fstat(fd) as fstatat(fd, "", AT_EMPTY_PATH)
                nr = 5
            if nr == 3:
                path = fdmap.pop(fd, None)
            fdpath = path if nr == 3 else fdmap.get(fd)
            cls = classify(nr, path, fdpath, fd in sockets or (fdpath is None and fd > 2 and nr in READ_SYSCALLS | WRITE_SYSCALLS),
                           task)
            if cls == 'other' and (path is None and fdpath is None) and tid in last_exit and last_exit[tid][1] != 'waits':
                cls = last_exit[tid][1]
            counts[cls] = counts.get(cls, 0) + 1
            if tid in last_exit:
                pt, pcls = last_exit[tid]
                if pcls != 'waits' and cls != 'waits':
                    gap = pcls if pcls == cls else ('signals' if task.startswith('bus-signals')
                                                    else 'jvm' if JVM_THREADS.match(task) else 'cpu')
                    intervals.append((pt, t0, gap))
                elif pcls == 'waits' and cls != 'waits':
                    intervals.append((pt, t0, cls))
            if cls != 'waits':
                intervals.append((t0, t, cls))
            calls.append((t0, cls))
            last_exit[tid] = (t, cls)
    windows = []          # (kind, start, end)
    open_ = {}
    for t, kind, what in marks:
        if what == 'start':
            open_[kind] = t
        elif kind in open_:
            windows.append((kind, open_.pop(kind), t))
    rank = {c: i for i, c in enumerate(ORDER)}
    per = {'claim': [], 'release': []}
    for kind, ws, we in windows:
        inside = [(max(s, ws), min(e, we), c) for s, e, c in intervals if e > ws and s < we and c in rank]
        if not inside:
            continue
        lo, hi = min(s for s, _, _ in inside), max(e for _, e, _ in inside)
        points = sorted({p for s, e, _ in inside for p in (s, e)})
        # elementary segments; the highest class active in each
        starts = sorted(inside)
        acc = {c: 0.0 for c in ORDER}
        active = []
        j = 0
        for a, b in zip(points, points[1:]):
            while j < len(starts) and starts[j][0] <= a:
                active.append(starts[j])
                j += 1
            active = [x for x in active if x[1] > a]
            cs = [x[2] for x in active if x[0] <= a < x[1]]
            if cs:
                acc[min(cs, key=rank.get)] += b - a
        busy = sum(acc.values())
        acc['window'] = hi - lo
        acc['idle'] = acc['window'] - busy
        row = {k: v * 1000 for k, v in acc.items()}
        for c in ORDER:
            row['n_' + c] = sum(1 for t, k in calls if ws <= t < we and k == c)
        per[kind].append(row)
    if not per['claim'] or not per['release']:
        print('no traced calls found (markers: %d, syscall intervals: %d)' % (len(marks), len(intervals)))
        return 1
    cycles = [{k: c[k] + r[k] for k in c} for c, r in zip(per['claim'], per['release'])]
    keys = ['window', 'kernel', 'snapshot', 'holders', 'journal', 'signals', 'bus', 'cpu', 'jvm', 'other', 'idle']
    print('%-9s %s' % ('', ' '.join('%9s' % k for k in keys)))
    for name, rows in (('claim', per['claim']), ('release', per['release']), ('cycle', cycles)):
        med = {k: statistics.median(r[k] for r in rows) for k in keys}
        print('%-9s %s' % (name, ' '.join('%9.0f' % med[k] for k in keys)))
        for k in keys:
            print('FIG bench.split.%s.%s_ms %d' % (name, k, round(med[k])))
        for c in ('kernel', 'snapshot', 'holders', 'journal'):
            print('FIG bench.split.%s.%s_syscalls %d' % (name, c, round(statistics.median(r['n_' + c] for r in rows))))
    print('syscalls per call (median): ' + '; '.join('%s %s' % (name, ', '.join('%s %d' % (c, statistics.median(r['n_' + c] for r in rows))
          for c in ORDER)) for name, rows in (('claim', per['claim']), ('release', per['release']))))
    print('traced calls: %d claims, %d releases; syscalls by class: %s' % (len(per['claim']), len(per['release']),
          ', '.join('%s %d' % kv for kv in sorted(counts.items()))))
    print('FIG bench.split.traced_cycles %d' % len(cycles))
    return 0


if __name__ == '__main__':
    sys.exit(main())
