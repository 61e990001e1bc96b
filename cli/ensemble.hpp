// `dlnsgd ensemble` and `dlnsgd probability` (issue 13): for every grid point
// (η, λ, b) and seed, K fresh clones of one start state (the library's
// ensemble handle, docs/ensembles.md) watch for their first entry into B_r,
// checked every k steps and censored at the horizon T; then per grid point
// P(enter within T) with a Wilson interval and the Kaplan–Meier survival
// curve and median hitting time (the library's statistics). Members are
// independent and bit-for-bit those of a clone stepped alone, so results do
// not depend on the thread count or on how members are spread over MPI ranks.
#ifndef DLN_CLI_ENSEMBLE_HPP
#define DLN_CLI_ENSEMBLE_HPP

#include <cstdint>
#include <ostream>
#include <vector>

#include "dlnsgd_ensemble.hpp"
#include "spec.hpp"

namespace dlncli {

struct GridPoint {
  double eta = 0, lambda = 0;
  std::int64_t batch = 1;
};

struct MemberOutcome {
  GridPoint point;
  std::uint64_t seed = 0;
  std::int64_t entry_step = -1;  // first checked step inside B_r, -1 if none
  bool censored = true;          // not entered by the last step
  std::int64_t steps = 0;        // steps done (the horizon unless the member stopped)
  std::int64_t exits = 0;        // checks outside after a check inside
  std::int64_t final_absorbed_rank = 0;
  double train_mse = 0, test_mse = 0;  // test NaN without test data
  int status = DLN_OK;                 // DLN_OK, or what stopped the member (DLN_ERR_DIVERGED, ...)
};

struct PointSummary {
  GridPoint point;
  std::int64_t trials = 0, entered = 0, exits = 0, stopped = 0;
  dln::Interval p_enter;  // Wilson, at the z of the summary
  dln::Median median;     // Kaplan–Meier median hitting time and its interval (+inf: not reached)
  std::vector<dln::KaplanMeierRow> curve;
};

// The grid: --etas/--lambdas/--batches, or the single value of the training settings.
std::vector<GridPoint> ensemble_grid(const TrainSpec& t, const ProbabilitySpec& p);
// Validates the trial settings; throws std::invalid_argument naming the flag.
void validate(const ProbabilitySpec& p);
// Every (grid point, trial) in grid order, trial k with seed first_seed + k.
// With use_mpi, rank q runs the members with index % size == q and rank 0
// receives all (the others get an empty vector).
std::vector<MemberOutcome> run_ensemble(const dln::Model& start, const TrainSpec& t, const ProbabilitySpec& p,
                                        bool use_mpi);
std::vector<PointSummary> summarize(const std::vector<GridPoint>& grid, const std::vector<MemberOutcome>& runs,
                                    double z);

// eta,lambda,batch,seed,entry_step,censored,exits,final_absorbed_rank,train_mse,test_mse,steps,status
void write_runs_csv(std::ostream& out, const std::vector<MemberOutcome>& runs);
// eta,lambda,batch,trials,entered,p_enter,p_low,p_high,km_median,km_median_low,km_median_high,exits,stopped
void write_summary_csv(std::ostream& out, const std::vector<PointSummary>& summary);
// eta,lambda,batch,time,at_risk,events,censored,survival,std_error,lower,upper (the plot's input)
void write_curves_csv(std::ostream& out, const std::vector<PointSummary>& summary);
void print_summary_table(std::ostream& out, const std::vector<PointSummary>& summary, std::int64_t r,
                         std::int64_t horizon);

}  // namespace dlncli

#endif
