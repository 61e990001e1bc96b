// dln_step's loop for the small-width formulation (issue 16): the sampler's
// draw inlined, the vectors and the update of formulation_small_width.cpp,
// and the a priori check of step.cpp reduced to what these shapes need.
//
// A step runs here in place only when every factor of the bounds step.cpp
// forms (|c_ℓ|, |g|, max|B_ℓ|, max|F_ℓ|) is at most 1e70 and every max|V_ℓ|
// bound at most 1e289: then each of step.cpp's checks passes (a product of
// four factors stays below 1e281), so step.cpp would run the same step in
// place too, with the same arithmetic. Its one remaining check, the bound on
// the entries of A after the step, and the layers' new max|V_ℓ| bounds are
// formed in double (small_width.hpp), above step.cpp's long double values, so
// that a lockstep ensemble can form them in vector lanes. Any other step is
// handed to step_on_batch with the same entry, which decides between in place
// and the cautious path (math §7) and reports a divergence: dln_step and
// dln_step_batch on the drawn entries take the same trajectory bit for bit
// (only the max|V_ℓ| bounds, derived, may differ in their last bits).
#include <cmath>

#include "absorbing.hpp"
#include "kernels.hpp"
#include "model.hpp"
#include "sampler.hpp"
#include "sampler_draw.hpp"
#include "small_width.hpp"
#include "step.hpp"
#include "step_formulation.hpp"

namespace dln {
namespace {


// The entry B_t = {o} of the with-replacement sampler (sampler.cpp, b = 1).
inline int64_t drawn_entry(dln_model &model, int64_t t) {
  const int s = model.options.sampler;
  if (s != DLN_SAMPLER_WITH_REPLACEMENT && s != DLN_SAMPLER_SUBSET) {
    sample_batch(model, t);
    return model.work.batch[0];
  }
  const bool subset = s == DLN_SAMPLER_SUBSET;
  const int64_t pool = subset ? int64_t(model.subset.size()) : model.train.size();
  const int64_t u = uniform_below(philox_draw(model.seed, STREAM_SAMPLING, uint64_t(t), 0)[0], pool);
  return subset ? model.subset[size_t(u)] : u;
}

// One step on entry o in place, or false (nothing changed) if step.cpp must
// decide.
bool step_in_place(dln_model &model, int64_t o) {
  const int64_t L = model.depth, t = model.step;
  Workspace &w = model.work;
  const double eta = model.learning_rate_at(t), decay = 1.0 - 2.0 * eta * model.ridge_at(t);
  double *fmax = w.forward_bound.data(), *bmax = w.backward_bound.data(), *coefficient = w.coefficient.data(),
         *growth = w.growth.data(), *alpha = w.scaled.data();
  const Observations &obs = model.train;
  const int64_t i = obs.rows[size_t(o)], j = obs.cols[size_t(o)];
  const double r = small_width_vectors(model, i, j, w.forward.data(), w.backward.data(), fmax, bmax) -
                   obs.values[size_t(o)];
  if (!std::isfinite(r * r)) return false;
  const double g = r * (2.0 / 1.0), gsum = std::fabs(g);  // g = 2 r / b, as step.cpp
  if (!(gsum <= kComfortable)) return false;
  double entry = 1.0;
  for (int64_t l = 1; l <= L; ++l) {
    const Layer &W = model.layer(l);
    coefficient[l] = -eta / (decay * W.scale);
    const double c = std::fabs(coefficient[l]);
    const double left = l == L ? 1.0 : bmax[l], right = l == 1 ? 1.0 : fmax[l - 1];
    if (!(c <= kComfortable && left <= kComfortable && right <= kComfortable && W.max_abs_bound <= kComfortableWeight))
      return false;
    growth[l] = growth_bound(c, gsum, left, right);
    const double after = W.max_abs_bound + growth[l];
    entry = entry_bound(entry, decay, W.scale, after, l < L ? double(model.widths[size_t(l)]) : 1.0);
  }
  if (w.max_abs_y < 0.0) w.max_abs_y = max_magnitude(obs.values.data(), obs.size());
  if (!(entry_check(entry) + w.max_abs_y < kSafeEntry)) return false;
  for (int64_t l = 1; l <= L; ++l) alpha[l] = coefficient[l] * g;
  small_width_update(model, i, j, w.forward.data(), w.backward.data(), alpha);
  for (int64_t l = 1; l <= L; ++l) {  // as step.cpp
    Layer &W = model.layer(l);
    W.max_abs_bound = (W.max_abs_bound + growth[l]) * (1.0 + 0x1p-50);
    W.scale *= decay;
    if (W.scale < kRenormalizeBelow) W.fold_scale();
  }
  return true;
}

}  // namespace

bool small_width_serves(const dln_model &model) {
  return sampled_batch_size(model) == 1 && small_width_shape(model.depth, model.widths.data());
}

void small_width_steps(dln_model &model, int64_t steps) {
  Workspace &w = model.work;
  const size_t layers = size_t(model.depth) + 1;
  int64_t hidden = 0;
  for (int64_t l = 1; l < model.depth; ++l) hidden += model.widths[size_t(l)];
  // The workspace step.cpp would size: once, before the loop.
  for (std::vector<double> *v : {&w.coefficient, &w.growth, &w.forward_bound, &w.backward_bound, &w.scaled})
    if (v->size() < layers) v->resize(layers);
  if (int64_t(w.forward.size()) < hidden) w.forward.resize(size_t(hidden));
  if (int64_t(w.backward.size()) < hidden) w.backward.resize(size_t(hidden));
  for (int64_t s = 0; s < steps; ++s) {
    int64_t o = drawn_entry(model, model.step);
    w.last_formulation = DLN_FORMULATION_SMALL_WIDTH;
    const bool due = records_due(model, model.step + 1);
    if (due) keep_state_before_records(model);
    if (!step_in_place(model, o)) step_on_batch(model, &o, 1);
    ++model.step;
    if (due) record_or_undo(model);
  }
}

}  // namespace dln
