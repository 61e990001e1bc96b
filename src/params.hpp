// The options of a handle, written once (issue 12, math §9): every other
// place — the setters and getters by id, their bounds, the Options defaults,
// the checkpoint's OPTS section — iterates this table. The header's
// DLN_PARAM_TABLE gives the public ids and descriptions; a static_assert in
// options.cpp checks that both tables list the same ids.
//
// X(id, member, integral, min, max, default, negative_is_default)
//   negative_is_default: any negative value selects the math §6 default and
//   is stored (and read back) as -1.
#pragma once
#include <cfloat>
#include <cstdint>

#define DLN_OPTION_ROWS(X)                                                            \
  X(DLN_PARAM_LEARNING_RATE, learning_rate, false, 0.0, DBL_MAX, 0.01, false)         \
  X(DLN_PARAM_RIDGE, ridge, false, 0.0, DBL_MAX, 0.0, false)                          \
  X(DLN_PARAM_BATCH_SIZE, batch_size, true, 1.0, 1099511627776.0, 1.0, false)         \
  X(DLN_PARAM_SAMPLER, sampler, true, 0.0, 3.0, 0.0, false)                           \
  X(DLN_PARAM_THREADS, threads, true, 1.0, 1024.0, 1.0, false)                        \
  X(DLN_PARAM_JUMP_INTERVAL, jump_interval, true, 0.0, 4503599627370496.0, 0.0, false) \
  X(DLN_PARAM_JUMP_RTOL, jump_rtol, false, 0.0, 0.99999999999999989, 1e-6, false)     \
  X(DLN_PARAM_RANK_ATOL, rank_atol, false, 0.0, DBL_MAX, 0.0, false)                  \
  X(DLN_PARAM_BR_RHO, br_rho, false, -1.0, DBL_MAX, -1.0, true)                       \
  X(DLN_PARAM_BR_EPS, br_eps, false, -1.0, DBL_MAX, -1.0, true)                       \
  X(DLN_PARAM_BR_DELTA, br_delta, false, -1.0, DBL_MAX, -1.0, true)                   \
  X(DLN_PARAM_BR_C, br_C, false, -1.0, DBL_MAX, -1.0, true)                           \
  X(DLN_PARAM_TRACE_INTERVAL, trace_interval, true, 0.0, 4503599627370496.0, 0.0, false)

namespace dln {

struct Options;

struct OptionRow {
  int id;
  const char *name;
  bool integral;
  double min, max, default_value;
  bool negative_is_default;
  double (*get)(const Options &);
  void (*set)(Options &, double);
};

// The rows of DLN_OPTION_ROWS in order; nullptr for an unknown id.
const OptionRow *option_row(int id);
const OptionRow *option_rows_begin();
const OptionRow *option_rows_end();
// Checks a value against its row (NaN, bounds, integrality); returns the
// value to store (-1 for a default request). Throws DLN_ERR_NOT_FINITE or
// DLN_ERR_INVALID_ARGUMENT naming the parameter and the value.
double validated_option(const OptionRow &row, double value);

}  // namespace dln
