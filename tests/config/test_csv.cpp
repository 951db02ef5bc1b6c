// Tests of the one CSV line splitter every reader shares (samples, image lists, perf_analyzer
// files, sweep results): cells, their columns for file:line:col messages, quotes and trimming.

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

}  // namespace
}  // namespace servesim
