// Fuzz target: the scenario loader as `servesim run FILE --set K=V ...` uses it, up to a
// validated ScenarioParams and the resolved config that `run --json` writes; nothing simulated.
// Input: the scenario's YAML text, then each --set string, separated by 0 bytes.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/scenario/scenario.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

namespace fs = std::filesystem;

/// The scenario file sits in scratch/scenarios/, beside links to the source tree's configs/
/// folders, so that a seed's `include: ../curves/rtx4090.yaml` resolves as it does in configs/.
const fs::path& scenario_file() {
  static const fs::path file = [] {
    const fs::path root = servesim::fuzz::scratch_dir();
    fs::create_directory(root / "scenarios");
    for (const char* d : {"curves", "hardware", "images", "models"})
      fs::create_directory_symlink(fs::path(SERVESIM_SOURCE_DIR) / "configs" / d, root / d);
    return root / "scenarios" / "fuzz.yaml";
  }();
  return file;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = servesim::fuzz::split_at_nul(servesim::fuzz::as_text(data, size));
  const fs::path& file = scenario_file();  // makes its folder, once
  servesim::fuzz::write_scratch("scenarios/fuzz.yaml", parts[0]);
  const std::vector<std::string> sets(parts.begin() + 1, parts.end());
  servesim::fuzz::run_reader([&] {
    const servesim::LoadedScenario sc = servesim::load_scenario(file, sets);
    (void)servesim::resolved_config(sc.params).dump();
  });
  return 0;
}
