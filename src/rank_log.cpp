// The rank-change checks and the trace that dln_step records (math §6).
//
// A check must be cheap next to the steps it watches: it makes no pass over
// the observations (ρ and the other thresholds are fixed, math §6) and takes
// σ(M_k) from the eigenvalues of the n_k × n_k Gram matrix
// M_k M_k^T = W_k W_k^T + W_{k+1}^T W_{k+1}. Its absolute error is of order
// u·σ_1(M_k)², far below the ε² it is compared with (math §6), so the
// verdict is the one the accurate SVD gives. Only a recorded change pays for
// the residuals of its premise.
//
// The records are taken after their step is applied and can fail (LAPACK,
// memory); step_and_record makes the step and its records one transaction
// (math §7: an error leaves the state of before the failing step).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "absorbing.hpp"
#include "exec_context.hpp"
#include "errors.hpp"
#include "evaluate.hpp"
#include "gradient.hpp"
#include "lapack.hpp"
#include "model.hpp"
#include "spectra.hpp"
#include "step.hpp"

namespace dln {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// σ(M_k) descending, from the eigenvalues of M_k M_k^T.
std::vector<double> bottleneck_spectrum_by_gram(const dln_model &model, int64_t k) {
  if (model.depth == 1) return layer_spectrum(model, 1);
  const Layer &Wk = model.layer(k), &Wn = model.layer(k + 1);
  const int64_t h = Wk.rows;
  std::vector<double> gram(static_cast<size_t>(h * h), 0.0);
  const ExecContext &blas = exec(model);
  // G = s_k² V_k V_k^T + s_{k+1}² V_{k+1}^T V_{k+1} (symmetric, row-major = column-major).
  blas.gemm(false, true, h, h, Wk.cols, Wk.scale * Wk.scale, Wk.v.data(), Wk.cols, 1, Wk.v.data(), Wk.cols, 1,
            0.0, gram.data(), h, 1);
  blas.gemm(true, false, h, h, Wn.rows, Wn.scale * Wn.scale, Wn.v.data(), h, 1, Wn.v.data(), h, 1, 1.0,
            gram.data(), h, 1);
  // Weights near sqrt(DBL_MAX) overflow the Gram matrix: then the accurate,
  // scaled path decides (math §5: every observable is overflow-safe).
  for (double g : gram)
    if (!std::isfinite(g)) return bottleneck_spectrum(model, k);
  std::vector<double> eig = symmetric_eigenvalues(h, gram.data());  // ascending
  const size_t count = size_t(std::min(h, Wk.cols + Wn.rows));
  std::vector<double> sigma(count);
  for (size_t i = 0; i < count; ++i) sigma[i] = std::sqrt(std::max(eig[eig.size() - 1 - i], 0.0));
  return sigma;
}

double sigma_at(const std::vector<double> &s, int64_t index) {  // σ_{index+1}, 0 beyond the list
  return index < int64_t(s.size()) ? s[size_t(index)] : 0.0;
}

using ChangeRecord = std::array<double, DLN_CHANGE_RECORD_SIZE>;
using TraceRow = std::array<double, DLN_TRACE_RECORD_SIZE>;

// What the records after a step add, computed before any of it is stored.
struct Pending {
  std::vector<ChangeRecord> changes;
  bool checked = false;
  int64_t absorbed = -1, numerical = -1;
  bool traced = false;
  TraceRow row{};
};

ChangeRecord change(const dln_model &model, int kind, int64_t before, int64_t after, double sigma, int64_t layer,
                    double threshold) {
  ChangeRecord c;
  c[DLN_CHANGE_STEP] = double(model.step);
  c[DLN_CHANGE_KIND] = kind;
  c[DLN_CHANGE_BEFORE] = double(before);
  c[DLN_CHANGE_AFTER] = double(after);
  c[DLN_CHANGE_SIGMA] = sigma;
  c[DLN_CHANGE_SIGMA_LAYER] = double(layer);
  c[DLN_CHANGE_THRESHOLD] = threshold;
  const Thresholds t = resolve_thresholds(model, -1.0, -1.0, -1.0);
  c[DLN_CHANGE_MAX_RESIDUAL] = max_residual(model);
  c[DLN_CHANGE_RHO] = t.rho;
  c[DLN_CHANGE_PREMISE] = c[DLN_CHANGE_MAX_RESIDUAL] <= t.rho ? 1.0 : 0.0;
  return c;
}

void check_ranks(const dln_model &model, Pending &p) {
  const JumpLog &log = model.jumps;
  const Thresholds t = resolve_thresholds(model, -1.0, -1.0, -1.0);
  std::vector<std::vector<double>> spectra;
  for (int64_t k = 1; k <= hidden_layer_count(model); ++k) spectra.push_back(bottleneck_spectrum_by_gram(model, k));
  const int64_t absorbed = absorbed_rank_of(model, spectra, t, balancedness);
  const std::vector<double> sa = end_to_end_spectrum(model);
  const double cut = std::max(model.options.rank_atol, model.options.jump_rtol * sigma_at(sa, 0));
  const int64_t numerical = numerical_rank(sa, model.options.rank_atol, model.options.jump_rtol);
  if (log.last_absorbed >= 0 && absorbed != log.last_absorbed) {
    // The deciding value: σ_{r+1} at the lower of the two ranks, worst over k.
    const int64_t r = std::min(absorbed, log.last_absorbed);
    double worst = -1.0;
    int64_t at = 0;
    for (size_t k = 0; k < spectra.size(); ++k)
      if (sigma_at(spectra[k], r) > worst) worst = sigma_at(spectra[k], r), at = int64_t(k) + 1;
    p.changes.push_back(change(model, DLN_JUMP_ABSORBED, log.last_absorbed, absorbed, worst, at, t.eps));
  }
  if (log.last_numerical >= 0 && numerical != log.last_numerical)
    p.changes.push_back(change(model, DLN_JUMP_NUMERICAL, log.last_numerical, numerical,
                               sigma_at(sa, std::min(numerical, log.last_numerical)), 0, cut));
  p.checked = true;
  p.absorbed = absorbed;
  p.numerical = numerical;
}

TraceRow trace_row(const dln_model &model) {
  TraceRow row;
  const Thresholds t = resolve_thresholds(model, -1.0, -1.0, -1.0);
  std::vector<std::vector<double>> spectra;
  for (int64_t k = 1; k <= hidden_layer_count(model); ++k) spectra.push_back(bottleneck_spectrum(model, k));
  const int64_t r = absorbed_rank_of(model, spectra, t, balancedness);
  double sigma = 0.0;
  for (const auto &s : spectra) sigma = std::max(sigma, sigma_at(s, r));
  row[DLN_TRACE_STEP] = double(model.step);
  row[DLN_TRACE_DATA_COST] = data_cost(model);
  row[DLN_TRACE_RIDGE_TERM] = ridge_term_scaled(model).value();  // +inf beyond the largest double
  const bool has_test = !model.truth.empty() || model.test.size() > 0;
  row[DLN_TRACE_TEST_ERROR] = has_test ? test_error(model) : kNaN;
  row[DLN_TRACE_ABSORBED_RANK] = double(r);
  row[DLN_TRACE_SIGMA] = sigma;
  row[DLN_TRACE_EPS] = t.eps;
  row[DLN_TRACE_BALANCE] = balancedness(model);
  row[DLN_TRACE_MAX_RESIDUAL] = max_residual(model);
  row[DLN_TRACE_GRADIENT_NORM] = gradient_norms(model).total;
  return row;
}

// Room for `extra` more entries, growing geometrically: push_back then cannot throw.
template <class T>
void make_room(std::vector<T> &v, size_t extra) {
  if (v.capacity() - v.size() < extra) v.reserve(std::max({v.size() + extra, 2 * v.capacity(), size_t(16)}));
}

// The records due at the model's step count, stored only once all of them are computed.
void record_after_step(dln_model &model) {
  const int64_t k = model.options.jump_interval, every = model.options.trace_interval;
  Pending p;
  if (k > 0 && model.step % k == 0) check_ranks(model, p);
  if (every > 0 && model.step % every == 0) p.traced = true, p.row = trace_row(model);
  make_room(model.jumps.records, p.changes.size());
  make_room(model.trace.rows, p.traced ? 1 : 0);
  // ---- nothing below throws --------------------------------------------
  for (const ChangeRecord &c : p.changes) model.jumps.records.push_back(c);
  if (p.checked) model.jumps.last_absorbed = p.absorbed, model.jumps.last_numerical = p.numerical;
  if (p.traced) model.trace.rows.push_back(p.row);
}

}  // namespace

