// Checkpoints: the whole state of a handle in the versioned binary format of
// checkpoint_format.hpp (docs/checkpoint-format.md).
//
// Saving writes the sections straight into the caller's buffer or the file
// (no intermediate copy of the weights), the CRC accumulated on the way; a
// file is written to a temporary file in the same directory, flushed,
// fsync'ed and renamed over the target, so a reader sees the old checkpoint
// or the new one, never a mix.
//
// Loading trusts nothing: the header (magic, header CRC, version, payload size
// against the bytes actually present) and the payload CRC are checked first,
// then a structural pass walks every section and checks that each count is
// consistent with the section's byte size and the widths, all without
// allocating; only then is a model built, every value validated with the
// rules of the setters (validate_observations, make_schedule, check_decay,
// the parameter bounds), and handed out only if all of it passed. Every
// allocation is thus bounded by the size of the input.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdarg>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "checkpoint_format.hpp"
#include "errors.hpp"
#include "model.hpp"
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

namespace {

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

uint64_t schedule_bytes(const Schedule &s) { return 16 + 8 * uint64_t(s.args.size()); }

uint64_t observation_bytes(const Observations &o) { return 8 + 24 * uint64_t(o.size()); }

// Body sizes of every section, in order; the payload size is their sum plus
// one section header each. Sizes of an existing model cannot overflow: its
// arrays are in memory.
uint64_t payload_size(const dln_model &m) {
  uint64_t total = 0;
  auto add = [&](uint64_t body) { total += kSectionHeaderSize + body; };
  add(24 + 8 * uint64_t(m.widths.size()));
  add(8 * kOptionScalars + schedule_bytes(m.options.learning_rate_schedule) +
      schedule_bytes(m.options.ridge_schedule));
  for (const Layer &l : m.layers) add(40 + 8 * uint64_t(l.v.size()));
  add(observation_bytes(m.train));
  add(observation_bytes(m.test));
  add(8 + 8 * uint64_t(m.truth.size()));
  add(8 + 8 * uint64_t(m.subset.size()));
  add(24 + 8 * uint64_t(DLN_JUMP_RECORD_SIZE) * uint64_t(m.jumps.records.size()));
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
  e.section(kTagOptions, 8 * kOptionScalars + schedule_bytes(o.learning_rate_schedule) +
                             schedule_bytes(o.ridge_schedule));
  e.f64(o.learning_rate);
  e.f64(o.ridge);
  e.i64(o.batch_size);
  e.i64(o.sampler);
  e.i64(o.threads);
  e.i64(o.jump_interval);
  e.f64(o.jump_rtol);
  e.f64(o.rank_atol);
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
  e.section(kTagJumps, 24 + 8 * uint64_t(DLN_JUMP_RECORD_SIZE) * uint64_t(j.records.size()));
  e.i64(j.last_absorbed);
  e.i64(j.last_numerical);
  e.i64(int64_t(j.records.size()));
  for (const auto &r : j.records) e.array(r.data(), r.size());
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

// File sink through stdio: errors are remembered with their errno and
// reported once, by the caller, with the path.
struct FileOut {
  FILE *f;
  int error = 0;
  void raw(const void *p, uint64_t n) {
    if (error) return;
    if (std::fwrite(p, 1, size_t(n), f) != size_t(n)) error = errno ? errno : EIO;
  }
};

[[noreturn]] void io_fail(const char *what, const char *path, int err) {
  fail(DLN_ERR_IO, "%s '%s': %s", what, path, std::strerror(err));
}

// Serialises into a temporary file next to `path`, then renames it over path.
void save_file(const dln_model &m, const char *path) {
  const std::string target(path);
  std::string temp;
  int fd = -1;
  const uint64_t tid = std::hash<std::thread::id>{}(std::this_thread::get_id());
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    uint64_t stamp = uint64_t(std::chrono::steady_clock::now().time_since_epoch().count());
    temp = target + ".tmp." + std::to_string(getpid()) + "." + std::to_string((tid ^ stamp) % 1000000007u) +
           "." + std::to_string(attempt);
    fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) io_fail("cannot create a temporary file next to", path, errno);
  }
  if (fd < 0) io_fail("cannot create a temporary file next to", path, EEXIST);
  FILE *f = ::fdopen(fd, "wb");
  if (!f) {
    int err = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    io_fail("cannot open a temporary file next to", path, err);
  }
  // From here every exit removes the temporary file.
  int err = 0;
  try {
    unsigned char header[kHeaderSize] = {};
    FileOut out{f};
    out.raw(header, kHeaderSize);  // placeholder, rewritten with the CRC below
    Encoder<FileOut> e(out);
    emit_payload(m, e);
    if (!out.error && e.count() != payload_size(m))
      fail(DLN_ERR_INTERNAL, "checkpoint writer: section sizes disagree with their contents");
    fill_header(header, e.count(), e.crc());
    if (!out.error && std::fseek(f, 0, SEEK_SET) != 0) out.error = errno ? errno : EIO;
    out.raw(header, kHeaderSize);
    if (!out.error && std::fflush(f) != 0) out.error = errno ? errno : EIO;
    if (!out.error && ::fsync(fd) != 0) out.error = errno;
    err = out.error;
  } catch (...) {
    std::fclose(f);
    ::unlink(temp.c_str());
    throw;
  }
  if (std::fclose(f) != 0 && !err) err = errno ? errno : EIO;
  if (!err && std::rename(temp.c_str(), path) != 0) err = errno;
  if (err) {
    ::unlink(temp.c_str());
    io_fail("cannot write", path, err);
  }
  // Make the rename itself durable: fsync the directory (best effort; some
  // file systems do not support it, the data is already safe).
  const size_t slash = target.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : target.substr(0, slash);
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

[[noreturn]] void bad(const char *format, ...) __attribute__((format(printf, 1, 2)));
void bad(const char *format, ...) {
  char buffer[400];
  va_list args;
  va_start(args, format);
  std::vsnprintf(buffer, sizeof buffer, format, args);
  va_end(args);
  fail(DLN_ERR_FORMAT, "%s", buffer);
}

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

struct Layout {
  int64_t depth = 0;
  int64_t widths[1025] = {};
};

// Structural pass: every tag, every size and count, against the bytes present
// and the widths. Allocates nothing.
Layout scan(const unsigned char *payload, uint64_t size) {
  Layout lay;
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
  opts.skip(8 * kOptionScalars);
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

  Cursor jumps = open_section(all, kTagJumps, "JUMP");
  jumps.skip(16);
  count = jumps.i64();
  require_count(jumps, 8 * DLN_JUMP_RECORD_SIZE, count, "JUMP");

  if (all.left() != 0)
    bad("%llu unexpected bytes after the last section", (unsigned long long)all.left());
  return lay;
}

// Runs f; a validation error of the library's setters becomes DLN_ERR_FORMAT
// naming the section (allocation failures stay DLN_ERR_NOMEM).
template <class F>
void as_format(const char *section, F &&f) {
  try {
    f();
  } catch (const Error &e) {
    if (e.status == DLN_ERR_NOMEM) throw;
    fail(DLN_ERR_FORMAT, "%s: %s", section, e.message.c_str());
  }
}

void check_param(int param, double value, bool integral) {
  double lo = 0, hi = 0;
  dln_param_bounds(param, &lo, &hi);
  const char *name = dln_param_name(param);
  if (!std::isfinite(value)) bad("OPTS: %s=%g is not finite", name, value);
  if (value < lo || value > hi) bad("OPTS: %s=%.17g is outside [%g, %.17g]", name, value, lo, hi);
  if (integral && value != std::floor(value)) bad("OPTS: %s=%.17g must be an integer", name, value);
}

void check_param(int param, int64_t value) {
  double lo = 0, hi = 0;
  dln_param_bounds(param, &lo, &hi);
  if (double(value) < lo || double(value) > hi)
    bad("OPTS: %s=%lld is outside [%g, %g]", dln_param_name(param), (long long)value, lo, hi);
}

Schedule read_schedule(Cursor &c, const char *what) {
  int64_t kind = c.i64(), nargs = c.i64();
  std::vector<double> args(static_cast<size_t>(nargs));  // nargs checked by scan()
  c.array(args.data(), uint64_t(nargs));
  if (kind < 0 || kind > 1000) bad("%s: kind=%lld is not a DLN_SCHEDULE_* value", what, (long long)kind);
  Schedule s;
  as_format(what, [&] { s = make_schedule(int(kind), nargs, args.data()); });
  return s;
}

void read_observations(Cursor body, const dln_model &m, Observations &o, const char *what) {
  int64_t count = body.i64();
  o.rows.resize(size_t(count));
  o.cols.resize(size_t(count));
  o.values.resize(size_t(count));
  body.array(o.rows.data(), uint64_t(count));
  body.array(o.cols.data(), uint64_t(count));
  body.array(o.values.data(), uint64_t(count));
  as_format(what, [&] { validate_observations(m, count, o.rows.data(), o.cols.data(), o.values.data()); });
}

std::unique_ptr<dln_model> decode(const unsigned char *data, uint64_t size);

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
  if (version != kVersion)
    bad("format version %u is not supported: this library reads version %u", unsigned(version),
        unsigned(kVersion));
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

std::unique_ptr<dln_model> decode(const unsigned char *data, uint64_t size) {
  const uint64_t payload_bytes = check_header(data, size, size);
  const unsigned char *payload = data + kHeaderSize;
  uint32_t stored = get_u32(data + kOffPayloadCrc), computed = crc32_of(payload, payload_bytes);
  if (stored != computed)
    bad("the payload is corrupted: its CRC is 0x%08x, computed 0x%08x", unsigned(stored), unsigned(computed));
  const Layout lay = scan(payload, payload_bytes);

  // Everything is consistent with the bytes present: build and validate.
  auto m = std::make_unique<dln_model>();
  Cursor all(payload, payload_bytes, "payload");

  Cursor shape = open_section(all, kTagShape, "SHAP");
  m->depth = shape.i64();
  m->seed = shape.u64();
  m->step = shape.i64();
  if (m->step < 0) bad("SHAP: step=%lld is negative", (long long)m->step);
  m->widths.assign(lay.widths, lay.widths + lay.depth + 1);

  Cursor opts = open_section(all, kTagOptions, "OPTS");
  Options &o = m->options;
  o.learning_rate = opts.f64();
  o.ridge = opts.f64();
  o.batch_size = opts.i64();
  int64_t sampler = opts.i64();
  o.threads = opts.i64();
  o.jump_interval = opts.i64();
  o.jump_rtol = opts.f64();
  o.rank_atol = opts.f64();
  check_param(DLN_PARAM_LEARNING_RATE, o.learning_rate, false);
  check_param(DLN_PARAM_RIDGE, o.ridge, false);
  check_param(DLN_PARAM_BATCH_SIZE, o.batch_size);
  check_param(DLN_PARAM_SAMPLER, sampler);
  o.sampler = int(sampler);
  check_param(DLN_PARAM_THREADS, o.threads);
  check_param(DLN_PARAM_JUMP_INTERVAL, o.jump_interval);
  check_param(DLN_PARAM_JUMP_RTOL, o.jump_rtol, false);
  check_param(DLN_PARAM_RANK_ATOL, o.rank_atol, false);
  o.learning_rate_schedule = read_schedule(opts, "OPTS learning-rate schedule");
  o.ridge_schedule = read_schedule(opts, "OPTS ridge schedule");
  as_format("OPTS", [&] { check_decay(o); });

  m->layers.resize(size_t(m->depth));
  for (int64_t l = 1; l <= m->depth; ++l) {
    Cursor body = open_section(all, kTagLayer, "LAYR");
    Layer &L = m->layer(l);
    body.skip(8);
    L.rows = body.i64();
    L.cols = body.i64();
    L.scale = body.f64();
    L.max_abs_bound = body.f64();
    if (!std::isfinite(L.scale) || !(L.scale > 0.0))
      bad("LAYR %lld: scale=%g must be finite and > 0", (long long)l, L.scale);
    if (!std::isfinite(L.max_abs_bound))
      bad("LAYR %lld: max_abs_bound=%g is not finite", (long long)l, L.max_abs_bound);
    L.v.resize(size_t(L.rows * L.cols));
    body.array(L.v.data(), L.v.size());
    double largest = 0.0;
    for (size_t i = 0; i < L.v.size(); ++i) {
      double x = L.v[i];
      if (!std::isfinite(x)) bad("LAYR %lld: V[%zu]=%g is not finite", (long long)l, i, x);
      largest = std::max(largest, std::fabs(x));
    }
    // The step's overflow guard relies on the bound, so it must bound V. The
    // step accumulates it in floating point, which can leave it a few ulps
    // short of max|V| (found by fuzz_checkpoint): a relative shortfall up to
    // 2^-20 is accepted, far inside the guard's margin (1e290 vs DBL_MAX).
    if (!(L.max_abs_bound >= largest * (1.0 - 0x1p-20)))
      bad("LAYR %lld: max_abs_bound=%.17g is below max|V|=%.17g", (long long)l, L.max_abs_bound, largest);
  }

  read_observations(open_section(all, kTagTrain, "TRAN"), *m, m->train, "TRAN");
  read_observations(open_section(all, kTagTest, "TEST"), *m, m->test, "TEST");

  Cursor truth = open_section(all, kTagTruth, "TRUT");
  int64_t count = truth.i64();
  m->truth.resize(size_t(count));
  truth.array(m->truth.data(), uint64_t(count));
  as_format("TRUT", [&] { require_all_finite(m->truth.data(), count, "truth"); });

  Cursor subset = open_section(all, kTagSubset, "SUBS");
  count = subset.i64();
  m->subset.resize(size_t(count));
  subset.array(m->subset.data(), uint64_t(count));
  for (int64_t k = 0; k < count; ++k)
    if (m->subset[size_t(k)] < 0 || m->subset[size_t(k)] >= m->train.size())
      bad("SUBS: indices[%lld]=%lld is outside [0, %lld)", (long long)k, (long long)m->subset[size_t(k)],
          (long long)m->train.size());

  Cursor jumps = open_section(all, kTagJumps, "JUMP");
  JumpLog &j = m->jumps;
  j.last_absorbed = jumps.i64();
  j.last_numerical = jumps.i64();
  if (j.last_absorbed < -1 || j.last_numerical < -1)
    bad("JUMP: last ranks %lld and %lld must be >= -1", (long long)j.last_absorbed,
        (long long)j.last_numerical);
  count = jumps.i64();
  j.records.resize(size_t(count));
  for (int64_t k = 0; k < count; ++k) {
    auto &r = j.records[size_t(k)];
    jumps.array(r.data(), r.size());
    if (r[DLN_JUMP_STEP] < 0 || (r[DLN_JUMP_KIND] != DLN_JUMP_ABSORBED && r[DLN_JUMP_KIND] != DLN_JUMP_NUMERICAL) ||
        r[DLN_JUMP_AFTER] < 0 || r[DLN_JUMP_BEFORE] <= r[DLN_JUMP_AFTER])
      bad("JUMP: record %lld {step %lld, kind %lld, before %lld, after %lld} is not a rank decrease",
          (long long)k, (long long)r[0], (long long)r[1], (long long)r[2], (long long)r[3]);
  }
  return m;
}

// Reads a whole checkpoint file: the header first, checked against the file
// size, so that no buffer is allocated for a file that cannot be one.
std::unique_ptr<dln_model> load_file(const char *path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below).
  int fd = ::open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) io_fail("cannot open", path, errno);
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st;
  if (::fstat(fd, &st) != 0) io_fail("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode)) io_fail("cannot read", path, EISDIR);
  if (!S_ISREG(st.st_mode)) bad("not a regular file");
  const uint64_t size = uint64_t(st.st_size);
  auto read_all = [&](unsigned char *to, uint64_t n) -> uint64_t {
    uint64_t done = 0;
    while (done < n) {
      ssize_t r = ::read(fd, to + done, size_t(std::min<uint64_t>(n - done, uint64_t(1) << 30)));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) io_fail("cannot read", path, errno);
      if (r == 0) break;
      done += uint64_t(r);
    }
    return done;
  };
  unsigned char header[kHeaderSize];
  uint64_t got = read_all(header, std::min<uint64_t>(size, kHeaderSize));
  check_header(header, got, size);
  auto data = std::make_unique_for_overwrite<unsigned char[]>(size_t(size));
  std::memcpy(data.get(), header, kHeaderSize);
  got = kHeaderSize + read_all(data.get() + kHeaderSize, size - kHeaderSize);
  if (got != size)
    bad("truncated: the file shrank to %llu bytes while being read", (unsigned long long)got);
  return decode(data.get(), size);
}

