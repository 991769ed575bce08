# chart.gp - draw bench/out/chart.dat (ratio to native per row and engine) as bench/out/chart.png.
# Usage: gnuplot -e "datafile='bench/out/chart.dat'; outfile='bench/out/chart.png'; subtitle='...'" bench/chart.gp
if (!exists("datafile")) datafile = 'bench/out/chart.dat'
if (!exists("outfile")) outfile = 'bench/out/chart.png'
if (!exists("subtitle")) subtitle = ''
set terminal pngcairo size 1400,700 font "sans,10" noenhanced
set output outfile
set title "bpfvm bench: time per execution relative to native C (lower is better; log scale)\n".subtitle
set datafile missing "?"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set yrange [0.5:*]
set ytics (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
set grid ytics
set ylabel "ratio to native (same run)"
set xtics rotate by -30 scale 0 font ",9"
set key outside right top vertical
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "black"
ncols = system("head -1 '".datafile."' | wc -w") + 0
plot for [i=2:ncols] datafile using i:xtic(1) title columnheader(i)
