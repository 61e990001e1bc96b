// dln_ensemble: creation from a state, per-member options, the watch of B_r,
// results and members read out (issue 13). Stepping is ensemble_step.cpp.
#include "ensemble.hpp"

#include <cmath>

#include "errors.hpp"

namespace dln {

void check_call(int status, const dln_model *model) {
  if (status != DLN_OK) throw Error{status, dln_last_error(model)};
}

namespace {

constexpr int64_t kMaxMembers = int64_t(1) << 20;

const Member &member_at(const dln_ensemble &e, int64_t member) {
  if (member < 0 || member >= int64_t(e.members.size()))
    fail(DLN_ERR_OUT_OF_RANGE, "member=%lld is outside [0, %lld)", (long long)member,
         (long long)e.members.size());
  return e.members[size_t(member)];
}

void create(const dln_model *model, int64_t count, const uint64_t *seeds, dln_ensemble **out) {
  require_pointer(model, "model");
  require_pointer(out, "out");
  if (count < 1 || count > kMaxMembers)
    fail(DLN_ERR_INVALID_ARGUMENT, "members=%lld must be in [1, %lld]", (long long)count, (long long)kMaxMembers);
  require_pointer(seeds, "seeds");
  int64_t observations = 0;
  check_call(dln_get_observation_count(model, &observations), model);
  if (observations == 0)
    fail(DLN_ERR_STATE, "the model has no observations: call dln_set_observations first");
  auto e = std::make_unique<dln_ensemble>();
  e->members.resize(size_t(count));
  for (int64_t i = 0; i < count; ++i) {
    Member &m = e->members[size_t(i)];
    dln_model *copy = nullptr;
    check_call(dln_clone_ex(model, DLN_CLONE_FRESH, seeds[i], &copy), model);
    m.model.reset(copy);
    m.seed = seeds[i];
  }
  *out = e.release();
}

// Every member or just one, all or none: on a refusal the members already
// changed get their old value back (which they accepted before).
void set_param(dln_ensemble &e, int64_t member, int param, double value) {
  if (member != DLN_ENSEMBLE_ALL) {
    const Member &m = member_at(e, member);
    check_call(dln_set_param(m.model.get(), param, value), m.model.get());
    return;
  }
  std::vector<double> old(e.members.size());
  for (size_t i = 0; i < e.members.size(); ++i) {
    dln_model *m = e.members[i].model.get();
    check_call(dln_get_param(m, param, &old[i]), m);
  }
  for (size_t i = 0; i < e.members.size(); ++i) {
    dln_model *m = e.members[i].model.get();
    const int status = dln_set_param(m, param, value);
    if (status != DLN_OK) {
      Error refusal{status, std::string("member ") + std::to_string(i) + ": " + dln_last_error(m)};
      for (size_t j = 0; j < i; ++j) dln_set_param(e.members[j].model.get(), param, old[j]);
      throw refusal;
    }
  }
}

double result(const Member &m, int field) {
  const bool entered = m.entry_step >= 0;
  switch (field) {
    case DLN_MEMBER_STEP: return double(m.step);
    case DLN_MEMBER_ENTRY_STEP: return double(m.entry_step);
    case DLN_MEMBER_CENSORED: return entered ? 0.0 : 1.0;
    case DLN_MEMBER_TIME: return double(entered ? m.entry_step : m.step);
    case DLN_MEMBER_EXITS: return double(m.exits);
    case DLN_MEMBER_INSIDE: return m.inside ? 1.0 : 0.0;
    case DLN_MEMBER_ABSORBED_RANK: return double(m.absorbed_rank);
    case DLN_MEMBER_TRAIN_MSE: return m.train_mse;
    case DLN_MEMBER_TEST_MSE: return m.test_mse;
    case DLN_MEMBER_STATUS: return double(m.status);
  }
  return 0.0;  // unreachable: the field is checked first
}

bool is_watch_field(int field) {
  return field == DLN_MEMBER_ENTRY_STEP || field == DLN_MEMBER_CENSORED || field == DLN_MEMBER_TIME ||
         field == DLN_MEMBER_EXITS || field == DLN_MEMBER_INSIDE;
}

}  // namespace
}  // namespace dln

