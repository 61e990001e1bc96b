// math §5–§6: the rank-change log, the trace and the gradient norm, checked
// against direct queries and dense computations.
#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "dense.hpp"
#include "support.hpp"

namespace {

// Weights of a rank-`rank` state of the widths: a balanced factorisation of
// a random rank-`rank` n × m matrix, so that every M_k has exactly `rank`
// large singular values and the rest at 0.
void set_rank_state(dln_model *m, const std::vector<int64_t> &widths, int64_t rank, uint64_t seed) {
  const int64_t n = widths.back(), cols = widths.front();
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> a(static_cast<size_t>(n * cols), 0.0);
  for (int64_t k = 0; k < rank; ++k) {
    std::vector<double> u(static_cast<size_t>(n)), v(static_cast<size_t>(cols));
    for (double &x : u) x = normal(rng);
    for (double &x : v) x = normal(rng);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < cols; ++j) a[size_t(i * cols + j)] += u[size_t(i)] * v[size_t(j)];
  }
  REQUIRE_OK(dln_init_balanced(m, a.data()));
}

}  // namespace

TEST_CASE("the rank-change log records increases as well as decreases, with the deciding values") {
  const std::vector<int64_t> widths = {6, 6, 6, 6, 6};
  ModelPtr m = make_problem_model(widths, 30, 5, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 1e-4));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 1));
  // The caller moves the state between checks: rank 1, then 3, then 2.
  int64_t expected[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    set_rank_state(m.get(), widths, i == 0 ? 1 : i == 1 ? 3 : 2, 40 + uint64_t(i));
    REQUIRE_OK(dln_step(m.get(), 1));
    REQUIRE_OK(dln_query_absorbed_rank(m.get(), &expected[i]));
  }
  REQUIRE(expected[0] == 1);
  REQUIRE(expected[1] == 3);
  REQUIRE(expected[2] == 2);
  std::vector<double> c = changes_of(m.get());
  std::vector<std::array<double, 4>> absorbed;
  for (size_t j = 0; j < c.size(); j += DLN_CHANGE_RECORD_SIZE) {
    const double *r = c.data() + j;
    if (r[DLN_CHANGE_KIND] != double(DLN_JUMP_ABSORBED)) continue;
    absorbed.push_back(std::array<double, 4>{r[DLN_CHANGE_STEP], r[DLN_CHANGE_BEFORE], r[DLN_CHANGE_AFTER], r[DLN_CHANGE_SIGMA]});
    // σ_{min+1}: above ε for a rise (it left B_before), at most ε for a fall.
    if (r[DLN_CHANGE_AFTER] > r[DLN_CHANGE_BEFORE]) CHECK(r[DLN_CHANGE_SIGMA] > r[DLN_CHANGE_THRESHOLD]);
    else CHECK(r[DLN_CHANGE_SIGMA] <= r[DLN_CHANGE_THRESHOLD]);
    CHECK(r[DLN_CHANGE_SIGMA_LAYER] >= 1);
    CHECK(r[DLN_CHANGE_SIGMA_LAYER] <= 3);
    double report[DLN_BR_REPORT_SIZE];
    REQUIRE_OK(dln_Br_report(m.get(), 0, -1, -1, -1, report));
    CHECK(r[DLN_CHANGE_RHO] == report[DLN_BR_RHO]);
    CHECK(r[DLN_CHANGE_PREMISE] == (r[DLN_CHANGE_MAX_RESIDUAL] <= r[DLN_CHANGE_RHO] ? 1.0 : 0.0));
  }
  REQUIRE(absorbed.size() == 2);
  CHECK(absorbed[0][0] == 2);
  CHECK(absorbed[0][1] == 1);
  CHECK(absorbed[0][2] == 3);
  CHECK(absorbed[1][0] == 3);
  CHECK(absorbed[1][1] == 3);
  CHECK(absorbed[1][2] == 2);
  // The jump view shows the decreases only.
  int64_t jumps = 0;
  REQUIRE_OK(dln_jump_count(m.get(), &jumps));
  int64_t decreases = 0;
  for (size_t j = 0; j < c.size(); j += DLN_CHANGE_RECORD_SIZE)
    decreases += c[j + DLN_CHANGE_AFTER] < c[j + DLN_CHANGE_BEFORE];
  CHECK(jumps == decreases);
}

