// Benchmarks of math §8 (issue 4), one Google Benchmark program.
//
// Every model has depth L = 4. The step benchmarks use square widths: hidden
// widths w and a w × w target (n = m = w), w in {64, 256, 1024}, so every
// layer is w × w and the two inner layers (2 and 3) are exactly the shapes the
// "machine limit" kernels run on. Observations: 4096 entries of a planted
// rank-3 target with O(1) entries; weights from DLN_INIT_END_TO_END with s = 1
// (each layer N(0, 1/w), so activations and residuals are O(1)); eta = 1e-3,
// lambda = 1e-4 (2·eta·lambda = 2e-7), one thread. That stays finite for
// hundreds of millions of steps.
//
//   BM_Step/w              (a) dln_step, batch 1, K steps per dln_step call
//   BM_MachineLimit/w      (b) per inner layer: bli_dgemv, transposed bli_dgemv,
//                              bli_dger on w × w, chained as in a step
//   BM_BlisGemv|GemvT|Ger/w    the three kernels alone, on one w × w matrix
//   BM_LoopLimit/w         (b') the same work as plain loops cloned for AVX-512/AVX2
//   BM_LoopGemv|GemvT|Ger/w    those loops alone
//   BM_Batch/w/b           (c) dln_step with batch size b in {1, 16, 256}
//   BM_SingularValues, BM_AbsorbedRank, BM_InBr
//                          (d) a 100000 × 100000 target at width 64, depth 4,
//                              1000 observations; peak RSS via getrusage
//   BM_DeadModes/w/kind    (e) dln_step on a state whose dead modes are
//                              0 normal (the BM_Step state), 1 tiny (1e-155:
//                              every dead·dead product is subnormal), 2 stored
//                              as subnormals (1e-309), reset every K steps
//   BM_PairedStepVsLimit/w, BM_PairedDeadModes/w   the same comparisons paired:
//                              alternated inside each iteration, thread CPU time,
//                              so the shared machine's drift cancels in the ratios
//   BM_DeadModesBlis/w/kind/ftz  the machine-limit kernels on those states'
//                              inner layers with flush-to-zero off / on: shows
//                              what subnormal arithmetic costs on this CPU
//
// Rates are user counters (steps_per_second, observations_per_second) so the
// JSON output carries them directly; bench/report.py takes medians over the
// repetitions. Nothing is compared to a threshold here.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "blis.h"
#include "dlnsgd.h"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

// Plain-loop kernels for BM_LoopLimit (outside the anonymous namespace:
// target_clones needs an external ifunc resolver).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define DLN_BENCH_CLONES __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define DLN_BENCH_CLONES
#endif
namespace dln_bench_loops {
// y = A x, A row-major rows × cols.
DLN_BENCH_CLONES void gemv(int64_t rows, int64_t cols, const double *__restrict A, const double *__restrict x,
                           double *__restrict y) {
  for (int64_t p = 0; p < rows; ++p) {
    const double *a = A + p * cols;
    double acc = 0.0;
#pragma omp simd reduction(+ : acc)
    for (int64_t q = 0; q < cols; ++q) acc += a[q] * x[q];
    y[p] = acc;
  }
}
// y = A^T x.
DLN_BENCH_CLONES void gemv_t(int64_t rows, int64_t cols, const double *__restrict A, const double *__restrict x,
                             double *__restrict y) {
  for (int64_t q = 0; q < cols; ++q) y[q] = 0.0;
  for (int64_t p = 0; p < rows; ++p) {
    const double *a = A + p * cols;
    const double xp = x[p];
    for (int64_t q = 0; q < cols; ++q) y[q] += xp * a[q];
  }
}
// A += alpha x y^T.
DLN_BENCH_CLONES void ger(int64_t rows, int64_t cols, double *__restrict A, double alpha, const double *__restrict x,
                          const double *__restrict y) {
  for (int64_t p = 0; p < rows; ++p) {
    double *a = A + p * cols;
    const double ax = alpha * x[p];
    for (int64_t q = 0; q < cols; ++q) a[q] += ax * y[q];
  }
}
}  // namespace dln_bench_loops

