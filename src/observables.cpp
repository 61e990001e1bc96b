// C entry points of the observables of math §5.
#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "evaluate.hpp"
#include "model.hpp"
#include "query_cache.hpp"
#include "spectra.hpp"

using namespace dln;

namespace {

void write_spectrum(const std::vector<double> &s, double *out, int64_t capacity, int64_t *count) {
  require_pointer(count, "count");
  if (capacity < 0) fail(DLN_ERR_INVALID_ARGUMENT, "capacity=%lld is negative", (long long)capacity);
  if (capacity > 0) require_pointer(out, "out");
  std::copy_n(s.begin(), std::min<int64_t>(capacity, int64_t(s.size())), out);
  *count = int64_t(s.size());
}

void require_tolerances(double atol, double rtol) {
  if (!std::isfinite(atol) || atol < 0.0)
    fail(DLN_ERR_INVALID_ARGUMENT, "atol=%g must be finite and >= 0", atol);
  if (!(rtol >= 0.0 && rtol < 1.0)) fail(DLN_ERR_INVALID_ARGUMENT, "rtol=%g must be in [0, 1)", rtol);
}

// The values of a spectrum, refused when the largest does not fit a double
// (a finite state can have σ_1 beyond 1.8e308; its ranks still can be asked).
std::vector<double> representable(const ScaledSpectrum &s, const char *matrix) {
  std::vector<double> v = s.unscaled();
  if (!v.empty() && !std::isfinite(v[0]))
    fail(DLN_ERR_OUT_OF_RANGE,
         "the singular values of %s exceed the largest double (sigma_1 = %.6g * 2^%lld); its ranks "
         "(dln_rank, dln_bottleneck_ranks) are still available",
         matrix, s.values[0], (long long)s.exponent);
  return v;
}

// Euclidean norms of the rows (or columns) of W = scale·V, each vector
// divided by its largest entry before squaring (squares of 1e200 overflow).
std::vector<double> vector_norms(const Layer &W, bool rows) {
  const int64_t count = rows ? W.rows : W.cols;
  std::vector<double> top(static_cast<size_t>(count), 0.0), sum(static_cast<size_t>(count), 0.0);
  auto at = [&](int64_t i, int64_t j) { return std::fabs(W.v[size_t(i * W.cols + j)]); };
  for (int64_t i = 0; i < W.rows; ++i)
    for (int64_t j = 0; j < W.cols; ++j) {
      double &t = top[size_t(rows ? i : j)];
      t = std::max(t, at(i, j));
    }
  for (int64_t i = 0; i < W.rows; ++i)
    for (int64_t j = 0; j < W.cols; ++j) {
      const size_t k = size_t(rows ? i : j);
      if (top[k] > 0.0) sum[k] += (at(i, j) / top[k]) * (at(i, j) / top[k]);
    }
  for (int64_t k = 0; k < count; ++k) top[size_t(k)] = W.scale * top[size_t(k)] * std::sqrt(sum[size_t(k)]);
  return top;
}

void require_finite_norms(const std::vector<double> &norms, const char *what) {
  for (size_t k = 0; k < norms.size(); ++k)
    if (!std::isfinite(norms[k]))
      fail(DLN_ERR_OUT_OF_RANGE, "the %s norm [%zu] exceeds the largest double", what, k);
}

// A loss term of a finite state whose value itself exceeds the largest double.
void require_representable(const Scaled &x, const char *what) {
  if (std::isfinite(x.value())) return;
  if (std::isfinite(x.mantissa))
    fail(DLN_ERR_OUT_OF_RANGE, "%s = 2^%.6g exceeds the largest double", what, x.log2());
  fail(DLN_ERR_OUT_OF_RANGE, "%s exceeds the largest double: an entry of A_theta at an observation does", what);
}

void require_capacity(int64_t capacity, int64_t need, const void *out) {
  require_pointer(out, "out");
  if (capacity < need)
    fail(DLN_ERR_OUT_OF_RANGE, "capacity=%lld is less than the %lld values to write", (long long)capacity,
         (long long)need);
}

}  // namespace

