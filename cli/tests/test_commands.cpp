// The subcommands on small cases, the sweep's thread independence, the
// Wilson interval, and the demo's claims against its own measurements.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "demo.hpp"
#include "probability.hpp"
#include "report.hpp"
#include "sweep.hpp"

using namespace dlncli;

namespace {
Experiment small() {
  Experiment e;
  e.data.synthetic.rows = 8, e.data.synthetic.cols = 7, e.data.synthetic.rank = 2;
  e.data.synthetic.fraction = 0.6;
  e.model.depth = 3, e.model.width = 5, e.model.init_scale = 2.0;
  e.train.eta = 0.03, e.train.lambda = 0.003, e.train.steps = 3000, e.train.record_every = 500;
  return e;
}
std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}
}  // namespace

TEST_CASE("run: time series, jump log, exit code") {
  Experiment e = small();
  OutputOptions o;
  o.csv = "dln_cli_run.csv";
  o.jumps = "dln_cli_run.jumps.csv";
  std::ostringstream out;
  CHECK(cmd_run(e, o, out) == 0);
  std::string csv = slurp(o.csv);
  CHECK(csv.rfind("step,eta,lambda,data_cost,ridge_term,loss,test_error,norm2,balancedness,"
                  "numerical_rank,absorbed_rank,sv1", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 1 + 3000 / 500);
  CHECK(slurp(o.jumps).rfind("step,kind,before,after\n", 0) == 0);
  CHECK(out.str().find("jumps:") != std::string::npos);
  std::remove(o.csv.c_str());
  std::remove(o.jumps.c_str());
}

TEST_CASE("runs are reproducible and the recorded losses match the library") {
  Experiment e = small();
  Problem p = load_problem(e.data);
  dln::Model start = build_start(p, e.model);
  RunResult a = run_training(start, e.train, "a"), b = run_training(start, e.train, "b");
  CHECK(a.last().sv == b.last().sv);
  CHECK(a.last().data_cost == b.last().data_cost);
  auto loss = a.final_state->loss();
  CHECK(loss.data_cost == a.last().data_cost);
  CHECK(a.last().lambda == e.train.lambda);
  CHECK(a.series.front().step == 0);
  CHECK(a.last().step == e.train.steps);
}

TEST_CASE("compare: three methods from one start, two-phase schedule applied") {
  Experiment e = small();
  CompareSpec c;
  c.phase1_steps = 1000, c.phase1_eta = 0.03, c.phase1_lambda = 0.01, c.phase2_eta = 0.01;
  auto methods = compare_methods(e.train, c);
  REQUIRE(methods.size() == 3);
  CHECK(methods[0].train.method == "gd");
  Problem p = load_problem(e.data);
  dln::Model start = build_start(p, e.model);
  auto runs = run_methods(start, methods, 2, false);
  for (const auto& r : runs) CHECK(r.series.front().sv == runs[0].series.front().sv);  // same start
  const auto& two = runs[2].series;
  CHECK(two.front().lambda == doctest::Approx(0.01));
  CHECK(two.back().lambda == doctest::Approx(0.003));
  CHECK(two.back().eta == doctest::Approx(0.01));
  std::ostringstream out;
  OutputOptions o;
  CHECK(cmd_compare(e, c, o, 2, out) == 0);
  CHECK(out.str().find("GD full batch") != std::string::npos);
}

TEST_CASE("sweep: identical results whatever the thread count") {
  Experiment e = small();
  e.train.steps = 1500;
  e.sweep.seeds = {1, 2, 3};
  e.sweep.etas = {0.02, 0.04};
  Problem p = load_problem(e.data);
  auto grid = sweep_grid(e);
  CHECK(grid.size() == 6);
  std::ostringstream one, two;
  write_sweep_csv(one, run_points(p, e, grid, 1));
  write_sweep_csv(two, run_points(p, e, grid, 2));
  CHECK(one.str() == two.str());
  // Strided halves (what MPI ranks do) packed and summed give the same rows.
  auto h0 = run_points(p, e, grid, 1, 0, 2), h1 = run_points(p, e, grid, 2, 1, 2);
  std::vector<SweepOutcome> merged;
  for (std::size_t i = 0; i < grid.size(); ++i) {
    double a[kOutcomeFields], b[kOutcomeFields], s[kOutcomeFields];
    pack(h0[i], a);
    pack(h1[i], b);
    for (int k = 0; k < kOutcomeFields; ++k) s[k] = (i % 2 == 0 ? a[k] : 0.0) + (i % 2 == 1 ? b[k] : 0.0);
    merged.push_back(unpack(s));
  }
  std::ostringstream m;
  write_sweep_csv(m, merged);
  CHECK(m.str() == one.str());
}

TEST_CASE("the --confidence level maps to the library's Wilson interval") {
  CHECK(normal_quantile_two_sided(0.95) == doctest::Approx(DLN_Z_95).epsilon(1e-12));
  auto i = dln::wilson_interval(5, 10, normal_quantile_two_sided(0.95));
  CHECK(i.lower == doctest::Approx(0.2366).epsilon(1e-3));
  CHECK(i.upper == doctest::Approx(0.7634).epsilon(1e-3));
  CHECK_THROWS(normal_quantile_two_sided(1.0));
}

TEST_CASE("probability: trials, hits and interval are consistent") {
  Experiment e = small();
  Problem p = load_problem(e.data);
  dln::Model start = build_start(p, e.model);
  configure(start, e.train);
  ProbabilitySpec ps;
  ps.r = 2, ps.trials = 6, ps.horizon = 2000, ps.check_every = 200, ps.threads = 2;
  auto r1 = estimate_probability(start, e.train, ps);
  ps.threads = 1;
  auto r2 = estimate_probability(start, e.train, ps);
  CHECK(r1.hit_steps == r2.hit_steps);
  CHECK(r1.trials == 6);
  CHECK(r1.interval.lower <= double(r1.hits) / 6);
  CHECK(r1.interval.upper >= double(r1.hits) / 6);
  for (auto s : r1.hit_steps) CHECK((s == -1 || (s >= 0 && s <= 2000 && s % 200 == 0)));
  ps.r = 100;  // every state is in B_100: all trials inside at once
  auto all = estimate_probability(start, e.train, ps);
  CHECK(all.hits == 6);
  CHECK(all.already_inside == 6);
}

TEST_CASE("demo conclusions state only what the facts say") {
  DemoFacts f;
  f.target_rank = 2, f.gd_rank = 4, f.sgd_rank = 3, f.two_phase_rank = 2;
  f.gd_test = 0.04, f.sgd_test = 0.05, f.two_phase_test = 0.03;
  f.seed_ranks = {3, 4, 3};
  auto c = conclusions(f);
  CHECK(c[0].find("GD 4, SGD 3, two-phase SGD 2") != std::string::npos);
  CHECK(c[0].find("SGD ended lower than GD") != std::string::npos);
  CHECK(c[1].find("Over 3 SGD seeds, 2 ended below") != std::string::npos);
  CHECK(c[2].find("Lowest test error: two-phase SGD") != std::string::npos);
  f.sgd_rank = 5, f.gd_test = 0.01;
  c = conclusions(f);
  CHECK(c[0].find("SGD ended higher than GD") != std::string::npos);
  CHECK(c[2].find("Lowest test error: GD") != std::string::npos);
}

TEST_CASE("quick demo: the printed conclusion matches the printed numbers") {
  DemoConfig d = quick_demo();
  std::ostringstream out;
  OutputOptions o;
  CHECK(run_demo(d, o, 2, out) == 0);
  std::string text = out.str();
  // Re-run the same configuration and rebuild the facts: same numbers, same sentences.
  Problem p = load_problem(d.experiment.data);
  dln::Model start = build_start(p, d.experiment.model);
  auto methods = compare_methods(d.experiment.train, d.compare);
  methods[0].train.steps = d.gd_steps;
  auto runs = run_methods(start, methods, 1, false);
  std::vector<RunResult> seeds;
  for (auto s : d.extra_seeds) {
    TrainSpec t = d.experiment.train;
    t.seed = s;
    seeds.push_back(run_training(start, t, "seed"));
  }
  for (const auto& line : conclusions(collect_facts(runs, seeds, d.experiment.data.synthetic.rank)))
    CHECK_MESSAGE(text.find(line) != std::string::npos, line);
  // The summary table shows the final absorbed ranks the conclusion cites.
  for (const auto& r : runs) CHECK(text.find(r.label.substr(0, 20)) != std::string::npos);
  CHECK(text.find("Conclusion (from the numbers above):") != std::string::npos);
}
