// cluster.autoscale, worked out by hand: constant arrivals through 1 ms workers make every
// window's utilisation exact, so each decision, boot and removal happens at a known time.

#include <catch2/catch.hpp>

#include <string>

#include "sim/config/tree.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"

namespace servesim {
namespace {

/// 500/s of constant arrivals on 1 ms workers, 800/s from 30 s, 400/s from 80 s, for 120 s; the
/// autoscaler aims at 50% every 10 s, nodes take 15 s to boot and 5 s to load; `extra` adds to
/// the run and the autoscaler.
RunSummary step(const std::string& run_extra, const std::string& autoscale_extra) {
  const std::string yaml =
      "run: {duration: 120s, replications: 1" + run_extra +
      "}\n"
      "workload:\n"
      "  mode: open\n"
      "  rate: 500/s\n"
      "  arrival: constant\n"
      "  schedule: {at: [0s, 30s, 80s], factor: [1, 1.6, 0.8]}\n"
      "cluster:\n"
      "  nodes: 1\n"
      "  autoscale: {min_nodes: 1, max_nodes: 3, window: 10s, boot_time: 15s, "
      "load_time: 5s" +
      (autoscale_extra.find("concurrency") == std::string::npos ? ", target_utilization: 0.5"
                                                                : "") +
      autoscale_extra +
      "}\n"
      "node: {cpu: {cores: 1}}\n"
      "pipeline: [{name: s, device: cpu, service: {dist: deterministic, "
      "mean: 1ms}}]\n";
  return run_scenario(parse_scenario(load_config_text(yaml, "<test>", ".")), 1);
}

}  // namespace

TEST_CASE(
    "autoscale: a node boots when utilisation passes the target, serves after its boot "
    "and load, and leaves when the load falls",
    "[unit]") {
  // 500/s on one 1 ms worker: utilisation 0.5, the target. From 30 s 800/s: 0.8 over [30, 40],
  // ratio 1.6, so at 40 s it wants ceil(1 x 1.6) = 2 and boots node 1, serving at 40 + 15 + 5 =
  // 60 s. At 50 s one node still reads 0.8 but 2 are already counted; from 60 s each serves
  // 400/s (0.4, ratio 0.8: ceil(2 x 0.8) = 2, no change). From 80 s 400/s: 0.2 each, ratio 0.4,
  // so at 90 s it wants ceil(2 x 0.4) = 1 and node 1 stops serving (no stabilization); node 0
  // alone then reads 0.4, ratio 0.8, ceil(0.8) = 1.
  const RunSummary s = step(", interval: 10s", ", stabilization: 0s");
  REQUIRE(s.series.size() == 12);
  const double serving[] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1};
  for (std::size_t k = 0; k < 12; ++k) {
    INFO("window from " << s.series[k].start_s << " s");
    CHECK(s.series[k].nodes_serving == Approx(serving[k]));
    // Nothing queues: every request takes its 1 ms.
    CHECK(s.series[k].p99_ms == Approx(1.0));
  }
  REQUIRE(s.has_autoscale);
  // Serving: 120 s of node 0 and 60 to 90 s of node 1. Billed: node 1 from its boot at 40 s to
  // 90 s, plus at most the 1 ms it takes to drain.
  CHECK(s.nodes_serving_mean == Approx((120.0 + 30.0) / 120.0));
  CHECK(s.node_hours * 3600 >= 170.0);
  CHECK(s.node_hours * 3600 <= 170.0 + 0.001);
}

TEST_CASE("autoscale: on concurrency, the same timeline (1 ms workers: inside = rate x 1 ms)",
          "[unit]") {
  // Little's law on a 1 ms worker that never queues: 500/s keeps 0.5 requests inside, as it
  // keeps it 50% busy, so a 0.5-request target decides exactly as the 50% one above.
  const RunSummary s =
      step(", interval: 10s", ", stabilization: 0s, metric: concurrency, target_concurrency: 0.5");
  const RunSummary u = step(", interval: 10s", ", stabilization: 0s");
  REQUIRE(s.series.size() == u.series.size());
  for (std::size_t k = 0; k < s.series.size(); ++k)
    CHECK(s.series[k].nodes_serving == Approx(u.series[k].nodes_serving));
  CHECK(s.node_hours == Approx(u.node_hours));
}

TEST_CASE("autoscale: stabilization keeps the nodes a recent decision wanted", "[unit]") {
  // As above, with 300 s of stabilization: at 90 s the most wanted over the last 300 s is 2, so
  // node 1 keeps serving to the end.
  const RunSummary s = step("", "");
  CHECK(s.nodes_serving_mean == Approx((120.0 + 60.0) / 120.0));
  CHECK(s.node_hours * 3600 == Approx(120.0 + 80.0));
}

}  // namespace servesim
