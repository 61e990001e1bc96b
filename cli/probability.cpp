#include "probability.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace dlncli {

double normal_quantile_two_sided(double confidence) {
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("--confidence " + std::to_string(confidence) + " must be in (0, 1)");
  double lo = 0, hi = 40;  // erfc(z/√2) = 1 - confidence is decreasing in z
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (std::erfc(mid / std::sqrt(2.0)) > 1 - confidence ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

ProbabilityResult estimate_probability(const dln::Model& start, const TrainSpec& t, const ProbabilitySpec& spec,
                                       bool use_mpi) {
  ProbabilitySpec one = spec;
  one.etas.clear(), one.lambdas.clear(), one.batches.clear();
  auto runs = run_ensemble(start, t, one, use_mpi);
  ProbabilityResult res;
  res.trials = spec.trials;
  if (runs.empty()) return res;  // an MPI rank other than 0
  for (const auto& m : runs) {
    res.hit_steps.push_back(m.censored ? -1 : m.entry_step);
    res.hits += m.censored ? 0 : 1;
    res.already_inside += !m.censored && m.entry_step == 0 ? 1 : 0;
    res.diverged += m.status == DLN_ERR_DIVERGED ? 1 : 0;
  }
  res.interval = dln::wilson_interval(res.hits, res.trials, normal_quantile_two_sided(spec.confidence));
  res.median = summarize(ensemble_grid(t, one), runs, DLN_Z_95).front().median;
  return res;
}

}  // namespace dlncli
