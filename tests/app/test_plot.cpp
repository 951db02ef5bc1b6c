// `servesim plot`: gnuplot renders the columns asked for, and an unknown column is named with a
// did-you-mean.
#include <catch2/catch.hpp>

#include <fstream>
#include <string>

#include "sim/app/plot.h"
#include "sim/config/error.h"
#include "tests/support/temp_dir.h"

namespace servesim {

TEST_CASE("plot renders a PNG and an SVG with gnuplot, one line per --by value", "[unit]") {
  test::TempDir dir;
  PlotOptions o;
  o.csv = dir.write("r.csv",
                    "series,workload.concurrency,Inferences/Second\n"
                    "cpu,1,260\ncpu,4,860\ncpu,16,1840\ngpu,1,300\ngpu,4,975\ngpu,16,1750\n");
  o.x = "workload.concurrency";
  o.y = "Inferences/Second";
  o.by = "series";
  for (const char* name : {"r.png", "r.svg"}) {
    o.out = dir.path() / name;
    REQUIRE(run_plot(o) == o.out);
    std::ifstream f(o.out, std::ios::binary);
    std::string head(8, '\0');
    f.read(head.data(), 8);
    if (o.out.extension() == ".png") {
      CHECK(head.substr(1, 3) == "PNG");  // the PNG signature: \x89 P N G \r \n \x1a \n
    } else {
      CHECK(head.substr(0, 5) == "<?xml");
    }
  }
  // Its data and script stay beside it, one data file per series.
  CHECK(std::filesystem::exists(dir.path() / "r.svg.plot" / "series1.csv"));
}

TEST_CASE("plot names an unknown column and suggests the closest", "[unit]") {
  test::TempDir dir;
  PlotOptions o;
  o.csv = dir.write("r.csv", "workload.concurrency,Inferences/Second\n1,260\n");
  o.x = "workload.concurrency";
  o.y = "Inferences/Secnd";
  try {
    run_plot(o);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("'--y': no column 'Inferences/Secnd'; did you mean "
                                     "'Inferences/Second'?") != std::string::npos);
  }
}

}  // namespace servesim
