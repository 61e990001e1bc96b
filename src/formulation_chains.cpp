// Formulation "chains" (math §3): the batch as b rank-one chains, column k of
// every F_ℓ and B_ℓ for batch entry k:
//   F_1 = W_1[:, j_k], F_ℓ = W_ℓ F_{ℓ-1};  B_{L-1} = W_L[i_k, :]ᵀ, B_{ℓ-1} = W_ℓᵀ B_ℓ
//   r_k = <B_{L-1}[:, k], F_{L-1}[:, k]> − y_k
//   V_ℓ += c_ℓ B_ℓ diag(g) F_{ℓ-1}ᵀ (one gemm with inner dimension b),
// W_1 and W_L touched in columns j_k / rows i_k only. 3 b n_ℓ n_{ℓ-1} per inner
// layer: the best formulation when the b entries share no row and no column,
// and the only one for depth 1. Its bound is that of the vectors it computed.
#include <algorithm>

#include "errors.hpp"
#include "kernels.hpp"
#include "step_formulation.hpp"

namespace dln {

namespace {
// Row and column strides of F_ℓ / B_ℓ (n_ℓ × columns): by columns, or by rows
// for ℓ = 1 when the plan says so.
struct Strides {
  int64_t row, col;
};
Strides strides_of(const StepPlan &p, int64_t l, int64_t columns) {
  return l == 1 && p.first_rows ? Strides{columns, 1} : Strides{1, p.n(l)};
}
}  // namespace

void forward_products(StepPlan &p, int64_t columns) {
  for (int64_t l = 2; l <= p.L - 1; ++l) {  // F_ℓ = s_ℓ V_ℓ F_{ℓ-1}
    const Layer &W = p.model.layer(l);
    const Strides in = strides_of(p, l - 1, columns);
    if (columns == 1)
      p.exec.gemv(p.n(l), p.n(l - 1), W.scale, W.v.data(), p.n(l - 1), 1, p.Fl(l - 1), 0.0, p.Fl(l));
    else
      p.exec.gemm(false, false, p.n(l), columns, p.n(l - 1), W.scale, W.v.data(), p.n(l - 1), 1, p.Fl(l - 1), in.row,
                  in.col, 0.0, p.Fl(l), 1, p.n(l));
  }
}

void backward_products(StepPlan &p, int64_t columns) {
  for (int64_t l = p.L - 1; l >= 2; --l) {  // B_{ℓ-1} = s_ℓ V_ℓᵀ B_ℓ
    const Layer &W = p.model.layer(l);
    const Strides out = strides_of(p, l - 1, columns);
    if (columns == 1)
      p.exec.gemv(p.n(l - 1), p.n(l), W.scale, W.v.data(), 1, p.n(l - 1), p.Bl(l), 0.0, p.Bl(l - 1));
    else
      p.exec.gemm(false, false, p.n(l - 1), columns, p.n(l), W.scale, W.v.data(), 1, p.n(l - 1), p.Bl(l), 1,
                  p.n(l), 0.0, p.Bl(l - 1), out.row, out.col);
  }
}

void update_inner_layers(StepPlan &p, int64_t columns) {
  for (int64_t l = 2; l <= p.L - 1; ++l) {  // V_ℓ += c_ℓ B_ℓ F_{ℓ-1}ᵀ
    Layer &W = p.model.layer(l);
    const Strides in = strides_of(p, l - 1, columns);
    p.exec.gemm(false, true, W.rows, W.cols, columns, p.coefficient[l], p.Bl(l), 1, W.rows, p.Fl(l - 1), in.row,
                in.col, 1.0, W.v.data(), W.cols, 1);
  }
}

void residuals_chains(StepPlan &p, bool all_backward) {
  const dln_model &m = p.model;
  const Observations &obs = m.train;
  const int64_t L = p.L, b = p.b;
  if (L == 1) {
    for (int64_t k = 0; k < b; ++k) {
      int64_t o = p.batch[k];
      p.g[k] = m.layer(1).weight(obs.rows[size_t(o)], obs.cols[size_t(o)]) - obs.values[size_t(o)];
    }
    return;
  }
  gather_outer(
      p, b, [&](int64_t k) { return obs.cols[size_t(p.batch[k])]; }, b,
      [&](int64_t k) { return obs.rows[size_t(p.batch[k])]; });
  forward_products(p, b);
  const int64_t top = p.n(L - 1);
  for (int64_t k = 0; k < b; ++k) {
    double a = 0.0;
    const double *f = p.Fl(L - 1) + k * top, *bl = p.Bl(L - 1) + k * top;
    for (int64_t q = 0; q < top; ++q) a += bl[q] * f[q];
    p.g[k] = a - obs.values[size_t(p.batch[k])];
  }
  if (all_backward) backward_products(p, b);
}

void update_outer_chains(StepPlan &p) {
  dln_model &m = p.model;
  const Observations &obs = m.train;
  const int64_t L = p.L;
  const double *coefficient = p.coefficient;
  if (L == 1) {
    Layer &W = m.layer(1);
    for (int64_t k = 0; k < p.b; ++k) {
      int64_t o = p.batch[k];
      W.v[size_t(obs.rows[size_t(o)] * W.cols + obs.cols[size_t(o)])] += coefficient[1] * p.g[k];
    }
    return;
  }
  Layer &W1 = m.layer(1), &WL = m.layer(L);
  for (int64_t k = 0; k < p.b; ++k) {
    int64_t o = p.batch[k], j = obs.cols[size_t(o)], i = obs.rows[size_t(o)];
    const double *bk = p.Bl(1) + k * W1.rows, *fk = p.Fl(L - 1) + k * WL.cols;
    const double c1 = coefficient[1] * p.g[k], cL = coefficient[L] * p.g[k];
    for (int64_t q = 0; q < W1.rows; ++q) W1.v[size_t(q * W1.cols + j)] += c1 * bk[q];
    double *row = WL.v.data() + i * WL.cols;
    for (int64_t q = 0; q < WL.cols; ++q) row[q] += cL * fk[q];
  }
}

void update_inner_chains(StepPlan &p) {
  for (int64_t l = 2; l <= p.L - 1; ++l) {
    Layer &W = p.model.layer(l);
    if (p.b == 1) {
      p.exec.ger(W.rows, W.cols, p.coefficient[l] * p.g[0], p.Bl(l), p.Fl(l - 1), W.v.data(), W.cols, 1);
      continue;
    }
    double *S = p.model.work.scaled.data();  // B_ℓ diag(g)
    for (int64_t k = 0; k < p.b; ++k)
      for (int64_t q = 0; q < W.rows; ++q) S[k * W.rows + q] = p.g[k] * p.Bl(l)[k * W.rows + q];
    p.exec.gemm(false, true, W.rows, W.cols, p.b, p.coefficient[l], S, 1, W.rows, p.Fl(l - 1), 1, W.cols, 1.0,
                W.v.data(), W.cols, 1);
  }
}

namespace {

bool applies(const StepShape &) { return true; }

double cost(const StepShape &s) {
  double c = 0.0;
  for (int64_t l = 2; l <= s.L - 1; ++l)
    c += std::max(3.0 * double(s.b) * double(s.n[l] * s.n[l - 1]), 3.0 * pass_cost(s.n[l], s.n[l - 1])) +
         double(s.b * s.n[l]);
  if (s.L > 1) c += 3.0 * double(s.b) * double(s.n[1] + s.n[s.L - 1]);
  if (s.b > 1) c += 3.0 * double(std::max<int64_t>(s.L - 2, 0)) * kGemmCall;
  return c + double(s.b);
}

void layout(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  w.offset.resize(size_t(p.L) + 1);
  int64_t hidden = 0;
  for (int64_t l = 1; l < p.L; ++l) {
    w.offset[size_t(l)] = hidden;
    hidden += p.n(l) * p.b;
  }
  forward_size = backward_size = hidden;
  p.foffset = p.boffset = w.offset.data();
  int64_t widest = 0;
  for (int64_t l = 0; l <= p.L; ++l) widest = std::max(widest, p.n(l));
  if (p.b > 1 && int64_t(w.scaled.size()) < widest * p.b) w.scaled.resize(size_t(widest * p.b));
}

void residuals(StepPlan &p) { residuals_chains(p, true); }

void bound(StepPlan &p, bool &) {
  for (int64_t l = 1; l < p.L; ++l) p.fmax[l] = max_magnitude(p.Fl(l), p.n(l) * p.b);
  for (int64_t l = p.L - 1; l >= 1; --l) p.bmax[l] = max_magnitude(p.Bl(l), p.n(l) * p.b);
}

const char *update(StepPlan &p, bool exact) {
  if (exact && first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
  update_inner_chains(p);
  update_outer_chains(p);
  return nullptr;
}

}  // namespace

const Formulation kChains{DLN_FORMULATION_CHAINS, applies, cost, layout, residuals, bound, update};

}  // namespace dln
