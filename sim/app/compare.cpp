#include "sim/app/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/core/format.h"
#include "sim/metrics/result_schema.h"

namespace servesim {

namespace {

/// A result that passed check_result: every member read here is there, of its shape.
Measurement from_json(const nlohmann::ordered_json& j) {
  auto get = [](const nlohmann::ordered_json& o, const char* key) {
    return o.at(key).get<double>();
  };
  Measurement m;
  m.values["Inferences/Second"] = get(j, "throughput_rps");
  const auto& lat = j.at("latency_ms");
  m.values["Avg latency"] = get(lat, "mean") * 1e3;
  for (const char* p : {"p50", "p90", "p95", "p99"})
    m.values[std::string(p) + " latency"] = get(lat, p) * 1e3;
  double queue = 0, input = 0, infer = 0, output = 0;
  for (const auto& st : j.at("stages")) {
    queue += get(st, "queue_ms");
    input += get(st, "compute_input_ms");
    infer += get(st, "device_wait_ms") + get(st, "compute_infer_ms");
    output += get(st, "compute_output_ms");
  }
  m.values["Server Queue"] = queue * 1e3;
  m.values["Server Compute Input"] = input * 1e3;
  m.values["Server Compute Infer"] = infer * 1e3;
  m.values["Server Compute Output"] = output * 1e3;
  const auto& w = j.at("config").at("workload");
  if (w.at("mode") == "closed") {
    m.load_name = "Concurrency";
    m.load = get(w, "concurrency");
  } else {
    m.load_name = "Request Rate";
    m.load = result_rate_per_s(w.at("rate")).value();
  }
  return m;
}

std::vector<Measurement> from_csv(std::istream& in, const std::string& file) {
  std::string line;
  int lineno = 0;
  std::vector<std::string> header;
  std::vector<Measurement> out;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    if (header.empty()) {
      header = cells;
      bool known = false;
      for (const auto& h : header)
        for (const auto& m : compared_metrics()) known = known || h == m;
      if (!known)
        throw ConfigError(SourceMark{file, lineno, 1}, "",
                          "no perf_analyzer column in the header (expected e.g. "
                          "'Inferences/Second', 'p99 latency')");
      continue;
    }
    if (cells.size() != header.size())
      throw ConfigError(SourceMark{file, lineno, 1}, "",
                        "expected " + std::to_string(header.size()) +
                            " cells as in the header, got " + std::to_string(cells.size()));
    Measurement m;
    int col = 1;
    for (std::size_t c = 0; c < header.size(); col += static_cast<int>(cells[c].size()) + 1, ++c) {
      const std::string& h = header[c];
      const bool is_load = h == "Concurrency" || h == "Request Rate";
      bool is_metric = false;
      for (const auto& k : compared_metrics()) is_metric = is_metric || h == k;
      if (!is_load && !is_metric) continue;
      const auto v = parse_number(cells[c]);
      if (!v)
        throw ConfigError(SourceMark{file, lineno, col}, h,
                          "expected a number, got '" + cells[c] + "'");
      if (is_load && m.load_name.empty()) {
        m.load_name = h;
        m.load = *v;
      } else if (is_metric) {
        m.values[h] = *v;
      }
    }
    out.push_back(m);
  }
  if (out.empty()) throw ConfigError(SourceMark{file, lineno, 1}, "", "no result rows");
  return out;
}

}  // namespace

const std::vector<std::string>& compared_metrics() {
  static const std::vector<std::string> k{
      "Inferences/Second",    "Avg latency",          "p50 latency",  "p90 latency",
      "p95 latency",          "p99 latency",          "Server Queue", "Server Compute Input",
      "Server Compute Infer", "Server Compute Output"};
  return k;
}

std::vector<Measurement> read_measurements(const std::filesystem::path& file) {
  const std::string s = read_data_file(file);
  const auto first = s.find_first_not_of(" \t\r\n");
  // A CSV starts with its header; anything that starts as JSON is read as a result.
  if (first != std::string::npos && (s[first] == '{' || s[first] == '['))
    return {from_json(parse_result(s, file.string()))};
  std::istringstream lines(s);
  return from_csv(lines, file.string());
}

std::string compare_table(const std::vector<Measurement>& a, const std::string& a_name,
                          const std::vector<Measurement>& b, const std::string& b_name) {
  std::string t;
  auto table = [&](const Measurement& x, const Measurement& y) {
    t += x.load_name.empty() ? "\n" : format("\n%s %g\n", x.load_name.c_str(), x.load);
    t += format("  %-24s %14s %14s %14s %10s\n", "metric (/s or us)", a_name.substr(0, 14).c_str(),
                b_name.substr(0, 14).c_str(), "B - A", "(B-A)/A");
    for (const auto& k : compared_metrics()) {
      const auto i = x.values.find(k), j = y.values.find(k);
      if (i == x.values.end() && j == y.values.end()) continue;
      if (i == x.values.end() || j == y.values.end()) {
        t += format("  %-24s %14s %14s\n", k.c_str(),
                    i == x.values.end() ? "-" : readable(i->second, 6).c_str(),
                    j == y.values.end() ? "-" : readable(j->second, 6).c_str());
        continue;
      }
      const double d = j->second - i->second;
      t += format("  %-24s %14s %14s %14s %10s\n", k.c_str(), readable(i->second, 6),
                  readable(j->second, 6), readable(d, 6),
                  i->second != 0 ? format("%+.1f%%", 100 * d / i->second).c_str() : "-");
    }
  };
  if (a.size() == 1 && b.size() == 1) {
    table(a[0], b[0]);
    return t;
  }
  // Several rows: pair them by load (a sweep over concurrency against perf_analyzer's rows).
  // B's rows are sorted by load once and each of A's finds its partners by binary search, so a
  // sweep of 100k rows pairs in n log n, where scanning B for every row of A took minutes. Pairs
  // come out as before: in A's order, each row's partners in B's order (a stable sort).
  const auto by_load = [](const Measurement* x, const Measurement* y) {
    return std::tie(x->load_name, x->load) < std::tie(y->load_name, y->load);
  };
  std::vector<const Measurement*> sorted;
  for (const auto& y : b)
    if (!std::isnan(y.load)) sorted.push_back(&y);  // NaN equals nothing, and breaks the order
  std::stable_sort(sorted.begin(), sorted.end(), by_load);
  int matched = 0;
  for (const auto& x : a) {
    if (std::isnan(x.load)) continue;
    const auto [lo, hi] = std::equal_range(sorted.begin(), sorted.end(), &x, by_load);
    for (auto y = lo; y != hi; ++y) {
      table(x, **y);
      ++matched;
    }
  }
  if (matched == 0)
    t += "\nno rows with the same load (Concurrency or Request Rate) on both sides\n";
  return t;
}

}  // namespace servesim
