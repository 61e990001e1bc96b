#include "support.hpp"

#include <random>

Problem random_problem(int64_t n, int64_t m, int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Problem p;
  for (int64_t k = 0; k < count; ++k) {
    p.rows.push_back(int64_t(rng() % uint64_t(n)));
    p.cols.push_back(int64_t(rng() % uint64_t(m)));
    p.values.push_back(normal(rng));
  }
  return p;
}

ModelPtr make_problem_model(std::vector<int64_t> widths, int64_t count, uint64_t seed, double init_scale) {
  ModelPtr model = make_model(widths, seed);
  Problem p = random_problem(widths.back(), widths.front(), count, seed + 1000);
  REQUIRE_OK(dln_set_observations(model.get(), count, p.rows.data(), p.cols.data(), p.values.data()));
  REQUIRE_OK(dln_init_weights(model.get(), DLN_INIT_END_TO_END, 1, &init_scale));
  return model;
}
