// Formulation "small width" (math §3, §8; issue 16): b = 1, depth >= 3 and
// hidden widths <= kSmallWidthMax, the regime of the experiments (widths
// 8-32, millions of steps). There a step costs a few hundred nanoseconds and
// per-call overhead dominates: no BLIS call, plain loops over vectors that
// stay in L1. All vectors at θ_t are formed before any weight changes —
//   F_1 = W_1 e_j, F_ℓ = s_ℓ (V_ℓ F_{ℓ-1});  B_{L-1} = W_Lᵀ e_i, B_{ℓ-1} = s_ℓ (V_ℓᵀ B_ℓ)
// — so the bound on them is exact (their maxima) and the update is the same
// code on the in-place and on the cautious path (math §7); then
//   V_ℓ += (c_ℓ g · B_ℓ[p]) · F_{ℓ-1}[q]
// one rank-one pass per layer. Three passes over each inner V_ℓ instead of
// the fused kernel's two, which costs nothing measurable at these widths.
#include <cmath>
#include <cstring>

#include "errors.hpp"
#include "instruction_sets.hpp"
#include "kernels.hpp"
#include "model.hpp"
#include "small_width.hpp"
#include "step_formulation.hpp"

namespace dln {

// Whole micro-architecture levels (instruction_sets.hpp; GCC's avx512f clone
// has no fused multiply-add at 256 bits).
#ifdef DLN_CLONED
#define DLN_SMALL_MULTIVERSION __attribute__((target_clones(DLN_CLONE_LEVELS)))
#else
#define DLN_SMALL_MULTIVERSION
#endif

namespace {

// <x, y> in eight lanes (vectorised without reassociation flags), n small.
inline double dot(const double *__restrict x, const double *__restrict y, int64_t n) {
  double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t q = 0;
  for (; q + 8 <= n; q += 8)
    for (int k = 0; k < 8; ++k) lane[k] += x[q + k] * y[q + k];
  double sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; q < n; ++q) sum += x[q] * y[q];
  return sum;
}

// max |x_k| (NaN if any is NaN), as max_magnitude for short vectors: on the
// bits with the sign cleared, which order as the magnitudes do with every NaN
// above +inf, so an integer max (vectorised) finds it exactly.
inline double largest(const double *__restrict x, int64_t n) {
  uint64_t m = 0;
  for (int64_t k = 0; k < n; ++k) {
    uint64_t bits;
    std::memcpy(&bits, x + k, sizeof bits);
    bits &= ~(uint64_t(1) << 63);
    m = bits > m ? bits : m;
  }
  double out;
  std::memcpy(&out, &m, sizeof out);
  return out;
}

}  // namespace

bool small_width_shape(int64_t L, const int64_t *n) {
  if (L < 3) return false;
  for (int64_t l = 1; l < L; ++l)
    if (n[l] > kSmallWidthMax) return false;
  return true;
}

DLN_SMALL_MULTIVERSION
double small_width_vectors(const dln_model &model, int64_t i, int64_t j, double *__restrict F, double *__restrict B,
                           double *fmax, double *bmax) {
  const int64_t L = model.depth, *n = model.widths.data();
  const Layer *layer = model.layers.data();  // layer[ℓ-1] is W_ℓ
  {
    const double s = layer[0].scale, *v = layer[0].v.data() + j;
    const int64_t m = n[0];
    for (int64_t q = 0; q < n[1]; ++q) F[q] = s * v[q * m];
  }
  double *f = F;  // F_{ℓ-1}
  for (int64_t l = 2; l < L; ++l) {
    const Layer &W = layer[l - 1];
    const int64_t rows = n[l], cols = n[l - 1];
    double *out = f + cols;
    for (int64_t p = 0; p < rows; ++p) out[p] = W.scale * dot(W.v.data() + p * cols, f, cols);
    f = out;
  }
  const int64_t top = n[L - 1];
  double *b = B + (f - F);  // B_{L-1}
  {
    const double s = layer[L - 1].scale, *row = layer[L - 1].v.data() + i * top;
    for (int64_t q = 0; q < top; ++q) b[q] = s * row[q];
  }
  const double a = dot(b, f, top);
  for (int64_t l = L - 1; l >= 2; --l) {  // B_{ℓ-1} = s_ℓ (V_ℓᵀ B_ℓ): the sum first, then the scale
    const Layer &W = layer[l - 1];
    const int64_t rows = n[l], cols = n[l - 1];
    double *__restrict out = b - cols;
    const double *v = W.v.data();
    for (int64_t q = 0; q < cols; ++q) out[q] = 0.0;
    int64_t p = 0;
    for (; p + 4 <= rows; p += 4) {  // four rows per pass over out: the same sums, a quarter of the stores
      const double b0 = b[p], b1 = b[p + 1], b2 = b[p + 2], b3 = b[p + 3];
      const double *__restrict r0 = v + p * cols, *__restrict r1 = r0 + cols, *__restrict r2 = r1 + cols,
                               *__restrict r3 = r2 + cols;
      for (int64_t q = 0; q < cols; ++q) {
        double o = out[q];
        o += b0 * r0[q];
        o += b1 * r1[q];
        o += b2 * r2[q];
        o += b3 * r3[q];
        out[q] = o;
      }
    }
    for (; p < rows; ++p) {
      const double bp = b[p], *__restrict row = v + p * cols;
      for (int64_t q = 0; q < cols; ++q) out[q] += bp * row[q];
    }
    for (int64_t q = 0; q < cols; ++q) out[q] *= W.scale;
    b = out;
  }
  int64_t at = 0;
  for (int64_t l = 1; l < L; ++l) {
    fmax[l] = largest(F + at, n[l]);
    bmax[l] = largest(B + at, n[l]);
    at += n[l];
  }
  return a;
}

