// One training run through the C++ wrapper: build the start state from a
// problem and a network spec, configure a method, step while recording a time
// series of observables and the library's jump log.
#ifndef DLN_CLI_RUNNER_HPP
#define DLN_CLI_RUNNER_HPP

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dlnsgd.hpp"
#include "problem.hpp"
#include "spec.hpp"

namespace dlncli {

struct Sample {
  std::int64_t step = 0;
  double eta = 0, lambda = 0;                // η_t, λ_t at this step
  double data_cost = 0, ridge_term = 0;      // C(A_θ), λ_t ‖θ‖²
  double test_error = std::numeric_limits<double>::quiet_NaN();
  double norm2 = 0, balancedness = 0;
  std::vector<double> sv;                    // top singular values of A_θ
  std::int64_t numerical_rank = 0, absorbed_rank = 0;
  std::int64_t br_r = 1;                     // the B_r of br_sigma, br_eps (TrainSpec::watch_r, or absrk − 1)
  double br_sigma = 0, br_eps = 0;           // max_k σ_{r+1}(M_k) and ε of B_r (math §6)
};

struct RunResult {
  std::string label;
  std::vector<Sample> series;
  std::vector<dln::Jump> jumps;
  bool diverged = false;
  std::string message;  // the library's divergence message
  double seconds = 0;
  std::shared_ptr<dln::Model> final_state;  // the handle after the last step
  const Sample& last() const { return series.back(); }
};

// Called after every recorded sample with (steps done, steps total).
using ProgressFn = std::function<void(std::int64_t, std::int64_t)>;

// Widths n_0 = cols … n_L = rows for the problem and spec.
std::vector<std::int64_t> network_widths(const Problem& p, const ModelSpec& m);
// Handle with the data (train, test/truth) and the initial weights.
dln::Model build_start(const Problem& p, const ModelSpec& m);
// Method, rates, schedules, seed and logging options on a (cloned) start.
void configure(dln::Model& model, const TrainSpec& t);
// Observables of the current state; B_r for r = t.watch_r, or the next set
// below the current absorbed rank when t.watch_r = 0.
Sample measure(const dln::Model& model, const TrainSpec& t);
// Configures and runs t.steps steps from `start` (a clone is stepped; start is
// untouched), recording every t.record_every steps (0: steps/100, and
// log-spaced samples before the first, for a log time axis). The jump log
// holds the jumps of these steps only.
RunResult run_training(const dln::Model& start, const TrainSpec& t, const std::string& label,
                       const ProgressFn& progress = {});

}  // namespace dlncli

#endif
