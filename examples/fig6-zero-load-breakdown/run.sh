#!/usr/bin/env bash
# Fig. 6 of beyond-inference-dac2024: zero-load latency breakdown of ViT-base served by Triton,
# for the paper's small / medium / large images with CPU and GPU preprocessing.
# Usage: bash examples/fig6-zero-load-breakdown/run.sh   (SERVESIM=path/to/servesim to override)
# Writes results.csv and fig6.png to build/examples/fig6-zero-load-breakdown (OUT=DIR: there;
# OUT=examples/fig6-zero-load-breakdown refreshes the committed expected results).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" gnuplot awk

# Zero load: one closed-loop client (perf_analyzer --concurrency-range 1). 2,000 requests per
# replication x 5 replications; the 95% CI of the mean latency is well under 1%.
RUN=(--set workload.concurrency=1 --set run.duration=100000s --set run.requests=2000
     --set run.warmup=1s --set run.replications=5)

# DALI routes images of >= 1 Mpx to nvJPEG's GPU Huffman decoder (no CPU Huffman stage), hence
# the -large variant of the GPU scenario for the large image.
scenario() {  # preprocessing images
  case "$1:$2" in
    cpu:*)     echo configs/scenarios/paper-vit-base-cpu.yaml ;;
    gpu:large) echo configs/scenarios/paper-vit-base-gpu-large.yaml ;;
    gpu:*)     echo configs/scenarios/paper-vit-base-gpu.yaml ;;
  esac
}

# The inference stage's own compute time (without its tensor copies), from the JSON.
infer_compute_us() {
  awk '/"name": "infer"/ {s = 1} s && /"compute_infer_ms":/ {gsub(/[ ,]/, "", $2); print $2 * 1000; exit}' "$1"
}
# The mean latency in us from the JSON (6 significant digits): the CSV's Avg latency is whole us,
# as perf_analyzer writes it, too coarse for the shares below.
mean_latency_us() {
  awk '/"latency_ms":/ {s = 1} s && /"mean":/ {gsub(/[ ,]/, "", $2); print $2 * 1000; exit}' "$1"
}

n=0
for images in small medium large; do
  for prep in cpu gpu; do
    n=$((n + 1))
    scen="$(scenario "$prep" "$images")"
    (cd "$root" && "$SERVESIM" run "$scen" --set "workload.images=$images" "${RUN[@]}" \
        --csv "$tmp/$n.csv" --json "$tmp/$n.json" -q)
    inf="$(infer_compute_us "$tmp/$n.json")"
    lat="$(mean_latency_us "$tmp/$n.json")"
    # Point file: swept keys, then servesim's CSV row, then the breakdown derived from it (us).
    awk -F, -v OFS=, -v prep="$prep" -v scen="$scen" -v images="$images" -v inf="$inf" -v lat="$lat" '
      NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i
                print "preprocessing,scenario,workload.images,workload.concurrency", $0,
                      "latency_us,preprocess_us,inference_us,frontend_us,other_us,preprocess_share,inference_share,other_share"
                next }
      { pre = 0
        split("huffman decode resize", st, " ")
        for (k = 1; k <= 3; k++) {
          if ((st[k] " Queue") in h)   pre += $(h[st[k] " Queue"])
          if ((st[k] " Service") in h) pre += $(h[st[k] " Service"])
        }
        fe = $(h["frontend Queue"]) + $(h["frontend Service"])
        other = lat - pre - inf
        printf "%s,%s,%s,1,%s,%.2f,%.2f,%.2f,%.2f,%.2f,%.4f,%.4f,%.4f\n", prep, scen, images, $0,
               lat, pre, inf, fe, other, pre / lat, inf / lat, other / lat }' "$tmp/$n.csv" > "$tmp/point$n.csv"
  done
done

# One table: the union of the points' columns (the GPU pipeline has a huffman stage, the CPU one
# does not), in first-seen order, empty where a point lacks the column.
awk -F, '
  FNR == 1 { f++; for (i = 1; i <= NF; i++) { name[f, i] = $i; if (!($i in seen)) { seen[$i] = 1; cols[++nc] = $i } }
             nf[f] = NF; next }
  { for (i = 1; i <= NF; i++) val[f, name[f, i]] = $i; rows = f }
  END { for (c = 1; c <= nc; c++) printf "%s%s", cols[c], (c < nc ? "," : "\n")
        for (r = 1; r <= rows; r++)
          for (c = 1; c <= nc; c++) printf "%s%s", ((r, cols[c]) in val ? val[r, cols[c]] : ""), (c < nc ? "," : "\n") }
' $(for i in $(seq 1 "$n"); do echo "$tmp/point$i.csv"; done) > "$dest/results.csv"
echo "wrote $dest/results.csv"

command -v gnuplot >/dev/null || { echo "run.sh: gnuplot not found (apt-get install gnuplot-nox); no plot" >&2; exit 1; }
(cd "$dest" && gnuplot "$here/fig6.gp")
echo "wrote $dest/fig6.png"
