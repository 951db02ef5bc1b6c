#!/usr/bin/env bash
# Fig. 7 of beyond-inference-dac2024: throughput of the end-to-end server vs preprocessing alone vs
# inference alone, for ViT-base, ResNet-50 and TinyViT on medium and large images, GPU (DALI)
# preprocessing, closed loop at concurrency 512 (perf_analyzer --concurrency-range 512).
# Usage: bash examples/fig7-stage-throughput/run.sh   (SERVESIM=path/to/servesim to override)
# Writes results.csv and fig7.png to build/examples/fig7-stage-throughput (OUT=DIR: there;
# OUT=examples/fig7-stage-throughput refreshes the committed expected results).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" gnuplot awk

CONC=512
# Large images run at ~120 img/s, so 512 clients wait ~4.4 s per round trip: a longer warm-up.
run_for() {  # images -> run settings
  if [ "$1" = large ]; then echo "--set run.duration=70s --set run.warmup=10s --set run.replications=5"
  else echo "--set run.duration=6s --set run.warmup=2s --set run.replications=5"; fi
}

n=0
point() {  # mode scenario model images [servesim args...]
  local mode="$1" scen="$2" model="$3" images="$4"; shift 4
  n=$((n + 1))
  # shellcheck disable=SC2046
  (cd "$root" && "$SERVESIM" run "$scen" --set "workload.concurrency=$CONC" $(run_for "$images") "$@" \
      --csv "$tmp/$n.csv" -q)
  local curve=""; [ "$model" = - ] || curve="${model}_trt"
  awk -F, -v OFS=, -v a="$mode,$scen,$model,$curve,$images,$CONC" '
    NR == 1 { print "mode,scenario,model,pipeline.infer.service.curve,workload.images,workload.concurrency", $0; next }
    { print a, $0 }' "$tmp/$n.csv" > "$tmp/point$n.csv"
}

S=configs/scenarios
for model in vit_base resnet50 tinyvit; do
  for images in medium large; do
    scen="$S/fig7-end-to-end.yaml"; [ "$images" = large ] && scen="$S/fig7-end-to-end-large.yaml"
    point end-to-end "$scen" "$model" "$images" --set "workload.images=$images" \
      --set "pipeline.infer.service.curve=${model}_trt" --set "pipeline.resize.output.input_of=$model" \
      --set "pipeline.infer.output.output_of=$model"
  done
  # The client sends the preprocessed fp32 tensor: independent of the JPEG's size.
  point inference-only "$S/fig7-inference-only.yaml" "$model" tensor_fp32 \
    --set "pipeline.infer.service.curve=${model}_trt" --set "pipeline.infer.output.output_of=$model"
done
# Preprocessing alone does not depend on the model.
point preprocess-only "$S/fig7-preprocess-only.yaml" - medium --set workload.images=medium
point preprocess-only "$S/fig7-preprocess-only-large.yaml" - large --set workload.images=large

# One table: the union of the points' columns in first-seen order, empty where a point lacks one.
awk -F, '
  FNR == 1 { f++; for (i = 1; i <= NF; i++) { name[f, i] = $i; if (!($i in seen)) { seen[$i] = 1; cols[++nc] = $i } }
             next }
  { for (i = 1; i <= NF; i++) val[f, name[f, i]] = $i; rows = f }
  END { for (c = 1; c <= nc; c++) printf "%s%s", cols[c], (c < nc ? "," : "\n")
        for (r = 1; r <= rows; r++)
          for (c = 1; c <= nc; c++) printf "%s%s", ((r, cols[c]) in val ? val[r, cols[c]] : ""), (c < nc ? "," : "\n") }
' $(for i in $(seq 1 "$n"); do echo "$tmp/point$i.csv"; done) > "$dest/results.csv"
echo "wrote $dest/results.csv"

# Summary: throughput (img/s) and the bottleneck servesim names.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; printf "%-16s %-9s %-12s %12s  %s\n", "mode", "model", "images", "img/s", "bottleneck"; next }
  { printf "%-16s %-9s %-12s %12.1f  %s\n", $(h["mode"]), $(h["model"]), $(h["workload.images"]), $(h["Inferences/Second"]), $(h["Bottleneck"]) }' "$dest/results.csv"

command -v gnuplot >/dev/null || { echo "run.sh: gnuplot not found (apt-get install gnuplot-nox); no plot" >&2; exit 1; }
(cd "$dest" && gnuplot "$here/fig7.gp")
echo "wrote $dest/fig7.png"
