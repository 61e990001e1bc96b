// math §5: every observable equals a dense computation on small cases.
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

#include "dense.hpp"
#include "support.hpp"

namespace {

struct State {
  ModelPtr model;
  std::vector<int64_t> widths;
  std::vector<dense::Matrix> w;
};

State random_state(std::vector<int64_t> widths, uint64_t seed) {
  State s{make_problem_model(widths, 25, seed, 1.5), widths, {}};
  // A few steps so the layers carry a decay scale other than 1.
  REQUIRE_OK(dln_set_param(s.model.get(), DLN_PARAM_RIDGE, 0.05));
  REQUIRE_OK(dln_step(s.model.get(), 30));
  s.w = all_weights(s.model.get());
  return s;
}

const std::vector<std::vector<int64_t>> kShapes = {
    {5, 4}, {6, 3, 8}, {4, 3, 6, 5}, {8, 6, 7, 6, 5, 9}, {3, 7, 7, 7, 2}, {9, 2, 9, 9}};

double max_relative(const std::vector<double> &a, const std::vector<double> &b, double floor) {
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]) / std::max(floor, std::fabs(b[i])));
  return worst;
}

}  // namespace

TEST_CASE("singular values of A from the factored form equal a dense SVD of A") {
  for (const auto &shape : kShapes) {
    State s = random_state(shape, 3);
    auto a = dense::end_to_end(s.w, shape);
    auto want = dense::singular_values(a, shape.back(), shape.front());
    int64_t k = *std::min_element(shape.begin(), shape.end()), count = 0;
    std::vector<double> got(static_cast<size_t>(k));
    REQUIRE_OK(dln_singular_values(s.model.get(), got.data(), k, &count));
    REQUIRE(count == k);
    want.resize(static_cast<size_t>(k));
    CHECK(max_relative(got, want, 1e-12 * want[0]) <= 1e-10);
  }
}

TEST_CASE("singular values are truncated to the capacity and counted in full") {
  State s = random_state({6, 3, 8}, 1);
  double one = 0;
  int64_t count = 0;
  REQUIRE_OK(dln_singular_values(s.model.get(), &one, 1, &count));
  CHECK(count == 3);
  REQUIRE_OK(dln_singular_values(s.model.get(), nullptr, 0, &count));
  CHECK(count == 3);
}

TEST_CASE("layer and bottleneck spectra equal dense SVDs") {
  for (const auto &shape : kShapes) {
    State s = random_state(shape, 5);
    const int64_t L = int64_t(shape.size()) - 1;
    for (int64_t l = 1; l <= L; ++l) {
      auto want = dense::singular_values(s.w[size_t(l - 1)], shape[size_t(l)], shape[size_t(l - 1)]);
      std::vector<double> got(want.size());
      int64_t count = 0;
      REQUIRE_OK(dln_layer_singular_values(s.model.get(), l, got.data(), int64_t(got.size()), &count));
      CHECK(count == int64_t(want.size()));
      CHECK(max_relative(got, want, 1e-12 * want[0]) <= 1e-10);
    }
    for (int64_t k = 1; k <= std::max<int64_t>(L - 1, 1); ++k) {
      // M_k = [W_k, W_{k+1}^T], formed densely.
      dense::Matrix m;
      int64_t nk = shape[size_t(k)], cols = 0;
      if (L == 1) {
        m = s.w[0];
        cols = shape[0];
      } else {
        auto right = dense::transpose(s.w[size_t(k)], shape[size_t(k + 1)], nk);
        cols = shape[size_t(k - 1)] + shape[size_t(k + 1)];
        for (int64_t p = 0; p < nk; ++p) {
          for (int64_t q = 0; q < shape[size_t(k - 1)]; ++q) m.push_back(s.w[size_t(k - 1)][size_t(p * shape[size_t(k - 1)] + q)]);
          for (int64_t q = 0; q < shape[size_t(k + 1)]; ++q) m.push_back(right[size_t(p * shape[size_t(k + 1)] + q)]);
        }
      }
      auto want = dense::singular_values(m, nk, cols);
      std::vector<double> got(want.size() + 2);
      int64_t count = 0;
      REQUIRE_OK(dln_bottleneck_singular_values(s.model.get(), k, got.data(), int64_t(got.size()), &count));
      REQUIRE(count == int64_t(want.size()));
      got.resize(want.size());
      CHECK(max_relative(got, want, 1e-12 * want[0]) <= 1e-10);
    }
  }
}

