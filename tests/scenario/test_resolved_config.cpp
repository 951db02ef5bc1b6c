// The resolved config that every JSON result carries is a scenario servesim accepts again, and
// reading it back gives the same parameters: a result can always be re-run from itself.
#include <catch2/catch.hpp>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"

namespace servesim {

TEST_CASE("the resolved config reads back to the same resolved config", "[unit]") {
  const std::filesystem::path configs = std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs";
  for (const char* file :
       {"scenarios/mm4.yaml", "scenarios/paper-vit-base-gpu.yaml",
        "scenarios/paper-vit-base-cpu.yaml", "scenarios/fig9-inference-only.yaml",
        "scenarios/face-pipeline-kafka.yaml", "scenarios/face-pipeline-redis.yaml",
        "scenarios/face-pipeline-fused.yaml", "scenarios/epyc-2vcpu-frameworks.yaml"}) {
    for (const char* extra :
         {"seed=7",
          "cluster={nodes: 3, balancer: {policy: power_of_two, max_outstanding_per_node: 8}}",
          "node.cpu={cores: 4, scheduler: per_core, stalls: {interval: {dist: exponential, mean: "
          "300ms}, duration: {dist: empirical, samples: [60us, 600us, 4ms]}}, slowdowns: "
          "{interval: 2s, duration: {dist: exponential, mean: 150ms}, speed: 0.7}}"}) {
      INFO(file << " with " << extra);
      ConfigNode root = load_config_file(configs / file);
      apply_override(root, extra, 1);
      const auto first = resolved_config(parse_scenario(root));
      const ConfigNode again = load_config_text(first.dump(2), "<resolved>", configs);
      const auto second = resolved_config(parse_scenario(again));
      CHECK(first.dump(2) == second.dump(2));
    }
  }
}

TEST_CASE("the resolved config writes sizes and bandwidths in the units people use, exactly",
          "[unit]") {
  // Issue 20: the config dump showed "memory": "25769803776B" and "5.1e+10B/s".
  const std::filesystem::path configs = std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs";
  ConfigNode root = load_config_file(configs / "scenarios/paper-vit-base-gpu.yaml");
  int n = 0;
  for (const char* set :
       {"node.gpus.memory=24GiB", "node.memory.bandwidth=100Gbit/s",
        "node.network.bandwidth=1234567B/s",
        "workload.images=[{name: tiny, width: 10, height: 10, bytes: 4096B}]",
        "node.pcie.topology.cpu_x16.bandwidth=51GB/s", "node.pcie.topology.dmi.bandwidth=1500B/s"})
    apply_override(root, set, ++n);
  const ScenarioParams p = parse_scenario(root);
  const auto j = resolved_config(p);
  CHECK(j["node"]["gpus"]["memory"] == "24GiB");
  CHECK(j["node"]["memory"]["bandwidth"] == "12.5GB/s");  // 100 Gbit/s
  // No unit writes 1234567 shorter; 1500 B/s is as short as 1.5kB/s: the base unit stays.
  CHECK(j["node"]["network"]["bandwidth"] == "1234567B/s");
  CHECK(j["node"]["pcie"]["topology"][5]["bandwidth"] == "1500B/s");
  CHECK(j["workload"]["images"][0]["bytes"] == "4KiB");
  CHECK(j["node"]["pcie"]["topology"][0]["bandwidth"] == "51GB/s");
  // Read back, every value is the same double.
  const ScenarioParams q = parse_scenario(load_config_text(j.dump(2), "<resolved>", configs));
  CHECK(q.node.gpus.memory_bytes == p.node.gpus.memory_bytes);
  CHECK(q.node.memory.bytes_per_s == p.node.memory.bytes_per_s);
  CHECK(q.node.network->bytes_per_s == p.node.network->bytes_per_s);
}

}  // namespace servesim
