// Thread safety (header, "Thread safety"): distinct handles used at the same
// time from many threads give exactly the results of the same work done one
// after the other, and concurrent dln_save calls to one path never expose a
// partial file. Run under ThreadSanitizer by scripts/test.d/25-tsan.sh.
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>

#include "checkpoint_tools.hpp"

using namespace ckt;
namespace fs = std::filesystem;

namespace {

constexpr int kThreads = 8;

// Everything one worker computes; compared field by field with ==.
struct Result {
  int failures = 0;  // statuses other than DLN_OK (checked after joining)
  Bytes mid, final_state;
  double cost = 0, ridge = 0, test_error = 0, norm2 = 0, balance = 0;
  std::vector<double> sigma;
  int64_t rank = 0, absorbed = 0, jumps = 0;
  bool operator==(const Result &) const = default;
};

// The whole life of a handle; plain C calls only (no doctest macros: those
// are not thread-safe), each status counted.
Result work(int id) {
  Result r;
  auto ok = [&](int status) { r.failures += status != DLN_OK; };
  const int64_t widths[4] = {5 + id % 3, 4, 3 + id % 2, 6};
  dln_model *m = nullptr;
  ok(dln_create(3, widths, uint64_t(100 + id), &m));
  if (!m) return r;
  double std = 0.5;
  ok(dln_init_weights(m, DLN_INIT_GAUSSIAN, 1, &std));
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  for (int64_t i = 0; i < widths[3]; ++i)
    for (int64_t j = 0; j < widths[0]; ++j)
      if ((i * 7 + j * 3 + id) % 4 != 0)
        rows.push_back(i), cols.push_back(j), values.push_back(std::sin(double(i + 2 * j + id)));
  ok(dln_set_observations(m, int64_t(values.size()), rows.data(), cols.data(), values.data()));
  ok(dln_set_test_observations(m, 3, rows.data(), cols.data(), values.data()));
  ok(dln_set_param(m, DLN_PARAM_LEARNING_RATE, 0.05));
  ok(dln_set_param(m, DLN_PARAM_RIDGE, 0.01));
  ok(dln_set_param(m, DLN_PARAM_SAMPLER, id % 3));  // with/without replacement, subset
  const int64_t subset[3] = {0, 1, 2};
  ok(dln_set_sample_subset(m, 3, subset));
  ok(dln_set_param(m, DLN_PARAM_BATCH_SIZE, 1 + id % 2));
  ok(dln_set_param(m, DLN_PARAM_JUMP_INTERVAL, 5));
  const double cosine[2] = {0.2, 50};
  ok(dln_set_schedule(m, DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_COSINE, 2, cosine));
  ok(dln_step(m, 60));
  // Save, destroy, load, continue.
  int64_t size = 0;
  ok(dln_save_buffer(m, nullptr, 0, &size));
  r.mid.resize(size_t(size));
  ok(dln_save_buffer(m, r.mid.data(), size, &size));
  dln_destroy(m);
  m = nullptr;
  ok(dln_load_buffer(r.mid.data(), size, &m));
  if (!m) return r;
  ok(dln_step(m, 40));
  const int64_t batch[2] = {0, 1};
  ok(dln_step_batch(m, 2, batch));
  ok(dln_loss(m, &r.cost, &r.ridge));
  ok(dln_test_error(m, &r.test_error));
  ok(dln_weight_norm2(m, &r.norm2));
  ok(dln_balancedness(m, &r.balance));
  r.sigma.resize(8);
  int64_t count = 0;
  ok(dln_singular_values(m, r.sigma.data(), 8, &count));
  r.sigma.resize(size_t(std::min<int64_t>(count, 8)));
  ok(dln_query_rank(m, 1e-3, &r.rank));
  ok(dln_query_absorbed_rank(m, &r.absorbed));
  ok(dln_jump_count(m, &r.jumps));
  // An error on this handle only touches this handle's message.
  if (dln_set_param(m, DLN_PARAM_BATCH_SIZE, -1) != DLN_ERR_INVALID_ARGUMENT) ++r.failures;
  if (std::string(dln_last_error(m)).find("value=-1") == std::string::npos) ++r.failures;
  ok(dln_save_buffer(m, nullptr, 0, &size));
  r.final_state.resize(size_t(size));
  ok(dln_save_buffer(m, r.final_state.data(), size, &size));
  dln_destroy(m);
  return r;
}

}  // namespace

