// Cost of the rank-change checks (issue 12 item 5): steps/s of dln_step with
// DLN_PARAM_JUMP_INTERVAL = 0 / 100 / 1000 at depth 4, widths w = 64 and 256,
// a 100 × 100 target with 6460 observations, in two states: a generic start
// (DLN_INIT_END_TO_END) and a jumped low-rank state (a balanced rank-5
// factorisation of a rank-5 target). Each repetition runs the three
// intervals back to back from clones of the same state (paired, alternating
// order); the medians of the thread CPU times are reported.
// Build: bench/checks/build.sh. Usage: bench_checks [repetitions] [steps].
#include <dlnsgd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <vector>

namespace {

double thread_seconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

void ok(int status, const char *what) {
  if (status != DLN_OK) {
    std::fprintf(stderr, "%s: %s\n", what, dln_status_name(status));
    std::exit(1);
  }
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 5;
  const int64_t steps = argc > 2 ? std::atoll(argv[2]) : 20000;
  const int64_t n = 100, m = 100, count = 6460, rank = 5;
  std::mt19937_64 rng(1);
  std::normal_distribution<double> normal;
  // A rank-5 target, observed at random positions.
  std::vector<double> u(size_t(n * rank)), v(size_t(m * rank)), target(size_t(n * m), 0.0);
  for (double &x : u) x = normal(rng);
  for (double &x : v) x = normal(rng);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j)
      for (int64_t k = 0; k < rank; ++k) target[size_t(i * m + j)] += u[size_t(i * rank + k)] * v[size_t(j * rank + k)] / 5.0;
  std::vector<int64_t> rows(count), cols(count);
  std::vector<double> y(count);
  for (int64_t k = 0; k < count; ++k) {
    rows[size_t(k)] = int64_t(rng() % uint64_t(n));
    cols[size_t(k)] = int64_t(rng() % uint64_t(m));
    y[size_t(k)] = target[size_t(rows[size_t(k)] * m + cols[size_t(k)])];
  }
  std::printf("%-8s %-8s %10s %10s %10s %10s %10s\n", "width", "state", "k=0 st/s", "k=100", "k=1000",
              "ovh@100", "ovh@1000");
  for (int64_t w : {64, 256}) {
    for (int state = 0; state < 2; ++state) {
      const int64_t widths[5] = {m, w, w, w, n};
      dln_model *base = nullptr;
      ok(dln_create(4, widths, 1, &base), "dln_create");
      ok(dln_set_observations(base, count, rows.data(), cols.data(), y.data()), "dln_set_observations");
      ok(dln_set_param(base, DLN_PARAM_RIDGE, 1e-3), "ridge");
      ok(dln_set_param(base, DLN_PARAM_LEARNING_RATE, 0.01), "learning rate");
      if (state == 0) {
        const double s = 1.0;
        ok(dln_init_weights(base, DLN_INIT_END_TO_END, 1, &s), "dln_init_weights");
      } else {
        ok(dln_init_balanced(base, target.data()), "dln_init_balanced");
      }
      const int64_t intervals[3] = {0, 100, 1000};
      std::vector<double> seconds[3];
      for (int r = 0; r < reps; ++r)
        for (int q = 0; q < 3; ++q) {
          const int i = (r % 2 == 0) ? q : 2 - q;  // alternate the order
          dln_model *x = nullptr;
          ok(dln_clone(base, &x), "dln_clone");
          ok(dln_set_param(x, DLN_PARAM_JUMP_INTERVAL, double(intervals[i])), "interval");
          const double t0 = thread_seconds();
          ok(dln_step(x, steps), "dln_step");
          seconds[i].push_back(thread_seconds() - t0);
          dln_destroy(x);
        }
      const double t0 = median(seconds[0]), t100 = median(seconds[1]), t1000 = median(seconds[2]);
      std::printf("%-8lld %-8s %10.0f %10.0f %10.0f %9.1f%% %9.1f%%\n", (long long)w,
                  state == 0 ? "generic" : "jumped", steps / t0, steps / t100, steps / t1000,
                  100.0 * (t100 - t0) / t0, 100.0 * (t1000 - t0) / t0);
      std::fflush(stdout);
      dln_destroy(base);
    }
  }
}
