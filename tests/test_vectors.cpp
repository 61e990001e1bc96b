// SPEC §1-§3 against the independent implementation's test vectors: every
// weight, both losses and the singular values to 1e-10 relative.
#include <algorithm>
#include <cmath>

#include "support.hpp"
#include "testdata.hpp"

namespace {

double g_worst = 0.0;

void check_close(double got, double want, const std::string &what) {
  double e = testdata::relative_error(got, want);
  g_worst = std::max(g_worst, e);
  INFO(what, ": got ", got, " want ", want);
  CHECK(e <= 1e-10);
}

}  // namespace

TEST_CASE("every shared vector is reproduced to 1e-10 relative") {
  auto files = testdata::all();
  REQUIRE(files.size() >= 6);
  for (const auto &file : files) {
    testdata::Vector v = testdata::read(file);
    CAPTURE(v.name);
    ModelPtr model = make_model(v.widths);
    for (int64_t l = 1; l <= v.depth; ++l)
      REQUIRE_OK(dln_set_weights(model.get(), l, v.weights[size_t(l - 1)].data()));
    REQUIRE_OK(dln_set_observations(model.get(), int64_t(v.values.size()), v.rows.data(), v.cols.data(),
                                    v.values.data()));
    REQUIRE_OK(dln_set_param(model.get(), DLN_PARAM_LEARNING_RATE, v.eta));
    REQUIRE_OK(dln_set_param(model.get(), DLN_PARAM_RIDGE, v.lambda));
    double cost = 0, ridge = 0;
    REQUIRE_OK(dln_loss(model.get(), &cost, &ridge));
    check_close(cost + ridge, v.loss_before, "loss_before");
    for (const auto &batch : v.batches)
      REQUIRE_OK(dln_step_batch(model.get(), int64_t(batch.size()), batch.data()));
    for (int64_t l = 1; l <= v.depth; ++l) {
      auto w = weights_of(model.get(), l);
      const auto &want = v.expected_weights[size_t(l - 1)];
      REQUIRE(w.size() == want.size());
      for (size_t i = 0; i < w.size(); ++i)
        check_close(w[i], want[i], "W" + std::to_string(l) + "[" + std::to_string(i) + "]");
    }
    REQUIRE_OK(dln_loss(model.get(), &cost, &ridge));
    check_close(cost + ridge, v.loss_after, "loss_after");
    // SPEC §9: A_θ has k = min_ℓ n_ℓ singular values. The vectors list the
    // min(n, m) values of a dense SVD; those past k are that SVD's rounding
    // noise (A has rank <= k), so they are checked to be zero at 1e-14·σ_1.
    const int64_t k = *std::min_element(v.widths.begin(), v.widths.end());
    std::vector<double> s(v.svals.size() + 3);
    int64_t count = 0;
    REQUIRE_OK(dln_singular_values(model.get(), s.data(), int64_t(s.size()), &count));
    REQUIRE(count == k);
    for (int64_t i = 0; i < k; ++i) check_close(s[size_t(i)], v.svals[size_t(i)], "svals_A[" + std::to_string(i) + "]");
    for (size_t i = size_t(k); i < v.svals.size(); ++i) CHECK(v.svals[i] <= 1e-14 * v.svals[0]);
  }
  MESSAGE("worst relative error over all shared vectors: ", g_worst);
}

TEST_CASE("full-batch gradient descent through the sampler equals the explicit full batches") {
  // gd_depth4 lists full batches; the FULL_BATCH sampler must take the same steps.
  testdata::Vector v = testdata::read(std::filesystem::path(DLN_TESTDATA_DIR) / "gd_depth4.txt");
  ModelPtr model = make_model(v.widths);
  for (int64_t l = 1; l <= v.depth; ++l) REQUIRE_OK(dln_set_weights(model.get(), l, v.weights[size_t(l - 1)].data()));
  REQUIRE_OK(dln_set_observations(model.get(), int64_t(v.values.size()), v.rows.data(), v.cols.data(), v.values.data()));
  REQUIRE_OK(dln_set_param(model.get(), DLN_PARAM_LEARNING_RATE, v.eta));
  REQUIRE_OK(dln_set_param(model.get(), DLN_PARAM_RIDGE, v.lambda));
  REQUIRE_OK(dln_set_param(model.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_FULL_BATCH));
  for (const auto &batch : v.batches) REQUIRE(int64_t(batch.size()) == int64_t(v.values.size()));
  REQUIRE_OK(dln_step(model.get(), int64_t(v.batches.size())));
  for (int64_t l = 1; l <= v.depth; ++l) {
    auto w = weights_of(model.get(), l);
    for (size_t i = 0; i < w.size(); ++i) CHECK(testdata::relative_error(w[i], v.expected_weights[size_t(l - 1)][i]) <= 1e-10);
  }
}
