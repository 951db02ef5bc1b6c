#pragma once
/// The catalog: servesim's configs/ (config_dir()) as named parts a planner can list and put
/// together. `servesim list hardware|hosts|models|curves|scenarios` shows each entry's name, its
/// `description:` (one line, saying where its numbers come from) and its file; `servesim run` (or
/// `plan`) `--hardware NAME --model NAME [--images SET] [--preprocess gpu|cpu]` composes a scenario
/// from a hardware file (its node and the curves it includes), a model, and one of the paper's
/// pipelines (docs/guide.md, "The catalog", gives the rule).

#include <string>
#include <vector>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"

namespace servesim {

/// The entries of one part of the catalog as a table for people; `kind` is hardware, hosts,
/// models, curves or scenarios (else a UsageError). hosts/ holds the CPU and memory that
/// hardware files include.
std::string catalog_list(const std::string& kind);

struct CatalogChoice {
  std::string hardware;  // a file of configs/hardware/, without .yaml
  std::string model;     // a key of configs/models/*.yaml's models
  std::string images = "medium";
  std::string preprocess = "gpu";
};

/// The scenario `c` names as a configuration tree, with `overrides` (--set) applied on top, and
/// its name, as the run header shows it. A name the catalog does not hold is a ConfigError at
/// the option (--hardware, --model, ...) with the closest names.
struct ComposedConfig {
  ConfigNode root;
  std::string source;
};
ComposedConfig compose_config(const CatalogChoice& c, const std::vector<std::string>& overrides);

/// compose_config's scenario, parsed (run --hardware).
LoadedScenario compose_scenario(const CatalogChoice& c, const std::vector<std::string>& overrides);

}  // namespace servesim
