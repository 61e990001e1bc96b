// Formulation "sparse block" (math §8): the residuals backpropagated over the
// p distinct columns J of the batch. With S the q × p sparse matrix of the
// g_k and B_ℓ the backward vectors of the q distinct rows I, every gradient
// needs only Δ_ℓ = B_ℓ S, and Δ_{ℓ-1} = s_ℓ V_ℓᵀ Δ_ℓ because B_ℓ is linear in
// the rows of W_L:
//   F_1 = W_1[:, J], F_ℓ = W_ℓ F_{ℓ-1}                 (n_ℓ × p, L−2 gemms)
//   r_k = <W_L[i_k, :], F_{L-1}[:, slot(j_k)]> − y_k    (b dot products)
//   Δ_{L-1} = W_L[I, :]ᵀ S, Δ_{ℓ-1} = s_ℓ V_ℓᵀ Δ_ℓ       (one product with S, in the dots' pass; L−2 gemms)
//   V_ℓ += c_ℓ Δ_ℓ F_{ℓ-1}ᵀ, V_1[:, J] += c_1 Δ_1, V_L[I, :] += c_L (F_{L-1} Sᵀ)ᵀ
// 3 (L−2) gemms of n_ℓ n_{ℓ-1} p and two products with S, where the rows and
// columns formulation forms B_ℓ on q columns and multiplies every layer's
// B_ℓ by S (L−2 more gemms' worth of q columns and L−2 more scattered
// passes; at full-batch GD on 10⁵ × 10⁵ those passes were most of the step).
// It is the dense block with S kept sparse: it pays where the batch is
// sparse in its q × p block and p ≤ q (otherwise rows/columns, which can put
// S on the q side, costs less). Its bound: the vectors it computed, and for
// the Δ_ℓ it never forms as B_ℓ the chain n_ℓ s_ℓ max|V_ℓ| of the dense block.
// F_1 and Δ_1 are kept by rows (StepPlan::first_rows) from depth 3 on, where
// only gemms read them, except in a step split in parts.
//
// On two threads or more, when every product is too small for BLIS's own
// threads (full-batch GD on 2000 × 2000 at width 32: 32 × 32 × 2000), the
// step is split in parts (step_parts.hpp): the residual pass and Δ_{L-1} by
// the columns of J like the chains (a column's entries read F_{L-1} at that
// column only, and W_L's rows, gathered before), F_{L-1} Sᵀ by the rows of I
// with the inner gradients. Each target of a pass over S is done whole by
// one part, as parallel_parts does it, so only BLIS's rounding of the parts
// of a product depends on the thread count.
#include <algorithm>

#include "errors.hpp"
#include "kernels.hpp"
#include "step_parts.hpp"

