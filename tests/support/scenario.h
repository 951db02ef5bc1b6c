#pragma once
/// A scenario from YAML text in a test, with `--set`-style overrides applied in order.

#include <initializer_list>
#include <string>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"

namespace servesim::test {

inline ScenarioParams parse(const std::string& yaml,
                            std::initializer_list<std::string> overrides = {}) {
  ConfigNode root = load_config_text(yaml, "<test>", ".");
  int i = 0;
  for (const std::string& o : overrides) apply_override(root, o, ++i);
  return parse_scenario(root);
}

}  // namespace servesim::test