TEST_CASE("a rank check from the Gram matrices decides as the accurate SVD does") {
  // 60 states of ranks 0..5 with dead modes at 1e-6 … 1e-300 (math §6: the
  // check compares σ with an ε far above √u σ_1): the absorbed rank each check
  // logs equals dln_query_absorbed_rank (factored SVDs) at the same state.
  const std::vector<int64_t> widths = {7, 6, 5, 6, 8};
  ModelPtr m = make_problem_model(widths, 40, 9, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.02));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.0));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 1));
  std::mt19937_64 rng(3);
  int64_t last = -1, compared = 0;
  for (int i = 0; i < 60; ++i) {
    const int64_t rank = int64_t(rng() % 6);
    set_rank_state(m.get(), widths, rank, 100 + uint64_t(i));
    // A dead mode of random size in every layer.
    const double dead = std::pow(10.0, -6.0 - double(rng() % 295));
    for (int64_t l = 1; l <= 4; ++l) {
      auto w = weights_of(m.get(), l);
      w.back() += dead;
      REQUIRE_OK(dln_set_weights(m.get(), l, w.data()));
    }
    REQUIRE_OK(dln_step(m.get(), 1));  // η = 0: the check sees exactly this state
    int64_t accurate = 0;
    REQUIRE_OK(dln_query_absorbed_rank(m.get(), &accurate));
    std::vector<double> c = changes_of(m.get());
    int64_t logged = last;
    for (size_t j = 0; j < c.size(); j += DLN_CHANGE_RECORD_SIZE)
      if (c[j + DLN_CHANGE_KIND] == double(DLN_JUMP_ABSORBED)) logged = int64_t(c[j + DLN_CHANGE_AFTER]);
    if (last >= 0) {
      CHECK(logged == accurate);
      ++compared;
    }
    last = accurate;
  }
  MESSAGE(compared, " checks agreed with the accurate absorbed rank");
}

TEST_CASE("rank checks and the trace never change the trajectory") {
  for (int sampler : {DLN_SAMPLER_WITH_REPLACEMENT, DLN_SAMPLER_FULL_BATCH}) {
    for (int64_t batch : {1, 4}) {
      ModelPtr plain = make_problem_model({5, 6, 6, 6, 7}, 25, 3, 1.0);
      REQUIRE_OK(dln_set_param(plain.get(), DLN_PARAM_RIDGE, 0.01));
      REQUIRE_OK(dln_set_param(plain.get(), DLN_PARAM_LEARNING_RATE, 0.05));
      REQUIRE_OK(dln_set_param(plain.get(), DLN_PARAM_SAMPLER, sampler));
      REQUIRE_OK(dln_set_param(plain.get(), DLN_PARAM_BATCH_SIZE, double(batch)));
      ModelPtr watched = clone_of(plain.get());
      REQUIRE_OK(dln_set_param(watched.get(), DLN_PARAM_JUMP_INTERVAL, 1));
      REQUIRE_OK(dln_set_param(watched.get(), DLN_PARAM_TRACE_INTERVAL, 3));
      REQUIRE_OK(dln_step(plain.get(), 300));
      REQUIRE_OK(dln_step(watched.get(), 300));
      CHECK(all_weights(plain.get()) == all_weights(watched.get()));
      int64_t rows = 0;
      REQUIRE_OK(dln_trace_count(watched.get(), &rows));
      CHECK(rows == 100);
    }
  }
}

