// One execution context per handle (issue 11): the BLIS runtime (rntm_t) with
// the handle's thread count (DLN_PARAM_THREADS), and the one layer through
// which the library calls BLIS. Nothing global is read or changed: BLIS gets
// the runtime with every call, so two handles with different thread counts
// never interfere.
#pragma once
#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "blis.h"
#include "gemm_policy.hpp"

struct dln_model;

namespace dln {

class ExecContext {
 public:
  ExecContext() { set_threads(1); }
  void set_threads(int64_t threads);
  int64_t threads() const { return threads_; }

  // C ← alpha·op(A)·op(B) + beta·C on general strides (rs = row stride,
  // cs = column stride); m × n result, inner dimension k.
  void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
            int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta, double *c,
            int64_t rsc, int64_t csc) const;
  // y ← alpha·A·x + beta·y, A m × n on general strides.
  void gemv(int64_t m, int64_t n, double alpha, const double *a, int64_t rsa, int64_t csa, const double *x,
            double beta, double *y) const;
  // A ← A + alpha·x·yᵀ, A m × n on general strides.
  void ger(int64_t m, int64_t n, double alpha, const double *x, const double *y, double *a, int64_t rsa,
           int64_t csa) const;
  // body(lo, hi) over consecutive parts of [0, n), one part per thread of the
  // handle when `work` (multiply-adds or entries touched) is worth a thread
  // each, else body(0, n). Parts are disjoint and every index is done by the
  // same arithmetic whatever the split, so results do not depend on the
  // thread count. body must not throw. If a thread cannot be started, this
  // thread does its part.
  template <class Body>
  void parallel_parts(int64_t n, double work, Body body) const;

 private:
  // The runtime of a product of this shape (gemm_policy.hpp). BLIS copies
  // the runtime it is given; these are never written by it.
  rntm_t *runtime_for(const GemmShape &shape) const;
  rntm_t *runtime() const { return const_cast<rntm_t *>(&runtimes_[1][0]); }
  rntm_t runtimes_[2][2];  // [parallel][packed]
  int64_t threads_ = 0;
};

// Scattered passes (products with S, residual dots) are memory-latency
// bound, so a second thread pays from a few milliseconds of work on.
constexpr double kParallelPassMin = 4194304.0;

template <class Body>
void ExecContext::parallel_parts(int64_t n, double work, Body body) const {
  const int64_t parts = work < kParallelPassMin ? 1 : std::min<int64_t>(threads_, n);
  if (parts <= 1) {
    body(int64_t(0), n);
    return;
  }
  std::vector<std::thread> pool;
  int64_t started = 0;
  try {
    pool.reserve(size_t(parts - 1));
    for (; started < parts - 1; ++started)
      pool.emplace_back([&body, lo = n * started / parts, hi = n * (started + 1) / parts] { body(lo, hi); });
  } catch (...) {  // no (more) threads: this one does the remaining parts
  }
  body(n * started / parts, n);
  for (std::thread &t : pool) t.join();
}

// The context of a handle, with the thread count of its options.
const ExecContext &exec(const dln_model &model);

}  // namespace dln
