#include "evaluate.hpp"

#include <algorithm>
#include <cmath>

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

double mean_square(const std::vector<double> &r) {
  double s = 0.0;
  for (double x : r) s += x * x;
  return r.empty() ? 0.0 : s / double(r.size());
}

}  // namespace

double data_cost(const dln_model &model) { return mean_square(residuals(model, model.train)); }

double weight_norm2(const dln_model &model) {
  double s = 0.0;
  for (const Layer &W : model.layers) s += W.frobenius2();
  return s;
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
  return mean_square(residuals(model, model.test));
}

}  // namespace dln
