#!/usr/bin/env bash
# Fig 9 of beyond-inference-dac2024: throughput against the number of GPUs on a single-CPU node
# (the paper's i9-13900K node with node.gpus.count raised), medium and large images, CPU and GPU
# preprocessing, and inference only. Writes results.csv, band.csv and fig9.png to
# build/examples/fig9-multi-gpu (OUT=DIR: there; OUT=examples/fig9-multi-gpu refreshes the
# committed expected results).
#
#   SERVESIM=/path/to/servesim examples/fig9-multi-gpu/run.sh
#
# SERVESIM defaults to build/servesim under the repository root. Needs jq and gnuplot.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" jq gnuplot awk

gpu_counts=(1 2 4 8)
per_gpu_concurrency=256 # 256 clients per GPU: every point below is saturated
# Large images move in batches of 64 that take ~0.5 s on one GPU, so a window needs tens of
# seconds for the batch granularity to stay below ~2%; 60 s with 10 s of warm-up, 6 replications.
run_opts=(--set run.duration=60s --set run.warmup=10s --set run.replications=6)
# The input-uncertainty band (band.csv, the shaded areas of fig9.png): each point again with
# --uncertainty 10, each draw scaling the banded GPU curves (configs/curves/rtx4090.yaml) within
# their bands; short single runs, as the band (a factor of 2-10) is far wider than the batch
# granularity and the replications' spread (~1-2%).
band_draws=10
band_opts=(--set run.duration=10s --set run.warmup=3s --set run.replications=1)
band_cols='Inferences/Second p5 over draws,Inferences/Second p50 over draws,Inferences/Second p95 over draws'
printf 'series,node.gpus.count,%s\n' "$band_cols" >"$tmp/band.csv"

# series | scenario | workload.images (- = the scenario's own)
series=(
  "medium-cpu|paper-vit-base-cpu.yaml|medium"
  "medium-gpu|paper-vit-base-gpu.yaml|medium"
  "large-cpu|paper-vit-base-cpu.yaml|large"
  "large-gpu|paper-vit-base-gpu-large.yaml|large"
  "inference-only|fig9-inference-only.yaml|-"
)

n=0
start=$SECONDS
for s in "${series[@]}"; do
  IFS='|' read -r name scenario images <<<"$s"
  for g in "${gpu_counts[@]}"; do
    conc=$((per_gpu_concurrency * g))
    extra=()
    [[ $images != - ]] && extra+=(--set "workload.images=$images")
    n=$((n + 1))
    csv="$tmp/p.csv"
    json="$tmp/p.json"
    out="$(printf '%s/point-%03d.csv' "$tmp" "$n")"
    "$SERVESIM" run "$root/configs/scenarios/$scenario" -q --csv "$csv" --json "$json" \
      "${run_opts[@]}" --set "node.gpus.count=$g" --set "workload.concurrency=$conc" \
      ${extra[@]+"${extra[@]}"}
    [[ $(wc -l <"$csv") -eq 2 ]] || { echo "run.sh: expected one CSV row from servesim" >&2; exit 1; }
    # Mean utilisation of the GPUs' compute engines, from the JSON's resources.
    gpu_util="$(jq -r '[.resources[] | select(.name | test("^gpu[0-9]+\\.compute$")) | .utilization] | add / length' "$json")"
    {
      printf 'series,scenario,workload.images,node.gpus.count,workload.concurrency,GPU Compute Utilization Mean,%s\n' \
        "$(head -n1 "$csv")"
      printf '%s,%s,%s,%s,%s,%s,%s\n' "$name" "$scenario" "$images" "$g" "$conc" "$gpu_util" \
        "$(tail -n1 "$csv")"
    } >"$out"
    "$SERVESIM" run "$root/configs/scenarios/$scenario" -q --csv "$tmp/b.csv" "${band_opts[@]}" \
      --uncertainty "$band_draws" --set "node.gpus.count=$g" --set "workload.concurrency=$conc" \
      ${extra[@]+"${extra[@]}"}
    awk -F, -v OFS=, -v want="$band_cols" -v lead="$name,$g" '
      NR == 1 { for (i = 1; i <= NF; ++i) at[$i] = i; next }
      { n = split(want, w, ","); line = lead
        for (k = 1; k <= n; ++k) line = line OFS $(at[w[k]])
        print line }' "$tmp/b.csv" >>"$tmp/band.csv"
    printf '  %-15s %d GPU(s)\n' "$name" "$g" >&2
  done
done

# One header (the union of every point's columns, in order of first appearance; gpuN columns
# appear as GPUs are added), one row per point, plus the speedup over the series' 1-GPU point.
awk -F, -v OFS=, '
  FNR == 1 { for (i = 1; i <= NF; ++i) { h[FILENAME, i] = $i
               if (!($i in col)) { col[$i] = ++ncol; name[ncol] = $i } }
             files[++nfiles] = FILENAME; next }
  FNR == 2 { for (i = 1; i <= NF; ++i) v[FILENAME, h[FILENAME, i]] = $i
             if (v[FILENAME, "node.gpus.count"] == 1) base[v[FILENAME, "series"]] = v[FILENAME, "Inferences/Second"] }
  END {
    line = ""; for (c = 1; c <= ncol; ++c) line = line name[c] OFS
    print line "Speedup vs 1 GPU"
    for (f = 1; f <= nfiles; ++f) {
      line = ""
      for (c = 1; c <= ncol; ++c) line = line ((files[f], name[c]) in v ? v[files[f], name[c]] : "") OFS
      b = base[v[files[f], "series"]]
      print line (b > 0 ? sprintf("%.3f", v[files[f], "Inferences/Second"] / b) : "")
    }
  }' "$tmp"/point-*.csv >"$dest/results.csv"

cp "$tmp/band.csv" "$dest/band.csv"
gnuplot -e "datafile='$dest/results.csv'; bandfile='$dest/band.csv'; outfile='$dest/fig9.png'" \
  "$here/fig9.gp"
echo "wrote $dest/results.csv, $dest/band.csv and $dest/fig9.png ($n points, $((SECONDS - start)) s)" >&2
