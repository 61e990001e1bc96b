// The state behind a dln_model handle (math §1-§4) and the workspace of the
// step. Each layer is stored as W_ℓ = scale_ℓ · V_ℓ so that weight decay
// costs one multiplication per layer per step instead of a pass over V_ℓ
// (math §3, last paragraph).
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "dlnsgd.h"
#include "exec_context.hpp"
#include "schedule.hpp"
#include "spectra.hpp"

namespace dln {

struct Layer {
  int64_t rows = 0, cols = 0;  // n_ℓ × n_{ℓ-1}
  std::vector<double> v;       // row-major V_ℓ
  double scale = 1.0;          // W_ℓ = scale · V_ℓ
  double max_abs_bound = 0.0;  // upper bound on max |V_ℓ| (overflow guard of the step)

  double weight(int64_t i, int64_t j) const { return scale * v[size_t(i * cols + j)]; }
  void assign(const double *w);             // V = w, scale = 1
  void fold_scale();                        // V ← scale·V, scale = 1 (values < DBL_MIN flushed)
};

struct Observations {
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  int64_t size() const { return int64_t(values.size()); }
};

// Statistics of the training values that fix the default thresholds of B_r
// (math §6); derived, recomputed whenever the observations are replaced.
struct DataStats {
  double max_abs_y = 0.0;  // ρ's default
  double mean_y2 = 0.0;    // L_λ(0), C's default numerator
  static DataStats of(const Observations &o);
};

// The rank-change log (math §6): every change of the absorbed rank or of the
// numerical rank of A_θ, DLN_CHANGE_RECORD_SIZE doubles each.
struct JumpLog {
  std::vector<std::array<double, DLN_CHANGE_RECORD_SIZE>> records;
  int64_t last_absorbed = -1;   // rank at the previous check, -1 if none yet
  int64_t last_numerical = -1;
};

struct Trace {
  std::vector<std::array<double, DLN_TRACE_RECORD_SIZE>> rows;
};

// Every option of DLN_OPTION_ROWS (params.hpp), defaults from that table.
struct Options {
  double learning_rate, ridge;
  int64_t batch_size;
  int sampler;
  int64_t threads, jump_interval;
  double jump_rtol, rank_atol;
  double br_rho, br_eps, br_delta, br_C;  // -1 = the default of math §6
  int64_t trace_interval;
  Schedule learning_rate_schedule, ridge_schedule;
  Options();
};

// Scratch memory of the step: derived, never part of the state (not saved,
// not compared). Sized once per batch size so the step loop never allocates.
struct Workspace {
  std::vector<double> forward;   // F_ℓ = W_{≤ℓ} E_J, n_ℓ × (b or p) column blocks, ℓ = 1..L-1
  std::vector<double> backward;  // B_ℓ = W_{>ℓ}^T E_I, n_ℓ × (b or q) column blocks
  std::vector<double> scaled;    // B_ℓ diag(g), B_ℓ S or F_ℓ Sᵀ for the batched updates
  std::vector<double> residual;  // g_k = 2 r_k / b
  std::vector<double> part_maxima;  // a step split over threads: each part's max |F_ℓ|, max |W_L[I, :]|
  std::vector<int64_t> batch;
  std::vector<int64_t> permutation;  // current epoch of the without-replacement sampler
  int64_t permutation_epoch = -1;
  std::vector<double> backup;        // all weights, for the rare overflow-risk path
  // The layers before a step whose rank check or trace row is due, to undo
  // the step if they fail (rank_log.cpp). Not inherited by a copy (dln_clone).
  struct LayersBefore {
    std::vector<Layer> layers;
    LayersBefore() = default;
    LayersBefore(const LayersBefore &) {}
    LayersBefore &operator=(const LayersBefore &) { return *this; }
  } before_records;
  std::vector<double> coefficient, growth;  // per layer: update factor, bound on |update|
  std::vector<double> forward_bound, backward_bound;  // per layer: max |F_ℓ|, bound on max |B_ℓ|
  std::vector<int64_t> offset;       // of F_ℓ / B_ℓ in forward / backward (b columns each)
  std::vector<int64_t> backward_offset;  // of B_ℓ when it has q ≠ p columns (distinct rows/columns)
  // Distinct columns J and rows I of the batch (math §8): slot of each entry
  // in J / I, and per column / row of the target its slot or -1 (kept all -1
  // between steps, so finding them costs O(b)).
  std::vector<int64_t> distinct_cols, distinct_rows, col_slot, row_slot, col_mark, row_mark;
  // Where the runs of consecutive columns in distinct_cols start, then p.
  std::vector<int64_t> col_runs;
  // The entries grouped by column slot / row slot (CSR of S and Sᵀ, for the
  // rows/columns and sparse-block formulations): batch entry, slot on the
  // other side, g and y of each, in group order, so the kernels read them
  // sequentially.
  std::vector<int64_t> col_start, col_order, col_from, row_start, row_order, row_from;
  // Of each entry in row-group order, its position in column-group order
  // (col_position: of each batch entry; kept so that a step allocates nothing).
  std::vector<int64_t> row_in_col, col_position;
  int64_t col_tiles = 1, row_tiles = 1;  // tiles of the column / row groups (Groups, step_formulation.hpp)
  int64_t grouped_width = -1;            // the width group_entries tiled them for
  std::vector<double> g_by_col, g_by_row, y_by_col;
  // The batch the distinct sets were found for (find_distinct), and whether
  // they are complete for it; whether the groups are of them too; whether
  // y_by_col holds that batch's values in group order (full-batch GD takes
  // the same batch every step). group_entries clears y_grouped whenever it
  // groups again, which a new batch and new observations (found = grouped =
  // false) force before y_by_col is read.
  std::vector<int64_t> found_batch;
  bool found = false, grouped = false, y_grouped = false;
  int last_formulation = DLN_FORMULATION_NONE;  // of the last step attempted, for dln_last_step_formulation
  double max_abs_y = -1.0;           // max |y_k| over the observations, -1 until computed
};

// Scratch of the spectral queries, O((n + m)·width) for a wide target: kept
// by the handle so repeated queries neither zero nor page-fault tens of MB
// again. Derived, so a copy (dln_clone) starts empty.
struct QueryScratch {
  std::vector<double> buffer;
  QueryScratch() = default;
  QueryScratch(const QueryScratch &) {}
  QueryScratch &operator=(const QueryScratch &) { return *this; }
  double *get(size_t size) {
    if (buffer.size() < size) buffer.resize(size);
    return buffer.data();
  }
};

// Results of the spectral queries of one state (query_cache.hpp), derived:
// valid while `version` equals the handle's state_version.
struct QueryCache {
  uint64_t version = 0;
  bool has_end_to_end = false, has_bottleneck = false, has_balance = false;
  ScaledSpectrum end_to_end;
  std::vector<ScaledSpectrum> bottleneck;
  std::vector<std::vector<double>> bottleneck_plain;
  double balance = 0.0;
};

}  // namespace dln

