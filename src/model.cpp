// Handle lifecycle, shape, data, weights (math §1, §2, §9).
#include "model.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <memory>

#include "errors.hpp"

namespace dln {

void Layer::assign(const double *w) {
  std::copy(w, w + v.size(), v.begin());
  scale = 1.0;
  max_abs_bound = 0.0;
  for (double x : v) max_abs_bound = std::max(max_abs_bound, std::fabs(x));
}

void Layer::fold_scale() {
  max_abs_bound = 0.0;
  for (double &x : v) {
    x *= scale;
    if (std::fabs(x) < DBL_MIN) x = 0.0;  // dead modes never linger as subnormals (math §8)
    max_abs_bound = std::max(max_abs_bound, std::fabs(x));
  }
  scale = 1.0;
}

DataStats DataStats::of(const Observations &o) {
  DataStats d;
  for (double y : o.values) d.max_abs_y = std::max(d.max_abs_y, std::fabs(y));
  if (o.size() == 0 || d.max_abs_y == 0.0) return d;
  // Scaled so that finite data never overflows the sum (an infinite mean
  // stands only where the true mean exceeds DBL_MAX).
  double sum = 0.0;
  for (double y : o.values) sum += (y / d.max_abs_y) * (y / d.max_abs_y);
  d.mean_y2 = (sum / double(o.size())) * d.max_abs_y * d.max_abs_y;
  return d;
}

void invalidate_queries(dln_model *model) noexcept {
  if (model) ++model->state_version;
}

void require_observations(const dln_model &model, const char *what) {
  if (model.train.size() == 0)
    fail(DLN_ERR_STATE, "%s needs observations: call dln_set_observations first", what);
}

void check_decay(const Options &o) {
  double eta = o.learning_rate * o.learning_rate_schedule.max_factor();
  double lambda = o.ridge * o.ridge_schedule.max_factor();
  if (!(2.0 * eta * lambda < 1.0))
    fail(DLN_ERR_INVALID_ARGUMENT,
         "2*eta*lambda=%g must be < 1 (largest eta_t=%g, largest lambda_t=%g): the decay factor "
         "1-2*eta*lambda would not be positive",
         2.0 * eta * lambda, eta, lambda);
}

void validate_observations(const dln_model &model, int64_t count, const int64_t *rows,
                           const int64_t *cols, const double *values) {
  if (count < 0) fail(DLN_ERR_INVALID_ARGUMENT, "count=%lld is negative", (long long)count);
  if (count == 0) return;
  require_pointer(rows, "rows");
  require_pointer(cols, "cols");
  require_pointer(values, "values");
  for (int64_t k = 0; k < count; ++k) {
    if (rows[k] < 0 || rows[k] >= model.rows())
      fail(DLN_ERR_OUT_OF_RANGE, "rows[%lld]=%lld is outside [0, %lld)", (long long)k,
           (long long)rows[k], (long long)model.rows());
    if (cols[k] < 0 || cols[k] >= model.cols())
      fail(DLN_ERR_OUT_OF_RANGE, "cols[%lld]=%lld is outside [0, %lld)", (long long)k,
           (long long)cols[k], (long long)model.cols());
  }
  require_all_finite(values, count, "values");
}

namespace {

Observations copy_observations(int64_t count, const int64_t *rows, const int64_t *cols,
                               const double *values) {
  Observations o;
  o.rows.assign(rows, rows + count);
  o.cols.assign(cols, cols + count);
  o.values.assign(values, values + count);
  return o;
}

void require_layer(const dln_model &model, int64_t layer) {
  if (layer < 1 || layer > model.depth)
    fail(DLN_ERR_OUT_OF_RANGE, "layer=%lld is outside [1, %lld]", (long long)layer,
         (long long)model.depth);
}

}  // namespace
}  // namespace dln

using namespace dln;

