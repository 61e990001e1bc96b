// Entries of A_θ at given positions, and the losses built on them (SPEC §2).
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
// ρ = max(2 max_k |r_k|, max_k |y_k|) over the training observations (SPEC §6).
double residual_bound(const dln_model &model);
// MSE on the ground truth if set, else the held-out set; throws DLN_ERR_STATE if neither.
double test_error(const dln_model &model);

}  // namespace dln
