// Fuzzer: the CLI's readers (cli/data_io.hpp) on arbitrary text. The first
// byte picks the reader; the contract checked is the header's: every error is
// a dlncli::ParseError (any other exception escapes and is reported by
// libFuzzer), no memory error, no leak; what is accepted is consistent
// (indices inside the sizes, one value per entry, finite sizes); a UTF-8
// byte order mark in front changes nothing (issue 14 class 5): the same
// observations or the same error message.
#include <cstdint>
#include <vector>
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

// What a reader made of a text: the values it accepted, or its error.
struct Outcome {
  std::vector<int64_t> rows, cols;
  std::vector<double> values;
  std::string error;
  bool operator==(const Outcome &) const = default;
};

Outcome parse(int reader, const std::string &text) {
  std::istringstream in(text);
  Outcome out;
  try {
    switch (reader) {
      case 0:
      case 1:
      case 2:
      case 3: {
        const dlncli::IndexBase bases[] = {dlncli::IndexBase::Auto, dlncli::IndexBase::Auto,
                                           dlncli::IndexBase::Zero, dlncli::IndexBase::One};
        dlncli::Observations o = reader == 0 ? dlncli::parse_matrix_market(in, "fuzz.mtx")
                                             : dlncli::parse_triplets(in, "fuzz.csv", bases[reader]);
        check(o);
        out.rows = o.rows, out.cols = o.cols, out.values = o.values;
        break;
      }
      default: {
        auto m = dlncli::parse_dense(in, reader == 4 ? "fuzz.mtx" : "fuzz.csv",
                                     reader == 4 ? dlncli::FileFormat::MatrixMarket : dlncli::FileFormat::Triplets);
        require(m.rows >= 0 && m.cols >= 0 && m.values.size() == size_t(m.rows * m.cols));
        out.rows = {m.rows}, out.cols = {m.cols}, out.values = m.values;
      }
    }
  } catch (const dlncli::ParseError &e) {
    out.error = e.what();
  }
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const int reader = data[0] % 6;
  const std::string text(reinterpret_cast<const char *>(data) + 1, size - 1);
  const Outcome plain = parse(reader, text);
  if (text.compare(0, 3, "\xEF\xBB\xBF") != 0) {
    Outcome with_bom = parse(reader, "\xEF\xBB\xBF" + text);
    // NaN values compare unequal: the readers refuse non-finite values anyway.
    require(with_bom == plain);
  }
  return 0;
}
