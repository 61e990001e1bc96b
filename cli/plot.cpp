// --plot: runs the plotting scripts with the system python (the one that has
// Debian's matplotlib), found next to the executable or in the source tree.
// Their input CSVs go to a private temporary directory that is removed
// afterwards, so a figure writes exactly one file, the one named.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "commands.hpp"
#include "output_files.hpp"
#include "report.hpp"

namespace dlncli {
namespace {
namespace fs = std::filesystem;

std::string script_path(const std::string& name) {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = exe.parent_path() / name;
    if (fs::exists(beside)) return beside.string();
  }
#ifdef DLN_CLI_SOURCE_DIR
  fs::path src = fs::path(DLN_CLI_SOURCE_DIR) / name;
  if (fs::exists(src)) return src.string();
#endif
  throw std::runtime_error(name + " not found next to the executable");
}

// A private directory for the script's input, removed when this goes out of scope.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/dlnsgd-plot-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("--plot: cannot create a temporary directory in " + pattern);
    path = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void run_script(std::vector<std::string> args) {
  const char* python = "/usr/bin/python3";
  args.insert(args.begin(), python);
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

}  // namespace

std::string plot_format(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  for (const char* f : {"png", "svg", "pdf"})
    if (ext == std::string(".") + f) return f;
  throw std::invalid_argument("--plot " + path + ": the name must end in .png, .svg or .pdf (the format)");
}

void plot_runs(const std::vector<const RunResult*>& runs, const std::string& path) {
  const std::string format = plot_format(path);
  ScratchDir dir;
  std::vector<std::string> args{script_path("plot_runs.py"), "", format};
  for (std::size_t i = 0; i < runs.size(); ++i) {
    std::string series = (dir.path / ("run" + std::to_string(i) + ".csv")).string();
    std::string jumps = (dir.path / ("run" + std::to_string(i) + ".jumps.csv")).string();
    write_series_csv_file(series, *runs[i]);
    write_jumps_csv_file(jumps, *runs[i]);
    args.insert(args.end(), {series, jumps, runs[i]->label});
  }
  // The script writes into the temporary of an atomic write.
  write_file_by_name(path, [&](const std::string& temporary) {
    args[1] = temporary;
    run_script(args);
  });
}

void plot_survival(const std::string& curves_csv_text, std::int64_t r, std::int64_t check_every,
                   const std::string& path) {
  const std::string format = plot_format(path);
  ScratchDir dir;
  std::string curves = (dir.path / "curves.csv").string();
  write_text_file(curves, [&](std::ostream& o) { o << curves_csv_text; });
  write_file_by_name(path, [&](const std::string& temporary) {
    run_script({script_path("plot_survival.py"), temporary, format, std::to_string(r), std::to_string(check_every),
                curves});
  });
}

}  // namespace dlncli
