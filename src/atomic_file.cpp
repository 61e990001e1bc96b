// AtomicFile: temporary, fsync, permissions, rename, directory fsync (see
// atomic_file.hpp). Part of the library and of the CLI.
#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>

namespace dln {
namespace {

constexpr size_t kBufferSize = size_t(1) << 16;

const char *kind_of(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

std::string directory_of(const std::string &path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// Checks what path names now: nothing (ok, not replacing), a regular file
// (ok, its mode), or anything else (refused).
bool inspect(const std::string &path, bool &exists, mode_t &mode, std::string &error) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      exists = false;
      return true;
    }
    error = "cannot write '" + path + "': " + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    error = "cannot write '" + path + "': it is " + kind_of(st.st_mode) +
            ", not a regular file, and is left as it is";
    return false;
  }
  exists = true;
  mode = st.st_mode & 07777;
  return true;
}

}  // namespace

bool AtomicFile::check_target(const std::string &path, std::string &error) {
  bool exists = false;
  mode_t mode = 0;
  return inspect(path, exists, mode, error);
}

bool AtomicFile::fail(const char *what, int err, std::string &error) {
  error = std::string(what) + " '" + path_ + "': " + std::strerror(err);
  discard();
  return false;
}

bool AtomicFile::open(const std::string &path, std::string &error) {
  discard();
  if (path.empty()) {
    error = "cannot write '': the path is empty";
    return false;
  }
  path_ = path;
  if (!inspect(path, replacing_, mode_, error)) return false;
  // A name no other writer uses (O_EXCL retries on a clash): the pid, then
  // this object, the thread and a clock stamp mixed (no global counter: the
  // library keeps no mutable global state).
  const mode_t create_mode = replacing_ ? (mode_ & 0777) : 0666;  // umask applies to a new file
  const uint64_t self = uint64_t(reinterpret_cast<uintptr_t>(this)) ^
                        uint64_t(std::hash<std::thread::id>{}(std::this_thread::get_id()));
  for (int attempt = 0; attempt < 100; ++attempt) {
    const uint64_t stamp = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    temp_ = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string((self ^ stamp) % 1000000007u) +
            "." + std::to_string(attempt);
    if (before_create) before_create(temp_);
    fd_ = ::open(temp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, create_mode);
    if (fd_ >= 0) return true;
    if (errno != EEXIST) {
      const int err = errno;
      temp_.clear();
      return fail("cannot create a temporary file next to", err, error);
    }
  }
  temp_.clear();
  return fail("cannot create a temporary file next to", EEXIST, error);
}

bool AtomicFile::write_all(const char *p, size_t size, std::string &error) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd_, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write", errno, error);
    done += size_t(n);
  }
  return true;
}

bool AtomicFile::flush(std::string &error) {
  if (!write_all(buffer_.data(), buffer_.size(), error)) return false;
  buffer_.clear();
  return true;
}

bool AtomicFile::write(const void *data, size_t size, std::string &error) {
  if (fd_ < 0) {
    error = "cannot write '" + path_ + "': the file is not open";
    return false;
  }
  const char *p = static_cast<const char *>(data);
  if (buffer_.size() + size > kBufferSize) {
    if (!flush(error)) return false;
    if (size >= kBufferSize) return write_all(p, size, error);  // large blocks go straight through
  }
  buffer_.append(p, size);
  return true;
}

bool AtomicFile::write_at(const void *data, size_t size, uint64_t offset, std::string &error) {
  if (fd_ < 0) {
    error = "cannot write '" + path_ + "': the file is not open";
    return false;
  }
  if (!flush(error)) return false;
  const char *p = static_cast<const char *>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd_, p + done, size - done, off_t(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("cannot write", errno, error);
    done += size_t(n);
  }
  return true;
}

bool AtomicFile::commit(std::string &error) {
  if (fd_ < 0) {
    error = "cannot write '" + path_ + "': the file is not open";
    return false;
  }
  if (!flush(error)) return false;
  if (::fsync(fd_) != 0) return fail("cannot write", errno, error);
  // The permissions of the file replaced, exactly (umask may have cut them at creation).
  if (replacing_ && ::fchmod(fd_, mode_) != 0) return fail("cannot set the permissions of", errno, error);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    const int err = errno;
    fd_ = -1;
    return fail("cannot write", err, error);
  }
  // What the target is may have changed since open(): check again just before.
  bool exists = false;
  mode_t mode = 0;
  if (!inspect(path_, exists, mode, error)) {
    discard();
    return false;
  }
  if (::rename(temp_.c_str(), path_.c_str()) != 0) return fail("cannot write", errno, error);
  temp_.clear();
  // Make the rename itself durable: fsync the directory (best effort; some
  // file systems do not support it, the data is already safe).
  const int dfd = ::open(directory_of(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

void AtomicFile::discard() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_.empty()) ::unlink(temp_.c_str());
  temp_.clear();
  buffer_.clear();
}

bool write_file_atomically(const std::string &path, const void *data, size_t size, std::string &error) {
  AtomicFile f;
  return f.open(path, error) && f.write(data, size, error) && f.commit(error);
}

}  // namespace dln
