// Kernels of the fused batch formulation (formulation_fused_batch.cpp,
// issue 11): the single-entry kernels for b columns at once, each row of V
// read once per call, in an AVX-512 form (Lanes8) and an AVX2 form (Lanes4)
// that do the same operations on every number (kernel_lanes.hpp).
#include <algorithm>

#include "kernel_lanes.hpp"
#include "kernels.hpp"

namespace dln {

namespace {
// The dots of R rows of V with B columns of X at once, each exactly as dot8
// (the same eight lanes, reduction and tail): every load of a row or a
// column serves B or R multiply-adds, where a dot8 call per pair is one chain
// of dependent multiply-adds and two loads per multiply-add (issue 11,
// measured at w = 1024: 20 GFLOP/s for a row at a time against four).
template <bool Wide, int R, int B>
DLN_INLINE void dots_of_rows(int64_t cols, const double *__restrict V, const double *__restrict X,
                             double (&sums)[4][4]) {
  using L = FormLanes<Wide>;
  constexpr int H = int(8 / (sizeof(L) / sizeof(double)));  // vectors per eight lanes
  L acc[R][B][H];
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < B; ++k)
      for (int h = 0; h < H; ++h) acc[r][k][h] = L{};
  int64_t q = 0;
  for (; q + 8 <= cols; q += 8)
    for (int h = 0; h < H; ++h) {
      const int64_t c = q + 8 / H * h;
      L x[B];
      for (int k = 0; k < B; ++k) x[k] = load_lanes<L>(X + k * cols + c);
      for (int r = 0; r < R; ++r) {
        const L v = load_lanes<L>(V + r * cols + c);
        for (int k = 0; k < B; ++k) acc[r][k][h] += v * x[k];
      }
    }
  double lanes[R][B][8];
  std::memcpy(lanes, acc, sizeof lanes);
  for (int r = 0; r < R; ++r)
    for (int k = 0; k < B; ++k) {
      const double *l = lanes[r][k];
      double sum = ((l[0] + l[4]) + (l[1] + l[5])) + ((l[2] + l[6]) + (l[3] + l[7]));
      for (int64_t t = q; t < cols; ++t) sum += V[r * cols + t] * X[k * cols + t];
      sums[r][k] = sum;
    }
}

template <bool Wide, int R, int B>
DLN_INLINE void rows_of_products(int64_t p, int64_t rows, int64_t cols, int64_t b, const double *V, double s,
                                 const double *X, double *Y) {
  double sums[4][4];
  int64_t k = 0;
  for (; k + B <= b; k += B) {
    dots_of_rows<Wide, R, B>(cols, V + p * cols, X + k * cols, sums);
    for (int r = 0; r < R; ++r)
      for (int j = 0; j < B; ++j) Y[(k + j) * rows + p + r] = s * sums[r][j];
  }
  for (; k < b; ++k) {
    dots_of_rows<Wide, R, 1>(cols, V + p * cols, X + k * cols, sums);
    for (int r = 0; r < R; ++r) Y[k * rows + p + r] = s * sums[r][0];
  }
}

template <bool Wide, int R, int B>
DLN_INLINE void products_in_blocks(int64_t rows, int64_t cols, int64_t b, const double *V, double s, const double *X,
                                   double *Y, int64_t first_row, int64_t last_row) {
  int64_t p = first_row;
  for (; p + R <= last_row; p += R) rows_of_products<Wide, R, B>(p, rows, cols, b, V, s, X, Y);
  for (; p < last_row; ++p) rows_of_products<Wide, 1, B>(p, rows, cols, b, V, s, X, Y);
}
}  // namespace

DLN_MULTIVERSION
void products_of_columns(int64_t rows, int64_t cols, int64_t b, const double *__restrict V, double s,
                         const double *__restrict X, double *__restrict Y, int64_t first_row, int64_t last_row) {
  if (wide_registers()) products_in_blocks<true, 4, 4>(rows, cols, b, V, s, X, Y, first_row, last_row);
  else products_in_blocks<false, 4, 2>(rows, cols, b, V, s, X, Y, first_row, last_row);
}

