#!/usr/bin/env bash
# A 2x step in traffic on a cluster sized for the base load, with an autoscaler, for inference
# frameworks that load the model fast and slow: p99 and nodes serving over time. The node is the
# paper's (i9-13900K + RTX 4090, ViT-base, medium images, GPU preprocessing, perf_analyzer on the
# host); the load times are Table 3 of Pochelu and Castro-Lopez, "Mastering Computer Vision
# Inference Frameworks", ICPE '24 Companion, doi:10.1145/3629527.3651430 (machine A, GPU).
# Writes results.csv (a row per framework and 5 s window) and autoscale.png to
# build/examples/autoscale-step (OUT=DIR: there; OUT=examples/autoscale-step refreshes the
# committed expected results).
#
#   SERVESIM=/path/to/servesim examples/autoscale-step/run.sh
#
# SERVESIM defaults to build/servesim under the repository root. Needs jq and gnuplot.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" jq gnuplot

# 3,000 requests/s for 2 minutes, then 6,000/s: two nodes serve the first (each about 90% busy),
# not the second (each serves about 2,590/s).
workload='{mode: open, rate: 3000/s, images: medium, schedule: {at: [0s, 120s], factor: [1, 2]},
  client: {host: node, cost: {curve: perf_analyzer_request}, threads: 256}}'
# Kubernetes' horizontal pod autoscaler with its defaults (15 s, tolerance 0.1, 5 min
# stabilization) and an 85% target; boot_time 0: the nodes are up, only the model server starts
# (a what-if that isolates the framework's load time; a VM's boot would add to every series).
# No load_time: a new node waits for the load_time of the framework the inference stage names.
# $1 the metric's keys: the 85% utilisation target, or (the what-if series) 15 requests inside a
# node, 1.5x the ~10 a node holds at its base 1,500/s (docs/model.md, "Autoscaling").
autoscale() {
  printf '{nodes: 2, balancer: {policy: least_outstanding}, autoscale: {min_nodes: 2, max_nodes: 8, %s, boot_time: 0s}}' "$1"
}
run_opts=(--set run.duration=300s --set run.warmup=60s --set run.replications=2
  --set run.interval=5s)

# series, the framework of configs/models/vit-base.yaml (its load_time: ICPE 2024, Table 3,
# machine A, GPU), metric. ONNX-RT and TensorFlow XLA have no curve there (the study plots their
# throughput, it does not tabulate it), so the stage keeps TensorRT's: every series serves at the
# same speed and differs only in its load time.
frameworks=("TensorRT tensorrt utilization" "ONNX-RT onnxruntime_gpu utilization"
  "TensorFlow-XLA tensorflow_xla utilization" "TensorRT-concurrency tensorrt concurrency")

echo "framework,load_time,start_s,offered_rps,throughput_rps,p99_ms,in_system_mean,nodes_serving" \
  >"$dest/results.csv"
for f in "${frameworks[@]}"; do
  read -r name framework metric <<<"$f"
  keys="target_utilization: 0.85"
  [[ $metric == concurrency ]] && keys="metric: concurrency, target_concurrency: 15"
  "$SERVESIM" run "$root/configs/scenarios/paper-vit-base-gpu.yaml" -q --json "$tmp/r.json" \
    "${run_opts[@]}" --set "workload=$workload" --set "cluster=$(autoscale "$keys")" \
    --set pipeline.infer.model=vit_base --set "pipeline.infer.framework=$framework"
  load=$(jq -r '.config.cluster.autoscale.load_time | rtrimstr("ms") | tonumber / 1000 |
    tostring + "s"' "$tmp/r.json")
  jq -r --arg f "$name" --arg l "$load" '.timeseries as $t | range(0; $t.start_s | length) |
    [$f, $l, $t.start_s[.], $t.offered_rps[.], $t.throughput_rps[.], $t.p99_ms[.],
     $t.in_system_mean[.], $t.nodes_serving[.]] | map(tostring) | join(",")' "$tmp/r.json" \
    >>"$dest/results.csv"
  printf '  %-15s load %-6s node-hours %s\n' "$name" "$load" \
    "$(jq -r '.nodes.node_hours' "$tmp/r.json")" >&2
done

gnuplot <<GP
set terminal pngcairo size 900,700 font "sans,10"
set output "$dest/autoscale.png"
set datafile separator ","
set multiplot layout 2,1
set grid
set key top left
set xlabel "s since the start of the run (load doubles at 120 s)"
set ylabel "p99 latency (ms)"
set logscale y
set arrow from graph 0, first 100 to graph 1, first 100 nohead dt 2 lc rgb "#888888"
plot for [f in "TensorRT ONNX-RT TensorFlow-XLA TensorRT-concurrency"] "$dest/results.csv" \
  using (strcol(1) eq f ? \$3 : 1/0):6 with steps lw 2 title f
unset logscale y
unset arrow
set ylabel "nodes serving"
set yrange [0:*]
plot for [f in "TensorRT ONNX-RT TensorFlow-XLA TensorRT-concurrency"] "$dest/results.csv" \
  using (strcol(1) eq f ? \$3 : 1/0):8 with steps lw 2 title f
unset multiplot
GP
echo "wrote $dest/results.csv and autoscale.png" >&2
