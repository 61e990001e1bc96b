// Formulation "dense block" (math §8). When the batch fills a good part of
// the q × p block I × J of its distinct rows and columns (full-batch GD on a
// small target: 2000 observations in 64 × 64), the end-to-end matrix on that
// block is formed and the gradient backpropagated through dense blocks, so
// that every product is a gemm and the sparse S enters only as the residual
// block R:
//   F_1 = W_1[:, J], F_ℓ = W_ℓ F_{ℓ-1} (n_ℓ × p);  A_IJ = W_L[I, :] F_{L-1}      (q × p)
//   r_k = A_IJ[slot(i_k), slot(j_k)] − y_k;  R = S (the g_k, duplicates summed)
//   Δ_{L-1} = W_L[I, :]ᵀ R, Δ_{ℓ-1} = W_ℓᵀ Δ_ℓ (n_ℓ × p)   (Δ_ℓ = B_ℓ S of the rows/columns formulation)
//   gradient: W_ℓ: Δ_ℓ F_{ℓ-1}ᵀ;  W_1[:, J]: Δ_1;  W_L[I, :]: R F_{L-1}ᵀ.
// 3 (L−1) gemms and O(b + q p) other work, where the rows/columns formulation
// has 3 (L−2) gemms and (L + 1) passes of b scattered columns, which run far
// below gemm speed (bench/RESULTS.md, issue 11).
//
// Its bound: F_ℓ and W_L[I, :] are formed and measured; the backward vectors
// B_ℓ = W_{>ℓ}[I, :]ᵀ are not, so max|B_{ℓ-1}| ≤ n_ℓ · s_ℓ max|V_ℓ| · max|B_ℓ|
// (a true bound, slack by the width; it only decides when the cautious path
// of math §7 runs). Every Δ_ℓ is ≤ Σ|g| · max|B_ℓ|, R F_{L-1}ᵀ ≤ Σ|g| · max|F_{L-1}|.
#include <algorithm>

#include "errors.hpp"
#include "kernels.hpp"
#include "step_parts.hpp"

