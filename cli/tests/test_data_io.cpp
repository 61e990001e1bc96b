// Parsers: Matrix Market, triplets (0/1-based, header, delimiters), dense
// ground truth, held-out split, TOML specs; malformed input names file and line.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "data_io.hpp"
#include "problem.hpp"
#include "spec.hpp"

using namespace dlncli;

namespace {
Observations mm(const std::string& text) {
  std::istringstream in(text);
  return parse_matrix_market(in, "t.mtx");
}
Observations trip(const std::string& text, IndexBase b = IndexBase::Auto) {
  std::istringstream in(text);
  return parse_triplets(in, "t.csv", b);
}
// The ParseError's line for malformed input (0 if it did not throw).
template <class F>
std::int64_t error_line(F f, std::string* message = nullptr) {
  try {
    f();
  } catch (const ParseError& e) {
    if (message) *message = e.what();
    return e.line();
  }
  return -1;
}
}  // namespace

TEST_CASE("Matrix Market coordinate") {
  auto o = mm("%%MatrixMarket matrix coordinate real general\n% comment\n3 4 2\n1 1 0.5\n3 4 -2e-1\n");
  CHECK(o.n_rows == 3);
  CHECK(o.n_cols == 4);
  REQUIRE(o.size() == 2);
  CHECK(o.rows[1] == 2);
  CHECK(o.cols[1] == 3);
  CHECK(o.values[1] == doctest::Approx(-0.2));
  auto s = mm("%%MatrixMarket matrix coordinate integer symmetric\n2 2 2\n1 1 3\n2 1 4\n");
  CHECK(s.size() == 3);  // the off-diagonal entry is mirrored
}

TEST_CASE("Matrix Market malformed input names the line") {
  std::string msg;
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2 2\n1 1 1\n"); }, &msg) == 3);
  CHECK(msg.find("t.mtx:3") != std::string::npos);
  CHECK(msg.find("truncated") != std::string::npos);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n3 1 1\n"); }) == 3);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 abc\n"); }, &msg) == 3);
  CHECK(msg.find("'abc' is not a number") != std::string::npos);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 nan\n"); }) == 3);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate pattern general\n2 2 1\n1 1\n"); }) == 1);
  CHECK(error_line([] { mm("hello\n"); }) == 1);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2\n"); }) == 2);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1 1\n2 2 2\n"); }) == 4);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n2 2 1\n1 1.5 1\n"); }) == 3);
  CHECK(error_line([] { mm(""); }) == 0);
}

TEST_CASE("triplets: delimiters, header, index base") {
  auto a = trip("row,col,value\n0,0,1.5\n2,1,-1\n");
  CHECK(a.size() == 2);
  CHECK(a.n_rows == 3);
  CHECK(a.n_cols == 2);
  auto b = trip("1\t1\t2.0\n3\t2\t4\n");  // no zero index: 1-based under auto
  CHECK(b.rows[0] == 0);
  CHECK(b.rows[1] == 2);
  CHECK(b.n_rows == 3);
  auto c = trip("# comment\n1 1 2.0\r\n\n3 2 4\n", IndexBase::Zero);
  CHECK(c.rows[0] == 1);
  CHECK(c.n_rows == 4);
  auto d = trip("0;1;+3\n");
  CHECK(d.values[0] == 3.0);
}

TEST_CASE("triplets: malformed input names the line") {
  std::string msg;
  CHECK(error_line([] { trip("0,0,1\n1,1\n"); }, &msg) == 2);
  CHECK(msg.find("t.csv:2") != std::string::npos);
  CHECK(error_line([] { trip("0,0,1\n-1,0,2\n"); }, &msg) == 2);
  CHECK(msg.find("negative") != std::string::npos);
  CHECK(error_line([] { trip("0,0,1\n0,0,inf\n"); }) == 2);
  CHECK(error_line([] { trip("0,0,1\n0,,2\n"); }) == 2);
  CHECK(error_line([] { trip("a,b,c\nx,0,1\n"); }) == 2);  // a second header is data
  CHECK(error_line([] { trip("0 0 1\n1 1 1 1\n"); }) == 2);
  CHECK(error_line([] { trip("1,1,1\n0,2,1\n", IndexBase::One); }) == 2);
  CHECK(error_line([] { trip("# only a comment\n"); }) == 0);
}

