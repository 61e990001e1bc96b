// The vector kernels of the lockstep step (lockstep.cpp, issue 16): G lanes
// of doubles in GCC vector types, and the loops of the small-width step
// (formulation_small_width.cpp) over them — each lane with the operations of
// the scalar loop in its order. Included only by lockstep.cpp, whose
// per-ISA step functions inline every one of them (hence -Wpsabi off: no
// vector crosses a call) and which is compiled without fused multiply-add.
// Inlined, they are still lowered for the default ISA in places (GCC 12):
// comparisons of doubles and `mask ? a : b` split per lane, so the kernels
// use bit operations for both (select, at_most, below).
#pragma once
#include <cfloat>
#include <cstdint>
#include <cstring>

#include "lockstep.hpp"

#pragma GCC diagnostic ignored "-Wpsabi"

namespace dln {
namespace lanes {

// The instruction set a step function of lockstep.cpp is compiled for
// (x86-64-v4, v3, or anything else): where GCC 12's own lowering of the
// vector code below is poor, the kernels name the instruction.
enum class Isa { base, v3, v4 };

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
  // Lane k of a where m[k] = -1, of b where 0, on the bits: GCC 12 lowers
  // `m ? a : b` with a variable int mask and double lanes lane by lane, with branches.
  [[gnu::always_inline]] static D select(I m, D a, D b) { return (D)(((I)a & m) | ((I)b & ~m)); }
  // a <= b, a < b for a, b in [0, 2^63) (magnitudes' bits, ordered as their
  // numbers, NaN above), by the sign of a difference: GCC 12 splits a
  // comparison of doubles made in an inlined helper into one per lane.
  [[gnu::always_inline]] static I at_most(I a, I b) { return ~((b - a) >> 63); }
  [[gnu::always_inline]] static I below(I a, I b) { return (a - b) >> 63; }
  [[gnu::always_inline]] static I bits(double x) { return (I)splat(x); }
  [[gnu::always_inline]] static D magnitude(D x) { return (D)((I)x & (I{} + INT64_MAX)); }
  // at_least_min: x > DBL_MIN ? x : DBL_MIN, NaN to DBL_MIN, which is what
  // vmaxpd does (its second operand where the first is not greater). One
  // vmaxpd where the vector fits a register (G = 8 on x86-64-v4, G = 4 on v3
  // or v4): GCC 12 makes the selection a compare and a blend.
  template <Isa isa>
  [[gnu::always_inline]] static D max_min(D x) {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
    if constexpr (isa == Isa::v4 || (isa == Isa::v3 && G == 4)) {
      D r;
      asm("vmaxpd %2, %1, %0" : "=v"(r) : "v"(x), "v"(splat(DBL_MIN)));
      return r;
    }
#endif
    return x > DBL_MIN ? x : splat(DBL_MIN);
  }
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

// The sampler's draws in vectors of 64-bit words: eight on x86-64-v4, four
// on v3 (GCC 12 takes eight-word vectors apart through the stack there).
template <int K>
struct WordLanes {
  typedef uint64_t V __attribute__((vector_size(8 * K)));
};
template <Isa isa>
using Words = typename WordLanes<isa == Isa::v3 ? 4 : 8>::V;

// The four products of the 32-bit halves of a[e] and b: ll, lh, hl, hh. On
// x86-64-v4 and v3 by vpmuludq, one micro-op each: GCC 12 multiplies 64-bit
// lanes by vpmullq on v4 (three micro-ops), even when their high halves are
// zero, and lane by lane in general registers on v3.
template <Isa isa>
[[gnu::always_inline]] inline void halves(Words<isa> a, uint64_t b, Words<isa> *out) {
  using V = Words<isa>;
  const V low = V{} + 0xffffffffu, ah = a >> 32, bl = V{} + (b & 0xffffffffu), bh = V{} + (b >> 32);
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  if constexpr (isa != Isa::base) {  // vpmuludq reads the low halves only: a, ah as they are
    asm("vpmuludq %1, %2, %0" : "=v"(out[0]) : "v"(a), "v"(bl));
    asm("vpmuludq %1, %2, %0" : "=v"(out[1]) : "v"(a), "v"(bh));
    asm("vpmuludq %1, %2, %0" : "=v"(out[2]) : "v"(ah), "v"(bl));
    asm("vpmuludq %1, %2, %0" : "=v"(out[3]) : "v"(ah), "v"(bh));
    return;
  }
#endif
  const V al = a & low;
  out[0] = al * bl, out[1] = al * bh, out[2] = ah * bl, out[3] = ah * bh;
}

// The high 64 bits of a[e] · b from its halves ll, lh, hl, hh (as mulhilo64
// and the 128-bit product of uniform_below, exactly): t = hl + ll / 2^32 and
// t mod 2^32 + lh cannot wrap, and carry the middle words into hh
// (Hacker's Delight's mulhu; eight operations).
template <class V>
[[gnu::always_inline]] inline V high_of(const V *h) {
  const V low = V{} + 0xffffffffu, t = h[2] + (h[0] >> 32), middle = (t & low) + h[1];
  return h[3] + (t >> 32) + (middle >> 32);
}
template <Isa isa>
[[gnu::always_inline]] inline Words<isa> high_product(Words<isa> a, uint64_t b) {
  Words<isa> h[4];
  halves<isa>(a, b, h);
  return high_of(h);
}

// Word 0 of philox_draw(seed, stream, a[e], 0) (sampler_draw.hpp: Random123's
// Philox4x64 with 10 rounds) for N vectors of counters at once, in place: the
// same integer operations in the lanes of N vectors, whose N independent
// chains of multiplies overlap (one chain is latency bound). The last round
// forms word 0 only: hi(c2 · m1) ^ c1 ^ k0.
template <int N, Isa isa>
[[gnu::always_inline]] inline void philox_word0(uint64_t seed, uint64_t stream, Words<isa> *a) {
  using V = Words<isa>;
  constexpr uint64_t m0 = 0xD2E7470EE14C6C93u, m1 = 0xCA5A826395121157u;  // PHILOX_M4x64_0, _1
  constexpr uint64_t w0 = 0x9E3779B97F4A7C15u, w1 = 0xBB67AE8584CAA73Bu;  // PHILOX_W64_0, _1
  V c0[N], c1[N] = {}, c2[N] = {}, c3[N] = {};
  for (int e = 0; e < N; ++e) c0[e] = a[e];
  uint64_t k0 = seed, k1 = stream;
  for (int round = 0; round < 9; ++round) {
    if (round > 0) k0 += w0, k1 += w1;
    for (int e = 0; e < N; ++e) {
      V h0[4], h1[4];
      halves<isa>(c0[e], m0, h0);
      halves<isa>(c2[e], m1, h1);
      // The low 64 bits: ll + (lh + hl) 2^32 mod 2^64 with the halves at hand,
      // else one multiply each.
      const V lo0 = isa != Isa::base ? h0[0] + ((h0[1] + h0[2]) << 32) : c0[e] * m0;
      const V lo1 = isa != Isa::base ? h1[0] + ((h1[1] + h1[2]) << 32) : c2[e] * m1;
      const V hi0 = high_of(h0), hi1 = high_of(h1);
      c0[e] = hi1 ^ c1[e] ^ k0, c1[e] = lo1, c2[e] = hi0 ^ c3[e] ^ k1, c3[e] = lo0;
    }
  }
  k0 += w0;
  for (int e = 0; e < N; ++e) a[e] = high_product<isa>(c2[e], m1) ^ c1[e] ^ k0;
}

// Σ x[q] y[q] per lane in the eight partial sums of dot() (formulation_small_width.cpp).
template <int G>
[[gnu::always_inline]] inline typename Lanes<G>::D lane_dot(const double *x, const double *y, int64_t n) {
  using W = Lanes<G>;
  typename W::D lane[8] = {};
  int64_t q = 0;
  if (n >= 8) {  // from the first terms, and + 0 after the tree (as forward)
    for (int j = 0; j < 8; ++j) lane[j] = W::load(x + j * G) * W::load(y + j * G);
    q = 8;
  }
  for (; q + 8 <= n; q += 8)
    for (int j = 0; j < 8; ++j) lane[j] = lane[j] + W::load(x + (q + j) * G) * W::load(y + (q + j) * G);
  typename W::D sum =
      (((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]))) + 0.0;
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
  for (int64_t p = rows - 1; p >= 0; --p) {  // last row first: the rows the backward pass left in L1
    const double *x = v + p * cols * G;
    D lane[8] = {};
    for (int q = 0; q < kMax; ++q)
      if (q < blocks) {  // dot()'s sums start at +0; here at their first term, and + 0 after the tree (below)
        const D term = W::load(x + q * G) * fv[q];
        lane[q % 8] = q < 8 ? term : lane[q % 8] + term;
      }
    // The same numbers at every addition, so the same sum but for the sign
    // of a zero (dot()'s is +0): + 0 makes it so, with one addition in place
    // of eight.
    D sum = (((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]))) + 0.0;
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
#if defined(__clang__)
    // Clang has no __builtin_shuffle (its __builtin_shufflevector wants constant
    // indices): the same selection lane by lane (only the clang fuzz build).
    typename Lanes<G>::D lo, hi;
    for (int e = 0; e < G; ++e) {
      lo[e] = low[e] < G ? a[low[e]] : b[low[e] - G];
      hi[e] = high[e] < G ? a[high[e]] : b[high[e] - G];
    }
    x[i] = lo;
    x[i + d] = hi;
#else
    x[i] = __builtin_shuffle(a, b, low);
    x[i + d] = __builtin_shuffle(a, b, high);
#endif
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

// 4 lanes twice, in 8; and the larger of the two halves of 8 (G = 4 pairs).
[[gnu::always_inline]] inline Lanes<8>::D twice(Lanes<4>::D x) { return __builtin_shufflevector(x, x, 0, 1, 2, 3, 0, 1, 2, 3); }
[[gnu::always_inline]] inline Lanes<4>::I halves_larger(Lanes<8>::I x, Lanes<4>::I m) {
  return Lanes<4>::larger(Lanes<4>::larger(m, (Lanes<4>::D)__builtin_shufflevector(x, x, 0, 1, 2, 3)),
                          (Lanes<4>::D)__builtin_shufflevector(x, x, 4, 5, 6, 7));
}

// B_{ℓ-1} = s_ℓ (V_ℓᵀ B_ℓ) into out, as small_width_vectors: each out[q]
// summed over the rows in order, then scaled. Here Q columns at a time, their
// sums held in registers down all rows, so that out is stored once (the
// scalar loop's four rows per pass only save stores; the order per out[q] is
// the same). With `fused`, each V_ℓ entry, once read, becomes
// V_ℓ + (alpha · B_ℓ[p]) F_{ℓ-1}[q] in the same pass — the update of
// small_width_update, whose B_ℓ and F_{ℓ-1} are known; alpha · B_ℓ[p] is
// formed where it is used (kept in a table, it cost L1 room the layers need:
// at w = 16 the inner layers of 8 lanes fill the 32 KB of a Zen 4's L1).
// P = 2 (G = 4): each vector two columns q, q+1 of the G lanes (8 doubles,
// contiguous), with B_ℓ[p] and alpha each row's 4 lanes twice.
template <int G, int P, bool fused, int Q>
[[gnu::always_inline]] inline void backward_columns(double *v, const double *b, const double *f, double *out,
                                                    typename Lanes<G * P>::D alpha, int64_t rows, int64_t cols,
                                                    int64_t q, typename Lanes<G * P>::D s,
                                                    typename Lanes<G * P>::I &m) {
  using W = Lanes<G * P>;
  using D = typename W::D;
  D o[Q], fq[Q];
  for (int u = 0; u < Q; ++u) o[u] = D{}, fq[u] = fused ? W::load(f + (q + u * P) * G) : D{};
  for (int64_t p = 0; p < rows; ++p) {
    D bp;
    if constexpr (P == 1) bp = W::load(b + p * G);
    else bp = twice(Lanes<G>::load(b + p * G));
    const D ap = alpha * bp;
    double *x = v + (p * cols + q) * G;
    for (int u = 0; u < Q; ++u) {
      const D xv = W::load(x + u * G * P);
      if (fused) W::store(x + u * G * P, xv + ap * fq[u]);  // first: xv is then not read twice from memory
      o[u] = o[u] + bp * xv;
    }
  }
  for (int u = 0; u < Q; ++u) {
    const D value = o[u] * s;
    W::store(out + (q + u * P) * G, value);
    m = W::larger(m, value);
  }
}

// With `pairs` (G = 4, for 512-bit vectors), two columns a vector: the same
// operations per lane and column, half the instructions.
template <int G, bool fused, bool pairs = false>
[[gnu::always_inline]] inline typename Lanes<G>::D backward(double *v, const double *b, const double *f, double *out,
                                                            int64_t rows, int64_t cols, typename Lanes<G>::D s,
                                                            typename Lanes<G>::D alpha) {
  using W = Lanes<G>;
  using D = typename W::D;
  typename W::I m = {};
  int64_t q = 0;
  if constexpr (pairs && G == 4) {
    Lanes<8>::I m2 = {};
    for (; q + 16 <= cols; q += 16) backward_columns<4, 2, fused, 8>(v, b, f, out, twice(alpha), rows, cols, q, twice(s), m2);
    for (; q + 8 <= cols; q += 8) backward_columns<4, 2, fused, 4>(v, b, f, out, twice(alpha), rows, cols, q, twice(s), m2);
    for (; q + 2 <= cols; q += 2) backward_columns<4, 2, fused, 1>(v, b, f, out, twice(alpha), rows, cols, q, twice(s), m2);
    m = halves_larger(m2, m);
  } else {
    for (; q + 8 <= cols; q += 8) backward_columns<G, 1, fused, 8>(v, b, f, out, alpha, rows, cols, q, s, m);
    for (; q + 4 <= cols; q += 4) backward_columns<G, 1, fused, 4>(v, b, f, out, alpha, rows, cols, q, s, m);
  }
  for (; q < cols; ++q) backward_columns<G, 1, fused, 1>(v, b, f, out, alpha, rows, cols, q, s, m);
  return (D)m;
}

}  // namespace lanes
}  // namespace dln
