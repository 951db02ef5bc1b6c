// The clients: arrival counts of the open processes against their distributions (fixed seed,
// tolerance from a 99.9% interval of the count), and the closed loop's sends worked out by hand.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>

#include "sim/core/simulator.h"
#include "sim/model/cluster.h"
#include "sim/model/workload.h"

namespace servesim {
namespace {

/// A workload of `mode` with its keys set by `set`, in front of one node of one core whose one
/// worker takes `service` per request (by default 1 us: far from saturation at the open rates
/// below). The parameters are built by hand: the model's tests do not read scenarios.
template <class Set>
ScenarioParams one_worker(WorkloadMode mode, Set set, Time service = 1000) {
  ScenarioParams p;
  p.run.duration = 10 * kSecond;
  p.node.cpu.cores = 1;
  p.workload.mode = mode;
  set(p.workload);
  StageParams work;
  work.name = "work";
  work.service.dist = Distribution::make(DistKind::kDeterministic, static_cast<double>(service), 0);
  p.pipeline.push_back(work);
  return p;
}

/// Arrivals the workload of `p` made by `until`, on a fresh cluster.
std::uint64_t arrivals(const ScenarioParams& p, Time until, std::uint64_t replication = 0) {
  Simulator sim;
  Cluster cluster(sim, p, replication);
  Workload workload(sim, cluster, p.workload, p.seed, replication);
  workload.start();
  sim.run_until(until);
  return cluster.counters().arrivals;
}

/// An open workload at 1000/s with `arrival` (and `cv`, for gamma).
ScenarioParams open_1000(ArrivalProcess arrival, double cv = 1.0) {
  return one_worker(WorkloadMode::kOpen, [&](WorkloadParams& w) {
    w.rate_per_s = 1000;
    w.arrival = arrival;
    w.cv = cv;
  });
}

/// `clients` closed-loop clients on a 1 ms worker, thinking `think` (0: none) between requests.
ScenarioParams closed_1ms(int clients, Time think = 0) {
  return one_worker(
      WorkloadMode::kClosed,
      [&](WorkloadParams& w) {
        w.concurrency = clients;
        if (think)
          w.think_time =
              Distribution::make(DistKind::kDeterministic, static_cast<double>(think), 0);
      },
      kMillisecond);
}

constexpr double kZ999 = 3.29;  // two-sided 99.9% normal quantile

}  // namespace

TEST_CASE("workload: constant arrivals come exactly every 1/rate", "[unit]") {
  // At 1 ms, 2 ms, ..., 1000 ms: 1000 by t = 1 s (an event at the end is in).
  CHECK(arrivals(open_1000(ArrivalProcess::kConstant), kSecond) == 1000);
}

TEST_CASE("workload: Poisson arrivals over 10 s count rate x T within a 99.9% interval", "[unit]") {
  // N ~ Poisson(10000): sd 100.
  const double mean = 1000.0 * 10;
  for (std::uint64_t rep = 0; rep < 3; ++rep) {
    const auto n =
        static_cast<double>(arrivals(open_1000(ArrivalProcess::kPoisson), 10 * kSecond, rep));
    CHECK(std::abs(n - mean) < kZ999 * std::sqrt(mean));
  }
}

TEST_CASE("workload: gamma arrivals keep the rate; their count spreads with the cv", "[unit]") {
  // A renewal process's count over a long T has variance ~ rate T cv^2: sd 100 x 2 = 200.
  const double mean = 1000.0 * 10;
  const auto n = static_cast<double>(arrivals(open_1000(ArrivalProcess::kGamma, 2), 10 * kSecond));
  CHECK(std::abs(n - mean) < kZ999 * std::sqrt(mean) * 2);
}

TEST_CASE("workload: a closed loop sends the next request when one completes", "[unit]") {
  // 5 clients on a 1 ms server: one completion per ms, each followed by a send, plus the 5 sent
  // at t = 0: 105 by t = 100.5 ms.
  CHECK(arrivals(closed_1ms(5), us(100500)) == 105);
}

TEST_CASE("workload: a closed client thinks between a response and its next send", "[unit]") {
  // 1 ms of service, then 1 ms of thought: sends at 0, 2, ..., 100 ms.
  CHECK(arrivals(closed_1ms(1, kMillisecond), us(100500)) == 51);
}

TEST_CASE("workload: a step schedule doubles constant arrivals from 10 ms", "[unit]") {
  // Every 1 ms to 10 ms, then every 0.5 ms: 10.5, 11, 11.5 ms by 11.75 ms; 10 + 20 by 20 ms.
  ScenarioParams p = open_1000(ArrivalProcess::kConstant);
  p.workload.schedule = RateSchedule{RateSchedule::Shape::kStep, {0, 10e6}, {1, 2}};
  CHECK(arrivals(p, us(10000)) == 10);
  CHECK(arrivals(p, us(11750)) == 13);
  CHECK(arrivals(p, us(20000)) == 30);
}

TEST_CASE("workload: a ramp places constant arrivals at the inverse of its integral", "[unit]") {
  // Factor 1 -> 3 over 10 ms: Λ(t) = t + 0.1 t² (ms); the k-th arrival at Λ = k ms comes at
  // t = (-1 + sqrt(1 + 0.4 k)) / 0.2: 0.916 ms (k = 1), 8.964 ms (k = 17), 9.318 ms (k = 18),
  // 10 ms (k = 20).
  ScenarioParams p = open_1000(ArrivalProcess::kConstant);
  p.workload.schedule = RateSchedule{RateSchedule::Shape::kLinear, {0, 10e6}, {1, 3}};
  CHECK(arrivals(p, us(916)) == 0);
  CHECK(arrivals(p, us(917)) == 1);
  CHECK(arrivals(p, us(9000)) == 17);
  CHECK(arrivals(p, us(10000)) == 20);
  CHECK(arrivals(p, us(11000)) == 23);  // then every 1/3 ms: 10.33, 10.67, 11.0
}

TEST_CASE(
    "workload: Poisson arrivals under a schedule count its integral within a 99.9% "
    "interval",
    "[unit]") {
  // 1000/s for 5 s, then 3000/s for 5 s: N ~ Poisson(20000), sd 141.
  ScenarioParams p = open_1000(ArrivalProcess::kPoisson);
  p.workload.schedule = RateSchedule{RateSchedule::Shape::kStep, {0, 5e9}, {1, 3}};
  const double mean = 20000;
  for (std::uint64_t rep = 0; rep < 3; ++rep) {
    const auto n = static_cast<double>(arrivals(p, 10 * kSecond, rep));
    CHECK(std::abs(n - mean) < kZ999 * std::sqrt(mean));
  }
}

}  // namespace servesim
