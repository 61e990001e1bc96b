// Learning-rate and ridge schedules (math §4): a schedule is a pure function
// of the step t, multiplying the base value set by dln_set_param.
#pragma once
#include <cstdint>
#include <vector>

namespace dln {

struct Schedule {
  int kind = 0;  // enum dln_schedule_kind
  std::vector<double> args;

  double factor(int64_t t) const;
  double max_factor() const;  // sup over t >= 0, for the 2·eta·lambda < 1 check
};

// Validates (kind, args) and builds the schedule; throws dln::Error.
Schedule make_schedule(int kind, int64_t nargs, const double *args);

}  // namespace dln
