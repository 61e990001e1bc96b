// math §4: sampling is a pure function of (seed, t); runs are bit-for-bit
// reproducible however the steps are split, and samplers do what they say.
#include <cmath>

#include "support.hpp"

namespace {

const std::vector<int64_t> kWidths = {7, 5, 6, 4, 9};  // m = 7 … n = 9, depth 4

ModelPtr standard(uint64_t seed, int sampler = DLN_SAMPLER_WITH_REPLACEMENT, int64_t batch = 1) {
  ModelPtr m = make_problem_model(kWidths, 40, seed, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.02));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, sampler));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(batch)));
  return m;
}

}  // namespace

TEST_CASE("the same seed gives bit-identical weights") {
  for (int sampler : {DLN_SAMPLER_WITH_REPLACEMENT, DLN_SAMPLER_WITHOUT_REPLACEMENT}) {
    ModelPtr a = standard(11, sampler, 3), b = standard(11, sampler, 3);
    REQUIRE_OK(dln_step(a.get(), 1000));
    REQUIRE_OK(dln_step(b.get(), 1000));
    CHECK(all_weights(a.get()) == all_weights(b.get()));
  }
}

TEST_CASE("1000 steps in one call equal 10 calls of 100") {
  for (int sampler : {DLN_SAMPLER_WITH_REPLACEMENT, DLN_SAMPLER_WITHOUT_REPLACEMENT}) {
    ModelPtr a = standard(5, sampler, 7), b = standard(5, sampler, 7);
    REQUIRE_OK(dln_step(a.get(), 1000));
    for (int i = 0; i < 10; ++i) REQUIRE_OK(dln_step(b.get(), 100));
    CHECK(all_weights(a.get()) == all_weights(b.get()));
    int64_t ta = 0, tb = 0;
    REQUIRE_OK(dln_get_step_count(a.get(), &ta));
    REQUIRE_OK(dln_get_step_count(b.get(), &tb));
    CHECK(ta == 1000);
    CHECK(tb == 1000);
  }
}

TEST_CASE("different seeds give different trajectories") {
  ModelPtr a = standard(1), b = standard(1);
  REQUIRE_OK(dln_set_seed(b.get(), 2));  // same start, other sampling stream
  REQUIRE_OK(dln_step(a.get(), 200));
  REQUIRE_OK(dln_step(b.get(), 200));
  CHECK(all_weights(a.get()) != all_weights(b.get()));
}

TEST_CASE("a clone continues exactly like its original") {
  ModelPtr a = standard(3, DLN_SAMPLER_WITHOUT_REPLACEMENT, 4);
  REQUIRE_OK(dln_step(a.get(), 123));
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_clone(a.get(), &raw));
  ModelPtr b(raw);
  REQUIRE_OK(dln_step(a.get(), 300));
  REQUIRE_OK(dln_step(b.get(), 300));
  CHECK(all_weights(a.get()) == all_weights(b.get()));
}

TEST_CASE("without replacement, an epoch of batches of size N is one full batch") {
  // A permutation of Ω summed in another order: equal to the full-batch step up to rounding.
  ModelPtr a = standard(9, DLN_SAMPLER_WITHOUT_REPLACEMENT, 40), b = standard(9, DLN_SAMPLER_FULL_BATCH);
  for (int t = 0; t < 20; ++t) {
    REQUIRE_OK(dln_step(a.get(), 1));
    REQUIRE_OK(dln_step(b.get(), 1));
    auto wa = all_weights(a.get()), wb = all_weights(b.get());
    for (size_t l = 0; l < wa.size(); ++l)
      for (size_t i = 0; i < wa[l].size(); ++i) REQUIRE(std::fabs(wa[l][i] - wb[l][i]) <= 1e-12);
  }
  // With replacement the same batch size is not a permutation: it differs.
  ModelPtr c = standard(9, DLN_SAMPLER_WITH_REPLACEMENT, 40);
  REQUIRE_OK(dln_step(c.get(), 20));
  CHECK(all_weights(c.get()) != all_weights(b.get()));
}

TEST_CASE("the subset sampler never looks at observations outside the subset") {
  Problem p = random_problem(9, 7, 30, 77);
  auto build = [&](double changed_value) {
    ModelPtr m = make_model(kWidths, 4);
    Problem q = p;
    q.values[20] = changed_value;  // index 20 is outside the subset
    REQUIRE_OK(dln_set_observations(m.get(), 30, q.rows.data(), q.cols.data(), q.values.data()));
    double s = 1.0;
    REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
    std::vector<int64_t> subset = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    REQUIRE_OK(dln_set_sample_subset(m.get(), int64_t(subset.size()), subset.data()));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_SUBSET));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, 3));
    REQUIRE_OK(dln_step(m.get(), 500));
    return all_weights(m.get());
  };
  CHECK(build(5.0) == build(-3.0));
}

TEST_CASE("batch size 1 is bit-identical whatever the thread count") {
  ModelPtr a = standard(21), b = standard(21);
  REQUIRE_OK(dln_set_param(b.get(), DLN_PARAM_THREADS, 2));
  REQUIRE_OK(dln_step(a.get(), 500));
  REQUIRE_OK(dln_step(b.get(), 500));
  CHECK(all_weights(a.get()) == all_weights(b.get()));
}

TEST_CASE("large batches agree across thread counts to rounding") {
  ModelPtr a = make_problem_model({40, 64, 64, 64, 50}, 2000, 8, 1.0);
  ModelPtr b = make_problem_model({40, 64, 64, 64, 50}, 2000, 8, 1.0);
  for (dln_model *m : {a.get(), b.get()}) {
    REQUIRE_OK(dln_set_param(m, DLN_PARAM_BATCH_SIZE, 256));
    REQUIRE_OK(dln_set_param(m, DLN_PARAM_LEARNING_RATE, 0.01));
  }
  REQUIRE_OK(dln_set_param(b.get(), DLN_PARAM_THREADS, 2));
  REQUIRE_OK(dln_step(a.get(), 20));
  REQUIRE_OK(dln_step(b.get(), 20));
  auto wa = all_weights(a.get()), wb = all_weights(b.get());
  for (size_t l = 0; l < wa.size(); ++l)
    for (size_t i = 0; i < wa[l].size(); ++i) REQUIRE(std::fabs(wa[l][i] - wb[l][i]) <= 1e-12 * (1 + std::fabs(wa[l][i])));
}

TEST_CASE("random initialisation depends only on the seed") {
  ModelPtr a = make_model(kWidths, 42), b = make_model(kWidths, 42), c = make_model(kWidths, 43);
  double s = 2.0;
  for (dln_model *m : {a.get(), b.get(), c.get()}) REQUIRE_OK(dln_init_weights(m, DLN_INIT_END_TO_END, 1, &s));
  CHECK(all_weights(a.get()) == all_weights(b.get()));
  CHECK(all_weights(a.get()) != all_weights(c.get()));
}
