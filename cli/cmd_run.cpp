// `dlnsgd run` and `dlnsgd compare`.
#include <iostream>

#include "commands.hpp"
#include "output_files.hpp"
#include "report.hpp"
#include "progress.hpp"

namespace dlncli {

const char* const kMethodNames[3] = {"gd", "sgd", "two_phase"};

namespace {
// --plot without --csv / --jumps writes them next to the PNG.
std::string plot_series_csv(const OutputOptions& o) { return o.csv.empty() ? o.plot + ".series.csv" : o.csv; }
std::string plot_jumps_csv(const OutputOptions& o) { return o.jumps.empty() ? o.plot + ".jumps.csv" : o.jumps; }
}  // namespace

std::vector<NamedPath> run_outputs(const OutputOptions& o) {
  std::vector<NamedPath> out{{"--csv", o.csv}, {"--jumps", o.jumps}, {"--plot", o.plot}, {"--save", o.save}};
  if (!o.plot.empty() && o.csv.empty()) out.push_back({"--plot (its series CSV)", plot_series_csv(o)});
  if (!o.plot.empty() && o.jumps.empty()) out.push_back({"--plot (its jump CSV)", plot_jumps_csv(o)});
  return out;
}

std::string method_series_csv(const std::string& prefix, const char* method) {
  return prefix + "." + method + ".csv";
}
std::string method_jumps_csv(const std::string& prefix, const char* method) {
  return prefix + "." + method + ".jumps.csv";
}

std::vector<NamedPath> method_outputs(const std::string& option, const std::string& prefix,
                                      const std::string& plot) {
  std::vector<NamedPath> out{{"--plot", plot}};
  if (!prefix.empty())
    for (const char* m : kMethodNames) {
      out.push_back({option + " (" + m + " series)", method_series_csv(prefix, m)});
      out.push_back({option + " (" + m + " jumps)", method_jumps_csv(prefix, m)});
    }
  return out;
}

int cmd_run(const Experiment& e, const OutputOptions& o, std::ostream& out) {
  refuse_overlapping_paths(input_paths(e), run_outputs(o));
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
    std::string csv = plot_series_csv(o), jumps = plot_jumps_csv(o);
    if (o.csv.empty()) write_series_csv_file(csv, r);
    if (o.jumps.empty()) write_jumps_csv_file(jumps, r);
    plot_series({csv}, {jumps}, {r.label}, o.plot);
    out << "plot: " << o.plot << "\n";
  }
  if (!o.save.empty()) {
    // dln_save_buffer, then the same atomic write as every other output
    // (so SIGINT cleans its temporary up too).
    std::vector<std::byte> bytes = r.final_state->save_buffer();
    write_bytes_file(o.save, bytes.data(), bytes.size());
    out << "checkpoint: " << o.save << "\n";
  }
  return r.diverged ? 3 : 0;
}

int cmd_compare(const Experiment& e, const CompareSpec& c, const OutputOptions& o, int threads,
                std::ostream& out) {
  const std::string prefix = !o.csv.empty() ? o.csv : !o.plot.empty() ? o.plot : "";
  refuse_overlapping_paths(input_paths(e), method_outputs(!o.csv.empty() ? "--csv" : "--plot", prefix, o.plot));
  validate(c);
  Problem p = load_problem(e.data);
  out << "problem: " << p.description << "\n";
  dln::Model start = build_start(p, e.model);
  auto methods = compare_methods(e.train, c);
  auto runs = run_methods(start, methods, threads, stderr_is_terminal());
  for (const auto& r : runs) print_run_table(out, r, 8);
  out << "\n";
  print_summary(out, runs);
  std::vector<std::string> csvs, jumps, labels;
  if (!prefix.empty()) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      csvs.push_back(method_series_csv(prefix, kMethodNames[i]));
      jumps.push_back(method_jumps_csv(prefix, kMethodNames[i]));
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
