// workload.schedule and run.interval: read as written, written back in the resolved config, and
// every malformed schedule or interval a located error naming the key.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::config_error;

/// An open workload at 100/s with `schedule` (none when empty); `load` replaces the workload's
/// mode and rate.
std::string scheduled(const std::string& schedule, const std::string& run = "{duration: 60s}",
                      const std::string& load = "  mode: open\n  rate: 100/s\n") {
  return "run: " + run + "\nworkload:\n" + load +
         (schedule.empty() ? "" : "  schedule: " + schedule + "\n") +
         "node: {cpu: {cores: 1}}\n"
         "pipeline:\n"
         "  - {name: work, device: cpu, service: {dist: deterministic, mean: 1ms}}\n";
}

}  // namespace

TEST_CASE("rate schedule: the points are read as written and written back", "[unit]") {
  const ScenarioParams p = test::parse(
      scheduled("{shape: linear, at: [0s, 10s, 1min], factor: [0.5, 2, 1], source: test}"));
  REQUIRE(p.workload.schedule);
  CHECK(p.workload.schedule->shape == RateSchedule::Shape::kLinear);
  CHECK(p.workload.schedule->at_ns == std::vector<double>{0, 10e9, 60e9});
  CHECK(p.workload.schedule->factor == std::vector<double>{0.5, 2, 1});
  const auto j = resolved_config(p);
  CHECK(j["workload"]["schedule"].dump() ==
        R"({"shape":"linear","at":["0ns","10s","60s"],"factor":[0.5,2.0,1.0]})");
  const auto again =
      resolved_config(parse_scenario(load_config_text(j.dump(2), "<resolved>", ".")));
  CHECK(again.dump() == j.dump());
  // Without a schedule nothing is written.
  CHECK(!resolved_config(test::parse(scheduled("")))["workload"].contains("schedule"));
}

TEST_CASE("rate schedule: each malformed schedule is an error at its key", "[unit]") {
  const test::ErrorCase cases[] = {
      {"{at: [1s, 2s], factor: [1, 2]}", "workload.schedule.at", "first point is at 0s"},
      {"{at: [0s, 2s, 2s], factor: [1, 2, 3]}", "workload.schedule.at", "strictly ascending"},
      {"{at: [0s, 3s, 2s], factor: [1, 2, 3]}", "workload.schedule.at", "strictly ascending"},
      {"{at: [0s, 2s], factor: [1]}", "workload.schedule.factor", "one factor per point"},
      {"{at: [0s, 2s], factor: [1, -1]}", "workload.schedule.factor", "[0, 1e6]"},
      {"{at: [0s, 2s], factor: [0, 0]}", "workload.schedule.factor", "sends nothing"},
      {"{at: [0s], factor: [2e7]}", "workload.schedule.factor", "[0, 1e6]"},
      {"{at: 0s, factor: [1]}", "workload.schedule.at", "a list of durations"},
      {"{at: [0s, soon], factor: [1, 2]}", "workload.schedule.at", ""},
      {"{factor: [1]}", "workload.schedule.at", ""},
      {"{at: [0s], factor: [1], shape: stairs}", "workload.schedule.shape", "step"},
      {"{at: [0s], factor: [1], rate: 2/s}", "workload.schedule.rate", ""},
  };
  test::check_located_errors(cases, [](const char* yaml) { test::parse(scheduled(yaml)); });
  const ConfigError fast = config_error([&] {
    test::parse(scheduled("{at: [0s], factor: [1e6]}", "{duration: 60s}",
                          "  mode: open\n  rate: 10000/s\n"));
  });
  CHECK(fast.key() == "workload.schedule.factor");
  CHECK_THAT(fast.message(), Contains("1 ns apart"));
  const ConfigError closed = config_error([&] {
    test::parse(scheduled("{at: [0s], factor: [1]}", "{duration: 60s}",
                          "  mode: closed\n  concurrency: 2\n"));
  });
  CHECK(closed.key() == "workload.schedule");
  CHECK_THAT(closed.message(), Contains("belongs to mode: open"));
}

TEST_CASE("run.interval: needs a duration and at most 10,000 windows", "[unit]") {
  CHECK(test::parse(scheduled("{at: [0s], factor: [1]}", "{duration: 60s, interval: 10s}"))
            .run.interval == 10 * kSecond);
  const ConfigError none = config_error(
      [&] { test::parse(scheduled("{at: [0s], factor: [1]}", "{requests: 100, interval: 10s}")); });
  CHECK(none.key() == "run.interval");
  CHECK_THAT(none.message(), Contains("needs run.duration"));
  const ConfigError many = config_error([&] {
    test::parse(
        scheduled("{at: [0s], factor: [1]}", "{duration: 60s, warmup: 10s, interval: 1ms}"));
  });
  CHECK(many.key() == "run.interval");
  CHECK_THAT(many.message(), Contains("50000 windows"));
}

