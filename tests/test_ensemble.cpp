// Ensembles (docs/ensembles.md): fresh clones of one state stepped side by
// side, each watched for its first entry into B_r (math §6).
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "support.hpp"

namespace {

// Weight decay on a fully observed rank-1 target kills the random modes:
// from an end-to-end start of scale 1 the absorbed rank stays at 6 for a
// while, then falls to 1 (the fit) within the first few thousand steps, and
// never to 0. `history` steps are run first, with the rank-change log and the
// trace on: the saved state has a history that members must not inherit.
ModelPtr decaying_state(int64_t history = 300, uint64_t seed = 3) {
  const double scale = 1.0;
  ModelPtr m = make_model({6, 6, 6, 6, 6}, seed);
  std::mt19937_64 rng(4);
  std::normal_distribution<double> normal;
  std::vector<double> u(6), v(6);
  double nu = 0, nv = 0;
  for (double &x : u) x = normal(rng), nu += x * x;
  for (double &x : v) x = normal(rng), nv += x * x;
  const double sigma = 3.0 / std::sqrt(nu * nv);  // the target's singular value is 3
  for (double &x : u) x *= sigma;
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 6; ++j) rows.push_back(i), cols.push_back(j), values.push_back(u[size_t(i)] * v[size_t(j)]);
  REQUIRE_OK(dln_set_observations(m.get(), 36, rows.data(), cols.data(), values.data()));
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &scale));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.1));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 50));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_TRACE_INTERVAL, 100));
  REQUIRE_OK(dln_step(m.get(), history));
  return m;
}


// The watch done by hand on an ordinary handle: check at t = 0, k, 2k, … <= horizon.
struct HandWatch {
  int64_t entry = -1, exits = 0;
  bool inside = false;
};
HandWatch watch_by_hand(dln_model *m, int64_t r, int64_t k, int64_t horizon) {
  HandWatch w;
  for (int64_t t = 0;; t += k) {
    int inside = 0;
    REQUIRE_OK(dln_in_Br(m, r, -1, -1, -1, &inside));
    if (inside && w.entry < 0) w.entry = t;
    if (!inside && w.inside) ++w.exits;
    w.inside = inside != 0;
    if (t + k > horizon) break;
    REQUIRE_OK(dln_step(m, k));
  }
  int64_t step = 0;
  REQUIRE_OK(dln_get_step_count(m, &step));
  if (step < horizon) REQUIRE_OK(dln_step(m, horizon - step));
  return w;
}

// Member i's watch record (entry, exits, inside) equals that of the fresh
// clone with its seed stepped and checked by hand; returns that clone.
ModelPtr check_against_hand(const dln_ensemble *e, const dln_model *state, size_t i, uint64_t seed, int64_t r,
                            int64_t k, int64_t horizon, HandWatch &w) {
  ModelPtr alone = fresh_clone(state, seed);
  w = watch_by_hand(alone.get(), r, k, horizon);
  CAPTURE(i);
  CHECK(ensemble_field(e, DLN_MEMBER_ENTRY_STEP)[i] == double(w.entry));
  CHECK(ensemble_field(e, DLN_MEMBER_EXITS)[i] == double(w.exits));
  CHECK(ensemble_field(e, DLN_MEMBER_INSIDE)[i] == (w.inside ? 1.0 : 0.0));
  return alone;
}

int64_t count_of(const dln_model *m, int (*counter)(const dln_model *, int64_t *)) {
  int64_t n = -1;
  REQUIRE_OK(counter(m, &n));
  return n;
}

}  // namespace

