// SGD step kernels (SPEC §3). For a batch (i_k, j_k), k < b:
//   forward   F_1 = W_1[:, J],  F_ℓ = W_ℓ F_{ℓ-1}         (ℓ = 2 … L-1)
//   backward  B_{L-1} = W_L[I, :]^T,  B_{ℓ-1} = W_ℓ^T B_ℓ  (ℓ = L-1 … 2)
//   residual  r_k = <B_{L-1}[:,k], F_{L-1}[:,k]> − y_k,  g_k = 2 r_k / b
//   update    W_ℓ ← d W_ℓ − η B_ℓ diag(g) F_{ℓ-1}^T,  d = 1 − 2ηλ,
// with W_1 and W_L touched only in the columns j_k and rows i_k. As
// W_ℓ = s_ℓ V_ℓ, the decay is s_ℓ ← d s_ℓ and V_ℓ gets the update / s_ℓ.
// Everything is computed from θ_t before any weight changes, so a non-finite
// intermediate leaves θ_t intact. The update itself can only overflow if
// max|V| + |update| approaches DBL_MAX, which a per-layer bound rules out
// cheaply; when it cannot, the layer is backed up first.
#include "step.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "blis.h"
#include "errors.hpp"
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
constexpr double kSafeMagnitude = 1e300;       // below this, V + update cannot overflow

double max_abs(const double *x, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;  // NaN-propagation is not needed: finiteness is checked separately
}

bool all_finite(const double *x, int64_t n) { return first_non_finite(x, n) < 0; }

struct Diverged {};

// Offsets of F_ℓ / B_ℓ blocks (ℓ = 1 … L-1) in the workspace vectors.
struct Blocks {
  int64_t offset[1025];
};

}  // namespace

