#!/usr/bin/env bash
# `servesim compare` of two perf_analyzer-style CSVs of N rows each, B's rows in shuffled order, at
# several N: wall time, time per row, and each size's time per row over the smallest size's. Pairing
# rows by load in n log n keeps that ratio near 1 (log n grows slowly); scanning B for each row of
# A makes it grow like the size ratio (10 at 100k rows against 10k).
#   tests/bench/compare_bench.sh [SERVESIM] [N...]     (defaults: build/servesim, 10000 100000 200000)
# Also checks that every row was paired. Prints a table and one JSON line ({"bench":"compare",...}).
set -euo pipefail
servesim="${1:-build/servesim}"
shift || true
sizes=("$@")
((${#sizes[@]})) || sizes=(10000 100000 200000)
[[ -x "$servesim" ]] || { echo "compare_bench.sh: no servesim binary at '$servesim'" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# N rows at concurrency 1..N; B measures twice A's throughput, its rows in a fixed shuffled order.
write_pair() {  # rows
  awk -v n="$1" 'BEGIN { print "Concurrency,Inferences/Second,p99 latency";
                         for (i = 1; i <= n; ++i) printf "%d,%d,%d\n", i, 10 * i, 1000 + i }' \
    >"$tmp/a.csv"
  { head -n 1 "$tmp/a.csv"
    tail -n +2 "$tmp/a.csv" | awk -F, -v OFS=, '{ $2 = 2 * $2; print }' |
      shuf --random-source=<(yes); } >"$tmp/b.csv"
}

calc() { awk "BEGIN { print $1 }"; }
printf '%10s %10s %14s %16s\n' rows "wall s" "us per row" "per row / first"
json=""
first=""
for n in "${sizes[@]}"; do
  write_pair "$n"
  start=$(date +%s.%N)
  "$servesim" compare "$tmp/a.csv" "$tmp/b.csv" >"$tmp/out.txt"
  end=$(date +%s.%N)
  paired=$(grep -c '^Concurrency ' "$tmp/out.txt" || true)
  [[ "$paired" == "$n" ]] || { echo "compare_bench.sh: $paired of $n rows paired" >&2; exit 1; }
  wall=$(calc "$end - $start")
  per_row=$(calc "1e6 * $wall / $n")
  [[ -n "$first" ]] || first="$per_row"
  ratio=$(calc "$per_row / $first")
  printf '%10d %10.3f %14.2f %16.2f\n' "$n" "$wall" "$per_row" "$ratio"
  json+="${json:+,}{\"rows\":$n,\"wall_s\":$wall,\"us_per_row\":$per_row,\"ratio\":$ratio}"
done
printf '{"bench":"compare","sizes":[%s]}\n' "$json"
