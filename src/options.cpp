// Options by id (math §9) and schedules (math §4).
#include <cfloat>
#include <cmath>
#include <limits>

#include "errors.hpp"
#include "model.hpp"
#include "params.hpp"

namespace dln {

Options::Options() {
  for (const OptionRow *r = option_rows_begin(); r != option_rows_end(); ++r) r->set(*this, r->default_value);
}

namespace {

#define DLN_OPTION_ROW_(id, member, integral, lo, hi, def, neg)                                    \
  OptionRow{id, #id, integral, lo, hi, def, neg, [](const Options &o) { return double(o.member); }, \
            [](Options &o, double v) { o.member = static_cast<decltype(o.member)>(v); }},
const OptionRow kRows[] = {DLN_OPTION_ROWS(DLN_OPTION_ROW_)};
#undef DLN_OPTION_ROW_

// The internal table and the header's public table list the same ids in the same order.
#define DLN_COUNT_(...) +1
constexpr int kPublicCount = 0 DLN_PARAM_TABLE(DLN_COUNT_);
constexpr int kInternalCount = 0 DLN_OPTION_ROWS(DLN_COUNT_);
#undef DLN_COUNT_
static_assert(kPublicCount == kInternalCount, "DLN_OPTION_ROWS must list every DLN_PARAM_TABLE id");
static_assert(kPublicCount == DLN_PARAM_LAST_, "parameter ids are 1..DLN_PARAM_LAST_");

}  // namespace

const OptionRow *option_rows_begin() { return kRows; }
const OptionRow *option_rows_end() { return kRows + kInternalCount; }
const OptionRow *option_row(int id) {
  for (const OptionRow &r : kRows)
    if (r.id == id) return &r;
  return nullptr;
}

double validated_option(const OptionRow &r, double value) {
  if (!std::isfinite(value))
    fail(DLN_ERR_NOT_FINITE, "value=%g for %s is not finite", value, r.name);
  if (r.negative_is_default && value < 0.0) return -1.0;
  if (value < r.min || value > r.max)
    fail(DLN_ERR_INVALID_ARGUMENT, "value=%.17g for %s is outside [%g, %.17g]", value, r.name, r.min, r.max);
  if (r.integral && value != std::floor(value))
    fail(DLN_ERR_INVALID_ARGUMENT, "value=%.17g for %s must be an integer", value, r.name);
  return value;
}

namespace {

const OptionRow &require_known(int param) {
  const OptionRow *r = option_row(param);
  if (!r) fail(DLN_ERR_UNKNOWN_PARAM, "param=%d is not a DLN_PARAM_* id", param);
  return *r;
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

const char *dln_param_name(int param) {
  const OptionRow *r = option_row(param);
  return r ? r->name : nullptr;
}

int dln_param_bounds(int param, double *min_value, double *max_value) {
  return guarded(nullptr, "dln_param_bounds", [&] {
    const OptionRow &r = require_known(param);
    require_pointer(min_value, "min_value");
    require_pointer(max_value, "max_value");
    *min_value = r.min;
    *max_value = r.max;
  });
}

int dln_set_param(dln_model *model, int param, double value) {
  return guarded(model, "dln_set_param", [&] {
    require_pointer(model, "model");
    const OptionRow &r = require_known(param);
    Options o = model->options;
    r.set(o, validated_option(r, value));
    check_decay(o);
    model->options = std::move(o);
  });
}

int dln_get_param(const dln_model *model, int param, double *value) {
  return guarded(model, "dln_get_param", [&] {
    require_pointer(model, "model");
    const OptionRow &r = require_known(param);
    require_pointer(value, "value");
    *value = r.get(model->options);
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
    const OptionRow &b = require_known(param);
    require_pointer(min_value, "min_value");
    require_pointer(max_value, "max_value");
    *min_value = b.min;
    *max_value = b.max;
  });
}
