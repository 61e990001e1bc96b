#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

// The vector values below (Lanes8) are always inlined into the
// multiversioned kernels, so none crosses a call boundary: GCC's -Wpsabi
// note about the ABI of such calls is moot here.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace dln {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define DLN_MULTIVERSION __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define DLN_MULTIVERSION
#endif

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
// Eight doubles as one value: GCC's vector extension, so the accumulators of
// a chunk stay in registers (left to itself, GCC vectorises over the entries
// with gathers instead). Loads and stores through memcpy: no alignment needed.
typedef double Lanes8 __attribute__((vector_size(64)));
// Always inlined: a helper emitted on its own would be compiled for the
// baseline instruction set, outside the clones of its caller.
#define DLN_INLINE inline __attribute__((always_inline))
DLN_INLINE Lanes8 load8(const double *p) {
  Lanes8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
DLN_INLINE void store8(double *p, const Lanes8 &v) { std::memcpy(p, &v, sizeof v); }

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
// accumulates in V vector registers, one dependent multiply-add per entry
// and register, and X is written once.
template <int V>
DLN_INLINE void chunk_of_sums(int64_t rows, int64_t r0, int64_t e0, int64_t e1, const double *__restrict g,
                              const double *__restrict source, const int64_t *__restrict from,
                              double *__restrict x) {
  Lanes8 acc[V];
  for (int v = 0; v < V; ++v) acc[v] = Lanes8{};
  for (int64_t e = e0; e < e1; ++e) {
    const double ge = g[e], *__restrict s = source + from[e] * rows + r0;
    for (int v = 0; v < V; ++v) acc[v] += ge * load8(s + 8 * v);
  }
  for (int v = 0; v < V; ++v) store8(x + r0 + 8 * v, acc[v]);
}
}  // namespace

// Eight lanes in one vector value: max as `a > m ? a : m`, exact, so the
// result is that of a scalar scan; NaN, which the comparison drops, is
// tracked on the side (GCC left the previous form of this loop scalar).
DLN_MULTIVERSION
double max_magnitude(const double *__restrict x, int64_t n) {
  typedef long long Mask8 __attribute__((vector_size(64)));
  Lanes8 lane = {};
  Mask8 nan = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const Lanes8 v = load8(x + i), a = v < 0.0 ? -v : v;
    nan |= a != a;
    lane = a > lane ? a : lane;
  }
  bool any_nan = false;
  double m = 0.0;
  for (int j = 0; j < 8; ++j) any_nan |= nan[j] != 0, m = lane[j] > m ? lane[j] : m;
  for (; i < n; ++i) {
    const double a = std::fabs(x[i]);
    any_nan |= a != a;
    m = a > m ? a : m;
  }
  return any_nan ? NAN : m;
}

// Target by target, rows in chunks of 32 (4 AVX-512 / 8 AVX2 accumulators):
// a target's source columns, fetched for its first chunk, are still in
// cache for the next.
DLN_MULTIVERSION
void grouped_sums(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start, const double *__restrict g,
                  const double *__restrict source, const int64_t *__restrict from, double *__restrict X) {
  const int64_t end = start[last];
  int64_t ahead = start[first];
  for (int64_t t = first; t < last; ++t) {
    const int64_t e0 = start[t], e1 = start[t + 1];
    prefetch_entries(ahead, std::min(e1 + kPrefetchAhead, end), source, from, rows);
    double *__restrict x = X + t * rows;
    int64_t r0 = 0;
    for (; r0 + 32 <= rows; r0 += 32) chunk_of_sums<4>(rows, r0, e0, e1, g, source, from, x);
    for (; r0 + 8 <= rows; r0 += 8) chunk_of_sums<1>(rows, r0, e0, e1, g, source, from, x);
    for (; r0 < rows; ++r0) {
      double acc = 0.0;
      for (int64_t e = e0; e < e1; ++e) acc += g[e] * source[from[e] * rows + r0];
      x[r0] = acc;
    }
  }
}

