// Observables of extreme but finite states (math §5, issue 14 class 4 and
// issue 12 item 6): every observable is computed without overflow for any
// finite state, values that exceed the largest double are refused by name
// (their ranks are still answered), and the default tolerance of the
// numerical ranks is rtol = max(rows, cols)·2^-53.
#include <cfloat>
#include <cmath>
#include <string>

#include "checkpoint_tools.hpp"
#include "support.hpp"

namespace {

ModelPtr diagonal_model(int64_t depth, int64_t width, const std::vector<double> &diagonal) {
  std::vector<int64_t> widths(size_t(depth + 1), width);
  ModelPtr m = make_model(widths, 1);
  for (int64_t l = 1; l <= depth; ++l) {
    std::vector<double> w(size_t(width * width), 0.0);
    for (int64_t i = 0; i < width; ++i) w[size_t(i * width + i)] = diagonal[size_t(i)];
    REQUIRE_OK(dln_set_weights(m.get(), l, w.data()));
  }
  return m;
}

// Σ w² over every weight the handle reports, in long double (range to 1e4932):
// the independent value of ‖θ‖².
long double norm2_of(const dln_model *m) {
  long double s = 0.0L;
  for (const auto &w : all_weights(m))
    for (double x : w) s += (long double)x * x;
  return s;
}

// rich_model() whose layer 2 (3 × 3) is stored as W = scale·V with V = W/scale,
// the same weights up to rounding: a checkpoint with valid CRCs, loaded.
ModelPtr with_scale(double scale) {
  ModelPtr m = ckt::rich_model();
  ckt::Bytes b = ckt::snapshot(m.get());
  const ckt::Section layer = ckt::find(b, "LAYR", 1);
  double bound = 0.0;
  for (size_t k = 0; k < 9; ++k) {
    const uint64_t bits = ckt::get64(b, layer.body + 40 + 8 * k);
    double v;
    std::memcpy(&v, &bits, 8);
    v /= scale;
    bound = std::max(bound, std::fabs(v));
    ckt::put_f64(b, layer.body + 40 + 8 * k, v);
  }
  ckt::put_f64(b, layer.body + 24, scale);
  ckt::put_f64(b, layer.body + 32, bound);
  ckt::fix_crcs(b);
  return ckt::load(b);
}

double rank_of(const std::vector<double> &s, int measure, double atol = 0.0, double rtol = 0.0) {
  double r = -1;
  REQUIRE_OK(dln_rank_of_spectrum(s.data(), int64_t(s.size()), measure, atol, rtol, &r));
  return r;
}

// Depth 1, W = [1 1e200; 1e200 1] (‖θ‖² = 2e400, beyond the largest double)
// fitting its diagonal observations y = 1 exactly, ridge `lambda`.
ModelPtr huge_norm_model(double lambda) {
  ModelPtr m = make_model({2, 2}, 1);
  const double w[4] = {1.0, 1e200, 1e200, 1.0};
  REQUIRE_OK(dln_set_weights(m.get(), 1, w));
  const int64_t rows[2] = {0, 1}, cols[2] = {0, 1};
  const double y[2] = {1.0, 1.0};
  REQUIRE_OK(dln_set_observations(m.get(), 2, rows, cols, y));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, lambda));
  return m;
}

}  // namespace

TEST_CASE("the effective and stable ranks of {1e308, 1e308} are 2, not NaN") {
  CHECK(rank_of({1e308, 1e308}, DLN_RANK_EFFECTIVE) == doctest::Approx(2.0).epsilon(1e-14));
  CHECK(rank_of({1e308, 1e308}, DLN_RANK_STABLE) == 2.0);
  CHECK(rank_of({1e308, 1e308}, DLN_RANK_NUMERICAL) == 2.0);
  CHECK(rank_of({DBL_MAX, DBL_MAX, DBL_MAX, 0.0}, DLN_RANK_EFFECTIVE) == doctest::Approx(3.0).epsilon(1e-14));
  // Scale-free: the same as the spectrum divided by 1e308.
  CHECK(rank_of({1.7e308, 0.5e308, 1e300}, DLN_RANK_EFFECTIVE) ==
        doctest::Approx(rank_of({1.7, 0.5, 1e-8}, DLN_RANK_EFFECTIVE)).epsilon(1e-14));
}

