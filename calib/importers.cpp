#include "calib/importers.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"

namespace servesim::calib {

namespace {

/// The value of `key` in `entry` in ms, >= 0; nullopt when absent.
std::optional<double> ms(const ConfigNode& entry, const char* key, const std::string& path) {
  const ConfigNode* n = entry.find(key);
  if (!n) return std::nullopt;
  const auto v = n->is_scalar() ? parse_number(n->scalar) : std::nullopt;
  if (!v)
    throw ConfigError(n->mark, path + "." + key,
                      "expected a number of milliseconds, got " +
                          (n->is_scalar() ? "'" + n->scalar + "'" : std::string(n->kind_name())));
  if (*v < 0) throw ConfigError(n->mark, path + "." + key, "a duration must be >= 0");
  return *v;
}

}  // namespace

std::vector<Sample> import_trtexec(const std::filesystem::path& file, const TrtexecImport& how) {
  // JSON is YAML: the config tree keeps every value's line and column for messages.
  const ConfigNode root = parse_yaml(read_data_file(file), file.string());
  if (!root.is_sequence())
    throw ConfigError(root.mark, "",
                      "expected trtexec --exportTimes output: a list of {\"computeMs\": ...} "
                      "objects, got " +
                          std::string(root.kind_name()));
  if (root.items.empty()) throw ConfigError(root.mark, "", "the list of inferences is empty");
  std::vector<Sample> out;
  for (std::size_t i = 0; i < root.items.size(); ++i) {
    const ConfigNode& e = root.items[i];
    const std::string path = "[" + std::to_string(i) + "]";
    if (!e.is_map())
      throw ConfigError(e.mark, path,
                        "expected an object with \"computeMs\", got " + std::string(e.kind_name()));
    const auto compute = ms(e, "computeMs", path);
    if (!compute)
      throw ConfigError(e.mark, path,
                        "no \"computeMs\" (is this trtexec --exportTimes output? --exportProfile "
                        "writes per-layer times instead)");
    if (*compute <= 0)
      throw ConfigError(e.find("computeMs")->mark, path + ".computeMs", "must be > 0");
    Sample s;
    s.kernel = how.name + "_infer";
    s.batch = how.batch;
    s.seconds = *compute * 1e-3;
    out.push_back(s);
    auto copy = [&](const char* key, const char* old_key, const char* suffix, double bytes) {
      if (bytes <= 0) return;
      auto t = ms(e, key, path);
      if (!t) t = ms(e, old_key, path);
      if (!t || *t <= 0) return;  // a copy too short to time (or absent) is not a sample
      Sample c;
      c.kernel = how.name + suffix;
      c.batch = how.batch;
      c.bytes = bytes;
      c.seconds = *t * 1e-3;
      out.push_back(c);
    };
    copy("h2dMs", "inMs", "_h2d", how.input_bytes);
    copy("d2hMs", "outMs", "_d2h", how.output_bytes);
  }
  return out;
}

PerfAnalyzerSamples import_perf_analyzer(const std::filesystem::path& file,
                                         const PerfAnalyzerImport& how) {
  const std::string text = read_data_file(file);
  const std::string source = file.string();
  std::istringstream in(text);
  std::string line;
  int lineno = 0;
  std::vector<std::string> header;
  while (header.empty() && std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    header = split_csv(line);
  }
  if (header.empty()) throw ConfigError(SourceMark{source, 1, 1}, "", "empty file");
  auto find = [&](const char* name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    return header.size();
  };
  const std::size_t infer = find("Server Compute Infer");
  if (infer == header.size())
    throw ConfigError(SourceMark{source, lineno, 1}, "",
                      "no 'Server Compute Infer' column: expected perf_analyzer's CSV "
                      "(perf_analyzer -f FILE), whose header starts 'Concurrency,Inferences/"
                      "Second,Client Send,...'");
  const std::size_t input = find("Server Compute Input");
  const std::size_t output = find("Server Compute Output");
  const std::size_t queue = find("Server Queue");
  const std::size_t rate = find("Inferences/Second");
  std::size_t load = find("Concurrency");
  std::string load_name = "Concurrency";
  if (load == header.size()) {
    load = find("Request Rate");
    load_name = "Request Rate";
  }

  PerfAnalyzerSamples out;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line == "\r") continue;
    const std::vector<CsvCell> cells = split_csv_cells(line);
    // perf_analyzer appends blank lines and, with some options, a second table (server-side
    // metrics) whose header lacks our columns: it ends the rows we read.
    if (cells.size() != header.size()) {
      if (cells[0].text.empty() || !parse_number(cells[0].text)) break;
      throw ConfigError(SourceMark{source, lineno, 1}, "",
                        "expected " + std::to_string(header.size()) +
                            " cells as the header has, got " + std::to_string(cells.size()));
    }
    auto micros = [&](std::size_t c) -> double {
      if (c == header.size()) return 0;
      const auto v = parse_number(cells[c].text);
      if (!v || *v < 0)
        throw ConfigError(SourceMark{source, lineno, cells[c].col}, header[c],
                          "expected a time in microseconds >= 0, got '" + cells[c].text + "'");
      return *v * 1e-6;
    };
    auto add = [&](std::size_t c, const char* suffix, double bytes) {
      const double t = micros(c);
      if (t <= 0) return;
      Sample s;
      s.kernel = how.name + suffix;
      s.batch = how.batch;
      s.bytes = bytes;
      s.seconds = t;
      s.line = lineno;
      out.samples.push_back(s);
    };
    add(input, "_compute_input", how.input_bytes);
    add(infer, "_compute_infer", 0);
    add(output, "_compute_output", how.output_bytes);
    PerfAnalyzerRow row;
    row.line = lineno;
    row.load = load < header.size() ? load_name + " " + cells[load].text
                                    : "row " + std::to_string(out.rows.size() + 1);
    row.queue_s = micros(queue);
    if (rate < header.size()) {
      const auto v = parse_number(cells[rate].text);
      if (!v || *v < 0)
        throw ConfigError(SourceMark{source, lineno, cells[rate].col}, header[rate],
                          "expected a rate >= 0, got '" + cells[rate].text + "'");
      row.inferences_per_second = *v;
    }
    out.rows.push_back(row);
  }
  if (out.rows.empty())
    throw ConfigError(SourceMark{source, lineno, 1}, "", "no rows after the header");
  return out;
}

}  // namespace servesim::calib