namespace dln {

namespace {

bool applies(const StepShape &s) { return s.b > 1 && s.L >= 2; }

double cost(const StepShape &s) {
  const double k = kScatteredPerGemmFlop;
  double c = 0.0;
  for (int64_t l = 2; l <= s.L - 1; ++l)  // F_ℓ, Δ_{ℓ-1}, the update: each n_ℓ n_{ℓ-1} p
    c += std::max(3.0 * double(s.p) * double(s.n[l] * s.n[l - 1]), 3.0 * pass_cost(s.n[l], s.n[l - 1]));
  const double n1 = double(s.n[1]), top = double(s.n[s.L - 1]);
  c += 3.0 * double(s.L - 2) * kGemmCall;
  return c + double(s.p) * 2.0 * n1 + double(s.q) * 2.0 * top + k * 3.0 * double(s.b) * top + 4.0 * double(s.b);
}

int64_t count_of(const std::vector<int64_t> &v) { return int64_t(v.size()); }

bool runs_in_parts(const StepPlan &p, int64_t P, int64_t Q) {
  double all = 0.0, largest = 0.0;
  for (int64_t l = 2; l <= p.L - 1; ++l) {
    const double product = double(p.n(l)) * double(p.n(l - 1)) * double(P);
    largest = std::max(largest, product);
    all += 3.0 * product;
  }
  return step_runs_in_parts(p.exec.threads(), largest, all, P, Q);
}
bool runs_in_parts(const StepPlan &p) {
  const Workspace &w = p.model.work;
  return runs_in_parts(p, count_of(w.distinct_cols), count_of(w.distinct_rows));
}

// The pass kernel(start, lo, hi, accumulate) of one part over every tile of G.
template <class Kernel>
void over_tiles_of_part(const Groups &G, Span part, Kernel kernel) {
  for (int64_t h = 0; h < G.tiles; ++h) kernel(G.start + h * G.targets, part.lo, part.hi, h > 0);
}

// In B after the Δ_ℓ: W_L[I, :]ᵀ (n_{L-1} × q); F_{L-1} Sᵀ (n_{L-1} × q) in
// the workspace's `scaled`.
void layout(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  const int64_t Q = count_of(w.distinct_rows), top = p.n(p.L - 1);
  layout_backpropagated(p, w, top * Q, forward_size, backward_size);
  // F_1 and Δ_1 only go through gemms (at L = 2 the dots read F_1's
  // columns); the parts take ranges of their columns.
  p.first_rows = p.L >= 3 && !runs_in_parts(p, count_of(w.distinct_cols), Q);
  group_entries(p.b, w, top);  // the passes read columns of W_L[I, :]ᵀ and F_{L-1}
}

double *last_rows(StepPlan &p) { return p.Bl(p.L); }  // W_L[I, :]ᵀ, column r = row I_r

// With the residuals, Δ_{L-1} = W_L[I, :]ᵀ S in the same pass over the
// scattered rows of W_L (g_k = r_k · 2/b as step.cpp scales it).
void residuals(StepPlan &p) {
  Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), b = p.b, top = p.n(p.L - 1);
  // y in group order: a random gather over the observations (11 of 300 ms a
  // step at 10⁵ × 10⁵, N = 10⁶), kept while the batch is the same.
  if (!w.y_grouped) {
    w.y_by_col.resize(size_t(b));
    for (int64_t e = 0; e < b; ++e) w.y_by_col[size_t(e)] = p.model.train.values[size_t(p.batch[w.col_order[size_t(e)]])];
    w.y_grouped = true;
  }
  // The residuals stay in column-group order (StepPlan::g): putting them
  // back in batch order was a scatter of 4 ms a step at 10⁵ × 10⁵.
  const Groups G = column_groups(w);
  auto residual_pass = [&](const int64_t *start, int64_t lo, int64_t hi, bool accumulate) {
    grouped_residual_sums(top, lo, hi, start, last_rows(p), G.from, p.Fl(p.L - 1), w.y_by_col.data(), 2.0 / double(b),
                          p.g, p.Bl(p.L - 1), accumulate);
  };
  if (runs_in_parts(p)) {
    const int64_t parts = begin_parts(p);
    p.exec.in_two_phases(
        parts, [&](int64_t k) { forward_part(p, k, parts, last_rows(p)); },
        [&](int64_t k) { over_tiles_of_part(G, part_of(P, k, parts), residual_pass); });
    return;
  }
  if (p.first_rows)
    gather_first_rows(p, w.distinct_cols, p.Fl(1));
  else
    gather_first_columns(p, P, [&](int64_t c) { return w.distinct_cols[size_t(c)]; }, p.Fl(1));
  gather_last_rows(p, count_of(w.distinct_rows), [&](int64_t r) { return w.distinct_rows[size_t(r)]; }, last_rows(p));
  forward_products(p, P);
  over_tiles(p, G, 2.0 * double(top), residual_pass);
}

void bound(StepPlan &p, bool &risky) {
  const Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), L = p.L;
  if (runs_in_parts(p)) {
    bounds_from_parts(p);
  } else {
    for (int64_t l = 1; l < L; ++l) p.fmax[l] = max_magnitude(p.Fl(l), p.n(l) * P);
    p.bmax[L - 1] = max_magnitude(last_rows(p), Q * p.n(L - 1));
  }
  for (int64_t l = L - 1; l >= 2; --l) {  // |B_{ℓ-1}| ≤ n_ℓ s_ℓ max|V_ℓ| max|B_ℓ|
    const Layer &W = p.model.layer(l);
    p.bmax[l - 1] = product_bound(double(W.rows), W.scale, W.max_abs_bound, p.bmax[l]);
  }
  check_bound(risky, product_bound(double(p.n(L - 1)), p.bmax[L - 1], p.fmax[L - 1], 1.0));  // the dots
  for (int64_t l = 1; l < L; ++l) check_bound(risky, product_bound(p.gsum, p.bmax[l], 1.0, 1.0));  // Δ_ℓ
  check_bound(risky, product_bound(p.gsum, p.fmax[L - 1], 1.0, 1.0));  // F_{L-1} Sᵀ
}

