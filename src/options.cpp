// Options by id (SPEC §9) and schedules (SPEC §4).
#include <cfloat>
#include <cmath>
#include <limits>

#include "errors.hpp"
#include "model.hpp"

namespace dln {
namespace {

struct Bounds {
  double min, max;
  bool integral;
};

bool lookup_bounds(int param, Bounds *b) {
  const double huge = std::numeric_limits<double>::max();
  switch (param) {
    case DLN_PARAM_LEARNING_RATE: *b = {0.0, huge, false}; return true;
    case DLN_PARAM_RIDGE: *b = {0.0, huge, false}; return true;
    case DLN_PARAM_BATCH_SIZE: *b = {1.0, double(int64_t(1) << 40), true}; return true;
    case DLN_PARAM_SAMPLER: *b = {0.0, 3.0, true}; return true;
    case DLN_PARAM_THREADS: *b = {1.0, 1024.0, true}; return true;
    case DLN_PARAM_JUMP_INTERVAL: *b = {0.0, double(int64_t(1) << 52), true}; return true;
    case DLN_PARAM_JUMP_RTOL: *b = {0.0, std::nextafter(1.0, 0.0), false}; return true;
    case DLN_PARAM_RANK_ATOL: *b = {0.0, huge, false}; return true;
  }
  return false;
}

const char *param_name(int param) {
  switch (param) {
#define DLN_CASE_(name, value, text) \
  case value:                        \
    return #name;
    DLN_PARAM_TABLE(DLN_CASE_)
#undef DLN_CASE_
  }
  return nullptr;
}

Bounds require_known(int param) {
  Bounds b;
  if (!lookup_bounds(param, &b))
    fail(DLN_ERR_UNKNOWN_PARAM, "param=%d is not a DLN_PARAM_* id", param);
  return b;
}

void require_rate_param(int param) {
  if (param != DLN_PARAM_LEARNING_RATE && param != DLN_PARAM_RIDGE)
    fail(DLN_ERR_UNKNOWN_PARAM,
         "param=%d: schedules apply to DLN_PARAM_LEARNING_RATE (1) or DLN_PARAM_RIDGE (2)", param);
}

}  // namespace
}  // namespace dln

using namespace dln;

extern "C" {

const char *dln_param_name(int param) { return param_name(param); }

int dln_param_bounds(int param, double *min_value, double *max_value) {
  return guarded(nullptr, "dln_param_bounds", [&] {
    Bounds b = require_known(param);
    require_pointer(min_value, "min_value");
    require_pointer(max_value, "max_value");
    *min_value = b.min;
    *max_value = b.max;
  });
}

int dln_set_param(dln_model *model, int param, double value) {
  return guarded(model, "dln_set_param", [&] {
    require_pointer(model, "model");
    Bounds b = require_known(param);
    const char *name = param_name(param);
    if (!std::isfinite(value)) fail(DLN_ERR_NOT_FINITE, "value=%g for %s is not finite", value, name);
    if (value < b.min || value > b.max)
      fail(DLN_ERR_INVALID_ARGUMENT, "value=%.17g for %s is outside [%g, %g]", value, name, b.min,
           b.max);
    if (b.integral && value != std::floor(value))
      fail(DLN_ERR_INVALID_ARGUMENT, "value=%.17g for %s must be an integer", value, name);
    Options o = model->options;
    switch (param) {
      case DLN_PARAM_LEARNING_RATE: o.learning_rate = value; break;
      case DLN_PARAM_RIDGE: o.ridge = value; break;
      case DLN_PARAM_BATCH_SIZE: o.batch_size = int64_t(value); break;
      case DLN_PARAM_SAMPLER: o.sampler = int(value); break;
      case DLN_PARAM_THREADS: o.threads = int64_t(value); break;
      case DLN_PARAM_JUMP_INTERVAL: o.jump_interval = int64_t(value); break;
      case DLN_PARAM_JUMP_RTOL: o.jump_rtol = value; break;
      case DLN_PARAM_RANK_ATOL: o.rank_atol = value; break;
    }
    check_decay(o);
    model->options = std::move(o);
  });
}

int dln_get_param(const dln_model *model, int param, double *value) {
  return guarded(model, "dln_get_param", [&] {
    require_pointer(model, "model");
    require_known(param);
    require_pointer(value, "value");
    const Options &o = model->options;
    switch (param) {
      case DLN_PARAM_LEARNING_RATE: *value = o.learning_rate; break;
      case DLN_PARAM_RIDGE: *value = o.ridge; break;
      case DLN_PARAM_BATCH_SIZE: *value = double(o.batch_size); break;
      case DLN_PARAM_SAMPLER: *value = double(o.sampler); break;
      case DLN_PARAM_THREADS: *value = double(o.threads); break;
      case DLN_PARAM_JUMP_INTERVAL: *value = double(o.jump_interval); break;
      case DLN_PARAM_JUMP_RTOL: *value = o.jump_rtol; break;
      case DLN_PARAM_RANK_ATOL: *value = o.rank_atol; break;
    }
  });
}

int dln_set_schedule(dln_model *model, int param, int kind, int64_t nargs, const double *args) {
  return guarded(model, "dln_set_schedule", [&] {
    require_pointer(model, "model");
    require_rate_param(param);
    Options o = model->options;
    (param == DLN_PARAM_LEARNING_RATE ? o.learning_rate_schedule : o.ridge_schedule) =
        make_schedule(kind, nargs, args);
    check_decay(o);
    model->options = std::move(o);
  });
}

int dln_schedule_value(const dln_model *model, int param, int64_t step, double *value) {
  return guarded(model, "dln_schedule_value", [&] {
    require_pointer(model, "model");
    require_rate_param(param);
    if (step < 0) fail(DLN_ERR_INVALID_ARGUMENT, "step=%lld is negative", (long long)step);
    require_pointer(value, "value");
    *value = param == DLN_PARAM_LEARNING_RATE ? model->learning_rate_at(step) : model->ridge_at(step);
  });
}

}  // extern "C"

// The handle-free call with its failure explained in a caller buffer
// (issue 14): the same checks as dln_param_bounds.
extern "C" int dln_param_bounds_ex(int param, double *min_value, double *max_value, char *message,
                                   int64_t capacity) {
  return guarded_into(message, capacity, "dln_param_bounds", [&] {
    Bounds b = require_known(param);
    require_pointer(min_value, "min_value");
    require_pointer(max_value, "max_value");
    *min_value = b.min;
    *max_value = b.max;
  });
}
