// Checkpoints, the structural pass of reading (checkpoint_scan.hpp;
// docs/checkpoint-format.md). Allocates nothing: every count is checked
// against the section's byte size before anything is built from it.
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <utility>

#include "checkpoint_scan.hpp"
#include "errors.hpp"

namespace dln {
namespace ckpt {

void bad(const char *format, ...) {
  char buffer[400];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  fail(DLN_ERR_FORMAT, "%s", buffer);
}

std::string tag_text(uint32_t tag) {
  char s[32];
  unsigned char b[4];
  put_u32(b, tag);
  bool printable = true;
  for (unsigned char c : b) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable) std::snprintf(s, sizeof s, "'%c%c%c%c'", b[0], b[1], b[2], b[3]);
  else std::snprintf(s, sizeof s, "0x%08x", unsigned(tag));
  return s;
}

// Opens the next section, which must carry `tag`; returns its body.
Cursor open_section(Cursor &payload, uint32_t tag, const char *name) {
  uint64_t offset_left = payload.left();
  if (payload.left() < kSectionHeaderSize)
    bad("section %s is missing: only %llu bytes are left in the payload", name,
        (unsigned long long)payload.left());
  uint32_t found = payload.u32();
  if (found != tag)
    bad("expected section %s, found tag %s (%llu bytes before the end of the payload)", name,
        tag_text(found).c_str(), (unsigned long long)offset_left);
  uint32_t reserved = payload.u32();
  if (reserved != 0) bad("section %s: reserved field is %u, not 0", name, unsigned(reserved));
  uint64_t size = payload.u64();
  if (size > payload.left())
    bad("section %s declares %llu bytes but only %llu remain", name, (unsigned long long)size,
        (unsigned long long)payload.left());
  return payload.take(size, name);
}

// The rest of a section body holds exactly `count` entries of `unit` bytes.
void require_count(const Cursor &body, uint64_t unit, int64_t count, const char *what) {
  if (count < 0) bad("%s: count=%lld is negative", what, (long long)count);
  if (uint64_t(count) > body.left() / unit || uint64_t(count) * unit != body.left())
    bad("%s: count=%lld does not match the section size (%llu bytes left for %llu-byte entries)", what,
        (long long)count, (unsigned long long)body.left(), (unsigned long long)unit);
}

// Structural pass: every tag, every size and count, against the bytes present
// and the widths. Allocates nothing.
Layout scan(const unsigned char *payload, uint64_t size, uint32_t version) {
  Layout lay;
  lay.version = version;
  Cursor all(payload, size, "payload");

  Cursor shape = open_section(all, kTagShape, "SHAP");
  int64_t depth = shape.i64();
  if (depth < 1 || depth > 1024) bad("SHAP: depth=%lld must be in [1, 1024]", (long long)depth);
  shape.skip(16);  // seed, step
  require_count(shape, 8, depth + 1, "SHAP widths");
  lay.depth = depth;
  uint64_t total = 0;
  for (int64_t l = 0; l <= depth; ++l) {
    int64_t w = shape.i64();
    if (w < 1 || w > (int64_t(1) << 40))
      bad("SHAP: widths[%lld]=%lld must be in [1, 2^40]", (long long)l, (long long)w);
    lay.widths[l] = w;
    if (l > 0) {
      uint64_t entries;
      if (__builtin_mul_overflow(uint64_t(w), uint64_t(lay.widths[l - 1]), &entries) ||
          __builtin_add_overflow(total, entries, &total) || total > (uint64_t(1) << 58))
        bad("SHAP: the layers total more than 2^58 entries");
    }
  }

  Cursor opts = open_section(all, kTagOptions, "OPTS");
  if (version == 1) {
    opts.skip(8 * kOptionScalarsV1);
  } else {
    int64_t count = opts.i64();
    if (count < 0 || uint64_t(count) > opts.left() / 16)
      bad("OPTS: count=%lld options do not fit in the %llu bytes left", (long long)count,
          (unsigned long long)opts.left());
    opts.skip(16 * uint64_t(count));
  }
  for (const char *name : {"OPTS learning-rate schedule", "OPTS ridge schedule"}) {
    opts.skip(8);  // kind
    int64_t nargs = opts.i64();
    if (nargs < 0 || uint64_t(nargs) > opts.left() / 8)
      bad("%s: nargs=%lld does not fit in the %llu bytes left", name, (long long)nargs,
          (unsigned long long)opts.left());
    opts.skip(8 * uint64_t(nargs));
  }
  if (opts.left() != 0) bad("OPTS: %llu unexpected trailing bytes", (unsigned long long)opts.left());

  for (int64_t l = 1; l <= depth; ++l) {
    Cursor layer = open_section(all, kTagLayer, "LAYR");
    int64_t index = layer.i64(), rows = layer.i64(), cols = layer.i64();
    if (index != l) bad("LAYR: layer %lld found where layer %lld belongs", (long long)index, (long long)l);
    if (rows != lay.widths[l] || cols != lay.widths[l - 1])
      bad("LAYR %lld: shape %lld x %lld differs from the widths (%lld x %lld)", (long long)l, (long long)rows,
          (long long)cols, (long long)lay.widths[l], (long long)lay.widths[l - 1]);
    layer.skip(16);  // scale, bound
    // rows·cols <= 2^58 was checked above.
    if (layer.left() / 8 != uint64_t(rows * cols) || layer.left() % 8 != 0)
      bad("LAYR %lld: %llu bytes of weights for %lld x %lld values", (long long)l,
          (unsigned long long)layer.left(), (long long)rows, (long long)cols);
  }

  for (auto [tag, name] : {std::pair{kTagTrain, "TRAN"}, std::pair{kTagTest, "TEST"}}) {
    Cursor obs = open_section(all, tag, name);
    int64_t count = obs.i64();
    require_count(obs, 24, count, name);
  }

  Cursor truth = open_section(all, kTagTruth, "TRUT");
  int64_t count = truth.i64();
  uint64_t cells = 0;
  if (count != 0 && (__builtin_mul_overflow(uint64_t(lay.widths[depth]), uint64_t(lay.widths[0]), &cells) ||
                     uint64_t(count) != cells))
    bad("TRUT: count=%lld must be 0 or n*m = %lld*%lld", (long long)count, (long long)lay.widths[depth],
        (long long)lay.widths[0]);
  require_count(truth, 8, count, "TRUT");

  Cursor subset = open_section(all, kTagSubset, "SUBS");
  count = subset.i64();
  require_count(subset, 8, count, "SUBS");

  if (version == 1) {
    Cursor jumps = open_section(all, kTagJumps, "JUMP");
    jumps.skip(16);
    count = jumps.i64();
    require_count(jumps, 8 * DLN_JUMP_RECORD_SIZE, count, "JUMP");
  } else {
    Cursor changes = open_section(all, kTagChanges, "CHNG");
    changes.skip(16);
    count = changes.i64();
    require_count(changes, 8 * DLN_CHANGE_RECORD_SIZE, count, "CHNG");
    Cursor trace = open_section(all, kTagTrace, "TRAC");
    count = trace.i64();
    require_count(trace, 8 * DLN_TRACE_RECORD_SIZE, count, "TRAC");
  }

  if (all.left() != 0)
    bad("%llu unexpected bytes after the last section", (unsigned long long)all.left());
  return lay;
}

// The header checks, shared by files (before reading the rest) and buffers.
// `present` is the number of bytes that exist; returns the payload size.
uint64_t check_header(const unsigned char *h, uint64_t available_header, uint64_t present) {
  if (available_header < 8 && std::memcmp(h, kMagic, size_t(available_header)) == 0)
    bad("truncated: %llu bytes, the checkpoint header alone is %llu", (unsigned long long)available_header,
        (unsigned long long)kHeaderSize);
  if (available_header < 8 || std::memcmp(h, kMagic, 8) != 0)
    bad("not a dlnsgd checkpoint: the first 8 bytes are not the magic \\x89DLNSGD\\n");
  if (available_header < kHeaderSize)
    bad("truncated: %llu bytes, the checkpoint header alone is %llu", (unsigned long long)available_header,
        (unsigned long long)kHeaderSize);
  uint32_t stored = get_u32(h + kOffHeaderCrc), computed = crc32_of(h, kOffHeaderCrc);
  if (stored != computed)
    bad("the header is corrupted: its CRC is 0x%08x, computed 0x%08x", unsigned(stored), unsigned(computed));
  uint32_t version = get_u32(h + kOffVersion);
  if (version < kOldestVersion || version > kVersion)
    bad("format version %u is not supported: this library reads versions %u to %u", unsigned(version),
        unsigned(kOldestVersion), unsigned(kVersion));
  uint32_t header_size = get_u32(h + kOffHeaderSize);
  if (header_size != kHeaderSize)
    bad("header size %u, version %u headers are %llu bytes", unsigned(header_size), unsigned(version),
        (unsigned long long)kHeaderSize);
  uint64_t payload = get_u64(h + kOffPayloadSize);
  if (payload > present - kHeaderSize)
    bad("truncated: the header announces %llu payload bytes but only %llu are present",
        (unsigned long long)payload, (unsigned long long)(present - kHeaderSize));
  if (payload < present - kHeaderSize)
    bad("%llu unexpected bytes after the %llu-byte payload", (unsigned long long)(present - kHeaderSize - payload),
        (unsigned long long)payload);
  return payload;
}

}  // namespace ckpt
}  // namespace dln
