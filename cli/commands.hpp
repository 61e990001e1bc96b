// The subcommands. Each returns the process exit code.
#ifndef DLN_CLI_COMMANDS_HPP
#define DLN_CLI_COMMANDS_HPP

#include <ostream>

#include "compare.hpp"
#include "options.hpp"
#include "spec.hpp"

namespace dlncli {

int cmd_run(const Experiment& e, const OutputOptions& o, std::ostream& out);
int cmd_compare(const Experiment& e, const CompareSpec& c, const OutputOptions& o, int threads,
                std::ostream& out);
int cmd_sweep(const Experiment& e, const std::string& output, bool use_mpi, std::ostream& out);
int cmd_probability(const Experiment& e, std::ostream& out);
int cmd_demo(const OutputOptions& o, int threads, std::ostream& out);

// The files each command writes, with the option that names each; the
// commands write exactly these (and check them against the inputs first).
std::vector<NamedPath> run_outputs(const OutputOptions& o);
// compare and the demo: prefix.{gd,sgd,two_phase}{.csv,.jumps.csv} and the PNG.
std::vector<NamedPath> method_outputs(const std::string& option, const std::string& prefix,
                                      const std::string& plot);
std::string method_series_csv(const std::string& prefix, const char* method);
std::string method_jumps_csv(const std::string& prefix, const char* method);
extern const char* const kMethodNames[3];  // gd, sgd, two_phase

// Plots one or more time series CSVs (singular values over time, jumps marked)
// into a PNG with /usr/bin/python3 and matplotlib. Throws on failure.
void plot_series(const std::vector<std::string>& series_csv, const std::vector<std::string>& jumps_csv,
                 const std::vector<std::string>& labels, const std::string& png);

}  // namespace dlncli

#endif
