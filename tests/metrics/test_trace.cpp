// The trace is valid Chrome Trace Event JSON and shows what happened: lanes per stage instance,
// GPU engine and PCIe link, each batch's phases, each request from arrival to completion.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"
#include "sim/metrics/run_summary.h"
#include "sim/metrics/trace.h"

namespace servesim {

TEST_CASE("a trace has the Trace Event format and one span per kernel in its window", "[unit]") {
  // One client; each request copies its 10 kB to the GPU (1 us of latency + 10000 B at 10 B/ns
  // = 2 us), runs a 1 ms kernel, and copies the 10 kB back (2 us): 1.004 ms per request.
  const std::string yaml = R"(
run: {duration: 1s, warmup: 100ms, replications: 1}
workload: {mode: closed, concurrency: 1, images: [{name: x, width: 10, height: 10, bytes: 10kB}]}
node:
  cpu: {cores: 1}
  gpus: {count: 1}
  pcie:
    host_link: {bandwidth: 10GB/s, latency: 0ns}
    gpu_link: {bandwidth: 10GB/s, latency: 1us}
pipeline: [{name: infer, device: gpu, instances: 1, service: {dist: deterministic, mean: 1ms}}]
)";
  ChromeTrace trace(ms(100), ms(10));
  run_scenario(parse_scenario(load_config_text(yaml, "<test>", ".")), 1, &trace);
  const auto j = trace.json();
  REQUIRE(j.contains("traceEvents"));
  std::map<std::string, int> lanes;  // tid -> name, via the metadata events
  std::map<int, std::string> names;
  int kernels = 0, begins = 0, ends = 0;
  for (const auto& e : j["traceEvents"]) {
    REQUIRE(e.contains("ph"));
    REQUIRE(e.contains("pid"));
    REQUIRE(e.contains("tid"));
    const std::string ph = e["ph"];
    if (ph == "M") {
      if (e["name"] == "thread_name") names[e["tid"].get<int>()] = e["args"]["name"];
      continue;
    }
    REQUIRE(e["ts"].is_number());
    if (ph == "X") {
      REQUIRE(e["dur"].get<double>() >= 0);
      if (names[e["tid"].get<int>()] == "gpu0 compute") {
        ++kernels;
        CHECK(e["dur"].get<double>() == 1000.0);  // microseconds
      }
    }
    begins += ph == "b";
    ends += ph == "e";
  }
  for (const auto& [tid, name] : names) ++lanes[name];
  CHECK(lanes.count("requests") == 1);
  CHECK(lanes.count("gpu0 compute") == 1);
  CHECK(lanes.count("pcie gpu0 h2d") == 1);
  CHECK(lanes.count("pcie gpu0 d2h") == 1);
  CHECK(lanes.count("infer gpu0 #0") == 1);
  // A request every 1.004 ms: 9 or 10 end inside the 10 ms window, and as many kernels.
  CHECK(begins == ends);
  CHECK(begins >= 9);
  CHECK(begins <= 10);
  CHECK(kernels >= 9);
  CHECK(kernels <= 10);
}

}  // namespace servesim
