// The instruction-set levels the library's vector code is built for, written
// once for every multiversioned file (kernel_lanes.hpp, the small-width and
// lockstep steps), and whether this CPU runs its AVX-512 code — which the
// kernels' forms, the cost model's weights (step_formulation.hpp) and the
// tests that expect its picks all ask. No state: GCC's CPU model is filled
// in before main.
#pragma once

// One clone per whole level (GCC splits "avx2,fma" into two clones, the AVX2
// one without fused multiply-add); none under clang or the sanitizers, and
// none at x86-64-v4 with the CMake option DLN_AVX512=OFF.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define DLN_CLONED 1
#ifdef DLN_NO_AVX512
#define DLN_CLONE_LEVELS "arch=x86-64-v3", "default"
#else
#define DLN_CLONE_LEVELS "arch=x86-64-v4", "arch=x86-64-v3", "default"
#endif
#endif

namespace dln {

inline __attribute__((always_inline)) bool avx512_registers() {
#if defined(DLN_NO_AVX512)
  return false;
#elif defined(__x86_64__) && defined(__GNUC__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

}  // namespace dln