namespace {

constexpr int64_t kDepth = 4;
constexpr int64_t kObservations = 4096;
constexpr int64_t kPlantedRank = 3;
constexpr double kEta = 1e-3;
constexpr double kLambda = 1e-4;
constexpr int64_t kLiveModes = 4;  // live rank of the dead-mode states

[[noreturn]] void die(const char *what, int status, const dln_model *model) {
  std::fprintf(stderr, "bench_step: %s failed: %s: %s\n", what, dln_status_name(status),
               dln_last_error(model));
  std::exit(2);
}
#define DLN_CHECK(call, model)                      \
  do {                                              \
    int status_ = (call);                           \
    if (status_ != DLN_OK) die(#call, status_, model); \
  } while (0)

struct ModelDeleter {
  void operator()(dln_model *m) const { dln_destroy(m); }
};
using ModelPtr = std::unique_ptr<dln_model, ModelDeleter>;

// `count` observations of the planted rank-3 target U V^T / sqrt(3), U and V
// standard Gaussian: entries O(1). Only the factors are stored, O((n+m)·3).
void planted_observations(int64_t n, int64_t m, int64_t count, uint64_t seed, std::vector<int64_t> &rows,
                          std::vector<int64_t> &cols, std::vector<double> &values) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::vector<double> U(size_t(n * kPlantedRank)), V(size_t(m * kPlantedRank));
  for (double &x : U) x = gauss(rng);
  for (double &x : V) x = gauss(rng);
  std::uniform_int_distribution<int64_t> row(0, n - 1), col(0, m - 1);
  rows.resize(size_t(count));
  cols.resize(size_t(count));
  values.resize(size_t(count));
  for (int64_t k = 0; k < count; ++k) {
    int64_t i = row(rng), j = col(rng);
    double y = 0.0;
    for (int64_t r = 0; r < kPlantedRank; ++r) y += U[size_t(i * kPlantedRank + r)] * V[size_t(j * kPlantedRank + r)];
    rows[size_t(k)] = i;
    cols[size_t(k)] = j;
    values[size_t(k)] = y / std::sqrt(double(kPlantedRank));
  }
}

// Depth-4 model with widths {m, w, w, w, n}, END_TO_END(s = 1) weights.
ModelPtr make_model(int64_t n, int64_t m, int64_t width, int64_t count, uint64_t seed = 1) {
  const int64_t widths[kDepth + 1] = {m, width, width, width, n};
  dln_model *raw = nullptr;
  DLN_CHECK(dln_create(kDepth, widths, seed, &raw), nullptr);
  ModelPtr model(raw);
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  planted_observations(n, m, count, seed + 1000, rows, cols, values);
  DLN_CHECK(dln_set_observations(raw, count, rows.data(), cols.data(), values.data()), raw);
  const double s = 1.0;
  DLN_CHECK(dln_init_weights(raw, DLN_INIT_END_TO_END, 1, &s), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_LEARNING_RATE, kEta), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_RIDGE, kLambda), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_THREADS, 1.0), raw);
  return model;
}

// Steps per timed iteration: enough that one iteration is ~1 ms or more, so
// the per-iteration bookkeeping of Google Benchmark is noise.
int64_t steps_per_iteration(int64_t width) { return std::clamp<int64_t>((int64_t(1) << 22) / (width * width), 1, 1024); }

void set_rate(benchmark::State &state, const char *name, double count) {
  state.counters[name] = benchmark::Counter(count, benchmark::Counter::kIsRate);
}

double data_cost(const dln_model *model) {
  double cost = NAN, ridge = NAN;
  DLN_CHECK(dln_loss(model, &cost, &ridge), model);
  return cost;
}

// ---------------------------------------------------------------- (a) ----
void BM_Step(benchmark::State &state) {
  const int64_t w = state.range(0);
  ModelPtr model = make_model(w, w, w, kObservations);
  const int64_t K = steps_per_iteration(w);
  int64_t steps = 0;
  for (auto _ : state) {
    int status = dln_step(model.get(), K);
    if (status != DLN_OK) {
      state.SkipWithError(dln_last_error(model.get()));
      break;
    }
    steps += K;
  }
  set_rate(state, "steps_per_second", double(steps));
  state.counters["steps_per_call"] = double(K);
  state.counters["data_cost_after"] = data_cost(model.get());  // finite: the run stayed stable
}
BENCHMARK(BM_Step)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

