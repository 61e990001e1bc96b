// Checkpoints, the reading half (docs/checkpoint-format.md).
//
// Loading trusts nothing: the header (magic, header CRC, version, payload size
// against the bytes actually present) and the payload CRC are checked first,
// then a structural pass (checkpoint_scan.cpp) walks every section and checks
// that each count is consistent with the section's byte size and the widths,
// all without allocating; only then is a model built, every value validated with the
// rules of the setters (validate_observations, make_schedule, check_decay,
// the parameter bounds), and handed out only if all of it passed. Every
// allocation is thus bounded by the size of the input.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <thread>

#include "checkpoint_format.hpp"
#include "checkpoint_scan.hpp"
#include "errors.hpp"
#include "model.hpp"
#include "params.hpp"
#include "schedule.hpp"

namespace dln {
namespace ckpt {
namespace {

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

// What the rest of the library assumes of a stored layer W = scale·V beyond
// finite fields (a forged file can have valid CRCs and anything else):
//  - scale is a normal number: the step runs with DAZ, which would read a
//    subnormal scale as 0 (the library's own scales stay in (2^-31, 1]);
//  - every weight scale·V_ij is finite, i.e. scale·max|V| <= DBL_MAX: the
//    queries and the step read W, and an infinite W is a state no sequence
//    of calls can reach (the step refuses to produce one).
void check_layer_invariants(const Layer &L, int64_t l, double max_abs_v) {
  if (!(L.scale >= DBL_MIN))
    bad("LAYR %lld: scale=%g is below the smallest normal double", (long long)l, L.scale);
  if (!(max_abs_v <= DBL_MAX / L.scale) || !std::isfinite(L.scale * max_abs_v))
    bad("LAYR %lld: scale=%.17g times max|V|=%.17g overflows: a weight would be infinite", (long long)l,
        L.scale, max_abs_v);
}


std::unique_ptr<dln_model> decode(const unsigned char *data, uint64_t size) {
  const uint64_t payload_bytes = check_header(data, size, size);
  const unsigned char *payload = data + kHeaderSize;
  uint32_t stored = get_u32(data + kOffPayloadCrc), computed = crc32_of(payload, payload_bytes);
  if (stored != computed)
    bad("the payload is corrupted: its CRC is 0x%08x, computed 0x%08x", unsigned(stored), unsigned(computed));
  const Layout lay = scan(payload, payload_bytes, get_u32(data + kOffVersion));

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
  Options &o = m->options;  // options a v1 file does not hold keep their defaults
  if (lay.version == 1) {
    // Params 1..8 in id order; the integral ones were stored as i64.
    for (int id = 1; id <= int(kOptionScalarsV1); ++id) {
      const OptionRow &r = *option_row(id);
      double value = r.integral ? double(opts.i64()) : opts.f64();
      as_format("OPTS", [&] { r.set(o, validated_option(r, value)); });
    }
  } else {
    const int64_t count = opts.i64();
    for (int64_t k = 0; k < count; ++k) {
      const int64_t id = opts.i64();
      const double value = opts.f64();
      const OptionRow *r = id >= INT32_MIN && id <= INT32_MAX ? option_row(int(id)) : nullptr;
      if (!r) bad("OPTS: option %lld has id %lld, which is not a DLN_PARAM_* id", (long long)k, (long long)id);
      if (r->negative_is_default && value < 0.0 && value != -1.0)
        bad("OPTS: %s=%.17g: a default is stored as -1", r->name, value);
      as_format("OPTS", [&] { r->set(o, validated_option(*r, value)); });
    }
  }
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
    // A bound is never negative, whatever V holds: the step adds its growth
    // to it, and a negative one (accepted over subnormal V, which is not
    // compared below) hid every later overflow from the guard (found by
    // fuzz_checkpoint, fuzz/corpus/checkpoint/regression-negative-bound).
    if (!std::isfinite(L.max_abs_bound) || !(L.max_abs_bound >= 0.0))
      bad("LAYR %lld: max_abs_bound=%g must be finite and >= 0", (long long)l, L.max_abs_bound);
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
    // Subnormal weights are not bounded: the step runs with DAZ, which reads
    // them (and a subnormal bound) as zero (found by fuzz_checkpoint).
    if (largest >= DBL_MIN && !(L.max_abs_bound >= largest * (1.0 - 0x1p-20)))
      bad("LAYR %lld: max_abs_bound=%.17g is below max|V|=%.17g", (long long)l, L.max_abs_bound, largest);
    check_layer_invariants(L, l, largest);
  }

