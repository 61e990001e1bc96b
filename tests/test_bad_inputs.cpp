// Bad inputs (math §7, issue 5): every entry point of dlnsgd.h fed every bad
// argument we could think of. Each case checks the status code, that
// dln_last_error names the argument and its value, and that the handle is
// unchanged: its checkpoint bytes (the whole state) before and after the call
// are identical. Handle-free calls (dln_create, dln_param_bounds, …) check
// the status and that nothing was written.
#include <climits>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "checkpoint_tools.hpp"

using namespace ckt;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

enum class Fixture {
  Rich,   // depth 3, widths {4, 3, 3, 5}: data, schedules, subset, steps taken
  Fresh,  // depth 3, widths {4, 3, 3, 5}: just created (no data)
  FreshRidge,  // Fresh with a ridge, so the default eps of B_r needs residuals
  Deep1,  // depth 1, widths {4, 5}, with data
  Subset  // Deep1 with DLN_SAMPLER_SUBSET chosen but no subset given
};

struct Case {
  std::string name;
  Fixture fixture;
  int expect;
  std::vector<std::string> mentions;  // substrings of dln_last_error
  std::function<int(dln_model *)> call;
};

ModelPtr fixture(Fixture f) {
  switch (f) {
    case Fixture::Rich:
      return rich_model();
    case Fixture::Fresh:
      return make_model({4, 3, 3, 5}, 9);
    case Fixture::Deep1: {
      ModelPtr m = make_model({4, 5}, 9);
      const int64_t r[3] = {0, 1, 4}, c[3] = {0, 3, 2};
      const double v[3] = {1, -1, 0.5};
      REQUIRE_OK(dln_set_observations(m.get(), 3, r, c, v));
      return m;
    }
    case Fixture::FreshRidge: {
      ModelPtr m = fixture(Fixture::Fresh);
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
      return m;
    }
    case Fixture::Subset: {
      ModelPtr m = fixture(Fixture::Deep1);
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_SUBSET));
      return m;
    }
  }
  return nullptr;
}

int64_t g_cases = 0;

void run(const std::vector<Case> &cases) {
  for (const Case &c : cases) {
    CAPTURE(c.name);
    ModelPtr m = fixture(c.fixture);
    const Bytes before = snapshot(m.get());
    int status = c.call(m.get());
    std::string message = dln_last_error(m.get());
    INFO("status ", dln_status_name(status), ", message \"", message, "\"");
    CHECK(status == c.expect);
    for (const std::string &s : c.mentions) {
      INFO("the message should mention \"", s, "\"");
      CHECK(message.find(s) != std::string::npos);
    }
    CHECK(snapshot(m.get()) == before);
    ++g_cases;
  }
}

// A NULL handle: the status, and the static message of dln_last_error(NULL).
struct NullCase {
  std::string name;
  std::function<int()> call;
  int expect = DLN_ERR_NULL_POINTER;
};

void run_null(const std::vector<NullCase> &cases) {
  for (const NullCase &c : cases) {
    CAPTURE(c.name);
    int status = c.call();
    INFO("status ", dln_status_name(status));
    CHECK(status == c.expect);
    CHECK(std::string(dln_last_error(nullptr)).size() > 0);
    ++g_cases;
  }
}

std::vector<double> filled(size_t n, double x) { return std::vector<double>(n, x); }

}  // namespace