// The same, one dln_step(model, 1) call per step: the per-call overhead.
void BM_StepPerCall(benchmark::State &state) {
  const int64_t w = state.range(0);
  ModelPtr model = make_model(w, w, w, kObservations);
  int64_t steps = 0;
  for (auto _ : state) {
    if (dln_step(model.get(), 1) != DLN_OK) {
      state.SkipWithError(dln_last_error(model.get()));
      break;
    }
    ++steps;
  }
  set_rate(state, "steps_per_second", double(steps));
}
BENCHMARK(BM_StepPerCall)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- (b) ----
struct Dense {
  std::vector<double> a;
  explicit Dense(int64_t rows, int64_t cols, double stddev, uint64_t seed) : a(size_t(rows * cols)) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> gauss(0.0, stddev);
    for (double &x : a) x = gauss(rng);
  }
};

std::vector<double> gaussian_vector(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> gauss(0.0, 1.0 / std::sqrt(double(n)));
  std::vector<double> v(static_cast<size_t>(n));
  for (double &x : v) x = gauss(rng);
  return v;
}

// The inner-layer work of one single-entry step, done by BLIS alone on
// row-major w × w matrices W2, W3: forward x2 = W2 x1, x3 = W3 x2; backward
// b2 = W3^T b3, b1 = W2^T b2; updates W3 += α b3 x2^T, W2 += α b2 x1^T.
// That is one bli_dgemv, one transposed bli_dgemv and one bli_dger per inner
// layer, with the same data dependencies as the step. α is tiny so the
// matrices stay put.
struct InnerLayers {
  int64_t w;
  std::vector<double> W2, W3, x1, x2, x3, b3, b2, b1;
  InnerLayers(int64_t width, std::vector<double> w2, std::vector<double> w3, std::vector<double> in,
              std::vector<double> out)
      : w(width), W2(std::move(w2)), W3(std::move(w3)), x1(std::move(in)), x2(size_t(width)),
        x3(size_t(width)), b3(std::move(out)), b2(size_t(width)), b1(size_t(width)) {}
  void run() {
    double one = 1.0, zero = 0.0, alpha = 1e-12;
    bli_dgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, w, w, &one, W2.data(), w, 1, x1.data(), 1, &zero, x2.data(), 1);
    bli_dgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, w, w, &one, W3.data(), w, 1, x2.data(), 1, &zero, x3.data(), 1);
    bli_dgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, w, w, &one, W3.data(), w, 1, b3.data(), 1, &zero, b2.data(), 1);
    bli_dgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, w, w, &one, W2.data(), w, 1, b2.data(), 1, &zero, b1.data(), 1);
    bli_dger(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, w, w, &alpha, b3.data(), 1, x2.data(), 1, W3.data(), w, 1);
    bli_dger(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, w, w, &alpha, b2.data(), 1, x1.data(), 1, W2.data(), w, 1);
    benchmark::DoNotOptimize(b1.data());
    benchmark::DoNotOptimize(x3.data());
    benchmark::ClobberMemory();
  }
};

void BM_MachineLimit(benchmark::State &state) {
  const int64_t w = state.range(0);
  const double sd = 1.0 / std::sqrt(double(w));
  InnerLayers inner(w, Dense(w, w, sd, 11).a, Dense(w, w, sd, 12).a, gaussian_vector(w, 13), gaussian_vector(w, 14));
  const int64_t K = steps_per_iteration(w);
  int64_t steps = 0;
  for (auto _ : state) {
    for (int64_t k = 0; k < K; ++k) inner.run();
    steps += K;
  }
  set_rate(state, "steps_per_second", double(steps));
}
BENCHMARK(BM_MachineLimit)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

