// `dlnsgd run` and `dlnsgd compare`.
#include <iostream>

#include "commands.hpp"
#include "report.hpp"
#include "progress.hpp"

namespace dlncli {

int cmd_run(const Experiment& e, const OutputOptions& o, std::ostream& out) {
  Problem p = load_problem(e.data);
  out << "problem: " << p.description << "\n";
  dln::Model start = build_start(p, e.model);
  Progress bar("training", e.train.steps, stderr_is_terminal());
  std::int64_t last = 0;
  std::string label = (e.train.method == "gd" ? "GD full batch" : "SGD b=" + std::to_string(e.train.batch)) +
                      " eta=" + format_g(e.train.eta, 3) + " lambda=" + format_g(e.train.lambda, 3);
  if (e.train.phase1_steps > 0)
    label += " after " + std::to_string(e.train.phase1_steps) + " steps at eta=" +
             format_g(e.train.phase1_eta, 3) + " lambda=" + format_g(e.train.phase1_lambda, 3);
  RunResult r = run_training(start, e.train, label, [&](std::int64_t done, std::int64_t) {
    bar.add(done - last);
    last = done;
  });
  bar.finish();
  print_run_table(out, r, 10);
  if (!o.csv.empty()) write_series_csv_file(o.csv, r), out << "time series: " << o.csv << "\n";
  if (!o.jumps.empty()) write_jumps_csv_file(o.jumps, r), out << "jump log: " << o.jumps << "\n";
  if (!o.plot.empty()) {
    std::string csv = o.csv.empty() ? o.plot + ".series.csv" : o.csv;
    std::string jumps = o.jumps.empty() ? o.plot + ".jumps.csv" : o.jumps;
    if (o.csv.empty()) write_series_csv_file(csv, r);
    if (o.jumps.empty()) write_jumps_csv_file(jumps, r);
    plot_series({csv}, {jumps}, {r.label}, o.plot);
    out << "plot: " << o.plot << "\n";
  }
  if (!o.save.empty()) {
    r.final_state->save(o.save);
    out << "checkpoint: " << o.save << "\n";
  }
  return r.diverged ? 3 : 0;
}

int cmd_compare(const Experiment& e, const CompareSpec& c, const OutputOptions& o, int threads,
                std::ostream& out) {
  Problem p = load_problem(e.data);
  out << "problem: " << p.description << "\n";
  dln::Model start = build_start(p, e.model);
  auto methods = compare_methods(e.train, c);
  auto runs = run_methods(start, methods, threads, stderr_is_terminal());
  for (const auto& r : runs) print_run_table(out, r, 8);
  out << "\n";
  print_summary(out, runs);
  const char* names[] = {"gd", "sgd", "two_phase"};
  std::vector<std::string> csvs, jumps, labels;
  std::string prefix = !o.csv.empty() ? o.csv : !o.plot.empty() ? o.plot : "";
  if (!prefix.empty()) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      csvs.push_back(prefix + "." + names[i] + ".csv");
      jumps.push_back(prefix + "." + names[i] + ".jumps.csv");
      labels.push_back(runs[i].label);
      write_series_csv_file(csvs.back(), runs[i]);
      write_jumps_csv_file(jumps.back(), runs[i]);
    }
    out << "time series and jump logs: " << prefix << ".{gd,sgd,two_phase}{.csv,.jumps.csv}\n";
  }
  if (!o.plot.empty()) {
    plot_series(csvs, jumps, labels, o.plot);
    out << "plot: " << o.plot << "\n";
  }
  for (const auto& r : runs)
    if (r.diverged) return 3;
  return 0;
}

}  // namespace dlncli
