#!/usr/bin/env bash
# Stage: the doctest chapters on the library built without its AVX-512 code
# (CMake option DLN_AVX512=OFF): its x86-64-v3 clones, the kernels' AVX2
# forms, lockstep groups of four and the cost model's weights for such CPUs,
# which the main build never runs on a CPU with AVX-512. Every result must be
# what the main build gives (the trajectories recorded bit for bit included);
# only the formulation picks that depend on the registers differ
# (tests/support.hpp: wide_registers_here). Prints 'no-avx512: N passed, M failed' last.
set -uo pipefail
cd "$(dirname "$0")/../.."
jobs=$(nproc)
build=build-no-avx512
log=$(mktemp)
finish() { echo "no-avx512: $1 passed, $2 failed"; rm -f "$log"; [[ $2 -eq 0 ]]; exit $?; }

if ! cmake -S . -B "$build" -DDLN_AVX512=OFF -DDLN_BUILD_BINDINGS=OFF -DDLN_BUILD_CLI=OFF \
     -DDLN_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null; then
  echo "no-avx512: configure failed"; finish 0 1
fi
if ! cmake --build "$build" -j"$jobs" --target dln_tests >"$log" 2>&1; then
  tail -n 40 "$log"; echo "no-avx512: build failed"; finish 0 1
fi
# The library must hold no x86-64-v4 code: no clone of it, no AVX-512 register.
if objdump -d --no-show-raw-insn "$build/src/libdlnsgd.so" | grep -qE '%zmm|arch_x86_64_v4'; then
  echo "no-avx512: the library still holds AVX-512 code"; finish 0 1
fi
ctest --test-dir "$build" --output-on-failure -j"$jobs" -R '^test_' 2>&1 | tee "$log"
line=$(grep -E "tests passed, [0-9]+ tests? failed out of" "$log" | tail -n1 || true)
if [[ -z "$line" ]]; then echo "no-avx512: ctest printed no summary"; finish 0 1; fi
total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
fail=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed.*/\1/' <<<"$line")
finish $((total - fail)) "$fail"
