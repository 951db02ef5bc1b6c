#pragma once
/// Reading the `curves:` map (name -> service-time curve) of a scenario or a curves file.

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/tree.h"
#include "sim/curves/curve.h"

namespace servesim {

using CurveSet = std::map<std::string, Curve, std::less<>>;

/// Parses every curve of `curves_map`; `path` is its key path in messages. Every key is checked
/// (docs/config-reference.md, `curves`): errors are ConfigError with file:line:col and key path.
CurveSet parse_curves(const ConfigNode& curves_map, const std::string& path = "curves");

/// The curve called `name` for a stage; an unknown name is a ConfigError at `at` naming `key`,
/// with a did-you-mean over the set.
const Curve& find_curve(const CurveSet& curves, std::string_view name, const ConfigNode& at,
                        const std::string& key);

/// A curve as the YAML schema writes it, so that parse_curves reads back the same curve.
nlohmann::ordered_json curve_json(const Curve& c);

/// The docs' tables of a curve's keys and of its forms (docs/config-reference.md, `curves`),
/// printed from the tables parse_curves and curve_json read and write by.
std::string curve_keys_doc();
std::string curve_forms_doc();

/// The shortest decimal text that reads back to exactly `v` ("10", "0.045", "7.9e-05").
std::string shortest(double v);

}  // namespace servesim
