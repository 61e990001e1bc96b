// The vector kernels of src/kernels_fused_batch.cpp and src/kernels.cpp (the
// fused batch kernels, the products with S, max |x|) have an AVX-512 form
// (Lanes8) and an AVX2 one (Lanes4), chosen by the CPU (issue 11). Both must
// do the same operations on every number in the same order: the bits of a
// step may not depend on which form ran. Also that a split of the rows or
// column groups over parts (the handle's threads) gives the same bits.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
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
  void grouped_sums(int64_t rows, int64_t first, int64_t last, const int64_t *start, const double *g,         \
                    const double *source, const int64_t *from, double *X, bool accumulate);                  \
  void grouped_residual_sums(int64_t rows, int64_t first, int64_t last, const int64_t *start, const double *A,  \
                             const int64_t *from, const double *T, const double *y, double scale, double *r,  \
                             double *X, bool accumulate);                                                     \
  double max_magnitude(const double *x, int64_t n);                                                           \
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

// One form's two kernels.
struct Form {
  decltype(&dln_wide::products_of_columns) products;
  decltype(&dln_wide::transposed_products_and_rank_b_update) update;
};
const Form kNarrow{dln_narrow::products_of_columns, dln_narrow::transposed_products_and_rank_b_update},
    kWide{dln_wide::products_of_columns, dln_wide::transposed_products_and_rank_b_update};

// What the kernels of `form` give on `in`, each as two calls split at row
// `row_split` (products) and column `col_split` (update, a multiple of 8).
struct Results {
  std::vector<double> products, out, V;
};
Results run(const Form &form, const Shape &s, const Inputs &in, double scale, int64_t row_split, int64_t col_split) {
  Results r{std::vector<double>(size_t(s.rows * s.b)), std::vector<double>(size_t(s.cols * s.b)), in.V};
  form.products(s.rows, s.cols, s.b, in.V.data(), scale, in.Xc.data(), r.products.data(), 0, row_split);
  form.products(s.rows, s.cols, s.b, in.V.data(), scale, in.Xc.data(), r.products.data(), row_split, s.rows);
  form.update(s.rows, s.cols, s.b, r.V.data(), scale, in.Xr.data(), in.alpha.data(), in.Y.data(), r.out.data(), 0,
              col_split);
  form.update(s.rows, s.cols, s.b, r.V.data(), scale, in.Xr.data(), in.alpha.data(), in.Y.data(), r.out.data(),
              col_split, s.cols);
  return r;
}

}  // namespace

TEST_CASE("the AVX2 and AVX-512 forms of the fused batch kernels give the same bits") {
  std::mt19937_64 rng(7);
  for (const Shape &s : kShapes) {
    INFO("rows " << s.rows << ", cols " << s.cols << ", b " << s.b);
    const Inputs in(rng, s);
    const Results narrow = run(kNarrow, s, in, 0.7, s.rows, s.cols), wide = run(kWide, s, in, 0.7, s.rows, s.cols);
    CHECK(narrow.products == wide.products);
    CHECK(narrow.out == wide.out);
    CHECK(narrow.V == wide.V);
  }
}

TEST_CASE("the fused batch kernels over parts of the rows or column groups give the bits of one call") {
  std::mt19937_64 rng(11);
  for (const Shape &s : kShapes) {
    INFO("rows " << s.rows << ", cols " << s.cols << ", b " << s.b);
    const Inputs in(rng, s);
    const int64_t mid = s.rows / 3, split = std::min<int64_t>(8 * ((s.cols + 7) / 8 / 2), s.cols);
    const Results whole = run(kWide, s, in, 1.3, s.rows, s.cols), parts = run(kWide, s, in, 1.3, mid, split);
    CHECK(whole.products == parts.products);
    CHECK(whole.out == parts.out);
    CHECK(whole.V == parts.V);
  }
}

