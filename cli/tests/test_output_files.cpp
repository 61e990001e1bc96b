// Every file the CLI writes (issue 14 classes 1, 2 and 7): no output is the
// same file as an input or another output (checked by device and inode
// before any work), writes go through the library's AtomicFile (FIFOs and
// symlinks refused, permissions kept, no half file), SIGINT during a write
// leaves no temporary, and messages name the option and the value.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "commands.hpp"
#include "compare.hpp"
#include "output_files.hpp"
#include "temp_files.hpp"
#include "probability.hpp"
#include "sweep.hpp"

using namespace dlncli;
namespace fs = std::filesystem;

namespace {

const char* kData = "%%MatrixMarket matrix coordinate real general\n4 3 5\n1 1 1\n2 2 2\n3 3 -1\n4 1 0.5\n1 3 2\n";

Experiment small(const std::string& data) {
  Experiment e;
  e.data.train_file = data;
  e.model.depth = 2, e.model.width = 2;
  e.train.steps = 50, e.train.record_every = 10;
  return e;
}

}  // namespace

TEST_CASE("run refuses --csv, --jumps, --plot and --save naming an input, before any work, and the input is intact") {
  TempDir dir;
  const std::string data = dir / "d.mtx";
  put(data, kData);
  for (const char* option : {"--csv", "--jumps", "--save", "--plot"}) {
    CAPTURE(option);
    OutputOptions o;
    std::string opt = option;
    (opt == "--csv" ? o.csv : opt == "--jumps" ? o.jumps : opt == "--save" ? o.save : o.plot) = data;
    std::ostringstream out;
    std::string msg = thrown([&] { cmd_run(small(data), o, out); });
    CHECK(msg == opt + " " + data + " is the same file as the input --data " + data +
                     ": it would be overwritten; choose another output path");
    CHECK(out.str().empty());  // nothing ran
    CHECK(slurp(data) == kData);
  }
}

TEST_CASE("the same file is found through a hard link, a symlink and another spelling of the path") {
  TempDir dir;
  const std::string data = dir / "d.mtx", hard = dir / "hard.csv", sym = dir / "sym.mtx";
  put(data, kData);
  REQUIRE(::link(data.c_str(), hard.c_str()) == 0);
  fs::create_symlink(data, sym);
  const std::string dotted = (dir.path / "." / "d.mtx").string();
  for (const std::string& out_path : {hard, dotted}) {
    CAPTURE(out_path);
    OutputOptions o;
    o.csv = out_path;
    std::ostringstream out;
    CHECK(thrown([&] { cmd_run(small(data), o, out); }).find("is the same file as the input --data") !=
          std::string::npos);
  }
  OutputOptions o;  // the input through a symlink, the output by its real name
  o.save = data;
  std::ostringstream out;
  CHECK(thrown([&] { cmd_run(small(sym), o, out); }).find("--save " + data + " is the same file as the input --data " + sym) == 0);
  CHECK(slurp(data) == kData);
}

TEST_CASE("every input is protected: --test, --truth, --config, --checkpoint") {
  TempDir dir;
  const std::string data = dir / "d.mtx", test = dir / "t.mtx", truth = dir / "truth.csv", config = dir / "e.toml";
  put(data, kData), put(test, kData), put(truth, "1,2,3\n4,5,6\n7,8,9\n1,1,1\n"), put(config, "[train]\nsteps = 5\n");
  Experiment e = small(data);
  e.data.test_file = test, e.data.truth_file = truth, e.config = config;
  for (const std::string& victim : {test, truth, config}) {
    OutputOptions o;
    o.jumps = victim;
    std::ostringstream out;
    CHECK(thrown([&] { cmd_run(e, o, out); }).find("--jumps " + victim + " is the same file as the input") == 0);
  }
  e.from = dir / "start.dln";
  put(e.from, "x");
  CHECK(thrown([&] { refuse_overlapping_paths(input_paths(e), {{"--output", e.from}}); })
            .find("the input --from") != std::string::npos);
  CHECK(slurp(test) == kData);
}