// Part k of F_{L-1} Sᵀ (its rows of I) into X, with its g in row-group order.
void residual_products_of_part(StepPlan &p, int64_t k, int64_t parts, double *X) {
  Workspace &w = p.model.work;
  const Groups G = row_groups(w);
  const int64_t top = p.n(p.L - 1);
  over_tiles_of_part(G, part_of(G.targets, k, parts), [&](const int64_t *start, int64_t lo, int64_t hi, bool accumulate) {
    for (int64_t e = start[lo]; e < start[hi]; ++e) w.g_by_row[size_t(e)] = p.g[w.row_in_col[size_t(e)]];
    grouped_sums(top, lo, hi, start, w.g_by_row.data(), p.Fl(p.L - 1), G.from, X, accumulate);
  });
}

const char *update(StepPlan &p, bool exact) {
  Workspace &w = p.model.work;
  const int64_t P = count_of(w.distinct_cols), Q = count_of(w.distinct_rows), L = p.L, top = p.n(L - 1);
  double *X = w.scaled.data();
  if (runs_in_parts(p)) {
    const int64_t parts = p.exec.threads();
    w.g_by_row.resize(size_t(p.b));
    return update_in_parts(
        p, X, exact, [&](int64_t k) { backward_part(p, k, parts); },
        [&](int64_t k) { residual_products_of_part(p, k, parts, X); });
  }
  gather_g(p.b, p.g, w.row_in_col, w.g_by_row);  // g is in column-group order
  // Every Δ_ℓ (Δ_{L-1} came with the residuals) and F_{L-1} Sᵀ from the
  // weights at θ_t, before any changes.
  backward_products(p, P);  // Δ_{ℓ-1} = s_ℓ V_ℓᵀ Δ_ℓ
  sums_with_S(p, top, row_groups(w), w.g_by_row.data(), p.Fl(L - 1), X);
  if (exact) {
    if (first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
    if (first_non_finite(X, Q * top) >= 0) return "a product with the residuals is not finite";
  }
  update_inner_layers(p, P);                          // V_ℓ += c_ℓ Δ_ℓ F_{ℓ-1}ᵀ
  if (p.first_rows)  // V_1[:, J_c] += c_1 Δ_1[:, c]
    add_to_first_rows(p, w.distinct_cols, p.Bl(1));
  else
    add_to_first_columns(p, w.distinct_cols, p.Bl(1));
  add_to_last_rows(p, Q, w.distinct_rows.data(), X);  // V_L[I_r, :] += c_L (F_{L-1} Sᵀ)[:, r]ᵀ
  return nullptr;
}

}  // namespace

const Formulation kSparseBlock{DLN_FORMULATION_SPARSE_BLOCK, applies, cost, layout, residuals, bound, update};

}  // namespace dln
