// `dlnsgd probability`: K independent SGD continuations (seeds first_seed+k)
// from one start state; the fraction that enters B_r (default thresholds of
// math §6) within T steps, with a Wilson score interval.
#ifndef DLN_CLI_PROBABILITY_HPP
#define DLN_CLI_PROBABILITY_HPP

#include <cstdint>
#include <vector>

#include "dlnsgd.hpp"
#include "spec.hpp"

namespace dlncli {

struct Interval {
  double low = 0, high = 1;
};
// Wilson score interval for `successes` of `trials` at two-sided `confidence`.
Interval wilson_interval(std::int64_t successes, std::int64_t trials, double confidence);
// z with P(|N(0,1)| <= z) = confidence.
double normal_quantile_two_sided(double confidence);

struct ProbabilityResult {
  std::int64_t trials = 0, hits = 0, already_inside = 0, diverged = 0;
  std::vector<std::int64_t> hit_steps;  // per trial: steps until inside B_r, -1 if never
  Interval interval;
};

// `start` is stepped only through clones; `configure_trial` prepares each
// clone (seed already set to first_seed + k).
ProbabilityResult estimate_probability(const dln::Model& start, const ProbabilitySpec& spec);

}  // namespace dlncli

#endif
