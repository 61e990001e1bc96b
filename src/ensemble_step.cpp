// dln_ensemble_step: the members stepped on threads, each watched for its
// first entry into B_r (math §6). A member is an independent handle whose
// trajectory depends on its own seed only (math §4), so the thread that
// steps it and the chunks its steps are split into change nothing; a check
// is a const query and never changes the trajectory either.
#include <algorithm>
#include <atomic>
#include <thread>

#include "ensemble.hpp"
#include "evaluate.hpp"
#include "lockstep.hpp"

namespace dln {

// One check of the watch at the member's current step.
void check(Member &m, int64_t r) {
  int inside = 0;
  check_call(dln_in_Br(m.model.get(), r, -1.0, -1.0, -1.0, &inside), m.model.get());
  if (inside && m.entry_step < 0) m.entry_step = m.step;
  if (!inside && m.inside) ++m.exits;  // m.inside implies an entry before
  m.inside = inside != 0;
  m.last_checked = m.step;
}

namespace {

void read_now(const Member &m, unsigned which) {
  dln_model *h = m.model.get();
  if (which & kUnreadRank) check_call(dln_query_absorbed_rank(h, &m.absorbed_rank), h);
  if (which & kUnreadTrain) {
    double ridge_term = 0.0;
    check_call(dln_loss(h, &m.train_mse, &ridge_term), h);
  }
  if (which & kUnreadTest) {
    const int status = dln_test_error(h, &m.test_mse);
    if (status == DLN_ERR_STATE) m.test_mse = std::numeric_limits<double>::quiet_NaN();  // no test data
    else check_call(status, h);
  }
  m.unread &= ~which;
}

}  // namespace

// The reads cost more than a call's steps at small widths (an SVD for the
// rank, a pass over the observations for each loss): a caller that steps in
// many short calls and asks once pays for one read.
void read_results(Member &m) {
  m.unread = kUnreadAll;
  if (!losses_surely_representable(*m.model)) read_now(m, kUnreadAll);  // may stop the member
}

void read_field(const Member &m, int field) {
  const unsigned bit = field == DLN_MEMBER_ABSORBED_RANK ? kUnreadRank
                       : field == DLN_MEMBER_TRAIN_MSE   ? kUnreadTrain
                       : field == DLN_MEMBER_TEST_MSE    ? kUnreadTest
                                                         : 0u;
  if (!(m.unread & bit)) return;
  if (m.status == DLN_OK) return read_now(m, bit);
  std::string ignored;  // a stopped member: what it stopped for is reported already
  if (run_caught([&] { read_now(m, bit); }, ignored) != DLN_OK) {
    if (bit == kUnreadRank) m.absorbed_rank = -1;
    else (bit == kUnreadTrain ? m.train_mse : m.test_mse) = std::numeric_limits<double>::quiet_NaN();
    m.unread &= ~bit;
  }
}

void advance_member(Member &m, int64_t steps, int64_t r, int64_t check_every) {
  dln_model *h = m.model.get();
  check_call(dln_get_step_count(h, &m.step), h);
  const int64_t target = m.step + steps;  // no overflow: checked by the caller
  const bool watching = r >= 0;
  if (watching && m.step % check_every == 0 && m.last_checked != m.step) check(m, r);
  while (m.step < target) {
    // Up to the next multiple of check_every, where the next check is due.
    const int64_t chunk = watching ? std::min(target - m.step, check_every - m.step % check_every) : target - m.step;
    const int status = dln_step(h, chunk);
    if (status != DLN_OK) {
      Error stop{status, dln_last_error(h)};
      dln_get_step_count(h, &m.step);  // where dln_step left it (before a diverging step)
      try {
        read_results(m);
      } catch (...) {  // the stop is what gets reported
      }
      throw stop;
    }
    m.step += chunk;
    if (watching && m.step % check_every == 0) check(m, r);
  }
  read_results(m);
}

}  // namespace dln

using namespace dln;

