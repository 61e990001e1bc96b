// Fuzzer: the CLI's readers (cli/data_io.hpp) on arbitrary text. The first
// byte picks the reader; the contract checked is the header's: every error is
// a dlncli::ParseError (any other exception escapes and is reported by
// libFuzzer), no memory error, no leak; what is accepted is consistent
// (indices inside the sizes, one value per entry, finite sizes).
#include <cstdint>
#include <sstream>
#include <string>

#include "data_io.hpp"

namespace {

void require(bool ok) {
  if (!ok) __builtin_trap();
}
void check(const dlncli::Observations &o) {
  require(o.rows.size() == o.values.size() && o.cols.size() == o.values.size());
  for (size_t k = 0; k < o.size(); ++k) {
    require(o.rows[k] >= 0 && o.rows[k] < o.n_rows);
    require(o.cols[k] >= 0 && o.cols[k] < o.n_cols);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  std::istringstream in(std::string(reinterpret_cast<const char *>(data) + 1, size - 1));
  try {
    switch (data[0] % 6) {
      case 0: check(dlncli::parse_matrix_market(in, "fuzz.mtx")); break;
      case 1: check(dlncli::parse_triplets(in, "fuzz.csv", dlncli::IndexBase::Auto)); break;
      case 2: check(dlncli::parse_triplets(in, "fuzz.csv", dlncli::IndexBase::Zero)); break;
      case 3: check(dlncli::parse_triplets(in, "fuzz.csv", dlncli::IndexBase::One)); break;
      case 4: {
        auto m = dlncli::parse_dense(in, "fuzz.mtx", dlncli::FileFormat::MatrixMarket);
        require(m.rows >= 0 && m.cols >= 0 && m.values.size() == size_t(m.rows * m.cols));
        break;
      }
      default: {
        auto m = dlncli::parse_dense(in, "fuzz.csv", dlncli::FileFormat::Triplets);
        require(m.rows >= 0 && m.cols >= 0 && m.values.size() == size_t(m.rows * m.cols));
      }
    }
  } catch (const dlncli::ParseError &) {
  }
  return 0;
}
