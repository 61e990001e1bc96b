// Benchmarks of issue 16: small networks at their limit.
//
//   single    depth 4, square widths w = 8, 10, 16, 20, 32 (and 48, 64, and 128
//             where the fused single-entry kernel serves): dln_step steps/s
//             beside a plain-loop reference kernel of the same step, written
//             for the case here (not in the library) and compiled like the
//             library's small-width kernels (-O3, -ffp-contract=off,
//             target_clones x86-64-v4 / x86-64-v3 / default):
//             the with-replacement Philox draw of math §4, the forward and
//             backward vectors as plain loops, the rank-one updates with the
//             scalar weight decay of math §3, no bounds, no checks.
//   ensemble  K = 4, 8, 16, 64 members of one problem (own seeds) at w = 8, 10,
//             16, 32 (lockstep) and 48 (one by one): member-steps/s of
//             dln_ensemble_step beside K separate handles
//             (fresh clones with the same seeds) each stepped with dln_step, one
//             thread both.
//
// Target w × w, all w² entries of a planted rank-3 matrix observed, η = 1e-3,
// λ = 1e-4, DLN_INIT_END_TO_END s = 1, batch 1 with replacement, 1 thread.
// Paired and alternated: inside every repeat both sides take turns, one call
// each (the first swapped every repeat), until each has run about --seconds
// of this thread's CPU clock, so that both see the same load; per-repeat
// ratios are reported, and their medians. JSON lines.
#include <Random123/philox.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "dlnsgd.h"

namespace {

constexpr int64_t kDepth = 4, kPlantedRank = 3;
constexpr double kEta = 1e-3, kLambda = 1e-4;

[[noreturn]] void die(const char *what, int status, const char *detail) {
  std::fprintf(stderr, "bench_small: %s failed: %s: %s\n", what, dln_status_name(status), detail);
  std::exit(2);
}
#define DLN_CHECK(call, model)                                              \
  do {                                                                      \
    int status_ = (call);                                                   \
    if (status_ != DLN_OK) die(#call, status_, dln_last_error(model));      \
  } while (0)

struct ModelDeleter {
  void operator()(dln_model *m) const { dln_destroy(m); }
};
using ModelPtr = std::unique_ptr<dln_model, ModelDeleter>;

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? NAN : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

struct Problem {
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
};

// All w² entries of a planted rank-3 target U Vᵀ/√3.
Problem planted(int64_t w) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::vector<double> U(size_t(w * kPlantedRank)), V(size_t(w * kPlantedRank));
  for (double &x : U) x = gauss(rng);
  for (double &x : V) x = gauss(rng);
  Problem p;
  for (int64_t i = 0; i < w; ++i)
    for (int64_t j = 0; j < w; ++j) {
      double y = 0.0;
      for (int64_t r = 0; r < kPlantedRank; ++r) y += U[size_t(i * kPlantedRank + r)] * V[size_t(j * kPlantedRank + r)];
      p.rows.push_back(i), p.cols.push_back(j), p.values.push_back(y / std::sqrt(double(kPlantedRank)));
    }
  return p;
}

ModelPtr make_model(int64_t w, uint64_t seed) {
  const int64_t widths[kDepth + 1] = {w, w, w, w, w};
  dln_model *raw = nullptr;
  DLN_CHECK(dln_create(kDepth, widths, seed, &raw), nullptr);
  ModelPtr model(raw);
  const Problem p = planted(w);
  DLN_CHECK(dln_set_observations(raw, int64_t(p.values.size()), p.rows.data(), p.cols.data(), p.values.data()), raw);
  const double s = 1.0;
  DLN_CHECK(dln_init_weights(raw, DLN_INIT_END_TO_END, 1, &s), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_LEARNING_RATE, kEta), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_RIDGE, kLambda), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_BATCH_SIZE, 1), raw);
  DLN_CHECK(dln_set_param(raw, DLN_PARAM_THREADS, 1), raw);
  return model;
}

// ---- the plain-loop reference kernel ----------------------------------------

