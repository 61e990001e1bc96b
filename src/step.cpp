// SGD step kernels (SPEC §3). For a batch (i_k, j_k), k < b:
//   forward   F_1 = W_1[:, J],  F_ℓ = W_ℓ F_{ℓ-1}         (ℓ = 2 … L-1)
//   backward  B_{L-1} = W_L[I, :]^T,  B_{ℓ-1} = W_ℓ^T B_ℓ  (ℓ = L-1 … 2)
//   residual  r_k = <B_{L-1}[:,k], F_{L-1}[:,k]> − y_k,  g_k = 2 r_k / b
//   update    W_ℓ ← d W_ℓ − η B_ℓ diag(g) F_{ℓ-1}^T,  d = 1 − 2ηλ,
// with W_1 and W_L touched only in the columns j_k and rows i_k. As
// W_ℓ = s_ℓ V_ℓ, the decay is s_ℓ ← d s_ℓ and V_ℓ gets the update / (d s_ℓ).
//
// Divergence (SPEC §7) without a copy of the weights on every step: before
// any weight changes, a priori bounds on every backward vector, every weight
// and every entry of A after the step are formed from per-layer bounds on
// max|V_ℓ| (O(L) work). While they are far from overflow the step cannot
// produce a non-finite weight or loss and runs in place, fused. Otherwise
// (only near divergence) the weights are backed up, the step runs unfused,
// the weights and the full loss are checked, and a failure restores them.
#include "step.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "blis.h"
#include "errors.hpp"
#include "evaluate.hpp"
#include "kernels.hpp"
#include "model.hpp"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