DLN_SMALL_MULTIVERSION
void small_width_update(dln_model &model, int64_t i, int64_t j, const double *__restrict F,
                        const double *__restrict B, const double *alpha) {
  const int64_t L = model.depth, *n = model.widths.data();
  Layer *layer = model.layers.data();
  int64_t at = 0;  // offset of F_{ℓ-1}; B_ℓ follows it
  for (int64_t l = 2; l < L; ++l) {
    const int64_t rows = n[l], cols = n[l - 1];
    const double *__restrict f = F + at, *__restrict b = B + at + cols;
    double *__restrict v = layer[l - 1].v.data();
    const double a = alpha[l];
    for (int64_t p = 0; p < rows; ++p) {
      const double ap = a * b[p];
      double *__restrict row = v + p * cols;
      for (int64_t q = 0; q < cols; ++q) row[q] += ap * f[q];
    }
    at += cols;
  }
  {
    double *v = layer[0].v.data() + j;
    const int64_t m = n[0];
    for (int64_t q = 0; q < n[1]; ++q) v[q * m] += alpha[1] * B[q];
  }
  {
    const int64_t top = n[L - 1];
    double *__restrict row = layer[L - 1].v.data() + i * top;
    const double *__restrict f = F + at;
    for (int64_t q = 0; q < top; ++q) row[q] += alpha[L] * f[q];
  }
}

namespace {

bool applies(const StepShape &s) { return s.b == 1 && small_width_shape(s.L, s.n); }

// Where it applies (hidden widths <= kSmallWidthMax, chosen by measurement)
// it is the fastest b = 1 step: below every other formulation's cost.
double cost(const StepShape &) { return 0.0; }

void layout(StepPlan &p, Workspace &w, int64_t &forward_size, int64_t &backward_size) {
  layout_one_vector_per_layer(p, w, forward_size, backward_size);
  if (int64_t(w.scaled.size()) < p.L + 1) w.scaled.resize(size_t(p.L) + 1);  // c_ℓ g per layer
}

void residuals(StepPlan &p) {
  const Observations &obs = p.model.train;
  const size_t o = size_t(p.batch[0]);
  p.g[0] = small_width_vectors(p.model, obs.rows[o], obs.cols[o], p.F, p.B, p.fmax, p.bmax) - obs.values[o];
}

void bound(StepPlan &, bool &) {}  // fmax, bmax: the exact maxima, from residuals()

const char *update(StepPlan &p, bool exact) {
  if (exact && first_non_finite(p.B, p.backward_size) >= 0) return "a backward activation is not finite";
  double *alpha = p.model.work.scaled.data();  // sized by layout()
  for (int64_t l = 1; l <= p.L; ++l) alpha[l] = p.coefficient[l] * p.g[0];
  const Observations &obs = p.model.train;
  const size_t o = size_t(p.batch[0]);
  small_width_update(p.model, obs.rows[o], obs.cols[o], p.F, p.B, alpha);
  return nullptr;
}

}  // namespace

const Formulation kSmallWidth{DLN_FORMULATION_SMALL_WIDTH, applies, cost, layout, residuals, bound, update};

}  // namespace dln
