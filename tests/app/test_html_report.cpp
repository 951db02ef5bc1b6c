// `servesim report`: one self-contained page (nothing fetched from elsewhere) with the sections a
// reader looks for, built from a run's JSON.
#include <catch2/catch.hpp>

#include <string>

#include "sim/app/html_report.h"
#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"
#include "sim/metrics/report.h"
#include "sim/metrics/run_summary.h"

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
  // Names are escaped.
  CHECK(html.find("parse&lt;&amp;&gt;") != std::string::npos);
  CHECK(html.find("test &lt;scenario&gt;") != std::string::npos);
}

}  // namespace servesim

namespace servesim {

TEST_CASE("the HTML report of a run where nothing completed says the laws cannot be checked",
          "[unit]") {
  const ScenarioParams p = parse_scenario(load_config_text(R"(
run: {duration: 2s, replications: 2}
workload: {mode: open, rate: 10/s}
node: {cpu: {cores: 1}}
pipeline: [{name: a, device: cpu, service: {dist: deterministic, mean: 100s}}]
)",
                                                           "<test>", "."));
  const std::string html =
      html_report(summary_json(run_scenario(p, 1), resolved_config(p)), "degenerate");
  CHECK(html.find("cannot be checked on this run: no request completed") != std::string::npos);
  CHECK(html.find("hold on this run to") == std::string::npos);
  CHECK(html.find("no request completed in the measurement window") != std::string::npos);
}

}  // namespace servesim
