// The command-line flags shared by the subcommands, bound to the fields of an
// Experiment (so flags override a --config TOML file read beforehand).
#ifndef DLN_CLI_OPTIONS_HPP
#define DLN_CLI_OPTIONS_HPP

#include <CLI/CLI.hpp>
#include <string>

#include "spec.hpp"

namespace dlncli {

struct OutputOptions {
  std::string csv;     // run: the time series; compare: a prefix
  std::string jumps;   // jump log CSV (run) / prefix (compare)
  std::string plot;    // PNG
  std::string save;    // checkpoint of the final state (run)
};

void add_config_option(CLI::App& app);  // --config (read before parsing, see main.cpp)
void add_data_options(CLI::App& app, DataSpec& d);
void add_model_options(CLI::App& app, ModelSpec& m);
void add_train_options(CLI::App& app, TrainSpec& t);

// The value of --config FILE / --config=FILE in argv, or "".
std::string find_config_argument(int argc, char** argv);

}  // namespace dlncli

#endif
