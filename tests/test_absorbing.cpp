// math §6: the absorbing sets B_r and the one-way rank jumps, checked on the
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

// A noisy rank-`rank` n × m completion problem observing `fraction` of the entries.
Completion noisy_low_rank(int64_t n, int64_t m, int64_t rank, double noise, double fraction, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<double> u(static_cast<size_t>(n * rank)), v(static_cast<size_t>(m * rank));
  for (double &x : u) x = normal(rng);
  for (double &x : v) x = normal(rng);
  Completion c;
  c.truth.assign(static_cast<size_t>(n * m), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      for (int64_t k = 0; k < rank; ++k)
        c.truth[size_t(i * m + j)] += u[size_t(i * rank + k)] * v[size_t(j * rank + k)] / std::sqrt(double(rank));
      if (uniform(rng) < fraction) {
        c.observed.rows.push_back(i);
        c.observed.cols.push_back(j);
        c.observed.values.push_back(c.truth[size_t(i * m + j)] + noise * normal(rng));
      }
    }
  return c;
}

Completion noisy_low_rank(int64_t n, int64_t rank, double noise, double fraction, uint64_t seed) {
  return noisy_low_rank(n, n, rank, noise, fraction, seed);
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
  // Claim (math §5): the step maps range(W_k) + range(W_{k+1}^T) into itself.
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

TEST_CASE("B_r membership follows its three conditions and the fixed default thresholds of math 6") {
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
  // Fixed thresholds (math §6): ρ = max|y|, ε = ½ (λ/ρ)^{1/(L−2)}, C = 4 mean(y²)/λ;
  // the premise compares max|r| (r from a dense A) with ρ.
  auto a = dense::end_to_end(all_weights(m.get()), widths);
  double rmax = 0, ymax = 0, y2 = 0;
  for (size_t k = 0; k < p.values.size(); ++k) {
    rmax = std::max(rmax, std::fabs(a[size_t(p.rows[k] * 6 + p.cols[k])] - p.values[k]));
    ymax = std::max(ymax, std::fabs(p.values[k]));
    y2 += p.values[k] * p.values[k];
  }
  y2 /= double(p.values.size());
  CHECK(report[DLN_BR_RHO] == ymax);
  CHECK(report[DLN_BR_EPS] == doctest::Approx(0.5 * std::pow(0.02 / ymax, 1.0 / 2.0)).epsilon(1e-14));
  CHECK(report[DLN_BR_C] == doctest::Approx(4 * y2 / 0.02).epsilon(1e-14));
  CHECK(report[DLN_BR_MAX_RESIDUAL] == doctest::Approx(rmax).epsilon(1e-12));
  CHECK(report[DLN_BR_PREMISE] == (rmax <= ymax ? 1.0 : 0.0));
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
  REQUIRE_OK(dln_in_Br(m.get(), 5, -1, -1, 2.0 * report[DLN_BR_NORM2], &inside));
  CHECK(inside == 1);
  REQUIRE_OK(dln_in_Br(m.get(), 5, -1, 0.5 * report[DLN_BR_BALANCE], -1, &inside));
  CHECK(inside == 0);
  REQUIRE_OK(dln_in_Br(m.get(), 5, -1, 2.0 * report[DLN_BR_BALANCE], -1, &inside));
  CHECK(inside == 1);
}

TEST_CASE("the thresholds of B_r are fixed: they do not move with the state") {
  // Two very different states of one problem share ρ, ε, δ and C (math §6).
  const std::vector<int64_t> widths = {6, 5, 5, 5, 6};
  Completion c = noisy_low_rank(6, 2, 0.1, 0.7, 11);
  ModelPtr m = make_model(widths, 4);
  observe(m.get(), c.observed);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  double before[DLN_BR_REPORT_SIZE], after[DLN_BR_REPORT_SIZE];
  double s = 0.3;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_Br_report(m.get(), 1, -1, -1, -1, before));
  s = 3.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_Br_report(m.get(), 1, -1, -1, -1, after));
  CHECK(before[DLN_BR_MAX_RESIDUAL] != after[DLN_BR_MAX_RESIDUAL]);
  for (int f : {DLN_BR_RHO, DLN_BR_EPS, DLN_BR_DELTA, DLN_BR_C}) CHECK(before[f] == after[f]);
  // They follow the ridge in force: a schedule that halves λ moves ε and C.
  const double phases[2] = {10, 0.5};
  REQUIRE_OK(dln_set_schedule(m.get(), DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, 2, phases));
  REQUIRE_OK(dln_set_step_count(m.get(), 10));
  REQUIRE_OK(dln_Br_report(m.get(), 1, -1, -1, -1, after));
  CHECK(after[DLN_BR_EPS] == doctest::Approx(before[DLN_BR_EPS] * std::pow(0.5, 1.0 / 2.0)).epsilon(1e-14));
  CHECK(after[DLN_BR_C] == doctest::Approx(2 * before[DLN_BR_C]).epsilon(1e-14));
}

