// The check of a result document against its writer: whatever summary_json writes for a real run
// passes, in memory and read back from its text, so the writer and the check cannot drift apart.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/error.h"
#include "sim/config/tree.h"
#include "sim/metrics/report.h"
#include "sim/metrics/result_schema.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"

namespace servesim {

namespace {

nlohmann::ordered_json schema_result_of(const ScenarioParams& p) {
  return summary_json(run_scenario(p, 1), resolved_config(p));
}

}  // namespace

TEST_CASE("summary_json of real runs passes check_result, as written and as read back", "[unit]") {
  // The default scenario (GPU, batching, PCIe, energy, GPU memory), cut short; a closed CPU
  // pipeline of one replication (the CI collapses to the mean); an open workload at a fractional
  // rate with a fan-out stage (children); a node with nothing to bound it (null bounds).
  ConfigNode gpu = load_config_file(default_scenario_path());
  apply_override(gpu, "run={duration: 1s, warmup: 200ms, replications: 2}", 1);
  const std::string cpu_closed = R"(
run: {duration: 2s, replications: 1}
workload: {mode: closed, concurrency: 4}
node: {cpu: {cores: 2}}
pipeline: [{name: a, device: cpu, instances: 2, service: {dist: exponential, mean: 5ms}}]
)";
  const std::string fanout = R"(
run: {duration: 2s, replications: 2}
workload: {mode: open, rate: 12.5/s}
node: {cpu: {cores: 2}}
pipeline:
  - {name: split, device: cpu, instances: 1, service: {dist: deterministic, mean: 1ms},
     fanout: {count: 3, child: {width: 160, height: 160, bytes: 76800B}, broker: {kind: fused}}}
  - {name: work, device: cpu, instances: 2, service: {dist: exponential, mean: 2ms}}
)";
  // Nothing completes in the window: demands, bounds and law errors are null.
  const std::string degenerate = R"(
run: {duration: 2s, replications: 2}
workload: {mode: open, rate: 10/s}
node: {cpu: {cores: 1}}
pipeline: [{name: a, device: cpu, service: {dist: deterministic, mean: 100s}}]
)";
  for (const ScenarioParams& p :
       {parse_scenario(gpu), parse_scenario(load_config_text(cpu_closed, "<closed>", ".")),
        parse_scenario(load_config_text(fanout, "<fanout>", ".")),
        parse_scenario(load_config_text(degenerate, "<degenerate>", "."))}) {
    const nlohmann::ordered_json j = schema_result_of(p);
    INFO(j.dump(2).substr(0, 2000));
    CHECK_NOTHROW(check_result(j, "written.json"));
    CHECK_NOTHROW(parse_result(j.dump(2), "read.json"));
  }
}

TEST_CASE("check_result refuses a non-finite number a caller put in memory", "[unit]") {
  // JSON text cannot hold NaN (nlohmann writes null), but html_report's caller may pass one.
  const ScenarioParams p = parse_scenario(load_config_text(R"(
run: {duration: 1s, replications: 2}
workload: {mode: open, rate: 20/s}
node: {cpu: {cores: 1}}
pipeline: [{name: a, device: cpu, instances: 1, service: {dist: exponential, mean: 5ms}}]
)",
                                                           "<test>", "."));
  nlohmann::ordered_json j = schema_result_of(p);
  j["latency_ms"]["p90"] = std::numeric_limits<double>::quiet_NaN();
  const ConfigError e = test::config_error([&] { check_result(j, "r.json"); });
  CHECK(e.mark().file == "r.json");
  CHECK(e.key() == "/latency_ms/p90");
  CHECK(e.message() == "expected a finite number");
}

TEST_CASE("an open workload's rate is read back as the writer formats it", "[unit]") {
  CHECK(result_rate_per_s("12.5/s") == 12.5);
  CHECK(result_rate_per_s("2000/s") == 2000);
  CHECK_FALSE(result_rate_per_s("0/s"));
  CHECK_FALSE(result_rate_per_s("fast"));
  CHECK_FALSE(result_rate_per_s("12.5"));
  CHECK_FALSE(result_rate_per_s("12.5/ms"));
  CHECK_FALSE(result_rate_per_s(12.5));
}

}  // namespace servesim
