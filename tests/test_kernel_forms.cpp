// The fused batch kernels of src/kernels_fused_batch.cpp have an AVX-512 form (Lanes8)
// and an AVX2 one (Lanes4), chosen by the CPU (issue 11). Both must do the same
// operations on every number in the same order: the bits of a step may not
// depend on which form ran. Also that a split of the rows or column groups
// over parts (the handle's threads) gives the same bits.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <vector>

#define DLN_KERNEL_FORMS_DECLARE(ns)                                                                          \
  namespace ns {                                                                                              \
  void products_of_columns(int64_t rows, int64_t cols, int64_t b, const double *V, double s, const double *X, \
                           double *Y, int64_t first_row, int64_t last_row);                                   \
  void transposed_products_and_rank_b_update(int64_t rows, int64_t cols, int64_t b, double *V, double s,      \
                                             const double *X, const double *alpha, const double *Y,           \
                                             double *out, int64_t c_begin, int64_t c_end);                    \
  }
DLN_KERNEL_FORMS_DECLARE(dln_narrow)
DLN_KERNEL_FORMS_DECLARE(dln_wide)

namespace {

struct Shape {
  int64_t rows, cols, b;
};
// Both sides of 32768 entries (the row-ordered chunks), row tails (mod 4),
// column tails (mod 8), b with tails mod 4, several chunks, b = 64.
const Shape kShapes[] = {{8, 8, 1},     {13, 21, 3},   {64, 64, 4},   {101, 390, 4}, {203, 190, 3},
                         {330, 101, 5}, {96, 200, 12}, {40, 700, 33}, {17, 90, 64},  {256, 256, 16},
                         {129, 300, 2}, {50, 1030, 7}};

std::vector<double> random_vector(std::mt19937_64 &rng, size_t n) {
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::vector<double> x(n);
  for (double &v : x) v = gauss(rng);
  return x;
}

// V, the columns of the products (Xc), those of the update (Xr, Y), alpha.
struct Inputs {
  std::vector<double> V, Xc, Xr, Y, alpha;
  Inputs(std::mt19937_64 &rng, const Shape &s)
      : V(random_vector(rng, size_t(s.rows * s.cols))), Xc(random_vector(rng, size_t(s.cols * s.b))),
        Xr(random_vector(rng, size_t(s.rows * s.b))), Y(random_vector(rng, size_t(s.cols * s.b))),
        alpha(random_vector(rng, size_t(s.b))) {}
};

}  // namespace

TEST_CASE("the AVX2 and AVX-512 forms of the fused batch kernels give the same bits") {
  std::mt19937_64 rng(7);
  for (const Shape &s : kShapes) {
    INFO("rows " << s.rows << ", cols " << s.cols << ", b " << s.b);
    const Inputs in(rng, s);
    const auto &V = in.V, &Xc = in.Xc, &Xr = in.Xr, &Y = in.Y, &alpha = in.alpha;
    std::vector<double> p1(size_t(s.rows * s.b)), p2(p1.size());
    dln_narrow::products_of_columns(s.rows, s.cols, s.b, V.data(), 0.7, Xc.data(), p1.data(), 0, s.rows);
    dln_wide::products_of_columns(s.rows, s.cols, s.b, V.data(), 0.7, Xc.data(), p2.data(), 0, s.rows);
    CHECK(p1 == p2);
    auto V1 = V, V2 = V;
    std::vector<double> o1(size_t(s.cols * s.b)), o2(o1.size());
    dln_narrow::transposed_products_and_rank_b_update(s.rows, s.cols, s.b, V1.data(), 0.7, Xr.data(), alpha.data(),
                                                      Y.data(), o1.data(), 0, s.cols);
    dln_wide::transposed_products_and_rank_b_update(s.rows, s.cols, s.b, V2.data(), 0.7, Xr.data(), alpha.data(),
                                                    Y.data(), o2.data(), 0, s.cols);
    CHECK(o1 == o2);
    CHECK(V1 == V2);
  }
}

TEST_CASE("the fused batch kernels over parts of the rows or column groups give the bits of one call") {
  std::mt19937_64 rng(11);
  for (const Shape &s : kShapes) {
    INFO("rows " << s.rows << ", cols " << s.cols << ", b " << s.b);
    const Inputs in(rng, s);
    const auto &V = in.V, &Xc = in.Xc, &Xr = in.Xr, &Y = in.Y, &alpha = in.alpha;
    std::vector<double> whole(size_t(s.rows * s.b)), parts(whole.size());
    dln_wide::products_of_columns(s.rows, s.cols, s.b, V.data(), 1.3, Xc.data(), whole.data(), 0, s.rows);
    const int64_t mid = s.rows / 3;
    dln_wide::products_of_columns(s.rows, s.cols, s.b, V.data(), 1.3, Xc.data(), parts.data(), 0, mid);
    dln_wide::products_of_columns(s.rows, s.cols, s.b, V.data(), 1.3, Xc.data(), parts.data(), mid, s.rows);
    CHECK(whole == parts);
    auto V1 = V, V2 = V;
    std::vector<double> o1(size_t(s.cols * s.b)), o2(o1.size());
    dln_wide::transposed_products_and_rank_b_update(s.rows, s.cols, s.b, V1.data(), 1.3, Xr.data(), alpha.data(),
                                                    Y.data(), o1.data(), 0, s.cols);
    const int64_t split = std::min<int64_t>(8 * ((s.cols + 7) / 8 / 2), s.cols);
    dln_wide::transposed_products_and_rank_b_update(s.rows, s.cols, s.b, V2.data(), 1.3, Xr.data(), alpha.data(),
                                                    Y.data(), o2.data(), 0, split);
    dln_wide::transposed_products_and_rank_b_update(s.rows, s.cols, s.b, V2.data(), 1.3, Xr.data(), alpha.data(),
                                                    Y.data(), o2.data(), split, s.cols);
    CHECK(o1 == o2);
    CHECK(V1 == V2);
  }
}
