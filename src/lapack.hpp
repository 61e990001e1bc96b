// The few LAPACK routines dlnsgd calls (Fortran interface, column-major),
// wrapped to validate sizes first (LAPACK's xerbla would print) and to turn
// info != 0 into dln::Error.
#pragma once
#include <cstdint>
#include <vector>

namespace dln {

// Singular values (descending) of the column-major rows × cols matrix a
// (overwritten), leading dimension lda.
std::vector<double> singular_values_colmajor(int64_t rows, int64_t cols, double *a, int64_t lda);
// Singular values of a row-major rows × cols matrix (not modified).
std::vector<double> singular_values_rowmajor(int64_t rows, int64_t cols, const double *a);
// Thin QR of the column-major rows × cols matrix a (overwritten by LAPACK's
// compact form); returns R as a row-major min(rows, cols) × cols matrix.
std::vector<double> qr_r_factor(int64_t rows, int64_t cols, double *a, int64_t lda);
// Q of the thin QR (rows >= cols): column-major rows × cols, with the signs
// chosen so that diag(R) >= 0 (Haar measure when a is Gaussian).
void qr_q_factor(int64_t rows, int64_t cols, double *a, int64_t lda);
// Full SVD of the column-major rows × cols matrix: U (rows × k), s (k),
// VT (k × cols), all column-major, k = min(rows, cols).
void svd_colmajor(int64_t rows, int64_t cols, double *a, int64_t lda, std::vector<double> &u,
                  std::vector<double> &s, std::vector<double> &vt);
// Eigenvalues of a symmetric column-major n × n matrix (overwritten).
std::vector<double> symmetric_eigenvalues(int64_t n, double *a);

}  // namespace dln
