// One way to write a file, for the library (dln_save) and the CLI (every
// CSV, PNG and checkpoint it writes), compiled into both (issue 14 class 2).
//
// The data goes to a temporary file in the target's directory, which is
// fsync'ed, given the permissions of the file it replaces, renamed over the
// target, and the directory fsync'ed: a reader sees the old file or the new
// one, never a half file, and a failure (or discard()) leaves the old file
// and no temporary behind. A target that exists and is not a regular file
// (a FIFO, a device, a directory, a socket) or is a symbolic link is
// refused before anything is created: a write never replaces what is not
// a file of its own. Errors are returned as text that names the path and
// carries strerror; nothing throws, nothing is global.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <sys/types.h>

namespace dln {

class AtomicFile {
 public:
  AtomicFile() = default;
  ~AtomicFile() { discard(); }
  AtomicFile(const AtomicFile &) = delete;
  AtomicFile &operator=(const AtomicFile &) = delete;

  // What open() checks first: path is absent or a regular file (not a
  // symlink). For callers that check every output before any work.
  static bool check_target(const std::string &path, std::string &error);
  // Checks the target and creates the temporary. False with error set.
  bool open(const std::string &path, std::string &error);
  // Buffered sequential writes, and a write at an offset (flushes first).
  bool write(const void *data, size_t size, std::string &error);
  bool write_at(const void *data, size_t size, uint64_t offset, std::string &error);
  // Flush, fsync, permissions, rename, directory fsync. False with error
  // set (the temporary is then removed and the target left as it was).
  bool commit(std::string &error);
  // Removes the temporary (no-op after commit or if never opened).
  void discard() noexcept;

  const std::string &temporary_path() const { return temp_; }  // "" when not open
  const std::string &path() const { return path_; }

  // Called with the temporary's name just before it is created (the CLI
  // registers it for its SIGINT cleanup, so no instant leaves it unknown).
  std::function<void(const std::string &)> before_create;

 private:
  bool flush(std::string &error);
  bool write_all(const char *p, size_t size, std::string &error);
  bool fail(const char *what, int err, std::string &error);

  std::string path_, temp_;
  int fd_ = -1;
  bool replacing_ = false;
  mode_t mode_ = 0;
  std::string buffer_;
};

// Whole contents in one call: open, write, commit.
bool write_file_atomically(const std::string &path, const void *data, size_t size, std::string &error);

}  // namespace dln
