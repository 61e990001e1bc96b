// dlnsgd.hpp — header-only C++20 wrapper over the plain-C ABI in dlnsgd.h.
//
// One-to-one with the C header, no logic of its own:
//   - dln::Model owns a dln_model* (RAII, move-only, clone() for deep copies);
//   - every non-zero status becomes a dln::Error carrying the status, its
//     enumerator name and the handle's last-error message;
//   - inputs are std::span, outputs are std::vector (sized from the shape the
//     library reports: calls of the form f(..., out, capacity, *count) are
//     asked their size first, by one helper, Model::sized), scalar outputs
//     are return values;
//   - dlnsgd_constants.hpp (generated from the header) gives the constant
//     tables, dln::constants::status, ::param, ... with names and descriptions.
// The only checks made here are span sizes against the shape the C function
// would read, so a wrong-sized span throws instead of reading out of bounds,
// and the conversions C would make silently: an integer argument takes any
// integer or enum that fits its C type (else dln::Error
// DLN_ERR_OUT_OF_RANGE; a double does not compile), and a path with a NUL
// byte, which C would cut there, is refused (DLN_ERR_INVALID_ARGUMENT).
#ifndef DLNSGD_HPP
#define DLNSGD_HPP

#include <dlnsgd.h>
#include <dlnsgd_constants.hpp>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace dln {

// ---------------------------------------------------------------- errors
class Error : public std::runtime_error {
 public:
  Error(int status, std::string function, std::string detail)
      : std::runtime_error(function + ": " + dln_status_name(status) + " (" +
                           dln_status_string(status) + ")" +
                           (detail.empty() ? std::string() : ": " + detail)),
        status_(status),
        function_(std::move(function)),
        detail_(std::move(detail)) {}
  int status() const noexcept { return status_; }
  std::string status_name() const { return dln_status_name(status_); }
  std::string status_string() const { return dln_status_string(status_); }
  const std::string& function() const noexcept { return function_; }
  // dln_last_error of the handle right after the failing call ("" if none).
  const std::string& detail() const noexcept { return detail_; }

 private:
  int status_;
  std::string function_;
  std::string detail_;
};

namespace detail {
inline void check(int status, const dln_model* model, const char* function) {
  if (status != DLN_OK) {
    const char* msg = dln_last_error(model);
    throw Error(status, function, msg ? msg : "");
  }
}
// A span whose size does not match what the C function reads.
[[noreturn]] inline void size_error(const char* function, const char* argument,
                                    std::size_t got, std::int64_t want) {
  throw Error(DLN_ERR_OUT_OF_RANGE, function,
              std::string(argument) + " has " + std::to_string(got) + " values, " +
                  std::to_string(want) + " expected");
}
inline void expect_size(const char* function, const char* argument, std::size_t got,
                        std::int64_t want) {
  if (want < 0 || got != static_cast<std::size_t>(want)) size_error(function, argument, got, want);
}

// An integer argument of C type T: any integer or enum whose value fits T
// (std::in_range), never wrapped; bool and floating point do not compile.
template <class T>
struct Integer {
  T value;
  template <class U>
    requires((std::integral<U> && !std::same_as<U, bool>) || std::is_enum_v<U>)
  Integer(U x) : value(convert(x)) {}  // NOLINT: implicit by design
  template <class U>
    requires std::floating_point<U> || std::same_as<U, bool>
  Integer(U) = delete;
  operator T() const noexcept { return value; }

 private:
  template <class U>
  static T convert(U x) {
    if constexpr (std::is_enum_v<U>) {
      return convert(static_cast<std::underlying_type_t<U>>(x));
    } else {
      if (!std::in_range<T>(x))
        throw Error(DLN_ERR_OUT_OF_RANGE, "dlnsgd.hpp",
                    "integer argument " + std::to_string(x) + " does not fit in the C type of the call");
      return static_cast<T>(x);
    }
  }
};
using Int = Integer<int>;
using Int64 = Integer<std::int64_t>;
using UInt64 = Integer<std::uint64_t>;

// A path for the C API: refused if C would read a shorter one.
inline const char* c_path(const std::string& path, const char* function) {
  if (auto nul = path.find('\0'); nul != std::string::npos)
    throw Error(DLN_ERR_INVALID_ARGUMENT, function,
                "path contains a NUL byte at offset " + std::to_string(nul) + "; C would cut it there");
  return path.c_str();
}
}  // namespace detail

