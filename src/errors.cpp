// Status tables, last-error text and the version calls.
#include "errors.hpp"

#include <cstdarg>
#include <cstdio>

#include "model.hpp"

namespace dln {

void fail(int status, const char *format, ...) {
  char buffer[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  throw Error{status, buffer};
}

int64_t first_non_finite(const double *x, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return i;
  return -1;
}

void require_all_finite(const double *x, int64_t n, const char *name) {
  int64_t bad = first_non_finite(x, n);
  if (bad >= 0) fail(DLN_ERR_NOT_FINITE, "%s[%lld]=%g is not finite", name, (long long)bad, x[bad]);
}

int64_t checked_product(int64_t a, int64_t b, const char *what) {
  int64_t r;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &r) || r > (int64_t(1) << 58))
    fail(DLN_ERR_NOMEM, "%s: %lld x %lld elements is too large", what, (long long)a, (long long)b);
  return r;
}

int keep(std::string &into, const char *text, int status) noexcept {
  try {
    into = text;
  } catch (...) {
    into.clear();
  }
  return status;
}

void record(const dln_model *model, const char *function, const std::string &detail) noexcept {
  if (!model) return;
  try {
    model->last_error = std::string(function) + ": " + detail;
  } catch (...) {
    model->last_error.clear();  // the status still tells what happened
  }
}

void record(char *buffer, int64_t capacity, const char *function, const std::string &detail) noexcept {
  if (!buffer || capacity <= 0) return;
  std::snprintf(buffer, size_t(capacity), "%s: %s", function, detail.c_str());
}

}  // namespace dln

extern "C" {

const char *dln_status_string(int status) {
  switch (status) {
#define DLN_CASE_(name, value, text) \
  case value:                        \
    return text;
    DLN_STATUS_TABLE(DLN_CASE_)
#undef DLN_CASE_
  }
  return "unknown status";
}

const char *dln_status_name(int status) {
  switch (status) {
#define DLN_CASE_(name, value, text) \
  case value:                        \
    return #name;
    DLN_STATUS_TABLE(DLN_CASE_)
#undef DLN_CASE_
  }
  return "DLN_UNKNOWN_STATUS";
}

const char *dln_last_error(const dln_model *model) {
  if (!model) return "dln_last_error: model is NULL";
  return model->last_error.c_str();
}

int dln_version_number(void) { return DLN_VERSION_NUMBER; }

const char *dln_version_string(void) {
#define DLN_STR2_(x) #x
#define DLN_STR_(x) DLN_STR2_(x)
  return DLN_STR_(DLN_VERSION_MAJOR) "." DLN_STR_(DLN_VERSION_MINOR) "." DLN_STR_(DLN_VERSION_PATCH);
#undef DLN_STR_
#undef DLN_STR2_
}

}  // extern "C"
