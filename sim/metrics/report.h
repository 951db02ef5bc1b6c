#pragma once
/// Writers for a run's summary: the JSON keys of DESIGN.md and a table for people.

#include <ostream>

#include <nlohmann/json.hpp>

#include "sim/metrics/run_summary.h"

namespace servesim {

/// The run as JSON (keys per DESIGN.md "Outputs"); `config` is the resolved config.
nlohmann::ordered_json summary_json(const RunSummary& s, const nlohmann::ordered_json& config);

/// A readable summary: throughput, latency percentiles, per-stage breakdown, resources, laws.
void print_summary(std::ostream& out, const RunSummary& s, const std::string& source);

}  // namespace servesim
