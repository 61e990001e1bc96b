#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "kernel_lanes.hpp"

namespace dln {

DLN_MULTIVERSION
void transposed_product_and_rank_one_update(int64_t rows, int64_t cols, double *__restrict V, double s,
                                            const double *__restrict x, double alpha,
                                            const double *__restrict y, double *__restrict out) {
  for (int64_t q = 0; q < cols; ++q) out[q] = 0.0;
  for (int64_t p = 0; p < rows; ++p) {
    double *__restrict row = V + p * cols;
    const double xp = x[p], ap = alpha * x[p];
    for (int64_t q = 0; q < cols; ++q) {
      const double v = row[q];
      out[q] += xp * v;
      row[q] = v + ap * y[q];
    }
  }
  for (int64_t q = 0; q < cols; ++q) out[q] *= s;
}

namespace {
// Entries a step ahead of the one being summed whose source columns are
// fetched early: the columns are scattered over blocks far larger than the
// caches at full-batch GD on big targets, and the out-of-order window alone
// keeps too few of their misses in flight.
constexpr int64_t kPrefetchAhead = 8;
// The source columns of the entries ahead … stop-1, ahead advanced to stop.
DLN_INLINE void prefetch_entries(int64_t &ahead, int64_t stop, const double *source, const int64_t *from,
                                 int64_t rows) {
  for (; ahead < stop; ++ahead)
    for (int64_t r = 0; r < rows; r += 8) __builtin_prefetch(source + from[ahead] * rows + r);
}

// body(t, e0, e1) for the targets first ≤ t < last, the entries of target t
// being e0 … e1 − 1, the source columns of the entries ahead fetched early;
// with `accumulate`, targets without entries in this tile are skipped (their
// sums stay as they are).
template <class Body>
DLN_INLINE void over_targets(int64_t first, int64_t last, const int64_t *__restrict start, const double *source,
                             const int64_t *__restrict from, int64_t rows, bool accumulate, Body body) {
  const int64_t end = start[last];
  int64_t ahead = start[first];
  for (int64_t t = first; t < last; ++t) {
    const int64_t e0 = start[t], e1 = start[t + 1];
    if (accumulate && e0 == e1) continue;
    prefetch_entries(ahead, std::min(e1 + kPrefetchAhead, end), source, from, rows);
    body(t, e0, e1);
  }
}

// <a, b> over n entries in eight lanes (one order for every kernel here).
DLN_INLINE double dot8(const double *__restrict a, const double *__restrict b, int64_t n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t q = 0;
  for (; q + 8 <= n; q += 8)
    for (int j = 0; j < 8; ++j) lane[j] += a[q + j] * b[q + j];
  double sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; q < n; ++q) sum += a[q] * b[q];
  return sum;
}

// X[r0 + j, t] for j < 8·V: the sum over the entries e0 … e1-1 of target t
// accumulates in vector registers (8·V lanes in the form's vectors,
// kernel_lanes.hpp), one dependent multiply-add per entry and register, and
// X is written once. Both forms do the same operation on every number.
template <bool Wide, int V>
DLN_INLINE void chunk_of_sums(int64_t rows, int64_t r0, int64_t e0, int64_t e1, const double *__restrict g,
                              const double *__restrict source, const int64_t *__restrict from,
                              double *__restrict x, bool accumulate) {
  using L = FormLanes<Wide>;
  constexpr int N = int(sizeof(L) / sizeof(double)), K = 8 * V / N;  // lanes per vector, vectors
  L acc[K];
  for (int v = 0; v < K; ++v) acc[v] = accumulate ? load_lanes<L>(x + r0 + N * v) : L{};
  for (int64_t e = e0; e < e1; ++e) {
    const double ge = g[e], *__restrict s = source + from[e] * rows + r0;
    for (int v = 0; v < K; ++v) acc[v] += ge * load_lanes<L>(s + N * v);
  }
  for (int v = 0; v < K; ++v) store_lanes(x + r0 + N * v, acc[v]);
}

template <bool Wide>
DLN_INLINE void grouped_sums_in(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start,
                                const double *__restrict g, const double *__restrict source,
                                const int64_t *__restrict from, double *__restrict X, bool accumulate) {
  over_targets(first, last, start, source, from, rows, accumulate, [&](int64_t t, int64_t e0, int64_t e1) {
    double *__restrict x = X + t * rows;
    int64_t r0 = 0;
    for (; r0 + 32 <= rows; r0 += 32) chunk_of_sums<Wide, 4>(rows, r0, e0, e1, g, source, from, x, accumulate);
    for (; r0 + 8 <= rows; r0 += 8) chunk_of_sums<Wide, 1>(rows, r0, e0, e1, g, source, from, x, accumulate);
    for (; r0 < rows; ++r0) {
      double acc = accumulate ? x[r0] : 0.0;
      for (int64_t e = e0; e < e1; ++e) acc += g[e] * source[from[e] * rows + r0];
      x[r0] = acc;
    }
  });
}

// max |x_i| in the form's vectors: max as `a > m ? a : m`, exact, so the
// result is that of a scalar scan; NaN, which the comparison drops, is
// tracked on the side.
template <bool Wide>
DLN_INLINE double max_magnitude_in(const double *__restrict x, int64_t n) {
  using L = FormLanes<Wide>;
  constexpr int N = int(sizeof(L) / sizeof(double)), K = 8 / N;
  typedef long long Mask __attribute__((vector_size(sizeof(L))));
  L lane[K] = {};
  Mask nan[K] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < K; ++k) {
      const L v = load_lanes<L>(x + i + N * k), a = v < 0.0 ? -v : v;
      nan[k] |= a != a;
      lane[k] = a > lane[k] ? a : lane[k];
    }
  bool any_nan = false;
  double m = 0.0;
  for (int k = 0; k < K; ++k)
    for (int j = 0; j < N; ++j) any_nan |= nan[k][j] != 0, m = lane[k][j] > m ? lane[k][j] : m;
  for (; i < n; ++i) {
    const double a = std::fabs(x[i]);
    any_nan |= a != a;
    m = a > m ? a : m;
  }
  return any_nan ? NAN : m;
}
}  // namespace