TEST_CASE("numerical, effective and stable ranks follow their definitions") {
  const double sigma[] = {4.0, 2.0, 1.0, 1e-9, 0.0};
  double r = 0;
  REQUIRE_OK(dln_rank_of_spectrum(sigma, 5, DLN_RANK_NUMERICAL, 0.0, 1e-6, &r));
  CHECK(r == 3);
  REQUIRE_OK(dln_rank_of_spectrum(sigma, 5, DLN_RANK_NUMERICAL, 1.5, 0.0, &r));
  CHECK(r == 2);
  REQUIRE_OK(dln_rank_of_spectrum(sigma, 5, DLN_RANK_NUMERICAL, 0.0, 0.0, &r));
  CHECK(r == 4);
  // Effective rank: exp of the entropy of p_i = σ_i / Σσ.
  double total = 7.0 + 1e-9, h = 0;
  for (double s : sigma)
    if (s > 0) h -= s / total * std::log(s / total);
  REQUIRE_OK(dln_rank_of_spectrum(sigma, 5, DLN_RANK_EFFECTIVE, 0, 0, &r));
  CHECK(r == doctest::Approx(std::exp(h)).epsilon(1e-14));
  const double flat[] = {3.0, 3.0, 3.0};
  REQUIRE_OK(dln_rank_of_spectrum(flat, 3, DLN_RANK_EFFECTIVE, 0, 0, &r));
  CHECK(r == doctest::Approx(3.0).epsilon(1e-14));
  // Stable rank: Σσ² / σ_1².
  REQUIRE_OK(dln_rank_of_spectrum(sigma, 5, DLN_RANK_STABLE, 0, 0, &r));
  CHECK(r == doctest::Approx((16.0 + 4.0 + 1.0 + 1e-18) / 16.0).epsilon(1e-14));
  const double zero[] = {0.0, 0.0};
  REQUIRE_OK(dln_rank_of_spectrum(zero, 2, DLN_RANK_STABLE, 0, 0, &r));
  CHECK(r == 0.0);
}

TEST_CASE("ranks of A and of the layers use their own spectra") {
  State s = random_state({6, 3, 8}, 2);
  double r = 0;
  int64_t q = 0;
  REQUIRE_OK(dln_rank(s.model.get(), 0, DLN_RANK_NUMERICAL, 0.0, 1e-10, &r));
  REQUIRE_OK(dln_query_rank(s.model.get(), 1e-10, &q));
  CHECK(r == double(q));
  CHECK(q == 3);
  auto want = dense::singular_values(s.w[1], 8, 3);
  double stable = 0;
  for (double x : want) stable += x * x / (want[0] * want[0]);
  REQUIRE_OK(dln_rank(s.model.get(), 2, DLN_RANK_STABLE, 0.0, 0.0, &r));
  CHECK(r == doctest::Approx(stable).epsilon(1e-12));
}

TEST_CASE("losses and the test error equal dense computations") {
  State s = random_state({4, 3, 6, 5}, 9);
  Problem p = random_problem(5, 4, 25, 9 + 1000);  // the observations make_problem_model used
  auto a = dense::end_to_end(s.w, s.widths);
  double mse = 0, norm2 = 0;
  for (size_t k = 0; k < p.values.size(); ++k) {
    double r = a[size_t(p.rows[k] * 4 + p.cols[k])] - p.values[k];
    mse += r * r / double(p.values.size());
  }
  for (const auto &w : s.w)
    for (double x : w) norm2 += x * x;
  double cost = 0, ridge = 0, got_norm2 = 0;
  REQUIRE_OK(dln_loss(s.model.get(), &cost, &ridge));
  REQUIRE_OK(dln_weight_norm2(s.model.get(), &got_norm2));
  CHECK(cost == doctest::Approx(mse).epsilon(1e-13));
  CHECK(got_norm2 == doctest::Approx(norm2).epsilon(1e-13));
  CHECK(ridge == doctest::Approx(0.05 * norm2).epsilon(1e-13));

  double err = 0;
  CHECK(dln_test_error(s.model.get(), &err) == DLN_ERR_STATE);
  std::vector<int64_t> rows = {0, 4}, cols = {3, 1};
  std::vector<double> values = {1.0, -2.0};
  REQUIRE_OK(dln_set_test_observations(s.model.get(), 2, rows.data(), cols.data(), values.data()));
  REQUIRE_OK(dln_test_error(s.model.get(), &err));
  double want = (std::pow(a[3] - 1.0, 2) + std::pow(a[17] + 2.0, 2)) / 2.0;
  CHECK(err == doctest::Approx(want).epsilon(1e-13));
  std::vector<double> truth(20, 0.5);
  REQUIRE_OK(dln_set_ground_truth(s.model.get(), truth.data()));
  REQUIRE_OK(dln_test_error(s.model.get(), &err));
  want = 0;
  for (double x : a) want += (x - 0.5) * (x - 0.5) / 20.0;
  CHECK(err == doctest::Approx(want).epsilon(1e-13));
}

