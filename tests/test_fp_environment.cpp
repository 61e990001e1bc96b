// The floating-point environment (math §7, issue 14 class 3): the library
// never prints, aborts or traps, whatever the caller's environment. Every
// entry point runs with traps masked and round-to-nearest and hands the
// caller's environment (mode, traps, sticky flags) back unchanged; LAPACK is
// handed only finite input, so it never prints; the checkpoint loader
// refuses layers whose weights scale·V would overflow.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cfenv>
#include <cfloat>
#include <cmath>
#include <functional>
#include <string>

#include "checkpoint_tools.hpp"

using namespace ckt;

namespace {

struct ChildResult {
  bool exited = false;
  int code = -1;
  int signal = 0;
  std::string err;  // what the child wrote to stderr
};

// Runs body in a forked child with FE_INVALID, FE_OVERFLOW and FE_DIVBYZERO
// trapping and stderr captured; the child's exit code is body's result
// (a trap shows as signal SIGFPE).
ChildResult run_trapping(const std::function<int()> &body) {
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(pipefd[0]);
    ::dup2(pipefd[1], 2);
    feenableexcept(FE_INVALID | FE_OVERFLOW | FE_DIVBYZERO);
    int code = body();
    // The traps must still be on: the library restored the caller's environment.
    if (fegetexcept() != (FE_INVALID | FE_OVERFLOW | FE_DIVBYZERO)) code = 90;
    ::_exit(code);
  }
  ::close(pipefd[1]);
  ChildResult r;
  char buf[512];
  ssize_t got;
  while ((got = ::read(pipefd[0], buf, sizeof buf)) > 0) r.err.append(buf, size_t(got));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exited = WIFEXITED(status);
  r.code = r.exited ? WEXITSTATUS(status) : -1;
  r.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return r;
}

void check_child(const ChildResult &r) {
  INFO("signal ", r.signal, ", exit code ", r.code, ", stderr \"", r.err, "\"");
  CHECK(r.exited);
  CHECK(r.code == 0);
  CHECK(r.err.empty());
}

// Depth 3 on 2 × 2 with weights near the top of the double range: the
// products, Grams and QR factors of these overflow unless scaled first.
ModelPtr huge_model() {
  ModelPtr m = make_model({2, 2, 2, 2}, 3);
  const double w1[4] = {1.7e308, 1.7e308, 1.7e308, -1.7e308}, w2[4] = {1.0e308, 0, 0, 1.6e308},
               w3[4] = {-1.7e308, 1e-300, 3e307, 1.7e308};
  REQUIRE_OK(dln_set_weights(m.get(), 1, w1));
  REQUIRE_OK(dln_set_weights(m.get(), 2, w2));
  REQUIRE_OK(dln_set_weights(m.get(), 3, w3));
  const int64_t r[3] = {0, 1, 1}, c[3] = {0, 0, 1};
  const double v[3] = {1, -2, 0.5};
  REQUIRE_OK(dln_set_observations(m.get(), 3, r, c, v));
  return m;
}

// Every query of a state, each of which must answer DLN_OK or refuse a
// value that does not fit a double (DLN_ERR_OUT_OF_RANGE); the number of
// other answers is returned.
int query_everything(dln_model *m) {
  int bad = 0;
  auto ok_or_range = [&](int status) { bad += status == DLN_OK || status == DLN_ERR_OUT_OF_RANGE ? 0 : 1; };
  double buf[16], d = 0, e = 0;
  int64_t n = 0, ranks[8];
  int inside = 0;
  ok_or_range(dln_singular_values(m, buf, 16, &n));
  for (int64_t l = 1; l <= 3; ++l) ok_or_range(dln_layer_singular_values(m, l, buf, 16, &n));
  for (int64_t k = 1; k <= 2; ++k) ok_or_range(dln_bottleneck_singular_values(m, k, buf, 16, &n));
  ok_or_range(dln_query_rank(m, 0.0, &n));
  for (int measure = 0; measure <= 2; ++measure)
    for (int64_t t = 0; t <= 3; ++t) ok_or_range(dln_rank(m, t, measure, 0.0, 0.0, &d));
  ok_or_range(dln_bottleneck_ranks(m, 0.0, 0.0, ranks, 8));
  ok_or_range(dln_balancedness(m, &d));
  ok_or_range(dln_representation_cost(m, &d));
  ok_or_range(dln_output_column_norms(m, buf, 16));
  ok_or_range(dln_input_row_norms(m, buf, 16));
  ok_or_range(dln_loss(m, &d, &e));
  ok_or_range(dln_weight_norm2(m, &d));
  ok_or_range(dln_query_absorbed_rank(m, &n));
  ok_or_range(dln_in_Br(m, 1, -1, 1.0, -1, &inside));
  ok_or_range(dln_Br_report(m, 1, -1, 1.0, -1, buf));
  return bad;
}

