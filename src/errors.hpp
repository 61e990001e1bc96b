// Status handling inside the library (SPEC §7): internal code throws
// dln::Error; every C entry point runs its body through dln::guarded, which
// turns errors and exceptions into a status plus the handle's last-error text,
// so nothing crosses the C boundary.
#pragma once
#include <cmath>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "dlnsgd.h"

namespace dln {

struct Error {
  int status;
  std::string message;
};

[[noreturn]] void fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));

inline void require_pointer(const void *p, const char *name) {
  if (!p) fail(DLN_ERR_NULL_POINTER, "%s is NULL", name);
}
inline void require_finite(double x, const char *name) {
  if (!std::isfinite(x)) fail(DLN_ERR_NOT_FINITE, "%s=%g is not finite", name, x);
}
// First non-finite entry of an array, or -1.
int64_t first_non_finite(const double *x, int64_t n);
void require_all_finite(const double *x, int64_t n, const char *name);
// n*m (and more factors) without int64_t overflow, or DLN_ERR_NOMEM.
int64_t checked_product(int64_t a, int64_t b, const char *what);

int report(const dln_model *model, const char *function, const Error &e);

// Runs body(); returns DLN_OK or the status of what it threw.
template <class Body>
int guarded(const dln_model *model, const char *function, Body &&body) noexcept {
  try {
    body();
    return DLN_OK;
  } catch (const Error &e) {
    return report(model, function, e);
  } catch (const std::bad_alloc &) {
    return report(model, function, Error{DLN_ERR_NOMEM, "memory allocation failed"});
  } catch (const std::length_error &) {
    return report(model, function, Error{DLN_ERR_NOMEM, "requested size is too large"});
  } catch (const std::exception &e) {
    return report(model, function, Error{DLN_ERR_INTERNAL, e.what()});
  } catch (...) {
    return report(model, function, Error{DLN_ERR_INTERNAL, "unknown exception"});
  }
}

}  // namespace dln
