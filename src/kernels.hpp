// Hand-fused loops where separate BLIS calls would read a matrix twice
// (math §8, issue 4). Compiled for several instruction sets; the loader picks
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

// Kernels of the distinct-rows/columns formulation (math §8). Matrices are
// column blocks: column c of A (`rows` long) at A + c · rows.
// The products with S grouped by target (a CSR of S or Sᵀ, built per step),
// the entries of target t being e = start[t] … start[t+1]-1 with their
// coefficients g[e] and source columns from[e] in that order:
// X[:, t] = Σ_e g[e] · source[:, from[e]], first ≤ t < last, summed in order
// of e (X = B S when the groups are columns, F Sᵀ when rows); with
// `accumulate` the sum starts from X[:, t] instead of 0 (one tile of S after
// another, formulation_rows_cols.cpp).
void grouped_sums(int64_t rows, int64_t first, int64_t last, const int64_t *start, const double *g, const double *source,
                  const int64_t *from, double *X, bool accumulate);
// out[e] = <A[:, from[e]], T[:, t]> for the entries e of the targets first ≤ t < last.
void grouped_dots(int64_t rows, int64_t first, int64_t last, const int64_t *start, const double *A, const int64_t *from,
                  const double *T, double *out);
// r[e] = <A[:, from[e]], T[:, t]> − y[e] as grouped_dots, and
// X[:, t] = Σ_e (r[e] · scale) · A[:, from[e]] summed in order of e (from
// X[:, t] with `accumulate`).
void grouped_residual_sums(int64_t rows, int64_t first, int64_t last, const int64_t *start, const double *A, const int64_t *from,
                           const double *T, const double *y, double scale, double *r, double *X, bool accumulate);

// Kernels of the fused small-batch formulation: the single-entry kernels for
// b columns at once, each row of V read once per call.
// Rows first_row … last_row − 1 of Y (rows × b) ← s · V X for X (cols × b),
// V row-major rows × cols. Each row's numbers do not depend on the range.
void products_of_columns(int64_t rows, int64_t cols, int64_t b, const double *V, double s, const double *X,
                         double *Y, int64_t first_row, int64_t last_row);
// One pass over columns c_begin … c_end − 1 of V (c_begin a multiple of 8):
// there, out (cols × b) ← s · V_oldᵀ X for X (rows × b), and
// V ← V_old + Σ_k alpha[k] · X[:, k] Y[:, k]ᵀ for Y (cols × b),
// b ≤ kMaxFusedColumns. Each column's numbers do not depend on the range.
constexpr int64_t kMaxFusedColumns = 64;
void transposed_products_and_rank_b_update(int64_t rows, int64_t cols, int64_t b, double *V, double s,
                                           const double *X, const double *alpha, const double *Y, double *out,
                                           int64_t c_begin, int64_t c_end);

}  // namespace dln
