// One execution context per handle (issue 11): the BLIS runtime (rntm_t) with
// the handle's thread count (DLN_PARAM_THREADS), and the one layer through
// which the library calls BLIS. Nothing global is read or changed: BLIS gets
// the runtime with every call, so two handles with different thread counts
// never interfere.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "blis.h"
#include "gemm_policy.hpp"
#include "helper_team.hpp"

struct dln_model;

namespace dln {

class ExecContext {
 public:
  ExecContext() = default;
  // A copy (a cloned handle) has the thread count, not the helper threads.
  ExecContext(const ExecContext &other) : runtimes_(other.runtimes_), threads_(other.threads_) {}
  ExecContext &operator=(const ExecContext &other) {
    runtimes_ = other.runtimes_;
    threads_ = other.threads_;
    drop_team();
    return *this;
  }
  ~ExecContext() { drop_team(); }
  void set_threads(int64_t threads);
  int64_t threads() const { return threads_; }

  // C ← alpha·op(A)·op(B) + beta·C on general strides (rs = row stride,
  // cs = column stride); m × n result, inner dimension k.
  void gemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, double alpha, const double *a,
            int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb, double beta, double *c,
            int64_t rsc, int64_t csc) const;
  // The same on a part of the output of the product `whole`, on the calling
  // thread, through the BLIS path `whole` takes: a part rounds each entry as
  // the whole product would (for in_two_phases).
  void gemm_part(const GemmShape &whole, bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k,
                 double alpha, const double *a, int64_t rsa, int64_t csa, const double *b, int64_t rsb, int64_t csb,
                 double beta, double *c, int64_t rsc, int64_t csc) const;
  // y ← alpha·A·x + beta·y, A m × n on general strides.
  void gemv(int64_t m, int64_t n, double alpha, const double *a, int64_t rsa, int64_t csa, const double *x,
            double beta, double *y) const;
  // A ← A + alpha·x·yᵀ, A m × n on general strides.
  void ger(int64_t m, int64_t n, double alpha, const double *x, const double *y, double *a, int64_t rsa,
           int64_t csa) const;
  // body(lo, hi) over consecutive parts of [0, n), a few per thread of the
  // handle, when `work` (multiply-adds or entries touched) is worth a thread
  // each, else body(0, n). Parts are disjoint and every index is done by the
  // same arithmetic whatever the split and whichever thread takes it, so
  // results do not depend on the thread count. body must not throw. If a
  // thread cannot be started, the others take its parts.
  template <class Body>
  void parallel_parts(int64_t n, double work, Body body) const;
  // first(k) for every part k < parts, then, once all of them are done,
  // second(k): on the calling thread and the handle's helper threads
  // (helper_team.hpp) when threads() is 2 or more, else on the caller alone
  // in the same order. Each part is done whole by one thread in the
  // floating-point mode of the caller, so the results do not depend on how
  // many helpers could be started. The bodies must not throw.
  template <class First, class Second>
  void in_two_phases(int64_t parts, First first, Second second) const;

 private:
  HelperTeam &team() const;  // threads_ − 1 helpers, started on first use
  // Ends the team; in a process forked from the one that started it, leaves
  // it behind unjoined (its threads are not in this process).
  void drop_team() const;

  GemmRuntimes runtimes_{1};  // for threads_ (gemm_policy.hpp)
  int64_t threads_ = 1;
  mutable std::unique_ptr<HelperTeam> team_;
};

// Scattered passes (products with S, residual dots) are memory-latency
// bound, so a second thread pays from a few milliseconds of work on.
constexpr double kParallelPassMin = 4194304.0;
constexpr int64_t kPartsPerThread = 4;

template <class Body>
void ExecContext::parallel_parts(int64_t n, double work, Body body) const {
  const int64_t threads = work < kParallelPassMin ? 1 : std::min<int64_t>(threads_, n);
  if (threads <= 1) {
    body(int64_t(0), n);
    return;
  }
  // Parts taken in turn by whichever thread is free, so that a core slowed
  // by other work (a shared VM: one pass of a 2-thread step took 1.3 to
  // 3.8 ms with a fixed half each) does fewer of them.
  const int64_t parts = std::min<int64_t>(n, threads * kPartsPerThread);
  std::atomic<int64_t> next{0};
  auto take_parts = [&] {
    for (int64_t k = next.fetch_add(1, std::memory_order_relaxed); k < parts;
         k = next.fetch_add(1, std::memory_order_relaxed))
      body(n * k / parts, n * (k + 1) / parts);
  };
  std::vector<std::thread> pool;
  try {
    pool.reserve(size_t(threads - 1));
    while (int64_t(pool.size()) < threads - 1) pool.emplace_back(take_parts);
  } catch (...) {  // no (more) threads: the ones running take every part
  }
  take_parts();
  for (std::thread &t : pool) t.join();
}

template <class First, class Second>
void ExecContext::in_two_phases(int64_t parts, First first, Second second) const {
  if (std::min(threads_, parts) <= 1) {  // the same parts in the same order
    for (int64_t k = 0; k < parts; ++k) first(k);
    for (int64_t k = 0; k < parts; ++k) second(k);
    return;
  }
  team().in_two_phases(parts, first, second);
}

// The context of a handle, with the thread count of its options.
const ExecContext &exec(const dln_model &model);

}  // namespace dln
