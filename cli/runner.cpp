#include "runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace dlncli {

std::vector<std::int64_t> network_widths(const Problem& p, const ModelSpec& m) {
  validate(m);
  std::vector<std::int64_t> w{p.cols};
  for (std::int64_t l = 1; l < m.depth; ++l)
    w.push_back(m.hidden.empty() ? m.width : m.hidden[static_cast<std::size_t>(l - 1)]);
  w.push_back(p.rows);
  return w;
}

dln::Model build_start(const Problem& p, const ModelSpec& m) {
  auto widths = network_widths(p, m);
  dln::Model model(m.depth, widths, m.init_seed);
  model.set_observations(p.train.rows, p.train.cols, p.train.values);
  if (p.test.size() > 0) model.set_test_observations(p.test.rows, p.test.cols, p.test.values);
  if (!p.truth.empty()) model.set_ground_truth(p.truth);
  std::vector<double> scale{m.scale()};
  if (m.init == "gaussian") model.init_weights(DLN_INIT_GAUSSIAN, scale);
  else if (m.init == "end_to_end") model.init_weights(DLN_INIT_END_TO_END, scale);
  else if (m.init == "orthogonal") model.init_weights(DLN_INIT_ORTHOGONAL, scale);
  else if (m.init == "identity") model.init_weights(DLN_INIT_IDENTITY, scale);
  else {  // balanced_data: a rank-overestimating start fitted to the observations
    std::vector<double> a0(static_cast<std::size_t>(p.rows * p.cols), 0.0);
    double fraction = static_cast<double>(p.train.size()) / static_cast<double>(p.rows * p.cols);
    for (std::size_t k = 0; k < p.train.size(); ++k)
      a0[static_cast<std::size_t>(p.train.rows[k] * p.cols + p.train.cols[k])] +=
          m.scale() * p.train.values[k] / fraction;
    model.init_balanced(a0);
  }
  return model;
}

void configure(dln::Model& model, const TrainSpec& t) {
  validate(t);
  model.set_seed(t.seed);
  if (!t.keep_step) {
    model.set_step_count(0);
    model.clear_jumps();
  }
  const int sampler = t.method == "gd"                        ? DLN_SAMPLER_FULL_BATCH
                      : t.sampler == "without_replacement"    ? DLN_SAMPLER_WITHOUT_REPLACEMENT
                      : t.sampler == "subset"                 ? DLN_SAMPLER_SUBSET
                                                              : DLN_SAMPLER_WITH_REPLACEMENT;
  model.set_param(DLN_PARAM_SAMPLER, sampler);
  if (t.method != "gd") model.set_param(DLN_PARAM_BATCH_SIZE, static_cast<double>(t.batch));
  model.set_param(DLN_PARAM_THREADS, t.threads);
  model.set_param(DLN_PARAM_JUMP_INTERVAL, static_cast<double>(t.jump_interval));
  model.set_param(DLN_PARAM_JUMP_RTOL, t.rank_rtol);
  if (t.keep_eta_schedule && t.keep_lambda_schedule) return;  // a --from state's own rates
  // Rates go to zero first so that no intermediate pair violates 2ηλ < 1.
  if (!t.keep_lambda_schedule) {
    model.set_schedule(DLN_PARAM_RIDGE, DLN_SCHEDULE_CONSTANT);
    model.set_param(DLN_PARAM_RIDGE, 0.0);
  }
  if (!t.keep_eta_schedule) model.set_schedule(DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_CONSTANT);
  if (t.phase1_steps > 0) {
    // Phase 1 is the first phase1_steps steps of this run, wherever its step counter starts.
    const double end = static_cast<double>(model.step_count() + t.phase1_steps);
    model.set_param(DLN_PARAM_LEARNING_RATE, t.phase1_eta);
    model.set_param(DLN_PARAM_RIDGE, t.phase1_lambda);
    std::vector<double> eta_args{end, t.eta / t.phase1_eta};
    std::vector<double> lambda_args{end, t.lambda / t.phase1_lambda};
    model.set_schedule(DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, eta_args);
    model.set_schedule(DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, lambda_args);
  } else {
    if (!t.keep_eta_schedule) model.set_param(DLN_PARAM_LEARNING_RATE, t.eta);
    if (!t.keep_lambda_schedule) model.set_param(DLN_PARAM_RIDGE, t.lambda);
  }
}

Sample measure(const dln::Model& model, const TrainSpec& t) {
  Sample s;
  s.step = model.step_count();
  s.eta = model.schedule_value(DLN_PARAM_LEARNING_RATE, s.step);
  s.lambda = model.schedule_value(DLN_PARAM_RIDGE, s.step);
  auto loss = model.loss();
  s.data_cost = loss.data_cost;
  s.ridge_term = loss.ridge_term;
  try {
    s.test_error = model.test_error();
  } catch (const dln::Error& e) {
    if (e.status() != DLN_ERR_STATE) throw;  // no held-out data: NaN
  }
  s.norm2 = model.weight_norm2();
  s.balancedness = model.balancedness();
  s.sv = model.singular_values();
  if (static_cast<std::int64_t>(s.sv.size()) > t.top_k) s.sv.resize(static_cast<std::size_t>(t.top_k));
  s.numerical_rank = model.query_rank(t.rank_rtol);
  s.absorbed_rank = model.absorbed_rank();
  s.br_r = t.watch_r > 0 ? t.watch_r : std::max<std::int64_t>(1, s.absorbed_rank - 1);
  dln::BrReport br = model.Br_report(s.br_r);
  s.br_sigma = br.sigma, s.br_eps = br.eps;
  return s;
}

RunResult run_training(const dln::Model& start, const TrainSpec& t, const std::string& label,
                       const ProgressFn& progress) {
  auto t0 = std::chrono::steady_clock::now();
  dln::Model model = start.clone();
  configure(model, t);
  RunResult r;
  r.label = label;
  const std::int64_t first_step = model.step_count();
  const std::int64_t every = t.record_every > 0 ? t.record_every : std::max<std::int64_t>(1, t.steps / 100);
  // Automatic sampling adds steps 1, 2, 3, 5, 7, ... (ratio ~1.4) below the first interval.
  std::vector<std::int64_t> early;
  if (t.record_every == 0)
    for (double x = 1; x < static_cast<double>(std::min(every, t.steps)); x *= 1.4)
      if (early.empty() || static_cast<std::int64_t>(x) > early.back()) early.push_back(static_cast<std::int64_t>(x));
  std::size_t next_early = 0;
  r.series.push_back(measure(model, t));
  std::int64_t done = 0;
  while (done < t.steps) {
    // Samples at multiples of `every` from the run's start, the early ones before.
    std::int64_t chunk = std::min(every - done % every, t.steps - done);
    if (next_early < early.size()) chunk = early[next_early++] - done;
    // Do not step across the phase boundary inside one record interval unseen.
    if (t.phase1_steps > done && t.phase1_steps < done + chunk) chunk = t.phase1_steps - done;
    try {
      model.step(chunk);
    } catch (const dln::Error& e) {
      if (e.status() != DLN_ERR_DIVERGED) throw;
      r.diverged = true;
      r.message = e.detail();
      r.series.push_back(measure(model, t));
      break;
    }
    done += chunk;
    r.series.push_back(measure(model, t));
    if (progress) progress(done, t.steps);
  }
  for (const auto& j : model.jumps())
    if (j.step > first_step) r.jumps.push_back(j);
  r.final_state = std::make_shared<dln::Model>(std::move(model));
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace dlncli