// The three kernels alone (one w × w matrix), for the breakdown.
template <int Op>
void BM_BlisOp(benchmark::State &state) {
  const int64_t w = state.range(0);
  std::vector<double> A = Dense(w, w, 1.0 / std::sqrt(double(w)), 21).a;
  std::vector<double> x = gaussian_vector(w, 22), y = gaussian_vector(w, 23);
  double one = 1.0, zero = 0.0, alpha = 1e-12;
  const int64_t K = 3 * steps_per_iteration(w);
  int64_t calls = 0;
  for (auto _ : state) {
    for (int64_t k = 0; k < K; ++k) {
      if (Op == 0)
        bli_dgemv(BLIS_NO_TRANSPOSE, BLIS_NO_CONJUGATE, w, w, &one, A.data(), w, 1, x.data(), 1, &zero, y.data(), 1);
      else if (Op == 1)
        bli_dgemv(BLIS_TRANSPOSE, BLIS_NO_CONJUGATE, w, w, &one, A.data(), w, 1, x.data(), 1, &zero, y.data(), 1);
      else
        bli_dger(BLIS_NO_CONJUGATE, BLIS_NO_CONJUGATE, w, w, &alpha, x.data(), 1, y.data(), 1, A.data(), w, 1);
      benchmark::ClobberMemory();
    }
    calls += K;
  }
  set_rate(state, "calls_per_second", double(calls));
}
BENCHMARK(BM_BlisOp<0>)->Name("BM_BlisGemv")->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BlisOp<1>)->Name("BM_BlisGemvT")->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BlisOp<2>)->Name("BM_BlisGer")->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

// A stricter, informative reference: the same three operations per inner
// layer as plain loops, compiled like the library (portable -O3) but cloned
// for AVX-512 / AVX2+FMA with target_clones, the way src/kernels.cpp is. On a
// CPU that BLIS 0.9 does not recognise (it then runs its "generic" reference
// kernels) this is closer to what the hardware can do than BLIS itself.
void BM_LoopLimit(benchmark::State &state) {
  const int64_t w = state.range(0);
  const double sd = 1.0 / std::sqrt(double(w));
  std::vector<double> W2 = Dense(w, w, sd, 11).a, W3 = Dense(w, w, sd, 12).a;
  std::vector<double> x1 = gaussian_vector(w, 13), b3 = gaussian_vector(w, 14);
  std::vector<double> x2(static_cast<size_t>(w)), x3(static_cast<size_t>(w)), b2(static_cast<size_t>(w)),
      b1(static_cast<size_t>(w));
  const int64_t K = steps_per_iteration(w);
  int64_t steps = 0;
  for (auto _ : state) {
    for (int64_t k = 0; k < K; ++k) {
      dln_bench_loops::gemv(w, w, W2.data(), x1.data(), x2.data());
      dln_bench_loops::gemv(w, w, W3.data(), x2.data(), x3.data());
      dln_bench_loops::gemv_t(w, w, W3.data(), b3.data(), b2.data());
      dln_bench_loops::gemv_t(w, w, W2.data(), b2.data(), b1.data());
      dln_bench_loops::ger(w, w, W3.data(), 1e-12, b3.data(), x2.data());
      dln_bench_loops::ger(w, w, W2.data(), 1e-12, b2.data(), x1.data());
      benchmark::DoNotOptimize(b1.data());
      benchmark::DoNotOptimize(x3.data());
      benchmark::ClobberMemory();
    }
    steps += K;
  }
  set_rate(state, "steps_per_second", double(steps));
}
BENCHMARK(BM_LoopLimit)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

