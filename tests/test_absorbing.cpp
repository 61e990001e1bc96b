// SPEC §6: the absorbing sets B_r and the one-way rank jumps, checked on the
// dynamics themselves, not only on the formulas.
#include <algorithm>
#include <cmath>
#include <random>

#include "dense.hpp"
#include "support.hpp"

namespace {

// A noisy rank-`rank` n × n completion problem observing `fraction` of the entries.
struct Completion {
  std::vector<double> truth;  // the noiseless low-rank matrix
  Problem observed;
};

Completion noisy_low_rank(int64_t n, int64_t rank, double noise, double fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<double> u(static_cast<size_t>(n * rank)), v(static_cast<size_t>(n * rank));
  for (double &x : u) x = normal(rng);
  for (double &x : v) x = normal(rng);
  Completion c;
  c.truth.assign(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      for (int64_t k = 0; k < rank; ++k)
        c.truth[size_t(i * n + j)] += u[size_t(i * rank + k)] * v[size_t(j * rank + k)] / std::sqrt(double(rank));
      if (uniform(rng) < fraction) {
        c.observed.rows.push_back(i);
        c.observed.cols.push_back(j);
        c.observed.values.push_back(c.truth[size_t(i * n + j)] + noise * normal(rng));
      }
    }
  return c;
}

void observe(dln_model *m, const Problem &p) {
  REQUIRE_OK(dln_set_observations(m, int64_t(p.values.size()), p.rows.data(), p.cols.data(), p.values.data()));
}

// An aligned state of bottleneck rank r (balanced factorisation of a rank-r
// matrix), then every hidden space rotated by a random orthogonal matrix so
// that the subspace is not aligned with the coordinates.
void set_rotated_low_rank_state(dln_model *m, const std::vector<int64_t> &widths, const std::vector<double> &a0,
                                uint64_t seed) {
  REQUIRE_OK(dln_init_balanced(m, a0.data()));
  auto w = all_weights(m);
  const size_t L = w.size();
  std::vector<dense::Matrix> q(L + 1);
  for (size_t l = 1; l < L; ++l) q[l] = dense::random_orthogonal(widths[l], seed + l);
  for (size_t l = 1; l <= L; ++l) {  // W_ℓ ← Q_ℓ W_ℓ Q_{ℓ-1}^T
    int64_t rows = widths[l], cols = widths[l - 1];
    dense::Matrix x = w[l - 1];
    if (l < L) x = dense::multiply(q[l], x, rows, rows, cols);
    if (l > 1) x = dense::multiply(x, dense::transpose(q[l - 1], cols, cols), rows, cols, cols);
    REQUIRE_OK(dln_set_weights(m, int64_t(l), x.data()));
  }
}

std::vector<int64_t> bottleneck_ranks(dln_model *m, int64_t hidden, double rtol) {
  std::vector<int64_t> r(static_cast<size_t>(hidden));
  REQUIRE_OK(dln_bottleneck_ranks(m, 0.0, rtol, r.data(), hidden));
  return r;
}

double worst_sigma(dln_model *m, int64_t r) {
  double report[DLN_BR_REPORT_SIZE];
  REQUIRE_OK(dln_Br_report(m, r, -1, -1, -1, report));
  return report[DLN_BR_SIGMA];
}

}  // namespace

