// calib bench stalls: the summary of the probes' stalls and the node.cpu.stalls fragment, from
// planted stalls (exact), and the command's files from a real probe.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/machine.h"
#include "calib/stall_bench.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {

using Catch::Matchers::Contains;

TEST_CASE("stall summary: rate, share of time, interval and quantiles of planted stalls",
          "[unit]") {
  // Two cores probed 10 s each: 300 us and 1 ms on one, 500 us on the other.
  const std::vector<CoreStalls> cores = {{0, {300'000, 1'000'000}}, {1, {500'000}}};
  const StallSummary s = summarize_stalls(cores, 10);
  CHECK(s.per_core_rate == Approx(3.0 / 20));
  CHECK(s.stalled_fraction == Approx(1.8e6 / 20e9));
  CHECK(s.interval_mean_ns == Approx((20e9 - 1.8e6) / 3));
  // Sorted 300, 500, 1000 us; quantile q is element floor((q + 0.5) / 20 x 3).
  REQUIRE(s.quantiles.size() == 20);
  CHECK(s.quantiles[0] == 300'000);
  CHECK(s.quantiles[6] == 300'000);     // 6.5 / 20 x 3 = 0.975
  CHECK(s.quantiles[7] == 500'000);     // 7.5 / 20 x 3 = 1.125
  CHECK(s.quantiles[13] == 1'000'000);  // 13.5 / 20 x 3 = 2.025
  MachineInfo m;
  m.cpu = "Test CPU";
  m.cores = 2;
  m.date = "2026-12-07T00:00:00Z";
  const std::string yaml = stalls_yaml(s, StallPlan{}, m);
  CHECK_THAT(yaml, Contains("node:\n  cpu:\n    stalls:\n") &&
                       Contains("interval: {dist: exponential, mean: 6666.1ms}") &&
                       Contains("samples: [300us, 300us") && Contains("1000us]") &&
                       Contains("on Test CPU: 30 s on each of 2 cores, gaps over 200us"));
  CHECK(stalls_csv(cores) == "cpu,stall,ns\n0,0,300000\n0,1,1000000\n1,0,500000\n");
}

TEST_CASE("stall summary: no stall seen gives a comment, not a zero-length distribution",
          "[unit]") {
  const StallSummary s = summarize_stalls({{0, {}}, {1, {}}}, 5);
  CHECK(s.per_core_rate == 0);
  CHECK(s.quantiles.empty());
  MachineInfo m;
  m.cores = 2;
  const std::string yaml = stalls_yaml(s, StallPlan{}, m);
  CHECK_THAT(yaml, Contains("no stall in 30 s") && Contains("leave node.cpu.stalls out"));
  CHECK_THAT(yaml, !Contains("interval:"));
}

TEST_CASE("calib bench stalls --quick writes its three files and prints each core", "[slow]") {
  test::TempDir dir;
  const auto out_dir = dir.path() / "run";
  std::ostringstream out, err;
  REQUIRE(calib_main({"bench", "stalls", "--quick", "--out", out_dir.string()}, out, err) == 0);
  for (const char* f : {"stalls.csv", "stalls.yaml", "machine.yaml"})
    CHECK(std::filesystem::exists(out_dir / f));
  CHECK_THAT(out.str(), Contains("cpu ") && Contains("per core:"));
  CHECK(read_machine(out_dir / "machine.yaml").command == "servesim calib bench stalls --quick");
}

}  // namespace servesim::calib