TEST_CASE("dln_init_balanced of a matrix of 1.5e308 entries factorises it (not all-zero weights)") {
  // A0 = 1.5e308 · [1 1; 1 1; 1 1] (3 × 2): rank 1, σ_1 = 1.5e308·√6 > DBL_MAX.
  ModelPtr m = make_model({2, 3, 3}, 1);
  const double a0[6] = {1.5e308, 1.5e308, 1.5e308, 1.5e308, 1.5e308, 1.5e308};
  REQUIRE_OK(dln_init_balanced(m.get(), a0));
  const auto w1 = weights_of(m.get(), 1), w2 = weights_of(m.get(), 2);  // 3 × 2, 3 × 3
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 2; ++j) {
      double a = 0;
      for (int64_t k = 0; k < 3; ++k) a += w2[size_t(i * 3 + k)] * w1[size_t(k * 2 + j)];
      CHECK(a == doctest::Approx(1.5e308).epsilon(1e-12));
    }
  // Balanced: both layers have the singular value σ_1^(1/2) = √1.5e308 · 6^(1/4).
  double s[3];
  int64_t n = 0;
  REQUIRE_OK(dln_layer_singular_values(m.get(), 1, s, 3, &n));
  CHECK(s[0] == doctest::Approx(std::sqrt(1.5e308) * std::pow(6.0, 0.25)).epsilon(1e-12));
  REQUIRE_OK(dln_layer_singular_values(m.get(), 2, s, 3, &n));
  CHECK(s[0] == doctest::Approx(std::sqrt(1.5e308) * std::pow(6.0, 0.25)).epsilon(1e-12));
  int64_t rank = 0;
  REQUIRE_OK(dln_query_rank(m.get(), 0.0, &rank));
  CHECK(rank == 1);
}

TEST_CASE("dln_init_balanced of tiny entries (1e-300) factorises them too") {
  ModelPtr m = make_model({2, 2, 2, 2}, 1);
  const double a0[4] = {3e-300, 0, 0, 1e-300};
  REQUIRE_OK(dln_init_balanced(m.get(), a0));
  double s[2];
  int64_t n = 0;
  REQUIRE_OK(dln_layer_singular_values(m.get(), 2, s, 2, &n));
  CHECK(s[0] == doctest::Approx(std::cbrt(3e-300)).epsilon(1e-12));
  CHECK(s[1] == doctest::Approx(std::cbrt(1e-300)).epsilon(1e-12));
}

TEST_CASE("singular values of weights near 1.7e308: exact where they fit, refused by name where they do not") {
  // W_1 = 1.7e308·[1 1; 1 1] has σ = {3.4e308 (too large), 0}; W_2 = 1e-300·I, W_3 = I:
  // A = 1.7e8·[1 1; 1 1], σ(A) = {3.4e8, 0}, whose factored form overflowed in the QR of W_1^T.
  ModelPtr m = make_model({2, 2, 2, 2}, 1);
  const double w1[4] = {1.7e308, 1.7e308, 1.7e308, 1.7e308}, w2[4] = {1e-300, 0, 0, 1e-300}, w3[4] = {1, 0, 0, 1};
  REQUIRE_OK(dln_set_weights(m.get(), 1, w1));
  REQUIRE_OK(dln_set_weights(m.get(), 2, w2));
  REQUIRE_OK(dln_set_weights(m.get(), 3, w3));
  double s[2] = {-1, -1};
  int64_t n = 0;
  REQUIRE_OK(dln_singular_values(m.get(), s, 2, &n));
  CHECK(s[0] == doctest::Approx(3.4e8).epsilon(1e-14));
  CHECK(s[1] <= 1e-15 * s[0]);  // 0 up to rounding
  CHECK(dln_layer_singular_values(m.get(), 1, s, 2, &n) == DLN_ERR_OUT_OF_RANGE);
  CHECK(std::string(dln_last_error(m.get())).find("singular values of W_layer exceed the largest double") !=
        std::string::npos);
  double r = 0;
  REQUIRE_OK(dln_rank(m.get(), 1, DLN_RANK_NUMERICAL, 0.0, 0.0, &r));
  CHECK(r == 1.0);
  REQUIRE_OK(dln_rank(m.get(), 1, DLN_RANK_STABLE, 0.0, 0.0, &r));
  CHECK(r == 1.0);
}

