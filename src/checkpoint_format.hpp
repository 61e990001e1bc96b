// The checkpoint format, version 2 (version 1 still loads; docs/checkpoint-format.md is the
// normative description; this header is its executable form, shared by the
// library and the fuzz harnesses).
//
//   header (32 bytes, layout fixed in every version)
//     0  8  magic 89 44 4C 4E 53 47 44 0A ("\x89DLNSGD\n")
//     8  4  u32 format version (2; 1 is read too)
//    12  4  u32 header size (32)
//    16  8  u64 payload size P; the checkpoint is exactly 32 + P bytes
//    24  4  u32 zlib crc32 of the P payload bytes
//    28  4  u32 zlib crc32 of header bytes 0..27
//   payload: sections in a fixed order, each
//     0  4  tag (4 ASCII bytes)   4  4  u32 reserved (0)   8  8  u64 body size S
//    16  S  body
//
// Every integer is little-endian, every double its IEEE-754 binary64 bit
// pattern as a little-endian u64, int64 values two's complement.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace dln::ckpt {

inline constexpr unsigned char kMagic[8] = {0x89, 'D', 'L', 'N', 'S', 'G', 'D', '\n'};
inline constexpr uint32_t kVersion = 2;
inline constexpr uint32_t kOldestVersion = 1;
inline constexpr uint64_t kHeaderSize = 32;
inline constexpr uint64_t kSectionHeaderSize = 16;

// Offsets inside the header.
inline constexpr size_t kOffVersion = 8, kOffHeaderSize = 12, kOffPayloadSize = 16,
                        kOffPayloadCrc = 24, kOffHeaderCrc = 28;

constexpr uint32_t make_tag(const char (&s)[5]) {
  return uint32_t(uint8_t(s[0])) | uint32_t(uint8_t(s[1])) << 8 | uint32_t(uint8_t(s[2])) << 16 |
         uint32_t(uint8_t(s[3])) << 24;
}

// Section tags, in the order they appear.
inline constexpr uint32_t kTagShape = make_tag("SHAP");     // depth, seed, step, widths
inline constexpr uint32_t kTagOptions = make_tag("OPTS");   // options and both schedules
inline constexpr uint32_t kTagLayer = make_tag("LAYR");     // one per layer, ℓ = 1..L
inline constexpr uint32_t kTagTrain = make_tag("TRAN");     // training observations
inline constexpr uint32_t kTagTest = make_tag("TEST");      // held-out observations
inline constexpr uint32_t kTagTruth = make_tag("TRUT");     // ground truth (0 or n·m values)
inline constexpr uint32_t kTagSubset = make_tag("SUBS");    // sample subset
inline constexpr uint32_t kTagJumps = make_tag("JUMP");     // v1: jump log (decreases, 4 i64 each)
inline constexpr uint32_t kTagChanges = make_tag("CHNG");   // v2: rank-change log (10 f64 each)
inline constexpr uint32_t kTagTrace = make_tag("TRAC");     // v2: trace rows (10 f64 each)

// v1: the OPTS body starts with these 8 scalars in the order of params 1..8.
// v2: with a count K, then K pairs (i64 param id, f64 value) in the order of
// params.hpp's table: every option, a default threshold stored as -1.
inline constexpr uint64_t kOptionScalarsV1 = 8;

inline void put_u32(unsigned char *p, uint32_t x) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(x >> (8 * i));
}
inline void put_u64(unsigned char *p, uint64_t x) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(x >> (8 * i));
}
inline uint32_t get_u32(const unsigned char *p) {
  uint32_t x = 0;
  for (int i = 0; i < 4; ++i) x |= uint32_t(p[i]) << (8 * i);
  return x;
}
inline uint64_t get_u64(const unsigned char *p) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x |= uint64_t(p[i]) << (8 * i);
  return x;
}
inline uint64_t double_bits(double x) {
  uint64_t u;
  std::memcpy(&u, &x, 8);
  return u;
}
inline double bits_double(uint64_t u) {
  double x;
  std::memcpy(&x, &u, 8);
  return x;
}

// zlib crc32 of n bytes (any n: fed to zlib in chunks of at most 1 GiB).
uint32_t crc32_of(const unsigned char *p, uint64_t n, uint32_t crc = 0);
// DLN_ERR_IO naming the operation, the path and the system's reason.
[[noreturn]] void io_fail(const char *what, const char *path, int err);

}  // namespace dln::ckpt
