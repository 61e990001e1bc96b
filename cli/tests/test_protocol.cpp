// The research protocol through the CLI (issue 13): any command from a saved
// state with the flags given overriding it and reported, flags that cannot
// apply refused, ensembles with hitting-time statistics, figures that write
// only the file named.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>

#include "applicability.hpp"
#include "commands.hpp"
#include "ensemble.hpp"
#include "probability.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "sweep.hpp"
#include "temp_files.hpp"

using namespace dlncli;

namespace {

Experiment small_problem() {
  Experiment e;
  e.data.synthetic.rows = 8, e.data.synthetic.cols = 7, e.data.synthetic.rank = 2;
  e.data.synthetic.fraction = 0.6;
  e.model.depth = 3, e.model.width = 5, e.model.init_scale = 2.0;
  return e;
}

// A full-batch GD state (eta 0.05, lambda 0.004, jump interval 50) after 400 steps, saved to `path`.
void save_gd_state(const std::string& path) {
  Experiment e = small_problem();
  dln::Model m = build_start(load_problem(e.data), e.model);
  TrainSpec t;
  t.method = "gd", t.eta = 0.05, t.lambda = 0.004, t.jump_interval = 50, t.seed = 9;
  configure(m, t);
  m.step(400);
  m.save(path);
}

}  // namespace

TEST_CASE("--from keeps the state's weights, data, options and step counter, and every flag given overrides it") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  Experiment e;
  e.from = dir / "gd.dln";
  e.train.method = "sgd", e.train.eta = 0.02, e.train.batch = 2, e.train.steps = 300;
  OutputOptions o;
  o.save = dir / "after.dln";
  std::ostringstream out;
  REQUIRE(cmd_run(e, o, out, {"--method", "--eta", "--batch", "--steps"}) == 0);
  const std::string text = out.str();
  CHECK(text.find("start: state " + e.from + " at step 400") == 0);
  CHECK(text.find("--eta (state: 0.05)") != std::string::npos);
  CHECK(text.find("--method (state: gd)") != std::string::npos);
  CHECK(text.find("lambda         0.004                 state") != std::string::npos);
  dln::Model after = dln::Model::load(o.save), before = dln::Model::load(e.from);
  CHECK(after.get_param(DLN_PARAM_LEARNING_RATE) == 0.02);
  CHECK(after.get_param(DLN_PARAM_BATCH_SIZE) == 2);
  CHECK(after.get_param(DLN_PARAM_SAMPLER) == DLN_SAMPLER_WITH_REPLACEMENT);
  CHECK(after.get_param(DLN_PARAM_RIDGE) == before.get_param(DLN_PARAM_RIDGE));
  CHECK(after.get_param(DLN_PARAM_JUMP_INTERVAL) == 50);
  CHECK(after.seed() == before.seed());
  CHECK(after.step_count() == 400 + 300);
}

TEST_CASE("--from without training flags continues the state exactly as dln_step would") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  Experiment e;
  e.from = dir / "gd.dln";
  e.train.steps = 250;
  OutputOptions o;
  o.save = dir / "after.dln";
  std::ostringstream out;
  REQUIRE(cmd_run(e, o, out, {"--steps"}) == 0);
  dln::Model direct = dln::Model::load(e.from);
  direct.step(250);
  dln::Model via_cli = dln::Model::load(o.save);
  for (std::int64_t l = 1; l <= direct.depth(); ++l) CHECK(via_cli.get_weights(l) == direct.get_weights(l));
  CHECK(via_cli.step_count() == 650);
  CHECK(via_cli.get_param(DLN_PARAM_SAMPLER) == DLN_SAMPLER_FULL_BATCH);
}

TEST_CASE("a flag that cannot apply is refused with its name and the reason") {
  struct Case {
    const char* command;
    GivenFlags given;
    bool from;
    const char* method;
    const char* flag;
  };
  const Case cases[] = {
      {"run", {"--data"}, true, "sgd", "--data"},
      {"ensemble", {"--depth"}, true, "sgd", "--depth"},
      {"probability", {"--init-scale"}, true, "sgd", "--init-scale"},
      {"run", {"--batch"}, false, "gd", "--batch"},
      {"run", {"--batch"}, true, "gd", "--batch"},
      {"compare", {"--phase1-steps"}, false, "sgd", "--phase1-steps"},
      {"compare", {"--method"}, false, "sgd", "--method"},
      {"run", {"--phase1-eta"}, false, "sgd", "--phase1-eta"},
      {"sweep", {"--seed"}, false, "sgd", "--seed"},
      {"sweep", {"--etas", "--eta"}, false, "sgd", "--eta"},
      {"probability", {"--steps"}, true, "sgd", "--steps"},
      {"ensemble", {"--seed"}, false, "sgd", "--seed"},
      {"ensemble", {"--lambdas", "--lambda"}, true, "sgd", "--lambda"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.command);
    CAPTURE(c.flag);
    const std::string msg = thrown([&] { refuse_inapplicable_flags(c.command, c.given, c.from, c.method); });
    CHECK(msg.find(std::string(c.flag) + " does not apply to `dlnsgd " + c.command) == 0);
  }
  // and what does apply passes
  CHECK(thrown([] { refuse_inapplicable_flags("run", {"--test", "--truth", "--eta"}, true, "sgd"); }).empty());
  CHECK(thrown([] { refuse_inapplicable_flags("ensemble", {"--etas", "--batch"}, true, "sgd"); }).empty());
}

