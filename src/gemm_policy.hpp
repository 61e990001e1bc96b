// How a BLIS product is run, from its shape alone (issue 11): on how many of
// the handle's threads, and through which of BLIS's two gemm paths. Shapes
// only, so a given thread count always takes the same path and the results
// stay deterministic. Header-only, so that bench/bench_batch.cpp times its
// gemm limit through the very same choices (GemmRuntimes at the end).
#pragma once
#include <cstdint>

#include "blis.h"

namespace dln {

// A gemm with fewer multiply-adds than this runs on one thread whatever the
// count: small products inside a step lose on two threads. Measured (issue
// 11, 2-vCPU Zen 4 VM): a 64³ product timed alone takes 11.9 µs on one
// thread and 7.2 on two, yet full-batch GD at 64 × 64 (nine such products a
// step) with the threshold at 2^17 took 207-233 µs a step on two threads in
// most processes (100 in a few) against 125 on one; break-even in the step
// was near 2^23. On a 2-vCPU Xeon two threads halved every product from 2^21
// multiply-adds up (256 × 256 × 166: 0.50 → 0.25 ms).
constexpr double kParallelGemmMin = 8388608.0;

inline bool gemm_runs_parallel(double m, double n, double k) { return m * n * k >= kParallelGemmMin; }

// A step whose products are each too small for that, but that has this many
// multiply-adds in all (~6 µs on one core: a part must outweigh handing it
// to a helper thread), is split over the handle's threads by the
// formulation itself, in one part per thread (the dense and sparse blocks,
// step_parts.hpp, math §8; full-batch GD on two threads at 64 × 64:
// 125 → 90 µs a step, at 2000 × 2000, width 32: 1.24 → 0.74 ms).
constexpr double kSplitStepMin = 262144.0;

inline bool step_runs_in_parts(int64_t threads, double largest_product, double all_products, int64_t columns,
                               int64_t rows) {
  return threads >= 2 && columns >= threads && rows >= threads && all_products >= kSplitStepMin &&
         largest_product < kParallelGemmMin;
}

// BLIS 0.9 sends a product with a small dimension to its "sup" (small,
// unpacked) kernels, and those of the zen3 and haswell sub-configurations are
// much slower than its packed path on some of the shapes the formulations
// make. Which ones depends on the storage: in the dot layout (the rows of
// op(A) and the columns of op(B) contiguous in k, as in F_ℓ = W_ℓ F_{ℓ-1})
// sup falls off a cliff from k ≈ 510 on (1024 × 211 × 1024: 19 vs 49 GFLOP/s;
// 64 × 64 × 2048: 24 vs 43), and loses by 3-30 % once m and n reach 256;
// otherwise it loses once C's contiguous dimension n' reaches 256 and the
// other m' 64 (1024 × 1024 × 211 gradients: 18 vs 51), or n' 1024, and wins
// below (64 × 64 × 10⁵ gradients: 40 vs 30). Grid m, n, k = 16 … 4096 timed
// both ways on a Zen 4 for each layout the formulations use, under the zen3
// and haswell kernels (skx has no sup kernels: the choice is neutral there).
// Issue 11, math §8.
struct GemmShape {
  double m, n, k;
  bool c_rows_contiguous;  // C row-major (else column-major)
  bool dot_layout;         // op(A)'s rows and op(B)'s columns contiguous in k
};

inline GemmShape gemm_shape(bool transpose_a, bool transpose_b, double m, double n, double k, long long rsa,
                            long long csa, long long rsb, long long csb, long long csc) {
  const long long a_k_stride = transpose_a ? rsa : csa, b_k_stride = transpose_b ? csb : rsb;
  return {m, n, k, csc == 1, a_k_stride == 1 && b_k_stride == 1};
}

inline bool gemm_prefers_packed(const GemmShape &s) {
  if (s.dot_layout) return (s.k >= 448.0 && s.m * s.n >= 512.0) || (s.m >= 256.0 && s.n >= 256.0);
  const double contiguous = s.c_rows_contiguous ? s.n : s.m, other = s.c_rows_contiguous ? s.m : s.n;
  return contiguous >= 1024.0 || (contiguous >= 256.0 && other >= 64.0);
}

// The four BLIS runtimes a thread count needs, one or all threads × sup
// allowed or packed only, and the one for a product's shape. BLIS copies the
// runtime it is given and never writes it.
class GemmRuntimes {
 public:
  explicit GemmRuntimes(int64_t threads) {
    for (int parallel = 0; parallel < 2; ++parallel)
      for (int packed = 0; packed < 2; ++packed) {
        rntm_t fresh = BLIS_RNTM_INITIALIZER;
        bli_rntm_set_num_threads(parallel ? dim_t(threads) : 1, &fresh);
        if (packed) bli_rntm_disable_l3_sup(&fresh);
        table_[parallel][packed] = fresh;
      }
  }
  rntm_t *for_shape(const GemmShape &s) const { return entry(gemm_runs_parallel(s.m, s.n, s.k), gemm_prefers_packed(s)); }
  // One thread, the path of the shape.
  rntm_t *serial_for_shape(const GemmShape &s) const { return entry(false, gemm_prefers_packed(s)); }
  // All threads, sup allowed: for BLIS's level-2 calls.
  rntm_t *all_threads() const { return entry(true, false); }

 private:
  rntm_t *entry(bool parallel, bool packed) const { return const_cast<rntm_t *>(&table_[parallel][packed]); }
  rntm_t table_[2][2];
};

}  // namespace dln
