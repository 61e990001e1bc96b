#!/usr/bin/env bash
# Stage: the doctest chapters on the library built without its AVX-512 code
# (CMake option DLN_AVX512=OFF): its x86-64-v3 clones, the kernels' AVX2
# forms, lockstep groups of four and the cost model's weights for such CPUs,
# which the main build never runs on a CPU with AVX-512. Every result must be
# what the main build gives (the trajectories recorded bit for bit included);
# only the formulation picks that depend on the registers differ
# (src/instruction_sets.hpp). Prints 'no-avx512: N passed, M failed' last.
cd "$(dirname "$0")/../.."
source scripts/stage.bash
stage_begin no-avx512 build-no-avx512
stage_configure -DDLN_AVX512=OFF -DDLN_BUILD_BINDINGS=OFF -DDLN_BUILD_CLI=OFF -DDLN_BUILD_EXAMPLES=OFF \
  -DCMAKE_BUILD_TYPE=Release
stage_build --target dln_tests
# The library must hold no x86-64-v4 code: no clone of it, no AVX-512 register.
if objdump -d --no-show-raw-insn "$stage_dir/src/libdlnsgd.so" | grep -qE '%zmm|arch_x86_64_v4'; then
  echo "no-avx512: the library still holds AVX-512 code"; stage_finish 0 1
fi
stage_ctest -R '^test_'