namespace dln {

FlushDenormalsGuard::FlushDenormalsGuard() {
#if defined(__SSE__)
  saved_ = _mm_getcsr();
  _mm_setcsr(saved_ | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
#else
  saved_ = 0;
#endif
}

FlushDenormalsGuard::~FlushDenormalsGuard() {
#if defined(__SSE__)
  _mm_setcsr(saved_);
#endif
}

namespace {

constexpr double kRenormalizeBelow = 0x1p-30;  // fold s_ℓ into V_ℓ when it gets this small
constexpr double kSafeWeight = 1e290;          // bounds below these cannot overflow
constexpr double kSafeEntry = 1e140;           // |A_ij| + |y|: its square summed stays finite

struct StepPlan {
  const dln_model &model;
  int64_t L, b;
  const int64_t *batch;
  double eta, decay;
  double *F, *B, *g;
  const int64_t *offset;  // of F_ℓ / B_ℓ in F / B
  rntm_t *rntm;
  double *Fl(int64_t l) const { return F + offset[l]; }
  double *Bl(int64_t l) const { return B + offset[l]; }
  int64_t n(int64_t l) const { return model.widths[size_t(l)]; }
};

// Upper bound on |a·b·c·d| whatever association and rounding the kernels
// use. In double, (|η/s|·Σ|g|)·max|B|·max|F| can flush to zero under FTZ
// while a kernel that multiplies in another order gets a normal number (a
// fuzzer found this); long double (x87 on x86-64) has the exponent range to
// hold such products and is outside SSE's flush-to-zero, and a relative
// margin covers the kernels' roundings.
double product_bound(long double a, long double b, long double c, long double d) {
  const long double p = a * b * c * d * (1.0L + 0x1p-40L);
  return p > static_cast<long double>(DBL_MAX) ? HUGE_VAL : static_cast<double>(p);
}

double max_abs_y(dln_model &model) {
  if (model.work.max_abs_y < 0.0) model.work.max_abs_y = max_magnitude(model.train.values.data(), model.train.size());
  return model.work.max_abs_y;
}

[[noreturn]] void diverged(int64_t t, const char *what) {
  fail(DLN_ERR_DIVERGED, "step t=%lld: %s; weights kept as they were before this step", (long long)t, what);
}

// Residuals g_k = 2 r_k / b at θ_t, with the forward vectors F_ℓ and, for a
// batch (b > 1) or the cautious path, all backward vectors B_ℓ.
void forward(StepPlan &p, bool all_backward) {
  const dln_model &m = p.model;
  const Observations &obs = m.train;
  const int64_t L = p.L, b = p.b;
  double zero = 0.0;
  if (L == 1) {
    for (int64_t k = 0; k < b; ++k) {
      int64_t o = p.batch[k];
      p.g[k] = m.layer(1).weight(obs.rows[size_t(o)], obs.cols[size_t(o)]) - obs.values[size_t(o)];
    }
    return;
  }
  const Layer &W1 = m.layer(1), &WL = m.layer(L);
  for (int64_t k = 0; k < b; ++k) {  // gather F_1 = W_1[:, J] and B_{L-1} = W_L[I, :]^T
    int64_t o = p.batch[k], j = obs.cols[size_t(o)], i = obs.rows[size_t(o)];
    double *f = p.Fl(1) + k * p.n(1), *bl = p.Bl(L - 1) + k * p.n(L - 1);
    for (int64_t q = 0; q < p.n(1); ++q) f[q] = W1.scale * W1.v[size_t(q * p.n(0) + j)];
    const double *row = WL.v.data() + i * p.n(L - 1);
    for (int64_t q = 0; q < p.n(L - 1); ++q) bl[q] = WL.scale * row[q];
  }
  for (int64_t l = 2; l <= L - 1; ++l) {  // F_ℓ = s_ℓ V_ℓ F_{ℓ-1}
    const Layer &W = m.layer(l);
    double alpha = W.scale, *V = const_cast<double *>(W.v.data());
    if (b == 1)
      bli_dgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, p.n(l), p.n(l - 1), &alpha, V, p.n(l - 1), 1, p.Fl(l - 1),
                   1, &zero, p.Fl(l), 1, nullptr, p.rntm);
    else
      bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, p.n(l), b, p.n(l - 1), &alpha, V, p.n(l - 1), 1,
                   p.Fl(l - 1), 1, p.n(l - 1), &zero, p.Fl(l), 1, p.n(l), nullptr, p.rntm);
  }
  const int64_t top = p.n(L - 1);
  for (int64_t k = 0; k < b; ++k) {
    double a = 0.0;
    const double *f = p.Fl(L - 1) + k * top, *bl = p.Bl(L - 1) + k * top;
    for (int64_t q = 0; q < top; ++q) a += bl[q] * f[q];
    p.g[k] = a - obs.values[size_t(p.batch[k])];
  }
  if (!all_backward) return;
  for (int64_t l = L - 1; l >= 2; --l) {  // B_{ℓ-1} = s_ℓ V_ℓ^T B_ℓ
    const Layer &W = m.layer(l);
    double alpha = W.scale, *V = const_cast<double *>(W.v.data());
    if (b == 1)
      bli_dgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, p.n(l - 1), p.n(l), &alpha, V, 1, p.n(l - 1), p.Bl(l), 1,
                   &zero, p.Bl(l - 1), 1, nullptr, p.rntm);
    else
      bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, p.n(l - 1), b, p.n(l), &alpha, V, 1, p.n(l - 1), p.Bl(l),
                   1, p.n(l), &zero, p.Bl(l - 1), 1, p.n(l - 1), nullptr, p.rntm);
  }
}

// V_1 columns j_k, V_L rows i_k (or the entries of a single layer).
void update_outer_layers(StepPlan &p, dln_model &m, const double *coefficient) {
  const Observations &obs = m.train;
  const int64_t L = p.L;
  if (L == 1) {
    Layer &W = m.layer(1);
    for (int64_t k = 0; k < p.b; ++k) {
      int64_t o = p.batch[k];
      W.v[size_t(obs.rows[size_t(o)] * W.cols + obs.cols[size_t(o)])] += coefficient[1] * p.g[k];
    }
    return;
  }
  Layer &W1 = m.layer(1), &WL = m.layer(L);
  for (int64_t k = 0; k < p.b; ++k) {
    int64_t o = p.batch[k], j = obs.cols[size_t(o)], i = obs.rows[size_t(o)];
    const double *bk = p.Bl(1) + k * W1.rows, *fk = p.Fl(L - 1) + k * WL.cols;
    const double c1 = coefficient[1] * p.g[k], cL = coefficient[L] * p.g[k];
    for (int64_t q = 0; q < W1.rows; ++q) W1.v[size_t(q * W1.cols + j)] += c1 * bk[q];
    double *row = WL.v.data() + i * WL.cols;
    for (int64_t q = 0; q < WL.cols; ++q) row[q] += cL * fk[q];
  }
}

