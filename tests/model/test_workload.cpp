// The clients: arrival counts of the open processes against their distributions (fixed seed,
// tolerance from a 99.9% interval of the count), and the closed loop's sends worked out by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>

#include "sim/core/simulator.h"
#include "sim/model/cluster.h"
#include "sim/model/workload.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using test::parse;

// One core and one worker.
const std::string kNode = R"(
run: {duration: 10s}
node: {cpu: {cores: 1}}
)";

/// Arrivals a workload `yaml` made by `until`, on a fresh cluster whose worker takes `service`
/// per request (by default 1 us: far from saturation at the open rates below).
std::uint64_t arrivals(const std::string& yaml, Time until, std::uint64_t replication = 0,
                       const std::string& service = "1us") {
  const ScenarioParams p = parse(kNode + yaml + "pipeline: [{name: work, device: cpu, instances: 1,"
                                 " service: {dist: deterministic, mean: " + service + "}}]\n");
  Simulator sim;
  Cluster cluster(sim, p, replication);
  Workload workload(sim, cluster, p.workload, p.seed, replication);
  workload.start();
  sim.run_until(until);
  return cluster.counters().arrivals;
}

constexpr double kZ999 = 3.29;  // two-sided 99.9% normal quantile

}  // namespace

TEST_CASE("workload: constant arrivals come exactly every 1/rate", "[unit]") {
  // At 1 ms, 2 ms, ..., 1000 ms: 1000 by t = 1 s (an event at the end is in).
  CHECK(arrivals("workload: {mode: open, rate: 1000/s, arrival: constant}\n", kSecond) == 1000);
}

TEST_CASE("workload: Poisson arrivals over 10 s count rate x T within a 99.9% interval",
          "[unit]") {
  // N ~ Poisson(10000): sd 100.
  const double mean = 1000.0 * 10;
  for (std::uint64_t rep = 0; rep < 3; ++rep) {
    const auto n = static_cast<double>(
        arrivals("workload: {mode: open, rate: 1000/s, arrival: poisson}\n", 10 * kSecond, rep));
    CHECK(std::abs(n - mean) < kZ999 * std::sqrt(mean));
  }
}

TEST_CASE("workload: gamma arrivals keep the rate; their count spreads with the cv", "[unit]") {
  // A renewal process's count over a long T has variance ~ rate T cv^2: sd 100 x 2 = 200.
  const double mean = 1000.0 * 10;
  const auto n = static_cast<double>(
      arrivals("workload: {mode: open, rate: 1000/s, arrival: gamma, cv: 2}\n", 10 * kSecond));
  CHECK(std::abs(n - mean) < kZ999 * std::sqrt(mean) * 2);
}

TEST_CASE("workload: a closed loop sends the next request when one completes", "[unit]") {
  // 5 clients on a 1 ms server: one completion per ms, each followed by a send, plus the 5 sent
  // at t = 0: 105 by t = 100.5 ms.
  CHECK(arrivals("workload: {mode: closed, concurrency: 5}\n", us(100500), 0, "1ms") == 105);
}

TEST_CASE("workload: a closed client thinks between a response and its next send", "[unit]") {
  // 1 ms of service, then 1 ms of thought: sends at 0, 2, ..., 100 ms.
  CHECK(arrivals("workload: {mode: closed, concurrency: 1, think_time: 1ms}\n", us(100500), 0,
                 "1ms") == 51);
}

}  // namespace servesim
