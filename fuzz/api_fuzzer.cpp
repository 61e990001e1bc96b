// Fuzzer: random sequences of C API calls with random arguments on one
// handle. Buffers are always as large as the call may read or write (a
// too-small buffer is the caller's bug, not the library's); every other
// argument is free: sizes, indices, ids, NaN/inf/huge/negative values, calls
// in any order. Invariants checked after every call:
//   - the status is one of the table; an error leaves a message;
//   - an error leaves the handle unchanged (checkpoint bytes identical),
//     except dln_step with steps > 1, which keeps the steps before a failure;
//   - the weights are always finite;
//   - every state the library reaches loads back from its own checkpoint and
//     saves to the same bytes;
//   - every call runs with the caller's FP traps on and rounding upward
//     (harness.hpp), never traps, hands that environment back, and never
//     answers DLN_ERR_INTERNAL.
// Work is bounded so each input runs in milliseconds: small widths, batch
// sizes <= 16, at most 20 steps per call, one thread.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "dlnsgd.h"
#include "harness.hpp"

namespace {

using fuzz::require;
using fuzz::save;

class Driver {
 public:
  explicit Driver(FuzzedDataProvider &p) : p_(p) {}

  double real() {
    static const double special[] = {0.0,
                                     -0.0,
                                     1.0,
                                     -1.0,
                                     0.5,
                                     0.01,
                                     1e-3,
                                     2.0,
                                     10.0,
                                     1e300,
                                     -1e300,
                                     DBL_MAX,
                                     DBL_MIN,
                                     4.9e-324,
                                     std::numeric_limits<double>::quiet_NaN(),
                                     std::numeric_limits<double>::infinity(),
                                     -std::numeric_limits<double>::infinity()};
    if (p_.ConsumeBool()) return special[p_.ConsumeIntegralInRange<size_t>(0, std::size(special) - 1)];
    return p_.ConsumeFloatingPointInRange<double>(-4.0, 4.0);
  }
  // Mostly in [lo, hi], sometimes anything.
  int64_t integer(int64_t lo, int64_t hi) {
    switch (p_.ConsumeIntegralInRange<int>(0, 7)) {
      case 0: return -1;
      case 1: return std::numeric_limits<int64_t>::max();
      case 2: return std::numeric_limits<int64_t>::min();
      case 3: return p_.ConsumeIntegral<int64_t>();
      default: return p_.ConsumeIntegralInRange<int64_t>(lo, hi);
    }
  }
  int64_t small(int64_t lo, int64_t hi) { return p_.ConsumeIntegralInRange<int64_t>(lo, hi); }
  bool flip() { return p_.ConsumeBool(); }
  FuzzedDataProvider &p() { return p_; }

