// Every CSV servesim writes goes through csv_cell: a name with a comma or a quote stays one cell,
// and a name a spreadsheet would run as a formula (=, +, -, @) is written as text.

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "calib/holdout.h"
#include "calib/samples.h"
#include "sim/app/amdahl.h"
#include "sim/app/cli.h"
#include "sim/config/csv.h"
#include "tests/support/cli.h"
#include "tests/support/temp_dir.h"

namespace servesim {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

TEST_CASE("amdahl_csv writes the stage and bottleneck names as guarded, quoted cells", "[unit]") {
  AmdahlResult r;
  r.stage = "=cmd|' /C calc'!A0,x";
  r.rows.push_back(AmdahlRow{});
  r.rows.back().speedup = 2;
  r.rows.back().load_bottleneck = "@evil \"q\"";
  const auto lines = lines_of(amdahl_csv(r));
  REQUIRE(lines.size() == 2);
  const auto head = split_csv(lines[0]), row = split_csv(lines[1]);
  REQUIRE(row.size() == head.size());
  CHECK(row.front() == r.stage);
  CHECK(row.back() == "@evil \"q\"");
  CHECK(lines[1].rfind("\"'=cmd", 0) == 0);  // a spreadsheet sees text starting with '
}

TEST_CASE("samples_csv and holdout_csv guard a kernel named like a formula", "[unit]") {
  calib::Sample s;
  s.kernel = "-x";  // a valid kernel name (letters, digits, _ and -)
  s.batch = 1;
  s.seconds = 1e-3;
  const std::string text = calib::samples_csv(std::vector<calib::Sample>{s, s});
  CHECK(lines_of(text).at(1).rfind("'-x,", 0) == 0);
  CHECK(calib::parse_samples(text, "s.csv").at(0).kernel == "-x");
  calib::HoldoutResult h;
  h.kernel = "-x";
  h.items.push_back(calib::HoldoutItem{});
  CHECK(lines_of(calib::holdout_csv(std::vector<calib::HoldoutResult>{h})).at(1).rfind("'-x,", 0) ==
        0);
}

TEST_CASE("run --csv and sweep keep a stage named with quotes and '=' in its cells", "[unit]") {
  test::TempDir dir;
  const auto scenario = dir.write("s.yaml", R"(
seed: 5
run: {duration: 2s, warmup: 1s, replications: 1}
workload: {mode: open, rate: 50/s, arrival: poisson}
node: {cpu: {cores: 4}}
pipeline: [{name: '=HYPERLINK("x")', device: cpu, instances: 4, service: {dist: exponential, mean: 40ms}}]
)");
  const auto run_csv = dir.path() / "r.csv", sweep_csv = dir.path() / "w.csv";
  std::string err;
  const auto cli = [&err](std::vector<std::string> args) {
    const test::CliResult r = test::cli(std::move(args));
    err += r.err;
    return r.code;
  };
  INFO(err);
  REQUIRE(cli({"run", scenario.string(), "-q", "--csv", run_csv.string()}) == 0);
  REQUIRE(cli({"sweep", scenario.string(), "--grid", "workload.rate=40/s,50/s", "--out",
               sweep_csv.string(), "-q", "-j", "1"}) == 0);
  for (const auto& path : {run_csv, sweep_csv}) {
    std::ifstream f(path);
    std::stringstream text;
    text << f.rdbuf();
    const auto lines = lines_of(text.str());
    REQUIRE(lines.size() >= 2);
    const auto head = split_csv(lines[0]);
    for (const auto& l : lines) CHECK(split_csv(l).size() == head.size());
    CHECK(std::find(head.begin(), head.end(), "=HYPERLINK(\"x\") Queue") != head.end());
    CHECK_THAT(lines[0], Catch::Matchers::Contains(",\"'=HYPERLINK(\"\"x\"\") Queue\","));
  }
}

}  // namespace
}  // namespace servesim
