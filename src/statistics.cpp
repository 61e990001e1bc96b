// Statistics of ensembles (issue 13): the Wilson interval of an entry
// probability and the Kaplan–Meier estimate of right-censored hitting times
// with Greenwood's variance. Handle-less: errors go to a caller's buffer.
//
// The constructions are the textbook ones, written down in docs/ensembles.md:
//   Wilson (1927): the p with |k/n − p| <= z (p(1−p)/n)^(1/2).
//   Kaplan–Meier (1958): Ŝ(t_j) = Π_{i<=j} (1 − d_i/n_i).
//   Greenwood (1926): Var Ŝ = Ŝ² Σ_{i<=j} d_i/(n_i(n_i − d_i)).
//   Pointwise interval on the log(−log) scale (Kalbfleisch & Prentice): it
//   stays inside [0, 1] without clipping.
//   Median interval (Brookmeyer & Crowley 1982): the times whose pointwise
//   interval contains 1/2.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "errors.hpp"

namespace dln {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// "Ŝ <= 1/2" with room for the rounding of the product (an exact 1/2 such
// as 10/10 · … · 5/6 may come out as 0.5000000000000001).
constexpr double kHalf = 0.5 + 1e-12;

void require_z(double z) {
  if (!std::isfinite(z)) fail(DLN_ERR_NOT_FINITE, "z=%g is not finite", z);
  if (!(z > 0.0)) fail(DLN_ERR_INVALID_ARGUMENT, "z=%g must be > 0 (DLN_Z_95 for 95 %%)", z);
}

void wilson(int64_t k, int64_t n, double z, double *lower, double *upper) {
  require_pointer(lower, "lower");
  require_pointer(upper, "upper");
  if (n < 1) fail(DLN_ERR_INVALID_ARGUMENT, "trials=%lld must be >= 1", (long long)n);
  if (k < 0 || k > n)
    fail(DLN_ERR_INVALID_ARGUMENT, "successes=%lld is outside [0, trials=%lld]", (long long)k, (long long)n);
  require_z(z);
  const double nn = double(n), p = double(k) / nn, z2 = z * z, denominator = 1.0 + z2 / nn;
  const double centre = (p + z2 / (2.0 * nn)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1.0 - p) / nn + z2 / (4.0 * nn * nn));
  // At k = 0 (k = n) the end is 0 (1) exactly; the formula only rounds to it.
  *lower = k == 0 ? 0.0 : std::max(0.0, centre - half);
  *upper = k == n ? 1.0 : std::min(1.0, centre + half);
}

struct Row {
  double time, at_risk, events, censored, survival, std_error, lower, upper;
};

std::vector<Row> kaplan_meier(int64_t n, const double *times, const int *censored, double z) {
  if (n < 1) fail(DLN_ERR_INVALID_ARGUMENT, "n=%lld must be >= 1", (long long)n);
  require_pointer(times, "times");
  require_pointer(censored, "censored");
  require_z(z);
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(times[i])) fail(DLN_ERR_NOT_FINITE, "times[%lld]=%g is not finite", (long long)i, times[i]);
    if (times[i] < 0.0) fail(DLN_ERR_INVALID_ARGUMENT, "times[%lld]=%g is negative", (long long)i, times[i]);
    if (censored[i] != 0 && censored[i] != 1)
      fail(DLN_ERR_INVALID_ARGUMENT, "censored[%lld]=%d must be 0 (event) or 1 (censored)", (long long)i,
           censored[i]);
  }
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), int64_t(0));
  // Ties keep their input order (the index breaks them): a total order, so
  // std::sort is deterministic without stable_sort's temporary buffer.
  std::sort(order.begin(), order.end(),
            [&](int64_t a, int64_t b) { return times[a] < times[b] || (times[a] == times[b] && a < b); });
  std::vector<Row> rows;
  double at_risk = double(n), survival = 1.0, greenwood = 0.0;
  for (size_t i = 0; i < order.size();) {
    const double t = times[order[i]];
    double events = 0.0, lost = 0.0;
    for (; i < order.size() && times[order[i]] == t; ++i) (censored[order[i]] ? lost : events) += 1.0;
    if (events > 0.0) {
      survival *= (at_risk - events) / at_risk;
      greenwood += at_risk > events ? events / (at_risk * (at_risk - events)) : kInf;
    }
    Row r{t, at_risk, events, lost, survival, 0.0, 1.0, 1.0};
    if (survival == 0.0) {
      r.std_error = kNaN;  // Greenwood's sum is infinite; nobody at risk survived
      r.lower = r.upper = 0.0;
    } else if (survival < 1.0) {
      r.std_error = survival * std::sqrt(greenwood);
      const double w = z * std::sqrt(greenwood) / std::fabs(std::log(survival));
      r.lower = std::pow(survival, std::exp(w));
      r.upper = std::pow(survival, std::exp(-w));
    }
    rows.push_back(r);
    at_risk -= events + lost;
  }
  return rows;
}

double first_time_at_or_below_half(const std::vector<Row> &rows, double Row::*column) {
  for (const Row &r : rows)
    if (r.*column <= kHalf) return r.time;
  return kInf;
}

}  // namespace
}  // namespace dln

using namespace dln;

extern "C" {

int dln_wilson_interval(int64_t successes, int64_t trials, double z, double *lower, double *upper,
                        char *message, int64_t capacity) {
  return guarded_into(message, capacity, "dln_wilson_interval",
                      [&] { wilson(successes, trials, z, lower, upper); });
}

int dln_kaplan_meier(int64_t n, const double *times, const int *censored, double z, double *rows,
                     int64_t capacity, int64_t *count, char *message, int64_t message_capacity) {
  return guarded_into(message, message_capacity, "dln_kaplan_meier", [&] {
    require_pointer(count, "count");
    if (capacity < 0) fail(DLN_ERR_INVALID_ARGUMENT, "capacity=%lld is negative", (long long)capacity);
    if (capacity > 0) require_pointer(rows, "rows");
    const std::vector<Row> estimate = kaplan_meier(n, times, censored, z);
    const int64_t written = std::min<int64_t>(capacity, int64_t(estimate.size()));
    for (int64_t j = 0; j < written; ++j) {
      const Row &r = estimate[size_t(j)];
      double *out = rows + j * DLN_KM_RECORD_SIZE;
      out[DLN_KM_TIME] = r.time;
      out[DLN_KM_AT_RISK] = r.at_risk;
      out[DLN_KM_EVENTS] = r.events;
      out[DLN_KM_CENSORED] = r.censored;
      out[DLN_KM_SURVIVAL] = r.survival;
      out[DLN_KM_STD_ERROR] = r.std_error;
      out[DLN_KM_LOWER] = r.lower;
      out[DLN_KM_UPPER] = r.upper;
    }
    *count = int64_t(estimate.size());
  });
}

int dln_kaplan_meier_median(int64_t n, const double *times, const int *censored, double z, double *median,
                            double *lower, double *upper, char *message, int64_t message_capacity) {
  return guarded_into(message, message_capacity, "dln_kaplan_meier_median", [&] {
    require_pointer(median, "median");
    require_pointer(lower, "lower");
    require_pointer(upper, "upper");
    const std::vector<Row> estimate = kaplan_meier(n, times, censored, z);
    *median = first_time_at_or_below_half(estimate, &Row::survival);
    *lower = first_time_at_or_below_half(estimate, &Row::lower);
    *upper = first_time_at_or_below_half(estimate, &Row::upper);
  });
}

}  // extern "C"