// The dots of target t with the columns of its entries, the target's column
// reused from cache, the others fetched ahead as in grouped_sums.
DLN_MULTIVERSION
void grouped_dots(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start, const double *__restrict A,
                  const int64_t *__restrict from, const double *__restrict T, double *__restrict out) {
  const int64_t end = start[last];
  int64_t ahead = start[first];
  for (int64_t t = first; t < last; ++t) {
    const int64_t e1 = start[t + 1];
    prefetch_entries(ahead, std::min(e1 + kPrefetchAhead, end), A, from, rows);
    const double *__restrict b = T + t * rows;
    for (int64_t e = start[t]; e < e1; ++e) {
      const double *__restrict a = A + from[e] * rows;
      out[e] = dot8(a, b, rows);
    }
  }
}

// grouped_dots and, in the same pass over the scattered columns of A, their
// sum weighted by the scaled residuals (the column of A fetched for the dot
// is reused from cache by the sum).
DLN_MULTIVERSION
void grouped_residual_sums(int64_t rows, int64_t first, int64_t last, const int64_t *__restrict start, const double *__restrict A,
                           const int64_t *__restrict from, const double *__restrict T, const double *__restrict y,
                           double scale, double *__restrict r, double *__restrict X) {
  const int64_t end = start[last];
  int64_t ahead = start[first];
  for (int64_t t = first; t < last; ++t) {
    const int64_t e1 = start[t + 1];
    prefetch_entries(ahead, std::min(e1 + kPrefetchAhead, end), A, from, rows);
    const double *__restrict b = T + t * rows;
    double *__restrict x = X + t * rows;
    for (int64_t q = 0; q < rows; ++q) x[q] = 0.0;
    for (int64_t e = start[t]; e < e1; ++e) {
      const double *__restrict a = A + from[e] * rows;
      r[e] = dot8(a, b, rows) - y[e];
      const double g = r[e] * scale;
      for (int64_t q = 0; q < rows; ++q) x[q] += g * a[q];
    }
  }
}

namespace {
// The dots of R rows of V with B columns of X at once, each exactly as dot8
// (the same eight lanes, reduction and tail): every load of a row or a
// column serves B or R multiply-adds, where a dot8 call per pair is one chain
// of dependent multiply-adds and two loads per multiply-add (issue 11,
// measured at w = 1024: 20 GFLOP/s for a row at a time against four).
template <int R, int B>
DLN_INLINE void dots_of_rows(int64_t cols, const double *__restrict V, const double *__restrict X,
                             double (&sums)[4][4]) {
  Lanes8 acc[R][B];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < B; ++k) acc[r][k] = Lanes8{};
  int64_t q = 0;
  for (; q + 8 <= cols; q += 8) {
    Lanes8 x[B];
    for (int k = 0; k < B; ++k) x[k] = load8(X + k * cols + q);
    for (int r = 0; r < R; ++r) {
      const Lanes8 v = load8(V + r * cols + q);
      for (int k = 0; k < B; ++k) acc[r][k] += v * x[k];
    }
  }
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < B; ++k) {
      const Lanes8 &l = acc[r][k];
      double sum = ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
      for (int64_t t = q; t < cols; ++t) sum += V[r * cols + t] * X[k * cols + t];
      sums[r][k] = sum;
    }
}

template <int R>
DLN_INLINE void rows_of_products(int64_t p, int64_t rows, int64_t cols, int64_t b, const double *V, double s,
                                 const double *X, double *Y) {
  double sums[4][4];
  int64_t k = 0;
  for (; k + 4 <= b; k += 4) {
    dots_of_rows<R, 4>(cols, V + p * cols, X + k * cols, sums);
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < 4; ++j) Y[(k + j) * rows + p + r] = s * sums[r][j];
  }
  for (; k < b; ++k) {
    dots_of_rows<R, 1>(cols, V + p * cols, X + k * cols, sums);
    for (int r = 0; r < R; ++r) Y[k * rows + p + r] = s * sums[r][0];
  }
}
}  // namespace

