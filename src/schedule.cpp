#include "schedule.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "errors.hpp"

namespace dln {

namespace {

int64_t integral_at_least_one(double x, const char *name) {
  if (!(x >= 1.0) || x != std::floor(x) || x > 9.0e18)
    fail(DLN_ERR_INVALID_ARGUMENT, "%s=%g must be an integer >= 1", name, x);
  return int64_t(x);
}

void require_unit_interval(double x, const char *name, bool allow_zero) {
  if (!(x <= 1.0 && (allow_zero ? x >= 0.0 : x > 0.0)))
    fail(DLN_ERR_INVALID_ARGUMENT, "%s=%g must be in %s", name, x, allow_zero ? "[0, 1]" : "(0, 1]");
}

void require_nargs(int64_t nargs, int64_t want, const char *kind) {
  if (nargs != want)
    fail(DLN_ERR_INVALID_ARGUMENT, "nargs=%lld but %s takes %lld arguments", (long long)nargs, kind,
         (long long)want);
}

}  // namespace

Schedule make_schedule(int kind, int64_t nargs, const double *args) {
  if (nargs < 0) fail(DLN_ERR_INVALID_ARGUMENT, "nargs=%lld is negative", (long long)nargs);
  if (nargs > 0) require_pointer(args, "args");
  require_all_finite(args, nargs, "args");
  Schedule s;
  s.kind = kind;
  s.args.assign(args, args + nargs);
  switch (kind) {
    case DLN_SCHEDULE_CONSTANT:
      require_nargs(nargs, 0, "DLN_SCHEDULE_CONSTANT");
      break;
    case DLN_SCHEDULE_STEP_DECAY:
      require_nargs(nargs, 2, "DLN_SCHEDULE_STEP_DECAY {gamma, k}");
      require_unit_interval(args[0], "args[0] (gamma)", false);
      integral_at_least_one(args[1], "args[1] (k)");
      break;
    case DLN_SCHEDULE_EXPONENTIAL:
      require_nargs(nargs, 1, "DLN_SCHEDULE_EXPONENTIAL {gamma}");
      require_unit_interval(args[0], "args[0] (gamma)", false);
      break;
    case DLN_SCHEDULE_COSINE:
    case DLN_SCHEDULE_CYCLIC_TRIANGULAR:
    case DLN_SCHEDULE_CYCLIC_COSINE:
      require_nargs(nargs, 2, "this schedule {floor, period}");
      require_unit_interval(args[0], "args[0] (floor)", true);
      integral_at_least_one(args[1], "args[1] (period)");
      break;
    case DLN_SCHEDULE_PIECEWISE: {
      if (nargs < 2 || nargs % 2 != 0)
        fail(DLN_ERR_INVALID_ARGUMENT,
             "nargs=%lld but DLN_SCHEDULE_PIECEWISE takes pairs {t_1, f_1, ...}", (long long)nargs);
      double previous = 0.0;
      for (int64_t i = 0; i < nargs; i += 2) {
        integral_at_least_one(args[i], "a phase start t_i");
        if (args[i] <= previous)
          fail(DLN_ERR_INVALID_ARGUMENT, "args[%lld]=%g: phase starts must increase strictly",
               (long long)i, args[i]);
        previous = args[i];
        if (args[i + 1] < 0.0)
          fail(DLN_ERR_INVALID_ARGUMENT, "args[%lld]=%g: a factor must be >= 0", (long long)(i + 1),
               args[i + 1]);
      }
      break;
    }
    default:
      fail(DLN_ERR_UNKNOWN_PARAM, "kind=%d is not a DLN_SCHEDULE_* value", kind);
  }
  return s;
}

double Schedule::factor(int64_t t) const {
  const double pi = std::numbers::pi;
  switch (kind) {
    case DLN_SCHEDULE_STEP_DECAY:
      return std::pow(args[0], double(t / int64_t(args[1])));
    case DLN_SCHEDULE_EXPONENTIAL:
      return std::pow(args[0], double(t));
    case DLN_SCHEDULE_COSINE: {
      double x = double(std::min<int64_t>(t, int64_t(args[1]))) / args[1];
      return args[0] + (1.0 - args[0]) * 0.5 * (1.0 + std::cos(pi * x));
    }
    case DLN_SCHEDULE_CYCLIC_TRIANGULAR: {
      int64_t period = int64_t(args[1]);
      double x = double(t % period) / double(period);
      return args[0] + (1.0 - args[0]) * std::fabs(1.0 - 2.0 * x);
    }
    case DLN_SCHEDULE_CYCLIC_COSINE: {
      int64_t period = int64_t(args[1]);
      double x = double(t % period) / double(period);
      return args[0] + (1.0 - args[0]) * 0.5 * (1.0 + std::cos(2.0 * pi * x));
    }
    case DLN_SCHEDULE_PIECEWISE: {
      double f = 1.0;
      for (size_t i = 0; i < args.size(); i += 2)
        if (double(t) >= args[i]) f = args[i + 1];
      return f;
    }
    default:
      return 1.0;
  }
}

double Schedule::max_factor() const {
  if (kind != DLN_SCHEDULE_PIECEWISE) return 1.0;  // every other kind starts at its maximum 1
  double m = 1.0;
  for (size_t i = 1; i < args.size(); i += 2) m = std::max(m, args[i]);
  return m;
}

}  // namespace dln