TEST_CASE("a trace row holds the observables of its step") {
  const std::vector<int64_t> widths = {5, 6, 6, 6, 7};
  ModelPtr m = make_problem_model(widths, 25, 4, 1.0);
  Problem test = random_problem(7, 5, 10, 77);
  REQUIRE_OK(dln_set_test_observations(m.get(), 10, test.rows.data(), test.cols.data(), test.values.data()));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.05));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_TRACE_INTERVAL, 50));
  for (int row = 0; row < 4; ++row) {
    REQUIRE_OK(dln_step(m.get(), 50));
    double t[DLN_TRACE_RECORD_SIZE];
    REQUIRE_OK(dln_get_trace(m.get(), row, 1, t));
    double cost = 0, ridge = 0, test_error = 0, balance = 0, br[DLN_BR_REPORT_SIZE], grad[DLN_GRAD_REPORT_SIZE];
    int64_t absorbed = 0;
    REQUIRE_OK(dln_loss(m.get(), &cost, &ridge));
    REQUIRE_OK(dln_test_error(m.get(), &test_error));
    REQUIRE_OK(dln_balancedness(m.get(), &balance));
    REQUIRE_OK(dln_query_absorbed_rank(m.get(), &absorbed));
    REQUIRE_OK(dln_Br_report(m.get(), absorbed, -1, -1, -1, br));
    REQUIRE_OK(dln_gradient_norm(m.get(), grad, nullptr, 0));
    CHECK(t[DLN_TRACE_STEP] == 50.0 * (row + 1));
    CHECK(t[DLN_TRACE_DATA_COST] == cost);
    CHECK(t[DLN_TRACE_RIDGE_TERM] == ridge);
    CHECK(t[DLN_TRACE_TEST_ERROR] == test_error);
    CHECK(t[DLN_TRACE_ABSORBED_RANK] == double(absorbed));
    CHECK(t[DLN_TRACE_SIGMA] == br[DLN_BR_SIGMA]);
    CHECK(t[DLN_TRACE_EPS] == br[DLN_BR_EPS]);
    CHECK(t[DLN_TRACE_BALANCE] == balance);
    CHECK(t[DLN_TRACE_MAX_RESIDUAL] == br[DLN_BR_MAX_RESIDUAL]);
    CHECK(t[DLN_TRACE_GRADIENT_NORM] == grad[DLN_GRAD_NORM]);
  }
  REQUIRE_OK(dln_clear_trace(m.get()));
  int64_t rows = 1;
  REQUIRE_OK(dln_trace_count(m.get(), &rows));
  CHECK(rows == 0);
}

namespace {

// ∂L_λ/∂W_ℓ formed densely: W_{>ℓ}^T G W_{<ℓ}^T + 2λ W_ℓ with G = (2/N) Σ r_k e_i e_j^T.
std::vector<dense::Matrix> dense_gradient(const std::vector<dense::Matrix> &w, const std::vector<int64_t> &n,
                                          const Problem &p, double lambda) {
  const size_t L = w.size();
  const int64_t rows = n.back(), cols = n.front();
  dense::Matrix a = dense::end_to_end(w, n), g(static_cast<size_t>(rows * cols), 0.0);
  const double N = double(p.values.size());
  for (size_t k = 0; k < p.values.size(); ++k) {
    const size_t at = size_t(p.rows[k] * cols + p.cols[k]);
    g[at] += 2.0 * (a[at] - p.values[k]) / N;
  }
  auto identity = [](int64_t d) {
    dense::Matrix e(static_cast<size_t>(d * d), 0.0);
    for (int64_t i = 0; i < d; ++i) e[size_t(i * d + i)] = 1.0;
    return e;
  };
  std::vector<dense::Matrix> out;
  for (size_t l = 1; l <= L; ++l) {
    dense::Matrix below = identity(cols), above = identity(rows);  // W_{<ℓ} (n_{ℓ-1} × m), W_{>ℓ} (n × n_ℓ)
    int64_t below_rows = cols;
    for (size_t j = 1; j < l; ++j) below = dense::multiply(w[j - 1], below, n[j], n[j - 1], cols), below_rows = n[j];
    int64_t above_cols = rows;
    for (size_t j = L; j > l; --j) {
      above = j == L ? w[j - 1] : dense::multiply(above, w[j - 1], rows, n[j], n[j - 1]);
      above_cols = n[j - 1];
    }
    dense::Matrix t = dense::multiply(dense::transpose(above, rows, above_cols), g, above_cols, rows, cols);
    dense::Matrix d = dense::multiply(t, dense::transpose(below, below_rows, cols), above_cols, cols, below_rows);
    for (size_t e = 0; e < d.size(); ++e) d[e] += 2.0 * lambda * w[l - 1][e];
    out.push_back(d);
  }
  return out;
}

}  // namespace

