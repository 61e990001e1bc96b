// Initialisations of math §4. Random draws: Philox on the STREAM_INIT key,
// counter (layer, block), Gaussian pairs by Random123's Box-Muller.
#include <Random123/boxmuller.hpp>
#include <Random123/philox.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "errors.hpp"
#include "lapack.hpp"
#include "model.hpp"
#include "sampler.hpp"

namespace dln {
namespace {

// Standard normal entries for layer l (count of them), a pure function of (seed, l).
std::vector<double> gaussian(uint64_t seed, int64_t l, int64_t count) {
  std::vector<double> z(static_cast<size_t>(count));
  r123::Philox4x64 rng;
  r123::Philox4x64::key_type key = {{seed, STREAM_INIT}};
  for (int64_t i = 0; i < count; i += 4) {
    r123::Philox4x64::ctr_type ctr = {{uint64_t(l), uint64_t(i / 4), 0, 0}};
    auto r = rng(ctr, key);
    r123::double2 a = r123::boxmuller(r[0], r[1]), b = r123::boxmuller(r[2], r[3]);
    double v[4] = {a.x, a.y, b.x, b.y};
    for (int64_t q = 0; q < 4 && i + q < count; ++q) z[size_t(i + q)] = v[q];
  }
  return z;
}

void require_nargs(int64_t nargs, int64_t want, const char *kind) {
  if (nargs != want)
    fail(DLN_ERR_INVALID_ARGUMENT, "nargs=%lld but %s takes %lld argument(s)", (long long)nargs, kind, (long long)want);
}

// scale × a Haar-distributed (semi-)orthogonal rows × cols matrix, row-major.
std::vector<double> orthogonal(uint64_t seed, int64_t l, int64_t rows, int64_t cols, double scale) {
  const int64_t tall = std::max(rows, cols), narrow = std::min(rows, cols);
  std::vector<double> q = gaussian(seed, l, tall * narrow);  // column-major tall × narrow
  qr_q_factor(tall, narrow, q.data(), tall);
  std::vector<double> w(static_cast<size_t>(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      // rows >= cols: W = Q; otherwise W = Q^T.
      w[size_t(i * cols + j)] = scale * (rows >= cols ? q[size_t(j * tall + i)] : q[size_t(i * tall + j)]);
  return w;
}

}  // namespace
}  // namespace dln

using namespace dln;

extern "C" {

int dln_init_weights(dln_model *model, int kind, int64_t nargs, const double *args) {
  return guarded(model, "dln_init_weights", [&] {
    require_pointer(model, "model");
    if (nargs < 0) fail(DLN_ERR_INVALID_ARGUMENT, "nargs=%lld is negative", (long long)nargs);
    if (nargs > 0) require_pointer(args, "args");
    require_all_finite(args, nargs, "args");
    for (int64_t i = 0; i < nargs; ++i)
      if (args[i] < 0.0) fail(DLN_ERR_INVALID_ARGUMENT, "args[%lld]=%g must be >= 0", (long long)i, args[i]);
    const int64_t L = model->depth;
    std::vector<std::vector<double>> weights(static_cast<size_t>(L));
    for (int64_t l = 1; l <= L; ++l) {
      const Layer &W = model->layer(l);
      std::vector<double> &w = weights[size_t(l - 1)];
      switch (kind) {
        case DLN_INIT_GAUSSIAN:
        case DLN_INIT_END_TO_END: {
          double std;
          if (kind == DLN_INIT_GAUSSIAN) {
            if (nargs != 1 && nargs != L)
              fail(DLN_ERR_INVALID_ARGUMENT, "nargs=%lld but DLN_INIT_GAUSSIAN takes 1 or depth=%lld stds",
                   (long long)nargs, (long long)L);
            std = args[nargs == 1 ? 0 : l - 1];
          } else {
            require_nargs(nargs, 1, "DLN_INIT_END_TO_END {s}");
            std = std::pow(args[0], 1.0 / double(L)) / std::sqrt(double(W.cols));
          }
          w = gaussian(model->seed, l, W.rows * W.cols);
          for (double &x : w) x *= std;
          if (first_non_finite(w.data(), int64_t(w.size())) >= 0) {  // a huge std overflows a draw
            int64_t which = kind == DLN_INIT_GAUSSIAN && nargs != 1 ? l - 1 : 0;
            fail(DLN_ERR_INVALID_ARGUMENT, "args[%lld]=%g makes a weight of layer %lld overflow",
                 (long long)which, args[which], (long long)l);
          }
          break;
        }
        case DLN_INIT_ORTHOGONAL:
          require_nargs(nargs, 1, "DLN_INIT_ORTHOGONAL {scale}");
          w = orthogonal(model->seed, l, W.rows, W.cols, args[0]);
          break;
        case DLN_INIT_IDENTITY:
          require_nargs(nargs, 1, "DLN_INIT_IDENTITY {scale}");
          w.assign(size_t(W.rows * W.cols), 0.0);
          for (int64_t i = 0; i < std::min(W.rows, W.cols); ++i) w[size_t(i * W.cols + i)] = args[0];
          break;
        default:
          fail(DLN_ERR_UNKNOWN_PARAM, "kind=%d is not a DLN_INIT_* value", kind);
      }
    }
    for (int64_t l = 1; l <= L; ++l) model->layer(l).assign(weights[size_t(l - 1)].data());
  });
}

int dln_init_balanced(dln_model *model, const double *a0) {
  return guarded(model, "dln_init_balanced", [&] {
    require_pointer(model, "model");
    require_pointer(a0, "a0");
    const int64_t n = model->rows(), m = model->cols(), L = model->depth;
    const int64_t size = checked_product(n, m, "a0");
    require_all_finite(a0, size, "a0");
    // Row-major n × m A0 is column-major A0^T (m × n) = V S U^T: its "U" is our V.
    // Scaled by 2^-e to max|a| in [0.5, 1) first: the σ of entries near
    // 1e308 exceed the largest double (math §5); σ_i = s_i·2^e and
    // σ_i^(1/L) = s_i^(1/L)·2^(e/L), which fits for L >= 2.
    std::vector<double> a(a0, a0 + size), left, s, right;
    double largest = 0.0;
    for (double x : a) largest = std::max(largest, std::fabs(x));
    int e = 0;  // only far from 1, so that ordinary inputs give the same bits as unscaled
    if (largest >= DBL_MIN && !(largest > 0x1p-500 && largest < 0x1p500)) {
      std::frexp(largest, &e);
      const double c = std::ldexp(1.0, -e);  // e in [-1021, 1024]: normal unless e = 1024
      for (double &x : a) x = e > 1021 ? std::ldexp(x, -e) : x * c;
    } else if (!(largest >= DBL_MIN)) {
      std::fill(a.begin(), a.end(), 0.0);  // below the normal range: zero, as the step reads it
    }
    svd_colmajor(m, n, a.data(), m, left, s, right);  // left: m × k (V), right: k × n (U^T)
    // Modes at or below LAPACK's rounding level of A0 are noise, not rank:
    // their L-th roots would be large (1e-16^(1/4) = 1e-4), so they are dropped.
    const double noise = double(std::max(n, m)) * DBL_EPSILON * (s.empty() ? 0.0 : s[0]);
    const int64_t k = int64_t(std::count_if(s.begin(), s.end(), [&](double x) { return x > noise; }));
    int64_t r = k;
    for (int64_t l = 1; l < L; ++l) r = std::min(r, model->widths[size_t(l)]);
    std::vector<double> root(static_cast<size_t>(r));
    const double root_scale = e == 0 ? 1.0 : std::exp2(double(e) / double(L));
    for (int64_t i = 0; i < r; ++i) root[size_t(i)] = std::pow(s[size_t(i)], 1.0 / double(L)) * root_scale;
    if (L == 1) {  // a single layer is A0 itself
      model->layer(1).assign(a0);
      return;
    }
    std::vector<std::vector<double>> weights(static_cast<size_t>(L));
    for (int64_t l = 1; l <= L; ++l) {
      const Layer &W = model->layer(l);
      std::vector<double> &w = weights[size_t(l - 1)];
      w.assign(size_t(W.rows * W.cols), 0.0);
      for (int64_t i = 0; i < r; ++i) {
        double sr = root[size_t(i)];
        if (l == 1)  // W_1 = S^{1/L} V^T: row i = sr · V[:, i]^T
          for (int64_t q = 0; q < m; ++q) w[size_t(i * m + q)] = sr * left[size_t(i * m + q)];
        else if (l == L)  // W_L = U S^{1/L}: column i = sr · U[:, i]
          for (int64_t p = 0; p < n; ++p) w[size_t(p * W.cols + i)] = sr * right[size_t(p * int64_t(s.size()) + i)];
        else
          w[size_t(i * W.cols + i)] = sr;
      }
    }
    for (int64_t l = 1; l <= L; ++l) model->layer(l).assign(weights[size_t(l - 1)].data());
  });
}

}  // extern "C"
