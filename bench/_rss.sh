#!/bin/bash
. "$(dirname "$0")/lib.sh"
bench_bus
bench_daemon; bench_stop
bench_daemon
for _ in $(seq 1 200); do busctl --address="$BUS" call org.gpupass1 /org/gpupass1 org.gpupass1.Manager Status >/dev/null; done
sleep 3
grep -E "VmRSS|RssAnon|RssFile|Threads" /proc/$DAEMON_PID/status
python3 /tmp/prof/smaps.py $DAEMON_PID; cat >/dev/null <<PY
import sys,re,collections
pid=sys.argv[1]
cur=None; agg=collections.Counter()
for line in open(f'/proc/{pid}/smaps'):
    if re.match(r'^[0-9a-f]+-[0-9a-f]+ ',line):
        parts=line.split()
        cur=parts[5] if len(parts)>5 else '[anon]'
    elif line.startswith('Rss:'):
        agg[cur]+=int(line.split()[1])
for k,v in agg.most_common(15): print(f"{v/1024:7.1f} MiB {k}")
PY
jcmd $DAEMON_PID VM.native_memory summary 2>/dev/null | grep -E "^-|committed=" | head -60; jcmd $DAEMON_PID Thread.print | grep "^\"" | cut -c1-60
