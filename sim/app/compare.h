#pragma once
/// `servesim compare A B`: two results side by side with their differences, where each is a
/// servesim JSON result or a CSV in perf_analyzer's columns (perf_analyzer -f, servesim --csv,
/// a sweep's CSV), so a prediction is checked against a measurement in one command.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace servesim {

/// One result: perf_analyzer's metrics (per second and microseconds) at one load.
struct Measurement {
  std::string load_name;  // "Concurrency" or "Request Rate" ("" when unknown)
  double load = 0;
  std::map<std::string, double> values;  // by perf_analyzer column name
};

/// The metrics compared, in order, named as perf_analyzer's CSV names them.
const std::vector<std::string>& compared_metrics();

/// Reads a servesim JSON result (one measurement) or a perf_analyzer-style CSV (one per row).
/// Malformed input is a ConfigError naming file:line:col; a JSON result is checked by
/// check_result before any of it is read.
std::vector<Measurement> read_measurements(const std::filesystem::path& file);

/// The side-by-side table: rows matched by load (or the single row of each side).
std::string compare_table(const std::vector<Measurement>& a, const std::string& a_name,
                          const std::vector<Measurement>& b, const std::string& b_name);

}  // namespace servesim
