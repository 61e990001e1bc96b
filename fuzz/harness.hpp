// What the API fuzzers share: a check that traps (libFuzzer reports it) and
// a handle's checkpoint bytes, the canonical picture of its state.
#pragma once
#include <cstdint>
#include <vector>

#include "dlnsgd.h"

namespace fuzz {

inline void require(bool ok) {
  if (!ok) __builtin_trap();
}

inline std::vector<unsigned char> save(const dln_model *m) {
  int64_t size = 0;
  require(dln_save_buffer(m, nullptr, 0, &size) == DLN_OK);
  std::vector<unsigned char> b(static_cast<size_t>(size));
  require(dln_save_buffer(m, b.data(), size, &size) == DLN_OK);
  return b;
}

}  // namespace fuzz
