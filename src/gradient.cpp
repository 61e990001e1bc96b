// ∇L_λ(θ) = ∂C/∂W_ℓ + 2λ_t W_ℓ with ∂C/∂W_ℓ = W_{>ℓ}^T G W_{<ℓ}^T and
// G = (2/N) Σ_k r_k e_{i_k} e_{j_k}^T (math §3, §5). Forward vectors exist
// only for the p distinct columns, backward vectors only for the q distinct
// rows; G is applied as a sparse q × p matrix (math §8).
#include "gradient.hpp"

#include <algorithm>
#include <cmath>

#include "exec_context.hpp"
#include "errors.hpp"
#include "evaluate.hpp"
#include "model.hpp"

namespace dln {
namespace {

// Distinct values of `keys`, and for each entry its position among them.
std::vector<int64_t> distinct(const std::vector<int64_t> &keys, std::vector<int64_t> &position) {
  std::vector<int64_t> values(keys);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  position.resize(keys.size());
  for (size_t k = 0; k < keys.size(); ++k)
    position[k] = std::lower_bound(values.begin(), values.end(), keys[k]) - values.begin();
  return values;
}

// C = alpha · op(A) · op(B), row-major, through the handle's execution context.
void gemm(const dln_model &model, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha,
          const double *a, int64_t lda, const double *b, int64_t ldb, double *c, int64_t ldc) {
  exec(model).gemm(ta, tb, m, n, k, alpha, a, lda, 1, b, ldb, 1, 0.0, c, ldc, 1);
}

}  // namespace

GradientNorms gradient_norms(const dln_model &model) {
  const int64_t L = model.depth, N = model.train.size();
  const std::vector<int64_t> &n = model.widths;
  const double lambda = model.ridge_at(model.step);
  GradientNorms out;
  out.per_layer.assign(size_t(L), 0.0);

  std::vector<double> g(static_cast<size_t>(N));  // g_k = 2 r_k / N
  predict(model, N, model.train.rows.data(), model.train.cols.data(), g.data());
  for (int64_t k = 0; k < N; ++k) g[size_t(k)] = 2.0 * (g[size_t(k)] - model.train.values[size_t(k)]) / double(N);
  std::vector<int64_t> at_row, at_col;
  const std::vector<int64_t> I = distinct(model.train.rows, at_row), J = distinct(model.train.cols, at_col);
  const int64_t q = int64_t(I.size()), p = int64_t(J.size());

  // FT[ℓ] = (W_{≤ℓ} E_J)^T, p × n_ℓ row-major, ℓ = 1..L-1.
  std::vector<std::vector<double>> FT(static_cast<size_t>(L));
  if (L >= 2) {
    const Layer &W1 = model.layer(1);
    FT[1].resize(size_t(p * n[1]));
    for (int64_t b = 0; b < p; ++b)
      for (int64_t r = 0; r < n[1]; ++r) FT[1][size_t(b * n[1] + r)] = W1.weight(r, J[size_t(b)]);
    for (int64_t l = 2; l <= L - 1; ++l) {
      const Layer &W = model.layer(l);
      FT[size_t(l)].resize(size_t(p * n[size_t(l)]));
      gemm(model, false, true, p, n[size_t(l)], n[size_t(l - 1)], W.scale, FT[size_t(l - 1)].data(),
           n[size_t(l - 1)], W.v.data(), n[size_t(l - 1)], FT[size_t(l)].data(), n[size_t(l)]);
    }
  }
  // BT = (W_{>ℓ}^T E_I)^T, q × n_ℓ row-major, walked from ℓ = L-1 down to 1.
  std::vector<double> BT, next, Y, D;
  if (L >= 2) {
    const Layer &WL = model.layer(L);
    const int64_t h = n[size_t(L - 1)];
    BT.resize(size_t(q * h));
    for (int64_t a = 0; a < q; ++a)
      for (int64_t c = 0; c < h; ++c) BT[size_t(a * h + c)] = WL.weight(I[size_t(a)], c);
  }

  double data2 = 0.0, ridge2 = 0.0, total2 = 0.0;
  auto accumulate = [&](int64_t l, const std::vector<double> &dC) {  // dC: ∂C/∂W_ℓ, row-major
    const Layer &W = model.layer(l);
    double d2 = 0.0, r2 = 0.0, t2 = 0.0;
    for (size_t e = 0; e < dC.size(); ++e) {
      const double ridge = 2.0 * lambda * W.scale * W.v[e];
      d2 += dC[e] * dC[e];
      r2 += ridge * ridge;
      t2 += (dC[e] + ridge) * (dC[e] + ridge);
    }
    data2 += d2, ridge2 += r2, total2 += t2;
    out.per_layer[size_t(l - 1)] = std::sqrt(t2);
  };

  for (int64_t l = L; l >= 1; --l) {
    const int64_t rows = n[size_t(l)], cols = n[size_t(l - 1)];
    D.assign(size_t(rows * cols), 0.0);
    if (L == 1) {  // ∂C/∂W_1 = G itself
      for (int64_t k = 0; k < N; ++k) D[size_t(model.train.rows[size_t(k)] * cols + model.train.cols[size_t(k)])] += g[size_t(k)];
    } else if (l == 1) {  // (B_1 S) scattered into the columns J
      for (int64_t k = 0; k < N; ++k) {
        const double *b = BT.data() + at_row[size_t(k)] * rows;
        const int64_t j = J[size_t(at_col[size_t(k)])];
        for (int64_t r = 0; r < rows; ++r) D[size_t(r * cols + j)] += g[size_t(k)] * b[r];
      }
    } else {
      // Y = S F_{ℓ-1}^T: q × n_{ℓ-1}
      Y.assign(size_t(q * cols), 0.0);
      for (int64_t k = 0; k < N; ++k) {
        double *y = Y.data() + at_row[size_t(k)] * cols;
        const double *f = FT[size_t(l - 1)].data() + at_col[size_t(k)] * cols;
        for (int64_t c = 0; c < cols; ++c) y[c] += g[size_t(k)] * f[c];
      }
      if (l == L) {  // B_L = E_I: rows I of D
        for (int64_t a = 0; a < q; ++a) std::copy_n(Y.data() + a * cols, cols, D.data() + I[size_t(a)] * cols);
      } else {
        gemm(model, true, false, rows, cols, q, 1.0, BT.data(), rows, Y.data(), cols, D.data(), cols);
      }
    }
    accumulate(l, D);
    if (L >= 2 && l >= 2) {  // BT ← BT · W_ℓ for the layer below (ℓ < L: B_{ℓ-1}^T = B_ℓ^T W_ℓ)
      if (l < L) {
        const Layer &W = model.layer(l);
        next.resize(size_t(q * cols));
        gemm(model, false, false, q, cols, rows, W.scale, BT.data(), rows, W.v.data(), cols, next.data(), cols);
        BT.swap(next);
      }
    }
  }
  out.total = std::sqrt(total2);
  out.data = std::sqrt(data2);
  out.ridge = std::sqrt(ridge2);
  return out;
}

}  // namespace dln

