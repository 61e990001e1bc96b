// The parts of a step split over the handle's threads (step_parts.hpp).
#include "step_parts.hpp"

namespace dln {

namespace {

int64_t columns_of(const StepPlan &p) { return int64_t(p.model.work.distinct_cols.size()); }

// The largest of the parts' maxima (NaN if one is).
double largest_of_parts(const Workspace &w, int64_t index, int64_t stride, int64_t parts) {
  double m = 0.0;
  for (int64_t k = 0; k < parts; ++k) {
    const double x = w.part_maxima[size_t(k * stride + index)];
    if (x != x) return x;
    m = x > m ? x : m;
  }
  return m;
}

}  // namespace

int64_t begin_parts(StepPlan &p) {
  const int64_t parts = p.exec.threads();
  p.model.work.part_maxima.resize(size_t(parts * (p.L + 1)));
  return parts;
}

GemmShape chain_shape(const StepPlan &p, int64_t l, bool backward, int64_t P) {
  const int64_t rows = p.n(l), cols = p.n(l - 1);
  return backward ? gemm_shape(false, false, double(cols), double(P), double(rows), 1, cols, 1, rows, cols)
                  : gemm_shape(false, false, double(rows), double(P), double(cols), cols, 1, 1, cols, rows);
}

void forward_part(StepPlan &p, int64_t k, int64_t parts, double *rows) {
  Workspace &w = p.model.work;
  const int64_t P = columns_of(p), Q = int64_t(w.distinct_rows.size()), L = p.L;
  const Span c = part_of(P, k, parts), r = part_of(Q, k, parts);
  column_blocks(c.lo, c.hi, [&](int64_t j, int64_t width) {
    gather_first_column_block(p, j, width, [&](int64_t i) { return w.distinct_cols[size_t(i)]; }, p.Fl(1));
  });
  const int64_t top = p.n(L - 1);
  gather_last_rows(p, r.hi - r.lo, [&](int64_t i) { return w.distinct_rows[size_t(r.lo + i)]; }, rows + r.lo * top);
  for (int64_t l = 2; l <= L - 1; ++l) {
    const Layer &W = p.model.layer(l);
    const int64_t in = p.n(l - 1), out = p.n(l);
    p.exec.gemm_part(chain_shape(p, l, false, P), false, false, out, c.hi - c.lo, in, W.scale, W.v.data(), in, 1,
                     p.Fl(l - 1) + c.lo * in, 1, in, 0.0, p.Fl(l) + c.lo * out, 1, out);
  }
  double *maxima = w.part_maxima.data() + k * (L + 1);
  for (int64_t l = 1; l < L; ++l) maxima[l] = max_magnitude(p.Fl(l) + c.lo * p.n(l), (c.hi - c.lo) * p.n(l));
  maxima[L] = max_magnitude(rows + r.lo * top, (r.hi - r.lo) * top);
}

void bounds_from_parts(StepPlan &p) {
  const Workspace &w = p.model.work;
  const int64_t L = p.L, parts = p.exec.threads();
  for (int64_t l = 1; l < L; ++l) p.fmax[l] = largest_of_parts(w, l, L + 1, parts);
  p.bmax[L - 1] = largest_of_parts(w, L, L + 1, parts);
}

void backward_part(StepPlan &p, int64_t k, int64_t parts) {
  const int64_t P = columns_of(p);
  const Span c = part_of(P, k, parts);
  for (int64_t l = p.L - 1; l >= 2; --l) {  // Δ_{ℓ-1} = s_ℓ V_ℓᵀ Δ_ℓ
    const Layer &W = p.model.layer(l);
    const int64_t in = p.n(l - 1), out = p.n(l);
    p.exec.gemm_part(chain_shape(p, l, true, P), false, false, in, c.hi - c.lo, out, W.scale, W.v.data(), 1, in,
                     p.Bl(l) + c.lo * out, 1, out, 0.0, p.Bl(l - 1) + c.lo * in, 1, in);
  }
}

void update_first_columns_of_part(StepPlan &p, int64_t k, int64_t parts) {
  const Workspace &w = p.model.work;
  const Span c = part_of(columns_of(p), k, parts);
  column_blocks(c.lo, c.hi, [&](int64_t j, int64_t n) { add_to_first_column_block(p, w.distinct_cols.data(), j, n, p.Bl(1)); });
}

void update_inner_rows_of_part(StepPlan &p, int64_t k, int64_t parts) {
  const int64_t P = columns_of(p);
  for (int64_t l = 2; l <= p.L - 1; ++l) {
    Layer &W = p.model.layer(l);
    const Span r = part_of(W.rows, k, parts);
    if (r.hi == r.lo) continue;  // a layer narrower than the thread count
    const GemmShape whole = gemm_shape(false, true, double(W.rows), double(W.cols), double(P), 1, W.rows, 1, W.cols, 1);
    p.exec.gemm_part(whole, false, true, r.hi - r.lo, W.cols, P, p.coefficient[l], p.Bl(l) + r.lo, 1, W.rows,
                     p.Fl(l - 1), 1, W.cols, 1.0, W.v.data() + r.lo * W.cols, W.cols, 1);
  }
}

void update_rows_of_part(StepPlan &p, int64_t k, int64_t parts, const double *X) {
  const Workspace &w = p.model.work;
  update_inner_rows_of_part(p, k, parts);
  const Span r = part_of(int64_t(w.distinct_rows.size()), k, parts);
  add_to_last_rows(p, r.hi - r.lo, w.distinct_rows.data() + r.lo, X + r.lo * p.n(p.L - 1));
}

}  // namespace dln