namespace {

void validate_step(const dln_ensemble &e, int64_t steps, int64_t threads) {
  if (steps < 0) fail(DLN_ERR_INVALID_ARGUMENT, "steps=%lld is negative", (long long)steps);
  if (threads < 1 || threads > 1024)
    fail(DLN_ERR_INVALID_ARGUMENT, "threads=%lld must be in [1, 1024]", (long long)threads);
  for (size_t i = 0; i < e.members.size(); ++i) {
    const Member &m = e.members[i];
    if (m.status != DLN_OK) continue;
    dln_model *h = m.model.get();
    int64_t step = 0;
    check_call(dln_get_step_count(h, &step), h);
    if (step > INT64_MAX - steps)
      fail(DLN_ERR_OUT_OF_RANGE, "steps=%lld would overflow the step counter %lld of member %zu", (long long)steps,
           (long long)step, i);
    // dln_step's own checks (observations, sampler), without a step.
    const int status = dln_step(h, 0);
    if (status != DLN_OK) fail(status, "member %zu cannot step: %s", i, dln_last_error(h));
  }
}

void step_all(dln_ensemble &e, int64_t steps, int64_t threads) {
  validate_step(e, steps, threads);
  const size_t count = e.members.size();
  std::vector<int> outcome(count, DLN_OK);
  std::vector<std::string> message(count);
  // Units of work: one member each, or groups of up to eight (four without
  // AVX-512) active members stepped in lockstep (ensemble_lockstep.cpp)
  // when they all can be.
  std::vector<std::vector<size_t>> units;
  const bool lockstep = lockstep_eligible(e);
  const size_t group = size_t(lockstep_lanes_max());
  for (size_t i = 0; i < count; ++i) {
    if (e.members[i].status != DLN_OK) continue;
    if (units.empty() || !lockstep || units.back().size() == group) units.emplace_back();
    units.back().push_back(i);
  }
  std::atomic<size_t> next{0};
  // Workers take units in turn; which worker steps which member does not
  // matter, since every member's trajectory depends on its own state only.
  auto work = [&]() noexcept {
    for (size_t u = next++; u < units.size(); u = next++) {
      if (lockstep && units[u].size() > 1) {  // a group of one: its lanes would idle
        std::string failure;
        const int status = run_caught([&] { advance_lockstep(e, units[u], steps, outcome, message); }, failure);
        if (status != DLN_OK)  // e.g. no memory for the packed group: every member of it stops
          for (size_t i : units[u])
            if (outcome[i] == DLN_OK) outcome[i] = status, message[i] = failure;
        continue;
      }
      Member &m = e.members[units[u][0]];
      outcome[units[u][0]] =
          run_caught([&] { advance_member(m, steps, e.watch_rank, e.check_every); }, message[units[u][0]]);
    }
  };
  std::vector<std::thread> pool;
  const size_t extra = size_t(std::max<int64_t>(std::min<int64_t>(threads, int64_t(units.size())), 1)) - 1;
  pool.reserve(extra);
  for (size_t t = 0; t < extra; ++t) {
    try {
      pool.emplace_back(work);
    } catch (...) {  // no more threads: the ones there (and this one) do the work
      break;
    }
  }
  work();
  for (std::thread &t : pool) t.join();
  e.results_current = true;
  size_t stopped = 0, first = count;
  for (size_t i = 0; i < count; ++i)
    if (outcome[i] != DLN_OK) {
      e.members[i].status = outcome[i];
      if (stopped++ == 0) first = i;
    }
  if (stopped)
    fail(outcome[first],
         "member %zu (seed %llu) stopped at step %lld: %s; %zu of %zu members stopped in this call, the others "
         "completed their steps",
         first, (unsigned long long)e.members[first].seed, (long long)e.members[first].step, message[first].c_str(),
         stopped, count);
}

}  // namespace

extern "C" {

int dln_ensemble_step(dln_ensemble *ensemble, int64_t steps, int64_t threads) {
  return guarded_ensemble(ensemble, "dln_ensemble_step", [&] {
    require_pointer(ensemble, "ensemble");
    step_all(*ensemble, steps, threads);
  });
}

}  // extern "C"
