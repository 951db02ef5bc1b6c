#pragma once
/// Running a scenario: its replications on a thread pool, each measured through the model, then
/// condensed by metrics' summarize. The one place the model and the metrics meet.

#include <nlohmann/json.hpp>

#include "sim/metrics/run_summary.h"
#include "sim/metrics/uncertainty.h"
#include "sim/model/params.h"
#include "sim/model/tracer.h"

namespace servesim {

/// Runs every replication (on up to `threads` threads; the result does not depend on it).
/// With a tracer, replication 0 reports its spans to it.
RunSummary run_scenario(const ScenarioParams& params, int threads = 1, Tracer* tracer = nullptr);

/// A run's result as `servesim run --json` writes it, each point of a sweep's JSON lines holds
/// it ("result") and the Python module returns it (python/): the summary `s` of `params`'
/// replications, the resolved config of `params`, and with `u` the intervals over the curves'
/// bands (docs/outputs.md).
nlohmann::ordered_json result_json(const ScenarioParams& params, const RunSummary& s,
                                   const UncertaintySummary* u = nullptr);

}  // namespace servesim
