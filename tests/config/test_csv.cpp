// Tests of the one CSV line splitter every reader shares (samples, image lists, perf_analyzer
// files, sweep results): cells, their columns for file:line:col messages, quotes and trimming;
// and of the one cell writer every CSV servesim writes goes through, which the splitter reads
// back exactly.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sim/config/csv.h"

namespace servesim {
namespace {

TEST_CASE("a CSV line splits into cells with the column where each one's text starts", "[unit]") {
  const auto c = split_csv_cells("kernel, batch ,\tpixels,,x\r");
  REQUIRE(c.size() == 5);
  CHECK(c[0].text == "kernel");
  CHECK(c[0].col == 1);
  CHECK(c[1].text == "batch");
  CHECK(c[1].col == 9);
  CHECK(c[2].text == "pixels");
  CHECK(c[2].col == 17);
  CHECK(c[3].text.empty());
  CHECK(c[4].text == "x");  // the \r of a Windows line end is not part of the cell
  CHECK(c[4].col == 25);
}

TEST_CASE("quoted cells keep commas, spaces and doubled quotes; untrimmed splitting keeps spaces",
          "[unit]") {
  const auto c = split_csv_cells(R"("a, b"," say ""hi"" ",3)");
  REQUIRE(c.size() == 3);
  CHECK(c[0].text == "a, b");
  CHECK(c[1].text == R"( say "hi" )");
  CHECK(c[2].col == 23);
  CHECK(split_csv(" a ,b") == std::vector<std::string>{" a ", "b"});
  CHECK(split_csv("") == std::vector<std::string>{""});
}

TEST_CASE("csv_cell quotes a cell with a comma, quote, CR or LF and doubles its quotes (RFC 4180)",
          "[unit]") {
  CHECK(csv_cell("plain") == "plain");
  CHECK(csv_cell("") == "");
  CHECK(csv_cell("a,b") == "\"a,b\"");
  CHECK(csv_cell("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_cell("two\nlines") == "\"two\nlines\"");
  CHECK(csv_cell("cr\r") == "\"cr\r\"");
  // Spaces at either end are kept: quoted, since readers trim them from unquoted cells.
  CHECK(csv_cell(" padded ") == "\" padded \"");
}

TEST_CASE("csv_cell guards a text cell a spreadsheet would run as a formula, but not a number",
          "[unit]") {
  CHECK(csv_cell("=HYPERLINK(\"http://x\")") == "\"'=HYPERLINK(\"\"http://x\"\")\"");
  CHECK(csv_cell("+cmd") == "'+cmd");
  CHECK(csv_cell("-2+3+cmd|' /C calc'!A0") == "'-2+3+cmd|' /C calc'!A0");
  CHECK(csv_cell("@SUM(A1)") == "'@SUM(A1)");
  CHECK(csv_cell("\tx") == "'\tx");
  CHECK(csv_cell("\rx") == "\"'\rx\"");
  CHECK(csv_cell("-nan") == "'-nan");
  // A quote that a guard would take for its own is guarded too, so reading back is exact.
  CHECK(csv_cell("'=x") == "''=x");
  for (const char* number : {"-5.2", "-1e3", "+7", "-0.5E-07", "-.5", "3", "inf"})
    CHECK(csv_cell(number) == number);
}

TEST_CASE("split_csv_cells reads back exactly what csv_cell wrote", "[unit]") {
  const std::vector<std::string> cells{
      "a,b", "say \"hi\"", "=1+1", "'=x",  "''@y", "-5.2", "-x", "\tlead", "trail\t", " sp ",
      "",    "'",          "it's", "-nan", "+1e9", "@",    "=",  "\"",     ",,"};
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + csv_cell(cells[i]);
  for (const bool trim : {true, false}) {
    const auto back = split_csv_cells(line, trim);
    REQUIRE(back.size() == cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) CHECK(back[i].text == cells[i]);
  }
}

}  // namespace
}  // namespace servesim