TEST_CASE("the singular values of A_theta beyond the largest double are refused; its ranks are answered") {
  ModelPtr m = diagonal_model(3, 2, {1.7e308, 1e308});  // σ(A) = {1.7e308^3, 1e308^3}
  double s[2];
  int64_t n = 0;
  CHECK(dln_singular_values(m.get(), s, 2, &n) == DLN_ERR_OUT_OF_RANGE);
  CHECK(std::string(dln_last_error(m.get())).find("dln_singular_values: the singular values of A exceed") == 0);
  int64_t rank = 0;
  REQUIRE_OK(dln_query_rank(m.get(), 0.0, &rank));
  CHECK(rank == 2);
  double r = 0;
  REQUIRE_OK(dln_rank(m.get(), 0, DLN_RANK_STABLE, 0.0, 0.0, &r));
  CHECK(r == doctest::Approx(1.0 + std::pow(1e308 / 1.7e308, 6)).epsilon(1e-13));
  REQUIRE_OK(dln_rank(m.get(), 0, DLN_RANK_NUMERICAL, 1e300, 0.0, &r));  // atol compared with σ itself
  CHECK(r == 2.0);
  CHECK(dln_representation_cost(m.get(), &r) == DLN_ERR_OUT_OF_RANGE);  // 3·Σσ^(2/3) ≈ 8.7e616
  // σ(A) = {1e450, 1e300}: not representable, but L·Σσ^(2/L) = 3·(1e300 + 1e200) is.
  ModelPtr cost = diagonal_model(3, 2, {1e150, 1e100});
  CHECK(dln_singular_values(cost.get(), s, 2, &n) == DLN_ERR_OUT_OF_RANGE);
  REQUIRE_OK(dln_representation_cost(cost.get(), &r));
  CHECK(r == doctest::Approx(3e300).epsilon(1e-12));
}

TEST_CASE("bottleneck singular values and ranks of weights near 1.7e308") {
  ModelPtr m = diagonal_model(3, 2, {1.7e308, 1e-10});
  int64_t ranks[2] = {-1, -1};
  REQUIRE_OK(dln_bottleneck_ranks(m.get(), 0.0, 0.0, ranks, 2));
  CHECK(ranks[0] == 1);  // 1e-10 / 1.7e308 is far below every tolerance
  CHECK(ranks[1] == 1);
  REQUIRE_OK(dln_bottleneck_ranks(m.get(), 1e-20, 0.0, ranks, 2));  // an atol below 1e-10: both modes
  CHECK(ranks[0] == 2);
  double s[2];
  int64_t n = 0;
  CHECK(dln_bottleneck_singular_values(m.get(), 1, s, 2, &n) == DLN_ERR_OUT_OF_RANGE);  // 1.7e308·√2
  ModelPtr fits = diagonal_model(3, 2, {1.2e308, 3.0});
  REQUIRE_OK(dln_bottleneck_singular_values(fits.get(), 1, s, 2, &n));
  CHECK(s[0] == doctest::Approx(1.2e308 * std::sqrt(2.0)).epsilon(1e-14));
  CHECK(s[1] == doctest::Approx(3.0 * std::sqrt(2.0)).epsilon(1e-14));
  int64_t absorbed = -1;
  REQUIRE_OK(dln_query_absorbed_rank(fits.get(), &absorbed));
  CHECK(absorbed == 2);
}

TEST_CASE("balancedness of weights whose Gram matrices overflow but whose residual fits") {
  // W_1 = [b 0; 0 0], W_2 = [a 0; a 0]: W_2^T W_2 − W_1 W_1^T = diag(2a² − b², 0).
  const double a = 1.2e154, b = 1.6e154;
  ModelPtr m = make_model({2, 2, 2}, 1);
  const double w1[4] = {b, 0, 0, 0}, w2[4] = {a, 0, a, 0};
  REQUIRE_OK(dln_set_weights(m.get(), 1, w1));
  REQUIRE_OK(dln_set_weights(m.get(), 2, w2));
  double residual = 0;
  REQUIRE_OK(dln_balancedness(m.get(), &residual));
  CHECK(residual == doctest::Approx((2 * 1.44 - 2.56) * 1e308).epsilon(1e-12));
  ModelPtr balanced = diagonal_model(3, 2, {1.7e308, 1e308});
  REQUIRE_OK(dln_balancedness(balanced.get(), &residual));
  CHECK(residual == 0.0);
  ModelPtr huge = make_model({2, 2, 2}, 1);
  const double h1[4] = {1.7e308, 0, 0, 0}, h2[4] = {1e308, 0, 0, 0};
  REQUIRE_OK(dln_set_weights(huge.get(), 1, h1));
  REQUIRE_OK(dln_set_weights(huge.get(), 2, h2));
  CHECK(dln_balancedness(huge.get(), &residual) == DLN_ERR_OUT_OF_RANGE);
  CHECK(std::string(dln_last_error(huge.get())).find("balancedness residual exceeds the largest double") !=
        std::string::npos);
}

