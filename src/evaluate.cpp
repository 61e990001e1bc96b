#include "evaluate.hpp"

#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>

#include "errors.hpp"
#include "model.hpp"

namespace dln {

void predict(const dln_model &model, int64_t count, const int64_t *rows, const int64_t *cols,
             double *out) {
  const int64_t L = model.depth;
  const std::vector<int64_t> &n = model.widths;
  if (L == 1) {
    for (int64_t k = 0; k < count; ++k) out[k] = model.layer(1).weight(rows[k], cols[k]);
    return;
  }
  constexpr int64_t chunk = 256;
  const int64_t widest = *std::max_element(n.begin() + 1, n.end() - 1);
  std::vector<double> x(static_cast<size_t>(widest * chunk)), y(static_cast<size_t>(widest * chunk));
  const ExecContext &blas = exec(model);
  for (int64_t start = 0; start < count; start += chunk) {
    const int64_t b = std::min(chunk, count - start);
    const Layer &W1 = model.layer(1);
    for (int64_t k = 0; k < b; ++k)  // x = W_1[:, J] as n_1 × b, column k contiguous
      for (int64_t p = 0; p < n[1]; ++p) x[size_t(k * n[1] + p)] = W1.weight(p, cols[start + k]);
    for (int64_t l = 2; l <= L - 1; ++l) {
      const Layer &W = model.layer(l);
      blas.gemm(false, false, n[size_t(l)], b, n[size_t(l - 1)], W.scale, W.v.data(), n[size_t(l - 1)], 1, x.data(), 1,
                n[size_t(l - 1)], 0.0, y.data(), 1, n[size_t(l)]);
      x.swap(y);
    }
    const Layer &WL = model.layer(L);
    const int64_t top = n[size_t(L - 1)];
    for (int64_t k = 0; k < b; ++k) {
      const double *row = WL.v.data() + rows[start + k] * top;
      double a = 0.0;
      for (int64_t p = 0; p < top; ++p) a += row[p] * x[size_t(k * top + p)];
      out[start + k] = WL.scale * a;
    }
  }
}

namespace {

std::vector<double> residuals(const dln_model &model, const Observations &o) {
  std::vector<double> r(static_cast<size_t>(o.size()));
  predict(model, o.size(), o.rows.data(), o.cols.data(), r.data());
  for (size_t k = 0; k < r.size(); ++k) r[k] -= o.values[k];
  return r;
}

int clamp_exponent(int64_t e) { return int(std::clamp<int64_t>(e, -100000, 100000)); }

// Σ x_i² with every x_i scaled by one power of two 2^-e first (max|x|·2^-e in
// [0.5, 1)): squares of entries beyond 1.3e154 or below 1.5e-154 neither
// overflow nor underflow (math §5). Entries below the smallest normal are
// zero, as the step reads them (DAZ, math §8). Non-finite entries give +inf.
Scaled sum_of_squares(const double *x, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; ++i) m = std::max(m, std::fabs(x[i]));
  if (!std::isfinite(m)) return {HUGE_VAL, 0};
  if (!(m >= DBL_MIN)) return {};
  int e = 0;
  std::frexp(m, &e);                      // e in [-1021, 1024]
  const double c = std::ldexp(1.0, -e);  // exact: 2^-1024 is a subnormal power of two
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double y = x[i] * c;
    s += y * y;
  }
  return {s, 2 * int64_t(e)};
}

// Σ_k of mantissa_k·2^exponent_k, as one Scaled (terms far below the largest vanish).
Scaled sum_of(const std::vector<Scaled> &terms) {
  int64_t top = INT64_MIN;
  for (const Scaled &t : terms)
    if (t.mantissa > 0.0) top = std::max(top, t.exponent);
  if (top == INT64_MIN) return {};
  double s = 0.0;
  for (const Scaled &t : terms)
    if (t.mantissa > 0.0) s += std::ldexp(t.mantissa, clamp_exponent(t.exponent - top));
  return {s, top};
}

}  // namespace

double Scaled::value() const { return mantissa == 0.0 ? 0.0 : std::ldexp(mantissa, clamp_exponent(exponent)); }

double Scaled::log2() const { return std::log2(mantissa) + double(exponent); }

