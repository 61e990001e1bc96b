// Dense reference computations for the tests: straightforward loops and
// LAPACK on formed matrices, independent of the library's factored paths.
#pragma once
#include <cstdint>
#include <vector>

namespace dense {

using Matrix = std::vector<double>;  // row-major

Matrix multiply(const Matrix &a, const Matrix &b, int64_t n, int64_t k, int64_t m);  // (n×k)(k×m)
Matrix transpose(const Matrix &a, int64_t rows, int64_t cols);
// A = W_L ⋯ W_1 formed densely (n × m).
Matrix end_to_end(const std::vector<Matrix> &w, const std::vector<int64_t> &widths);
std::vector<double> singular_values(Matrix a, int64_t rows, int64_t cols);  // dgesvd, descending
// Random orthogonal n × n (product of Householder reflections).
Matrix random_orthogonal(int64_t n, uint64_t seed);

}  // namespace dense
