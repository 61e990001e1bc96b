// C entry points of the observables of SPEC §5.
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
    double c = data_cost(*model), r = model->ridge_at(model->step) * weight_norm2(*model);
    *cost = c;
    *ridge_term = r;
  });
}

int dln_weight_norm2(const dln_model *model, double *norm2) {
  return guarded(model, "dln_weight_norm2", [&] {
    require_pointer(model, "model");
    require_pointer(norm2, "norm2");
    *norm2 = weight_norm2(*model);
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
    write_spectrum(cached_end_to_end_spectrum(*model), out, capacity, count);
  });
}

int dln_layer_singular_values(const dln_model *model, int64_t layer, double *out, int64_t capacity,
                              int64_t *count) {
  return guarded(model, "dln_layer_singular_values", [&] {
    require_pointer(model, "model");
    if (layer < 1 || layer > model->depth)
      fail(DLN_ERR_OUT_OF_RANGE, "layer=%lld is outside [1, %lld]", (long long)layer, (long long)model->depth);
    require_pointer(count, "count");
    write_spectrum(layer_spectrum(*model, layer), out, capacity, count);
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
    write_spectrum(cached_bottleneck_spectra(*model)[size_t(k - 1)], out, capacity, count);
  });
}

int dln_query_rank(const dln_model *model, double rtol, int64_t *rank) {
  return guarded(model, "dln_query_rank", [&] {
    require_pointer(model, "model");
    require_tolerances(0.0, rtol);
    require_pointer(rank, "rank");
    *rank = numerical_rank(cached_end_to_end_spectrum(*model), 0.0, rtol);
  });
}

int dln_rank_of_spectrum(const double *sigma, int64_t count, int measure, double atol, double rtol,
                         double *rank) {
  return guarded(nullptr, "dln_rank_of_spectrum", [&] {
    if (count < 0) fail(DLN_ERR_INVALID_ARGUMENT, "count=%lld is negative", (long long)count);
    if (count > 0) require_pointer(sigma, "sigma");
    require_all_finite(sigma, count, "sigma");
    for (int64_t i = 0; i < count; ++i)
      if (sigma[i] < 0.0)
        fail(DLN_ERR_INVALID_ARGUMENT, "sigma[%lld]=%g is negative", (long long)i, sigma[i]);
    require_tolerances(atol, rtol);
    require_pointer(rank, "rank");
    *rank = rank_measure(std::vector<double>(sigma, sigma + count), measure, atol, rtol);
  });
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
    auto s = target == 0 ? cached_end_to_end_spectrum(*model) : layer_spectrum(*model, target);
    *rank = rank_measure(s, measure, atol, rtol);
  });
}

int dln_bottleneck_ranks(const dln_model *model, double atol, double rtol, int64_t *ranks, int64_t capacity) {
  return guarded(model, "dln_bottleneck_ranks", [&] {
    require_pointer(model, "model");
    require_tolerances(atol, rtol);
    int64_t hidden = hidden_layer_count(*model);
    require_capacity(capacity, hidden, ranks);
    std::vector<int64_t> out(static_cast<size_t>(hidden));
    for (int64_t k = 1; k <= hidden; ++k) out[size_t(k - 1)] = numerical_rank(cached_bottleneck_spectra(*model)[size_t(k - 1)], atol, rtol);
    std::copy(out.begin(), out.end(), ranks);
  });
}

int dln_balancedness(const dln_model *model, double *residual) {
  return guarded(model, "dln_balancedness", [&] {
    require_pointer(model, "model");
    require_pointer(residual, "residual");
    *residual = cached_balancedness(*model);
  });
}

int dln_representation_cost(const dln_model *model, double *cost) {
  return guarded(model, "dln_representation_cost", [&] {
    require_pointer(model, "model");
    require_pointer(cost, "cost");
    double sum = 0.0, L = double(model->depth);
    for (double s : cached_end_to_end_spectrum(*model)) sum += std::pow(s, 2.0 / L);
    *cost = L * sum;
  });
}

int dln_output_column_norms(const dln_model *model, double *out, int64_t capacity) {
  return guarded(model, "dln_output_column_norms", [&] {
    require_pointer(model, "model");
    const Layer &W = model->layer(model->depth);
    require_capacity(capacity, W.cols, out);
    std::vector<double> norms(static_cast<size_t>(W.cols), 0.0);
    for (int64_t i = 0; i < W.rows; ++i)
      for (int64_t j = 0; j < W.cols; ++j) norms[size_t(j)] += W.v[size_t(i * W.cols + j)] * W.v[size_t(i * W.cols + j)];
    for (int64_t j = 0; j < W.cols; ++j) out[j] = W.scale * std::sqrt(norms[size_t(j)]);
  });
}

int dln_input_row_norms(const dln_model *model, double *out, int64_t capacity) {
  return guarded(model, "dln_input_row_norms", [&] {
    require_pointer(model, "model");
    const Layer &W = model->layer(1);
    require_capacity(capacity, W.rows, out);
    std::vector<double> norms(static_cast<size_t>(W.rows), 0.0);
    for (int64_t i = 0; i < W.rows; ++i)
      for (int64_t j = 0; j < W.cols; ++j) norms[size_t(i)] += W.v[size_t(i * W.cols + j)] * W.v[size_t(i * W.cols + j)];
    for (int64_t i = 0; i < W.rows; ++i) out[i] = W.scale * std::sqrt(norms[size_t(i)]);
  });
}

}  // extern "C"
