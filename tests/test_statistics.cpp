// The statistics of ensembles (docs/ensembles.md): the Wilson interval, the
// Kaplan–Meier estimate with Greenwood's variance and log(−log) pointwise
// intervals, and the median with its Brookmeyer–Crowley interval; each
// against a hand computation written out here and against published values.
#include <cmath>
#include <array>
#include <functional>
#include <string>
#include <limits>
#include <vector>

#include "support.hpp"

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct Wilson {
  double lower = -1, upper = -1;
};

Wilson wilson(int64_t k, int64_t n, double z = DLN_Z_95) {
  Wilson w;
  char message[256] = "x";
  REQUIRE_OK(dln_wilson_interval(k, n, z, &w.lower, &w.upper, message, sizeof message));
  CHECK(message[0] == '\0');
  return w;
}

using Rows = std::vector<std::array<double, DLN_KM_RECORD_SIZE>>;

Rows kaplan_meier(const std::vector<double> &times, const std::vector<int> &censored) {
  int64_t count = 0;
  REQUIRE_OK(dln_kaplan_meier(int64_t(times.size()), times.data(), censored.data(), DLN_Z_95, nullptr, 0, &count,
                              nullptr, 0));
  Rows rows(static_cast<size_t>(count));
  int64_t again = 0;
  REQUIRE_OK(dln_kaplan_meier(int64_t(times.size()), times.data(), censored.data(), DLN_Z_95, rows[0].data(), count,
                              &again, nullptr, 0));
  CHECK(again == count);
  return rows;
}

struct Median {
  double median = -1, lower = -1, upper = -1;
};

Median km_median(const std::vector<double> &times, const std::vector<int> &censored) {
  Median m;
  REQUIRE_OK(dln_kaplan_meier_median(int64_t(times.size()), times.data(), censored.data(), DLN_Z_95, &m.median,
                                     &m.lower, &m.upper, nullptr, 0));
  return m;
}

}  // namespace

TEST_CASE("the Wilson interval of 0, 5 and 10 successes in 10 trials is the textbook one") {
  // By hand, z = 1.959964, z² = 3.841459, n = 10, 1 + z²/n = 1.3841459:
  //   k = 5:  centre = (0.5 + 0.1920729)/1.3841459 = 0.5;
  //           half = z/1.3841459 · sqrt(0.025 + 0.0096036) = 1.4160 · 0.186020 = 0.263407
  //           → [0.236593, 0.763407];
  //   k = 0:  centre = 0.1920729/1.3841459 = 0.138767, half = 1.4160 · 0.098003 = 0.138767
  //           → [0, 0.277533]; k = 10 mirrors it: [0.722467, 1].
  // Published (Newcombe 1998; Agresti & Coull 1998): 0/10 → [0, 0.2775], 5/10 → [0.2366, 0.7634].
  Wilson w = wilson(5, 10);
  CHECK(w.lower == doctest::Approx(0.236593).epsilon(1e-5));
  CHECK(w.upper == doctest::Approx(0.763407).epsilon(1e-5));
  CHECK(w.lower + w.upper == doctest::Approx(1.0).epsilon(1e-15));
  w = wilson(0, 10);
  CHECK(w.lower == 0.0);  // exactly, not a rounding of the formula
  CHECK(w.upper == doctest::Approx(0.277533).epsilon(1e-5));
  w = wilson(10, 10);
  CHECK(w.lower == doctest::Approx(0.722467).epsilon(1e-5));
  CHECK(w.upper == 1.0);
}

TEST_CASE("the Wilson interval reproduces Newcombe's published examples") {
  // Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (score, no continuity correction).
  struct Case {
    int64_t k, n;
    double lower, upper;
  } cases[] = {{81, 263, 0.2553, 0.3662}, {15, 148, 0.0624, 0.1605}, {0, 20, 0.0, 0.1611}, {1, 29, 0.0061, 0.1718}};
  for (const Case &c : cases) {
    CAPTURE(c.k);
    CAPTURE(c.n);
    Wilson w = wilson(c.k, c.n);
    CHECK(std::fabs(w.lower - c.lower) <= 5e-5);
    CHECK(std::fabs(w.upper - c.upper) <= 5e-5);
  }
}