Scaled data_cost_scaled(const dln_model &model) {
  const std::vector<double> r = residuals(model, model.train);
  Scaled s = sum_of_squares(r.data(), r.size());
  if (!r.empty()) s.mantissa /= double(r.size());
  return s;
}

double data_cost(const dln_model &model) { return data_cost_scaled(model).value(); }

Scaled weight_norm2_scaled(const dln_model &model) {
  // ‖s·V‖² = fs²·Σ(V·2^-e)²·2^(2·es + 2e), scale = fs·2^es: neither s² nor
  // Σv² is formed (a scale of 1e200 over V of 1e-200 is a weight of 1).
  std::vector<Scaled> layers;
  for (const Layer &W : model.layers) {
    Scaled v = sum_of_squares(W.v.data(), W.v.size());
    int es = 0;
    const double fs = std::frexp(W.scale, &es);
    layers.push_back({v.mantissa * fs * fs, v.exponent + 2 * int64_t(es)});
  }
  return sum_of(layers);
}

double weight_norm2(const dln_model &model) { return weight_norm2_scaled(model).value(); }

Scaled ridge_term_scaled(const dln_model &model) {
  const double ridge = model.ridge_at(model.step);
  if (ridge == 0.0) return {};
  Scaled norm2 = weight_norm2_scaled(model);  // weights are finite: so is its mantissa (<= #weights)
  norm2.mantissa *= ridge;
  return norm2;
}

double max_residual(const dln_model &model) {
  double rmax = 0.0;
  for (double x : residuals(model, model.train)) rmax = std::max(rmax, std::fabs(x));
  return rmax;
}

double test_error(const dln_model &model) {
  if (!model.truth.empty()) {
    // Row by row: the positions of one row at a time, never n·m of them.
    const int64_t n = model.rows(), m = model.cols();
    std::vector<int64_t> rows(static_cast<size_t>(m)), cols(static_cast<size_t>(m));
    std::vector<double> a(static_cast<size_t>(m));
    for (int64_t j = 0; j < m; ++j) cols[size_t(j)] = j;
    double sum = 0.0;
    for (int64_t i = 0; i < n; ++i) {
      std::fill(rows.begin(), rows.end(), i);
      predict(model, m, rows.data(), cols.data(), a.data());
      for (int64_t j = 0; j < m; ++j) {
        const double r = a[size_t(j)] - model.truth[size_t(i * m + j)];
        sum += r * r;
      }
    }
    return sum / double(n * m);
  }
  if (model.test.size() == 0)
    fail(DLN_ERR_STATE, "no test data: call dln_set_test_observations or dln_set_ground_truth first");
  const std::vector<double> r = residuals(model, model.test);
  Scaled s = sum_of_squares(r.data(), r.size());
  s.mantissa /= double(r.size());
  return s.value();
}

bool losses_surely_representable(const dln_model &model) {
  // In log2, so that no product of the bounds overflows; the bounds may sit
  // 2^-20 below max|V_ℓ| (a loaded checkpoint's), the margin covers it.
  double entry = 0.0, norm2 = -INFINITY;  // log2 of the bound on |A_θ| and on ‖θ‖²
  for (size_t l = 0; l < model.layers.size(); ++l) {
    const Layer &W = model.layers[l];
    const double weight = std::log2(W.scale) + std::log2(W.max_abs_bound) + 0x1p-10;
    entry += weight + (l + 1 < model.layers.size() ? std::log2(double(W.rows)) : 0.0);
    const double layer = 2.0 * weight + std::log2(double(W.rows) * double(W.cols));
    norm2 = std::max(norm2, layer) + 1.0;  // log2(2^a + 2^b) <= max(a, b) + 1
  }
  const double y = std::log2(std::max(model.train_stats.max_abs_y, DBL_MIN));
  const double residual = std::max(entry, y) + 1.0;  // |A - y| <= 2 max(|A|, |y|)
  const double ridge = std::log2(std::max(model.ridge_at(model.step), DBL_MIN)) + norm2;
  return 2.0 * residual < 1000.0 && ridge < 1000.0;  // 2^1000 < DBL_MAX; false for NaN
}

}  // namespace dln
