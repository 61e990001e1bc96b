// math §4: schedules are pure functions of t, and the step uses eta_t, lambda_t.
#include <cmath>
#include <numbers>

#include "support.hpp"

namespace {

double value_at(dln_model *m, int param, int64_t t) {
  double v = 0;
  REQUIRE_OK(dln_schedule_value(m, param, t, &v));
  return v;
}

}  // namespace

TEST_CASE("each schedule kind follows its formula") {
  ModelPtr m = make_model({3, 3, 3});
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.1));
  const double pi = std::numbers::pi;
  struct Case {
    int kind;
    std::vector<double> args;
    double (*f)(int64_t);
  };
  std::vector<Case> cases = {
      {DLN_SCHEDULE_CONSTANT, {}, [](int64_t) { return 1.0; }},
      {DLN_SCHEDULE_STEP_DECAY, {0.5, 10}, [](int64_t t) { return std::pow(0.5, double(t / 10)); }},
      {DLN_SCHEDULE_EXPONENTIAL, {0.99}, [](int64_t t) { return std::pow(0.99, double(t)); }},
      {DLN_SCHEDULE_COSINE, {0.1, 100},
       [](int64_t t) { return 0.1 + 0.9 * 0.5 * (1 + std::cos(std::numbers::pi * double(std::min<int64_t>(t, 100)) / 100)); }},
      {DLN_SCHEDULE_CYCLIC_TRIANGULAR, {0.2, 50},
       [](int64_t t) { return 0.2 + 0.8 * std::fabs(1 - 2 * double(t % 50) / 50); }},
      {DLN_SCHEDULE_CYCLIC_COSINE, {0.0, 40},
       [](int64_t t) { return 0.5 * (1 + std::cos(2 * std::numbers::pi * double(t % 40) / 40)); }},
      {DLN_SCHEDULE_PIECEWISE, {100, 0.1, 300, 0.01},
       [](int64_t t) { return t < 100 ? 1.0 : t < 300 ? 0.1 : 0.01; }},
  };
  (void)pi;
  for (const auto &c : cases) {
    CAPTURE(c.kind);
    REQUIRE_OK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, c.kind, int64_t(c.args.size()), c.args.data()));
    for (int64_t t : {0, 1, 9, 10, 25, 49, 50, 99, 100, 101, 299, 300, 1000, 123457})
      CHECK(value_at(m.get(), DLN_PARAM_LEARNING_RATE, t) == doctest::Approx(0.1 * c.f(t)).epsilon(1e-14));
  }
}

TEST_CASE("a piecewise ridge schedule steps exactly like changing the ridge by hand") {
  auto build = [] {
    ModelPtr m = make_problem_model({4, 5, 5, 4}, 30, 3, 1.0);
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.05));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.2));
    return m;
  };
  ModelPtr a = build(), b = build();
  // Large lambda for 50 steps, then a tenth of it (the paper's two phases).
  const double phases[] = {50, 0.1};
  REQUIRE_OK(dln_set_schedule(a.get(), DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, 2, phases));
  REQUIRE_OK(dln_step(a.get(), 120));
  REQUIRE_OK(dln_step(b.get(), 50));
  REQUIRE_OK(dln_set_param(b.get(), DLN_PARAM_RIDGE, 0.02));
  REQUIRE_OK(dln_step(b.get(), 70));
  CHECK(all_weights(a.get()) == all_weights(b.get()));
}

TEST_CASE("a schedule that would make 2 eta lambda >= 1 at some step is refused") {
  ModelPtr m = make_model({3, 3, 3});
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.5));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.5));  // 2·0.5·0.5 = 0.5
  const double grow[] = {10, 3.0};                            // lambda_t = 1.5 from t = 10
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, 2, grow) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_last_error(m.get())).find("2*eta*lambda") != std::string::npos);
  CHECK(value_at(m.get(), DLN_PARAM_RIDGE, 20) == 0.5);  // unchanged
  CHECK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 1.0) == DLN_ERR_INVALID_ARGUMENT);
}

TEST_CASE("malformed schedule arguments are refused by name") {
  ModelPtr m = make_model({3, 3, 3});
  const double bad_gamma[] = {1.5, 10};
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_STEP_DECAY, 2, bad_gamma) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_last_error(m.get())).find("gamma") != std::string::npos);
  const double not_increasing[] = {10, 0.5, 5, 0.1};
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, 4, not_increasing) == DLN_ERR_INVALID_ARGUMENT);
  const double period[] = {0.1, 2.5};
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_COSINE, 2, period) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, 99, 0, nullptr) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_BATCH_SIZE, DLN_SCHEDULE_CONSTANT, 0, nullptr) == DLN_ERR_UNKNOWN_PARAM);
  const double nan[] = {NAN};
  CHECK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_EXPONENTIAL, 1, nan) == DLN_ERR_NOT_FINITE);
}