void step_on_batch(dln_model &model, const int64_t *batch, int64_t b) {
  const int64_t L = model.depth;
  const std::vector<int64_t> &n = model.widths;
  const int64_t t = model.step;
  const double eta = model.learning_rate_at(t);
  const double lambda = model.ridge_at(t);
  const double decay = 1.0 - 2.0 * eta * lambda;
  const Observations &obs = model.train;
  Workspace &w = model.work;

  // Workspace: grows only when a larger batch is first seen.
  int64_t hidden = 0;
  Blocks blocks;
  for (int64_t l = 1; l < L; ++l) {
    blocks.offset[l] = hidden;
    hidden += n[size_t(l)] * b;
  }
  if (int64_t(w.forward.size()) < hidden) {
    w.forward.resize(size_t(hidden));
    w.backward.resize(size_t(hidden));
  }
  int64_t widest = *std::max_element(n.begin(), n.end());
  if (int64_t(w.scaled.size()) < widest * b) w.scaled.resize(size_t(widest * b));
  if (int64_t(w.residual.size()) < b) w.residual.resize(size_t(b));
  double *F = w.forward.data(), *B = w.backward.data(), *g = w.residual.data();
  auto Fl = [&](int64_t l) { return F + blocks.offset[l]; };
  auto Bl = [&](int64_t l) { return B + blocks.offset[l]; };

  rntm_t rntm = BLIS_RNTM_INITIALIZER;
  bli_rntm_set_num_threads(dim_t(model.options.threads), &rntm);
  double zero = 0.0, one = 1.0;

  // ---- residuals at θ_t --------------------------------------------------
  if (L == 1) {
    const Layer &W = model.layer(1);
    for (int64_t k = 0; k < b; ++k) {
      int64_t o = batch[k];
      g[k] = W.weight(obs.rows[size_t(o)], obs.cols[size_t(o)]) - obs.values[size_t(o)];
    }
  } else {
    const Layer &W1 = model.layer(1), &WL = model.layer(L);
    for (int64_t k = 0; k < b; ++k) {  // gather: F_1 = W_1[:, J], B_{L-1} = W_L[I, :]^T
      int64_t o = batch[k];
      int64_t j = obs.cols[size_t(o)], i = obs.rows[size_t(o)];
      double *f = Fl(1) + k * n[1];
      for (int64_t p = 0; p < n[1]; ++p) f[p] = W1.scale * W1.v[size_t(p * n[0] + j)];
      double *bl = Bl(L - 1) + k * n[size_t(L - 1)];
      const double *row = WL.v.data() + i * n[size_t(L - 1)];
      for (int64_t p = 0; p < n[size_t(L - 1)]; ++p) bl[p] = WL.scale * row[p];
    }
    for (int64_t l = 2; l <= L - 1; ++l) {  // F_ℓ = s_ℓ V_ℓ F_{ℓ-1}
      Layer &W = model.layer(l);
      double alpha = W.scale;
      if (b == 1)
        bli_dgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, n[size_t(l)], n[size_t(l - 1)], &alpha,
                     W.v.data(), n[size_t(l - 1)], 1, Fl(l - 1), 1, &zero, Fl(l), 1, nullptr, &rntm);
      else
        bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n[size_t(l)], b, n[size_t(l - 1)], &alpha,
                     W.v.data(), n[size_t(l - 1)], 1, Fl(l - 1), 1, n[size_t(l - 1)], &zero, Fl(l), 1,
                     n[size_t(l)], nullptr, &rntm);
    }
    const int64_t top = n[size_t(L - 1)];
    for (int64_t k = 0; k < b; ++k) {
      double a = 0.0;
      const double *f = Fl(L - 1) + k * top, *bl = Bl(L - 1) + k * top;
      for (int64_t p = 0; p < top; ++p) a += bl[p] * f[p];
      g[k] = a - obs.values[size_t(batch[k])];
    }
    for (int64_t l = L - 1; l >= 2; --l) {  // B_{ℓ-1} = s_ℓ V_ℓ^T B_ℓ
      Layer &W = model.layer(l);
      double alpha = W.scale;
      if (b == 1)
        bli_dgemv_ex(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, n[size_t(l - 1)], n[size_t(l)], &alpha,
                     W.v.data(), 1, n[size_t(l - 1)], Bl(l), 1, &zero, Bl(l - 1), 1, nullptr, &rntm);
      else
        bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_NO_TRANSPOSE, n[size_t(l - 1)], b, n[size_t(l)], &alpha,
                     W.v.data(), 1, n[size_t(l - 1)], Bl(l), 1, n[size_t(l)], &zero, Bl(l - 1), 1,
                     n[size_t(l - 1)], nullptr, &rntm);
    }
  }
  for (int64_t k = 0; k < b; ++k) {
    if (!std::isfinite(g[k] * g[k]))
      fail(DLN_ERR_DIVERGED, "step t=%lld: residual of observation %lld is %g; weights kept as before the step",
           (long long)t, (long long)batch[k], g[k]);
    g[k] *= 2.0 / double(b);
  }
  if (!all_finite(F, hidden) || !all_finite(B, hidden))
    fail(DLN_ERR_DIVERGED, "step t=%lld: a hidden activation is not finite; weights kept as before the step",
         (long long)t);

  // ---- updates: V_ℓ += −η/(d s_ℓ) · grad_ℓ ---------------------------------
  // Magnitude of each layer's update, to rule out overflow before touching it.
  auto update_bound = [&](int64_t l, double coef) {
    double total = 0.0;
    for (int64_t k = 0; k < b; ++k) {
      double left = l == L ? 1.0 : max_abs(Bl(l) + k * n[size_t(l)], n[size_t(l)]);
      double right = l == 1 ? 1.0 : max_abs(Fl(l - 1) + k * n[size_t(l - 1)], n[size_t(l - 1)]);
      total += std::fabs(coef * g[k]) * left * right;
    }
    return total;
  };
  std::vector<double> &coefficient = w.coefficient, &growth = w.growth;
  coefficient.resize(size_t(L) + 1);
  growth.resize(size_t(L) + 1);
  bool risky = false;
  for (int64_t l = 1; l <= L; ++l) {
    Layer &W = model.layer(l);
    coefficient[size_t(l)] = -eta / (decay * W.scale);
    growth[size_t(l)] = update_bound(l, coefficient[size_t(l)]);
    if (!(W.max_abs_bound + growth[size_t(l)] < kSafeMagnitude)) risky = true;
  }
  if (risky) {  // rare: keep a copy of every layer so the step can be undone exactly
    size_t total = 0;
    for (const Layer &W : model.layers) total += W.v.size();
    w.backup.resize(total);
    size_t at = 0;
    for (const Layer &W : model.layers) {
      std::copy(W.v.begin(), W.v.end(), w.backup.begin() + long(at));
      at += W.v.size();
    }
  }

  for (int64_t l = 1; l <= L; ++l) {
    Layer &W = model.layer(l);
    const double c = coefficient[size_t(l)];
    const int64_t rows = W.rows, cols = W.cols;
    double *V = W.v.data();
    if (L == 1) {
      for (int64_t k = 0; k < b; ++k) {
        int64_t o = batch[k];
        V[obs.rows[size_t(o)] * cols + obs.cols[size_t(o)]] += c * g[k];
      }
    } else if (l == 1) {  // columns j_k of V_1 += c g_k B_1[:,k]
      for (int64_t k = 0; k < b; ++k) {
        int64_t j = obs.cols[size_t(batch[k])];
        const double *bk = Bl(1) + k * rows;
        double ck = c * g[k];
        for (int64_t p = 0; p < rows; ++p) V[p * cols + j] += ck * bk[p];
      }
    } else if (l == L) {  // rows i_k of V_L += c g_k F_{L-1}[:,k]^T
      for (int64_t k = 0; k < b; ++k) {
        int64_t i = obs.rows[size_t(batch[k])];
        const double *fk = Fl(L - 1) + k * cols;
        double ck = c * g[k];
        double *row = V + i * cols;
        for (int64_t q = 0; q < cols; ++q) row[q] += ck * fk[q];
      }
    } else if (b == 1) {
      double alpha = c * g[0];
      bli_dger_ex(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, rows, cols, &alpha, Bl(l), 1, Fl(l - 1), 1, V,
                  cols, 1, nullptr, &rntm);
    } else {  // V_ℓ += c (B_ℓ diag(g)) F_{ℓ-1}^T
      double *S = w.scaled.data();
      const double *Bk = Bl(l);
      for (int64_t k = 0; k < b; ++k)
        for (int64_t p = 0; p < rows; ++p) S[k * rows + p] = g[k] * Bk[k * rows + p];
      double alpha = c;
      bli_dgemm_ex(BLIS_NO_TRANSPOSE, BLIS_TRANSPOSE, rows, cols, b, &alpha, S, 1, rows, Fl(l - 1), 1,
                   cols, &one, V, cols, 1, nullptr, &rntm);
    }
  }

  if (risky) {
    bool finite = true;
    for (const Layer &W : model.layers) finite = finite && all_finite(W.v.data(), int64_t(W.v.size()));
    if (!finite) {
      size_t at = 0;
      for (Layer &W : model.layers) {
        std::copy(w.backup.begin() + long(at), w.backup.begin() + long(at + W.v.size()), W.v.begin());
        at += W.v.size();
      }
      fail(DLN_ERR_DIVERGED, "step t=%lld: a weight overflowed; weights kept as before the step",
           (long long)t);
    }
  }

  // ---- commit the scalar decay; fold it in before it gets tiny ------------
  for (int64_t l = 1; l <= L; ++l) {
    Layer &W = model.layer(l);
    W.max_abs_bound += growth[size_t(l)];
    if (risky) W.max_abs_bound = max_abs(W.v.data(), int64_t(W.v.size()));
    W.scale *= decay;
    if (W.scale < kRenormalizeBelow) W.fold_scale();
  }
}

}  // namespace dln
