# Fig 5 as servesim predicts it: throughput, mean latency and queueing's share of latency against
# concurrency. gnuplot -e "datafile='results.csv'; outfile='fig5.png'" fig5.gp
if (!exists("datafile")) datafile = 'results.csv'
if (!exists("outfile")) outfile = 'fig5.png'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 1500,480 font ',10'
} else {
  set terminal png size 1500,480
}
set output outfile
set datafile separator ','
set datafile missing ''
set logscale x 2
set xrange [0.7:6000]
set xtics (1, 4, 16, 64, 256, 512, 1024, 4096)
set xlabel 'concurrency (clients)'
set grid
set key top left

# Rows of one series; NaN elsewhere so gnuplot skips them.
is(s) = strcol('series') eq s
y(s, c) = is(s) ? column(c) : NaN
xcol = 'workload.concurrency'

set multiplot layout 1,3 title 'servesim: the paper''s node (i9-13900K + RTX 4090, ViT-base, medium images)'

set title 'throughput'
set key bottom right
set ylabel 'inferences / s'
set yrange [0:*]
plot datafile using (column(xcol)):(y('cpu', 'Inferences/Second')) with linespoints pt 7 lw 2 title 'CPU preprocessing', \
     ''       using (column(xcol)):(y('gpu', 'Inferences/Second')) with linespoints pt 5 lw 2 title 'GPU preprocessing', \
     ''       using (column(xcol)):(y('whatif-gpu-48MiB', 'Inferences/Second')) with linespoints pt 4 dt 2 title 'what-if: GPU, 48 MiB free, spill', \
     ''       using (column(xcol)):(y('gpu-shared', 'Inferences/Second')) with linespoints pt 9 title 'GPU, kernels share the GPU', \
     ''       using (column(xcol)):(y('gpu-shared-pool', 'Inferences/Second')) with linespoints pt 8 dt 3 title 'GPU, share + 64 MiB Triton pool, spill'

set title 'mean latency'
set key top left
set ylabel 'ms'
set logscale y 10
set yrange [1:*]
plot datafile using (column(xcol)):(y('cpu', 'Avg latency') / 1000) with linespoints pt 7 lw 2 title 'CPU preprocessing', \
     ''       using (column(xcol)):(y('gpu', 'Avg latency') / 1000) with linespoints pt 5 lw 2 title 'GPU preprocessing', \
     ''       using (column(xcol)):(y('whatif-gpu-48MiB', 'Avg latency') / 1000) with linespoints pt 4 dt 2 title 'what-if: GPU, 48 MiB free, spill'
unset logscale y

set title 'queueing''s share of latency (Server Queue / Avg latency)'
set ylabel '%'
set yrange [0:105]
set key center left
set object 1 rect from 64,34 to 512,91 fc rgb '#dddddd' fs solid 0.5 noborder behind
set label 1 'paper: 34-91% at 64-512' at 66,96 font ',9'
plot datafile using (column(xcol)):(y('cpu', 'Queue Share') * 100) with linespoints pt 7 lw 2 title 'CPU preprocessing', \
     ''       using (column(xcol)):(y('gpu', 'Queue Share') * 100) with linespoints pt 5 lw 2 title 'GPU preprocessing'

unset multiplot
