// The caller's floating-point environment, set aside for the length of one C
// entry point (math §7: the library never traps, whatever the caller set).
//
// A caller may have unmasked traps (feenableexcept), chosen another rounding
// mode or set flush-to-zero; LAPACK, BLIS and the library's own arithmetic
// assume IEEE defaults (an overflow gives inf, which the library then checks
// for). So every entry point runs in the default environment (all traps
// masked, round to nearest, no FTZ/DAZ) and puts the caller's environment,
// its sticky flags included, back on the way out.
//
// On x86-64 this is done on the two control registers directly (MXCSR for
// SSE, the x87 control and status words for long double): a few cycles when
// nothing needs changing, where fegetenv/fesetenv cost ~250 ns per call
// (measured). Elsewhere, <cfenv>.
#pragma once
#include <cfenv>
#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__)
#include <xmmintrin.h>
#define DLN_FP_X86_64 1
#endif

namespace dln {

#ifdef DLN_FP_X86_64

class FpEnvironmentGuard {
 public:
  static constexpr unsigned kDefaultMxcsr = 0x1f80;   // all masked, nearest, no FTZ/DAZ
  static constexpr uint16_t kDefaultX87Control = 0x037f;  // all masked, nearest, 64-bit mantissa
  static constexpr unsigned kFlags = 0x3f;            // the six exception flags (both units)

  FpEnvironmentGuard() noexcept {
    mxcsr_ = _mm_getcsr();
    if ((mxcsr_ & ~kFlags) != kDefaultMxcsr) _mm_setcsr(kDefaultMxcsr | (mxcsr_ & kFlags));
    __asm__ volatile("fnstcw %0" : "=m"(x87_control_));
    __asm__ volatile("fnstsw %0" : "=m"(x87_status_));
    if (x87_control_ != kDefaultX87Control) {
      const uint16_t masked = kDefaultX87Control;
      __asm__ volatile("fldcw %0" : : "m"(masked));
    }
  }
  ~FpEnvironmentGuard() {
    // x87 first: flags raised in here must not meet the caller's unmasked
    // traps (fldcw would make them pending), so the status word is put back
    // whole when it changed.
    uint16_t status;
    __asm__ volatile("fnstsw %0" : "=m"(status));
    if ((status & kFlags) != (x87_status_ & kFlags)) {
      X87Environment env;
      __asm__ volatile("fnstenv %0" : "=m"(env));
      env.status = uint16_t((env.status & ~kFlags) | (x87_status_ & kFlags));
      env.control = x87_control_;
      __asm__ volatile("fldenv %0" : : "m"(env));
    } else if (x87_control_ != kDefaultX87Control) {
      __asm__ volatile("fldcw %0" : : "m"(x87_control_));
    }
    _mm_setcsr(mxcsr_);  // the caller's control bits and flags, exactly
  }
  FpEnvironmentGuard(const FpEnvironmentGuard &) = delete;
  FpEnvironmentGuard &operator=(const FpEnvironmentGuard &) = delete;

 private:
  struct X87Environment {  // the 28-byte protected-mode layout of fnstenv
    uint16_t control, pad0, status, pad1, tag, pad2;
    uint32_t ip;
    uint16_t cs, opcode;
    uint32_t operand;
    uint16_t ds, pad3;
  };
  unsigned mxcsr_;
  uint16_t x87_control_, x87_status_;
};

// The SSE control bits of the thread running a step (the default mode plus
// the step's flush-to-zero, step.hpp), carried to a helper thread of
// HelperTeam::run (a helper is started once and keeps the mode it was
// started in): Adopted sets them there and puts the helper's own back on the
// way out. Only SSE arithmetic runs on helpers.
class FpControl {
 public:
  static FpControl current() noexcept { return FpControl(_mm_getcsr() & ~FpEnvironmentGuard::kFlags); }
  class Adopted {
   public:
    explicit Adopted(const FpControl &c) noexcept : own_(_mm_getcsr()) { _mm_setcsr(c.mxcsr_ | (own_ & FpEnvironmentGuard::kFlags)); }
    ~Adopted() { _mm_setcsr(own_); }
    Adopted(const Adopted &) = delete;
    Adopted &operator=(const Adopted &) = delete;

   private:
    unsigned own_;
  };

 private:
  explicit FpControl(unsigned mxcsr) : mxcsr_(mxcsr) {}
  unsigned mxcsr_;
};

#else

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

class FpControl {
 public:
  static FpControl current() noexcept {
    FpControl c;
    std::fegetenv(&c.env_);
    return c;
  }
  class Adopted {
   public:
    explicit Adopted(const FpControl &c) noexcept {
      std::fegetenv(&own_);
      std::fesetenv(&c.env_);
    }
    ~Adopted() { std::fesetenv(&own_); }
    Adopted(const Adopted &) = delete;
    Adopted &operator=(const Adopted &) = delete;

   private:
    std::fenv_t own_;
  };

 private:
  std::fenv_t env_;
};

#endif

}  // namespace dln
