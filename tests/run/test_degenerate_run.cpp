// A run in which nothing completes is not a success in disguise: the summary and the JSON warn,
// the operational laws say they cannot be checked and why, and no bound reads as a number.

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

// Every request takes 11 days of service: none finishes inside the 1 s window.
const char* const kStuck = R"(
seed: 5
run: {duration: 2s, warmup: 1s, replications: 2}
workload: {mode: closed, concurrency: 4}
node: {cpu: {cores: 4}}
pipeline: [{name: serve, device: cpu, instances: 4, service: {dist: deterministic, mean: 1000000s}}]
)";

TEST_CASE("a run with no completion warns in the summary and the JSON, and checks no law",
          "[unit]") {
  const RunSummary s = run_scenario(test::parse(kStuck), 1);
  REQUIRE(s.completed == 0);
  std::ostringstream table;
  print_summary(table, s, "stuck.yaml");
  const std::string t = table.str();
  CHECK_THAT(t, Contains("WARNING") && Contains("no request completed"));
  CHECK_THAT(t, Contains("operational laws: cannot be checked: no request completed"));
  CHECK_THAT(t, !Contains("hold to"));
  CHECK_THAT(t, !Contains("inf"));
  CHECK_THAT(t, !Contains("<- bottleneck"));  // no bound, so no bottleneck to name

  const auto j = summary_json(s, nlohmann::ordered_json::object());
  REQUIRE(j.at("warnings").size() >= 1);
  CHECK_THAT(j.at("warnings")[0].get<std::string>(), Contains("no request completed"));
  for (const auto& law : j.at("laws")) {
    CHECK(law.at("relative_error").is_null());
    CHECK_THAT(law.at("cannot_check").get<std::string>(), Contains("no request completed"));
  }
  for (const auto& r : j.at("resources")) CHECK(r.at("throughput_bound_rps").is_null());
  CHECK(j.at("throughput_bound_rps").is_null());
}

TEST_CASE("a resource with no demand prints its bound as unbounded, never inf", "[unit]") {
  RunSummary s;
  s.replications = 1;
  s.window_s = 1;
  s.completed = 10;
  s.resources.push_back(ResourceSummary{"idle", 2, 0, 0, std::numeric_limits<double>::infinity()});
  s.resources.push_back(ResourceSummary{"cpu", 1, 0.5, 50, 20});
  s.throughput_bound = 20;
  s.bottleneck = "cpu";
  s.laws.push_back(LawCheck{"little", "node", 1, 1, ""});
  std::ostringstream table;
  print_summary(table, s, "x.yaml");
  CHECK_THAT(table.str(), Contains("unbounded"));
  CHECK_THAT(table.str(), !Contains("inf"));
  CHECK_THAT(table.str(), Contains("hold to 0%"));
}

}  // namespace
}  // namespace servesim
