// The SGD step of math §3 as named formulations (math §8, issue 11). Each
// formulation is one unit (src/formulation_*.cpp) that computes the same step
// with its own products and its own a priori overflow bound; step.cpp picks
// the cheapest by its cost model, runs it in place when its bound is far from
// overflow and otherwise wraps it in back-up, check and restore (math §7).
// Adding a formulation is one file and one line in kFormulations (step.cpp).
#pragma once
#include <algorithm>
#include <cstdint>

#include "exec_context.hpp"
#include "instruction_sets.hpp"
#include "kernels.hpp"
#include "model.hpp"

namespace dln {

// What the cost model sees: depth, batch size, distinct columns p and rows q.
struct StepShape {
  int64_t L, b, p, q;
  const int64_t *n;  // widths n_0 … n_L
};

// One step being taken. Forward vectors F_ℓ and backward vectors B_ℓ are
// n_ℓ × (columns) blocks, each column contiguous (F_1 and B_1 each row
// instead when first_rows), in the workspace at Fl(ℓ) / Bl(ℓ); how many
// columns each has is the formulation's choice.
struct StepPlan {
  dln_model &model;
  const ExecContext &exec;
  int64_t L, b, t;
  const int64_t *batch;
  double eta, decay;
  // g: r_k after residuals(), then 2 r_k / b, in batch order or one of the
  // formulation's own (step.cpp only checks, scales and sums them).
  double *F, *B, *g;
  const int64_t *foffset;  // of F_ℓ in F
  const int64_t *boffset;  // of B_ℓ in B
  int64_t backward_size;   // entries of B in use (checked by the cautious path)
  double gsum;             // Σ_k |g_k| (for bound())
  double *coefficient;     // −η / (d s_ℓ): the update of V_ℓ is coefficient · gradient / s
  double *fmax, *bmax;     // per layer: bounds on max |F_ℓ|, max |B_ℓ| (filled by bound())
  // F_1 and B_1 stored by rows (n_1 rows of `columns` entries) instead of by
  // columns, for a formulation that reads them only through gemms: the
  // gather of W_1's columns J and their update then walk W_1's rows forwards
  // (full-batch GD on 10⁵ × 10⁵: 22 → 10 and 16 → 6 ms; BLIS took 0–5 ms
  // longer on the row-major operands). Set by layout.
  bool first_rows = false;
  double *Fl(int64_t l) const { return F + foffset[l]; }
  double *Bl(int64_t l) const { return B + boffset[l]; }
  int64_t n(int64_t l) const { return model.widths[size_t(l)]; }
};

struct Formulation {
  int id;  // DLN_FORMULATION_*
  bool (*applies)(const StepShape &);
  double (*cost)(const StepShape &);  // multiply-adds (and equivalent passes) of one step
  // Workspace sizes: entries of F and B, and offsets of every F_ℓ, B_ℓ.
  void (*layout)(StepPlan &plan, Workspace &w, int64_t &forward_size, int64_t &backward_size);
  // Residuals r_k = A_θ[i_k, j_k] − y_k into g (in its order, above), and whatever vectors the
  // formulation needs at θ_t. Changes no weight.
  void (*residuals)(StepPlan &plan);
  // Bounds on its vectors into fmax / bmax (after g = 2 r / b is final); sets
  // risky if a partial product only this formulation forms may overflow.
  void (*bound)(StepPlan &plan, bool &risky);
  // V_ℓ += coefficient_ℓ · (gradient_ℓ of math §3 without the decay), every
  // layer. exact = the cautious path: every vector is computed exactly and
  // the return value names a non-finite one (then nothing has been changed);
  // nullptr otherwise.
  const char *(*update)(StepPlan &plan, bool exact);
};

extern const Formulation kSingleEntry, kChains, kRowsCols, kFusedBatch, kSmallWidth, kDenseBlock, kSparseBlock;

// Cost model units: multiply-adds through BLIS gemm. A gemm call also costs a
// fixed set-up (packing, thread region: ~4 µs ≈ 30000 multiply-adds with BLIS
// 0.9 generic at w = 64, b = 4).
constexpr double kGemmCall = 30000.0;
// The fused loops, R = 4 rows of V at a time, run at about gemm's rate per
// multiply-add up to b = 16 (20 G multiply-adds/s at w = 256, b = 4 and 16;
// 16-17 at w = 1024, beside 22 for BLIS on square shapes and 8 on b = 4
// columns; Zen 4, issue 11), and at half of it from there (11-15 at b = 64,
// their column chunks down to 16 wide). They read each inner matrix twice
// where BLIS reads it three times, which is what counts when the matrix is
// streamed from memory and b is small (next).
// Without AVX-512 they run in four-lane registers while BLIS keeps its AVX2
// kernels. Emulated on the same CPU (library built with its AVX-512 paths
// off, 2026-12-07; steps/s of the mini-batch benchmark, both weights, 1 and
// 2 threads): at b = 4 the fused loops beat BLIS chains by 19-75 % at
// w = 256; at b = 16 chains or the sparse block won at w = 64 and 256
// (34 k against 28 k, 2.6 k against 2.1-2.4 k) and the two were even at 1024.
inline double loop_per_gemm_flop(int64_t b) {
  return b <= (avx512_registers() ? 16 : 4) ? 1.0 : 2.0;
}
// A pass over a matrix that does not stay in cache (over 1 MiB, the L2 of
// one core here), per entry: at b = 4 and w = 1024 the fused loops took 0.85
// of the time of BLIS chains. Zero for matrices in cache.
constexpr double kStreamedEntry = 16.0;
inline double pass_cost(int64_t rows, int64_t cols) {
  return double(rows) * double(cols) * 8.0 > 1048576.0 ? kStreamedEntry * double(rows) * double(cols) : 0.0;
}
// A multiply-add of the passes over b scattered columns (products with S,
// residual dots) costs about 3.5 inside a gemm: measured 2.2 at w = 64 and
// 3.1 at w = 256 on zen3 kernels (issue 11); on haswell kernels (a Xeon) the
// sparse block took 1.15× the dense block's time at 256², N = 20000, which
// 3.0 ranked the other way. With 3.5 the model orders the dense block, the
// sparse block and rows/columns as their measured times do (64², N = 2000;
// 256², N = 20000; b = 256 at w = 64).
constexpr double kScatteredPerGemmFlop = 3.5;

// Shared pieces of the formulations (step.cpp, formulation_chains.cpp).
// Upper bound on |a·b·c·d| whatever the association and rounding.
double product_bound(long double a, long double b, long double c, long double d);
constexpr double kSafeWeight = 1e290;  // bounds below this cannot overflow
inline void check_bound(bool &risky, double bound) {
  if (!(bound < kSafeWeight)) risky = true;
}
// body(k, width) for the blocks [k, k + width) of kColumnBlock consecutive
// indices of [lo, hi), the last one shorter, in order.
constexpr int64_t kColumnBlock = 32;
template <class Body>
void column_blocks(int64_t lo, int64_t hi, Body body) {
  for (int64_t k = lo; k < hi; k += kColumnBlock) body(k, std::min(kColumnBlock, hi - k));
}
// The same over [0, count), split over the handle's threads, each block done
// whole by one (for passes over W_1's columns, `rows` numbers each: every
// number is computed alike whatever the split).
template <class Body>
void for_column_blocks(const StepPlan &p, int64_t count, int64_t rows, Body body) {
  const int64_t blocks = (count + kColumnBlock - 1) / kColumnBlock;
  p.exec.parallel_parts(blocks, double(count) * double(rows), [&](int64_t lo, int64_t hi) {
    column_blocks(lo * kColumnBlock, std::min(count, hi * kColumnBlock), body);
  });
}
// Columns k … k + width - 1 of dst (n_1 long each) = s_1 V_1[:, col(k)],
// row by row: V_1 is row-major, and a column at a time touched a cache line
// per row for one entry (full-batch GD on 10⁵ × 10⁵: 41 → 25 ms for this
// gather and W_L's rows, 8 columns at a time did not help).
template <class Col>
void gather_first_column_block(const StepPlan &p, int64_t k, int64_t width, Col col, double *dst) {
  const Layer &W1 = p.model.layer(1);
  const int64_t n1 = p.n(1), m = p.n(0);
  int64_t j[kColumnBlock];
  for (int64_t i = 0; i < width; ++i) j[i] = col(k + i);
  for (int64_t q = 0; q < n1; ++q) {
    const double *row = W1.v.data() + q * m;
    for (int64_t i = 0; i < width; ++i) dst[(k + i) * n1 + q] = W1.scale * row[j[i]];
  }
}
// Column k of dst (n_1 long) = s_1 V_1[:, col(k)], k < count.
template <class Col>
void gather_first_columns(StepPlan &p, int64_t count, Col col, double *dst) {
  for_column_blocks(p, count, p.n(1),
                    [&](int64_t k, int64_t width) { gather_first_column_block(p, k, width, col, dst); });
}
// dst (n_1 × |J| by rows) = s_1 V_1[:, J] and V_1[:, J] += c_1 X (X n_1 × |J|
// by rows), J increasing; rows split over the handle's threads.
void gather_first_rows(StepPlan &p, const std::vector<int64_t> &J, double *dst);
void add_to_first_rows(StepPlan &p, const std::vector<int64_t> &J, const double *X);
// Column k of dst (n_{L-1} long) = s_L V_L[row(k), :]ᵀ, k < count.
template <class Row>
void gather_last_rows(StepPlan &p, int64_t count, Row row, double *dst) {
  const Layer &WL = p.model.layer(p.L);
  const int64_t top = p.n(p.L - 1);
  for (int64_t k = 0; k < count; ++k) {
    double *bl = dst + k * top;
    const double *v = WL.v.data() + row(k) * top;
    for (int64_t q = 0; q < top; ++q) bl[q] = WL.scale * v[q];
  }
}
// F_1 = W_1[:, col(k)] (k < count_cols) and B_{L-1} = W_L[row(k), :]ᵀ
// (k < count_rows) into columns k of F_1 and B_{L-1} (L ≥ 2).
template <class Col, class Row>
void gather_outer(StepPlan &p, int64_t count_cols, Col col, int64_t count_rows, Row row) {
  gather_first_columns(p, count_cols, col, p.Fl(1));
  gather_last_rows(p, count_rows, row, p.Bl(p.L - 1));
}
// The updates of the distinct columns J of V_1 and rows I of V_L:
// V_1[:, J_c] += c_1 X[:, c] (X n_1 × |J|), V_L[I_r, :] += c_L X[:, r]ᵀ (X n_{L-1} × count).
void add_to_first_columns(StepPlan &p, const std::vector<int64_t> &J, const double *X);
// The columns k … k + width - 1 of that update (the columns J_k … are distinct).
void add_to_first_column_block(StepPlan &p, const int64_t *J, int64_t k, int64_t width, const double *X);
void add_to_last_rows(StepPlan &p, int64_t count, const int64_t *I, const double *X);
// The distinct columns J and rows I of the batch into the workspace
// (distinct_cols / distinct_rows, each entry's slots in col_slot / row_slot),
// in increasing order; returns p = |J| and q = |I|. O(b + min(m, p log p)). L ≥ 2.
void find_distinct(dln_model &model, const int64_t *batch, int64_t b, int64_t &p, int64_t &q);
// The batch entries grouped by target, as group_entries leaves them: the
// column groups (targets: column slots; from: row slots) or the row groups.
// They are in `tiles` tiles of the slots on the other side, so that the
// vectors a pass over one tile reads at random stay in cache: the entries of
// target t in tile h are e = start[h · targets + t] … start[h · targets + t + 1] − 1.
struct Groups {
  int64_t targets, tiles;
  const int64_t *start, *from;
};
Groups column_groups(const Workspace &w);
Groups row_groups(const Workspace &w);
// kernel(start, lo, hi, accumulate) over every tile in order, the targets of
// each split over the handle's threads (each target done whole by one, so
// the sums do not depend on the thread count), accumulating from the second.
template <class Kernel>
void over_tiles(const StepPlan &p, const Groups &G, double per_entry, Kernel kernel) {
  for (int64_t h = 0; h < G.tiles; ++h) {
    const int64_t *start = G.start + h * G.targets;
    p.exec.parallel_parts(G.targets, double(start[G.targets] - start[0]) * per_entry,
                          [&](int64_t lo, int64_t hi) { kernel(start, lo, hi, h > 0); });
  }
}
// The grouped kernels of kernels.hpp over all targets of G.
inline void sums_with_S(const StepPlan &p, int64_t rows, const Groups &G, const double *g, const double *source,
                        double *X) {
  over_tiles(p, G, double(rows), [&](const int64_t *start, int64_t lo, int64_t hi, bool accumulate) {
    grouped_sums(rows, lo, hi, start, g, source, G.from, X, accumulate);
  });
}
inline void dots_with_S(const StepPlan &p, int64_t rows, const Groups &G, const double *A, const double *T,
                        double *out) {
  over_tiles(p, G, double(rows), [&](const int64_t *start, int64_t lo, int64_t hi, bool) {
    grouped_dots(rows, lo, hi, start, A, G.from, T, out);
  });
}
// The batch entries grouped by column slot and by row slot (CSR of S and
// Sᵀ: col_start, col_order, col_from, row_…), after find_distinct, tiled for
// passes that read vectors `width` long at random (Groups; 0: one tile, as
// the dense block's column parts need). O(b + tiles · (p + q)).
void group_entries(int64_t b, Workspace &w, int64_t width);
// out[e] = g[order[e]], e < b: g in the order of a grouping (col_order or
// row_order of group_entries).
void gather_g(int64_t b, const double *g, const std::vector<int64_t> &order, std::vector<double> &out);
// Residuals r_k = <B[:, row slot], F[:, col slot]> − y_k into g (B: n × q
// gathered rows of W_L, F = F_{L-1}), dots grouped by column.
void residuals_by_dots(StepPlan &p, int64_t n, const double *B, const double *F);
// F_ℓ = s_ℓ V_ℓ F_{ℓ-1} (ℓ = 2 … L-1) on `columns` columns; gemv if 1.
void forward_products(StepPlan &plan, int64_t columns);
// B_{ℓ-1} = s_ℓ V_ℓᵀ B_ℓ (ℓ = L-1 … 2) on `columns` columns; gemv if 1.
void backward_products(StepPlan &plan, int64_t columns);
// The layout of the dense and sparse blocks: F_ℓ (n_ℓ × p) at offset[ℓ] of
// F; in B the backpropagated Δ_ℓ (n_ℓ × p) at backward_offset[ℓ], then
// `last_block` entries at backward_offset[L]; `scaled` holds q × n_{L-1}.
void layout_backpropagated(StepPlan &p, Workspace &w, int64_t last_block, int64_t &forward_size,
                           int64_t &backward_size);
// V_ℓ += c_ℓ B_ℓ F_{ℓ-1}ᵀ (ℓ = 2 … L-1) on `columns` columns (B_ℓ holding
// the residuals backpropagated: the dense and sparse blocks).
void update_inner_layers(StepPlan &plan, int64_t columns);
// Chains' update of the inner layers from B_ℓ diag(g) F_{ℓ-1}ᵀ (b columns).
void update_inner_chains(StepPlan &plan);
// Chains' update of V_1 columns j_k, V_L rows i_k (or single-layer entries).
void update_outer_chains(StepPlan &plan);
// Chains' residuals: column k of F_{L-1}, B_{L-1} belongs to batch entry k.
void residuals_chains(StepPlan &plan, bool all_backward);
// The layout of b = 1 (single entry, small width): one forward and one
// backward vector per hidden layer, F_ℓ and B_ℓ at the same offsets.
void layout_one_vector_per_layer(StepPlan &plan, Workspace &w, int64_t &forward_size, int64_t &backward_size);

}  // namespace dln
