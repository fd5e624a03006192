#!/usr/bin/env bash
# Instructions per unit of work, from valgrind's callgrind: repeatable on a noisy machine.
# The server runs under callgrind, the bench generator loads it natively; after a warm-up the
# counters are zeroed, and after a measured window they are dumped. The unit is the number
# of calls, in that window, of a function named by the scenario (one per event, per delivery,
# per connection).
#
# Usage: Benchmarks/callgrind.sh [scenario, default echo-50] [server binary] [top N functions]
#   Benchmarks/callgrind.sh echo-50
#   Benchmarks/callgrind.sh fanout-capacity /tmp/old/.build-release/release/bench
#   KEEP_DUMP=/tmp/connect.out Benchmarks/callgrind.sh connect    (then callgrind_annotate --inclusive=yes /tmp/connect.out)
#
# The server's main thread waits in libdispatch's `sigsuspend` (the async main), which
# valgrind 3.19 cannot follow (it stops with an internal SIGSEGV). A preloaded `sigsuspend`
# that sleeps instead is built here and used for the run: that thread only waits for signals.
set -euo pipefail
cd "$(dirname "$0")/.."
scenario=${1:-echo-50}
bench=.build-release/release/bench
[[ -x $bench ]] || scripts/release-build bench
server=${2:-$bench}
top=${3:-25}
case $scenario in
    echo-50|echo-500|echo-50-controller|echo-50-plain|echo-50-typed|echo-50-codable) unit='EventDispatcher.invoke(_:raw:ackID:socket:)' ;;
    fanout-capacity|fanout-steady) unit='WebSocket.sendIfWritable(frames:from:)' ;;
    connect) unit='SocketIOConnection.init(engine:server:)' ;;
    *) echo "no unit known for $scenario" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null || true; rm -rf "$work"' EXIT
cat > "$work/sleep-sigsuspend.c" <<'C'
#include <signal.h>
#include <unistd.h>
/* Waits as sigsuspend would for a thread that only waits: valgrind cannot follow the real one here. */
int sigsuspend(const sigset_t *mask) { (void)mask; for (;;) pause(); return -1; }
C
cc -O2 -shared -fPIC -o "$work/sleep-sigsuspend.so" "$work/sleep-sigsuspend.c"
port=$((20000 + RANDOM % 20000))
LD_PRELOAD=$work/sleep-sigsuspend.so valgrind --tool=callgrind --callgrind-out-file="$work/out.%p" \
    "$server" serve --port "$port" > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
"$bench" --url "http://127.0.0.1:$port" --scenario "$scenario" --reps 1 --duration 14 --no-pin > "$work/load.log" 2>&1 &
load=$!
sleep 6
callgrind_control -z "$server_pid" > /dev/null 2>&1
sleep 6
callgrind_control -d "$server_pid" > /dev/null 2>&1
wait $load
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
dump=$(ls "$work"/out.*.1)
# KEEP_DUMP=PATH keeps callgrind's dump, for callgrind_annotate (--inclusive=yes, --tree=caller).
if [[ -n ${KEEP_DUMP:-} ]]; then cp "$dump" "$KEEP_DUMP"; fi
python3 - "$dump" "$unit" "$top" <<'PY'
import re, subprocess, sys
path, unit, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
names, own, calls = {}, {}, {}
def name(token):
    match = re.match(r'\((\d+)\)(?: (.*))?', token)
    if not match: return token
    if match.group(2): names[match.group(1)] = match.group(2)
    return names.get(match.group(1), token)
function = callee = None
after_call = False
for line in open(path, errors='replace'):
    if line.startswith('fn='): function = name(line[3:].strip())
    elif line.startswith('cfn='): callee = name(line[4:].strip())
    elif line.startswith('calls='):
        calls[callee] = calls.get(callee, 0) + int(line[6:].split()[0]); after_call = True
    elif line[:1].isdigit() or line[:1] in '+-*':
        fields = line.split()
        if len(fields) < 2: continue
        if after_call: after_call = False   # the inclusive cost of the call just named
        else: own[function] = own.get(function, 0) + int(fields[1])
def demangle(symbols):
    out = subprocess.run(['swift', 'demangle', '--simplified'], input='\n'.join(symbols), capture_output=True, text=True)
    return out.stdout.split('\n')
simple_names = dict(zip(calls, demangle(list(calls))))
units = sum(count for symbol, count in calls.items() if simple_names[symbol] in (unit, 'specialized ' + unit))
if units == 0: sys.exit(f'no calls of {unit} in the window')
total = sum(own.values())
print(f'{units:,} calls of {unit} in the window; {total / units:,.0f} instructions per call, all functions')
ranked = sorted(own, key=lambda symbol: -own[symbol])[:top]
for symbol, simple in zip(ranked, demangle(ranked)):
    print(f'{own[symbol] / units:9.1f}  {simple[:130]}')
PY
