#!/usr/bin/env bash
# tail-record.sh NAME URL TOKEN SERVER_PID BACKEND_PID [WORKERS] — a phase-timed connect load with perf sched beside it,
# then tail-attribution.py over the middle of the load. Root (perf). Output in /tmp/tail-NAME.*.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
NAME=$1; URL=$2; TOKEN=$3; SERVER=$4; BACKEND=$5; WORKERS=${6:-16}
PROBE=$HERE/bin/Release/net10.0/Tollgate.GcProbe.dll
[ -f "$PROBE" ] || dotnet build "$HERE" -c Release -v q -nologo >&2
dotnet "$PROBE" phases "$URL" "$TOKEN" 6 /tmp/tail-$NAME.phases "$WORKERS" >/dev/null &
load=$!
sleep 1.5
perf sched record -k CLOCK_MONOTONIC -o /tmp/tail-$NAME.data -- sleep 3 >/dev/null 2>&1
wait $load
perf script -i /tmp/tail-$NAME.data -F comm,pid,tid,cpu,time,event,trace 2>/dev/null | grep sched_switch > /tmp/tail-$NAME.sched
python3 "$HERE/tail-attribution.py" /tmp/tail-$NAME.sched /tmp/tail-$NAME.phases "$SERVER" "$BACKEND"