TEST_CASE("the balancedness residual equals the dense spectral norm") {
  State s = random_state({4, 3, 6, 5}, 4);
  double worst = 0;
  for (size_t l = 0; l + 1 < s.w.size(); ++l) {
    int64_t h = s.widths[l + 1];
    auto top = dense::multiply(dense::transpose(s.w[l + 1], s.widths[l + 2], h), s.w[l + 1], h, s.widths[l + 2], h);
    auto bottom = dense::multiply(s.w[l], dense::transpose(s.w[l], h, s.widths[l]), h, s.widths[l], h);
    for (size_t i = 0; i < top.size(); ++i) top[i] -= bottom[i];
    worst = std::max(worst, dense::singular_values(top, h, h)[0]);
  }
  double got = 0;
  REQUIRE_OK(dln_balancedness(s.model.get(), &got));
  CHECK(got == doctest::Approx(worst).epsilon(1e-12));
}

TEST_CASE("a balanced factorisation reproduces A0, is balanced, and its representation cost is ‖θ‖²") {
  const std::vector<int64_t> widths = {5, 4, 4, 4, 6};
  ModelPtr m = make_model(widths, 1);
  // A0 of rank 3 (< every hidden width): exactly representable.
  dense::Matrix u = {1, 0, 2, 0, 1, 1, 3, 1, 0, 1, -1, 2, 0, 2, 1, 2, 0, -1}, v = {1, 2, 0, -1, 1, 0, 1, 1, 2, 0, 3, 0, -1, 1, 1};
  auto a0 = dense::multiply(u, v, 6, 3, 5);
  REQUIRE_OK(dln_init_balanced(m.get(), a0.data()));
  auto a = dense::end_to_end(all_weights(m.get()), widths);
  for (size_t i = 0; i < a.size(); ++i) CHECK(a[i] == doctest::Approx(a0[i]).epsilon(1e-12).scale(10));
  double residual = 0, cost = 0, norm2 = 0;
  REQUIRE_OK(dln_balancedness(m.get(), &residual));
  CHECK(residual <= 1e-12 * 100);
  REQUIRE_OK(dln_representation_cost(m.get(), &cost));
  REQUIRE_OK(dln_weight_norm2(m.get(), &norm2));
  CHECK(cost == doctest::Approx(norm2).epsilon(1e-12));
  // Any other factorisation of a matrix costs at least its representation cost.
  State s = random_state(widths, 6);
  REQUIRE_OK(dln_representation_cost(s.model.get(), &cost));
  REQUIRE_OK(dln_weight_norm2(s.model.get(), &norm2));
  CHECK(cost <= norm2);
}