namespace dln {

namespace {

// R is formed with q·p entries: the block must be at least this full (b/(q p))
// for the formulation to apply, so its memory stays O(b).
constexpr double kMinimumFill = 1.0 / 64.0;

bool applies(const StepShape &s) {
  return s.b > 1 && s.L >= 2 && double(s.p) * double(s.q) * kMinimumFill <= double(s.b);
}

double cost(const StepShape &s) {
  double c = 0.0;
  for (int64_t l = 2; l <= s.L - 1; ++l)  // F, Δ, gradient
    c += std::max(3.0 * double(s.p) * double(s.n[l] * s.n[l - 1]), 3.0 * pass_cost(s.n[l], s.n[l - 1]));
  const double top = double(s.n[s.L - 1]), block = double(s.p) * double(s.q);
  c += 3.0 * block * top;  // A_IJ, Δ_{L-1}, R F_{L-1}ᵀ
  c += 3.0 * double(s.L - 1) * kGemmCall;
  return c + 2.0 * block + 2.0 * double(s.b) + double(s.p) * 2.0 * double(s.n[1]) + double(s.q) * 2.0 * top;
}

int64_t count_of(const std::vector<int64_t> &v) { return int64_t(v.size()); }

// In B after the Δ_ℓ: R (q × p, column c at R + c q); W_L[I, :] scaled
// (q × n_{L-1}, row-major) and later R F_{L-1}ᵀ in the workspace's `scaled`.
void layout(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  layout_backpropagated(p, w, count_of(w.distinct_cols) * count_of(w.distinct_rows), forward_size, backward_size);
}

double *block_of(StepPlan &p) { return p.Bl(p.L); }  // A_IJ, then R

// On two threads or more, when every product of the step is too small for
// BLIS's own threads (gemm_policy.hpp: nine 64³ products took longer on two
// threads than on one), the step is split in parts (step_parts.hpp): A_IJ by
// the columns of J like the chains, with one barrier between the forward and
// the backward pass. The parts run on one thread would keep the bits of two,
// at 10 % more time a step there (138 against 125 µs at 64 × 64).
bool runs_in_parts(const StepPlan &p, int64_t P, int64_t Q) {
  double all = 0.0, largest = double(Q) * double(P) * double(p.n(p.L - 1));
  for (int64_t l = 2; l <= p.L - 1; ++l) largest = std::max(largest, double(p.n(l)) * double(p.n(l - 1)) * double(P));
  for (int64_t l = 2; l <= p.L; ++l) all += 3.0 * double(p.n(l - 1)) * double(l == p.L ? Q : p.n(l)) * double(P);
  return step_runs_in_parts(p.exec.threads(), largest, all, P, Q);
}

void residuals(StepPlan &p) {
  Workspace &w = p.model.work;
  const Observations &obs = p.model.train;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), L = p.L;
  const int64_t top = p.n(L - 1);
  double *rows = w.scaled.data();  // W_L[I, :], row-major q × n_{L-1}
  double *A = block_of(p);         // A_IJ = W_L[I, :] F_{L-1}, q × p, column c at A + c q
  const GemmShape block = gemm_shape(false, false, double(Q), double(P), double(top), top, 1, 1, top, Q);
  if (runs_in_parts(p, P, Q)) {  // each part finds the residuals of its columns
    const int64_t parts = begin_parts(p);
    group_entries(p.b, w, 0);  // one tile: the parts take ranges of columns
    p.exec.in_two_phases(
        parts, [&](int64_t k) { forward_part(p, k, parts, rows); },
        [&](int64_t k) {
          const Span c = part_of(P, k, parts);
          p.exec.gemm_part(block, false, false, Q, c.hi - c.lo, top, 1.0, rows, top, 1, p.Fl(L - 1) + c.lo * top, 1,
                           top, 0.0, A + c.lo * Q, 1, Q);
          for (int64_t e = w.col_start[size_t(c.lo)]; e < w.col_start[size_t(c.hi)]; ++e) {
            const int64_t entry = w.col_order[size_t(e)];
            p.g[entry] = A[w.col_from[size_t(e)] + w.col_slot[size_t(entry)] * Q] - obs.values[size_t(p.batch[entry])];
          }
        });
    return;
  }
  gather_first_columns(p, P, [&](int64_t c) { return w.distinct_cols[size_t(c)]; }, p.Fl(1));  // F_1 = W_1[:, J]
  gather_last_rows(p, Q, [&](int64_t r) { return w.distinct_rows[size_t(r)]; }, rows);
  forward_products(p, P);
  p.exec.gemm(false, false, Q, P, top, 1.0, rows, top, 1, p.Fl(L - 1), 1, top, 0.0, A, 1, Q);
  const int64_t *cs = w.col_slot.data(), *rs = w.row_slot.data();
  for (int64_t k = 0; k < p.b; ++k) p.g[k] = A[rs[k] + cs[k] * Q] - obs.values[size_t(p.batch[k])];
}

void bound(StepPlan &p, bool &risky) {
  const Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), L = p.L;
  if (runs_in_parts(p, P, Q)) {
    bounds_from_parts(p);
  } else {
    for (int64_t l = 1; l < L; ++l) p.fmax[l] = max_magnitude(p.Fl(l), p.n(l) * P);
    p.bmax[L - 1] = max_magnitude(w.scaled.data(), Q * p.n(L - 1));
  }
  for (int64_t l = L - 1; l >= 2; --l) {
    const Layer &W = p.model.layer(l);
    p.bmax[l - 1] = product_bound(double(W.rows), W.scale, W.max_abs_bound, p.bmax[l]);
  }
  check_bound(risky, product_bound(double(p.n(L - 1)), p.bmax[L - 1], p.fmax[L - 1], 1.0));  // A_IJ
  for (int64_t l = 1; l < L; ++l) check_bound(risky, product_bound(p.gsum, p.bmax[l], 1.0, 1.0));  // Δ_ℓ
  check_bound(risky, product_bound(p.gsum, p.fmax[L - 1], 1.0, 1.0));  // R F_{L-1}ᵀ
}

// The update in the parts of residuals() (update_in_parts, step_parts.hpp):
// in phase 1, R and Δ_{L-1} … Δ_1 on the columns of part k; in phase 2, the
// rows of part k of R F_{L-1}ᵀ, over W_L[I, :], which phase 1 has finished
// reading.
void backpropagate_part(StepPlan &p, int64_t k, int64_t parts, double *R, const double *X) {  // R and Δ_ℓ on part k's columns
  const Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), L = p.L, top = p.n(L - 1);
  const Span c = part_of(P, k, parts);
  const int64_t width = c.hi - c.lo;
  std::fill(R + c.lo * Q, R + c.hi * Q, 0.0);  // duplicates summed in batch order, as on one thread
  for (int64_t e = w.col_start[size_t(c.lo)]; e < w.col_start[size_t(c.hi)]; ++e) {
    const int64_t entry = w.col_order[size_t(e)];
    R[w.col_from[size_t(e)] + w.col_slot[size_t(entry)] * Q] += p.g[entry];
  }
  const GemmShape first = gemm_shape(true, false, double(top), double(P), double(Q), top, 1, 1, Q, top);
  p.exec.gemm_part(first, true, false, top, width, Q, 1.0, X, top, 1, R + c.lo * Q, 1, Q, 0.0,
                   p.Bl(L - 1) + c.lo * top, 1, top);  // Δ_{L-1} = W_L[I,:]ᵀ R
  backward_part(p, k, parts);
}