// A checkpoint of rich_model() whose layer `index` (0-based) has V[0] = 1e6
// (its bound raised to match) and the given scale, CRCs recomputed.
Bytes with_layer(double scale, int index) {
  ModelPtr m = rich_model();
  Bytes b = snapshot(m.get());
  const Section layer = find(b, "LAYR", index);
  put_f64(b, layer.body + 24, scale);
  put_f64(b, layer.body + 32, 1e10);  // max_abs_bound >= max|V|
  put_f64(b, layer.body + 40, 1e6);   // the other entries of V are below 2
  fix_crcs(b);
  return b;
}

}  // namespace

TEST_CASE("every entry point hands back the caller's rounding mode and sticky flags unchanged") {
  ModelPtr m = rich_model();
  std::fenv_t saved;
  std::fegetenv(&saved);
  std::fesetround(FE_UPWARD);
  std::feclearexcept(FE_ALL_EXCEPT);
  std::feraiseexcept(FE_DIVBYZERO);
  double buf[16], d = 0;
  int64_t n = 0;
  int s1 = dln_step(m.get(), 5), s2 = dln_singular_values(m.get(), buf, 16, &n);
  int s3 = dln_balancedness(m.get(), &d), s4 = dln_query_absorbed_rank(m.get(), &n);
  int s5 = dln_save_buffer(m.get(), nullptr, 0, &n);
  int s6 = dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, std::nan(""));  // an error path too
  const int round = std::fegetround();
  const int flags = std::fetestexcept(FE_ALL_EXCEPT);
  std::fesetenv(&saved);
  CHECK(s1 == DLN_OK);
  CHECK(s2 == DLN_OK);
  CHECK(s3 == DLN_OK);
  CHECK(s4 == DLN_OK);
  CHECK(s5 == DLN_OK);
  CHECK(s6 == DLN_ERR_NOT_FINITE);
  CHECK(round == FE_UPWARD);
  CHECK(flags == FE_DIVBYZERO);  // neither cleared nor joined by the library's own inexact results
}

TEST_CASE("results do not depend on the caller's rounding mode") {
  ModelPtr a = rich_model(), b = rich_model();
  REQUIRE_OK(dln_step(a.get(), 20));
  std::fesetround(FE_DOWNWARD);
  int status = dln_step(b.get(), 20);
  std::fesetround(FE_TONEAREST);
  REQUIRE(status == DLN_OK);
  CHECK(snapshot(a.get()) == snapshot(b.get()));
}

TEST_CASE("with FP traps enabled by the caller, queries of weights near 1.7e308 neither trap nor print") {
  check_child(run_trapping([] {
    ModelPtr m = huge_model();
    return query_everything(m.get());
  }));
}

TEST_CASE("with FP traps enabled, a diverging step answers DLN_ERR_DIVERGED without a trap") {
  check_child(run_trapping([] {
    ModelPtr m = make_problem_model({4, 6, 6, 5}, 12, 3, 1.0);
    if (dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 1e150) != DLN_OK) return 10;
    if (dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, 4) != DLN_OK) return 11;
    int status = DLN_OK;
    for (int i = 0; i < 50 && status == DLN_OK; ++i) status = dln_step(m.get(), 1);
    if (status != DLN_ERR_DIVERGED) return 12;
    return query_everything(m.get()) == 0 ? 0 : 13;
  }));
}

