#pragma once
/// From a config tree to validated ScenarioParams, and back to a resolved config for outputs.

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/tree.h"
#include "sim/config/units.h"  // format_duration, which outputs use beside the resolved config
#include "sim/model/params.h"

namespace servesim {

/// Validates every key (see docs/config-reference.md) and builds the parameters.
ScenarioParams parse_scenario(const ConfigNode& root);

/// Loads FILE (or the built-in default when empty), applies --set overrides in order, parses.
struct LoadedScenario {
  ScenarioParams params;
  std::string source;  // the file, or "<built-in default>"
};
LoadedScenario load_scenario(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides);

/// The built-in default scenario: the paper's node, ViT-base on medium images with GPU
/// preprocessing (configs/scenarios/paper-vit-base-gpu.yaml of the tree servesim was built from).
/// servesim's configs/: $SERVESIM_CONFIG_DIR when set, else share/servesim/configs beside or
/// one level above the running binary (installed, or a build tree); empty when none is there.
std::filesystem::path config_dir();
/// The built-in default scenario (configs/scenarios/paper-vit-base-gpu.yaml); empty when
/// config_dir() is.
std::filesystem::path default_scenario_path();

/// The parameters as a config that servesim accepts again (units written out).
nlohmann::ordered_json resolved_config(const ScenarioParams& p);

}  // namespace servesim
