// The trace is valid Chrome Trace Event JSON and shows what happened: lanes per stage instance,
// GPU engine and PCIe link, each batch's phases, each request from arrival to completion.
#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "sim/config/tree.h"
#include "sim/metrics/trace.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"

namespace servesim {

namespace {
// Two cores, one GPU; copies take 1 us + bytes at 10 B/ns.
const char* const kNode = R"(
node:
  cpu: {cores: 2}
  gpus: {count: 1}
  pcie:
    host_link: {bandwidth: 10GB/s, latency: 0ns}
    gpu_link: {bandwidth: 10GB/s, latency: 1us}
)";
}  // namespace

TEST_CASE("a trace has the Trace Event format and one span per kernel in its window", "[unit]") {
  // One client; each request copies its 10 kB to the GPU (1 us of latency + 10000 B at 10 B/ns
  // = 2 us), runs a 1 ms kernel, and copies the 10 kB back (2 us): 1.004 ms per request.
  const std::string yaml = std::string(R"(
run: {duration: 1s, warmup: 100ms, replications: 1}
workload: {mode: closed, concurrency: 1, images: [{name: x, width: 10, height: 10, bytes: 10kB}]}
pipeline: [{name: infer, device: gpu, instances: 1, service: {dist: deterministic, mean: 1ms}}]
)") + kNode;
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

namespace {

// Two stages, a CPU front-end then a GPU model: each request crosses a CPU lane, a GPU stage
// lane and its copies, so its flow must go from one stage's lane to the next.
const std::string kTwoStages = std::string(R"(
run: {duration: 1s, warmup: 100ms, replications: 2}
workload: {mode: closed, concurrency: 3, images: [{name: x, width: 10, height: 10, bytes: 10kB}]}
pipeline:
  - {name: frontend, device: cpu, instances: 2, service: {dist: deterministic, mean: 200us}}
  - {name: infer, device: gpu, instances: 1, service: {dist: deterministic, mean: 1ms}}
)") + kNode;

using Json = nlohmann::ordered_json;

bool lists(const Json& slice, std::uint64_t id) {
  if (!slice.contains("args")) return false;
  const Json& a = slice["args"];
  if (a.contains("request")) return a["request"].get<std::uint64_t>() == id;
  if (!a.contains("requests")) return false;
  for (const auto& r : a["requests"])
    if (r.get<std::uint64_t>() == id) return true;
  return false;
}

}  // namespace

TEST_CASE("a trace follows each request through its slices by flow events", "[unit]") {
  ChromeTrace trace(ms(100), ms(20));
  run_scenario(parse_scenario(load_config_text(kTwoStages, "<test>", ".")), 1, &trace);
  const Json j = trace.json();
  std::map<int, std::string> names;
  std::map<int, int> order;  // tid -> thread_sort_index
  std::vector<Json> slices, flow;
  std::map<std::uint64_t, std::pair<double, double>> lives;  // request -> [arrival, end] in us
  std::set<std::string> counters;
  for (const auto& e : j["traceEvents"]) {
    const std::string ph = e["ph"];
    if (ph == "M" && e["name"] == "thread_name") names[e["tid"]] = e["args"]["name"];
    if (ph == "M" && e["name"] == "thread_sort_index") order[e["tid"]] = e["args"]["sort_index"];
    if (ph == "X") slices.push_back(e);
    if (ph == "C") counters.insert(e["name"].get<std::string>());
    if (ph == "b") lives[e["args"]["request"]].first = e["ts"];
    if (ph == "e") lives[e["args"]["request"]].second = e["ts"];
    if (ph == "s" || ph == "t" || ph == "f") flow.push_back(e);
  }
  // Lanes sort in pipeline order, whatever order they were first used in.
  std::map<std::string, int> sort;
  for (const auto& [tid, name] : names) sort[name] = order.at(tid);
  const int frontend = sort.count("frontend #0") ? sort.at("frontend #0") : sort.at("frontend #1");
  CHECK(sort.at("requests") < frontend);
  CHECK(frontend < sort.at("infer gpu0 #0"));
  CHECK(sort.at("infer gpu0 #0") < sort.at("pcie gpu0 h2d"));
  CHECK(sort.at("pcie gpu0 h2d") < sort.at("gpu0 compute"));
  CHECK(counters == std::set<std::string>{"frontend queue", "frontend batch", "infer queue",
                                          "infer batch", "gpu0 memory held"});
  // Follow every request that lived wholly inside the window from end to end.
  int followed = 0;
  for (const auto& [id, life] : lives) {
    std::vector<Json> chain;
    for (const auto& f : flow)
      if (f["id"].get<std::uint64_t>() == id) chain.push_back(f);  // node 0: flow id = request
    if (life.first < 100'000.0 || chain.empty()) continue;
    ++followed;
    REQUIRE(chain.size() >= 2);
    std::stable_sort(chain.begin(), chain.end(),
                     [](const Json& a, const Json& b) { return a["ts"] < b["ts"]; });
    CHECK(chain.front()["ph"] == "s");
    CHECK(chain.back()["ph"] == "f");
    for (std::size_t k = 1; k + 1 < chain.size(); ++k) CHECK(chain[k]["ph"] == "t");
    CHECK(chain.front()["ts"].get<double>() >= life.first);
    CHECK(chain.back()["ts"].get<double>() <= life.second);
    // Each flow point lies inside a slice on its lane that lists the request, and each slice
    // that lists it holds exactly one flow point: the chain passes every slice it was in.
    std::set<std::string> lanes;
    std::size_t listing = 0;
    for (const auto& x : slices) {
      if (!lists(x, id)) continue;
      ++listing;
      lanes.insert(names.at(x["tid"]));
      const double from = x["ts"], to = from + x["dur"].get<double>();
      int inside = 0;
      for (const auto& f : chain)
        inside += f["tid"] == x["tid"] && f["ts"].get<double>() >= from && f["ts"] <= to;
      CHECK(inside == 1);
    }
    CHECK(listing == chain.size());
    // A frontend instance, then the model's instance, and the GPU's copy engines and compute
    // engine that served its batch.
    CHECK(lanes.count("infer gpu0 #0") == 1);
    CHECK(lanes.count("pcie gpu0 h2d") == 1);
    CHECK(lanes.count("gpu0 compute") == 1);
    CHECK(lanes.size() == 5);
  }
  // A request every ~1.2 ms over 20 ms, less those that began before the window or end after.
  CHECK(followed >= 10);
}

TEST_CASE("a trace is the same whatever the thread count", "[unit]") {
  const ScenarioParams p = parse_scenario(load_config_text(kTwoStages, "<test>", "."));
  ChromeTrace one(ms(100), ms(5)), two(ms(100), ms(5));
  run_scenario(p, 1, &one);
  run_scenario(p, 2, &two);
  CHECK(one.json().dump() == two.json().dump());
}

}  // namespace servesim
