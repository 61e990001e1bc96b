#include "lapack.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>

#include "errors.hpp"

extern "C" {
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork,
             int *iwork, int *info, size_t jobz_len);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
             const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
             double *work, const int *lwork, int *info);
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);
}

namespace dln {
namespace {

int as_int(int64_t x, const char *what) {
  if (x < 0 || x > INT_MAX) fail(DLN_ERR_OUT_OF_RANGE, "%s=%lld exceeds LAPACK's 32-bit sizes", what, (long long)x);
  return int(x);
}

void check_info(int info, const char *routine) {
  if (info != 0) fail(DLN_ERR_LAPACK, "%s returned info=%d", routine, info);
}

// LAPACK is handed only what it accepts without calling xerbla (which
// prints) or scaling by a NaN norm (DLASCL prints): a leading dimension of
// at least max(1, rows) and finite entries. The callers scale their input
// to max|a| <= 1 first (spectra.cpp), so a non-finite entry here is a bug,
// reported instead of printed.
void require_lapack_input(const char *routine, int rows, int cols, const double *a, int lda) {
  if (lda < std::max(1, rows))
    fail(DLN_ERR_INTERNAL, "%s: lda=%d is less than rows=%d", routine, lda, rows);
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) {
      const double x = a[size_t(j) * size_t(lda) + size_t(i)];
      if (!std::isfinite(x))
        fail(DLN_ERR_NOT_FINITE, "%s: input entry (%d, %d)=%g is not finite", routine, i, j, x);
    }
}

// Workspace query then the call: call(lwork, work) with lwork = -1 first.
void with_workspace(const std::function<void(int, double *)> &call) {
  double query = 0.0;
  call(-1, &query);
  if (!(query <= double(INT_MAX)))
    fail(DLN_ERR_NOMEM, "LAPACK asks for a workspace of %g doubles, beyond its 32-bit sizes", query);
  int lwork = std::max(1, int(query));
  std::vector<double> work(static_cast<size_t>(lwork));
  call(lwork, work.data());
}

}  // namespace

std::vector<double> singular_values_colmajor(int64_t rows, int64_t cols, double *a, int64_t lda) {
  int m = as_int(rows, "rows"), n = as_int(cols, "cols"), ld = as_int(std::max<int64_t>(1, lda), "lda");
  std::vector<double> s(static_cast<size_t>(std::min(m, n)));
  if (s.empty()) return s;
  require_lapack_input("dgesdd", m, n, a, ld);
  std::vector<int> iwork(static_cast<size_t>(8 * std::min(m, n)));
  int one = 1, info = 0;
  double dummy = 0.0;
  with_workspace([&](int lwork, double *work) {
    dgesdd_("N", &m, &n, a, &ld, s.data(), &dummy, &one, &dummy, &one, work, &lwork, iwork.data(), &info, 1);
    check_info(info, "dgesdd");
  });
  for (double &x : s) x = std::max(x, 0.0);
  return s;
}

std::vector<double> singular_values_rowmajor(int64_t rows, int64_t cols, const double *a) {
  // The row-major rows × cols matrix is the column-major cols × rows transpose: same spectrum.
  std::vector<double> copy(a, a + rows * cols);
  return singular_values_colmajor(cols, rows, copy.data(), cols);
}

std::vector<double> qr_r_factor(int64_t rows, int64_t cols, double *a, int64_t lda) {
  int m = as_int(rows, "rows"), n = as_int(cols, "cols"), ld = as_int(std::max<int64_t>(1, lda), "lda");
  std::vector<double> tau(static_cast<size_t>(std::min(m, n)));
  require_lapack_input("dgeqrf", m, n, a, ld);
  int info = 0;
  with_workspace([&](int lwork, double *work) {
    dgeqrf_(&m, &n, a, &ld, tau.data(), work, &lwork, &info);
    check_info(info, "dgeqrf");
  });
  int64_t k = std::min(rows, cols);
  std::vector<double> r(static_cast<size_t>(k * cols), 0.0);
  for (int64_t i = 0; i < k; ++i)
    for (int64_t j = i; j < cols; ++j) r[size_t(i * cols + j)] = a[j * lda + i];
  return r;
}

void qr_q_factor(int64_t rows, int64_t cols, double *a, int64_t lda) {
  int m = as_int(rows, "rows"), n = as_int(cols, "cols"), ld = as_int(std::max<int64_t>(1, lda), "lda");
  if (m < n) fail(DLN_ERR_INTERNAL, "dorgqr: rows=%d is less than cols=%d", m, n);
  std::vector<double> tau(static_cast<size_t>(n));
  require_lapack_input("dgeqrf", m, n, a, ld);
  int info = 0;
  with_workspace([&](int lwork, double *work) {
    dgeqrf_(&m, &n, a, &ld, tau.data(), work, &lwork, &info);
    check_info(info, "dgeqrf");
  });
  std::vector<double> sign(static_cast<size_t>(n));
  for (int j = 0; j < n; ++j) sign[size_t(j)] = a[j * lda + j] < 0.0 ? -1.0 : 1.0;
  with_workspace([&](int lwork, double *work) {
    dorgqr_(&m, &n, &n, a, &ld, tau.data(), work, &lwork, &info);
    check_info(info, "dorgqr");
  });
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < m; ++i) a[j * lda + i] *= sign[size_t(j)];
}

void svd_colmajor(int64_t rows, int64_t cols, double *a, int64_t lda, std::vector<double> &u,
                  std::vector<double> &s, std::vector<double> &vt) {
  int m = as_int(rows, "rows"), n = as_int(cols, "cols"), ld = as_int(std::max<int64_t>(1, lda), "lda");
  int k = std::min(m, n);
  require_lapack_input("dgesdd", m, n, a, ld);
  s.assign(size_t(k), 0.0);
  u.assign(size_t(m) * size_t(k), 0.0);
  vt.assign(size_t(k) * size_t(n), 0.0);
  std::vector<int> iwork(static_cast<size_t>(8 * k));
  int ldu = std::max(1, m), ldvt = std::max(1, k), info = 0;
  with_workspace([&](int lwork, double *work) {
    dgesdd_("S", &m, &n, a, &ld, s.data(), u.data(), &ldu, vt.data(), &ldvt, work, &lwork, iwork.data(),
            &info, 1);
    check_info(info, "dgesdd");
  });
}

std::vector<double> symmetric_eigenvalues(int64_t n64, double *a) {
  int n = as_int(n64, "n");
  std::vector<double> w(static_cast<size_t>(n));
  if (n == 0) return w;
  require_lapack_input("dsyev", n, n, a, n);
  int info = 0;
  with_workspace([&](int lwork, double *work) {
    dsyev_("N", "U", &n, a, &n, w.data(), work, &lwork, &info, 1, 1);
    check_info(info, "dsyev");
  });
  return w;
}

}  // namespace dln