using namespace dln;

namespace {
// The documented tolerance of DLN_GRAD_CRITICAL (include/dlnsgd.h).
constexpr double kCriticalRelative = 1e-12;
}  // namespace

extern "C" {

int dln_gradient_norm(const dln_model *model, double *report, double *per_layer, int64_t capacity) {
  return guarded(model, "dln_gradient_norm", [&] {
    require_pointer(model, "model");
    require_pointer(report, "report");
    if (capacity < 0) fail(DLN_ERR_INVALID_ARGUMENT, "capacity=%lld is negative", (long long)capacity);
    if (capacity > 0) {
      require_pointer(per_layer, "per_layer");
      if (capacity < model->depth)
        fail(DLN_ERR_OUT_OF_RANGE, "capacity=%lld is less than the depth %lld", (long long)capacity,
             (long long)model->depth);
    }
    require_observations(*model, "dln_gradient_norm");
    const GradientNorms g = gradient_norms(*model);
    const double parts = g.data + g.ridge;
    report[DLN_GRAD_NORM] = g.total;
    report[DLN_GRAD_DATA] = g.data;
    report[DLN_GRAD_RIDGE] = g.ridge;
    report[DLN_GRAD_RELATIVE] = parts > 0.0 ? g.total / parts : 0.0;
    report[DLN_GRAD_CRITICAL] = report[DLN_GRAD_RELATIVE] <= kCriticalRelative ? 1.0 : 0.0;
    if (capacity > 0) std::copy(g.per_layer.begin(), g.per_layer.end(), per_layer);
  });
}

}  // extern "C"
