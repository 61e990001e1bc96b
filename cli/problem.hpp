// A matrix-completion problem as the CLI sees it: training observations, an
// optional held-out set and an optional ground-truth matrix, either read from
// files or generated (a noisy low-rank target).
#ifndef DLN_CLI_PROBLEM_HPP
#define DLN_CLI_PROBLEM_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "data_io.hpp"

namespace dlncli {

struct SyntheticSpec {
  std::int64_t rows = 20, cols = 20, rank = 2;
  double noise = 0.2;     // std of the Gaussian noise added to observed entries
  double fraction = 0.4;  // probability that an entry is observed
  std::uint64_t seed = 1;
};

struct DataSpec {
  std::string train_file;          // empty: synthetic
  std::string test_file;           // optional held-out observations
  std::string truth_file;          // optional dense ground truth
  double test_fraction = 0.0;      // held out at random from the training file
  std::uint64_t split_seed = 1;
  IndexBase index_base = IndexBase::Auto;
  std::int64_t rows = 0, cols = 0;  // 0: from the data
  SyntheticSpec synthetic;
};

struct Problem {
  std::int64_t rows = 0, cols = 0;  // n × m
  Observations train, test;
  std::vector<double> truth;  // row-major n × m, empty if none
  std::string description;
};

Problem synthetic_problem(const SyntheticSpec& spec);
Problem load_problem(const DataSpec& spec);  // synthetic when train_file is empty
// Moves a random `fraction` of `all` (at least one, at most all but one) to the
// second element of the result.
std::pair<Observations, Observations> split_holdout(const Observations& all, double fraction,
                                                    std::uint64_t seed);

}  // namespace dlncli

#endif
