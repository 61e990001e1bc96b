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

// Known open issues of cli/data_io.cpp, found by this fuzzer (reproducers in
// fuzz/known/data_io/, reported to the CLI's owner):
//   1. parse_dense allocates rows*cols values from the size line before
//      reading any value: "100000 100000" asks for 80 GB (out of memory).
//   2. a size line whose rows*cols passes vector::max_size() throws
//      std::length_error, which is not a ParseError.
//   3. parse_triplets computes 1 + (largest index): signed overflow (UB) for
//      an index of INT64_MAX.
// Until they are fixed, inputs that can reach them are skipped so that this
// fuzzer stays a regression test for everything else: dense Matrix Market
// input (selector 4) with a number of 4 or more digits, and any input with a
// run of 18 or more digits. Build with -DDLN_FUZZ_STRICT_CLI to fuzz them too.
bool known_issue(const uint8_t *data, size_t size) {
#ifdef DLN_FUZZ_STRICT_CLI
  return false;
#else
  size_t run = 0, longest = 0;
  for (size_t i = 1; i < size; ++i) {
    run = (data[i] >= '0' && data[i] <= '9') ? run + 1 : 0;
    longest = run > longest ? run : longest;
  }
  return longest >= 18 || (data[0] % 6 == 4 && longest >= 4);
#endif
}

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
  if (size < 1 || known_issue(data, size)) return 0;
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
