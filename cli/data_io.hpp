// Readers for observation files and ground-truth matrices. Self-contained (no
// dlnsgd dependency) so a fuzzer can link data_io.cpp alone.
//
//   Matrix Market coordinate (.mtx): "%%MatrixMarket matrix coordinate
//     real|integer general|symmetric", 1-based; symmetric entries are mirrored.
//   Triplets (CSV, TSV, whitespace or ';'): row,col,value per line, 0- or
//     1-based (IndexBase::Auto: 0-based iff some index is 0), optional header
//     line, '#' or '%' comments.
//   Dense matrices (ground truth): Matrix Market array or coordinate, or a
//     CSV/TSV grid with one row per line.
// A UTF-8 byte order mark before the first line is skipped. Every error is a
// ParseError naming the file and the line.
#ifndef DLN_CLI_DATA_IO_HPP
#define DLN_CLI_DATA_IO_HPP

#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>
#include <vector>

namespace dlncli {

class ParseError : public std::runtime_error {
 public:
  ParseError(const std::string& file, std::int64_t line, const std::string& what)
      : std::runtime_error(message(file, line, what)),
        file_(file),
        line_(line) {}
  const std::string& file() const noexcept { return file_; }
  std::int64_t line() const noexcept { return line_; }  // 0: not tied to a line

 private:
  static std::string message(const std::string& file, std::int64_t line, const std::string& what) {
    std::string m = file;
    if (line > 0) m.append(":").append(std::to_string(line));
    m.append(": ").append(what);
    return m;
  }
  std::string file_;
  std::int64_t line_;
};

struct Observations {
  std::vector<std::int64_t> rows, cols;  // 0-based
  std::vector<double> values;
  std::int64_t n_rows = 0, n_cols = 0;  // declared (.mtx) or 1 + largest index
  std::size_t size() const { return values.size(); }
  void push(std::int64_t i, std::int64_t j, double y) {
    rows.push_back(i), cols.push_back(j), values.push_back(y);
  }
};

struct DenseMatrix {
  std::int64_t rows = 0, cols = 0;
  std::vector<double> values;  // row-major
};

enum class IndexBase { Auto, Zero, One };
IndexBase parse_index_base(const std::string& text);  // "auto", "0", "1"

enum class FileFormat { MatrixMarket, Triplets };
// .mtx (case-insensitive) is Matrix Market, anything else triplets.
FileFormat format_from_name(const std::string& path);

// `name` is used in error messages only.
Observations parse_matrix_market(std::istream& in, const std::string& name);
Observations parse_triplets(std::istream& in, const std::string& name,
                            IndexBase base = IndexBase::Auto);
DenseMatrix parse_dense(std::istream& in, const std::string& name, FileFormat format);

// Open a file, choosing the format from its name.
Observations read_observations(const std::string& path, IndexBase base = IndexBase::Auto);
DenseMatrix read_dense(const std::string& path);

// Writers (Matrix Market coordinate, 1-based; dense as a CSV grid).
void write_matrix_market(std::ostream& out, const Observations& obs);
void write_dense_csv(std::ostream& out, const DenseMatrix& m);

}  // namespace dlncli

#endif
