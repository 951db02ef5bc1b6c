# Fig 11 as servesim predicts it: throughput (64 clients) and zero-load latency against faces per
# frame, and the zero-load latency breakdown at 25 faces, for Kafka, Redis (its producer
# asynchronous, or waiting its replies) and the fused pipeline.
# gnuplot -e "datafile='results.csv'; outfile='fig11.png'" fig11.gp
if (!exists("datafile")) datafile = 'results.csv'
if (!exists("outfile")) outfile = 'fig11.png'
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
  set terminal pngcairo size 1500,480 font ',10'
} else {
  set terminal png size 1500,480
}
set output outfile
set datafile separator ','
set datafile missing ''
set grid

is(s) = strcol('series') eq s
y(s, c) = is(s) ? column(c) : NaN
xcol = 'faces per frame'

set multiplot layout 1,3 title 'servesim: face detection + identification with a broker between the DNNs (i9-13900K + RTX 4090)'

set title 'throughput, 64 clients'
set xlabel 'faces per frame'
set ylabel 'frames / s'
set xrange [0:26]
set yrange [0:*]
set key at graph 0.98, 0.48 right top
plot datafile using (column(xcol)):(y('fused', 'Frames/Second')) with linespoints pt 9 lw 2 lc rgb '#000000' title 'fused (no broker)', \
     ''       using (column(xcol)):(y('redis', 'Frames/Second')) with linespoints pt 7 lw 2 lc rgb '#d55e00' title 'Redis', \
     ''       using (column(xcol)):(y('kafka', 'Frames/Second')) with linespoints pt 5 lw 2 lc rgb '#0072b2' title 'Kafka (page cache)', \
     ''       using (column(xcol)):(y('kafka-fsync', 'Frames/Second')) with linespoints pt 4 lw 2 dt 2 lc rgb '#0072b2' title 'Kafka, fsync per batch', \
     ''       using (column(xcol)):(y('redis-sync', 'Frames/Second')) with linespoints pt 6 lw 2 dt 2 lc rgb '#d55e00' title 'Redis, producer waits its replies'

set title 'zero-load latency (one client)'
set ylabel 'ms'
set key inside top left
plot datafile using (column(xcol)):(y('fused', 'Zero-load Latency ms')) with linespoints pt 9 lw 2 lc rgb '#000000' title 'fused', \
     ''       using (column(xcol)):(y('redis', 'Zero-load Latency ms')) with linespoints pt 7 lw 2 lc rgb '#d55e00' title 'Redis', \
     ''       using (column(xcol)):(y('kafka', 'Zero-load Latency ms')) with linespoints pt 5 lw 2 lc rgb '#0072b2' title 'Kafka (page cache)', \
     ''       using (column(xcol)):(y('kafka-fsync', 'Zero-load Latency ms')) with linespoints pt 4 lw 2 dt 2 lc rgb '#0072b2' title 'Kafka, fsync', \
     ''       using (column(xcol)):(y('redis-sync', 'Zero-load Latency ms')) with linespoints pt 6 lw 2 dt 2 lc rgb '#d55e00' title 'Redis, sync producer'

# Stacked by drawing the cumulative sums from the largest down.
set title 'zero-load latency breakdown, 25 faces per frame'
set xrange [-0.6:4.6]
set xtics ('Kafka' 0, 'Redis' 1, 'fused' 2, 'Kafka fsync' 3, 'Redis sync' 4)
set xlabel ''
set ylabel 'ms'
set style fill solid 0.85 border rgb '#333333'
set boxwidth 0.6
set key inside top left
at25(c) = column(xcol) == 25 ? c : NaN
sx(s) = s eq 'kafka' ? 0 : s eq 'redis' ? 1 : s eq 'fused' ? 2 : s eq 'kafka-fsync' ? 3 : 4
pre = 'Zero-load Preprocess ms'
det = 'Zero-load Detect ms'
brk = 'Zero-load Broker ms'
rest = 'Zero-load Identify and Join ms'
plot datafile using (sx(strcol('series'))):(at25(column(pre) + column(det) + column(brk) + column(rest))) with boxes lc rgb '#56b4e9' title 'identification + wait for the last face', \
     ''       using (sx(strcol('series'))):(at25(column(pre) + column(det) + column(brk))) with boxes lc rgb '#e69f00' title 'broker (mean per face)', \
     ''       using (sx(strcol('series'))):(at25(column(pre) + column(det))) with boxes lc rgb '#009e73' title 'detection (incl. batcher delay)', \
     ''       using (sx(strcol('series'))):(at25(column(pre))) with boxes lc rgb '#999999' title 'preprocessing (front end, decode, resize)'

unset multiplot
