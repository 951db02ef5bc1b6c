#pragma once
/// Running a scenario: its replications on a thread pool, each measured through the model, then
/// condensed by metrics' summarize. The one place the model and the metrics meet.

#include <cstddef>
#include <functional>

#include <nlohmann/json_fwd.hpp>

#include "sim/metrics/run_summary.h"
#include "sim/metrics/uncertainty.h"
#include "sim/model/params.h"
#include "sim/model/tracer.h"

namespace servesim {

/// Runs every replication (on up to `threads` threads; the result does not depend on it).
/// With a tracer, replication 0 reports its spans to it. `progress` (may be empty) is told,
/// from the thread that finished one, how many replications are done of all.
RunSummary run_scenario(
    const ScenarioParams& params, int threads = 1, Tracer* tracer = nullptr,
    const std::function<void(std::size_t done, std::size_t total)>& progress = {});

/// A run's result as `servesim run --json` writes it, each point of a sweep's JSON lines holds
/// it ("result") and the Python module returns it (python/): the summary `s` of `params`'
/// replications, the resolved config of `params`, and with `u` the intervals over the curves'
/// bands (docs/outputs.md).
nlohmann::ordered_json result_json(const ScenarioParams& params, const RunSummary& s,
                                   const UncertaintySummary* u = nullptr);

}  // namespace servesim
