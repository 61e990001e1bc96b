// Hand-fused loops where separate BLIS calls would read a matrix twice
// (SPEC §8, issue 4). Compiled for several instruction sets; the loader picks
// the best one for the running CPU (GCC target_clones).
#pragma once
#include <cstdint>

namespace dln {

// One pass over the row-major rows × cols matrix V:
//   out ← s · V_old^T x        (length cols)
//   V   ← V_old + alpha · x y^T
// i.e. the transposed product of the backward pass and the rank-one update
// of the same layer, which BLIS would do in two passes (dgemv + dger).
void transposed_product_and_rank_one_update(int64_t rows, int64_t cols, double *V, double s,
                                            const double *x, double alpha, const double *y,
                                            double *out);
// max_i |x_i|; NaN if any entry is NaN.
double max_magnitude(const double *x, int64_t n);

}  // namespace dln
