// calib's speed probe: the summary of slowed windows and the node.cpu.slowdowns entry, from
// planted windows (exact), a short real probe's shape, and the command's files.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/machine.h"
#include "calib/slowdown_bench.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {

using Catch::Matchers::Contains;

TEST_CASE("slowdown summary: runs of slow windows, their share, speed, interval and lengths",
          "[unit]") {
  // 20 ms windows, 1 s per core (50 windows each). Core 0: windows 10-12 at 0.7 (one slowdown
  // of 60 ms) and window 30 at 0.8 (20 ms); core 1: its last two at 0.5 (40 ms, closed by the
  // end); 0.85 exactly is not slow. 3 slowdowns over 2 core-seconds: 1.5 per second per core;
  // 6 of 100 windows slowed; mean speed (3 x 0.7 + 0.8 + 2 x 0.5) / 6 = 0.65; the interval
  // (2 s x 0.94) / 3 = 626.67 ms.
  SlowdownPlan plan;
  plan.seconds = 1;
  std::vector<double> c0(50, 1.0), c1(50, 1.0);
  c0[10] = c0[11] = c0[12] = 0.7;
  c0[30] = 0.8;
  c0[40] = 0.85;
  c1[48] = c1[49] = 0.5;
  const SlowdownSummary s = summarize_slowdowns({{0, c0}, {1, c1}}, plan);
  CHECK(s.slowdowns == 3);
  CHECK(s.per_core_rate == Approx(1.5));
  CHECK(s.slowed_fraction == Approx(0.06));
  CHECK(s.speed == Approx(0.65));
  CHECK(s.interval_mean_ns == Approx(2e9 * 0.94 / 3));
  // Sorted 20, 40, 60 ms; quantile q is element floor((q + 0.5) / 20 x 3).
  REQUIRE(s.quantiles.size() == 20);
  CHECK(s.quantiles[6] == 20'000'000);   // 6.5 / 20 x 3 = 0.975
  CHECK(s.quantiles[7] == 40'000'000);   // 1.125
  CHECK(s.quantiles[12] == 40'000'000);  // 1.875
  CHECK(s.quantiles[13] == 60'000'000);  // 2.025
  MachineInfo m;
  m.cpu = "Test CPU";
  m.cores = 2;
  m.date = "2026-12-07T20:00:00Z";
  const std::string entry = slowdowns_entry(s, plan, m, "    ");
  CHECK_THAT(entry, Contains("    slowdowns:\n      interval: {dist: exponential, mean: 626.7ms}"));
  CHECK_THAT(entry, Contains("samples: [20ms, 20ms, 20ms, 20ms, 20ms, 20ms, 20ms, 40ms"));
  CHECK_THAT(entry, Contains("      speed: 0.650\n"));
  CHECK_THAT(entry, Contains("on Test CPU: 1 s on each of 2 cores"));
  // calib bench slowdowns' file: the same entry under node: cpu:, and every window in the CSV.
  CHECK(slowdowns_yaml(s, plan, m).ends_with("node:\n  cpu:\n" + entry));
  const std::string csv = slowdowns_csv({{0, c0}, {1, c1}});
  CHECK(csv.starts_with("cpu,window,speed\n0,0,1.0000\n"));
  CHECK_THAT(csv, Contains("\n0,10,0.7000\n") && Contains("\n1,49,0.5000\n"));
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 101);
}

TEST_CASE("slowdown summary: none seen, no entry", "[unit]") {
  SlowdownPlan plan;
  plan.seconds = 1;
  const SlowdownSummary s = summarize_slowdowns({{0, std::vector<double>(50, 0.9)}}, plan);
  CHECK(s.slowdowns == 0);
  CHECK(s.speed == 0);
  CHECK(s.quantiles.empty());
  CHECK(slowdowns_entry(s, plan, MachineInfo{}, "").empty());
  MachineInfo m;
  m.cores = 1;
  const std::string yaml = slowdowns_yaml(s, plan, m);
  CHECK_THAT(yaml, Contains("no slowdown in 1 s on each of 1 cores") &&
                       Contains("leave node.cpu.slowdowns out"));
  CHECK_THAT(yaml, !Contains("interval:"));
}

TEST_CASE("speed probe: a window per 20 ms on every core, each a speed above 0", "[unit]") {
  SlowdownPlan plan;
  plan.seconds = 0.2;
  const std::vector<CoreSpeed> cores = probe_speed(plan);
  REQUIRE_FALSE(cores.empty());
  for (const CoreSpeed& c : cores) {
    CHECK(c.windows.size() == 10);
    for (const double w : c.windows) CHECK(w > 0);
  }
}

TEST_CASE("calib bench slowdowns --quick writes its three files and prints each core", "[slow]") {
  test::TempDir dir;
  const auto out_dir = dir.path() / "run";
  std::ostringstream out, err;
  REQUIRE(calib_main({"bench", "slowdowns", "--quick", "--out", out_dir.string()}, out, err) == 0);
  for (const char* f : {"slowdowns.csv", "slowdowns.yaml", "machine.yaml"})
    CHECK(std::filesystem::exists(out_dir / f));
  CHECK_THAT(out.str(), Contains("cpu ") && Contains("per core:"));
  CHECK(read_machine(out_dir / "machine.yaml").command == "servesim calib bench slowdowns --quick");
}

}  // namespace servesim::calib
