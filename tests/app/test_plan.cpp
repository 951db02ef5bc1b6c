// `servesim plan` on a problem small enough to solve by hand.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "sim/app/plan.h"
#include "sim/metrics/uncertainty.h"
#include "sim/run/uncertainty.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {

namespace {

/// The hand-worked problem's options: one GPU stage of `service` (10 ms per request), 250 req/s
/// at p99 <= 50 ms, a GPU at 1 and a node at 1.5; `more` is appended to the scenario.
PlanOptions hand_worked(const test::TempDir& dir, const std::string& service,
                        const std::string& more) {
  PlanOptions o;
  o.scenario = dir.write("s.yaml", R"(
run: {duration: 10s, warmup: 1s, replications: 2}
workload: {mode: open, rate: 100/s, arrival: constant}
node:
  cpu: {cores: 1}
  gpus: {count: 1}
  pcie: {host_link: {bandwidth: 32GB/s}, gpu_link: {bandwidth: 32GB/s}}
pipeline: [{name: infer, device: gpu, instances: 1, service: )" +
                                       service + "}]\n" + more);
  o.target_rate = 250;
  o.slo_ms = 50;
  o.cost_gpu = 1;
  o.cost_node = 1.5;
  o.instances = {1};
  return o;
}

}  // namespace

TEST_CASE("plan finds the optimum of a problem worked out by hand", "[unit]") {
  // One GPU stage of exactly 10 ms per request: a GPU serves 100 req/s whatever its instances.
  // Constant arrivals never queue below capacity, so latency is 10 ms at any stable load and
  // p99 <= 50 ms holds iff each node's rate is below 100 g. For 250 req/s in all:
  //   g = 1: 3 nodes (83/s each), cost 3 x (1 + 1.5) = 7.5
  //   g = 2: 2 nodes (125/s each), cost 2 x (2 + 1.5) = 7
  //   g = 4: 1 node (250/s), cost 4 + 1.5 = 5.5   <- the plan
  //   g = 8: 1 node, cost 9.5: above the third-best (7.5), so pruned without solving it.
  test::TempDir dir;
  PlanOptions o = hand_worked(dir, "{dist: deterministic, mean: 10ms}", "");
  const PlanResult r = run_plan(o);
  REQUIRE(r.feasible.size() == 3);
  CHECK(r.feasible[0].gpus == 4);
  CHECK(r.feasible[0].nodes == 1);
  CHECK(r.feasible[0].cost == 5.5);
  CHECK(r.feasible[0].quantile_ms == Approx(10).epsilon(0.005));  // the histogram's 0.5%
  CHECK(r.feasible[0].node_capacity == Approx(400).epsilon(0.01));
  CHECK(r.feasible[1].gpus == 2);
  CHECK(r.feasible[1].nodes == 2);
  CHECK(r.feasible[2].gpus == 1);
  CHECK(r.feasible[2].nodes == 3);
  CHECK(r.configurations == 4);
  CHECK(r.pruned == 1);
  CHECK(r.simulations == 4 + 3);  // a capacity run per configuration, one SLO check each

  // An SLO below the service time cannot be met by any node count.
  o.slo_ms = 5;
  o.max_nodes = 16;
  CHECK(run_plan(o).feasible.empty());
}

TEST_CASE("plan gives the cores per GPU that keep the GPUs busy, from the CPU's demand", "[unit]") {
  // A CPU stage of 30 ms per request before a GPU stage of 10 ms: each GPU serves 100 req/s and
  // each request needs 0.03 core-seconds, so 3 cores per GPU keep a GPU busy, whatever the node
  // has. With 2 cores the 1-GPU node is CPU-bound at 66.7 req/s and still needs 3 per GPU; with 2
  // GPUs and 8 cores it runs at 200 req/s and needs 3 per GPU (6 of its 8 busy).
  test::TempDir dir;
  PlanOptions o;
  o.scenario = dir.write("s.yaml", R"(
run: {duration: 20s, warmup: 2s, replications: 2}
workload: {mode: open, rate: 10/s, arrival: constant}
node:
  cpu: {cores: 2}
  gpus: {count: 1}
  pcie: {host_link: {bandwidth: 32GB/s}, gpu_link: {bandwidth: 32GB/s}}
pipeline:
  - {name: prep, device: cpu, instances: 64, service: {dist: deterministic, mean: 30ms}}
  - {name: infer, device: gpu, instances: 1, service: {dist: deterministic, mean: 10ms}}
)");
  o.target_rate = 50;
  o.slo_ms = 1000;
  o.instances = {1};
  o.gpus = {1, 2};
  o.cores = {2, 8};
  const PlanResult r = run_plan(o);
  REQUIRE(!r.feasible.empty());
  for (const PlanCandidate& c : r.feasible) {
    INFO(c.gpus << " GPUs, " << c.cores << " cores");
    CHECK(c.cpu_demand_ms == Approx(30).epsilon(0.01));
    CHECK(c.gpu_bound_rps == Approx(100.0 * c.gpus).epsilon(0.01));
    CHECK(c.cores_per_gpu_needed() == Approx(3).epsilon(0.02));
  }
}

TEST_CASE("plan scales the CPU stages' workers with the cores it tries, unless told not to",
          "[unit]") {
  // A CPU stage of 4 workers, 10 ms each, on 4 cores: 400 req/s. Tried on 8 cores its workers
  // become round(4 x 8 / 4) = 8: 800 req/s. With --fixed-workers the 4 workers stay the limit on
  // 8 cores too: 400 req/s (before this rule, the only behaviour: more cores bought nothing).
  test::TempDir dir;
  PlanOptions o;
  o.scenario = dir.write("s.yaml", R"(
run: {duration: 10s, warmup: 1s, replications: 2}
workload: {mode: open, rate: 10/s, arrival: constant}
node: {cpu: {cores: 4}}
pipeline:
  - {name: decode, device: cpu, instances: 4, service: {dist: deterministic, mean: 10ms}}
)");
  o.target_rate = 300;
  o.slo_ms = 1000;
  o.gpus = {0};
  o.cores = {4, 8};
  o.cost_cpu_core = 1;
  const auto capacity = [](const PlanResult& r, int cores) {
    for (const PlanCandidate& c : r.feasible)
      if (c.cores == cores) return c.node_capacity;
    return 0.0;
  };
  const PlanResult scaled = run_plan(o);
  CHECK(capacity(scaled, 4) == Approx(400).epsilon(0.01));
  CHECK(capacity(scaled, 8) == Approx(800).epsilon(0.01));
  o.fixed_workers = true;
  const PlanResult fixed = run_plan(o);
  CHECK(capacity(fixed, 8) == Approx(400).epsilon(0.01));
  // The rows as --out writes them: the cheaper 4-core node first.
  const std::string csv = plan_csv(o, fixed);
  CHECK(csv.starts_with("rank,nodes,node.gpus.count,node.cpu.cores,"));
  CHECK(csv.find("\n1,1,0,4,") != std::string::npos);
  CHECK(plan_json(o, fixed).find("\"node.cpu.cores\": 4") != std::string::npos);
}

TEST_CASE("run_plan refuses impossible options at the option, before it simulates", "[unit]") {
  // Options a library caller sets directly, as the command line does after parsing them.
  PlanOptions o;
  o.target_rate = 100;
  o.slo_ms = 50;
  auto option_of = [&](PlanOptions bad) {
    return test::config_error([&] { run_plan(bad); }).mark().file;
  };
  PlanOptions b = o;
  b.max_nodes = -5;
  CHECK(option_of(b) == "--max-nodes");
  b = o;
  b.target_rate = std::nan("");
  CHECK(option_of(b) == "--target-rate");
  b = o;
  b.slo_ms = 0;
  CHECK(option_of(b) == "--slo");
  b = o;
  b.gpus = {2, -1};
  CHECK(option_of(b) == "--gpus");
  b = o;
  b.instances = {0};
  CHECK(option_of(b) == "--instances");
  b = o;
  b.delays = {"-1ms"};
  CHECK(option_of(b) == "--delay");
  b = o;
  b.stage = "nosuch";
  CHECK(option_of(b) == "--stage");
}

TEST_CASE("plan --uncertainty plans against the draws' lowest capacity and highest latency",
          "[unit]") {
  // The hand-worked problem above with the service a curve of 10 ms whose band is [1, 1.3]: in
  // draw d a GPU serves 100 / f_d req/s and, below that, every request takes 10 f_d ms. With 5
  // draws the p95 of p99 over the draws lies between the two slowest draws' (h = 3.8), so an
  // overloaded slowest draw (its latency grows through the run) fails the check. One GPU per
  // node at 3 nodes (83.3/s each) is overloaded iff 100 / f > 83.3, i.e. f > 1.2; at 4 nodes
  // (62.5/s) never. Two GPUs at 2 nodes (125/s vs >= 153.8/s) and four at 1 (250/s vs >= 307.7/s)
  // always hold, and latency stays <= 13 ms < 50 ms.
  test::TempDir dir;
  PlanOptions o = hand_worked(dir, "{curve: c}",
                              "curves:\n  c: {form: constant, coef: {a: 10ms}, source: t, "
                              "uncertainty: {low: 1, high: 1.3, source: t}}\n");
  o.gpus = {1, 2, 4};
  o.uncertainty = 5;
  const std::vector<UncertaintyBand> band{{"c", 1, 1.3, "t"}};
  std::vector<double> f;
  for (std::size_t d = 0; d < 5; ++d) f.push_back(draw_factors(1, d, band)[0]);
  const double slowest = *std::max_element(f.begin(), f.end());
  INFO("factors " << f[0] << " " << f[1] << " " << f[2] << " " << f[3] << " " << f[4]);
  const PlanResult r = run_plan(o);
  REQUIRE(r.feasible.size() == 3);
  CHECK(r.feasible[0].gpus == 4);
  CHECK(r.feasible[0].nodes == 1);
  // Capacity: the draws' p5 of 400 / f, h = 0.2 between the two fastest draws' (the nominal,
  // 400, is above it).
  std::vector<double> cap;
  for (const double x : f) cap.push_back(400 / x);
  CHECK(r.feasible[0].node_capacity == Approx(quantile(cap, 0.05)).epsilon(0.01));
  // The p99 is the draws' p95 of 10 f ms (the histogram's 0.5%).
  std::vector<double> lat;
  for (const double x : f) lat.push_back(10 * x);
  CHECK(r.feasible[0].quantile_ms == Approx(quantile(lat, 0.95)).epsilon(0.005));
  CHECK(r.feasible[1].gpus == 2);
  CHECK(r.feasible[1].nodes == 2);
  CHECK(r.feasible[2].gpus == 1);
  CHECK(r.feasible[2].nodes == (slowest > 1.2 ? 4 : 3));
}

}  // namespace servesim