TEST_CASE("rho, eps, delta and C are handle options: a caller's number or the default") {
  const std::vector<int64_t> widths = {6, 5, 5, 5, 6};
  Completion c = noisy_low_rank(6, 2, 0.1, 0.7, 12);
  ModelPtr m = make_model(widths, 4);
  observe(m.get(), c.observed);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  double v = 0, report[DLN_BR_REPORT_SIZE], defaults[DLN_BR_REPORT_SIZE];
  for (int p : {DLN_PARAM_BR_RHO, DLN_PARAM_BR_EPS, DLN_PARAM_BR_DELTA, DLN_PARAM_BR_C}) {
    REQUIRE_OK(dln_get_param(m.get(), p, &v));
    CHECK(v == -1.0);  // "default"
  }
  REQUIRE_OK(dln_Br_report(m.get(), 2, -1, -1, -1, defaults));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BR_RHO, 8.0));
  REQUIRE_OK(dln_Br_report(m.get(), 2, -1, -1, -1, report));
  CHECK(report[DLN_BR_RHO] == 8.0);
  CHECK(report[DLN_BR_EPS] == doctest::Approx(0.5 * std::pow(0.01 / 8.0, 1.0 / 2.0)).epsilon(1e-14));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BR_EPS, 0.125));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BR_DELTA, 3.0));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BR_C, 50.0));
  REQUIRE_OK(dln_Br_report(m.get(), 2, -1, -1, -1, report));
  CHECK(report[DLN_BR_EPS] == 0.125);
  CHECK(report[DLN_BR_DELTA] == 3.0);
  CHECK(report[DLN_BR_C] == 50.0);
  // An explicit argument of dln_in_Br / dln_Br_report wins over the option.
  REQUIRE_OK(dln_Br_report(m.get(), 2, 0.25, 4.0, 60.0, report));
  CHECK(report[DLN_BR_EPS] == 0.25);
  CHECK(report[DLN_BR_DELTA] == 4.0);
  CHECK(report[DLN_BR_C] == 60.0);
  // Any negative value restores the default; it reads back as -1.
  for (int p : {DLN_PARAM_BR_RHO, DLN_PARAM_BR_EPS, DLN_PARAM_BR_DELTA, DLN_PARAM_BR_C}) {
    REQUIRE_OK(dln_set_param(m.get(), p, -0.5));
    REQUIRE_OK(dln_get_param(m.get(), p, &v));
    CHECK(v == -1.0);
  }
  REQUIRE_OK(dln_Br_report(m.get(), 2, -1, -1, -1, report));
  for (int f : {DLN_BR_RHO, DLN_BR_EPS, DLN_BR_DELTA, DLN_BR_C}) CHECK(report[f] == defaults[f]);
  // They travel with the state.
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BR_EPS, 0.0625));
  int64_t size = 0;
  REQUIRE(dln_save_buffer(m.get(), nullptr, 0, &size) == DLN_OK);
  std::vector<unsigned char> bytes(static_cast<size_t>(size));
  REQUIRE_OK(dln_save_buffer(m.get(), bytes.data(), size, &size));
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_load_buffer(bytes.data(), size, &raw));
  ModelPtr copy(raw);
  REQUIRE_OK(dln_get_param(copy.get(), DLN_PARAM_BR_EPS, &v));
  CHECK(v == 0.0625);
  REQUIRE_OK(dln_get_param(copy.get(), DLN_PARAM_BR_C, &v));
  CHECK(v == -1.0);
}

TEST_CASE("a state in no B_r has absorbed rank one above every possible rank") {
  const std::vector<int64_t> widths = {6, 5, 4, 5, 6};
  Completion c = noisy_low_rank(6, 2, 0.1, 0.7, 13);
  ModelPtr m = make_model(widths, 4);
  observe(m.get(), c.observed);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  double norm2 = 0;
  REQUIRE_OK(dln_weight_norm2(m.get(), &norm2));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BR_C, 0.5 * norm2));
  int64_t rank = 0;
  REQUIRE_OK(dln_query_absorbed_rank(m.get(), &rank));
  CHECK(rank == 6);  // M_k has at most min(n_k, n_{k-1} + n_{k+1}) = 5 values
}

namespace {

// The definition of the first version of math §6, kept here only to show
// why it was replaced: ρ_t = max(2 max|r|, max|y|) and ε_t from it at the
// current θ (C = 4‖θ‖² was always satisfied, δ = ∞).
int64_t absorbed_rank_with_moving_eps(dln_model *m, double lambda, int64_t depth) {
  double report[DLN_BR_REPORT_SIZE];
  REQUIRE_OK(dln_Br_report(m, 0, -1, -1, -1, report));
  const double rho = std::max(2 * report[DLN_BR_MAX_RESIDUAL], report[DLN_BR_RHO]);
  const double eps = 0.5 * std::pow(lambda / rho, 1.0 / double(depth - 2));
  int64_t rank = 0;
  for (int64_t k = 1; k < depth; ++k) {
    double sigma[64];
    int64_t count = 0;
    REQUIRE_OK(dln_bottleneck_singular_values(m, k, sigma, 64, &count));
    rank = std::max<int64_t>(rank, std::count_if(sigma, sigma + count, [&](double x) { return x > eps; }));
  }
  return rank;
}

}  // namespace