TEST_CASE("dln_clone_ex makes fresh exactly the parts its flags name") {
  ModelPtr state = decaying_state(2500);
  REQUIRE(count_of(state.get(), dln_trace_count) == 25);
  REQUIRE(count_of(state.get(), dln_rank_change_count) >= 1);
  uint64_t seed = 0;
  int64_t step = 0;
  dln_model *raw = nullptr;

  REQUIRE_OK(dln_clone_ex(state.get(), 0, 99, &raw));  // flags 0: dln_clone
  ModelPtr plain(raw);
  REQUIRE_OK(dln_get_seed(plain.get(), &seed));
  REQUIRE_OK(dln_get_step_count(plain.get(), &step));
  CHECK(seed == 3);
  CHECK(step == 2500);
  CHECK(count_of(plain.get(), dln_trace_count) == 25);

  REQUIRE_OK(dln_clone_ex(state.get(), DLN_CLONE_NEW_SEED, 99, &raw));
  ModelPtr seeded(raw);
  REQUIRE_OK(dln_get_seed(seeded.get(), &seed));
  REQUIRE_OK(dln_get_step_count(seeded.get(), &step));
  CHECK(seed == 99);
  CHECK(step == 2500);

  REQUIRE_OK(dln_clone_ex(state.get(), DLN_CLONE_RESET_STEP | DLN_CLONE_EMPTY_LOGS, 99, &raw));
  ModelPtr reset(raw);
  REQUIRE_OK(dln_get_seed(reset.get(), &seed));
  REQUIRE_OK(dln_get_step_count(reset.get(), &step));
  CHECK(seed == 3);
  CHECK(step == 0);
  CHECK(count_of(reset.get(), dln_trace_count) == 0);
  CHECK(count_of(reset.get(), dln_rank_change_count) == 0);
  CHECK(all_weights(reset.get()) == all_weights(state.get()));
  double v = 0;
  REQUIRE_OK(dln_get_param(reset.get(), DLN_PARAM_JUMP_INTERVAL, &v));
  CHECK(v == 50);  // options are copied
  // The last ranks are forgotten too: the first check after the clone records
  // nothing, as after dln_clear_jumps.
  REQUIRE_OK(dln_step(reset.get(), 50));
  CHECK(count_of(reset.get(), dln_rank_change_count) == 0);

  // DLN_CLONE_FRESH with seed s is dln_clone, dln_set_seed(s), step 0, both logs cleared.
  ModelPtr fresh = fresh_clone(state.get(), 17);
  REQUIRE_OK(dln_clone(state.get(), &raw));
  ModelPtr by_hand(raw);
  REQUIRE_OK(dln_set_seed(by_hand.get(), 17));
  REQUIRE_OK(dln_set_step_count(by_hand.get(), 0));
  REQUIRE_OK(dln_clear_jumps(by_hand.get()));
  REQUIRE_OK(dln_clear_trace(by_hand.get()));
  REQUIRE_OK(dln_step(fresh.get(), 500));
  REQUIRE_OK(dln_step(by_hand.get(), 500));
  CHECK(all_weights(fresh.get()) == all_weights(by_hand.get()));

  raw = reinterpret_cast<dln_model *>(uintptr_t(0x5));
  CHECK(dln_clone_ex(state.get(), 8, 1, &raw) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_last_error(state.get())) == "dln_clone_ex: flags=8 has bits outside DLN_CLONE_FRESH=7");
  CHECK(raw == reinterpret_cast<dln_model *>(uintptr_t(0x5)));
  CHECK(dln_clone_ex(nullptr, 0, 1, &raw) == DLN_ERR_NULL_POINTER);
  CHECK(dln_clone_ex(state.get(), 0, 1, nullptr) == DLN_ERR_NULL_POINTER);
}

TEST_CASE("each member is a fresh clone with its seed, stepped alone, bit for bit") {
  ModelPtr state = decaying_state();
  const std::vector<uint64_t> seeds = {11, 12, 13};
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_watch(e.get(), 1, 10));
  REQUIRE_OK(dln_ensemble_step(e.get(), 333, 2));  // split unevenly across calls and checks
  REQUIRE_OK(dln_ensemble_step(e.get(), 667, 2));
  for (size_t i = 0; i < seeds.size(); ++i) {
    ModelPtr alone = fresh_clone(state.get(), seeds[i]);
    REQUIRE_OK(dln_step(alone.get(), 1000));
    ModelPtr out = ensemble_member(e.get(), int64_t(i));
    CHECK(all_weights(out.get()) == all_weights(alone.get()));
    uint64_t seed = 0;
    int64_t step = 0;
    REQUIRE_OK(dln_get_seed(out.get(), &seed));
    REQUIRE_OK(dln_get_step_count(out.get(), &step));
    CHECK(seed == seeds[i]);
    CHECK(step == 1000);
    // Its own logs from step 0: the state's jump interval applies, its history does not.
    CHECK(count_of(out.get(), dln_trace_count) == 10);
    CHECK(count_of(out.get(), dln_rank_change_count) == count_of(alone.get(), dln_rank_change_count));
  }
  // The state itself is only read.
  int64_t step = 0;
  REQUIRE_OK(dln_get_step_count(state.get(), &step));
  CHECK(step == 300);
}

