#include "sweep.hpp"

#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <stdexcept>
#include <tuple>

#include "applicability.hpp"
#include "commands.hpp"
#include "output_files.hpp"
#include "parallel.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "runner.hpp"

namespace dlncli {

std::vector<SweepPoint> sweep_grid(const Experiment& e, const TrainSpec& base) {
  auto etas = e.sweep.etas.empty() ? std::vector<double>{base.eta} : e.sweep.etas;
  auto lambdas = e.sweep.lambdas.empty() ? std::vector<double>{base.lambda} : e.sweep.lambdas;
  auto batches = e.sweep.batches.empty() ? std::vector<std::int64_t>{base.batch} : e.sweep.batches;
  if (e.sweep.seeds.empty()) throw std::invalid_argument("sweep: no seeds");
  std::vector<SweepPoint> grid;
  for (double eta : etas)
    for (double lambda : lambdas)
      for (std::int64_t b : batches)
        for (std::uint64_t s : e.sweep.seeds) grid.push_back({s, eta, lambda, b});
  return grid;
}

std::vector<SweepPoint> sweep_grid(const Experiment& e) { return sweep_grid(e, e.train); }

SweepOutcome run_point(const SweepStart& start, const Experiment& e, const TrainSpec& base, const SweepPoint& pt) {
  TrainSpec t = base;
  t.seed = pt.seed, t.eta = pt.eta, t.lambda = pt.lambda, t.batch = pt.batch;
  t.keep_eta_schedule = base.keep_eta_schedule && e.sweep.etas.empty();
  t.keep_lambda_schedule = base.keep_lambda_schedule && e.sweep.lambdas.empty();
  t.record_every = t.steps;  // only the start and the end are needed
  RunResult r;
  if (start.state) {
    dln::Model mine = [&] {
      std::lock_guard<std::mutex> lock(*start.clone_lock);
      return start.state->model.clone();
    }();
    r = run_training(mine, t, "");
  } else {
    ModelSpec m = e.model;
    m.init_seed = pt.seed;
    r = run_training(build_start(*start.problem, m), t, "");
  }
  SweepOutcome o;
  o.point = pt;
  const Sample& s = r.last();
  o.steps_done = s.step;
  o.data_cost = s.data_cost, o.test_error = s.test_error, o.norm2 = s.norm2;
  o.start_rank = r.series.front().absorbed_rank;
  o.numerical_rank = s.numerical_rank, o.absorbed_rank = s.absorbed_rank;
  for (const auto& j : r.jumps)
    if (j.kind == DLN_JUMP_ABSORBED) {
      if (o.jumps++ == 0) o.first_jump_step = j.step;
    }
  o.diverged = r.diverged;
  return o;
}

std::vector<SweepOutcome> run_points(const SweepStart& start, const Experiment& e, const TrainSpec& base,
                                     const std::vector<SweepPoint>& grid, int threads, int offset, int stride) {
  std::vector<std::size_t> mine;
  for (std::size_t i = static_cast<std::size_t>(offset); i < grid.size(); i += static_cast<std::size_t>(stride))
    mine.push_back(i);
  std::vector<SweepOutcome> out(grid.size());
  Progress bar("sweep", static_cast<std::int64_t>(mine.size()), stderr_is_terminal() && offset == 0);
  parallel_for(mine.size(), threads, [&](std::size_t k) {
    out[mine[k]] = run_point(start, e, base, grid[mine[k]]);
    bar.add(1);
  });
  bar.finish();
  return out;
}

std::vector<SweepOutcome> run_points(const Problem& p, const Experiment& e, const std::vector<SweepPoint>& grid,
                                     int threads, int offset, int stride) {
  return run_points(SweepStart{&p, nullptr}, e, e.train, grid, threads, offset, stride);
}

void pack(const SweepOutcome& o, double* f) {
  const double v[kOutcomeFields] = {static_cast<double>(o.point.seed), o.point.eta, o.point.lambda,
                                    static_cast<double>(o.point.batch), static_cast<double>(o.steps_done),
                                    o.data_cost, o.test_error, o.norm2,
                                    static_cast<double>(o.start_rank), static_cast<double>(o.numerical_rank),
                                    static_cast<double>(o.absorbed_rank), static_cast<double>(o.jumps),
                                    static_cast<double>(o.first_jump_step), o.diverged ? 1.0 : 0.0};
  std::copy(v, v + kOutcomeFields, f);
}

SweepOutcome unpack(const double* f) {
  SweepOutcome o;
  auto i64 = [](double x) { return static_cast<std::int64_t>(x); };
  o.point = {static_cast<std::uint64_t>(f[0]), f[1], f[2], i64(f[3])};
  o.steps_done = i64(f[4]);
  o.data_cost = f[5], o.test_error = f[6], o.norm2 = f[7];
  o.start_rank = i64(f[8]), o.numerical_rank = i64(f[9]), o.absorbed_rank = i64(f[10]);
  o.jumps = i64(f[11]), o.first_jump_step = i64(f[12]);
  o.diverged = f[13] != 0;
  return o;
}

void write_sweep_csv(std::ostream& out, const std::vector<SweepOutcome>& outcomes) {
  out << "seed,eta,lambda,batch,steps,data_cost,test_error,norm2,start_absorbed_rank,"
         "numerical_rank,absorbed_rank,absorbed_jumps,first_jump_step,diverged\n";
  for (const auto& o : outcomes) {
    out << o.point.seed << ',' << format_shortest(o.point.eta) << ',' << format_shortest(o.point.lambda) << ','
        << o.point.batch << ',' << o.steps_done << ',' << format_shortest(o.data_cost) << ',';
    if (!std::isnan(o.test_error)) out << format_shortest(o.test_error);
    out << ',' << format_shortest(o.norm2) << ',' << o.start_rank << ',' << o.numerical_rank << ',' << o.absorbed_rank
        << ',' << o.jumps << ',' << o.first_jump_step << ',' << (o.diverged ? 1 : 0) << '\n';
  }
}

void print_sweep_summary(std::ostream& out, const std::vector<SweepOutcome>& outcomes) {
  struct Acc { int n = 0, jumped = 0, diverged = 0; double rank = 0, test = 0; };
  std::map<std::tuple<double, double, std::int64_t>, Acc> groups;
  for (const auto& o : outcomes) {
    Acc& a = groups[{o.point.eta, o.point.lambda, o.point.batch}];
    ++a.n;
    a.jumped += o.absorbed_rank < o.start_rank ? 1 : 0;
    a.diverged += o.diverged ? 1 : 0;
    a.rank += static_cast<double>(o.absorbed_rank);
    a.test += o.test_error;
  }
  out << std::setw(10) << "eta" << std::setw(10) << "lambda" << std::setw(6) << "batch" << std::setw(7)
      << "seeds" << std::setw(14) << "below_start" << std::setw(13) << "mean_absrk" << std::setw(12)
      << "mean_test" << std::setw(10) << "diverged" << '\n';
  for (const auto& [key, a] : groups)
    out << std::setw(10) << format_g(std::get<0>(key), 3) << std::setw(10) << format_g(std::get<1>(key), 3)
        << std::setw(6) << std::get<2>(key) << std::setw(7) << a.n << std::setw(14)
        << (std::to_string(a.jumped) + "/" + std::to_string(a.n)) << std::setw(13)
        << format_g(a.rank / a.n, 3) << std::setw(12) << format_g(a.test / a.n, 4) << std::setw(10)
        << a.diverged << '\n';
}

int cmd_sweep(const Experiment& e, const std::string& output, bool use_mpi, std::ostream& out,
              const GivenFlags& given) {
  refuse_overlapping_paths(input_paths(e), {{"--output", output}});
  StartState s;
  Problem p;
  if (e.from.empty()) {
    refuse_inapplicable_flags("sweep", given, false, e.train.method);
    p = load_problem(e.data);
    s.description = "problem: " + p.description;
    s.train = e.train;
  } else {
    s = load_start(e, given, "sweep");
    refuse_inapplicable_flags("sweep", given, true, s.train.method);
  }
  validate(s.train);
  auto grid = sweep_grid(e, s.train);
  int rank = use_mpi ? mpi_rank() : 0, size = use_mpi ? mpi_size() : 1;
  if (rank == 0) {
    print_start(out, s);
    out << "sweep: " << grid.size() << " runs of " << s.train.steps << " steps over " << size
        << (size == 1 ? " process" : " MPI ranks") << "\n";
  }
  std::mutex clone_lock;
  const SweepStart start{e.from.empty() ? &p : nullptr, e.from.empty() ? nullptr : &s, &clone_lock};
  auto outcomes = run_points(start, e, s.train, grid, e.sweep.threads, rank, size);
  if (use_mpi) {
    std::vector<double> packed(grid.size() * kOutcomeFields, 0.0);
    for (std::size_t i = static_cast<std::size_t>(rank); i < grid.size(); i += static_cast<std::size_t>(size))
      pack(outcomes[i], &packed[i * kOutcomeFields]);
    mpi_sum_to_root(packed);
    if (rank != 0) return 0;
    for (std::size_t i = 0; i < grid.size(); ++i) outcomes[i] = unpack(&packed[i * kOutcomeFields]);
  }
  write_text_file(output, [&](std::ostream& o) { write_sweep_csv(o, outcomes); });
  print_sweep_summary(out, outcomes);
  out << "results: " << output << " (" << outcomes.size() << " rows)\n";
  return 0;
}

}  // namespace dlncli