struct dln_model {
  int64_t depth = 0;
  std::vector<int64_t> widths;  // n_0 = m … n_L = n
  uint64_t seed = 0;
  int64_t step = 0;             // t of the next step
  std::vector<dln::Layer> layers;  // layers[ℓ-1] is W_ℓ
  dln::Observations train, test;
  dln::DataStats train_stats;     // of train, kept in step with it
  std::vector<double> truth;      // n × m ground truth, empty if none
  std::vector<int64_t> subset;    // pool of DLN_SAMPLER_SUBSET
  dln::Options options;
  dln::JumpLog jumps;
  dln::Trace trace;
  dln::Workspace work;
  mutable dln::QueryScratch query_scratch;
  uint64_t state_version = 1;        // bumped by every call that may change the state
  mutable dln::QueryCache query_cache;
  mutable dln::ExecContext exec;  // BLIS runtime with options.threads (dln::exec syncs it)
  mutable std::string last_error;

  int64_t rows() const { return widths.back(); }  // n
  int64_t cols() const { return widths.front(); } // m
  const dln::Layer &layer(int64_t l) const { return layers[size_t(l - 1)]; }
  dln::Layer &layer(int64_t l) { return layers[size_t(l - 1)]; }
  double learning_rate_at(int64_t t) const {
    return options.learning_rate * options.learning_rate_schedule.factor(t);
  }
  double ridge_at(int64_t t) const { return options.ridge * options.ridge_schedule.factor(t); }
};

namespace dln {
// Throws unless observations are set (DLN_ERR_STATE).
void require_observations(const dln_model &model, const char *what);
// Throws DLN_ERR_INVALID_ARGUMENT unless sup_t 2·eta_t·lambda_t < 1 for these options.
void check_decay(const Options &options);
void validate_observations(const dln_model &model, int64_t count, const int64_t *rows,
                           const int64_t *cols, const double *values);
}  // namespace dln
