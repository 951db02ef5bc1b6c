# Fig 9 as servesim predicts it: throughput against GPU count, and the same as speedup over one GPU.
# gnuplot -e "datafile='results.csv'; outfile='fig9.png'" fig9.gp
if (!exists("datafile")) datafile = 'results.csv'
if (!exists("outfile")) outfile = 'fig9.png'
if (!exists("bandfile")) bandfile = 'band.csv'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 1200,480 font ',10'
} else {
  set terminal png size 1200,480
}
set output outfile
set datafile separator ','
set datafile missing ''
set logscale x 2
set xrange [0.8:10]
set xtics (1, 2, 4, 8)
set xlabel 'GPUs (RTX 4090) on one i9-13900K'
set grid

is(s) = strcol('series') eq s
y(s, c) = is(s) ? column(c) : NaN
xcol = 'node.gpus.count'

set multiplot layout 1,2 title 'servesim: ViT-base throughput vs GPU count, 256 clients per GPU'

set title 'throughput'
set ylabel 'inferences / s'
set logscale y 10
set yrange [20:50000]
set key top left
# Shaded: p5 to p95 of the throughput over 10 draws of the GPU curves' uncertainty bands.
lo = 'Inferences/Second p5 over draws'
hi = 'Inferences/Second p95 over draws'
plot bandfile using (column(xcol)):(y('inference-only', lo)):(y('inference-only', hi)) with filledcurves fs transparent solid 0.12 noborder lc rgb '#000000' title 'p5-p95 over the inputs'' uncertainty bands', \
     ''       using (column(xcol)):(y('medium-gpu', lo)):(y('medium-gpu', hi)) with filledcurves fs transparent solid 0.12 noborder lc rgb '#009e73' notitle, \
     ''       using (column(xcol)):(y('medium-cpu', lo)):(y('medium-cpu', hi)) with filledcurves fs transparent solid 0.12 noborder lc rgb '#9400d3' notitle, \
     ''       using (column(xcol)):(y('large-gpu', lo)):(y('large-gpu', hi)) with filledcurves fs transparent solid 0.12 noborder lc rgb '#009e73' notitle, \
     ''       using (column(xcol)):(y('large-cpu', lo)):(y('large-cpu', hi)) with filledcurves fs transparent solid 0.12 noborder lc rgb '#9400d3' notitle, \
     datafile using (column(xcol)):(y('inference-only', 'Inferences/Second')) with linespoints pt 9 lw 2 lc rgb '#000000' title 'inference only (224x224x3 f32 tensor)', \
     ''       using (column(xcol)):(y('medium-gpu', 'Inferences/Second')) with linespoints pt 5 lw 2 lc rgb '#009e73' title 'medium, GPU preprocessing', \
     ''       using (column(xcol)):(y('medium-cpu', 'Inferences/Second')) with linespoints pt 7 lw 2 lc rgb '#9400d3' title 'medium, CPU preprocessing', \
     ''       using (column(xcol)):(y('large-gpu', 'Inferences/Second')) with linespoints pt 4 lw 2 dt 2 lc rgb '#009e73' title 'large, GPU preprocessing', \
     ''       using (column(xcol)):(y('large-cpu', 'Inferences/Second')) with linespoints pt 6 lw 2 dt 2 lc rgb '#9400d3' title 'large, CPU preprocessing'
unset logscale y

set title 'speedup over one GPU'
set ylabel 'throughput / throughput at 1 GPU'
set logscale y 2
set yrange [0.8:10]
set ytics (1, 2, 4, 8)
set key top left
plot x with lines dt 3 lc rgb '#888888' title 'linear', \
     datafile using (column(xcol)):(y('inference-only', 'Speedup vs 1 GPU')) with linespoints pt 9 lw 2 lc rgb '#000000' title 'inference only', \
     ''       using (column(xcol)):(y('medium-gpu', 'Speedup vs 1 GPU')) with linespoints pt 5 lw 2 lc rgb '#009e73' title 'medium, GPU', \
     ''       using (column(xcol)):(y('medium-cpu', 'Speedup vs 1 GPU')) with linespoints pt 7 lw 2 lc rgb '#9400d3' title 'medium, CPU', \
     ''       using (column(xcol)):(y('large-gpu', 'Speedup vs 1 GPU')) with linespoints pt 4 lw 2 dt 2 lc rgb '#009e73' title 'large, GPU', \
     ''       using (column(xcol)):(y('large-cpu', 'Speedup vs 1 GPU')) with linespoints pt 6 lw 2 dt 2 lc rgb '#9400d3' title 'large, CPU'

unset multiplot