TEST_CASE("8 threads with 8 handles compute exactly what the same work computes serially") {
  std::vector<Result> serial(kThreads), parallel(kThreads);
  for (int i = 0; i < kThreads; ++i) serial[size_t(i)] = work(i);
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) threads.emplace_back([&, i] { parallel[size_t(i)] = work(i); });
    for (auto &t : threads) t.join();
    for (int i = 0; i < kThreads; ++i) {
      CAPTURE(i);
      CHECK(serial[size_t(i)].failures == 0);
      CHECK(parallel[size_t(i)].failures == 0);
      CHECK(!serial[size_t(i)].final_state.empty());
      CHECK(parallel[size_t(i)] == serial[size_t(i)]);
    }
  }
}

TEST_CASE("concurrent dln_save to one path: every load sees one whole checkpoint") {
  std::string tmpl = (fs::temp_directory_path() / "dln_threads_XXXXXX").string();
  REQUIRE(mkdtemp(tmpl.data()) != nullptr);
  const fs::path dir = tmpl, file = dir / "shared.dln";
  std::vector<ModelPtr> models;
  std::vector<Bytes> states;
  for (int i = 0; i < 4; ++i) {
    models.push_back(rich_model(uint64_t(20 + i)));
    states.push_back(snapshot(models.back().get()));
  }
  REQUIRE_OK(dln_save(models[0].get(), file.c_str()));
  std::atomic<int> save_failures{0}, load_failures{0}, unknown{0}, loads{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i)
    writers.emplace_back([&, i] {
      for (int k = 0; k < 15; ++k)
        if (dln_save(models[size_t(i)].get(), file.c_str()) != DLN_OK) ++save_failures;
    });
  std::thread reader([&] {
    while (!stop.load()) {
      dln_model *m = nullptr;
      if (dln_load(file.c_str(), &m) != DLN_OK) {
        ++load_failures;
        continue;
      }
      ++loads;
      int64_t size = 0;
      dln_save_buffer(m, nullptr, 0, &size);
      Bytes b(static_cast<size_t>(size));
      dln_save_buffer(m, b.data(), size, &size);
      dln_destroy(m);
      bool known = false;
      for (const Bytes &s : states) known = known || s == b;
      if (!known) ++unknown;
    }
  });
  for (auto &t : writers) t.join();
  stop = true;
  reader.join();
  CHECK(save_failures == 0);
  CHECK(load_failures == 0);
  CHECK(unknown == 0);
  CHECK(loads > 0);
  int entries = 0;
  for (const auto &e : fs::directory_iterator(dir)) (void)e, ++entries;
  CHECK(entries == 1);  // no temporary file left behind
  fs::remove_all(dir);
}

// The weights after `steps` steps of the model `make` builds, on `threads`
// threads; the steps must have taken the formulation `expected`.
template <class Make>
std::vector<std::vector<double>> weights_after(int64_t threads, Make make, int64_t steps, int expected) {
  ModelPtr m = make();
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_THREADS, double(threads)));
  REQUIRE_OK(dln_step(m.get(), steps));
  int formulation = -1;
  REQUIRE_OK(dln_last_step_formulation(m.get(), &formulation));
  CHECK(formulation == expected);
  return all_weights(m.get());
}

// That `steps` steps of the model `make` builds give the same bits on two
// threads as on one, both through the formulation `expected`.
template <class Make>
void check_two_threads_give_the_bits_of_one(Make make, int64_t steps, int expected) {
  const auto one = weights_after(1, make, steps, expected), two = weights_after(2, make, steps, expected);
  CHECK(one == two);
}