TEST_CASE("results are identical for 1, 2 and 3 threads") {
  ModelPtr state = decaying_state();
  const std::vector<uint64_t> seeds = {1, 2, 3, 4, 5};
  std::vector<std::vector<double>> reference;
  std::vector<std::vector<std::vector<double>>> reference_weights;
  for (int64_t threads : {1, 2, 3}) {
    EnsemblePtr e = make_ensemble(state.get(), seeds);
    REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_BATCH_SIZE, 3));
    REQUIRE_OK(dln_ensemble_watch(e.get(), 1, 20));
    REQUIRE_OK(dln_ensemble_step(e.get(), 1500, threads));
    std::vector<std::vector<double>> results;
    for (int f = 0; f < DLN_MEMBER_RECORD_SIZE; ++f) results.push_back(ensemble_field(e.get(), f));
    std::vector<std::vector<std::vector<double>>> weights;
    for (size_t i = 0; i < seeds.size(); ++i) weights.push_back(all_weights(ensemble_member(e.get(), int64_t(i)).get()));
    if (threads == 1) {
      reference = results;
      reference_weights = weights;
      continue;
    }
    CAPTURE(threads);
    for (int f = 0; f < DLN_MEMBER_RECORD_SIZE; ++f)
      for (size_t i = 0; i < seeds.size(); ++i) {
        const double a = results[size_t(f)][i], b = reference[size_t(f)][i];
        CHECK(((a == b) || (std::isnan(a) && std::isnan(b))));
      }
    CHECK(weights == reference_weights);
  }
}

TEST_CASE("entry steps are multiples of check_every and those a hand-stepped clone finds with dln_in_Br") {
  ModelPtr state = decaying_state();
  const std::vector<uint64_t> seeds = {21, 22, 23, 24, 25, 26};
  const int64_t k = 10, horizon = 2000;
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_watch(e.get(), 1, k));
  REQUIRE_OK(dln_ensemble_step(e.get(), horizon, 2));
  const auto entry = ensemble_field(e.get(), DLN_MEMBER_ENTRY_STEP), censored = ensemble_field(e.get(), DLN_MEMBER_CENSORED),
             time = ensemble_field(e.get(), DLN_MEMBER_TIME), rank = ensemble_field(e.get(), DLN_MEMBER_ABSORBED_RANK),
             mse = ensemble_field(e.get(), DLN_MEMBER_TRAIN_MSE), test = ensemble_field(e.get(), DLN_MEMBER_TEST_MSE);
  int entered = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    CAPTURE(i);
    HandWatch w;
    ModelPtr alone = check_against_hand(e.get(), state.get(), i, seeds[i], 1, k, horizon, w);
    CHECK(censored[i] == (w.entry < 0 ? 1.0 : 0.0));
    CHECK(time[i] == double(w.entry < 0 ? horizon : w.entry));
    if (w.entry >= 0) CHECK(int64_t(entry[i]) % k == 0);
    entered += w.entry > 0;  // entered after the start, not at it
    int64_t r = 0;
    double cost = 0, ridge = 0;
    REQUIRE_OK(dln_query_absorbed_rank(alone.get(), &r));
    REQUIRE_OK(dln_loss(alone.get(), &cost, &ridge));
    CHECK(rank[i] == double(r));
    CHECK(mse[i] == cost);
    CHECK(std::isnan(test[i]));  // no test data
  }
  MESSAGE("entry steps into B_1: ", entry[0], " ", entry[1], " ", entry[2], " ", entry[3], " ", entry[4], " ",
          entry[5]);
  CHECK(entered >= 1);
}