bool records_due(const dln_model &model, int64_t t) {
  const int64_t k = model.options.jump_interval, every = model.options.trace_interval;
  return (k > 0 && t % k == 0) || (every > 0 && t % every == 0);
}

void keep_state_before_records(dln_model &model) {
  // The check or trace after the step can fail (DLN_ERR_LAPACK, DLN_ERR_NOMEM)
  // once the step is applied: keep the layers of before it to undo it (math
  // §7). A copy of the weights per check is small next to the check itself
  // (Gram products and eigenvalues of every M_k, or passes over the data);
  // the copy reuses its memory after the first.
  model.work.before_records.layers = model.layers;
}

void record_or_undo(dln_model &model) {
  try {
    try {
      record_after_step(model);
    } catch (...) {
      model.layers.swap(model.work.before_records.layers);  // no-throw: the state of before the step
      --model.step;
      throw;
    }
  } catch (Error &e) {
    e.message = "step t=" + std::to_string(model.step + 1) + ": " + e.message +
                " in the rank check or trace row after it; the step is undone, weights kept as they were before it";
    throw;
  }
}

void step_and_record(dln_model &model, const int64_t *batch, int64_t b) {
  const bool due = records_due(model, model.step + 1);
  if (due) keep_state_before_records(model);
  step_on_batch(model, batch, b);
  ++model.step;
  if (due) record_or_undo(model);
}

}  // namespace dln

