// dlnsgd — command-line front end of the dlnsgd library.
//   dlnsgd                 built-in demo (GD vs SGD vs two-phase SGD)
//   dlnsgd run ...         one run
//   dlnsgd compare ...     the three methods from one start
//   dlnsgd sweep ...       seeds × grid, threads (and MPI ranks when built with MPI)
//   dlnsgd probability ... P(enter B_r within T steps) with a Wilson interval
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "data_io.hpp"
#include "options.hpp"
#include "output_files.hpp"
#include "sweep.hpp"

int main(int argc, char** argv) {
  using namespace dlncli;
  bool mpi = mpi_init_if_launched(&argc, &argv);
  int code = 0;
  try {
    install_interrupt_cleanup();
    Experiment e;
    if (std::string config = find_config_argument(argc, argv); !config.empty()) load_toml(config, e), e.config = config;

    CLI::App app{"dlnsgd: SGD with weight decay on deep linear networks for matrix completion.\n"
                 "Without a subcommand: a one-minute demo comparing GD, SGD and two-phase SGD."};
    app.set_version_flag("--version", std::string("dlnsgd ") + dln::version_string());
    OutputOptions out_opts;
    int threads = 0;
    app.add_option("--threads", threads, "worker threads (0: all cores)");
    app.add_option("--plot", out_opts.plot, "demo: write a PNG of the singular values over time");

    auto* run = app.add_subcommand("run", "one training run");
    auto* compare = app.add_subcommand("compare", "GD vs SGD vs two-phase SGD from the same start");
    auto* sweep = app.add_subcommand("sweep", "seeds x (eta, lambda, batch) grid");
    auto* prob = app.add_subcommand("probability", "estimate P(enter B_r within T steps)");
    for (auto* sub : {run, compare, sweep, prob}) {
      add_config_option(*sub);
      add_data_options(*sub, e.data);
      add_model_options(*sub, e.model);
      add_train_options(*sub, e.train);
    }
    for (auto* sub : {run, compare}) {
      sub->add_option("--csv", out_opts.csv, sub == run ? "time series CSV" : "prefix of the CSV files");
      sub->add_option("--plot", out_opts.plot, "PNG of singular values over time, jumps marked");
    }
    run->add_option("--jumps", out_opts.jumps, "jump log CSV");
    run->add_option("--save", out_opts.save, "checkpoint of the final state (dln_save)");
    CompareSpec cmp;
    compare->add_option("--gd-eta", cmp.gd_eta, "GD learning rate")->capture_default_str();
    compare->add_option("--two-phase-steps", cmp.phase1_steps, "phase-1 length (0: steps/3)");
    compare->add_option("--two-phase-eta", cmp.phase1_eta, "phase-1 eta (0: --eta)");
    compare->add_option("--two-phase-lambda", cmp.phase1_lambda, "phase-1 lambda (0: 3 x --lambda)");
    compare->add_option("--phase2-eta", cmp.phase2_eta, "phase-2 eta (0: --eta / 3)");
    compare->add_option("--threads", threads, "worker threads (0: all cores)");

    std::string sweep_out = "sweep.csv";
    sweep->add_option("-o,--output", sweep_out, "result CSV")->capture_default_str();
    sweep->add_option("--seeds", e.sweep.seeds, "seeds (sampling and init)")->delimiter(',');
    sweep->add_option("--etas", e.sweep.etas, "eta grid")->delimiter(',');
    sweep->add_option("--lambdas", e.sweep.lambdas, "lambda grid")->delimiter(',');
    sweep->add_option("--batches", e.sweep.batches, "batch-size grid")->delimiter(',');
    sweep->add_option("--threads", e.sweep.threads, "threads per process (0: all cores)");

    auto& ps = e.probability;
    prob->add_option("--checkpoint", ps.checkpoint, "start state saved by `run --save` (dln_load)");
    prob->add_option("--r", ps.r, "target set B_r")->capture_default_str();
    prob->add_option("--trials", ps.trials, "number of trials K")->capture_default_str();
    prob->add_option("--horizon", ps.horizon, "steps T per trial")->capture_default_str();
    prob->add_option("--check-every", ps.check_every, "steps between membership checks")->capture_default_str();
    prob->add_option("--first-seed", ps.first_seed, "trial k uses seed first_seed+k")->capture_default_str();
    prob->add_option("--confidence", ps.confidence, "Wilson interval level")->capture_default_str();
    prob->add_option("--threads", ps.threads, "threads (0: all cores)");

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& err) {
      code = app.exit(err);
      if (mpi) mpi_finalize();
      return code;
    }
    if (*run) code = cmd_run(e, out_opts, std::cout);
    else if (*compare) code = cmd_compare(e, cmp, out_opts, threads, std::cout);
    else if (*sweep) code = cmd_sweep(e, sweep_out, mpi, std::cout);
    else if (*prob) code = cmd_probability(e, std::cout);
    else code = cmd_demo(out_opts, threads, std::cout);
  } catch (const ParseError& err) {
    std::cerr << "dlnsgd: " << err.what() << "\n";
    code = 2;
  } catch (const dln::Error& err) {
    std::cerr << "dlnsgd: library error: " << err.what() << "\n";
    code = 4;
  } catch (const std::bad_alloc&) {
    std::cerr << "dlnsgd: out of memory: a size given (--syn-rows, --syn-cols, --width, --steps, ...) is too "
                 "large for this machine\n";
    code = 2;
  } catch (const std::exception& err) {
    std::cerr << "dlnsgd: " << err.what() << "\n";
    code = 2;
  }
  if (mpi) mpi_finalize();
  return code;
}
