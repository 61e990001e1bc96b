// Lockstep ensembles (lockstep.hpp, issue 16): the small-width step of
// formulation_small_width.cpp and small_width_steps.cpp for G replicas at
// once, replica innermost, in GCC vector types of G doubles (one register per
// number of the scalar step). Every expression below is the scalar one with
// each number replaced by its G lanes, in the same order (the same eight
// partial sums of a dot product, the same four rows per pass of the backward
// sums, the same bounds), and this file, like the scalar kernels, is compiled
// without fused multiply-add: each lane rounds exactly as its ordinary handle.
// What differs is only where numbers live and when they are formed: the
// update shares the backward pass when the step is surely in place, the
// maxima are taken as the vectors are stored, the draws are made ahead
// (measured with perf, issue 16; math §8).
#include "lockstep.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "errors.hpp"
#include "instruction_sets.hpp"
#include "kernels.hpp"
#include "model.hpp"
#include "sampler.hpp"
#include "sampler_draw.hpp"
#include "lockstep_lanes.hpp"
#include "small_width.hpp"

namespace dln {

#ifdef DLN_CLONED  // instruction_sets.hpp
// A step function per instruction set (lockstep_lanes.hpp: Isa), picked at run time.
#define DLN_LOCKSTEP_V3 __attribute__((target("arch=x86-64-v3")))
#ifndef DLN_NO_AVX512  // CMake option DLN_AVX512=OFF
#define DLN_LOCKSTEP_V4 __attribute__((target("arch=x86-64-v4")))
#endif
#endif

namespace {

using namespace lanes;

template <int G, Isa isa>
[[gnu::always_inline]] inline unsigned step_lanes(LockstepGroup &g, int64_t t, int64_t until) {
  using W = Lanes<G>;
  using D = typename W::D;
  using I = typename W::I;
  const dln_model &first = *g.model[0];
  const int64_t L = first.depth, *n = first.widths.data();
  const Observations &obs = first.train;
  const double eta = first.learning_rate_at(t), decay = 1.0 - 2.0 * eta * first.ridge_at(t);
  double *F = g.F.data(), *B = g.B.data();
  const auto max_min = [](D x) __attribute__((always_inline)) { return W::template max_min<isa>(x); };
  // Scratch per layer ℓ = 0 … L: G lanes each of fmax, bmax, growth, alpha, coefficient.
  double *fmax = g.work.data(), *bmax = fmax + (L + 1) * G, *growth = bmax + (L + 1) * G, *alpha = growth + (L + 1) * G,
         *coefficient = alpha + (L + 1) * G;
  // The entries of the next steps, drawn ahead for every lane at once: a
  // draw depends on the seed and the step only (math §4), and a tight loop of
  // independent draws keeps their latency off the step.
  if (t < g.drawn_from || t >= g.drawn_from + g.drawn_count) {
    g.drawn_from = t;
    g.drawn_count = std::min<int64_t>(kDrawAhead, std::max<int64_t>(until - t, 1));
    for (int k = 0; k < G; ++k) {
      if (!(g.active >> k & 1)) continue;  // idle or left: keeps entries drawn before (valid, never used)
      const dln_model *m = g.model[size_t(k)];
      const bool subset = m->options.sampler == DLN_SAMPLER_SUBSET;
      const uint64_t pool = uint64_t(subset ? int64_t(m->subset.size()) : obs.size());
      // drawn_entry of small_width_steps.cpp, K steps a vector, four chains at a time
      using V = Words<isa>;
      constexpr int K = int(sizeof(V) / 8), N = int(kDrawAhead / K), chains = 4;
      V drawn[N];
      for (int e = 0; e < N; ++e)
        for (int q = 0; q < K; ++q) drawn[e][q] = uint64_t(t + K * e + q);
      for (int e = 0; e < N; e += chains) philox_word0<chains, isa>(m->seed, STREAM_SAMPLING, drawn + e);
      uint64_t u[kDrawAhead];
      for (int e = 0; e < N; ++e) drawn[e] = high_product<isa>(drawn[e], pool);  // uniform_below
      std::memcpy(u, drawn, sizeof u);
      for (int64_t d = 0; d < g.drawn_count; ++d) g.drawn[size_t(d * G + k)] = subset ? m->subset[size_t(u[d])] : int64_t(u[d]);
    }
  }
  int64_t i[G], j[G];
  double yv[G];
  for (int k = 0; k < G; ++k) {
    const size_t o = size_t(g.drawn[size_t((t - g.drawn_from) * G + k)]);
    i[k] = obs.rows[o], j[k] = obs.cols[o], yv[k] = obs.values[o];
  }
  // ---- the vectors at θ_t (small_width_vectors) --------------------------
  // W_1 column j and W_L row i, different per lane: contiguous in each lane's
  // own copy (lockstep.hpp), gathered into the lanes.
  const int64_t top = n[L - 1];
  double *column[G], *row[G];
  for (int k = 0; k < G; ++k) {
    column[k] = g.v[0].data() + (k * n[0] + j[k]) * n[1];
    row[k] = g.v[size_t(L - 1)].data() + (k * n[L] + i[k]) * top;
  }
  // With each vector, its maxima (as largest(), for the checks).
  W::store(fmax + 1 * G, into_lanes<G>(column, n[1], W::load(g.scale[0].data()), F));
  double *f = F;
  for (int64_t l = 2; l < L; ++l) {
    const int64_t rows = n[l], cols = n[l - 1];
    const D s = W::load(g.scale[size_t(l - 1)].data());
    const double *v = g.v[size_t(l - 1)].data();
    double *out = f + cols * G;
    W::store(fmax + l * G, forward<G>(v, f, out, rows, cols, s));
    f = out;
  }
  double *b = B + (f - F);  // B_{L-1}
  W::store(bmax + (L - 1) * G, into_lanes<G>(row, top, W::load(g.scale[size_t(L - 1)].data()), b));
  const D a = lane_dot<G>(b, f, top);
  const D y = W::load(yv), r = a - y, gk = r * 2.0, gsum = W::magnitude(gk);
  for (int64_t l = 1; l <= L; ++l) {  // c_ℓ and c_ℓ g, as step_in_place
    const D c = -eta / (decay * W::load(g.scale[size_t(l - 1)].data()));
    W::store(coefficient + l * G, c);
    W::store(alpha + l * G, c * gk);
  }
  // ---- the checks of step_in_place, all lanes at once --------------------
  // With the bounds on max|B_ℓ| in bmax; the growth of each layer's bound
  // into growth, and with `decide` whether each lane passes. Every factor
  // |c_ℓ|, |g|, max|B_ℓ|, max|F_ℓ| <= 1e70 is one test of their largest, on
  // the bits (as largest(): NaN above every number, so a NaN fails it too).
  auto checks = [&](bool decide) __attribute__((always_inline)) {
    const auto larger = [](I x, I y) __attribute__((always_inline)) { return x > y ? x : y; };
    I factor = (I)gsum, weight = {};
    D entry = W::splat(1.0);
    for (int64_t l = 1; l <= L; ++l) {
      const D s = W::load(g.scale[size_t(l - 1)].data()), mab = W::load(g.bound[size_t(l - 1)].data());
      const D c = W::magnitude(W::load(coefficient + l * G));
      const D left = l == L ? W::splat(1.0) : W::load(bmax + l * G), right = l == 1 ? W::splat(1.0) : W::load(fmax + (l - 1) * G);
      const D grow = max_min(max_min(max_min(c * gsum) * left) * right) * (1.0 + 0x1p-39);  // growth_bound
      W::store(growth + l * G, grow);
      if (!decide) continue;
      factor = larger(factor, larger((I)c, larger((I)left, (I)right)));
      weight = larger(weight, (I)mab);
      const double width = l < L ? double(n[l]) : 1.0;
      entry = max_min(entry * max_min(max_min(max_min(decay * s) * (mab + grow)) * width));  // entry_bound
    }
    // On the bits, all of them >= 0 but the entry bound's sum (>= 0 too; its
    // magnitude can only fail more often).
    const I sum = (I)W::magnitude(entry * (1.0 + 0x1p-30) + first.work.max_abs_y);  // max |y| set by lockstep_pack
    return W::at_most((I)W::magnitude(r * r), W::bits(DBL_MAX)) & W::at_most(factor, W::bits(kComfortable)) &
           W::at_most(weight, W::bits(kComfortableWeight)) & W::below(sum, W::bits(kSafeEntry));  // entry_check
  };
  // First with bounds on max|B_ℓ| (ℓ < L-1) from the layers' max|V_ℓ| bounds,
  // |B_{ℓ-1}| <= s_ℓ n_ℓ max|V_ℓ| max|B_ℓ| (the margin covers the roundings
  // and a bound up to 2^-20 below max|V_ℓ|, as a checkpoint may hold): at
  // least the exact maxima, and every check is monotone in them, so if all
  // lanes pass, step_in_place would step them all in place — and the update
  // can share the backward pass (math §7: nothing is changed otherwise).
  for (int64_t l = L - 1; l >= 2; --l) {
    const D s = W::load(g.scale[size_t(l - 1)].data()), mab = W::load(g.bound[size_t(l - 1)].data());
    W::store(bmax + (l - 1) * G,
             max_min(max_min(max_min(s * mab) * double(n[l])) * W::load(bmax + l * G)) * (1.0 + 0x1p-18));
  }
  const I active = W::mask(g.active);
  const bool fused = W::none(~checks(true) & active);
  I ok = fused ? active : I{};
  for (int64_t l = L - 1; l >= 2; --l) {
    const int64_t rows = n[l], cols = n[l - 1];
    const D s = W::load(g.scale[size_t(l - 1)].data());
    double *v = g.v[size_t(l - 1)].data(), *out = b - cols * G;
    const D al = W::select(ok, W::load(alpha + l * G), D{});
    W::store(bmax + (l - 1) * G, fused ? backward<G, true, isa == Isa::v4>(v, b, F + (out - B), out, rows, cols, s, al)
                                       : backward<G, false, isa == Isa::v4>(v, b, nullptr, out, rows, cols, s, D{}));
    b = out;
  }
  unsigned refused = 0;
  if (fused) {
    checks(false);  // the growth from the exact maxima, as step_in_place
  } else {
    ok = checks(true);
    for (int k = 0; k < G; ++k)
      if ((g.active >> k & 1) && !ok[k]) {
        lockstep_unpack(g, k, t);  // out before the update below touches its lane (even by + 0)
        refused |= 1u << k;
      }
    ok &= active;
    // ---- the update (small_width_update) on the lanes that passed --------
    int64_t at = 0;
    for (int64_t l = 2; l < L; ++l) {
      const int64_t rows = n[l], cols = n[l - 1];
      const double *fl = F + at * G, *bl = B + (at + cols) * G;
      const D al = W::select(ok, W::load(alpha + l * G), D{});
      double *v = g.v[size_t(l - 1)].data();
      for (int64_t p = 0; p < rows; ++p) {
        const D ap = al * W::load(bl + p * G);
        double *vr = v + p * cols * G;
        for (int64_t q = 0; q < cols; ++q) W::store(vr + q * G, W::load(vr + q * G) + ap * W::load(fl + q * G));
      }
      at += cols;
    }
  }
  const unsigned stepped = g.active & ~refused;
  // Lanes not stepped get + 0 · B_1 and + 0 · F_{L-1}: idle lanes hold zero
  // weights, and a refused lane's packed copy is no longer read.
  add_from_lanes<G>(column, n[1], W::select(ok, W::load(alpha + 1 * G), D{}), B);
  add_from_lanes<G>(row, top, W::select(ok, W::load(alpha + L * G), D{}), f);
  // ---- commit the scalar decay (as step.cpp); fold a lane's scale in ------
  for (int64_t l = 1; l <= L; ++l) {
    double *sp = g.scale[size_t(l - 1)].data(), *mp = g.bound[size_t(l - 1)].data();
    const D s = W::select(ok, W::load(sp) * decay, W::load(sp)), mab = W::load(mp);
    W::store(mp, W::select(ok, (mab + W::load(growth + l * G)) * (1.0 + 0x1p-50), mab));
    W::store(sp, s);
    if (W::none(ok & (s < kRenormalizeBelow))) continue;
    for (int k = 0; k < G; ++k) {
      if (!(stepped >> k & 1) || !(sp[k] < kRenormalizeBelow)) continue;
      double *v = g.v[size_t(l - 1)].data(), largest = 0.0;  // Layer::fold_scale on lane k
      const int64_t size = n[l] * n[l - 1];
      for (int64_t e = 0; e < size; ++e) {
        double &x = v[lockstep_index(g, l, k, e)];
        x *= sp[k];
        if (std::fabs(x) < DBL_MIN) x = 0.0;
        largest = std::max(largest, std::fabs(x));
      }
      mp[k] = largest;
      sp[k] = 1.0;
    }
  }
  g.active &= ~refused;
  return refused;
}

unsigned step4(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<4, Isa::base>(g, t, until); }
unsigned step8(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<8, Isa::base>(g, t, until); }
#ifdef DLN_LOCKSTEP_V3
DLN_LOCKSTEP_V3 unsigned step4_v3(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<4, Isa::v3>(g, t, until); }
#ifdef DLN_LOCKSTEP_V4
DLN_LOCKSTEP_V4 unsigned step4_v4(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<4, Isa::v4>(g, t, until); }
DLN_LOCKSTEP_V4 unsigned step8_v4(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<8, Isa::v4>(g, t, until); }
#endif

Isa this_cpu() {
#ifdef DLN_LOCKSTEP_V4
  static const Isa isa = __builtin_cpu_supports("x86-64-v4")   ? Isa::v4
                         : __builtin_cpu_supports("x86-64-v3") ? Isa::v3
                                                               : Isa::base;
#else
  static const Isa isa = __builtin_cpu_supports("x86-64-v3") ? Isa::v3 : Isa::base;
#endif
  return isa;
}
#endif

}  // namespace

int lockstep_lanes_max() {
#ifdef DLN_LOCKSTEP_V3
  return this_cpu() == Isa::v4 ? 8 : 4;
#else
  return 8;
#endif
}

unsigned lockstep_step(LockstepGroup &g, int64_t t, int64_t until) {
#ifdef DLN_LOCKSTEP_V3
  const Isa isa = this_cpu();
#ifdef DLN_LOCKSTEP_V4
  if (isa == Isa::v4) return g.G == 4 ? step4_v4(g, t, until) : step8_v4(g, t, until);
#endif
  if (isa == Isa::v3 && g.G == 4) return step4_v3(g, t, until);
#endif
  return g.G == 4 ? step4(g, t, until) : step8(g, t, until);
}

bool lockstep_serves(const dln_model &m) {
  if (!small_width_serves(m)) return false;
  if (m.options.sampler != DLN_SAMPLER_WITH_REPLACEMENT && m.options.sampler != DLN_SAMPLER_SUBSET) return false;
  for (int64_t l = 1; l < m.depth; ++l)
    if (m.widths[size_t(l)] > kLockstepWidthMax) return false;
  return true;
}

bool lockstep_compatible(const dln_model &a, const dln_model &b) {
  const Options &x = a.options, &y = b.options;
  auto same = [](const Schedule &p, const Schedule &q) { return p.kind == q.kind && p.args == q.args; };
  return a.step == b.step && a.widths == b.widths && x.learning_rate == y.learning_rate && x.ridge == y.ridge &&
         x.sampler == y.sampler && x.batch_size == y.batch_size && x.jump_interval == y.jump_interval &&
         x.trace_interval == y.trace_interval && same(x.learning_rate_schedule, y.learning_rate_schedule) &&
         same(x.ridge_schedule, y.ridge_schedule);
}

void lockstep_pack(LockstepGroup &g, const std::vector<dln_model *> &models) {
  g.count = int(models.size());
  g.G = g.count <= 4 ? 4 : 8;
  const int G = g.G;
  g.model.assign(size_t(G), nullptr);
  g.active = 0;
  for (int k = 0; k < g.count; ++k) g.model[size_t(k)] = models[size_t(k)], g.active |= 1u << k;
  dln_model &first = *models[0];
  const int64_t L = first.depth;
  g.n = first.widths;
  g.v.resize(size_t(L)), g.scale.resize(size_t(L)), g.bound.resize(size_t(L));
  int64_t hidden = 0;
  for (int64_t l = 1; l <= L; ++l) {
    const size_t size = first.layer(l).v.size();
    Packed &v = g.v[size_t(l - 1)];
    v.assign(size * size_t(G), 0.0);  // idle lanes: zero weights, which stay finite
    g.scale[size_t(l - 1)].assign(size_t(G), 1.0);
    g.bound[size_t(l - 1)].assign(size_t(G), 0.0);
    for (int k = 0; k < g.count; ++k) {
      const Layer &W = models[size_t(k)]->layer(l);
      for (size_t e = 0; e < size; ++e) v[lockstep_index(g, l, k, int64_t(e))] = W.v[e];
      g.scale[size_t(l - 1)][size_t(k)] = W.scale;
      g.bound[size_t(l - 1)][size_t(k)] = W.max_abs_bound;
    }
    if (l < L) hidden += first.widths[size_t(l)];
  }
  g.F.assign(size_t(hidden * G), 0.0);
  g.B.assign(size_t(hidden * G), 0.0);
  g.work.assign(size_t(5 * (L + 1) * G), 0.0);
  g.drawn.assign(size_t(kDrawAhead * G), 0);
  g.drawn_from = g.drawn_count = 0;
  Workspace &w = first.work;  // max |y| of the shared observations, as small_width_steps.cpp
  if (w.max_abs_y < 0.0) w.max_abs_y = max_magnitude(first.train.values.data(), first.train.size());
}

void lockstep_idle(LockstepGroup &g, int lane) {
  for (int64_t l = 1; l < int64_t(g.n.size()); ++l) {
    for (int64_t e = 0; e < g.n[size_t(l)] * g.n[size_t(l - 1)]; ++e) g.v[size_t(l - 1)][lockstep_index(g, l, lane, e)] = 0.0;
    g.scale[size_t(l - 1)][size_t(lane)] = 1.0, g.bound[size_t(l - 1)][size_t(lane)] = 0.0;
  }
}

void lockstep_unpack(const LockstepGroup &g, int lane, int64_t t) {
  dln_model &m = *g.model[size_t(lane)];
  const size_t k = size_t(lane);
  for (int64_t l = 1; l <= m.depth; ++l) {
    Layer &W = m.layer(l);
    const Packed &v = g.v[size_t(l - 1)];
    for (size_t e = 0; e < W.v.size(); ++e) W.v[e] = v[lockstep_index(g, l, lane, int64_t(e))];
    W.scale = g.scale[size_t(l - 1)][k];
    W.max_abs_bound = g.bound[size_t(l - 1)][k];
  }
  if (t != m.step) m.work.last_formulation = DLN_FORMULATION_SMALL_WIDTH;
  m.step = t;
  invalidate_queries(&m);
}

}  // namespace dln
