#!/usr/bin/env bash
# Connect at a capped rate (or another scenario), Flagon against the physical-limit server, in
# alternating rounds: each server pinned to CPU 0 and the generator to CPU 1, the generator
# capped (`--rate`) so that it never runs near its core's limit and both servers deliver the
# same rate. Prints each run's server CPU seconds per 100,000 units (connections, or
# deliveries for fanout-capacity, whose generator stays under its core's limit uncapped: rate 0)
# and the round's ratio.
# Usage: Benchmarks/connect-vs-ceiling.sh PATH/TO/ceiling.c [rate, 0: uncapped] [rounds] [duration] [flagon bench binary] [scenario]
set -euo pipefail
cd "$(dirname "$0")/.."
source=${1:?usage: Benchmarks/connect-vs-ceiling.sh PATH/TO/ceiling.c [rate] [rounds] [duration] [binary] [scenario]}
rate=${2:-4000}
rounds=${3:-4}
duration=${4:-4}
bench=${5:-.build-release/release/bench}
scenario=${6:-connect}
capped=()
[[ $rate == 0 ]] || capped=(--rate "$rate")
[[ -x $bench ]] || scripts/release-build bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/ceiling" "$source" -luv

cpu() { # name "server command" port -> prints the server's CPU seconds per 100k units
    local name=$1 command=$2 port=$3
    taskset -c 0 $command > "$work/$name.log" 2>&1 &
    local pid=$!
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
    taskset -c 1 .build-release/release/bench --url "http://127.0.0.1:$port" --server-pid "$pid" --duration "$duration" \
        --reps 3 --scenario "$scenario" "${capped[@]}" --json "$work/$name.json" > "$work/$name.out"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    python3 - "$work/$name.json" "$name" <<'PY'
import json, statistics, sys
reps = json.load(open(sys.argv[1]))[0]["reps"]
cpu = statistics.median(r["serverCPUSecondsPer100k"] for r in reps)
rate = statistics.median(r["throughput"] for r in reps)
generator = statistics.median(r["generatorCPUShare"] for r in reps)
print(f"{sys.argv[2]:8} {cpu:7.3f} CPU s / 100k  ({rate:,.0f} units/s, generator {generator:.0%})")
open(sys.argv[1] + ".cpu", "w").write(str(cpu))
PY
    sleep 1
}

for round in $(seq 1 "$rounds"); do
    port=$((20000 + RANDOM % 9000))
    cpu ceiling "$work/ceiling $port" "$port"
    port=$((20000 + RANDOM % 9000))
    cpu flagon "$bench serve --port $port" "$port"
    python3 -c "import sys; print(f'round $round: Flagon / ceiling = {float(open(sys.argv[2]).read()) / float(open(sys.argv[1]).read()):.2f}')" \
        "$work/ceiling.json.cpu" "$work/flagon.json.cpu"
done
