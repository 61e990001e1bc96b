// Formulation "distinct rows and columns" (math §8). For a batch with p
// distinct columns J and q distinct rows I, the forward vectors are needed
// only for the p columns and the backward vectors only for the q rows:
//   F_1 = W_1[:, J], F_ℓ = W_ℓ F_{ℓ-1} (n_ℓ × p);  B_{L-1} = W_L[I, :]ᵀ, B_{ℓ-1} = W_ℓᵀ B_ℓ (n_ℓ × q)
//   r_k = <B_{L-1}[:, slot(i_k)], F_{L-1}[:, slot(j_k)]> − y_k     (b dot products)
//   gradient of an inner layer: B_ℓ S F_{ℓ-1}ᵀ, S the q × p sparse matrix of the g_k,
// S applied to the side that makes the gemm shorter ((B_ℓ S) F_{ℓ-1}ᵀ or
// B_ℓ (F_{ℓ-1} Sᵀ)ᵀ), W_1 touched in its p columns, W_L in its q rows. A step
// costs O(Σ_ℓ n_ℓ n_{ℓ-1} (p + q + min(p, q)) + b Σ_ℓ n_ℓ) instead of the
// 3 b Σ_ℓ n_ℓ n_{ℓ-1} of b chains. It is the cheapest where q ≪ p (or
// p ≪ q): where p ≤ q the sparse block of formulation_sparse_block.cpp needs
// fewer products, and where the batch fills its q × p block the dense block
// is cheaper still. The
// products with S sum the entries grouped by output column (a CSR of S or Sᵀ
// built per step), in registers. Its bound: the vectors it computed, and
// Σ|g|·max|B_ℓ|, Σ|g|·max|F_ℓ| for the products with S.
#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "kernels.hpp"
#include "step_formulation.hpp"

