// What an experiment is made of (problem, network, training, sweep grid,
// probability estimate), with defaults, and how a TOML experiment file fills
// it. Command-line flags override the file (main.cpp binds them to the same
// fields after the file is read).
#ifndef DLN_CLI_SPEC_HPP
#define DLN_CLI_SPEC_HPP

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "output_files.hpp"
#include "problem.hpp"

namespace dlncli {

struct ModelSpec {
  std::int64_t depth = 4;
  std::int64_t width = 12;            // every hidden layer, unless `hidden` is given
  std::vector<std::int64_t> hidden;   // n_1 … n_{L-1}
  // gaussian | end_to_end | orthogonal | identity | balanced_data
  // (balanced_data: dln_init_balanced of the zero-filled observations / fraction observed)
  std::string init = "end_to_end";
  double init_scale = kDefaultScale;  // NaN: 3, or 1 for balanced_data (the fitted observations as they are)
  static constexpr double kDefaultScale = __builtin_nan("");
  double scale() const { return init_scale == init_scale ? init_scale : init == "balanced_data" ? 1.0 : 3.0; }
  std::uint64_t init_seed = 1;
};

struct TrainSpec {
  std::string method = "sgd";  // sgd | gd (full batch)
  double eta = 0.03, lambda = 0.0028;
  std::int64_t batch = 1;
  std::string sampler = "with_replacement";  // or without_replacement (subset: kept from a --from state)
  std::int64_t steps = 200000;
  // Optional first phase of a two-phase schedule: phase1_eta and phase1_lambda
  // for the first phase1_steps steps, then eta and lambda.
  std::int64_t phase1_steps = 0;
  double phase1_eta = 0, phase1_lambda = 0;
  std::uint64_t seed = 1;             // sampling seed
  std::int64_t record_every = 0;      // 0: steps / 100
  std::int64_t jump_interval = 100;   // DLN_PARAM_JUMP_INTERVAL
  double rank_rtol = 1e-3;            // numerical rank: #{σ_i > rtol σ_1}
  std::int64_t top_k = 6;             // singular values kept in the time series
  int threads = 1;                    // DLN_PARAM_THREADS of the handle
  std::int64_t watch_r = 0;           // B_r whose σ_{r+1}(M_k) and ε are recorded; 0: absorbed rank − 1
  // A --from state keeps what no flag overrides: its step counter (so its
  // schedules continue) and its η and λ schedules.
  bool keep_step = false, keep_eta_schedule = false, keep_lambda_schedule = false;
};

struct SweepSpec {
  std::vector<std::uint64_t> seeds{1, 2, 3, 4};
  std::vector<double> etas, lambdas;     // empty: the single value of TrainSpec
  std::vector<std::int64_t> batches;
  int threads = 0;                       // 0: hardware concurrency
};

struct ProbabilitySpec {
  std::int64_t r = 2;            // target set B_r
  std::int64_t trials = 100;     // K
  std::int64_t horizon = 50000;  // T steps
  std::int64_t check_every = 100;
  std::uint64_t first_seed = 1;  // trial k uses seed first_seed + k
  double confidence = 0.95;
  int threads = 0;
  // ensemble: the grid (empty: the single value of TrainSpec) and outputs
  std::vector<double> etas, lambdas;
  std::vector<std::int64_t> batches;
};

struct Experiment {
  std::string config;  // the --config file read into this, if any
  std::string from;    // --from (alias --checkpoint): the saved start state; empty: built from the spec
  // What the --config file set: its tables, and the flags of its [train] keys
  // ("train.eta" is "--eta"), which override a --from state as those flags do.
  std::set<std::string> config_tables, config_train_flags;
  DataSpec data;
  ModelSpec model;
  TrainSpec train;
  SweepSpec sweep;
  ProbabilitySpec probability;
};

// Reads a TOML file into `e` (keys not in the file keep their value). Unknown
// tables or keys and values of the wrong type are errors naming file and key.
void load_toml(const std::string& path, Experiment& e);

// Every file an experiment reads, with the option that names it.
std::vector<NamedPath> input_paths(const Experiment& e);

// Checks that do not need the library; throws std::invalid_argument.
void validate(const ModelSpec& m);
void validate(const TrainSpec& t);

}  // namespace dlncli

#endif
