// The absorbing sets B_r(ε, δ, C) of SPEC §6 and the jump log.
#pragma once
#include <cstdint>
#include <vector>

#include "dlnsgd.h"

struct dln_model;

namespace dln {

struct Thresholds {
  double eps, delta, C, rho;  // rho is NaN when the default ε was not needed
};

// Resolves negative (= default) ε and δ, computing ρ only when needed; the
// default C = 4‖θ‖² is left to the caller, who has ‖θ‖² anyway (absorbed_rank
// never needs it).
Thresholds resolve_thresholds(const dln_model &model, double eps, double delta, double C,
                              bool always_rho);
// Fills a DLN_BR_REPORT_SIZE report; returns whether θ ∈ B_r.
bool br_report(const dln_model &model, int64_t r, double eps, double delta, double C,
               bool full, double *report);
int64_t absorbed_rank(const dln_model &model);
// Called by dln_step after each step: records rank decreases at the cadence.
void check_jumps(dln_model &model);

}  // namespace dln