// Eight lanes at a time (GCC left the scalar form of this loop scalar), in
// the vectors of the CPU's form: without AVX-512 the eight-lane values went
// through the stack and took 13× the time (127 ms a step of full-batch GD on
// 10⁵ × 10⁵ with the x86-64-v3 clone forced on a Zen 4; 8.7 in the AVX2
// form, 9.5 with AVX-512; perf, issue 11).
DLN_MULTIVERSION
double max_magnitude(const double *__restrict x, int64_t n) {
  return wide_registers() ? max_magnitude_in<true>(x, n) : max_magnitude_in<false>(x, n);
}

// Target by target, rows in chunks of 32 (4 AVX-512 / 8 AVX2 accumulators):
// a target's source columns, fetched for its first chunk, are still in
// cache for the next. In the CPU's form, as max_magnitude (the same step
// with the x86-64-v3 clone forced: 140 ms in eight-lane values, 52 in the
// AVX2 form, 48 with AVX-512).
DLN_MULTIVERSION
void grouped_sums(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start, const double *__restrict g,
                  const double *__restrict source, const int64_t *__restrict from, double *__restrict X,
                  bool accumulate) {
  if (wide_registers()) grouped_sums_in<true>(rows, first, last, start, g, source, from, X, accumulate);
  else grouped_sums_in<false>(rows, first, last, start, g, source, from, X, accumulate);
}

// The dots of target t with the columns of its entries, the target's column
// reused from cache, the others fetched ahead as in grouped_sums.
DLN_MULTIVERSION
void grouped_dots(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start, const double *__restrict A,
                  const int64_t *__restrict from, const double *__restrict T, double *__restrict out) {
  over_targets(first, last, start, A, from, rows, false, [&](int64_t t, int64_t e0, int64_t e1) {
    const double *__restrict b = T + t * rows;
    for (int64_t e = e0; e < e1; ++e) out[e] = dot8(A + from[e] * rows, b, rows);
  });
}

