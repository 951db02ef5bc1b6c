# Fig. 7: throughput of end-to-end vs preprocessing-only vs inference-only (servesim).
# Reads results.csv (one row per point), writes fig7.png.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 1100,520 font "sans,10"
} else {
  set terminal png size 1100,520
}
set output "fig7.png"
set datafile separator ","
set datafile columnheaders
set title "GPU (DALI) preprocessing, i9-13900K + RTX 4090, closed loop at concurrency 512 — servesim prediction"
set ylabel "throughput (img/s)"
set logscale y
set yrange [50:150000]
set bmargin 4
set xrange [-1:23]
set grid ytics
set key top center horizontal
set style fill solid 0.85 border -1
set boxwidth 0.9
set xtics ("ViT-base\nmedium" 1, "ViT-base\nlarge" 5, "ResNet-50\nmedium" 9, "ResNet-50\nlarge" 13, \
           "TinyViT\nmedium" 17, "TinyViT\nlarge" 21) nomirror
# Group g = 2 * model + image; bars at 4g (end-to-end), 4g+1 (preprocessing), 4g+2 (inference).
mi(m) = (m eq "vit_base" ? 0 : (m eq "resnet50" ? 1 : 2))
gx(m, im) = 4 * (2 * mi(m) + (im eq "large" ? 1 : 0))
thr = "Inferences/Second"
lab(y) = sprintf("%.0f", y)
plot "results.csv" using (strcol("mode") eq "end-to-end" ? gx(strcol("model"), strcol("workload.images")) : NaN):(column(thr)) \
        with boxes lc rgb "#1f78b4" title "end-to-end", \
     for [m in "vit_base resnet50 tinyvit"] "results.csv" \
        using (strcol("mode") eq "preprocess-only" ? gx(m, strcol("workload.images")) + 1 : NaN):(column(thr)) \
        with boxes lc rgb "#d95f02" title (m eq "vit_base" ? "preprocessing only" : ""), \
     for [im in "medium large"] "results.csv" \
        using (strcol("mode") eq "inference-only" ? gx(strcol("model"), im) + 2 : NaN):(column(thr)) \
        with boxes lc rgb "#1b9e77" title (im eq "medium" ? "inference only (fp32 tensor input)" : ""), \
     "results.csv" using (strcol("mode") eq "end-to-end" ? gx(strcol("model"), strcol("workload.images")) : NaN):(column(thr) * 1.25):(lab(column(thr))) \
        with labels font ",8" notitle, \
     for [m in "vit_base resnet50 tinyvit"] "results.csv" \
        using (strcol("mode") eq "preprocess-only" ? gx(m, strcol("workload.images")) + 1 : NaN):(column(thr) * 1.25):(lab(column(thr))) \
        with labels font ",8" notitle, \
     for [im in "medium large"] "results.csv" \
        using (strcol("mode") eq "inference-only" ? gx(strcol("model"), im) + 2 : NaN):(column(thr) * 1.25):(lab(column(thr))) \
        with labels font ",8" notitle
