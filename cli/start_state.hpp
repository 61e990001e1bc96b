// Where a command's start state and training settings come from (issue 13):
// built from the spec (data, network and training flags, their defaults), or
// read from a saved state with --from, whose weights, data, options,
// schedules and step counter are kept except where a training flag given on
// the command line overrides them. `settings` says what came from where.
#ifndef DLN_CLI_START_STATE_HPP
#define DLN_CLI_START_STATE_HPP

#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "dlnsgd.hpp"
#include "spec.hpp"

namespace dlncli {

// The long names ("--eta") of the flags given on the command line.
using GivenFlags = std::set<std::string>;

struct Setting {
  std::string name, value, source;  // e.g. "eta", "0.2", "--eta (state: 0.05)"
};

struct StartState {
  dln::Model model{nullptr};      // data, weights and options; the training settings not applied yet
  TrainSpec train;                // the effective training settings
  bool from_state = false;
  std::string description;        // the problem or the state, one line
  std::vector<Setting> settings;  // --from only: every training setting and its source
};

// The start of `command` (run, compare, sweep, probability, ensemble).
StartState load_start(const Experiment& e, const GivenFlags& given, const std::string& command);
// The problem/state line and, for --from, the table of settings.
void print_start(std::ostream& out, const StartState& s);

// Test (--test) and ground-truth (--truth) data given with --from, set on the state.
void attach_evaluation_data(dln::Model& model, const DataSpec& d);

}  // namespace dlncli

#endif