 private:
  FuzzedDataProvider &p_;
};

struct Shape {
  int64_t depth = 0;
  std::vector<int64_t> widths;
  int64_t rows() const { return widths.back(); }
  int64_t cols() const { return widths.front(); }
  int64_t widest() const {
    int64_t w = 0;
    for (int64_t x : widths) w = std::max(w, x);
    return w;
  }
};

int64_t observation_count(const dln_model *m) {
  int64_t n = 0;
  require(dln_get_observation_count(m, &n) == DLN_OK);
  return n;
}

// One call; returns its status. `multi_step` is set when the call may keep
// partial progress on failure, `handle_free` when it does not report on m.
int call(Driver &d, dln_model *m, const Shape &s, bool &multi_step, bool &handle_free) {
  const int64_t L = s.depth, n = s.rows(), mm = s.cols(), N = observation_count(m);
  const int64_t big = s.widest() * s.widest() + 8;
  std::vector<double> dbuf(size_t(std::max<int64_t>(big, n * mm) + 64));
  std::vector<int64_t> ibuf(size_t(1100 + 4 * 64));
  double x = 0, y = 0;
  int64_t k = 0;
  int inside = 0;
  switch (d.small(0, 40)) {
    case 0: {  // parameters: invalid ids and values, valid but bounded work
      int param = int(d.small(-1, 9));
      double value;
      if (param == DLN_PARAM_BATCH_SIZE && d.flip()) value = double(d.small(1, 16));
      else if (param == DLN_PARAM_THREADS && d.flip()) value = 1;
      else value = d.real();
      const bool integral = value == std::floor(value);  // non-integral values stay (invalid)
      if (param == DLN_PARAM_BATCH_SIZE && integral && value > 16 && value <= double(int64_t(1) << 40)) value = 16;
      // More than one BLIS thread spins on 2 shared cores: valid but slow.
      if (param == DLN_PARAM_THREADS && integral && value > 1 && value <= 1024) value = 1;
      return dln_set_param(m, param, value);
    }
    case 1: return dln_get_param(m, int(d.small(-1, 9)), d.flip() ? &x : nullptr);
    case 2: {
      handle_free = true;
      double lo, hi;
      return dln_param_bounds(int(d.small(-1, 9)), &lo, &hi);
    }
    case 3: {  // schedules
      int param = int(d.small(0, 3));
      int kind = int(d.small(-1, 7));
      int64_t nargs = d.small(-1, 6);
      std::vector<double> args(8);
      for (double &a : args) a = d.flip() ? double(d.small(0, 40)) : d.real();
      return dln_set_schedule(m, param, kind, nargs, d.flip() ? args.data() : nullptr);
    }
    case 4: return dln_schedule_value(m, int(d.small(0, 3)), d.integer(0, 100), &x);
    case 5: return dln_set_seed(m, d.p().ConsumeIntegral<uint64_t>());
    case 6: return dln_set_step_count(m, d.flip() ? d.integer(0, 50) : std::numeric_limits<int64_t>::max() - d.small(0, 4));
    case 7: case 8: {  // observations
      int64_t count = d.flip() ? d.small(0, 24) : d.integer(1, 24);
      size_t len = size_t(std::clamp<int64_t>(count, 0, 24));
      std::vector<int64_t> r(len), c(len);
      std::vector<double> v(len);
      for (size_t i = 0; i < len; ++i) {
        r[i] = d.flip() ? d.small(0, n - 1) : d.small(-1, n);
        c[i] = d.flip() ? d.small(0, mm - 1) : d.small(-1, mm);
        v[i] = d.flip() ? d.p().ConsumeFloatingPointInRange<double>(-2, 2) : d.real();
      }
      if (count > 24) count = d.flip() ? -count : 24;  // never past the buffers
      bool nulls = d.small(0, 7) == 0;
      return dln_set_observations(m, count, nulls ? nullptr : r.data(), c.data(), v.data());
    }
    case 9: {
      int64_t count = d.small(-1, 8);
      std::vector<int64_t> r(8), c(8);
      std::vector<double> v(8);
      for (int i = 0; i < 8; ++i) r[size_t(i)] = d.small(-1, n), c[size_t(i)] = d.small(-1, mm), v[size_t(i)] = d.real();
      return dln_set_test_observations(m, count, r.data(), c.data(), v.data());
    }
    case 10: {
      if (d.flip()) return dln_set_ground_truth(m, nullptr);
      for (int64_t i = 0; i < n * mm; ++i) dbuf[size_t(i)] = d.small(0, 20) == 0 ? d.real() : 0.5;
      return dln_set_ground_truth(m, dbuf.data());
    }
    case 11: {
      int64_t count = d.small(-1, 8);
      for (int i = 0; i < 8; ++i) ibuf[size_t(i)] = d.flip() ? d.small(0, std::max<int64_t>(N - 1, 0)) : d.small(-1, N);
      return dln_set_sample_subset(m, count, d.small(0, 7) ? ibuf.data() : nullptr);
    }
    case 12: {  // weights
      int64_t layer = d.small(-1, L + 1);
      for (int64_t i = 0; i < big; ++i) dbuf[size_t(i)] = d.small(0, 30) == 0 ? d.real() : d.p().ConsumeFloatingPointInRange<double>(-1, 1);
      return dln_set_weights(m, layer, d.small(0, 9) ? dbuf.data() : nullptr);
    }
    case 13: return dln_get_weights(m, d.small(-1, L + 1), dbuf.data());
    case 14: {
      int kind = int(d.small(-1, 4));
      int64_t nargs = d.small(-1, L + 1);
      std::vector<double> args(size_t(L + 2));
      for (double &a : args) a = d.flip() ? d.p().ConsumeFloatingPointInRange<double>(0, 2) : d.real();
      return dln_init_weights(m, kind, nargs, d.small(0, 9) ? args.data() : nullptr);
    }
    case 15: {
      for (int64_t i = 0; i < n * mm; ++i) dbuf[size_t(i)] = d.small(0, 30) == 0 ? d.real() : d.p().ConsumeFloatingPointInRange<double>(-2, 2);
      return dln_init_balanced(m, dbuf.data());
    }
    case 16: case 17: {  // steps
      int64_t steps = d.flip() ? d.small(0, 20) : d.integer(0, 20);
      if (steps > 20) steps = 20;
      multi_step = steps > 1;
      return dln_step(m, steps);
    }
    case 18: {
      int64_t b = d.small(-1, 8);
      for (int i = 0; i < 8; ++i) ibuf[size_t(i)] = d.flip() ? d.small(0, std::max<int64_t>(N - 1, 0)) : d.small(-1, N);
      return dln_step_batch(m, b, d.small(0, 7) ? ibuf.data() : nullptr);
    }
    case 19: return dln_loss(m, &x, d.small(0, 7) ? &y : nullptr);
    case 20: return dln_weight_norm2(m, &x);
    case 21: return dln_test_error(m, &x);
    case 22: {
      int64_t capacity = d.small(-1, 64);
      return dln_singular_values(m, capacity > 0 || d.flip() ? dbuf.data() : nullptr, capacity, &k);
    }
    case 23: return dln_layer_singular_values(m, d.small(-1, L + 1), dbuf.data(), d.small(-1, 64), &k);
    case 24: return dln_bottleneck_singular_values(m, d.small(-1, L + 1), dbuf.data(), d.small(-1, 64), &k);
    case 25: return dln_query_rank(m, d.flip() ? d.p().ConsumeFloatingPointInRange<double>(0, 1) : d.real(), &k);
    case 26: return dln_rank(m, d.small(-1, L + 1), int(d.small(-1, 3)), d.flip() ? 0.0 : d.real(),
                             d.flip() ? 0.01 : d.real(), &x);
    case 27: return dln_bottleneck_ranks(m, d.flip() ? 0.0 : d.real(), d.flip() ? 0.01 : d.real(), ibuf.data(),
                                         d.small(-1, 1100));
    case 28: return dln_balancedness(m, &x);
    case 29: return dln_representation_cost(m, &x);
    case 30: return dln_output_column_norms(m, dbuf.data(), d.small(-1, 64));
    case 31: return dln_input_row_norms(m, dbuf.data(), d.small(-1, 64));
    case 32: return dln_in_Br(m, d.integer(0, 6), d.flip() ? -1.0 : d.real(), d.flip() ? -1.0 : d.real(),
                              d.flip() ? -1.0 : d.real(), &inside);
    case 33: {
      double report[DLN_BR_REPORT_SIZE];
      return dln_Br_report(m, d.integer(0, 6), d.flip() ? -1.0 : d.real(), d.flip() ? -1.0 : d.real(),
                           d.flip() ? -1.0 : d.real(), report);
    }
    case 34: return dln_query_absorbed_rank(m, &k);
    case 35: {
      int64_t total = 0;
      require(dln_jump_count(m, &total) == DLN_OK);
      std::vector<int64_t> rec(size_t(4 * (total + 2)));
      int64_t first = d.small(-1, total + 1), count = d.small(-1, total + 1);
      return dln_get_jumps(m, first, count, rec.data());
    }
    case 36: return dln_clear_jumps(m);
    case 37: {
      dln_model *c = nullptr;
      int st = dln_clone(m, &c);
      if (st == DLN_OK) {
        require(save(c) == save(m));
        dln_destroy(c);
      }
      return st;
    }
    case 38: {
      int64_t capacity = d.small(-1, 64), size = 0;
      std::vector<unsigned char> b(64);
      return dln_save_buffer(m, capacity > 0 || d.flip() ? b.data() : nullptr, capacity, &size);
    }
    case 39: {
      handle_free = true;
      std::vector<double> sigma(8);
      for (double &v : sigma) v = d.flip() ? d.p().ConsumeFloatingPointInRange<double>(0, 3) : d.real();
      return dln_rank_of_spectrum(sigma.data(), d.small(-1, 8), int(d.small(-1, 3)), d.flip() ? 0.0 : d.real(),
                                  d.flip() ? 0.1 : d.real(), &x);
    }
    default: {
      int64_t w[1100];
      return dln_get_widths(m, w, d.small(-1, L + 2));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  FuzzedDataProvider p(data, size);
  Driver d(p);
  Shape s;
  s.depth = d.small(1, 4);
  for (int64_t l = 0; l <= s.depth; ++l) s.widths.push_back(d.small(1, 6));
  dln_model *m = nullptr;
  require(dln_create(s.depth, s.widths.data(), p.ConsumeIntegral<uint64_t>(), &m) == DLN_OK);
  for (int op = 0; op < 48 && p.remaining_bytes() > 0; ++op) {
    std::vector<unsigned char> before = save(m);
    bool multi_step = false, handle_free = false;
    // The call (and its argument draws, plain arithmetic) in the caller's
    // environment of harness.hpp: traps on, rounding upward; it must not
    // trap and must hand that environment back (issue 14 class 3).
    fuzz::enter_caller_environment();
    int status = call(d, m, s, multi_step, handle_free);
    require(fuzz::caller_environment_intact());
    fuzz::leave_caller_environment();
    require(status <= 0 && status >= DLN_STATUS_LAST_);
    require(status != DLN_ERR_INTERNAL);
    std::vector<unsigned char> after = save(m);
    if (status != DLN_OK) {
      if (!handle_free) require(dln_last_error(m)[0] != '\0');
      if (!multi_step) require(after == before);
    }
    // Finite weights, always.
    for (int64_t l = 1; l <= s.depth; ++l) {
      std::vector<double> w(size_t(s.widths[size_t(l)] * s.widths[size_t(l - 1)]));
      require(dln_get_weights(m, l, w.data()) == DLN_OK);
      for (double v : w) require(std::isfinite(v));
    }
    // Every reachable state is a loadable checkpoint.
    dln_model *back = nullptr;
    require(dln_load_buffer(after.data(), int64_t(after.size()), &back) == DLN_OK);
    require(save(back) == after);
    dln_destroy(back);
  }
  dln_destroy(m);
  return 0;
}
