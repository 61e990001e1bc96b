// The absorbing sets B_r(ε, δ, C) of math §6, the rank-change log and the
// trace.
#pragma once
#include <cstdint>
#include <vector>

#include "dlnsgd.h"

struct dln_model;

namespace dln {

// ρ, ε, δ, C in force at the current step: a caller's argument (>= 0) wins,
// then the handle's option, then the default of math §6 — functions of the
// data and λ_t only, never of θ. ρ is NaN when there are no observations
// and no default needs it.
struct Thresholds {
  double rho, eps, delta, C;
};
Thresholds resolve_thresholds(const dln_model &model, double eps, double delta, double C);

// Fills a DLN_BR_REPORT_SIZE report; returns whether θ ∈ B_r. `full` also
// computes what the verdict does not need (balancedness at δ = ∞, the
// premise).
bool br_report(const dln_model &model, int64_t r, double eps, double delta, double C, bool full,
               double *report);
// Smallest r with θ ∈ B_r at the handle's thresholds (accurate spectra,
// cached: for the const entry points only).
int64_t absorbed_rank(const dln_model &model);
// One step on the batch (step_on_batch), the step counter advanced, then the
// rank-change check and the trace row due at the new count, as one
// transaction: if the records fail, the step is undone (state as before it,
// math §7) and the error is thrown on.
void step_and_record(dln_model &model, const int64_t *batch, int64_t b);
// The parts of step_and_record, for step loops of their own (small widths):
// whether a rank check or trace row is due at step count t; keep the layers
// before a step whose records are due; after it (count advanced), make them
// or undo the step and throw.
bool records_due(const dln_model &model, int64_t t);
void keep_state_before_records(dln_model &model);
void record_or_undo(dln_model &model);

}  // namespace dln

namespace dln {
// For the rank-change checks, which bring their own spectra.
int64_t rank_beyond_all(const std::vector<std::vector<double>> &spectra);
// balance_of computes the balancedness residual (needed only for a finite δ).
int64_t absorbed_rank_of(const dln_model &model, const std::vector<std::vector<double>> &spectra,
                         const Thresholds &t, double (*balance_of)(const dln_model &));
}  // namespace dln
