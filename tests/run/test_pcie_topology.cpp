// The paper's node described as a PCIe tree (configs/hardware/i9-13900k-rtx4090.yaml) runs
// exactly as the same links written as host_link + gpu_link: the tree changes names, not times.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "sim/model/replication.h"
#include "sim/scenario/scenario.h"

namespace servesim {
namespace {

/// Every request's latency of one replication, in exact ns.
class Latencies final : public Observer {
 public:
  void request_done(Time latency) override { all.push_back(latency); }
  void stage_done(std::uint32_t, const StageSpan&) override {}
  void batch_done(std::uint32_t, std::size_t, const StageSpan&) override {}
  std::vector<Time> all;
};

std::vector<Time> latencies(const ScenarioParams& p) {
  Latencies rec;
  run_replication(p, 0, rec);
  return rec.all;
}

ScenarioParams paper(std::vector<std::string> overrides) {
  overrides.push_back("run={duration: 2s, warmup: 500ms, replications: 1}");
  return load_scenario(std::filesystem::path(SERVESIM_SOURCE_DIR) /
                           "configs/scenarios/paper-vit-base-gpu.yaml",
                       overrides)
      .params;
}

/// The same node with host_link + gpu_link in place of the tree.
ScenarioParams flat(ScenarioParams p, double gpu_bytes_per_s) {
  p.node.pcie = PcieParams{};
  p.node.pcie.host_link = {51e9, us(1)};
  p.node.pcie.gpu_link = {gpu_bytes_per_s, us(5)};
  return p;
}

}  // namespace

TEST_CASE("the paper's node as a PCIe tree runs as host_link + gpu_link do, one GPU or two",
          "[unit]") {
  // One GPU in slot1: 51 GB/s root port, 25.6 GB/s slot, as the file had them before the tree.
  const ScenarioParams one = paper({});
  REQUIRE(!one.node.pcie.topology.empty());
  const std::vector<Time> tree = latencies(one);
  CHECK(tree.size() > 1000);
  CHECK(latencies(flat(one, 25.6e9)) == tree);
  // Two GPUs: slot1 trains x8 beside slot2, so each GPU has 12.8 GB/s under the shared root.
  const ScenarioParams two = paper({"node.gpus.count=2", "workload.concurrency=512"});
  CHECK(latencies(flat(two, 12.8e9)) == latencies(two));
}

}  // namespace servesim