void residual_products_of_part(StepPlan &p, int64_t k, int64_t parts, const double *R, double *X) {  // R F_{L-1}ᵀ
  const Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), top = p.n(p.L - 1);
  const GemmShape whole = gemm_shape(false, true, double(Q), double(top), double(P), 1, Q, 1, top, 1);
  const Span r = part_of(Q, k, parts);
  p.exec.gemm_part(whole, false, true, r.hi - r.lo, top, P, 1.0, R + r.lo, 1, Q, p.Fl(p.L - 1), 1, top, 0.0,
                   X + r.lo * top, top, 1);
}

const char *update(StepPlan &p, bool exact) {
  Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), L = p.L, top = p.n(L - 1);
  double *R = block_of(p), *X = w.scaled.data();
  if (runs_in_parts(p, P, Q)) {
    const int64_t parts = p.exec.threads();
    return update_in_parts(
        p, X, exact, [&](int64_t k) { backpropagate_part(p, k, parts, R, X); },
        [&](int64_t k) { residual_products_of_part(p, k, parts, R, X); });
  }
  const int64_t *cs = w.col_slot.data(), *rs = w.row_slot.data();
  std::fill(R, R + Q * P, 0.0);
  for (int64_t k = 0; k < p.b; ++k) R[rs[k] + cs[k] * Q] += p.g[k];
  // Every Δ_ℓ and R F_{L-1}ᵀ from the weights at θ_t, before any changes.
  p.exec.gemm(true, false, top, P, Q, 1.0, X, top, 1, R, 1, Q, 0.0, p.Bl(L - 1), 1, top);  // Δ_{L-1} = W_L[I,:]ᵀ R
  backward_products(p, P);  // Δ_{ℓ-1} = s_ℓ V_ℓᵀ Δ_ℓ
  p.exec.gemm(false, true, Q, top, P, 1.0, R, 1, Q, p.Fl(L - 1), 1, top, 0.0, X, top, 1);  // R F_{L-1}ᵀ
  if (exact) {
    if (first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
    if (first_non_finite(X, Q * top) >= 0) return "a product with the residuals is not finite";
  }
  update_inner_layers(p, P);  // V_ℓ += c_ℓ Δ_ℓ F_{ℓ-1}ᵀ
  add_to_first_columns(p, w.distinct_cols, p.Bl(1));  // V_1[:, J_c] += c_1 Δ_1[:, c]
  add_to_last_rows(p, Q, w.distinct_rows.data(), X);  // V_L[I_r, :] += c_L (R F_{L-1}ᵀ)[r, :]
  return nullptr;
}

}  // namespace

void layout_backpropagated(StepPlan &p, Workspace &w, int64_t last_block, int64_t &forward_size,
                           int64_t &backward_size) {
  const int64_t P = int64_t(w.distinct_cols.size()), Q = int64_t(w.distinct_rows.size()), top = p.n(p.L - 1);
  w.offset.resize(size_t(p.L) + 1);
  w.backward_offset.resize(size_t(p.L) + 1);
  forward_size = backward_size = 0;
  for (int64_t l = 1; l < p.L; ++l) {
    w.offset[size_t(l)] = forward_size;
    w.backward_offset[size_t(l)] = backward_size;
    forward_size += p.n(l) * P;
    backward_size += p.n(l) * P;
  }
  w.backward_offset[size_t(p.L)] = backward_size;
  backward_size += last_block;
  p.foffset = w.offset.data();
  p.boffset = w.backward_offset.data();
  if (int64_t(w.scaled.size()) < Q * top) w.scaled.resize(size_t(Q * top));
}

const Formulation kDenseBlock{DLN_FORMULATION_DENSE_BLOCK, applies, cost, layout, residuals, bound, update};

}  // namespace dln
