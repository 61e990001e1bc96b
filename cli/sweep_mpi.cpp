// MPI entry points (built only when CMake found MPI). MPI is initialised only
// when the process was started by a launcher (mpirun sets these variables), so
// the same binary runs alone without one.
#include <mpi.h>

#include <cstdlib>

#include "sweep.hpp"

namespace dlncli {

bool mpi_available() { return true; }

bool mpi_init_if_launched(int* argc, char*** argv) {
  const char* vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
  bool launched = false;
  for (const char* v : vars) launched = launched || std::getenv(v) != nullptr;
  if (!launched) return false;
  MPI_Init(argc, argv);
  return true;
}

void mpi_finalize() { MPI_Finalize(); }

int mpi_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int mpi_size() {
  int s = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &s);
  return s;
}

void mpi_sum_to_root(std::vector<double>& values) {
  std::vector<double> total(values.size(), 0.0);
  MPI_Reduce(values.data(), total.data(), static_cast<int>(values.size()), MPI_DOUBLE, MPI_SUM, 0,
             MPI_COMM_WORLD);
  if (mpi_rank() == 0) values = std::move(total);
}

}  // namespace dlncli