  read_observations(open_section(all, kTagTrain, "TRAN"), *m, m->train, "TRAN");
  m->train_stats = DataStats::of(m->train);
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

  JumpLog &j = m->jumps;
  // No logged rank exceeds the widest layer plus one (numerical ranks are at
  // most min_ℓ n_ℓ, absorbed ones at most max_k n_k, or max_k n_k + 1 outside
  // every B_r). The bound also keeps every rank exact as a double: v1 held
  // ranks as i64, and 2^56 + 1 → 2^56 became a "change" from 2^56 to 2^56
  // once saved as v2 (found by fuzz_checkpoint,
  // fuzz/corpus/checkpoint/regression-v1-rank-beyond-2p53).
  const int64_t most = *std::max_element(m->widths.begin(), m->widths.end()) + 1;
  if (lay.version == 1) {
    Cursor jumps = open_section(all, kTagJumps, "JUMP");
    j.last_absorbed = jumps.i64();
    j.last_numerical = jumps.i64();
    count = jumps.i64();
    j.records.resize(size_t(count));
    for (int64_t k = 0; k < count; ++k) {
      int64_t r[DLN_JUMP_RECORD_SIZE];
      jumps.array(r, DLN_JUMP_RECORD_SIZE);
      if (r[DLN_JUMP_STEP] < 0 || (r[DLN_JUMP_KIND] != DLN_JUMP_ABSORBED && r[DLN_JUMP_KIND] != DLN_JUMP_NUMERICAL) ||
          r[DLN_JUMP_AFTER] < 0 || r[DLN_JUMP_BEFORE] <= r[DLN_JUMP_AFTER] || r[DLN_JUMP_BEFORE] > most)
        bad("JUMP: record %lld {step %lld, kind %lld, before %lld, after %lld} is not a rank decrease within [0, %lld]",
            (long long)k, (long long)r[0], (long long)r[1], (long long)r[2], (long long)r[3], (long long)most);
      // A v1 log held decreases only, without the deciding values.
      auto &c = j.records[size_t(k)];
      c.fill(std::numeric_limits<double>::quiet_NaN());
      for (int f = 0; f < DLN_JUMP_RECORD_SIZE; ++f) c[size_t(f)] = double(r[f]);
    }
  } else {
    Cursor changes = open_section(all, kTagChanges, "CHNG");
    j.last_absorbed = changes.i64();
    j.last_numerical = changes.i64();
    count = changes.i64();
    j.records.resize(size_t(count));
    for (int64_t k = 0; k < count; ++k) {
      auto &c = j.records[size_t(k)];
      changes.array(c.data(), c.size());
      const double step = c[DLN_CHANGE_STEP], kind = c[DLN_CHANGE_KIND], before = c[DLN_CHANGE_BEFORE],
                   after = c[DLN_CHANGE_AFTER];
      // Whole numbers >= 0 (a step beyond 2^53 is held to the nearest double).
      auto whole = [](double x) { return x >= 0.0 && x <= 9223372036854775807.0 && x == std::floor(x); };
      if (!whole(step) || (kind != double(DLN_JUMP_ABSORBED) && kind != double(DLN_JUMP_NUMERICAL)) || !whole(before) ||
          !whole(after) || before == after || before > double(most) || after > double(most))
        bad("CHNG: record %lld {step %g, kind %g, before %g, after %g} is not a rank change within [0, %lld]",
            (long long)k, step, kind, before, after, (long long)most);
    }
    Cursor trace = open_section(all, kTagTrace, "TRAC");
    count = trace.i64();
    m->trace.rows.resize(size_t(count));
    for (auto &row : m->trace.rows) trace.array(row.data(), row.size());
  }
  if (j.last_absorbed < -1 || j.last_numerical < -1 || j.last_absorbed > most || j.last_numerical > most)
    bad("rank-change log: last ranks %lld and %lld must be in [-1, %lld] (the widest layer + 1)",
        (long long)j.last_absorbed, (long long)j.last_numerical, (long long)most);
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