TEST_CASE("sweep -o and compare/demo prefixes naming an input are refused") {
  TempDir dir;
  const std::string data = dir / "d.mtx";
  put(data, kData);
  Experiment e = small(data);
  e.sweep.seeds = {1};
  std::ostringstream out;
  CHECK(thrown([&] { cmd_sweep(e, data, false, out); }) ==
        "--output " + data + " is the same file as the input --data " + data +
            ": it would be overwritten; choose another output path");
  // compare --csv P writes P.gd.csv, ...: an input named like one of them is protected.
  const std::string victim = dir / "p.sgd.jumps.csv";
  put(victim, "0,0,1\n1,1,2\n");
  Experiment c = small(victim);
  OutputOptions o;
  o.csv = dir / "p";
  CHECK(thrown([&] { cmd_compare(c, CompareSpec{}, o, 1, out); }) ==
        "--csv (sgd jumps) " + victim + " is the same file as the input --data " + victim +
            ": it would be overwritten; choose another output path");
  CHECK(slurp(data) == kData);
  CHECK(slurp(victim) == "0,0,1\n1,1,2\n");
}

TEST_CASE("two outputs naming the same file are refused") {
  TempDir dir;
  OutputOptions o;
  o.csv = dir / "a.csv";
  o.jumps = (dir.path / "." / "a.csv").string();
  Experiment e;
  e.data.synthetic.rows = 5, e.data.synthetic.cols = 4, e.model.depth = 2, e.model.width = 2, e.train.steps = 10;
  std::ostringstream out;
  CHECK(thrown([&] { cmd_run(e, o, out); }) ==
        "--jumps " + o.jumps + " is the same file as the output --csv " + o.csv + "; choose another output path");
  CHECK(dir.entries() == 0);
}

TEST_CASE("outputs that are FIFOs or symlinks are refused before any work") {
  TempDir dir;
  const std::string fifo = dir / "f.csv", target = dir / "target.txt", link = dir / "l.csv";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  put(target, "keep\n");
  fs::create_symlink(target, link);
  Experiment e;
  e.data.synthetic.rows = 5, e.data.synthetic.cols = 4, e.model.depth = 2, e.model.width = 2, e.train.steps = 10;
  for (const auto& [path, kind] : {std::pair{fifo, "a FIFO"}, std::pair{link, "a symbolic link"}}) {
    OutputOptions o;
    o.csv = path;
    std::ostringstream out;
    CHECK(thrown([&] { cmd_run(e, o, out); }) ==
          "--csv: cannot write '" + path + "': it is " + kind + ", not a regular file, and is left as it is");
    CHECK(out.str().empty());
  }
  CHECK(slurp(target) == "keep\n");
  CHECK(dir.entries() == 3);
}

TEST_CASE("CLI writes keep the permissions of the file they replace and leave no temporary") {
  TempDir dir;
  const std::string path = dir / "out.csv";
  put(path, "old\n");
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  write_text_file(path, [](std::ostream& o) { o << "new\n"; });
  CHECK(slurp(path) == "new\n");
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(dir.entries() == 1);
  // A write that fails (the directory is gone) names the path and strerror.
  CHECK(thrown([&] { write_text_file(dir / "no/such/dir.csv", [](std::ostream& o) { o << "x"; }); }) ==
        "cannot create a temporary file next to '" + (dir / "no/such/dir.csv") + "': No such file or directory");
}

TEST_CASE("SIGINT during a write removes the temporary, keeps the old file, and the process dies of SIGINT") {
  TempDir dir;
  const std::string path = dir / "series.csv";
  put(path, "old contents\n");
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    install_interrupt_cleanup();
    try {
      write_file_by_name(path, [&](const std::string& temporary) {
        std::ofstream(temporary) << "half a fi";  // the temporary exists and holds a partial file
        ::raise(SIGINT);
      });
    } catch (...) {
    }
    ::_exit(0);  // not reached: SIGINT kills
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGINT);
  CHECK(slurp(path) == "old contents\n");
  CHECK(dir.entries() == 1);
}

TEST_CASE("SIGTERM during a checkpoint write (run --save) leaves no temporary either") {
  TempDir dir;
  const std::string path = dir / "final.dln";
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    install_interrupt_cleanup();
    try {
      write_file_by_name(path, [&](const std::string&) { ::raise(SIGTERM); });
    } catch (...) {
    }
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  CHECK(dir.entries() == 0);
}

