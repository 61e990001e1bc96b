// The helper threads of one handle (issue 11): kept for the handle's life so
// that a step can split itself over them a few times (ExecContext::
// in_two_phases), where starting a std::thread costs tens of µs. Not
// OpenMP's pool: BLIS opens an OpenMP region on every call, nested when the
// caller is in one, and a 64 × 32 × 64 product called from two OpenMP threads
// took 8.1 µs against 7.2 from two std::threads (6.4 alone; Zen 4 VM, BLIS
// 0.9 zen3). Members wait by spinning for a while, then sleep on a condition
// variable between runs (an idle handle costs nothing) or yield inside one.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "fp_environment.hpp"

namespace dln {

class HelperTeam {
 public:
  // Starts up to `helpers` threads: no more than the cores but one, fewer
  // if the system starts no more.
  explicit HelperTeam(int64_t helpers);
  ~HelperTeam();  // stops and joins them
  HelperTeam(const HelperTeam &) = delete;
  HelperTeam &operator=(const HelperTeam &) = delete;

  int64_t size() const { return int64_t(threads_.size()) + 1; }  // with the caller
  // False in a child process forked after the team started: its threads are
  // not there (fork copies the calling thread only), so the team can be
  // neither used nor joined, only left behind.
  bool in_this_process() const;
  // job(context, me) on every member, me = 0 on the calling thread, the
  // helpers in the caller's floating-point mode (they keep the mode they were
  // started in otherwise); returns once all are done. job must not throw.
  void run(void (*job)(void *context, int64_t me), void *context);
  // Inside a job: returns once every member has reached it.
  void barrier();
  // first(k) for every part k < parts, then, once all of them are done,
  // second(k); member m takes the parts m, m + size(), … in both.
  template <class First, class Second>
  void in_two_phases(int64_t parts, First &first, Second &second);

 private:
  void serve(int64_t me);

  std::vector<std::thread> threads_;
  long process_;  // getpid() when started
  void (*job_)(void *, int64_t) = nullptr;
  void *context_ = nullptr;
  FpControl caller_mode_ = FpControl::current();
  std::atomic<uint64_t> epoch_{0};  // one more per run
  std::atomic<int64_t> finished_{0};
  std::atomic<int64_t> arrived_{0};
  std::atomic<uint64_t> barrier_epoch_{0};
  std::atomic<bool> stopping_{false};
  std::mutex sleep_mutex_;
  std::condition_variable wake_;
};

template <class First, class Second>
void HelperTeam::in_two_phases(int64_t parts, First &first, Second &second) {
  struct Job {
    First &first;
    Second &second;
    int64_t parts;
    HelperTeam &team;
  } job{first, second, parts, *this};
  run(
      [](void *context, int64_t me) noexcept {  // a throw here would leave the others in the barrier
        Job &j = *static_cast<Job *>(context);
        const int64_t size = j.team.size();
        for (int64_t k = me; k < j.parts; k += size) j.first(k);
        j.team.barrier();
        for (int64_t k = me; k < j.parts; k += size) j.second(k);
      },
      &job);
}

}  // namespace dln
