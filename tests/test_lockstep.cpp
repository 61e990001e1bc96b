// Lockstep ensembles (issue 16, docs/ensembles.md): members of one problem
// stepped together with the replica innermost take, lane by lane, the
// trajectory their ordinary handle takes with dln_step, bit for bit — also
// across groups of eight and four, the checks of the watch, the rank-change
// records, a subset sampler, and members that leave the group near overflow.
#include <cmath>
#include <string>
#include <vector>

#include "support.hpp"

namespace {

// Depth 4, hidden widths 8, a 10 × 9 target with 60 observations.
ModelPtr small_state(double learning_rate) {
  ModelPtr m = make_problem_model({9, 8, 8, 8, 10}, 60, 21, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, learning_rate));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
  return m;
}

std::vector<uint64_t> seeds_from(uint64_t first, size_t count) {
  std::vector<uint64_t> s;
  for (size_t i = 0; i < count; ++i) s.push_back(first + 7 * i);
  return s;
}

// Steps the ensemble of `seeds` from `state` and checks that every member
// holds, bit for bit, the weights of a fresh clone stepped alone as long.
void check_members_are_their_handles(const dln_model *state, const std::vector<uint64_t> &seeds, int64_t steps) {
  EnsemblePtr e = make_ensemble(state, seeds);
  REQUIRE_OK(dln_ensemble_step(e.get(), steps, 1));
  for (size_t i = 0; i < seeds.size(); ++i) {
    CAPTURE(i);
    ModelPtr h = fresh_clone(state, seeds[i]);
    REQUIRE_OK(dln_step(h.get(), steps));
    CHECK(all_weights(ensemble_member(e.get(), int64_t(i)).get()) == all_weights(h.get()));
  }
}

}  // namespace

TEST_CASE("lockstep members (groups of 8 and 4) are their handles stepped alone, bit for bit, with their watch") {
  for (const bool subset : {false, true}) {
    CAPTURE(subset);
    ModelPtr state = small_state(0.05);
    REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_JUMP_INTERVAL, 70));
    if (subset) {
      const int64_t pool[] = {0, 3, 5, 8, 13, 21, 34, 55};
      REQUIRE_OK(dln_set_sample_subset(state.get(), 8, pool));
      REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_SUBSET));
    }
    const std::vector<uint64_t> seeds = seeds_from(100, 12);
    EnsemblePtr e = make_ensemble(state.get(), seeds);
    const int64_t r = 3, every = 40;
    REQUIRE_OK(dln_ensemble_watch(e.get(), r, every));
    REQUIRE_OK(dln_ensemble_step(e.get(), 333, 2));  // split across calls, checks and records
    REQUIRE_OK(dln_ensemble_step(e.get(), 467, 1));
    const auto entry = ensemble_field(e.get(), DLN_MEMBER_ENTRY_STEP);
    const auto mse = ensemble_field(e.get(), DLN_MEMBER_TRAIN_MSE);
    for (size_t i = 0; i < seeds.size(); ++i) {
      CAPTURE(i);
      ModelPtr h = fresh_clone(state.get(), seeds[i]);
      int64_t first_inside = -1;
      for (int64_t t = 0; t <= 800; t += every) {
        int inside = 0;
        REQUIRE_OK(dln_in_Br(h.get(), r, -1.0, -1.0, -1.0, &inside));
        if (inside && first_inside < 0) first_inside = t;
        if (t < 800) REQUIRE_OK(dln_step(h.get(), every));
      }
      ModelPtr out = ensemble_member(e.get(), int64_t(i));
      CHECK(all_weights(out.get()) == all_weights(h.get()));
      CHECK(entry[i] == double(first_inside));
      double cost = 0.0, ridge = 0.0;
      REQUIRE_OK(dln_loss(h.get(), &cost, &ridge));
      CHECK(mse[i] == cost);
      int64_t changes_member = 0, changes_alone = 0;
      REQUIRE_OK(dln_rank_change_count(out.get(), &changes_member));
      REQUIRE_OK(dln_rank_change_count(h.get(), &changes_alone));
      CHECK(changes_member == changes_alone);
      int formulation = 0;
      REQUIRE_OK(dln_last_step_formulation(out.get(), &formulation));
      CHECK(formulation == DLN_FORMULATION_SMALL_WIDTH);
    }
  }
}

