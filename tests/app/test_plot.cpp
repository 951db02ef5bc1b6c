// `servesim plot`: gnuplot renders the columns asked for, and an unknown column is named with a
// did-you-mean.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

#include "calib/calib_cli.h"
#include "sim/app/plot.h"
#include "sim/config/error.h"
#include "sim/metrics/report.h"
#include "tests/support/temp_dir.h"

namespace servesim {

namespace {

/// Runs the rest of a test from `dir`: a command that an injected string ran (`touch X`) would
/// leave X there, where the test looks for it.
class InDirectory {
 public:
  explicit InDirectory(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~InDirectory() {
    std::error_code ec;
    std::filesystem::current_path(old_, ec);
  }
  InDirectory(const InDirectory&) = delete;
  InDirectory& operator=(const InDirectory&) = delete;

 private:
  std::filesystem::path old_;
};

bool is_png(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::string head(4, '\0');
  f.read(head.data(), 4);
  return head.substr(1, 3) == "PNG";
}

}  // namespace

TEST_CASE("plot runs no shell: a CSV named r$(touch X).csv or r`touch X`.csv creates no X",
          "[unit]") {
  test::TempDir dir;
  const InDirectory here(dir.path());
  for (const char* name : {"r$(touch PWNED1).csv", "r`touch PWNED2`.csv", "r'q\"d.csv"}) {
    PlotOptions o;
    o.csv = dir.write(name, "seed,Inferences/Second\n1,260\n2,270\n");
    o.x = "seed";
    o.y = "Inferences/Second";
    std::filesystem::path out;
    CHECK_NOTHROW(out = run_plot(o));  // the image is named after the CSV, injection and all
    CHECK(is_png(out));
    CHECK(out.filename() == std::filesystem::path(name).replace_extension(".png").filename());
  }
  CHECK_FALSE(std::filesystem::exists(dir.path() / "PWNED1"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "PWNED2"));
}

TEST_CASE("plot puts --by cells and column names into gnuplot as literals: backquotes run nothing",
          "[unit]") {
  test::TempDir dir;
  const InDirectory here(dir.path());
  PlotOptions o;
  o.csv = dir.write("inj.csv",
                    "x`touch PWNED4`,y,by\n1,2,`touch PWNED3`\n2,3,`touch PWNED3`\n"
                    "1,4,\"it's \"\"q\"\" \\\"\n2,5,\"it's \"\"q\"\" \\\"\n");
  o.x = "x`touch PWNED4`";
  o.y = "y";
  o.by = "by";
  o.out = dir.path() / "inj.svg";
  CHECK(run_plot(o) == o.out);
  CHECK_FALSE(std::filesystem::exists(dir.path() / "PWNED3"));
  CHECK_FALSE(std::filesystem::exists(dir.path() / "PWNED4"));
  // Both series are drawn, each titled with its cell as written.
  std::ifstream svg(o.out);
  const std::string text((std::istreambuf_iterator<char>(svg)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Catch::Matchers::Contains("<text>by=`touch PWNED3`</text>"));
  CHECK_THAT(text, Catch::Matchers::Contains("<text>by=it's \"q\" \\</text>"));
}

TEST_CASE("plot of a CSV whose name holds a newline writes the image at that exact name",
          "[unit]") {
  test::TempDir dir;
  PlotOptions o;
  o.csv = dir.write("a\nb.csv", "x,y\n1,2\n2,3\n");
  o.x = "x";
  o.y = "y";
  CHECK(run_plot(o) == dir.path() / "a\nb.png");
  CHECK(is_png(dir.path() / "a\nb.png"));
}

TEST_CASE("calib show --plot and holdout --plot to a path with backquotes and quotes run nothing",
          "[unit]") {
  test::TempDir dir;
  const InDirectory here(dir.path());
  std::string samples = "kernel,batch,pixels,bytes,seconds\n";
  for (const char* b : {"1", "2", "4", "8", "16", "32"})
    samples +=
        std::string("infer,") + b + ",0,0," + std::to_string(1e-3 * (1 + std::stoi(b))) + "\n";
  const auto csv = dir.write("s.csv", samples);
  const auto curves = dir.path() / "c.yaml";
  std::ostringstream out, err;
  REQUIRE(calib::calib_main({"fit", csv.string(), "--out", curves.string()}, out, err) == 0);
  const auto shown = dir.path() / "c`touch PWNED5`'\"$(touch PWNED6).png";
  CHECK(calib::calib_main(
            {"show", curves.string(), "--samples", csv.string(), "--plot", shown.string()}, out,
            err) == 0);
  const auto held = dir.path() / "h`touch PWNED7`.svg";
  CHECK(calib::calib_main({"holdout", csv.string(), "--hold", "batch=4", "--plot", held.string()},
                          out, err) == 0);
  INFO(out.str() << err.str());
  CHECK(is_png(shown));
  CHECK(std::filesystem::exists(held));
  for (const char* x : {"PWNED5", "PWNED6", "PWNED7"})
    CHECK_FALSE(std::filesystem::exists(dir.path() / x));
}

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
  // Nothing is left beside it (before: a r.svg.plot/ folder of data and script per image).
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                      std::filesystem::directory_iterator()) == 3);  // r.csv, r.png, r.svg
  // --script keeps the whole plot in one file: the axes with their units, a data block per
  // series.
  o.script = dir.path() / "r.gp";
  REQUIRE(run_plot(o) == o.out);
  std::ifstream gp(o.script);
  const std::string script((std::istreambuf_iterator<char>(gp)), std::istreambuf_iterator<char>());
  CHECK(script.find("set ylabel 'Inferences/Second (1/s)'") != std::string::npos);
  CHECK(script.find("$series1 << EOD\n1,300\n4,975\n16,1750\nEOD\n") != std::string::npos);
}

TEST_CASE("a CSV column's unit is the one summary_csv writes it in", "[unit]") {
  CHECK(csv_column_unit("p99 latency") == "us");
  CHECK(csv_column_unit("Server Queue") == "us");
  CHECK(csv_column_unit("decode Service") == "us");
  CHECK(csv_column_unit("Inferences/Second") == "1/s");
  CHECK(csv_column_unit("Inferences/Second CI95 Low") == "1/s");
  CHECK(csv_column_unit("Energy J/Request") == "J");
  CHECK(csv_column_unit("p99 latency p95 over draws") == "us");
  CHECK(csv_column_unit("Inferences/Second p5 over draws") == "1/s");
  CHECK(csv_column_unit("workload.concurrency").empty());
  CHECK(csv_column_unit("cpu Utilization").empty());
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
