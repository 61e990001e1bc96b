// The vector helpers of the kernels (kernels.cpp, kernels_fused_batch.cpp):
// GCC vector types for eight (or four) doubles and the multiversioning of
// the kernels by instruction-set level. Internal to those two files.
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "instruction_sets.hpp"

// The vector values below (Lanes8) are always inlined into the
// multiversioned kernels, so none crosses a call boundary: GCC's -Wpsabi
// note about the ABI of such calls is moot here.
#pragma GCC diagnostic ignored "-Wpsabi"

#ifdef DLN_CLONED  // instruction_sets.hpp
#define DLN_MULTIVERSION __attribute__((target_clones(DLN_CLONE_LEVELS)))
#else
#define DLN_MULTIVERSION
#endif

namespace dln {
namespace {
// Eight doubles as one value: GCC's vector extension, so the accumulators of
// a chunk stay in registers (left to itself, GCC vectorises over the entries
// with gathers instead). Loads and stores through memcpy: no alignment needed.
typedef double Lanes8 __attribute__((vector_size(64)));
// Always inlined: a helper emitted on its own would be compiled for the
// baseline instruction set, outside the clones of its caller.
#define DLN_INLINE inline __attribute__((always_inline))
typedef double Lanes4 __attribute__((vector_size(32)));
template <class L>
DLN_INLINE L load_lanes(const double *p) {
  L v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class L>
DLN_INLINE void store_lanes(double *p, const L &v) {
  std::memcpy(p, &v, sizeof v);
}
DLN_INLINE Lanes8 load8(const double *p) { return load_lanes<Lanes8>(p); }
DLN_INLINE void store8(double *p, const Lanes8 &v) { store_lanes(p, v); }
// The lane type of each form, Lanes8 with AVX-512 and Lanes4 without (next).
template <bool Wide>
using FormLanes = typename std::conditional<Wide, Lanes8, Lanes4>::type;

// The clones without AVX-512 lower each Lanes8 operation through the stack
// (a row's dots ran 16× slower than as plain loops under -march=x86-64-v3),
// so the vector kernels (the fused batch kernels, the products with S and
// max |x| of kernels.cpp) have a second form there, each eight lanes as
// two Lanes4 (AVX2 registers): the same vector operations on each number, so
// results do not depend on which form runs (plain loops, which GCC fused
// into multiply-adds in some places only, did not keep that). With AVX-512
// they take the Lanes8 form (products in blocks of 4 × 4), else the Lanes4
// one (blocks of 4 × 2). Under -march=x86-64-v3 on a Zen 4, 1024 × 1024 × 4
// products took 0.38 ms in Lanes4, 1.67 in Lanes8, 0.48 as single dot8
// chains; issue 11.
DLN_INLINE bool wide_registers() {
#if defined(DLN_KERNELS_NARROW_ONLY)  // tests/kernel_forms_*.cpp: both forms side by side
  return false;
#else
  return avx512_registers();
#endif
}

}  // namespace
}  // namespace dln
