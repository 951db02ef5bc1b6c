#pragma once
/// `servesim report` of a sweep or a plan, as Triton's Model Analyzer reports a profile: for a
/// sweep, throughput against p99 latency for each configuration (the grid's points that differ
/// only in the load) with the latency budget (--slo-p99) as a line, the top configurations, and
/// each point's bottleneck utilisation and GPU memory; for a plan, its candidates with their
/// cores per GPU and the recommended one marked. One self-contained HTML page, as
/// html_report.h's.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace servesim {

/// What a file given to `servesim report` holds.
enum class ReportInput {
  kScenario,    // a scenario YAML: run now
  kRunJson,     // servesim run --json
  kSweepJsonl,  // servesim sweep's JSON lines (its journal: a header, then one line per point)
  kSweepCsv,    // servesim sweep's CSV (or run --csv: perf_analyzer's columns)
  kPlanJson,    // servesim plan --out plan.json
  kPlanCsv,     // servesim plan --out plan.csv
};

/// The kind of `text`, the contents of `file`, from what it holds (a .yaml or .yml name is a
/// scenario without looking). Text that is none of the kinds is a ConfigError at the file.
ReportInput report_input_kind(const std::filesystem::path& file, std::string_view text);

/// One point of a sweep, from its CSV row or its JSON line.
struct SweepPoint {
  std::vector<std::pair<std::string, std::string>> grid;  // the grid's key=value, in key order
  double load = 0;        // the first column: concurrency or request rate
  double throughput = 0;  // Inferences/Second
  double p99_ms = 0;      // p99 latency
  std::string bottleneck;
  std::optional<double> bottleneck_utilization;  // 0..1
  std::optional<double> gpu_memory_peak_bytes;   // only in the JSON lines
};

struct SweepData {
  std::vector<std::string> grid_keys;
  std::string load_column;  // perf_analyzer's first column: "Concurrency" or "Request Rate"
  std::vector<SweepPoint> points;
};

/// A sweep's CSV (perf_analyzer's columns, the grid's after them) or JSON lines; a file that is
/// not one is a ConfigError at file:line:col.
SweepData parse_sweep_csv(std::string_view text, const std::string& file);
SweepData parse_sweep_jsonl(std::string_view text, const std::string& file);

/// The grid key that sets the load (workload.concurrency or workload.rate); empty when the grid
/// does not vary it.
std::string load_key(const SweepData& d);

/// A configuration: the points whose grid values agree on every key but the load key, in
/// order of increasing load.
struct SweepConfiguration {
  std::string label;  // "node.gpus.count=2 pipeline.infer.instances=1"; "all points" for none
  std::vector<const SweepPoint*> points;
};
/// The configurations in order of first appearance.
std::vector<SweepConfiguration> group_configurations(const SweepData& d);

/// Model Analyzer's top N: each configuration's best point (the highest throughput whose p99
/// is within `slo_p99_ms`, when given), the configurations ranked by it; those with no point
/// within the budget are left out.
struct TopEntry {
  std::size_t configuration = 0;  // index into the configurations
  const SweepPoint* point = nullptr;
};
std::vector<TopEntry> top_configurations(const std::vector<SweepConfiguration>& configurations,
                                         std::optional<double> slo_p99_ms, std::size_t n);

struct SweepReportOptions {
  std::optional<double> slo_p99_ms;  // --slo-p99: the latency budget
  std::size_t top = 5;               // --top
};
std::string sweep_html(const SweepData& d, const SweepReportOptions& o, const std::string& source);

/// A plan's candidates, cheapest first (the first is the plan), as the columns plan_csv writes.
struct PlanTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
  std::string targets;  // "20000 req/s, p99 <= 100 ms" (from the JSON; empty from a CSV)
};
PlanTable parse_plan_csv(std::string_view text, const std::string& file);
PlanTable parse_plan_json(std::string_view text, const std::string& file);
std::string plan_html(const PlanTable& t, const std::string& source);

}  // namespace servesim