TEST_CASE("cluster.autoscale: read, written back, and every mistake located", "[unit]") {
  const std::string base =
      "run: {duration: 60s}\nworkload: {mode: open, rate: 10/s}\n"
      "node: {cpu: {cores: 1}}\n"
      "pipeline: [{name: s, device: cpu, service: {dist: deterministic, "
      "mean: 1ms}}]\ncluster:\n  nodes: 2\n  autoscale: ";
  const ScenarioParams p =
      test::parse(base +
                  "{min_nodes: 1, max_nodes: 4, target_utilization: 0.6, boot_time: 30s, "
                  "load_time: 3.6s}\n");
  REQUIRE(p.cluster.autoscale);
  CHECK(p.cluster.autoscale->max_nodes == 4);
  CHECK(p.cluster.autoscale->window == 15 * kSecond);
  CHECK(p.cluster.autoscale->stabilization == 300 * kSecond);
  CHECK(p.cluster.autoscale->tolerance == 0.1);
  const auto j = resolved_config(p);
  CHECK(resolved_config(parse_scenario(load_config_text(j.dump(2), "<resolved>", "."))).dump() ==
        j.dump());
  const test::ErrorCase cases[] = {
      {"{min_nodes: 1, max_nodes: 4, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.target_utilization", ""},
      {"{min_nodes: 1, max_nodes: 4, target_utilization: 0, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.target_utilization", "above 0"},
      {"{min_nodes: 3, max_nodes: 2, target_utilization: 0.5, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.max_nodes", "below min_nodes"},
      {"{min_nodes: 3, max_nodes: 4, target_utilization: 0.5, boot_time: 0s, load_time: 0s}",
       "cluster.nodes", "between autoscale.min_nodes and max_nodes (3..4)"},
      {"{min_nodes: 1, max_nodes: 1, target_utilization: 0.5, boot_time: 0s, load_time: 0s}",
       "cluster.nodes", "between autoscale.min_nodes and max_nodes (1..1)"},
      {"{min_nodes: 1, max_nodes: 4, target_utilization: 0.5, boot_time: 0s, load_time: 0s, "
       "window: 1us}",
       "cluster.autoscale.window", "1,000,000 decisions"},
      {"{min_nodes: 1, max_nodes: 4, target_utilization: 0.5, load_time: 0s}",
       "cluster.autoscale.boot_time", ""},
      {"{min_nodes: 1, max_nodes: 4, target_utilization: 0.5, boot_time: 0s, load_time: 0s, "
       "tolerance: 1}",
       "cluster.autoscale.tolerance", "below 1"},
      {"{min_nodes: 1, max_nodes: 4, target_utilization: 0.5, boot_time: 0s, load_time: 0s, "
       "window: 0s}",
       "cluster.autoscale.window", ""},
      {"{min_nodes: 1, max_nodes: 4, target_utilization: 0.5, boot_time: 0s, load_time: 0s, "
       "cooldown: 1s}",
       "cluster.autoscale.cooldown", ""},
      {"{min_nodes: 1, max_nodes: 4, metric: concurrency, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.target_concurrency", ""},
      {"{min_nodes: 1, max_nodes: 4, metric: concurrency, target_concurrency: 8, "
       "target_utilization: 0.5, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.target_utilization", "belongs to metric: utilization"},
      {"{min_nodes: 1, max_nodes: 4, target_concurrency: 8, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.target_concurrency", "belongs to metric: concurrency"},
      {"{min_nodes: 1, max_nodes: 4, metric: latency, boot_time: 0s, load_time: 0s}",
       "cluster.autoscale.metric", "concurrency"},
  };
  test::check_located_errors(cases, [&](const char* yaml) { test::parse(base + yaml + "\n"); });
  // An autoscaler, or a schedule that ends at 0, needs the run to end by time.
  const ConfigError until = test::config_error([&] {
    test::parse(base +
                    "{min_nodes: 1, max_nodes: 4, target_utilization: 0.5, boot_time: 0s, "
                    "load_time: 0s}\n",
                {"run={requests: 100}"});
  });
  CHECK(until.key() == "cluster.autoscale");
  CHECK_THAT(until.message(), Contains("give run.duration"));
  const ConfigError stops = test::config_error(
      [&] { test::parse(scheduled("{at: [0s, 1s], factor: [1, 0]}", "{requests: 100}")); });
  CHECK(stops.key() == "workload.schedule.factor");
  CHECK_THAT(stops.message(), Contains("ends at 0"));
}

}  // namespace servesim
