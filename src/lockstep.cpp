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
#include "kernels.hpp"
#include "model.hpp"
#include "sampler.hpp"
#include "sampler_draw.hpp"
#include "small_width.hpp"

namespace dln {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define DLN_LOCKSTEP_MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define DLN_LOCKSTEP_MULTIVERSION
#endif

#pragma GCC diagnostic ignored "-Wpsabi"  // the vector helpers are inlined into each clone, never called
namespace {

// G lanes; loads and stores through memcpy (any alignment, no aliasing rules).
template <int G>
struct Lanes {
  typedef double D __attribute__((vector_size(8 * G)));
  typedef int64_t I __attribute__((vector_size(8 * G)));
  [[gnu::always_inline]] static D load(const double *p) {
    D v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  [[gnu::always_inline]] static void store(double *p, D v) { std::memcpy(p, &v, sizeof v); }
  [[gnu::always_inline]] static D splat(double x) { return D{} + x; }
  [[gnu::always_inline]] static D magnitude(D x) { return (D)((I)x & (I{} + INT64_MAX)); }
  [[gnu::always_inline]] static D max_min(D x) { return x > DBL_MIN ? x : splat(DBL_MIN); }  // at_least_min
  // max(m, |x|) on the bits with the sign cleared, as largest(): NaN above every number.
  [[gnu::always_inline]] static I larger(I m, D x) {
    const I z = (I)magnitude(x);
    return z > m ? z : m;
  }
  [[gnu::always_inline]] static I mask(unsigned bits) {  // lane k: -1 if bit k is set, else 0
    int64_t m[G];
    for (int k = 0; k < G; ++k) m[k] = (bits >> k & 1) ? -1 : 0;
    I x;
    std::memcpy(&x, m, sizeof x);
    return x;
  }
  [[gnu::always_inline]] static bool none(I x) {
    int64_t m[G], any = 0;
    std::memcpy(m, &x, sizeof x);
    for (int k = 0; k < G; ++k) any |= m[k];
    return any == 0;
  }
};

// Eight 64-bit words, for the sampler's draws.
typedef uint64_t Words __attribute__((vector_size(64)));

// The high 64 bits of a[e] · b, from 32-bit halves (as mulhilo64 and the
// 128-bit product of uniform_below, exactly).
[[gnu::always_inline]] inline Words high_product(Words a, uint64_t b) {
  const Words low = Words{} + 0xffffffffu, al = a & low, ah = a >> 32;
  const uint64_t bl = b & 0xffffffffu, bh = b >> 32;
  const Words ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
  const Words middle = (ll >> 32) + (lh & low) + (hl & low);
  return hh + (lh >> 32) + (hl >> 32) + (middle >> 32);
}

// Word 0 of philox_draw(seed, stream, a[e], 0) (sampler_draw.hpp: Random123's
// Philox4x64 with 10 rounds) for eight counters at once, the same integer
// operations in the lanes of a vector.
[[gnu::always_inline]] inline Words philox_word0(uint64_t seed, uint64_t stream, Words a) {
  constexpr uint64_t m0 = 0xD2E7470EE14C6C93u, m1 = 0xCA5A826395121157u;  // PHILOX_M4x64_0, _1
  constexpr uint64_t w0 = 0x9E3779B97F4A7C15u, w1 = 0xBB67AE8584CAA73Bu;  // PHILOX_W64_0, _1
  Words c0 = a, c1 = {}, c2 = {}, c3 = {};
  uint64_t k0 = seed, k1 = stream;
  for (int round = 0; round < 10; ++round) {
    if (round > 0) k0 += w0, k1 += w1;
    const Words lo0 = c0 * m0, hi0 = high_product(c0, m0), lo1 = c2 * m1, hi1 = high_product(c2, m1);
    c0 = hi1 ^ c1 ^ k0, c1 = lo1, c2 = hi0 ^ c3 ^ k1, c3 = lo0;
  }
  return c0;
}

// Σ x[q] y[q] per lane in the eight partial sums of dot() (formulation_small_width.cpp).
template <int G>
[[gnu::always_inline]] inline typename Lanes<G>::D lane_dot(const double *x, const double *y, int64_t n) {
  using W = Lanes<G>;
  typename W::D lane[8] = {};
  int64_t q = 0;
  for (; q + 8 <= n; q += 8)
    for (int j = 0; j < 8; ++j) lane[j] = lane[j] + W::load(x + (q + j) * G) * W::load(y + (q + j) * G);
  typename W::D sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
  for (; q < n; ++q) sum = sum + W::load(x + q * G) * W::load(y + q * G);
  return sum;
}

// out[p] = s · <row p of v, f> for p < rows, each dot as lane_dot (the same
// partial sums in the same order). For cols <= 16, f's vectors are held in
// registers across the rows (16 of the 32 AVX-512 registers): a loop of fixed
// trip count whose steps past cols do nothing, so that the compiler can
// unroll it; wider layers load f as lane_dot does.
template <int G>
[[gnu::always_inline]] inline typename Lanes<G>::D forward(const double *v, const double *f, double *out, int64_t rows,
                                                           int64_t cols, typename Lanes<G>::D s) {
  using W = Lanes<G>;
  using D = typename W::D;
  constexpr int kMax = 16;
  typename W::I m = {};
  if (cols > kMax) {
    for (int64_t p = 0; p < rows; ++p) {
      const D value = s * lane_dot<G>(v + p * cols * G, f, cols);
      W::store(out + p * G, value);
      m = W::larger(m, value);
    }
    return (D)m;
  }
  static_assert(kMax % 8 == 0, "whole blocks of eight partial sums");
  D fv[kMax];
  for (int q = 0; q < kMax; ++q) fv[q] = q < cols ? W::load(f + q * G) : D{};
  const int64_t blocks = cols / 8 * 8;  // in the eight partial sums; the rest after them
  for (int64_t p = 0; p < rows; ++p) {
    const double *x = v + p * cols * G;
    D lane[8] = {};
    for (int q = 0; q < kMax; ++q)
      if (q < blocks) lane[q % 8] = lane[q % 8] + W::load(x + q * G) * fv[q];
    D sum = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
    for (int q = 0; q < kMax; ++q)
      if (q >= blocks && q < cols) sum = sum + W::load(x + q * G) * fv[q];
    W::store(out + p * G, s * sum);
    m = W::larger(m, s * sum);
  }
  return (D)m;
}

// The G × G transpose of x[0 … G-1] in place: x[k][e] ↔ x[e][k], by
// exchanging the off-diagonal blocks of size d = G/2, …, 1: rows i (bit d
// clear) and i + d take lanes low[e] = e or G + e - d (e & d), and
// high[e] = e + d or G + e, of the pair (x_i, x_{i+d}).
template <int G, int d>
[[gnu::always_inline]] inline void exchange(typename Lanes<G>::D *x) {
  using I = typename Lanes<G>::I;
  I low, high;
  if constexpr (G == 8 && d == 4) low = I{0, 1, 2, 3, 8, 9, 10, 11}, high = I{4, 5, 6, 7, 12, 13, 14, 15};
  if constexpr (G == 8 && d == 2) low = I{0, 1, 8, 9, 4, 5, 12, 13}, high = I{2, 3, 10, 11, 6, 7, 14, 15};
  if constexpr (G == 8 && d == 1) low = I{0, 8, 2, 10, 4, 12, 6, 14}, high = I{1, 9, 3, 11, 5, 13, 7, 15};
  if constexpr (G == 4 && d == 2) low = I{0, 1, 4, 5}, high = I{2, 3, 6, 7};
  if constexpr (G == 4 && d == 1) low = I{0, 4, 2, 6}, high = I{1, 5, 3, 7};
  for (int i = 0; i < G; ++i) {
    if (i & d) continue;
    const typename Lanes<G>::D a = x[i], b = x[i + d];
    x[i] = __builtin_shuffle(a, b, low);
    x[i + d] = __builtin_shuffle(a, b, high);
  }
}

template <int G>
[[gnu::always_inline]] inline void transpose(typename Lanes<G>::D *x) {
  static_assert(G == 4 || G == 8, "groups of 4 or 8 lanes");
  if constexpr (G == 8) exchange<G, 4>(x);
  exchange<G, 2>(x);
  exchange<G, 1>(x);
}

// out[q·G + k] = s[k] · src[k][q] for q < n: lane k's n consecutive numbers
// into the lanes, G × G blocks at a time.
template <int G>
[[gnu::always_inline]] inline typename Lanes<G>::D into_lanes(double *const *src, int64_t n, typename Lanes<G>::D s,
                                                              double *out) {
  using W = Lanes<G>;
  typename W::I m = {};
  int64_t q = 0;
  for (; q + G <= n; q += G) {
    typename W::D x[G];
    for (int k = 0; k < G; ++k) x[k] = W::load(src[k] + q);
    transpose<G>(x);
    for (int e = 0; e < G; ++e) W::store(out + (q + e) * G, s * x[e]), m = W::larger(m, s * x[e]);
  }
  for (; q < n; ++q) {
    for (int k = 0; k < G; ++k) out[q * G + k] = s[k] * src[k][q];
    m = W::larger(m, W::load(out + q * G));
  }
  return (typename W::D)m;
}

// dst[k][q] += alpha[k] · in[q·G + k] for q < n: the product in the lanes,
// the sum in lane k's consecutive numbers.
template <int G>
[[gnu::always_inline]] inline void add_from_lanes(double *const *dst, int64_t n, typename Lanes<G>::D alpha,
                                                  const double *in) {
  using W = Lanes<G>;
  int64_t q = 0;
  for (; q + G <= n; q += G) {
    typename W::D x[G];
    for (int e = 0; e < G; ++e) x[e] = alpha * W::load(in + (q + e) * G);
    transpose<G>(x);
    for (int k = 0; k < G; ++k) W::store(dst[k] + q, W::load(dst[k] + q) + x[k]);
  }
  for (; q < n; ++q)
    for (int k = 0; k < G; ++k) dst[k][q] += alpha[k] * in[q * G + k];
}

// B_{ℓ-1} = s_ℓ (V_ℓᵀ B_ℓ) into out, as small_width_vectors: four rows per
// pass, each out[q] summed over the rows in order. With `fused`, each V_ℓ
// entry, once read, becomes V_ℓ + (alpha · B_ℓ[p]) F_{ℓ-1}[q] in the same
// pass — the update of small_width_update, whose B_ℓ and F_{ℓ-1} are known.
template <int G, bool fused>
[[gnu::always_inline]] inline typename Lanes<G>::D backward(double *v, const double *b, const double *f, double *out,
                                            int64_t rows, int64_t cols, typename Lanes<G>::D s,
                                            typename Lanes<G>::D alpha) {
  using W = Lanes<G>;
  using D = typename W::D;
  for (int64_t q = 0; q < cols; ++q) W::store(out + q * G, D{});
  int64_t p = 0;
  for (; p + 4 <= rows; p += 4) {
    D bp[4], ap[4];
    double *r[4];
    for (int u = 0; u < 4; ++u)
      bp[u] = W::load(b + (p + u) * G), ap[u] = alpha * bp[u], r[u] = v + (p + u) * cols * G;
    for (int64_t q = 0; q < cols; ++q) {
      D o = W::load(out + q * G);
      const D fq = fused ? W::load(f + q * G) : D{};
      for (int u = 0; u < 4; ++u) {
        const D x = W::load(r[u] + q * G);
        o = o + bp[u] * x;
        if (fused) W::store(r[u] + q * G, x + ap[u] * fq);
      }
      W::store(out + q * G, o);
    }
  }
  for (; p < rows; ++p) {
    const D bp = W::load(b + p * G), ap = alpha * bp;
    double *row = v + p * cols * G;
    for (int64_t q = 0; q < cols; ++q) {
      const D x = W::load(row + q * G);
      W::store(out + q * G, W::load(out + q * G) + bp * x);
      if (fused) W::store(row + q * G, x + ap * W::load(f + q * G));
    }
  }
  typename W::I m = {};
  for (int64_t q = 0; q < cols; ++q) {
    const D value = W::load(out + q * G) * s;
    W::store(out + q * G, value);
    m = W::larger(m, value);
  }
  return (D)m;
}

template <int G>
[[gnu::always_inline]] inline unsigned step_lanes(LockstepGroup &g, int64_t t, int64_t until) {
  using W = Lanes<G>;
  using D = typename W::D;
  using I = typename W::I;
  const dln_model &first = *g.model[0];
  const int64_t L = first.depth, *n = first.widths.data();
  const Observations &obs = first.train;
  const double eta = first.learning_rate_at(t), decay = 1.0 - 2.0 * eta * first.ridge_at(t);
  double *F = g.F.data(), *B = g.B.data();
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
      const dln_model *m = g.model[size_t(k)];
      const bool subset = m && m->options.sampler == DLN_SAMPLER_SUBSET;
      const uint64_t pool = uint64_t(subset ? int64_t(m->subset.size()) : obs.size());
      for (int64_t d = 0; d < g.drawn_count; d += 8) {  // drawn_entry of small_width_steps.cpp, 8 steps at a time
        uint64_t u[8] = {};
        if (g.active >> k & 1) {
          const Words steps = (Words{} + uint64_t(t + d)) + Words{0, 1, 2, 3, 4, 5, 6, 7};
          const Words drawn = high_product(philox_word0(m->seed, STREAM_SAMPLING, steps), pool);  // uniform_below
          std::memcpy(u, &drawn, sizeof u);
        }
        for (int64_t e = 0; e < 8 && d + e < g.drawn_count; ++e)
          g.drawn[size_t((d + e) * G + k)] = subset ? m->subset[size_t(u[e])] : int64_t(u[e]);
      }
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
  const D y = W::load(yv), r = a - y, gk = r * 2.0, gsum = W::magnitude(gk), comfortable = W::splat(kComfortable);
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
      const D grow = W::max_min(W::max_min(W::max_min(c * gsum) * left) * right) * (1.0 + 0x1p-39);  // growth_bound
      W::store(growth + l * G, grow);
      if (!decide) continue;
      factor = larger(factor, larger((I)c, larger((I)left, (I)right)));
      weight = larger(weight, (I)mab);
      const double width = l < L ? double(n[l]) : 1.0;
      entry = W::max_min(entry * W::max_min(W::max_min(W::max_min(decay * s) * (mab + grow)) * width));  // entry_bound
    }
    return (r * r <= DBL_MAX) & ((D)factor <= comfortable) & ((D)weight <= kComfortableWeight) &
           (entry * (1.0 + 0x1p-30) + first.work.max_abs_y < kSafeEntry);  // entry_check; max |y| set by lockstep_pack
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
             W::max_min(W::max_min(W::max_min(s * mab) * double(n[l])) * W::load(bmax + l * G)) * (1.0 + 0x1p-18));
  }
  const I active = W::mask(g.active);
  const bool fused = W::none(~checks(true) & active);
  I ok = fused ? active : I{};
  for (int64_t l = L - 1; l >= 2; --l) {
    const int64_t rows = n[l], cols = n[l - 1];
    const D s = W::load(g.scale[size_t(l - 1)].data());
    double *v = g.v[size_t(l - 1)].data(), *out = b - cols * G;
    W::store(bmax + (l - 1) * G, fused ? backward<G, true>(v, b, F + (out - B), out, rows, cols, s, ok ? W::load(alpha + l * G) : D{})
                                       : backward<G, false>(v, b, nullptr, out, rows, cols, s, D{}));
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
      const D al = ok ? W::load(alpha + l * G) : D{};
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
  add_from_lanes<G>(column, n[1], ok ? W::load(alpha + 1 * G) : D{}, B);
  add_from_lanes<G>(row, top, ok ? W::load(alpha + L * G) : D{}, f);
  // ---- commit the scalar decay (as step.cpp); fold a lane's scale in ------
  for (int64_t l = 1; l <= L; ++l) {
    double *sp = g.scale[size_t(l - 1)].data(), *mp = g.bound[size_t(l - 1)].data();
    const D s = ok ? W::load(sp) * decay : W::load(sp), mab = W::load(mp);
    W::store(mp, ok ? (mab + W::load(growth + l * G)) * (1.0 + 0x1p-50) : mab);
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

DLN_LOCKSTEP_MULTIVERSION unsigned step4(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<4>(g, t, until); }
DLN_LOCKSTEP_MULTIVERSION unsigned step8(LockstepGroup &g, int64_t t, int64_t until) { return step_lanes<8>(g, t, until); }

}  // namespace

unsigned lockstep_step(LockstepGroup &g, int64_t t, int64_t until) {
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
