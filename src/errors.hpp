// Status handling inside the library (math §7): internal code throws
// dln::Error; every C entry point runs its body through dln::guarded, which
// turns errors and exceptions into a status plus the handle's last-error text,
// so nothing crosses the C boundary.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "dlnsgd.h"
#include "fp_environment.hpp"

namespace dln {

struct Error {
  int status;
  std::string message;
};

[[noreturn]] void fail(int status, const char *format, ...) __attribute__((format(printf, 2, 3)));

inline void require_pointer(const void *p, const char *name) {
  if (!p) fail(DLN_ERR_NULL_POINTER, "%s is NULL", name);
}
// First non-finite entry of an array, or -1.
int64_t first_non_finite(const double *x, int64_t n);
void require_all_finite(const double *x, int64_t n, const char *name);
// n*m (and more factors) without int64_t overflow, or DLN_ERR_NOMEM.
int64_t checked_product(int64_t a, int64_t b, const char *what);

// Stores text in *into without throwing (an empty text if memory is short).
int keep(std::string &into, const char *text, int status) noexcept;

// Runs body(); on failure returns its status and leaves the detail in message.
template <class Body>
int run_caught(Body &&body, std::string &message) noexcept {
  try {
    body();
    return DLN_OK;
  } catch (const Error &e) {
    return keep(message, e.message.c_str(), e.status);
  } catch (const std::bad_alloc &) {
    return keep(message, "memory allocation failed", DLN_ERR_NOMEM);
  } catch (const std::length_error &) {
    return keep(message, "requested size is too large", DLN_ERR_NOMEM);
  } catch (const std::exception &e) {
    return keep(message, e.what(), DLN_ERR_INTERNAL);
  } catch (...) {
    return keep(message, "unknown exception", DLN_ERR_INTERNAL);
  }
}

// "function: detail" into the handle's last-error string (if there is a handle).
void record(const dln_model *model, const char *function, const std::string &detail) noexcept;
// "function: detail" into a caller buffer of capacity bytes, NUL-terminated, truncated.
void record(char *buffer, int64_t capacity, const char *function, const std::string &detail) noexcept;

// The body of every C entry point: returns DLN_OK or the status of what it
// threw, with the detail in the handle's last-error string. It runs in the
// default floating-point environment (fp_environment.hpp).
template <class Body>
int guarded(const dln_model *model, const char *function, Body &&body) noexcept {
  FpEnvironmentGuard environment;
  std::string detail;
  int status = run_caught(body, detail);
  if (status != DLN_OK) record(model, function, detail);
  return status;
}

// Every entry point that may change a handle's state (a non-const handle)
// first retires the results its queries cached (issue 11: queries reuse the
// factorisations of an unchanged state, and nothing stale is returned).
void invalidate_queries(dln_model *model) noexcept;

template <class Body>
int guarded(dln_model *model, const char *function, Body &&body) noexcept {
  invalidate_queries(model);
  return guarded(static_cast<const dln_model *>(model), function, body);
}

// Entry points without a handle to blame (handle-less calls, loaders).
template <class Body>
int guarded(std::nullptr_t, const char *function, Body &&body) noexcept {
  return guarded(static_cast<const dln_model *>(nullptr), function, body);
}

// The same for entry points without a handle (dln_create_ex, dln_load_ex):
// the detail goes to a caller-owned buffer, which may be NULL.
template <class Body>
int guarded_into(char *buffer, int64_t capacity, const char *function, Body &&body) noexcept {
  FpEnvironmentGuard environment;
  std::string detail;
  int status = run_caught(body, detail);
  if (status != DLN_OK) record(buffer, capacity, function, detail);
  else if (buffer && capacity > 0) buffer[0] = '\0';
  return status;
}

}  // namespace dln
