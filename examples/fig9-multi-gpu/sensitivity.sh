#!/usr/bin/env bash
# How the Fig 9 finding for large images with GPU preprocessing (the speedup at 2, 4 and 8 GPUs)
# moves when each uncertain host-side input is halved or doubled. Writes sensitivity.csv to
# build/examples/fig9-multi-gpu (OUT=examples/fig9-multi-gpu: the committed one).
#
#   SERVESIM=/path/to/servesim examples/fig9-multi-gpu/sensitivity.sh
#
# Inputs (configs/hardware/i9-13900k-rtx4090.yaml, configs/curves/i9-13900k-cpu.yaml,
# docs/sources.md): the DMI link's effective bandwidth (derived: theoretical x 0.81), the x4
# links' (derived by lane count), the x8 rate of a bifurcated CPU slot (derived by lane count),
# host memory bandwidth (theoretical x 0.78, an assumption), and the per-byte CPU cost of the
# frontend and of perf_analyzer (measured on another CPU, carried by a per-core ratio).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" awk

gpu_counts=(1 2 4 8)
run_opts=(--set run.duration=60s --set run.warmup=10s --set run.replications=6)
x4_links=(cpu_x4 cpu_m2 chipset_slot chipset_m2a chipset_m2b chipset_m2c chipset_m2d)

# input | base value | unit | the --set keys it sets (space-separated)
inputs=(
  "dmi bandwidth|12.8|GB/s|node.pcie.topology.dmi.bandwidth"
  "x4 link bandwidth|6.4|GB/s|$(printf 'node.pcie.topology.%s.bandwidth ' "${x4_links[@]}")"
  "x8 bifurcated slot bandwidth|12.8|GB/s|node.pcie.topology.slot1.bifurcation.bandwidth node.pcie.topology.slot2.bandwidth"
  "host memory bandwidth|70|GB/s|node.memory.bandwidth"
  "frontend per-byte cost|0.08093|ns|curves.triton_frontend.coef.b"
  "perf_analyzer per-byte cost|0.09867|ns|curves.perf_analyzer_request.coef.b"
)

declare -A base_result=()
echo "input,factor,value,node.gpus.count,Inferences/Second,Speedup vs 1 GPU,Bottleneck" >"$tmp/s.csv"
for entry in "${inputs[@]}"; do
  IFS='|' read -r name base unit keys <<<"$entry"
  for factor in 0.5 1 2; do
    value="$(awk -v b="$base" -v f="$factor" 'BEGIN { printf "%.6g", b * f }')"
    sets=()
    for k in $keys; do sets+=(--set "$k=$value$unit"); done
    one=""
    for g in "${gpu_counts[@]}"; do
      # Every input at x1 is the same run (the base values): run it once per GPU count.
      if [[ $factor == 1 && -n ${base_result[$g]-} ]]; then
        read -r x bottleneck <<<"${base_result[$g]}"
      else
        "$SERVESIM" run "$root/configs/scenarios/paper-vit-base-gpu-large.yaml" -q --csv "$tmp/p.csv" \
          "${run_opts[@]}" --set "node.gpus.count=$g" --set "workload.concurrency=$((256 * g))" \
          "${sets[@]}"
        read -r x bottleneck < <(awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) c[$i] = i }
          NR == 2 { print $c["Inferences/Second"], $c["Bottleneck"] }' "$tmp/p.csv")
        [[ $factor == 1 ]] && base_result[$g]="$x $bottleneck"
      fi
      [[ $g -eq 1 ]] && one="$x"
      speedup="$(awk -v x="$x" -v o="$one" 'BEGIN { printf "%.3f", x / o }')"
      echo "$name,$factor,$value$unit,$g,$x,$speedup,$bottleneck" >>"$tmp/s.csv"
    done
    printf '  %-30s x%-4s done\n' "$name" "$factor" >&2
  done
done
cp "$tmp/s.csv" "$dest/sensitivity.csv"
echo "wrote $dest/sensitivity.csv" >&2
