#!/usr/bin/env bash
# Stage: libFuzzer + ASan + UBSan (docs/reliability.md). Builds the fuzzers
# of fuzz/ with clang in build-fuzz/ and runs each for FUZZ_SECONDS (default
# 60) from its committed seed corpus (fuzz/corpus/<name>/, read-only; new
# inputs go to build-fuzz/corpus/<name>/). A fuzzer passes if it ran its time
# without a crash, leak, sanitizer report, timeout or out-of-memory; a
# failing input is kept in build-fuzz/artifacts/.
# Prints 'fuzz: N passed, M failed' last.
set -uo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
build=build-fuzz
log=$(mktemp)
passed=0; failed=0
finish() { echo "fuzz: $passed passed, $failed failed"; rm -f "$log"; [[ $failed -eq 0 ]]; exit $?; }

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ not found (scripts/packages.d/reliability.txt lists it)"; failed=1; finish
fi
if ! CC=clang CXX=clang++ cmake -S . -B "$build" -DDLN_BUILD_FUZZERS=ON -DDLN_BUILD_TESTS=OFF \
     -DDLN_BUILD_EXAMPLES=OFF -DDLN_BUILD_BINDINGS=OFF -DDLN_BUILD_CLI=OFF -DDLN_BUILD_BENCH=OFF \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$log" 2>&1; then
  tail -n 30 "$log"; echo "fuzz: configure failed"; failed=1; finish
fi
fuzzers=(checkpoint api)
[[ -f cli/data_io.cpp ]] && fuzzers+=(data_io)
[[ -f cli/output_files.cpp ]] && fuzzers+=(output_paths)
targets=(); for f in "${fuzzers[@]}"; do targets+=("fuzz_$f"); done
if ! cmake --build "$build" -j"$(nproc)" --target "${targets[@]}" >"$log" 2>&1; then
  tail -n 40 "$log"; echo "fuzz: build failed"; failed=1; finish
fi

# One OpenMP thread: the fuzzers bound their own work; BLIS must not spin up
# a team per call. Leak checking on; every sanitizer report is fatal.
export OMP_NUM_THREADS=1 BLIS_NUM_THREADS=1
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
mkdir -p "$build/artifacts"
for f in "${fuzzers[@]}"; do
  work="$build/corpus/$f"; mkdir -p "$work"
  max_len=4096; [[ $f == checkpoint ]] && max_len=8192; [[ $f == output_paths ]] && max_len=64
  "$build/fuzz/fuzz_$f" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$f-" "$work" "fuzz/corpus/$f" >"$log" 2>&1
  rc=$?
  runs=$(grep -Eo "stat::number_of_executed_units: [0-9]+" "$log" | grep -Eo "[0-9]+$" | tail -n1)
  if [[ $rc -eq 0 ]]; then
    echo "fuzz_$f: clean, ${runs:-?} executions in ${secs} s"
    passed=$((passed + 1))
  else
    grep -E "ERROR|runtime error|SUMMARY|Test unit written|#[0-9]+ 0x" "$log" | head -n 40
    echo "fuzz_$f: FAILED (exit $rc) after ${runs:-?} executions"
    failed=$((failed + 1))
  fi
done
finish
