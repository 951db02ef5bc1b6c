#!/usr/bin/env bash
# The paper's node (configs/scenarios/paper-vit-base-gpu.yaml) at 1..64 GPUs, the closed loop's
# concurrency scaled with the GPUs (256 clients per GPU): the cost of one simulated request at each
# size and its ratio to the cost at 4 GPUs. The i9 board has 8 GPU ports, so every size gets the
# same generated tree instead: one root port (the board's cpu_x16, 51 GB/s, 1 us) with one x16
# slot per GPU below it (slot1's 25.6 GB/s, 5 us); host memory (70 GB/s) and the CPU stay the
# node's. Every DMA and every loopback payload crosses the one memory link, so all flows in transfer
# at once share one max-min component whatever the GPU count.
#   tests/bench/gpu_scale_bench.sh [NODE_BENCH] [REQUESTS] [G...]
#     defaults: build/tests/bench/node_bench, 200000, 1 2 4 8 16 32 64
#   CALLGRIND=1: the cost is instructions (valgrind --tool=callgrind, machine-independent, ~50x
#   slower: use fewer requests) instead of wall time.
#   HOST_PER_GPU=1: the host grows with the GPUs too (per GPU a quarter of the 4-GPU node's: 4.5
#   cores rounded up, 2 frontend and 4 huffman instances), so that every size stays GPU-bound;
#   otherwise the node's 18 cores and DALI's 16 CPU instances bound the node from about 16 GPUs on,
#   the GPUs' batches shrink and each request takes more events.
# Prints a table and one JSON line ({"bench":"gpu_scale",...}).
set -euo pipefail
shopt -s inherit_errexit
bench="${1:-build/tests/bench/node_bench}"
requests="${2:-200000}"
shift 2 || shift $# || true
sizes=("$@")
((${#sizes[@]})) || sizes=(1 2 4 8 16 32 64)
[[ -x "$bench" ]] || { echo "gpu_scale_bench.sh: no node_bench binary at '$bench'" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

scenario() {  # gpus -> a scenario file on the paper's node with a tree of that many slots
  local g="$1" f="$tmp/scale-$1.yaml" i
  {
    echo "include: $here/../../configs/scenarios/paper-vit-base-gpu.yaml"
    echo "node:"
    echo "  pcie:"
    echo "    topology:"
    echo "      - {name: root, bandwidth: 51GB/s, latency: 1us}"
    for ((i = 0; i < g; ++i)); do
      echo "      - {name: slot$i, parent: root, bandwidth: 25.6GB/s, latency: 5us}"
    done
    printf '    gpu_ports: ['
    for ((i = 0; i < g; ++i)); do printf '%sslot%d' "$([[ $i -gt 0 ]] && echo ', ')" "$i"; done
    echo ']'
    [[ "${HOST_PER_GPU:-0}" != 1 ]] || echo "  cpu: {cores: $(((9 * g + 1) / 2))}"
  } >"$f"
  echo "$f"
}

cost() {  # gpus -> "cost requests events_per_request" (ns or instructions per request)
  local g="$1" f out ir n epr
  f="$(scenario "$g")"
  local run=("$bench" --scenario "$f" --gpus "$g" --concurrency $((256 * g)) --requests "$requests")
  [[ "${HOST_PER_GPU:-0}" != 1 ]] ||
    run+=(--set "pipeline.frontend.instances=$((2 * g))" --set "pipeline.huffman.instances=$((4 * g))")
  if [[ "${CALLGRIND:-0}" == 1 ]]; then
    out="$(valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "${run[@]}" 2>"$tmp/cg.err")"
    ir="$(grep -m1 '^summary:' "$tmp/cg.out" | awk '{ print $2 }')"
  else
    out="$("${run[@]}")"
    ir="$(sed -n 's/.*"wall_s":\([0-9.]*\).*/\1/p' <<<"$out" | awk '{ print 1e9 * $1 }')"
  fi
  n="$(sed -n 's/.*"requests":\([0-9]*\).*/\1/p' <<<"$out")"
  epr="$(sed -n 's/.*"events_per_request":\([0-9.]*\).*/\1/p' <<<"$out")"
  awk -v i="$ir" -v n="$n" -v e="$epr" 'BEGIN { printf "%.1f %d %s\n", i / n, n, e }'
}

unit="ns"
[[ "${CALLGRIND:-0}" == 1 ]] && unit="instr"
declare -A per
for g in "${sizes[@]}"; do per[$g]="$(cost "$g")"; done
base="${per[4]:-${per[${sizes[0]}]}}"
base="${base%% *}"
printf '%6s %12s %16s %10s %15s %14s\n' gpus requests "$unit/request" "vs 4 GPUs" \
  "events/request" "$unit/event"
json=""
for g in "${sizes[@]}"; do
  read -r c n e <<<"${per[$g]}"
  ratio="$(awk -v a="$c" -v b="$base" 'BEGIN { printf "%.2f", a / b }')"
  pe="$(awk -v a="$c" -v b="$e" 'BEGIN { printf "%.1f", a / b }')"
  printf '%6d %12d %16.1f %10s %15s %14s\n' "$g" "$n" "$c" "$ratio" "$e" "$pe"
  json+="${json:+,}{\"gpus\":$g,\"requests\":$n,\"${unit}_per_request\":$c,\"ratio\":$ratio,"
  json+="\"events_per_request\":$e}"
done
printf '{"bench":"gpu_scale","unit":"%s","host_per_gpu":%s,"sizes":[%s]}\n' "$unit" \
  "${HOST_PER_GPU:-0}" "$json"
