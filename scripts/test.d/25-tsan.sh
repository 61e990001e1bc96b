#!/usr/bin/env bash
# Stage: the concurrency chapter (tests/test_threads.cpp: 8 threads driving
# 8 handles, concurrent saves to one path) built with ThreadSanitizer.
# Only the library and the doctest executable are built; only the thread
# chapter runs (the rest of the suite is single-threaded and runs under ASan).
# Prints 'tsan: N passed, M failed' last.
cd "$(dirname "$0")/../.."
source scripts/stage.bash
stage_begin tsan build-tsan
stage_configure -DDLN_SANITIZE=thread -DDLN_BUILD_BINDINGS=OFF -DDLN_BUILD_CLI=OFF -DDLN_BUILD_EXAMPLES=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo
stage_build --target dln_tests

# BLIS runs its products on OpenMP (libgomp), which is not built with TSan:
# its barriers would be invisible to TSan and could show up as false races.
# OpenMP is limited to one thread (OMP_THREAD_LIMIT caps even an explicit
# num_threads), so none of BLIS's parallel regions runs on more than one
# thread. The library's own threads (scattered passes and fused loops on
# std::threads, the dense and sparse blocks' split steps on its helper threads,
# src/helper_team.cpp) are plain std::threads, which TSan sees. No
# suppression is needed (none is used): any report fails the stage.
export OMP_NUM_THREADS=1 OMP_THREAD_LIMIT=1 BLIS_NUM_THREADS=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
stage_ctest -R '^test_threads$'
