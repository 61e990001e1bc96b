// math §8 / issue 4: the step loop allocates nothing, restores the caller's
// floating-point control word, and stays exact when dead modes are subnormal.
#include <atomic>
#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <new>

#include "checkpoint_tools.hpp"
#include "support.hpp"

#if defined(__SSE__)
#include <xmmintrin.h>
#endif

// Counts every operator new in the process (the library's included: its
// calls bind to this definition); the one numbered g_fail_at fails.
static std::atomic<long> g_allocations{0};
static std::atomic<long> g_fail_at{-1};
void *operator new(std::size_t size) {
  if (g_allocations.fetch_add(1, std::memory_order_relaxed) == g_fail_at.load()) throw std::bad_alloc();
  if (void *p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void *p) noexcept { std::free(p); }
void operator delete(void *p, std::size_t) noexcept { std::free(p); }

TEST_CASE("after the first step, sampled steps allocate nothing on the heap") {
  for (int64_t batch : {1, 8}) {
    for (int sampler : {DLN_SAMPLER_WITH_REPLACEMENT, DLN_SAMPLER_WITHOUT_REPLACEMENT}) {
      ModelPtr m = make_problem_model({30, 20, 20, 20, 25}, 500, 4, 1.0);
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(batch)));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, sampler));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
      REQUIRE_OK(dln_step(m.get(), 600));  // warm-up: workspace and the first permutations
      long before = g_allocations.load();
      REQUIRE_OK(dln_step(m.get(), 5000));
      long after = g_allocations.load();
      CAPTURE(batch);
      CAPTURE(sampler);
      CHECK(after - before == 0);
    }
  }
}

// math §7 for the records of dln_step: the rank check and the trace row
// run after the step is applied and allocate (spectra, residuals); when one
// of them fails, the step is undone. Every allocation of a step with both
// due fails in turn, each must leave the whole state (checkpoint bytes) as
// it was, and the step retried after them equals one never interrupted.
TEST_CASE("a failure in the rank check or trace row after a step undoes that step") {
  for (bool batch : {false, true}) {
    CAPTURE(batch);
    ModelPtr m = make_problem_model({6, 5, 4, 7}, 40, 3, 1.0);
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 1));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_TRACE_INTERVAL, 1));
    REQUIRE_OK(dln_step(m.get(), 5));
    ModelPtr uninterrupted = clone_of(m.get());
    const int64_t indices[3] = {0, 7, 7};
    auto step = [&](dln_model *h) { return batch ? dln_step_batch(h, 3, indices) : dln_step(h, 1); };
    REQUIRE_OK(step(uninterrupted.get()));
    int64_t failures = 0;
    int status = DLN_ERR_NOMEM;
    for (long k = 0; status != DLN_OK && k < 100000; ++k) {
      const ckt::Bytes before = ckt::snapshot(m.get());
      g_fail_at = g_allocations.load() + k;
      status = step(m.get());
      g_fail_at = -1;
      if (status == DLN_OK) break;
      ++failures;
      CHECK(status == DLN_ERR_NOMEM);
      CHECK(ckt::snapshot(m.get()) == before);
    }
    REQUIRE(status == DLN_OK);
    MESSAGE(failures, " allocations failed in turn");
    CHECK(failures > 10);  // the records do allocate: the failures were inside them
    CHECK(ckt::snapshot(m.get()) == ckt::snapshot(uninterrupted.get()));
  }
}

#if defined(__SSE__)
TEST_CASE("the caller's floating-point control word is the same after every call") {
  ModelPtr m = make_problem_model({6, 5, 5, 5, 6}, 40, 2, 1.0);
  const unsigned saved = _mm_getcsr();
  // A caller with a non-default rounding mode and no FTZ/DAZ.
  const unsigned custom = (saved & ~0x8040u & ~0x6000u) | 0x2000u;  // round down
  _mm_setcsr(custom);
  int st1 = dln_step(m.get(), 100);
  const int64_t batch[] = {0, 1, 2};
  int st2 = dln_step_batch(m.get(), 3, batch);
  const unsigned seen = _mm_getcsr();
  _mm_setcsr(saved);
  CHECK(st1 == DLN_OK);
  CHECK(st2 == DLN_OK);
  CHECK(seen == custom);
}
#endif

TEST_CASE("a dead mode at subnormal scale steps like a dead mode at zero") {
  // The step flushes subnormals (FTZ/DAZ): a hidden unit whose weights are
  // 1e-310 behaves exactly as one whose weights are 0.
  auto build = [](double dead) {
    ModelPtr m = make_problem_model({6, 5, 5, 5, 6}, 40, 9, 1.0);
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
    for (int64_t l = 1; l <= 4; ++l) {
      auto w = weights_of(m.get(), l);
      const int64_t cols = l == 1 ? 6 : 5, rows = l == 4 ? 6 : 5;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j)
          if ((l < 4 && i == 4) || (l > 1 && j == 4)) w[size_t(i * cols + j)] = dead;  // hidden unit 4
      REQUIRE_OK(dln_set_weights(m.get(), l, w.data()));
    }
    REQUIRE_OK(dln_step(m.get(), 2000));
    return all_weights(m.get());
  };
  auto subnormal = build(1e-310), zero = build(0.0);
  for (size_t l = 0; l < zero.size(); ++l)
    for (size_t i = 0; i < zero[l].size(); ++i)
      if (zero[l][i] != 0.0 || std::fabs(subnormal[l][i]) >= DBL_MIN) REQUIRE(subnormal[l][i] == zero[l][i]);
}