TEST_CASE("column and row norms of weights near 1.7e308 do not overflow when they fit") {
  ModelPtr m = make_model({2, 2}, 1);
  const double w[4] = {1e200, 3e200, 1e-300, 4e200};  // columns (1e200, 1e-300), (3e200, 4e200)
  REQUIRE_OK(dln_set_weights(m.get(), 1, w));
  double norms[2];
  REQUIRE_OK(dln_output_column_norms(m.get(), norms, 2));
  CHECK(norms[0] == doctest::Approx(1e200).epsilon(1e-15));
  CHECK(norms[1] == doctest::Approx(5e200).epsilon(1e-15));
  REQUIRE_OK(dln_input_row_norms(m.get(), norms, 2));
  CHECK(norms[0] == doctest::Approx(std::sqrt(10.0) * 1e200).epsilon(1e-15));
  CHECK(norms[1] == doctest::Approx(4e200).epsilon(1e-15));
}

TEST_CASE("default tolerance: modes at 1e-45 are not counted by query_rank(0), dln_rank or bottleneck_ranks") {
  // W_ℓ = diag(1, 1, 1e-45): bottlenecks have a mode at 1e-45, A one at 1e-135.
  ModelPtr m = diagonal_model(3, 3, {1.0, 1.0, 1e-45});
  int64_t rank = -1, ranks[2] = {-1, -1};
  REQUIRE_OK(dln_query_rank(m.get(), 0.0, &rank));
  CHECK(rank == 2);
  REQUIRE_OK(dln_bottleneck_ranks(m.get(), 0.0, 0.0, ranks, 2));
  CHECK(ranks[0] == 2);
  CHECK(ranks[1] == 2);
  double r = -1;
  REQUIRE_OK(dln_rank(m.get(), 0, DLN_RANK_NUMERICAL, 0.0, 0.0, &r));
  CHECK(r == 2.0);
  for (int64_t l = 1; l <= 3; ++l) {
    REQUIRE_OK(dln_rank(m.get(), l, DLN_RANK_NUMERICAL, 0.0, 0.0, &r));
    CHECK(r == 2.0);
  }
  // A tolerance the caller gives is used as given: tiny ones count the mode.
  REQUIRE_OK(dln_bottleneck_ranks(m.get(), 1e-60, 0.0, ranks, 2));
  CHECK(ranks[0] == 3);
  REQUIRE_OK(dln_bottleneck_ranks(m.get(), 0.0, 1e-50, ranks, 2));
  CHECK(ranks[0] == 3);
  REQUIRE_OK(dln_query_rank(m.get(), 1e-200, &rank));
  CHECK(rank == 3);
}

TEST_CASE("default tolerance: rtol = max(rows, cols)·2^-53 of the matrix, count·2^-53 for a bare spectrum") {
  const double u = 0x1p-53;
  // A bare spectrum of 4 values: rtol = 4u.
  CHECK(rank_of({1.0, 4.5 * u, 0.0, 0.0}, DLN_RANK_NUMERICAL) == 2.0);
  CHECK(rank_of({1.0, 3.5 * u, 0.0, 0.0}, DLN_RANK_NUMERICAL) == 1.0);
  CHECK(rank_of({1.0, 3.5 * u, 0.0, 0.0}, DLN_RANK_NUMERICAL, 1e-30, 0.0) == 2.0);  // atol given: no default
  // A 3 × 40 layer (depth 1): rtol = 40u, not 3u.
  ModelPtr m = make_model({40, 3}, 1);
  std::vector<double> w(120, 0.0);
  w[0] = 1.0, w[41] = 30 * u, w[82] = 50 * u;
  REQUIRE_OK(dln_set_weights(m.get(), 1, w.data()));
  double r = 0;
  REQUIRE_OK(dln_rank(m.get(), 1, DLN_RANK_NUMERICAL, 0.0, 0.0, &r));
  CHECK(r == 2.0);
  int64_t rank = 0;
  REQUIRE_OK(dln_query_rank(m.get(), 0.0, &rank));
  CHECK(rank == 2);
}

TEST_CASE("the norm and the ridge term of weights stored as 1e200 x 1e-200 (or the reverse) are those of the weights") {
  // ‖s·V‖² formed as s²·Σv² overflowed (s = 1e200) or gave 0·inf = NaN (s = 1e-200).
  for (double scale : {1e200, 1e-200, 0x1p1000}) {
    CAPTURE(scale);
    ModelPtr m = with_scale(scale);
    const long double expected = norm2_of(m.get());
    double norm2 = -1, cost = -1, ridge = -1, lambda = 0;
    int64_t t = 0;
    REQUIRE_OK(dln_weight_norm2(m.get(), &norm2));
    CHECK(norm2 == doctest::Approx(double(expected)).epsilon(1e-14));
    REQUIRE_OK(dln_loss(m.get(), &cost, &ridge));
    REQUIRE_OK(dln_get_step_count(m.get(), &t));
    REQUIRE_OK(dln_schedule_value(m.get(), DLN_PARAM_RIDGE, t, &lambda));  // λ_t
    CHECK(ridge == doctest::Approx(double(lambda * expected)).epsilon(1e-14));
    CHECK(std::isfinite(cost));
  }
}

