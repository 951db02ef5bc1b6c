#!/usr/bin/env bash
# How the Fig 5 finding for GPU preprocessing at high concurrency (does throughput decline from
# 256 to 4,096 clients?) moves with the size of Triton's CUDA memory pool, halved and doubled
# around its 64 MiB default and beyond, under the settings the answer depends on: whether DALI's
# kernels share the GPU with TensorRT's (node.gpus.compute), how many TensorRT instances there are
# (pipeline.infer.instances: the scenario's 2 is an assumption), and what a full pool does
# (node.gpus.memory_policy). Writes sensitivity.csv to build/examples/fig5-concurrency
# (OUT=examples/fig5-concurrency: the committed one).
#
#   SERVESIM=/path/to/servesim examples/fig5-concurrency/sensitivity.sh
#
# "-" as the pool size: no pool modelled (today's model: the tensors are held, never spilled).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" jq awk

concurrencies=(256 4096)
# As run.sh, with 4 replications instead of 8 (the 95% intervals are in the CSV).
run_opts=(--set run.duration=12s --set run.warmup=3s --set run.replications=4)

# compute | infer instances | policy | pool sizes
variants=(
  "exclusive|2|spill|32MiB 64MiB"
  "shared|2|spill|- 32MiB 64MiB 128MiB"
  "shared|1|spill|- 32MiB 64MiB 128MiB 256MiB"
  "shared|1|block|64MiB"
)

{
  printf 'node.gpus.compute,pipeline.infer.instances,node.gpus.memory_policy,'
  printf 'node.gpus.cuda_memory_pool_byte_size,workload.concurrency,Inferences/Second,'
  printf 'Inferences/Second CI95 Low,Inferences/Second CI95 High,vs 256 clients,'
  printf 'GPU Pool Spilled Bytes,infer Compute Input ms,decode Compute Output ms,Bottleneck\n'
} >"$tmp/s.csv"
for entry in "${variants[@]}"; do
  IFS='|' read -r compute instances policy pools <<<"$entry"
  for pool in $pools; do
    sets=(--set "node.gpus.compute=$compute" --set "pipeline.infer.instances=$instances"
          --set "node.gpus.memory_policy=$policy")
    [[ $pool != - ]] && sets+=(--set "node.gpus.cuda_memory_pool_byte_size=$pool")
    base=""
    for c in "${concurrencies[@]}"; do
      "$SERVESIM" run "$root/configs/scenarios/paper-vit-base-gpu.yaml" -q --json "$tmp/p.json" \
        "${run_opts[@]}" --set "workload.concurrency=$c" "${sets[@]}"
      row="$(jq -r '[.throughput_rps, .throughput_ci95[0], .throughput_ci95[1],
          (.gpu_memory.pool.spilled_bytes // 0),
          (.stages[] | select(.name == "infer") | .compute_input_ms),
          (.stages[] | select(.name == "decode") | .compute_output_ms), .bottleneck] | join(",")' \
        "$tmp/p.json")"
      x="${row%%,*}"
      [[ -z $base ]] && base="$x"
      ratio="$(awk -v x="$x" -v b="$base" 'BEGIN { printf "%.4f", x / b }')"
      IFS=, read -r x lo hi rest <<<"$row"
      echo "$compute,$instances,$policy,$pool,$c,$x,$lo,$hi,$ratio,$rest" >>"$tmp/s.csv"
    done
    printf '  %-9s infer x%s %-5s pool %-6s done\n' "$compute" "$instances" "$policy" "$pool" >&2
  done
done
cp "$tmp/s.csv" "$dest/sensitivity.csv"
echo "wrote $dest/sensitivity.csv" >&2