// Full-batch GD (η = 0.01) on a planted problem of `widths` with `count` entries.
static ModelPtr full_batch_model(std::vector<int64_t> widths, int64_t count) {
  ModelPtr m = make_problem_model(std::move(widths), count, 8, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, DLN_SAMPLER_FULL_BATCH));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.01));
  return m;
}

TEST_CASE("the products with S split over two threads give the bits of one thread") {
  // 70000 entries of width 64: over the size from which the scattered passes
  // are split over std::threads (src/exec_context.hpp); the gemms
  // (64 × 64 × 2500) are large enough for BLIS's own threads, which split
  // their outputs, never a sum, so the step is not split in parts and the
  // whole step is bit for bit that of one thread (and under
  // ThreadSanitizer, scripts/test.d/25-tsan.sh, the parts are checked to be
  // free of races).
  check_two_threads_give_the_bits_of_one([] { return full_batch_model({2500, 64, 64, 64, 2500}, 70000); }, 5,
                                         DLN_FORMULATION_SPARSE_BLOCK);
}

TEST_CASE("the gathers and updates of W_1's columns split over two threads give the bits of one thread") {
  // 70000 columns of width 96 and 100000 entries: ~53000 distinct columns,
  // over 4M numbers copied, from which the blocks of columns of
  // gather_first_columns and add_to_first_columns are split over std::threads
  // (src/step_formulation.hpp). BLIS splits the larger products (8 × 96 ×
  // 53000) over their outputs, never a sum, so the whole step is still bit
  // for bit that of one thread.
  check_two_threads_give_the_bits_of_one([] { return full_batch_model({70000, 96, 8, 8, 9}, 100000); }, 3,
                                         DLN_FORMULATION_ROWS_COLS);
}

TEST_CASE("the fused batch loops split over two threads give the bits of one thread") {
  // Inner matrices of 1024 × 1021 and 1030 × 1024 (row and column tails)
  // and b = 5: over 4M entries touched per pass, from which both fused passes
  // are split over std::threads, by rows for the products and by groups of 8
  // columns for the update (src/formulation_fused_batch.cpp).
  auto make = [] {
    ModelPtr m = make_problem_model({40, 1021, 1024, 1030, 40}, 600, 8, 1.0);
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, 5));
    REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 1e-3));
    return m;
  };
  check_two_threads_give_the_bits_of_one(make, 3, DLN_FORMULATION_FUSED_BATCH);
}

// That a step split in parts on two threads repeats its bits and agrees
// with one thread to rounding: BLIS rounds a part of a product otherwise
// than the whole (src/step_parts.hpp), so the bits are those of the thread
// count.
template <class Make>
void check_parts_repeat_their_bits(Make make, int expected) {
  const auto one = weights_after(1, make, 20, expected);
  const auto two = weights_after(2, make, 20, expected);
  CHECK(weights_after(2, make, 20, expected) == two);
  CHECK(one != two);  // the split ran (were they equal, this test would not show it)
  double largest = 0.0, difference = 0.0;
  for (size_t l = 0; l < one.size(); ++l)
    for (size_t i = 0; i < one[l].size(); ++i) {
      largest = std::max(largest, std::abs(one[l][i]));
      difference = std::max(difference, std::abs(one[l][i] - two[l][i]));
    }
  CHECK(difference <= 1e-12 * largest);
}

TEST_CASE("the dense block split over two threads repeats its bits and agrees with one thread to rounding") {
  // Full-batch GD with every product under the size from which BLIS runs on
  // two threads: on two threads the dense block splits the step itself, by
  // columns through the chains and by rows for the gradients
  // (src/formulation_dense_block.cpp). 64 × 64 with 2000 entries (parts of
  // 32), and uneven widths with parts of odd sizes.
  for (auto make : {+[] { return full_batch_model({64, 64, 64, 64, 64}, 2000); },
                    +[] { return full_batch_model({45, 61, 37, 50, 59}, 1500); }})
    check_parts_repeat_their_bits(make, DLN_FORMULATION_DENSE_BLOCK);
}

