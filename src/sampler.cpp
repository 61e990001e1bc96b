#include "sampler.hpp"

#include <numeric>

#include "errors.hpp"
#include "model.hpp"
#include "sampler_draw.hpp"

namespace dln {
namespace {

// The permutation of epoch e of the without-replacement sampler: a
// Fisher-Yates shuffle whose i-th swap uses counter (e, i).
void build_permutation(dln_model &model, int64_t epoch) {
  Workspace &w = model.work;
  int64_t n = model.train.size();
  w.permutation.resize(size_t(n));
  std::iota(w.permutation.begin(), w.permutation.end(), int64_t(0));
  for (int64_t i = n - 1; i > 0; --i) {
    auto r = philox_draw(model.seed, STREAM_PERMUTATION, uint64_t(epoch), uint64_t(i));
    int64_t j = uniform_below(r[0], i + 1);
    std::swap(w.permutation[size_t(i)], w.permutation[size_t(j)]);
  }
  w.permutation_epoch = epoch;
}

}  // namespace

int64_t sampled_batch_size(const dln_model &model) {
  return model.options.sampler == DLN_SAMPLER_FULL_BATCH ? model.train.size()
                                                         : model.options.batch_size;
}

void require_sampler_ready(const dln_model &model) {
  require_observations(model, "dln_step");
  if (model.options.sampler == DLN_SAMPLER_SUBSET && model.subset.empty())
    fail(DLN_ERR_STATE,
         "sampler is DLN_SAMPLER_SUBSET but no subset is set: call dln_set_sample_subset first");
}

void sample_batch(dln_model &model, int64_t t) {
  Workspace &w = model.work;
  const int64_t b = sampled_batch_size(model);
  const int64_t n = model.train.size();
  w.batch.resize(size_t(b));
  switch (model.options.sampler) {
    case DLN_SAMPLER_FULL_BATCH:
      std::iota(w.batch.begin(), w.batch.end(), int64_t(0));
      break;
    case DLN_SAMPLER_WITHOUT_REPLACEMENT:
      // Position p = t·b + k of the endless concatenation of epoch permutations.
      for (int64_t k = 0; k < b; ++k) {
        unsigned __int128 p = (unsigned __int128)uint64_t(t) * uint64_t(b) + uint64_t(k);
        int64_t epoch = int64_t(p / uint64_t(n)), q = int64_t(p % uint64_t(n));
        if (epoch != w.permutation_epoch) build_permutation(model, epoch);
        w.batch[size_t(k)] = w.permutation[size_t(q)];
      }
      break;
    default: {  // with replacement, over Ω or over the subset
      const bool subset = model.options.sampler == DLN_SAMPLER_SUBSET;
      const int64_t pool = subset ? int64_t(model.subset.size()) : n;
      for (int64_t k = 0; k < b; k += 4) {
        auto r = philox_draw(model.seed, STREAM_SAMPLING, uint64_t(t), uint64_t(k / 4));
        for (int64_t q = 0; q < 4 && k + q < b; ++q) {
          int64_t u = uniform_below(r[size_t(q)], pool);
          w.batch[size_t(k + q)] = subset ? model.subset[size_t(u)] : u;
        }
      }
    }
  }
}

}  // namespace dln
