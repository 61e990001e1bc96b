// Benchmarks of issue 11 (math §8, batches and full-batch gradient descent):
//
//   gd       full-batch GD (DLN_SAMPLER_FULL_BATCH) at (target, width, N) =
//            (64², 64, 2000), (256², 256, 20000), (2000², 32, 40000),
//            (10⁵ × 10⁵, 64, 10⁶)
//   batch    mini-batches b = 4, 16, 64, 256 on a w × w target with 4096
//            observations, w = 64, 256, 1024, beside b = 1 on the same problem
//
// each beside the formulation's own gemm limit: the BLIS gemm calls of the
// formulation dlnsgd chose (dln_last_step_formulation), on the same shapes
// (p distinct columns, q distinct rows of a batch drawn like the sampler's),
// through the same strides, timed alone. Depth 4, widths {m, w, w, w, n},
// DLN_INIT_END_TO_END s = 1, η = 1e-3 (10⁻² for GD), λ = 1e-4.
//
// Paired and alternated: inside every repeat, dlnsgd, the gemm limit (and b = 1)
// run back to back, each for about --seconds; the per-repeat ratios have the
// machine's drift cancelled and the medians of those are reported. One thread:
// this thread's CPU clock (the machine is shared); two threads: wall clock
// (BLIS's OpenMP worker is not on this thread's clock). JSON lines on stdout.
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <utility>
#include <random>
#include <string>
#include <vector>

#include "blis.h"
#include <omp.h>
#include "dlnsgd.h"
#include "gemm_policy.hpp"
#include "helper_team.hpp"

namespace {

constexpr int64_t kDepth = 4, kPlantedRank = 3;

[[noreturn]] void die(const char *what, int status, const dln_model *model) {
  std::fprintf(stderr, "bench_batch: %s failed: %s: %s\n", what, dln_status_name(status), dln_last_error(model));
  std::exit(2);
}
#define DLN_CHECK(call, model)                         \
  do {                                                 \
    int status_ = (call);                              \
    if (status_ != DLN_OK) die(#call, status_, model); \
  } while (0)

struct ModelDeleter {
  void operator()(dln_model *m) const { dln_destroy(m); }
};
using ModelPtr = std::unique_ptr<dln_model, ModelDeleter>;

struct Problem {
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
};

// `count` distinct-or-not entries of a planted rank-3 target U Vᵀ/√3.
Problem planted(int64_t n, int64_t m, int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::vector<double> U(size_t(n * kPlantedRank)), V(size_t(m * kPlantedRank));
  for (double &x : U) x = gauss(rng);
  for (double &x : V) x = gauss(rng);
  std::uniform_int_distribution<int64_t> row(0, n - 1), col(0, m - 1);
  Problem p;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t i = row(rng), j = col(rng);
    double y = 0.0;
    for (int64_t r = 0; r < kPlantedRank; ++r) y += U[size_t(i * kPlantedRank + r)] * V[size_t(j * kPlantedRank + r)];
    p.rows.push_back(i);
    p.cols.push_back(j);
    p.values.push_back(y / std::sqrt(double(kPlantedRank)));
  }
  return p;
}

ModelPtr make_model(int64_t n, int64_t m, int64_t w, const Problem &obs, double eta, int64_t threads) {
  const int64_t widths[kDepth + 1] = {m, w, w, w, n};
  dln_model *raw = nullptr;
  DLN_CHECK(dln_create(kDepth, widths, 1, &raw), nullptr);
  ModelPtr model(raw);
  DLN_CHECK(dln_set_observations(raw, int64_t(obs.values.size()), obs.rows.data(), obs.cols.data(), obs.values.data()),
            raw);
  const double s = 1.0;
  DLN_CHECK(dln_init_weights(raw, DLN_INIT_END_TO_END, 1, &s), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_LEARNING_RATE, eta), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_RIDGE, 1e-4), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_THREADS, double(threads)), raw);
  return model;
}

