#include "helper_team.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define DLN_PAUSE() _mm_pause()
#else
#define DLN_PAUSE() std::this_thread::yield()
#endif

namespace dln {

namespace {

// How long a waiting member spins before it sleeps (between runs) or yields
// its core (inside a run): beyond the serial part of a step between two
// runs (~10 µs at 64 × 64), short of a busy core's time slice. With more
// members than free cores, the yields let a descheduled one finish.
constexpr std::chrono::microseconds kSpinTime{200};

// Spins until done() holds: pause, then yield once kSpinTime has passed.
template <class Done>
void wait_until(Done done) {
  const auto yield_from = std::chrono::steady_clock::now() + kSpinTime;
  for (int spin = 1; !done(); ++spin) {
    if (spin % 64 == 0 && std::chrono::steady_clock::now() >= yield_from)
      std::this_thread::yield();
    else
      DLN_PAUSE();
  }
}

}  // namespace

HelperTeam::HelperTeam(int64_t helpers) : process_(long(getpid())) {
  // No more members than cores: the parts are fixed by the handle's thread
  // count, and members take several when they are fewer.
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0) helpers = std::min<int64_t>(helpers, int64_t(cores) - 1);
  try {
    threads_.reserve(size_t(helpers));
    for (int64_t me = 1; me <= helpers; ++me) threads_.emplace_back([this, me] { serve(me); });
  } catch (...) {  // no (more) threads: the ones started are the team
  }
}

HelperTeam::~HelperTeam() {
  {
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    stopping_.store(true, std::memory_order_release);
    epoch_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread &t : threads_) t.join();
}

bool HelperTeam::in_this_process() const { return long(getpid()) == process_; }

void HelperTeam::run(void (*job)(void *, int64_t), void *context) {
  job_ = job;
  context_ = context;
  caller_mode_ = FpControl::current();
  finished_.store(0, std::memory_order_relaxed);
  {
    // Under the mutex, so that a member about to sleep either sees the new
    // epoch or is woken.
    std::lock_guard<std::mutex> lock(sleep_mutex_);
    epoch_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  job(context, 0);
  const int64_t helpers = int64_t(threads_.size());
  wait_until([&] { return finished_.load(std::memory_order_acquire) >= helpers; });
}

void HelperTeam::barrier() {
  const uint64_t epoch = barrier_epoch_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == size() - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    barrier_epoch_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  wait_until([&] { return barrier_epoch_.load(std::memory_order_acquire) != epoch; });
}

void HelperTeam::serve(int64_t me) {
  uint64_t seen = 0;
  for (;;) {
    const auto give_up = std::chrono::steady_clock::now() + kSpinTime;
    for (int spin = 0; epoch_.load(std::memory_order_acquire) == seen; ++spin) {
      if (spin % 64 != 0 || std::chrono::steady_clock::now() < give_up) {
        DLN_PAUSE();
        continue;
      }
      std::unique_lock<std::mutex> lock(sleep_mutex_);
      wake_.wait(lock, [&] { return epoch_.load(std::memory_order_acquire) != seen; });
    }
    seen = epoch_.load(std::memory_order_acquire);
    if (stopping_.load(std::memory_order_acquire)) return;
    {
      const FpControl::Adopted mode(caller_mode_);
      job_(context_, me);
    }
    finished_.fetch_add(1, std::memory_order_acq_rel);
  }
}

}  // namespace dln
