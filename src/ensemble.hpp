// The state behind a dln_ensemble handle (issue 13, math §6): K members,
// each an ordinary dln_model driven through the public C API only, and what
// watching B_r has recorded about it. Compatible members are stepped in
// lockstep groups (lockstep.hpp, ensemble_lockstep.cpp); between calls they
// are always ordinary handles.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "dlnsgd.h"
#include "errors.hpp"

namespace dln {

struct ModelDeleter {
  void operator()(dln_model *m) const noexcept { dln_destroy(m); }
};
using OwnedModel = std::unique_ptr<dln_model, ModelDeleter>;

struct Member {
  OwnedModel model;
  uint64_t seed = 0;
  // The watch of B_r (math §6), reset by dln_ensemble_watch.
  int64_t entry_step = -1;    // first checked step inside, -1 if none
  int64_t exits = 0;          // inside → outside between consecutive checks
  int64_t last_checked = -1;  // step of the last check, -1 if none
  bool inside = false;        // verdict of the last check
  // As of the end of the last dln_ensemble_step. The absorbed rank and the
  // losses are read from the handle (unchanged since) when first asked for:
  // the bits of `unread` name those not read yet (memoized by the const
  // dln_ensemble_results, hence mutable).
  int64_t step = 0;
  mutable int64_t absorbed_rank = -1;
  mutable double train_mse = std::numeric_limits<double>::quiet_NaN();
  mutable double test_mse = std::numeric_limits<double>::quiet_NaN();
  mutable unsigned unread = 0;
  int status = DLN_OK;  // not DLN_OK: stopped, never stepped again
};

// The bits of Member::unread.
enum : unsigned { kUnreadRank = 1, kUnreadTrain = 2, kUnreadTest = 4, kUnreadAll = 7 };

}  // namespace dln

struct dln_ensemble {
  std::vector<dln::Member> members;
  int64_t watch_rank = -1;   // r of the watched B_r, -1 if none
  int64_t check_every = 0;
  bool results_current = false;  // a dln_ensemble_step since the last change
  mutable std::string last_error;
};

namespace dln {

// Throws dln::Error with the model's last-error text unless status is DLN_OK:
// the ensemble calls the public API and passes its verdicts on.
void check_call(int status, const dln_model *model);

// The body of every dln_ensemble_* entry point: as dln::guarded, with the
// detail in the ensemble's last-error string.
template <class Body>
int guarded_ensemble(const dln_ensemble *ensemble, const char *function, Body &&body) noexcept {
  std::string detail;
  const int status = run_caught(body, detail);
  if (status != DLN_OK && ensemble) {
    try {
      ensemble->last_error = std::string(function) + ": " + detail;
    } catch (...) {
      ensemble->last_error.clear();  // the status still tells what happened
    }
  }
  return status;
}

// One check of the watch of B_r at the member's step.
void check(Member &member, int64_t r);
// The results at the end of a call: the absorbed rank and the losses are
// left unread (read_field reads them when asked for) when the losses surely
// fit a double; else they are read now, and a loss beyond the largest
// double throws DLN_ERR_OUT_OF_RANGE, which stops the member.
void read_results(Member &member);
// Reads the field (DLN_MEMBER_ABSORBED_RANK, _TRAIN_MSE or _TEST_MSE) if
// unread. Throws as the query (DLN_ERR_NOMEM, DLN_ERR_LAPACK); on a stopped
// member a value that cannot be read is -1 or NaN instead.
void read_field(const Member &member, int field);

// Advances one member by `steps` with the checks due (every check_every
// steps, r < 0: no watch) and reads its results. Throws on failure.
void advance_member(Member &member, int64_t steps, int64_t r, int64_t check_every);

// Whether the active members can be stepped in lockstep (lockstep.hpp).
bool lockstep_eligible(const dln_ensemble &ensemble);
// Advances the members `ids` (lockstep-compatible, at most 8) by `steps` in
// one lockstep group, with the checks and the after-step records of
// advance_member at the same steps; a member the group cannot step (near
// overflow) goes on alone. Failures into outcome / message per member.
void advance_lockstep(dln_ensemble &ensemble, const std::vector<size_t> &ids, int64_t steps,
                      std::vector<int> &outcome, std::vector<std::string> &message);

}  // namespace dln
