#include "options.hpp"

#include <cstring>

namespace dlncli {

void add_config_option(CLI::App& app) {
  app.add_option("--config", "TOML experiment file (flags override its values)")
      ->check(CLI::ExistingFile);
}

void add_data_options(CLI::App& app, DataSpec& d) {
  const char* g = "Data (default: a synthetic noisy low-rank problem)";
  app.add_option("--data", d.train_file, "training observations: .mtx or CSV/TSV triplets")->group(g);
  app.add_option("--test", d.test_file, "held-out observations, same formats")->group(g);
  app.add_option("--truth", d.truth_file, "dense ground-truth matrix (.mtx array/coordinate or CSV grid)")
      ->group(g);
  app.add_option("--test-fraction", d.test_fraction, "hold out this fraction of --data at random")
      ->check(CLI::Range(0.0, 1.0))
      ->group(g);
  app.add_option("--split-seed", d.split_seed, "seed of the held-out split")->group(g);
  app.add_option_function<std::string>(
         "--index-base", [&d](const std::string& s) { d.index_base = parse_index_base(s); },
         "triplet indices: auto (0-based iff an index is 0), 0 or 1")
      ->check(CLI::IsMember({"auto", "0", "1"}))
      ->group(g);
  app.add_option("--rows", d.rows, "matrix rows n (default: from the data)")->group(g);
  app.add_option("--cols", d.cols, "matrix columns m (default: from the data)")->group(g);
  auto& s = d.synthetic;
  const char* sg = "Synthetic problem (used when --data is not given)";
  app.add_option("--syn-rows", s.rows, "rows of the target")->capture_default_str()->group(sg);
  app.add_option("--syn-cols", s.cols, "columns of the target")->capture_default_str()->group(sg);
  app.add_option("--syn-rank", s.rank, "rank of the target")->capture_default_str()->group(sg);
  app.add_option("--noise", s.noise, "noise std on observed entries")->capture_default_str()->group(sg);
  app.add_option("--fraction", s.fraction, "fraction of entries observed")->capture_default_str()->group(sg);
  app.add_option("--data-seed", s.seed, "seed of target, mask and noise")->capture_default_str()->group(sg);
}

void add_model_options(CLI::App& app, ModelSpec& m) {
  const char* g = "Network";
  app.add_option("--depth", m.depth, "depth L")->capture_default_str()->group(g);
  app.add_option("--width", m.width, "width of every hidden layer")->capture_default_str()->group(g);
  app.add_option("--hidden", m.hidden, "hidden widths n_1 ... n_{L-1} (overrides --width)")
      ->delimiter(',')
      ->group(g);
  app.add_option("--init", m.init, "gaussian | end_to_end | orthogonal | identity | balanced_data")
      ->capture_default_str()
      ->check(CLI::IsMember({"gaussian", "end_to_end", "orthogonal", "identity", "balanced_data"}))
      ->group(g);
  app.add_option("--init-scale", m.init_scale, "scale of the initialisation (default 3; 1 for balanced_data)")
      ->group(g);
  app.add_option("--init-seed", m.init_seed, "seed of random initial weights")->capture_default_str()->group(g);
}

void add_train_options(CLI::App& app, TrainSpec& t) {
  const char* g = "Training";
  app.add_option("--method", t.method, "sgd | gd")
      ->capture_default_str()
      ->check(CLI::IsMember({"sgd", "gd"}))
      ->group(g);
  app.add_option("--eta", t.eta, "learning rate")->capture_default_str()->group(g);
  app.add_option("--lambda", t.lambda, "ridge (weight decay) lambda")->capture_default_str()->group(g);
  app.add_option("--batch", t.batch, "SGD batch size")->capture_default_str()->group(g);
  app.add_option("--sampler", t.sampler, "with_replacement | without_replacement")
      ->capture_default_str()
      ->check(CLI::IsMember({"with_replacement", "without_replacement"}))
      ->group(g);
  app.add_option("--steps", t.steps, "number of steps")->capture_default_str()->group(g);
  app.add_option("--phase1-steps", t.phase1_steps, "two-phase schedule: length of phase 1")->group(g);
  app.add_option("--phase1-eta", t.phase1_eta, "two-phase schedule: eta of phase 1")->group(g);
  app.add_option("--phase1-lambda", t.phase1_lambda, "two-phase schedule: lambda of phase 1")->group(g);
  app.add_option("--seed", t.seed, "sampling seed")->capture_default_str()->group(g);
  app.add_option("--record-every", t.record_every, "steps between samples (0: steps/100)")->group(g);
  app.add_option("--jump-interval", t.jump_interval, "steps between rank checks of the jump log")
      ->capture_default_str()
      ->group(g);
  app.add_option("--rtol", t.rank_rtol, "numerical rank: #{s_i > rtol s_1}")->capture_default_str()->group(g);
  app.add_option("--top-k", t.top_k, "singular values recorded")->capture_default_str()->group(g);
}

std::string find_config_argument(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) return argv[i + 1];
    if (std::strncmp(argv[i], "--config=", 9) == 0) return argv[i] + 9;
  }
  return "";
}

}  // namespace dlncli