// Bodies of dln_load / dln_load_buffer (and their _ex forms): *out is only
// written once everything has been validated.
void load_path_into(const char *path, dln_model **out) {
  require_pointer(out, "out");
  require_pointer(path, "path");
  std::unique_ptr<dln_model> m;
  try {
    m = load_file(path);
  } catch (const Error &e) {
    if (e.status != DLN_ERR_FORMAT) throw;
    fail(DLN_ERR_FORMAT, "'%s': %s", path, e.message.c_str());
  }
  *out = m.release();
}

void load_bytes_into(const void *buffer, int64_t size, dln_model **out) {
  require_pointer(out, "out");
  if (size < 0) fail(DLN_ERR_INVALID_ARGUMENT, "size=%lld is negative", (long long)size);
  require_pointer(buffer, "buffer");
  auto m = decode(static_cast<const unsigned char *>(buffer), uint64_t(size));
  *out = m.release();
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

int dln_load(const char *path, dln_model **out) {
  return guarded(nullptr, "dln_load", [&] { ckpt::load_path_into(path, out); });
}

int dln_load_buffer(const void *buffer, int64_t size, dln_model **out) {
  return guarded(nullptr, "dln_load_buffer", [&] { ckpt::load_bytes_into(buffer, size, out); });
}

// The same with the failure explained in a caller buffer, like dln_create_ex
// (a handle-free call has no dln_last_error).
int dln_load_ex(const char *path, dln_model **out, char *message, int64_t capacity) {
  return guarded_into(message, capacity, "dln_load", [&] { ckpt::load_path_into(path, out); });
}

int dln_load_buffer_ex(const void *buffer, int64_t size, dln_model **out, char *message, int64_t capacity) {
  return guarded_into(message, capacity, "dln_load_buffer", [&] { ckpt::load_bytes_into(buffer, size, out); });
}

}  // extern "C"