template <int Op>
void BM_LoopOp(benchmark::State &state) {
  const int64_t w = state.range(0);
  std::vector<double> A = Dense(w, w, 1.0 / std::sqrt(double(w)), 21).a;
  std::vector<double> x = gaussian_vector(w, 22), y = gaussian_vector(w, 23);
  const int64_t K = 3 * steps_per_iteration(w);
  int64_t calls = 0;
  for (auto _ : state) {
    for (int64_t k = 0; k < K; ++k) {
      if (Op == 0)
        dln_bench_loops::gemv(w, w, A.data(), x.data(), y.data());
      else if (Op == 1)
        dln_bench_loops::gemv_t(w, w, A.data(), x.data(), y.data());
      else
        dln_bench_loops::ger(w, w, A.data(), 1e-12, x.data(), y.data());
      benchmark::ClobberMemory();
    }
    calls += K;
  }
  set_rate(state, "calls_per_second", double(calls));
}
BENCHMARK(BM_LoopOp<0>)->Name("BM_LoopGemv")->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoopOp<1>)->Name("BM_LoopGemvT")->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LoopOp<2>)->Name("BM_LoopGer")->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- (c) ----
void BM_Batch(benchmark::State &state) {
  const int64_t w = state.range(0), b = state.range(1);
  ModelPtr model = make_model(w, w, w, kObservations);
  DLN_CHECK(dln_set_param(model.get(), DLN_PARAM_BATCH_SIZE, double(b)), model.get());
  const int64_t K = std::max<int64_t>(1, steps_per_iteration(w) / b);
  int64_t steps = 0;
  for (auto _ : state) {
    if (dln_step(model.get(), K) != DLN_OK) {
      state.SkipWithError(dln_last_error(model.get()));
      break;
    }
    steps += K;
  }
  set_rate(state, "steps_per_second", double(steps));
  set_rate(state, "observations_per_second", double(steps * b));
  state.counters["data_cost_after"] = data_cost(model.get());
}
BENCHMARK(BM_Batch)
    ->ArgsProduct({{64, 256, 1024}, {1, 16, 256}})
    ->ArgNames({"w", "b"})
    ->Unit(benchmark::kMicrosecond)
    ;

// ---------------------------------------------------------------- (d) ----
constexpr int64_t kHugeSide = 100000, kHugeWidth = 64, kHugeObservations = 1000;

double max_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

double current_rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct HugeModel {
  ModelPtr model;
  double rss_before = 0, rss_after = 0;
  HugeModel() {
    rss_before = current_rss_mib();
    model = make_model(kHugeSide, kHugeSide, kHugeWidth, kHugeObservations, 7);
    DLN_CHECK(dln_step(model.get(), 1000), model.get());  // a state SGD actually reached
    rss_after = current_rss_mib();
  }
};

HugeModel &huge_model() {
  static HugeModel huge;
  return huge;
}

void huge_counters(benchmark::State &state, int64_t result) {
  HugeModel &h = huge_model();
  const double weights = 2.0 * double(kHugeSide * kHugeWidth) + 2.0 * double(kHugeWidth * kHugeWidth);
  state.counters["peak_rss_MiB"] = max_rss_mib();
  state.counters["rss_before_model_MiB"] = h.rss_before;
  state.counters["rss_with_model_MiB"] = h.rss_after;
  state.counters["weights_MiB"] = weights * 8.0 / (1024.0 * 1024.0);
  state.counters["dense_A_GiB"] = double(kHugeSide) * double(kHugeSide) * 8.0 / (1024.0 * 1024.0 * 1024.0);
  state.counters["result"] = double(result);
}

void BM_SingularValues(benchmark::State &state) {
  dln_model *m = huge_model().model.get();
  std::vector<double> sigma(static_cast<size_t>(kHugeWidth));
  int64_t count = 0;
  for (auto _ : state) {
    if (dln_singular_values(m, sigma.data(), int64_t(sigma.size()), &count) != DLN_OK) {
      state.SkipWithError(dln_last_error(m));
      break;
    }
    benchmark::DoNotOptimize(sigma.data());
  }
  huge_counters(state, count);
  state.counters["sigma_1"] = sigma[0];
}
BENCHMARK(BM_SingularValues)->Unit(benchmark::kMillisecond);

void BM_AbsorbedRank(benchmark::State &state) {
  dln_model *m = huge_model().model.get();
  int64_t rank = -1;
  for (auto _ : state) {
    if (dln_query_absorbed_rank(m, &rank) != DLN_OK) {
      state.SkipWithError(dln_last_error(m));
      break;
    }
    benchmark::DoNotOptimize(rank);
  }
  huge_counters(state, rank);
}
BENCHMARK(BM_AbsorbedRank)->Unit(benchmark::kMillisecond);

