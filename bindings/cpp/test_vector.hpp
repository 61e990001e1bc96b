// Reader for the SGD test vectors (tests/data/vectors/README.md),
// used by the wrapper's test only.
#ifndef DLN_TEST_VECTOR_HPP
#define DLN_TEST_VECTOR_HPP

#include <cstdint>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dln::testing {

struct TestVector {
  std::int64_t depth = 0;
  std::vector<std::int64_t> widths;
  double eta = 0, lambda = 0;
  std::map<std::int64_t, std::vector<double>> W, expect_W;  // layer -> row-major
  std::vector<std::int64_t> rows, cols;
  std::vector<double> values;
  double loss_before = 0, loss_after = 0;
  std::vector<std::vector<std::int64_t>> batches;
  std::vector<double> svals_A;
  // `checkpoint_at t`: after t batches save the whole state, destroy the
  // handle, load it and go on; -1 when the vector has no such record.
  std::int64_t checkpoint_at = -1;
};

inline TestVector read_test_vector(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  TestVector v;
  std::string line;
  auto next = [&](std::istringstream& ss) {
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      ss = std::istringstream(line);
      return true;
    }
    return false;
  };
  auto read_matrix = [&](std::int64_t r, std::int64_t c) {
    std::vector<double> m;
    std::istringstream ss;
    for (std::int64_t i = 0; i < r; ++i) {
      if (!next(ss)) throw std::runtime_error(path + ": truncated matrix");
      for (std::int64_t j = 0; j < c; ++j) {
        double x;
        if (!(ss >> x)) throw std::runtime_error(path + ": short matrix row");
        m.push_back(x);
      }
    }
    return m;
  };
  std::istringstream ss;
  while (next(ss)) {
    std::string key;
    ss >> key;
    if (key == "depth") {
      ss >> v.depth;
    } else if (key == "widths") {
      std::int64_t w;
      while (ss >> w) v.widths.push_back(w);
    } else if (key == "eta") {
      ss >> v.eta;
    } else if (key == "lambda") {
      ss >> v.lambda;
    } else if (key == "W" || key == "expect_W") {
      std::int64_t l, r, c;
      ss >> l >> r >> c;
      (key == "W" ? v.W : v.expect_W)[l] = read_matrix(r, c);
    } else if (key == "obs") {
      std::int64_t n;
      ss >> n;
      for (std::int64_t k = 0; k < n; ++k) {
        std::istringstream os;
        if (!next(os)) throw std::runtime_error(path + ": truncated obs");
        std::int64_t i, j;
        double y;
        os >> i >> j >> y;
        v.rows.push_back(i), v.cols.push_back(j), v.values.push_back(y);
      }
    } else if (key == "loss_before") {
      ss >> v.loss_before;
    } else if (key == "loss_after") {
      ss >> v.loss_after;
    } else if (key == "steps") {
      std::int64_t t;
      ss >> t;
      for (std::int64_t k = 0; k < t; ++k) {
        std::istringstream bs;
        if (!next(bs)) throw std::runtime_error(path + ": truncated steps");
        std::string b;
        std::int64_t size;
        bs >> b >> size;
        std::vector<std::int64_t> batch(static_cast<std::size_t>(size));
        for (auto& idx : batch) bs >> idx;
        v.batches.push_back(std::move(batch));
      }
    } else if (key == "checkpoint_at") {
      ss >> v.checkpoint_at;
    } else if (key == "svals_A") {
      std::int64_t k;
      ss >> k;
      v.svals_A.resize(static_cast<std::size_t>(k));
      for (auto& s : v.svals_A) ss >> s;
    } else {
      throw std::runtime_error(path + ": unknown record '" + key + "'");
    }
  }
  return v;
}

}  // namespace dln::testing

#endif
