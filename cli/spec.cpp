#include "spec.hpp"

#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

namespace dlncli {
namespace {

struct Reader {
  const std::string& file;
  const toml::table& table;
  std::string prefix;

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    std::ostringstream os;
    os << file;
    if (auto* node = table.get(key)) os << ":" << node->source().begin.line;
    os << ": " << prefix << key << ": " << what;
    throw std::invalid_argument(os.str());
  }
  void only(std::set<std::string> allowed) const {
    for (auto&& [k, v] : table)
      if (!allowed.count(std::string(k.str()))) {
        std::ostringstream os;
        os << file << ":" << v.source().begin.line << ": unknown key '" << prefix << k.str() << "'";
        throw std::invalid_argument(os.str());
      }
  }
  void get(const char* key, std::string& out) const {
    if (auto* n = table.get(key)) {
      if (!n->is_string()) fail(key, "must be a string");
      out = **n->as_string();
    }
  }
  void get(const char* key, double& out) const {
    if (auto* n = table.get(key)) {
      if (n->is_floating_point()) out = **n->as_floating_point();
      else if (n->is_integer()) out = static_cast<double>(**n->as_integer());
      else fail(key, "must be a number");
    }
  }
  template <class Int>
  void get_int(const char* key, Int& out) const {
    if (auto* n = table.get(key)) {
      if (!n->is_integer()) fail(key, "must be an integer");
      std::int64_t v = **n->as_integer();
      if (std::is_unsigned_v<Int> && v < 0) fail(key, "must be >= 0");
      out = static_cast<Int>(v);
    }
  }
  void get(const char* key, std::int64_t& out) const { get_int(key, out); }
  void get(const char* key, std::uint64_t& out) const { get_int(key, out); }
  void get(const char* key, int& out) const { get_int(key, out); }
  template <class T>
  void get_list(const char* key, std::vector<T>& out) const {
    if (auto* n = table.get(key)) {
      std::vector<T> values;
      if (auto* arr = n->as_array()) {
        for (std::size_t i = 0; i < arr->size(); ++i) {
          toml::table one;
          one.insert("v", *arr->get(i));
          Reader item{file, one, prefix + key + "[" + std::to_string(i) + "]."};
          T v{};
          item.get("v", v);
          values.push_back(v);
        }
      } else {
        T v{};
        get(key, v);
        values.push_back(v);
      }
      out = std::move(values);
    }
  }
  const toml::table* sub(const char* key) const {
    if (auto* n = table.get(key)) {
      if (!n->is_table()) fail(key, "must be a table");
      return n->as_table();
    }
    return nullptr;
  }
};

}  // namespace

namespace {
// The command-line flag of a TOML key "table.key": "--" + key with '-' for
// '_', except where the flag is named otherwise.
std::string flag_of(const std::string& table, const std::string& key) {
  if (table == "train" && key == "rank_rtol") return "--rtol";
  std::string flag = "--" + key;
  for (char& c : flag)
    if (c == '_') c = '-';
  return flag;
}
}  // namespace

void load_toml(const std::string& path, Experiment& e) {
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& err) {
    std::ostringstream os;
    os << path << ":" << err.source().begin.line << ":" << err.source().begin.column << ": "
       << err.description();
    throw std::invalid_argument(os.str());
  }
  Reader top{path, root, ""};
  top.only({"data", "synthetic", "model", "train", "sweep", "probability"});
  if (auto* t = top.sub("data")) {
    Reader r{path, *t, "data."};
    r.only({"train", "test", "truth", "test_fraction", "split_seed", "index_base", "rows", "cols"});
    r.get("train", e.data.train_file);
    r.get("test", e.data.test_file);
    r.get("truth", e.data.truth_file);
    r.get("test_fraction", e.data.test_fraction);
    r.get("split_seed", e.data.split_seed);
    std::string base;
    r.get("index_base", base);
    if (!base.empty()) {
      try {
        e.data.index_base = parse_index_base(base);
      } catch (const std::invalid_argument& ex) {
        r.fail("index_base", ex.what());
      }
    }
    r.get("rows", e.data.rows);
    r.get("cols", e.data.cols);
  }
  if (auto* t = top.sub("synthetic")) {
    Reader r{path, *t, "synthetic."};
    r.only({"rows", "cols", "rank", "noise", "fraction", "seed"});
    auto& s = e.data.synthetic;
    r.get("rows", s.rows), r.get("cols", s.cols), r.get("rank", s.rank);
    r.get("noise", s.noise), r.get("fraction", s.fraction), r.get("seed", s.seed);
  }
  if (auto* t = top.sub("model")) {
    Reader r{path, *t, "model."};
    r.only({"depth", "width", "hidden", "init", "init_scale", "init_seed"});
    r.get("depth", e.model.depth), r.get("width", e.model.width);
    r.get_list("hidden", e.model.hidden);
    r.get("init", e.model.init), r.get("init_scale", e.model.init_scale);
    r.get("init_seed", e.model.init_seed);
  }
  if (auto* t = top.sub("train")) {
    Reader r{path, *t, "train."};
    r.only({"method", "eta", "lambda", "batch", "sampler", "steps", "phase1_steps", "phase1_eta",
            "phase1_lambda", "seed", "record_every", "jump_interval", "rank_rtol", "top_k"});
    auto& s = e.train;
    r.get("method", s.method), r.get("eta", s.eta), r.get("lambda", s.lambda);
    r.get("batch", s.batch), r.get("sampler", s.sampler), r.get("steps", s.steps);
    r.get("phase1_steps", s.phase1_steps), r.get("phase1_eta", s.phase1_eta);
    r.get("phase1_lambda", s.phase1_lambda), r.get("seed", s.seed);
    r.get("record_every", s.record_every), r.get("jump_interval", s.jump_interval);
    r.get("rank_rtol", s.rank_rtol), r.get("top_k", s.top_k);
  }
  if (auto* t = top.sub("sweep")) {
    Reader r{path, *t, "sweep."};
    r.only({"seeds", "eta", "lambda", "batch", "threads"});
    r.get_list("seeds", e.sweep.seeds), r.get_list("eta", e.sweep.etas);
    r.get_list("lambda", e.sweep.lambdas), r.get_list("batch", e.sweep.batches);
    r.get("threads", e.sweep.threads);
  }
  if (auto* t = top.sub("probability")) {
    Reader r{path, *t, "probability."};
    r.only({"checkpoint", "r", "trials", "horizon", "check_every", "first_seed", "confidence",
            "threads"});
    auto& p = e.probability;
    r.get("checkpoint", e.from), r.get("r", p.r), r.get("trials", p.trials);
    r.get("horizon", p.horizon), r.get("check_every", p.check_every);
    r.get("first_seed", p.first_seed), r.get("confidence", p.confidence);
    r.get("threads", p.threads);
  }
  for (auto&& [table, node] : root) {
    e.config_tables.insert(std::string(table.str()));
    if (auto* t = node.as_table(); t && table.str() == "train")
      for (auto&& [key, value] : *t) e.config_train_flags.insert(flag_of("train", std::string(key.str())));
  }
}

