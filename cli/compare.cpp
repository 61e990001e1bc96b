#include "compare.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "parallel.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace dlncli {

void validate(const CompareSpec& c) {
  const std::pair<const char*, double> values[] = {{"--gd-eta", c.gd_eta},
                                                   {"--two-phase-steps", double(c.phase1_steps)},
                                                   {"--two-phase-eta", c.phase1_eta},
                                                   {"--two-phase-lambda", c.phase1_lambda},
                                                   {"--phase2-eta", c.phase2_eta}};
  for (const auto& [option, value] : values)
    if (!(std::isfinite(value) && value >= 0)) {
      std::ostringstream os;
      os << option << " " << value << " must be finite and >= 0 (0 chooses the default)";
      throw std::invalid_argument(os.str());
    }
}

std::vector<Method> compare_methods(const TrainSpec& base, const CompareSpec& c) {
  validate(c);
  std::vector<Method> out;
  TrainSpec gd = base;
  gd.method = "gd";
  gd.eta = c.gd_eta > 0 ? c.gd_eta : base.eta;
  gd.keep_eta_schedule = base.keep_eta_schedule && !(c.gd_eta > 0);
  gd.phase1_steps = 0;
  out.push_back({"GD full batch eta=" + format_g(gd.eta, 3) + " lambda=" + format_g(gd.lambda, 3), gd});

  TrainSpec sgd = base;
  sgd.method = "sgd";
  sgd.phase1_steps = 0;
  out.push_back({"SGD b=" + std::to_string(sgd.batch) + " eta=" + format_g(sgd.eta, 3) + " lambda=" +
                     format_g(sgd.lambda, 3),
                 sgd});

  TrainSpec two = sgd;
  two.phase1_steps = c.phase1_steps > 0 ? c.phase1_steps : base.steps / 3;
  two.phase1_eta = c.phase1_eta > 0 ? c.phase1_eta : base.eta;
  two.phase1_lambda = c.phase1_lambda > 0 ? c.phase1_lambda : 3 * base.lambda;
  two.eta = c.phase2_eta > 0 ? c.phase2_eta : base.eta / 3;
  two.keep_eta_schedule = two.keep_lambda_schedule = false;
  std::ostringstream label;
  label << "SGD two-phase: eta=" << format_g(two.phase1_eta, 3) << " lambda="
        << format_g(two.phase1_lambda, 3) << " for " << two.phase1_steps << " steps, then eta="
        << format_g(two.eta, 3) << " lambda=" << format_g(two.lambda, 3);
  out.push_back({label.str(), two});
  for (auto seed : c.extra_seeds) {
    TrainSpec t = sgd;
    t.seed = seed;
    out.push_back({"SGD seed " + std::to_string(seed), t});
  }
  return out;
}

std::vector<RunResult> run_methods(const dln::Model& start, const std::vector<Method>& methods,
                                   int threads, bool progress_bar) {
  std::int64_t total = 0;
  for (const auto& m : methods) total += m.train.steps;
  Progress bar("training", total, progress_bar);
  std::vector<RunResult> results(methods.size());
  // Clones are made here, one thread at a time: a handle is never shared.
  std::vector<dln::Model> starts;
  for (std::size_t i = 0; i < methods.size(); ++i) starts.push_back(start.clone());
  parallel_for(methods.size(), threads, [&](std::size_t i) {
    std::int64_t last = 0;
    results[i] = run_training(starts[i], methods[i].train, methods[i].label,
                              [&](std::int64_t done, std::int64_t) {
                                bar.add(done - last);
                                last = done;
                              });
  });
  bar.finish();
  return results;
}

}  // namespace dlncli
