#pragma once
/// `servesim amdahl`: what making one stage s times faster buys end to end, simulated, beside
/// Amdahl's bound 1 / ((1 - f) + f / s) from the stage's share f of zero-load latency.

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace servesim {

struct AmdahlRow {
  double speedup = 1;                                                // s, applied to the stage
  double zero_latency_ms = 0, zero_speedup = 1, bound = 1;           // one request at a time
  double load_throughput = 0, load_latency_ms = 0, load_p99_ms = 0;  // at the scenario's load
  double load_throughput_speedup = 1, load_latency_speedup = 1;
  std::string load_bottleneck;
};

struct AmdahlResult {
  std::string stage;
  double share = 0;  // f: the stage's service time / mean latency, at zero load, s = 1
  std::vector<AmdahlRow> rows;
};

/// Runs the scenario (after `sets`) with pipeline.STAGE.speedup = s for each s, at zero load (a
/// closed loop of one client) and at the scenario's own workload. A speedup that is not a finite
/// number > 0, or a stage not in the pipeline, is a ConfigError at --speedups or --stage.
/// `progress` (may be empty) is told the steps done of all: the baseline s = 1, then each s.
AmdahlResult run_amdahl(
    const std::filesystem::path& scenario, const std::vector<std::string>& sets,
    const std::string& stage, const std::vector<double>& speedups, int threads,
    const std::function<void(std::size_t done, std::size_t total)>& progress = {});

/// The table people read, and its CSV.
std::string amdahl_table(const AmdahlResult& r);
std::string amdahl_csv(const AmdahlResult& r);

}  // namespace servesim