TEST_CASE("no SGD step raises a bottleneck rank, even on full-rank data") {
  // Claim (SPEC §5): the step maps range(W_k) + range(W_{k+1}^T) into itself.
  // 24 seeds × 3000 steps from rotated rank-2 states, on data from a full-rank
  // (rank 8) matrix; ranks read every 100 steps at rtol 1e-9.
  const std::vector<int64_t> widths = {8, 8, 8, 8, 8};
  Completion full = noisy_low_rank(8, 8, 0.1, 0.6, 1);
  Completion low = noisy_low_rank(8, 2, 0.0, 1.0, 2);
  int64_t checks = 0;
  for (uint64_t seed = 0; seed < 24; ++seed) {
    ModelPtr m = make_model(widths, seed);
    observe(m.get(), full.observed);
    set_rotated_low_rank_state(m.get(), widths, low.truth, 100 + seed);
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.02));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, seed % 2 ? 0.0 : 0.01));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(1 + seed % 4)));
    auto previous = bottleneck_ranks(m.get(), 3, 1e-9);
    for (int64_t r : previous) REQUIRE(r == 2);
    for (int chunk = 0; chunk < 30; ++chunk) {
      REQUIRE_OK(dln_step(m.get(), 100));
      auto now = bottleneck_ranks(m.get(), 3, 1e-9);
      for (size_t k = 0; k < now.size(); ++k) REQUIRE(now[k] <= previous[k]);
      previous = now;
      ++checks;
    }
  }
  MESSAGE(checks, " rank checks over 24 seeds x 3000 steps: no increase");
}

TEST_CASE("started inside B_r with eta and lambda in the safe range, SGD never leaves it") {
  // Safe range documented in docs/observables.md: eta <= 0.05, lambda in
  // [0.005, 0.05], batch 1-4, depth 4. The start is a rotated rank-2 fit plus a
  // perturbation of size 0.2 eps_0 in every direction; membership is checked
  // against the thresholds of the start (eps_0, C_0) every 200 steps.
  const std::vector<int64_t> widths = {10, 10, 10, 10, 10};
  Completion c = noisy_low_rank(10, 2, 0.05, 0.6, 3);
  int64_t runs = 0, checks = 0;
  for (double eta : {0.01, 0.05})
    for (double lambda : {0.005, 0.05})
      for (uint64_t seed = 0; seed < 6; ++seed) {
        ModelPtr m = make_model(widths, seed);
        observe(m.get(), c.observed);
        set_rotated_low_rank_state(m.get(), widths, c.truth, 7 + seed);
        REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, eta));
        REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, lambda));
        REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(1 + seed % 4)));
        double start[DLN_BR_REPORT_SIZE];
        REQUIRE_OK(dln_Br_report(m.get(), 2, -1, -1, -1, start));
        const double eps0 = start[DLN_BR_EPS], C0 = start[DLN_BR_C];
        // Perturb every weight by ±0.2 eps_0 / width (the bottleneck σ_3 stays below eps_0).
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> jitter(-1.0, 1.0);
        for (int64_t l = 1; l <= 4; ++l) {
          auto w = weights_of(m.get(), l);
          for (double &x : w) x += 0.2 * eps0 / 10.0 * jitter(rng);
          REQUIRE_OK(dln_set_weights(m.get(), l, w.data()));
        }
        int inside = 0;
        REQUIRE_OK(dln_in_Br(m.get(), 2, eps0, -1, C0, &inside));
        REQUIRE(inside == 1);
        for (int chunk = 0; chunk < 20; ++chunk) {
          REQUIRE_OK(dln_step(m.get(), 200));
          REQUIRE_OK(dln_in_Br(m.get(), 2, eps0, -1, C0, &inside));
          CAPTURE(eta);
          CAPTURE(lambda);
          CAPTURE(seed);
          REQUIRE(inside == 1);
          ++checks;
        }
        ++runs;
      }
  MESSAGE(runs, " runs x 4000 steps, ", checks, " membership checks: none left B_2");
}

