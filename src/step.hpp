// The SGD step of math §3.
#pragma once
#include <cstdint>

struct dln_model;

namespace dln {

// One step at the model's step count t on the given batch of observation
// indices (validated by the caller): all layers from the same θ_t, weight
// decay as one scalar per layer. On a non-finite result it throws
// DLN_ERR_DIVERGED and the weights are exactly those before the step.
// Does not advance the step counter.
void step_on_batch(dln_model &model, const int64_t *batch, int64_t b);

// Flush-to-zero and denormals-are-zero for the lifetime of the guard; the
// caller's floating-point control word is restored on exit (math §8).
class FlushDenormalsGuard {
 public:
  FlushDenormalsGuard();
  ~FlushDenormalsGuard();
  FlushDenormalsGuard(const FlushDenormalsGuard &) = delete;
  FlushDenormalsGuard &operator=(const FlushDenormalsGuard &) = delete;

 private:
  unsigned saved_;
};

}  // namespace dln
