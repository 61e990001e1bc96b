#include "start_state.hpp"

#include <iomanip>
#include <stdexcept>

#include "report.hpp"
#include "runner.hpp"

namespace dlncli {
namespace {

std::string sampler_name(int sampler) {
  switch (sampler) {
    case DLN_SAMPLER_WITH_REPLACEMENT: return "with_replacement";
    case DLN_SAMPLER_WITHOUT_REPLACEMENT: return "without_replacement";
    case DLN_SAMPLER_SUBSET: return "subset";
    default: return "full_batch";
  }
}

std::string widths_text(const dln::Model& m) {
  std::string s;
  for (auto w : m.widths()) {
    if (!s.empty()) s += ',';
    s += std::to_string(w);
  }
  return s;
}

// The training settings a saved state carries, as a TrainSpec.
TrainSpec settings_of(const dln::Model& m, const TrainSpec& defaults) {
  TrainSpec t = defaults;
  const int sampler = static_cast<int>(m.get_param(DLN_PARAM_SAMPLER));
  t.method = sampler == DLN_SAMPLER_FULL_BATCH ? "gd" : "sgd";
  if (sampler != DLN_SAMPLER_FULL_BATCH) t.sampler = sampler_name(sampler);
  t.eta = m.get_param(DLN_PARAM_LEARNING_RATE);
  t.lambda = m.get_param(DLN_PARAM_RIDGE);
  t.batch = static_cast<std::int64_t>(m.get_param(DLN_PARAM_BATCH_SIZE));
  t.seed = m.seed();
  t.threads = static_cast<int>(m.get_param(DLN_PARAM_THREADS));
  t.jump_interval = static_cast<std::int64_t>(m.get_param(DLN_PARAM_JUMP_INTERVAL));
  t.rank_rtol = m.get_param(DLN_PARAM_JUMP_RTOL);
  t.phase1_steps = 0;
  t.keep_step = t.keep_eta_schedule = t.keep_lambda_schedule = true;
  return t;
}

// One row of the settings table: the value, and whether a flag or the state gave it.
template <class T>
void overlay(std::vector<Setting>& rows, const GivenFlags& given, const char* name, const char* flag, T& value,
             const T& flag_value) {
  auto text = [&](const T& v) {
    if constexpr (std::is_same_v<T, std::string>) return v;
    else if constexpr (std::is_floating_point_v<T>) return format_shortest(v);
    else return std::to_string(v);
  };
  if (given.count(flag)) {
    std::string was = text(value);
    value = flag_value;
    rows.push_back({name, text(value), std::string(flag) + (was == text(value) ? "" : " (state: " + was + ")")});
  } else {
    rows.push_back({name, text(value), "state"});
  }
}

}  // namespace

void attach_evaluation_data(dln::Model& model, const DataSpec& d) {
  if (!d.test_file.empty()) {
    Observations test = read_observations(d.test_file, d.index_base);
    model.set_test_observations(test.rows, test.cols, test.values);
  }
  if (!d.truth_file.empty()) {
    DenseMatrix truth = read_dense(d.truth_file);
    auto w = model.widths();
    if (truth.rows != w.back() || truth.cols != w.front())
      throw std::invalid_argument("--truth " + d.truth_file + " is " + std::to_string(truth.rows) + "x" +
                                  std::to_string(truth.cols) + "; the state is " + std::to_string(w.back()) +
                                  "x" + std::to_string(w.front()));
    model.set_ground_truth(truth.values);
  }
}

StartState load_start(const Experiment& e, const GivenFlags& flags, const std::string& command) {
  StartState s;
  if (e.from.empty()) {
    Problem p = load_problem(e.data);
    s.description = "problem: " + p.description;
    s.model = build_start(p, e.model);
    s.train = e.train;
    return s;
  }
  s.from_state = true;
  for (const char* table : {"data", "synthetic", "model"})
    if (e.config_tables.count(table))
      throw std::invalid_argument("--config " + e.config + ": [" + table + "] does not apply with a start state (" +
                                  "--from " + e.from + "), which carries its data and network");
  // The [train] keys of a --config file override the state as their flags do.
  GivenFlags given = flags;
  given.insert(e.config_train_flags.begin(), e.config_train_flags.end());
  s.model = dln::Model::load(e.from);
  attach_evaluation_data(s.model, e.data);
  const TrainSpec state = settings_of(s.model, TrainSpec{});
  TrainSpec t = state;
  auto& rows = s.settings;
  const TrainSpec& f = e.train;  // the parsed flags (defaults where not given)
  // --method sgd on a full-batch state needs a sampler: --sampler, else the default.
  const bool trials = command == "probability" || command == "ensemble";
  const bool grid = command == "sweep" || command == "ensemble";
  // A grid list replaces the single value: say so instead of showing it.
  auto from_grid = [&](const char* name, const char* list) {
    if (!grid || !given.count(list)) return false;
    rows.push_back({name, "the grid", list});
    return true;
  };
  if (command != "compare") overlay(rows, given, "method", "--method", t.method, f.method);
  if (t.method == "sgd" && state.method == "gd" && !given.count("--sampler")) t.sampler = TrainSpec{}.sampler;
  if (t.method == "sgd") overlay(rows, given, "sampler", "--sampler", t.sampler, f.sampler);
  if (t.method == "sgd" && !from_grid("batch", "--batches")) overlay(rows, given, "batch", "--batch", t.batch, f.batch);
  if (!from_grid("eta", "--etas")) overlay(rows, given, "eta", "--eta", t.eta, f.eta);
  if (!from_grid("lambda", "--lambdas")) overlay(rows, given, "lambda", "--lambda", t.lambda, f.lambda);
  // A rate given on the command line is constant from now on; one not given
  // keeps the state's schedule.
  t.keep_eta_schedule = !given.count("--eta") && !given.count("--phase1-steps");
  t.keep_lambda_schedule = !given.count("--lambda") && !given.count("--phase1-steps");
  if (given.count("--phase1-steps")) {
    t.phase1_steps = f.phase1_steps, t.phase1_eta = f.phase1_eta, t.phase1_lambda = f.phase1_lambda;
    rows.push_back({"phase 1", std::to_string(t.phase1_steps) + " steps at eta=" + format_shortest(t.phase1_eta) +
                                   " lambda=" + format_shortest(t.phase1_lambda),
                    "--phase1-steps/-eta/-lambda"});
  }
  if (command == "sweep" || trials) rows.push_back({"seed", "per run", command == "sweep" ? "--seeds" : "--first-seed + k"});
  else overlay(rows, given, "seed", "--seed", t.seed, f.seed);
  // --threads of run is the handle's; elsewhere it counts worker threads.
  if (command == "run") overlay(rows, given, "threads", "--threads", t.threads, f.threads);
  overlay(rows, given, "check interval", "--jump-interval", t.jump_interval, f.jump_interval);
  overlay(rows, given, "rank rtol", "--rtol", t.rank_rtol, f.rank_rtol);
  t.steps = f.steps, t.record_every = f.record_every, t.top_k = f.top_k, t.watch_r = f.watch_r;
  if (!trials) rows.push_back({"steps", std::to_string(t.steps), given.count("--steps") ? "--steps" : "default"});
  s.train = t;
  const std::int64_t step = s.model.step_count();
  s.description = "start: state " + e.from + " at step " + std::to_string(step) + " (widths " +
                  widths_text(s.model) + "; eta_t=" +
                  format_shortest(s.model.schedule_value(DLN_PARAM_LEARNING_RATE, step)) +
                  ", lambda_t=" + format_shortest(s.model.schedule_value(DLN_PARAM_RIDGE, step)) +
                  "); weights, data, options and step counter from the state";
  return s;
}

void print_start(std::ostream& out, const StartState& s) {
  out << s.description << "\n";
  if (!s.from_state) return;
  for (const auto& row : s.settings)
    out << "  " << std::left << std::setw(15) << row.name << std::setw(22) << row.value << std::right << row.source
        << "\n";
  if (s.train.keep_eta_schedule || s.train.keep_lambda_schedule)
    out << "  (a rate taken from the state keeps its schedule; one given by a flag is constant)\n";
}

}  // namespace dlncli
