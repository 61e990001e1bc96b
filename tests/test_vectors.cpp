// math §1-§3 against the test vectors (tests/data/vectors: six from an
// independent implementation, the others from the dense NumPy reference of
// tests/reference): every weight, both losses and the singular values to 1e-10.
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

// The explicit batches of v, with the checkpoint round trip of the record
// `checkpoint_at t`: after t batches the whole state goes through
// dln_save_buffer, the handle is destroyed and the state loaded back.
void step_through(ModelPtr &model, const testdata::Vector &v) {
  for (size_t t = 0; t < v.batches.size(); ++t) {
    if (int64_t(t) == v.checkpoint_at) {
      int64_t size = 0;
      REQUIRE_OK(dln_save_buffer(model.get(), nullptr, 0, &size));
      std::vector<unsigned char> bytes(static_cast<size_t>(size));
      REQUIRE_OK(dln_save_buffer(model.get(), bytes.data(), size, &size));
      model.reset();
      dln_model *loaded = nullptr;
      REQUIRE_OK(dln_load_buffer(bytes.data(), size, &loaded));
      model.reset(loaded);
    }
    REQUIRE_OK(dln_step_batch(model.get(), int64_t(v.batches[t].size()), v.batches[t].data()));
  }
}

}  // namespace

TEST_CASE("every vector is reproduced to 1e-10 relative") {
  auto files = testdata::all();
  REQUIRE(files.size() >= 9);
  int64_t round_trips = 0;
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
    step_through(model, v);
    round_trips += v.checkpoint_at >= 0;
    for (int64_t l = 1; l <= v.depth; ++l) {
      auto w = weights_of(model.get(), l);
      const auto &want = v.expected_weights[size_t(l - 1)];
      REQUIRE(w.size() == want.size());
      for (size_t i = 0; i < w.size(); ++i)
        check_close(w[i], want[i], "W" + std::to_string(l) + "[" + std::to_string(i) + "]");
    }
    REQUIRE_OK(dln_loss(model.get(), &cost, &ridge));
    check_close(cost + ridge, v.loss_after, "loss_after");
    // A_θ has k = min_ℓ n_ℓ singular values. The vectors list the min(n, m)
    // values of a dense SVD; those past the rank of A_θ (past k, or past a
    // rank-deficient start's rank) are rounding noise of either computation,
    // defined only to an absolute accuracy of order u·σ_1: a value the vector
    // gives below 1e-8·σ_1 is checked to within 1e-10·σ_1, the others to 1e-10
    // relative.
    const int64_t k = *std::min_element(v.widths.begin(), v.widths.end());
    std::vector<double> s(v.svals.size() + 3);
    int64_t count = 0;
    REQUIRE_OK(dln_singular_values(model.get(), s.data(), int64_t(s.size()), &count));
    REQUIRE(count == k);
    const double s1 = v.svals[0];
    for (int64_t i = 0; i < k; ++i) {
      const double want = v.svals[size_t(i)];
      if (want > 1e-8 * s1) {
        check_close(s[size_t(i)], want, "svals_A[" + std::to_string(i) + "]");
      } else {
        INFO("svals_A[", i, "]: got ", s[size_t(i)], " want ", want, " (rounding noise)");
        CHECK(std::fabs(s[size_t(i)] - want) <= 1e-10 * s1);
      }
    }
    for (size_t i = size_t(k); i < v.svals.size(); ++i) CHECK(v.svals[i] <= 1e-14 * s1);
  }
  CHECK(round_trips >= 1);
  MESSAGE("worst relative error over all vectors: ", g_worst, "; checkpoint round trips: ", round_trips);
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

TEST_CASE("a checkpoint round trip in the middle of a vector changes no bit of the run") {
  int64_t checked = 0;
  for (const auto &file : testdata::all()) {
    testdata::Vector v = testdata::read(file);
    if (v.checkpoint_at < 0) continue;
    CAPTURE(v.name);
    auto start = [&] {
      ModelPtr m = make_model(v.widths);
      for (int64_t l = 1; l <= v.depth; ++l) REQUIRE_OK(dln_set_weights(m.get(), l, v.weights[size_t(l - 1)].data()));
      REQUIRE_OK(dln_set_observations(m.get(), int64_t(v.values.size()), v.rows.data(), v.cols.data(), v.values.data()));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, v.eta));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, v.lambda));
      return m;
    };
    ModelPtr straight = start(), resumed = start();
    for (const auto &batch : v.batches)
      REQUIRE_OK(dln_step_batch(straight.get(), int64_t(batch.size()), batch.data()));
    step_through(resumed, v);
    CHECK(all_weights(straight.get()) == all_weights(resumed.get()));
    ++checked;
  }
  CHECK(checked >= 1);
}
