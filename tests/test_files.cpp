// Files written by dln_save (issue 14 class 2): one atomic-write path
// (src/atomic_file.cpp, shared with the CLI). A write never replaces what is
// not a regular file of its own (FIFO, device, directory, symlink), keeps
// the permissions of the file it replaces, and a failure leaves the old
// file and no temporary behind, with strerror in the message.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "checkpoint_tools.hpp"

using namespace ckt;
namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path &p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

mode_t mode_of(const fs::path &p) {
  struct stat st;
  REQUIRE(::lstat(p.c_str(), &st) == 0);
  return st.st_mode;
}

// dln_save must refuse path with DLN_ERR_IO naming it and what it is.
void expect_refused(const dln_model *m, const fs::path &path, const std::string &kind) {
  CAPTURE(path.string());
  CHECK(dln_save(m, path.c_str()) == DLN_ERR_IO);
  const std::string msg = dln_last_error(m);
  CHECK(msg.find("'" + path.string() + "'") != std::string::npos);
  CHECK(msg.find("it is " + kind + ", not a regular file") != std::string::npos);
}

}  // namespace

TEST_CASE("dln_save onto a FIFO is refused and leaves the FIFO in place") {
  TempDir dir;
  ModelPtr m = rich_model();
  const fs::path fifo = dir.path / "pipe.dln";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  expect_refused(m.get(), fifo, "a FIFO");
  CHECK(S_ISFIFO(mode_of(fifo)));
  CHECK(dir.others({"pipe.dln"}).empty());
}

TEST_CASE("dln_save onto a character device is refused and leaves the device node in place") {
  TempDir dir;
  ModelPtr m = rich_model();
  // A node of our own (root only); otherwise /dev/null, which a non-root
  // process could not replace even if the check failed.
  fs::path device = dir.path / "null.dln";
  if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) device = "/dev/null";
  expect_refused(m.get(), device, "a character device");
  CHECK(S_ISCHR(mode_of(device)));
  CHECK(dir.others({"null.dln"}).empty());
}

TEST_CASE("dln_save onto a symbolic link is refused and leaves the link and its target unchanged") {
  TempDir dir;
  ModelPtr m = rich_model();
  const fs::path target = dir.path / "target.txt", link = dir.path / "link.dln";
  { std::ofstream(target) << "not a checkpoint\n"; }
  fs::create_symlink(target, link);
  expect_refused(m.get(), link, "a symbolic link");
  CHECK(fs::is_symlink(link));
  CHECK(slurp(target) == "not a checkpoint\n");
  // A dangling link too: nothing is created behind it.
  const fs::path dangling = dir.path / "dangling.dln";
  fs::create_symlink(dir.path / "nowhere", dangling);
  expect_refused(m.get(), dangling, "a symbolic link");
  CHECK(!fs::exists(dir.path / "nowhere"));
  CHECK(dir.others({"target.txt", "link.dln", "dangling.dln"}).empty());
}

TEST_CASE("dln_save onto a directory is refused") {
  TempDir dir;
  ModelPtr m = rich_model();
  const fs::path sub = dir.path / "sub.dln";
  fs::create_directory(sub);
  expect_refused(m.get(), sub, "a directory");
  CHECK(fs::is_directory(sub));
}

TEST_CASE("overwriting a checkpoint keeps its permissions (0600 stays 0600, 0666 past the umask)") {
  TempDir dir;
  ModelPtr m = rich_model();
  for (mode_t mode : {mode_t(0600), mode_t(0640), mode_t(0666), mode_t(0400)}) {
    CAPTURE(mode);
    const fs::path file = dir.path / ("ckpt" + std::to_string(mode) + ".dln");
    REQUIRE_OK(dln_save(m.get(), file.c_str()));
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    REQUIRE_OK(dln_step(m.get(), 1));
    REQUIRE_OK(dln_save(m.get(), file.c_str()));
    CHECK((mode_of(file) & 07777) == mode);
    ModelPtr back = load([&] {
      std::string s = slurp(file);
      return Bytes(s.begin(), s.end());
    }());
    CHECK(snapshot(back.get()) == snapshot(m.get()));
  }
  // A new file gets 0666 minus the umask, like any file the process creates.
  const mode_t mask = ::umask(022);
  const fs::path fresh = dir.path / "fresh.dln";
  REQUIRE_OK(dln_save(m.get(), fresh.c_str()));
  ::umask(mask);
  CHECK((mode_of(fresh) & 07777) == 0644);
}

TEST_CASE("a save that fails mid-file (file size limit, as a full disk) keeps the old file, leaves no temporary, and names strerror") {
  TempDir dir;
  ModelPtr m = rich_model();
  const fs::path file = dir.path / "old.dln";
  REQUIRE_OK(dln_save(m.get(), file.c_str()));
  const std::string before = slurp(file);
  REQUIRE(before.size() > 1024);
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    ::signal(SIGXFSZ, SIG_IGN);  // write() then fails with EFBIG instead of killing
    struct rlimit limit = {512, 512};
    ::setrlimit(RLIMIT_FSIZE, &limit);
    dln_model *child = nullptr;
    int status = dln_clone(m.get(), &child);
    if (status == DLN_OK) dln_step(child, 3), status = dln_save(child, file.c_str());
    std::string msg = std::to_string(status) + "|" + (child ? dln_last_error(child) : "");
    ssize_t ignored = ::write(pipefd[1], msg.data(), msg.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string reply;
  char buf[512];
  ssize_t got;
  while ((got = ::read(pipefd[0], buf, sizeof buf)) > 0) reply.append(buf, size_t(got));
  ::close(pipefd[0]);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  INFO("child: ", reply);
  CHECK(reply.rfind(std::to_string(DLN_ERR_IO) + "|dln_save: cannot write '" + file.string() + "': File too large", 0) == 0);
  CHECK(slurp(file) == before);
  CHECK(dir.others({"old.dln"}).empty());
}

TEST_CASE("dln_save into a directory that does not exist names the path and strerror, creates nothing") {
  TempDir dir;
  ModelPtr m = rich_model();
  const fs::path file = dir.path / "missing" / "x.dln";
  CHECK(dln_save(m.get(), file.c_str()) == DLN_ERR_IO);
  const std::string msg = dln_last_error(m.get());
  CHECK(msg.find("'" + file.string() + "'") != std::string::npos);
  CHECK(msg.find("No such file or directory") != std::string::npos);
  CHECK(dir.others({}).empty());
}
