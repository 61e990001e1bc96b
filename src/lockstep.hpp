// Lockstep ensembles (issue 16): G replicas of one problem — same
// observations, own weights, own seeds — stepped together with the replica
// innermost in the inner layers, V_ℓ[(p · n_{ℓ-1} + q) · G + k] for replica
// k, so that the arithmetic of the G replicas fills the vector lanes. Each lane performs the
// operations of the small-width step (formulation_small_width.cpp,
// small_width_steps.cpp) in the same order, so a replica's trajectory is bit
// for bit that of its ordinary handle stepped with dln_step; a lane whose
// step that loop would hand to step.cpp (near overflow) is reported instead
// of stepped, and its member goes on as an ordinary handle.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

struct dln_model;

namespace dln {

// Storage on 64-byte boundaries: a vector of G doubles then never straddles
// two cache lines (measured: twice the time of the fused backward pass at
// w = 16 when it did).
template <class T>
struct Aligned64 {
  using value_type = T;
  Aligned64() = default;
  template <class U>
  Aligned64(const Aligned64<U> &) {}
  T *allocate(size_t n) { return static_cast<T *>(::operator new(n * sizeof(T), std::align_val_t(64))); }
  void deallocate(T *p, size_t) noexcept { ::operator delete(p, std::align_val_t(64)); }
  template <class U>
  bool operator==(const Aligned64<U> &) const { return true; }
  template <class U>
  bool operator!=(const Aligned64<U> &) const { return false; }
};
using Packed = std::vector<double, Aligned64<double>>;

// The state of G replicas (G = 4 or 8; lanes past `count` are idle).
struct LockstepGroup {
  int G = 8;
  int count = 0;                   // replicas in use, lanes 0 … count-1
  unsigned active = 0;             // lanes still stepped in lockstep
  std::vector<dln_model *> model;  // per lane (nullptr: idle)
  std::vector<int64_t> n;          // widths n_0 … n_L
  // Per layer ℓ-1, n_ℓ n_{ℓ-1} G numbers (lockstep_index): the inner layers
  // replica innermost; W_1 and W_L, of which a step reads and updates one
  // column j and one row i that differ per lane, lane after lane, each
  // lane's W_1 transposed, so that they are contiguous there.
  std::vector<Packed> v;
  std::vector<Packed> scale, bound;  // per layer ℓ-1: G scales s_ℓ, bounds on max|V_ℓ|
  Packed F, B;                       // Σ hidden n_ℓ · G each
  Packed work;                       // per-step scratch (per layer and lane)
  // The observation each lane draws at steps drawn_from … drawn_from +
  // drawn_count - 1 (lane innermost), drawn ahead by lockstep_step.
  std::vector<int64_t> drawn;
  int64_t drawn_from = 0, drawn_count = 0;
};

// Widest hidden layer stepped in lockstep (bench/RESULTS.md, issue 16; depth
// 4, paired, 1 thread, run at 3192507 on a Zen 4): the member-steps/s of
// separate handles times 3.7-4.8 at width 8, 3.7-4.6 at 10, 3.2-3.3 at 16 and
// 1.9-2.1 at 32 (slower than separate handles at 32 before the fused pass
// and aligned storage). A quick check found 1.2-2x still at 48 and 64; 32 is
// the widest the benchmarks watch.
constexpr int64_t kLockstepWidthMax = 32;

// Whether dln_step on this handle runs the small-width loop with the
// with-replacement or subset draw, at a width lockstep serves.
bool lockstep_serves(const dln_model &model);
// Whether two such handles can share a group: same step, widths and step options.
bool lockstep_compatible(const dln_model &a, const dln_model &b);

// Copies the handles' weights in (lanes in order) / the lanes' weights back
// out (scales, bounds, step count t; queries invalidated).
void lockstep_pack(LockstepGroup &g, const std::vector<dln_model *> &models);
void lockstep_unpack(const LockstepGroup &g, int lane, int64_t t);
// Where entry e (row-major) of lane's V_ℓ is packed in g.v[ℓ-1].
inline size_t lockstep_index(const LockstepGroup &g, int64_t l, int lane, int64_t e) {
  const int64_t rows = g.n[size_t(l)], cols = g.n[size_t(l - 1)], k = lane;
  if (l == 1) return size_t((k * cols + e % cols) * rows + e / cols);  // lane k's W_1ᵀ
  if (l == int64_t(g.n.size()) - 1) return size_t(k * rows * cols + e);  // lane k's W_L
  return size_t(e * g.G + k);
}
// A lane that left: zero weights (which stay finite), scale 1, bound 0.
void lockstep_idle(LockstepGroup &g, int lane);

// The largest group this CPU steps well: 8 with AVX-512; 4 on x86-64 CPUs
// without it, where GCC 12 lowers 8-lane vectors through the stack and lane
// by lane (emulated: groups of 8 took 0.33-0.75x the member-steps/s of
// separate handles, groups of 4 take 2.4-3.0x at widths <= 16;
// bench/RESULTS.md, issue 16).
int lockstep_lanes_max();

// Steps drawn ahead at once (lockstep_step).
constexpr int64_t kDrawAhead = 32;

// One step at t for every active lane; returns the lanes not stepped because
// their step is not comfortably far from overflow: those are unpacked at t
// (their state before the step) and leave the active set. The entries of
// steps t … until-1 (at most kDrawAhead) may be drawn ahead.
unsigned lockstep_step(LockstepGroup &g, int64_t t, int64_t until);

}  // namespace dln
