// Writing what a run measured: the CSV time series, the jump log, and the
// compact text tables the terminal shows.
#ifndef DLN_CLI_REPORT_HPP
#define DLN_CLI_REPORT_HPP

#include <ostream>
#include <string>
#include <vector>

#include "runner.hpp"

namespace dlncli {

// step,eta,lambda,data_cost,ridge_term,loss,test_error,norm2,balancedness,
// numerical_rank,absorbed_rank,sv1..svK
void write_series_csv(std::ostream& out, const RunResult& r);
// step,kind,before,after (kind: absorbed | numerical)
void write_jumps_csv(std::ostream& out, const RunResult& r);
void write_series_csv_file(const std::string& path, const RunResult& r);
void write_jumps_csv_file(const std::string& path, const RunResult& r);

// A table of about `rows` lines: step, eta, lambda, losses, test error, ranks,
// top singular values; then the jumps and a final summary line.
void print_run_table(std::ostream& out, const RunResult& r, int rows = 8);
// One line per run: final data cost, test error, ranks, jumps.
void print_summary(std::ostream& out, const std::vector<RunResult>& runs);

std::string jump_kind_name(std::int64_t kind);
std::string format_g(double v, int precision = 4);
// The shortest text that reads back as exactly v (0.005, not 0.0050000000000000001).
std::string format_shortest(double v);

}  // namespace dlncli

#endif