TEST_CASE("the gradient norm equals a dense computation, in total and per layer") {
  const std::vector<std::vector<int64_t>> shapes = {{5, 7}, {4, 3, 6}, {6, 4, 5, 3}, {5, 6, 3, 6, 7}, {3, 2, 4, 2, 3, 4}};
  for (size_t s = 0; s < shapes.size(); ++s) {
    const auto &n = shapes[s];
    CAPTURE(s);
    ModelPtr m = make_model(n, 7 + s);
    // Duplicated observations count separately.
    Problem p = random_problem(n.back(), n.front(), 20, 50 + s);
    p.rows.push_back(p.rows[0]), p.cols.push_back(p.cols[0]), p.values.push_back(p.values[0] + 1.0);
    REQUIRE_OK(dln_set_observations(m.get(), int64_t(p.values.size()), p.rows.data(), p.cols.data(), p.values.data()));
    double scale = 1.5;
    REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &scale));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.03));
    double report[DLN_GRAD_REPORT_SIZE];
    std::vector<double> per_layer(n.size() - 1);
    REQUIRE_OK(dln_gradient_norm(m.get(), report, per_layer.data(), int64_t(per_layer.size())));
    auto d = dense_gradient(all_weights(m.get()), n, p, 0.03);
    auto d_data = dense_gradient(all_weights(m.get()), n, p, 0.0);
    double total = 0, data = 0, ridge = 0;
    for (size_t l = 0; l < d.size(); ++l) {
      double layer = 0;
      for (size_t e = 0; e < d[l].size(); ++e) {
        layer += d[l][e] * d[l][e];
        data += d_data[l][e] * d_data[l][e];
      }
      CHECK(per_layer[l] == doctest::Approx(std::sqrt(layer)).epsilon(1e-12));
      total += layer;
    }
    double norm2 = 0;
    REQUIRE_OK(dln_weight_norm2(m.get(), &norm2));
    ridge = 2 * 0.03 * std::sqrt(norm2);
    CHECK(report[DLN_GRAD_NORM] == doctest::Approx(std::sqrt(total)).epsilon(1e-12));
    CHECK(report[DLN_GRAD_DATA] == doctest::Approx(std::sqrt(data)).epsilon(1e-12));
    CHECK(report[DLN_GRAD_RIDGE] == doctest::Approx(ridge).epsilon(1e-12));
    CHECK(report[DLN_GRAD_RELATIVE] == doctest::Approx(std::sqrt(total) / (std::sqrt(data) + ridge)).epsilon(1e-12));
    CHECK(report[DLN_GRAD_CRITICAL] == 0.0);
  }
}

TEST_CASE("a critical point is reported as critical, a nearby state is not") {
  // Depth 1, every entry observed once: the minimiser of C(W) + λ‖W‖² is
  // W = Y / (1 + λN) in closed form (math §5).
  const int64_t n = 4, m = 3, N = n * m;
  const double lambda = 0.01;
  ModelPtr model = make_model({m, n}, 1);
  Problem p;
  std::vector<double> w(static_cast<size_t>(N));
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      p.rows.push_back(i), p.cols.push_back(j), p.values.push_back(std::sin(double(1 + i * m + j)));
      w[size_t(i * m + j)] = p.values.back() / (1.0 + lambda * double(N));
    }
  REQUIRE_OK(dln_set_observations(model.get(), N, p.rows.data(), p.cols.data(), p.values.data()));
  REQUIRE_OK(dln_set_param(model.get(), DLN_PARAM_RIDGE, lambda));
  REQUIRE_OK(dln_set_weights(model.get(), 1, w.data()));
  double report[DLN_GRAD_REPORT_SIZE];
  REQUIRE_OK(dln_gradient_norm(model.get(), report, nullptr, 0));
  CHECK(report[DLN_GRAD_RELATIVE] <= 1e-12);
  CHECK(report[DLN_GRAD_CRITICAL] == 1.0);
  w[0] *= 1.0 + 1e-6;
  REQUIRE_OK(dln_set_weights(model.get(), 1, w.data()));
  REQUIRE_OK(dln_gradient_norm(model.get(), report, nullptr, 0));
  CHECK(report[DLN_GRAD_CRITICAL] == 0.0);
  // Statuses: no observations, a short per-layer buffer.
  ModelPtr empty = make_model({m, n}, 1);
  CHECK(dln_gradient_norm(empty.get(), report, nullptr, 0) == DLN_ERR_STATE);
  double one[1];
  CHECK(dln_gradient_norm(model.get(), report, one, 0) == DLN_OK);
  ModelPtr deep = make_model({m, 3, n}, 1);
  REQUIRE_OK(dln_set_observations(deep.get(), N, p.rows.data(), p.cols.data(), p.values.data()));
  CHECK(dln_gradient_norm(deep.get(), report, one, 1) == DLN_ERR_OUT_OF_RANGE);
  CHECK(dln_gradient_norm(deep.get(), nullptr, nullptr, 0) == DLN_ERR_NULL_POINTER);
}