extern "C" {

int dln_loss(const dln_model *model, double *cost, double *ridge_term) {
  return guarded(model, "dln_loss", [&] {
    require_pointer(model, "model");
    require_pointer(cost, "data_cost");
    require_pointer(ridge_term, "ridge_term");
    require_observations(*model, "dln_loss");
    const Scaled c = data_cost_scaled(*model), r = ridge_term_scaled(*model);
    require_representable(c, "data_cost C(A_theta)");
    require_representable(r, "ridge_term lambda_t*|theta|^2");
    *cost = c.value();
    *ridge_term = r.value();
  });
}

int dln_weight_norm2(const dln_model *model, double *norm2) {
  return guarded(model, "dln_weight_norm2", [&] {
    require_pointer(model, "model");
    require_pointer(norm2, "norm2");
    const Scaled n = weight_norm2_scaled(*model);
    require_representable(n, "norm2 |theta|^2");
    *norm2 = n.value();
  });
}

int dln_test_error(const dln_model *model, double *error) {
  return guarded(model, "dln_test_error", [&] {
    require_pointer(model, "model");
    require_pointer(error, "error");
    *error = test_error(*model);
  });
}

int dln_singular_values(const dln_model *model, double *out, int64_t capacity, int64_t *count) {
  return guarded(model, "dln_singular_values", [&] {
    require_pointer(model, "model");
    require_pointer(count, "count");
    write_spectrum(representable(cached_end_to_end_spectrum_scaled(*model), "A"), out, capacity, count);
  });
}

int dln_layer_singular_values(const dln_model *model, int64_t layer, double *out, int64_t capacity,
                              int64_t *count) {
  return guarded(model, "dln_layer_singular_values", [&] {
    require_pointer(model, "model");
    if (layer < 1 || layer > model->depth)
      fail(DLN_ERR_OUT_OF_RANGE, "layer=%lld is outside [1, %lld]", (long long)layer, (long long)model->depth);
    require_pointer(count, "count");
    write_spectrum(representable(layer_spectrum_scaled(*model, layer), "W_layer"), out, capacity, count);
  });
}

int dln_bottleneck_singular_values(const dln_model *model, int64_t k, double *out, int64_t capacity,
                                   int64_t *count) {
  return guarded(model, "dln_bottleneck_singular_values", [&] {
    require_pointer(model, "model");
    int64_t hidden = hidden_layer_count(*model);
    if (k < 1 || k > hidden)
      fail(DLN_ERR_OUT_OF_RANGE, "k=%lld is outside [1, %lld]", (long long)k, (long long)hidden);
    require_pointer(count, "count");
    write_spectrum(representable(cached_bottleneck_spectra_scaled(*model)[size_t(k - 1)], "M_k"), out, capacity, count);
  });
}

int dln_query_rank(const dln_model *model, double rtol, int64_t *rank) {
  return guarded(model, "dln_query_rank", [&] {
    require_pointer(model, "model");
    require_tolerances(0.0, rtol);
    require_pointer(rank, "rank");
    *rank = numerical_rank(cached_end_to_end_spectrum_scaled(*model), 0.0, rtol, end_to_end_dimension(*model));
  });
}

}  // extern "C"

namespace {

// The body of dln_rank_of_spectrum and its _ex form. Without a matrix, the
// "max(rows, cols)" of the default tolerance is the number of values.
void rank_of_spectrum(const double *sigma, int64_t count, int measure, double atol, double rtol, double *rank) {
  if (count < 0) fail(DLN_ERR_INVALID_ARGUMENT, "count=%lld is negative", (long long)count);
  if (count > 0) require_pointer(sigma, "sigma");
  require_all_finite(sigma, count, "sigma");
  for (int64_t i = 0; i < count; ++i)
    if (sigma[i] < 0.0) fail(DLN_ERR_INVALID_ARGUMENT, "sigma[%lld]=%g is negative", (long long)i, sigma[i]);
  if (measure < DLN_RANK_NUMERICAL || measure > DLN_RANK_STABLE)
    fail(DLN_ERR_UNKNOWN_PARAM, "measure=%d is not a DLN_RANK_* value", measure);
  require_tolerances(atol, rtol);
  require_pointer(rank, "rank");
  *rank = rank_measure(ScaledSpectrum{std::vector<double>(sigma, sigma + count), 0}, measure, atol, rtol, count);
}

}  // namespace