DLN_MULTIVERSION
void products_of_columns(int64_t rows, int64_t cols, int64_t b, const double *__restrict V, double s,
                         const double *__restrict X, double *__restrict Y, int64_t first_row, int64_t last_row) {
  int64_t p = first_row;
  for (; p + 4 <= last_row; p += 4) rows_of_products<4>(p, rows, cols, b, V, s, X, Y);
  for (; p < last_row; ++p) rows_of_products<1>(p, rows, cols, b, V, s, X, Y);
}

namespace {
// Columns c0 … c0+7 of the fused pass for B ≤ 4 columns of X: the B sums of
// out stay in registers over all rows (the generic loop below stores them
// back at every row, and is bound by those stores), as do the B entries of
// Y. Per element the same operations in the same order as the generic loop:
// out sums over p ascending, from V_old[p, q] before its update, which adds
// the B terms in order of k.
template <int B>
DLN_INLINE void eight_columns_of_rank_b(int64_t rows, int64_t cols, int64_t c0, double *__restrict V,
                                    const double *__restrict X, const double *__restrict alpha,
                                    const double *__restrict Y, double *__restrict out) {
  Lanes8 acc[B], y[B];
  for (int k = 0; k < B; ++k) acc[k] = Lanes8{}, y[k] = load8(Y + k * cols + c0);
  for (int64_t p = 0; p < rows; ++p) {
    double *__restrict row = V + p * cols + c0;
    Lanes8 v = load8(row);
    for (int k = 0; k < B; ++k) acc[k] += X[k * rows + p] * v;
    for (int k = 0; k < B; ++k) v += (alpha[k] * X[k * rows + p]) * y[k];
    store8(row, v);
  }
  for (int k = 0; k < B; ++k) store8(out + k * cols + c0, acc[k]);
}

// Columns c0 … c1-1 of the same pass, R rows at a time: the b sums of out
// and the b rows of Y for these columns are copied into `o` and `y` (rows
// `stride` apart, not a multiple of 4 KiB, so the 2·b streams and V's rows do
// not fall in one set of L1) and stay in L1; V is read in row order, and each
// load of o or y serves R rows. For matrices beyond the caches, where eight
// columns at a time walk V at the stride of a whole row and miss every line
// (w = 1024: 4.5 ms a step of b = 4, 1.0 for b = 1; issue 11), and for
// b > 4. Per element the same operations in the same order as
// eight_columns_of_rank_b: out over p ascending from V_old, then the update
// adding the b terms in order of k.
constexpr int64_t kChunkBuffer = 1536;  // doubles of o and of y: 24 KiB together
template <int R>
DLN_INLINE void rows_of_rank_b(int64_t rows, int64_t cols, int64_t b, int64_t p, int64_t width, int64_t stride,
                               double *__restrict row0, const double *__restrict X, const double *__restrict alpha,
                               double *__restrict o, const double *__restrict y) {
  double x[R][kMaxFusedColumns], a[R][kMaxFusedColumns];
  for (int r = 0; r < R; ++r)
    for (int64_t k = 0; k < b; ++k) x[r][k] = X[k * rows + p + r], a[r][k] = alpha[k] * X[k * rows + p + r];
  for (int64_t q = 0; q < width; q += 8) {
    Lanes8 v[R];
    for (int r = 0; r < R; ++r) v[r] = load8(row0 + r * cols + q);
    for (int64_t k = 0; k < b; ++k) {
      Lanes8 acc = load8(o + k * stride + q);
      for (int r = 0; r < R; ++r) acc += x[r][k] * v[r];
      store8(o + k * stride + q, acc);
    }
    for (int64_t k = 0; k < b; ++k) {
      const Lanes8 yk = load8(y + k * stride + q);
      for (int r = 0; r < R; ++r) v[r] += a[r][k] * yk;
    }
    for (int r = 0; r < R; ++r) store8(row0 + r * cols + q, v[r]);
  }
}

// Both blocked forms over the columns c_begin (a multiple of 8) … c_end − 1,
// rounded down to whole groups of 8; return where they stopped.
DLN_INLINE int64_t chunked_rank_b(int64_t rows, int64_t cols, int64_t b, double *__restrict V,
                                  const double *__restrict X, const double *__restrict alpha,
                                  const double *__restrict Y, double *__restrict out, int64_t c_begin, int64_t c_end) {
  double o[kChunkBuffer], y[kChunkBuffer];
  const int64_t blocked = c_begin + (c_end - c_begin) / 8 * 8, stride = kChunkBuffer / b / 8 * 8, chunk = stride - 8;
  for (int64_t c0 = c_begin; c0 < blocked; c0 += chunk) {
    const int64_t width = std::min(chunk, blocked - c0);
    for (int64_t k = 0; k < b; ++k)
      for (int64_t q = 0; q < width; ++q) o[k * stride + q] = 0.0, y[k * stride + q] = Y[k * cols + c0 + q];
    int64_t p = 0;
    for (; p + 4 <= rows; p += 4) rows_of_rank_b<4>(rows, cols, b, p, width, stride, V + p * cols + c0, X, alpha, o, y);
    for (; p < rows; ++p) rows_of_rank_b<1>(rows, cols, b, p, width, stride, V + p * cols + c0, X, alpha, o, y);
    for (int64_t k = 0; k < b; ++k)
      for (int64_t q = 0; q < width; ++q) out[k * cols + c0 + q] = o[k * stride + q];
  }
  return blocked;
}

// A matrix past this many entries (256 KB) takes the row-ordered chunks.
constexpr int64_t kChunkedFrom = 32768;

template <int B>
DLN_INLINE int64_t blocked_rank_b(int64_t rows, int64_t cols, double *V, const double *X, const double *alpha,
                              const double *Y, double *out, int64_t c_begin, int64_t c_end) {
  if (rows * cols > kChunkedFrom) return chunked_rank_b(rows, cols, B, V, X, alpha, Y, out, c_begin, c_end);
  const int64_t blocked = c_begin + (c_end - c_begin) / 8 * 8;
  for (int64_t c0 = c_begin; c0 < blocked; c0 += 8) eight_columns_of_rank_b<B>(rows, cols, c0, V, X, alpha, Y, out);
  return blocked;
}
}  // namespace

