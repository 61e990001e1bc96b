// `dlnsgd run` and `dlnsgd compare`.
#include <iostream>

#include "applicability.hpp"
#include "commands.hpp"
#include "output_files.hpp"
#include "progress.hpp"
#include "report.hpp"

namespace dlncli {

const char* const kMethodNames[3] = {"gd", "sgd", "two_phase"};

std::vector<NamedPath> run_outputs(const OutputOptions& o) {
  return {{"--csv", o.csv}, {"--jumps", o.jumps}, {"--plot", o.plot}, {"--save", o.save}};
}

std::string method_series_csv(const std::string& prefix, const std::string& method) {
  return prefix + "." + method + ".csv";
}
std::string method_jumps_csv(const std::string& prefix, const std::string& method) {
  return prefix + "." + method + ".jumps.csv";
}

std::vector<std::string> method_tags(const CompareSpec& c) {
  std::vector<std::string> tags(kMethodNames, kMethodNames + 3);
  for (auto s : c.extra_seeds) tags.push_back("sgd_seed" + std::to_string(s));
  return tags;
}

std::vector<NamedPath> method_outputs(const std::string& prefix, const std::string& plot,
                                      const std::vector<std::string>& tags) {
  std::vector<NamedPath> out{{"--plot", plot}};
  if (!prefix.empty())
    for (const auto& m : tags) {
      out.push_back({"--csv (" + m + " series)", method_series_csv(prefix, m)});
      out.push_back({"--csv (" + m + " jumps)", method_jumps_csv(prefix, m)});
    }
  return out;
}

std::string run_label(const TrainSpec& t) {
  std::string label = (t.method == "gd" ? "GD full batch" : "SGD b=" + std::to_string(t.batch)) +
                      " eta=" + format_g(t.eta, 3) + " lambda=" + format_g(t.lambda, 3);
  if (t.phase1_steps > 0)
    label += " after " + std::to_string(t.phase1_steps) + " steps at eta=" + format_g(t.phase1_eta, 3) +
             " lambda=" + format_g(t.phase1_lambda, 3);
  return label;
}

int cmd_run(const Experiment& e, const OutputOptions& o, std::ostream& out, const GivenFlags& given) {
  refuse_overlapping_paths(input_paths(e), run_outputs(o));
  StartState s = load_start(e, given, "run");
  refuse_inapplicable_flags("run", given, s.from_state, s.train.method);
  print_start(out, s);
  Progress bar("training", s.train.steps, stderr_is_terminal());
  std::int64_t last = 0;
  RunResult r = run_training(s.model, s.train, run_label(s.train), [&](std::int64_t done, std::int64_t) {
    bar.add(done - last);
    last = done;
  });
  bar.finish();
  print_run_table(out, r, 10);
  if (!o.csv.empty()) write_series_csv_file(o.csv, r), out << "time series: " << o.csv << "\n";
  if (!o.jumps.empty()) write_jumps_csv_file(o.jumps, r), out << "jump log: " << o.jumps << "\n";
  if (!o.plot.empty()) plot_runs({&r}, o.plot), out << "plot: " << o.plot << "\n";
  if (!o.save.empty()) {
    // dln_save_buffer, then the same atomic write as every other output
    // (so SIGINT cleans its temporary up too).
    std::vector<std::byte> bytes = r.final_state->save_buffer();
    write_bytes_file(o.save, bytes.data(), bytes.size());
    out << "checkpoint: " << o.save << "\n";
  }
  return r.diverged ? 3 : 0;
}

int cmd_compare(const Experiment& e, const CompareSpec& given_spec, const OutputOptions& o, int threads,
                std::ostream& out, const GivenFlags& given) {
  const auto tags = method_tags(given_spec);
  refuse_overlapping_paths(input_paths(e), method_outputs(o.csv, o.plot, tags));
  validate(given_spec);
  StartState s = load_start(e, given, "compare");
  refuse_inapplicable_flags("compare", given, s.from_state, "sgd");
  CompareSpec c = given_spec;
  if (s.from_state && !given.count("--gd-eta")) c.gd_eta = 0;  // GD at the state's eta
  print_start(out, s);
  auto methods = compare_methods(s.train, c);
  auto runs = run_methods(s.model, methods, threads, stderr_is_terminal());
  for (const auto& r : runs) print_run_table(out, r, 8);
  out << "\n";
  print_summary(out, runs);
  if (!o.csv.empty()) {
    for (std::size_t i = 0; i < runs.size(); ++i) {
      write_series_csv_file(method_series_csv(o.csv, tags[i]), runs[i]);
      write_jumps_csv_file(method_jumps_csv(o.csv, tags[i]), runs[i]);
    }
    out << "time series and jump logs: " << o.csv << ".{" << tags.front() << ",...," << tags.back()
        << "}{.csv,.jumps.csv}\n";
  }
  if (!o.plot.empty()) {
    std::vector<const RunResult*> all;
    for (const auto& r : runs) all.push_back(&r);
    plot_runs(all, o.plot);
    out << "plot: " << o.plot << "\n";
  }
  for (const auto& r : runs)
    if (r.diverged) return 3;
  return 0;
}

}  // namespace dlncli