// ---------------------------------------------------------------- free functions
inline std::string status_string(detail::Int status) { return dln_status_string(status); }
inline std::string status_name(detail::Int status) { return dln_status_name(status); }
inline int version_number() { return dln_version_number(); }
inline std::string version_string() { return dln_version_string(); }

// dln_param_name: std::nullopt where the C call returns NULL.
inline std::optional<std::string> param_name(detail::Int param) {
  const char* name = dln_param_name(param);
  if (!name) return std::nullopt;
  return std::string(name);
}
// The handle-free calls through their _ex forms: the failure detail comes back in a buffer.
inline std::pair<double, double> param_bounds(detail::Int param) {
  double lo = 0, hi = 0;
  char message[512];
  int status = dln_param_bounds_ex(param, &lo, &hi, message, sizeof message);
  if (status != DLN_OK) throw Error(status, "dln_param_bounds_ex", message);
  return {lo, hi};
}
inline double rank_of_spectrum(std::span<const double> sigma, detail::Int measure, double atol,
                               double rtol) {
  double rank = 0;
  char message[512];
  int status = dln_rank_of_spectrum_ex(sigma.data(), static_cast<std::int64_t>(sigma.size()), measure,
                                       atol, rtol, &rank, message, sizeof message);
  if (status != DLN_OK) throw Error(status, "dln_rank_of_spectrum_ex", message);
  return rank;
}

// One record of the jump log (dln_get_jumps), fields as enum dln_jump_field.
struct Jump {
  std::int64_t step = 0;
  std::int64_t kind = 0;  // DLN_JUMP_ABSORBED or DLN_JUMP_NUMERICAL
  std::int64_t before = 0;
  std::int64_t after = 0;
};

// dln_Br_report, fields as enum dln_br_field.
struct BrReport {
  double norm2 = 0, C = 0, sigma = 0, eps = 0, balance = 0, delta = 0, rho = 0;
  bool inside = false;
};

struct Loss {
  double data_cost = 0;   // C(A_θ)
  double ridge_term = 0;  // λ_t ‖θ‖²
  double total() const { return data_cost + ridge_term; }
};

