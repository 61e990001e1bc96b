#include "report.hpp"

#include "output_files.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

namespace dlncli {

std::string format_g(double v, int precision) {
  if (std::isnan(v)) return "-";
  std::ostringstream os;
  os << std::setprecision(precision) << v;
  return os.str();
}

std::string format_shortest(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string jump_kind_name(std::int64_t kind) {
  return kind == DLN_JUMP_ABSORBED ? "absorbed" : kind == DLN_JUMP_NUMERICAL ? "numerical" : "unknown";
}

void write_series_csv(std::ostream& out, const RunResult& r) {
  std::size_t k = 0;
  for (const auto& s : r.series) k = std::max(k, s.sv.size());
  out << "step,eta,lambda,data_cost,ridge_term,loss,test_error,norm2,balancedness,numerical_rank,"
         "absorbed_rank";
  for (std::size_t i = 0; i < k; ++i) out << ",sv" << i + 1;
  out << ",br_r,br_sigma,br_eps\n" << std::setprecision(10);
  for (const auto& s : r.series) {
    out << s.step << ',' << s.eta << ',' << s.lambda << ',' << s.data_cost << ',' << s.ridge_term
        << ',' << s.data_cost + s.ridge_term << ',';
    if (!std::isnan(s.test_error)) out << s.test_error;
    out << ',' << s.norm2 << ',' << s.balancedness << ',' << s.numerical_rank << ','
        << s.absorbed_rank;
    for (std::size_t i = 0; i < k; ++i) {
      out << ',';
      if (i < s.sv.size()) out << s.sv[i];
    }
    out << ',' << s.br_r << ',' << s.br_sigma << ',' << s.br_eps << '\n';
  }
}

void write_jumps_csv(std::ostream& out, const RunResult& r) {
  out << "step,kind,before,after\n";
  for (const auto& j : r.jumps)
    out << j.step << ',' << jump_kind_name(j.kind) << ',' << j.before << ',' << j.after << '\n';
}

void write_series_csv_file(const std::string& path, const RunResult& r) {
  write_text_file(path, [&](std::ostream& o) { write_series_csv(o, r); });
}
void write_jumps_csv_file(const std::string& path, const RunResult& r) {
  write_text_file(path, [&](std::ostream& o) { write_jumps_csv(o, r); });
}

void print_run_table(std::ostream& out, const RunResult& r, int rows) {
  out << "== " << r.label << "\n";
  out << std::setw(9) << "step" << std::setw(9) << "eta" << std::setw(9) << "lambda" << std::setw(11)
      << "train_mse" << std::setw(11) << "test_mse" << std::setw(5) << "rk" << std::setw(6) << "absrk"
      << "  top singular values\n";
  const std::size_t n = r.series.size();
  std::vector<std::size_t> pick;
  for (int q = 0; q < rows && n > 0; ++q) {
    std::size_t i = rows > 1 ? static_cast<std::size_t>(std::llround(double(q) * double(n - 1) / double(rows - 1))) : n - 1;
    if (pick.empty() || pick.back() != i) pick.push_back(i);
  }
  for (std::size_t i : pick) {
    const Sample& s = r.series[i];
    out << std::setw(9) << s.step << std::setw(9) << format_g(s.eta, 3) << std::setw(9)
        << format_g(s.lambda, 3) << std::setw(11) << format_g(s.data_cost) << std::setw(11)
        << format_g(s.test_error) << std::setw(5) << s.numerical_rank << std::setw(6)
        << s.absorbed_rank << " ";
    for (double v : s.sv) out << ' ' << format_g(v, 3);
    out << '\n';
  }
  std::int64_t absorbed = 0, numerical = 0;
  for (const auto& j : r.jumps) (j.kind == DLN_JUMP_ABSORBED ? absorbed : numerical)++;
  out << "   jumps: " << absorbed << " of the absorbed rank, " << numerical << " of the numerical rank";
  if (!r.jumps.empty()) {
    out << ":";
    std::size_t shown = 0;
    for (const auto& j : r.jumps) {
      if (shown++ == 8) {
        out << " ...";
        break;
      }
      out << " t=" << j.step << " " << (j.kind == DLN_JUMP_ABSORBED ? "abs" : "num") << " "
          << j.before << "->" << j.after;
    }
  }
  out << '\n';
  if (r.diverged) out << "   DIVERGED: " << r.message << '\n';
}

void print_summary(std::ostream& out, const std::vector<RunResult>& runs) {
  // Labels carry the hyperparameters: never cut them, widen the column instead.
  size_t width = 8;
  for (const auto& r : runs) width = std::max(width, r.label.size() + 2);
  const int w = int(width);
  out << std::left << std::setw(w) << "method" << std::right << std::setw(11) << "train_mse"
      << std::setw(11) << "test_mse" << std::setw(5) << "rk" << std::setw(6) << "absrk" << std::setw(7)
      << "jumps" << std::setw(9) << "seconds" << '\n';
  for (const auto& r : runs) {
    const Sample& s = r.last();
    out << std::left << std::setw(w) << r.label << std::right << std::setw(11)
        << format_g(s.data_cost) << std::setw(11) << format_g(s.test_error) << std::setw(5)
        << s.numerical_rank << std::setw(6) << s.absorbed_rank << std::setw(7) << r.jumps.size()
        << std::setw(9) << format_g(r.seconds, 3) << (r.diverged ? "  diverged" : "") << '\n';
  }
}

}  // namespace dlncli