TEST_CASE("options: ids, non-finite values, ranges, integrality, 2*eta*lambda >= 1") {
  std::vector<Case> cases;
  auto set = [&](const std::string &name, int param, double value, int expect,
                 std::vector<std::string> mentions, Fixture f = Fixture::Rich) {
    cases.push_back({name, f, expect, std::move(mentions),
                     [=](dln_model *m) { return dln_set_param(m, param, value); }});
  };
  for (int bad : {0, DLN_PARAM_LAST_ + 1, -1, INT_MAX, INT_MIN})
    set("unknown param " + std::to_string(bad), bad, 1.0, DLN_ERR_UNKNOWN_PARAM,
        {"param=" + std::to_string(bad)});
  for (int p = 1; p <= DLN_PARAM_LAST_; ++p) {
    const std::string name = dln_param_name(p);
    for (double x : {kNaN, kInf, -kInf})
      set(name + " non-finite", p, x, DLN_ERR_NOT_FINITE, {name, "not finite"});
  }
  set("negative learning rate", DLN_PARAM_LEARNING_RATE, -0.5, DLN_ERR_INVALID_ARGUMENT,
      {"DLN_PARAM_LEARNING_RATE", "value=-0.5"});
  set("negative ridge", DLN_PARAM_RIDGE, -0.25, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_RIDGE", "value=-0.25"});
  set("batch size 0", DLN_PARAM_BATCH_SIZE, 0, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_BATCH_SIZE", "value=0"});
  set("batch size -3", DLN_PARAM_BATCH_SIZE, -3, DLN_ERR_INVALID_ARGUMENT, {"value=-3"});
  set("batch size 2^41", DLN_PARAM_BATCH_SIZE, 2199023255552.0, DLN_ERR_INVALID_ARGUMENT, {"value=2199023255552"});
  set("batch size 1.5", DLN_PARAM_BATCH_SIZE, 1.5, DLN_ERR_INVALID_ARGUMENT, {"value=1.5", "integer"});
  set("sampler 4", DLN_PARAM_SAMPLER, 4, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_SAMPLER", "value=4"});
  set("sampler -1", DLN_PARAM_SAMPLER, -1, DLN_ERR_INVALID_ARGUMENT, {"value=-1"});
  set("sampler 0.5", DLN_PARAM_SAMPLER, 0.5, DLN_ERR_INVALID_ARGUMENT, {"value=0.5"});
  set("threads 0", DLN_PARAM_THREADS, 0, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_THREADS", "value=0"});
  set("threads 1025", DLN_PARAM_THREADS, 1025, DLN_ERR_INVALID_ARGUMENT, {"value=1025"});
  set("threads 2.5", DLN_PARAM_THREADS, 2.5, DLN_ERR_INVALID_ARGUMENT, {"value=2.5"});
  set("jump interval -1", DLN_PARAM_JUMP_INTERVAL, -1, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_JUMP_INTERVAL", "value=-1"});
  set("jump interval 0.5", DLN_PARAM_JUMP_INTERVAL, 0.5, DLN_ERR_INVALID_ARGUMENT, {"value=0.5"});
  set("jump interval 2^53", DLN_PARAM_JUMP_INTERVAL, 9007199254740992.0, DLN_ERR_INVALID_ARGUMENT, {"value=9007199254740992"});
  set("jump rtol 1", DLN_PARAM_JUMP_RTOL, 1.0, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_JUMP_RTOL", "value=1"});
  set("jump rtol -0.1", DLN_PARAM_JUMP_RTOL, -0.1, DLN_ERR_INVALID_ARGUMENT, {"value=-0.1"});
  set("rank atol -1", DLN_PARAM_RANK_ATOL, -1, DLN_ERR_INVALID_ARGUMENT, {"DLN_PARAM_RANK_ATOL", "value=-1"});
  // 2ηλ >= 1: eta = 0.05 with the ridge schedule's largest factor 1.
  set("ridge with 2*eta*lambda = 1", DLN_PARAM_RIDGE, 10.0, DLN_ERR_INVALID_ARGUMENT, {"2*eta*lambda=1", "< 1"});
  set("ridge with 2*eta*lambda > 1", DLN_PARAM_RIDGE, 1e6, DLN_ERR_INVALID_ARGUMENT, {"2*eta*lambda=", "< 1"});
  // eta * max piecewise factor (1 for t < 5; 0.5; 0.25) with ridge 0.01.
  set("learning rate with 2*eta*lambda > 1", DLN_PARAM_LEARNING_RATE, 100.0, DLN_ERR_INVALID_ARGUMENT, {"2*eta*lambda=2"});
  set("learning rate huge", DLN_PARAM_LEARNING_RATE, 1e308, DLN_ERR_INVALID_ARGUMENT, {"2*eta*lambda="});

  auto get = [&](const std::string &name, int param, bool null_value, int expect, std::vector<std::string> mentions) {
    cases.push_back({name, Fixture::Rich, expect, std::move(mentions), [=](dln_model *m) {
                       double v = 0;
                       return dln_get_param(m, param, null_value ? nullptr : &v);
                     }});
  };
  get("get unknown param 0", 0, false, DLN_ERR_UNKNOWN_PARAM, {"param=0"});
  get("get unknown param 42", 42, false, DLN_ERR_UNKNOWN_PARAM, {"param=42"});
  get("get with NULL value", DLN_PARAM_RIDGE, true, DLN_ERR_NULL_POINTER, {"value is NULL"});
  run(cases);

  // Handle-free: dln_param_bounds and dln_param_name.
  double lo = 7, hi = 7;
  CHECK(dln_param_bounds(0, &lo, &hi) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(dln_param_bounds(DLN_PARAM_LAST_ + 1, &lo, &hi) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(dln_param_bounds(DLN_PARAM_RIDGE, nullptr, &hi) == DLN_ERR_NULL_POINTER);
  CHECK(dln_param_bounds(DLN_PARAM_RIDGE, &lo, nullptr) == DLN_ERR_NULL_POINTER);
  CHECK(lo == 7);
  CHECK(hi == 7);
  CHECK(dln_param_name(0) == nullptr);
  CHECK(dln_param_name(DLN_PARAM_LAST_ + 1) == nullptr);
  CHECK(std::string(dln_status_string(12345)) == "unknown status");
  CHECK(std::string(dln_status_name(-999)) == "DLN_UNKNOWN_STATUS");
  g_cases += 8;
}

TEST_CASE("schedules: params, kinds, argument counts and values") {
  std::vector<Case> cases;
  auto sched = [&](const std::string &name, int param, int kind, std::vector<double> args, int expect,
                   std::vector<std::string> mentions, bool null_args = false, int64_t nargs = -2) {
    cases.push_back({name, Fixture::Rich, expect, std::move(mentions), [=](dln_model *m) {
                       int64_t n = nargs == -2 ? int64_t(args.size()) : nargs;
                       return dln_set_schedule(m, param, kind, n, null_args ? nullptr : args.data());
                     }});
  };
  sched("schedule on batch size", DLN_PARAM_BATCH_SIZE, DLN_SCHEDULE_CONSTANT, {}, DLN_ERR_UNKNOWN_PARAM, {"param=3"});
  sched("schedule on param 0", 0, DLN_SCHEDULE_CONSTANT, {}, DLN_ERR_UNKNOWN_PARAM, {"param=0"});
  sched("kind 7", DLN_PARAM_RIDGE, 7, {}, DLN_ERR_UNKNOWN_PARAM, {"kind=7"});
  sched("kind -1", DLN_PARAM_RIDGE, -1, {}, DLN_ERR_UNKNOWN_PARAM, {"kind=-1"});
  sched("nargs -1", DLN_PARAM_RIDGE, DLN_SCHEDULE_EXPONENTIAL, {0.5}, DLN_ERR_INVALID_ARGUMENT, {"nargs=-1"}, false, -1);
  sched("NULL args", DLN_PARAM_RIDGE, DLN_SCHEDULE_EXPONENTIAL, {0.5}, DLN_ERR_NULL_POINTER, {"args is NULL"}, true);
  sched("constant with 1 arg", DLN_PARAM_RIDGE, DLN_SCHEDULE_CONSTANT, {1.0}, DLN_ERR_INVALID_ARGUMENT, {"nargs=1"});
  sched("step decay with 1 arg", DLN_PARAM_RIDGE, DLN_SCHEDULE_STEP_DECAY, {0.5}, DLN_ERR_INVALID_ARGUMENT, {"nargs=1"});
  sched("step decay gamma 0", DLN_PARAM_RIDGE, DLN_SCHEDULE_STEP_DECAY, {0.0, 10}, DLN_ERR_INVALID_ARGUMENT, {"gamma", "=0"});
  sched("step decay gamma 1.5", DLN_PARAM_RIDGE, DLN_SCHEDULE_STEP_DECAY, {1.5, 10}, DLN_ERR_INVALID_ARGUMENT, {"gamma", "=1.5"});
  sched("step decay k 0", DLN_PARAM_RIDGE, DLN_SCHEDULE_STEP_DECAY, {0.5, 0}, DLN_ERR_INVALID_ARGUMENT, {"(k)=0"});
  sched("step decay k 2.5", DLN_PARAM_RIDGE, DLN_SCHEDULE_STEP_DECAY, {0.5, 2.5}, DLN_ERR_INVALID_ARGUMENT, {"(k)=2.5"});
  sched("step decay k 1e19", DLN_PARAM_RIDGE, DLN_SCHEDULE_STEP_DECAY, {0.5, 1e19}, DLN_ERR_INVALID_ARGUMENT, {"(k)=1e+19"});
  sched("exponential gamma -0.5", DLN_PARAM_RIDGE, DLN_SCHEDULE_EXPONENTIAL, {-0.5}, DLN_ERR_INVALID_ARGUMENT, {"gamma", "=-0.5"});
  sched("exponential gamma NaN", DLN_PARAM_RIDGE, DLN_SCHEDULE_EXPONENTIAL, {kNaN}, DLN_ERR_NOT_FINITE, {"args[0]=nan"});
  sched("exponential gamma inf", DLN_PARAM_RIDGE, DLN_SCHEDULE_EXPONENTIAL, {kInf}, DLN_ERR_NOT_FINITE, {"args[0]=inf"});
  sched("cosine floor -0.1", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_COSINE, {-0.1, 10}, DLN_ERR_INVALID_ARGUMENT, {"floor", "=-0.1"});
  sched("cosine floor 1.1", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_COSINE, {1.1, 10}, DLN_ERR_INVALID_ARGUMENT, {"floor", "=1.1"});
  sched("cosine period 0", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_COSINE, {0.1, 0}, DLN_ERR_INVALID_ARGUMENT, {"period", "=0"});
  sched("cyclic triangular period -4", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_CYCLIC_TRIANGULAR, {0.1, -4}, DLN_ERR_INVALID_ARGUMENT, {"period", "=-4"});
  sched("cyclic cosine 3 args", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_CYCLIC_COSINE, {0.1, 4, 1}, DLN_ERR_INVALID_ARGUMENT, {"nargs=3"});
  sched("piecewise no args", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {}, DLN_ERR_INVALID_ARGUMENT, {"nargs=0"});
  sched("piecewise odd", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {5, 0.5, 9}, DLN_ERR_INVALID_ARGUMENT, {"nargs=3"});
  sched("piecewise t 0", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {0, 0.5}, DLN_ERR_INVALID_ARGUMENT, {"t_i=0"});
  sched("piecewise t 1.5", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {1.5, 0.5}, DLN_ERR_INVALID_ARGUMENT, {"t_i=1.5"});
  sched("piecewise not increasing", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {5, 0.5, 5, 0.2}, DLN_ERR_INVALID_ARGUMENT, {"args[2]=5", "increase"});
  sched("piecewise negative factor", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {5, -0.5}, DLN_ERR_INVALID_ARGUMENT, {"args[1]=-0.5"});
  sched("piecewise NaN factor", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {5, kNaN}, DLN_ERR_NOT_FINITE, {"args[1]=nan"});
  // eta = 0.05, ridge 0.01: a factor of 1001 gives 2*eta*lambda = 1.001.
  sched("piecewise factor breaking 2*eta*lambda < 1", DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, {5, 1001}, DLN_ERR_INVALID_ARGUMENT, {"2*eta*lambda=1.001"});
  sched("ridge piecewise breaking 2*eta*lambda < 1", DLN_PARAM_RIDGE, DLN_SCHEDULE_PIECEWISE, {3, 0.1, 8, 1000}, DLN_ERR_INVALID_ARGUMENT, {"2*eta*lambda=1"});

  auto value = [&](const std::string &name, int param, int64_t step, bool null_out, int expect,
                   std::vector<std::string> mentions) {
    cases.push_back({name, Fixture::Rich, expect, std::move(mentions), [=](dln_model *m) {
                       double v = 0;
                       return dln_schedule_value(m, param, step, null_out ? nullptr : &v);
                     }});
  };
  value("schedule value of threads", DLN_PARAM_THREADS, 0, false, DLN_ERR_UNKNOWN_PARAM, {"param=5"});
  value("schedule value at t=-1", DLN_PARAM_RIDGE, -1, false, DLN_ERR_INVALID_ARGUMENT, {"step=-1"});
  value("schedule value at INT64_MIN", DLN_PARAM_RIDGE, INT64_MIN, false, DLN_ERR_INVALID_ARGUMENT, {"step=-9223372036854775808"});
  value("schedule value NULL out", DLN_PARAM_RIDGE, 3, true, DLN_ERR_NULL_POINTER, {"value is NULL"});
  run(cases);
}

TEST_CASE("lifecycle and shape: dln_create, dln_clone, widths, seed, step counter") {
  // dln_create has no handle: status, and *out untouched.
  auto create = [](int64_t depth, std::vector<int64_t> widths, bool null_widths = false) {
    dln_model *out = reinterpret_cast<dln_model *>(uintptr_t(0x99));
    int status = dln_create(depth, null_widths ? nullptr : widths.data(), 1, &out);
    CHECK(out == reinterpret_cast<dln_model *>(uintptr_t(0x99)));
    ++g_cases;
    return status;
  };
  CHECK(create(0, {3}) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(-1, {3, 3}) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(1025, std::vector<int64_t>(1026, 1)) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(INT64_MAX, {3, 3}) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(2, {3, 3, 3}, true) == DLN_ERR_NULL_POINTER);
  CHECK(create(2, {3, 0, 3}) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(2, {3, -4, 3}) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(1, {(int64_t(1) << 40) + 1, 3}) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(create(1, {int64_t(1) << 40, int64_t(1) << 40}) == DLN_ERR_NOMEM);
  CHECK(dln_create(1, std::vector<int64_t>{2, 2}.data(), 1, nullptr) == DLN_ERR_NULL_POINTER);
  ++g_cases;

  std::vector<Case> cases;
  cases.push_back({"clone to NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"out is NULL"},
                   [](dln_model *m) { return dln_clone(m, nullptr); }});
  cases.push_back({"depth to NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"depth is NULL"},
                   [](dln_model *m) { return dln_get_depth(m, nullptr); }});
  cases.push_back({"widths to NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"widths is NULL"},
                   [](dln_model *m) { return dln_get_widths(m, nullptr, 4); }});
  for (int64_t capacity : {int64_t(3), int64_t(0), int64_t(-1), INT64_MIN})
    cases.push_back({"widths capacity " + std::to_string(capacity), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
                     {"capacity=" + std::to_string(capacity)}, [=](dln_model *m) {
                       int64_t w[4] = {0, 0, 0, 0};
                       return dln_get_widths(m, w, capacity);
                     }});
  cases.push_back({"seed to NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"seed is NULL"},
                   [](dln_model *m) { return dln_get_seed(m, nullptr); }});
  cases.push_back({"step count to NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"step is NULL"},
                   [](dln_model *m) { return dln_get_step_count(m, nullptr); }});
  for (int64_t step : {int64_t(-1), INT64_MIN})
    cases.push_back({"step count " + std::to_string(step), Fixture::Rich, DLN_ERR_INVALID_ARGUMENT,
                     {"step=" + std::to_string(step)}, [=](dln_model *m) { return dln_set_step_count(m, step); }});
  cases.push_back({"observation count to NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"count is NULL"},
                   [](dln_model *m) { return dln_get_observation_count(m, nullptr); }});
  run(cases);
}

TEST_CASE("data: observations, held-out set, ground truth, sample subset") {
  std::vector<Case> cases;
  const std::vector<int64_t> r = {0, 1, 4}, c = {0, 3, 2};
  const std::vector<double> v = {1, 2, 3};
  using Setter = int (*)(dln_model *, int64_t, const int64_t *, const int64_t *, const double *);
  for (auto [fname, setter] : {std::pair<std::string, Setter>{"dln_set_observations", dln_set_observations},
                               std::pair<std::string, Setter>{"dln_set_test_observations", dln_set_test_observations}}) {
    auto obs = [&, fname = fname, setter = setter](const std::string &name, int64_t count, std::vector<int64_t> rows,
                                                   std::vector<int64_t> cols, std::vector<double> values, int expect,
                                                   std::vector<std::string> mentions, int nulls = 0) {
      cases.push_back({fname + ": " + name, Fixture::Rich, expect, std::move(mentions), [=](dln_model *m) {
                         return setter(m, count, nulls == 1 ? nullptr : rows.data(), nulls == 2 ? nullptr : cols.data(),
                                       nulls == 3 ? nullptr : values.data());
                       }});
    };
    obs("count -1", -1, r, c, v, DLN_ERR_INVALID_ARGUMENT, {"count=-1"});
    obs("count INT64_MIN", INT64_MIN, r, c, v, DLN_ERR_INVALID_ARGUMENT, {"count=-9223372036854775808"});
    obs("NULL rows", 3, r, c, v, DLN_ERR_NULL_POINTER, {"rows is NULL"}, 1);
    obs("NULL cols", 3, r, c, v, DLN_ERR_NULL_POINTER, {"cols is NULL"}, 2);
    obs("NULL values", 3, r, c, v, DLN_ERR_NULL_POINTER, {"values is NULL"}, 3);
    obs("row = n", 3, {0, 5, 1}, c, v, DLN_ERR_OUT_OF_RANGE, {"rows[1]=5", "[0, 5)"});
    obs("row -1", 3, {0, 1, -1}, c, v, DLN_ERR_OUT_OF_RANGE, {"rows[2]=-1"});
    obs("row INT64_MAX", 3, {INT64_MAX, 1, 1}, c, v, DLN_ERR_OUT_OF_RANGE, {"rows[0]=9223372036854775807"});
    obs("col = m", 3, r, {4, 0, 0}, v, DLN_ERR_OUT_OF_RANGE, {"cols[0]=4", "[0, 4)"});
    obs("col -7", 3, r, {0, -7, 0}, v, DLN_ERR_OUT_OF_RANGE, {"cols[1]=-7"});
    obs("value NaN", 3, r, c, {1, kNaN, 3}, DLN_ERR_NOT_FINITE, {"values[1]=nan"});
    obs("value +inf", 3, r, c, {1, 2, kInf}, DLN_ERR_NOT_FINITE, {"values[2]=inf"});
    obs("value -inf", 3, r, c, {-kInf, 2, 3}, DLN_ERR_NOT_FINITE, {"values[0]=-inf"});
  }
  cases.push_back({"dln_set_observations: count 0", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"count=0"},
                   [](dln_model *m) { return dln_set_observations(m, 0, nullptr, nullptr, nullptr); }});
  cases.push_back({"dln_set_observations: fewer than the subset needs", Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
                   {"count=3", "subset", "index 5"},
                   [=](dln_model *m) { return dln_set_observations(m, 3, r.data(), c.data(), v.data()); }});
  cases.push_back({"ground truth NaN", Fixture::Rich, DLN_ERR_NOT_FINITE, {"truth[7]=nan"}, [](dln_model *m) {
                     auto t = filled(20, 0.5);
                     t[7] = kNaN;
                     return dln_set_ground_truth(m, t.data());
                   }});
  cases.push_back({"ground truth -inf", Fixture::Rich, DLN_ERR_NOT_FINITE, {"truth[19]=-inf"}, [](dln_model *m) {
                     auto t = filled(20, 0.5);
                     t[19] = -kInf;
                     return dln_set_ground_truth(m, t.data());
                   }});
  auto subset = [&](const std::string &name, Fixture f, int64_t count, std::vector<int64_t> idx, bool null_idx,
                    int expect, std::vector<std::string> mentions) {
    cases.push_back({"subset: " + name, f, expect, std::move(mentions), [=](dln_model *m) {
                       return dln_set_sample_subset(m, count, null_idx ? nullptr : idx.data());
                     }});
  };
  subset("count -1", Fixture::Rich, -1, {0}, false, DLN_ERR_INVALID_ARGUMENT, {"count=-1"});
  subset("NULL indices", Fixture::Rich, 2, {0, 1}, true, DLN_ERR_NULL_POINTER, {"indices is NULL"});
  subset("index = N", Fixture::Rich, 2, {0, 13}, false, DLN_ERR_OUT_OF_RANGE, {"indices[1]=13", "[0, 13)"});
  subset("index -1", Fixture::Rich, 2, {-1, 0}, false, DLN_ERR_OUT_OF_RANGE, {"indices[0]=-1"});
  subset("before any observation", Fixture::Fresh, 1, {0}, false, DLN_ERR_STATE, {"dln_set_observations"});
  run(cases);
}

TEST_CASE("weights and initialisation") {
  std::vector<Case> cases;
  for (int64_t layer : {int64_t(0), int64_t(4), int64_t(-1), INT64_MAX, INT64_MIN}) {
    const std::string l = "layer=" + std::to_string(layer);
    cases.push_back({"set weights " + l, Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {l, "[1, 3]"}, [=](dln_model *m) {
                       auto w = filled(64, 0.5);
                       return dln_set_weights(m, layer, w.data());
                     }});
    cases.push_back({"get weights " + l, Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {l}, [=](dln_model *m) {
                       auto w = filled(64, 0.5);
                       return dln_get_weights(m, layer, w.data());
                     }});
  }
  cases.push_back({"set weights NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"w is NULL"},
                   [](dln_model *m) { return dln_set_weights(m, 2, nullptr); }});
  cases.push_back({"get weights NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"w is NULL"},
                   [](dln_model *m) { return dln_get_weights(m, 2, nullptr); }});
  for (double bad : {kNaN, kInf, -kInf})
    cases.push_back({"set weights non-finite", Fixture::Rich, DLN_ERR_NOT_FINITE, {"w[5]="}, [=](dln_model *m) {
                       auto w = filled(12, 0.5);
                       w[5] = bad;
                       return dln_set_weights(m, 1, w.data());
                     }});
  auto init = [&](const std::string &name, int kind, std::vector<double> args, int expect,
                  std::vector<std::string> mentions, bool null_args = false, int64_t nargs = -2) {
    cases.push_back({"init: " + name, Fixture::Rich, expect, std::move(mentions), [=](dln_model *m) {
                       return dln_init_weights(m, kind, nargs == -2 ? int64_t(args.size()) : nargs,
                                               null_args ? nullptr : args.data());
                     }});
  };
  init("kind 4", 4, {1.0}, DLN_ERR_UNKNOWN_PARAM, {"kind=4"});
  init("kind -1", -1, {1.0}, DLN_ERR_UNKNOWN_PARAM, {"kind=-1"});
  init("nargs -1", DLN_INIT_GAUSSIAN, {1.0}, DLN_ERR_INVALID_ARGUMENT, {"nargs=-1"}, false, -1);
  init("NULL args", DLN_INIT_GAUSSIAN, {1.0}, DLN_ERR_NULL_POINTER, {"args is NULL"}, true);
  init("gaussian with 2 stds at depth 3", DLN_INIT_GAUSSIAN, {1.0, 1.0}, DLN_ERR_INVALID_ARGUMENT, {"nargs=2", "depth=3"});
  init("gaussian with no std", DLN_INIT_GAUSSIAN, {}, DLN_ERR_INVALID_ARGUMENT, {"nargs=0"});
  init("gaussian negative std", DLN_INIT_GAUSSIAN, {0.5, -1.0, 0.5}, DLN_ERR_INVALID_ARGUMENT, {"args[1]=-1"});
  init("gaussian NaN std", DLN_INIT_GAUSSIAN, {kNaN}, DLN_ERR_NOT_FINITE, {"args[0]=nan"});
  init("gaussian std overflowing the weights", DLN_INIT_GAUSSIAN, {1.7976931348623157e308}, DLN_ERR_INVALID_ARGUMENT,
       {"args[0]=1.79769e+308", "overflow"});
  init("gaussian layer std overflowing the weights", DLN_INIT_GAUSSIAN, {1, 1.7976931348623157e308, 1},
       DLN_ERR_INVALID_ARGUMENT, {"args[1]=1.79769e+308", "layer 2"});
  init("end to end with 2 args", DLN_INIT_END_TO_END, {1.0, 2.0}, DLN_ERR_INVALID_ARGUMENT, {"nargs=2"});
  init("end to end inf", DLN_INIT_END_TO_END, {kInf}, DLN_ERR_NOT_FINITE, {"args[0]=inf"});
  init("orthogonal with no arg", DLN_INIT_ORTHOGONAL, {}, DLN_ERR_INVALID_ARGUMENT, {"nargs=0"});
  init("orthogonal negative", DLN_INIT_ORTHOGONAL, {-2.0}, DLN_ERR_INVALID_ARGUMENT, {"args[0]=-2"});
  init("identity with 3 args", DLN_INIT_IDENTITY, {1, 2, 3}, DLN_ERR_INVALID_ARGUMENT, {"nargs=3"});
  cases.push_back({"balanced NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"a0 is NULL"},
                   [](dln_model *m) { return dln_init_balanced(m, nullptr); }});
  cases.push_back({"balanced NaN", Fixture::Rich, DLN_ERR_NOT_FINITE, {"a0[3]=nan"}, [](dln_model *m) {
                     auto a = filled(20, 1.0);
                     a[3] = kNaN;
                     return dln_init_balanced(m, a.data());
                   }});
  run(cases);
}

TEST_CASE("stepping: arguments, wrong order, step counter overflow") {
  std::vector<Case> cases;
  cases.push_back({"step -1", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"steps=-1"},
                   [](dln_model *m) { return dln_step(m, -1); }});
  cases.push_back({"step INT64_MIN", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"steps=-9223372036854775808"},
                   [](dln_model *m) { return dln_step(m, INT64_MIN); }});
  cases.push_back({"step before observations", Fixture::Fresh, DLN_ERR_STATE, {"dln_set_observations"},
                   [](dln_model *m) { return dln_step(m, 1); }});
  cases.push_back({"step batch before observations", Fixture::Fresh, DLN_ERR_STATE, {"dln_set_observations"},
                   [](dln_model *m) {
                     const int64_t i = 0;
                     return dln_step_batch(m, 1, &i);
                   }});
  cases.push_back({"subset sampler without a subset", Fixture::Subset, DLN_ERR_STATE, {"dln_set_sample_subset"},
                   [](dln_model *m) { return dln_step(m, 1); }});
  cases.push_back({"step count overflow", Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {"steps=5", "overflow"},
                   [](dln_model *m) {
                     int64_t t = 0;
                     dln_get_step_count(m, &t);
                     dln_set_step_count(m, INT64_MAX - 2);
                     int s = dln_step(m, 5);
                     dln_set_step_count(m, t);
                     return s;
                   }});
  cases.push_back({"step batch at INT64_MAX", Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {"maximum"}, [](dln_model *m) {
                     int64_t t = 0;
                     dln_get_step_count(m, &t);
                     dln_set_step_count(m, INT64_MAX);
                     const int64_t i = 0;
                     int s = dln_step_batch(m, 1, &i);
                     dln_set_step_count(m, t);
                     return s;
                   }});
  for (int64_t b : {int64_t(0), int64_t(-1), INT64_MIN})
    cases.push_back({"step batch b=" + std::to_string(b), Fixture::Rich, DLN_ERR_INVALID_ARGUMENT,
                     {"b=" + std::to_string(b)}, [=](dln_model *m) {
                       const int64_t i[2] = {0, 1};
                       return dln_step_batch(m, b, i);
                     }});
  cases.push_back({"step batch NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"observation_indices is NULL"},
                   [](dln_model *m) { return dln_step_batch(m, 2, nullptr); }});
  for (int64_t bad : {int64_t(13), int64_t(-1), INT64_MAX})
    cases.push_back({"step batch index " + std::to_string(bad), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
                     {"observation_indices[1]=" + std::to_string(bad), "[0, 13)"}, [=](dln_model *m) {
                       const int64_t i[3] = {0, bad, 1};
                       return dln_step_batch(m, 3, i);
                     }});
  run(cases);
}

TEST_CASE("divergence: DLN_ERR_DIVERGED names the step and keeps the weights of before it") {
  for (int sampler : {DLN_SAMPLER_WITH_REPLACEMENT, DLN_SAMPLER_FULL_BATCH}) {
    CAPTURE(sampler);
    ModelPtr m = rich_model();
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, sampler));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.0));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 1e150));
    // One step at a time on a copy finds the failing step and the state before it.
    ModelPtr probe = load(snapshot(m.get()));
    Bytes last_good;
    int64_t failing = -1;
    for (int k = 0; k < 200; ++k) {
      last_good = snapshot(probe.get());
      int status = dln_step(probe.get(), 1);
      if (status == DLN_ERR_DIVERGED) {
        REQUIRE_OK(dln_get_step_count(probe.get(), &failing));
        CHECK(snapshot(probe.get()) == last_good);
        break;
      }
      REQUIRE(status == DLN_OK);
    }
    REQUIRE(failing >= 0);
    // Many steps in one call stop at the same step with the same state.
    const std::vector<std::vector<double>> weights_before = [&] {
      ModelPtr c = load(last_good);
      return all_weights(c.get());
    }();
    CHECK(dln_step(m.get(), 1000) == DLN_ERR_DIVERGED);
    std::string message = dln_last_error(m.get());
    CHECK(message.find("t=" + std::to_string(failing)) != std::string::npos);
    CHECK(all_weights(m.get()) == weights_before);
    CHECK(snapshot(m.get()) == last_good);
    // dln_step_batch diverges the same way and changes nothing.
    const int64_t batch[2] = {0, 1};
    CHECK(dln_step_batch(m.get(), 2, batch) == DLN_ERR_DIVERGED);
    CHECK(std::string(dln_last_error(m.get())).find("t=" + std::to_string(failing)) != std::string::npos);
    CHECK(snapshot(m.get()) == last_good);
    g_cases += 3;
  }
  // Weights already at 1e300: the first step's residual overflows.
  ModelPtr m = make_model({2, 2, 2, 2});
  const double big[4] = {1e300, 0, 0, 1e300};
  for (int64_t l = 1; l <= 3; ++l) REQUIRE_OK(dln_set_weights(m.get(), l, big));
  const int64_t r[2] = {0, 1}, c[2] = {0, 1};
  const double v[2] = {1, -1};
  REQUIRE_OK(dln_set_observations(m.get(), 2, r, c, v));
  REQUIRE_OK(dln_set_step_count(m.get(), 41));
  Bytes before = snapshot(m.get());
  CHECK(dln_step(m.get(), 3) == DLN_ERR_DIVERGED);
  CHECK(std::string(dln_last_error(m.get())).find("41") != std::string::npos);
  CHECK(snapshot(m.get()) == before);
  g_cases += 1;
}

