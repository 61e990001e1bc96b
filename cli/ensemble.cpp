#include "ensemble.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <stdexcept>
#include <string>
#include <tuple>

#include "parallel.hpp"
#include "progress.hpp"
#include "report.hpp"
#include "runner.hpp"
#include "sweep.hpp"

namespace dlncli {
namespace {

constexpr int kPacked = 8;  // the measured fields of a member, for the MPI gather

void unpack(const double* f, MemberOutcome& m) {
  auto i64 = [](double x) { return static_cast<std::int64_t>(x); };
  m.entry_step = i64(f[0]), m.censored = f[1] != 0, m.steps = i64(f[2]), m.exits = i64(f[3]);
  m.final_absorbed_rank = i64(f[4]), m.train_mse = f[5], m.test_mse = f[6], m.status = static_cast<int>(f[7]);
}

std::string number(double v) { return std::isnan(v) ? std::string() : format_shortest(v); }

}  // namespace

std::vector<GridPoint> ensemble_grid(const TrainSpec& t, const ProbabilitySpec& p) {
  auto etas = p.etas.empty() ? std::vector<double>{t.eta} : p.etas;
  auto lambdas = p.lambdas.empty() ? std::vector<double>{t.lambda} : p.lambdas;
  auto batches = p.batches.empty() ? std::vector<std::int64_t>{t.batch} : p.batches;
  std::vector<GridPoint> grid;
  for (double eta : etas)
    for (double lambda : lambdas)
      for (std::int64_t b : batches) grid.push_back({eta, lambda, b});
  return grid;
}

void validate(const ProbabilitySpec& p) {
  const std::tuple<const char*, std::int64_t, std::int64_t> rules[] = {
      {"--trials", p.trials, 1}, {"--horizon", p.horizon, 0}, {"--check-every", p.check_every, 1}, {"--r", p.r, 0}};
  for (const auto& [option, value, least] : rules)
    if (value < least)
      throw std::invalid_argument(std::string(option) + " " + std::to_string(value) + " must be >= " +
                                  std::to_string(least));
  if (p.trials > (1 << 20))
    throw std::invalid_argument("--trials " + std::to_string(p.trials) + " must be <= 1048576");
  if (p.threads < 0 || p.threads > 1024)
    throw std::invalid_argument("--threads " + std::to_string(p.threads) + " must be in 0..1024 (0: all cores)");
  if (!(p.confidence > 0 && p.confidence < 1))
    throw std::invalid_argument("--confidence " + format_shortest(p.confidence) + " must be in (0, 1)");
  for (double eta : p.etas)
    if (!(eta > 0 && std::isfinite(eta))) throw std::invalid_argument("--etas " + format_shortest(eta) + " must be > 0");
  for (double lambda : p.lambdas)
    if (!(lambda >= 0 && std::isfinite(lambda)))
      throw std::invalid_argument("--lambdas " + format_shortest(lambda) + " must be >= 0");
  for (std::int64_t b : p.batches)
    if (b < 1) throw std::invalid_argument("--batches " + std::to_string(b) + " must be >= 1");
}

std::vector<MemberOutcome> run_ensemble(const dln::Model& start, const TrainSpec& t, const ProbabilitySpec& p,
                                        bool use_mpi) {
  validate(p);
  const auto grid = ensemble_grid(t, p);
  const int rank = use_mpi ? mpi_rank() : 0, size = use_mpi ? mpi_size() : 1;
  const auto K = static_cast<std::size_t>(p.trials);
  std::vector<MemberOutcome> runs(grid.size() * K);
  std::vector<double> packed(runs.size() * kPacked, 0.0);
  const int threads = resolve_threads(p.threads);
  Progress bar("trials", static_cast<std::int64_t>(runs.size()), stderr_is_terminal() && rank == 0);
  for (std::size_t g = 0; g < grid.size(); ++g) {
    // The grid point's start: the settings with this (η, λ, b), as constant rates where the grid gives them.
    TrainSpec tg = t;
    tg.eta = grid[g].eta, tg.lambda = grid[g].lambda, tg.batch = grid[g].batch;
    tg.keep_eta_schedule = t.keep_eta_schedule && p.etas.empty();
    tg.keep_lambda_schedule = t.keep_lambda_schedule && p.lambdas.empty();
    dln::Model point = start.clone();
    configure(point, tg);
    std::vector<std::size_t> mine;
    std::vector<std::uint64_t> seeds;
    for (std::size_t k = 0; k < K; ++k) {
      const std::size_t i = g * K + k;
      runs[i].point = grid[g], runs[i].seed = p.first_seed + k;
      if (static_cast<int>(i % static_cast<std::size_t>(size)) == rank) mine.push_back(i), seeds.push_back(runs[i].seed);
    }
    if (mine.empty()) continue;
    dln::Ensemble ens(point, seeds);
    ens.watch(p.r, p.check_every);
    try {
      ens.step(p.horizon, std::min<std::int64_t>(threads, static_cast<std::int64_t>(mine.size())));
    } catch (const dln::Error& e) {
      // A member that stopped (diverged, ...) is recorded with its status; bad input is not.
      if (e.status() != DLN_ERR_DIVERGED && e.status() != DLN_ERR_LAPACK && e.status() != DLN_ERR_NOMEM) throw;
    }
    auto field = [&](int f) { return ens.results(f); };
    const auto entry = field(DLN_MEMBER_ENTRY_STEP), censored = field(DLN_MEMBER_CENSORED),
               steps = field(DLN_MEMBER_STEP), exits = field(DLN_MEMBER_EXITS),
               absorbed = field(DLN_MEMBER_ABSORBED_RANK), train = field(DLN_MEMBER_TRAIN_MSE),
               test = field(DLN_MEMBER_TEST_MSE), status = field(DLN_MEMBER_STATUS);
    for (std::size_t j = 0; j < mine.size(); ++j) {
      const double v[kPacked] = {entry[j], censored[j], steps[j], exits[j], absorbed[j], train[j], test[j], status[j]};
      std::copy(v, v + kPacked, &packed[mine[j] * kPacked]);
    }
    bar.add(static_cast<std::int64_t>(mine.size()));
  }
  bar.finish();
  // Each slot was written by exactly one rank and is 0 elsewhere, so the sum is the value itself.
  if (use_mpi) {
    mpi_sum_to_root(packed);
    if (rank != 0) return {};
  }
  for (std::size_t i = 0; i < runs.size(); ++i) unpack(&packed[i * kPacked], runs[i]);
  return runs;
}

std::vector<PointSummary> summarize(const std::vector<GridPoint>& grid, const std::vector<MemberOutcome>& runs,
                                    double z) {
  std::vector<PointSummary> out;
  const std::size_t K = grid.empty() ? 0 : runs.size() / grid.size();
  for (std::size_t g = 0; g < grid.size(); ++g) {
    PointSummary s;
    s.point = grid[g];
    std::vector<double> times;
    std::vector<int> censored;
    for (std::size_t k = 0; k < K; ++k) {
      const MemberOutcome& m = runs[g * K + k];
      ++s.trials;
      s.entered += m.censored ? 0 : 1;
      s.exits += m.exits;
      s.stopped += m.status != DLN_OK ? 1 : 0;
      times.push_back(static_cast<double>(m.censored ? m.steps : m.entry_step));
      censored.push_back(m.censored ? 1 : 0);
    }
    s.p_enter = dln::wilson_interval(s.entered, s.trials, z);
    s.median = dln::kaplan_meier_median(times, censored, z);
    s.curve = dln::kaplan_meier(times, censored, z);
    out.push_back(std::move(s));
  }
  return out;
}

void write_runs_csv(std::ostream& out, const std::vector<MemberOutcome>& runs) {
  out << "eta,lambda,batch,seed,entry_step,censored,exits,final_absorbed_rank,train_mse,test_mse,steps,status\n";
  for (const auto& m : runs)
    out << number(m.point.eta) << ',' << number(m.point.lambda) << ',' << m.point.batch << ',' << m.seed << ','
        << m.entry_step << ',' << (m.censored ? 1 : 0) << ',' << m.exits << ',' << m.final_absorbed_rank << ','
        << number(m.train_mse) << ',' << number(m.test_mse) << ',' << m.steps << ','
        << (m.status == DLN_OK ? "ok" : dln::status_name(m.status)) << '\n';
}

void write_summary_csv(std::ostream& out, const std::vector<PointSummary>& summary) {
  out << "eta,lambda,batch,trials,entered,p_enter,p_low,p_high,km_median,km_median_low,km_median_high,exits,"
         "stopped\n";
  for (const auto& s : summary)
    out << number(s.point.eta) << ',' << number(s.point.lambda) << ',' << s.point.batch << ',' << s.trials << ','
        << s.entered << ',' << number(static_cast<double>(s.entered) / static_cast<double>(s.trials)) << ','
        << number(s.p_enter.lower) << ',' << number(s.p_enter.upper) << ',' << number(s.median.median) << ','
        << number(s.median.lower) << ',' << number(s.median.upper) << ',' << s.exits << ',' << s.stopped << '\n';
}

void write_curves_csv(std::ostream& out, const std::vector<PointSummary>& summary) {
  out << "eta,lambda,batch,time,at_risk,events,censored,survival,std_error,lower,upper\n";
  for (const auto& s : summary)
    for (const auto& row : s.curve) {
      out << number(s.point.eta) << ',' << number(s.point.lambda) << ',' << s.point.batch;
      for (double v : row) out << ',' << number(v);
      out << '\n';
    }
}

void print_summary_table(std::ostream& out, const std::vector<PointSummary>& summary, std::int64_t r,
                         std::int64_t horizon) {
  out << "P(enter B_" << r << " within " << horizon << " steps) and the Kaplan-Meier median hitting time, 95 %:\n"
      << std::setw(10) << "eta" << std::setw(10) << "lambda" << std::setw(6) << "batch" << std::setw(10)
      << "entered" << std::setw(22) << "P [Wilson]" << std::setw(28) << "median steps [interval]" << std::setw(7)
      << "exits" << std::setw(9) << "stopped" << '\n';
  auto steps = [](double v) { return std::isinf(v) ? std::string("-") : format_shortest(v); };
  for (const auto& s : summary) {
    const double p = static_cast<double>(s.entered) / static_cast<double>(s.trials);
    out << std::setw(10) << format_shortest(s.point.eta) << std::setw(10) << format_shortest(s.point.lambda)
        << std::setw(6) << s.point.batch << std::setw(10)
        << (std::to_string(s.entered) + "/" + std::to_string(s.trials)) << std::setw(22)
        << (format_g(p, 3) + " [" + format_g(s.p_enter.lower, 3) + ", " + format_g(s.p_enter.upper, 3) + "]")
        << std::setw(28)
        << (steps(s.median.median) + " [" + steps(s.median.lower) + ", " + steps(s.median.upper) + "]")
        << std::setw(7) << s.exits << std::setw(9) << s.stopped << '\n';
  }
  out << "(median '-': not reached within the horizon; exits: checks outside B_" << r
      << " after one inside; stopped: members that diverged or failed)\n";
}

}  // namespace dlncli