TEST_CASE("a refused flag stops the command before any file is written") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  Experiment e;
  e.from = dir / "gd.dln";
  OutputOptions o;
  o.csv = dir / "series.csv";
  std::ostringstream out;
  CHECK(thrown([&] { cmd_run(e, o, out, {"--depth"}); }).find("--depth does not apply") == 0);
  CHECK(dir.entries() == 1);
}

TEST_CASE("probability --from with SGD flags runs SGD trials, not the state's gradient descent") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  Experiment e;
  e.from = dir / "gd.dln";
  e.train.method = "sgd", e.train.eta = 0.03;
  e.probability.trials = 4, e.probability.horizon = 200, e.probability.check_every = 50, e.probability.r = 1;
  std::ostringstream out;
  REQUIRE(cmd_probability(e, out, {"--method", "--eta", "--trials", "--horizon", "--check-every", "--r"}) == 0);
  CHECK(out.str().find("--method (state: gd)") != std::string::npos);
  // SGD trials with different seeds end in different states; GD ones would not.
  StartState s = load_start(e, {"--method", "--eta"}, "probability");
  auto runs = run_ensemble(s.model, s.train, e.probability, false);
  REQUIRE(runs.size() == 4);
  CHECK(runs[0].train_mse != runs[1].train_mse);
}

TEST_CASE("ensemble rows are identical for 1 and 2 threads") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  Experiment e;
  e.from = dir / "gd.dln";
  e.train.method = "sgd";
  ProbabilitySpec& p = e.probability;
  p.trials = 5, p.horizon = 600, p.check_every = 100, p.r = 1, p.etas = {0.03, 0.06};
  StartState s = load_start(e, {"--method", "--etas"}, "ensemble");
  std::ostringstream one, two;
  p.threads = 1;
  write_runs_csv(one, run_ensemble(s.model, s.train, p, false));
  p.threads = 2;
  write_runs_csv(two, run_ensemble(s.model, s.train, p, false));
  const std::string rows = one.str();
  CHECK(rows == two.str());
  CHECK(std::count(rows.begin(), rows.end(), '\n') == 1 + 10);
}

TEST_CASE("ensemble summary: Wilson interval and Kaplan-Meier median as computed by hand") {
  // Five members, horizon 300: entries at 100, 200, 200; two censored at 300.
  // S(100) = 4/5, S(200) = 4/5 * 2/4 = 0.4, median 200; Greenwood at 200:
  // 0.4 sqrt(1/(5*4) + 2/(4*2)) = 0.4 sqrt(0.3). Wilson 3/5 at z = 1.96:
  // (0.2307, 0.8824). The log(-log) band at 100 reaches 0.204 <= 1/2 (median
  // lower 100) and the upper band stays above 1/2 (0.753): upper +inf.
  GridPoint g{0.1, 0.01, 1};
  std::vector<MemberOutcome> runs(5);
  const std::int64_t entry[5] = {100, 200, -1, 200, -1};
  for (int k = 0; k < 5; ++k) {
    runs[k].point = g, runs[k].seed = k + 1, runs[k].steps = 300;
    runs[k].entry_step = entry[k], runs[k].censored = entry[k] < 0;
  }
  auto s = summarize({g}, runs, DLN_Z_95).at(0);
  CHECK(s.entered == 3);
  CHECK(s.p_enter.lower == doctest::Approx(0.2307242812760128).epsilon(1e-12));
  CHECK(s.p_enter.upper == doctest::Approx(0.882379225767352).epsilon(1e-12));
  CHECK(s.median.median == 200);
  CHECK(s.median.lower == 100);
  CHECK(std::isinf(s.median.upper));
  REQUIRE(s.curve.size() == 3);
  CHECK(s.curve[0][DLN_KM_SURVIVAL] == doctest::Approx(0.8));
  CHECK(s.curve[1][DLN_KM_SURVIVAL] == doctest::Approx(0.4));
  CHECK(s.curve[1][DLN_KM_STD_ERROR] == doctest::Approx(0.4 * std::sqrt(0.3)));
  CHECK(s.curve[2][DLN_KM_CENSORED] == 2);
  std::ostringstream csv;
  write_summary_csv(csv, {s});
  CHECK(csv.str().find("\n0.1,0.01,1,5,3,0.6,0.2307242812760128,0.882379225767352,200,100,inf,0,0\n") !=
        std::string::npos);
}