DLN_MULTIVERSION
void transposed_products_and_rank_b_update(int64_t rows, int64_t cols, int64_t b, double *__restrict V, double s,
                                           const double *__restrict X, const double *__restrict alpha,
                                           const double *__restrict Y, double *__restrict out, int64_t c_begin,
                                           int64_t c_end) {
  // Columns from `first` on (the last of c_end − c_begin mod 8) go through the generic loop.
  const int64_t first = b == 1   ? blocked_rank_b<1>(rows, cols, V, X, alpha, Y, out, c_begin, c_end)
                        : b == 2 ? blocked_rank_b<2>(rows, cols, V, X, alpha, Y, out, c_begin, c_end)
                        : b == 3 ? blocked_rank_b<3>(rows, cols, V, X, alpha, Y, out, c_begin, c_end)
                        : b == 4 ? blocked_rank_b<4>(rows, cols, V, X, alpha, Y, out, c_begin, c_end)
                                 : chunked_rank_b(rows, cols, b, V, X, alpha, Y, out, c_begin, c_end);
  for (int64_t k = 0; k < b; ++k)
    for (int64_t q = first; q < c_end; ++q) out[k * cols + q] = 0.0;
  for (int64_t p = 0; p < rows && first < c_end; ++p) {
    double *__restrict row = V + p * cols;
    for (int64_t k = 0; k < b; ++k) {  // from V_old: the reads of row p come before its update
      const double xp = X[k * rows + p];
      double *__restrict o = out + k * cols;
      for (int64_t q = first; q < c_end; ++q) o[q] += xp * row[q];
    }
    for (int64_t k = 0; k < b; ++k) {
      const double ap = alpha[k] * X[k * rows + p], *__restrict y = Y + k * cols;
      for (int64_t q = first; q < c_end; ++q) row[q] += ap * y[q];
    }
  }
  for (int64_t k = 0; k < b; ++k)
    for (int64_t q = c_begin; q < c_end; ++q) out[k * cols + q] *= s;
}

}  // namespace dln
