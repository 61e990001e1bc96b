// The subcommands. Each returns the process exit code.
#ifndef DLN_CLI_COMMANDS_HPP
#define DLN_CLI_COMMANDS_HPP

#include <ostream>

#include "compare.hpp"
#include "options.hpp"
#include "spec.hpp"
#include "start_state.hpp"

namespace dlncli {

int cmd_run(const Experiment& e, const OutputOptions& o, std::ostream& out, const GivenFlags& given = {});
int cmd_compare(const Experiment& e, const CompareSpec& c, const OutputOptions& o, int threads,
                std::ostream& out, const GivenFlags& given = {});
int cmd_sweep(const Experiment& e, const std::string& output, bool use_mpi, std::ostream& out,
              const GivenFlags& given = {});
int cmd_probability(const Experiment& e, std::ostream& out, const GivenFlags& given = {}, bool use_mpi = false);
struct EnsembleOutputs {
  std::string runs, summary, curves, plot;  // --out, --summary, --curves, --plot
};
int cmd_ensemble(const Experiment& e, const EnsembleOutputs& o, std::ostream& out, const GivenFlags& given = {},
                 bool use_mpi = false);
int cmd_demo(const OutputOptions& o, int threads, std::ostream& out);

// The files each command writes, with the option that names each; the
// commands write exactly these (and check them against the inputs first).
std::vector<NamedPath> run_outputs(const OutputOptions& o);
// compare: prefix.<tag>{.csv,.jumps.csv} per method, and the plot.
std::vector<std::string> method_tags(const CompareSpec& c);  // gd, sgd, two_phase, sgd_seed<N> ...
std::vector<NamedPath> method_outputs(const std::string& prefix, const std::string& plot,
                                      const std::vector<std::string>& tags);
std::string method_series_csv(const std::string& prefix, const std::string& method);
std::string method_jumps_csv(const std::string& prefix, const std::string& method);
extern const char* const kMethodNames[3];  // gd, sgd, two_phase

// The figure of one or more runs (plot_runs.py): absorbed rank over time,
// max_k σ_{r+1}(M_k) against ε, train/test error and the singular values of
// A, time on a log axis, legends outside the data; the format follows the
// extension (.png, .svg, .pdf). Throws on failure.
void plot_runs(const std::vector<const RunResult*>& runs, const std::string& path);
// The format of a --plot path from its extension; throws std::invalid_argument otherwise.
std::string plot_format(const std::string& path);
// Survival curves P(not yet in B_r by t) per grid point with their bands (plot_survival.py).
void plot_survival(const std::string& curves_csv_text, std::int64_t r, std::int64_t check_every,
                   const std::string& path);

}  // namespace dlncli

#endif
