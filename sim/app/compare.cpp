#include "sim/app/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <tuple>

#include <nlohmann/json.hpp>

#include "sim/cli/verbs.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/core/format.h"
#include "sim/metrics/report.h"
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
  // perf_analyzer's Server columns as the CSV fills them: the stages Triton's model statistics
  // time (not workload.client's `client` and `network` stations, nor the HTTP `frontend`).
  const auto& w = j.at("config").at("workload");
  const bool client = w.contains("client") && !w.at("client").is_null();
  double queue = 0, input = 0, infer = 0, output = 0;
  for (const auto& st : j.at("stages")) {
    const std::string name = st.at("name").get<std::string>();
    const StageSide side = client && name == "client"    ? StageSide::kClient
                           : client && name == "network" ? StageSide::kNetwork
                                                         : StageSide::kServer;
    if (!in_model_statistics(name, side)) continue;
    queue += get(st, "queue_ms");
    input += get(st, "compute_input_ms");
    infer += get(st, "device_wait_ms") + get(st, "compute_infer_ms");
    output += get(st, "compute_output_ms");
  }
  m.values["Server Queue"] = queue * 1e3;
  m.values["Server Compute Input"] = input * 1e3;
  m.values["Server Compute Infer"] = infer * 1e3;
  m.values["Server Compute Output"] = output * 1e3;
  if (const auto u = j.find("uncertainty"); u != j.end()) {
    const auto band = [&](const nlohmann::ordered_json& spread, double scale) {
      return std::pair{get(spread, "p5") * scale, get(spread, "p95") * scale};
    };
    m.bands["Inferences/Second"] = band(u->at("throughput_rps"), 1);
    const auto& ul = u->at("latency_ms");
    m.bands["Avg latency"] = band(ul.at("mean"), 1e3);
    for (const char* p : {"p50", "p95", "p99"})
      m.bands[std::string(p) + " latency"] = band(ul.at(p), 1e3);
  }
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

std::vector<Tolerance> parse_tolerances(const std::string& text) {
  static const std::vector<std::pair<std::string, std::string>> kShort{
      {"thr", "Inferences/Second"},
      {"avg", "Avg latency"},
      {"p50", "p50 latency"},
      {"p90", "p90 latency"},
      {"p95", "p95 latency"},
      {"p99", "p99 latency"},
      {"queue", "Server Queue"},
      {"input", "Server Compute Input"},
      {"infer", "Server Compute Infer"},
      {"output", "Server Compute Output"}};
  std::vector<Tolerance> out;
  std::string names;
  for (const auto& [k, m] : kShort) names += (names.empty() ? "" : ", ") + k;
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto eq = item.find('=');
    if (eq == std::string::npos)
      throw UsageError("--tolerance: '" + item + "' is not METRIC=PERCENT (e.g. thr=5%,p99=15%)");
    const std::string key = item.substr(0, eq), value = item.substr(eq + 1);
    Tolerance t;
    for (const auto& [k, m] : kShort)
      if (key == k || key == m) t.metric = m;
    if (t.metric.empty())
      throw UsageError("--tolerance: unknown metric '" + key + "' (one of " + names +
                       ", or a perf_analyzer column name)");
    const auto v = value.ends_with('%') ? parse_number(value.substr(0, value.size() - 1))
                                        : std::optional<double>();
    if (!v || !(*v >= 0) || !std::isfinite(*v))
      throw UsageError("--tolerance: " + key + "'s limit '" + value +
                       "' is not a percentage (e.g. 5%)");
    t.limit = *v / 100;
    out.push_back(t);
  }
  if (out.empty()) throw UsageError("--tolerance: give METRIC=PERCENT, e.g. thr=5%,p99=15%");
  return out;
}