TEST_CASE("where gradient descent stays at too high a rank, SGD with a larger eta jumps down and never up") {
  // Setting (docs/observables.md): 8 × 8 rank-1 target plus noise 0.3, half
  // observed, depth 4, width 8, lambda = 0.01. Full-batch GD (eta 0.05, 20000
  // steps from DLN_INIT_END_TO_END s = 1) settles at absorbed rank 2: it fits
  // one noise direction. From there GD stays at rank 2, while SGD with eta 0.2
  // falls to rank <= 1 in some seeds; the jump log shows only decreases.
  const std::vector<int64_t> widths = {8, 8, 8, 8, 8};
  Completion c = noisy_low_rank(8, 1, 0.3, 0.5, 5);
  ModelPtr gd = make_model(widths, 1);
  observe(gd.get(), c.observed);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(gd.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_set_param(gd.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(gd.get(), DLN_PARAM_LEARNING_RATE, 0.05));
  REQUIRE_OK(dln_set_param(gd.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_FULL_BATCH));
  REQUIRE_OK(dln_step(gd.get(), 20000));
  int64_t start_rank = 0;
  REQUIRE_OK(dln_query_absorbed_rank(gd.get(), &start_rank));
  REQUIRE(start_rank == 2);

  dln_model *raw = nullptr;
  REQUIRE_OK(dln_clone(gd.get(), &raw));
  ModelPtr more_gd(raw);
  REQUIRE_OK(dln_step(more_gd.get(), 20000));
  int64_t gd_rank = 0;
  REQUIRE_OK(dln_query_absorbed_rank(more_gd.get(), &gd_rank));
  CHECK(gd_rank == 2);

  int jumped = 0;
  const int seeds = 8;
  for (int seed = 0; seed < seeds; ++seed) {
    REQUIRE_OK(dln_clone(gd.get(), &raw));
    ModelPtr sgd(raw);
    REQUIRE_OK(dln_set_seed(sgd.get(), uint64_t(100 + seed)));
    REQUIRE_OK(dln_set_param(sgd.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
    REQUIRE_OK(dln_set_param(sgd.get(), DLN_PARAM_LEARNING_RATE, 0.2));
    REQUIRE_OK(dln_set_param(sgd.get(), DLN_PARAM_JUMP_INTERVAL, 250));
    REQUIRE_OK(dln_step(sgd.get(), 40000));
    int64_t rank = 0, count = 0;
    REQUIRE_OK(dln_query_absorbed_rank(sgd.get(), &rank));
    CHECK(rank <= 2);
    REQUIRE_OK(dln_jump_count(sgd.get(), &count));
    std::vector<int64_t> records(static_cast<size_t>(count * DLN_JUMP_RECORD_SIZE));
    REQUIRE_OK(dln_get_jumps(sgd.get(), 0, count, records.data()));
    for (int64_t j = 0; j < count; ++j) {
      const int64_t *r = records.data() + j * DLN_JUMP_RECORD_SIZE;
      CHECK(r[DLN_JUMP_AFTER] < r[DLN_JUMP_BEFORE]);
      CHECK(r[DLN_JUMP_STEP] % 250 == 0);
    }
    if (rank < 2) ++jumped;
  }
  MESSAGE("SGD jumped below the GD rank 2 in ", jumped, " of ", seeds, " seeds; GD stayed at ", gd_rank);
  CHECK(jumped >= 1);
}

TEST_CASE("the jump log records a decrease with its step, and nothing when checks are off") {
  // Weight decay on a rank-1 target kills the random modes one after another.
  ModelPtr m = make_model({6, 6, 6, 6, 6}, 3);
  Completion c = noisy_low_rank(6, 1, 0.0, 1.0, 4);
  observe(m.get(), c.observed);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.05));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.1));
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_clone(m.get(), &raw));
  ModelPtr silent(raw);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 10));
  REQUIRE_OK(dln_step(m.get(), 2000));
  REQUIRE_OK(dln_step(silent.get(), 2000));
  CHECK(all_weights(m.get()) == all_weights(silent.get()));  // checks never change the run
  int64_t count = 0;
  REQUIRE_OK(dln_jump_count(silent.get(), &count));
  CHECK(count == 0);
  REQUIRE_OK(dln_jump_count(m.get(), &count));
  REQUIRE(count >= 1);
  std::vector<int64_t> records(static_cast<size_t>(count * DLN_JUMP_RECORD_SIZE));
  REQUIRE_OK(dln_get_jumps(m.get(), 0, count, records.data()));
  bool absorbed_seen = false;
  for (int64_t j = 0; j < count; ++j) {
    const int64_t *r = records.data() + j * DLN_JUMP_RECORD_SIZE;
    CHECK(r[DLN_JUMP_AFTER] < r[DLN_JUMP_BEFORE]);
    CHECK(r[DLN_JUMP_STEP] % 10 == 0);
    absorbed_seen = absorbed_seen || r[DLN_JUMP_KIND] == DLN_JUMP_ABSORBED;
  }
  CHECK(absorbed_seen);
  int64_t absorbed = 0;
  REQUIRE_OK(dln_query_absorbed_rank(m.get(), &absorbed));
  CHECK(absorbed == records[size_t((count - 1) * DLN_JUMP_RECORD_SIZE + DLN_JUMP_AFTER)]);
  REQUIRE_OK(dln_clear_jumps(m.get()));
  REQUIRE_OK(dln_jump_count(m.get(), &count));
  CHECK(count == 0);
}