namespace {
// ((l0 + l4) + (l1 + l5)) + ((l2 + l6) + (l3 + l7)): dot8's reduction, in vectors.
DLN_INLINE double reduce8(const Lanes8 &l) {
  typedef double Lanes2 __attribute__((vector_size(16)));
  const Lanes4 u = __builtin_shufflevector(l, l, 0, 1, 2, 3) + __builtin_shufflevector(l, l, 4, 5, 6, 7);
  const Lanes2 v = __builtin_shufflevector(u, u, 0, 2) + __builtin_shufflevector(u, u, 1, 3);
  return v[0] + v[1];
}

// grouped_residual_sums for rows = 8·V in AVX-512 registers: the target's
// column of T and its sums stay in registers over its entries, and each dot
// is dot8's (lanes over the chunks in order, the same reduction), so the
// numbers are those of the plain loops below (tests/test_kernel_forms.cpp).
// The plain loops' dependent chain through x in memory bounds a pass in
// cache: 64² GD's residual pass (2000 entries) took 13.7 ns an entry
// there and 7.8 in registers, in a standalone copy of both.
template <int V>
DLN_INLINE void residual_sums_in_registers(int64_t first, int64_t last, const int64_t *__restrict start,
                                           const double *__restrict A, const int64_t *__restrict from,
                                           const double *__restrict T, const double *__restrict y, double scale,
                                           double *__restrict r, double *__restrict X, bool accumulate) {
  constexpr int64_t rows = 8 * V;
  over_targets(first, last, start, A, from, rows, accumulate, [&](int64_t t, int64_t e0, int64_t e1) {
    const double *__restrict b = T + t * rows;
    double *__restrict x = X + t * rows;
    Lanes8 column[V], sum[V];
    for (int v = 0; v < V; ++v) column[v] = load8(b + 8 * v), sum[v] = accumulate ? load8(x + 8 * v) : Lanes8{};
    for (int64_t e = e0; e < e1; ++e) {
      const double *__restrict a = A + from[e] * rows;
      Lanes8 lane = {};
      for (int v = 0; v < V; ++v) lane += load8(a + 8 * v) * column[v];
      r[e] = reduce8(lane) - y[e];
      const double g = r[e] * scale;
      for (int v = 0; v < V; ++v) sum[v] += g * load8(a + 8 * v);
    }
    for (int v = 0; v < V; ++v) store8(x + 8 * v, sum[v]);
  });
}

DLN_INLINE void residual_sums_in_loops(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start,
                                       const double *__restrict A, const int64_t *__restrict from,
                                       const double *__restrict T, const double *__restrict y, double scale,
                                       double *__restrict r, double *__restrict X, bool accumulate) {
  over_targets(first, last, start, A, from, rows, accumulate, [&](int64_t t, int64_t e0, int64_t e1) {
    const double *__restrict b = T + t * rows;
    double *__restrict x = X + t * rows;
    if (!accumulate)
      for (int64_t q = 0; q < rows; ++q) x[q] = 0.0;
    for (int64_t e = e0; e < e1; ++e) {
      const double *__restrict a = A + from[e] * rows;
      r[e] = dot8(a, b, rows) - y[e];
      const double g = r[e] * scale;
      for (int64_t q = 0; q < rows; ++q) x[q] += g * a[q];
    }
  });
}
}  // namespace

// grouped_dots and, in the same pass over the scattered columns of A, their
// sum weighted by the scaled residuals (the column of A fetched for the dot
// is reused from cache by the sum). Without AVX-512 in plain loops: eight
// columns and eight sums in AVX2 registers would not fit their 16.
DLN_MULTIVERSION
void grouped_residual_sums(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start, const double *__restrict A,
                           const int64_t *__restrict from, const double *__restrict T, const double *__restrict y,
                           double scale, double *__restrict r, double *__restrict X, bool accumulate) {
#define DLN_RESIDUAL_SUMS_IN_REGISTERS(V) \
  case V: return residual_sums_in_registers<V>(first, last, start, A, from, T, y, scale, r, X, accumulate);
  if (wide_registers() && rows % 8 == 0) switch (rows / 8) {
      DLN_RESIDUAL_SUMS_IN_REGISTERS(1) DLN_RESIDUAL_SUMS_IN_REGISTERS(2) DLN_RESIDUAL_SUMS_IN_REGISTERS(3)
      DLN_RESIDUAL_SUMS_IN_REGISTERS(4) DLN_RESIDUAL_SUMS_IN_REGISTERS(5) DLN_RESIDUAL_SUMS_IN_REGISTERS(6)
      DLN_RESIDUAL_SUMS_IN_REGISTERS(7) DLN_RESIDUAL_SUMS_IN_REGISTERS(8)
      default: break;
    }
#undef DLN_RESIDUAL_SUMS_IN_REGISTERS
  residual_sums_in_loops(rows, first, last, start, A, from, T, y, scale, r, X, accumulate);
}

}  // namespace dln
