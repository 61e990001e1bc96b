// `dlnsgd probability` and `dlnsgd ensemble`: trials from a start state
// (--from, or built from the spec) through the ensemble engine.
#include <iostream>
#include <sstream>

#include "applicability.hpp"
#include "commands.hpp"
#include "ensemble.hpp"
#include "probability.hpp"
#include "report.hpp"
#include "sweep.hpp"

namespace dlncli {
namespace {

// The start, the flags refused, and what the trials are, printed by rank 0.
StartState prepare(const Experiment& e, const GivenFlags& given, const char* command, bool use_mpi,
                   std::ostream& out) {
  StartState s = load_start(e, given, command);
  refuse_inapplicable_flags(command, given, s.from_state, s.train.method);
  validate(e.probability);
  validate(s.train);
  if (!use_mpi || mpi_rank() == 0) {
    print_start(out, s);
    const auto& p = e.probability;
    out << "trials: " << p.trials << " fresh clones per grid point (seeds " << p.first_seed << ".."
        << p.first_seed + static_cast<std::uint64_t>(p.trials) - 1 << ", step 0, empty logs), " << p.horizon
        << " steps each, B_" << p.r << " checked every " << p.check_every << " steps";
    if (use_mpi) out << ", over " << mpi_size() << " MPI ranks";
    out << "\nstart state: absorbed rank " << s.model.absorbed_rank() << ", numerical rank "
        << s.model.query_rank(s.train.rank_rtol) << "\n";
  }
  return s;
}

}  // namespace

int cmd_probability(const Experiment& e, std::ostream& out, const GivenFlags& given, bool use_mpi) {
  const ProbabilitySpec& ps = e.probability;
  StartState s = prepare(e, given, "probability", use_mpi, out);
  ProbabilityResult r = estimate_probability(s.model, s.train, ps, use_mpi);
  if (use_mpi && mpi_rank() != 0) return 0;
  out << "P(enter B_" << ps.r << " within " << ps.horizon << " steps) ~= " << r.hits << "/" << r.trials << " = "
      << format_g(static_cast<double>(r.hits) / static_cast<double>(r.trials), 4) << ", "
      << format_g(100 * ps.confidence, 3) << "% Wilson interval [" << format_g(r.interval.lower, 4) << ", "
      << format_g(r.interval.upper, 4) << "]\n";
  out << "trials already inside at the start: " << r.already_inside << "; diverged: " << r.diverged << "\n";
  auto steps = [](double v) { return std::isinf(v) ? std::string("not reached") : format_shortest(v); };
  out << "Kaplan-Meier median steps to enter (checked every " << ps.check_every << "): " << steps(r.median.median)
      << ", 95% interval [" << steps(r.median.lower) << ", " << steps(r.median.upper) << "]\n";
  return 0;
}

int cmd_ensemble(const Experiment& e, const EnsembleOutputs& o, std::ostream& out, const GivenFlags& given,
                 bool use_mpi) {
  refuse_overlapping_paths(input_paths(e), {{"--out", o.runs}, {"--summary", o.summary}, {"--curves", o.curves},
                                            {"--plot", o.plot}});
  if (!o.plot.empty()) plot_format(o.plot);
  const ProbabilitySpec& ps = e.probability;
  StartState s = prepare(e, given, "ensemble", use_mpi, out);
  const auto grid = ensemble_grid(s.train, ps);
  if (!use_mpi || mpi_rank() == 0) out << "grid: " << grid.size() << " points x " << ps.trials << " seeds\n";
  auto runs = run_ensemble(s.model, s.train, ps, use_mpi);
  if (use_mpi && mpi_rank() != 0) return 0;
  auto summary = summarize(grid, runs, DLN_Z_95);
  print_summary_table(out, summary, ps.r, ps.horizon);
  if (!o.runs.empty())
    write_text_file(o.runs, [&](std::ostream& f) { write_runs_csv(f, runs); }),
        out << "runs: " << o.runs << " (" << runs.size() << " rows)\n";
  if (!o.summary.empty())
    write_text_file(o.summary, [&](std::ostream& f) { write_summary_csv(f, summary); }),
        out << "summary: " << o.summary << "\n";
  std::ostringstream curves;
  write_curves_csv(curves, summary);
  if (!o.curves.empty())
    write_text_file(o.curves, [&](std::ostream& f) { f << curves.str(); }), out << "survival curves: " << o.curves << "\n";
  if (!o.plot.empty()) plot_survival(curves.str(), ps.r, ps.check_every, o.plot), out << "plot: " << o.plot << "\n";
  return 0;
}

}  // namespace dlncli