double now(int64_t threads) {
  timespec ts{};
  clock_gettime(threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// CPU seconds of all threads of the process, and wall seconds: their ratio
// while dlnsgd steps is how many cores it kept busy.
double process_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
double wall_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// The gemms of one step of the formulation, on the model's shapes, with the
// strides src/formulation_*.cpp pass. Rows/columns (and chains, p = q = b):
// per inner layer ℓ = 2, 3 (w × w): F_ℓ = V_ℓ F_{ℓ-1} (p columns), B_{ℓ-1} =
// V_ℓᵀ B_ℓ (q columns), V_ℓ += c X Yᵀ with inner dimension min(p, q). Dense
// block (formulation_dense_block.cpp): F_2, F_3, A_IJ = W_4[I, :] F_3,
// Δ_3 = W_4[I, :]ᵀ R, Δ_2, Δ_1, R F_3ᵀ, V_3 += c Δ_3 F_2ᵀ, V_2 += c Δ_2 F_1ᵀ.
struct GemmLimit {
  int64_t w, p, q, threads;
  bool dense, sparse;
  std::vector<double> V2, V3, F1, F2, F3, B3, B2, B1, X, R, A;
  dln::GemmRuntimes runtimes;  // as src/exec_context.cpp
  std::unique_ptr<dln::HelperTeam> team;  // started on the first split run
  GemmLimit(int64_t width, int64_t p_, int64_t q_, int64_t threads_, int formulation)
      : w(width), p(p_), q(q_), threads(threads_), dense(formulation == DLN_FORMULATION_DENSE_BLOCK),
        sparse(formulation == DLN_FORMULATION_SPARSE_BLOCK), V2(size_t(w * w), 0.01), V3(size_t(w * w), -0.01),
        F1(size_t(w * p), 1.0), F2(size_t(w * p)), F3(size_t(w * p)), B3(size_t(w * std::max(p, q)), 1.0),
        B2(size_t(w * std::max(p, q))), B1(size_t(w * std::max(p, q))), X(size_t(w * std::max(p, q)), 1e-9),
        R(dense ? size_t(p * q) : 0, 1e-9), A(dense ? size_t(p * q) : 0), runtimes(threads_) {}
  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, double *a, int64_t rsa, int64_t csa,
            double *b, int64_t rsb, int64_t csb, double beta, double *c, int64_t rsc, int64_t csc) {
    // Threads and BLIS path by shape, as src/exec_context.cpp (src/gemm_policy.hpp).
    bli_dgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha, a,
                 rsa, csa, b, rsb, csb, &beta, c, rsc, csc, nullptr,
                 runtimes.for_shape(dln::gemm_shape(ta, tb, double(m), double(n), double(k), rsa, csa, rsb, csb, csc)));
  }
  // The dense block split over the threads (src/gemm_policy.hpp,
  // formulation_dense_block.cpp): one part per thread, by columns through
  // the chains, by rows for the gradients, each part on one thread by the
  // path of the whole product, in the same two runs of two phases on the
  // library's kind of helper threads (src/helper_team.cpp).
  bool in_parts() const {
    const double largest = double(w) * double(w) * double(p) * std::max(1.0, double(q) / double(w));
    const double all = 3.0 * (2.0 * double(w) * double(w) + double(q) * double(w)) * double(p);
    return dense && dln::step_runs_in_parts(threads, largest, all, p, q);
  }
  void part(const dln::GemmShape &whole, bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, double *a,
            int64_t rsa, int64_t csa, double *b, int64_t rsb, int64_t csb, double beta, double *c, int64_t rsc,
            int64_t csc) {
    bli_dgemm_ex(ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k, &alpha, a,
                 rsa, csa, b, rsb, csb, &beta, c, rsc, csc, nullptr, runtimes.serial_for_shape(whole));
  }
  std::pair<int64_t, int64_t> span(int64_t count, int64_t k) const {
    return {count * k / threads, count * (k + 1) / threads};
  }
  void forward_part(int64_t k) {
    const auto fwd = dln::gemm_shape(false, false, double(w), double(p), double(w), w, 1, 1, w, w);
    const auto [c0, c1] = span(p, k);
    part(fwd, false, false, w, c1 - c0, w, 1.0, V2.data(), w, 1, F1.data() + c0 * w, 1, w, 0.0, F2.data() + c0 * w, 1, w);
    part(fwd, false, false, w, c1 - c0, w, 1.0, V3.data(), w, 1, F2.data() + c0 * w, 1, w, 0.0, F3.data() + c0 * w, 1, w);
  }
  void block_part(int64_t k) {
    const auto block = dln::gemm_shape(false, false, double(q), double(p), double(w), w, 1, 1, w, q);
    const auto [c0, c1] = span(p, k);
    part(block, false, false, q, c1 - c0, w, 1.0, X.data(), w, 1, F3.data() + c0 * w, 1, w, 0.0, A.data() + c0 * q, 1, q);
  }
  void backward_part(int64_t k) {
    const auto bwd = dln::gemm_shape(false, false, double(w), double(p), double(w), 1, w, 1, w, w);
    const auto first = dln::gemm_shape(true, false, double(w), double(p), double(q), w, 1, 1, q, w);
    const auto [c0, c1] = span(p, k);
    part(first, true, false, w, c1 - c0, q, 1.0, X.data(), w, 1, R.data() + c0 * q, 1, q, 0.0, B3.data() + c0 * w, 1, w);
    part(bwd, false, false, w, c1 - c0, w, 1.0, V3.data(), 1, w, B3.data() + c0 * w, 1, w, 0.0, B2.data() + c0 * w, 1, w);
    part(bwd, false, false, w, c1 - c0, w, 1.0, V2.data(), 1, w, B2.data() + c0 * w, 1, w, 0.0, B1.data() + c0 * w, 1, w);
  }
  void gradient_part(int64_t k) {
    const auto grad = dln::gemm_shape(false, true, double(w), double(w), double(p), 1, w, 1, w, 1);
    const auto last = dln::gemm_shape(false, true, double(q), double(w), double(p), 1, q, 1, w, 1);
    const auto [r0, r1] = span(w, k);
    part(grad, false, true, r1 - r0, w, p, 1e-12, B3.data() + r0, 1, w, F2.data(), 1, w, 1.0, V3.data() + r0 * w, w, 1);
    part(grad, false, true, r1 - r0, w, p, 1e-12, B2.data() + r0, 1, w, F1.data(), 1, w, 1.0, V2.data() + r0 * w, w, 1);
    const auto [q0, q1] = span(q, k);
    part(last, false, true, q1 - q0, w, p, 1.0, R.data() + q0, 1, q, F3.data(), 1, w, 0.0, X.data() + q0 * w, w, 1);
  }
  void run_in_parts() {
    if (!team) team = std::make_unique<dln::HelperTeam>(threads - 1);
    auto forward = [&](int64_t k) { forward_part(k); };
    auto block = [&](int64_t k) { block_part(k); };
    auto backward = [&](int64_t k) { backward_part(k); };
    auto gradient = [&](int64_t k) { gradient_part(k); };
    team->in_two_phases(threads, forward, block);
    team->in_two_phases(threads, backward, gradient);
  }
  void run() {
    if (in_parts()) return run_in_parts();
    // The sparse block keeps F_1 and Δ_1 by rows (StepPlan::first_rows).
    const int64_t first_rs = sparse ? p : 1, first_cs = sparse ? 1 : w;
    gemm(false, false, w, p, w, 1.0, V2.data(), w, 1, F1.data(), first_rs, first_cs, 0.0, F2.data(), 1, w);
    gemm(false, false, w, p, w, 1.0, V3.data(), w, 1, F2.data(), 1, w, 0.0, F3.data(), 1, w);
    if (dense) {
      double *rows = X.data();  // W_4[I, :], q × w row-major; then R F_3ᵀ
      gemm(false, false, q, p, w, 1.0, rows, w, 1, F3.data(), 1, w, 0.0, A.data(), 1, q);
      gemm(true, false, w, p, q, 1.0, rows, w, 1, R.data(), 1, q, 0.0, B3.data(), 1, w);
      gemm(false, false, w, p, w, 1.0, V3.data(), 1, w, B3.data(), 1, w, 0.0, B2.data(), 1, w);
      gemm(false, false, w, p, w, 1.0, V2.data(), 1, w, B2.data(), 1, w, 0.0, B1.data(), 1, w);
      gemm(false, true, q, w, p, 1.0, R.data(), 1, q, F3.data(), 1, w, 0.0, rows, w, 1);
      gemm(false, true, w, w, p, 1e-12, B3.data(), 1, w, F2.data(), 1, w, 1.0, V3.data(), w, 1);
      gemm(false, true, w, w, p, 1e-12, B2.data(), 1, w, F1.data(), 1, w, 1.0, V2.data(), w, 1);
      return;
    }
    if (sparse) {  // the residuals backpropagated over the p columns
      gemm(false, false, w, p, w, 1.0, V3.data(), 1, w, B3.data(), 1, w, 0.0, B2.data(), 1, w);
      gemm(false, false, w, p, w, 1.0, V2.data(), 1, w, B2.data(), 1, w, 0.0, B1.data(), first_rs, first_cs);
      gemm(false, true, w, w, p, 1e-12, B3.data(), 1, w, F2.data(), 1, w, 1.0, V3.data(), w, 1);
      gemm(false, true, w, w, p, 1e-12, B2.data(), 1, w, F1.data(), first_rs, first_cs, 1.0, V2.data(), w, 1);
      return;
    }
    gemm(false, false, w, q, w, 1.0, V3.data(), 1, w, B3.data(), 1, w, 0.0, B2.data(), 1, w);
    gemm(false, false, w, q, w, 1.0, V2.data(), 1, w, B2.data(), 1, w, 0.0, B1.data(), 1, w);
    const int64_t k = std::min(p, q);
    gemm(false, true, w, w, k, 1e-12, X.data(), 1, w, (p <= q ? F2 : B3).data(), 1, w, 1.0, V3.data(), w, 1);
    gemm(false, true, w, w, k, 1e-12, X.data(), 1, w, (p <= q ? F1 : B2).data(), 1, w, 1.0, V2.data(), w, 1);
  }
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? NAN : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// Steps per call so that one call is ~`seconds` / 4 (from one timed step).
int64_t calibrate(dln_model *m, double seconds, int64_t threads) {
  const double t0 = now(threads);
  DLN_CHECK(dln_step(m, 1), m);
  const double dt = std::max(now(threads) - t0, 1e-7);
  return std::clamp<int64_t>(int64_t(seconds / 4.0 / dt), 1, 1 << 20);
}

template <class Body>
double timed(int64_t threads, double seconds, int64_t per_call, Body body, int64_t &count) {
  double spent = 0.0;
  count = 0;
  while (spent < seconds) {
    const double t0 = now(threads);
    body(per_call);
    spent += now(threads) - t0;
    count += per_call;
  }
  return spent;
}

// Distinct columns and rows of a batch of b draws (with replacement) from Ω.
void distinct_counts(const Problem &obs, int64_t b, bool full, int64_t &p, int64_t &q) {
  std::mt19937_64 rng(5);
  std::vector<int64_t> c, r;
  const int64_t N = int64_t(obs.values.size());
  for (int64_t k = 0; k < (full ? N : b); ++k) {
    const int64_t o = full ? k : int64_t(rng() % uint64_t(N));
    c.push_back(obs.cols[size_t(o)]);
    r.push_back(obs.rows[size_t(o)]);
  }
  std::sort(c.begin(), c.end());
  std::sort(r.begin(), r.end());
  p = std::unique(c.begin(), c.end()) - c.begin();
  q = std::unique(r.begin(), r.end()) - r.begin();
}

struct Options {
  double seconds = 0.3;
  int repeats = 3;
  std::string only;  // "gd", "batch" or "" for both
  int64_t huge_steps = 3;
};

void gd_case(const Options &o, int64_t n, int64_t m, int64_t w, int64_t N, int64_t threads) {
  const Problem obs = planted(n, m, N, 42);
  ModelPtr model = make_model(n, m, w, obs, 1e-2, threads);
  DLN_CHECK(dln_set_param(model.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_FULL_BATCH), model.get());
  const bool huge = n * m > 100000000;
  // One step before timing (calibrate takes it for the others): the first
  // step allocates the workspace and finds the batch's rows and columns,
  // which full-batch GD then reuses (at 10⁵ × 10⁵ it took 2x a later step).
  if (huge) DLN_CHECK(dln_step(model.get(), 1), model.get());
  const int64_t K = huge ? 1 : calibrate(model.get(), o.seconds, threads);
  int64_t p = 0, q = 0;
  distinct_counts(obs, N, true, p, q);
  std::unique_ptr<GemmLimit> limit;  // after dlnsgd's first steps: of the formulation they took
  std::vector<double> rate, limit_rate, ratio, cores;
  const int repeats = huge ? 1 : o.repeats;
  for (int r = 0; r < repeats; ++r) {
    int64_t steps = 0, calls = 0;
    const double seconds = huge ? 0.0 : o.seconds;
    double t_dln = 0.0;
    const double cpu0 = process_seconds(), wall0 = wall_seconds();
    if (huge) {
      const double t0 = now(threads);
      DLN_CHECK(dln_step(model.get(), o.huge_steps), model.get());
      t_dln = now(threads) - t0;
      steps = o.huge_steps;
    } else {
      t_dln = timed(threads, seconds, K, [&](int64_t k) { DLN_CHECK(dln_step(model.get(), k), model.get()); }, steps);
    }
    cores.push_back((process_seconds() - cpu0) / (wall_seconds() - wall0));
    if (!limit) {
      int taken = 0;
      DLN_CHECK(dln_last_step_formulation(model.get(), &taken), model.get());
      limit = std::make_unique<GemmLimit>(w, p, q, threads, taken);
    }
    const double t_lim = timed(threads, huge ? 0.5 : seconds, 1, [&](int64_t) { limit->run(); }, calls);
    rate.push_back(double(steps) / t_dln);
    limit_rate.push_back(double(calls) / t_lim);
    ratio.push_back((t_dln / double(steps)) / (t_lim / double(calls)));
  }
  double cost = NAN, ridge = NAN;
  DLN_CHECK(dln_loss(model.get(), &cost, &ridge), model.get());
  int formulation = 0;
  DLN_CHECK(dln_last_step_formulation(model.get(), &formulation), model.get());
  std::printf(
      "{\"kind\": \"gd\", \"n\": %lld, \"m\": %lld, \"w\": %lld, \"N\": %lld, \"threads\": %lld, "
      "\"formulation\": \"%s\", \"p\": %lld, \"q\": %lld, \"steps_per_second\": %.6g, "
      "\"limit_steps_per_second\": %.6g, \"time_ratio_over_limit\": %.6g, \"repeats\": %d, "
      "\"data_cost_after\": %.6g, \"cores_used\": %.3g}\n",
      (long long)n, (long long)m, (long long)w, (long long)N, (long long)threads, dln_formulation_name(formulation),
      (long long)p, (long long)q, median(rate), median(limit_rate), median(ratio), repeats, cost, median(cores));
  std::fflush(stdout);
}

void batch_case(const Options &o, int64_t w, int64_t b, int64_t threads) {
  const Problem obs = planted(w, w, 4096, 42);
  ModelPtr model = make_model(w, w, w, obs, 1e-3, threads), single = make_model(w, w, w, obs, 1e-3, threads);
  DLN_CHECK(dln_set_param(model.get(), DLN_PARAM_BATCH_SIZE, double(b)), model.get());
  const int64_t K = calibrate(model.get(), o.seconds, threads), K1 = calibrate(single.get(), o.seconds, threads);
  int formulation = 0;
  DLN_CHECK(dln_last_step_formulation(model.get(), &formulation), model.get());
  int64_t p = 0, q = 0;
  distinct_counts(obs, b, false, p, q);
  GemmLimit limit(w, p, q, threads, formulation);
  std::vector<double> rate, rate1, limit_rate, ratio, obs_ratio;
  for (int r = 0; r < o.repeats; ++r) {
    int64_t steps = 0, steps1 = 0, calls = 0;
    const double t_dln =
        timed(threads, o.seconds, K, [&](int64_t k) { DLN_CHECK(dln_step(model.get(), k), model.get()); }, steps);
    const double t_one =
        timed(threads, o.seconds, K1, [&](int64_t k) { DLN_CHECK(dln_step(single.get(), k), single.get()); }, steps1);
    const double t_lim = timed(threads, o.seconds, 1, [&](int64_t) { limit.run(); }, calls);
    rate.push_back(double(steps) / t_dln);
    rate1.push_back(double(steps1) / t_one);
    limit_rate.push_back(double(calls) / t_lim);
    ratio.push_back((t_dln / double(steps)) / (t_lim / double(calls)));
    obs_ratio.push_back((double(steps * b) / t_dln) / (double(steps1) / t_one));
  }
  std::printf(
      "{\"kind\": \"batch\", \"w\": %lld, \"b\": %lld, \"threads\": %lld, \"formulation\": \"%s\", \"p\": %lld, "
      "\"q\": %lld, \"steps_per_second\": %.6g, \"observations_per_second\": %.6g, "
      "\"b1_steps_per_second\": %.6g, \"limit_steps_per_second\": %.6g, \"time_ratio_over_limit\": %.6g, "
      "\"observation_rate_ratio_over_b1\": %.6g, \"repeats\": %d}\n",
      (long long)w, (long long)b, (long long)threads, dln_formulation_name(formulation), (long long)p, (long long)q,
      median(rate), median(rate) * double(b), median(rate1), median(limit_rate), median(ratio), median(obs_ratio),
      o.repeats);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) o.seconds = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--repeats")) o.repeats = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--only")) o.only = argv[i + 1];
    else if (!std::strcmp(argv[i], "--huge-steps")) o.huge_steps = std::atoll(argv[i + 1]);
  }
  bli_init();  // before the query: with BLIS_ARCH_TYPE set, BLIS 0.9 aborts on an uninitialised query
  std::printf("{\"kind\": \"context\", \"blis_version\": \"%s\", \"blis_arch\": \"%s\", \"dlnsgd\": \"%s\"}\n",
              bli_info_get_version_str(), bli_arch_string(bli_arch_query_id()), dln_version_string());
  for (int64_t threads : {1, 2}) {
    if (o.only.empty() || o.only == "gd") {
      gd_case(o, 64, 64, 64, 2000, threads);
      gd_case(o, 256, 256, 256, 20000, threads);
      gd_case(o, 2000, 2000, 32, 40000, threads);
      gd_case(o, 100000, 100000, 64, 1000000, threads);
    }
    if (o.only.empty() || o.only == "batch")
      for (int64_t w : {64, 256, 1024})
        for (int64_t b : {4, 16, 64, 256}) batch_case(o, w, b, threads);
  }
  return 0;
}
