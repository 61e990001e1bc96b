// Checkpoints, the writing half: the whole state of a handle in the versioned
// binary format of checkpoint_format.hpp (docs/checkpoint-format.md).
//
// Saving writes the sections straight into the caller's buffer or the file
// (no intermediate copy of the weights), the CRC accumulated on the way; a
// file is written to a temporary file in the same directory, flushed,
// fsync'ed and renamed over the target, so a reader sees the old checkpoint
// or the new one, never a mix.
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "atomic_file.hpp"
#include "checkpoint_format.hpp"
#include "errors.hpp"
#include "model.hpp"
#include "params.hpp"
#include "schedule.hpp"

namespace dln {
namespace ckpt {

uint32_t crc32_of(const unsigned char *p, uint64_t n, uint32_t crc) {
  uLong c = crc;
  while (n > 0) {
    uInt chunk = uInt(std::min<uint64_t>(n, uint64_t(1) << 30));
    c = ::crc32(c, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return uint32_t(c);
}

void io_fail(const char *what, const char *path, int err) {
  fail(DLN_ERR_IO, "%s '%s': %s", what, path, std::strerror(err));
}

namespace {

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

uint64_t schedule_bytes(const Schedule &s) { return 16 + 8 * uint64_t(s.args.size()); }

uint64_t observation_bytes(const Observations &o) { return 8 + 24 * uint64_t(o.size()); }

uint64_t option_bytes() { return 8 + 16 * uint64_t(option_rows_end() - option_rows_begin()); }

// Body sizes of every section, in order; the payload size is their sum plus
// one section header each. Sizes of an existing model cannot overflow: its
// arrays are in memory.
uint64_t payload_size(const dln_model &m) {
  uint64_t total = 0;
  auto add = [&](uint64_t body) { total += kSectionHeaderSize + body; };
  add(24 + 8 * uint64_t(m.widths.size()));
  add(option_bytes() + schedule_bytes(m.options.learning_rate_schedule) +
      schedule_bytes(m.options.ridge_schedule));
  for (const Layer &l : m.layers) add(40 + 8 * uint64_t(l.v.size()));
  add(observation_bytes(m.train));
  add(observation_bytes(m.test));
  add(8 + 8 * uint64_t(m.truth.size()));
  add(8 + 8 * uint64_t(m.subset.size()));
  add(24 + 8 * uint64_t(DLN_CHANGE_RECORD_SIZE) * uint64_t(m.jumps.records.size()));
  add(8 + 8 * uint64_t(DLN_TRACE_RECORD_SIZE) * uint64_t(m.trace.rows.size()));
  return total;
}

// A byte sink with a running CRC. Out provides raw(p, n).
template <class Out>
class Encoder {
 public:
  explicit Encoder(Out &out) : out_(out) {}

  void bytes(const void *p, uint64_t n) {
    if (n == 0) return;
    crc_ = crc32_of(static_cast<const unsigned char *>(p), n, crc_);
    out_.raw(p, n);
    count_ += n;
  }
  void u32(uint32_t x) {
    unsigned char b[4];
    put_u32(b, x);
    bytes(b, 4);
  }
  void u64(uint64_t x) {
    unsigned char b[8];
    put_u64(b, x);
    bytes(b, 8);
  }
  void i64(int64_t x) { u64(uint64_t(x)); }
  void f64(double x) { u64(double_bits(x)); }
  // Arrays of 8-byte values: as they are in memory on little-endian hosts,
  // converted in chunks elsewhere.
  template <class T>
  void array(const T *p, uint64_t n) {
    static_assert(sizeof(T) == 8);
    if constexpr (std::endian::native == std::endian::little) {
      bytes(p, 8 * n);
    } else {
      unsigned char chunk[8 * 512];
      while (n > 0) {
        uint64_t k = std::min<uint64_t>(n, 512);
        for (uint64_t i = 0; i < k; ++i) {
          uint64_t u;
          std::memcpy(&u, p + i, 8);
          put_u64(chunk + 8 * i, u);
        }
        bytes(chunk, 8 * k);
        p += k;
        n -= k;
      }
    }
  }
  void section(uint32_t tag, uint64_t body) {
    u32(tag);
    u32(0);
    u64(body);
  }
  uint32_t crc() const { return crc_; }
  uint64_t count() const { return count_; }

 private:
  Out &out_;
  uint32_t crc_ = 0;
  uint64_t count_ = 0;
};

template <class Out>
void emit_schedule(Encoder<Out> &e, const Schedule &s) {
  e.i64(s.kind);
  e.i64(int64_t(s.args.size()));
  e.array(s.args.data(), s.args.size());
}

template <class Out>
void emit_observations(Encoder<Out> &e, uint32_t tag, const Observations &o) {
  e.section(tag, observation_bytes(o));
  e.i64(o.size());
  e.array(o.rows.data(), o.rows.size());
  e.array(o.cols.data(), o.cols.size());
  e.array(o.values.data(), o.values.size());
}

template <class Out>
void emit_payload(const dln_model &m, Encoder<Out> &e) {
  e.section(kTagShape, 24 + 8 * uint64_t(m.widths.size()));
  e.i64(m.depth);
  e.u64(m.seed);
  e.i64(m.step);
  e.array(m.widths.data(), m.widths.size());

  const Options &o = m.options;
  e.section(kTagOptions, option_bytes() + schedule_bytes(o.learning_rate_schedule) +
                             schedule_bytes(o.ridge_schedule));
  e.i64(int64_t(option_rows_end() - option_rows_begin()));
  for (const OptionRow *r = option_rows_begin(); r != option_rows_end(); ++r) {
    e.i64(r->id);
    e.f64(r->get(o));
  }
  emit_schedule(e, o.learning_rate_schedule);
  emit_schedule(e, o.ridge_schedule);

  for (int64_t l = 1; l <= m.depth; ++l) {
    const Layer &L = m.layer(l);
    e.section(kTagLayer, 40 + 8 * uint64_t(L.v.size()));
    e.i64(l);
    e.i64(L.rows);
    e.i64(L.cols);
    e.f64(L.scale);
    e.f64(L.max_abs_bound);
    e.array(L.v.data(), L.v.size());
  }

  emit_observations(e, kTagTrain, m.train);
  emit_observations(e, kTagTest, m.test);

  e.section(kTagTruth, 8 + 8 * uint64_t(m.truth.size()));
  e.i64(int64_t(m.truth.size()));
  e.array(m.truth.data(), m.truth.size());

  e.section(kTagSubset, 8 + 8 * uint64_t(m.subset.size()));
  e.i64(int64_t(m.subset.size()));
  e.array(m.subset.data(), m.subset.size());

  const JumpLog &j = m.jumps;
  e.section(kTagChanges, 24 + 8 * uint64_t(DLN_CHANGE_RECORD_SIZE) * uint64_t(j.records.size()));
  e.i64(j.last_absorbed);
  e.i64(j.last_numerical);
  e.i64(int64_t(j.records.size()));
  for (const auto &r : j.records) e.array(r.data(), r.size());

  e.section(kTagTrace, 8 + 8 * uint64_t(DLN_TRACE_RECORD_SIZE) * uint64_t(m.trace.rows.size()));
  e.i64(int64_t(m.trace.rows.size()));
  for (const auto &r : m.trace.rows) e.array(r.data(), r.size());
}

void fill_header(unsigned char *h, uint64_t payload, uint32_t payload_crc) {
  std::memcpy(h, kMagic, 8);
  put_u32(h + kOffVersion, kVersion);
  put_u32(h + kOffHeaderSize, uint32_t(kHeaderSize));
  put_u64(h + kOffPayloadSize, payload);
  put_u32(h + kOffPayloadCrc, payload_crc);
  put_u32(h + kOffHeaderCrc, crc32_of(h, kOffHeaderCrc));
}

// Bounded memory sink: never writes past its end.
struct MemoryOut {
  unsigned char *at;
  uint64_t left;
  void raw(const void *p, uint64_t n) {
    if (n > left) fail(DLN_ERR_INTERNAL, "checkpoint writer: section sizes disagree with their contents");
    std::memcpy(at, p, n);
    at += n;
    left -= n;
  }
};

// File sink through the one atomic-write path (atomic_file.hpp): the first
// error is remembered and reported once, by the caller, with the path.
struct FileOut {
  AtomicFile &f;
  std::string error;
  void raw(const void *p, uint64_t n) {
    if (error.empty()) f.write(p, size_t(n), error);
  }
};

// Serialises into a temporary file next to `path`, then renames it over
// path: a reader sees the old checkpoint or the new one, never a mix, and a
// path that is not a regular file is refused (AtomicFile).
void save_file(const dln_model &m, const char *path) {
  AtomicFile file;
  std::string error;
  if (!file.open(path, error)) fail(DLN_ERR_IO, "%s", error.c_str());
  unsigned char header[kHeaderSize] = {};
  FileOut out{file, {}};
  out.raw(header, kHeaderSize);  // placeholder, rewritten with the CRC below
  Encoder<FileOut> e(out);
  emit_payload(m, e);  // a throw here leaves the temporary to ~AtomicFile
  if (out.error.empty() && e.count() != payload_size(m))
    fail(DLN_ERR_INTERNAL, "checkpoint writer: section sizes disagree with their contents");
  fill_header(header, e.count(), e.crc());
  if (out.error.empty()) file.write_at(header, kHeaderSize, 0, out.error);
  if (out.error.empty()) file.commit(out.error);
  if (!out.error.empty()) fail(DLN_ERR_IO, "%s", out.error.c_str());
}

}  // namespace

}  // namespace ckpt
}  // namespace dln

using namespace dln;

extern "C" {

int dln_save(const dln_model *model, const char *path) {
  return guarded(model, "dln_save", [&] {
    require_pointer(model, "model");
    require_pointer(path, "path");
    if (!*path) fail(DLN_ERR_INVALID_ARGUMENT, "path=\"\" is empty");
    ckpt::save_file(*model, path);
  });
}

int dln_save_buffer(const dln_model *model, void *buffer, int64_t capacity, int64_t *size) {
  return guarded(model, "dln_save_buffer", [&] {
    require_pointer(model, "model");
    require_pointer(size, "size");
    if (capacity < 0) fail(DLN_ERR_INVALID_ARGUMENT, "capacity=%lld is negative", (long long)capacity);
    if (capacity > 0) require_pointer(buffer, "buffer");
    const uint64_t payload = ckpt::payload_size(*model);
    const uint64_t total = ckpt::kHeaderSize + payload;
    if (total > uint64_t(INT64_MAX)) fail(DLN_ERR_NOMEM, "the checkpoint would exceed 2^63 bytes");
    if (uint64_t(capacity) >= total) {
      auto *out = static_cast<unsigned char *>(buffer);
      ckpt::MemoryOut sink{out + ckpt::kHeaderSize, payload};
      ckpt::Encoder<ckpt::MemoryOut> e(sink);
      ckpt::emit_payload(*model, e);
      if (e.count() != payload)
        fail(DLN_ERR_INTERNAL, "checkpoint writer: section sizes disagree with their contents");
      ckpt::fill_header(out, payload, e.crc());
    }
    *size = int64_t(total);
  });
}

}  // extern "C"