namespace dln {

namespace {

// Slots of the distinct values of value(k), k < b, in increasing order of
// value (so that gathers from and updates of W_1's columns and W_L's rows
// walk memory forwards: at full-batch GD on 10⁵ × 10⁵ the order of first
// appearance made every column of W_1 a fresh set of cache misses). mark
// (one entry per possible value) is all −1 before and after. O(b + min(range,
// count log count)).
template <class Value>
int64_t distinct(int64_t b, Value value, std::vector<int64_t> &mark, std::vector<int64_t> &list,
                 std::vector<int64_t> &slot) {
  list.resize(size_t(b));  // allocations first: mark must be left all −1 whatever happens
  slot.resize(size_t(b));
  int64_t count = 0;
  for (int64_t k = 0; k < b; ++k) {
    int64_t &s = mark[size_t(value(k))];
    if (s < 0) {
      s = 0;
      list[size_t(count++)] = value(k);
    }
  }
  const int64_t range = int64_t(mark.size());
  if (double(count) * std::log2(double(count) + 1.0) < double(range)) {
    std::sort(list.begin(), list.begin() + count);
  } else {  // most values occur: one pass over the marks is cheaper than sorting
    int64_t c = 0;
    for (int64_t v = 0; v < range; ++v)
      if (mark[size_t(v)] >= 0) list[size_t(c++)] = v;
  }
  for (int64_t c = 0; c < count; ++c) mark[size_t(list[size_t(c)])] = c;
  for (int64_t k = 0; k < b; ++k) slot[size_t(k)] = mark[size_t(value(k))];
  for (int64_t c = 0; c < count; ++c) mark[size_t(list[size_t(c)])] = -1;
  return count;
}

// Whether the batch is the one the distinct sets were last found for:
// full-batch GD takes the same batch every step, and finding and grouping it
// again cost 40 of 380 ms per step at 10⁵ × 10⁵, N = 10⁶. The observation
// indices are the key (reading the entries back from the sets and slots
// instead took 6 ms a step there); new observations reset `found`
// (dln_set_observations), so no batch can meet a stale grouping.
bool same_batch(const Workspace &w, const int64_t *batch, int64_t b) {
  return w.found && std::equal(batch, batch + b, w.found_batch.begin(), w.found_batch.end());
}

bool prefer_left(int64_t b, int64_t p, int64_t q, int64_t rows, int64_t cols) {  // (B S) Fᵀ rather than B (F Sᵀ)ᵀ
  return double(p) * double(rows * cols) + double(b * rows) <= double(q) * double(rows * cols) + double(b * cols);
}

bool applies(const StepShape &s) { return s.b > 1 && s.L >= 2; }  // p, q are found for b > 1

double cost(const StepShape &s) {
  const double k = kScatteredPerGemmFlop;
  double c = 0.0;
  for (int64_t l = 2; l <= s.L - 1; ++l) {
    const double nn = double(s.n[l] * s.n[l - 1]);
    c += std::max(double(s.p + s.q) * nn, 2.0 * pass_cost(s.n[l], s.n[l - 1])) +
         std::max(std::min(double(s.p) * nn + k * double(s.b * s.n[l]), double(s.q) * nn + k * double(s.b * s.n[l - 1])),
                  pass_cost(s.n[l], s.n[l - 1]));
  }
  const double n1 = double(s.n[1]), top = double(s.n[s.L - 1]);
  c += 3.0 * double(s.L - 2) * kGemmCall;
  return c + double(s.p) * 2.0 * n1 + double(s.q) * top + k * double(s.b) * (n1 + 2.0 * top) + 4.0 * double(s.b);
}

int64_t count_of(const std::vector<int64_t> &v) { return int64_t(v.size()); }

// The batch entries grouped by slot in `tiles` tiles of the other side's
// slots (a stable counting sort on (tile, slot), O(b + tiles · count)): the
// entries of slot t in tile h are order[start[h · count + t] …], in batch
// order, so that a product with S sums each output column in registers.
// from[e] is the slot of entry order[e] on the other side (other_slot).
void group_by_slot(int64_t b, const std::vector<int64_t> &slot, const std::vector<int64_t> &other_slot, int64_t count,
                   int64_t tiles, int64_t tile_size, std::vector<int64_t> &start, std::vector<int64_t> &order,
                   std::vector<int64_t> &from) {
  const int64_t keys = tiles * count;
  start.assign(size_t(keys) + 1, 0);
  order.resize(size_t(b));
  from.resize(size_t(b));
  auto key = [&](int64_t k) { return other_slot[size_t(k)] / tile_size * count + slot[size_t(k)]; };
  for (int64_t k = 0; k < b; ++k) ++start[size_t(key(k)) + 1];
  for (int64_t t = 0; t < keys; ++t) start[size_t(t) + 1] += start[size_t(t)];
  for (int64_t k = 0; k < b; ++k) order[size_t(start[size_t(key(k))]++)] = k;
  for (int64_t t = keys; t > 0; --t) start[size_t(t)] = start[size_t(t) - 1];
  start[0] = 0;
  for (int64_t e = 0; e < b; ++e) from[size_t(e)] = other_slot[size_t(order[size_t(e)])];
}

// Tiles of `count` slots of vectors `width` long, each tile's vectors at most
// kTileBytes: a pass over the groups reads them at random, and from a block
// larger than the last-level cache every read was a miss. At full-batch GD on
// 10⁵ × 10⁵ (N = 10⁶, width 64: blocks of 51 MB read 10 times a vector; Zen 4,
// 32 MB L3) four tiles took the residual pass from 84 to 46 ms and F Sᵀ from
// 59 to 28 ms; 8.5 MB tiles were slower again (every tile streams the
// targets' own columns once more). Only where that measurement says it pays:
// short vectors (a long one streams by itself), each read several times (so
// that a tile in cache is reused), and few tiles.
constexpr int64_t kTileBytes = int64_t(16) << 20;
constexpr int64_t kTiledWidthMax = 128;
constexpr int64_t kReadsPerVectorMin = 4;
constexpr int64_t kTilesMax = 8;
int64_t tiles_for(int64_t b, int64_t count, int64_t width) {
  if (width <= 0 || width > kTiledWidthMax || b < kReadsPerVectorMin * count) return 1;
  const double bytes = 8.0 * double(count) * double(width);
  return std::min(kTilesMax, std::max<int64_t>(1, int64_t(std::ceil(bytes / double(kTileBytes)))));
}
int64_t tile_size(int64_t count, int64_t tiles) { return std::max<int64_t>(1, (count + tiles - 1) / tiles); }

void layout(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  const int64_t P = int64_t(w.distinct_cols.size()), Q = int64_t(w.distinct_rows.size());
  w.offset.resize(size_t(p.L) + 1);
  w.backward_offset.resize(size_t(p.L) + 1);
  forward_size = backward_size = 0;
  int64_t widest = 0;
  for (int64_t l = 1; l < p.L; ++l) {
    w.offset[size_t(l)] = forward_size;
    w.backward_offset[size_t(l)] = backward_size;
    forward_size += p.n(l) * P;
    backward_size += p.n(l) * Q;
    widest = std::max(widest, p.n(l));
  }
  p.foffset = w.offset.data();
  p.boffset = w.backward_offset.data();
  if (int64_t(w.scaled.size()) < widest * std::max(P, Q)) w.scaled.resize(size_t(widest * std::max(P, Q)));
  group_entries(p.b, w, widest);
}

void residuals(StepPlan &p) {
  const Workspace &w = p.model.work;
  const int64_t *J = w.distinct_cols.data(), *I = w.distinct_rows.data();
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows);
  gather_outer(p, P, [&](int64_t c) { return J[c]; }, Q, [&](int64_t r) { return I[r]; });
  forward_products(p, P);
  backward_products(p, Q);
  residuals_by_dots(p, p.n(p.L - 1), p.Bl(p.L - 1), p.Fl(p.L - 1));
}

void bound(StepPlan &p, bool &risky) {
  const int64_t P = count_of(p.model.work.distinct_cols), Q = count_of(p.model.work.distinct_rows);
  for (int64_t l = 1; l < p.L; ++l) {
    p.fmax[l] = max_magnitude(p.Fl(l), p.n(l) * P);
    p.bmax[l] = max_magnitude(p.Bl(l), p.n(l) * Q);
    check_bound(risky, product_bound(p.gsum, p.fmax[l], 1.0, 1.0));  // F_ℓ Sᵀ
    check_bound(risky, product_bound(p.gsum, p.bmax[l], 1.0, 1.0));  // B_ℓ S
  }
}

const char *update(StepPlan &p, bool exact) {
  if (exact && first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
  Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), b = p.b, L = p.L;
  double *X = w.scaled.data();
  gather_g(b, p.g, w.col_order, w.g_by_col);
  gather_g(b, p.g, w.row_order, w.g_by_row);
  const double *g_col = w.g_by_col.data(), *g_row = w.g_by_row.data();
  const Groups by_col = column_groups(w), by_row = row_groups(w);
  for (int64_t l = 2; l <= L - 1; ++l) {
    Layer &W = p.model.layer(l);
    if (prefer_left(b, P, Q, W.rows, W.cols)) {  // X = B_ℓ S (n_ℓ × p), V += c X F_{ℓ-1}ᵀ
      sums_with_S(p, W.rows, by_col, g_col, p.Bl(l), X);
      p.exec.gemm(false, true, W.rows, W.cols, P, p.coefficient[l], X, 1, W.rows, p.Fl(l - 1), 1, W.cols, 1.0,
                  W.v.data(), W.cols, 1);
    } else {  // X = F_{ℓ-1} Sᵀ (n_{ℓ-1} × q), V += c B_ℓ Xᵀ
      sums_with_S(p, W.cols, by_row, g_row, p.Fl(l - 1), X);
      p.exec.gemm(false, true, W.rows, W.cols, Q, p.coefficient[l], p.Bl(l), 1, W.rows, X, 1, W.cols, 1.0,
                  W.v.data(), W.cols, 1);
    }
  }
  // W_1, columns J: V_1[:, J_c] += c_1 (B_1 S)[:, c]
  sums_with_S(p, p.n(1), by_col, g_col, p.Bl(1), X);
  add_to_first_columns(p, w.distinct_cols, X);
  // W_L, rows I: V_L[I_r, :] += c_L (F_{L-1} Sᵀ)[:, r]ᵀ
  sums_with_S(p, p.n(L - 1), by_row, g_row, p.Fl(L - 1), X);
  add_to_last_rows(p, int64_t(w.distinct_rows.size()), w.distinct_rows.data(), X);
  return nullptr;
}

}  // namespace

