// node.cpu.stalls: times when a core runs nothing. Read into the parameters the model uses,
// written back in the resolved config, and every malformed table a located error naming the key.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

std::string stalls_scenario(const std::string& stalls, const std::string& scheduler = "per_core") {
  return "run: {duration: 1s}\n"
         "workload: {mode: open, rate: 10/s}\n"
         "node:\n"
         "  cpu:\n"
         "    cores: 2\n"
         "    scheduler: " +
         scheduler +
         "\n"
         "    stalls: " +
         stalls +
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

}  // namespace servesim
