// node.cpu.stalls: times when a core runs nothing, and node.cpu.slowdowns: times when it runs
// slower. Read into the parameters the model uses, written back in the resolved config, and every
// malformed table a located error naming the key.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

std::string stalls_scenario(const std::string& stalls, const std::string& scheduler = "per_core",
                            const std::string& key = "stalls") {
  return "run: {duration: 1s}\n"
         "workload: {mode: open, rate: 10/s}\n"
         "node:\n"
         "  cpu:\n"
         "    cores: 2\n"
         "    scheduler: " +
         scheduler +
         "\n"
         "    " +
         key + ": " + stalls +
         "\n"
         "pipeline:\n"
         "  - {name: work, device: cpu, service: {dist: deterministic, mean: 1ms}}\n";
}

}  // namespace

TEST_CASE("cpu stalls: the interval and the duration are read as distributions", "[unit]") {
  const ScenarioParams p = test::parse(stalls_scenario(
      "{interval: {dist: exponential, mean: 300ms}, duration: 600us, source: probe}"));
  REQUIRE(p.node.cpu.stalls);
  CHECK(p.node.cpu.stalls->interval->mean() == Approx(300e6));
  CHECK(p.node.cpu.stalls->duration->mean() == Approx(600e3));
}

TEST_CASE("cpu stalls: each malformed table is an error at its key", "[unit]") {
  const test::ErrorCase cases[] = {
      {"{duration: 1ms}", "node.cpu.stalls.interval", "time between"},
      {"{interval: 1s}", "node.cpu.stalls.duration", "how long"},
      {"{interval: 0s, duration: 1ms}", "node.cpu.stalls.interval", "above 0"},
      {"{interval: 1s, duration: 1ms, rate: 3/s}", "node.cpu.stalls.rate", ""},
      {"{interval: {dist: exponential, mean: -1s}, duration: 1ms}", "node.cpu.stalls.interval.mean",
       ""},
  };
  test::check_located_errors(cases, [](const char* yaml) { test::parse(stalls_scenario(yaml)); });
}

TEST_CASE("cpu stalls: the shared scheduler takes them too", "[unit]") {
  const ScenarioParams p = test::parse(stalls_scenario("{interval: 1s, duration: 1ms}", "shared"));
  REQUIRE(p.node.cpu.stalls);
  CHECK(p.node.cpu.stalls->duration->mean() == Approx(1e6));
}

TEST_CASE("cpu slowdowns: the same process, with the core's speed during one", "[unit]") {
  const ScenarioParams p = test::parse(
      stalls_scenario("{interval: {dist: exponential, mean: 2s}, duration: 150ms, speed: 0.7}",
                      "per_core", "slowdowns"));
  REQUIRE(p.node.cpu.slowdowns);
  CHECK(p.node.cpu.slowdowns->interval->mean() == Approx(2e9));
  CHECK(p.node.cpu.slowdowns->duration->mean() == Approx(150e6));
  CHECK(p.node.cpu.slowdowns->speed == 0.7);
  CHECK_FALSE(p.node.cpu.stalls);
}

TEST_CASE("cpu slowdowns: each malformed table is an error at its key", "[unit]") {
  const test::ErrorCase cases[] = {
      {"{interval: 1s, duration: 1ms}", "node.cpu.slowdowns.speed", "fraction of its own"},
      {"{interval: 1s, duration: 1ms, speed: 0}", "node.cpu.slowdowns.speed", ""},
      {"{interval: 1s, duration: 1ms, speed: 1.5}", "node.cpu.slowdowns.speed", ""},
      {"{duration: 1ms, speed: 0.5}", "node.cpu.slowdowns.interval", "time between"},
      {"{interval: 1s, speed: 0.5}", "node.cpu.slowdowns.duration", "slowdown lasts"},
  };
  test::check_located_errors(
      cases, [](const char* yaml) { test::parse(stalls_scenario(yaml, "per_core", "slowdowns")); });
  // The shared scheduler takes them too.
  const ScenarioParams p = test::parse(
      stalls_scenario("{interval: 1s, duration: 1ms, speed: 0.5}", "shared", "slowdowns"));
  REQUIRE(p.node.cpu.slowdowns);
  CHECK(p.node.cpu.slowdowns->speed == 0.5);
}

}  // namespace servesim
