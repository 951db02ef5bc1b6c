#pragma once
/// `servesim report`: a run as one self-contained HTML page (no scripts, no external files):
/// the key numbers, where latency goes per stage, utilisation and the bottleneck, the laws
/// checked, and the config that produced it.

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace servesim {

/// `s` with & < > " as HTML entities.
std::string html_escape(const std::string& s);
/// The page's start up to its <h1> title: the styles every servesim report shares.
std::string html_head(const std::string& title);

/// The step between an axis's ticks: the smallest 1, 2 or 5 times a power of ten that spans
/// `range` in at most 8 steps; 1 for a range that is not positive.
double axis_step(double range);

/// `result` is what `servesim run --json` writes; `source` names the scenario. The result is
/// checked first (check_result): one that is not such a document is a ConfigError at `source`.
std::string html_report(const nlohmann::ordered_json& result, const std::string& source);

}  // namespace servesim
