// The SGD step (math §3) at θ_t for a batch (i_k, j_k), k < b, through one of
// the formulations of step_formulation.hpp, chosen by their cost model:
//   residual  r_k = A_θ[i_k, j_k] − y_k,  g_k = 2 r_k / b
//   update    W_ℓ ← d W_ℓ − η (W_{>ℓ}ᵀ G W_{<ℓ}ᵀ),  d = 1 − 2ηλ.
// As W_ℓ = s_ℓ V_ℓ, the decay is s_ℓ ← d s_ℓ and V_ℓ gets the update / (d s_ℓ).
//
// Divergence (math §7) without a copy of the weights on every step: before
// any weight changes, a priori bounds on every vector the formulation forms,
// every weight and every entry of A after the step are formed from per-layer
// bounds on max|V_ℓ| (O(L) work). While they are far from overflow the step
// cannot produce a non-finite weight or loss and runs in place. Otherwise
// (only near divergence) the weights are backed up, the formulation runs on
// exactly computed vectors, the weights and the full loss are checked, and a
// failure restores them: whichever formulation ran, a diverged step leaves
// the state byte-identical to before it.
#include "step.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "errors.hpp"
#include "evaluate.hpp"
#include "kernels.hpp"
#include "model.hpp"
#include "step_formulation.hpp"

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

namespace {

constexpr double kRenormalizeBelow = 0x1p-30;  // fold s_ℓ into V_ℓ when it gets this small
constexpr double kSafeEntry = 1e140;           // |A_ij| + |y|: its square summed stays finite

// Every formulation, in order of preference when costs tie.
const Formulation *const kFormulations[] = {&kSmallWidth, &kSingleEntry, &kChains, &kRowsCols, &kFusedBatch, &kDenseBlock, &kSparseBlock};

const Formulation &select(const StepShape &shape) {
  const Formulation *best = nullptr;
  double best_cost = 0.0;
  for (const Formulation *f : kFormulations) {
    if (!f->applies(shape)) continue;
    const double c = f->cost(shape);
    if (!best || c < best_cost) best = f, best_cost = c;
  }
  return *best;  // chains applies to every shape
}

double max_abs_y(dln_model &model) {
  if (model.work.max_abs_y < 0.0) model.work.max_abs_y = max_magnitude(model.train.values.data(), model.train.size());
  return model.work.max_abs_y;
}

[[noreturn]] void diverged(int64_t t, const char *what) {
  fail(DLN_ERR_DIVERGED, "step t=%lld: %s; weights kept as they were before this step", (long long)t, what);
}

// Back up, run the formulation on exact vectors, check, restore on failure.
void cautious_update(StepPlan &p, const Formulation &f) {
  dln_model &model = p.model;
  Workspace &w = model.work;
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
    diverged(p.t, what);
  };
  if (const char *what = f.update(p, true)) restore(what);
  for (Layer &W : model.layers) {
    W.scale *= p.decay;
    W.max_abs_bound = max_magnitude(W.v.data(), int64_t(W.v.size()));
    if (!std::isfinite(W.max_abs_bound)) restore("a weight is not finite");
  }
  if (!std::isfinite(data_cost(model))) restore("the loss is not finite");
  for (Layer &W : model.layers)
    if (W.scale < kRenormalizeBelow) W.fold_scale();
}

}  // namespace

void step_on_batch(dln_model &model, const int64_t *batch, int64_t b) {
  const int64_t L = model.depth, t = model.step;
  const std::vector<int64_t> &n = model.widths;
  Workspace &w = model.work;
  const double eta = model.learning_rate_at(t), decay = 1.0 - 2.0 * eta * model.ridge_at(t);

  StepShape shape{L, b, b, b, n.data()};
  if (b > 1 && L >= 2) find_distinct(model, batch, b, shape.p, shape.q);
  const Formulation &f = select(shape);
  w.last_formulation = f.id;

  // Workspace: grows only when a larger batch is first seen.
  w.coefficient.resize(size_t(L) + 1);
  w.growth.resize(size_t(L) + 1);
  w.forward_bound.resize(size_t(L) + 1);
  w.backward_bound.resize(size_t(L) + 1);
  if (int64_t(w.residual.size()) < b) w.residual.resize(size_t(b));
  StepPlan p{model, exec(model), L, b, t, batch, eta, decay, nullptr, nullptr, w.residual.data(), nullptr, nullptr,
             0, 0.0, w.coefficient.data(), w.forward_bound.data(), w.backward_bound.data()};
  int64_t forward_size = 0, backward_size = 0;
  f.layout(p, w, forward_size, backward_size);
  if (int64_t(w.forward.size()) < forward_size) w.forward.resize(size_t(forward_size));
  if (int64_t(w.backward.size()) < backward_size) w.backward.resize(size_t(backward_size));
  p.F = w.forward.data();
  p.B = w.backward.data();
  p.backward_size = backward_size;

  // ---- residuals and activations at θ_t (nothing is modified yet) --------
  f.residuals(p);
  for (int64_t k = 0; k < b; ++k) {
    if (!std::isfinite(p.g[k] * p.g[k])) diverged(t, "the residual of a batch entry is not finite");
    p.g[k] *= 2.0 / double(b);
  }
  // ---- a priori bounds: the formulation's vectors, each layer's update, every entry of A after
  double *coefficient = w.coefficient.data(), *growth = w.growth.data(), *bmax = p.bmax, *fmax = p.fmax;
  for (int64_t k = 0; k < b; ++k) p.gsum += std::fabs(p.g[k]);
  const double gsum = p.gsum;
  // Every partial product a kernel may form must stay finite too, not only
  // the full bound: with a tiny scale s, η/s · g can overflow while
  // η/s · g · max|B| · max|F| is moderate (a fuzzer found this).
  bool risky = false;
  f.bound(p, risky);
  long double entry = 1.0L;  // bound on |A_ij| after the step, in the range of long double
  for (int64_t l = 1; l <= L; ++l) {
    const Layer &W = model.layer(l);
    coefficient[l] = -eta / (decay * W.scale);
    const double c = std::fabs(coefficient[l]);
    const double left = l == L ? 1.0 : bmax[l], right = l == 1 ? 1.0 : fmax[l - 1];
    growth[l] = product_bound(c, gsum, left, right);
    const double after = W.max_abs_bound + growth[l];
    for (double bound : {after, left, right, c, product_bound(c, gsum, 1.0, 1.0), product_bound(c, gsum, left, 1.0),
                         product_bound(gsum, left, right, 1.0), product_bound(c, gsum, right, 1.0)})
      check_bound(risky, bound);
    entry *= static_cast<long double>(decay) * W.scale * after * (l < L ? double(n[size_t(l)]) : 1.0);
  }
  if (!(entry + max_abs_y(model) < kSafeEntry)) risky = true;

  if (risky) {
    cautious_update(p, f);
    return;
  }
  f.update(p, false);
  // ---- commit the scalar decay; fold it in before it gets tiny ------------
  for (int64_t l = 1; l <= L; ++l) {
    Layer &W = model.layer(l);
    W.max_abs_bound = (W.max_abs_bound + growth[l]) * (1.0 + 0x1p-50);  // rounding of V + update
    W.scale *= decay;
    if (W.scale < kRenormalizeBelow) W.fold_scale();
  }
}

}  // namespace dln
