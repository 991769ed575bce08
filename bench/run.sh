#!/usr/bin/env bash
# bench/run.sh - build and run the bpfvm benchmarks from a fresh clone, in one command:
#   bash bench/run.sh [--reps N] [--target-ms MS] [--quick]
# Installs what it needs (Debian packages), builds the main project in Release into
# build-bench/, builds bench/ against its libbpfvm.a with clang, runs every engine on every row,
# prints the tables and writes bench/out/{results.txt,results.csv,results.json,chart.png}.
# BENCH_UPDATE_DOCS=1 also copies the chart to docs/bench-chart.png.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
out="$repo/bench/out"
build="$repo/build-bench"
log="$build/bench-run.log"
jobs=2
mkdir -p "$build"
: >"$log"

say() { echo "bench/run.sh: $*" >&2; }

# --- packages -------------------------------------------------------------------------------
need=()
for pkg in cmake make clang libpcap-dev librte-bpf23 gnuplot-nox; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    say "installing ${need[*]}"
    sudo_cmd=()
    [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
    if ! "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${need[@]}" >/tmp/bench-apt.log 2>&1; then
        "${sudo_cmd[@]}" apt-get update -q >/dev/null 2>&1 || true
        "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
            --no-install-recommends "${need[@]}" >/tmp/bench-apt.log 2>&1 ||
            say "apt-get install failed (see /tmp/bench-apt.log); engines without their package show as missing"
    fi
fi
command -v clang >/dev/null || { say "clang is required"; exit 2; }
command -v cmake >/dev/null || { say "cmake is required"; exit 2; }

# --- libbpfvm.a (Release) -------------------------------------------------------------------
lib=""
if cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >"$log" 2>&1 &&
   cmake --build "$build" --target bpfvm_static -j "$jobs" >>"$log" 2>&1; then
    lib="$build/libbpfvm.a"
else
    say "building libbpfvm.a failed (see $log); the bpfvm columns will show missing"
fi

# --- the bench itself (clang -O2) -----------------------------------------------------------
bench_build() {
    CC=clang cmake -S bench -B "$build/bench" -DCMAKE_BUILD_TYPE=Release \
        -DBPFVM_SOURCE_DIR="$repo" -DBPFVM_LIBRARY="$1" >>"$log" 2>&1 &&
        cmake --build "$build/bench" -j "$jobs" >>"$log" 2>&1
}
if ! bench_build "$lib"; then
    if [ -n "$lib" ]; then
        say "linking against libbpfvm.a failed (see $log); building without bpfvm"
        rm -rf "$build/bench"
        bench_build "" || { say "bench build failed (see $log)"; exit 1; }
    else
        say "bench build failed (see $log)"
        exit 1
    fi
fi

# --- run ------------------------------------------------------------------------------------
mkdir -p "$out"
"$build/bench/bpfvm-bench" --out "$out" "$@" | tee "$out/results.txt"

if command -v gnuplot >/dev/null; then
    sub="$(sed -n 1p "$out/results.txt" | tr -d "'")"
    if gnuplot -e "datafile='$out/chart.dat'; outfile='$out/chart.png'; subtitle='$sub'" \
            bench/chart.gp 2>>"$log"; then
        say "chart: $out/chart.png"
        if [ "${BENCH_UPDATE_DOCS:-0}" = 1 ]; then
            cp "$out/chart.png" docs/bench-chart.png
            say "copied to docs/bench-chart.png"
        fi
    else
        say "gnuplot failed (see $log)"
    fi
else
    say "gnuplot not installed: no chart"
fi
say "results: $out/results.txt, results.csv, results.json"