extern "C" {

int dln_rank_of_spectrum(const double *sigma, int64_t count, int measure, double atol, double rtol,
                         double *rank) {
  return guarded(nullptr, "dln_rank_of_spectrum", [&] { rank_of_spectrum(sigma, count, measure, atol, rtol, rank); });
}

int dln_rank_of_spectrum_ex(const double *sigma, int64_t count, int measure, double atol, double rtol,
                            double *rank, char *message, int64_t capacity) {
  return guarded_into(message, capacity, "dln_rank_of_spectrum",
                      [&] { rank_of_spectrum(sigma, count, measure, atol, rtol, rank); });
}

int dln_rank(const dln_model *model, int64_t target, int measure, double atol, double rtol, double *rank) {
  return guarded(model, "dln_rank", [&] {
    require_pointer(model, "model");
    if (target < 0 || target > model->depth)
      fail(DLN_ERR_OUT_OF_RANGE, "target=%lld is outside [0, %lld] (0 = A, l = W_l)", (long long)target,
           (long long)model->depth);
    if (measure < DLN_RANK_NUMERICAL || measure > DLN_RANK_STABLE)
      fail(DLN_ERR_UNKNOWN_PARAM, "measure=%d is not a DLN_RANK_* value", measure);
    require_tolerances(atol, rtol);
    require_pointer(rank, "rank");
    if (target == 0)
      *rank = rank_measure(cached_end_to_end_spectrum_scaled(*model), measure, atol, rtol, end_to_end_dimension(*model));
    else
      *rank = rank_measure(layer_spectrum_scaled(*model, target), measure, atol, rtol,
                           layer_dimension(*model, target));
  });
}

int dln_bottleneck_ranks(const dln_model *model, double atol, double rtol, int64_t *ranks, int64_t capacity) {
  return guarded(model, "dln_bottleneck_ranks", [&] {
    require_pointer(model, "model");
    require_tolerances(atol, rtol);
    int64_t hidden = hidden_layer_count(*model);
    require_capacity(capacity, hidden, ranks);
    std::vector<int64_t> out(static_cast<size_t>(hidden));
    for (int64_t k = 1; k <= hidden; ++k)
      out[size_t(k - 1)] =
          numerical_rank(cached_bottleneck_spectra_scaled(*model)[size_t(k - 1)], atol, rtol, bottleneck_dimension(*model, k));
    std::copy(out.begin(), out.end(), ranks);
  });
}

int dln_balancedness(const dln_model *model, double *residual) {
  return guarded(model, "dln_balancedness", [&] {
    require_pointer(model, "model");
    require_pointer(residual, "residual");
    const double b = cached_balancedness(*model);
    if (!std::isfinite(b))
      fail(DLN_ERR_OUT_OF_RANGE,
           "the balancedness residual exceeds the largest double: the weights are too large (max|W| near "
           "sqrt(DBL_MAX)) for it to be represented");
    *residual = b;
  });
}

int dln_representation_cost(const dln_model *model, double *cost) {
  return guarded(model, "dln_representation_cost", [&] {
    require_pointer(model, "model");
    require_pointer(cost, "cost");
    // σ^(2/L) = v^(2/L) · 2^(2e/L) for σ = v · 2^e: no σ is formed.
    const ScaledSpectrum &s = cached_end_to_end_spectrum_scaled(*model);
    const double L = double(model->depth);
    double sum = 0.0;
    for (double v : s.values) sum += std::pow(v, 2.0 / L);
    const double c = L * sum * std::exp2(2.0 * double(s.exponent) / L);
    if (!std::isfinite(c))
      fail(DLN_ERR_OUT_OF_RANGE, "the representation cost exceeds the largest double (sigma_1 = %.6g * 2^%lld)",
           s.values.empty() ? 0.0 : s.values[0], (long long)s.exponent);
    *cost = c;
  });
}

int dln_output_column_norms(const dln_model *model, double *out, int64_t capacity) {
  return guarded(model, "dln_output_column_norms", [&] {
    require_pointer(model, "model");
    const Layer &W = model->layer(model->depth);
    require_capacity(capacity, W.cols, out);
    std::vector<double> norms = vector_norms(W, false);
    require_finite_norms(norms, "output column");
    std::copy(norms.begin(), norms.end(), out);
  });
}

int dln_input_row_norms(const dln_model *model, double *out, int64_t capacity) {
  return guarded(model, "dln_input_row_norms", [&] {
    require_pointer(model, "model");
    const Layer &W = model->layer(1);
    require_capacity(capacity, W.rows, out);
    std::vector<double> norms = vector_norms(W, true);
    require_finite_norms(norms, "input row");
    std::copy(norms.begin(), norms.end(), out);
  });
}

}  // extern "C"