void find_distinct(dln_model &model, const int64_t *batch, int64_t b, int64_t &p, int64_t &q) {
  Workspace &w = model.work;
  const Observations &obs = model.train;
  if (same_batch(w, batch, b)) {
    p = int64_t(w.distinct_cols.size());
    q = int64_t(w.distinct_rows.size());
    return;
  }
  w.found = w.grouped = false;  // until the sets below are complete
  if (int64_t(w.col_mark.size()) != model.cols()) w.col_mark.assign(size_t(model.cols()), -1);
  if (int64_t(w.row_mark.size()) != model.rows()) w.row_mark.assign(size_t(model.rows()), -1);
  p = distinct(b, [&](int64_t k) { return obs.cols[size_t(batch[k])]; }, w.col_mark, w.distinct_cols, w.col_slot);
  q = distinct(b, [&](int64_t k) { return obs.rows[size_t(batch[k])]; }, w.row_mark, w.distinct_rows, w.row_slot);
  w.distinct_cols.resize(size_t(p));
  w.distinct_rows.resize(size_t(q));
  w.col_runs.clear();
  for (int64_t c = 0; c < p; ++c)
    if (c == 0 || w.distinct_cols[size_t(c)] != w.distinct_cols[size_t(c) - 1] + 1) w.col_runs.push_back(c);
  w.col_runs.push_back(p);
  w.found_batch.assign(batch, batch + b);
  w.found = true;
}