TEST_CASE("Kaplan-Meier on a small censored sample equals the hand computation, row by row") {
  // Times 1, 2+, 3, 3, 3+, 5, 7+ (+ = censored). By hand:
  //   t=1: n=7, d=1  S = 6/7           G = 1/(7·6) = 1/42
  //   t=2: n=6, c=1  S = 6/7           G = 1/42
  //   t=3: n=5, d=2, c=1  S = 6/7·3/5 = 18/35   G = 1/42 + 2/(5·3) = 11/70
  //   t=5: n=2, d=1  S = 18/35·1/2 = 9/35     G = 11/70 + 1/(2·1) = 23/35
  //   t=7: n=1, c=1  S = 9/35
  // se = S·sqrt(G): 6/7·sqrt(1/42) = 0.132260014, 18/35·sqrt(11/70) = 0.203869277,
  // 9/35·sqrt(23/35) = 0.208451181.
  // log(−log) band: w = z·sqrt(G)/|ln S|, [S^e^w, S^e^−w]:
  //   t=1: w = 1.959964·0.1543033/0.1541507 = 1.961905 → [0.334053879, 0.978561059]
  //   t=3: w = 1.959964·0.3964125/0.6649763 = 1.168394 → [0.117759584, 0.813248608]
  //   t=5: w = 1.959964·0.8106434/1.3581464 = 1.169873 → [0.012584262, 0.656015963]
  Rows rows = kaplan_meier({5, 1, 3, 7, 3, 2, 3}, {0, 0, 1, 1, 0, 1, 0});  // any order
  REQUIRE(rows.size() == 5);
  const double expected[5][8] = {
      {1, 7, 1, 0, 6.0 / 7, 0.132260014253, 0.334053879292, 0.978561058526},
      {2, 6, 0, 1, 6.0 / 7, 0.132260014253, 0.334053879292, 0.978561058526},
      {3, 5, 2, 1, 18.0 / 35, 0.203869277273, 0.117759583917, 0.813248607576},
      {5, 2, 1, 0, 9.0 / 35, 0.208451181440, 0.0125842620705, 0.656015963204},
      {7, 1, 0, 1, 9.0 / 35, 0.208451181440, 0.0125842620705, 0.656015963204}};
  for (size_t j = 0; j < 5; ++j)
    for (int f = 0; f < DLN_KM_RECORD_SIZE; ++f) {
      CAPTURE(j);
      CAPTURE(f);
      CHECK(rows[j][size_t(f)] == doctest::Approx(expected[j][f]).epsilon(1e-11));
    }
  // Median: S(3) = 0.514 > 1/2, S(5) = 0.257 → 5. Its interval: the lower band is
  // <= 1/2 from t = 1 on (0.334); the upper band never reaches 1/2 (0.656 at the end) → +inf.
  Median m = km_median({5, 1, 3, 7, 3, 2, 3}, {0, 0, 1, 1, 0, 1, 0});
  CHECK(m.median == 5.0);
  CHECK(m.lower == 1.0);
  CHECK(m.upper == kInf);
}

TEST_CASE("Kaplan-Meier on the 6-MP leukaemia remission times matches the textbook table") {
  // Freireich et al. (1963), 6-MP group, 21 patients (Kleinbaum & Klein, Survival
  // Analysis, table of the KM estimate; Greenwood standard errors and log-log
  // limits as printed by R's survfit(conf.type = "log-log")).
  const std::vector<double> t = {6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35};
  const std::vector<int> c = {0, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1};
  Rows rows = kaplan_meier(t, c);
  struct Published {
    double time, at_risk, events, survival, std_error, lower, upper;
  } table[] = {{6, 21, 3, 0.8571, 0.0764, 0.620, 0.952},  {7, 17, 1, 0.8067, 0.0869, 0.563, 0.923},
               {10, 15, 1, 0.7529, 0.0963, 0.503, 0.889}, {13, 12, 1, 0.6902, 0.1068, 0.432, 0.849},
               {16, 11, 1, 0.6275, 0.1141, 0.368, 0.805}, {22, 7, 1, 0.5378, 0.1282, 0.268, 0.747},
               {23, 6, 1, 0.4482, 0.1346, 0.188, 0.680}};
  size_t found = 0;
  for (const Published &p : table)
    for (const auto &r : rows)
      if (r[DLN_KM_TIME] == p.time) {
        CAPTURE(p.time);
        CHECK(r[DLN_KM_AT_RISK] == p.at_risk);
        CHECK(r[DLN_KM_EVENTS] == p.events);
        CHECK(std::fabs(r[DLN_KM_SURVIVAL] - p.survival) <= 5e-5);
        CHECK(std::fabs(r[DLN_KM_STD_ERROR] - p.std_error) <= 5e-5);
        CHECK(std::fabs(r[DLN_KM_LOWER] - p.lower) <= 5e-4);
        CHECK(std::fabs(r[DLN_KM_UPPER] - p.upper) <= 5e-4);
        ++found;
      }
  CHECK(found == 7);
  CHECK(rows.size() == 16);  // distinct times, censored-only ones included
  // Median 23 (S falls to 0.448); the lower band is first <= 1/2 at 13 (0.432); the
  // upper band stays above 1/2 (0.680 at 23, then no more events): R prints 23, 13, NA.
  Median m = km_median(t, c);
  CHECK(m.median == 23.0);
  CHECK(m.lower == 13.0);
  CHECK(m.upper == kInf);
}

