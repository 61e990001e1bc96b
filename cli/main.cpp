// dlnsgd — command-line front end of the dlnsgd library.
//   dlnsgd                 built-in demo (GD vs SGD vs two-phase SGD)
//   dlnsgd run ...         one run
//   dlnsgd compare ...     the three methods from one start
//   dlnsgd sweep ...       seeds × grid, threads (and MPI ranks when built with MPI)
//   dlnsgd probability ... P(enter B_r within T steps) with a Wilson interval
//   dlnsgd ensemble ...    seeds x grid from one state: hitting times of B_r, survival curves
#include <CLI/CLI.hpp>
#include <iostream>

#include "commands.hpp"
#include "start_state.hpp"
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
                 "Without a subcommand: the demo. From one rank-overestimating start on a 20x20 rank-2\n"
                 "problem it runs full-batch GD, SGD, two-phase SGD and six more SGD seeds (200000 steps\n"
                 "each, on all cores), prints ranks and errors over time and states what they show."};
    app.set_version_flag("--version", std::string("dlnsgd ") + dln::version_string());
    OutputOptions out_opts;
    int threads = 0;
    app.add_option("--threads", threads, "worker threads (0: all cores)");
    app.add_option("--plot", out_opts.plot, "demo: the figure of rank, sigma_{r+1}(M_k) vs eps, errors, singular values (.png, .svg, .pdf)");

    auto* run = app.add_subcommand("run", "one training run");
    auto* compare = app.add_subcommand("compare", "GD vs SGD vs two-phase SGD from the same start");
    auto* sweep = app.add_subcommand("sweep", "seeds x (eta, lambda, batch) grid");
    auto* prob = app.add_subcommand("probability", "estimate P(enter B_r within T steps)");
    auto* ens = app.add_subcommand("ensemble", "seeds x (eta, lambda, batch) from one state: hitting times of B_r");
    for (auto* sub : {run, compare, sweep, prob, ens}) {
      sub->add_option("--from,--checkpoint", e.from,
                      "start from this saved state (dln_save / run --save): its weights, data, options, "
                      "schedules and step counter; training flags given override them")
          ->check(CLI::ExistingFile);
      add_config_option(*sub);
      add_data_options(*sub, e.data);
      add_model_options(*sub, e.model);
      add_train_options(*sub, e.train);
    }
    for (auto* sub : {run, compare}) {
      sub->add_option("--csv", out_opts.csv, sub == run ? "time series CSV" : "prefix of the CSV files");
      sub->add_option("--plot", out_opts.plot,
                      "figure (.png, .svg or .pdf): absorbed rank, sigma_{r+1}(M_k) vs eps, errors, "
                      "singular values over time");
      sub->add_option("--r", e.train.watch_r, "the B_r whose sigma_{r+1}(M_k) and eps are recorded "
                                              "(0: the set below the current absorbed rank)");
    }
    run->add_option("--threads", e.train.threads, "threads of the handle's batched products (1..1024)")
        ->capture_default_str();
    run->add_option("--jumps", out_opts.jumps, "jump log CSV");
    run->add_option("--save", out_opts.save, "checkpoint of the final state (dln_save)");
    CompareSpec cmp;
    compare->add_option("--gd-eta", cmp.gd_eta, "GD learning rate")->capture_default_str();
    compare->add_option("--two-phase-steps", cmp.phase1_steps, "phase-1 length (0: steps/3)");
    compare->add_option("--two-phase-eta", cmp.phase1_eta, "phase-1 eta (0: --eta)");
    compare->add_option("--two-phase-lambda", cmp.phase1_lambda, "phase-1 lambda (0: 3 x --lambda)");
    compare->add_option("--phase2-eta", cmp.phase2_eta, "phase-2 eta (0: --eta / 3)");
    compare->add_option("--threads", threads, "worker threads, one run each (0: all cores)");
    compare->add_option("--seeds", cmp.extra_seeds, "more plain-SGD runs, one per seed")->delimiter(',');

    std::string sweep_out = "sweep.csv";
    sweep->add_option("-o,--output", sweep_out, "result CSV")->capture_default_str();
    sweep->add_option("--seeds", e.sweep.seeds, "seeds (sampling and init)")->delimiter(',');
    sweep->add_option("--etas", e.sweep.etas, "eta grid")->delimiter(',');
    sweep->add_option("--lambdas", e.sweep.lambdas, "lambda grid")->delimiter(',');
    sweep->add_option("--batches", e.sweep.batches, "batch-size grid")->delimiter(',');
    sweep->add_option("--threads", e.sweep.threads, "threads per process (0: all cores)");

    auto& ps = e.probability;
    for (auto* sub : {prob, ens}) {
      sub->add_option("--r", ps.r, "target set B_r")->capture_default_str();
      sub->add_option("--trials", ps.trials, "trials K (per grid point)")->capture_default_str();
      sub->add_option("--horizon", ps.horizon, "steps T per trial (censored there)")->capture_default_str();
      sub->add_option("--check-every", ps.check_every, "steps between membership checks")->capture_default_str();
      sub->add_option("--first-seed", ps.first_seed, "trial k uses seed first_seed+k")->capture_default_str();
      sub->add_option("--threads", ps.threads, "threads (0: all cores)");
    }
    prob->add_option("--confidence", ps.confidence, "Wilson interval level")->capture_default_str();
    ens->add_option("--etas", ps.etas, "eta grid")->delimiter(',');
    ens->add_option("--lambdas", ps.lambdas, "lambda grid")->delimiter(',');
    ens->add_option("--batches", ps.batches, "batch-size grid")->delimiter(',');
    EnsembleOutputs ens_out;
    ens->add_option("--out", ens_out.runs, "one row per grid point and seed (CSV)");
    ens->add_option("--summary", ens_out.summary, "one row per grid point: P(enter), Kaplan-Meier median (CSV)");
    ens->add_option("--curves", ens_out.curves, "the Kaplan-Meier survival curves (CSV)");
    ens->add_option("--plot", ens_out.plot, "survival curves with their bands (.png, .svg or .pdf)");

    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& err) {
      code = app.exit(err);
      if (mpi) mpi_finalize();
      return code;
    }
    GivenFlags given;
    for (auto* sub : {run, compare, sweep, prob, ens})
      if (*sub)
        for (const CLI::Option* opt : sub->get_options())
          if (opt->count() > 0)
            for (const auto& name : opt->get_lnames()) given.insert("--" + name);
    if (*run) code = cmd_run(e, out_opts, std::cout, given);
    else if (*compare) code = cmd_compare(e, cmp, out_opts, threads, std::cout, given);
    else if (*sweep) code = cmd_sweep(e, sweep_out, mpi, std::cout, given);
    else if (*prob) code = cmd_probability(e, std::cout, given, mpi);
    else if (*ens) code = cmd_ensemble(e, ens_out, std::cout, given, mpi);
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