TEST_CASE("a ridge term that fits is answered when the norm it scales does not") {
  // W = [1 1e200; 1e200 1]: ‖θ‖² = 2e400, λ = 1e-100 gives λ‖θ‖² = 2e300.
  ModelPtr m = huge_norm_model(1e-100);
  double cost = -1, ridge = -1;
  REQUIRE_OK(dln_loss(m.get(), &cost, &ridge));
  CHECK(cost == 0.0);
  CHECK(ridge == doctest::Approx(double(1e-100L * norm2_of(m.get()))).epsilon(1e-14));
}

TEST_CASE("a norm beyond the largest double is refused with DLN_ERR_OUT_OF_RANGE, not +inf with DLN_OK") {
  ModelPtr m = huge_norm_model(0.01);
  const ckt::Bytes before = ckt::snapshot(m.get());
  double norm2 = -1, cost = -1, ridge = -1;
  CHECK(dln_weight_norm2(m.get(), &norm2) == DLN_ERR_OUT_OF_RANGE);
  CHECK(norm2 == -1);
  // log2(2e400) = 1329.77
  CHECK(std::string(dln_last_error(m.get())) == "dln_weight_norm2: norm2 |theta|^2 = 2^1329.77 exceeds the largest double");
  CHECK(dln_loss(m.get(), &cost, &ridge) == DLN_ERR_OUT_OF_RANGE);  // λ‖θ‖² = 2e398
  CHECK(cost == -1);
  CHECK(ridge == -1);
  CHECK(std::string(dln_last_error(m.get())).find("dln_loss: ridge_term lambda_t*|theta|^2 = 2^") == 0);
  CHECK(ckt::snapshot(m.get()) == before);
}

TEST_CASE("the data cost of residuals whose squares overflow is exact where it fits") {
  // Residuals {1.5e154, 0}: r² = 2.25e308 overflows, C = r²/2 = 1.125e308 does not.
  ModelPtr m = make_model({2, 2}, 1);
  const double w[4] = {1.5e154, 0.0, 0.0, 0.0};
  REQUIRE_OK(dln_set_weights(m.get(), 1, w));
  const int64_t rows[2] = {0, 1}, cols[2] = {0, 1};
  const double y[2] = {0.0, 0.0};
  REQUIRE_OK(dln_set_observations(m.get(), 2, rows, cols, y));
  double cost = -1, ridge = -1;
  REQUIRE_OK(dln_loss(m.get(), &cost, &ridge));
  CHECK(cost == doctest::Approx(double(1.5e154L * 1.5e154L / 2)).epsilon(1e-14));
}

TEST_CASE("a data cost beyond the largest double is refused with DLN_ERR_OUT_OF_RANGE, not +inf with DLN_OK") {
  const int64_t rows[2] = {0, 1}, cols[2] = {0, 1};
  const double y[2] = {0.0, 0.0};
  // Residuals of 1e200: C = 5e399.
  ModelPtr m = make_model({2, 2}, 1);
  const double w[4] = {1e200, 0.0, 0.0, 0.0};
  REQUIRE_OK(dln_set_weights(m.get(), 1, w));
  REQUIRE_OK(dln_set_observations(m.get(), 2, rows, cols, y));
  double cost = -1, ridge = -1;
  CHECK(dln_loss(m.get(), &cost, &ridge) == DLN_ERR_OUT_OF_RANGE);
  CHECK(cost == -1);
  CHECK(std::string(dln_last_error(m.get())).find("dln_loss: data_cost C(A_theta) = 2^1327.") == 0);
  // A_θ[0,0] = 1e200 · 1e200 is itself beyond the largest double.
  ModelPtr deep = diagonal_model(2, 2, {1e200, 1.0});
  REQUIRE_OK(dln_set_observations(deep.get(), 2, rows, cols, y));
  CHECK(dln_loss(deep.get(), &cost, &ridge) == DLN_ERR_OUT_OF_RANGE);
  CHECK(cost == -1);
  CHECK(std::string(dln_last_error(deep.get())) ==
        "dln_loss: data_cost C(A_theta) exceeds the largest double: an entry of A_theta at an observation does");
}
