// `dlnsgd probability`: start from a checkpoint (dln_load) or from the spec.
#include <algorithm>
#include <iomanip>
#include <iostream>

#include "commands.hpp"
#include "probability.hpp"
#include "report.hpp"

// dln_load may be missing from an older library: a weak reference lets the
// tool run and say so instead of failing to start.
#pragma weak dln_load

namespace dlncli {

bool checkpoints_available() { return &dln_load != nullptr; }

int cmd_probability(const Experiment& e, std::ostream& out) {
  const ProbabilitySpec& ps = e.probability;
  dln::Model start(nullptr);
  if (!ps.checkpoint.empty()) {
    if (!checkpoints_available())
      throw std::runtime_error("--checkpoint: this libdlnsgd has no dln_load; give the start state "
                               "as a spec (flags or --config) instead");
    start = dln::Model::load(ps.checkpoint);
    out << "start: checkpoint " << ps.checkpoint << " at step " << start.step_count()
        << " (its own eta, lambda, batch and schedules)\n";
  } else {
    Problem p = load_problem(e.data);
    out << "problem: " << p.description << "\n";
    start = build_start(p, e.model);
    configure(start, e.train);
    out << "start: built from the spec (init " << e.model.init << ", scale " << e.model.init_scale
        << "); SGD eta=" << format_g(e.train.eta, 3) << " lambda=" << format_g(e.train.lambda, 3)
        << " batch=" << e.train.batch << "\n";
  }
  out << "start state: absorbed rank " << start.absorbed_rank() << ", numerical rank "
      << start.query_rank(e.train.rank_rtol) << "\n";
  ProbabilityResult r = estimate_probability(start, ps);
  std::vector<std::int64_t> hits;
  for (auto s : r.hit_steps)
    if (s >= 0) hits.push_back(s);
  std::sort(hits.begin(), hits.end());
  out << "P(enter B_" << ps.r << " within " << ps.horizon << " steps) ~= " << r.hits << "/" << r.trials
      << " = " << format_g(static_cast<double>(r.hits) / static_cast<double>(r.trials), 4) << ", "
      << format_g(100 * ps.confidence, 3) << "% Wilson interval [" << format_g(r.interval.low, 4) << ", "
      << format_g(r.interval.high, 4) << "]\n";
  out << "trials already inside at the start: " << r.already_inside << "; diverged: " << r.diverged << "\n";
  if (!hits.empty())
    out << "steps to enter (checked every " << ps.check_every << "): min " << hits.front() << ", median "
        << hits[hits.size() / 2] << ", max " << hits.back() << "\n";
  return 0;
}

}  // namespace dlncli
