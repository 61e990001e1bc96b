#include "applicability.hpp"

#include <stdexcept>

namespace dlncli {
namespace {

enum Command { RUN = 1, COMPARE = 2, SWEEP = 4, PROBABILITY = 8, ENSEMBLE = 16, EVERY = 31 };
enum class When {
  Always,     // the command never uses the flag
  FromState,  // with --from: the state supplies what the flag would build
  Gd,         // with --method gd (the method in force): full batch
  With,       // together with the flag in `other`
  Without,    // without the flag in `other`
};

struct Rule {
  int commands;
  const char* flag;
  When when;
  const char* other;  // for With / Without
  const char* reason;
};

constexpr const char* kData = "the state carries its observations (--test and --truth may be added)";
constexpr const char* kNetwork = "the state carries its network and weights";
constexpr const char* kFullBatch =
    "the method in force is full-batch GD (--method gd, or the state's), which uses every observation";
constexpr const char* kNoSeries = "it records no time series";

// clang-format off
const Rule kRules[] = {
    // A saved state supplies data and network.
    {EVERY, "--data", When::FromState, nullptr, kData},
    {EVERY, "--rows", When::FromState, nullptr, kData},
    {EVERY, "--cols", When::FromState, nullptr, kData},
    {EVERY, "--test-fraction", When::FromState, nullptr, kData},
    {EVERY, "--split-seed", When::FromState, nullptr, kData},
    {EVERY, "--index-base", When::FromState, nullptr, "it applies only to --data"},
    {EVERY, "--syn-rows", When::FromState, nullptr, kData},
    {EVERY, "--syn-cols", When::FromState, nullptr, kData},
    {EVERY, "--syn-rank", When::FromState, nullptr, kData},
    {EVERY, "--noise", When::FromState, nullptr, kData},
    {EVERY, "--fraction", When::FromState, nullptr, kData},
    {EVERY, "--data-seed", When::FromState, nullptr, kData},
    {EVERY, "--depth", When::FromState, nullptr, kNetwork},
    {EVERY, "--width", When::FromState, nullptr, kNetwork},
    {EVERY, "--hidden", When::FromState, nullptr, kNetwork},
    {EVERY, "--init", When::FromState, nullptr, kNetwork},
    {EVERY, "--init-scale", When::FromState, nullptr, kNetwork},
    {EVERY, "--init-seed", When::FromState, nullptr, kNetwork},
    // Full-batch GD samples nothing.
    {RUN | SWEEP | PROBABILITY | ENSEMBLE, "--batch", When::Gd, nullptr, kFullBatch},
    {RUN | SWEEP | PROBABILITY | ENSEMBLE, "--batches", When::Gd, nullptr, kFullBatch},
    {RUN | SWEEP | PROBABILITY | ENSEMBLE, "--sampler", When::Gd, nullptr, kFullBatch},
    // A two-phase schedule is given whole.
    {RUN | SWEEP | PROBABILITY | ENSEMBLE, "--phase1-eta", When::Without, "--phase1-steps", "it needs --phase1-steps"},
    {RUN | SWEEP | PROBABILITY | ENSEMBLE, "--phase1-lambda", When::Without, "--phase1-steps", "it needs --phase1-steps"},
    // compare runs its three methods itself.
    {COMPARE, "--method", When::Always, nullptr, "compare runs GD, SGD and two-phase SGD"},
    {COMPARE, "--phase1-steps", When::Always, nullptr, "compare's two-phase method takes --two-phase-steps"},
    {COMPARE, "--phase1-eta", When::Always, nullptr, "compare's two-phase method takes --two-phase-eta"},
    {COMPARE, "--phase1-lambda", When::Always, nullptr, "compare's two-phase method takes --two-phase-lambda"},
    // sweep: the grid and the seeds replace the single values.
    {SWEEP, "--seed", When::Always, nullptr, "sweep runs every seed of --seeds"},
    {SWEEP, "--init-seed", When::Always, nullptr, "sweep uses each seed of --seeds as the init seed too"},
    {SWEEP, "--record-every", When::Always, nullptr, "sweep records the start and the end only"},
    {SWEEP, "--top-k", When::Always, nullptr, "sweep records no singular values"},
    {SWEEP | ENSEMBLE, "--eta", When::With, "--etas", "--etas gives the eta grid"},
    {SWEEP | ENSEMBLE, "--lambda", When::With, "--lambdas", "--lambdas gives the lambda grid"},
    {SWEEP | ENSEMBLE, "--batch", When::With, "--batches", "--batches gives the batch grid"},
    // probability and ensemble: K trials of --horizon steps, seeds first_seed + k.
    {PROBABILITY | ENSEMBLE, "--steps", When::Always, nullptr, "trials run --horizon steps"},
    {PROBABILITY | ENSEMBLE, "--seed", When::Always, nullptr, "trial k uses seed --first-seed + k"},
    {PROBABILITY | ENSEMBLE, "--record-every", When::Always, nullptr, kNoSeries},
    {PROBABILITY | ENSEMBLE, "--top-k", When::Always, nullptr, kNoSeries},
    {PROBABILITY | ENSEMBLE, "--phase1-steps", When::Always, nullptr,
     "trials are fresh clones (step 0) with constant rates; save a state and use run for schedules"},
    {ENSEMBLE, "--confidence", When::Always, nullptr, "the summary gives 95 % intervals"},
};
// clang-format on

int command_bit(const std::string& command) {
  if (command == "run") return RUN;
  if (command == "compare") return COMPARE;
  if (command == "sweep") return SWEEP;
  if (command == "probability") return PROBABILITY;
  return ENSEMBLE;
}

}  // namespace

void refuse_inapplicable_flags(const std::string& command, const GivenFlags& given, bool from_state,
                               const std::string& method) {
  const int bit = command_bit(command);
  for (const Rule& r : kRules) {
    if (!(r.commands & bit) || !given.count(r.flag)) continue;
    const bool applies = r.when == When::Always || (r.when == When::FromState && from_state) ||
                         (r.when == When::Gd && method == "gd") ||
                         (r.when == When::With && given.count(r.other)) ||
                         (r.when == When::Without && !given.count(r.other));
    if (applies)
      throw std::invalid_argument(std::string(r.flag) + " does not apply to `dlnsgd " + command +
                       (r.when == When::FromState ? " --from`" : "`") + ": " + r.reason);
  }
}

}  // namespace dlncli
