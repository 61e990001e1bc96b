// MPI entry points when the tool is built without MPI.
#include "sweep.hpp"

namespace dlncli {
bool mpi_available() { return false; }
bool mpi_init_if_launched(int*, char***) { return false; }
void mpi_finalize() {}
int mpi_rank() { return 0; }
int mpi_size() { return 1; }
void mpi_sum_to_root(std::vector<double>&) {}
}  // namespace dlncli