TEST_CASE("sweep writes eta and lambda in the shortest form that reads back exactly") {
  SweepOutcome o;
  o.point = {1, 0.03, 0.005, 1};
  o.test_error = 0.1;
  std::ostringstream csv;
  write_sweep_csv(csv, {o});
  CHECK(csv.str().find("\n1,0.03,0.005,1,") != std::string::npos);
  CHECK(format_shortest(0.1 + 0.2) == "0.30000000000000004");
}

TEST_CASE("run and compare figures write exactly the file named, in the format of its extension") {
  TempDir dir;
  Experiment e = small_problem();
  e.train.steps = 300;
  OutputOptions o;
  o.plot = dir / "fig.svg";
  std::ostringstream out;
  CompareSpec c;
  c.extra_seeds = {2};
  REQUIRE(cmd_compare(e, c, o, 2, out) == 0);
  CHECK(dir.entries() == 1);
  CHECK(slurp(o.plot).find("<svg") != std::string::npos);
  o.plot = dir / "run.png";
  REQUIRE(cmd_run(e, o, out) == 0);
  CHECK(dir.entries() == 2);
  CHECK(slurp(o.plot).rfind("\x89PNG", 0) == 0);
  o.plot = dir / "fig.gif";
  CHECK(thrown([&] { cmd_run(e, o, out); }).find("must end in .png, .svg or .pdf") != std::string::npos);
}

TEST_CASE("balanced_data starts from the observations at scale 1 unless --init-scale is given") {
  ModelSpec m;
  m.init = "balanced_data";
  CHECK(m.scale() == 1.0);
  m.init = "end_to_end";
  CHECK(m.scale() == 3.0);
  m.init_scale = 2.0;
  CHECK(m.scale() == 2.0);
}

TEST_CASE("the time series records sigma_{r+1}(M_k) and eps of the watched B_r as the library reports them") {
  Experiment e = small_problem();
  e.train.steps = 200, e.train.watch_r = 1, e.train.record_every = 100;
  dln::Model start = build_start(load_problem(e.data), e.model);
  RunResult r = run_training(start, e.train, "x");
  dln::BrReport br = r.final_state->Br_report(1);
  CHECK(r.last().br_r == 1);
  CHECK(r.last().br_sigma == br.sigma);
  CHECK(r.last().br_eps == br.eps);
  // automatic sampling adds log-spaced early samples for the log time axis
  e.train.record_every = 0, e.train.steps = 2000;  // every 20 steps, and 1, 2, 3, 5, 7, 10, 14 before
  RunResult log = run_training(start, e.train, "x");
  const std::int64_t expected[] = {0, 1, 2, 3, 5, 7, 10, 14, 20, 40};
  for (std::size_t i = 0; i < std::size(expected); ++i) CHECK(log.series.at(i).step == expected[i]);
  CHECK(log.last().step == 2000);
}

TEST_CASE("with --from, a --config file's [train] keys override the state and its [model] is refused") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  put(dir / "train.toml", "[train]\neta = 0.01\nsteps = 20\n");
  put(dir / "model.toml", "[model]\ndepth = 3\n");
  Experiment e;
  load_toml(dir / "train.toml", e);
  e.config = dir / "train.toml", e.from = dir / "gd.dln";
  StartState s = load_start(e, {}, "run");
  CHECK(s.train.eta == 0.01);
  CHECK(s.train.steps == 20);
  CHECK(s.train.lambda == 0.004);  // from the state
  Experiment m;
  load_toml(dir / "model.toml", m);
  m.config = dir / "model.toml", m.from = dir / "gd.dln";
  CHECK(thrown([&] { load_start(m, {}, "run"); }).find("[model] does not apply with a start state") !=
        std::string::npos);
}

TEST_CASE("sweep --from runs every grid point and seed from the saved state") {
  TempDir dir;
  save_gd_state(dir / "gd.dln");
  Experiment e;
  e.from = dir / "gd.dln";
  e.train.method = "sgd", e.train.steps = 100;
  e.sweep.etas = {0.02, 0.03}, e.sweep.seeds = {1, 2}, e.sweep.threads = 2;
  std::ostringstream out;
  REQUIRE(cmd_sweep(e, dir / "sweep.csv", false, out, {"--method", "--steps", "--etas", "--seeds"}) == 0);
  const std::string csv = slurp(dir / "sweep.csv");
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 1 + 4);
  CHECK(csv.find("\n1,0.02,0.004,1,500,") != std::string::npos);  // seed, eta, the state's lambda and batch, step 400 + 100
  CHECK(csv.find("\n2,0.03,0.004,1,500,") != std::string::npos);
  CHECK(out.str().find("eta            the grid              --etas") != std::string::npos);
}