TEST_CASE("from a rank-overestimating GD minimum, SGD jumps down and the absorbed rank never rises") {
  // Noisy rank-2 16 × 12 completion, half observed, depth 4, width 10,
  // λ = 5e-3. Full-batch GD (η = 0.05, 20000 steps) stops at absorbed rank 3:
  // it fits a noise direction. 32 SGD seeds at each of η = 0.08 and 0.09
  // (b = 1; η = 0.07 never jumps, η = 0.09 diverges now and then) from there,
  // checked every 100 steps by the rank-change log for 100 000 steps: no
  // increase of the absorbed rank while the premise holds, and some seeds
  // fall to rank 2. The same trajectories, classified with the first
  // version's moving ε, show rises: that definition could not express the
  // one-way property.
  const std::vector<int64_t> widths = {12, 10, 10, 10, 16};
  const double lambda = 5e-3;
  Completion c = noisy_low_rank(16, 12, 2, 0.3, 0.5, 2);
  ModelPtr gd = make_model(widths, 1);
  observe(gd.get(), c.observed);
  double s = 1.0;
  REQUIRE_OK(dln_init_weights(gd.get(), DLN_INIT_END_TO_END, 1, &s));
  REQUIRE_OK(dln_set_param(gd.get(), DLN_PARAM_RIDGE, lambda));
  REQUIRE_OK(dln_set_param(gd.get(), DLN_PARAM_LEARNING_RATE, 0.05));
  REQUIRE_OK(dln_set_param(gd.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_FULL_BATCH));
  REQUIRE_OK(dln_step(gd.get(), 20000));
  int64_t start = 0;
  REQUIRE_OK(dln_query_absorbed_rank(gd.get(), &start));
  REQUIRE(start == 3);
  double report[DLN_BR_REPORT_SIZE];
  REQUIRE_OK(dln_Br_report(gd.get(), start, -1, -1, -1, report));
  REQUIRE(report[DLN_BR_PREMISE] == 1.0);

  int jumped = 0, rises = 0, rises_without_premise = 0, moving_rises = 0, diverged = 0;
  int64_t decreases = 0, checks = 0;
  const int seeds = 32;
  for (double eta : {0.08, 0.09})
  for (int seed = 0; seed < seeds; ++seed) {
    dln_model *raw = nullptr;
    REQUIRE_OK(dln_clone(gd.get(), &raw));
    ModelPtr sgd(raw);
    REQUIRE_OK(dln_set_seed(sgd.get(), uint64_t(100 + seed)));
    REQUIRE_OK(dln_set_param(sgd.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
    REQUIRE_OK(dln_set_param(sgd.get(), DLN_PARAM_LEARNING_RATE, eta));
    REQUIRE_OK(dln_set_param(sgd.get(), DLN_PARAM_JUMP_INTERVAL, 100));
    int64_t last_moving = -1;
    bool ok = true;
    for (int chunk = 0; chunk < 1000 && ok; ++chunk) {
      int status = dln_step(sgd.get(), 100);
      if (status == DLN_ERR_DIVERGED) ok = false, ++diverged;
      else REQUIRE_OK(status);
      const int64_t moving = absorbed_rank_with_moving_eps(sgd.get(), lambda, 4);
      if (last_moving >= 0 && moving > last_moving) ++moving_rises;
      last_moving = moving;
      ++checks;
    }
    int64_t count = 0;
    REQUIRE_OK(dln_rank_change_count(sgd.get(), &count));
    std::vector<double> records(static_cast<size_t>(count * DLN_CHANGE_RECORD_SIZE));
    REQUIRE_OK(dln_get_rank_changes(sgd.get(), 0, count, records.data()));
    for (int64_t j = 0; j < count; ++j) {
      const double *r = records.data() + j * DLN_CHANGE_RECORD_SIZE;
      if (r[DLN_CHANGE_KIND] != double(DLN_JUMP_ABSORBED)) continue;
      CHECK(std::fmod(r[DLN_CHANGE_STEP], 100.0) == 0.0);
      if (r[DLN_CHANGE_AFTER] < r[DLN_CHANGE_BEFORE]) {
        ++decreases;
        CHECK(r[DLN_CHANGE_SIGMA] <= r[DLN_CHANGE_THRESHOLD]);  // σ_{after+1} is now below ε
      } else if (r[DLN_CHANGE_PREMISE] == 1.0) {
        ++rises;
      } else {
        ++rises_without_premise;
      }
    }
    int64_t rank = 0;
    REQUIRE_OK(dln_query_absorbed_rank(sgd.get(), &rank));
    if (rank < start) ++jumped;
  }
  MESSAGE((2 * seeds), " runs x 100000 steps, ", checks, " checks every 100 steps: ", jumped,
          " seeds ended below rank ", start, ", ", decreases, " decreases, ", rises,
          " rises with the premise (", rises_without_premise, " without), ", diverged,
          " diverged; moving-eps rises: ", moving_rises);
  CHECK(rises == 0);
  CHECK(jumped >= 1);
  CHECK(moving_rises >= 1);
}
