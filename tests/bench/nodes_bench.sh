#!/usr/bin/env bash
# Cost per simulated request against the number of nodes behind the balancer, for every policy,
# at the same load per node (tests/bench/mm4.yaml's M/M/4 on each node, 90% busy): the CPU time
# of a long run less that of a short one (start-up and reports cancel), per request, and its
# ratio to one node. Also the peak memory per node (max RSS of the short run, less one node's).
#   tests/bench/nodes_bench.sh [SERVESIM] [NODES...]    (defaults: build/servesim, 1 64 512 4096)
# Prints a table and one JSON line per point ({"bench":"nodes",...}).
set -euo pipefail
servesim="${1:-build/servesim}"
shift || true
nodes_list=("${@:-1 64 512 4096}")
read -r -a nodes_list <<<"${nodes_list[*]}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
per_node_rate=90   # requests/s per node (mm4.yaml)
extra=${EXTRA:-32768}  # simulated node-seconds the long run adds over the short one, shared out
# The user time comes from bash's `time` (getrusage, printed to the millisecond), as GNU time's %U
# has only 10 ms; the peak RSS from GNU time's %M.
export LC_ALL=C  # bash's `time` prints the locale's decimal point; awk reads a dot
run() {  # nodes policy seconds -> "user_s maxrss_kb"
  local rss err user
  rss=$(mktemp)
  err=$(mktemp)
  if ! user=$({
    TIMEFORMAT=%3U
    time /usr/bin/time -o "$rss" -f "%M" "$servesim" run "$here/mm4.yaml" -q -j 1 \
      --set cluster.nodes="$1" --set cluster.balancer.policy="$2" \
      --set workload.rate="$(($1 * per_node_rate))/s" --set run.duration="$3s" \
      --set run.warmup=0.5s --set run.replications=1 >/dev/null 2>"$err"
  } 2>&1); then
    echo "nodes_bench: servesim failed at $1 nodes, $2:" >&2
    cat "$err" >&2
    rm -f "$rss" "$err"
    return 1
  fi
  echo "$user $(tail -1 "$rss")"
  rm -f "$rss" "$err"
}
printf '%-18s %6s %14s %12s %14s\n' policy nodes "ns/request" "vs 1 node" "KiB per node"
for policy in round_robin random least_outstanding power_of_two; do
  base=""
  base_rss=""
  for n in "${nodes_list[@]}"; do
    short=$(awk -v n="$n" -v e="$extra" 'BEGIN { printf "%.6g", 0.6 * e / n + 0.5 }')
    long=$(awk -v n="$n" -v e="$extra" 'BEGIN { printf "%.6g", 1.6 * e / n + 0.5 }')
    read -r t0 rss < <(run "$n" "$policy" "$short")
    read -r t1 _ < <(run "$n" "$policy" "$long")
    requests=$(awk -v e="$extra" -v r="$per_node_rate" 'BEGIN { print e * r }')
    ns=$(awk -v a="$t0" -v b="$t1" -v q="$requests" 'BEGIN { printf "%.1f", (b - a) * 1e9 / q }')
    [[ -z $base ]] && base="$ns" && base_rss="$rss"
    ratio=$(awk -v x="$ns" -v b="$base" 'BEGIN { printf "%.2f", x / b }')
    per_node=$(awk -v r="$rss" -v b="$base_rss" -v n="$n" \
      'BEGIN { if (n > 1) printf "%.2f", (r - b) / (n - 1) * 1000 / 1024; else print "-" }')
    printf '%-18s %6d %14s %12s %14s\n' "$policy" "$n" "$ns" "$ratio" "$per_node"
    printf '{"bench":"nodes","policy":"%s","nodes":%d,"ns_per_request":%s,"ratio":%s}\n' \
      "$policy" "$n" "$ns" "$ratio" >&2
  done
done
