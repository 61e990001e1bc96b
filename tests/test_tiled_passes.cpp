// Products with S in tiles (math §8, issue 11): where the block of vectors a
// pass over S reads at random passes 16 MiB, the passes go over the entries
// in tiles of it, each tile adding to the sums of the one before. Targets too
// big to form A are checked against the step of math §3 taken entry by entry.
#include <cmath>

#include "checkpoint_tools.hpp"
#include "dense.hpp"

using namespace ckt;

namespace {

// The step of math §3 entry by entry, without forming A (for targets too big
// to form): per entry the chains F_ℓ = W_ℓ ⋯ W_1 e_j and B_ℓ = W_{ℓ+1}ᵀ ⋯ W_Lᵀ e_i,
// r = <B_{L-1}, F_{L-1}> − y, and the gradient of W_ℓ gathers g B_ℓ F_{ℓ-1}ᵀ.
std::vector<dense::Matrix> entrywise_step(std::vector<dense::Matrix> w, const std::vector<int64_t> &n,
                                          const Problem &obs, const std::vector<int64_t> &batch, double eta,
                                          double lambda) {
  const int64_t L = int64_t(w.size());
  std::vector<dense::Matrix> grad(w.size());
  for (int64_t l = 1; l <= L; ++l) grad[size_t(l - 1)].assign(w[size_t(l - 1)].size(), 0.0);
  std::vector<std::vector<double>> F(static_cast<size_t>(L)), B(static_cast<size_t>(L) + 1);
  for (int64_t k : batch) {
    const int64_t i = obs.rows[size_t(k)], j = obs.cols[size_t(k)];
    F[1].assign(size_t(n[1]), 0.0);
    for (int64_t q = 0; q < n[1]; ++q) F[1][size_t(q)] = w[0][size_t(q * n[0] + j)];
    for (int64_t l = 2; l < L; ++l) {
      F[size_t(l)].assign(size_t(n[size_t(l)]), 0.0);
      for (int64_t q = 0; q < n[size_t(l)]; ++q)
        for (int64_t c = 0; c < n[size_t(l - 1)]; ++c)
          F[size_t(l)][size_t(q)] += w[size_t(l - 1)][size_t(q * n[size_t(l - 1)] + c)] * F[size_t(l - 1)][size_t(c)];
    }
    B[size_t(L - 1)].assign(w[size_t(L - 1)].begin() + i * n[size_t(L - 1)],
                            w[size_t(L - 1)].begin() + (i + 1) * n[size_t(L - 1)]);
    for (int64_t l = L - 1; l >= 2; --l) {
      B[size_t(l - 1)].assign(size_t(n[size_t(l - 1)]), 0.0);
      for (int64_t q = 0; q < n[size_t(l)]; ++q)
        for (int64_t c = 0; c < n[size_t(l - 1)]; ++c)
          B[size_t(l - 1)][size_t(c)] += w[size_t(l - 1)][size_t(q * n[size_t(l - 1)] + c)] * B[size_t(l)][size_t(q)];
    }
    double r = -obs.values[size_t(k)];
    for (int64_t q = 0; q < n[size_t(L - 1)]; ++q) r += B[size_t(L - 1)][size_t(q)] * F[size_t(L - 1)][size_t(q)];
    const double g = 2.0 / double(batch.size()) * r;
    for (int64_t q = 0; q < n[1]; ++q) grad[0][size_t(q * n[0] + j)] += g * B[1][size_t(q)];
    for (int64_t l = 2; l < L; ++l)
      for (int64_t q = 0; q < n[size_t(l)]; ++q)
        for (int64_t c = 0; c < n[size_t(l - 1)]; ++c)
          grad[size_t(l - 1)][size_t(q * n[size_t(l - 1)] + c)] += g * B[size_t(l)][size_t(q)] * F[size_t(l - 1)][size_t(c)];
    for (int64_t q = 0; q < n[size_t(L - 1)]; ++q)
      grad[size_t(L - 1)][size_t(i * n[size_t(L - 1)] + q)] += g * F[size_t(L - 1)][size_t(q)];
  }
  for (size_t l = 0; l < w.size(); ++l)
    for (size_t e = 0; e < w[l].size(); ++e) w[l][e] = (1.0 - 2.0 * eta * lambda) * w[l][e] - eta * grad[l][e];
  return w;
}

}  // namespace

// The passes over S read columns of W_L[I, :]ᵀ, F_{L-1} or B_ℓ at random;
// where those columns are short, each is read at least 4 times and their
// block passes 16 MiB, they go over S in tiles of the slots
// (src/formulation_rows_cols.cpp), each tile adding to the sums of the one
// before. Here 5 entries a row and column, width 64: blocks of 20 MB for the
// sparse block (both passes in 2 tiles) and of 30 MB for F_{L-1} Sᵀ of W_L's
// 3 rows over ~59 600 columns (rows/columns, 2 tiles).
TEST_CASE("passes over S in tiles (blocks of short vectors over 16 MiB) compute the step of math §3, bit for bit on any thread count") {
  struct Shape {
    std::vector<int64_t> widths;
    int64_t count;
    int expected;
  };
  for (const Shape &shape : {Shape{{40000, 64, 64, 40000}, 200000, DLN_FORMULATION_SPARSE_BLOCK},
                             Shape{{60000, 8, 64, 400}, 300000, DLN_FORMULATION_ROWS_COLS}}) {
    CAPTURE(shape.expected);
    const Problem obs = random_problem(shape.widths.back(), shape.widths.front(), shape.count, 41);
    std::vector<int64_t> all(size_t(shape.count));
    for (int64_t k = 0; k < shape.count; ++k) all[size_t(k)] = k;
    std::vector<dense::Matrix> expected, one_thread;
    for (int64_t threads : {1, 2}) {
      CAPTURE(threads);
      ModelPtr m = make_model(shape.widths, 5);
      REQUIRE_OK(dln_set_observations(m.get(), shape.count, obs.rows.data(), obs.cols.data(), obs.values.data()));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_THREADS, double(threads)));
      const double init = 1.0;
      REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_END_TO_END, 1, &init));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.05));
      REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
      const std::vector<dense::Matrix> before = all_weights(m.get());
      if (expected.empty()) expected = entrywise_step(before, shape.widths, obs, all, 0.05, 0.01);
      REQUIRE_OK(dln_step_batch(m.get(), shape.count, all.data()));
      int formulation = -1;
      REQUIRE_OK(dln_last_step_formulation(m.get(), &formulation));
      CHECK(formulation == shape.expected);
      const std::vector<dense::Matrix> got = all_weights(m.get());
      if (threads == 1) one_thread = got;
      CHECK(got == one_thread);  // each target of each tile done whole by one thread: the same bits
      for (size_t l = 0; l < got.size(); ++l) {  // max |error| relative to the step's own max |Δ|
        double top = 0.0, diff = 0.0;
        for (size_t e = 0; e < got[l].size(); ++e) {
          top = std::max(top, std::fabs(expected[l][e] - before[l][e]));
          diff = std::max(diff, std::fabs(got[l][e] - expected[l][e]));
        }
        CHECK(top > 0.0);
        CHECK(diff <= 1e-11 * top);
      }
    }
  }
}
