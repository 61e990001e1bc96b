// --plot: runs plot_singular_values.py with the system python (the one that
// has Debian's matplotlib), found next to the executable or in the source tree.
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output_files.hpp"

namespace dlncli {
namespace {

std::string script_path() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = exe.parent_path() / "plot_singular_values.py";
    if (fs::exists(beside)) return beside.string();
  }
#ifdef DLN_CLI_SOURCE_DIR
  fs::path src = fs::path(DLN_CLI_SOURCE_DIR) / "plot_singular_values.py";
  if (fs::exists(src)) return src.string();
#endif
  throw std::runtime_error("plot_singular_values.py not found next to the executable");
}

}  // namespace

void run_plot_script(const std::vector<std::string>& series_csv, const std::vector<std::string>& jumps_csv,
                     const std::vector<std::string>& labels, const std::string& png);

void plot_series(const std::vector<std::string>& series_csv, const std::vector<std::string>& jumps_csv,
                 const std::vector<std::string>& labels, const std::string& png) {
  // The script writes the PNG into the temporary of an atomic write.
  write_file_by_name(png, [&](const std::string& temporary) { run_plot_script(series_csv, jumps_csv, labels, temporary); });
}

void run_plot_script(const std::vector<std::string>& series_csv, const std::vector<std::string>& jumps_csv,
                     const std::vector<std::string>& labels, const std::string& png) {
  const char* python = "/usr/bin/python3";
  std::vector<std::string> args{python, script_path(), png};
  for (std::size_t i = 0; i < series_csv.size(); ++i) {
    args.push_back(series_csv[i]);
    args.push_back(jumps_csv[i]);
    args.push_back(labels[i]);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("--plot: fork failed");
  if (pid == 0) {
    execv(python, argv.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("--plot: " + std::string(python) + " " + args[1] + " failed (exit " +
                             std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                             "); it needs python3-matplotlib");
}

}  // namespace dlncli