void BM_InBr(benchmark::State &state) {
  dln_model *m = huge_model().model.get();
  int inside = -1;
  for (auto _ : state) {
    if (dln_in_Br(m, kPlantedRank, -1.0, -1.0, -1.0, &inside) != DLN_OK) {
      state.SkipWithError(dln_last_error(m));
      break;
    }
    benchmark::DoNotOptimize(inside);
  }
  huge_counters(state, inside);
}
BENCHMARK(BM_InBr)->Unit(benchmark::kMillisecond);

void BM_QueryRank(benchmark::State &state) {
  dln_model *m = huge_model().model.get();
  int64_t rank = -1;
  for (auto _ : state) {
    if (dln_query_rank(m, 1e-6, &rank) != DLN_OK) {
      state.SkipWithError(dln_last_error(m));
      break;
    }
    benchmark::DoNotOptimize(rank);
  }
  huge_counters(state, rank);
}
BENCHMARK(BM_QueryRank)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------- (e) ----
// Dead-mode states: the BM_Step state with every entry that touches a hidden
// unit p >= kLiveModes (row p of W_1..W_3, column p of W_2..W_4) multiplied by
//   kind 0: 1        (normal: the BM_Step state itself)
//   kind 1: 1e-154   (dead entries ~1e-155, normal numbers that persist; every
//                     product of two dead entries, ~1e-310, is subnormal, and
//                     products of three underflow: the arithmetic of modes
//                     decaying through the subnormal range, on every step)
//   kind 2: 1e-308   (dead entries ~1e-309 stored as subnormal doubles)
// The weights are reset to the state before every K timed steps (untimed), so
// every timed step starts from the same kind of state.
double dead_factor(int64_t kind) { return kind == 0 ? 1.0 : kind == 1 ? 1e-154 : 1e-308; }

std::vector<std::vector<double>> dead_mode_weights(const dln_model *model, int64_t w, int64_t kind) {
  std::vector<std::vector<double>> layers;
  const double f = dead_factor(kind);
  for (int64_t l = 1; l <= kDepth; ++l) {
    std::vector<double> W(static_cast<size_t>(w * w));
    DLN_CHECK(dln_get_weights(model, l, W.data()), model);
    for (int64_t p = 0; p < w; ++p)
      for (int64_t q = 0; q < w; ++q) {
        bool dead = (l < kDepth && p >= kLiveModes) || (l > 1 && q >= kLiveModes);
        if (dead) W[size_t(p * w + q)] *= f;
      }
    layers.push_back(std::move(W));
  }
  return layers;
}

int64_t count_subnormal(const std::vector<double> &v) {
  return std::count_if(v.begin(), v.end(), [](double x) { return std::fpclassify(x) == FP_SUBNORMAL; });
}

void BM_DeadModes(benchmark::State &state) {
  const int64_t w = state.range(0), kind = state.range(1);
  ModelPtr model = make_model(w, w, w, kObservations);
  const std::vector<std::vector<double>> start = dead_mode_weights(model.get(), w, kind);
  int64_t stored_subnormal = 0;
  for (const auto &W : start) stored_subnormal += count_subnormal(W);
  const int64_t K = steps_per_iteration(w);
  int64_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int64_t l = 1; l <= kDepth; ++l) DLN_CHECK(dln_set_weights(model.get(), l, start[size_t(l - 1)].data()), model.get());
    state.ResumeTiming();
    if (dln_step(model.get(), K) != DLN_OK) {
      state.SkipWithError(dln_last_error(model.get()));
      break;
    }
    steps += K;
  }
  set_rate(state, "steps_per_second", double(steps));
  state.counters["subnormal_weights_at_start"] = double(stored_subnormal);
  state.counters["data_cost_after"] = data_cost(model.get());
}
BENCHMARK(BM_DeadModes)
    ->ArgsProduct({{64, 256, 1024}, {0, 1, 2}})
    ->ArgNames({"w", "kind"})
    ->Unit(benchmark::kMicrosecond)
    ;

