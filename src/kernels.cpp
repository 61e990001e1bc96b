#include "kernels.hpp"

#include <cmath>

namespace dln {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define DLN_MULTIVERSION __attribute__((target_clones("avx512f", "avx2,fma", "default")))
#else
#define DLN_MULTIVERSION
#endif

DLN_MULTIVERSION
void transposed_product_and_rank_one_update(int64_t rows, int64_t cols, double *__restrict V, double s,
                                            const double *__restrict x, double alpha,
                                            const double *__restrict y, double *__restrict out) {
  for (int64_t q = 0; q < cols; ++q) out[q] = 0.0;
  for (int64_t p = 0; p < rows; ++p) {
    double *__restrict row = V + p * cols;
    const double xp = x[p], ap = alpha * x[p];
    for (int64_t q = 0; q < cols; ++q) {
      const double v = row[q];
      out[q] += xp * v;
      row[q] = v + ap * y[q];
    }
  }
  for (int64_t q = 0; q < cols; ++q) out[q] *= s;
}

double max_magnitude(const double *x, int64_t n) {
  double m = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    double a = std::fabs(x[i]);
    if (!(a <= m)) m = a;  // also takes NaN, which then sticks
    if (std::isnan(m)) return m;
  }
  return m;
}

}  // namespace dln
