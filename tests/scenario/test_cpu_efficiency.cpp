// node.cpu.efficiency: the measured per-core slow-down under load. Read into the parameters the
// model uses, written back in the resolved config, and every malformed table a located error
// naming the key.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::config_error;

std::string scenario(const std::string& efficiency) {
  return "run: {duration: 1s}\n"
         "workload: {mode: open, rate: 10/s}\n"
         "node:\n"
         "  cpu:\n"
         "    cores: 4\n"
         "    efficiency: " +
         efficiency +
         "\n"
         "pipeline:\n"
         "  - {name: work, device: cpu, service: {dist: deterministic, mean: 1ms}}\n";
}

}  // namespace

TEST_CASE("cpu efficiency: the points are read as written", "[unit]") {
  const ScenarioParams p =
      test::parse(scenario("{busy_cores: [1, 2, 4], factor: [1, 0.9, 0.8], source: test}"));
  CHECK(p.node.cpu.efficiency.busy_cores == std::vector<int>{1, 2, 4});
  CHECK(p.node.cpu.efficiency.factor == std::vector<double>{1, 0.9, 0.8});
}

TEST_CASE("cpu efficiency: each malformed table is an error at its key", "[unit]") {
  const test::ErrorCase cases[] = {
      {"{busy_cores: [2, 4], factor: [1, 0.9]}", "node.cpu.efficiency.busy_cores", "first point"},
      {"{busy_cores: [1, 4, 3], factor: [1, 0.9, 0.8]}", "node.cpu.efficiency.busy_cores",
       "ascending"},
      {"{busy_cores: [1, 2], factor: [1, 0.9]}", "node.cpu.efficiency.busy_cores",
       "node.cpu.cores is 4"},
      {"{busy_cores: [1, 2.5, 4], factor: [1, 0.9, 0.8]}", "node.cpu.efficiency.busy_cores",
       "whole numbers"},
      {"{busy_cores: [1, 4], factor: [1]}", "node.cpu.efficiency.factor", "one factor per"},
      {"{busy_cores: [1, 4], factor: [0.9, 0.8]}", "node.cpu.efficiency.factor",
       "first factor is 1"},
      {"{busy_cores: [1, 4], factor: [1, 0]}", "node.cpu.efficiency.factor", "(0, 2]"},
      {"{busy_cores: [1, 4]}", "node.cpu.efficiency.factor", ""},
      {"{busy_cores: 4, factor: [1]}", "node.cpu.efficiency.busy_cores", "a list"},
      {"{busy_cores: [1, 4], factor: [1, 0.5], speed: 2}", "node.cpu.efficiency.speed", ""},
  };
  test::check_located_errors(cases, [](const char* yaml) { test::parse(scenario(yaml)); });
}
}  // namespace servesim
