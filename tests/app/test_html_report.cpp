// `servesim report`: one self-contained page (nothing fetched from elsewhere) with the sections a
// reader looks for, built from a run's JSON.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "sim/app/html_report.h"
#include "sim/config/tree.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"

namespace servesim {

TEST_CASE("the HTML report is self-contained and has the summary, breakdown and bottleneck",
          "[unit]") {
  const ScenarioParams p = parse_scenario(load_config_text(R"(
run: {duration: 20s, replications: 2}
workload: {mode: open, rate: 50/s}
node: {cpu: {cores: 2}}
pipeline:
  - {name: "parse<&>", device: cpu, instances: 2, service: {dist: exponential, mean: 10ms}}
)",
                                                           "<test>", "."));
  const std::string html =
      html_report(summary_json(run_scenario(p, 1), resolved_config(p)), "test <scenario>");
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* part : {"Where a request's time goes", "Utilisation and the bottleneck", "<svg",
                           "Checks", "Config", "req/s"})
    CHECK(html.find(part) != std::string::npos);
  // Nothing loaded from elsewhere: no scripts, no external stylesheets or images.
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  // The waterfall has a time axis (issue 20): ticks from 0, in ms since arrival.
  CHECK(html.find("ms since the request arrived") != std::string::npos);
  CHECK(html.find("text-anchor='middle'>0</text>") != std::string::npos);
  // Names are escaped.
  CHECK(html.find("parse&lt;&amp;&gt;") != std::string::npos);
  CHECK(html.find("test &lt;scenario&gt;") != std::string::npos);
}

namespace {

/// What `servesim run --json` writes for the scenario `yaml`.
nlohmann::ordered_json result_of(const std::string& yaml) {
  const ScenarioParams p = parse_scenario(load_config_text(yaml, "<test>", "."));
  return summary_json(run_scenario(p, 1), resolved_config(p));
}

}  // namespace

TEST_CASE("the HTML report shows the GPU memory the result carries", "[unit]") {
  auto j = result_of(R"(
run: {duration: 2s, replications: 1}
workload: {mode: open, rate: 50/s}
node: {cpu: {cores: 2}}
pipeline: [{name: a, device: cpu, service: {dist: deterministic, mean: 1ms}}]
)");
  CHECK(html_report(j, "cpu").find("GPU memory") == std::string::npos);  // none on a CPU node
  j["gpu_memory"] = {{"mean_bytes", 2097152.0}, {"peak_bytes", 3145728.0}, {"spilled_bytes", 0.0}};
  CHECK(html_report(j, "gpu").find("GPU memory<b>3 MiB</b>peak of request tensors on one GPU; "
                                   "mean 2 MiB (all GPUs)") != std::string::npos);
}

TEST_CASE("the report's series end with the run, the last window as short as it was", "[unit]") {
  // 2.8 s measured in 1 s windows: [0, 1), [1, 2), [2, 2.8). The panel's time axis runs from
  // 0 to 2.8 s over x = 70 .. 710, so the second window ends at 70 + 640 * 2 / 2.8 = 527.1
  // (at 496.7 if the last window were drawn a whole interval long).
  const std::string html = html_report(result_of(R"(
run: {duration: 2.8s, replications: 1, interval: 1s}
workload: {mode: open, rate: 50/s}
node: {cpu: {cores: 2}}
pipeline: [{name: a, device: cpu, service: {dist: deterministic, mean: 1ms}}]
)"),
                                       "series");
  REQUIRE(html.find("Over time") != std::string::npos);
  CHECK(html.find(" 527.1,") != std::string::npos);
  CHECK(html.find(" 496.7,") == std::string::npos);
}

TEST_CASE("the HTML report of a run where nothing completed says the laws cannot be checked",
          "[unit]") {
  const std::string html = html_report(result_of(R"(
run: {duration: 2s, replications: 2}
workload: {mode: open, rate: 10/s}
node: {cpu: {cores: 1}}
pipeline: [{name: a, device: cpu, service: {dist: deterministic, mean: 100s}}]
)"),
                                       "degenerate");
  CHECK(html.find("cannot be checked on this run: no request completed") != std::string::npos);
  CHECK(html.find("hold on this run to") == std::string::npos);
  CHECK(html.find("no request completed in the measurement window") != std::string::npos);
}

}  // namespace servesim
