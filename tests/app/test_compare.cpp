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
  CHECK(t.find("Concurrency 1\n") == std::string::npos);  // no prediction at 1: not shown
  // Inferences/Second: 2412.2 - 2582.4 = -170.2, -6.6%.
  CHECK(t.find("-170.2") != std::string::npos);
  CHECK(t.find("-6.6%") != std::string::npos);
}

TEST_CASE("compare pairs thousands of rows by load whatever their order on either side", "[unit]") {
  // A: concurrency 1..n in order, throughput = load. B: the same loads shuffled, throughput =
  // 2 x load, plus a second row at 42 (3 x 42): A's row at 42 pairs with both, in B's order. A
  // request rate of 7 must not pair with concurrency 7, nor A's n + 1 with anything.
  const int n = 5000;
  auto row = [](const char* name, double load, double rps) {
    return Measurement{name, load, {{"Inferences/Second", rps}}};
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

}  // namespace servesim
