// Reader of the SGD test vectors (tests/data/vectors/README.md).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace testdata {

struct Vector {
  std::string name;
  int64_t depth = 0;
  std::vector<int64_t> widths;
  double eta = 0, lambda = 0;
  std::vector<std::vector<double>> weights, expected_weights;  // per layer, row-major
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  double loss_before = 0, loss_after = 0;
  std::vector<std::vector<int64_t>> batches;
  std::vector<double> svals;
  // checkpoint_at t: save, destroy, reload after the first t batches (-1: none).
  int64_t checkpoint_at = -1;
};

inline Vector read(const std::filesystem::path &path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  Vector v;
  v.name = path.filename().string();
  std::string line, key;
  auto next = [&](std::istringstream &s) {
    while (std::getline(in, line)) {
      if (line.empty() || line[0] == '#') continue;
      s = std::istringstream(line);
      return true;
    }
    return false;
  };
  auto matrix = [&](std::istringstream &s, std::vector<std::vector<double>> &into) {
    int64_t layer, r, c;
    s >> layer >> r >> c;
    std::vector<double> m;
    for (int64_t i = 0; i < r; ++i) {
      std::istringstream row;
      next(row);
      double x;
      while (row >> x) m.push_back(x);
    }
    if (int64_t(m.size()) != r * c) throw std::runtime_error(v.name + ": bad matrix");
    into.resize(size_t(layer));
    into[size_t(layer - 1)] = m;
  };
  std::istringstream s;
  while (next(s)) {
    s >> key;
    if (key == "depth") s >> v.depth;
    else if (key == "widths") { int64_t w; while (s >> w) v.widths.push_back(w); }
    else if (key == "eta") s >> v.eta;
    else if (key == "lambda") s >> v.lambda;
    else if (key == "W") matrix(s, v.weights);
    else if (key == "expect_W") matrix(s, v.expected_weights);
    else if (key == "obs") {
      int64_t n; s >> n;
      for (int64_t k = 0; k < n; ++k) {
        std::istringstream o; next(o);
        int64_t i, j; double y; o >> i >> j >> y;
        v.rows.push_back(i); v.cols.push_back(j); v.values.push_back(y);
      }
    } else if (key == "loss_before") s >> v.loss_before;
    else if (key == "checkpoint_at") s >> v.checkpoint_at;
    else if (key == "loss_after") s >> v.loss_after;
    else if (key == "steps") {
      int64_t n; s >> n;
      for (int64_t t = 0; t < n; ++t) {
        std::istringstream b; next(b);
        std::string word; int64_t size; b >> word >> size;
        std::vector<int64_t> batch(static_cast<size_t>(size));
        for (auto &k : batch) b >> k;
        v.batches.push_back(batch);
      }
    } else if (key == "svals_A") {
      int64_t k; s >> k; double x;
      while (s >> x) v.svals.push_back(x);
    } else throw std::runtime_error(v.name + ": unknown record " + key);
  }
  if (v.checkpoint_at > int64_t(v.batches.size()))
    throw std::runtime_error(v.name + ": checkpoint_at past the last batch");
  return v;
}

inline std::vector<std::filesystem::path> all() {
  std::vector<std::filesystem::path> files;
  for (auto &e : std::filesystem::directory_iterator(DLN_TESTDATA_DIR))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

inline double relative_error(double got, double want) {
  double scale = std::max(std::fabs(want), 1e-300);
  return std::fabs(got - want) / scale;
}

}  // namespace testdata
