#include "dense.hpp"

#include <algorithm>
#include <cmath>
#include <random>

extern "C" void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a, const int *lda,
                        double *s, double *u, const int *ldu, double *vt, const int *ldvt, double *work,
                        const int *lwork, int *info, size_t, size_t);

namespace dense {

Matrix multiply(const Matrix &a, const Matrix &b, int64_t n, int64_t k, int64_t m) {
  Matrix c(static_cast<size_t>(n * m), 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t p = 0; p < k; ++p)
      for (int64_t j = 0; j < m; ++j) c[size_t(i * m + j)] += a[size_t(i * k + p)] * b[size_t(p * m + j)];
  return c;
}

Matrix transpose(const Matrix &a, int64_t rows, int64_t cols) {
  Matrix t(a.size());
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t[size_t(j * rows + i)] = a[size_t(i * cols + j)];
  return t;
}

Matrix end_to_end(const std::vector<Matrix> &w, const std::vector<int64_t> &n) {
  Matrix a = w[0];
  for (size_t l = 1; l < w.size(); ++l) a = multiply(w[l], a, n[l + 1], n[l], n[0]);
  return a;
}

std::vector<double> singular_values(Matrix a, int64_t rows, int64_t cols) {
  // Row-major rows × cols is column-major cols × rows: same singular values.
  int m = int(cols), n = int(rows), lda = m, one = 1, info = 0, lwork = -1;
  std::vector<double> s(static_cast<size_t>(std::min(m, n)));
  double query = 0, dummy = 0;
  dgesvd_("N", "N", &m, &n, a.data(), &lda, s.data(), &dummy, &one, &dummy, &one, &query, &lwork, &info, 1, 1);
  lwork = int(query);
  std::vector<double> work(static_cast<size_t>(lwork));
  dgesvd_("N", "N", &m, &n, a.data(), &lda, s.data(), &dummy, &one, &dummy, &one, work.data(), &lwork, &info, 1, 1);
  return s;
}

Matrix random_orthogonal(int64_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Matrix q(static_cast<size_t>(n * n), 0.0);
  for (int64_t i = 0; i < n; ++i) q[size_t(i * n + i)] = 1.0;
  for (int reflection = 0; reflection < 3; ++reflection) {
    std::vector<double> v(static_cast<size_t>(n));
    double norm2 = 0;
    for (double &x : v) norm2 += (x = normal(rng)) * x;
    Matrix h(static_cast<size_t>(n * n));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) h[size_t(i * n + j)] = (i == j) - 2.0 * v[size_t(i)] * v[size_t(j)] / norm2;
    q = multiply(h, q, n, n, n);
  }
  return q;
}

}  // namespace dense
