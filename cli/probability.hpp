// `dlnsgd probability`: K SGD trials (seeds first_seed + k) from one start
// state, the fraction that enters B_r (fixed thresholds of math §6) within
// T steps, with a Wilson score interval and the Kaplan–Meier median hitting
// time: one grid point of the ensemble engine (ensemble.hpp).
#ifndef DLN_CLI_PROBABILITY_HPP
#define DLN_CLI_PROBABILITY_HPP

#include <cstdint>
#include <vector>

#include "dlnsgd_ensemble.hpp"
#include "ensemble.hpp"
#include "spec.hpp"

namespace dlncli {

// z with P(|N(0,1)| <= z) = confidence.
double normal_quantile_two_sided(double confidence);

struct ProbabilityResult {
  std::int64_t trials = 0, hits = 0, already_inside = 0, diverged = 0;
  std::vector<std::int64_t> hit_steps;  // per trial: steps until inside B_r, -1 if never
  dln::Interval interval;               // Wilson, at ProbabilitySpec::confidence
  dln::Median median;                   // Kaplan–Meier median steps to enter, 95 %
};

// `start` carries the data and weights, `t` the training settings of every
// trial (configured on clones; start is untouched).
ProbabilityResult estimate_probability(const dln::Model& start, const TrainSpec& t, const ProbabilitySpec& spec,
                                       bool use_mpi = false);

}  // namespace dlncli

#endif
