// dln_step and dln_step_batch: validation, sampling, divergence, jump checks;
// dln_last_step_formulation: which formulation (step_formulation.hpp) ran.
#include "absorbing.hpp"
#include "errors.hpp"
#include "model.hpp"
#include "sampler.hpp"
#include "small_width.hpp"
#include "step.hpp"

using namespace dln;

extern "C" {

int dln_step(dln_model *model, int64_t steps) {
  return guarded(model, "dln_step", [&] {
    require_pointer(model, "model");
    if (steps < 0) fail(DLN_ERR_INVALID_ARGUMENT, "steps=%lld is negative", (long long)steps);
    require_sampler_ready(*model);
    if (model->step > INT64_MAX - steps)
      fail(DLN_ERR_OUT_OF_RANGE, "steps=%lld would overflow the step counter %lld", (long long)steps,
           (long long)model->step);
    FlushDenormalsGuard guard;
    if (small_width_serves(*model)) {
      small_width_steps(*model, steps);
      return;
    }
    for (int64_t s = 0; s < steps; ++s) {
      sample_batch(*model, model->step);
      step_and_record(*model, model->work.batch.data(), int64_t(model->work.batch.size()));
    }
  });
}

int dln_step_batch(dln_model *model, int64_t b, const int64_t *observation_indices) {
  return guarded(model, "dln_step_batch", [&] {
    require_pointer(model, "model");
    require_observations(*model, "dln_step_batch");
    if (b < 1) fail(DLN_ERR_INVALID_ARGUMENT, "b=%lld must be >= 1", (long long)b);
    require_pointer(observation_indices, "observation_indices");
    for (int64_t k = 0; k < b; ++k)
      if (observation_indices[k] < 0 || observation_indices[k] >= model->train.size())
        fail(DLN_ERR_OUT_OF_RANGE, "observation_indices[%lld]=%lld is outside [0, %lld)", (long long)k,
             (long long)observation_indices[k], (long long)model->train.size());
    if (model->step == INT64_MAX) fail(DLN_ERR_OUT_OF_RANGE, "the step counter is at its maximum");
    FlushDenormalsGuard guard;
    step_and_record(*model, observation_indices, b);
  });
}

}  // extern "C"

extern "C" {

int dln_last_step_formulation(const dln_model *model, int *formulation) {
  return guarded(model, "dln_last_step_formulation", [&] {
    require_pointer(model, "model");
    require_pointer(formulation, "formulation");
    *formulation = model->work.last_formulation;
  });
}

const char *dln_formulation_name(int formulation) {
  switch (formulation) {
#define DLN_FORMULATION_NAME_(name, value, text) \
  case value: return #name;
    DLN_FORMULATION_TABLE(DLN_FORMULATION_NAME_)
#undef DLN_FORMULATION_NAME_
  }
  return nullptr;
}

}  // extern "C"
