// Small helpers shared by the test chapters.
#pragma once
#include <dlnsgd.h>
#include <doctest/doctest.h>

#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#define REQUIRE_OK(call)                                                              \
  do {                                                                                \
    int status_ = (call);                                                             \
    INFO(#call, " -> ", dln_status_name(status_));                                    \
    REQUIRE(status_ == DLN_OK);                                                       \
  } while (0)

struct ModelDeleter {
  void operator()(dln_model *m) const { dln_destroy(m); }
};
using ModelPtr = std::unique_ptr<dln_model, ModelDeleter>;

inline ModelPtr make_model(std::vector<int64_t> widths, uint64_t seed = 1) {
  dln_model *m = nullptr;
  REQUIRE(dln_create(int64_t(widths.size()) - 1, widths.data(), seed, &m) == DLN_OK);
  return ModelPtr(m);
}

inline std::vector<double> weights_of(const dln_model *m, int64_t layer) {
  std::vector<int64_t> w(64);
  int64_t depth = 0;
  dln_get_depth(m, &depth);
  dln_get_widths(m, w.data(), int64_t(w.size()));
  std::vector<double> out(static_cast<size_t>(w[size_t(layer)] * w[size_t(layer - 1)]));
  REQUIRE(dln_get_weights(m, layer, out.data()) == DLN_OK);
  return out;
}

inline std::vector<std::vector<double>> all_weights(const dln_model *m) {
  int64_t depth = 0;
  dln_get_depth(m, &depth);
  std::vector<std::vector<double>> out;
  for (int64_t l = 1; l <= depth; ++l) out.push_back(weights_of(m, l));
  return out;
}

// A deep copy of a handle (dln_clone).
inline ModelPtr clone_of(const dln_model *m) {
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_clone(m, &raw));
  return ModelPtr(raw);
}

// Ensembles (test_ensemble.cpp, test_lockstep.cpp): the handle, the
// members' results of one field, a member and a fresh clone to compare with.
struct EnsembleDeleter {
  void operator()(dln_ensemble *e) const { dln_ensemble_destroy(e); }
};
using EnsemblePtr = std::unique_ptr<dln_ensemble, EnsembleDeleter>;

inline EnsemblePtr make_ensemble(const dln_model *state, const std::vector<uint64_t> &seeds) {
  dln_ensemble *e = nullptr;
  REQUIRE_OK(dln_ensemble_create(state, int64_t(seeds.size()), seeds.data(), &e));
  return EnsemblePtr(e);
}

inline std::vector<double> ensemble_field(const dln_ensemble *e, int f) {
  int64_t k = 0;
  REQUIRE_OK(dln_ensemble_size(e, &k));
  std::vector<double> out(static_cast<size_t>(k));
  REQUIRE_OK(dln_ensemble_results(e, f, out.data(), k));
  return out;
}

inline ModelPtr ensemble_member(const dln_ensemble *e, int64_t i) {
  dln_model *m = nullptr;
  REQUIRE_OK(dln_ensemble_member(e, i, &m));
  return ModelPtr(m);
}

inline ModelPtr fresh_clone(const dln_model *state, uint64_t seed) {
  dln_model *m = nullptr;
  REQUIRE_OK(dln_clone_ex(state, DLN_CLONE_FRESH, seed, &m));
  return ModelPtr(m);
}

// The whole rank-change log, DLN_CHANGE_RECORD_SIZE doubles per record.
inline std::vector<double> changes_of(const dln_model *m) {
  int64_t count = 0;
  REQUIRE_OK(dln_rank_change_count(m, &count));
  std::vector<double> r(static_cast<size_t>(count * DLN_CHANGE_RECORD_SIZE));
  REQUIRE_OK(dln_get_rank_changes(m, 0, count, r.data()));
  return r;
}

// A noisy-free random problem: n × m observations of a random matrix.
struct Problem {
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
};
Problem random_problem(int64_t n, int64_t m, int64_t count, uint64_t seed);
// A model with `count` random observations and DLN_INIT_END_TO_END weights.
ModelPtr make_problem_model(std::vector<int64_t> widths, int64_t count, uint64_t seed, double init_scale);

// A fresh directory under the system's temporary directory, removed on exit.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dln_test_XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
  // Names in the directory other than those given (left-behind temporaries).
  std::vector<std::string> others(std::initializer_list<std::string> known) const {
    std::vector<std::string> out;
    for (const auto &e : std::filesystem::directory_iterator(path)) {
      std::string name = e.path().filename().string();
      if (std::find(known.begin(), known.end(), name) == known.end()) out.push_back(name);
    }
    return out;
  }
};
