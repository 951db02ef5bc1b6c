#!/usr/bin/env bash
# A 1,024-point sweep of the paper's node (the default scenario): wall time with -j 1 and -j N,
# points per second, and parallel efficiency T1 / (N x TN); the two result files must be identical.
#   tests/bench/sweep_bench.sh [SERVESIM] [N]      (defaults: build/servesim, nproc)
# Prints a table and one JSON line ({"bench":"sweep",...}).
set -euo pipefail
servesim="${1:-build/servesim}"
n="${2:-$(nproc)}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
grid=(--grid workload.concurrency=8:256:8 --grid node.gpus.count=1:4:1
      --grid pipeline.infer.instances=1:8:1
      --set 'run={duration: 1s, warmup: 200ms, replications: 1}')
run() {  # jobs out
  local start end
  start=$(date +%s.%N)
  "$servesim" sweep "${grid[@]}" -j "$1" -q --out "$tmp/$2.csv" >/dev/null
  end=$(date +%s.%N)
  awk -v a="$start" -v b="$end" 'BEGIN { print b - a }'
}
t1=$(run 1 one)
tn=$(run "$n" many)
cmp -s "$tmp/one.csv" "$tmp/many.csv" && cmp -s "$tmp/one.jsonl" "$tmp/many.jsonl" ||
  { echo "sweep_bench: -j 1 and -j $n results differ" >&2; exit 1; }
points=$(($(wc -l <"$tmp/one.csv") - 1))
calc() { awk "BEGIN { print $1 }"; }
eff=$(calc "$t1 / ($n * $tn)")
printf 'sweep_bench: %d points; -j 1: %.2f s (%.1f points/s); -j %d: %.2f s (%.1f points/s); parallel efficiency %.1f%%; results identical\n' \
  "$points" "$t1" "$(calc "$points / $t1")" "$n" "$tn" "$(calc "$points / $tn")" "$(calc "100 * $eff")"
printf '{"bench":"sweep","points":%d,"jobs":%d,"wall_s_j1":%.3f,"wall_s_jn":%.3f,"efficiency":%.4f}\n' \
  "$points" "$n" "$t1" "$tn" "$eff"