namespace {
// Columns c0 … c0+7 of the fused pass for B ≤ 4 columns of X: the B sums of
// out stay in registers over all rows (the generic loop below stores them
// back at every row, and is bound by those stores), as do the B entries of
// Y. Per element the same operations in the same order as the generic loop:
// out sums over p ascending, from V_old[p, q] before its update, which adds
// the B terms in order of k. In the CPU's form (a step of b = 4 at w = 64
// with the x86-64-v3 clone forced: 32.8 µs in eight-lane values, 10.0 in
// the AVX2 form, 6.7 with AVX-512).
template <bool Wide, int B>
DLN_INLINE void eight_columns_of_rank_b(int64_t rows, int64_t cols, int64_t c0, double *__restrict V,
                                        const double *__restrict X, const double *__restrict alpha,
                                        const double *__restrict Y, double *__restrict out) {
  using L = FormLanes<Wide>;
  constexpr int N = int(sizeof(L) / sizeof(double)), H = 8 / N;  // lanes per vector, vectors per eight
  L acc[B][H], y[B][H];
  for (int k = 0; k < B; ++k)
    for (int h = 0; h < H; ++h) acc[k][h] = L{}, y[k][h] = load_lanes<L>(Y + k * cols + c0 + N * h);
  for (int64_t p = 0; p < rows; ++p) {
    double *__restrict row = V + p * cols + c0;
    for (int h = 0; h < H; ++h) {
      L v = load_lanes<L>(row + N * h);
      for (int k = 0; k < B; ++k) acc[k][h] += X[k * rows + p] * v;
      for (int k = 0; k < B; ++k) v += (alpha[k] * X[k * rows + p]) * y[k][h];
      store_lanes(row + N * h, v);
    }
  }
  for (int k = 0; k < B; ++k)
    for (int h = 0; h < H; ++h) store_lanes(out + k * cols + c0 + N * h, acc[k][h]);
}

// `width` columns of the same pass (a chunk), R rows at a time: the b sums
// of out and the b rows of Y for these columns are copied into `o` and `y`,
// rows `stride` apart, where they stay in cache while V is read in row order,
// each load of o or y serving R rows. For matrices beyond the caches, where
// eight columns at a time walk V at the stride of a whole row and miss every
// line (w = 1024: 4.5 ms a step of b = 4, 1.0 for b = 1; issue 11), and for
// b > 4. Per element the same operations in the same order as
// eight_columns_of_rank_b: out over p ascending from V_old, then the update
// adding the b terms in order of k.
constexpr int64_t kChunkBuffer = 1536;  // doubles of o and of y: 24 KiB together
template <bool Wide, int R>
DLN_INLINE void rows_of_rank_b(int64_t rows, int64_t cols, int64_t b, int64_t p, int64_t width, int64_t stride,
                               double *__restrict row0, const double *__restrict X, const double *__restrict alpha,
                               double *__restrict o, const double *__restrict y) {
  double x[R][kMaxFusedColumns], a[R][kMaxFusedColumns];
  for (int r = 0; r < R; ++r)
    for (int64_t k = 0; k < b; ++k) x[r][k] = X[k * rows + p + r], a[r][k] = alpha[k] * X[k * rows + p + r];
  using L = FormLanes<Wide>;
  constexpr int64_t N = int64_t(sizeof(L) / sizeof(double));  // lanes per vector
  for (int64_t c = 0; c < width; c += N) {
    L v[R];
    for (int r = 0; r < R; ++r) v[r] = load_lanes<L>(row0 + r * cols + c);
    for (int64_t k = 0; k < b; ++k) {
      L acc = load_lanes<L>(o + k * stride + c);
      for (int r = 0; r < R; ++r) acc += x[r][k] * v[r];
      store_lanes(o + k * stride + c, acc);
    }
    for (int64_t k = 0; k < b; ++k) {
      const L yk = load_lanes<L>(y + k * stride + c);
      for (int r = 0; r < R; ++r) v[r] += a[r][k] * yk;
    }
    for (int r = 0; r < R; ++r) store_lanes(row0 + r * cols + c, v[r]);
  }
}

template <bool Wide>
DLN_INLINE void all_rows_of_rank_b(int64_t rows, int64_t cols, int64_t b, int64_t width, int64_t stride, double *V,
                                   const double *X, const double *alpha, double *o, const double *y) {
  int64_t p = 0;
  for (; p + 4 <= rows; p += 4) rows_of_rank_b<Wide, 4>(rows, cols, b, p, width, stride, V + p * cols, X, alpha, o, y);
  for (; p < rows; ++p) rows_of_rank_b<Wide, 1>(rows, cols, b, p, width, stride, V + p * cols, X, alpha, o, y);
}

// Both blocked forms over the columns c_begin (a multiple of 8) … c_end − 1,
// rounded down to whole groups of 8; return where they stopped.
DLN_INLINE int64_t chunked_rank_b(int64_t rows, int64_t cols, int64_t b, double *__restrict V,
                                  const double *__restrict X, const double *__restrict alpha,
                                  const double *__restrict Y, double *__restrict out, int64_t c_begin, int64_t c_end) {
  double o[kChunkBuffer], y[kChunkBuffer];
  // b ≤ kMaxFusedColumns = 64: stride ≥ 24 and chunk ≥ 16 columns.
  const int64_t blocked = c_begin + (c_end - c_begin) / 8 * 8, stride = kChunkBuffer / b / 8 * 8, chunk = stride - 8;
  for (int64_t c0 = c_begin; c0 < blocked; c0 += chunk) {
    const int64_t width = std::min(chunk, blocked - c0);
    for (int64_t k = 0; k < b; ++k)
      for (int64_t q = 0; q < width; ++q) o[k * stride + q] = 0.0, y[k * stride + q] = Y[k * cols + c0 + q];
    if (wide_registers()) all_rows_of_rank_b<true>(rows, cols, b, width, stride, V + c0, X, alpha, o, y);
    else all_rows_of_rank_b<false>(rows, cols, b, width, stride, V + c0, X, alpha, o, y);
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
  for (int64_t c0 = c_begin; c0 < blocked; c0 += 8)
    if (wide_registers()) eight_columns_of_rank_b<true, B>(rows, cols, c0, V, X, alpha, Y, out);
    else eight_columns_of_rank_b<false, B>(rows, cols, c0, V, X, alpha, Y, out);
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
                        : b <= kMaxFusedColumns ? chunked_rank_b(rows, cols, b, V, X, alpha, Y, out, c_begin, c_end)
                                                : c_begin;
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
