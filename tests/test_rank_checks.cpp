// math §6: the rank-change checks of dln_step decide exactly as the direct
// queries, never change the trajectory, and survive a checkpoint. These are
// the claims any cheaper implementation of the check (issue 12 item 5) must
// keep.
#include <algorithm>
#include <array>
#include <vector>

#include "support.hpp"

namespace {

// The (step, kind, before, after) of each record.
std::vector<std::array<double, 4>> events_of(const dln_model *m) {
  const std::vector<double> r = changes_of(m);
  std::vector<std::array<double, 4>> e;
  for (size_t i = 0; i < r.size(); i += DLN_CHANGE_RECORD_SIZE)
    e.push_back({r[i + DLN_CHANGE_STEP], r[i + DLN_CHANGE_KIND], r[i + DLN_CHANGE_BEFORE], r[i + DLN_CHANGE_AFTER]});
  return e;
}

ModelPtr sgd_model(std::vector<int64_t> widths, uint64_t seed, double eta, double ridge) {
  ModelPtr m = make_problem_model(widths, 60, seed, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, ridge));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, eta));
  return m;
}

}  // namespace

TEST_CASE("every check decides the absorbed and numerical ranks the direct queries report") {
  size_t events = 0;  // the runs must record changes, or the comparison is empty
  for (const std::vector<int64_t> &widths :
       {std::vector<int64_t>{6, 5, 5, 5, 7}, std::vector<int64_t>{5, 8, 3, 6}, std::vector<int64_t>{7, 4, 6, 4, 5, 6}}) {
    for (uint64_t seed = 1; seed <= 4; ++seed) {
      ModelPtr m = sgd_model(widths, seed, 0.05, 0.02);
      const int64_t interval = 5;
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, double(interval)));
      double rtol = 0.0, atol = 0.0;
      REQUIRE_OK(dln_get_param(m.get(), DLN_PARAM_JUMP_RTOL, &rtol));
      REQUIRE_OK(dln_get_param(m.get(), DLN_PARAM_RANK_ATOL, &atol));
      // The expected log, rebuilt from the queries at each check step.
      std::vector<std::array<double, 4>> expected;
      int64_t last_absorbed = -1, last_numerical = -1;
      for (int64_t t = 1; t <= 60; ++t) {
        REQUIRE_OK(dln_step(m.get(), interval));
        int64_t absorbed = 0;
        double numerical = 0.0;
        REQUIRE_OK(dln_query_absorbed_rank(m.get(), &absorbed));
        REQUIRE_OK(dln_rank(m.get(), 0, DLN_RANK_NUMERICAL, atol, rtol, &numerical));
        const double step = double(t * interval);
        if (last_absorbed >= 0 && absorbed != last_absorbed)
          expected.push_back({step, double(DLN_JUMP_ABSORBED), double(last_absorbed), double(absorbed)});
        if (last_numerical >= 0 && int64_t(numerical) != last_numerical)
          expected.push_back({step, double(DLN_JUMP_NUMERICAL), double(last_numerical), numerical});
        last_absorbed = absorbed;
        last_numerical = int64_t(numerical);
      }
      INFO("depth ", widths.size() - 1, " seed ", seed);
      CHECK(events_of(m.get()) == expected);
      events += expected.size();
    }
  }
  CHECK(events > 0);
}

TEST_CASE("rank checks never change the trajectory, bit for bit") {
  ModelPtr checked = sgd_model({6, 5, 5, 5, 7}, 3, 0.05, 0.02);
  ModelPtr plain = clone_of(checked.get());
  REQUIRE_OK(dln_set_param(checked.get(), DLN_PARAM_JUMP_INTERVAL, 1));
  REQUIRE_OK(dln_step(checked.get(), 400));
  REQUIRE_OK(dln_step(plain.get(), 400));
  CHECK(all_weights(checked.get()) == all_weights(plain.get()));
}

TEST_CASE("a checkpoint in the middle of a checked run resumes to the same rank-change log") {
  ModelPtr m = sgd_model({6, 5, 5, 5, 7}, 2, 0.05, 0.02);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 7));
  REQUIRE_OK(dln_step(m.get(), 150));
  int64_t size = 0;
  dln_save_buffer(m.get(), nullptr, 0, &size);  // the size query
  std::vector<unsigned char> buffer(static_cast<size_t>(size));
  REQUIRE_OK(dln_save_buffer(m.get(), buffer.data(), size, &size));
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_load_buffer(buffer.data(), size, &raw));
  ModelPtr resumed(raw);
  REQUIRE_OK(dln_step(m.get(), 250));
  REQUIRE_OK(dln_step(resumed.get(), 250));
  CHECK(changes_of(resumed.get()) == changes_of(m.get()));
  CHECK(all_weights(resumed.get()) == all_weights(m.get()));
}

TEST_CASE("a clone's checks decide as the original's") {
  ModelPtr m = sgd_model({5, 8, 3, 6}, 4, 0.05, 0.02);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 3));
  REQUIRE_OK(dln_step(m.get(), 90));
  ModelPtr c = clone_of(m.get());
  REQUIRE_OK(dln_step(m.get(), 300));
  REQUIRE_OK(dln_step(c.get(), 300));
  CHECK(changes_of(c.get()) == changes_of(m.get()));
}
