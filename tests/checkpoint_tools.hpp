// Helpers of the reliability chapters (checkpoints, bad inputs, threads,
// resources): a rich model fixture, checkpoint snapshots, and an independent
// reader of the checkpoint layout of docs/checkpoint-format.md (its own
// CRC-32, its own section walker) to craft corrupted files.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "support.hpp"

namespace ckt {

using Bytes = std::vector<unsigned char>;

// The whole state as checkpoint bytes: equal bytes mean equal states.
inline Bytes snapshot(const dln_model *m) {
  int64_t size = 0;
  REQUIRE(dln_save_buffer(m, nullptr, 0, &size) == DLN_OK);
  Bytes b(static_cast<size_t>(size));
  int64_t again = 0;
  REQUIRE(dln_save_buffer(m, b.data(), size, &again) == DLN_OK);
  REQUIRE(again == size);
  return b;
}

inline ModelPtr load(const Bytes &b) {
  dln_model *m = nullptr;
  int status = dln_load_buffer(b.data(), int64_t(b.size()), &m);
  INFO("dln_load_buffer -> ", dln_status_name(status));
  REQUIRE(status == DLN_OK);
  return ModelPtr(m);
}

// CRC-32 (ISO-HDLC, reflected polynomial 0xEDB88320): zlib's crc32.
inline uint32_t crc32(const unsigned char *p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return c ^ 0xFFFFFFFFu;
}

inline uint64_t get64(const Bytes &b, size_t at) {
  uint64_t x = 0;
  for (int i = 0; i < 8; ++i) x |= uint64_t(b[at + size_t(i)]) << (8 * i);
  return x;
}
inline void put64(Bytes &b, size_t at, uint64_t x) {
  for (int i = 0; i < 8; ++i) b[at + size_t(i)] = uint8_t(x >> (8 * i));
}
inline void put32(Bytes &b, size_t at, uint32_t x) {
  for (int i = 0; i < 4; ++i) b[at + size_t(i)] = uint8_t(x >> (8 * i));
}
inline void put_f64(Bytes &b, size_t at, double x) {
  uint64_t u;
  std::memcpy(&u, &x, 8);
  put64(b, at, u);
}

// Recomputes both CRCs (payload first, then header) so a crafted change
// reaches the checks behind them. Leaves the payload size as it is.
inline void fix_crcs(Bytes &b) {
  if (b.size() < 32) return;
  put32(b, 24, crc32(b.data() + 32, b.size() - 32));
  put32(b, 28, crc32(b.data(), 28));
}
inline void fix_sizes_and_crcs(Bytes &b) {
  put64(b, 16, b.size() - 32);
  fix_crcs(b);
}

struct Section {
  std::string tag;
  size_t header;  // offset of the 16-byte section header
  size_t body;    // offset of the body
  uint64_t size;  // body size
};

inline std::vector<Section> sections(const Bytes &b) {
  std::vector<Section> out;
  size_t at = 32;
  while (at + 16 <= b.size()) {
    Section s{std::string(reinterpret_cast<const char *>(b.data() + at), 4), at, at + 16, get64(b, at + 8)};
    out.push_back(s);
    at = s.body + size_t(s.size);
  }
  return out;
}

inline Section find(const Bytes &b, const std::string &tag, int nth = 0) {
  for (const Section &s : sections(b))
    if (s.tag == tag && nth-- == 0) return s;
  FAIL("section ", tag, " not found");
  return {};
}

// Depth 3, 4 columns, 5 rows, every piece of state set to a non-default
// value, and some steps taken so that scales differ from 1.
inline ModelPtr rich_model(uint64_t seed = 7, int sampler = DLN_SAMPLER_WITHOUT_REPLACEMENT,
                           int64_t batch = 2) {
  ModelPtr m = make_model({4, 3, 3, 5}, seed);
  double std = 0.6;
  REQUIRE_OK(dln_init_weights(m.get(), DLN_INIT_GAUSSIAN, 1, &std));
  std::vector<int64_t> rows, cols, trows, tcols;
  std::vector<double> values, tvalues, truth(20);
  const double u[5] = {1.0, -0.5, 0.25, 0.8, -1.2}, v[4] = {0.9, 0.3, -0.7, 0.4};
  for (int64_t i = 0; i < 5; ++i)
    for (int64_t j = 0; j < 4; ++j) {
      truth[size_t(i * 4 + j)] = u[i] * v[j];
      if ((i + 2 * j) % 3 != 0) {
        rows.push_back(i), cols.push_back(j), values.push_back(u[i] * v[j]);
      } else {
        trows.push_back(i), tcols.push_back(j), tvalues.push_back(u[i] * v[j]);
      }
    }
  REQUIRE_OK(dln_set_observations(m.get(), int64_t(values.size()), rows.data(), cols.data(), values.data()));
  REQUIRE_OK(dln_set_test_observations(m.get(), int64_t(tvalues.size()), trows.data(), tcols.data(),
                                       tvalues.data()));
  REQUIRE_OK(dln_set_ground_truth(m.get(), truth.data()));
  const int64_t subset[4] = {0, 2, 5, 7};
  REQUIRE_OK(dln_set_sample_subset(m.get(), 4, subset));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_LEARNING_RATE, 0.05));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RIDGE, 0.01));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_BATCH_SIZE, double(batch)));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_SAMPLER, sampler));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_INTERVAL, 2));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_JUMP_RTOL, 0.2));
  REQUIRE_OK(dln_set_param(m.get(), DLN_PARAM_RANK_ATOL, 1e-12));
  const double lr[4] = {5, 0.5, 20, 0.25}, ridge[2] = {0.1, 30};
  REQUIRE_OK(dln_set_schedule(m.get(), DLN_PARAM_LEARNING_RATE, DLN_SCHEDULE_PIECEWISE, 4, lr));
  REQUIRE_OK(dln_set_schedule(m.get(), DLN_PARAM_RIDGE, DLN_SCHEDULE_COSINE, 2, ridge));
  REQUIRE_OK(dln_step(m.get(), 9));
  return m;
}

}  // namespace ckt
