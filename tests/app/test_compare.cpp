// `servesim compare`: a JSON result and perf_analyzer-style CSVs read into the same metrics, rows
// matched by load, and malformed files refused with file:line:col.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "sim/app/compare.h"
#include "sim/cli/verbs.h"
#include "sim/config/error.h"
#include "tests/support/temp_dir.h"

namespace servesim {

namespace {
const std::filesystem::path kFixture =
    std::filesystem::path(SERVESIM_SOURCE_DIR) / "tests/app/fixtures/perf_analyzer.csv";
}

TEST_CASE("perf_analyzer's CSV is read by its column names, one measurement per row", "[unit]") {
  // The fixture is in perf_analyzer -f's format (its documented column set, microseconds).
  const auto m = read_measurements(kFixture);
  REQUIRE(m.size() == 2);
  CHECK(m[1].load_name == "Concurrency");
  CHECK(m[1].load == 256);
  CHECK(m[1].values.at("Inferences/Second") == 2412.2);
  CHECK(m[1].values.at("Server Queue") == 87102);
  CHECK(m[1].values.at("p99 latency") == 113117);
  CHECK(m[1].values.count("Avg latency") == 0);  // perf_analyzer's CSV has no mean
}

TEST_CASE("compare pairs rows by load and prints the difference", "[unit]") {
  test::TempDir dir;
  // Every member a reader uses, as servesim run --json writes it.
  const auto json = dir.write("pred.json", R"({
    "completed": 206592, "throughput_rps": 2582.4, "throughput_ci95": [2579.7, 2585.1],
    "latency_ms": {"mean": 99.15, "p50": 99.45, "p90": 99.45, "p95": 100.4, "p99": 100.4},
    "stages": [{"name": "infer", "instances": 2, "queue_ms": 48.97, "compute_input_ms": 1.41,
                "device_wait_ms": 23.1, "compute_infer_ms": 25.66, "compute_output_ms": 0.011,
                "utilization": 0.49, "latency_share": 1.0}],
    "resources": [], "bottleneck": "gpu0.compute", "energy_j_per_request": {},
    "throughput_bound_rps": null, "unstable": false, "warnings": [], "laws": [],
    "replications": 5, "window_s": 16, "seed": 1,
    "config": {"workload": {"mode": "closed", "concurrency": 256}}})");
  const auto a = read_measurements(json);
  REQUIRE(a.size() == 1);
  CHECK(a[0].values.at("Server Compute Infer") == Approx(48760));  // device wait + compute
  const std::string t = compare_table(a, "A", read_measurements(kFixture), "B");
  CHECK(t.find("Concurrency 256") != std::string::npos);
  // No prediction at 1: no table for it, but the row is listed, not dropped in silence.
  CHECK(t.find("\nConcurrency 1\n") == std::string::npos);
  CHECK(t.find("B only (no row of the other at its load): Concurrency 1\n") != std::string::npos);
  // Inferences/Second: 2412.2 - 2582.4 = -170.2, -6.6%.
  CHECK(t.find("-170.2") != std::string::npos);
  CHECK(t.find("-6.6%") != std::string::npos);
}

TEST_CASE("compare shows whether a measurement lies in a prediction's input-uncertainty band",
          "[unit]") {
  test::TempDir dir;
  // A prediction run with --uncertainty: throughput p5..p95 2400..2700/s, p99 90..120 ms.
  const auto json = dir.write("pred.json", R"({
    "completed": 206592, "throughput_rps": 2582.4, "throughput_ci95": [2579.7, 2585.1],
    "latency_ms": {"mean": 99.15, "p50": 99.45, "p90": 99.45, "p95": 100.4, "p99": 100.4},
    "stages": [], "resources": [], "bottleneck": "gpu0.compute", "energy_j_per_request": {},
    "throughput_bound_rps": null, "unstable": false, "warnings": [], "laws": [],
    "replications": 5, "window_s": 16, "seed": 1,
    "config": {"workload": {"mode": "closed", "concurrency": 256}},
    "uncertainty": {"draws": 10,
      "throughput_rps": {"p5": 2400, "p50": 2580, "p95": 2700},
      "latency_ms": {"mean": {"p5": 95, "p50": 99, "p95": 110},
                     "p50": {"p5": 95, "p50": 99, "p95": 110},
                     "p95": {"p5": 90, "p50": 100, "p95": 120},
                     "p99": {"p5": 90, "p50": 100, "p95": 120}}}})");
  const auto a = read_measurements(json);
  REQUIRE(a.size() == 1);
  CHECK(a[0].bands.at("Inferences/Second") == std::pair{2400.0, 2700.0});
  CHECK(a[0].bands.at("p99 latency") == std::pair{90000.0, 120000.0});
  const std::string t = compare_table(a, "A", read_measurements(kFixture), "B");
  // The fixture's 2412.2/s is inside 2400..2700; its p99 113117 us inside 90000..120000.
  CHECK_THAT(t, Catch::Contains("A's p5..p95 2400..2700: in"));
  CHECK_THAT(t, Catch::Contains("A's p5..p95 90000..120000: in"));
  // Without the member, no band column at all.
  const std::string plain =
      compare_table(read_measurements(kFixture), "A", read_measurements(kFixture), "B");
  CHECK(plain.find("p5..p95") == std::string::npos);
}

