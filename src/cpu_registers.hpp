// Whether this CPU runs the library's AVX-512 code: the kernels' Lanes8
// forms (kernel_lanes.hpp), and so the cost model's weights for them
// (step_formulation.hpp: loop_per_gemm_flop); tests/support.hpp asks the
// same. No state: GCC's CPU model is filled in before main.
#pragma once

namespace dln {

inline __attribute__((always_inline)) bool avx512_registers() {
#if defined(DLN_NO_AVX512)  // CMake option DLN_AVX512=OFF
  return false;
#elif defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

}  // namespace dln
