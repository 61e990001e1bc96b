#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace dlncli {

bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

Progress::Progress(std::string label, std::int64_t total, bool enabled)
    : label_(std::move(label)), total_(std::max<std::int64_t>(total, 1)), enabled_(enabled),
      start_(std::chrono::steady_clock::now()), last_draw_(start_) {}

Progress::~Progress() { finish(); }

void Progress::add(std::int64_t units) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(m_);
  done_ = std::min(total_, done_ + units);
  draw(false);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  std::lock_guard<std::mutex> lock(m_);
  finished_ = true;
  std::fprintf(stderr, "\r\033[K");  // erase the bar
  std::fflush(stderr);
}

void Progress::draw(bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100) && done_ < total_) return;
  last_draw_ = now;
  const int width = 30;
  double f = static_cast<double>(done_) / static_cast<double>(total_);
  int filled = static_cast<int>(f * width);
  double elapsed = std::chrono::duration<double>(now - start_).count();
  double eta = f > 0 ? elapsed * (1 - f) / f : 0;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %3d%%  %.0fs left\033[K", label_.c_str(), bar.c_str(),
               static_cast<int>(100 * f), eta);
  std::fflush(stderr);
}

}  // namespace dlncli
