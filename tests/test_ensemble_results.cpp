// The results of dln_ensemble_results (docs/ensembles.md): the absorbed rank
// and the losses are read from each member's state at the end of the last
// dln_ensemble_step when first asked for, and a member whose loss cannot be
// represented still stops in the call that reaches that state.
#include <cmath>
#include <vector>

#include "support.hpp"

namespace {

// Depth 4, hidden widths 8 (stepped in lockstep), with held-out observations.
ModelPtr state_with_test_data() {
  ModelPtr m = make_problem_model({9, 8, 8, 8, 10}, 60, 31, 1.0);
  const Problem held_out = random_problem(10, 9, 20, 77);
  REQUIRE_OK(dln_set_test_observations(m.get(), 20, held_out.rows.data(), held_out.cols.data(),
                                       held_out.values.data()));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.05));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
  return m;
}

// Member i's rank and losses are those of its fresh clone stepped `steps`.
void check_results(const dln_ensemble *e, const dln_model *state, const std::vector<uint64_t> &seeds, int64_t steps) {
  const auto rank = ensemble_field(e, DLN_MEMBER_ABSORBED_RANK), train = ensemble_field(e, DLN_MEMBER_TRAIN_MSE),
             test = ensemble_field(e, DLN_MEMBER_TEST_MSE);
  for (size_t i = 0; i < seeds.size(); ++i) {
    CAPTURE(i);
    ModelPtr alone = fresh_clone(state, seeds[i]);
    REQUIRE_OK(dln_step(alone.get(), steps));
    int64_t r = 0;
    double cost = 0.0, ridge = 0.0, error = 0.0;
    REQUIRE_OK(dln_query_absorbed_rank(alone.get(), &r));
    REQUIRE_OK(dln_loss(alone.get(), &cost, &ridge));
    REQUIRE_OK(dln_test_error(alone.get(), &error));
    CHECK(rank[i] == double(r));
    CHECK(train[i] == cost);
    CHECK(test[i] == error);
  }
}

}  // namespace

TEST_CASE("rank and losses describe the state at the end of the last call, read or not in between") {
  ModelPtr state = state_with_test_data();
  const std::vector<uint64_t> seeds = {3, 4, 5, 6, 7};
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_step(e.get(), 120, 1));
  check_results(e.get(), state.get(), seeds, 120);
  for (int call = 0; call < 3; ++call) REQUIRE_OK(dln_ensemble_step(e.get(), 50, 1));  // not read in between
  check_results(e.get(), state.get(), seeds, 270);
  check_results(e.get(), state.get(), seeds, 270);  // read twice: the same
}

TEST_CASE("a member whose ridge term exceeds the largest double stops in the call, the others do not") {
  ModelPtr state = state_with_test_data();
  const int64_t widths[] = {9, 8, 8, 8, 10};
  for (int64_t l = 1; l <= 4; ++l) {  // every weight 1e4: ‖θ‖² ≈ 2.8e10, so λ = 1e300 takes λ‖θ‖² beyond 1.8e308
    const std::vector<double> w(size_t(widths[l] * widths[l - 1]), 1e4);
    REQUIRE_OK(dln_set_weights(state.get(), l, w.data()));
  }
  const std::vector<uint64_t> seeds = {1, 2, 3};
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_LEARNING_RATE, 1e-305));  // 2ηλ < 1
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_RIDGE, 1e300));
  CHECK(dln_ensemble_step(e.get(), 0, 1) == DLN_ERR_OUT_OF_RANGE);
  const auto status = ensemble_field(e.get(), DLN_MEMBER_STATUS), train = ensemble_field(e.get(), DLN_MEMBER_TRAIN_MSE);
  CHECK(status[0] == DLN_OK);
  CHECK(status[1] == DLN_ERR_OUT_OF_RANGE);
  CHECK(status[2] == DLN_OK);
  CHECK(std::isfinite(train[0]));
  CHECK(std::isfinite(train[2]));
}
