#!/usr/bin/env bash
# Measures Flagon and the physical-limit server (a minimal C libuv server, built from the
# ceiling.c given as argument) in the same session, the same way: each server pinned to
# CPU 0, the load generator to CPU 1, idle runs on a freshly started server. The main
# scenarios run in rounds that alternate the two servers (a shared machine's load drifts
# over minutes, and would otherwise weigh on one server only); medians are taken over
# every rep of every round. Writes Benchmarks/results/{ceiling,flagon}-*.json and prints
# Flagon's figures as ratios: CPU per unit always, throughput only where the generator was
# below 90 % of its core in both runs (a saturated generator sets both servers' pace).
# Usage: Benchmarks/compare-ceiling.sh PATH/TO/ceiling.c [duration-seconds] [reps] [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
source=${1:?usage: Benchmarks/compare-ceiling.sh PATH/TO/ceiling.c [duration] [reps] [rounds]}
duration=${2:-3}
reps=${3:-3}
rounds=${4:-1}
scripts/release-build bench
bench=.build-release/release/bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/ceiling" "$source" -luv
out=Benchmarks/results

run() { # directory name port "server command" scenarios...
    local dir=$1 name=$2 port=$3 command=$4
    shift 4
    taskset -c 0 $command &
    local pid=$!
    for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.05; done
    local args=()
    for scenario in "$@"; do args+=(--scenario "$scenario"); done
    taskset -c 1 "$bench" --url "http://127.0.0.1:$port" --server-pid "$pid" --duration "$duration" --reps "$reps" \
        --json "$dir/$name.json" "${args[@]}" | grep -v '^  '
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    sleep 1
}

main=(echo-50 echo-500 fanout-steady fanout-capacity connect)
for round in $(seq 1 "$rounds"); do
    run "$work" ceiling-main-$round 4801 "$work/ceiling 4801" "${main[@]}"
    extra=()
    [[ $round == 1 ]] && extra=(polling http)
    run "$work" flagon-main-$round 4811 "$bench serve --port 4811" "${main[@]}" "${extra[@]}"
done
run "$out" ceiling-idle-5000 4802 "$work/ceiling 4802" idle-5000
run "$out" ceiling-idle-10000 4803 "$work/ceiling 4803" idle-10000
run "$out" flagon-idle-5000 4812 "$bench serve --port 4812" idle-5000
run "$out" flagon-idle-10000 4813 "$bench serve --port 4813" idle-10000
# Every round's reps, merged per scenario.
python3 - "$work" "$out" "$rounds" <<'PY'
import json, shutil, sys
work, out, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
for server in ["ceiling", "flagon"]:
    merged, order = {}, []
    for round in range(1, rounds + 1):
        for result in json.load(open(f"{work}/{server}-main-{round}.json")):
            name = result["name"]
            if name in merged:
                merged[name]["reps"] += result["reps"]
            else:
                merged[name] = result
                order.append(name)
    json.dump([merged[name] for name in order], open(f"{out}/{server}-main.json", "w"), indent=2)
    shutil.copy(f"{work}/{server}-main-{rounds}.md", f"{out}/{server}-main.md")
PY

python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
def load(name):
    return {r["name"].split(" ")[0]: r for r in json.load(open(f"{out}/{name}.json"))}
def median(r, key):
    values = sorted(rep[key] for rep in r["reps"] if rep.get(key) is not None)
    return values[len(values) // 2] if values else None
ceiling = {**load("ceiling-main"), **load("ceiling-idle-5000"), **load("ceiling-idle-10000")}
flagon = {**load("flagon-main"), **load("flagon-idle-5000"), **load("flagon-idle-10000")}
print("\n| scenario | Flagon | ceiling | Flagon / ceiling | server CPU per unit, Flagon / ceiling | generator CPU (Flagon run / ceiling run) |")
print("| --- | --- | --- | --- | --- | --- |")
for name in ["echo-50", "echo-500", "fanout-steady", "fanout-capacity", "connect", "idle-5000", "idle-10000"]:
    f, c = flagon.get(name), ceiling.get(name)
    if not f or not c or f.get("error") or c.get("error"):
        continue
    ft, ct = median(f, "throughput"), median(c, "throughput")
    fc, cc = median(f, "serverCPUSecondsPer100k"), median(c, "serverCPUSecondsPer100k")
    fg, cg = median(f, "generatorCPUShare"), median(c, "generatorCPUShare")
    cpu = f"{fc / cc:.2f}" if fc and cc else "–"
    gen = f"{fg * 100:.0f}% / {cg * 100:.0f}%" if fg and cg else "–"
    unit = f["unit"]
    # A generator near its core's limit holds both servers to its own pace: the throughput
    # ratio then says nothing about the servers, and only CPU per unit is compared.
    saturated = (fg or 0) >= 0.9 or (cg or 0) >= 0.9
    ratio = "– (generator saturated)" if saturated and not name.startswith("idle") else f"{ft / ct:.2f}"
    print(f"| {name} | {ft:,.2f} {unit} | {ct:,.2f} {unit} | {ratio} | {cpu} | {gen} |")
PY