TEST_CASE("a member that never enters is censored at the horizon") {
  // B_0 asks every σ_1(M_k) <= ε: a network fitting a rank-1 target is not in it.
  ModelPtr state = decaying_state();
  EnsemblePtr e = make_ensemble(state.get(), {5, 6});
  REQUIRE_OK(dln_ensemble_watch(e.get(), 0, 25));
  REQUIRE_OK(dln_ensemble_step(e.get(), 400, 1));
  REQUIRE_OK(dln_ensemble_step(e.get(), 110, 1));  // a horizon between two checks
  for (double c : ensemble_field(e.get(), DLN_MEMBER_CENSORED)) CHECK(c == 1.0);
  for (double t : ensemble_field(e.get(), DLN_MEMBER_ENTRY_STEP)) CHECK(t == -1.0);
  for (double t : ensemble_field(e.get(), DLN_MEMBER_TIME)) CHECK(t == 510.0);
  for (double t : ensemble_field(e.get(), DLN_MEMBER_STEP)) CHECK(t == 510.0);
  for (double x : ensemble_field(e.get(), DLN_MEMBER_EXITS)) CHECK(x == 0.0);
}

TEST_CASE("exits after an entry are counted, as a hand-stepped clone counts them") {
  // B_r is the set for the ridge in force (math §6): when a schedule turns the
  // ridge off at t = 2400, ε becomes 0, and a state that had entered B_1 is
  // outside it again (its σ_2(M_k) are small, not 0).
  ModelPtr state = decaying_state();
  const double phases[2] = {2400, 0.0};
  REQUIRE_OK(dln_set_schedule(state.get(), DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, 2, phases));
  const std::vector<uint64_t> seeds = {31, 32, 33};
  const int64_t k = 20, horizon = 3000;
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_watch(e.get(), 1, k));
  REQUIRE_OK(dln_ensemble_step(e.get(), horizon, 3));
  const auto entry = ensemble_field(e.get(), DLN_MEMBER_ENTRY_STEP), exits = ensemble_field(e.get(), DLN_MEMBER_EXITS),
             inside = ensemble_field(e.get(), DLN_MEMBER_INSIDE);
  int exited = 0;
  for (size_t i = 0; i < seeds.size(); ++i) {
    CAPTURE(i);
    HandWatch w;
    check_against_hand(e.get(), state.get(), i, seeds[i], 1, k, horizon, w);
    if (entry[i] >= 0 && entry[i] < 2400) {
      CHECK(exits[i] == 1.0);
      CHECK(inside[i] == 0.0);
    }
    exited += exits[i] > 0;
  }
  CHECK(exited >= 1);
}