using namespace dln;

namespace {

// first/count inside [0, total]: the shared check of the record readers.
void require_window(int64_t first, int64_t count, int64_t total, const void *out, const char *what) {
  if (first < 0 || first > total)
    fail(DLN_ERR_OUT_OF_RANGE, "first=%lld is outside [0, %lld]", (long long)first, (long long)total);
  if (count < 0 || count > total - first)
    fail(DLN_ERR_OUT_OF_RANGE, "count=%lld is outside [0, %lld] for first=%lld", (long long)count,
         (long long)(total - first), (long long)first);
  if (count > 0) require_pointer(out, what);
}

// The decreases of the rank-change log, in order (the jump view).
std::vector<size_t> decreases(const JumpLog &log) {
  std::vector<size_t> at;
  for (size_t i = 0; i < log.records.size(); ++i)
    if (log.records[i][DLN_CHANGE_AFTER] < log.records[i][DLN_CHANGE_BEFORE]) at.push_back(i);
  return at;
}

}  // namespace

extern "C" {

int dln_rank_change_count(const dln_model *model, int64_t *count) {
  return guarded(model, "dln_rank_change_count", [&] {
    require_pointer(model, "model");
    require_pointer(count, "count");
    *count = int64_t(model->jumps.records.size());
  });
}

int dln_get_rank_changes(const dln_model *model, int64_t first, int64_t count, double *records) {
  return guarded(model, "dln_get_rank_changes", [&] {
    require_pointer(model, "model");
    require_window(first, count, int64_t(model->jumps.records.size()), records, "records");
    for (int64_t i = 0; i < count; ++i)
      std::copy_n(model->jumps.records[size_t(first + i)].begin(), DLN_CHANGE_RECORD_SIZE,
                  records + i * DLN_CHANGE_RECORD_SIZE);
  });
}

int dln_jump_count(const dln_model *model, int64_t *count) {
  return guarded(model, "dln_jump_count", [&] {
    require_pointer(model, "model");
    require_pointer(count, "count");
    *count = int64_t(decreases(model->jumps).size());
  });
}

int dln_get_jumps(const dln_model *model, int64_t first, int64_t count, int64_t *records) {
  return guarded(model, "dln_get_jumps", [&] {
    require_pointer(model, "model");
    const std::vector<size_t> at = decreases(model->jumps);
    require_window(first, count, int64_t(at.size()), records, "records");
    for (int64_t i = 0; i < count; ++i)
      for (int f = 0; f < DLN_JUMP_RECORD_SIZE; ++f)
        records[i * DLN_JUMP_RECORD_SIZE + f] = int64_t(model->jumps.records[at[size_t(first + i)]][size_t(f)]);
  });
}

int dln_clear_jumps(dln_model *model) {
  return guarded(model, "dln_clear_jumps", [&] {
    require_pointer(model, "model");
    model->jumps = JumpLog{};
  });
}

int dln_trace_count(const dln_model *model, int64_t *count) {
  return guarded(model, "dln_trace_count", [&] {
    require_pointer(model, "model");
    require_pointer(count, "count");
    *count = int64_t(model->trace.rows.size());
  });
}

int dln_get_trace(const dln_model *model, int64_t first, int64_t count, double *rows) {
  return guarded(model, "dln_get_trace", [&] {
    require_pointer(model, "model");
    require_window(first, count, int64_t(model->trace.rows.size()), rows, "rows");
    for (int64_t i = 0; i < count; ++i)
      std::copy_n(model->trace.rows[size_t(first + i)].begin(), DLN_TRACE_RECORD_SIZE,
                  rows + i * DLN_TRACE_RECORD_SIZE);
  });
}

int dln_clear_trace(dln_model *model) {
  return guarded(model, "dln_clear_trace", [&] {
    require_pointer(model, "model");
    model->trace = Trace{};
  });
}

}  // extern "C"
