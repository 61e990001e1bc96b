// dln_ensemble_step in lockstep (issue 16, lockstep.hpp): when every active
// member runs dln_step's small-width loop with the same step options, groups
// of up to lockstep_lanes_max() step together. The steps between two events — a check of the
// watch, a rank check or trace row of DLN_PARAM_JUMP_INTERVAL /
// DLN_PARAM_TRACE_INTERVAL, the end of the call — run on the packed replicas;
// at each event the members are unpacked into their handles (ordinary handles
// again, in the usual layout) and get what advance_member gives them at that
// step. A lane is bit for bit its handle's dln_step, so the results and
// weights are those of members stepped one by one, for any grouping, thread
// count or split of the steps into calls.
#include <algorithm>

#include "absorbing.hpp"
#include "ensemble.hpp"
#include "lockstep.hpp"
#include "model.hpp"
#include "small_width.hpp"
#include "step.hpp"

namespace dln {

bool lockstep_eligible(const dln_ensemble &e) {
  const dln_model *first = nullptr;
  int64_t active = 0;
  for (const Member &m : e.members) {
    if (m.status != DLN_OK) continue;
    const dln_model &h = *m.model;
    if (!first) {
      if (!lockstep_serves(h)) return false;
      first = &h;
    } else if (!lockstep_compatible(*first, h)) {
      return false;
    }
    ++active;
  }
  return active >= 2;
}

namespace {

// The next step at which something besides stepping is due.
int64_t next_event(const dln_model &m, int64_t t, int64_t target, int64_t every) {
  int64_t next = target;
  for (int64_t k : {every, m.options.jump_interval, m.options.trace_interval})
    if (k > 0) next = std::min(next, (t / k + 1) * k);
  return next;
}

}  // namespace

void advance_lockstep(dln_ensemble &e, const std::vector<size_t> &ids, int64_t steps, std::vector<int> &outcome,
                      std::vector<std::string> &message) {
  const int64_t r = e.watch_rank, every = r >= 0 ? e.check_every : 0;
  std::vector<bool> alone(ids.size(), false);  // left the group: stepped on as ordinary handles
  auto attempt = [&](size_t lane, auto &&body) {
    const size_t id = ids[lane];
    const int status = run_caught(body, message[id]);
    if (status == DLN_OK) return true;
    outcome[id] = status;
    return false;
  };
  std::vector<dln_model *> models;
  for (size_t id : ids) models.push_back(e.members[id].model.get());
  const int64_t t0 = models[0]->step, target = t0 + steps;
  LockstepGroup g;
  lockstep_pack(g, models);
  for (size_t k = 0; k < ids.size(); ++k) {  // as advance_member on entry
    Member &m = e.members[ids[k]];
    m.step = t0;
    if (every > 0 && t0 % every == 0 && m.last_checked != t0 && !attempt(k, [&] { check(m, r); }))
      g.active &= ~(1u << k);
  }
  int64_t t = t0;
  std::vector<int64_t> refused_at(ids.size());  // per event: the step a lane was refused at, or -1
  while (t < target && g.active) {
    const int64_t next = next_event(*models[0], t, target, every);
    // A step followed by a rank check or trace row is taken by the handle
    // itself, as one transaction (undone if its records fail, math §7):
    // the group stops one step short of it.
    const bool records = records_due(*models[0], next);
    const int64_t packed_until = records ? next - 1 : next;
    std::fill(refused_at.begin(), refused_at.end(), -1);
    {
      FlushDenormalsGuard guard;  // as dln_step
      for (; t < packed_until && g.active; ++t) {
        const unsigned refused = lockstep_step(g, t, packed_until);
        for (size_t k = 0; k < ids.size(); ++k)
          if (refused >> k & 1) refused_at[k] = t;
      }
      for (size_t k = 0; k < ids.size(); ++k) {
        if (refused_at[k] >= 0) {
          alone[k] = true;
          e.members[ids[k]].step = refused_at[k];
        } else if (g.active >> k & 1) {
          lockstep_unpack(g, int(k), t);
          e.members[ids[k]].step = t;
        }
      }
    }
    if (records && t == packed_until && g.active) {
      for (size_t k = 0; k < ids.size(); ++k) {
        if (!(g.active >> k & 1)) continue;
        // small_width_steps is dln_step's loop, bit for bit a lane's step.
        if (attempt(k, [&] { small_width_steps(*models[k], 1); })) e.members[ids[k]].step = next;
        else g.active &= ~(1u << k);
      }
      t = next;
      const unsigned still = g.active;
      lockstep_pack(g, models);  // the handles' weights after their own step
      g.active = still;
      for (size_t k = 0; k < ids.size(); ++k)  // lanes that left: idle
        if (!(still >> k & 1)) lockstep_idle(g, int(k));
    }
    for (size_t k = 0; k < ids.size(); ++k) {
      Member &m = e.members[ids[k]];
      if ((g.active >> k & 1) && every > 0 && t % every == 0 && !attempt(k, [&] { check(m, r); }))
        g.active &= ~(1u << k);
    }
  }
  for (size_t k = 0; k < ids.size(); ++k) {
    Member &m = e.members[ids[k]];
    if (alone[k]) {
      attempt(k, [&] { advance_member(m, target - m.step, r, e.check_every); });
    } else if (outcome[ids[k]] == DLN_OK) {
      attempt(k, [&] { read_results(m); });
    } else {
      std::string ignored;
      run_caught([&] { read_results(m); }, ignored);  // the failure is what gets reported
    }
  }
}

}  // namespace dln
