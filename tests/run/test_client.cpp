// workload.client and node.network: the load generator's CPU work and the wire in front of the
// server, timed to the nanosecond through whole scenarios, and their malformed forms as located
// errors. Every expected number is derived by hand in a comment.
#include <catch2/catch.hpp>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/tree.h"
#include "sim/metrics/report.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::config_error;
using test::parse;

// One client, 1 MB requests; the client spends 100 us per request, the wire has 50 us of round
// trip and 1 GB/s; the server's one stage takes 1 ms.
const std::string kScenario = R"(
run: {duration: 1s}
workload:
  mode: closed
  concurrency: 1
  images: [{name: m, width: 10, height: 10, bytes: 1000000B}]
  client: {host: node, cost: {dist: deterministic, mean: 100us}}
node:
  cpu: {cores: 2}
  network: {bandwidth: 1GB/s, latency: 50us}
pipeline:
  - {name: serve, device: cpu, service: {dist: deterministic, mean: 1ms}}
)";

Time ns(double ms) { return std::llround(ms * 1e6); }

}  // namespace

TEST_CASE("a client's request: its CPU work, the wire's round trip and bytes, then the server",
          "[unit]") {
  const RunSummary s = run_scenario(parse(kScenario), 1);
  REQUIRE(s.stages.size() == 3);
  CHECK(s.stages[0].name == "client");
  CHECK(s.stages[1].name == "network");
  // 100 us of client work; 50 us + 1e6 B at 1 B/ns = 1,050,000 ns on the wire; 1 ms served.
  CHECK(ns(s.stages[0].service_ms.mean) == 100'000);
  CHECK(ns(s.stages[1].service_ms.mean) == 1'050'000);
  CHECK(ns(s.latency_mean_ms.mean) == 100'000 + 1'050'000 + 1'000'000);
  // The wire's time on an idle link is its work, not a wait.
  CHECK(ns(s.stages[1].compute_ms) == 1'050'000);
  CHECK(s.stages[1].wait_ms == 0);
  // perf_analyzer's columns: the client's and the wire's time are not the server's.
  const std::string csv = summary_csv(s, parse(kScenario).workload);
  CHECK_THAT(csv, Contains("Client Send,Network+Server Send/Recv,Server Queue"));
  CHECK_THAT(csv, Contains(",100,1050,0,0,1000,0,"));
}

TEST_CASE("a client on the node takes the node's cores; a remote one has its own", "[unit]") {
  // One core. On the node, the client's 100 us and the server's 1 ms alternate on it: the core is
  // busy (100 + 1000) of every 2150 us. Remote, only the server's 1 ms counts.
  const auto core_busy = [](const std::string& host) {
    const RunSummary s =
        run_scenario(parse(kScenario, {"node.cpu.cores=1", "workload.client.host=" + host}), 1);
    for (const auto& r : s.resources)
      if (r.name == "cpu") return r.utilization;
    FAIL("no cpu resource");
    return 0.0;
  };
  CHECK(core_busy("node") == Approx(1100.0 / 2150).epsilon(1e-3));
  CHECK(core_busy("remote") == Approx(1000.0 / 2150).epsilon(1e-3));
}

TEST_CASE("two payloads on the wire share it max-min fairly", "[unit]") {
  // Two clients send at t = 0 after 100 us of work each (two cores): both wait the 50 us round
  // trip, then move 1e6 B each at 0.5 B/ns: 2,000,000 ns. The wire's service is 2,050,000 ns,
  // and with two server instances every round repeats the first.
  const RunSummary s =
      run_scenario(parse(kScenario, {"workload.concurrency=2", "pipeline.serve.instances=2"}), 1);
  REQUIRE(s.stages.size() == 3);
  CHECK(ns(s.stages[1].service_ms.mean) == 2'050'000);
  CHECK(ns(s.stages[1].compute_ms) == 1'050'000);  // alone on the wire
  CHECK(ns(s.stages[1].wait_ms) == 1'000'000);     // the other payload's share
}

TEST_CASE("a payload's copies cross host memory: four bytes per byte on loopback, three remote",
          "[unit]") {
  // node.memory at 4 GB/s and a 1 TB/s wire: the memory link binds. Loopback copies each byte
  // twice (read + write each): 4 B of memory per byte, so 1e6 B move at 1 B/ns = 1,000,000 ns;
  // a remote client's NIC writes it once and recv() copies it: 3 B per byte, 4/3 B/ns = 750,000
  // ns (rounded up to the next ns by the flow's event). Plus 50 us of round trip either way.
  const std::initializer_list<std::string> fast_wire = {"node.network.bandwidth=1TB/s",
                                                        "node.memory.bandwidth=4GB/s"};
  std::string yaml = kScenario;
  yaml.insert(yaml.find("  network:"), "  memory: {bandwidth: 4GB/s}\n");
  const RunSummary loopback = run_scenario(parse(yaml, fast_wire), 1);
  CHECK(ns(loopback.stages[1].service_ms.mean) == 50'000 + 1'000'000);
  const RunSummary remote =
      run_scenario(parse(yaml, {"node.network.bandwidth=1TB/s", "workload.client.host=remote"}), 1);
  const Time wire = ns(remote.stages[1].service_ms.mean);
  CHECK(wire >= 50'000 + 750'000);
  CHECK(wire <= 50'000 + 750'001);
}

TEST_CASE("workload.client and node.network: each malformed form is an error at its key",
          "[unit]") {
  const struct {
    std::initializer_list<std::string> sets;
    const char* key;
    const char* says;
  } cases[] = {
      {{"workload.client.host=somewhere"}, "workload.client.host", "remote"},
      {{"workload.client.cost=null"}, "workload.client.cost", ""},
      {{"node.network.bandwidth=0.5kB/s"}, "node.network.bandwidth", "1 kB/s"},
      {{"node.network.speed=1"}, "node.network.speed", ""},
      {{"workload.client.threads=0"}, "workload.client.threads", ""},
      {{"pipeline.serve.name=client"}, "workload.client.host", "rename"},
  };
  for (const auto& c : cases) {
    INFO(*c.sets.begin());
    const ConfigError e = config_error([&] { parse(kScenario, c.sets); });
    CHECK(e.key() == c.key);
    CHECK_THAT(e.message(), Contains(c.says));
  }
  std::string open = kScenario;
  open.replace(open.find("concurrency: 1"), 14, "rate: 10/s");
  CHECK(config_error([&] { parse(open, {"workload.mode=open"}); }).key() ==
        "workload.client.threads");
  CHECK_NOTHROW(parse(open, {"workload.mode=open", "workload.client.threads=4"}));
  std::string no_network = kScenario;
  no_network.erase(no_network.find("  network:"),
                   std::string("  network: {bandwidth: 1GB/s, latency: 50us}\n").size());
  const ConfigError e = config_error([&] { parse(no_network); });
  CHECK(e.key() == "workload.client.host");
  CHECK_THAT(e.message(), Contains("node.network"));
}

TEST_CASE("the resolved config writes workload.client once and reads back to the same stations",
          "[unit]") {
  const ScenarioParams p = parse(kScenario);
  const std::string text = resolved_config(p).dump();
  CHECK_THAT(text, Contains("\"client\":{\"host\":\"node\""));
  const ScenarioParams again = parse(text);
  REQUIRE(again.pipeline.size() == 3);
  CHECK(again.pipeline[0].name == "client");
  CHECK(again.pipeline[1].name == "network");
  CHECK(again.pipeline[2].name == "serve");
}

}  // namespace servesim