TEST_CASE("dense ground truth: CSV grid and Matrix Market array") {
  std::istringstream g("1,2,3\n4,5,6\n");
  auto m = parse_dense(g, "g.csv", FileFormat::Triplets);
  CHECK(m.rows == 2);
  CHECK(m.cols == 3);
  CHECK(m.values[5] == 6.0);
  std::istringstream a("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n4\n");
  auto ma = parse_dense(a, "a.mtx", FileFormat::MatrixMarket);
  CHECK(ma.values == std::vector<double>{1, 3, 2, 4});  // column-major in the file
  std::istringstream bad("1,2,3\n4,5\n");
  CHECK(error_line([&] { parse_dense(bad, "g.csv", FileFormat::Triplets); }) == 2);
  std::istringstream shortarr("%%MatrixMarket matrix array real general\n2 2\n1\n2\n3\n");
  CHECK(error_line([&] { parse_dense(shortarr, "a.mtx", FileFormat::MatrixMarket); }) == 5);
}

TEST_CASE("files: round trip and missing file") {
  Observations o;
  o.n_rows = 3, o.n_cols = 2;
  o.push(0, 1, 0.25), o.push(2, 0, -1.0 / 3.0);
  std::string path = "dln_cli_test_roundtrip.mtx";
  {
    std::ofstream f(path);
    write_matrix_market(f, o);
  }
  auto back = read_observations(path);
  CHECK(back.rows == o.rows);
  CHECK(back.cols == o.cols);
  CHECK(back.values == o.values);
  std::remove(path.c_str());
  std::string msg;
  error_line([] { read_observations("/nonexistent/x.csv"); }, &msg);
  CHECK(msg.find("/nonexistent/x.csv") != std::string::npos);
}

TEST_CASE("held-out split and synthetic problems are deterministic") {
  auto p = synthetic_problem({});
  auto q = synthetic_problem({});
  CHECK(p.train.values == q.train.values);
  CHECK(p.truth.size() == 400);
  auto [train, test] = split_holdout(p.train, 0.25, 7);
  CHECK(train.size() + test.size() == p.train.size());
  CHECK(test.size() == static_cast<std::size_t>(std::llround(0.25 * double(p.train.size()))));
  auto again = split_holdout(p.train, 0.25, 7);
  CHECK(again.second.values == test.values);
  CHECK_THROWS(split_holdout(p.train, 1.5, 7));
}

TEST_CASE("TOML experiment files") {
  std::string path = "dln_cli_test_spec.toml";
  {
    std::ofstream f(path);
    f << "[synthetic]\nrows = 10\nnoise = 0.5\n[model]\ndepth = 3\nhidden = [5, 6]\n"
         "[train]\neta = 0.01\nsteps = 100\n[sweep]\nseeds = [3, 4]\neta = [0.1, 0.2]\n";
  }
  Experiment e;
  load_toml(path, e);
  CHECK(e.data.synthetic.rows == 10);
  CHECK(e.data.synthetic.noise == 0.5);
  CHECK(e.model.hidden == std::vector<std::int64_t>{5, 6});
  CHECK(e.train.eta == 0.01);
  CHECK(e.train.steps == 100);
  CHECK(e.sweep.seeds == std::vector<std::uint64_t>{3, 4});
  CHECK(e.sweep.etas == std::vector<double>{0.1, 0.2});
  {
    std::ofstream f(path);
    f << "[train]\neta = 0.01\nstesp = 100\n";
  }
  try {
    load_toml(path, e);
    FAIL("no error");
  } catch (const std::invalid_argument& err) {
    CHECK(std::string(err.what()).find(path + ":3") != std::string::npos);
    CHECK(std::string(err.what()).find("stesp") != std::string::npos);
  }
  {
    std::ofstream f(path);
    f << "[train]\neta = \"fast\"\n";
  }
  CHECK_THROWS_AS(load_toml(path, e), std::invalid_argument);
  std::remove(path.c_str());
}

