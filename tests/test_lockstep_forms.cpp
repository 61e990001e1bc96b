// The lockstep step (src/lockstep.cpp) has a function per instruction set —
// x86-64-v4, v3, any other (lockstep_lanes.hpp: Isa) — and a CPU runs one of
// them. Where they differ is in what lockstep_lanes.hpp writes out per
// instruction set: the Philox draws' multiplies and word vectors, and the
// bounds' vmaxpd. Those are held here against Random123, the 128-bit product
// of uniform_below and the plain selection, on every instruction set this CPU
// has, so that a member's draws cannot depend on which function ran (issue 16).
#include <doctest/doctest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "../src/instruction_sets.hpp"
#include "../src/lockstep_lanes.hpp"
#include "../src/sampler.hpp"
#include "../src/sampler_draw.hpp"

namespace {

using dln::lanes::Isa;
using dln::lanes::Lanes;
using dln::lanes::Words;

constexpr int kDrawn = 32;  // lockstep_step's kDrawAhead: four chains of vectors

// Word 0 of the Philox draws for counters first … first + 31 and their
// uniform_below(·, pool), as lockstep_step draws them.
template <Isa isa>
[[gnu::always_inline]] inline void draws(uint64_t seed, uint64_t stream, uint64_t first, uint64_t pool,
                                         uint64_t *word, uint64_t *below) {
  using V = Words<isa>;
  constexpr int K = int(sizeof(V) / 8), N = kDrawn / K;
  V c[N];
  for (int e = 0; e < N; ++e)
    for (int q = 0; q < K; ++q) c[e][q] = first + uint64_t(K * e + q);
  for (int e = 0; e < N; e += 4) dln::lanes::philox_word0<4, isa>(seed, stream, c + e);
  for (int e = 0; e < N; ++e)
    for (int q = 0; q < K; ++q) word[K * e + q] = c[e][q];
  for (int e = 0; e < N; ++e) c[e] = dln::lanes::high_product<isa>(c[e], pool);
  for (int e = 0; e < N; ++e)
    for (int q = 0; q < K; ++q) below[K * e + q] = c[e][q];
}

// max_min on each G-lane group of x.
template <Isa isa, int G>
[[gnu::always_inline]] inline void max_mins(const double *x, int64_t n, double *out) {
  using W = Lanes<G>;
  for (int64_t i = 0; i + G <= n; i += G) W::store(out + i, W::template max_min<isa>(W::load(x + i)));
}

using Draws = void (*)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t *, uint64_t *);
using MaxMins = void (*)(const double *, int64_t, double *);

struct Form {
  const char *name;
  Draws draws;
  MaxMins max_min4, max_min8;
};

void draws_base(uint64_t s, uint64_t t, uint64_t f, uint64_t p, uint64_t *w, uint64_t *b) {
  draws<Isa::base>(s, t, f, p, w, b);
}
void max_min4_base(const double *x, int64_t n, double *o) { max_mins<Isa::base, 4>(x, n, o); }
void max_min8_base(const double *x, int64_t n, double *o) { max_mins<Isa::base, 8>(x, n, o); }

// As src/lockstep.cpp: the v3 and v4 functions only where it has them.
#ifdef DLN_CLONED
__attribute__((target("arch=x86-64-v3"))) void draws_v3(uint64_t s, uint64_t t, uint64_t f, uint64_t p, uint64_t *w,
                                                         uint64_t *b) {
  draws<Isa::v3>(s, t, f, p, w, b);
}
__attribute__((target("arch=x86-64-v3"))) void max_min4_v3(const double *x, int64_t n, double *o) {
  max_mins<Isa::v3, 4>(x, n, o);
}
__attribute__((target("arch=x86-64-v4"))) void draws_v4(uint64_t s, uint64_t t, uint64_t f, uint64_t p, uint64_t *w,
                                                         uint64_t *b) {
  draws<Isa::v4>(s, t, f, p, w, b);
}
__attribute__((target("arch=x86-64-v4"))) void max_min4_v4(const double *x, int64_t n, double *o) {
  max_mins<Isa::v4, 4>(x, n, o);
}
__attribute__((target("arch=x86-64-v4"))) void max_min8_v4(const double *x, int64_t n, double *o) {
  max_mins<Isa::v4, 8>(x, n, o);
}
#endif

// The forms this CPU can run (groups of 8 run on v4 only: lockstep_lanes_max).
std::vector<Form> forms_here() {
  std::vector<Form> forms = {{"base", draws_base, max_min4_base, max_min8_base}};
#ifdef DLN_CLONED
  if (__builtin_cpu_supports("x86-64-v3")) forms.push_back({"x86-64-v3", draws_v3, max_min4_v3, nullptr});
  if (__builtin_cpu_supports("x86-64-v4")) forms.push_back({"x86-64-v4", draws_v4, max_min4_v4, max_min8_v4});
#endif
  return forms;
}

}  // namespace

TEST_CASE("lockstep draws are Random123's Philox word 0 and uniform_below on every instruction set") {
  const struct {
    uint64_t seed, stream, first, pool;
  } cases[] = {{0, 0, 0, 1},
               {1000, 1, 7, 60},
               {0xfedcba9876543210u, 3, (uint64_t(1) << 40) - 5, 1000003},
               {~uint64_t(0), 1, ~uint64_t(0) - 40, uint64_t(INT64_MAX)}};
  for (const Form &form : forms_here()) {
    CAPTURE(form.name);
    for (const auto &c : cases) {
      CAPTURE(c.seed);
      CAPTURE(c.first);
      CAPTURE(c.pool);
      uint64_t word[kDrawn], below[kDrawn];
      form.draws(c.seed, c.stream, c.first, c.pool, word, below);
      for (int e = 0; e < kDrawn; ++e) {
        CAPTURE(e);
        const uint64_t expected = dln::philox_draw(c.seed, c.stream, c.first + uint64_t(e), 0)[0];
        REQUIRE(word[e] == expected);
        REQUIRE(int64_t(below[e]) == dln::uniform_below(expected, int64_t(c.pool)));
      }
    }
  }
}

TEST_CASE("lockstep bounds raise every lane to DBL_MIN as the plain selection does, NaN included") {
  const double inf = std::numeric_limits<double>::infinity(), nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<double> x = {nan,     -nan,    0.0,      -0.0,    DBL_MIN, -DBL_MIN, DBL_MIN / 4, 1e-300,
                                 -1e-300, 1.0,     -1.0,     inf,     -inf,    2.5e300, DBL_MAX,    nextafter(DBL_MIN, 1.0),
                                 3.0,     nan,     DBL_MIN,  -2.0,    1e-310,  7.0,     -inf,       0.5};
  std::vector<double> expected(x.size());
  for (size_t i = 0; i < x.size(); ++i) expected[i] = x[i] > DBL_MIN ? x[i] : DBL_MIN;
  for (const Form &form : forms_here()) {
    CAPTURE(form.name);
    for (const MaxMins f : {form.max_min4, form.max_min8}) {
      if (!f) continue;
      std::vector<double> out(x.size(), -1.0);
      f(x.data(), int64_t(x.size()), out.data());
      for (size_t i = 0; i < x.size(); ++i) {
        CAPTURE(i);
        CHECK(std::memcmp(&out[i], &expected[i], sizeof(double)) == 0);
      }
    }
  }
}
