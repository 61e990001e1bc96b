// The full-batch gradient of L_λ (math §5): the check that a state is a
// critical point.
#pragma once
#include <vector>

struct dln_model;

namespace dln {

struct GradientNorms {
  double total = 0.0, data = 0.0, ridge = 0.0;  // ‖∇L_λ‖, ‖∇C‖, 2λ_t‖θ‖
  std::vector<double> per_layer;               // ‖∂L_λ/∂W_ℓ‖_F, ℓ = 1..L
};

// Over all training observations at λ_t of the current step. Cost
// O(N Σ_ℓ n_ℓ + (p + q) Σ_ℓ n_ℓ n_{ℓ-1}) for p distinct columns and q
// distinct rows; A_θ is never formed.
GradientNorms gradient_norms(const dln_model &model);

}  // namespace dln
