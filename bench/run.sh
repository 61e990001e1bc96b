#!/usr/bin/env bash
# Benchmarks of SPEC §8 (issue 4), one command:
#   bash bench/run.sh            # build, run everything, print, write bench/RESULTS.md
# Environment knobs (optional):
#   DLN_BENCH_REPS=5             repetitions of every Google Benchmark case (medians)
#   DLN_BENCH_MIN_TIME=0.5       seconds per repetition
#   DLN_TORCH_REPEATS=5          repeats of every PyTorch loop (medians)
#   DLN_TORCH_SECONDS=1.0        CPU seconds per PyTorch repeat
#   DLN_BENCH_BUILD=build-bench  build directory
# Not part of the test suite and never gated on time: it always exits 0 once
# the measurements ran. Installs its own packages (bench/packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build=${DLN_BENCH_BUILD:-build-bench}
reps=${DLN_BENCH_REPS:-5}
min_time=${DLN_BENCH_MIN_TIME:-0.5}
torch_repeats=${DLN_TORCH_REPEATS:-5}
torch_seconds=${DLN_TORCH_SECONDS:-1.0}
py=/usr/bin/python3  # Debian's python: python3-torch and python3-numpy live there
out=$build/bench-results
mkdir -p "$out"

bash scripts/ensure-packages.sh scripts/packages.txt bench/packages.txt

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DDLN_BUILD_BENCH=ON -DDLN_BUILD_BINDINGS=OFF \
  -DDLN_BUILD_CLI=OFF -DDLN_BUILD_TESTS=OFF -DDLN_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target dln_bench_step
bench=$build/bench/dln_bench_step

# One thread everywhere: dlnsgd (DLN_PARAM_THREADS = 1), BLIS, OpenMP, torch.
export OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1

common=(--benchmark_repetitions="$reps" --benchmark_min_time="$min_time"
        --benchmark_enable_random_interleaving=true --benchmark_out_format=json)
echo "=== Google Benchmark: steps, machine limit, batches, dead modes ($reps repetitions)"
"$bench" "${common[@]}" --benchmark_filter='-BM_SingularValues|BM_AbsorbedRank|BM_InBr|BM_QueryRank' \
  --benchmark_out="$out/bench_step.json" >"$out/bench_step.txt"
echo "=== Google Benchmark: spectrum queries at 100000 x 100000, width 64 (own process for peak RSS)"
"$bench" "${common[@]}" --benchmark_filter='BM_SingularValues|BM_AbsorbedRank|BM_InBr|BM_QueryRank' \
  --benchmark_out="$out/bench_spectrum.json" >"$out/bench_spectrum.txt"
echo "=== PyTorch loops ($torch_repeats repeats)"
"$py" bench/torch_loops.py --repeats "$torch_repeats" --seconds "$torch_seconds" --out "$out/torch.json"

{ lscpu; getconf -a | grep CACHE_SIZE || true; } >"$out/lscpu.txt"
"$py" bench/report.py --bench "$out/bench_step.json" --spectrum "$out/bench_spectrum.json" \
  --torch "$out/torch.json" --lscpu "$out/lscpu.txt" --library "$build/src/libdlnsgd.so" \
  --commit "$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src include || echo '+local src changes')" \
  --markdown bench/RESULTS.md
echo "raw results: $out/"