TEST_CASE("options can be set per member or for all, all or none") {
  ModelPtr state = decaying_state();
  EnsemblePtr e = make_ensemble(state.get(), {1, 2, 3});
  REQUIRE_OK(dln_ensemble_set_param(e.get(), DLN_ENSEMBLE_ALL, DLN_PARAM_LEARNING_RATE, 0.05));
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 2, DLN_PARAM_LEARNING_RATE, 0.2));
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_RIDGE, 0.5));
  double v = 0;
  REQUIRE_OK(dln_ensemble_get_param(e.get(), 0, DLN_PARAM_LEARNING_RATE, &v));
  CHECK(v == 0.05);
  REQUIRE_OK(dln_ensemble_get_param(e.get(), 2, DLN_PARAM_LEARNING_RATE, &v));
  CHECK(v == 0.2);
  // eta = 1.5 is fine where lambda = 0.05 (2·1.5·0.05 < 1) but not for member 1
  // (2·1.5·0.5 >= 1): nobody changes.
  CHECK(dln_ensemble_set_param(e.get(), DLN_ENSEMBLE_ALL, DLN_PARAM_LEARNING_RATE, 1.5) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_ensemble_last_error(e.get())).rfind("dln_ensemble_set_param: member 1: dln_set_param: ", 0) == 0);
  for (int64_t i : {0, 1}) {
    REQUIRE_OK(dln_ensemble_get_param(e.get(), i, DLN_PARAM_LEARNING_RATE, &v));
    CHECK(v == 0.05);
  }
  REQUIRE_OK(dln_ensemble_get_param(e.get(), 2, DLN_PARAM_LEARNING_RATE, &v));
  CHECK(v == 0.2);
  CHECK(dln_ensemble_set_param(e.get(), 3, DLN_PARAM_RIDGE, 0.1) == DLN_ERR_OUT_OF_RANGE);
  CHECK(std::string(dln_ensemble_last_error(e.get())) == "dln_ensemble_set_param: member=3 is outside [0, 3)");
  CHECK(dln_ensemble_set_param(e.get(), -2, DLN_PARAM_RIDGE, 0.1) == DLN_ERR_OUT_OF_RANGE);
  CHECK(dln_ensemble_get_param(e.get(), 0, 999, &v) == DLN_ERR_UNKNOWN_PARAM);
  // A member with its own options is still the fresh clone with those options.
  REQUIRE_OK(dln_ensemble_step(e.get(), 200, 2));
  ModelPtr alone = fresh_clone(state.get(), 3);
  REQUIRE_OK(dln_set_param(alone.get(), DLN_PARAM_LEARNING_RATE, 0.2));
  REQUIRE_OK(dln_step(alone.get(), 200));
  CHECK(all_weights(ensemble_member(e.get(), 2).get()) == all_weights(alone.get()));
}

TEST_CASE("bad input leaves the ensemble unchanged and names the argument") {
  ModelPtr state = decaying_state();
  const uint64_t seeds[] = {1, 2};
  dln_ensemble *raw = reinterpret_cast<dln_ensemble *>(uintptr_t(0x9));
  CHECK(dln_ensemble_create(state.get(), 0, seeds, &raw) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_last_error(state.get())) == "dln_ensemble_create: members=0 must be in [1, 1048576]");
  CHECK(dln_ensemble_create(state.get(), 2, nullptr, &raw) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_create(nullptr, 2, seeds, &raw) == DLN_ERR_NULL_POINTER);
  ModelPtr empty = make_model({3, 3, 3});
  CHECK(dln_ensemble_create(empty.get(), 2, seeds, &raw) == DLN_ERR_STATE);
  CHECK(raw == reinterpret_cast<dln_ensemble *>(uintptr_t(0x9)));

  EnsemblePtr e = make_ensemble(state.get(), {1, 2});
  double values[2] = {7, 7};
  CHECK(dln_ensemble_results(e.get(), DLN_MEMBER_STEP, values, 2) == DLN_ERR_STATE);  // not stepped yet
  REQUIRE_OK(dln_ensemble_step(e.get(), 0, 1));
  REQUIRE_OK(dln_ensemble_results(e.get(), DLN_MEMBER_STEP, values, 2));
  CHECK(values[0] == 0.0);
  CHECK(dln_ensemble_results(e.get(), DLN_MEMBER_ENTRY_STEP, values, 2) == DLN_ERR_STATE);  // nothing watched
  CHECK(std::string(dln_ensemble_last_error(e.get())) ==
        "dln_ensemble_results: field=1 needs a watched B_r: call dln_ensemble_watch first");
  CHECK(dln_ensemble_results(e.get(), DLN_MEMBER_RECORD_SIZE, values, 2) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(dln_ensemble_results(e.get(), DLN_MEMBER_STEP, values, 1) == DLN_ERR_OUT_OF_RANGE);
  CHECK(dln_ensemble_watch(e.get(), -1, 10) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(dln_ensemble_watch(e.get(), 1, 0) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_ensemble_last_error(e.get())) == "dln_ensemble_watch: check_every=0 must be >= 1");
  REQUIRE_OK(dln_ensemble_watch(e.get(), 1, 10));
  CHECK(dln_ensemble_step(e.get(), -1, 1) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(dln_ensemble_step(e.get(), 10, 0) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_ensemble_last_error(e.get())) == "dln_ensemble_step: threads=0 must be in [1, 1024]");
  CHECK(dln_ensemble_step(e.get(), 10, 1025) == DLN_ERR_INVALID_ARGUMENT);
  // A sampler that cannot run refuses before any member moves.
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_SAMPLER, DLN_SAMPLER_SUBSET));
  CHECK(dln_ensemble_step(e.get(), 10, 2) == DLN_ERR_STATE);
  CHECK(std::string(dln_ensemble_last_error(e.get())).rfind("dln_ensemble_step: member 1 cannot step: dln_step: ", 0) == 0);
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
  REQUIRE_OK(dln_ensemble_step(e.get(), 0, 1));
  REQUIRE_OK(dln_ensemble_results(e.get(), DLN_MEMBER_STEP, values, 2));
  CHECK(values[0] == 0.0);
  CHECK(values[1] == 0.0);
  CHECK(all_weights(ensemble_member(e.get(), 0).get()) == all_weights(state.get()));
  // NULL handles.
  int64_t n = 0;
  CHECK(dln_ensemble_size(nullptr, &n) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_step(nullptr, 1, 1) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_watch(nullptr, 1, 1) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_results(nullptr, 0, values, 2) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_set_param(nullptr, 0, 1, 0.1) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_get_param(nullptr, 0, 1, values) == DLN_ERR_NULL_POINTER);
  dln_model *out = nullptr;
  CHECK(dln_ensemble_member(nullptr, 0, &out) == DLN_ERR_NULL_POINTER);
  CHECK(dln_ensemble_member(e.get(), 2, &out) == DLN_ERR_OUT_OF_RANGE);
  CHECK(std::string(dln_ensemble_last_error(nullptr)) == "dln_ensemble_last_error: ensemble is NULL");
  dln_ensemble_destroy(nullptr);
}

