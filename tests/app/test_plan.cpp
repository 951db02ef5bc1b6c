// `servesim plan` on a problem small enough to solve by hand.
#include <catch2/catch.hpp>

#include <cmath>

#include "sim/app/plan.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {

TEST_CASE("plan finds the optimum of a problem worked out by hand", "[unit]") {
  // One GPU stage of exactly 10 ms per request: a GPU serves 100 req/s whatever its instances.
  // Constant arrivals never queue below capacity, so latency is 10 ms at any stable load and
  // p99 <= 50 ms holds iff each node's rate is below 100 g. For 250 req/s in all:
  //   g = 1: 3 nodes (83/s each), cost 3 x (1 + 1.5) = 7.5
  //   g = 2: 2 nodes (125/s each), cost 2 x (2 + 1.5) = 7
  //   g = 4: 1 node (250/s), cost 4 + 1.5 = 5.5   <- the plan
  //   g = 8: 1 node, cost 9.5: above the third-best (7.5), so pruned without solving it.
  test::TempDir dir;
  PlanOptions o;
  o.scenario = dir.write("s.yaml", R"(
run: {duration: 10s, warmup: 1s, replications: 2}
workload: {mode: open, rate: 100/s, arrival: constant}
node:
  cpu: {cores: 1}
  gpus: {count: 1}
  pcie: {host_link: {bandwidth: 32GB/s}, gpu_link: {bandwidth: 32GB/s}}
pipeline: [{name: infer, device: gpu, instances: 1, service: {dist: deterministic, mean: 10ms}}]
)");
  o.target_rate = 250;
  o.slo_ms = 50;
  o.cost_gpu = 1;
  o.cost_node = 1.5;
  o.instances = {1};
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

}  // namespace servesim
