#include "sim/app/amdahl.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/app/load.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/core/format.h"
#include "sim/run/replications.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/scenario.h"

namespace servesim {

namespace {

RunSummary simulate(const ConfigNode& base, const std::vector<std::string>& sets,
                    const std::string& stage, double s, bool zero_load, int threads) {
  ConfigNode root = base;
  int n = 0;
  for (const auto& set : sets) apply_override(root, set, ++n);
  // One request at a time, with the scenario's own images and client.
  if (zero_load) set_workload(root, true, "1", 1, n);
  apply_override(root, "pipeline." + stage + ".speedup=" + shortest(s), ++n);
  return run_scenario(parse_scenario(root), threads);
}

}  // namespace

AmdahlResult run_amdahl(const std::filesystem::path& scenario, const std::vector<std::string>& sets,
                        const std::string& stage, const std::vector<double>& speedups, int threads,
                        const std::function<void(std::size_t done, std::size_t total)>& progress) {
  const auto told = [&](std::size_t done) {
    if (progress) progress(done, speedups.size() + 1);
  };
  const ConfigNode base = load_config_file(scenario.empty() ? default_scenario_path() : scenario);
  // The options first, against the scenario as the user gave it: an unknown stage would
  // otherwise surface in amdahl's own speedup override, as a --set the user never typed.
  for (const double s : speedups)
    if (!std::isfinite(s) || s <= 0)
      throw ConfigError(SourceMark{"--speedups", 1, 1}, "",
                        "each speedup must be a finite number > 0, got " + shortest(s));
  ConfigNode given = base;
  int n = 0;
  for (const auto& set : sets) apply_override(given, set, ++n);
  std::vector<std::string> names;
  for (const auto& st : parse_scenario(given).pipeline) names.push_back(st.name);
  if (std::find(names.begin(), names.end(), stage) == names.end()) {
    std::string all;
    for (const auto& name : names) all += (all.empty() ? "" : ", ") + name;
    const std::string hint = did_you_mean(stage, names);
    throw ConfigError(SourceMark{"--stage", 1, 1}, "",
                      "no stage named '" + stage + "' in the pipeline" +
                          (hint.empty() ? " (stages: " + all + ")" : "; " + hint));
  }
  AmdahlResult r;
  r.stage = stage;
  const RunSummary zero1 = simulate(base, sets, stage, 1.0, true, threads);
  const RunSummary load1 = simulate(base, sets, stage, 1.0, false, threads);
  told(1);
  std::size_t at = zero1.stages.size();
  for (std::size_t i = 0; i < zero1.stages.size(); ++i)
    if (zero1.stages[i].name == stage) at = i;
  if (at == zero1.stages.size()) throw std::logic_error("stage '" + stage + "' not reported");
  r.share = zero1.stages[at].service_ms.mean / zero1.latency_mean_ms.mean;
  for (const double s : speedups) {
    const RunSummary zero = s == 1.0 ? zero1 : simulate(base, sets, stage, s, true, threads);
    const RunSummary load = s == 1.0 ? load1 : simulate(base, sets, stage, s, false, threads);
    AmdahlRow row;
    row.speedup = s;
    row.zero_latency_ms = zero.latency_mean_ms.mean;
    row.zero_speedup = zero1.latency_mean_ms.mean / zero.latency_mean_ms.mean;
    row.bound = 1.0 / ((1.0 - r.share) + r.share / s);
    row.load_throughput = load.throughput_rps.mean;
    row.load_latency_ms = load.latency_mean_ms.mean;
    row.load_p99_ms = load.p99_ms;
    row.load_throughput_speedup = load.throughput_rps.mean / load1.throughput_rps.mean;
    row.load_latency_speedup = load1.latency_mean_ms.mean / load.latency_mean_ms.mean;
    row.load_bottleneck = load.bottleneck;
    r.rows.push_back(row);
    told(r.rows.size() + 1);
  }
  return r;
}

std::string amdahl_table(const AmdahlResult& r) {
  std::string t = format(
      "Stage '%s' takes %.1f%% of zero-load latency, so Amdahl bounds the "
      "end-to-end speedup by 1 / ((1 - f) + f / s), at most %.3g as s grows.\n\n",
      r.stage.c_str(), 100 * r.share, r.share < 1 ? 1 / (1 - r.share) : 1.0 / 0.0);
  t += format("  %8s | %-34s | %-52s\n", "", "zero load (one request at a time)",
              "at the scenario's load");
  t += format("  %8s | %10s %10s %12s | %12s %9s %9s %9s  %s\n", "speedup", "latency ms", "speedup",
              "Amdahl bound", "throughput/s", "speedup", "mean ms", "p99 ms", "bottleneck");
  for (const auto& row : r.rows)
    t +=
        format("  %8s | %10s %10.3f %12.3f | %12s %9.3f %9s %9s  %s\n", readable(row.speedup, 3),
               readable(row.zero_latency_ms, 4), row.zero_speedup, row.bound,
               readable(row.load_throughput, 6), row.load_throughput_speedup,
               readable(row.load_latency_ms, 4), readable(row.load_p99_ms, 4), row.load_bottleneck);
  return t;
}

std::string amdahl_csv(const AmdahlResult& r) {
  std::string t =
      "stage,speedup,share,zero_load_latency_ms,zero_load_speedup,amdahl_bound,"
      "throughput_rps,throughput_speedup,latency_ms,latency_speedup,p99_ms,bottleneck\n";
  for (const auto& row : r.rows)
    t +=
        format("%s,%g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%.6g,%s\n", csv_cell(r.stage).c_str(),
               row.speedup, r.share, row.zero_latency_ms, row.zero_speedup, row.bound,
               row.load_throughput, row.load_throughput_speedup, row.load_latency_ms,
               row.load_latency_speedup, row.load_p99_ms, csv_cell(row.load_bottleneck).c_str());
  return t;
}

}  // namespace servesim