void group_entries(int64_t b, Workspace &w, int64_t width) {
  if (w.grouped && w.grouped_width == width) return;  // the same entries as when they were grouped (find_distinct)
  w.grouped = w.y_grouped = false;  // y_by_col was in the order of the old groups
  const int64_t P = int64_t(w.distinct_cols.size()), Q = int64_t(w.distinct_rows.size());
  w.col_tiles = tiles_for(b, Q, width);  // the column groups read vectors of the rows
  w.row_tiles = tiles_for(b, P, width);
  group_by_slot(b, w.col_slot, w.row_slot, P, w.col_tiles, tile_size(Q, w.col_tiles), w.col_start, w.col_order,
                w.col_from);
  group_by_slot(b, w.row_slot, w.col_slot, Q, w.row_tiles, tile_size(P, w.row_tiles), w.row_start, w.row_order,
                w.row_from);
  w.col_position.resize(size_t(b));
  for (int64_t e = 0; e < b; ++e) w.col_position[size_t(w.col_order[size_t(e)])] = e;
  w.row_in_col.resize(size_t(b));
  for (int64_t e = 0; e < b; ++e) w.row_in_col[size_t(e)] = w.col_position[size_t(w.row_order[size_t(e)])];
  w.grouped_width = width;
  w.grouped = true;
}

Groups column_groups(const Workspace &w) {
  return {int64_t(w.distinct_cols.size()), w.col_tiles, w.col_start.data(), w.col_from.data()};
}
Groups row_groups(const Workspace &w) {
  return {int64_t(w.distinct_rows.size()), w.row_tiles, w.row_start.data(), w.row_from.data()};
}

void gather_g(int64_t b, const double *g, const std::vector<int64_t> &order, std::vector<double> &out) {
  out.resize(size_t(b));
  for (int64_t e = 0; e < b; ++e) out[size_t(e)] = g[order[size_t(e)]];
}

void residuals_by_dots(StepPlan &p, int64_t n, const double *B, const double *F) {
  Workspace &w = p.model.work;
  const Observations &obs = p.model.train;
  // Grouped by column (each column of F read once), then into batch order.
  w.g_by_col.resize(size_t(p.b));
  double *dots = w.g_by_col.data();
  dots_with_S(p, n, column_groups(w), B, F, dots);
  for (int64_t e = 0; e < p.b; ++e) p.g[w.col_order[size_t(e)]] = dots[e];
  for (int64_t k = 0; k < p.b; ++k) p.g[k] -= obs.values[size_t(p.batch[k])];
}