TEST_CASE("a diverging member stops there, censored, and the others complete their steps") {
  ModelPtr state = decaying_state();
  const std::vector<uint64_t> seeds = {41, 42, 43};
  EnsemblePtr e = make_ensemble(state.get(), seeds);
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_RIDGE, 0.0));
  REQUIRE_OK(dln_ensemble_set_param(e.get(), 1, DLN_PARAM_LEARNING_RATE, 1e6));
  REQUIRE_OK(dln_ensemble_watch(e.get(), 1, 10));
  CHECK(dln_ensemble_step(e.get(), 500, 2) == DLN_ERR_DIVERGED);
  const std::string why = dln_ensemble_last_error(e.get());
  CHECK(why.rfind("dln_ensemble_step: member 1 (seed 42) stopped at step ", 0) == 0);
  CHECK(why.find("1 of 3 members stopped in this call") != std::string::npos);
  const auto status = ensemble_field(e.get(), DLN_MEMBER_STATUS), step = ensemble_field(e.get(), DLN_MEMBER_STEP),
             censored = ensemble_field(e.get(), DLN_MEMBER_CENSORED), time = ensemble_field(e.get(), DLN_MEMBER_TIME);
  CHECK(status[0] == DLN_OK);
  CHECK(status[1] == DLN_ERR_DIVERGED);
  CHECK(status[2] == DLN_OK);
  CHECK(step[1] < 500);
  CHECK(censored[1] == 1.0);
  CHECK(time[1] == step[1]);
  // The stopped member holds the state before the failing step, as dln_step leaves it.
  ModelPtr alone = fresh_clone(state.get(), 42);
  REQUIRE_OK(dln_set_param(alone.get(), DLN_PARAM_RIDGE, 0.0));
  REQUIRE_OK(dln_set_param(alone.get(), DLN_PARAM_LEARNING_RATE, 1e6));
  CHECK(dln_step(alone.get(), 500) == DLN_ERR_DIVERGED);
  CHECK(all_weights(ensemble_member(e.get(), 1).get()) == all_weights(alone.get()));
  // It is not stepped again; the others go on.
  REQUIRE_OK(dln_ensemble_step(e.get(), 100, 2));
  const auto later = ensemble_field(e.get(), DLN_MEMBER_STEP);
  CHECK(later[0] == 600);
  CHECK(later[1] == step[1]);
  CHECK(later[2] == 600);
}
