// dlnsgd_ensemble.hpp — the ensemble handle and the statistics of ensembles
// (include/dlnsgd.h, "Ensembles" and "Statistics of ensembles"), one-to-one
// with the C calls in the style of dlnsgd.hpp: dln::Ensemble owns a
// dln_ensemble* (RAII, move-only), a non-zero status becomes a dln::Error
// with the ensemble's last error or the call's message buffer.
#ifndef DLNSGD_ENSEMBLE_HPP
#define DLNSGD_ENSEMBLE_HPP

#include "dlnsgd.hpp"

namespace dln {

// dln_clone_ex: a copy with parts made fresh (flags: DLN_CLONE_*).
inline Model clone_ex(const Model& model, detail::Int flags, detail::UInt64 seed) {
  dln_model* out = nullptr;
  detail::check(dln_clone_ex(model.get(), flags, seed, &out), model.get(), "dln_clone_ex");
  return Model(out);
}

class Ensemble {
 public:
  // dln_ensemble_create: member i is a fresh clone of `model` with seeds[i].
  Ensemble(const Model& model, std::span<const std::uint64_t> seeds) {
    detail::check(dln_ensemble_create(model.get(), static_cast<std::int64_t>(seeds.size()), seeds.data(), &h_),
                  model.get(), "dln_ensemble_create");
  }
  Ensemble(const Ensemble&) = delete;
  Ensemble& operator=(const Ensemble&) = delete;
  Ensemble(Ensemble&& other) noexcept : h_(std::exchange(other.h_, nullptr)) {}
  Ensemble& operator=(Ensemble&& other) noexcept {
    if (this != &other) {
      dln_ensemble_destroy(h_);
      h_ = std::exchange(other.h_, nullptr);
    }
    return *this;
  }
  ~Ensemble() { dln_ensemble_destroy(h_); }

  dln_ensemble* get() const noexcept { return h_; }
  std::string last_error() const { return dln_ensemble_last_error(h_); }

  std::int64_t size() const {
    std::int64_t n = 0;
    check(dln_ensemble_size(h_, &n), "dln_ensemble_size");
    return n;
  }
  // member DLN_ENSEMBLE_ALL: every member, all or none.
  void set_param(detail::Int64 member, detail::Int param, double value) {
    check(dln_ensemble_set_param(h_, member, param, value), "dln_ensemble_set_param");
  }
  double get_param(detail::Int64 member, detail::Int param) const {
    double v = 0;
    check(dln_ensemble_get_param(h_, member, param, &v), "dln_ensemble_get_param");
    return v;
  }
  void watch(detail::Int64 r, detail::Int64 check_every) {
    check(dln_ensemble_watch(h_, r, check_every), "dln_ensemble_watch");
  }
  // Throws for a member that stopped too (DLN_ERR_DIVERGED, ...): the others
  // have completed; results() then describes every member.
  void step(detail::Int64 steps, detail::Int64 threads) {
    check(dln_ensemble_step(h_, steps, threads), "dln_ensemble_step");
  }
  // One dln_member_field of every member.
  std::vector<double> results(detail::Int field) const {
    std::vector<double> v(static_cast<std::size_t>(size()));
    check(dln_ensemble_results(h_, field, v.data(), static_cast<std::int64_t>(v.size())), "dln_ensemble_results");
    return v;
  }
  Model member(detail::Int64 i) const {
    dln_model* out = nullptr;
    check(dln_ensemble_member(h_, i, &out), "dln_ensemble_member");
    return Model(out);
  }

 private:
  void check(int status, const char* function) const {
    if (status != DLN_OK) {
      const char* msg = dln_ensemble_last_error(h_);
      throw Error(status, function, msg ? msg : "");
    }
  }
  dln_ensemble* h_ = nullptr;
};

// ---------------------------------------------------------------- statistics
namespace detail {
inline void check_message(int status, const char* function, const char* message) {
  if (status != DLN_OK) throw Error(status, function, message);
}
}  // namespace detail

struct Interval {
  double lower = 0, upper = 0;
};

// dln_wilson_interval
inline Interval wilson_interval(detail::Int64 successes, detail::Int64 trials, double z = DLN_Z_95) {
  Interval out;
  char message[512];
  detail::check_message(dln_wilson_interval(successes, trials, z, &out.lower, &out.upper, message, sizeof message),
                        "dln_wilson_interval", message);
  return out;
}

// One row of dln_kaplan_meier, indexed by dln_km_field.
using KaplanMeierRow = std::array<double, DLN_KM_RECORD_SIZE>;

// dln_kaplan_meier: censored[i] = 1 for a censoring, 0 for an event.
inline std::vector<KaplanMeierRow> kaplan_meier(std::span<const double> times, std::span<const int> censored,
                                               double z = DLN_Z_95) {
  detail::expect_size("dln_kaplan_meier", "censored", censored.size(), static_cast<std::int64_t>(times.size()));
  char message[512];
  std::int64_t count = 0;
  const auto n = static_cast<std::int64_t>(times.size());
  detail::check_message(dln_kaplan_meier(n, times.data(), censored.data(), z, nullptr, 0, &count, message,
                                         sizeof message),
                        "dln_kaplan_meier", message);
  std::vector<KaplanMeierRow> rows(static_cast<std::size_t>(count));
  double* out = rows.empty() ? nullptr : rows.front().data();
  detail::check_message(dln_kaplan_meier(n, times.data(), censored.data(), z, out, count, &count, message,
                                         sizeof message),
                        "dln_kaplan_meier", message);
  return rows;
}

struct Median {
  double median = 0, lower = 0, upper = 0;  // +inf where not reached
};

// dln_kaplan_meier_median
inline Median kaplan_meier_median(std::span<const double> times, std::span<const int> censored,
                                  double z = DLN_Z_95) {
  detail::expect_size("dln_kaplan_meier_median", "censored", censored.size(),
                      static_cast<std::int64_t>(times.size()));
  Median m;
  char message[512];
  detail::check_message(dln_kaplan_meier_median(static_cast<std::int64_t>(times.size()), times.data(),
                                                censored.data(), z, &m.median, &m.lower, &m.upper, message,
                                                sizeof message),
                        "dln_kaplan_meier_median", message);
  return m;
}

}  // namespace dln

#endif  // DLNSGD_ENSEMBLE_HPP
