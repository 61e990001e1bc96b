// parallel_for over independent tasks on a fixed number of threads. Tasks are
// handed out by index and write only their own result slot, so what is
// computed does not depend on the thread count or on scheduling.
#ifndef DLN_CLI_PARALLEL_HPP
#define DLN_CLI_PARALLEL_HPP

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace dlncli {

inline int resolve_threads(int requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Calls fn(i) for i in [0, n). The first exception (lowest index) is rethrown
// after all threads finished.
template <class Fn>
void parallel_for(std::size_t n, int threads, Fn fn) {
  threads = std::max(1, std::min<int>(resolve_threads(threads), static_cast<int>(n)));
  std::atomic<std::size_t> next{0};
  std::mutex m;
  std::size_t failed_at = n;
  std::exception_ptr error;
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(m);
        if (i < failed_at) failed_at = i, error = std::current_exception();
      }
    }
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
    for (auto& t : pool) t.join();
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace dlncli

#endif
