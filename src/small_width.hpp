// The small-width single-entry step (math §3, §8; issue 16): b = 1, depth
// >= 3, every hidden width at most kSmallWidthMax. Plain loops over vectors
// that stay in L1, no BLIS call; formulation_small_width.cpp is the
// formulation (selected by step.cpp for dln_step_batch and for steps the fast
// loop hands back), small_width_steps.cpp the loop dln_step runs.
#pragma once
#include <cfloat>
#include <cstdint>

struct dln_model;

namespace dln {

// Widest hidden layer served (bench/RESULTS.md, issue 16): measured at depth
// 4, these loops beat the fused kernel with its BLIS gemv calls by ~15 % at
// width 48 and ~7 % at 64, and tie it at 128.
constexpr int64_t kSmallWidthMax = 64;

// The a priori check of the small-width loop (small_width_steps.cpp), also
// formed lane by lane in the lockstep ensembles (lockstep.cpp), in double so
// that it vectorises. Each partial product is kept at least DBL_MIN, so a
// product flushed to zero cannot hide a large one: the results bound the
// exact products from above, and step.cpp's long double values too (the
// margins exceed their roundings).
constexpr double kComfortable = 1e70;          // four factors and the margin stay below kSafeWeight
constexpr double kComfortableWeight = 1e289;   // + a growth below 1e281 stays below kSafeWeight
constexpr double kRenormalizeBelow = 0x1p-30;  // as step.cpp
constexpr double kSafeEntry = 1e140;           // as step.cpp
inline double at_least_min(double x) { return x > DBL_MIN ? x : DBL_MIN; }
// Bound on |c · g · left · right| (step.cpp's product_bound).
inline double growth_bound(double c, double g, double left, double right) {
  return at_least_min(at_least_min(at_least_min(c * g) * left) * right) * (1.0 + 0x1p-39);
}
// entry · (d s_ℓ after_ℓ n_ℓ): the running bound on the entries of A after the step.
inline double entry_bound(double entry, double decay, double scale, double after, double width) {
  return at_least_min(entry * at_least_min(at_least_min(at_least_min(decay * scale) * after) * width));
}
inline double entry_check(double entry) { return entry * (1.0 + 0x1p-30); }

// Whether the formulation serves depth L with widths n_0 … n_L at b = 1.
bool small_width_shape(int64_t L, const int64_t *n);

// Every vector the step needs at θ_t, from the weights only (nothing is
// changed): F_ℓ = W_{≤ℓ} e_j and B_ℓ = W_{>ℓ}ᵀ e_i for ℓ = 1 … L-1, each n_ℓ
// long, at the same offsets Σ_{k<ℓ} n_k of F and B; max |F_ℓ| and max |B_ℓ|
// (NaN if any entry is NaN) into fmax[ℓ], bmax[ℓ]. Returns A_θ[i, j].
double small_width_vectors(const dln_model &model, int64_t i, int64_t j, double *F, double *B, double *fmax,
                           double *bmax);
// V_ℓ += alpha[ℓ] · (B_ℓ F_{ℓ-1}ᵀ) for the inner layers, V_1[:, j] += alpha[1] B_1,
// V_L[i, :] += alpha[L] F_{L-1}: each product formed as (alpha · B) · F.
void small_width_update(dln_model &model, int64_t i, int64_t j, const double *F, const double *B,
                        const double *alpha);

// dln_step's loop for a handle whose sampler draws b = 1 and whose shape is
// served: `steps` steps with the rank checks and trace rows of step_and_record (one transaction with its step); a step whose a priori
// bounds are not comfortably far from overflow is handed to step_on_batch
// (and its cautious path, math §7) with the same entry. Throws as dln_step.
bool small_width_serves(const dln_model &model);
void small_width_steps(dln_model &model, int64_t steps);

}  // namespace dln
