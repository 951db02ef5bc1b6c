#!/usr/bin/env bash
# ResNet-50 and ViT-B/16 on this machine's CPU in the inference frameworks servesim was built with
# (libtorch, OpenCV DNN) and in calib's own Eigen encoder block: time, images/s and peak memory by
# batch, and the time to build a network and run its first pass (`servesim calib bench infer`).
# A measurement, not a simulation: the committed files are one run on the machine machine.yaml
# names; another machine gives other numbers.
# Writes summary.csv (a row per framework, model, batch and thread count), load.csv, memory.csv,
# tables.txt (what each bench printed), samples.csv and machine.yaml (one thread: what
# configs/curves/epyc-2vcpu-frameworks.yaml is fitted from) and frameworks-cpu.png to
# build/examples/frameworks-cpu (OUT=DIR: there; OUT=examples/frameworks-cpu refreshes the
# committed results).
#
#   SERVESIM=/path/to/servesim examples/frameworks-cpu/run.sh
#   PLOT_ONLY=1 examples/frameworks-cpu/run.sh      # redraw the plot from summary.csv
#
# Needs a servesim configured with libtorch (Debian libtorch-dev; libopenblas0-pthread for its
# matrix products, see README.md) and OpenCV DNN (libopencv-dnn-dev), and gnuplot. About 17
# minutes on 2 cores.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/../lib.sh" gnuplot

# Batches 1 .. 128 on one thread, then on two; calib's Eigen block (one thread, about 0.8 s per
# ViT-B image here) to 32.
if [[ -z ${PLOT_ONLY:-} ]]; then
  # Each bench's table (with the cores other processes used meanwhile) goes to tables.txt.
  "$SERVESIM" calib bench infer --out "$tmp/t1" --frameworks libtorch,opencv_dnn --repeats 2 \
    >"$dest/tables.txt"
  "$SERVESIM" calib bench infer --out "$tmp/eigen" --frameworks eigen --batches 1,2,4,8,16,32 \
    --repeats 2 >>"$dest/tables.txt"
  "$SERVESIM" calib bench infer --out "$tmp/t2" --frameworks libtorch,opencv_dnn --repeats 2 \
    --threads 2 >>"$dest/tables.txt"
  merge() {  # the first file whole, the others without their header
    cat "$1"
    shift
    for f in "$@"; do tail -n +2 "$f"; done
  }
  merge "$tmp"/{t1,eigen,t2}/infer_summary.csv >"$dest/summary.csv"
  merge "$tmp"/{t1,eigen,t2}/infer_load.csv >"$dest/load.csv"
  merge "$tmp"/{t1,eigen,t2}/infer_memory.csv >"$dest/memory.csv"
  merge "$tmp"/{t1,eigen}/samples.csv >"$dest/samples.csv"
  cp "$tmp/t1/machine.yaml" "$dest/machine.yaml"
fi

# framework,model,batch,threads,passes,median_s,images_per_s,gflops_per_s,peak_bytes
series="resnet50/opencv_dnn/1 resnet50/opencv_dnn/2 resnet50/libtorch/1 resnet50/libtorch/2"
series="$series vit_b16/libtorch/1 vit_b16/libtorch/2 vit_b16/eigen/1"
gnuplot <<GP
set terminal pngcairo size 900,760 font "sans,10"
set output "$dest/frameworks-cpu.png"
set datafile separator ","
set termoption noenhanced
set multiplot layout 2,1
set grid
set key outside right
set logscale x 2
set xlabel "batch size"
set ylabel "images/s"
set logscale y
set title "ResNet-50 and ViT-B/16 on the CPU, by framework and threads (model/framework/threads)"
plot for [s in "$series"] "$dest/summary.csv" \
  using (strcol(2)."/".strcol(1)."/".strcol(4) eq s ? \$3 : 1/0):7 with linespoints lw 2 title s
set title "memory one pass needs beyond the weights"
set ylabel "peak MiB"
plot for [s in "$series"] "$dest/summary.csv" \
  using (strcol(2)."/".strcol(1)."/".strcol(4) eq s ? \$3 : 1/0):(\$9 / 1048576) \
  with linespoints lw 2 title s
unset multiplot
GP
echo "wrote $dest/summary.csv, load.csv, memory.csv, tables.txt, samples.csv, machine.yaml" \
  "and frameworks-cpu.png" >&2
