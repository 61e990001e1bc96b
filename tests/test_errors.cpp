// math §7: statuses are fixed, messages name the argument and its value, and
// a diverging step leaves the state exactly as it was before that step.
#include <cmath>
#include <cstring>
#include <string>

#include "support.hpp"

TEST_CASE("status values and names are fixed and every status has a description") {
  CHECK(DLN_OK == 0);
  CHECK(DLN_ERR_NULL_POINTER == -1);
  CHECK(DLN_ERR_INVALID_ARGUMENT == -2);
  CHECK(DLN_ERR_OUT_OF_RANGE == -3);
  CHECK(DLN_ERR_NOT_FINITE == -4);
  CHECK(DLN_ERR_UNKNOWN_PARAM == -5);
  CHECK(DLN_ERR_STATE == -6);
  CHECK(DLN_ERR_DIVERGED == -7);
  CHECK(DLN_ERR_NOMEM == -8);
  CHECK(DLN_ERR_LAPACK == -9);
  CHECK(DLN_ERR_IO == -10);
  CHECK(DLN_ERR_FORMAT == -11);
  CHECK(DLN_ERR_INTERNAL == -12);
  for (int s = 0; s >= -12; --s) {
    CHECK(std::string(dln_status_name(s)).rfind("DLN_", 0) == 0);
    CHECK(std::strlen(dln_status_string(s)) > 0);
  }
  CHECK(std::string(dln_status_name(DLN_ERR_NOT_FINITE)) == "DLN_ERR_NOT_FINITE");
  CHECK(std::string(dln_status_name(5)) == "DLN_UNKNOWN_STATUS");
  CHECK(std::string(dln_status_string(-99)) == "unknown status");
  CHECK(DLN_PARAM_LEARNING_RATE == 1);
  CHECK(DLN_PARAM_RIDGE == 2);
  CHECK(DLN_PARAM_BATCH_SIZE == 3);
}

TEST_CASE("the runtime version matches the header") {
  CHECK(dln_version_number() == DLN_VERSION_NUMBER);
  CHECK(std::string(dln_version_string()) ==
        std::to_string(DLN_VERSION_MAJOR) + "." + std::to_string(DLN_VERSION_MINOR) + "." +
            std::to_string(DLN_VERSION_PATCH));
}

TEST_CASE("a failed create explains itself through dln_create_ex") {
  const int64_t widths[] = {4, 0, 3};
  dln_model *m = reinterpret_cast<dln_model *>(0x1);
  char message[256] = "untouched";
  CHECK(dln_create_ex(2, widths, 1, &m, message, sizeof message) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(m == reinterpret_cast<dln_model *>(0x1));  // *out untouched on failure
  CHECK(std::string(message) == "dln_create: widths[1]=0 must be in [1, 2^40]");
  char tiny[8];
  CHECK(dln_create_ex(0, widths, 1, &m, tiny, sizeof tiny) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(tiny) == "dln_cre");  // truncated, still terminated
  CHECK(dln_create_ex(0, widths, 1, &m, nullptr, 0) == DLN_ERR_INVALID_ARGUMENT);
  const int64_t good[] = {4, 2, 3};
  REQUIRE(dln_create_ex(2, good, 1, &m, message, sizeof message) == DLN_OK);
  CHECK(std::string(message).empty());
  dln_destroy(m);
  dln_destroy(nullptr);
}

TEST_CASE("messages name the offending argument and its value") {
  ModelPtr m = make_model({4, 3, 5});
  CHECK(dln_set_param(m.get(), DLN_PARAM_RIDGE, NAN) == DLN_ERR_NOT_FINITE);
  CHECK(std::string(dln_last_error(m.get())).find("DLN_PARAM_RIDGE") != std::string::npos);
  CHECK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, 2.5) == DLN_ERR_INVALID_ARGUMENT);
  CHECK(std::string(dln_last_error(m.get())).find("value=2.5") != std::string::npos);
  CHECK(dln_set_param(m.get(), 77, 1.0) == DLN_ERR_UNKNOWN_PARAM);
  CHECK(std::string(dln_last_error(m.get())) == "dln_set_param: param=77 is not a DLN_PARAM_* id");
  const int64_t rows[] = {0, 5}, cols[] = {0, 1};
  const double values[] = {1.0, 2.0};
  CHECK(dln_set_observations(m.get(), 2, rows, cols, values) == DLN_ERR_OUT_OF_RANGE);
  CHECK(std::string(dln_last_error(m.get())) == "dln_set_observations: rows[1]=5 is outside [0, 5)" );
  CHECK(dln_step(m.get(), 1) == DLN_ERR_STATE);
  CHECK(std::string(dln_last_error(m.get())).find("dln_set_observations") != std::string::npos);
  CHECK(std::string(dln_last_error(nullptr)).size() > 0);
}

TEST_CASE("a diverging run stops with the step number and the state before that step") {
  ModelPtr m = make_problem_model({6, 6, 6, 6, 6}, 36, 2, 1.0);
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.8));
  int status = DLN_OK;
  int64_t t = 0;
  ModelPtr before;
  for (; t < 100000 && status == DLN_OK; ++t) {
    dln_model *raw = nullptr;
    REQUIRE_OK(dln_clone(m.get(), &raw));
    before.reset(raw);
    status = dln_step(m.get(), 1);
  }
  REQUIRE(status == DLN_ERR_DIVERGED);
  int64_t step = -1;
  REQUIRE_OK(dln_get_step_count(m.get(), &step));
  CHECK(step == t - 1);  // the failing step did not count
  std::string message = dln_last_error(m.get());
  CHECK(message.find("step t=" + std::to_string(step)) != std::string::npos);
  CHECK(all_weights(m.get()) == all_weights(before.get()));
  for (const auto &w : all_weights(m.get()))
    for (double x : w) CHECK(std::isfinite(x));
  double cost = 0, ridge = 0;
  REQUIRE_OK(dln_loss(m.get(), &cost, &ridge));
  CHECK(std::isfinite(cost));  // the kept state has a finite loss, too
  // The same run in one call stops at the same step in the same state.
  ModelPtr again = make_problem_model({6, 6, 6, 6, 6}, 36, 2, 1.0);
  REQUIRE_OK(dln_set_param(again.get(), DLN_PARAM_LEARNING_RATE, 0.8));
  CHECK(dln_step(again.get(), 100000) == DLN_ERR_DIVERGED);
  CHECK(all_weights(again.get()) == all_weights(m.get()));
}
