#!/usr/bin/env bash
# The research protocol end to end (issue 13): GD to a stuck state, saved;
# an ensemble of SGD seeds over two etas from it; probability from it with
# SGD flags. The ensemble's CSVs are identical for 1 and 2 threads and, when
# mpirun is given, for 2 MPI ranks.
set -euo pipefail
exe=$1 mpirun=${2:-} dir=$3/protocol
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
"$exe" run --syn-rows 8 --syn-cols 8 --syn-rank 1 --noise 0.3 --fraction 0.5 --depth 4 --width 8 \
  --init end_to_end --init-scale 1 --method gd --eta 0.05 --lambda 0.01 --steps 20000 --save gd.dln >run.log
grep -q "checkpoint: gd.dln" run.log
ens=(ensemble --from gd.dln --method sgd --r 1 --horizon 30000 --trials 12 --etas 0.08,0.09 --check-every 250)
"$exe" "${ens[@]}" --threads 2 --out runs.csv --summary sum.csv --curves km.csv --plot survival.png >ens.log
"$exe" "${ens[@]}" --threads 1 --out runs1.csv --summary sum1.csv >/dev/null
head -n1 runs.csv | grep -q "^eta,lambda,batch,seed,entry_step,censored,exits,final_absorbed_rank,train_mse,test_mse"
[[ $(wc -l <runs.csv) -eq 25 && $(wc -l <sum.csv) -eq 3 ]] || { echo "wrong row counts"; exit 1; }
grep -q "eta            the grid              --etas" ens.log
grep -q "method         sgd                   --method (state: gd)" ens.log
cmp runs.csv runs1.csv && cmp sum.csv sum1.csv
[[ -s survival.png && -s km.csv ]]
if [[ -n "$mpirun" ]]; then
  "$mpirun" --allow-run-as-root --oversubscribe -n 2 "$exe" "${ens[@]}" --threads 1 --out runs_mpi.csv \
    --summary sum_mpi.csv >mpi.log 2>&1 || { cat mpi.log; exit 1; }
  grep -q "over 2 MPI ranks" mpi.log || { echo "not run on 2 ranks"; cat mpi.log; exit 1; }
  cmp runs.csv runs_mpi.csv && cmp sum.csv sum_mpi.csv
fi
# The same ensemble from Python (dlnsgd.ensemble over the same library) gives the same rows.
if [[ -n "${DLNSGD_LIBRARY:-}" ]]; then
  /usr/bin/python3 - <<'PY' >runs_py.csv
import math
import dlnsgd
runs = dlnsgd.ensemble("gd.dln", r=1, horizon=30000, trials=12, etas=[0.08, 0.09], check_every=250,
                       threads=2, seed=1, sampler=dlnsgd.Sampler.WITH_REPLACEMENT)
print("eta,lambda,batch,seed,entry_step,censored,exits,final_absorbed_rank,train_mse,test_mse,steps,status")
for x in runs:
    test = "" if math.isnan(x.test_mse) else repr(float(x.test_mse))
    status = "ok" if x.status == 0 else dlnsgd.status_name(int(x.status))
    print(f"{float(x.eta)!r},{float(x['lambda'])!r},{x.batch},{x.seed},{x.entry_step},{int(x.censored)},{x.exits},"
          f"{x.final_absorbed_rank},{float(x.train_mse)!r},{test},{x.step},{status}")
PY
  cmp runs.csv runs_py.csv || { diff runs.csv runs_py.csv | head; exit 1; }
  python_same=", and from Python"
fi
"$exe" probability --from gd.dln --method sgd --eta 0.08 --r 1 --trials 12 --horizon 30000 --check-every 250 >prob.log
grep -q -- "--method (state: gd)" prob.log && grep -q -- "--eta (state: 0.05)" prob.log
grep -q "P(enter B_1 within 30000 steps)" prob.log
if "$exe" ensemble --from gd.dln --depth 3 --trials 2 --horizon 10 2>refused.log; then echo "--depth accepted"; exit 1; fi
grep -q -- "--depth does not apply to \`dlnsgd ensemble --from\`" refused.log
echo "protocol: GD state saved; ensemble of $(($(wc -l <runs.csv) - 1)) runs identical for 1, 2 threads${mpirun:+, 2 MPI ranks}${python_same:-}"
cat sum.csv
