#include "demo.hpp"

#include <algorithm>
#include <iostream>
#include <map>
#include <sstream>

#include "commands.hpp"
#include "parallel.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace dlncli {

DemoConfig default_demo() {
  DemoConfig d;
  auto& s = d.experiment.data.synthetic;
  s.rows = 20, s.cols = 20, s.rank = 2, s.noise = 0.2, s.fraction = 0.4, s.seed = 1;
  auto& m = d.experiment.model;
  m.depth = 4, m.width = 12, m.init = "end_to_end", m.init_scale = 3.0, m.init_seed = 1;
  auto& t = d.experiment.train;
  t.eta = 0.055, t.lambda = 0.002, t.batch = 1, t.steps = 200000, t.seed = 1;
  t.record_every = 0, t.jump_interval = 100, t.rank_rtol = 1e-3, t.top_k = 5;  // every 2000, log-spaced before
  d.compare.gd_eta = 0.05;
  d.compare.phase1_steps = 60000, d.compare.phase1_eta = 0.055, d.compare.phase1_lambda = 0.006;
  d.compare.phase2_eta = 0.02;
  d.gd_steps = 40000;
  d.extra_seeds = {2, 3, 4, 5, 6, 7};
  return d;
}

DemoConfig quick_demo() {
  DemoConfig d = default_demo();
  d.experiment.train.steps = 20000;
  d.experiment.train.record_every = 1000;
  d.compare.phase1_steps = 8000;
  d.gd_steps = 4000;
  d.extra_seeds = {2};
  return d;
}

std::int64_t absorbed_rank_increases(const RunResult& r) {
  // From the library's rank-change log (a check every --jump-interval steps),
  // a rise counts where lambda_t is the same at the check before: a change of
  // lambda moves the thresholds of B_r (math §6) and may lift the rank.
  const dln::Model& m = *r.final_state;
  const auto interval = static_cast<std::int64_t>(m.get_param(DLN_PARAM_JUMP_INTERVAL));
  std::int64_t n = 0;
  for (const auto& j : r.jumps)
    if (j.kind == DLN_JUMP_ABSORBED && j.after > j.before &&
        m.schedule_value(DLN_PARAM_RIDGE, j.step) == m.schedule_value(DLN_PARAM_RIDGE, std::max<std::int64_t>(0, j.step - interval)))
      ++n;
  return n;
}

DemoFacts collect_facts(const std::vector<RunResult>& runs, const std::vector<RunResult>& seed_runs,
                        std::int64_t target_rank) {
  DemoFacts f;
  f.target_rank = target_rank;
  const Sample &gd = runs.at(0).last(), &sgd = runs.at(1).last(), &two = runs.at(2).last();
  f.gd_rank = gd.absorbed_rank, f.sgd_rank = sgd.absorbed_rank, f.two_phase_rank = two.absorbed_rank;
  f.gd_num = gd.numerical_rank, f.sgd_num = sgd.numerical_rank, f.two_phase_num = two.numerical_rank;
  f.gd_test = gd.test_error, f.sgd_test = sgd.test_error, f.two_phase_test = two.test_error;
  f.seed_ranks.push_back(f.sgd_rank);
  for (const auto& r : seed_runs) f.seed_ranks.push_back(r.last().absorbed_rank);
  for (const auto& r : runs) f.any_diverged = f.any_diverged || r.diverged;
  for (const auto& r : seed_runs) f.any_diverged = f.any_diverged || r.diverged;
  for (std::size_t i = 1; i < runs.size(); ++i) f.increases_at_constant_lambda += absorbed_rank_increases(runs[i]);
  for (const auto& r : seed_runs) f.increases_at_constant_lambda += absorbed_rank_increases(r);
  return f;
}

