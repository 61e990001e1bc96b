// The built-in demo (`dlnsgd` with no arguments): a synthetic noisy low-rank
// completion problem at depth 4; GD, SGD and two-phase SGD from one start,
// plus extra SGD seeds; tables of rank over time, the jumps, errors, and a
// conclusion computed from what was measured.
#ifndef DLN_CLI_DEMO_HPP
#define DLN_CLI_DEMO_HPP

#include <string>
#include <vector>

#include "compare.hpp"
#include "options.hpp"
#include "spec.hpp"

namespace dlncli {

struct DemoConfig {
  Experiment experiment;  // problem, network, SGD spec
  CompareSpec compare;
  std::int64_t gd_steps = 0;               // 0: same as SGD
  std::vector<std::uint64_t> extra_seeds;  // more plain-SGD runs
};

DemoConfig default_demo();
// A few-second version for the tests (same problem, fewer steps).
DemoConfig quick_demo();

// What the conclusion is computed from (the final state of each run).
struct DemoFacts {
  std::int64_t target_rank = 0;
  std::int64_t gd_rank = 0, sgd_rank = 0, two_phase_rank = 0;   // absorbed ranks at the end
  std::int64_t gd_num = 0, sgd_num = 0, two_phase_num = 0;      // numerical ranks at the end
  double gd_test = 0, sgd_test = 0, two_phase_test = 0;
  bool any_diverged = false;
  std::vector<std::int64_t> seed_ranks;  // final absorbed rank of every plain-SGD seed (incl. the first)
  std::int64_t increases_at_constant_lambda = 0;  // absorbed-rank rises in the rank-change log, SGD runs
};

DemoFacts collect_facts(const std::vector<RunResult>& runs, const std::vector<RunResult>& seed_runs,
                        std::int64_t target_rank);
// Sentences that state only what `f` contains.
std::vector<std::string> conclusions(const DemoFacts& f);
int run_demo(const DemoConfig& d, const OutputOptions& o, int threads, std::ostream& out);
// Absorbed-rank increases between consecutive samples taken at the same λ.
std::int64_t absorbed_rank_increases(const RunResult& r);

}  // namespace dlncli

#endif
