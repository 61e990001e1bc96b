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
// Mean squared error of A_θ on the training observations.
double data_cost(const dln_model &model);
double weight_norm2(const dln_model &model);
// max_k |r_k| over the training observations: the premise of math §6 is
// that it stays <= ρ.
double max_residual(const dln_model &model);
// MSE on the ground truth if set, else the held-out set; throws DLN_ERR_STATE if neither.
double test_error(const dln_model &model);

}  // namespace dln
