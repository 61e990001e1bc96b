#include "data_io.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <ostream>
#include <sstream>

namespace dlncli {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Fields separated by ',', ';', tabs or runs of spaces. An empty field between
// two commas is kept (and rejected later as "not a number").
std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> out;
  bool explicit_delims = line.find_first_of(",;") != std::string_view::npos;
  std::size_t pos = 0;
  if (explicit_delims) {
    while (true) {
      std::size_t next = line.find_first_of(",;", pos);
      out.push_back(trim(line.substr(pos, next == std::string_view::npos ? next : next - pos)));
      if (next == std::string_view::npos) break;
      pos = next + 1;
    }
  } else {
    while (pos < line.size()) {
      while (pos < line.size() && std::isspace(static_cast<unsigned char>(line[pos]))) ++pos;
      if (pos >= line.size()) break;
      std::size_t end = pos;
      while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
      out.push_back(line.substr(pos, end - pos));
      pos = end;
    }
  }
  return out;
}

bool try_double(std::string_view s, double& v, bool* out_of_range = nullptr) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const bool whole = p == s.data() + s.size() && !s.empty();
  if (out_of_range) *out_of_range = whole && ec == std::errc::result_out_of_range;
  return ec == std::errc() && whole;
}

// A UTF-8 byte order mark (spreadsheets write one) is not part of the first line.
void strip_bom(std::string& line) {
  if (line.compare(0, 3, "\xEF\xBB\xBF") == 0) line.erase(0, 3);
}
bool try_int(std::string_view s, std::int64_t& v, bool* out_of_range = nullptr) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  const bool whole = p == s.data() + s.size() && !s.empty();
  if (out_of_range) *out_of_range = whole && ec == std::errc::result_out_of_range;
  return ec == std::errc() && whole;
}

struct LineReader {
  std::istream& in;
  const std::string& name;
  std::int64_t number = 0;
  std::string text;
  // Next line that is neither blank nor a comment (comment chars as given).
  bool next(const char* comment_chars) {
    while (std::getline(in, text)) {
      ++number;
      if (number == 1) strip_bom(text);
      if (!text.empty() && text.back() == '\r') text.pop_back();
      auto t = trim(text);
      if (t.empty() || std::string_view(comment_chars).find(t.front()) != std::string_view::npos)
        continue;
      return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string& what) const { throw ParseError(name, number, what); }
  double value(std::string_view field, const char* what) const {
    double v;
    bool out_of_range = false;
    if (!try_double(field, v, &out_of_range))
      fail(std::string(what) + " '" + std::string(field) +
           (out_of_range ? "' is outside the range of a double" : "' is not a number"));
    if (!std::isfinite(v)) fail(std::string(what) + " '" + std::string(field) + "' is not finite");
    return v;
  }
  std::int64_t index(std::string_view field, const char* what) const {
    std::int64_t v;
    bool out_of_range = false;
    if (!try_int(field, v, &out_of_range))
      fail(std::string(what) + " '" + std::string(field) +
           (out_of_range ? "' is outside the range of a 64-bit integer" : "' is not an integer"));
    if (v < 0) fail(std::string(what) + " " + std::to_string(v) + " is negative");
    // The library's widths are at most 2^40; larger indices are refused here,
    // which also keeps 1 + index from overflowing.
    if (v > (std::int64_t{1} << 40)) fail(std::string(what) + " " + std::to_string(v) + " exceeds 2^40");
    return v;
  }
};

void check_size_fits(const LineReader& r, std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t kMax = std::int64_t{1} << 31;
  if (rows <= 0 || cols <= 0) r.fail("matrix size must be positive");
  if (rows > kMax || cols > kMax) r.fail("matrix size too large");
}

// A dense matrix is held in memory: refuse sizes past 2^27 entries (1 GiB)
// before allocating, whatever the (possibly tiny) file claims.
void check_dense_size(const LineReader& r, std::int64_t rows, std::int64_t cols) {
  constexpr std::int64_t kMaxEntries = std::int64_t{1} << 27;
  if (rows > kMaxEntries / cols)
    r.fail("a dense " + std::to_string(rows) + " x " + std::to_string(cols) +
           " matrix exceeds the 2^27 entries a dense file may hold");
}

struct MMHeader {
  bool array = false, symmetric = false, pattern = false;
};

MMHeader read_mm_banner(LineReader& r) {
  if (!std::getline(r.in, r.text)) throw ParseError(r.name, 0, "empty file");
  r.number = 1;
  strip_bom(r.text);
  if (r.text.empty() && r.in.eof()) throw ParseError(r.name, 0, "empty file");  // a BOM alone
  if (!r.text.empty() && r.text.back() == '\r') r.text.pop_back();
  std::istringstream ss(lower(r.text));
  std::string banner, object, format, field, symmetry;
  ss >> banner >> object >> format >> field >> symmetry;
  if (banner != "%%matrixmarket") r.fail("missing '%%MatrixMarket' banner");
  if (object != "matrix") r.fail("object '" + object + "' is not 'matrix'");
  MMHeader h;
  if (format == "array") h.array = true;
  else if (format != "coordinate") r.fail("format '" + format + "' is not coordinate or array");
  if (field == "pattern") r.fail("pattern matrices have no values to complete");
  if (field != "real" && field != "integer" && field != "double")
    r.fail("field '" + field + "' is not real or integer");
  if (symmetry == "symmetric") h.symmetric = true;
  else if (symmetry != "general") r.fail("symmetry '" + symmetry + "' is not general or symmetric");
  return h;
}

}  // namespace

