#!/usr/bin/env bash
# Stage: the concurrency chapter (tests/test_threads.cpp: 8 threads driving
# 8 handles, concurrent saves to one path) built with ThreadSanitizer.
# Only the library and the doctest executable are built; only the thread
# chapter runs (the rest of the suite is single-threaded and runs under ASan).
# Prints 'tsan: N passed, M failed' last.
set -uo pipefail
cd "$(dirname "$0")/../.."
jobs=$(nproc)
build=build-tsan
log=$(mktemp)
finish() { echo "tsan: $1 passed, $2 failed"; rm -f "$log"; [[ $2 -eq 0 ]]; exit $?; }

if ! cmake -S . -B "$build" -DDLN_SANITIZE=thread -DDLN_BUILD_BINDINGS=OFF -DDLN_BUILD_CLI=OFF \
     -DDLN_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null; then
  echo "tsan: configure failed"; finish 0 1
fi
if ! cmake --build "$build" -j"$jobs" --target dln_tests >"$log" 2>&1; then
  tail -n 40 "$log"; echo "tsan: build failed"; finish 0 1
fi

# BLIS runs its products on OpenMP (libgomp), which is not built with TSan:
# its barriers would be invisible to TSan and could show up as false races.
# OpenMP is limited to one thread (OMP_THREAD_LIMIT caps even an explicit
# num_threads), so none of BLIS's parallel regions runs on more than one
# thread. The library's own threads (scattered passes and fused loops on
# std::threads, the dense block's split step on its helper threads,
# src/helper_team.cpp) are plain std::threads, which TSan sees. No
# suppression is needed (none is used): any report fails the stage.
export OMP_NUM_THREADS=1 OMP_THREAD_LIMIT=1 BLIS_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
ctest --test-dir "$build" --output-on-failure -R '^test_threads$' 2>&1 | tee "$log"
line=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$log" | tail -n1 || true)
if [[ -z "$line" ]]; then echo "tsan: ctest printed no summary"; finish 0 1; fi
total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
fail=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
finish $((total - fail)) "$fail"
