#include "absorbing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "errors.hpp"
#include "evaluate.hpp"
#include "model.hpp"
#include "spectra.hpp"

namespace dln {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// max_k σ_{r+1}(M_k) from the spectra of every M_k (σ beyond the list is 0).
double worst_sigma(const std::vector<std::vector<double>> &spectra, int64_t r) {
  double worst = 0.0;
  for (const auto &s : spectra)
    if (r < int64_t(s.size())) worst = std::max(worst, s[size_t(r)]);
  return worst;
}

std::vector<std::vector<double>> all_bottleneck_spectra(const dln_model &model) {
  std::vector<std::vector<double>> spectra;
  for (int64_t k = 1; k <= hidden_layer_count(model); ++k) spectra.push_back(bottleneck_spectrum(model, k));
  return spectra;
}

}  // namespace

Thresholds resolve_thresholds(const dln_model &model, double eps, double delta, double C,
                              bool always_rho) {
  Thresholds t{eps, delta, C, kNaN};
  const int64_t L = model.depth;
  const double lambda = model.ridge_at(model.step);
  const bool need_rho = eps < 0.0 && L >= 3 && lambda != 0.0;
  if (need_rho) require_observations(model, "the default eps (it needs the residuals, SPEC §6)");
  // A report shows ρ whenever there are residuals to take it from.
  if (need_rho || (always_rho && model.train.size() > 0)) t.rho = residual_bound(model);
  if (eps < 0.0) {
    if (L <= 2 || lambda == 0.0) t.eps = 0.0;
    else if (t.rho == 0.0) t.eps = kInf;  // nothing to fit: weight decay wins at every scale
    else t.eps = 0.5 * std::pow(lambda / t.rho, 1.0 / double(L - 2));
  }
  if (delta < 0.0) t.delta = kInf;
  return t;
}

bool br_report(const dln_model &model, int64_t r, double eps, double delta, double C, bool full,
               double *report) {
  Thresholds t = resolve_thresholds(model, eps, delta, C, full);
  const double norm2 = weight_norm2(model);
  if (C < 0.0) t.C = 4.0 * norm2;
  double sigma = worst_sigma(all_bottleneck_spectra(model), r);
  // The balancedness residual is a full spectral computation: skip it when δ = ∞ cannot fail.
  double balance = (full || std::isfinite(t.delta)) ? balancedness(model) : kNaN;
  bool inside = norm2 <= t.C && sigma <= t.eps && (std::isnan(balance) || balance <= t.delta);
  report[DLN_BR_NORM2] = norm2;
  report[DLN_BR_C] = t.C;
  report[DLN_BR_SIGMA] = sigma;
  report[DLN_BR_EPS] = t.eps;
  report[DLN_BR_BALANCE] = balance;
  report[DLN_BR_DELTA] = t.delta;
  report[DLN_BR_RHO] = t.rho;
  report[DLN_BR_INSIDE] = inside ? 1.0 : 0.0;
  return inside;
}

int64_t absorbed_rank(const dln_model &model) {
  Thresholds t = resolve_thresholds(model, -1.0, -1.0, -1.0, false);
  // With the default C = 4‖θ‖² and δ = ∞ only the σ condition can fail, and it
  // is monotone in r: the smallest r with max_k σ_{r+1}(M_k) <= ε.
  auto spectra = all_bottleneck_spectra(model);
  int64_t widest = 0;
  for (const auto &s : spectra) widest = std::max<int64_t>(widest, int64_t(s.size()));
  for (int64_t r = 0; r < widest; ++r)
    if (worst_sigma(spectra, r) <= t.eps) return r;
  return widest;
}

void check_jumps(dln_model &model) {
  const int64_t k = model.options.jump_interval;
  if (k <= 0 || model.step % k != 0) return;
  JumpLog &log = model.jumps;
  int64_t absorbed = absorbed_rank(model);
  int64_t numerical = numerical_rank(end_to_end_spectrum(model), model.options.rank_atol,
                                     model.options.jump_rtol);
  if (log.last_absorbed >= 0 && absorbed < log.last_absorbed)
    log.records.push_back({model.step, DLN_JUMP_ABSORBED, log.last_absorbed, absorbed});
  if (log.last_numerical >= 0 && numerical < log.last_numerical)
    log.records.push_back({model.step, DLN_JUMP_NUMERICAL, log.last_numerical, numerical});
  log.last_absorbed = absorbed;
  log.last_numerical = numerical;
}

}  // namespace dln

using namespace dln;

namespace {

void require_br_arguments(const dln_model *model, int64_t r, double eps, double delta, double C) {
  require_pointer(model, "model");
  if (r < 0) fail(DLN_ERR_INVALID_ARGUMENT, "r=%lld is negative", (long long)r);
  if (std::isnan(eps) || std::isnan(delta) || std::isnan(C))
    fail(DLN_ERR_NOT_FINITE, "eps=%g, delta=%g, C=%g: thresholds must not be NaN", eps, delta, C);
}

}  // namespace

extern "C" {

int dln_in_Br(const dln_model *model, int64_t r, double eps, double delta, double C, int *inside) {
  return guarded(model, "dln_in_Br", [&] {
    require_br_arguments(model, r, eps, delta, C);
    require_pointer(inside, "inside");
    double report[DLN_BR_REPORT_SIZE];
    *inside = br_report(*model, r, eps, delta, C, false, report) ? 1 : 0;
  });
}

int dln_Br_report(const dln_model *model, int64_t r, double eps, double delta, double C,
                  double *report) {
  return guarded(model, "dln_Br_report", [&] {
    require_br_arguments(model, r, eps, delta, C);
    require_pointer(report, "report");
    double out[DLN_BR_REPORT_SIZE];
    br_report(*model, r, eps, delta, C, true, out);
    std::copy(out, out + DLN_BR_REPORT_SIZE, report);
  });
}

int dln_query_absorbed_rank(const dln_model *model, int64_t *rank) {
  return guarded(model, "dln_query_absorbed_rank", [&] {
    require_pointer(model, "model");
    require_pointer(rank, "rank");
    *rank = absorbed_rank(*model);
  });
}

int dln_jump_count(const dln_model *model, int64_t *count) {
  return guarded(model, "dln_jump_count", [&] {
    require_pointer(model, "model");
    require_pointer(count, "count");
    *count = int64_t(model->jumps.records.size());
  });
}

int dln_get_jumps(const dln_model *model, int64_t first, int64_t count, int64_t *records) {
  return guarded(model, "dln_get_jumps", [&] {
    require_pointer(model, "model");
    const int64_t total = int64_t(model->jumps.records.size());
    if (first < 0 || first > total)
      fail(DLN_ERR_OUT_OF_RANGE, "first=%lld is outside [0, %lld]", (long long)first, (long long)total);
    if (count < 0 || count > total - first)
      fail(DLN_ERR_OUT_OF_RANGE, "count=%lld is outside [0, %lld] for first=%lld", (long long)count,
           (long long)(total - first), (long long)first);
    if (count > 0) require_pointer(records, "records");
    for (int64_t i = 0; i < count; ++i)
      std::copy(model->jumps.records[size_t(first + i)].begin(), model->jumps.records[size_t(first + i)].end(),
                records + i * DLN_JUMP_RECORD_SIZE);
  });
}

int dln_clear_jumps(dln_model *model) {
  return guarded(model, "dln_clear_jumps", [&] {
    require_pointer(model, "model");
    model->jumps = JumpLog{};
  });
}

}  // extern "C"
