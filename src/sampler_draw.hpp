// The Philox draw behind every sampled batch (math §4), inline so that the
// small-width step loop (formulation_small_width.cpp) draws its entry without
// a call: four random words for counter (a, b) on a stream.
#pragma once
#include <Random123/philox.h>

#include <cstdint>

namespace dln {

inline r123::Philox4x64::ctr_type philox_draw(uint64_t seed, uint64_t stream, uint64_t a, uint64_t b) {
  r123::Philox4x64 rng;
  r123::Philox4x64::ctr_type counter = {{a, b, 0, 0}};
  r123::Philox4x64::key_type key = {{seed, stream}};
  return rng(counter, key);
}

}  // namespace dln
