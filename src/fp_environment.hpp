// The caller's floating-point environment, set aside for the length of one C
// entry point (SPEC §7: the library never traps, whatever the caller set).
//
// A caller may have unmasked traps (feenableexcept), chosen another rounding
// mode or set flush-to-zero; LAPACK, BLIS and the library's own arithmetic
// assume IEEE defaults (an overflow gives inf, which the library then checks
// for). So every entry point runs in the default environment (all traps
// masked, round to nearest, no FTZ/DAZ) and puts the caller's environment,
// its sticky flags included, back on the way out.
#pragma once
#include <cfenv>

namespace dln {

class FpEnvironmentGuard {
 public:
  FpEnvironmentGuard() noexcept {
    std::fegetenv(&saved_);
    std::fesetenv(FE_DFL_ENV);
  }
  ~FpEnvironmentGuard() { std::fesetenv(&saved_); }
  FpEnvironmentGuard(const FpEnvironmentGuard &) = delete;
  FpEnvironmentGuard &operator=(const FpEnvironmentGuard &) = delete;

 private:
  std::fenv_t saved_;
};

}  // namespace dln
