#pragma once
/// `servesim compare A B`: two results side by side with their differences, where each is a
/// servesim JSON result or a CSV in perf_analyzer's columns (perf_analyzer -f, servesim --csv,
/// a sweep's CSV), so a prediction is checked against a measurement in one command.

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace servesim {

/// One result: perf_analyzer's metrics (per second and microseconds) at one load.
struct Measurement {
  std::string load_name;  // "Concurrency" or "Request Rate" ("" when unknown)
  double load = 0;
  std::map<std::string, double> values;  // by perf_analyzer column name
  /// A prediction run with --uncertainty N: each metric's p5 and p95 over the input draws (the
  /// JSON's `uncertainty` member), in the unit of `values`.
  std::map<std::string, std::pair<double, double>> bands;
};

/// The metrics compared, in order, named as perf_analyzer's CSV names them.
const std::vector<std::string>& compared_metrics();

/// Reads a servesim JSON result (one measurement) or a perf_analyzer-style CSV (one per row).
/// Malformed input is a ConfigError naming file:line:col; a JSON result is checked by
/// check_result before any of it is read.
std::vector<Measurement> read_measurements(const std::filesystem::path& file);

/// How far B may be from A in a metric, relative to A: |B - A| <= limit x |A|.
struct Tolerance {
  std::string metric;  // a perf_analyzer column name (compared_metrics())
  double limit = 0;    // 0.05 for 5%
};

/// `--tolerance thr=5%,p99=15%`: each metric by a short name (thr, avg, p50, p90, p95, p99,
/// queue, input, infer, output) or its column name, then a percentage. Throws UsageError
/// naming what is wrong.
std::vector<Tolerance> parse_tolerances(const std::string& text);

struct CompareOptions {
  /// Pair row i of A with row i of B whatever their loads (else rows pair by load, and a pair
  /// of rows at different loads is refused).
  bool pair_by_order = false;
  std::vector<Tolerance> tolerances;
};

struct Comparison {
  std::string text;                  // the tables, the rows left unpaired, what is outside
  std::vector<std::string> outside;  // one line per metric outside its tolerance
};

/// The side-by-side tables of A and B. Rows pair by load (Concurrency or Request Rate): a row
/// without a partner is listed, and nothing paired at all, or two single rows at different
/// loads, is a UsageError (a prediction at 256 clients says nothing about a measurement at 128).
Comparison compare(const std::vector<Measurement>& a, const std::string& a_name,
                   const std::vector<Measurement>& b, const std::string& b_name,
                   const CompareOptions& options = {});

/// compare(...).text with the default options.
std::string compare_table(const std::vector<Measurement>& a, const std::string& a_name,
                          const std::vector<Measurement>& b, const std::string& b_name);

}  // namespace servesim
