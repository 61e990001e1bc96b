// Formulation "single entry" (math §3, §8; issue 4): b = 1 and depth ≥ 3.
// The forward vectors F_ℓ = W_{≤ℓ} e_j by matrix–vector products, then, per
// inner layer top-down, one fused pass over V_ℓ computes the next backward
// vector B_{ℓ-1} = s_ℓ V_ℓᵀ B_ℓ from the old V_ℓ and applies the rank-one
// update (src/kernels.cpp). As the backward vectors are formed during the
// update, its bound on them is a priori: |B_{ℓ-1}| ≤ s_ℓ · max|V_ℓ| · n_ℓ · |B_ℓ|,
// from the per-layer bounds on max|V_ℓ| (O(L) work). The cautious path runs
// the unfused chain (formulation_chains.cpp) on exactly computed vectors.
#include "errors.hpp"
#include "kernels.hpp"
#include "step_formulation.hpp"

namespace dln {

void layout_one_vector_per_layer(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  w.offset.resize(size_t(p.L) + 1);
  int64_t hidden = 0;
  for (int64_t l = 1; l < p.L; ++l) {
    w.offset[size_t(l)] = hidden;
    hidden += p.n(l);
  }
  forward_size = backward_size = hidden;
  p.foffset = p.boffset = w.offset.data();
}

namespace {

bool applies(const StepShape &s) { return s.b == 1 && s.L >= 3; }

double cost(const StepShape &s) {  // two passes over each inner V_ℓ instead of three
  double c = 0.0;
  for (int64_t l = 2; l <= s.L - 1; ++l) c += 2.0 * double(s.n[l] * s.n[l - 1]);
  return c + 3.0 * double(s.n[1] + s.n[s.L - 1]);
}


void residuals(StepPlan &p) { residuals_chains(p, false); }

void bound(StepPlan &p, bool &risky) {
  for (int64_t l = 1; l < p.L; ++l) p.fmax[l] = max_magnitude(p.Fl(l), p.n(l));
  p.bmax[p.L - 1] = max_magnitude(p.Bl(p.L - 1), p.n(p.L - 1));
  for (int64_t l = p.L - 1; l >= 2; --l) {  // B_{ℓ-1} = s (V^T B_ℓ): the sum first, then the scale
    const Layer &W = p.model.layer(l);
    check_bound(risky, product_bound(W.max_abs_bound, double(p.n(l)), p.bmax[l], 1.0));
    p.bmax[l - 1] = product_bound(W.scale, W.max_abs_bound, double(p.n(l)), p.bmax[l]);
  }
}

const char *update(StepPlan &p, bool exact) {
  if (exact) {  // the unfused chain on backward vectors computed (and checked) first
    backward_products(p, 1);
    if (first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
    update_inner_chains(p);
  } else {
    for (int64_t l = p.L - 1; l >= 2; --l) {
      Layer &W = p.model.layer(l);
      transposed_product_and_rank_one_update(W.rows, W.cols, W.v.data(), W.scale, p.Bl(l), p.coefficient[l] * p.g[0],
                                             p.Fl(l - 1), p.Bl(l - 1));
    }
  }
  update_outer_chains(p);
  return nullptr;
}

}  // namespace

const Formulation kSingleEntry{DLN_FORMULATION_SINGLE_ENTRY, applies, cost, layout_one_vector_per_layer, residuals, bound,
                               update};

}  // namespace dln