TEST_CASE("B_r membership follows its three conditions and the default thresholds of SPEC 6") {
  const std::vector<int64_t> widths = {6, 5, 5, 5, 7};
  Completion c = noisy_low_rank(7, 2, 0.1, 0.8, 9);  // 7 × 7; only the first 6 columns are used
  Problem p;
  for (size_t k = 0; k < c.observed.values.size(); ++k)
    if (c.observed.cols[k] < 6) {
      p.rows.push_back(c.observed.rows[k]);
      p.cols.push_back(c.observed.cols[k]);
      p.values.push_back(c.observed.values[k]);
    }
  ModelPtr m = make_model(widths, 2);
  observe(m.get(), p);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.02));
  double report[DLN_BR_REPORT_SIZE];
  REQUIRE_OK(dln_Br_report(m.get(), 1, -1, -1, -1, report));
  // ρ = max(2 max|r|, max|y|) with r from a dense A; ε = ½ (λ/ρ)^{1/(L−2)}; C = 4‖θ‖².
  auto a = dense::end_to_end(all_weights(m.get()), widths);
  double rmax = 0, ymax = 0;
  for (size_t k = 0; k < p.values.size(); ++k) {
    rmax = std::max(rmax, std::fabs(a[size_t(p.rows[k] * 6 + p.cols[k])] - p.values[k]));
    ymax = std::max(ymax, std::fabs(p.values[k]));
  }
  double rho = std::max(2 * rmax, ymax);
  CHECK(report[DLN_BR_RHO] == doctest::Approx(rho).epsilon(1e-12));
  CHECK(report[DLN_BR_EPS] == doctest::Approx(0.5 * std::sqrt(0.02 / rho)).epsilon(1e-12));
  CHECK(report[DLN_BR_C] == doctest::Approx(4 * report[DLN_BR_NORM2]).epsilon(1e-15));
  CHECK(std::isinf(report[DLN_BR_DELTA]));
  // The σ condition: r = (count of σ(M_k) > ε) is the first r inside.
  int64_t absorbed = 0;
  REQUIRE_OK(dln_query_absorbed_rank(m.get(), &absorbed));
  int inside = 0;
  REQUIRE_OK(dln_in_Br(m.get(), absorbed, -1, -1, -1, &inside));
  CHECK(inside == 1);
  if (absorbed > 0) {
    REQUIRE_OK(dln_in_Br(m.get(), absorbed - 1, -1, -1, -1, &inside));
    CHECK(inside == 0);
  }
  CHECK(worst_sigma(m.get(), absorbed) <= report[DLN_BR_EPS]);
  // The bound and the balancedness conditions bite when asked to.
  REQUIRE_OK(dln_in_Br(m.get(), 5, -1, -1, 0.5 * report[DLN_BR_NORM2], &inside));
  CHECK(inside == 0);
  REQUIRE_OK(dln_in_Br(m.get(), 5, -1, 0.5 * report[DLN_BR_BALANCE], -1, &inside));
  CHECK(inside == 0);
  REQUIRE_OK(dln_in_Br(m.get(), 5, -1, 2.0 * report[DLN_BR_BALANCE], -1, &inside));
  CHECK(inside == 1);
}