TEST_CASE("column norms of W_L and row norms of W_1 are Euclidean norms") {
  State s = random_state({4, 3, 6, 5}, 8);
  std::vector<double> cols(6), rows(3);
  REQUIRE_OK(dln_output_column_norms(s.model.get(), cols.data(), 6));
  REQUIRE_OK(dln_input_row_norms(s.model.get(), rows.data(), 3));
  for (int64_t j = 0; j < 6; ++j) {
    double want = 0;
    for (int64_t i = 0; i < 5; ++i) want += std::pow(s.w[2][size_t(i * 6 + j)], 2);
    CHECK(cols[size_t(j)] == doctest::Approx(std::sqrt(want)).epsilon(1e-14));
  }
  for (int64_t i = 0; i < 3; ++i) {
    double want = 0;
    for (int64_t j = 0; j < 4; ++j) want += std::pow(s.w[0][size_t(i * 4 + j)], 2);
    CHECK(rows[size_t(i)] == doctest::Approx(std::sqrt(want)).epsilon(1e-14));
  }
}

TEST_CASE("orthogonal and identity initialisations have the promised structure") {
  ModelPtr m = make_model({5, 7, 7, 3}, 2);
  double scale = 2.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_ORTHOGONAL, 1, &scale));
  for (int64_t l = 1; l <= 3; ++l) {
    std::vector<double> s(7);
    int64_t count = 0;
    REQUIRE_OK(dln_layer_singular_values(m.get(), l, s.data(), 7, &count));
    for (int64_t i = 0; i < count; ++i) CHECK(s[size_t(i)] == doctest::Approx(2.0).epsilon(1e-13));
  }
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_IDENTITY, 1, &scale));
  auto w = weights_of(m.get(), 1);  // 7 × 5
  for (int64_t i = 0; i < 7; ++i)
    for (int64_t j = 0; j < 5; ++j) CHECK(w[size_t(i * 5 + j)] == (i == j ? 2.0 : 0.0));
}

TEST_CASE("the end-to-end initialisation has the promised per-layer variance") {
  ModelPtr m = make_model({200, 300, 300, 200}, 12);
  double s = 8.0;  // each layer N(0, s^(2/L) / n_{ℓ-1}) = N(0, 4 / n_{ℓ-1})
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  const std::vector<int64_t> n = {200, 300, 300, 200};
  for (int64_t l = 1; l <= 3; ++l) {
    auto w = weights_of(m.get(), l);
    double mean = std::accumulate(w.begin(), w.end(), 0.0) / double(w.size()), var = 0;
    for (double x : w) var += x * x / double(w.size());
    double want = 4.0 / double(n[size_t(l - 1)]);
    CHECK(std::fabs(mean) < 5 * std::sqrt(want / double(w.size())));
    CHECK(var == doctest::Approx(want).epsilon(0.02));  // ~60000 draws: 0.6% standard error
  }
}

TEST_CASE("the spectrum of a 100000 x 100000 product of width 64 needs no dense A") {
  // 10^10 entries would need 80 GB; the factored path uses O((n + m) w).
  ModelPtr m = make_model({100000, 64, 64, 64, 100000}, 3);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  std::vector<double> sigma(64);
  int64_t count = 0;
  REQUIRE_OK(dln_singular_values(m.get(), sigma.data(), 64, &count));
  CHECK(count == 64);
  CHECK(sigma[0] > 0);
  CHECK(std::is_sorted(sigma.rbegin(), sigma.rend()));
}

namespace {

// Every cached query of a handle, flattened: the spectra, the ranks, the
// balancedness, the representation cost, B_r reports and the absorbed rank.
std::vector<double> cached_queries(const dln_model *m) {
  std::vector<double> out;
  double buf[64];
  int64_t count = 0, depth = 0, rank = 0;
  REQUIRE_OK(dln_get_depth(m, &depth));
  REQUIRE_OK(dln_singular_values(m, buf, 64, &count));
  out.insert(out.end(), buf, buf + count);
  for (int64_t k = 1; k <= std::max<int64_t>(depth - 1, 1); ++k) {
    REQUIRE_OK(dln_bottleneck_singular_values(m, k, buf, 64, &count));
    out.insert(out.end(), buf, buf + count);
  }
  REQUIRE_OK(dln_query_rank(m, 1e-6, &rank));
  out.push_back(double(rank));
  double value = 0;
  REQUIRE_OK(dln_rank(m, 0, DLN_RANK_EFFECTIVE, 0, 0, &value));
  out.push_back(value);
  int64_t ranks[16];
  REQUIRE_OK(dln_bottleneck_ranks(m, 0, 1e-9, ranks, 16));
  out.insert(out.end(), ranks, ranks + std::max<int64_t>(depth - 1, 1));
  REQUIRE_OK(dln_balancedness(m, &value));
  out.push_back(value);
  REQUIRE_OK(dln_representation_cost(m, &value));
  out.push_back(value);
  REQUIRE_OK(dln_query_absorbed_rank(m, &rank));
  out.push_back(double(rank));
  double report[DLN_BR_REPORT_SIZE];
  REQUIRE_OK(dln_Br_report(m, 1, -1, -1, -1, report));
  out.insert(out.end(), report, report + DLN_BR_REPORT_SIZE);
  int inside = 0;
  REQUIRE_OK(dln_in_Br(m, 1, -1, 0.5, -1, &inside));
  out.push_back(inside);
  return out;
}

// The same queries on a handle that has never answered one: loaded from a
// checkpoint of the state, so nothing is cached.
std::vector<double> fresh_queries(const dln_model *m) {
  int64_t size = 0;
  REQUIRE_OK(dln_save_buffer(m, nullptr, 0, &size));
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  REQUIRE_OK(dln_save_buffer(m, bytes.data(), size, &size));
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_load_buffer(bytes.data(), size, &raw));
  ModelPtr copy(raw);
  return cached_queries(copy.get());
}

