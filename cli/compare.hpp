// The three methods of `compare` (and of the demo), all from one start state:
// full-batch GD, SGD, and SGD with a two-phase schedule (large η and λ first,
// then small).
#ifndef DLN_CLI_COMPARE_HPP
#define DLN_CLI_COMPARE_HPP

#include <vector>

#include "runner.hpp"

namespace dlncli {

struct CompareSpec {
  double gd_eta = 0.05;            // full-batch GD learning rate
  std::int64_t phase1_steps = 0;   // 0: a third of the steps
  double phase1_eta = 0;           // 0: the SGD eta
  double phase1_lambda = 0;        // 0: 3 × the SGD lambda
  double phase2_eta = 0;           // 0: a third of the SGD eta
  std::vector<std::uint64_t> extra_seeds;  // --seeds: more plain-SGD runs, one per seed
};

struct Method {
  std::string label;
  TrainSpec train;
};

// Each value must be finite and >= 0 (0: its default); throws
// std::invalid_argument naming the option and the value.
void validate(const CompareSpec& c);
// GD, SGD and two-phase SGD built from the SGD spec `base`, then one plain
// SGD run per extra seed.
std::vector<Method> compare_methods(const TrainSpec& base, const CompareSpec& c);
// Runs every method from `start` on `threads` threads; one progress bar.
std::vector<RunResult> run_methods(const dln::Model& start, const std::vector<Method>& methods,
                                   int threads, bool progress_bar);

}  // namespace dlncli

#endif
