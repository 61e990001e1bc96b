// Batches as a pure function of (seed, t) (math §4), from Philox4x64.
#pragma once
#include <cstdint>
#include <vector>

struct dln_model;

namespace dln {

// Separate Philox key words so sampling and initialisation never share draws.
enum : uint64_t { STREAM_SAMPLING = 0x5347440000000001ull, STREAM_PERMUTATION = 0x5347440000000002ull,
                  STREAM_INIT = 0x5347440000000003ull };

// Size of the batch the current sampler draws at each step.
int64_t sampled_batch_size(const dln_model &model);
// Throws DLN_ERR_STATE if the sampler cannot draw (no data, empty subset).
void require_sampler_ready(const dln_model &model);
// Fills model.work.batch with the batch B_t.
void sample_batch(dln_model &model, int64_t t);

// Uniform integer in [0, n) from 64 random bits (multiply-high; bias < n/2^64).
inline int64_t uniform_below(uint64_t bits, int64_t n) {
  return int64_t((unsigned __int128)bits * (unsigned __int128)uint64_t(n) >> 64);
}

}  // namespace dln
