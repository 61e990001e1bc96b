// Checkpoints, the structural half of reading (docs/checkpoint-format.md):
// a bounds-checked little-endian cursor, the header checks and the pass that
// walks every section and count against the bytes present and the widths,
// all without allocating. checkpoint_load.cpp builds the model afterwards.
#pragma once
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

#include "checkpoint_format.hpp"

namespace dln {
namespace ckpt {

// Fails with DLN_ERR_FORMAT and the formatted message.
[[noreturn]] void bad(const char *format, ...) __attribute__((format(printf, 1, 2)));

// Reads little-endian values from a byte range, failing on truncation.
class Cursor {
 public:
  Cursor(const unsigned char *p, uint64_t n, const char *where) : p_(p), left_(n), where_(where) {}
  uint64_t u64() {
    need(8);
    uint64_t x = get_u64(p_);
    p_ += 8;
    left_ -= 8;
    return x;
  }
  uint32_t u32() {
    need(4);
    uint32_t x = get_u32(p_);
    p_ += 4;
    left_ -= 4;
    return x;
  }
  int64_t i64() { return int64_t(u64()); }
  double f64() { return bits_double(u64()); }
  // n 8-byte values into out (already sized by the caller).
  template <class T>
  void array(T *out, uint64_t n) {
    static_assert(sizeof(T) == 8);
    if (n > left_ / 8) need(8 * n);  // reports the truncation
    if constexpr (std::endian::native == std::endian::little) {
      if (n) std::memcpy(out, p_, size_t(8 * n));
    } else {
      for (uint64_t i = 0; i < n; ++i) {
        uint64_t u = get_u64(p_ + 8 * i);
        std::memcpy(out + i, &u, 8);
      }
    }
    p_ += 8 * n;
    left_ -= 8 * n;
  }
  void skip(uint64_t n) {
    need(n);
    p_ += n;
    left_ -= n;
  }
  Cursor take(uint64_t n, const char *where) {
    need(n);
    Cursor c(p_, n, where);
    p_ += n;
    left_ -= n;
    return c;
  }
  uint64_t left() const { return left_; }
  const char *where() const { return where_; }

 private:
  void need(uint64_t n) const {
    if (n > left_)
      bad("%s is truncated: %llu more bytes needed, %llu present", where_, (unsigned long long)n,
          (unsigned long long)left_);
  }
  const unsigned char *p_;
  uint64_t left_;
  const char *where_;
};

std::string tag_text(uint32_t tag);
// Opens the next section, which must carry `tag`; returns its body.
Cursor open_section(Cursor &payload, uint32_t tag, const char *name);
// The rest of a section body holds exactly `count` entries of `unit` bytes.
void require_count(const Cursor &body, uint64_t unit, int64_t count, const char *what);

struct Layout {
  uint32_t version = kVersion;
  int64_t depth = 0;
  int64_t widths[1025] = {};
};

// Structural pass: every tag, every size and count, against the bytes present
// and the widths. Allocates nothing.
Layout scan(const unsigned char *payload, uint64_t size, uint32_t version);

// The header checks, shared by files (before reading the rest) and buffers.
// `present` is the number of bytes that exist; returns the payload size.
uint64_t check_header(const unsigned char *h, uint64_t available_header, uint64_t present);

}  // namespace ckpt
}  // namespace dln