IndexBase parse_index_base(const std::string& text) {
  if (text == "auto") return IndexBase::Auto;
  if (text == "0") return IndexBase::Zero;
  if (text == "1") return IndexBase::One;
  throw std::invalid_argument("index base must be auto, 0 or 1, not '" + text + "'");
}

FileFormat format_from_name(const std::string& path) {
  auto l = lower(path);
  return l.size() >= 4 && l.compare(l.size() - 4, 4, ".mtx") == 0 ? FileFormat::MatrixMarket
                                                                    : FileFormat::Triplets;
}

Observations parse_matrix_market(std::istream& in, const std::string& name) {
  LineReader r{in, name, 0, {}};
  MMHeader h = read_mm_banner(r);
  if (h.array) r.fail("array format holds a dense matrix, not observations (use coordinate)");
  if (!r.next("%")) r.fail("missing size line 'rows cols entries'");
  auto f = split_fields(r.text);
  if (f.size() != 3) r.fail("size line needs 3 fields 'rows cols entries', found " + std::to_string(f.size()));
  Observations obs;
  obs.n_rows = r.index(f[0], "row count");
  obs.n_cols = r.index(f[1], "column count");
  std::int64_t nnz = r.index(f[2], "entry count");
  check_size_fits(r, obs.n_rows, obs.n_cols);
  if (h.symmetric && obs.n_rows != obs.n_cols) r.fail("symmetric matrix must be square");
  for (std::int64_t k = 0; k < nnz; ++k) {
    if (!r.next("%"))
      throw ParseError(name, r.number, "truncated: " + std::to_string(nnz) + " entries declared, " +
                                           std::to_string(k) + " found");
    f = split_fields(r.text);
    if (f.size() != 3) r.fail("entry needs 3 fields 'row col value', found " + std::to_string(f.size()));
    std::int64_t i = r.index(f[0], "row"), j = r.index(f[1], "column");
    double y = r.value(f[2], "value");
    if (i < 1 || i > obs.n_rows) r.fail("row " + std::to_string(i) + " outside 1.." + std::to_string(obs.n_rows));
    if (j < 1 || j > obs.n_cols) r.fail("column " + std::to_string(j) + " outside 1.." + std::to_string(obs.n_cols));
    obs.push(i - 1, j - 1, y);
    if (h.symmetric && i != j) obs.push(j - 1, i - 1, y);
  }
  if (r.next("%")) r.fail("more entries than the " + std::to_string(nnz) + " declared");
  return obs;
}

Observations parse_triplets(std::istream& in, const std::string& name, IndexBase base) {
  LineReader r{in, name, 0, {}};
  Observations obs;
  std::vector<std::int64_t> lines;
  bool first = true;
  while (r.next("#%")) {
    auto f = split_fields(r.text);
    if (first) {
      first = false;
      double probe;
      if (!f.empty() && !try_double(f[0], probe)) continue;  // header line
    }
    if (f.size() != 3)
      r.fail("expected 3 fields 'row,col,value', found " + std::to_string(f.size()));
    std::int64_t i = r.index(f[0], "row"), j = r.index(f[1], "column");
    obs.push(i, j, r.value(f[2], "value"));
    lines.push_back(r.number);
  }
  if (obs.size() == 0) throw ParseError(name, 0, "no observations");
  std::int64_t lowest = std::min(*std::min_element(obs.rows.begin(), obs.rows.end()),
                                 *std::min_element(obs.cols.begin(), obs.cols.end()));
  if (base == IndexBase::Auto) base = lowest == 0 ? IndexBase::Zero : IndexBase::One;
  if (base == IndexBase::One) {
    for (std::size_t k = 0; k < obs.size(); ++k) {
      if (obs.rows[k] == 0 || obs.cols[k] == 0)
        throw ParseError(name, lines[k], "index 0 in a 1-based file");
      --obs.rows[k], --obs.cols[k];
    }
  }
  obs.n_rows = 1 + *std::max_element(obs.rows.begin(), obs.rows.end());
  obs.n_cols = 1 + *std::max_element(obs.cols.begin(), obs.cols.end());
  return obs;
}

