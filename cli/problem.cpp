#include "problem.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "rng.hpp"

namespace dlncli {

Problem synthetic_problem(const SyntheticSpec& s) {
  if (s.rows < 1 || s.cols < 1 || s.rank < 1)
    throw std::invalid_argument("synthetic problem: rows, cols and rank must be >= 1");
  if (!(s.fraction > 0 && s.fraction <= 1))
    throw std::invalid_argument("synthetic problem: observed fraction must be in (0, 1]");
  if (!(s.noise >= 0) || !std::isfinite(s.noise))
    throw std::invalid_argument("synthetic problem: noise must be finite and >= 0");
  Rng rng(s.seed);
  Problem p;
  p.rows = s.rows, p.cols = s.cols;
  std::vector<double> u(static_cast<std::size_t>(s.rows * s.rank)),
      v(static_cast<std::size_t>(s.rank * s.cols));
  for (auto& x : u) x = rng.normal();
  for (auto& x : v) x = rng.normal();
  // A* = U V^T / sqrt(rank): entries of unit variance whatever the rank.
  p.truth.assign(static_cast<std::size_t>(s.rows * s.cols), 0.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(s.rank));
  for (std::int64_t i = 0; i < s.rows; ++i)
    for (std::int64_t j = 0; j < s.cols; ++j) {
      double a = 0;
      for (std::int64_t k = 0; k < s.rank; ++k)
        a += u[static_cast<std::size_t>(i * s.rank + k)] * v[static_cast<std::size_t>(k * s.cols + j)];
      p.truth[static_cast<std::size_t>(i * s.cols + j)] = a * scale;
    }
  p.train.n_rows = s.rows, p.train.n_cols = s.cols;
  for (std::int64_t i = 0; i < s.rows; ++i)
    for (std::int64_t j = 0; j < s.cols; ++j) {
      double keep = rng.uniform();
      double eps = rng.normal();  // drawn for every entry: the noise does not depend on the mask
      if (keep < s.fraction) p.train.push(i, j, p.truth[static_cast<std::size_t>(i * s.cols + j)] + s.noise * eps);
    }
  if (p.train.size() == 0) throw std::invalid_argument("synthetic problem: no entry was observed");
  std::ostringstream d;
  d << "synthetic " << s.rows << "x" << s.cols << " rank-" << s.rank << " target (unit-variance entries), noise std "
    << s.noise << ", " << p.train.size() << " observed entries ("
    << static_cast<int>(std::lround(100.0 * static_cast<double>(p.train.size()) / static_cast<double>(s.rows * s.cols)))
    << "%), seed " << s.seed;
  p.description = d.str();
  return p;
}

std::pair<Observations, Observations> split_holdout(const Observations& all, double fraction,
                                                    std::uint64_t seed) {
  if (!(fraction > 0 && fraction < 1))
    throw std::invalid_argument("test fraction must be in (0, 1)");
  if (all.size() < 2) throw std::invalid_argument("need at least 2 observations to hold some out");
  std::vector<std::size_t> order(all.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  Rng rng(seed);
  for (std::size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.below(k)]);
  auto n_test = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(all.size())));
  n_test = std::clamp<std::size_t>(n_test, 1, all.size() - 1);
  std::vector<bool> is_test(all.size(), false);
  for (std::size_t k = 0; k < n_test; ++k) is_test[order[k]] = true;
  Observations train, test;
  for (auto* o : {&train, &test}) o->n_rows = all.n_rows, o->n_cols = all.n_cols;
  for (std::size_t k = 0; k < all.size(); ++k)  // file order is kept in both parts
    (is_test[k] ? test : train).push(all.rows[k], all.cols[k], all.values[k]);
  return {std::move(train), std::move(test)};
}

Problem load_problem(const DataSpec& spec) {
  if (spec.train_file.empty()) {
    if (!spec.test_file.empty() || !spec.truth_file.empty())
      throw std::invalid_argument("a test or truth file needs a training file (--data)");
    return synthetic_problem(spec.synthetic);
  }
  Problem p;
  p.train = read_observations(spec.train_file, spec.index_base);
  std::ostringstream d;
  d << spec.train_file << ": " << p.train.size() << " observations";
  if (!spec.test_file.empty()) {
    if (spec.test_fraction > 0) throw std::invalid_argument("give either a test file or a test fraction, not both");
    p.test = read_observations(spec.test_file, spec.index_base);
    d << "; held-out " << spec.test_file << ": " << p.test.size();
  } else if (spec.test_fraction > 0) {
    auto parts = split_holdout(p.train, spec.test_fraction, spec.split_seed);
    p.train = std::move(parts.first);
    p.test = std::move(parts.second);
    d << "; " << p.test.size() << " held out at random (seed " << spec.split_seed << ")";
  }
  p.rows = std::max(p.train.n_rows, p.test.n_rows);
  p.cols = std::max(p.train.n_cols, p.test.n_cols);
  if (!spec.truth_file.empty()) {
    DenseMatrix t = read_dense(spec.truth_file);
    if (t.rows < p.rows || t.cols < p.cols)
      throw std::invalid_argument(spec.truth_file + ": ground truth is " + std::to_string(t.rows) + "x" +
                                  std::to_string(t.cols) + " but the observations need at least " +
                                  std::to_string(p.rows) + "x" + std::to_string(p.cols));
    p.rows = t.rows, p.cols = t.cols;
    p.truth = std::move(t.values);
    d << "; ground truth " << spec.truth_file;
  }
  if (spec.rows > 0 || spec.cols > 0) {
    if (spec.rows < p.rows || spec.cols < p.cols || (!p.truth.empty() && (spec.rows != p.rows || spec.cols != p.cols)))
      throw std::invalid_argument("--rows/--cols " + std::to_string(spec.rows) + "x" + std::to_string(spec.cols) +
                                  " do not fit the data (" + std::to_string(p.rows) + "x" +
                                  std::to_string(p.cols) + ")");
    p.rows = spec.rows, p.cols = spec.cols;
  }
  d << "; matrix " << p.rows << "x" << p.cols;
  p.description = d.str();
  return p;
}

}  // namespace dlncli