TEST_CASE("with FP traps enabled, ranks of spectra at the top of the double range neither trap nor print") {
  check_child(run_trapping([] {
    const double s[3] = {DBL_MAX, DBL_MAX, 1e308};
    double r = 0;
    for (int measure = 0; measure <= 2; ++measure)
      if (dln_rank_of_spectrum(s, 3, measure, 0.0, 0.0, &r) != DLN_OK || !std::isfinite(r)) return 20 + measure;
    return 0;
  }));
}

TEST_CASE("with FP traps enabled, dln_init_balanced of entries near 1.5e308 neither traps nor prints") {
  check_child(run_trapping([] {
    ModelPtr m = make_model({3, 4, 4, 2}, 1);
    const double a0[6] = {1.5e308, -1.5e308, 1.5e308, 1.5e308, 1.5e308, -1.5e308};
    if (dln_init_balanced(m.get(), a0) != DLN_OK) return 30;
    const int64_t r[2] = {0, 1}, c[2] = {0, 2};
    const double v[2] = {1.0, 2.0};
    if (dln_set_observations(m.get(), 2, r, c, v) != DLN_OK) return 32;
    return query_everything(m.get()) == 0 ? 0 : 31;
  }));
}

TEST_CASE("the loader refuses a layer whose scale times max|V| overflows (valid CRCs)") {
  for (double factor : {1.0001, 2.0, 1e5}) {
    CAPTURE(factor);
    Bytes b = with_layer(DBL_MAX / 1e6 * factor, 1);
    dln_model *out = nullptr;
    char message[512] = "";
    int status = dln_load_buffer_ex(b.data(), int64_t(b.size()), &out, message, sizeof message);
    CHECK(status == DLN_ERR_FORMAT);
    CHECK(out == nullptr);
    CHECK(std::string(message).find("LAYR 2: scale=") != std::string::npos);
    CHECK(std::string(message).find("times max|V|=1000000 overflows") != std::string::npos);
  }
}

TEST_CASE("the loader refuses a subnormal layer scale (the step would read it as 0)") {
  ModelPtr m = rich_model();
  Bytes b = snapshot(m.get());
  put_f64(b, find(b, "LAYR", 0).body + 24, 1e-310);
  fix_crcs(b);
  dln_model *out = nullptr;
  char message[512] = "";
  CHECK(dln_load_buffer_ex(b.data(), int64_t(b.size()), &out, message, sizeof message) == DLN_ERR_FORMAT);
  CHECK(out == nullptr);
  CHECK(std::string(message).find("LAYR 1: scale=1e-310 is below the smallest normal double") != std::string::npos);
}

TEST_CASE("a forged checkpoint with weights just below overflow loads, and its queries neither trap nor print") {
  const Bytes b = with_layer(DBL_MAX / 1e6 * 0.999, 0);
  check_child(run_trapping([&] {
    dln_model *out = nullptr;
    if (dln_load_buffer(b.data(), int64_t(b.size()), &out) != DLN_OK) return 40;
    ModelPtr loaded(out);
    double buf[16], d = 0;
    int64_t n = 0, ranks[4];
    int bad = 0;
    auto ok_or_range = [&](int status) { bad += status == DLN_OK || status == DLN_ERR_OUT_OF_RANGE ? 0 : 1; };
    ok_or_range(dln_singular_values(out, buf, 16, &n));
    ok_or_range(dln_layer_singular_values(out, 1, buf, 16, &n));
    ok_or_range(dln_bottleneck_singular_values(out, 1, buf, 16, &n));
    ok_or_range(dln_bottleneck_ranks(out, 0.0, 0.0, ranks, 4));
    ok_or_range(dln_balancedness(out, &d));
    ok_or_range(dln_query_absorbed_rank(out, &n));
    ok_or_range(dln_query_rank(out, 0.0, &n));
    int step = dln_step(out, 3);  // the step refuses to overflow: diverged or fine, never a trap
    bad += step == DLN_OK || step == DLN_ERR_DIVERGED ? 0 : 1;
    return bad;
  }));
}
