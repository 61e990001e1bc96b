#!/bin/sh
# Builds and runs bench/bench_checks.cpp against the library in BUILD (default
# build/): bench/checks/build.sh [repetitions] [steps]. Not wired into
# bench/run.sh (the lead does that).
set -e
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$root/build}
c++ -O2 -std=c++20 -I"$root/include" "$root/bench/bench_checks.cpp" -o "$build/bench_checks" \
  -L"$build/src" -ldlnsgd -Wl,-rpath,"$build/src"
"$build/bench_checks" "$@"