// The inner-layer BLIS kernels on a dead-mode state with FTZ/DAZ off (ftz 0)
// or on (ftz 1). Not a dlnsgd measurement: it shows whether this CPU charges
// for subnormal arithmetic at all, i.e. whether BM_DeadModes could have seen a
// slowdown had dlnsgd not flushed.
class MxcsrScope {
 public:
  explicit MxcsrScope(bool flush) {
#if defined(__SSE__)
    saved_ = _mm_getcsr();
    _mm_setcsr(flush ? (saved_ | 0x8040u) : (saved_ & ~0x8040u));
#else
    (void)flush;
#endif
  }
  ~MxcsrScope() {
#if defined(__SSE__)
    _mm_setcsr(saved_);
#endif
  }

 private:
  unsigned saved_ = 0;
};

void BM_DeadModesBlis(benchmark::State &state) {
  const int64_t w = state.range(0), kind = state.range(1);
  const bool ftz = state.range(2) != 0;
  ModelPtr model = make_model(w, w, w, kObservations);
  std::vector<std::vector<double>> layers = dead_mode_weights(model.get(), w, kind);
  // x1 = column of W_1 and b3 = row of W_4: dead components as in a step.
  std::vector<double> x1(static_cast<size_t>(w)), b3(static_cast<size_t>(w));
  for (int64_t p = 0; p < w; ++p) {
    x1[size_t(p)] = layers[0][size_t(p * w)];
    b3[size_t(p)] = layers[3][size_t(p)];
  }
  InnerLayers inner(w, layers[1], layers[2], x1, b3);
  const std::vector<double> W2 = inner.W2, W3 = inner.W3;
  const int64_t K = steps_per_iteration(w);
  int64_t steps = 0;
  for (auto _ : state) {
    state.PauseTiming();
    inner.W2 = W2;  // the updates would otherwise slowly move the state
    inner.W3 = W3;
    state.ResumeTiming();
    MxcsrScope scope(ftz);
    for (int64_t k = 0; k < K; ++k) inner.run();
    steps += K;
  }
  set_rate(state, "steps_per_second", double(steps));
}
BENCHMARK(BM_DeadModesBlis)
    ->ArgsProduct({{64, 256, 1024}, {0, 1, 2}, {0, 1}})
    ->ArgNames({"w", "kind", "ftz"})
    ->Unit(benchmark::kMicrosecond)
    ;

// ------------------------------------------------------------ paired ----
// The machine is shared: its speed drifts between seconds (other sessions'
// builds, and the host's sibling thread). Comparisons that a verdict rests on
// are therefore also measured paired: inside every iteration the things
// compared run back to back, K steps each, timed with this thread's CPU clock,
// and the ratio of the summed times is reported per repetition.
double thread_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// dlnsgd steps vs the machine-limit kernels (BLIS) vs the plain-loop kernels.
void BM_PairedStepVsLimit(benchmark::State &state) {
  const int64_t w = state.range(0);
  ModelPtr model = make_model(w, w, w, kObservations);
  const double sd = 1.0 / std::sqrt(double(w));
  InnerLayers inner(w, Dense(w, w, sd, 11).a, Dense(w, w, sd, 12).a, gaussian_vector(w, 13), gaussian_vector(w, 14));
  std::vector<double> W2 = Dense(w, w, sd, 11).a, W3 = Dense(w, w, sd, 12).a;
  std::vector<double> x1 = gaussian_vector(w, 13), b3 = gaussian_vector(w, 14);
  std::vector<double> x2(static_cast<size_t>(w)), x3(static_cast<size_t>(w)), b2(static_cast<size_t>(w)),
      b1(static_cast<size_t>(w));
  const int64_t K = steps_per_iteration(w);
  double t_step = 0, t_limit = 0, t_loop = 0;
  int64_t steps = 0;
  for (auto _ : state) {
    double t0 = thread_seconds();
    if (dln_step(model.get(), K) != DLN_OK) {
      state.SkipWithError(dln_last_error(model.get()));
      break;
    }
    double t1 = thread_seconds();
    for (int64_t k = 0; k < K; ++k) inner.run();
    double t2 = thread_seconds();
    for (int64_t k = 0; k < K; ++k) {
      dln_bench_loops::gemv(w, w, W2.data(), x1.data(), x2.data());
      dln_bench_loops::gemv(w, w, W3.data(), x2.data(), x3.data());
      dln_bench_loops::gemv_t(w, w, W3.data(), b3.data(), b2.data());
      dln_bench_loops::gemv_t(w, w, W2.data(), b2.data(), b1.data());
      dln_bench_loops::ger(w, w, W3.data(), 1e-12, b3.data(), x2.data());
      dln_bench_loops::ger(w, w, W2.data(), 1e-12, b2.data(), x1.data());
      benchmark::DoNotOptimize(b1.data());
      benchmark::DoNotOptimize(x3.data());
      benchmark::ClobberMemory();
    }
    double t3 = thread_seconds();
    t_step += t1 - t0;
    t_limit += t2 - t1;
    t_loop += t3 - t2;
    steps += K;
  }
  state.counters["dlnsgd_steps_per_second"] = double(steps) / t_step;
  state.counters["limit_steps_per_second"] = double(steps) / t_limit;
  state.counters["loop_steps_per_second"] = double(steps) / t_loop;
  state.counters["time_ratio_dlnsgd_over_limit"] = t_step / t_limit;
  state.counters["time_ratio_dlnsgd_over_loops"] = t_step / t_loop;
}
BENCHMARK(BM_PairedStepVsLimit)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

