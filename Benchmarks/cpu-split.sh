#!/usr/bin/env bash
# The server's user and kernel CPU per acked echo, from /proc/PID/stat over 3 s of load
# (the server pinned to CPU 0, the bench generator to CPU 1).
# Usage: Benchmarks/cpu-split.sh "SERVER COMMAND" PORT [scenario, default echo-50]
#   Benchmarks/cpu-split.sh ".build-release/release/bench serve --port 4780" 4780
#   Benchmarks/cpu-split.sh "/tmp/ceiling 4781" 4781
set -euo pipefail
cd "$(dirname "$0")/.."
command=$1 port=$2 scenario=${3:-echo-50}
bench=.build-release/release/bench
[[ -x $bench ]] || scripts/release-build bench
taskset -c 0 $command > /dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
out=$(mktemp)
taskset -c 1 "$bench" --url "http://127.0.0.1:$port" --server-pid "$pid" --scenario "$scenario" --reps 1 --duration 6 > "$out" 2>&1 &
load=$!
sleep 3
read -r user0 system0 < <(cut -d' ' -f14,15 /proc/$pid/stat)
sleep 3
read -r user1 system1 < <(cut -d' ' -f14,15 /proc/$pid/stat)
wait $load
rate=$(grep "^| $scenario" "$out" | awk -F'|' '{gsub(/ /, "", $4); print $4}')
rm -f "$out"
ticks=$(getconf CLK_TCK)
python3 - "$rate" $((user1 - user0)) $((system1 - system0)) "$ticks" <<'PY'
import sys
rate, user, system, ticks = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
units = rate * 3
print(f"{rate:,.0f}/s; server CPU per unit: user {user / ticks / units * 1e6:.3f} µs, kernel {system / ticks / units * 1e6:.3f} µs")
PY