TEST_CASE("observables: outputs, capacities, indices, tolerances, wrong order") {
  std::vector<Case> cases;
  auto add = [&](const std::string &name, Fixture f, int expect, std::vector<std::string> mentions,
                 std::function<int(dln_model *)> call) {
    cases.push_back({name, f, expect, std::move(mentions), std::move(call)});
  };
  double d = 0, d2 = 0;
  int64_t n = 0;
  double out[16];
  add("loss NULL cost", Fixture::Rich, DLN_ERR_NULL_POINTER, {"data_cost is NULL"},
      [&](dln_model *m) { return dln_loss(m, nullptr, &d); });
  add("loss NULL ridge", Fixture::Rich, DLN_ERR_NULL_POINTER, {"ridge_term is NULL"},
      [&](dln_model *m) { return dln_loss(m, &d, nullptr); });
  add("loss before observations", Fixture::Fresh, DLN_ERR_STATE, {"dln_set_observations"},
      [&](dln_model *m) { return dln_loss(m, &d, &d2); });
  add("weight norm NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"norm2 is NULL"},
      [&](dln_model *m) { return dln_weight_norm2(m, nullptr); });
  add("test error NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"error is NULL"},
      [&](dln_model *m) { return dln_test_error(m, nullptr); });
  add("test error without test data", Fixture::Deep1, DLN_ERR_STATE, {"dln_set_test_observations"},
      [&](dln_model *m) { return dln_test_error(m, &d); });
  add("singular values NULL count", Fixture::Rich, DLN_ERR_NULL_POINTER, {"count is NULL"},
      [&](dln_model *m) { return dln_singular_values(m, out, 16, nullptr); });
  add("singular values capacity -1", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"capacity=-1"},
      [&](dln_model *m) { return dln_singular_values(m, out, -1, &n); });
  add("singular values NULL out", Fixture::Rich, DLN_ERR_NULL_POINTER, {"out is NULL"},
      [&](dln_model *m) { return dln_singular_values(m, nullptr, 3, &n); });
  for (int64_t layer : {int64_t(0), int64_t(4), int64_t(-2)})
    add("layer singular values layer=" + std::to_string(layer), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
        {"layer=" + std::to_string(layer)}, [&, layer](dln_model *m) {
          return dln_layer_singular_values(m, layer, out, 16, &n);
        });
  add("layer singular values NULL out", Fixture::Rich, DLN_ERR_NULL_POINTER, {"out is NULL"},
      [&](dln_model *m) { return dln_layer_singular_values(m, 1, nullptr, 2, &n); });
  for (int64_t k : {int64_t(0), int64_t(3), int64_t(-1)})
    add("bottleneck singular values k=" + std::to_string(k), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
        {"k=" + std::to_string(k), "[1, 2]"}, [&, k](dln_model *m) {
          return dln_bottleneck_singular_values(m, k, out, 16, &n);
        });
  add("bottleneck singular values k=2 at depth 1", Fixture::Deep1, DLN_ERR_OUT_OF_RANGE, {"k=2", "[1, 1]"},
      [&](dln_model *m) { return dln_bottleneck_singular_values(m, 2, out, 16, &n); });
  for (double rtol : {-0.1, 1.0, kNaN, kInf})
    add("query rank rtol " + std::to_string(rtol), Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"rtol="},
        [&, rtol](dln_model *m) { return dln_query_rank(m, rtol, &n); });
  add("query rank NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"rank is NULL"},
      [&](dln_model *m) { return dln_query_rank(m, 0.1, nullptr); });
  for (int64_t target : {int64_t(-1), int64_t(4)})
    add("rank target " + std::to_string(target), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
        {"target=" + std::to_string(target)}, [&, target](dln_model *m) {
          return dln_rank(m, target, DLN_RANK_NUMERICAL, 0, 0.1, &d);
        });
  for (int measure : {3, -1})
    add("rank measure " + std::to_string(measure), Fixture::Rich, DLN_ERR_UNKNOWN_PARAM,
        {"measure=" + std::to_string(measure)}, [&, measure](dln_model *m) { return dln_rank(m, 0, measure, 0, 0.1, &d); });
  for (double atol : {-1.0, kNaN, kInf})
    add("rank atol " + std::to_string(atol), Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"atol="},
        [&, atol](dln_model *m) { return dln_rank(m, 1, DLN_RANK_NUMERICAL, atol, 0.1, &d); });
  add("rank rtol 2", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"rtol=2"},
      [&](dln_model *m) { return dln_rank(m, 1, DLN_RANK_STABLE, 0, 2.0, &d); });
  add("rank NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"rank is NULL"},
      [&](dln_model *m) { return dln_rank(m, 1, DLN_RANK_STABLE, 0, 0.1, nullptr); });
  add("bottleneck ranks capacity 1 < 2", Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {"capacity=1"}, [&](dln_model *m) {
    int64_t r[2];
    return dln_bottleneck_ranks(m, 0, 0.1, r, 1);
  });
  add("bottleneck ranks NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"out is NULL"},
      [&](dln_model *m) { return dln_bottleneck_ranks(m, 0, 0.1, nullptr, 2); });
  add("bottleneck ranks rtol -1", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"rtol=-1"}, [&](dln_model *m) {
    int64_t r[2];
    return dln_bottleneck_ranks(m, 0, -1, r, 2);
  });
  add("balancedness NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"residual is NULL"},
      [&](dln_model *m) { return dln_balancedness(m, nullptr); });
  add("representation cost NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"cost is NULL"},
      [&](dln_model *m) { return dln_representation_cost(m, nullptr); });
  add("output column norms capacity 2 < 3", Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {"capacity=2"},
      [&](dln_model *m) { return dln_output_column_norms(m, out, 2); });
  add("output column norms NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"out is NULL"},
      [&](dln_model *m) { return dln_output_column_norms(m, nullptr, 3); });
  add("input row norms capacity -5", Fixture::Rich, DLN_ERR_OUT_OF_RANGE, {"capacity=-5"},
      [&](dln_model *m) { return dln_input_row_norms(m, out, -5); });
  add("input row norms NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"out is NULL"},
      [&](dln_model *m) { return dln_input_row_norms(m, nullptr, 3); });
  run(cases);

  // Handle-free dln_rank_of_spectrum: status and nothing written.
  const double sigma[3] = {3, 2, 1};
  auto spectrum = [&](const double *s, int64_t count, int measure, double atol, double rtol, bool null_out) {
    double rank = -7;
    int status = dln_rank_of_spectrum(s, count, measure, atol, rtol, null_out ? nullptr : &rank);
    CHECK(rank == -7);
    ++g_cases;
    return status;
  };
  const double with_nan[3] = {3, kNaN, 1}, negative[3] = {3, -2, 1};
  CHECK(spectrum(sigma, -1, DLN_RANK_NUMERICAL, 0, 0.1, false) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(spectrum(nullptr, 3, DLN_RANK_NUMERICAL, 0, 0.1, false) == DLN_ERR_NULL_POINTER);
  CHECK(spectrum(with_nan, 3, DLN_RANK_NUMERICAL, 0, 0.1, false) == DLN_ERR_NOT_FINITE);
  CHECK(spectrum(negative, 3, DLN_RANK_NUMERICAL, 0, 0.1, false) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(spectrum(sigma, 3, 3, 0, 0.1, false) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(spectrum(sigma, 3, DLN_RANK_NUMERICAL, -1, 0.1, false) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(spectrum(sigma, 3, DLN_RANK_NUMERICAL, kNaN, 0.1, false) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(spectrum(sigma, 3, DLN_RANK_NUMERICAL, 0, 1.0, false) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(spectrum(sigma, 3, DLN_RANK_NUMERICAL, 0, kNaN, false) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(spectrum(sigma, 3, DLN_RANK_NUMERICAL, 0, 0.1, true) == DLN_ERR_NULL_POINTER);
}

TEST_CASE("absorbing sets and the jump log") {
  std::vector<Case> cases;
  int inside = 0;
  int64_t n = 0;
  double report[DLN_BR_REPORT_SIZE];
  auto add = [&](const std::string &name, Fixture f, int expect, std::vector<std::string> mentions,
                 std::function<int(dln_model *)> call) {
    cases.push_back({name, f, expect, std::move(mentions), std::move(call)});
  };
  add("in_Br r=-1", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"r=-1"},
      [&](dln_model *m) { return dln_in_Br(m, -1, -1, -1, -1, &inside); });
  add("in_Br eps NaN", Fixture::Rich, DLN_ERR_NOT_FINITE, {"eps=nan"},
      [&](dln_model *m) { return dln_in_Br(m, 1, kNaN, -1, -1, &inside); });
  add("in_Br delta NaN", Fixture::Rich, DLN_ERR_NOT_FINITE, {"delta=nan"},
      [&](dln_model *m) { return dln_in_Br(m, 1, -1, kNaN, -1, &inside); });
  add("in_Br C NaN", Fixture::Rich, DLN_ERR_NOT_FINITE, {"C=nan"},
      [&](dln_model *m) { return dln_in_Br(m, 1, -1, -1, kNaN, &inside); });
  add("in_Br NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"inside is NULL"},
      [&](dln_model *m) { return dln_in_Br(m, 1, -1, -1, -1, nullptr); });
  add("in_Br default eps before observations", Fixture::FreshRidge, DLN_ERR_STATE, {"dln_set_observations"},
      [&](dln_model *m) { return dln_in_Br(m, 1, -1, -1, -1, &inside); });
  add("Br report r=INT64_MIN", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"r=-9223372036854775808"},
      [&](dln_model *m) { return dln_Br_report(m, INT64_MIN, -1, -1, -1, report); });
  add("Br report NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"report is NULL"},
      [&](dln_model *m) { return dln_Br_report(m, 1, -1, -1, -1, nullptr); });
  add("Br report default eps before observations", Fixture::FreshRidge, DLN_ERR_STATE, {"dln_set_observations"},
      [&](dln_model *m) { return dln_Br_report(m, 1, -1, 1.0, 10.0, report); });
  add("absorbed rank NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"rank is NULL"},
      [&](dln_model *m) { return dln_query_absorbed_rank(m, nullptr); });
  add("absorbed rank before observations", Fixture::FreshRidge, DLN_ERR_STATE, {"dln_set_observations"},
      [&](dln_model *m) { return dln_query_absorbed_rank(m, &n); });
  add("jump count NULL", Fixture::Rich, DLN_ERR_NULL_POINTER, {"count is NULL"},
      [&](dln_model *m) { return dln_jump_count(m, nullptr); });
  for (int64_t first : {int64_t(-1), int64_t(1000), INT64_MIN})
    add("get jumps first=" + std::to_string(first), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
        {"first=" + std::to_string(first)}, [&, first](dln_model *m) {
          int64_t rec[8];
          return dln_get_jumps(m, first, 1, rec);
        });
  for (int64_t count : {int64_t(-1), int64_t(1000), INT64_MAX})
    add("get jumps count=" + std::to_string(count), Fixture::Rich, DLN_ERR_OUT_OF_RANGE,
        {"count=" + std::to_string(count)}, [&, count](dln_model *m) {
          int64_t rec[8];
          return dln_get_jumps(m, 0, count, rec);
        });
  run(cases);
}

TEST_CASE("checkpoints: arguments and files") {
  std::vector<Case> cases;
  int64_t size = 0;
  unsigned char buf[16];
  cases.push_back({"save NULL path", Fixture::Rich, DLN_ERR_NULL_POINTER, {"path is NULL"},
                   [](dln_model *m) { return dln_save(m, nullptr); }});
  cases.push_back({"save empty path", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"path=\"\""},
                   [](dln_model *m) { return dln_save(m, ""); }});
  cases.push_back({"save into a missing directory", Fixture::Rich, DLN_ERR_IO,
                   {"/nonexistent-dir-dln/x.dln", "No such file or directory"},
                   [](dln_model *m) { return dln_save(m, "/nonexistent-dir-dln/x.dln"); }});
  cases.push_back({"save over a directory", Fixture::Rich, DLN_ERR_IO, {"'/'"},
                   [](dln_model *m) { return dln_save(m, "/"); }});
  cases.push_back({"save buffer NULL size", Fixture::Rich, DLN_ERR_NULL_POINTER, {"size is NULL"},
                   [&](dln_model *m) { return dln_save_buffer(m, buf, 16, nullptr); }});
  cases.push_back({"save buffer capacity -1", Fixture::Rich, DLN_ERR_INVALID_ARGUMENT, {"capacity=-1"},
                   [&](dln_model *m) { return dln_save_buffer(m, buf, -1, &size); }});
  cases.push_back({"save buffer NULL buffer", Fixture::Rich, DLN_ERR_NULL_POINTER, {"buffer is NULL"},
                   [&](dln_model *m) { return dln_save_buffer(m, nullptr, 16, &size); }});
  run(cases);
  dln_model *out = reinterpret_cast<dln_model *>(uintptr_t(0x77));
  CHECK(dln_load(nullptr, &out) == DLN_ERR_NULL_POINTER);
  CHECK(dln_load("/nonexistent-dir-dln/x.dln", &out) == DLN_ERR_IO);
  CHECK(dln_load("/", &out) == DLN_ERR_IO);
  CHECK(dln_load("/proc/self/status", &out) == DLN_ERR_FORMAT);
  CHECK(dln_load_buffer(buf, -1, &out) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(dln_load_buffer(nullptr, 3, &out) == DLN_ERR_NULL_POINTER);
  CHECK(dln_load_buffer("DLN", 3, &out) == DLN_ERR_FORMAT);
  CHECK(out == reinterpret_cast<dln_model *>(uintptr_t(0x77)));
  g_cases += 7;
}

TEST_CASE("a NULL handle answers DLN_ERR_NULL_POINTER from every entry point") {
  double d = 0;
  int64_t n = 0;
  int i = 0;
  uint64_t u = 0;
  double buf[32];
  int64_t ibuf[32];
  dln_model *out = nullptr;
  run_null({
      {"dln_set_param", [&] { return dln_set_param(nullptr, 1, 0.1); }},
      {"dln_get_param", [&] { return dln_get_param(nullptr, 1, &d); }},
      {"dln_clone", [&] { return dln_clone(nullptr, &out); }},
      {"dln_get_depth", [&] { return dln_get_depth(nullptr, &n); }},
      {"dln_get_widths", [&] { return dln_get_widths(nullptr, ibuf, 32); }},
      {"dln_get_seed", [&] { return dln_get_seed(nullptr, &u); }},
      {"dln_set_seed", [&] { return dln_set_seed(nullptr, 1); }},
      {"dln_get_step_count", [&] { return dln_get_step_count(nullptr, &n); }},
      {"dln_set_step_count", [&] { return dln_set_step_count(nullptr, 1); }},
      {"dln_set_observations", [&] { return dln_set_observations(nullptr, 1, ibuf, ibuf, buf); }},
      {"dln_get_observation_count", [&] { return dln_get_observation_count(nullptr, &n); }},
      {"dln_set_test_observations", [&] { return dln_set_test_observations(nullptr, 0, nullptr, nullptr, nullptr); }},
      {"dln_set_ground_truth", [&] { return dln_set_ground_truth(nullptr, nullptr); }},
      {"dln_set_sample_subset", [&] { return dln_set_sample_subset(nullptr, 0, nullptr); }},
      {"dln_set_schedule", [&] { return dln_set_schedule(nullptr, 1, 0, 0, nullptr); }},
      {"dln_schedule_value", [&] { return dln_schedule_value(nullptr, 1, 0, &d); }},
      {"dln_set_weights", [&] { return dln_set_weights(nullptr, 1, buf); }},
      {"dln_get_weights", [&] { return dln_get_weights(nullptr, 1, buf); }},
      {"dln_init_weights", [&] { return dln_init_weights(nullptr, 0, 1, buf); }},
      {"dln_init_balanced", [&] { return dln_init_balanced(nullptr, buf); }},
      {"dln_step", [&] { return dln_step(nullptr, 1); }},
      {"dln_step_batch", [&] { return dln_step_batch(nullptr, 1, ibuf); }},
      {"dln_loss", [&] { return dln_loss(nullptr, &d, &d); }},
      {"dln_weight_norm2", [&] { return dln_weight_norm2(nullptr, &d); }},
      {"dln_test_error", [&] { return dln_test_error(nullptr, &d); }},
      {"dln_singular_values", [&] { return dln_singular_values(nullptr, buf, 32, &n); }},
      {"dln_layer_singular_values", [&] { return dln_layer_singular_values(nullptr, 1, buf, 32, &n); }},
      {"dln_bottleneck_singular_values", [&] { return dln_bottleneck_singular_values(nullptr, 1, buf, 32, &n); }},
      {"dln_query_rank", [&] { return dln_query_rank(nullptr, 0.1, &n); }},
      {"dln_rank", [&] { return dln_rank(nullptr, 0, 0, 0, 0.1, &d); }},
      {"dln_bottleneck_ranks", [&] { return dln_bottleneck_ranks(nullptr, 0, 0.1, ibuf, 32); }},
      {"dln_balancedness", [&] { return dln_balancedness(nullptr, &d); }},
      {"dln_representation_cost", [&] { return dln_representation_cost(nullptr, &d); }},
      {"dln_output_column_norms", [&] { return dln_output_column_norms(nullptr, buf, 32); }},
      {"dln_input_row_norms", [&] { return dln_input_row_norms(nullptr, buf, 32); }},
      {"dln_in_Br", [&] { return dln_in_Br(nullptr, 1, -1, -1, -1, &i); }},
      {"dln_query_absorbed_rank", [&] { return dln_query_absorbed_rank(nullptr, &n); }},
      {"dln_Br_report", [&] { return dln_Br_report(nullptr, 1, -1, -1, -1, buf); }},
      {"dln_jump_count", [&] { return dln_jump_count(nullptr, &n); }},
      {"dln_get_jumps", [&] { return dln_get_jumps(nullptr, 0, 0, ibuf); }},
      {"dln_clear_jumps", [&] { return dln_clear_jumps(nullptr); }},
      {"dln_save", [&] { return dln_save(nullptr, "/tmp/x.dln"); }},
      {"dln_save_buffer", [&] { return dln_save_buffer(nullptr, buf, 8, &n); }},
  });
  dln_destroy(nullptr);  // a no-op
  CHECK(out == nullptr);
}

TEST_CASE("dln_rank_of_spectrum_ex names the argument and the value in the caller's buffer") {
  const double sigma[3] = {3, 2, 1}, with_nan[3] = {3, kNaN, 1}, negative[3] = {3, -2, 1};
  struct ExCase {
    const double *s;
    int64_t count;
    int measure;
    double atol, rtol;
    bool null_out;
    int expect;
    std::string text;
  };
  const std::vector<ExCase> cases = {
      {sigma, -1, DLN_RANK_NUMERICAL, 0, 0.1, false, DLN_ERR_INVALID_ARGUMENT, "count=-1 is negative"},
      {nullptr, 3, DLN_RANK_NUMERICAL, 0, 0.1, false, DLN_ERR_NULL_POINTER, "sigma is NULL"},
      {with_nan, 3, DLN_RANK_NUMERICAL, 0, 0.1, false, DLN_ERR_NOT_FINITE, "sigma[1]=nan is not finite"},
      {negative, 3, DLN_RANK_NUMERICAL, 0, 0.1, false, DLN_ERR_INVALID_ARGUMENT, "sigma[1]=-2 is negative"},
      {sigma, 3, 7, 0, 0.1, false, DLN_ERR_UNKNOWN_PARAM, "measure=7 is not a DLN_RANK_* value"},
      {sigma, 3, DLN_RANK_NUMERICAL, -1, 0.1, false, DLN_ERR_INVALID_ARGUMENT, "atol=-1"},
      {sigma, 3, DLN_RANK_NUMERICAL, 0, 1.5, false, DLN_ERR_INVALID_ARGUMENT, "rtol=1.5 must be in [0, 1)"},
      {sigma, 3, DLN_RANK_NUMERICAL, 0, 0.1, true, DLN_ERR_NULL_POINTER, "rank is NULL"},
  };
  for (const ExCase &c : cases) {
    CAPTURE(c.text);
    double rank = -7;
    char message[256] = "untouched";
    int status = dln_rank_of_spectrum_ex(c.s, c.count, c.measure, c.atol, c.rtol, c.null_out ? nullptr : &rank,
                                         message, sizeof message);
    CHECK(status == c.expect);
    CHECK(rank == -7);
    CHECK(std::string(message).rfind("dln_rank_of_spectrum: ", 0) == 0);
    CHECK(std::string(message).find(c.text) != std::string::npos);
    ++g_cases;
  }
  char message[256] = "untouched";
  double rank = -7;
  CHECK(dln_rank_of_spectrum_ex(sigma, 3, DLN_RANK_NUMERICAL, 0, 0, &rank, message, sizeof message) == DLN_OK);
  CHECK(rank == 3);
  CHECK(std::string(message).empty());  // "" on success, like dln_create_ex
  char tiny[8];
  CHECK(dln_rank_of_spectrum_ex(sigma, -1, 0, 0, 0, &rank, tiny, sizeof tiny) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(tiny) == "dln_ran");  // truncated, NUL-terminated
  CHECK(dln_rank_of_spectrum_ex(sigma, -1, 0, 0, 0, &rank, nullptr, 0) == DLN_ERR_INVALID_ARGUMENT);
  g_cases += 3;
}

TEST_CASE("dln_param_bounds_ex names the argument and the value in the caller's buffer") {
  double lo = 7, hi = 7;
  char message[256] = "untouched";
  CHECK(dln_param_bounds_ex(99, &lo, &hi, message, sizeof message) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(std::string(message) == "dln_param_bounds: param=99 is not a DLN_PARAM_* id");
  CHECK(dln_param_bounds_ex(DLN_PARAM_RIDGE, nullptr, &hi, message, sizeof message) == DLN_ERR_NULL_POINTER);
  CHECK(std::string(message) == "dln_param_bounds: min_value is NULL");
  CHECK(dln_param_bounds_ex(DLN_PARAM_RIDGE, &lo, nullptr, message, sizeof message) == DLN_ERR_NULL_POINTER);
  CHECK(std::string(message) == "dln_param_bounds: max_value is NULL");
  CHECK(lo == 7);
  CHECK(hi == 7);
  CHECK(dln_param_bounds_ex(DLN_PARAM_THREADS, &lo, &hi, message, sizeof message) == DLN_OK);
  CHECK(lo == 1);
  CHECK(hi == 1024);
  CHECK(std::string(message).empty());
  g_cases += 4;
}

TEST_CASE("count of bad-input cases") {
  // Runs last (doctest orders by file then line): the total of this chapter.
  MESSAGE(g_cases, " bad-input cases checked");
  CHECK(g_cases >= 250);
}