// dlnsgd steps on the three dead-mode states, back to back (order rotated
// every iteration); the weights are reset (untimed) before each K steps.
void BM_PairedDeadModes(benchmark::State &state) {
  const int64_t w = state.range(0);
  ModelPtr model = make_model(w, w, w, kObservations);
  std::vector<std::vector<double>> start[3];
  for (int64_t kind = 0; kind < 3; ++kind) start[kind] = dead_mode_weights(model.get(), w, kind);
  const int64_t K = steps_per_iteration(w);
  double seconds[3] = {0, 0, 0};
  int64_t steps = 0, round = 0;
  for (auto _ : state) {
    for (int64_t r = 0; r < 3; ++r) {
      const int64_t kind = (round + r) % 3;
      for (int64_t l = 1; l <= kDepth; ++l)
        DLN_CHECK(dln_set_weights(model.get(), l, start[kind][size_t(l - 1)].data()), model.get());
      double t0 = thread_seconds();
      if (dln_step(model.get(), K) != DLN_OK) {
        state.SkipWithError(dln_last_error(model.get()));
        break;
      }
      seconds[kind] += thread_seconds() - t0;
    }
    ++round;
    steps += K;
  }
  for (int64_t kind = 0; kind < 3; ++kind)
    state.counters["kind" + std::to_string(kind) + "_steps_per_second"] = double(steps) / seconds[kind];
  state.counters["rate_ratio_kind1_over_kind0"] = seconds[0] / seconds[1];
  state.counters["rate_ratio_kind2_over_kind0"] = seconds[0] / seconds[2];
}
BENCHMARK(BM_PairedDeadModes)->Arg(64)->Arg(256)->Arg(1024)->Unit(benchmark::kMicrosecond);

std::string read_cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

}  // namespace

int main(int argc, char **argv) {
  benchmark::AddCustomContext("dlnsgd_version", dln_version_string());
  benchmark::AddCustomContext("blis_version", bli_info_get_version_str());
  bli_init();  // before the query: with BLIS_ARCH_TYPE set, BLIS 0.9 aborts on an uninitialised query
  benchmark::AddCustomContext("blis_arch", bli_arch_string(bli_arch_query_id()));
  benchmark::AddCustomContext("blis_threading", bli_info_get_enable_openmp()     ? "openmp"
                                                : bli_info_get_enable_pthreads() ? "pthreads"
                                                                                 : "none");
  benchmark::AddCustomContext("compiler", DLN_BENCH_COMPILER);
  benchmark::AddCustomContext("build_type", DLN_BENCH_BUILD_TYPE);
  benchmark::AddCustomContext("cxx_flags", DLN_BENCH_CXX_FLAGS);
  benchmark::AddCustomContext("cpu_model", read_cpu_model());
  benchmark::AddCustomContext("setup", "depth 4, square widths n=m=w, 4096 observations, eta=1e-3, lambda=1e-4, "
                                       "END_TO_END init s=1, 1 thread");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