void add_to_first_column_block(StepPlan &p, const int64_t *J, int64_t k, int64_t width, const double *X) {
  Layer &W1 = p.model.layer(1);
  const double c = p.coefficient[1];
  const int64_t n1 = W1.rows, m = W1.cols;
  for (int64_t q = 0; q < n1; ++q) {  // row by row, as gather_first_column_block
    double *row = W1.v.data() + q * m;
    for (int64_t i = 0; i < width; ++i) row[J[k + i]] += c * X[(k + i) * n1 + q];
  }
}

void add_to_first_columns(StepPlan &p, const std::vector<int64_t> &J, const double *X) {
  for_column_blocks(p, int64_t(J.size()), p.n(1),
                    [&](int64_t k, int64_t width) { add_to_first_column_block(p, J.data(), k, width, X); });
}

namespace {
// body(c, j, length) over the runs of consecutive columns of J (J_c … J_c +
// length − 1 at slots c …), or once per slot where the runs are short (a
// mini-batch's scattered columns): at full-batch GD on 10⁵ × 10⁵ nearly every
// column is in J, and copying runs let the loops below stream W_1's rows in
// vectors instead of a load per index.
constexpr int64_t kShortestMeanRun = 8;  // runs at least this long on average go run by run
template <class Body>
void over_runs(const std::vector<int64_t> &J, const std::vector<int64_t> &runs, Body body) {
  const int64_t count = int64_t(J.size()), starts = int64_t(runs.size()) - 1;
  if (starts > 0 && starts * kShortestMeanRun <= count) {
    for (int64_t r = 0; r < starts; ++r) body(runs[size_t(r)], J[size_t(runs[size_t(r)])], runs[size_t(r) + 1] - runs[size_t(r)]);
  } else {
    for (int64_t c = 0; c < count; ++c) body(c, J[size_t(c)], int64_t(1));
  }
}
}  // namespace

void gather_first_rows(StepPlan &p, const std::vector<int64_t> &J, double *dst) {
  const Layer &W1 = p.model.layer(1);
  const std::vector<int64_t> &runs = p.model.work.col_runs;
  const int64_t count = int64_t(J.size()), m = W1.cols;
  const double s = W1.scale;
  p.exec.parallel_parts(W1.rows, double(W1.rows) * double(count), [&](int64_t lo, int64_t hi) {
    for (int64_t q = lo; q < hi; ++q) {
      const double *__restrict row = W1.v.data() + q * m;
      double *__restrict out = dst + q * count;
      over_runs(J, runs, [&](int64_t c, int64_t j, int64_t length) {
        for (int64_t i = 0; i < length; ++i) out[c + i] = s * row[j + i];
      });
    }
  });
}

void add_to_first_rows(StepPlan &p, const std::vector<int64_t> &J, const double *X) {
  Layer &W1 = p.model.layer(1);
  const std::vector<int64_t> &runs = p.model.work.col_runs;
  const int64_t count = int64_t(J.size()), m = W1.cols;
  const double c1 = p.coefficient[1];
  p.exec.parallel_parts(W1.rows, double(W1.rows) * double(count), [&](int64_t lo, int64_t hi) {
    for (int64_t q = lo; q < hi; ++q) {
      double *__restrict row = W1.v.data() + q * m;
      const double *__restrict x = X + q * count;
      over_runs(J, runs, [&](int64_t c, int64_t j, int64_t length) {
        for (int64_t i = 0; i < length; ++i) row[j + i] += c1 * x[c + i];
      });
    }
  });
}

void add_to_last_rows(StepPlan &p, int64_t count, const int64_t *I, const double *X) {
  Layer &WL = p.model.layer(p.L);
  const double c = p.coefficient[p.L];
  for (int64_t k = 0; k < count; ++k) {
    double *v = WL.v.data() + I[k] * WL.cols;
    const double *x = X + int64_t(k) * WL.cols;
    for (int64_t q = 0; q < WL.cols; ++q) v[q] += c * x[q];
  }
}

const Formulation kRowsCols{DLN_FORMULATION_ROWS_COLS, applies, cost, layout, residuals, bound, update};

}  // namespace dln
