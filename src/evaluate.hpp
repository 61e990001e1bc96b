// Entries of A_θ at given positions, and the losses built on them (math §2).
#pragma once
#include <cstdint>
#include <vector>

struct dln_model;

namespace dln {

// A_θ[rows[k], cols[k]] for k < count, in chunks of matrix products:
// O(count · Σ_ℓ n_ℓ n_{ℓ-1}) time, O(chunk · width) memory, A never formed.
void predict(const dln_model &model, int64_t count, const int64_t *rows, const int64_t *cols,
             double *out);
// A non-negative value as mantissa·2^exponent, for sums of squares that may
// leave the double range (math §5): value() is +inf beyond the largest double.
struct Scaled {
  double mantissa = 0.0;  // +inf if an entry summed was not finite
  int64_t exponent = 0;
  double value() const;
  double log2() const;  // log2 of the value (for messages)
};

// Mean squared error of A_θ on the training observations (+inf if a
// residual is not finite: A_θ there exceeds the largest double).
Scaled data_cost_scaled(const dln_model &model);
double data_cost(const dln_model &model);
// ‖θ‖² = Σ_ℓ ‖W_ℓ‖_F², computed without overflow or underflow of the squares.
Scaled weight_norm2_scaled(const dln_model &model);
double weight_norm2(const dln_model &model);
// λ_t ‖θ‖² at the current step t.
Scaled ridge_term_scaled(const dln_model &model);
// max_k |r_k| over the training observations: the premise of math §6 is
// that it stays <= ρ.
double max_residual(const dln_model &model);
// MSE on the ground truth if set, else the held-out set; throws DLN_ERR_STATE if neither.
double test_error(const dln_model &model);
// Whether the data cost and the ridge term are surely below the largest
// double, from the layers' scales and max|V_ℓ| bounds alone (O(L), no pass
// over the observations): |A_θ[i, j]| ≤ Π_ℓ s_ℓ max|V_ℓ| · Π_{0<ℓ<L} n_ℓ.
// False means only that the bound cannot tell.
bool losses_surely_representable(const dln_model &model);

}  // namespace dln