std::vector<std::string> conclusions(const DemoFacts& f) {
  std::vector<std::string> out;
  auto cmp = [](std::int64_t a, std::int64_t b) { return a < b ? "lower than" : a == b ? "the same as" : "higher than"; };
  std::ostringstream s;
  s << "Final absorbed rank: GD " << f.gd_rank << ", SGD " << f.sgd_rank << ", two-phase SGD "
    << f.two_phase_rank << " (target rank " << f.target_rank << "); SGD ended " << cmp(f.sgd_rank, f.gd_rank)
    << " GD and two-phase SGD " << cmp(f.two_phase_rank, f.gd_rank) << " GD.";
  out.push_back(s.str());
  s.str("");
  std::int64_t lower = 0;
  for (auto r : f.seed_ranks) lower += r < f.gd_rank ? 1 : 0;
  std::map<std::int64_t, int> hist;
  for (auto r : f.seed_ranks) ++hist[r];
  s << "Over " << f.seed_ranks.size() << " SGD seeds, " << lower << " ended below GD's rank " << f.gd_rank
    << " (final ranks:";
  for (auto [r, n] : hist) s << " " << n << "x" << r;
  s << ").";
  out.push_back(s.str());
  s.str("");
  const double best = std::min({f.gd_test, f.sgd_test, f.two_phase_test});
  const char* who = best == f.two_phase_test ? "two-phase SGD" : best == f.sgd_test ? "SGD" : "GD";
  s << "Lowest test error: " << who << " (" << format_g(best) << "; GD " << format_g(f.gd_test) << ", SGD "
    << format_g(f.sgd_test) << ", two-phase " << format_g(f.two_phase_test) << ").";
  out.push_back(s.str());
  s.str("");
  s << "Absorbed-rank increases at constant lambda in the SGD runs (the rank-change log): "
    << f.increases_at_constant_lambda << (f.increases_at_constant_lambda == 0 ? " (the jumps went one way only)." : ".");
  out.push_back(s.str());
  if (f.any_diverged) out.push_back("At least one run diverged: its numbers are those before the failing step.");
  return out;
}

int cmd_demo(const OutputOptions& o, int threads, std::ostream& out) {
  return run_demo(default_demo(), o, threads, out);
}

int run_demo(const DemoConfig& d, const OutputOptions& o, int threads, std::ostream& out) {
  const Experiment& e = d.experiment;
  refuse_overlapping_paths(input_paths(e), {{"--plot", o.plot}});
  if (!o.plot.empty()) plot_format(o.plot);
  Problem p = load_problem(e.data);
  out << "dlnsgd demo: does SGD jump from high-rank to low-rank minima where full-batch GD stays?\n"
      << "problem: " << p.description << "\n"
      << "network: depth " << e.model.depth << ", hidden width " << e.model.width << ", init "
      << e.model.init << " scale " << e.model.scale() << " (rank-overestimating start)\n"
      << "ranks: rk = numerical rank of A (s_i > " << e.train.rank_rtol
      << " s_1), absrk = absorbed rank (smallest r with theta in B_r, math §6)\n\n";
  dln::Model start = build_start(p, e.model);
  auto methods = compare_methods(e.train, d.compare);
  if (d.gd_steps > 0) methods[0].train.steps = d.gd_steps;
  for (auto s : d.extra_seeds) {
    TrainSpec t = e.train;
    t.seed = s;
    methods.push_back({"SGD seed " + std::to_string(s), t});
  }
  auto all = run_methods(start, methods, threads, stderr_is_terminal());
  std::vector<RunResult> main_runs(all.begin(), all.begin() + 3), seed_runs(all.begin() + 3, all.end());
  for (const auto& r : main_runs) print_run_table(out, r, 7), out << "\n";
  print_summary(out, all);
  out << "\nConclusion (from the numbers above):\n";
  for (const auto& line : conclusions(collect_facts(main_runs, seed_runs, e.data.synthetic.rank)))
    out << "  " << line << "\n";
  if (!o.plot.empty()) {
    // GD, SGD, two-phase SGD and up to three more SGD seeds.
    std::vector<const RunResult*> shown;
    for (std::size_t i = 0; i < all.size() && i < 6; ++i) shown.push_back(&all[i]);
    plot_runs(shown, o.plot);
    out << "plot: " << o.plot << "\n";
  }
  return 0;
}

}  // namespace dlncli
