// `dlnsgd sweep`: every seed × (eta, lambda, batch) point is an independent,
// deterministic run; points are spread over threads (and over MPI ranks when
// built with MPI and launched by mpirun) and gathered in grid order, so the
// result file is the same whatever the thread and rank counts.
#ifndef DLN_CLI_SWEEP_HPP
#define DLN_CLI_SWEEP_HPP

#include <cstdint>
#include <ostream>
#include <mutex>
#include <vector>

#include "problem.hpp"
#include "spec.hpp"
#include "start_state.hpp"

namespace dlncli {

struct SweepPoint {
  std::uint64_t seed = 0;  // sampling seed and init seed
  double eta = 0, lambda = 0;
  std::int64_t batch = 1;
};

struct SweepOutcome {
  SweepPoint point;
  std::int64_t steps_done = 0;
  double data_cost = 0, test_error = 0, norm2 = 0;
  std::int64_t start_rank = 0, numerical_rank = 0, absorbed_rank = 0;
  std::int64_t jumps = 0, first_jump_step = -1;  // absorbed-rank jumps
  bool diverged = false;
};

// The grid, with `base` (the training settings in force) where a list is not given.
std::vector<SweepPoint> sweep_grid(const Experiment& e, const TrainSpec& base);
std::vector<SweepPoint> sweep_grid(const Experiment& e);  // base e.train

// Where each point starts: built from the problem with the point's seed as
// the init seed, or (--from) a clone of the saved state, whose schedules are
// kept where the grid gives no value.
struct SweepStart {
  const Problem* problem = nullptr;
  const StartState* state = nullptr;
  std::mutex* clone_lock = nullptr;  // with state: a handle is read by one thread at a time
};
SweepOutcome run_point(const SweepStart& start, const Experiment& e, const TrainSpec& base, const SweepPoint& pt);
// Runs the points i with i % stride == offset; the others stay default.
std::vector<SweepOutcome> run_points(const SweepStart& start, const Experiment& e, const TrainSpec& base,
                                     const std::vector<SweepPoint>& grid, int threads, int offset = 0,
                                     int stride = 1);
std::vector<SweepOutcome> run_points(const Problem& p, const Experiment& e, const std::vector<SweepPoint>& grid,
                                     int threads, int offset = 0, int stride = 1);
void write_sweep_csv(std::ostream& out, const std::vector<SweepOutcome>& outcomes);
void print_sweep_summary(std::ostream& out, const std::vector<SweepOutcome>& outcomes);

// Fixed-width numeric form, used to gather outcomes across MPI ranks.
constexpr int kOutcomeFields = 14;
void pack(const SweepOutcome& o, double* fields);
SweepOutcome unpack(const double* fields);

// MPI (sweep_mpi.cpp when MPI was found, stubs otherwise).
bool mpi_available();
bool mpi_init_if_launched(int* argc, char*** argv);  // true if MPI_Init was called
void mpi_finalize();
int mpi_rank();
int mpi_size();
// Element-wise sum of `values` over ranks, result on rank 0.
void mpi_sum_to_root(std::vector<double>& values);

}  // namespace dlncli

#endif