TEST_CASE("compare pairs thousands of rows by load whatever their order on either side", "[unit]") {
  // A: concurrency 1..n in order, throughput = load. B: the same loads shuffled, throughput =
  // 2 x load, plus a second row at 42 (3 x 42): A's row at 42 pairs with both, in B's order. A
  // request rate of 7 must not pair with concurrency 7, nor A's n + 1 with anything.
  const int n = 5000;
  auto row = [](const char* name, double load, double rps) {
    return Measurement{name, load, {{"Inferences/Second", rps}}, {}};
  };
  std::vector<Measurement> a, b;
  for (int i = 1; i <= n; ++i) a.push_back(row("Concurrency", i, i));
  a.push_back(row("Request Rate", 7, 7));
  a.push_back(row("Concurrency", n + 1, n + 1));
  for (int i = 1; i <= n; ++i) b.push_back(row("Concurrency", i, 2 * i));
  std::shuffle(b.begin(), b.end(), std::mt19937(14));
  b.insert(std::find_if(b.begin(), b.end(), [](const Measurement& m) { return m.load == 42; }) + 1,
           row("Concurrency", 42, 3 * 42));

  // Each table as (its load's name, load, A's throughput, B's), in output order.
  using Pair = std::tuple<std::string, double, double, double>;
  std::vector<Pair> pairs, expected;
  std::istringstream table(compare_table(a, "A", b, "B"));
  std::string line, load_name;
  double load = 0;
  while (std::getline(table, line)) {
    std::istringstream words(line);
    std::string first;
    double a_rps = 0, b_rps = 0;
    if (!(words >> first)) continue;
    if (line.starts_with("Concurrency ") || line.starts_with("Request Rate ")) {
      load_name = line.substr(0, line.rfind(' '));
      load = std::stod(line.substr(line.rfind(' ') + 1));
    } else if (first == "Inferences/Second" && words >> a_rps >> b_rps) {
      pairs.emplace_back(load_name, load, a_rps, b_rps);
    }
  }
  for (int i = 1; i <= n; ++i) {
    expected.emplace_back("Concurrency", i, i, 2 * i);
    if (i == 42) expected.emplace_back("Concurrency", i, i, 3 * i);
  }
  REQUIRE(pairs.size() == expected.size());
  const auto bad = std::mismatch(pairs.begin(), pairs.end(), expected.begin()).first;
  INFO("first wrong pair: table " << bad - pairs.begin());
  CHECK(bad == pairs.end());
}

TEST_CASE("a malformed CSV cell is refused with its file, line and column", "[unit]") {
  test::TempDir dir;
  const auto bad = dir.write("bad.csv",
                             "Concurrency,Inferences/Second,p99 latency\n1,388.5,2741\n"
                             "256,fast,113117\n");
  try {
    read_measurements(bad);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find(bad.string() + ":3:5: error: 'Inferences/Second': ") == 0);
  }
}

TEST_CASE("compare refuses rows at different loads unless asked to pair them in order", "[unit]") {
  // Before: a prediction at 256 clients and a measurement at 128 were paired under the heading
  // "Concurrency 256" without a word.
  const std::vector<Measurement> a{{"Concurrency", 256, {{"Inferences/Second", 2500}}, {}}};
  const std::vector<Measurement> b{{"Concurrency", 128, {{"Inferences/Second", 2400}}, {}}};
  try {
    (void)compare(a, "A", b, "B");
    FAIL("pairs rows at different loads");
  } catch (const UsageError& e) {
    CHECK_THAT(e.what(), Catch::Matchers::Contains("A: Concurrency 256; B: Concurrency 128"));
    CHECK_THAT(e.what(), Catch::Matchers::Contains("--pair-by-order"));
  }
  CompareOptions o;
  o.pair_by_order = true;
  const Comparison c = compare(a, "A", b, "B", o);
  CHECK(c.text.find("\nConcurrency 256\n") != std::string::npos);
  CHECK(c.text.find("-100") != std::string::npos);  // 2400 - 2500
  // In order, the longer side's extra rows are listed.
  const std::vector<Measurement> b2{b[0], {"Concurrency", 512, {{"Inferences/Second", 2600}}, {}}};
  CHECK(compare(a, "A", b2, "B", o).text.find("B only: Concurrency 512") != std::string::npos);
}

TEST_CASE("compare --tolerance marks what is outside, relative to A", "[unit]") {
  const std::vector<Measurement> a{
      {"Concurrency", 64, {{"Inferences/Second", 1000}, {"p99 latency", 100000}}, {}}};
  // Throughput -4% (inside 5%), p99 +20% (outside 15%).
  const std::vector<Measurement> b{
      {"Concurrency", 64, {{"Inferences/Second", 960}, {"p99 latency", 120000}}, {}}};
  CompareOptions o;
  o.tolerances = parse_tolerances("thr=5%,p99=15%");
  const Comparison c = compare(a, "A", b, "B", o);
  REQUIRE(c.outside.size() == 1);
  CHECK(c.outside[0] == "p99 latency at Concurrency 64: +20.0%, tolerance 15%");
  CHECK(c.text.find("<- outside") != std::string::npos);
  o.tolerances = parse_tolerances("Inferences/Second=4%,p99=20%");  // the bounds are inclusive
  CHECK(compare(a, "A", b, "B", o).outside.empty());
  // A metric the tolerance names must be on both sides.
  o.tolerances = parse_tolerances("p50=10%");
  CHECK_THROWS_AS(compare(a, "A", b, "B", o), UsageError);
  for (const char* bad : {"thr", "thr=5", "thr=x%", "thr=-1%", "speed=5%", ""})
    CHECK_THROWS_AS(parse_tolerances(bad), UsageError);
}

}  // namespace servesim
