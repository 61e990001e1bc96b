// The step engine (SPEC §3, §7, §8; issue 11): every formulation computes the
// step of SPEC §3 to rounding, batch size 1 is bit-identical to the engine
// before formulations existed, a diverged step leaves the state byte-identical
// whichever formulation ran, and results depend only on the thread count.
#include <cmath>
#include <cstring>
#include <string>

#include "checkpoint_tools.hpp"
#include "dense.hpp"

using namespace ckt;

namespace {

// FNV-1a over the bytes of every weight: one number per trajectory.
uint64_t weights_hash(const dln_model *m) {
  uint64_t h = 1469598103934665603ull;
  for (const std::vector<double> &w : all_weights(m)) {
    const unsigned char *p = reinterpret_cast<const unsigned char *>(w.data());
    for (size_t i = 0; i < w.size() * sizeof(double); ++i) h = (h ^ p[i]) * 1099511628211ull;
  }
  return h;
}

struct Trajectory {
  const char *name;
  std::vector<int64_t> widths;
  int64_t steps, threads;
  double init;  // END_TO_END scale; a huge one forces the cautious path of the step
  double learning_rate;
  uint64_t recorded;  // weights_hash after `steps` steps, recorded on commit 34f0345 (before issue 11)
};

ModelPtr start(const Trajectory &t) {
  ModelPtr m = make_problem_model(t.widths, 30, 17, 1.0);
  if (t.init != 1.0) {  // every layer scaled so that A ~ init: A entries near 1e141
    const double per_layer = std::pow(t.init, 1.0 / double(t.widths.size() - 1));
    for (int64_t l = 1; l < int64_t(t.widths.size()); ++l) {
      std::vector<double> w = weights_of(m.get(), l);
      for (double &x : w) x *= per_layer;
      REQUIRE_OK(dln_set_weights(m.get(), l, w.data()));
    }
  }
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, t.learning_rate));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_THREADS, double(t.threads)));
  return m;
}

const Trajectory kRecorded[] = {
    {"depth 1", {5, 6}, 400, 1, 1.0, 0.05,5182264110525450867ull},
    {"depth 2", {5, 3, 6}, 400, 1, 1.0, 0.05,945548003341894143ull},
    {"depth 3", {7, 5, 4, 6}, 400, 1, 1.0, 0.05,2087371765442822071ull},
    {"depth 4", {6, 5, 4, 3, 7}, 400, 1, 1.0, 0.05,11236069751118918334ull},
    {"depth 4, width 64", {64, 64, 64, 64, 64}, 200, 1, 1.0, 0.05, 1132906372434035122ull},
    {"depth 4, 2 threads", {6, 5, 4, 3, 7}, 400, 2, 1.0, 0.05,11236069751118918334ull},
    {"depth 3, cautious path (|A| ~ 1e150)", {4, 3, 3, 5}, 50, 1, 1e150, 1e-203,4943702024767775838ull},
};

}  // namespace

TEST_CASE("batch size 1 is bit-identical to the step engine before issue 11 (recorded trajectories)") {
  for (const Trajectory &t : kRecorded) {
    CAPTURE(t.name);
    ModelPtr m = start(t);
    REQUIRE_OK(dln_step(m.get(), t.steps));
    const uint64_t h = weights_hash(m.get());
    CAPTURE(h);
    CHECK(h == t.recorded);
  }
}
