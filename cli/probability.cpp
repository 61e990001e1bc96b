#include "probability.hpp"

#include <cmath>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>

#include "parallel.hpp"
#include "progress.hpp"

namespace dlncli {

double normal_quantile_two_sided(double confidence) {
  if (!(confidence > 0 && confidence < 1))
    throw std::invalid_argument("--confidence " + std::to_string(confidence) + " must be in (0, 1)");
  double lo = 0, hi = 40;  // erfc(z/√2) = 1 - confidence is decreasing in z
  for (int i = 0; i < 200; ++i) {
    double mid = 0.5 * (lo + hi);
    (std::erfc(mid / std::sqrt(2.0)) > 1 - confidence ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

Interval wilson_interval(std::int64_t successes, std::int64_t trials, double confidence) {
  if (trials <= 0 || successes < 0 || successes > trials)
    throw std::invalid_argument("wilson_interval: need 0 <= successes <= trials, trials > 0");
  const double n = static_cast<double>(trials), p = static_cast<double>(successes) / n;
  const double z = normal_quantile_two_sided(confidence), z2 = z * z;
  const double denom = 1 + z2 / n;
  const double center = (p + z2 / (2 * n)) / denom;
  const double half = z / denom * std::sqrt(p * (1 - p) / n + z2 / (4 * n * n));
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

ProbabilityResult estimate_probability(const dln::Model& start, const ProbabilitySpec& spec) {
  const std::tuple<const char*, std::int64_t, std::int64_t> rules[] = {
      {"--trials", spec.trials, 1}, {"--horizon", spec.horizon, 0}, {"--check-every", spec.check_every, 1},
      {"--r", spec.r, 0}};
  for (const auto& [option, value, least] : rules)
    if (value < least)
      throw std::invalid_argument(std::string(option) + " " + std::to_string(value) + " must be >= " +
                                  std::to_string(least));
  if (spec.threads < 0)
    throw std::invalid_argument("--threads " + std::to_string(spec.threads) + " must be >= 0 (0: all cores)");
  ProbabilityResult res;
  res.trials = spec.trials;
  res.hit_steps.assign(static_cast<std::size_t>(spec.trials), -1);
  std::vector<int> inside_at_start(static_cast<std::size_t>(spec.trials), 0),
      diverged(static_cast<std::size_t>(spec.trials), 0);
  std::mutex clone_mutex;  // `start` is read by one thread at a time
  Progress bar("trials", spec.trials, stderr_is_terminal());
  parallel_for(static_cast<std::size_t>(spec.trials), spec.threads, [&](std::size_t k) {
    dln::Model m = [&] {
      std::lock_guard<std::mutex> lock(clone_mutex);
      return start.clone();
    }();
    m.set_seed(spec.first_seed + k);
    m.clear_jumps();
    if (m.in_Br(spec.r)) {
      inside_at_start[k] = 1;
      res.hit_steps[k] = 0;
    }
    for (std::int64_t done = 0; res.hit_steps[k] < 0 && done < spec.horizon;) {
      std::int64_t chunk = std::min(spec.check_every, spec.horizon - done);
      try {
        m.step(chunk);
      } catch (const dln::Error& e) {
        if (e.status() != DLN_ERR_DIVERGED) throw;
        diverged[k] = 1;
        break;
      }
      done += chunk;
      if (m.in_Br(spec.r)) res.hit_steps[k] = done;
    }
    bar.add(1);
  });
  bar.finish();
  for (std::size_t k = 0; k < res.hit_steps.size(); ++k) {
    res.hits += res.hit_steps[k] >= 0 ? 1 : 0;
    res.already_inside += inside_at_start[k];
    res.diverged += diverged[k];
  }
  res.interval = wilson_interval(res.hits, res.trials, spec.confidence);
  return res;
}

}  // namespace dlncli
