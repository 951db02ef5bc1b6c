#!/usr/bin/env bash
# Fig 11 of beyond-inference-dac2024: the face pipeline (Faster R-CNN detection, then FaceNet on
# each face) with Kafka, Redis or no broker (fused) between the two DNNs, against the number of
# faces per frame: throughput under load and the zero-load latency breakdown. Writes results.csv
# and fig11.png to build/examples/fig11-brokers (OUT=DIR: there; OUT=examples/fig11-brokers
# refreshes the committed expected results).
#
#   SERVESIM=/path/to/servesim examples/fig11-brokers/run.sh
#
# SERVESIM defaults to build/servesim under the repository root. Needs jq and gnuplot.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" jq gnuplot

faces=(1 2 4 6 9 12 16 20 25)
loaded_concurrency=64 # the scenarios' own: every point below is saturated
# Each point runs twice with the scenario's own run settings (3 replications of 12 s, the first
# 2 s discarded): at 64 clients for throughput, and with one client for the zero-load latency.

# The DNN processes' side of each Redis message, measured on the 2-vCPU EPYC VM by validate
# --broker's calibration (quiet, 2026-12-06: the client thread's CPU per LPUSH 27.05 us +
# 0.2388 ns/B; per RPOP 27.8 us at 1 KiB and 70.9 us at 76,808 B, a line through them) and
# carried to the i9's P-core by the per-core ratio 2.25 (docs/sources.md A11); the producer
# waits its replies, as a hiredis or redis-py caller does.
redis_sync='pipeline.detect.fanout.broker.client={produce: {a: 12.0us, b: 0.106ns}, consume: {a: 12.1us, b: 0.252ns}, wait_replies: yes, source: "validate --broker calibration on the 2-vCPU EPYC VM, 2026-12-06, over 2.25 (A11)"}'

# series | scenario | extra --set (- = none)
series=(
  "kafka|face-pipeline-kafka.yaml|-"
  "redis|face-pipeline-redis.yaml|-"
  "fused|face-pipeline-fused.yaml|-"
  "kafka-fsync|face-pipeline-kafka.yaml|pipeline.detect.fanout.broker.disk.sync=fsync"
  "redis-sync|face-pipeline-redis.yaml|$redis_sync"
)

# One row per point from its two JSON reports: throughput at load, and the zero-load latency split
# into preprocessing (front end, decode, resize), detection, the broker (the mean face's time in
# it: servesim reports the broker as a stage, per child), and the rest (identification and the
# wait for the frame's last face), which adds up to the latency.
row='
  def r4: . * 1e4 | round / 1e4;
  def ms($s; $n): [$s.stages[] | select(.name == $n) | .queue_ms + .service_ms] | add // 0;
  def batch($s; $n): [$s.stages[] | select(.name == $n) | .batch_size.mean // empty] | first // "";
  $load[0] as $l | $zero[0] as $z |
  (ms($z; "frontend") + ms($z; "decode") + ms($z; "resize")) as $pre |
  ms($z; "detect") as $det | ms($z; $broker) as $brk |
  [$series, $scenario, $k, $l.throughput_rps, $l.throughput_ci95[0], $l.throughput_ci95[1],
   ($l.throughput_rps * $k | r4), $l.latency_ms.mean, $l.bottleneck,
   batch($l; "detect"), batch($l; "identify"),
   $z.latency_ms.mean, ($pre | r4), ($det | r4), ($brk | r4),
   ($z.latency_ms.mean - $pre - $det - $brk | r4), ($brk / $z.latency_ms.mean | r4)] | @csv'

{
  printf '%s\n' "series,scenario,faces per frame,Frames/Second,Frames/Second CI95 low,Frames/Second CI95 high,Faces/Second,Latency Mean ms,Bottleneck,Detect Batch Mean,Identify Batch Mean,Zero-load Latency ms,Zero-load Preprocess ms,Zero-load Detect ms,Zero-load Broker ms,Zero-load Identify and Join ms,Zero-load Broker Share"
  n=0
  start=$SECONDS
  for s in "${series[@]}"; do
    IFS='|' read -r name scenario set <<<"$s"
    extra=()
    [[ $set != - ]] && extra+=(--set "$set")
    broker="${name%%-*}" # the broker stage's name in the report (fused: none)
    for k in "${faces[@]}"; do
      n=$((n + 1))
      cfg=("$root/configs/scenarios/$scenario" -q --set "pipeline.detect.fanout.count=$k"
           ${extra[@]+"${extra[@]}"})
      "$SERVESIM" run "${cfg[@]}" --json "$tmp/load.json" --set "workload.concurrency=$loaded_concurrency"
      "$SERVESIM" run "${cfg[@]}" --json "$tmp/zero.json" --set workload.concurrency=1
      jq -nr --slurpfile load "$tmp/load.json" --slurpfile zero "$tmp/zero.json" \
        --arg series "$name" --arg scenario "$scenario" --argjson k "$k" --arg broker "$broker" "$row"
      printf '  %-12s %2d faces\n' "$name" "$k" >&2
    done
  done
} >"$tmp/results.csv"
mv "$tmp/results.csv" "$dest/results.csv"

gnuplot -e "datafile='$dest/results.csv'; outfile='$dest/fig11.png'" "$here/fig11.gp"
echo "wrote $dest/results.csv and $dest/fig11.png ($n points, $((SECONDS - start)) s)" >&2
