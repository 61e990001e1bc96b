// A step split in parts over the handle's threads (math §8, issue 11): the
// dense and sparse blocks on two threads or more, when every product of the
// step is too small for BLIS's own threads (gemm_policy.hpp,
// step_runs_in_parts). Column c of every F_ℓ and Δ_ℓ depends on column c of
// F_1 and of the residuals alone, so the chains split by the columns of J;
// the products summed over J (the gradients of the inner layers) split by
// their rows. Each part is done whole by one thread (ExecContext::
// in_two_phases). BLIS's small-matrix kernels round a part of a product
// otherwise than the whole product (64 × 32 of a 64 × 64 backward product:
// 2890 of 4096 entries), so these steps repeat their bits for a given thread
// count (math §8).
#pragma once
#include <cstdint>

#include "errors.hpp"
#include "step_formulation.hpp"

namespace dln {

struct Span {
  int64_t lo, hi;
};
// Part k of `parts` of [0, count).
inline Span part_of(int64_t count, int64_t k, int64_t parts) { return {count * k / parts, count * (k + 1) / parts}; }

// The product of layer ℓ's chain on P columns (F_ℓ = s V_ℓ F_{ℓ-1}, or with
// V_ℓᵀ for Δ_{ℓ-1}): the shape its parts are rounded as.
GemmShape chain_shape(const StepPlan &p, int64_t l, bool backward, int64_t P);

// The number of parts (the handle's threads), with room made for the parts'
// maxima; before forward_part.
int64_t begin_parts(StepPlan &p);
// Part k of the forward pass, F_1 … F_{L-1} by columns of J (P of them):
// F_1 = s_1 V_1[:, J] (= W_1[:, J]) and F_ℓ = s_ℓ V_ℓ F_{ℓ-1} on the part's columns, and
// W_L[I, :] scaled on the part's rows into `rows` (row r at rows + r n_{L-1}).
// It measures the maxima of its blocks into workspace.part_maxima (the same
// numbers as over the whole blocks: max is exact), which bounds_from_parts
// reads, to spare the step a serial pass. F_1 by columns (not first_rows).
void forward_part(StepPlan &p, int64_t k, int64_t parts, double *rows);
// After forward_part on every part: fmax[1 … L-1] and bmax[L-1] (of W_L[I, :]).
void bounds_from_parts(StepPlan &p);
// Part k of Δ_{ℓ-1} = s_ℓ V_ℓᵀ Δ_ℓ, ℓ = L-1 … 2, by columns of J, once
// Δ_{L-1} holds the part's columns.
void backward_part(StepPlan &p, int64_t k, int64_t parts);
// V_1[:, J_c] += c_1 Δ_1[:, c] on part k's columns.
void update_first_columns_of_part(StepPlan &p, int64_t k, int64_t parts);
// V_ℓ += c_ℓ Δ_ℓ F_{ℓ-1}ᵀ (ℓ = 2 … L-1) on part k's rows of V_ℓ, once every
// Δ_ℓ is whole.
void update_inner_rows_of_part(StepPlan &p, int64_t k, int64_t parts);
// The same, and V_L[I_r, :] += c_L X[:, r]ᵀ on part k's rows of I (X the
// gradient of W_L's rows, n_{L-1} × q).
void update_rows_of_part(StepPlan &p, int64_t k, int64_t parts, const double *X);

// The update of a step split in parts, after its residuals: phase 1,
// backpropagate(k) (Δ_{L-1} … Δ_1 on part k's columns) and V_1's columns;
// phase 2, once every Δ_ℓ is whole, gradient_rows(k) (part k's rows of X) and
// the rows of the inner V_ℓ and of V_L. The cautious path (math §7,
// exact) runs the same parts on one thread and checks every vector before
// any change; returns what was not finite, else nullptr.
template <class Backpropagate, class GradientRows>
const char *update_in_parts(StepPlan &p, const double *X, bool exact, Backpropagate backpropagate,
                            GradientRows gradient_rows) {
  const int64_t parts = p.exec.threads();
  if (!exact) {
    p.exec.in_two_phases(
        parts,
        [&](int64_t k) {
          backpropagate(k);
          update_first_columns_of_part(p, k, parts);
        },
        [&](int64_t k) {
          gradient_rows(k);
          update_rows_of_part(p, k, parts, X);
        });
    return nullptr;
  }
  for (int64_t k = 0; k < parts; ++k) backpropagate(k);
  for (int64_t k = 0; k < parts; ++k) gradient_rows(k);
  if (first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
  const int64_t Q = int64_t(p.model.work.distinct_rows.size());
  if (first_non_finite(X, Q * p.n(p.L - 1)) >= 0) return "a product with the residuals is not finite";
  for (int64_t k = 0; k < parts; ++k) update_first_columns_of_part(p, k, parts), update_rows_of_part(p, k, parts, X);
  return nullptr;
}

}  // namespace dln
