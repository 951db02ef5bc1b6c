// A GPU stage's full batch must fit in node.gpus.memory less reserved_memory (issue 22): the
// paper's scenario with the memory left cut below one DALI batch of 64 medium images is refused
// at that batch size, naming the largest that fits.

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

ScenarioParams paper_node_with(const std::string& reserved) {
  const std::filesystem::path configs = std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs";
  ConfigNode root = load_config_file(configs / "scenarios/paper-vit-base-gpu.yaml");
  apply_override(root, "node.gpus.reserved_memory=" + reserved, 1);
  return parse_scenario(root);
}

}  // namespace

TEST_CASE("gpu memory: a batch whose tensors cannot fit is refused at its max_batch_size",
          "[unit]") {
  // DALI's batch of 64 medium images: the RGB tensor of 500 x 375 x 3 bytes, 549 KiB, is the
  // most a request holds on the GPU there; 64 of them are 34.3 MiB.
  CHECK_NOTHROW(paper_node_with("24528MiB"));                                     // 48 MiB left
  const ConfigError e = test::config_error([] { paper_node_with("24544MiB"); });  // 32 MiB left
  CHECK(e.key() == "pipeline.decode.batching.max_batch_size");
  CHECK(e.mark().line > 0);
  CHECK_THAT(e.message(), Contains("a batch of 64 needs 64 x 549 KiB"));
  CHECK_THAT(e.message(), Contains("leaves 32 MiB: at most 59 fit"));
  const ConfigError none = test::config_error([] { paper_node_with("24575.9MiB"); });
  CHECK_THAT(none.message(), Contains("not even one request fits"));
}

}  // namespace servesim