// ---------------------------------------------------------------- the handle
class Model {
 public:
  // dln_create_ex (the failure detail comes back without a handle); widths holds depth+1 values.
  Model(detail::Int64 depth, std::span<const std::int64_t> widths, detail::UInt64 seed) {
    detail::expect_size("dln_create", "widths", widths.size(), depth + 1);
    char message[512];
    int status = dln_create_ex(depth, widths.data(), seed, &h_, message, sizeof message);
    if (status != DLN_OK) throw Error(status, "dln_create_ex", message);
  }
  // dln_create with depth = widths.size() - 1.
  Model(std::span<const std::int64_t> widths, detail::UInt64 seed)
      : Model(static_cast<std::int64_t>(widths.size()) - 1, widths, seed) {}
  // Takes ownership of a handle obtained from the C API (may be NULL).
  explicit Model(dln_model* adopt) noexcept : h_(adopt) {}

  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;
  Model(Model&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  Model& operator=(Model&& other) noexcept {
    if (this != &other) {
      dln_destroy(h_);
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  ~Model() { dln_destroy(h_); }

  dln_model* get() const noexcept { return h_; }
  dln_model* release() noexcept { return std::exchange(h_, nullptr); }
  explicit operator bool() const noexcept { return h_ != nullptr; }
  std::string last_error() const { return dln_last_error(h_); }

  // dln_clone
  Model clone() const {
    dln_model* out = nullptr;
    check(dln_clone(h_, &out), "dln_clone");
    return Model(out);
  }
  // dln_load_ex / dln_load_buffer_ex (the failure detail comes back without a handle)
  static Model load(const std::string& path) {
    dln_model* out = nullptr;
    char message[512];
    int status = dln_load_ex(detail::c_path(path, "dln_load_ex"), &out, message, sizeof message);
    if (status != DLN_OK) throw Error(status, "dln_load_ex", message);
    return Model(out);
  }
  static Model load_buffer(std::span<const std::byte> buffer) {
    dln_model* out = nullptr;
    char message[512];
    int status = dln_load_buffer_ex(buffer.data(), static_cast<std::int64_t>(buffer.size()), &out,
                                    message, sizeof message);
    if (status != DLN_OK) throw Error(status, "dln_load_buffer_ex", message);
    return Model(out);
  }
  void save(const std::string& path) const { check(dln_save(h_, detail::c_path(path, "dln_save")), "dln_save"); }
  // dln_save_buffer: asks the size, then writes.
  std::vector<std::byte> save_buffer() const {
    return sized<std::byte>("dln_save_buffer", [&](std::byte* out, std::int64_t cap, std::int64_t* n) {
      return dln_save_buffer(h_, out, cap, n);
    });
  }

  // ------------------------------------------------ shape, seed, step counter
  std::int64_t depth() const {
    std::int64_t d = 0;
    check(dln_get_depth(h_, &d), "dln_get_depth");
    return d;
  }
  std::vector<std::int64_t> widths() const {
    std::vector<std::int64_t> w(static_cast<std::size_t>(depth() + 1));
    check(dln_get_widths(h_, w.data(), static_cast<std::int64_t>(w.size())), "dln_get_widths");
    return w;
  }
  std::uint64_t seed() const {
    std::uint64_t s = 0;
    check(dln_get_seed(h_, &s), "dln_get_seed");
    return s;
  }
  void set_seed(detail::UInt64 s) { check(dln_set_seed(h_, s), "dln_set_seed"); }
  std::int64_t step_count() const {
    std::int64_t t = 0;
    check(dln_get_step_count(h_, &t), "dln_get_step_count");
    return t;
  }
  void set_step_count(detail::Int64 t) { check(dln_set_step_count(h_, t), "dln_set_step_count"); }

  // ------------------------------------------------ parameters and schedules
  void set_param(detail::Int param, double value) {
    check(dln_set_param(h_, param, value), "dln_set_param");
  }
  double get_param(detail::Int param) const {
    double v = 0;
    check(dln_get_param(h_, param, &v), "dln_get_param");
    return v;
  }
  void set_schedule(detail::Int param, detail::Int kind, std::span<const double> args = {}) {
    check(dln_set_schedule(h_, param, kind, static_cast<std::int64_t>(args.size()), args.data()),
          "dln_set_schedule");
  }
  double schedule_value(detail::Int param, detail::Int64 step) const {
    double v = 0;
    check(dln_schedule_value(h_, param, step, &v), "dln_schedule_value");
    return v;
  }

  // ------------------------------------------------ data
  void set_observations(std::span<const std::int64_t> rows, std::span<const std::int64_t> cols,
                        std::span<const double> values) {
    detail::expect_size("dln_set_observations", "cols", cols.size(), ssize(rows));
    detail::expect_size("dln_set_observations", "values", values.size(), ssize(rows));
    check(dln_set_observations(h_, ssize(rows), rows.data(), cols.data(), values.data()),
          "dln_set_observations");
  }
  std::int64_t observation_count() const {
    std::int64_t n = 0;
    check(dln_get_observation_count(h_, &n), "dln_get_observation_count");
    return n;
  }
  void set_test_observations(std::span<const std::int64_t> rows,
                             std::span<const std::int64_t> cols,
                             std::span<const double> values) {
    detail::expect_size("dln_set_test_observations", "cols", cols.size(), ssize(rows));
    detail::expect_size("dln_set_test_observations", "values", values.size(), ssize(rows));
    check(dln_set_test_observations(h_, ssize(rows), rows.data(), cols.data(), values.data()),
          "dln_set_test_observations");
  }
  // Row-major n × m; an empty span clears it (NULL in C).
  void set_ground_truth(std::span<const double> truth) {
    if (!truth.empty()) {
      auto w = widths();
      detail::expect_size("dln_set_ground_truth", "truth", truth.size(), w.front() * w.back());
    }
    check(dln_set_ground_truth(h_, truth.empty() ? nullptr : truth.data()),
          "dln_set_ground_truth");
  }
  void set_sample_subset(std::span<const std::int64_t> indices) {
    check(dln_set_sample_subset(h_, ssize(indices), indices.data()), "dln_set_sample_subset");
  }

  // ------------------------------------------------ weights
  void set_weights(detail::Int64 layer, std::span<const double> w) {
    if (auto n = layer_size(layer); n >= 0) detail::expect_size("dln_set_weights", "w", w.size(), n);
    check(dln_set_weights(h_, layer, w.data()), "dln_set_weights");
  }
  std::vector<double> get_weights(detail::Int64 layer) const {
    std::vector<double> w(static_cast<std::size_t>(std::max<std::int64_t>(layer_size(layer), 0)));
    check(dln_get_weights(h_, layer, w.data()), "dln_get_weights");
    return w;
  }
  void init_weights(detail::Int kind, std::span<const double> args) {
    check(dln_init_weights(h_, kind, static_cast<std::int64_t>(args.size()), args.data()),
          "dln_init_weights");
  }
  void init_balanced(std::span<const double> a0) {
    auto w = widths();
    detail::expect_size("dln_init_balanced", "a0", a0.size(), w.front() * w.back());
    check(dln_init_balanced(h_, a0.data()), "dln_init_balanced");
  }

  // ------------------------------------------------ stepping
  void step(detail::Int64 steps) { check(dln_step(h_, steps), "dln_step"); }
  void step_batch(std::span<const std::int64_t> indices) {
    check(dln_step_batch(h_, ssize(indices), indices.data()), "dln_step_batch");
  }

  // ------------------------------------------------ observables
  Loss loss() const {
    Loss l;
    check(dln_loss(h_, &l.data_cost, &l.ridge_term), "dln_loss");
    return l;
  }
  double weight_norm2() const {
    double v = 0;
    check(dln_weight_norm2(h_, &v), "dln_weight_norm2");
    return v;
  }
  double test_error() const {
    double v = 0;
    check(dln_test_error(h_, &v), "dln_test_error");
    return v;
  }
  std::vector<double> singular_values() const {
    return sized<double>("dln_singular_values", [&](double* out, std::int64_t cap, std::int64_t* n) {
      return dln_singular_values(h_, out, cap, n);
    });
  }
  std::vector<double> layer_singular_values(detail::Int64 layer_arg) const {
    const std::int64_t layer = layer_arg;
    return sized<double>("dln_layer_singular_values",
                         [&](double* out, std::int64_t cap, std::int64_t* n) {
                           return dln_layer_singular_values(h_, layer, out, cap, n);
                         });
  }
  std::vector<double> bottleneck_singular_values(detail::Int64 k_arg) const {
    const std::int64_t k = k_arg;
    return sized<double>("dln_bottleneck_singular_values",
                         [&](double* out, std::int64_t cap, std::int64_t* n) {
                           return dln_bottleneck_singular_values(h_, k, out, cap, n);
                         });
  }
  std::int64_t query_rank(double rtol) const {
    std::int64_t r = 0;
    check(dln_query_rank(h_, rtol, &r), "dln_query_rank");
    return r;
  }
  double rank(detail::Int64 target, detail::Int measure, double atol, double rtol) const {
    double r = 0;
    check(dln_rank(h_, target, measure, atol, rtol, &r), "dln_rank");
    return r;
  }
  std::vector<std::int64_t> bottleneck_ranks(double atol, double rtol) const {
    std::vector<std::int64_t> r(static_cast<std::size_t>(std::max<std::int64_t>(depth() - 1, 1)));
    check(dln_bottleneck_ranks(h_, atol, rtol, r.data(), ssize(r)), "dln_bottleneck_ranks");
    return r;
  }
  double balancedness() const {
    double v = 0;
    check(dln_balancedness(h_, &v), "dln_balancedness");
    return v;
  }
  double representation_cost() const {
    double v = 0;
    check(dln_representation_cost(h_, &v), "dln_representation_cost");
    return v;
  }
  std::vector<double> output_column_norms() const {
    auto w = widths();
    std::vector<double> v(static_cast<std::size_t>(w[w.size() - 2]));
    check(dln_output_column_norms(h_, v.data(), ssize(v)), "dln_output_column_norms");
    return v;
  }
  std::vector<double> input_row_norms() const {
    auto w = widths();
    std::vector<double> v(static_cast<std::size_t>(w[1]));
    check(dln_input_row_norms(h_, v.data(), ssize(v)), "dln_input_row_norms");
    return v;
  }

  // ------------------------------------------------ absorbing sets B_r
  // Negative thresholds mean "the default of math §6".
  bool in_Br(detail::Int64 r, double eps = -1, double delta = -1, double C = -1) const {
    int inside = 0;
    check(dln_in_Br(h_, r, eps, delta, C, &inside), "dln_in_Br");
    return inside != 0;
  }
  std::int64_t absorbed_rank() const {
    std::int64_t r = 0;
    check(dln_query_absorbed_rank(h_, &r), "dln_query_absorbed_rank");
    return r;
  }
  BrReport Br_report(detail::Int64 r, double eps = -1, double delta = -1, double C = -1) const {
    std::array<double, DLN_BR_REPORT_SIZE> a{};
    check(dln_Br_report(h_, r, eps, delta, C, a.data()), "dln_Br_report");
    return BrReport{a[DLN_BR_NORM2], a[DLN_BR_C],     a[DLN_BR_SIGMA], a[DLN_BR_EPS],
                    a[DLN_BR_BALANCE], a[DLN_BR_DELTA], a[DLN_BR_RHO],
                    a[DLN_BR_INSIDE] != 0.0};
  }

  // ------------------------------------------------ jump log
  std::int64_t jump_count() const {
    std::int64_t n = 0;
    check(dln_jump_count(h_, &n), "dln_jump_count");
    return n;
  }
  std::vector<Jump> jumps(detail::Int64 first, detail::Int64 count_arg) const {
    const std::int64_t count = count_arg;
    std::vector<std::int64_t> rec(static_cast<std::size_t>(std::max<std::int64_t>(count, 0)) *
                                  DLN_JUMP_RECORD_SIZE);
    check(dln_get_jumps(h_, first, count, rec.data()), "dln_get_jumps");
    std::vector<Jump> out;
    for (std::size_t i = 0; i + DLN_JUMP_RECORD_SIZE <= rec.size(); i += DLN_JUMP_RECORD_SIZE)
      out.push_back(Jump{rec[i + DLN_JUMP_STEP], rec[i + DLN_JUMP_KIND],
                         rec[i + DLN_JUMP_BEFORE], rec[i + DLN_JUMP_AFTER]});
    return out;
  }
  std::vector<Jump> jumps() const { return jumps(0, jump_count()); }
  void clear_jumps() { check(dln_clear_jumps(h_), "dln_clear_jumps"); }

  // ------------------------------------ rank-change log, trace, gradient
  // Each record as an array of doubles indexed by the header's enum
  // (dln_change_field, dln_trace_field).
  using ChangeRecord = std::array<double, DLN_CHANGE_RECORD_SIZE>;
  using TraceRow = std::array<double, DLN_TRACE_RECORD_SIZE>;
  std::vector<ChangeRecord> rank_changes() const {
    std::int64_t n = 0;
    check(dln_rank_change_count(h_, &n), "dln_rank_change_count");
    std::vector<ChangeRecord> out(static_cast<std::size_t>(n));
    check(dln_get_rank_changes(h_, 0, n, n ? out[0].data() : nullptr), "dln_get_rank_changes");
    return out;
  }
  std::vector<TraceRow> trace() const {
    std::int64_t n = 0;
    check(dln_trace_count(h_, &n), "dln_trace_count");
    std::vector<TraceRow> out(static_cast<std::size_t>(n));
    check(dln_get_trace(h_, 0, n, n ? out[0].data() : nullptr), "dln_get_trace");
    return out;
  }
  void clear_trace() { check(dln_clear_trace(h_), "dln_clear_trace"); }
  // The DLN_GRAD_* report and the norm of each layer's gradient.
  struct Gradient {
    std::array<double, DLN_GRAD_REPORT_SIZE> report;
    std::vector<double> per_layer;
  };
  Gradient gradient_norm() const {
    Gradient g;
    g.per_layer.resize(static_cast<std::size_t>(depth()));
    check(dln_gradient_norm(h_, g.report.data(), g.per_layer.data(), ssize(g.per_layer)), "dln_gradient_norm");
    return g;
  }

 private:
  void check(int status, const char* function) const { detail::check(status, h_, function); }
  // The size-probe-then-fill pattern, once for every C call of the form
  // f(..., out, capacity, *count): ask with capacity 0 (out NULL), allocate
  // count elements, call again, keep what was written.
  template <class T, class Call>
  std::vector<T> sized(const char* function, Call call) const {
    std::int64_t count = 0;
    check(call(nullptr, 0, &count), function);
    std::vector<T> out(static_cast<std::size_t>(count));
    check(call(out.data(), ssize(out), &count), function);
    out.resize(static_cast<std::size_t>(std::min<std::int64_t>(count, ssize(out))));
    return out;
  }
  template <class T>
  static std::int64_t ssize(const T& c) {
    return static_cast<std::int64_t>(c.size());
  }
  // n_ℓ × n_{ℓ-1}, or -1 for a layer out of range (the C call then reports it).
  std::int64_t layer_size(std::int64_t layer) const {
    auto w = widths();
    if (layer < 1 || layer >= ssize(w)) return -1;
    return w[static_cast<std::size_t>(layer)] * w[static_cast<std::size_t>(layer - 1)];
  }

  dln_model* h_ = nullptr;
};

}  // namespace dln

#endif  // DLNSGD_HPP
