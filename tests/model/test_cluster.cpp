// K nodes behind the load balancer: each policy sends where its rule says, a per-node cap holds
// the excess at the balancer in FIFO order, and that wait is reported as the `balancer` stage.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"
#include "sim/core/simulator.h"
#include "sim/metrics/run_summary.h"
#include "sim/model/cluster.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using test::parse;

// Nodes of one core and one worker; each request takes exactly 1 ms.
const std::string kNodes = R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 1}
node: {cpu: {cores: 1}}
pipeline: [{name: work, device: cpu, instances: 1, service: {dist: deterministic, mean: 1ms}}]
)";

/// Admits `n` requests at t = 0 to a fresh cluster and returns how many each node took.
std::vector<std::uint64_t> spread(const std::string& cluster, int n) {
  ScenarioParams p = parse(kNodes + "cluster: " + cluster + "\n");
  Simulator sim;
  Cluster c(sim, p, 0);
  for (int i = 0; i < n; ++i) c.admit(0, static_cast<std::uint32_t>(i), 0);
  std::vector<std::uint64_t> out;
  for (int k = 0; k < c.nodes(); ++k) out.push_back(c.node(k).counters().arrivals);
  return out;
}

}  // namespace

TEST_CASE("round_robin sends requests to the nodes in turn", "[unit][cluster]") {
  CHECK(spread("{nodes: 3, balancer: {policy: round_robin}}", 7) ==
        std::vector<std::uint64_t>{3, 2, 2});
}

TEST_CASE("least_outstanding sends each request to the node holding the fewest",
          "[unit][cluster]") {
  // Nothing completes at t = 0, so the fewest-held node is always the next in index order.
  CHECK(spread("{nodes: 3, balancer: {policy: least_outstanding}}", 7) ==
        std::vector<std::uint64_t>{3, 2, 2});
}

TEST_CASE("random and power_of_two use every node", "[unit][cluster]") {
  for (const char* policy : {"random", "power_of_two"}) {
    INFO(policy);
    const auto s = spread(std::string("{nodes: 4, balancer: {policy: ") + policy + "}}", 400);
    std::uint64_t total = 0;
    for (const auto k : s) {
      CHECK(k > 0);
      total += k;
    }
    CHECK(total == 400);
  }
  // With nothing completing, random's counts spread like a multinomial (standard deviation
  // sqrt(400 x 1/4 x 3/4) ~ 8.7 per node), while taking the less loaded of two choices keeps
  // them within a few of each other.
  const auto r = spread("{nodes: 4, balancer: {policy: random}}", 400);
  const auto p2 = spread("{nodes: 4, balancer: {policy: power_of_two}}", 400);
  auto range = [](const std::vector<std::uint64_t>& v) {
    return *std::max_element(v.begin(), v.end()) - *std::min_element(v.begin(), v.end());
  };
  CHECK(range(p2) < range(r));
}

TEST_CASE("a per-node cap holds the excess at the balancer, FIFO, and reports its wait",
          "[unit][cluster]") {
  // 2 nodes capped at 1 request each, 4 clients, 1 ms per request: 2 requests are served while
  // the other 2 wait at the balancer for exactly one service time. Each request: 1 ms at the
  // balancer + 1 ms of service = 2 ms; throughput 2 / 1 ms = 2000/s.
  ConfigNode root = load_config_text(kNodes + R"(
cluster: {nodes: 2, balancer: {policy: round_robin, max_outstanding_per_node: 1}}
)",
                                     "<test>", ".");
  apply_override(root, "workload.concurrency=4", 1);
  const ScenarioParams p = parse_scenario(root);
  const RunSummary s = run_scenario(p, 1);
  REQUIRE(s.stages.size() == 2);
  CHECK(s.stages[0].name == "balancer");
  // The first two requests at t = 0 do not wait; every later one waits exactly 1 ms.
  const double n = static_cast<double>(s.reps[0].stage_count[0]);
  CHECK(s.stages[0].queue_ms.mean == Approx((n - 2) / n).epsilon(1e-9));
  CHECK(s.stages[1].queue_ms.mean == 0);
  CHECK(s.stages[1].service_ms.mean == Approx(1.0).epsilon(1e-9));
  CHECK(s.throughput_rps.mean == Approx(2000).epsilon(1e-3));
  // Little's law holds for the balancer's queue too.
  for (const auto& law : s.laws) {
    INFO(law.law << " " << law.subject);
    CHECK(law.relative_error() < 1e-3);
  }
}

TEST_CASE("power_of_two balances better than random: lower mean latency, beyond both CIs",
          "[validation][cluster]") {
  // 8 M/M/1 nodes at 80% load: random splitting gives each node an M/M/1 (W = 5 ms); sampling
  // two nodes and taking the less loaded cuts queueing sharply (Mitzenmacher 2001). The claim is
  // checked with the runs' own 95% intervals, which must not overlap.
  const std::string base = R"(
seed: 11
run: {duration: 50s, warmup: 5s, replications: 10}
workload: {mode: open, rate: 6400/s, arrival: poisson}
node: {cpu: {cores: 1}}
pipeline: [{name: work, device: cpu, instances: 1, service: {dist: exponential, mean: 1ms}}]
)";
  const RunSummary random =
      run_scenario(parse(base + "cluster: {nodes: 8, balancer: {policy: random}}\n"), 2);
  const RunSummary p2 =
      run_scenario(parse(base + "cluster: {nodes: 8, balancer: {policy: power_of_two}}\n"), 2);
  INFO("random W " << random.latency_mean_ms.mean << " [" << random.latency_mean_ms.lo << ", "
                   << random.latency_mean_ms.hi << "], power_of_two W " << p2.latency_mean_ms.mean
                   << " [" << p2.latency_mean_ms.lo << ", " << p2.latency_mean_ms.hi << "]");
  // Random splitting of Poisson arrivals is exactly 8 independent M/M/1 queues: W = 1/(mu - l).
  CHECK(random.latency_mean_ms.contains(1e3 / (1000.0 - 800.0)));
  CHECK(p2.latency_mean_ms.hi < random.latency_mean_ms.lo);
}

}  // namespace servesim
