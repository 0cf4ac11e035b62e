#!/usr/bin/env python3
"""Who had the CPUs while the slowest connections waited.

    tail-attribution.py SCHED.txt PHASES.txt SERVER_PID BACKEND_PID

SCHED.txt: `perf script -F comm,pid,tid,cpu,time,event,trace` of `perf sched record -k CLOCK_MONOTONIC`, sched_switch lines.
PHASES.txt: `Tollgate.GcProbe phases` output over the same seconds (Stopwatch ticks are CLOCK_MONOTONIC nanoseconds).
For the middle 20 % of connections and the slowest 1 %, prints the CPU time each group of threads got on both CPUs
during a connection's life, per connection: a group that takes far more of the slow connections' time than of the
typical ones' is where their extra time went (a gateway thread, the collector on it, the JIT, or nobody: idle).
"""
import bisect, collections, re, sys

sched, phases, server_pid, backend_pid = sys.argv[1:5]
line_rx = re.compile(r'\s*(.+?)\s+(\d+)/(\d+)\s+\[(\d+)\]\s+([\d.]+):.*prev_pid=(\d+).*prev_state=(\S+) ==> next_comm=(.*) next_pid=(\d+)')
tid_pid, switches = {}, []
for line in open(sched):
    m = line_rx.match(line)
    if not m:
        continue
    _, pid, tid, cpu, t, _, _, next_comm, next_tid = m.groups()
    tid_pid[tid] = pid
    switches.append((int(cpu), int(float(t) * 1e9), next_tid, next_comm))

def group(tid, comm):
    pid = tid_pid.get(tid)
    if tid == '0' or comm.startswith('swapper'):
        return 'idle'
    if comm.startswith('tg-relay'):
        return 'gateway loops'
    if comm.startswith('nginx') or comm.startswith('haproxy'):
        return comm.split(':')[0]
    if pid == server_pid:
        return 'gateway ' + comm[:16]
    if pid == backend_pid:
        return 'backend'
    if comm.startswith('.NET'):
        return 'client'
    return 'other ' + comm[:16]

runs = collections.defaultdict(list)  # cpu -> [(start, group)]
for cpu, t, tid, comm in switches:
    runs[cpu].append((t, group(tid, comm)))
for v in runs.values():
    v.sort()
starts = {cpu: [r[0] for r in v] for cpu, v in runs.items()}
lo = min(v[0][0] for v in runs.values())
hi = max(v[-1][0] for v in runs.values())

def shares(a, b):
    acc = collections.Counter()
    for cpu, v in runs.items():
        i = max(0, bisect.bisect_right(starts[cpu], a) - 1)
        while i < len(v) and v[i][0] < b:
            end = v[i + 1][0] if i + 1 < len(v) else b
            span = min(end, b) - max(v[i][0], a)
            if span > 0:
                acc[v[i][1]] += span
            i += 1
    return acc

conns = []
for line in open(phases):
    _, t0, _, _, _, end = map(int, line.split())
    if lo < t0 and end < hi:
        conns.append((end - t0, t0, end))
conns.sort()
n = len(conns)
print(f'{n} connections inside the recorded window')
for label, chosen in (('middle 20 %', conns[int(n * .4):int(n * .6)]), ('slowest 1 %', conns[int(n * .99):])):
    total = collections.Counter()
    for _, a, b in chosen:
        total.update(shares(a, b))
    mean = sum(d for d, _, _ in chosen) / len(chosen) / 1e3
    print(f'  {label}: {len(chosen)} connections, {mean:.0f} µs each on average; CPU time per connection (µs, both CPUs):')
    for name, ns in total.most_common(10):
        print(f'    {name:30} {ns / len(chosen) / 1e3:8.0f}')