namespace {

std::string load_text(const Measurement& m) {
  return m.load_name.empty() ? std::string("(no load)") : m.load_name + " " + format("%g", m.load);
}

/// One pair's table, and the metrics outside their tolerances.
void pair_table(const Measurement& x, const Measurement& y, const std::string& a_name,
                const std::string& b_name, const CompareOptions& o, Comparison& c) {
  std::string& t = c.text;
  t += x.load_name.empty() ? "\n" : "\n" + load_text(x) + "\n";
  t += format("  %-24s %14s %14s %14s %10s\n", "metric (/s or us)", a_name.substr(0, 14).c_str(),
              b_name.substr(0, 14).c_str(), "B - A", "(B-A)/A");
  for (const auto& k : compared_metrics()) {
    const auto i = x.values.find(k), j = y.values.find(k);
    const Tolerance* tol = nullptr;
    for (const auto& tl : o.tolerances)
      if (tl.metric == k) tol = &tl;
    if (i == x.values.end() || j == y.values.end()) {
      if (tol)
        throw UsageError("--tolerance " + k + ": " + (i == x.values.end() ? "A" : "B") +
                         " has no '" + k + "' at " + load_text(x));
      if (i == x.values.end() && j == y.values.end()) continue;
      t += format("  %-24s %14s %14s\n", k.c_str(),
                  i == x.values.end() ? "-" : readable(i->second, 6).c_str(),
                  j == y.values.end() ? "-" : readable(j->second, 6).c_str());
      continue;
    }
    const double d = j->second - i->second;
    const bool out = tol && std::abs(d) > tol->limit * std::abs(i->second);
    // A side run with --uncertainty: is the other side's value within its p5..p95 band?
    std::string band;
    for (const auto& [own, other, side] : {std::tuple{&x, j->second, "A"}, {&y, i->second, "B"}})
      if (const auto b = own->bands.find(k); b != own->bands.end())
        band += format("  %s's p5..p95 %s..%s: %s", side, readable(b->second.first, 4).c_str(),
                       readable(b->second.second, 4).c_str(),
                       other >= b->second.first && other <= b->second.second ? "in" : "out");
    t += format("  %-24s %14s %14s %14s %10s%s%s\n", k.c_str(), readable(i->second, 6),
                readable(j->second, 6), readable(d, 6),
                i->second != 0 ? format("%+.1f%%", 100 * d / i->second).c_str() : "-",
                out ? "  <- outside" : "", band.c_str());
    if (out)
      c.outside.push_back(format("%s at %s: %+.1f%%, tolerance %g%%", k.c_str(),
                                 load_text(x).c_str(), i->second != 0 ? 100 * d / i->second : 0.0,
                                 100 * tol->limit));
  }
}

}  // namespace

Comparison compare(const std::vector<Measurement>& a, const std::string& a_name,
                   const std::vector<Measurement>& b, const std::string& b_name,
                   const CompareOptions& o) {
  Comparison c;
  const auto table = [&](const Measurement& x, const Measurement& y) {
    pair_table(x, y, a_name, b_name, o, c);
  };
  if (o.pair_by_order) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) table(a[i], b[i]);
    for (std::size_t i = n; i < a.size(); ++i) c.text += "\n  A only: " + load_text(a[i]);
    for (std::size_t i = n; i < b.size(); ++i) c.text += "\n  B only: " + load_text(b[i]);
    if (a.size() != b.size()) c.text += "\n";
  } else if (a.size() == 1 && b.size() == 1 && (a[0].load_name.empty() || b[0].load_name.empty())) {
    table(a[0], b[0]);  // a side that does not say its load: nothing to pair by
  } else {
    // Pair by load (a sweep over concurrency against perf_analyzer's rows). B's rows are sorted
    // by load once and each of A's finds its partners by binary search, so a sweep of 100k rows
    // pairs in n log n. Pairs come out in A's order, each row's partners in B's order.
    const auto by_load = [](const Measurement* x, const Measurement* y) {
      return std::tie(x->load_name, x->load) < std::tie(y->load_name, y->load);
    };
    std::vector<const Measurement*> sorted;
    for (const auto& y : b)
      if (!std::isnan(y.load)) sorted.push_back(&y);  // NaN equals nothing, breaks the order
    std::stable_sort(sorted.begin(), sorted.end(), by_load);
    std::vector<char> b_paired(b.size(), 0);
    std::vector<std::string> a_only;
    for (const auto& x : a) {
      const auto [lo, hi] = std::isnan(x.load)
                                ? std::pair{sorted.end(), sorted.end()}
                                : std::equal_range(sorted.begin(), sorted.end(), &x, by_load);
      if (lo == hi) a_only.push_back(load_text(x));
      for (auto y = lo; y != hi; ++y) {
        table(x, **y);
        b_paired[static_cast<std::size_t>(*y - b.data())] = 1;
      }
    }
    std::vector<std::string> b_only;
    for (std::size_t i = 0; i < b.size(); ++i)
      if (!b_paired[i]) b_only.push_back(load_text(b[i]));
    if (a_only.size() == a.size())
      throw UsageError("no row of A has a row of B at the same load (A: " + load_text(a[0]) +
                       (a.size() > 1 ? ", ..." : "") + "; B: " + load_text(b[0]) +
                       (b.size() > 1 ? ", ..." : "") +
                       "): a prediction says nothing about a measurement at another load. Run "
                       "both at the same load, or --pair-by-order to pair rows in order anyway");
    const auto list = [&](const char* side, const std::vector<std::string>& rows) {
      if (rows.empty()) return;
      c.text += format("\n  %s only (no row of the other at its load): ", side);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (i == 20) {
          c.text += format(", ... (%zu in all)", rows.size());
          break;
        }
        c.text += (i ? ", " : "") + rows[i];
      }
      c.text += "\n";
    };
    list("A", a_only);
    list("B", b_only);
  }
  if (!o.tolerances.empty()) {
    c.text += c.outside.empty()
                  ? "\nwithin every tolerance\n"
                  : format("\n%zu metric(s) outside their tolerance:\n", c.outside.size());
    for (const auto& line : c.outside) c.text += "  " + line + "\n";
  }
  return c;
}

std::string compare_table(const std::vector<Measurement>& a, const std::string& a_name,
                          const std::vector<Measurement>& b, const std::string& b_name) {
  return compare(a, a_name, b, b_name).text;
}

}  // namespace servesim
