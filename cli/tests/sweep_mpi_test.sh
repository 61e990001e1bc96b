#!/usr/bin/env bash
# The MPI sweep (2 local ranks) writes the same file as the threaded sweep.
set -euo pipefail
exe=$1 mpirun=$2 dir=$3
args=(sweep --syn-rows 8 --syn-cols 7 --depth 3 --width 5 --steps 1500 --seeds 1,2,3 --etas 0.02,0.04)
"$exe" "${args[@]}" --threads 2 -o "$dir/sweep_threads.csv" >/dev/null
"$mpirun" --allow-run-as-root --oversubscribe -n 2 "$exe" "${args[@]}" --threads 1 \
  -o "$dir/sweep_mpi.csv" >"$dir/sweep_mpi.log" 2>&1 || { cat "$dir/sweep_mpi.log"; exit 1; }
grep -q "over 2 MPI ranks" "$dir/sweep_mpi.log" || { echo "not run on 2 ranks"; cat "$dir/sweep_mpi.log"; exit 1; }
cmp "$dir/sweep_threads.csv" "$dir/sweep_mpi.csv"
echo "MPI sweep on 2 ranks identical to the threaded sweep ($(($(wc -l <"$dir/sweep_mpi.csv") - 1)) rows)"