TEST_CASE("a lockstep member that nears overflow goes on alone and stops where its handle stops") {
  ModelPtr state = small_state(0.05);
  REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_LEARNING_RATE, 3.0));  // diverges within a few hundred steps
  REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_RIDGE, 0.0));
  const std::vector<uint64_t> seeds = seeds_from(5, 9);
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  const int status = dln_ensemble_step(e.get(), 400, 1);
  CHECK(status == DLN_ERR_DIVERGED);
  const auto stopped = ensemble_field(e.get(), DLN_MEMBER_STATUS);
  const auto step = ensemble_field(e.get(), DLN_MEMBER_STEP);
  for (size_t i = 0; i < seeds.size(); ++i) {
    CAPTURE(i);
    ModelPtr h = fresh_clone(state.get(), seeds[i]);
    const int expected = dln_step(h.get(), 400);
    CHECK(stopped[i] == double(expected));
    int64_t t = 0;
    REQUIRE_OK(dln_get_step_count(h.get(), &t));
    CHECK(step[i] == double(t));
    CHECK(all_weights(ensemble_member(e.get(), int64_t(i)).get()) == all_weights(h.get()));
  }
}

TEST_CASE("members whose step options differ are stepped one by one, with the same results") {
  ModelPtr state = small_state(0.05);
  const std::vector<uint64_t> seeds = seeds_from(1, 6);
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 2, DLN_PARAM_LEARNING_RATE, 0.02));
  REQUIRE_OK(dln_ensemble_step(e.get(), 300, 1));
  for (size_t i = 0; i < seeds.size(); ++i) {
    ModelPtr h = fresh_clone(state.get(), seeds[i]);
    if (i == 2) REQUIRE_OK(dln_set_param(h.get(), DLN_PARAM_LEARNING_RATE, 0.02));
    REQUIRE_OK(dln_step(h.get(), 300));
    CHECK(all_weights(ensemble_member(e.get(), int64_t(i)).get()) == all_weights(h.get()));
  }
}

TEST_CASE("lockstep lanes fold their decayed scale into the weights where their handles do, bit for bit") {
  ModelPtr state = small_state(0.05);
  REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_RIDGE, 0.3));  // decay 0.97 a step: s < 2^-30 every ~680 steps
  check_members_are_their_handles(state.get(), seeds_from(9, 5), 1500);  // one group of 8 lanes, 3 idle
}

TEST_CASE("lockstep members of uneven widths up to 32 are their handles stepped alone, bit for bit") {
  // Hidden widths 20, 13, 24: rows and columns that are not multiples of four
  // or eight, and a layer wider than the 16 columns kept in registers; 16,
  // 16, 7: full 16-column layers (every backward column block of both group
  // sizes) and a layer of an odd number of rows.
  const std::vector<std::vector<int64_t>> shapes = {{9, 20, 13, 24, 10}, {9, 16, 16, 7, 10}};
  for (const std::vector<int64_t> &widths : shapes) {
    CAPTURE(widths[1]);
    ModelPtr state = make_problem_model(widths, 70, 5, 1.0);
    REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_LEARNING_RATE, 0.02));
    REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_RIDGE, 0.01));
    REQUIRE_OK(dln_set_param(state.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
    for (const size_t count : {size_t(3), size_t(8)}) {  // groups of 4 and 8 lanes
      CAPTURE(count);
      check_members_are_their_handles(state.get(), seeds_from(40, count), 500);
    }
  }
}
