// What the API fuzzers share: a check that traps (libFuzzer reports it) and
// a handle's checkpoint bytes, the canonical picture of its state.
#pragma once
#include <cfenv>
#include <cstdint>
#include <vector>

#include "dlnsgd.h"

namespace fuzz {

inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

// The caller's floating-point environment the library must hand back
// (issue 14 class 3): rounding upward and FE_INVALID | FE_OVERFLOW |
// FE_DIVBYZERO trapping, so a library operation that is not guarded traps
// (libFuzzer reports the SIGFPE) and an environment not restored is caught
// by caller_environment_intact().
constexpr int kTraps = FE_INVALID | FE_OVERFLOW | FE_DIVBYZERO;
inline void enter_caller_environment() {
  std::fesetround(FE_UPWARD);
  feenableexcept(kTraps);
}
inline void leave_caller_environment() {
  fedisableexcept(kTraps);
  std::fesetround(FE_TONEAREST);
}
inline bool caller_environment_intact() { return std::fegetround() == FE_UPWARD && fegetexcept() == kTraps; }

inline std::vector<unsigned char> save(const dln_model *m) {
  int64_t size = 0;
  require(dln_save_buffer(m, nullptr, 0, &size) == DLN_OK);
  std::vector<unsigned char> b(static_cast<size_t>(size));
  require(dln_save_buffer(m, b.data(), size, &size) == DLN_OK);
  return b;
}

}  // namespace fuzz
