# Fig. 6: zero-load latency breakdown of ViT-base (servesim). Reads results.csv, writes fig6.png.
if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
  set terminal pngcairo size 1250,520 font "sans,10"
} else {
  set terminal png size 1250,520
}
set output "fig6.png"
# The paper's preprocessing shares (section 4.2 text on Fig. 6): x = bar index in panel (c).
$paper << EOD
bar,share
2,56
3,49
4,97
5,88
EOD
set datafile separator ","
set datafile columnheaders
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.7
set grid ytics
set key top left reverse Left samplen 2
pre(c) = column("preprocess_us") / 1000.0
inf(c) = column("inference_us") / 1000.0
oth(c) = column("other_us") / 1000.0
lbl(c) = sprintf("%s %s", strcol("workload.images"), strcol("preprocessing") eq "cpu" ? "CPU" : "GPU")

set multiplot layout 1,3 title "ViT-base on i9-13900K + RTX 4090 at zero load (concurrency 1), servesim prediction"
# (a) small and medium images, latency in ms
set title "(a) small and medium images"
set ylabel "mean latency (ms)"
set xtics rotate by -30
set yrange [0:5.5]
plot "results.csv" every ::0::3 using (pre(0)):xtic(lbl(0)) title "preprocessing (huffman, decode, resize + copies)" lc rgb "#d95f02", \
     "" every ::0::3 using (inf(0)) title "inference (TensorRT compute)" lc rgb "#1b9e77", \
     "" every ::0::3 using (oth(0)) title "other (frontend, batcher wait, tensor copies)" lc rgb "#7570b3"
# (b) large images
set title "(b) large image"
set yrange [0:*]
unset ylabel
plot "results.csv" every ::4::5 using (pre(0)):xtic(lbl(0)) notitle lc rgb "#d95f02", \
     "" every ::4::5 using (inf(0)) notitle lc rgb "#1b9e77", \
     "" every ::4::5 using (oth(0)) notitle lc rgb "#7570b3"
# (c) shares
set title "(c) share of latency (%)"
set key top left reverse Left samplen 1
set yrange [0:112]
set ytics 0,20,100
set ylabel "% of mean latency"
plot "results.csv" using (100*column("preprocess_share")):xtic(lbl(0)) notitle lc rgb "#d95f02", \
     "" using (100*column("inference_share")) notitle lc rgb "#1b9e77", \
     "" using (100*column("other_share")) notitle lc rgb "#7570b3", \
     "" using ($0):(100*column("preprocess_share") / 2):(sprintf("%.0f%%", 100*column("preprocess_share"))) with labels center font ",9" notitle, \
     $paper using 1:2 with points pt 7 ps 1.3 lc rgb "black" title "paper: preprocessing share"
unset multiplot