namespace {

void create_model(int64_t depth, const int64_t *widths, uint64_t seed, dln_model **out) {
  require_pointer(out, "out");
  if (depth < 1 || depth > 1024)
    fail(DLN_ERR_INVALID_ARGUMENT, "depth=%lld must be in [1, 1024]", (long long)depth);
  require_pointer(widths, "widths");
  int64_t total = 0;
  for (int64_t l = 0; l <= depth; ++l) {
    if (widths[l] < 1 || widths[l] > (int64_t(1) << 40))
      fail(DLN_ERR_INVALID_ARGUMENT, "widths[%lld]=%lld must be in [1, 2^40]", (long long)l,
           (long long)widths[l]);
    if (l > 0) {
      int64_t size = checked_product(widths[l], widths[l - 1], "a layer");
      if (__builtin_add_overflow(total, size, &total) || total > (int64_t(1) << 58))
        fail(DLN_ERR_NOMEM, "the weights total more than 2^58 entries");
    }
  }
  auto model = std::make_unique<dln_model>();
  model->depth = depth;
  model->widths.assign(widths, widths + depth + 1);
  model->seed = seed;
  model->layers.resize(size_t(depth));
  for (int64_t l = 1; l <= depth; ++l) {
    Layer &layer = model->layer(l);
    layer.rows = widths[l];
    layer.cols = widths[l - 1];
    layer.v.assign(size_t(layer.rows * layer.cols), 0.0);
  }
  *out = model.release();
}

}  // namespace

