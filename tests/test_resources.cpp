// Resource limits (issue 5, docs/reliability.md): sizes whose products
// overflow int64_t or exceed any memory answer a clean status before
// allocating; an allocation that fails answers DLN_ERR_NOMEM and leaves the
// handle as it was. The allocation-failure cases run in a child process
// whose address space is limited with setrlimit(RLIMIT_AS); they are skipped
// in sanitizer builds (ASan and TSan reserve terabytes of shadow memory and
// die instead of failing an allocation), detected by the compiler's own
// __SANITIZE_ADDRESS__ / __SANITIZE_THREAD__ / __has_feature definitions.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "checkpoint_tools.hpp"

using namespace ckt;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DLN_TESTS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define DLN_TESTS_SANITIZED 1
#endif
#endif

namespace {

int create_status(std::vector<int64_t> widths, std::string *message = nullptr) {
  dln_model *m = nullptr;
  int status = dln_create(int64_t(widths.size()) - 1, widths.data(), 1, &m);
  if (message) *message = dln_last_error(nullptr);
  dln_destroy(m);
  return status;
}

// Virtual memory of this process in bytes (VmSize of /proc/self/status).
uint64_t virtual_size() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmSize:") {
      uint64_t kb = 0;
      in >> kb;
      return kb * 1024;
    }
    std::string rest;
    std::getline(in, rest);
  }
  return 0;
}

constexpr int64_t T40 = int64_t(1) << 40;

}  // namespace

TEST_CASE("sizes whose products overflow or pass 2^58 entries are refused before allocating") {
  CHECK(create_status({T40, T40}) == DLN_ERR_NOMEM);                            // 2^80 overflows int64_t
  CHECK(create_status({int64_t(1) << 30, int64_t(1) << 29}) == DLN_ERR_NOMEM);  // 2^59 entries
  CHECK(create_status({T40 + 1, 1}) == DLN_ERR_INVALID_ARGUMENT);               // a width above 2^40
  CHECK(create_status({INT64_MAX, INT64_MAX}) == DLN_ERR_INVALID_ARGUMENT);
  // 1024 layers of 2^50 entries: each fits, their sum does not.
  std::vector<int64_t> many(1025, int64_t(1) << 25);
  CHECK(create_status(many) == DLN_ERR_NOMEM);
  // A batch size whose workspace (widest width × b) passes every memory
  // answers DLN_ERR_NOMEM from dln_step and changes nothing.
  ModelPtr m = rich_model();
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(T40)));
  Bytes before = snapshot(m.get());
#ifndef DLN_TESTS_SANITIZED
  CHECK(dln_step(m.get(), 1) == DLN_ERR_NOMEM);
  CHECK(snapshot(m.get()) == before);
  CHECK(std::string(dln_last_error(m.get())).rfind("dln_step:", 0) == 0);
  // The handle still works.
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, 2));
  REQUIRE_OK(dln_step(m.get(), 3));
  // Sizes that pass the checks but no machine has: 2 × 2^40 doubles.
  CHECK(create_status({T40, 1, T40}) == DLN_ERR_NOMEM);
#else
  MESSAGE("allocation-failure checks skipped: sanitizers abort on a failed allocation");
#endif
}

// Runs in a child process with a limited address space (see below).
TEST_CASE("[child] under RLIMIT_AS, failed allocations answer DLN_ERR_NOMEM and keep the state") {
  if (!std::getenv("DLN_RLIMIT_CHILD")) return;  // only meaningful in the child
  // Build the handles and a 72 MB checkpoint first, then limit the address
  // space to what is mapped now plus 48 MiB.
  ModelPtr m = rich_model();
  dln_model *large = nullptr;
  const int64_t w[3] = {3000, 3000, 4};  // 9M doubles = 72 MB
  REQUIRE_OK(dln_create(2, w, 1, &large));
  ModelPtr large_owner(large);
  Bytes large_state = snapshot(large);
  rlimit limit{virtual_size() + (uint64_t(48) << 20), RLIM_INFINITY};
  REQUIRE(setrlimit(RLIMIT_AS, &limit) == 0);

  // dln_create: the layers do not fit (the size checks pass).
  CHECK(create_status({6000, 6000}) == DLN_ERR_NOMEM);
  CHECK(create_status({16, 6000, 6000, 16}) == DLN_ERR_NOMEM);
  // dln_step: a batch whose workspace does not fit; nothing changes.
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_WITH_REPLACEMENT));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(int64_t(1) << 26)));
  Bytes before = snapshot(m.get());
  CHECK(dln_step(m.get(), 1) == DLN_ERR_NOMEM);
  CHECK(std::string(dln_last_error(m.get())).rfind("dln_step:", 0) == 0);
  CHECK(snapshot(m.get()) == before);
  // dln_clone and dln_load_buffer of a model that does not fit twice.
  dln_model *copy = nullptr;
  CHECK(dln_clone(large, &copy) == DLN_ERR_NOMEM);
  CHECK(copy == nullptr);
  CHECK(dln_load_buffer(large_state.data(), int64_t(large_state.size()), &copy) == DLN_ERR_NOMEM);
  CHECK(copy == nullptr);
  // The handles still work.
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, 2));
  REQUIRE_OK(dln_step(m.get(), 5));
  double cost = 0, ridge = 0;
  REQUIRE_OK(dln_loss(m.get(), &cost, &ridge));
  CHECK(std::isfinite(cost));
}

TEST_CASE("allocation failure under setrlimit(RLIMIT_AS), in a child process") {
#ifdef DLN_TESTS_SANITIZED
  MESSAGE("skipped in a sanitizer build: ASan/TSan cannot run under a small RLIMIT_AS");
#else
  // The child is this test binary again (a fresh process: no OpenMP state
  // inherited through fork), running only the [child] case above.
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    setenv("DLN_RLIMIT_CHILD", "1", 1);
    execl("/proc/self/exe", "dln_tests", "--test-case=[child]*", "--no-version", "--minimal", nullptr);
    _exit(127);
  }
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  INFO("child status ", status);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
#endif
}