using namespace dln;

extern "C" {

int dln_ensemble_create(const dln_model *model, int64_t members, const uint64_t *seeds, dln_ensemble **out) {
  return guarded(model, "dln_ensemble_create", [&] { create(model, members, seeds, out); });
}

void dln_ensemble_destroy(dln_ensemble *ensemble) { delete ensemble; }

const char *dln_ensemble_last_error(const dln_ensemble *ensemble) {
  if (!ensemble) return "dln_ensemble_last_error: ensemble is NULL";
  return ensemble->last_error.c_str();
}

int dln_ensemble_size(const dln_ensemble *ensemble, int64_t *members) {
  return guarded_ensemble(ensemble, "dln_ensemble_size", [&] {
    require_pointer(ensemble, "ensemble");
    require_pointer(members, "members");
    *members = int64_t(ensemble->members.size());
  });
}

int dln_ensemble_set_param(dln_ensemble *ensemble, int64_t member, int param, double value) {
  return guarded_ensemble(ensemble, "dln_ensemble_set_param", [&] {
    require_pointer(ensemble, "ensemble");
    set_param(*ensemble, member, param, value);
    ensemble->results_current = false;  // λ moves ε and C (math §6)
  });
}

int dln_ensemble_get_param(const dln_ensemble *ensemble, int64_t member, int param, double *value) {
  return guarded_ensemble(ensemble, "dln_ensemble_get_param", [&] {
    require_pointer(ensemble, "ensemble");
    const Member &m = member_at(*ensemble, member);
    check_call(dln_get_param(m.model.get(), param, value), m.model.get());
  });
}

int dln_ensemble_watch(dln_ensemble *ensemble, int64_t r, int64_t check_every) {
  return guarded_ensemble(ensemble, "dln_ensemble_watch", [&] {
    require_pointer(ensemble, "ensemble");
    if (r < 0) fail(DLN_ERR_INVALID_ARGUMENT, "r=%lld is negative", (long long)r);
    if (check_every < 1) fail(DLN_ERR_INVALID_ARGUMENT, "check_every=%lld must be >= 1", (long long)check_every);
    ensemble->watch_rank = r;
    ensemble->check_every = check_every;
    for (Member &m : ensemble->members) {
      m.entry_step = -1;
      m.exits = 0;
      m.last_checked = -1;
      m.inside = false;
    }
    ensemble->results_current = false;
  });
}

int dln_ensemble_results(const dln_ensemble *ensemble, int field, double *values, int64_t capacity) {
  return guarded_ensemble(ensemble, "dln_ensemble_results", [&] {
    require_pointer(ensemble, "ensemble");
    if (field < 0 || field >= DLN_MEMBER_RECORD_SIZE)
      fail(DLN_ERR_UNKNOWN_PARAM, "field=%d is not a dln_member_field", field);
    require_pointer(values, "values");
    const int64_t k = int64_t(ensemble->members.size());
    if (capacity < k)
      fail(DLN_ERR_OUT_OF_RANGE, "capacity=%lld is less than the %lld members", (long long)capacity, (long long)k);
    if (!ensemble->results_current)
      fail(DLN_ERR_STATE,
           "no dln_ensemble_step since the ensemble was created, watched or had an option changed (0 steps "
           "is enough)");
    if (is_watch_field(field) && ensemble->watch_rank < 0)
      fail(DLN_ERR_STATE, "field=%d needs a watched B_r: call dln_ensemble_watch first", field);
    for (int64_t i = 0; i < k; ++i) {
      const Member &m = ensemble->members[size_t(i)];
      read_field(m, field);
      values[i] = result(m, field);
    }
  });
}

int dln_ensemble_member(const dln_ensemble *ensemble, int64_t member, dln_model **out) {
  return guarded_ensemble(ensemble, "dln_ensemble_member", [&] {
    require_pointer(ensemble, "ensemble");
    const Member &m = member_at(*ensemble, member);
    require_pointer(out, "out");
    check_call(dln_clone(m.model.get(), out), m.model.get());
  });
}

}  // extern "C"
