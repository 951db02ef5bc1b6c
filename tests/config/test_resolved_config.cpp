// The resolved config that every JSON result carries is a scenario servesim accepts again, and
// reading it back gives the same parameters: a result can always be re-run from itself.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"

namespace servesim {

TEST_CASE("the resolved config reads back to the same resolved config", "[unit]") {
  const std::filesystem::path configs = std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs";
  for (const char* file :
       {"scenarios/mm4.yaml", "scenarios/paper-vit-base-gpu.yaml",
        "scenarios/paper-vit-base-cpu.yaml", "scenarios/fig9-inference-only.yaml",
        "scenarios/face-pipeline-kafka.yaml", "scenarios/face-pipeline-redis.yaml",
        "scenarios/face-pipeline-fused.yaml"}) {
    for (const char* extra :
         {"seed=7",
          "cluster={nodes: 3, balancer: {policy: power_of_two, max_outstanding_per_node: 8}}"}) {
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

}  // namespace servesim
