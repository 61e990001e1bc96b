#include "output_files.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "atomic_file.hpp"

namespace dlncli {
namespace {

// Temporaries of the writes in progress, for the signal handler: fixed
// slots (no allocation in the handler), each published after its path.
constexpr int kSlots = 16;
char g_temporaries[kSlots][4096];
std::atomic<int> g_in_use[kSlots];
std::mutex g_slots_mutex;

extern "C" void remove_temporaries_and_die(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (g_in_use[i].load()) ::unlink(g_temporaries[i]);  // async-signal-safe
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

int claim_slot(const std::string& temp) {
  std::lock_guard<std::mutex> lock(g_slots_mutex);
  if (temp.size() >= sizeof g_temporaries[0]) return -1;
  for (int i = 0; i < kSlots; ++i)
    if (!g_in_use[i].load()) {
      std::memcpy(g_temporaries[i], temp.c_str(), temp.size() + 1);
      g_in_use[i].store(1);
      return i;
    }
  return -1;
}

void release_slot(int i) {
  if (i >= 0) g_in_use[i].store(0);
}

// One write: the temporary is registered before it exists (the handler may
// then unlink a name not yet created, which is harmless) and released after
// the rename or the discard.
class GuardedFile {
 public:
  explicit GuardedFile(const std::string& path) {
    std::string error;
    file_.before_create = [this](const std::string& temp) {
      release_slot(slot_);
      slot_ = claim_slot(temp);
    };
    if (!file_.open(path, error)) throw std::runtime_error(error);
  }
  ~GuardedFile() {
    file_.discard();
    release_slot(slot_);
  }
  dln::AtomicFile& file() { return file_; }
  void write(const void* data, std::size_t size) {
    std::string error;
    if (!file_.write(data, size, error)) throw std::runtime_error(error);
  }
  void commit() {
    std::string error;
    if (!file_.commit(error)) throw std::runtime_error(error);
  }

 private:
  dln::AtomicFile file_;
  int slot_ = -1;
};

// What makes two paths the same file: device and inode when it exists,
// else its canonical path (two outputs not yet written).
std::string identity(const std::string& path, bool& exists) {
  struct stat st;
  exists = ::stat(path.c_str(), &st) == 0;
  if (exists) return "inode " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(std::filesystem::absolute(path, ec), ec);
  return "path " + (ec ? path : p.string());
}

}  // namespace

void refuse_overlapping_paths(const std::vector<NamedPath>& inputs, const std::vector<NamedPath>& outputs) {
  struct Seen {
    const NamedPath* named;
    std::string id;
    bool input;
  };
  std::vector<Seen> seen;
  for (const auto& in : inputs) {
    if (in.path.empty()) continue;
    bool exists = false;
    std::string id = identity(in.path, exists);
    if (exists) seen.push_back({&in, id, true});
  }
  for (const auto& out : outputs) {
    if (out.path.empty()) continue;
    std::string error;
    if (!dln::AtomicFile::check_target(out.path, error)) throw std::invalid_argument(out.option + ": " + error);
    bool exists = false;
    const std::string id = identity(out.path, exists);
    for (const Seen& s : seen)
      if (s.id == id)
        throw std::invalid_argument(out.option + " " + out.path + " is the same file as " +
                                    (s.input ? "the input " : "the output ") + s.named->option + " " +
                                    s.named->path + (s.input ? ": it would be overwritten" : "") +
                                    "; choose another output path");
    seen.push_back({&out, id, false});
  }
}

void install_interrupt_cleanup() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = remove_temporaries_and_die;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND;
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(sig, &sa, nullptr);
}

void write_text_file(const std::string& path, const std::function<void(std::ostream&)>& write) {
  std::ostringstream text;
  write(text);
  const std::string s = text.str();
  write_bytes_file(path, s.data(), s.size());
}

void write_bytes_file(const std::string& path, const void* data, std::size_t size) {
  GuardedFile f(path);
  f.write(data, size);
  f.commit();
}

void write_file_by_name(const std::string& path, const std::function<void(const std::string&)>& fill) {
  GuardedFile f(path);
  fill(f.file().temporary_path());
  f.commit();
}

}  // namespace dlncli