TEST_CASE("when the last at risk all have the event, S falls to 0 with a degenerate band") {
  // Times 1, 2, 2, all events. t=1: n=3, d=1, S = 2/3, G = 1/6, se = 0.272165527,
  // w = 1.959964·0.4082483/0.4054651 = 1.973418 → [0.054073427, 0.945206387].
  // t=2: n=2, d=2, S = 0; Greenwood's sum is infinite: se NaN, band [0, 0].
  // Median 2; its interval [1 (lower band 0.054), 2 (upper band 0)].
  Rows rows = kaplan_meier({1, 2, 2}, {0, 0, 0});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][DLN_KM_STD_ERROR] == doctest::Approx(0.272165526976).epsilon(1e-11));
  CHECK(rows[0][DLN_KM_LOWER] == doctest::Approx(0.0540734267865).epsilon(1e-10));
  CHECK(rows[0][DLN_KM_UPPER] == doctest::Approx(0.945206387272).epsilon(1e-11));
  CHECK(rows[1][DLN_KM_SURVIVAL] == 0.0);
  CHECK(std::isnan(rows[1][DLN_KM_STD_ERROR]));
  CHECK(rows[1][DLN_KM_LOWER] == 0.0);
  CHECK(rows[1][DLN_KM_UPPER] == 0.0);
  Median m = km_median({1, 2, 2}, {0, 0, 0});
  CHECK(m.median == 2.0);
  CHECK(m.lower == 1.0);
  CHECK(m.upper == 2.0);
}

TEST_CASE("a survival of exactly one half counts as reached, and all-censored data reach nothing") {
  // Ten events at 1..10: S(5) = 9/10·8/9·7/8·6/7·5/6 = 1/2 (rounding may leave 0.5000000000000001).
  std::vector<double> t;
  for (int i = 1; i <= 10; ++i) t.push_back(i);
  Median m = km_median(t, std::vector<int>(10, 0));
  CHECK(m.median == 5.0);
  // Before the first event S = 1 with se 0 and band [1, 1]; with no event at all, nothing is reached.
  Rows rows = kaplan_meier({4, 4, 9}, {1, 1, 1});
  REQUIRE(rows.size() == 2);
  CHECK(rows[0][DLN_KM_AT_RISK] == 3);
  CHECK(rows[0][DLN_KM_CENSORED] == 2);
  CHECK(rows[1][DLN_KM_SURVIVAL] == 1.0);
  CHECK(rows[1][DLN_KM_STD_ERROR] == 0.0);
  CHECK(rows[1][DLN_KM_LOWER] == 1.0);
  m = km_median({4, 4, 9}, {1, 1, 1});
  CHECK(m.median == kInf);
  CHECK(m.lower == kInf);
  CHECK(m.upper == kInf);
}

TEST_CASE("a short rows buffer gets the first rows and the full count") {
  int64_t count = 0;
  double rows[DLN_KM_RECORD_SIZE];
  const double t[] = {3, 1, 2};
  const int c[] = {0, 0, 0};
  REQUIRE_OK(dln_kaplan_meier(3, t, c, DLN_Z_95, rows, 1, &count, nullptr, 0));
  CHECK(count == 3);
  CHECK(rows[DLN_KM_TIME] == 1.0);
  CHECK(rows[DLN_KM_SURVIVAL] == doctest::Approx(2.0 / 3).epsilon(1e-15));
}

