#include "spectra.hpp"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <numeric>

#include "blis.h"
#include "errors.hpp"
#include "lapack.hpp"
#include "model.hpp"

namespace dln {
namespace {

int clamp_exponent(int64_t e) { return int(std::clamp<int64_t>(e, -100000, 100000)); }

double max_magnitude_of(const double *x, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  return m;
}

// W = scale·V written as 2^E · Ŵ with max|Ŵ| <= 1, each entry computed as
// (v·a)·b with both factors normal or zero: scale and max|V| may each be
// anywhere in the double range (scale 1e-300 with V at 1e300 is a weight
// of 1), so neither 2^-E nor scale·2^-E alone need be representable.
// V below the smallest normal is zero, as the step reads it (DAZ, §8).
struct Scaling {
  bool zero = true;
  double fs = 0.0;  // scale = fs · 2^es, fs in [0.5, 1)
  int es = 0, ev = 0;  // max|V| < 2^ev

  int64_t top() const { return zero ? INT64_MIN : int64_t(es) + ev; }  // max|W| < 2^top
  // Factors for a common exponent E >= top(). Without the mantissa fs, a·b
  // is a power of two (exact) and the caller multiplies the spectrum by fs,
  // as σ(W) = scale·σ(V) was computed before scaling existed.
  void factors(int64_t E, double &a, double &b, bool with_mantissa = true) const {
    if (zero) {
      a = b = 0.0;
      return;
    }
    const int shift = std::min(ev, 1021);
    a = std::ldexp(1.0, -shift);
    b = std::ldexp(with_mantissa ? fs : 1.0, clamp_exponent(int64_t(es) - E + shift));
  }
};

Scaling scaling_of(const Layer &W) {
  Scaling s;
  const double m = max_magnitude_of(W.v.data(), W.v.size());
  if (!(m >= DBL_MIN)) return s;
  s.zero = false;
  std::frexp(m, &s.ev);
  s.fs = std::frexp(W.scale, &s.es);
  return s;
}

// The exponent shared by several layers: the largest top(), 0 if all are zero.
int64_t common_exponent(std::initializer_list<Scaling> all) {
  int64_t E = INT64_MIN;
  for (const Scaling &s : all) E = std::max(E, s.top());
  return E == INT64_MIN ? 0 : E;
}

// Ŵ = 2^-E W row-major into out (without the mantissa: 2^-E W / fs).
void copy_scaled(const Layer &W, const Scaling &s, int64_t E, double *out, bool with_mantissa = true) {
  double a, b;
  s.factors(E, a, b, with_mantissa);
  for (size_t i = 0; i < W.v.size(); ++i) out[i] = (W.v[i] * a) * b;
}

// P ← 2^-e P with max|P| in [0.5, 1); adds e to exponent. False if P = 0.
bool renormalise(std::vector<double> &P, int64_t &exponent) {
  const double m = max_magnitude_of(P.data(), P.size());
  if (!(m >= DBL_MIN)) return false;
  int e = 0;
  std::frexp(m, &e);
  const double c = std::ldexp(1.0, -e);  // e in [-1021, 64]: a normal power of two
  for (double &x : P) x *= c;
  exponent += e;
  return true;
}

}  // namespace

std::vector<double> ScaledSpectrum::unscaled() const {
  std::vector<double> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = std::ldexp(values[i], clamp_exponent(exponent));
  return out;
}

bool ScaledSpectrum::fits_double() const {
  for (double x : unscaled())
    if (!std::isfinite(x)) return false;
  return true;
}

int64_t hidden_layer_count(const dln_model &model) { return std::max<int64_t>(model.depth - 1, 1); }

int64_t end_to_end_dimension(const dln_model &model) { return std::max(model.rows(), model.cols()); }

int64_t layer_dimension(const dln_model &model, int64_t l) {
  return std::max(model.layer(l).rows, model.layer(l).cols);
}

int64_t bottleneck_dimension(const dln_model &model, int64_t k) {
  if (model.depth == 1) return layer_dimension(model, 1);
  return std::max(model.layer(k).rows, model.layer(k).cols + model.layer(k + 1).rows);
}

ScaledSpectrum layer_spectrum_scaled(const dln_model &model, int64_t l) {
  const Layer &W = model.layer(l);
  const Scaling s = scaling_of(W);
  ScaledSpectrum out;
  out.exponent = common_exponent({s});
  double *a = model.query_scratch.get(W.v.size());
  copy_scaled(W, s, out.exponent, a, false);
  // The row-major rows × cols matrix is the column-major cols × rows transpose: same spectrum.
  out.values = singular_values_colmajor(W.cols, W.rows, a, W.cols);
  for (double &x : out.values) x *= s.fs;
  return out;
}

ScaledSpectrum end_to_end_spectrum_scaled(const dln_model &model) {
  const int64_t L = model.depth;
  const std::vector<int64_t> &n = model.widths;
  const int64_t k = *std::min_element(n.begin(), n.end());
  ScaledSpectrum out;
  if (L == 1) {
    out = layer_spectrum_scaled(model, 1);
  } else {
    // W_1^T = Q_1 R_1: the row-major n_1 × m matrix V_1 is V_1^T in column-major.
    const Layer &W1 = model.layer(1), &WL = model.layer(L);
    const Scaling s1 = scaling_of(W1), sL = scaling_of(WL);
    const int64_t E1 = common_exponent({s1}), EL = common_exponent({sL});
    double *a = model.query_scratch.get(std::max(W1.v.size(), WL.v.size()));
    copy_scaled(W1, s1, E1, a, false);
    std::vector<double> R1 = qr_r_factor(n[0], n[1], a, n[0]);  // r1 × n_1, r1 = min(m, n_1)
    const int64_t r1 = std::min(n[0], n[1]);
    // W_L = Q_L R_L: transpose the row-major n × n_{L-1} matrix into column-major.
    const int64_t nl = n[size_t(L)], nh = n[size_t(L - 1)];
    double fa, fb;
    sL.factors(EL, fa, fb, false);
    for (int64_t i = 0; i < nl; ++i)
      for (int64_t j = 0; j < nh; ++j) a[size_t(j * nl + i)] = (WL.v[size_t(i * nh + j)] * fa) * fb;
    std::vector<double> RL = qr_r_factor(nl, nh, a, nl);  // rL × n_{L-1}
    const int64_t rL = std::min(nl, nh);
    // Core K = R_L V_{L-1} ⋯ V_2 R_1^T, built right to left as P (n_ℓ × r1,
    // row-major), brought back to max|P| < 1 after every product.
    std::vector<double> P(static_cast<size_t>(n[1] * r1)), next, layer;
    for (int64_t i = 0; i < n[1]; ++i)
      for (int64_t j = 0; j < r1; ++j) P[size_t(i * r1 + j)] = R1[size_t(j * n[1] + i)];
    const ExecContext &blas = exec(model);
    auto multiply = [&](const double *left, int64_t rows, int64_t inner) {  // P ← left P
      next.assign(size_t(rows * r1), 0.0);
      blas.gemm(false, false, rows, r1, inner, 1.0, left, inner, 1, P.data(), r1, 1, 0.0, next.data(), r1, 1);
      P.swap(next);
    };
    out.exponent = E1 + EL;
    double mantissa = s1.fs * sL.fs;  // the layers' fs, multiplied into σ at the end
    int shift = 0;
    bool nonzero = renormalise(P, out.exponent);
    for (int64_t l = 2; nonzero && l <= L - 1; ++l) {
      const Layer &W = model.layer(l);
      const Scaling s = scaling_of(W);
      const int64_t E = common_exponent({s});
      layer.resize(W.v.size());
      copy_scaled(W, s, E, layer.data(), false);
      multiply(layer.data(), n[size_t(l)], n[size_t(l - 1)]);
      out.exponent += E;
      mantissa = std::frexp(mantissa * s.fs, &shift);  // in [0.5, 1): no underflow over 1024 layers
      out.exponent += shift;
      nonzero = renormalise(P, out.exponent);
    }
    if (nonzero) {
      multiply(RL.data(), rL, nh);
      nonzero = renormalise(P, out.exponent);
    }
    if (nonzero) {
      out.values = singular_values_rowmajor(rL, r1, P.data());
      for (double &x : out.values) x *= mantissa;
    } else {
      out.exponent = 0;
    }
  }
  out.values.resize(size_t(k), 0.0);
  return out;
}

ScaledSpectrum bottleneck_spectrum_scaled(const dln_model &model, int64_t k) {
  if (model.depth == 1) return layer_spectrum_scaled(model, 1);
  const Layer &Wk = model.layer(k), &Wn = model.layer(k + 1);
  const Scaling sk = scaling_of(Wk), sn = scaling_of(Wn);
  ScaledSpectrum out;
  out.exponent = common_exponent({sk, sn});
  double ka, kb, na, nb;
  sk.factors(out.exponent, ka, kb);
  sn.factors(out.exponent, na, nb);
  // M_k^T = [W_k^T; W_{k+1}] in column-major: column p holds row p of W_k,
  // then column p of W_{k+1}.
  const int64_t nk = Wk.rows, left = Wk.cols, right = Wn.rows, ld = left + right;
  double *a = model.query_scratch.get(size_t(ld * nk));
  for (int64_t p = 0; p < nk; ++p) {
    double *col = a + p * ld;
    for (int64_t q = 0; q < left; ++q) col[q] = (Wk.v[size_t(p * left + q)] * ka) * kb;
  }
  // W_{k+1} row by row (contiguous reads; nk sequential write streams): its
  // column-by-column gather would sweep a tall matrix nk times.
  for (int64_t q = 0; q < right; ++q) {
    const double *row = Wn.v.data() + q * nk;
    for (int64_t p = 0; p < nk; ++p) a[size_t(p * ld + left + q)] = (row[p] * na) * nb;
  }
  if (ld <= 2 * nk) {
    out.values = singular_values_colmajor(ld, nk, a, ld);
  } else {
    // Tall (a wide target): the thin QR first, then the SVD of the nk × nk R.
    std::vector<double> r = qr_r_factor(ld, nk, a, ld);
    out.values = singular_values_rowmajor(nk, nk, r.data());
  }
  return out;
}

std::vector<double> end_to_end_spectrum(const dln_model &model) {
  return end_to_end_spectrum_scaled(model).unscaled();
}
std::vector<double> layer_spectrum(const dln_model &model, int64_t l) {
  return layer_spectrum_scaled(model, l).unscaled();
}
std::vector<double> bottleneck_spectrum(const dln_model &model, int64_t k) {
  return bottleneck_spectrum_scaled(model, k).unscaled();
}

double default_rtol(int64_t dimension) { return double(std::max<int64_t>(dimension, 1)) * 0x1p-53; }

int64_t numerical_rank(const ScaledSpectrum &sigma, double atol, double rtol, int64_t dimension) {
  if (atol == 0.0 && rtol == 0.0) rtol = default_rtol(dimension);
  const std::vector<double> &s = sigma.values;
  const double top = s.empty() ? 0.0 : *std::max_element(s.begin(), s.end());
  // σ_i > atol  ⇔  values[i] > atol · 2^-exponent (0 or +inf where that does not fit).
  const double cut = std::max(std::ldexp(atol, clamp_exponent(-sigma.exponent)), rtol * top);
  return std::count_if(s.begin(), s.end(), [&](double x) { return x > cut; });
}

int64_t numerical_rank(const std::vector<double> &sigma, double atol, double rtol) {
  return numerical_rank(ScaledSpectrum{sigma, 0}, atol, rtol, int64_t(sigma.size()));
}

double rank_measure(const ScaledSpectrum &sigma, int measure, double atol, double rtol, int64_t dimension) {
  const std::vector<double> &s = sigma.values;
  const double top = s.empty() ? 0.0 : *std::max_element(s.begin(), s.end());
  switch (measure) {
    case DLN_RANK_NUMERICAL:
      return double(numerical_rank(sigma, atol, rtol, dimension));
    case DLN_RANK_EFFECTIVE: {
      // p_i = σ_i / Σσ, with every σ divided by σ_1 first: Σσ of {1e308, 1e308} overflows.
      if (!(top > 0.0)) return 0.0;
      double total = 0.0;
      for (double x : s) total += x / top;
      double entropy = 0.0;
      for (double x : s) {
        const double p = (x / top) / total;
        if (p > 0.0) entropy -= p * std::log(p);
      }
      return std::exp(entropy);
    }
    case DLN_RANK_STABLE: {
      if (!(top > 0.0)) return 0.0;
      double sum = 0.0;
      for (double x : s) sum += (x / top) * (x / top);
      return sum;
    }
  }
  fail(DLN_ERR_UNKNOWN_PARAM, "measure=%d is not a DLN_RANK_* value", measure);
}

double balancedness(const dln_model &model) {
  // max_ℓ ‖W_{ℓ+1}^T W_{ℓ+1} − W_ℓ W_ℓ^T‖_2, both n_ℓ × n_ℓ Gram matrices,
  // of the two layers scaled by one power of two 2^-E (the Grams of weights
  // near 1e308 overflow); the residual is then 2^{2E} times that of the scaled pair.
  double worst = 0.0;

  std::vector<double> w, u;
  const ExecContext &blas = exec(model);
  for (int64_t l = 1; l < model.depth; ++l) {
    const Layer &W = model.layer(l), &U = model.layer(l + 1);
    const Scaling sw = scaling_of(W), su = scaling_of(U);
    const int64_t E = common_exponent({sw, su});
    w.resize(W.v.size());
    u.resize(U.v.size());
    copy_scaled(W, sw, E, w.data());
    copy_scaled(U, su, E, u.data());
    const int64_t h = W.rows;
    std::vector<double> D(static_cast<size_t>(h * h));
    // D = Û^T Û  (Û row-major U.rows × h)
    blas.gemm(true, false, h, h, U.rows, 1.0, u.data(), h, 1, u.data(), h, 1, 0.0, D.data(), h, 1);
    // D −= Ŵ Ŵ^T  (Ŵ row-major h × W.cols)
    blas.gemm(false, true, h, h, W.cols, -1.0, w.data(), W.cols, 1, w.data(), W.cols, 1, 1.0, D.data(), h, 1);
    std::vector<double> eig = symmetric_eigenvalues(h, D.data());
    double largest = 0.0;
    for (double e : eig) largest = std::max(largest, std::fabs(e));
    worst = std::max(worst, std::ldexp(largest, clamp_exponent(2 * E)));
  }
  return worst;
}

}  // namespace dln