// Inner layers from precomputed B_ℓ (unfused: batches and the cautious path).
void update_inner_layers(StepPlan &p, dln_model &m, const double *coefficient) {
  double one = 1.0;
  for (int64_t l = 2; l <= p.L - 1; ++l) {
    Layer &W = m.layer(l);
    if (p.b == 1) {
      double alpha = coefficient[l] * p.g[0];
      bli_dger_ex(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, W.rows, W.cols, &alpha, p.Bl(l), 1, p.Fl(l - 1), 1,
                  W.v.data(), W.cols, 1, nullptr, p.rntm);
      continue;
    }
    double *S = m.work.scaled.data();  // B_ℓ diag(g)
    for (int64_t k = 0; k < p.b; ++k)
      for (int64_t q = 0; q < W.rows; ++q) S[k * W.rows + q] = p.g[k] * p.Bl(l)[k * W.rows + q];
    double alpha = coefficient[l];
    bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, W.rows, W.cols, p.b, &alpha, S, 1, W.rows, p.Fl(l - 1), 1,
                 W.cols, &one, W.v.data(), W.cols, 1, nullptr, p.rntm);
  }
}

}  // namespace

void step_on_batch(dln_model &model, const int64_t *batch, int64_t b) {
  const int64_t L = model.depth, t = model.step;
  const std::vector<int64_t> &n = model.widths;
  Workspace &w = model.work;
  const double eta = model.learning_rate_at(t), decay = 1.0 - 2.0 * eta * model.ridge_at(t);

  // Workspace: grows only when a larger batch is first seen.
  w.offset.resize(size_t(L) + 1);
  int64_t hidden = 0;
  for (int64_t l = 1; l < L; ++l) {
    w.offset[size_t(l)] = hidden;
    hidden += n[size_t(l)] * b;
  }
  if (int64_t(w.forward.size()) < hidden) {
    w.forward.resize(size_t(hidden));
    w.backward.resize(size_t(hidden));
  }
  const int64_t widest = *std::max_element(n.begin(), n.end());
  if (b > 1 && int64_t(w.scaled.size()) < widest * b) w.scaled.resize(size_t(widest * b));
  if (int64_t(w.residual.size()) < b) w.residual.resize(size_t(b));
  w.coefficient.resize(size_t(L) + 1);
  w.growth.resize(size_t(L) + 1);
  w.backward_bound.resize(size_t(L) + 1);
  rntm_t rntm = BLIS_RNTM_INITIALIZER;
  bli_rntm_set_num_threads(dim_t(model.options.threads), &rntm);
  StepPlan p{model, L, b, batch, eta, decay, w.forward.data(), w.backward.data(), w.residual.data(),
             w.offset.data(), &rntm};

  // ---- residuals and activations at θ_t (nothing is modified yet) --------
  const bool fused = b == 1 && L >= 3;
  forward(p, !fused);
  for (int64_t k = 0; k < b; ++k) {
    if (!std::isfinite(p.g[k] * p.g[k])) diverged(t, "the residual of a batch entry is not finite");
    p.g[k] *= 2.0 / double(b);
  }
  // ---- a priori bounds: |B_ℓ|, each layer's update, every entry of A after
  double *coefficient = w.coefficient.data(), *growth = w.growth.data(), *bmax = w.backward_bound.data();
  std::vector<double> &fmax = w.forward_bound;
  fmax.resize(size_t(L) + 1);
  double gsum = 0.0;
  for (int64_t k = 0; k < b; ++k) gsum += std::fabs(p.g[k]);
  for (int64_t l = 1; l < L; ++l) fmax[size_t(l)] = max_magnitude(p.Fl(l), n[size_t(l)] * b);
  if (L > 1) bmax[L - 1] = max_magnitude(p.Bl(L - 1), n[size_t(L - 1)] * b);
  // Every partial product a kernel may form must stay finite too, not only
  // the full bound: with a tiny scale s, η/s · g can overflow while
  // η/s · g · max|B| · max|F| is moderate (a fuzzer found this).
  bool risky = false;
  auto check = [&risky](double bound) {
    if (!(bound < kSafeWeight)) risky = true;
  };
  for (int64_t l = L - 1; l >= 2; --l) {
    const Layer &W = model.layer(l);
    if (fused) {  // B_{ℓ-1} = s (V^T B_ℓ): the sum first, then the scale
      check(product_bound(W.max_abs_bound, double(n[size_t(l)]), bmax[l], 1.0));
      bmax[l - 1] = product_bound(W.scale, W.max_abs_bound, double(n[size_t(l)]), bmax[l]);
    } else {
      bmax[l - 1] = max_magnitude(p.Bl(l - 1), n[size_t(l - 1)] * b);
    }
  }
  long double entry = 1.0L;  // bound on |A_ij| after the step, in the range of long double
  for (int64_t l = 1; l <= L; ++l) {
    const Layer &W = model.layer(l);
    coefficient[l] = -eta / (decay * W.scale);
    const double c = std::fabs(coefficient[l]);
    const double left = l == L ? 1.0 : bmax[l], right = l == 1 ? 1.0 : fmax[size_t(l - 1)];
    growth[l] = product_bound(c, gsum, left, right);
    const double after = W.max_abs_bound + growth[l];
    for (double bound : {after, left, right, c, product_bound(c, gsum, 1.0, 1.0), product_bound(c, gsum, left, 1.0),
                         product_bound(gsum, left, right, 1.0), product_bound(c, gsum, right, 1.0)})
      check(bound);
    entry *= static_cast<long double>(decay) * W.scale * after * (l < L ? double(n[size_t(l)]) : 1.0);
  }
  if (!(entry + max_abs_y(model) < kSafeEntry)) risky = true;

  if (!risky) {
    // ---- in place: fused backward pass and updates, inner layers top-down
    if (fused)
      for (int64_t l = L - 1; l >= 2; --l) {
        Layer &W = model.layer(l);
        transposed_product_and_rank_one_update(W.rows, W.cols, W.v.data(), W.scale, p.Bl(l), coefficient[l] * p.g[0],
                                               p.Fl(l - 1), p.Bl(l - 1));
      }
    else
      update_inner_layers(p, model, coefficient);
    update_outer_layers(p, model, coefficient);
  } else {
    // ---- cautious: back up, recompute exactly, update, check, restore ----
    if (fused) forward(p, true);
    size_t total = 0;
    for (const Layer &W : model.layers) total += W.v.size();
    w.backup.resize(total);
    size_t at = 0;
    for (const Layer &W : model.layers) at = size_t(std::copy(W.v.begin(), W.v.end(), w.backup.begin() + long(at)) - w.backup.begin());
    std::vector<double> scales, bounds;  // restored with V: the state before the step
    for (const Layer &W : model.layers) scales.push_back(W.scale), bounds.push_back(W.max_abs_bound);
    auto restore = [&](const char *what) {
      size_t from = 0;
      for (size_t l = 0; l < model.layers.size(); ++l) {
        Layer &W = model.layers[l];
        std::copy(w.backup.begin() + long(from), w.backup.begin() + long(from + W.v.size()), W.v.begin());
        W.scale = scales[l];
        W.max_abs_bound = bounds[l];
        from += W.v.size();
      }
      diverged(t, what);
    };
    if (first_non_finite(p.B, hidden) >= 0) restore("a backward activation is not finite");
    update_inner_layers(p, model, coefficient);
    update_outer_layers(p, model, coefficient);
    for (Layer &W : model.layers) {
      W.scale *= decay;
      W.max_abs_bound = max_magnitude(W.v.data(), int64_t(W.v.size()));
      if (!std::isfinite(W.max_abs_bound)) restore("a weight is not finite");
    }
    if (!std::isfinite(data_cost(model))) restore("the loss is not finite");
    for (Layer &W : model.layers)
      if (W.scale < kRenormalizeBelow) W.fold_scale();
    return;
  }

  // ---- commit the scalar decay; fold it in before it gets tiny ------------
  for (int64_t l = 1; l <= L; ++l) {
    Layer &W = model.layer(l);
    W.max_abs_bound = (W.max_abs_bound + growth[l]) * (1.0 + 0x1p-50);  // rounding of V + update
    W.scale *= decay;
    if (W.scale < kRenormalizeBelow) W.fold_scale();
  }
}

}  // namespace dln