TEST_CASE("bad statistics inputs are refused with a message naming the argument and value") {
  char message[256];
  double lo = 7, hi = 7, med = 7;
  int64_t count = -5;
  const double t[] = {1, 2};
  const int c[] = {0, 2};
  const double bad_t[] = {1, std::nan("")};
  const double negative_t[] = {1, -3};
  const int ok_c[] = {0, 0};
  struct Case {
    int expected;
    const char *message;
    std::function<int()> call;
  };
  const Case cases[] = {
      {DLN_ERR_INVALID_ARGUMENT, "dln_wilson_interval: trials=0 must be >= 1",
       [&] { return dln_wilson_interval(0, 0, DLN_Z_95, &lo, &hi, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_wilson_interval: successes=11 is outside [0, trials=10]",
       [&] { return dln_wilson_interval(11, 10, DLN_Z_95, &lo, &hi, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_wilson_interval: successes=-1 is outside [0, trials=10]",
       [&] { return dln_wilson_interval(-1, 10, DLN_Z_95, &lo, &hi, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_wilson_interval: z=-1 must be > 0 (DLN_Z_95 for 95 %)",
       [&] { return dln_wilson_interval(1, 10, -1.0, &lo, &hi, message, 256); }},
      {DLN_ERR_NOT_FINITE, "dln_wilson_interval: z=nan is not finite",
       [&] { return dln_wilson_interval(1, 10, std::nan(""), &lo, &hi, message, 256); }},
      {DLN_ERR_NULL_POINTER, "dln_wilson_interval: lower is NULL",
       [&] { return dln_wilson_interval(1, 10, DLN_Z_95, nullptr, &hi, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_kaplan_meier: censored[1]=2 must be 0 (event) or 1 (censored)",
       [&] { return dln_kaplan_meier(2, t, c, DLN_Z_95, nullptr, 0, &count, message, 256); }},
      {DLN_ERR_NOT_FINITE, "dln_kaplan_meier: times[1]=nan is not finite",
       [&] { return dln_kaplan_meier(2, bad_t, ok_c, DLN_Z_95, nullptr, 0, &count, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_kaplan_meier: times[1]=-3 is negative",
       [&] { return dln_kaplan_meier(2, negative_t, ok_c, DLN_Z_95, nullptr, 0, &count, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_kaplan_meier: n=0 must be >= 1",
       [&] { return dln_kaplan_meier(0, t, ok_c, DLN_Z_95, nullptr, 0, &count, message, 256); }},
      {DLN_ERR_NULL_POINTER, "dln_kaplan_meier: rows is NULL",
       [&] { return dln_kaplan_meier(2, t, ok_c, DLN_Z_95, nullptr, 4, &count, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_kaplan_meier: capacity=-1 is negative",
       [&] { return dln_kaplan_meier(2, t, ok_c, DLN_Z_95, nullptr, -1, &count, message, 256); }},
      {DLN_ERR_NULL_POINTER, "dln_kaplan_meier_median: times is NULL",
       [&] { return dln_kaplan_meier_median(2, nullptr, ok_c, DLN_Z_95, &med, &lo, &hi, message, 256); }},
      {DLN_ERR_INVALID_ARGUMENT, "dln_kaplan_meier_median: z=0 must be > 0 (DLN_Z_95 for 95 %)",
       [&] { return dln_kaplan_meier_median(2, t, ok_c, 0.0, &med, &lo, &hi, message, 256); }},
  };
  for (const Case &k : cases) {
    CAPTURE(k.message);
    message[0] = 'x';
    CHECK(k.call() == k.expected);
    CHECK(std::string(message) == k.message);
  }
  CHECK(lo == 7);  // no output is written on error
  CHECK(hi == 7);
  CHECK(med == 7);
  CHECK(count == -5);
  char tiny[8];
  CHECK(dln_kaplan_meier_median(2, t, ok_c, 0.0, &med, &lo, &hi, tiny, sizeof tiny) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(tiny) == "dln_kap");  // truncated, NUL-terminated
}