struct Reference {
  int64_t L = kDepth;
  std::vector<int64_t> n;
  std::vector<std::vector<double>> v;  // row-major V_ℓ, W_ℓ = s_ℓ V_ℓ
  std::vector<double> s, F, B;         // F_ℓ, B_ℓ at offsets Σ_{k<ℓ} n_k
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  uint64_t seed = 0;
  int64_t t = 0;
};

Reference reference_of(const dln_model *m, int64_t w, uint64_t seed) {
  Reference r;
  r.n.assign(size_t(kDepth + 1), w);
  for (int64_t l = 1; l <= kDepth; ++l) {
    std::vector<double> x(size_t(w * w));
    DLN_CHECK(dln_get_weights(m, l, x.data()), m);
    r.v.push_back(x);
    r.s.push_back(1.0);
  }
  const Problem p = planted(w);  // the model's observations
  r.rows = p.rows, r.cols = p.cols, r.values = p.values;
  r.F.resize(size_t(w * (kDepth - 1))), r.B.resize(size_t(w * (kDepth - 1)));
  r.seed = seed;
  return r;
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define BENCH_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define BENCH_MULTIVERSION
#endif

BENCH_MULTIVERSION
void reference_steps(Reference &R, int64_t steps) {
  const int64_t L = R.L, *n = R.n.data(), N = int64_t(R.values.size());
  double *F = R.F.data(), *B = R.B.data();
  for (int64_t k = 0; k < steps; ++k, ++R.t) {
    r123::Philox4x64 rng;
    r123::Philox4x64::ctr_type counter = {{uint64_t(R.t), 0, 0, 0}};
    r123::Philox4x64::key_type key = {{R.seed, 0x5347440000000001ull}};
    const uint64_t bits = rng(counter, key)[0];
    const int64_t o = int64_t((unsigned __int128)bits * (unsigned __int128)uint64_t(N) >> 64);
    const int64_t i = R.rows[size_t(o)], j = R.cols[size_t(o)];
    // forward: F_1 = W_1 e_j, F_ℓ = W_ℓ F_{ℓ-1}
    for (int64_t q = 0; q < n[1]; ++q) F[q] = R.s[0] * R.v[0][size_t(q * n[0] + j)];
    int64_t at = 0;
    for (int64_t l = 2; l < L; ++l) {
      const double *V = R.v[size_t(l - 1)].data(), *f = F + at;
      double *out = F + at + n[l - 1];
      for (int64_t p = 0; p < n[l]; ++p) {
        double sum = 0.0;
        for (int64_t q = 0; q < n[l - 1]; ++q) sum += V[p * n[l - 1] + q] * f[q];
        out[p] = R.s[size_t(l - 1)] * sum;
      }
      at += n[l - 1];
    }
    // B_{L-1} = W_Lᵀ e_i, the residual, B_{ℓ-1} = W_ℓᵀ B_ℓ
    const double *top = R.v[size_t(L - 1)].data() + i * n[L - 1];
    double a = 0.0;
    for (int64_t q = 0; q < n[L - 1]; ++q) {
      B[at + q] = R.s[size_t(L - 1)] * top[q];
      a += B[at + q] * F[at + q];
    }
    const double g = 2.0 * (a - R.values[size_t(o)]), decay = 1.0 - 2.0 * kEta * kLambda;
    for (int64_t l = L - 1; l >= 2; --l) {
      const double *V = R.v[size_t(l - 1)].data(), *b = B + at;
      double *out = B + at - n[l - 1];
      for (int64_t q = 0; q < n[l - 1]; ++q) out[q] = 0.0;
      for (int64_t p = 0; p < n[l]; ++p)
        for (int64_t q = 0; q < n[l - 1]; ++q) out[q] += b[p] * V[p * n[l - 1] + q];
      for (int64_t q = 0; q < n[l - 1]; ++q) out[q] *= R.s[size_t(l - 1)];
      at -= n[l - 1];
    }
    // updates: V_ℓ += c_ℓ g B_ℓ F_{ℓ-1}ᵀ with c_ℓ = −η / (d s_ℓ), then s_ℓ ← d s_ℓ
    at = 0;
    for (int64_t l = 1; l <= L; ++l) {
      const double c = -kEta / (decay * R.s[size_t(l - 1)]) * g;
      double *V = R.v[size_t(l - 1)].data();
      if (l == 1) {
        for (int64_t q = 0; q < n[1]; ++q) V[q * n[0] + j] += c * B[q];
      } else if (l == L) {
        for (int64_t q = 0; q < n[L - 1]; ++q) V[i * n[L - 1] + q] += c * F[at + q];
      } else {
        const double *f = F + at, *b = B + at + n[l - 1];
        for (int64_t p = 0; p < n[l]; ++p) {
          const double cb = c * b[p];
          for (int64_t q = 0; q < n[l - 1]; ++q) V[p * n[l - 1] + q] += cb * f[q];
        }
        at += n[l - 1];
      }
      R.s[size_t(l - 1)] *= decay;
      if (R.s[size_t(l - 1)] < 0x1p-30) {
        for (double &x : R.v[size_t(l - 1)]) x *= R.s[size_t(l - 1)];
        R.s[size_t(l - 1)] = 1.0;
      }
    }
  }
}

// ---- paired timing -----------------------------------------------------------

// Units per second of this thread's CPU for two bodies called in turn, one
// call of per_call units each (a first when `first`, else b), until each has
// spent `seconds`: both sides see the same load, call by call.
template <class A, class B>
void alternated(double seconds, int64_t per_call, bool first, A a, B b, double &rate_a, double &rate_b) {
  double spent[2] = {0.0, 0.0};
  int64_t count[2] = {0, 0};
  for (int turn = first ? 0 : 1; spent[0] < seconds || spent[1] < seconds; turn ^= 1) {
    if (spent[turn] >= seconds) continue;
    const double t0 = cpu_now();
    if (turn == 0) a(per_call);
    else b(per_call);
    spent[turn] += cpu_now() - t0;
    count[turn] += per_call;
  }
  rate_a = double(count[0]) / spent[0];
  rate_b = double(count[1]) / spent[1];
}

struct Options {
  double seconds = 0.25;
  int repeats = 5;
  std::string only;  // "single", "ensemble" or "" for both
  std::vector<int64_t> widths;  // --width, repeatable: only these (quick checks); empty: all
  bool wanted(int64_t w) const { return widths.empty() || std::find(widths.begin(), widths.end(), w) != widths.end(); }
};

void single_case(const Options &opt, int64_t w) {
  ModelPtr model = make_model(w, 7);
  Reference ref = reference_of(model.get(), w, 7);
  const int64_t per_call = 4096;
  std::vector<double> lib_rate, ref_rate, ratio;
  for (int rep = 0; rep < opt.repeats; ++rep) {
    double lib = 0, refr = 0;
    alternated(
        opt.seconds, per_call, rep % 2 == 0, [&](int64_t k) { DLN_CHECK(dln_step(model.get(), k), model.get()); },
        [&](int64_t k) { reference_steps(ref, k); }, lib, refr);
    lib_rate.push_back(lib), ref_rate.push_back(refr), ratio.push_back(refr / lib);  // time ratio lib / ref
  }
  int formulation = 0;
  DLN_CHECK(dln_last_step_formulation(model.get(), &formulation), model.get());
  // The reference takes the library's SGD run (same draws): after 2000 steps
  // from the same state, their weights agree to rounding.
  ModelPtr fresh = make_model(w, 7);
  Reference again = reference_of(fresh.get(), w, 7);
  DLN_CHECK(dln_step(fresh.get(), 2000), fresh.get());
  reference_steps(again, 2000);
  double diff = 0.0, top = 0.0;
  for (int64_t l = 1; l <= kDepth; ++l) {
    std::vector<double> x(size_t(w * w));
    DLN_CHECK(dln_get_weights(fresh.get(), l, x.data()), fresh.get());
    for (size_t e = 0; e < x.size(); ++e) {
      const double y = again.s[size_t(l - 1)] * again.v[size_t(l - 1)][e];
      diff = std::max(diff, std::fabs(x[e] - y));
      top = std::max(top, std::fabs(y));
    }
  }
  std::printf("{\"kind\": \"single\", \"w\": %lld, \"depth\": %lld, \"formulation\": \"%s\", \"library_steps_per_s\": %.6g, "
              "\"reference_steps_per_s\": %.6g, \"paired_time_ratio\": %.6g, \"agreement\": %.3g, \"ratios\": [",
              (long long)w, (long long)kDepth, dln_formulation_name(formulation), median(lib_rate), median(ref_rate),
              median(ratio), diff / top);
  for (size_t k = 0; k < ratio.size(); ++k) std::printf("%s%.4g", k ? ", " : "", ratio[k]);
  std::printf("]}\n");
  std::fflush(stdout);
}

void ensemble_case(const Options &opt, int64_t w, int64_t K) {
  ModelPtr model = make_model(w, 7);
  std::vector<uint64_t> seeds(static_cast<size_t>(K));
  for (int64_t k = 0; k < K; ++k) seeds[size_t(k)] = uint64_t(1000 + k);
  dln_ensemble *raw = nullptr;
  DLN_CHECK(dln_ensemble_create(model.get(), K, seeds.data(), &raw), model.get());
  std::unique_ptr<dln_ensemble, void (*)(dln_ensemble *)> ensemble(raw, dln_ensemble_destroy);
  std::vector<ModelPtr> handles;
  for (int64_t k = 0; k < K; ++k) {
    dln_model *h = nullptr;
    DLN_CHECK(dln_clone_ex(model.get(), DLN_CLONE_FRESH, seeds[size_t(k)], &h), model.get());
    handles.emplace_back(h);
  }
  // Steps per call: 200 w, a few milliseconds (the results are read when
  // asked for, not by every call).
  const int64_t per_call = 200 * w;
  std::vector<double> ens_rate, sep_rate, ratio;
  for (int rep = 0; rep < opt.repeats; ++rep) {
    double ens = 0, sep = 0;
    alternated(
        opt.seconds, per_call, rep % 2 == 0,
        [&](int64_t k) {
          const int status = dln_ensemble_step(ensemble.get(), k, 1);
          if (status != DLN_OK) die("dln_ensemble_step", status, dln_ensemble_last_error(ensemble.get()));
        },
        [&](int64_t k) {
          for (ModelPtr &h : handles) DLN_CHECK(dln_step(h.get(), k), h.get());
        },
        ens, sep);
    ens *= double(K), sep *= double(K);
    ens_rate.push_back(ens), sep_rate.push_back(sep), ratio.push_back(ens / sep);
  }
  std::printf("{\"kind\": \"ensemble\", \"w\": %lld, \"depth\": %lld, \"K\": %lld, \"threads\": 1, "
              "\"ensemble_member_steps_per_s\": %.6g, \"separate_member_steps_per_s\": %.6g, \"paired_ratio\": %.6g, "
              "\"ratios\": [",
              (long long)w, (long long)kDepth, (long long)K, median(ens_rate), median(sep_rate), median(ratio));
  for (size_t k = 0; k < ratio.size(); ++k) std::printf("%s%.4g", k ? ", " : "", ratio[k]);
  std::printf("]}\n");
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
  Options opt;
  for (int a = 1; a < argc; ++a) {
    if (!std::strcmp(argv[a], "--seconds") && a + 1 < argc) opt.seconds = std::atof(argv[++a]);
    else if (!std::strcmp(argv[a], "--repeats") && a + 1 < argc) opt.repeats = std::atoi(argv[++a]);
    else if (!std::strcmp(argv[a], "--only") && a + 1 < argc) opt.only = argv[++a];
    else if (!std::strcmp(argv[a], "--width") && a + 1 < argc) opt.widths.push_back(std::atoll(argv[++a]));
    else {
      std::fprintf(stderr, "usage: %s [--seconds S] [--repeats R] [--only single|ensemble] [--width W]...\n", argv[0]);
      return 2;
    }
  }
  std::printf("{\"kind\": \"context\", \"seconds\": %g, \"repeats\": %d}\n", opt.seconds, opt.repeats);
  if (opt.only.empty() || opt.only == "single")
    for (int64_t w : {8, 10, 16, 20, 32, 48, 64, 128})
      if (opt.wanted(w)) single_case(opt, w);
  if (opt.only.empty() || opt.only == "ensemble")
    for (int64_t w : {8, 10, 16, 32, 48})
      if (opt.wanted(w))
        for (int64_t K : {4, 8, 16, 64}) ensemble_case(opt, w, K);
  return 0;
}
