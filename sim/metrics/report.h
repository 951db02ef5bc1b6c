#pragma once
/// Writers for a run's summary: the JSON keys of docs/outputs.md and a table for people.

#include <ostream>

#include <nlohmann/json_fwd.hpp>

#include "sim/metrics/run_summary.h"
#include "sim/metrics/uncertainty.h"

namespace servesim {

/// The run as JSON (keys per docs/outputs.md); `config` is the resolved config. With
/// `uncertainty` (run --uncertainty N), its member follows `laws`.
nlohmann::ordered_json summary_json(const RunSummary& s, const nlohmann::ordered_json& config,
                                    const UncertaintySummary* uncertainty = nullptr);

/// The `uncertainty` member of a result (docs/outputs.md): the draws' factors and results, and
/// p5/p50/p95 of each result over them.
nlohmann::ordered_json uncertainty_json(const UncertaintySummary& u);

/// The unit of a column of summary_csv (and so of a sweep's CSV), by its name as perf_analyzer
/// and servesim write it: "us" for latencies and times, "1/s" for rates, "" for counts and
/// fractions and columns it does not know (a sweep's grid keys).
std::string csv_column_unit(const std::string& column);

/// perf_analyzer's two CSV layouts (report_writer.cc): `perf_analyzer -f FILE`, and with
/// --verbose-csv (and --collect-metrics) four more latency columns and the GPU metrics.
enum class CsvLayout { kPlain, kVerbose };

/// How many columns perf_analyzer writes in `layout`: summary_csv's first columns, before
/// servesim's own (13 plain, 20 verbose).
std::size_t perf_analyzer_column_count(CsvLayout layout);

/// Whether Triton's model statistics (and so perf_analyzer's Server Queue and Server Compute
/// columns) time the stage: the server's stages, except its HTTP front end (the stage named
/// `frontend`), which Triton does not time in any model, so that perf_analyzer counts it in
/// Network+Server Send/Recv. workload.client's `client` and `network` stations are not the
/// server's.
bool in_model_statistics(const std::string& stage, StageSide side);

/// The run as CSV in perf_analyzer's columns, as perf_analyzer writes them (docs/outputs.md):
/// a header line and one row, times in whole microseconds (ns / 1000, truncated), rates with 6
/// significant digits. `load` is the value of the first column: the closed loop's concurrency or
/// the open workload's request rate. Then servesim's own columns: the mean latency (plain
/// layout), the throughput CI, each stage's queue and service, each resource's utilisation, the
/// bottleneck and the energy per request.
/// With `uncertainty` (run --uncertainty N), p5, p50 and p95 over the draws of the throughput, the
/// mean and the p99 latency follow, as "Inferences/Second p5 over draws", ...
std::string summary_csv(const RunSummary& s, const WorkloadParams& load,
                        const UncertaintySummary* uncertainty = nullptr,
                        CsvLayout layout = CsvLayout::kPlain);

/// A readable summary: throughput, latency percentiles, per-stage breakdown, resources, laws.
void print_summary(std::ostream& out, const RunSummary& s, const std::string& source);

}  // namespace servesim
