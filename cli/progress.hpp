// A progress bar on stderr, drawn only when stderr is a terminal; thread-safe.
#ifndef DLN_CLI_PROGRESS_HPP
#define DLN_CLI_PROGRESS_HPP

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace dlncli {

class Progress {
 public:
  // total: units of work (steps); enabled: usually stderr_is_terminal().
  Progress(std::string label, std::int64_t total, bool enabled);
  ~Progress();
  void add(std::int64_t units);  // thread-safe
  void finish();
  bool enabled() const { return enabled_; }

 private:
  void draw(bool force);
  std::string label_;
  std::int64_t total_, done_ = 0;
  bool enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::mutex m_;
};

bool stderr_is_terminal();

}  // namespace dlncli

#endif