DenseMatrix parse_dense(std::istream& in, const std::string& name, FileFormat format) {
  DenseMatrix m;
  if (format == FileFormat::MatrixMarket) {
    std::stringstream copy;
    copy << in.rdbuf();
    LineReader peek{copy, name, 0, {}};
    MMHeader h = read_mm_banner(peek);
    if (!h.array) {
      copy.clear();
      copy.seekg(0);
      Observations obs = parse_matrix_market(copy, name);
      m.rows = obs.n_rows, m.cols = obs.n_cols;
      check_dense_size(peek, m.rows, m.cols);
      m.values.assign(static_cast<std::size_t>(m.rows * m.cols), 0.0);
      for (std::size_t k = 0; k < obs.size(); ++k)
        m.values[static_cast<std::size_t>(obs.rows[k] * m.cols + obs.cols[k])] = obs.values[k];
      return m;
    }
    LineReader& r = peek;
    if (!r.next("%")) r.fail("missing size line 'rows cols'");
    auto f = split_fields(r.text);
    if (f.size() != 2) r.fail("array size line needs 2 fields 'rows cols'");
    m.rows = r.index(f[0], "row count");
    m.cols = r.index(f[1], "column count");
    check_size_fits(r, m.rows, m.cols);
    check_dense_size(r, m.rows, m.cols);
    // Values arrive column-major; memory grows with what the file really holds.
    std::vector<double> by_column;
    for (std::int64_t k = 0; k < m.rows * m.cols; ++k) {
      if (!r.next("%")) throw ParseError(name, r.number, "truncated: fewer than rows*cols values");
      f = split_fields(r.text);
      if (f.size() != 1) r.fail("array entry needs 1 field, found " + std::to_string(f.size()));
      by_column.push_back(r.value(f[0], "value"));
    }
    if (r.next("%")) r.fail("more values than rows*cols");
    m.values.resize(by_column.size());
    for (std::int64_t j = 0; j < m.cols; ++j)
      for (std::int64_t i = 0; i < m.rows; ++i)
        m.values[static_cast<std::size_t>(i * m.cols + j)] = by_column[static_cast<std::size_t>(j * m.rows + i)];
    return m;
  }
  LineReader r{in, name, 0, {}};
  while (r.next("#%")) {
    auto f = split_fields(r.text);
    if (m.rows == 0 && m.values.empty()) {
      double probe;
      if (!f.empty() && !try_double(f[0], probe)) continue;  // header line
      m.cols = static_cast<std::int64_t>(f.size());
    }
    if (static_cast<std::int64_t>(f.size()) != m.cols)
      r.fail("row has " + std::to_string(f.size()) + " values, the first row has " +
             std::to_string(m.cols));
    for (auto field : f) m.values.push_back(r.value(field, "value"));
    ++m.rows;
  }
  if (m.rows == 0) throw ParseError(name, 0, "no matrix rows");
  return m;
}

Observations read_observations(const std::string& path, IndexBase base) {
  std::ifstream in(path);
  if (!in) throw ParseError(path, 0, "cannot open file");
  return format_from_name(path) == FileFormat::MatrixMarket ? parse_matrix_market(in, path)
                                                            : parse_triplets(in, path, base);
}

DenseMatrix read_dense(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ParseError(path, 0, "cannot open file");
  return parse_dense(in, path, format_from_name(path));
}

void write_matrix_market(std::ostream& out, const Observations& obs) {
  out << "%%MatrixMarket matrix coordinate real general\n"
      << obs.n_rows << ' ' << obs.n_cols << ' ' << obs.size() << '\n'
      << std::setprecision(17);
  for (std::size_t k = 0; k < obs.size(); ++k)
    out << obs.rows[k] + 1 << ' ' << obs.cols[k] + 1 << ' ' << obs.values[k] << '\n';
}

void write_dense_csv(std::ostream& out, const DenseMatrix& m) {
  out << std::setprecision(17);
  for (std::int64_t i = 0; i < m.rows; ++i)
    for (std::int64_t j = 0; j < m.cols; ++j)
      out << m.values[static_cast<std::size_t>(i * m.cols + j)] << (j + 1 < m.cols ? ',' : '\n');
}

}  // namespace dlncli