namespace {
// Entries of `targets` targets in two tiles, as a pass over S in tiles
// takes them: e = start[t] … start[t+1]-1 (0-3 of them) for target t of the
// first tile, start[targets + t] … for the second, each with a source column
// from[e] < sources.
struct TiledEntries {
  std::vector<int64_t> start{0}, from;
  TiledEntries(std::mt19937_64 &rng, int64_t targets, int64_t sources) {
    std::uniform_int_distribution<int64_t> count(0, 3), source(0, sources - 1);
    for (int64_t t = 0; t < 2 * targets; ++t) {
      const int64_t c = count(rng);
      for (int64_t e = 0; e < c; ++e) from.push_back(source(rng));
      start.push_back(int64_t(from.size()));
    }
  }
};
// The products with S by the kernel of one form, one call per tile, the second accumulating.
std::vector<double> grouped_sums_of(decltype(&dln_wide::grouped_sums) sums, int64_t rows, int64_t targets,
                                    int64_t sources, std::mt19937_64 &rng) {
  const TiledEntries S(rng, targets, sources);
  const std::vector<double> g = random_vector(rng, S.from.size()), source = random_vector(rng, size_t(rows * sources));
  std::vector<double> X(size_t(rows * targets), -1.0);
  sums(rows, 0, targets, S.start.data(), g.data(), source.data(), S.from.data(), X.data(), false);
  sums(rows, 0, targets, S.start.data() + targets, g.data(), source.data(), S.from.data(), X.data(), true);
  return X;
}
// The residuals and their sums by the kernel of one form, the same way; r then X.
std::vector<double> residual_sums_of(decltype(&dln_wide::grouped_residual_sums) sums, int64_t rows, int64_t targets,
                                     int64_t sources, std::mt19937_64 &rng) {
  const TiledEntries S(rng, targets, sources);
  const std::vector<double> A = random_vector(rng, size_t(rows * sources)), T = random_vector(rng, size_t(rows * targets)),
                            y = random_vector(rng, S.from.size());
  std::vector<double> out(S.from.size() + size_t(rows * targets), -1.0);
  double *r = out.data(), *X = out.data() + S.from.size();
  sums(rows, 0, targets, S.start.data(), A.data(), S.from.data(), T.data(), y.data(), 0.3, r, X, false);
  sums(rows, 0, targets, S.start.data() + targets, A.data(), S.from.data(), T.data(), y.data(), 0.3, r, X, true);
  return out;
}
}  // namespace

TEST_CASE("the AVX2 and AVX-512 forms of the products with S give the same bits") {
  for (const int64_t rows : {1, 7, 8, 13, 32, 40, 64, 77, 100}) {
    INFO("rows " << rows);
    std::mt19937_64 narrow_rng(rows), wide_rng(rows);
    const std::vector<double> narrow = grouped_sums_of(dln_narrow::grouped_sums, rows, 50, 30, narrow_rng),
                              wide = grouped_sums_of(dln_wide::grouped_sums, rows, 50, 30, wide_rng);
    CHECK(narrow == wide);
    CHECK(std::find(wide.begin(), wide.end(), -1.0) == wide.end());  // every target written
  }
}

TEST_CASE("the AVX2 and AVX-512 forms of the residual pass give the same bits") {
  for (const int64_t rows : {1, 7, 8, 13, 16, 24, 32, 40, 48, 56, 64, 72, 77, 100}) {  // every register shape, and not
    INFO("rows " << rows);
    std::mt19937_64 narrow_rng(rows), wide_rng(rows);
    const std::vector<double> narrow = residual_sums_of(dln_narrow::grouped_residual_sums, rows, 50, 30, narrow_rng),
                              wide = residual_sums_of(dln_wide::grouped_residual_sums, rows, 50, 30, wide_rng);
    CHECK(narrow == wide);
    CHECK(std::find(wide.begin(), wide.end(), -1.0) == wide.end());  // every residual and target written
  }
}

TEST_CASE("the AVX2 and AVX-512 forms of max |x| give the largest magnitude, and NaN for any NaN") {
  std::mt19937_64 rng(5);
  for (const int64_t n : {0, 1, 7, 8, 9, 15, 16, 17, 64, 1000, 1003}) {
    INFO("n " << n);
    std::vector<double> x = random_vector(rng, size_t(n));
    double largest = 0.0;
    for (double v : x) largest = std::max(largest, std::fabs(v));
    CHECK(dln_narrow::max_magnitude(x.data(), n) == largest);
    CHECK(dln_wide::max_magnitude(x.data(), n) == largest);
    for (int64_t at = 0; at < n; at += std::max<int64_t>(1, n / 5)) {  // a NaN in every lane and in the tail
      std::vector<double> y = x;
      y[size_t(at)] = std::nan("");
      CHECK(std::isnan(dln_narrow::max_magnitude(y.data(), n)));
      CHECK(std::isnan(dln_wide::max_magnitude(y.data(), n)));
    }
  }
}
