// `servesim compare`: a JSON result and perf_analyzer-style CSVs read into the same metrics, rows
// matched by load, and malformed files refused with file:line:col.
#include <catch2/catch.hpp>

#include <string>

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