std::vector<NamedPath> input_paths(const Experiment& e) {
  return {{"--config", e.config},          {"--data", e.data.train_file},
          {"--test", e.data.test_file},    {"--truth", e.data.truth_file},
          {"--from", e.from}};
}

void validate(const ModelSpec& m) {
  if (m.depth < 1) throw std::invalid_argument("--depth " + std::to_string(m.depth) + " must be >= 1");
  if (m.hidden.empty() && m.depth > 1 && m.width < 1)
    throw std::invalid_argument("--width " + std::to_string(m.width) + " must be >= 1");
  for (std::size_t i = 0; i < m.hidden.size(); ++i)
    if (m.hidden[i] < 1)
      throw std::invalid_argument("--hidden[" + std::to_string(i) + "] " + std::to_string(m.hidden[i]) +
                                  " must be >= 1");
  if (!m.hidden.empty() && static_cast<std::int64_t>(m.hidden.size()) != m.depth - 1)
    throw std::invalid_argument("hidden widths: " + std::to_string(m.hidden.size()) +
                                " given, depth-1 = " + std::to_string(m.depth - 1) + " needed");
  static const std::set<std::string> inits{"gaussian", "end_to_end", "orthogonal", "identity",
                                           "balanced_data"};
  if (!inits.count(m.init))
    throw std::invalid_argument("init '" + m.init +
                                "' is not gaussian, end_to_end, orthogonal, identity or balanced_data");
}

void validate(const TrainSpec& t) {
  if (t.method != "sgd" && t.method != "gd")
    throw std::invalid_argument("method '" + t.method + "' is not sgd or gd");
  if (t.sampler != "with_replacement" && t.sampler != "without_replacement" && t.sampler != "subset")
    throw std::invalid_argument("sampler '" + t.sampler + "' is not with_replacement or without_replacement");
  auto refuse = [](const std::string& option, const std::string& value, const std::string& rule) {
    throw std::invalid_argument(option + " " + value + " " + rule);
  };
  auto text = [](double v) {
    std::ostringstream os;
    os << v;
    return os.str();
  };
  if (t.steps < 0) refuse("--steps", std::to_string(t.steps), "must be >= 0");
  if (t.phase1_steps < 0 || (t.phase1_steps > 0 && t.phase1_steps >= t.steps))
    refuse("--phase1-steps", std::to_string(t.phase1_steps),
           "must be in [0, --steps " + std::to_string(t.steps) + ")");
  if (t.phase1_steps > 0 && !(t.phase1_eta > 0 && std::isfinite(t.phase1_eta)))
    refuse("--phase1-eta", text(t.phase1_eta), "must be finite and > 0 when --phase1-steps > 0");
  if (t.phase1_steps > 0 && !(t.phase1_lambda > 0 && std::isfinite(t.phase1_lambda)))
    refuse("--phase1-lambda", text(t.phase1_lambda), "must be finite and > 0 when --phase1-steps > 0");
  if (t.record_every < 0) refuse("--record-every", std::to_string(t.record_every), "must be >= 0");
  if (t.jump_interval < 0) refuse("--jump-interval", std::to_string(t.jump_interval), "must be >= 0");
  if (t.top_k < 1) refuse("--top-k", std::to_string(t.top_k), "must be >= 1");
  if (t.threads < 1 || t.threads > 1024) refuse("--threads", std::to_string(t.threads), "must be in 1..1024");
  if (t.watch_r < 0) refuse("--r", std::to_string(t.watch_r), "must be >= 0 (0: the set below the current absorbed rank)");
}

}  // namespace dlncli
