// Fuzzer: the CLI's no-output-is-an-input check (cli/output_files.hpp,
// issue 14 class 1) on random file trees. Each input builds, in a fresh
// directory, up to 6 entries (regular files, hard links, symlinks, FIFOs,
// directories) and then picks input and output paths from many spellings of
// them ("a", "./a", "d/../a", absolute, through a symlinked directory).
// The oracle: the inode of an existing file, realpath() of the directory
// plus the name for a file not there yet. Invariant: the check throws
// exactly when an output is an existing non-regular file or symlink, or
// resolves to the same file as an input or an earlier output.
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "output_files.hpp"

namespace {

namespace fs = std::filesystem;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

struct Bytes {
  const uint8_t *p;
  size_t n;
  uint8_t next() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
};

// Where a path points for the oracle: the inode of the file, or the
// realpath of its directory plus its name when it is not there; "" if
// unresolvable.
std::string resolve(const std::string &path, bool &exists, bool &regular) {
  struct stat st;
  exists = ::lstat(path.c_str(), &st) == 0;
  regular = exists && S_ISREG(st.st_mode);
  char buf[PATH_MAX];
  // An existing file is itself whatever its names (hard links): its inode.
  if (::stat(path.c_str(), &st) == 0 && ::realpath(path.c_str(), buf))
    return "inode " + std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
  const fs::path p(path);
  std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  if (!::realpath(dir.c_str(), buf)) return "";
  return std::string(buf) + "/" + p.filename().string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  Bytes in{data, size};
  static const std::string root = [] {
    std::string t = (fs::temp_directory_path() / "dln_fuzz_paths_XXXXXX").string();
    require(::mkdtemp(t.data()) != nullptr);
    return t;
  }();
  const std::string dir = root + "/t";
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir + "/d");
  const char *names[] = {"a", "b", "c", "d/e", "l", "m"};
  for (const char *name : names) {
    const std::string path = dir + "/" + name;
    switch (in.next() % 7) {
      case 0: break;  // absent
      case 1: case 2: std::fclose(std::fopen(path.c_str(), "w")); break;
      case 3: (void)::link((dir + "/a").c_str(), path.c_str()); break;
      case 4: (void)::symlink((dir + "/" + names[in.next() % 6]).c_str(), path.c_str()); break;
      case 5: (void)::mkfifo(path.c_str(), 0600); break;
      default: fs::create_directory(path, ec); break;
    }
  }
  (void)::symlink((dir + "/d").c_str(), (dir + "/ld").c_str());  // a symlinked directory
  auto spelling = [&](const char *name) -> std::string {
    switch (in.next() % 5) {
      case 0: return dir + "/" + name;
      case 1: return dir + "/./" + name;
      case 2: return dir + "/d/../" + name;
      case 3: return std::string(name).rfind("d/", 0) == 0 ? dir + "/ld/" + (name + 2) : dir + "//" + name;
      default: return dir + "/" + name + (in.next() % 8 == 0 ? "/" : "");
    }
  };
  std::vector<dlncli::NamedPath> inputs, outputs;
  const int n_in = in.next() % 4, n_out = 1 + in.next() % 4;
  for (int i = 0; i < n_in; ++i) inputs.push_back({"--in" + std::to_string(i), spelling(names[in.next() % 6])});
  for (int i = 0; i < n_out; ++i) outputs.push_back({"--out" + std::to_string(i), spelling(names[in.next() % 6])});

  // The oracle.
  bool expect_refusal = false;
  std::vector<std::string> seen;
  for (const auto &x : inputs) {
    bool exists, regular;
    std::string r = resolve(x.path, exists, regular);
    struct stat st;
    if (::stat(x.path.c_str(), &st) == 0 && !r.empty()) seen.push_back(r);
  }
  for (const auto &o : outputs) {
    bool exists, regular;
    std::string r = resolve(o.path, exists, regular);
    if (exists && !regular) expect_refusal = true;
    for (const auto &s : seen)
      if (!r.empty() && s == r) expect_refusal = true;
    if (!r.empty()) seen.push_back(r);
  }
  bool refused = false;
  try {
    dlncli::refuse_overlapping_paths(inputs, outputs);
  } catch (const std::invalid_argument &) {
    refused = true;
  }
  // A trailing slash on a regular file ("a/") fails to resolve in both: only
  // compare where the oracle resolved every path.
  bool all_resolved = true;
  for (const auto *list : {&inputs, &outputs})
    for (const auto &x : *list) {
      bool e, r;
      if (resolve(x.path, e, r).empty() || x.path.back() == '/') all_resolved = false;
    }
  if (all_resolved && refused != expect_refusal && std::getenv("DLN_FUZZ_VERBOSE")) {
    for (const auto &x : inputs) std::fprintf(stderr, "in  %s\n", x.path.c_str());
    for (const auto &x : outputs) std::fprintf(stderr, "out %s\n", x.path.c_str());
    std::fprintf(stderr, "refused %d expected %d\n", int(refused), int(expect_refusal));
    std::system(("ls -la " + dir + " " + dir + "/d >&2").c_str());
  }
  if (all_resolved) require(refused == expect_refusal);
  return 0;
}