TEST_CASE("the sparse block split over two threads repeats its bits and agrees with one thread to rounding") {
  // The same for a batch too sparse in its block for the dense block
  // (src/formulation_sparse_block.cpp: the residual pass by columns, F Sᵀ
  // by rows): 600 × 600 at width 32 with 5000 entries, and uneven widths
  // with parts of odd sizes.
  for (auto make : {+[] { return full_batch_model({600, 32, 32, 32, 600}, 5000); },
                    +[] { return full_batch_model({571, 37, 29, 41, 493}, 4100); }})
    check_parts_repeat_their_bits(make, DLN_FORMULATION_SPARSE_BLOCK);
}

TEST_CASE("a clone of a handle that split its steps over helper threads steps as the original") {
  // The clone gets the thread count, not the helpers (src/exec_context.hpp):
  // both go on splitting their steps, each on threads of its own, and agree
  // bit for bit with a handle that took all the steps.
  auto make = [] { return full_batch_model({64, 64, 64, 64, 64}, 2000); };
  ModelPtr whole = make(), original = make();
  for (dln_model *m : {whole.get(), original.get()}) REQUIRE_OK(dln_set_param(m, DLN_PARAM_THREADS, 2.0));
  REQUIRE_OK(dln_step(whole.get(), 10));
  REQUIRE_OK(dln_step(original.get(), 5));
  dln_model *raw = nullptr;
  REQUIRE_OK(dln_clone(original.get(), &raw));
  ModelPtr clone(raw);
  REQUIRE_OK(dln_step(original.get(), 5));
  REQUIRE_OK(dln_step(clone.get(), 5));
  int formulation = -1;
  REQUIRE_OK(dln_last_step_formulation(clone.get(), &formulation));
  CHECK(formulation == DLN_FORMULATION_DENSE_BLOCK);
  original.reset();  // its helpers stop; the clone's go on
  REQUIRE_OK(dln_step(clone.get(), 1));
  REQUIRE_OK(dln_step(whole.get(), 1));
  CHECK(all_weights(clone.get()) == all_weights(whole.get()));
}

#if defined(__SANITIZE_THREAD__)
constexpr bool kUnderThreadSanitizer = true;  // TSan cannot follow a child that starts threads after a fork
#else
constexpr bool kUnderThreadSanitizer = false;
#endif

// Run by the main suite and under ASan; not under TSan, whose thread
// registry rejects the child's new threads ("dup thread with used id").
TEST_CASE("a child forked after a handle started its helper threads steps and destroys that handle" *
          doctest::skip(kUnderThreadSanitizer)) {
  // fork copies the calling thread only: the child must neither wait for
  // nor join helpers that are not there (src/exec_context.cpp, drop_team),
  // and starts helpers of its own. alarm() turns a hang into a failure.
  ModelPtr m = full_batch_model({64, 64, 64, 64, 64}, 2000);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_THREADS, 2.0));
  REQUIRE_OK(dln_step(m.get(), 3));
  ModelPtr reference = full_batch_model({64, 64, 64, 64, 64}, 2000);
  REQUIRE_OK(dln_set_param(reference.get(), DLN_PARAM_THREADS, 2.0));
  REQUIRE_OK(dln_step(reference.get(), 6));
  const auto expected = all_weights(reference.get());
  std::fflush(nullptr);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    alarm(20);
    const bool ok = dln_step(m.get(), 3) == DLN_OK && all_weights(m.get()) == expected;
    m.reset();
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  REQUIRE_OK(dln_step(m.get(), 3));  // the parent's helpers go on
  CHECK(all_weights(m.get()) == expected);
}
