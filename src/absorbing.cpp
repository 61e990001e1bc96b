// The absorbing sets B_r(ε, δ, C) of math §6 with fixed thresholds.
#include "absorbing.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "errors.hpp"
#include "evaluate.hpp"
#include "model.hpp"
#include "query_cache.hpp"
#include "spectra.hpp"

namespace dln {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

Thresholds resolve_thresholds(const dln_model &model, double eps, double delta, double C) {
  const Options &o = model.options;
  const int64_t L = model.depth;
  const double lambda = model.ridge_at(model.step);
  const bool have_data = model.train.size() > 0;
  // A caller's argument (>= 0) wins over the handle's option (>= 0), which
  // wins over the default (both negative).
  auto pick = [](double argument, double option) { return argument >= 0.0 ? argument : option; };
  Thresholds t{pick(-1.0, o.br_rho), pick(eps, o.br_eps), pick(delta, o.br_delta), pick(C, o.br_C)};
  const bool eps_needs_rho = t.eps < 0.0 && L >= 3 && lambda != 0.0;
  if (t.rho < 0.0) {
    if (eps_needs_rho) require_observations(model, "the default rho = max|y_k| (math §6)");
    t.rho = have_data ? model.train_stats.max_abs_y : kNaN;
  }
  if (t.eps < 0.0) {
    if (L <= 2 || lambda == 0.0) t.eps = 0.0;
    else if (t.rho == 0.0) t.eps = kInf;  // nothing to fit: weight decay wins at every scale
    else t.eps = 0.5 * std::pow(lambda / t.rho, 1.0 / double(L - 2));
  }
  if (t.delta < 0.0) t.delta = kInf;
  if (t.C < 0.0) {
    if (lambda == 0.0) {
      t.C = kInf;
    } else {
      require_observations(model, "the default C = 4 mean(y_k^2)/lambda_t (math §6)");
      t.C = 4.0 * model.train_stats.mean_y2 / lambda;
    }
  }
  return t;
}

namespace {

// max_k σ_{r+1}(M_k) (0 beyond a spectrum) and the first k attaining it.
std::pair<double, int64_t> worst_sigma(const std::vector<std::vector<double>> &spectra, int64_t r) {
  double worst = -1.0;  // every M_k takes part, so the first k wins a tie at 0
  int64_t at = 0;
  for (size_t k = 0; k < spectra.size(); ++k) {
    const double s = r < int64_t(spectra[k].size()) ? spectra[k][size_t(r)] : 0.0;
    if (s > worst) worst = s, at = int64_t(k) + 1;
  }
  return {std::max(worst, 0.0), at};
}

}  // namespace

int64_t rank_beyond_all(const std::vector<std::vector<double>> &spectra) {
  int64_t widest = 0;
  for (const auto &s : spectra) widest = std::max<int64_t>(widest, int64_t(s.size()));
  return widest + 1;
}

int64_t absorbed_rank_of(const dln_model &model, const std::vector<std::vector<double>> &spectra,
                         const Thresholds &t, double (*balance_of)(const dln_model &)) {
  // ‖θ‖² <= C and balancedness <= δ do not depend on r; the σ condition is
  // monotone in r, so the smallest r is found by a scan.
  const int64_t none = rank_beyond_all(spectra);
  if (std::isfinite(t.C) && !(weight_norm2(model) <= t.C)) return none;
  if (std::isfinite(t.delta) && !(balance_of(model) <= t.delta)) return none;
  for (int64_t r = 0; r < none; ++r)
    if (worst_sigma(spectra, r).first <= t.eps) return r;
  return none - 1;
}

int64_t absorbed_rank(const dln_model &model) {
  return absorbed_rank_of(model, cached_bottleneck_spectra(model), resolve_thresholds(model, -1.0, -1.0, -1.0),
                          cached_balancedness);
}

bool br_report(const dln_model &model, int64_t r, double eps, double delta, double C, bool full,
               double *report) {
  const Thresholds t = resolve_thresholds(model, eps, delta, C);
  const double norm2 = weight_norm2(model);
  const auto [sigma, layer] = worst_sigma(cached_bottleneck_spectra(model), r);
  // The balancedness residual is a full spectral computation: skip it when δ = ∞ cannot fail.
  const double balance = (full || std::isfinite(t.delta)) ? cached_balancedness(model) : kNaN;
  const bool inside = norm2 <= t.C && sigma <= t.eps && (std::isnan(balance) || balance <= t.delta);
  const double max_r = (full && model.train.size() > 0) ? max_residual(model) : kNaN;
  report[DLN_BR_NORM2] = norm2;
  report[DLN_BR_C] = t.C;
  report[DLN_BR_SIGMA] = sigma;
  report[DLN_BR_EPS] = t.eps;
  report[DLN_BR_BALANCE] = balance;
  report[DLN_BR_DELTA] = t.delta;
  report[DLN_BR_RHO] = t.rho;
  report[DLN_BR_INSIDE] = inside ? 1.0 : 0.0;
  report[DLN_BR_MAX_RESIDUAL] = max_r;
  report[DLN_BR_PREMISE] = max_r <= t.rho ? 1.0 : 0.0;
  report[DLN_BR_SIGMA_LAYER] = double(layer);
  return inside;
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

}  // extern "C"
