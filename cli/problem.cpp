#include "problem.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "rng.hpp"

namespace dlncli {

namespace {
[[noreturn]] void refuse(const std::string& option, double value, const std::string& rule) {
  std::ostringstream os;
  os << option << " " << value << " " << rule;
  throw std::invalid_argument(os.str());
}
}  // namespace

Problem synthetic_problem(const SyntheticSpec& s) {
  if (s.rows < 1) refuse("--syn-rows", double(s.rows), "must be >= 1");
  if (s.cols < 1) refuse("--syn-cols", double(s.cols), "must be >= 1");
  if (s.rank < 1) refuse("--syn-rank", double(s.rank), "must be >= 1");
  if (s.rank > std::min(s.rows, s.cols))
    refuse("--syn-rank", double(s.rank),
           "exceeds min(--syn-rows " + std::to_string(s.rows) + ", --syn-cols " + std::to_string(s.cols) +
               "): a target of that rank does not exist");
  // The target is held densely (n·m doubles, and n·rank + rank·m factors): refuse before allocating.
  constexpr std::int64_t kMaxEntries = std::int64_t{1} << 27;
  if (s.rows > kMaxEntries / s.cols)
    throw std::invalid_argument("synthetic problem: --syn-rows " + std::to_string(s.rows) + " x --syn-cols " +
                                std::to_string(s.cols) + " exceeds the 2^27 entries a synthetic target may hold");
  if (!(s.fraction > 0 && s.fraction <= 1)) refuse("--fraction", s.fraction, "must be in (0, 1]");
  if (!(s.noise >= 0) || !std::isfinite(s.noise)) refuse("--noise", s.noise, "must be finite and >= 0");
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
  if (!(fraction > 0 && fraction < 1)) refuse("--test-fraction", fraction, "must be in (0, 1)");
  if (all.size() < 2)
    throw std::invalid_argument("--test-fraction needs at least 2 observations to hold some out, the data have " +
                                std::to_string(all.size()));
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
  if (!(spec.test_fraction >= 0 && spec.test_fraction < 1))
    refuse("--test-fraction", spec.test_fraction, "must be in [0, 1) (0: no random hold-out)");
  if (spec.rows < 0) refuse("--rows", double(spec.rows), "must be >= 1 (or 0: from the data)");
  if (spec.cols < 0) refuse("--cols", double(spec.cols), "must be >= 1 (or 0: from the data)");
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
  // --rows / --cols each override the size from the data; one given alone
  // leaves the other as the data have it.
  const std::pair<const char*, std::pair<std::int64_t, std::int64_t*>> sizes[] = {
      {"--rows", {spec.rows, &p.rows}}, {"--cols", {spec.cols, &p.cols}}};
  for (const auto& [option, given] : sizes) {
    const auto [value, size] = given;
    if (value == 0) continue;
    if (value < *size)
      throw std::invalid_argument(std::string(option) + " " + std::to_string(value) + " is less than the " +
                                  std::to_string(*size) + " the data need");
    if (!p.truth.empty() && value != *size)
      throw std::invalid_argument(std::string(option) + " " + std::to_string(value) + " differs from the " +
                                  std::to_string(*size) + " of the ground truth " + spec.truth_file);
    *size = value;
  }
  d << "; matrix " << p.rows << "x" << p.cols;
  p.description = d.str();
  return p;
}

}  // namespace dlncli
