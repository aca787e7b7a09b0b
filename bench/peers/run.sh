#!/usr/bin/env bash
# hcm-bench against graphile-worker 0.17.3 on the same PostgreSQL cluster, same workload, alternating
# runs: burn-down of N no-op jobs by P processes × T concurrency (defaults, then batching options:
# our --prefetch 512 vs graphile's localQueue.size 500 + completeJobBatchDelay 0 + failJobBatchDelay 0),
# and cross-process pickup latency (one idle worker process of concurrency T, one job at a time).
# Per-job logging is off on both sides. graphile-worker is installed from npm into a temporary folder.
#
#   bench/peers/run.sh [--rounds 3] [--jobs 50000] [--processes 4] [--threads 4] [--latency-jobs 1000]
#
# Runs inside pg_virtualenv unless PGHOST/PGPORT already name a server. HCM_BENCH overrides the
# hcm-bench binary (default: build-pg/bench/hcm-bench, else build/bench/hcm-bench). Prints a summary
# (medians) and leaves every JSON result in $HCM_BENCH_OUT (default: a temporary folder, printed).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=3 jobs=50000 processes=4 threads=4 latency_jobs=1000
while (($#)); do
    case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --processes) processes=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --latency-jobs) latency_jobs=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

if [[ -z "${PGHOST:-}${PGPORT:-}" ]]; then
    exec pg_virtualenv -t "$0" --rounds "$rounds" --jobs "$jobs" --processes "$processes" --threads "$threads" \
        --latency-jobs "$latency_jobs"
fi

bench=${HCM_BENCH:-}
if [[ -z "$bench" ]]; then
    for candidate in build-pg/bench/hcm-bench build/bench/hcm-bench; do
        [[ -x $candidate ]] && bench=$candidate && break
    done
fi
[[ -x ${bench:-} ]] || { echo "build hcm-bench first (cmake --build build --target hcm-bench)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=${HCM_BENCH_OUT:-$(mktemp -d)}
echo "installing graphile-worker 0.17.3 into $tmp" >&2
npm install --prefix "$tmp" --no-audit --no-fund --silent graphile-worker@0.17.3 >&2
export NODE_PATH="$tmp/node_modules"
peer=bench/peers/graphile/bench.cjs

for ((r = 1; r <= rounds; r++)); do
    echo "round $r/$rounds (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    "$bench" pg-burndown --jobs "$jobs" --processes "$processes" --threads "$threads" --json-only >"$out/ours-burndown-defaults-$r.json"
    node "$peer" burndown "$jobs" "$processes" "$threads" defaults 2>/dev/null >"$out/graphile-burndown-defaults-$r.json"
    "$bench" pg-burndown --jobs "$jobs" --processes "$processes" --threads "$threads" --prefetch 512 --json-only >"$out/ours-burndown-batched-$r.json"
    node "$peer" burndown "$jobs" "$processes" "$threads" batched 2>/dev/null >"$out/graphile-burndown-batched-$r.json"
    "$bench" pg-latency --jobs "$latency_jobs" --processes 1 --threads "$threads" --json-only >"$out/ours-latency-$r.json"
    node "$peer" latency "$latency_jobs" 1 "$threads" defaults 2>/dev/null >"$out/graphile-latency-$r.json"
done

node - "$out" "$rounds" <<'JS'
const fs = require("fs");
const [dir, rounds] = process.argv.slice(2);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]; };
const load = (name) => Array.from({ length: Number(rounds) }, (_, i) => JSON.parse(fs.readFileSync(`${dir}/${name}-${i + 1}.json`)));
const rate = (name) => { const v = load(name).map((j) => j.jobs_per_s); return `${median(v)} (${v.join(" / ")})`; };
const lat = (name) => { const v = load(name).map((j) => j.pickup_ms); const k = (key) => median(v.map((x) => x[key])); return `p50 ${k("p50")}  p95 ${k("p95")}  p99 ${k("p99")}  max ${k("max")}`; };
console.log(`results in ${dir}`);
console.log(`burn-down jobs/s, defaults:  hcm ${rate("ours-burndown-defaults")}  graphile ${rate("graphile-burndown-defaults")}`);
console.log(`burn-down jobs/s, batching:  hcm ${rate("ours-burndown-batched")}  graphile ${rate("graphile-burndown-batched")}`);
console.log(`pickup ms, hcm:      ${lat("ours-latency")}`);
console.log(`pickup ms, graphile: ${lat("graphile-latency")}`);
JS