bool same(const std::vector<double> &a, const std::vector<double> &b) {  // NaN equals NaN
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i] || (std::isnan(a[i]) && std::isnan(b[i])))) return false;
  return true;
}

}  // namespace

TEST_CASE("cached queries of an unchanged state repeat, and no mutating call leaves a stale answer") {
  ModelPtr m = make_problem_model({5, 4, 4, 4, 6}, 20, 3, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.02));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.05));
  const std::vector<double> w1 = weights_of(m.get(), 1);
  const int64_t obs_rows[3] = {0, 1, 5}, obs_cols[3] = {0, 2, 4};
  const double obs_values[3] = {1.0, -2.0, 0.5};
  const int64_t batch[2] = {0, 1};
  const double phases[2] = {3, 0.25};
  std::vector<double> a0(30);
  for (size_t i = 0; i < a0.size(); ++i) a0[i] = std::cos(double(i));
  const std::vector<std::pair<const char *, std::function<int(dln_model *)>>> mutations = {
      {"dln_step", [](dln_model *x) { return dln_step(x, 3); }},
      {"dln_step_batch", [&](dln_model *x) { return dln_step_batch(x, 2, batch); }},
      {"dln_set_weights", [&](dln_model *x) {
         std::vector<double> w = w1;
         w[0] += 0.5;
         return dln_set_weights(x, 1, w.data());
       }},
      {"dln_init_weights", [](dln_model *x) {
         double s = 0.7;
         return dln_init_weights(x, DLN_INIT_GAUSSIAN, 1, &s);
       }},
      {"dln_init_balanced", [&](dln_model *x) { return dln_init_balanced(x, a0.data()); }},
      {"dln_set_observations", [&](dln_model *x) { return dln_set_observations(x, 3, obs_rows, obs_cols, obs_values); }},
      {"dln_set_param ridge", [](dln_model *x) { return dln_set_param(x, DLN_PARAM_RIDGE, 0.05); }},
      {"dln_set_param eps", [](dln_model *x) { return dln_set_param(x, DLN_PARAM_BR_EPS, 0.3); }},
      {"dln_set_param C", [](dln_model *x) { return dln_set_param(x, DLN_PARAM_BR_C, 1.0); }},
      {"dln_set_schedule", [&](dln_model *x) { return dln_set_schedule(x, DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, 2, phases); }},
      {"dln_set_step_count", [](dln_model *x) { return dln_set_step_count(x, 7); }},
      {"dln_set_seed", [](dln_model *x) { return dln_set_seed(x, 99); }},
      {"dln_clear_jumps", [](dln_model *x) { return dln_clear_jumps(x); }},
  };
  for (const auto &[name, mutate] : mutations) {
    CAPTURE(name);
    const std::vector<double> before = cached_queries(m.get());
    CHECK(same(cached_queries(m.get()), before));  // asked twice: the same answers
    REQUIRE_OK(mutate(m.get()));
    CHECK(same(cached_queries(m.get()), fresh_queries(m.get())));
  }
}