TEST_CASE("absurd sizes and indices are refused before allocating (fuzzer findings)") {
  // A 3-line file claiming a 100000 x 100000 dense array used to allocate 80 GB.
  std::string msg;
  auto dense = [](const std::string& text) {
    std::istringstream in(text);
    return parse_dense(in, "t.mtx", FileFormat::MatrixMarket);
  };
  CHECK(error_line([&] { dense("%%MatrixMarket matrix array real general\n100000 100000\n1\n"); }, &msg) == 2);
  CHECK(msg.find("exceeds the 2^27 entries") != std::string::npos);
  // Past vector::max_size(): used to escape as std::length_error.
  CHECK(error_line([&] { dense("%%MatrixMarket matrix array real general\n2147483648 2147483648\n1\n"); }) == 2);
  // 1 + INT64_MAX used to overflow when sizing the matrix from its indices.
  CHECK(error_line([] { trip("9223372036854775807,0,1\n"); }, &msg) == 1);
  CHECK(msg.find("exceeds 2^40") != std::string::npos);
  // A dense array is still read column-major into a row-major matrix.
  DenseMatrix m = dense("%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n");
  CHECK(m.rows == 2);
  CHECK(m.cols == 3);
  CHECK(m.values == std::vector<double>{1, 3, 5, 2, 4, 6});
}

TEST_CASE("a UTF-8 byte order mark before a CSV is skipped: the first row is data, not a header") {
  auto o = trip("\xEF\xBB\xBF" "0,0,1.5\n1,2,-1\n");
  REQUIRE(o.size() == 2);
  CHECK(o.values[0] == 1.5);
  auto h = trip("\xEF\xBB\xBF" "row,col,value\n1,1,2\n");  // a real header still is one
  REQUIRE(h.size() == 1);
  CHECK(h.values[0] == 2);
}

TEST_CASE("a UTF-8 byte order mark before a Matrix Market banner is skipped") {
  auto o = mm("\xEF\xBB\xBF%%MatrixMarket matrix coordinate real general\n2 2 1\n2 1 4\n");
  REQUIRE(o.size() == 1);
  CHECK(o.rows[0] == 1);
  std::istringstream dense("\xEF\xBB\xBF%%MatrixMarket matrix array real general\n1 2\n3\n4\n");
  DenseMatrix d = parse_dense(dense, "t.mtx", FileFormat::MatrixMarket);
  CHECK(d.values == std::vector<double>{3, 4});
  std::istringstream grid("\xEF\xBB\xBF" "1,2\n3,4\n");
  CHECK(parse_dense(grid, "t.csv", FileFormat::Triplets).rows == 2);
  // Only at the very start: a BOM on line 2 is a malformed field.
  std::string msg;
  CHECK(error_line([] { trip("0,0,1\n\xEF\xBB\xBF" "1,1,2\n"); }, &msg) == 2);
}

TEST_CASE("a value beyond the double range is named as such, not as 'not a number'") {
  std::string msg;
  CHECK(error_line([] { trip("0,0,1e400\n"); }, &msg) == 1);
  CHECK(msg == "t.csv:1: value '1e400' is outside the range of a double");
  CHECK(error_line([] { trip("0,0,-1e999\n"); }, &msg) == 1);
  CHECK(msg.find("'-1e999' is outside the range of a double") != std::string::npos);
  CHECK(error_line([] { mm("%%MatrixMarket matrix coordinate real general\n1 1 1\n1 1 2e308\n"); }, &msg) == 3);
  CHECK(msg.find("'2e308' is outside the range of a double") != std::string::npos);
  CHECK(error_line([] { trip("99999999999999999999,0,1\n"); }, &msg) == 1);
  CHECK(msg.find("'99999999999999999999' is outside the range of a 64-bit integer") != std::string::npos);
  CHECK(error_line([] { trip("0,0,abc\n"); }, &msg) == 1);
  CHECK(msg.find("'abc' is not a number") != std::string::npos);
}

TEST_CASE("a UTF-8 byte order mark before a TOML experiment file is skipped") {
  const std::string path = "dln_cli_bom.toml";
  { std::ofstream(path) << "\xEF\xBB\xBF[train]\nsteps = 123\n"; }
  Experiment e;
  load_toml(path, e);
  CHECK(e.train.steps == 123);
  std::remove(path.c_str());
}