TEST_CASE("messages name the option and the value: synthetic sizes and rank") {
  SyntheticSpec s;
  s.rows = 20, s.cols = 20, s.rank = 50;
  CHECK(thrown([&] { synthetic_problem(s); }) ==
        "--syn-rank 50 exceeds min(--syn-rows 20, --syn-cols 20): a target of that rank does not exist");
  s.rank = 2, s.rows = 1000000, s.cols = 1000000;
  CHECK(thrown([&] { synthetic_problem(s); }) ==
        "synthetic problem: --syn-rows 1000000 x --syn-cols 1000000 exceeds the 2^27 entries a synthetic target may hold");
  s.rows = 0;
  CHECK(thrown([&] { synthetic_problem(s); }) == "--syn-rows 0 must be >= 1");
  s.rows = 5, s.cols = 5, s.fraction = std::nan("");
  CHECK(thrown([&] { synthetic_problem(s); }) == "--fraction nan must be in (0, 1]");
}

TEST_CASE("messages name the option and the value: --rows/--cols alone, --test-fraction nan") {
  TempDir dir;
  const std::string data = dir / "d.mtx";
  put(data, kData);
  DataSpec d;
  d.train_file = data;
  d.rows = 2;
  CHECK(thrown([&] { load_problem(d); }) == "--rows 2 is less than the 4 the data need");
  d.rows = 0, d.cols = 7;
  Problem p = load_problem(d);  // --cols alone: rows from the data
  CHECK(p.rows == 4);
  CHECK(p.cols == 7);
  d.cols = 0, d.test_fraction = std::nan("");
  CHECK(thrown([&] { load_problem(d); }) == "--test-fraction nan must be in [0, 1) (0: no random hold-out)");
  d.test_fraction = -0.5;
  CHECK(thrown([&] { load_problem(d); }) == "--test-fraction -0.5 must be in [0, 1) (0: no random hold-out)");
}

TEST_CASE("messages name the option and the value: probability, one condition at a time") {
  ProbabilitySpec ps;
  Experiment e;
  e.data.synthetic.rows = 5, e.data.synthetic.cols = 4, e.model.depth = 2, e.model.width = 2;
  dln::Model start = build_start(load_problem(e.data), e.model);
  ps.trials = 0;
  CHECK(thrown([&] { estimate_probability(start, e.train, ps); }) == "--trials 0 must be >= 1");
  ps.trials = 3, ps.horizon = -1;
  CHECK(thrown([&] { estimate_probability(start, e.train, ps); }) == "--horizon -1 must be >= 0");
  ps.horizon = 10, ps.check_every = 0;
  CHECK(thrown([&] { estimate_probability(start, e.train, ps); }) == "--check-every 0 must be >= 1");
  ps.check_every = 5, ps.r = -2;
  CHECK(thrown([&] { estimate_probability(start, e.train, ps); }) == "--r -2 must be >= 0");
}

TEST_CASE("messages name the option and the value: negative or NaN two-phase values are refused, not defaulted") {
  TrainSpec t;
  for (auto set : std::vector<std::pair<std::string, std::function<void(CompareSpec&)>>>{
           {"--two-phase-eta -1", [](CompareSpec& c) { c.phase1_eta = -1; }},
           {"--two-phase-lambda -0.5", [](CompareSpec& c) { c.phase1_lambda = -0.5; }},
           {"--two-phase-steps -3", [](CompareSpec& c) { c.phase1_steps = -3; }},
           {"--phase2-eta nan", [](CompareSpec& c) { c.phase2_eta = std::nan(""); }},
           {"--gd-eta -0.01", [](CompareSpec& c) { c.gd_eta = -0.01; }}}) {
    CompareSpec c;
    set.second(c);
    CHECK(thrown([&] { compare_methods(t, c); }) == set.first + " must be finite and >= 0 (0 chooses the default)");
  }
}

TEST_CASE("messages name the option and the value: training and network specs") {
  TrainSpec t;
  t.top_k = 0;
  CHECK(thrown([&] { validate(t); }) == "--top-k 0 must be >= 1");
  t.top_k = 3, t.jump_interval = -5;
  CHECK(thrown([&] { validate(t); }) == "--jump-interval -5 must be >= 0");
  t.jump_interval = 10, t.phase1_steps = 10, t.steps = 100, t.phase1_eta = 0.1, t.phase1_lambda = std::nan("");
  CHECK(thrown([&] { validate(t); }) == "--phase1-lambda nan must be finite and > 0 when --phase1-steps > 0");
  ModelSpec m;
  m.depth = 3, m.hidden = {4, 0};
  CHECK(thrown([&] { validate(m); }) == "--hidden[1] 0 must be >= 1");
}
