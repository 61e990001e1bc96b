// Fuzzer: dln_load_buffer on arbitrary bytes.
//
// The first input byte is a mode: if its low bit is set, the harness rewrites
// the payload size and both CRCs of the rest so that mutations reach the
// parser behind the integrity checks (a CRC-32 is not something a mutator
// guesses). Invariants:
//   - every call answers a status of the table, never crashes or leaks;
//   - a refused checkpoint leaves *out untouched;
//   - an accepted checkpoint is canonical: saving it gives back the same bytes;
//   - an accepted state is safe to use: queries and a few steps answer
//     statuses, and its clone saves to the same bytes;
//   - loader invariants (issue 14): every weight scale·V of an accepted
//     checkpoint is finite, and no query of it answers DLN_ERR_NOT_FINITE,
//     DLN_ERR_LAPACK or DLN_ERR_INTERNAL (LAPACK is handed finite input);
//   - the queries and steps run with the caller's FP traps on and rounding
//     upward (harness.hpp): none traps, each hands the environment back.
#include <zlib.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "checkpoint_format.hpp"
#include "dlnsgd.h"
#include "harness.hpp"

namespace {

using fuzz::require;
using fuzz::save;

void require_status(int s) { require(s <= 0 && s >= DLN_STATUS_LAST_); }

// A query or step of an accepted state, made in the caller's environment.
void require_usable(int s) {
  require_status(s);
  require(s != DLN_ERR_NOT_FINITE && s != DLN_ERR_LAPACK && s != DLN_ERR_INTERNAL);
  require(fuzz::caller_environment_intact());
}

// Every weight of the loaded state is finite: scale·max|V| did not overflow.
void require_finite_weights(const dln_model *m) {
  int64_t depth = 0, widths[1025];
  require(dln_get_depth(m, &depth) == DLN_OK);
  require(dln_get_widths(m, widths, 1025) == DLN_OK);
  for (int64_t l = 1; l <= depth; ++l) {
    const int64_t size = widths[l] * widths[l - 1];
    if (size > (int64_t(1) << 20)) continue;  // bounded work
    std::vector<double> w(static_cast<size_t>(size));
    require(dln_get_weights(m, l, w.data()) == DLN_OK);
    for (double x : w) require(std::isfinite(x));
  }
}

void exercise(dln_model *m) {
  double d = 0, e = 0, out[64];
  int64_t n = 0, depth = 0, ranks[1100];
  int inside = 0;
  require(dln_get_depth(m, &depth) == DLN_OK);
  // Bounded work first: one thread (a checkpoint may ask BLIS for 1024), a
  // small batch, a few steps.
  require(dln_set_param(m, DLN_PARAM_THREADS, 1) == DLN_OK);
  double batch = 0;
  dln_get_param(m, DLN_PARAM_BATCH_SIZE, &batch);
  if (batch > 16) require(dln_set_param(m, DLN_PARAM_BATCH_SIZE, 16) == DLN_OK);
  require_usable(dln_loss(m, &d, &e));
  require_usable(dln_test_error(m, &d));
  require_usable(dln_weight_norm2(m, &d));
  require_usable(dln_singular_values(m, out, 64, &n));
  require_usable(dln_query_rank(m, 0.1, &n));
  require_usable(dln_query_absorbed_rank(m, &n));
  require_usable(dln_in_Br(m, 1, -1, -1, -1, &inside));
  require_usable(dln_balancedness(m, &d));
  require_usable(dln_bottleneck_ranks(m, 0, 0.01, ranks, 1100));
  require_usable(dln_jump_count(m, &n));
  int64_t step = 0;
  dln_get_step_count(m, &step);
  require_usable(dln_step(m, 3));
  const int64_t idx[2] = {0, 0};
  require_usable(dln_step_batch(m, 2, idx));
  // The state after stepping is still a valid checkpoint.
  std::vector<unsigned char> again = save(m);
  dln_model *copy = nullptr;
  char message[512] = "";
  const int status = dln_load_buffer_ex(again.data(), int64_t(again.size()), &copy, message, sizeof message);
  if (status != DLN_OK && std::getenv("DLN_FUZZ_VERBOSE")) std::fprintf(stderr, "reload: %s\n", message);
  require(status == DLN_OK);
  require(save(copy) == again);
  dln_destroy(copy);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const bool fix = data[0] & 1;
  std::vector<unsigned char> b(data + 1, data + size);
  if (fix && b.size() >= dln::ckpt::kHeaderSize) {
    using namespace dln::ckpt;
    put_u64(b.data() + kOffPayloadSize, b.size() - kHeaderSize);
    put_u32(b.data() + kOffPayloadCrc,
            uint32_t(crc32(0, b.data() + kHeaderSize, uInt(b.size() - kHeaderSize))));
    put_u32(b.data() + kOffHeaderCrc, uint32_t(crc32(0, b.data(), uInt(kOffHeaderCrc))));
  }
  static unsigned char empty = 0;
  dln_model *const sentinel = reinterpret_cast<dln_model *>(uintptr_t(0x5e17));
  dln_model *out = sentinel;
  int status = dln_load_buffer(b.empty() ? &empty : b.data(), int64_t(b.size()), &out);
  require_status(status);
  if (status != DLN_OK) {
    require(out == sentinel);
    return 0;
  }
  require(out != sentinel && out != nullptr);
  // Canonical: a current-version file saves back to its own bytes; an older
  // one saves as the current version, which then is canonical itself.
  const auto saved = save(out);
  if (dln::ckpt::get_u32(b.data() + dln::ckpt::kOffVersion) == dln::ckpt::kVersion) {
    require(saved == b);
  } else {
    dln_model *again = nullptr;
    require(dln_load_buffer(saved.data(), int64_t(saved.size()), &again) == DLN_OK);
    require(save(again) == saved);
    dln_destroy(again);
  }
  dln_model *clone = nullptr;
  require(dln_clone(out, &clone) == DLN_OK);
  require(save(clone) == saved);
  dln_destroy(clone);
  require_finite_weights(out);
  fuzz::enter_caller_environment();
  exercise(out);
  fuzz::leave_caller_environment();
  dln_destroy(out);
  return 0;
}
