#include "spectra.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "blis.h"
#include "errors.hpp"
#include "lapack.hpp"
#include "model.hpp"

namespace dln {

int64_t hidden_layer_count(const dln_model &model) { return std::max<int64_t>(model.depth - 1, 1); }

std::vector<double> layer_spectrum(const dln_model &model, int64_t l) {
  const Layer &W = model.layer(l);
  std::vector<double> s = singular_values_rowmajor(W.rows, W.cols, W.v.data());
  for (double &x : s) x *= W.scale;
  return s;
}

std::vector<double> end_to_end_spectrum(const dln_model &model) {
  const int64_t L = model.depth;
  const std::vector<int64_t> &n = model.widths;
  const int64_t k = *std::min_element(n.begin(), n.end());
  std::vector<double> sigma;
  if (L == 1) {
    sigma = layer_spectrum(model, 1);
  } else {
    // W_1^T = Q_1 R_1: the row-major n_1 × m matrix V_1 is V_1^T in column-major.
    const Layer &W1 = model.layer(1), &WL = model.layer(L);
    double *a = model.query_scratch.get(std::max(W1.v.size(), WL.v.size()));
    std::copy(W1.v.begin(), W1.v.end(), a);
    std::vector<double> R1 = qr_r_factor(n[0], n[1], a, n[0]);  // r1 × n_1, r1 = min(m, n_1)
    const int64_t r1 = std::min(n[0], n[1]);
    // W_L = Q_L R_L: transpose the row-major n × n_{L-1} matrix into column-major.
    const int64_t nl = n[size_t(L)], nh = n[size_t(L - 1)];
    for (int64_t i = 0; i < nl; ++i)
      for (int64_t j = 0; j < nh; ++j) a[size_t(j * nl + i)] = WL.v[size_t(i * nh + j)];
    std::vector<double> RL = qr_r_factor(nl, nh, a, nl);  // rL × n_{L-1}
    const int64_t rL = std::min(nl, nh);
    // Core K = R_L V_{L-1} ⋯ V_2 R_1^T, built right to left as P (n_ℓ × r1, row-major).
    std::vector<double> P(static_cast<size_t>(n[1] * r1)), next;
    for (int64_t i = 0; i < n[1]; ++i)
      for (int64_t j = 0; j < r1; ++j) P[size_t(i * r1 + j)] = R1[size_t(j * n[1] + i)];
    const ExecContext &blas = exec(model);
    auto multiply = [&](const double *left, int64_t rows, int64_t inner) {  // P ← left P
      next.assign(size_t(rows * r1), 0.0);
      blas.gemm(false, false, rows, r1, inner, 1.0, left, inner, 1, P.data(), r1, 1, 0.0, next.data(), r1, 1);
      P.swap(next);
    };
    for (int64_t l = 2; l <= L - 1; ++l) multiply(model.layer(l).v.data(), n[size_t(l)], n[size_t(l - 1)]);
    multiply(RL.data(), rL, nh);
    sigma = singular_values_rowmajor(rL, r1, P.data());
    double scale = 1.0;
    for (const Layer &W : model.layers) scale *= W.scale;
    for (double &x : sigma) x *= scale;
  }
  sigma.resize(size_t(k), 0.0);
  return sigma;
}

std::vector<double> bottleneck_spectrum(const dln_model &model, int64_t k) {
  if (model.depth == 1) return layer_spectrum(model, 1);
  const Layer &Wk = model.layer(k), &Wn = model.layer(k + 1);
  // M_k^T = [W_k^T; W_{k+1}] in column-major: column p holds row p of W_k,
  // then column p of W_{k+1}.
  const int64_t nk = Wk.rows, left = Wk.cols, right = Wn.rows, ld = left + right;
  double *a = model.query_scratch.get(size_t(ld * nk));
  for (int64_t p = 0; p < nk; ++p) {
    double *col = a + p * ld;
    for (int64_t q = 0; q < left; ++q) col[q] = Wk.scale * Wk.v[size_t(p * left + q)];
  }
  // W_{k+1} row by row (contiguous reads; nk sequential write streams): its
  // column-by-column gather would sweep a tall matrix nk times.
  for (int64_t q = 0; q < right; ++q) {
    const double *row = Wn.v.data() + q * nk;
    for (int64_t p = 0; p < nk; ++p) a[size_t(p * ld + left + q)] = Wn.scale * row[p];
  }
  if (ld <= 2 * nk) return singular_values_colmajor(ld, nk, a, ld);
  // Tall (a wide target): the thin QR first, then the SVD of the nk × nk R.
  std::vector<double> r = qr_r_factor(ld, nk, a, ld);
  return singular_values_rowmajor(nk, nk, r.data());
}

int64_t numerical_rank(const std::vector<double> &sigma, double atol, double rtol) {
  double top = sigma.empty() ? 0.0 : *std::max_element(sigma.begin(), sigma.end());
  double cut = std::max(atol, rtol * top);
  return std::count_if(sigma.begin(), sigma.end(), [&](double s) { return s > cut; });
}

double rank_measure(const std::vector<double> &sigma, int measure, double atol, double rtol) {
  double top = sigma.empty() ? 0.0 : *std::max_element(sigma.begin(), sigma.end());
  switch (measure) {
    case DLN_RANK_NUMERICAL:
      return double(numerical_rank(sigma, atol, rtol));
    case DLN_RANK_EFFECTIVE: {
      double total = std::accumulate(sigma.begin(), sigma.end(), 0.0);
      if (!(total > 0.0)) return 0.0;
      double entropy = 0.0;
      for (double s : sigma)
        if (s > 0.0) entropy -= (s / total) * std::log(s / total);
      return std::exp(entropy);
    }
    case DLN_RANK_STABLE: {
      if (!(top > 0.0)) return 0.0;
      double sum = 0.0;
      for (double s : sigma) sum += (s / top) * (s / top);
      return sum;
    }
  }
  fail(DLN_ERR_UNKNOWN_PARAM, "measure=%d is not a DLN_RANK_* value", measure);
}

double balancedness(const dln_model &model) {
  // max_ℓ ‖W_{ℓ+1}^T W_{ℓ+1} − W_ℓ W_ℓ^T‖_2, both n_ℓ × n_ℓ Gram matrices.
  double worst = 0.0;
  const ExecContext &blas = exec(model);
  for (int64_t l = 1; l < model.depth; ++l) {
    const Layer &W = model.layer(l), &U = model.layer(l + 1);
    const int64_t h = W.rows;
    std::vector<double> D(static_cast<size_t>(h * h));
    double su = U.scale * U.scale, sw = -W.scale * W.scale;
    // D = su · V_{ℓ+1}^T V_{ℓ+1}  (V_{ℓ+1} row-major U.rows × h)
    blas.gemm(true, false, h, h, U.rows, su, U.v.data(), h, 1, U.v.data(), h, 1, 0.0, D.data(), h, 1);
    // D += −sw_abs · V_ℓ V_ℓ^T  (V_ℓ row-major h × W.cols)
    blas.gemm(false, true, h, h, W.cols, sw, W.v.data(), W.cols, 1, W.v.data(), W.cols, 1, 1.0, D.data(), h, 1);
    std::vector<double> eig = symmetric_eigenvalues(h, D.data());
    for (double e : eig) worst = std::max(worst, std::fabs(e));
  }
  return worst;
}

}  // namespace dln