extern "C" {

int dln_create(int64_t depth, const int64_t *widths, uint64_t seed, dln_model **out) {
  return guarded(nullptr, "dln_create", [&] { create_model(depth, widths, seed, out); });
}

int dln_create_ex(int64_t depth, const int64_t *widths, uint64_t seed, dln_model **out, char *message,
                  int64_t capacity) {
  return guarded_into(message, capacity, "dln_create", [&] { create_model(depth, widths, seed, out); });
}

void dln_destroy(dln_model *model) { delete model; }

int dln_clone(const dln_model *model, dln_model **out) {
  return guarded(model, "dln_clone", [&] {
    require_pointer(model, "model");
    require_pointer(out, "out");
    auto copy = std::make_unique<dln_model>(*model);
    copy->last_error.clear();
    *out = copy.release();
  });
}

int dln_clone_ex(const dln_model *model, int flags, uint64_t seed, dln_model **out) {
  return guarded(model, "dln_clone_ex", [&] {
    require_pointer(model, "model");
    require_pointer(out, "out");
    if (flags & ~DLN_CLONE_FRESH)
      fail(DLN_ERR_INVALID_ARGUMENT, "flags=%d has bits outside DLN_CLONE_FRESH=%d", flags, int(DLN_CLONE_FRESH));
    auto copy = std::make_unique<dln_model>(*model);
    copy->last_error.clear();
    if (flags & DLN_CLONE_NEW_SEED) copy->seed = seed;
    if (flags & DLN_CLONE_RESET_STEP) copy->step = 0;
    if (flags & DLN_CLONE_EMPTY_LOGS) {
      copy->jumps = JumpLog{};
      copy->trace = Trace{};
    }
    copy->work.permutation_epoch = -1;  // the permutation cache is keyed by the old seed
    *out = copy.release();
  });
}

int dln_get_depth(const dln_model *model, int64_t *depth) {
  return guarded(model, "dln_get_depth", [&] {
    require_pointer(model, "model");
    require_pointer(depth, "depth");
    *depth = model->depth;
  });
}

int dln_get_widths(const dln_model *model, int64_t *widths, int64_t capacity) {
  return guarded(model, "dln_get_widths", [&] {
    require_pointer(model, "model");
    require_pointer(widths, "widths");
    if (capacity < model->depth + 1)
      fail(DLN_ERR_OUT_OF_RANGE, "capacity=%lld is less than depth+1=%lld", (long long)capacity,
           (long long)(model->depth + 1));
    std::copy(model->widths.begin(), model->widths.end(), widths);
  });
}

int dln_get_seed(const dln_model *model, uint64_t *seed) {
  return guarded(model, "dln_get_seed", [&] {
    require_pointer(model, "model");
    require_pointer(seed, "seed");
    *seed = model->seed;
  });
}

int dln_set_seed(dln_model *model, uint64_t seed) {
  return guarded(model, "dln_set_seed", [&] {
    require_pointer(model, "model");
    model->seed = seed;
    model->work.permutation_epoch = -1;  // the permutation cache belongs to the old seed
  });
}

int dln_get_step_count(const dln_model *model, int64_t *step) {
  return guarded(model, "dln_get_step_count", [&] {
    require_pointer(model, "model");
    require_pointer(step, "step");
    *step = model->step;
  });
}

int dln_set_step_count(dln_model *model, int64_t step) {
  return guarded(model, "dln_set_step_count", [&] {
    require_pointer(model, "model");
    if (step < 0) fail(DLN_ERR_INVALID_ARGUMENT, "step=%lld is negative", (long long)step);
    model->step = step;
  });
}

int dln_set_observations(dln_model *model, int64_t count, const int64_t *rows,
                         const int64_t *cols, const double *values) {
  return guarded(model, "dln_set_observations", [&] {
    require_pointer(model, "model");
    if (count == 0) fail(DLN_ERR_INVALID_ARGUMENT, "count=0: at least one observation is needed");
    validate_observations(*model, count, rows, cols, values);
    for (int64_t s : model->subset)
      if (s >= count)
        fail(DLN_ERR_OUT_OF_RANGE,
             "count=%lld is too small for the sample subset, which holds index %lld; clear it "
             "first with dln_set_sample_subset(model, 0, NULL)",
             (long long)count, (long long)s);
    Observations o = copy_observations(count, rows, cols, values);
    model->train_stats = DataStats::of(o);
    model->train = std::move(o);
    model->work.permutation_epoch = -1;
    model->work.max_abs_y = -1.0;
    model->work.found = model->work.grouped = false;  // distinct sets and groups (and so y_by_col) are of the old ones
  });
}

int dln_get_observation_count(const dln_model *model, int64_t *count) {
  return guarded(model, "dln_get_observation_count", [&] {
    require_pointer(model, "model");
    require_pointer(count, "count");
    *count = model->train.size();
  });
}

int dln_set_test_observations(dln_model *model, int64_t count, const int64_t *rows,
                              const int64_t *cols, const double *values) {
  return guarded(model, "dln_set_test_observations", [&] {
    require_pointer(model, "model");
    validate_observations(*model, count, rows, cols, values);
    model->test = count ? copy_observations(count, rows, cols, values) : Observations{};
  });
}

int dln_set_ground_truth(dln_model *model, const double *truth) {
  return guarded(model, "dln_set_ground_truth", [&] {
    require_pointer(model, "model");
    if (!truth) {
      model->truth.clear();
      return;
    }
    int64_t size = checked_product(model->rows(), model->cols(), "the ground truth");
    require_all_finite(truth, size, "truth");
    std::vector<double> copy(truth, truth + size);
    model->truth.swap(copy);
  });
}

int dln_set_sample_subset(dln_model *model, int64_t count, const int64_t *indices) {
  return guarded(model, "dln_set_sample_subset", [&] {
    require_pointer(model, "model");
    if (count < 0) fail(DLN_ERR_INVALID_ARGUMENT, "count=%lld is negative", (long long)count);
    if (count > 0) {
      require_pointer(indices, "indices");
      require_observations(*model, "a sample subset");
    }
    for (int64_t k = 0; k < count; ++k)
      if (indices[k] < 0 || indices[k] >= model->train.size())
        fail(DLN_ERR_OUT_OF_RANGE, "indices[%lld]=%lld is outside [0, %lld)", (long long)k,
             (long long)indices[k], (long long)model->train.size());
    std::vector<int64_t> copy(indices, indices + count);
    model->subset.swap(copy);
  });
}

int dln_set_weights(dln_model *model, int64_t layer, const double *w) {
  return guarded(model, "dln_set_weights", [&] {
    require_pointer(model, "model");
    require_layer(*model, layer);
    require_pointer(w, "w");
    Layer &target = model->layer(layer);
    require_all_finite(w, int64_t(target.v.size()), "w");
    target.assign(w);
  });
}

int dln_get_weights(const dln_model *model, int64_t layer, double *w) {
  return guarded(model, "dln_get_weights", [&] {
    require_pointer(model, "model");
    require_layer(*model, layer);
    require_pointer(w, "w");
    const Layer &source = model->layer(layer);
    for (size_t i = 0; i < source.v.size(); ++i) w[i] = source.scale * source.v[i];
  });
}

}  // extern "C"
