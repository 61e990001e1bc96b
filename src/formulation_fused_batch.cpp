// Formulation "fused batch" (math §3; issue 11): b rank-one chains like
// formulation_chains.cpp, but through the fused kernels of the single-entry
// step instead of BLIS: F_ℓ = s_ℓ V_ℓ F_{ℓ-1} for the b columns reading each
// row of V_ℓ once, then, per inner layer top-down, one pass over V_ℓ gives
// B_{ℓ-1} = s_ℓ V_ℓᵀ B_ℓ from the old V_ℓ and applies V_ℓ += c_ℓ B_ℓ diag(g)
// F_{ℓ-1}ᵀ. Two passes over each inner matrix and no per-call overhead: what
// small batches at small widths need (BLIS's packing and threading set-up cost
// more than the arithmetic there). Its bound on the backward vectors is a
// priori, as for the single entry: |B_{ℓ-1}| ≤ s_ℓ · max|V_ℓ| · n_ℓ · max|B_ℓ|.
// The cautious path runs the chains' unfused update on exact vectors. Both
// passes split over the handle's threads by rows / groups of columns, each
// done whole by one thread, so the bits do not depend on the thread count.
#include <algorithm>

#include "errors.hpp"
#include "kernels.hpp"
#include "step_formulation.hpp"

namespace dln {
namespace {

constexpr int64_t kLargestBatch = kMaxFusedColumns;

// The work of a pass as parallel_parts weighs it: none up to b = 4, where
// the passes stream V from memory and a second thread was slower on a shared
// 2-vCPU VM (w = 1024: 1.5-1.8 ms a step on one, 1.8-2.0 on two); at b = 16
// two threads took 5.3 ms to 3.1-3.7.
double threaded_work(const StepPlan &p, const Layer &W) {
  return p.b <= 4 ? 0.0 : double(W.rows) * double(W.cols) * double(p.b);
}

bool applies(const StepShape &s) { return s.b > 1 && s.b <= kLargestBatch && s.L >= 3; }

double cost(const StepShape &s) {
  double c = 0.0;
  for (int64_t l = 2; l <= s.L - 1; ++l)
    c += std::max(3.0 * double(s.b) * double(s.n[l] * s.n[l - 1]) * loop_per_gemm_flop(s.b),
                  2.0 * pass_cost(s.n[l], s.n[l - 1]));
  return c + 3.0 * double(s.b) * double(s.n[1] + s.n[s.L - 1]);
}

void layout(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  w.offset.resize(size_t(p.L) + 1);
  int64_t hidden = 0, widest = 0;
  for (int64_t l = 1; l < p.L; ++l) {
    w.offset[size_t(l)] = hidden;
    hidden += p.n(l) * p.b;
  }
  for (int64_t l = 0; l <= p.L; ++l) widest = std::max(widest, p.n(l));
  forward_size = backward_size = hidden;
  p.foffset = p.boffset = w.offset.data();
  if (int64_t(w.scaled.size()) < widest * p.b) w.scaled.resize(size_t(widest * p.b));
}

void residuals(StepPlan &p) {
  const Observations &obs = p.model.train;
  gather_outer(
      p, p.b, [&](int64_t k) { return obs.cols[size_t(p.batch[k])]; }, p.b,
      [&](int64_t k) { return obs.rows[size_t(p.batch[k])]; });
  for (int64_t l = 2; l <= p.L - 1; ++l) {
    const Layer &W = p.model.layer(l);
    p.exec.parallel_parts(W.rows, threaded_work(p, W), [&](int64_t lo, int64_t hi) {
      products_of_columns(W.rows, W.cols, p.b, W.v.data(), W.scale, p.Fl(l - 1), p.Fl(l), lo, hi);
    });
  }
  const int64_t top = p.n(p.L - 1);
  for (int64_t k = 0; k < p.b; ++k) {
    double a = 0.0;
    const double *f = p.Fl(p.L - 1) + k * top, *bl = p.Bl(p.L - 1) + k * top;
    for (int64_t q = 0; q < top; ++q) a += bl[q] * f[q];
    p.g[k] = a - obs.values[size_t(p.batch[k])];
  }
}

void bound(StepPlan &p, bool &risky) {
  for (int64_t l = 1; l < p.L; ++l) p.fmax[l] = max_magnitude(p.Fl(l), p.n(l) * p.b);
  p.bmax[p.L - 1] = max_magnitude(p.Bl(p.L - 1), p.n(p.L - 1) * p.b);
  for (int64_t l = p.L - 1; l >= 2; --l) {  // B_{ℓ-1} = s (V^T B_ℓ): the sum first, then the scale
    const Layer &W = p.model.layer(l);
    check_bound(risky, product_bound(W.max_abs_bound, double(p.n(l)), p.bmax[l], 1.0));
    p.bmax[l - 1] = product_bound(W.scale, W.max_abs_bound, double(p.n(l)), p.bmax[l]);
  }
}

const char *update(StepPlan &p, bool exact) {
  if (exact) {
    backward_products(p, p.b);
    if (first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
    update_inner_chains(p);
  } else {
    double *alpha = p.model.work.scaled.data();
    for (int64_t l = p.L - 1; l >= 2; --l) {
      Layer &W = p.model.layer(l);
      for (int64_t k = 0; k < p.b; ++k) alpha[k] = p.coefficient[l] * p.g[k];
      // Groups of 8 columns to each thread: every column is done whole by one.
      p.exec.parallel_parts((W.cols + 7) / 8, threaded_work(p, W), [&](int64_t lo, int64_t hi) {
        transposed_products_and_rank_b_update(W.rows, W.cols, p.b, W.v.data(), W.scale, p.Bl(l), alpha, p.Fl(l - 1),
                                              p.Bl(l - 1), 8 * lo, std::min(8 * hi, W.cols));
      });
    }
  }
  update_outer_chains(p);
  return nullptr;
}

}  // namespace

const Formulation kFusedBatch{DLN_FORMULATION_FUSED_BATCH, applies, cost, layout, residuals, bound, update};

}  // namespace dln
