#include "sim/app/sweep_report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "sim/app/html_report.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/core/format.h"
#include "sim/metrics/result_schema.h"

namespace servesim {

namespace {

using Json = nlohmann::ordered_json;

/// The lines of `text`, without their line ends.
std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t nl = text.find('\n', at);
    if (nl == std::string_view::npos) nl = text.size();
    std::string line(text.substr(at, nl - at));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    out.push_back(std::move(line));
    at = nl + 1;
  }
  return out;
}

/// `text` past a UTF-8 byte-order mark and leading white space.
std::string_view trimmed(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const auto at = text.find_first_not_of(" \t\r\n");
  return at == std::string_view::npos ? std::string_view() : text.substr(at);
}

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool is_plan_header(const std::vector<std::string>& header) {
  return !header.empty() && header[0] == "rank" && has(header, "cores per GPU");
}

bool is_sweep_header(const std::vector<std::string>& header) {
  return !header.empty() && (header[0] == "Concurrency" || header[0] == "Request Rate") &&
         has(header, "Inferences/Second") && has(header, "p99 latency");
}

/// Whether the text is a YAML map (a scenario, whatever its name); false for anything that does
/// not parse as YAML.
bool is_yaml_map(std::string_view text, const std::string& file) {
  try {
    return parse_yaml(text, file).is_map();
  } catch (const ConfigError&) {
    return false;
  }
}

/// A number of the cell at `column` of a row, or a ConfigError naming the cell.
double number_at(const std::vector<std::string>& header, const std::vector<std::string>& row,
                 const std::string& column, const SourceMark& at) {
  const auto c = std::find(header.begin(), header.end(), column) - header.begin();
  if (static_cast<std::size_t>(c) >= row.size())
    throw ConfigError(at, column, "this row has no cell for the column");
  const auto v = parse_number(row[c]);
  if (!v || !std::isfinite(*v))
    throw ConfigError(at, column, "expected a number, got '" + row[c] + "'");
  return *v;
}

/// The cell of `column`, empty when the row has none.
std::string cell_of(const std::vector<std::string>& header, const std::vector<std::string>& row,
                    const std::string& column) {
  const auto c = std::find(header.begin(), header.end(), column) - header.begin();
  return static_cast<std::size_t>(c) < row.size() ? row[c] : std::string();
}

/// A point's numbers from a perf_analyzer-layout row: throughput, p99 (µs in the file), the
/// load, the bottleneck and its utilisation (servesim's columns).
SweepPoint point_of(const std::vector<std::string>& header, const std::vector<std::string>& row,
                    const SourceMark& at) {
  SweepPoint p;
  p.load = number_at(header, row, header[0], at);
  p.throughput = number_at(header, row, "Inferences/Second", at);
  p.p99_ms = number_at(header, row, "p99 latency", at) * 1e-3;
  p.bottleneck = cell_of(header, row, "Bottleneck");
  if (!p.bottleneck.empty())
    if (const auto u = parse_number(cell_of(header, row, p.bottleneck + " Utilization")))
      p.bottleneck_utilization = *u;
  return p;
}

/// Colours for up to 10 configurations (then they repeat): ColorBrewer's Paired, darker half
/// first.
constexpr const char* kColours[] = {"#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a",
                                    "#b15928", "#a6cee3", "#fb9a99", "#b2df8a", "#cab2d6"};

/// The plot's frame: axes with ticks and their labels (units in the titles).
struct Frame {
  double x_max = 1, y_max = 1;
  int left = 70, top = 20, width = 620, height = 360;
  int legend_x() const { return left + width + 16; }
  int legend_y(std::size_t row) const { return top + 12 + 20 * static_cast<int>(row); }
  double px(double x) const { return left + x / x_max * width; }
  double py(double y) const { return top + height - y / y_max * height; }
};

std::string axes_svg(const Frame& f) {
  std::string s;
  const double xs = axis_step(f.x_max), ys = axis_step(f.y_max);
  for (double x = 0; x <= f.x_max * (1 + 1e-9); x += xs)
    s += format("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#e5e5e5'/>", f.px(x), f.top,
                f.px(x), f.top + f.height) +
         format("<text x='%.1f' y='%d' text-anchor='middle'>", f.px(x), f.top + f.height + 16) +
         readable(x, 4) + "</text>";
  for (double y = 0; y <= f.y_max * (1 + 1e-9); y += ys)
    s += format("<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#e5e5e5'/>", f.left, f.py(y),
                f.left + f.width, f.py(y)) +
         format("<text x='%d' y='%.1f' text-anchor='end'>", f.left - 6, f.py(y) + 4) +
         readable(y, 4) + "</text>";
  s += format("<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>", f.left,
              f.top, f.width, f.height);
  s += format("<text x='%d' y='%d' text-anchor='middle'>throughput (req/s)</text>",
              f.left + f.width / 2, f.top + f.height + 36);
  s += format(
      "<text x='16' y='%d' text-anchor='middle' transform='rotate(-90 16 %d)'>p99 latency "
      "(ms)</text>",
      f.top + f.height / 2, f.top + f.height / 2);
  return s;
}

/// Throughput (x) against p99 (y), one line per configuration, the budget as a dashed line.
std::string curves_svg(const std::vector<SweepConfiguration>& cs, std::optional<double> slo) {
  Frame f;
  double x_max = 0, y_max = slo.value_or(0);
  for (const auto& c : cs)
    for (const auto* p : c.points) {
      x_max = std::max(x_max, p->throughput);
      y_max = std::max(y_max, p->p99_ms);
    }
  f.x_max = x_max > 0 ? x_max * 1.05 : 1;
  f.y_max = y_max > 0 ? y_max * 1.08 : 1;
  // The legend to the right of the plot, wide enough for the longest label.
  std::size_t label = 28;
  for (const auto& c : cs) label = std::max(label, c.label.size());
  const int rows = static_cast<int>(cs.size() + (slo ? 1 : 0));
  std::string s = format(
      "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' font-family='sans-serif' "
      "font-size='12'>",
      f.legend_x() + 20 + 7 * static_cast<int>(label),
      std::max(f.top + f.height + 44, f.legend_y(rows)));
  s += axes_svg(f);
  if (slo) {
    s += format(
        "<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#b30000' stroke-dasharray='6 4' "
        "stroke-width='1.5'/>",
        f.left, f.py(*slo), f.left + f.width, f.py(*slo));
    // Its label goes in the legend, where no curve runs through it.
    const int y = f.legend_y(cs.size());
    s += format(
             "<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#b30000' stroke-dasharray='6 4' "
             "stroke-width='1.5'/><text x='%d' y='%d' fill='#b30000'>",
             f.legend_x(), y - 4, f.legend_x() + 14, y - 4, f.legend_x() + 20, y) +
         "latency budget: p99 " + readable(*slo, 4) + " ms</text>";
  }
  for (std::size_t i = 0; i < cs.size(); ++i) {
    const std::string colour = kColours[i % std::size(kColours)];
    std::string pts;
    for (const auto* p : cs[i].points)
      pts += format("%.1f,%.1f ", f.px(p->throughput), f.py(p->p99_ms));
    s += "<polyline fill='none' stroke='" + colour + "' stroke-width='2' points='" + pts + "'/>";
    for (const auto* p : cs[i].points)
      s += format("<circle cx='%.1f' cy='%.1f' r='3.5' fill='", f.px(p->throughput),
                  f.py(p->p99_ms)) +
           colour + "'><title>" + html_escape(cs[i].label) + ", load " + readable(p->load, 6) +
           ": " + readable(p->throughput, 5) + " req/s, p99 " + readable(p->p99_ms, 4) +
           " ms</title></circle>";
    const int y = f.legend_y(i);
    s += format("<rect x='%d' y='%d' width='14' height='4' fill='", f.legend_x(), y - 6) + colour +
         format("'/><text x='%d' y='%d'>", f.legend_x() + 20, y) + html_escape(cs[i].label) +
         "</text>";
  }
  return s + "</svg>";
}

std::string point_cells(const SweepPoint& p) {
  return "<td>" + readable(p.load, 6) + "</td><td>" + readable(p.throughput, 5) + "</td><td>" +
         readable(p.p99_ms, 4) + "</td><td>" + html_escape(p.bottleneck) + "</td><td>" +
         (p.bottleneck_utilization ? format("%.1f%%", 100 * *p.bottleneck_utilization)
                                   : std::string("-")) +
         "</td><td>" + (p.gpu_memory_peak_bytes ? binary_bytes(*p.gpu_memory_peak_bytes) : "-") +
         "</td>";
}

std::string point_header(const std::string& load_column) {
  return "<th>" + html_escape(load_column) +
         "</th><th>throughput req/s</th><th>p99 ms</th><th>bottleneck</th>"
         "<th>bottleneck utilisation</th><th>GPU memory peak</th>";
}

std::string top_table(const std::vector<SweepConfiguration>& cs, const SweepData& d,
                      const SweepReportOptions& o) {
  const auto top = top_configurations(cs, o.slo_p99_ms, o.top);
  std::string h = "\n<h2>Top configurations</h2>\n<p>The best " + std::to_string(top.size()) +
                  " of " + std::to_string(cs.size()) + " (--top " + std::to_string(o.top) + "). ";
  h += o.slo_p99_ms ? "Each configuration's highest throughput with p99 within the latency budget "
                      "of " +
                          readable(*o.slo_p99_ms, 4) + " ms, best first."
                    : "Each configuration's highest throughput, best first (no latency budget: "
                      "give --slo-p99 to set one).";
  if (const auto meeting = top_configurations(cs, o.slo_p99_ms, cs.size()).size();
      meeting < cs.size())
    h += " " + std::to_string(cs.size() - meeting) + " of " + std::to_string(cs.size()) +
         " configurations have no point within the budget.";
  h += "</p>\n<table class='top'><tr><th>rank</th><th class='l'>configuration</th>" +
       point_header(d.load_column) + "</tr>";
  for (std::size_t i = 0; i < top.size(); ++i)
    h += std::string(i == 0 ? "<tr class='best'>" : "<tr>") + "<td>" + std::to_string(i + 1) +
         "</td><td class='l'>" + html_escape(cs[top[i].configuration].label) + "</td>" +
         point_cells(*top[i].point) + "</tr>";
  return h + "</table>\n";
}

}  // namespace

ReportInput report_input_kind(const std::filesystem::path& file, std::string_view text) {
  const auto ext = file.extension();
  if (ext == ".yaml" || ext == ".yml") return ReportInput::kScenario;
  const std::string_view body = trimmed(text);
  const Json whole = Json::parse(body, nullptr, false);
  if (!body.empty() && (body.front() == '{' || body.front() == '[' || !whole.is_discarded())) {
    const std::string first(body.substr(0, body.find('\n')));
    const Json head = Json::parse(first, nullptr, false);
    if (head.is_object() && head.contains("sweep")) return ReportInput::kSweepJsonl;
    if (whole.is_object() && whole.contains("feasible") && whole.contains("target_rate_rps"))
      return ReportInput::kPlanJson;
    return ReportInput::kRunJson;  // parse_result says what is wrong with it, if anything
  }
  const auto header = split_csv(std::string(body.substr(0, body.find('\n'))));
  if (is_plan_header(header)) return ReportInput::kPlanCsv;
  if (is_sweep_header(header)) return ReportInput::kSweepCsv;
  if (is_yaml_map(body, file.string())) return ReportInput::kScenario;
  throw ConfigError({file.string(), 1, 1}, "",
                    "report reads a scenario (YAML), a result (servesim run --json), a sweep's "
                    "CSV or JSON lines, or a plan's CSV or JSON (plan --out); this file is none "
                    "of them");
}

SweepData parse_sweep_csv(std::string_view text, const std::string& file) {
  const auto lines = lines_of(text);
  SweepData d;
  if (lines.empty() || !is_sweep_header(split_csv(lines[0])))
    throw ConfigError({file, 1, 1}, "",
                      "not a sweep's CSV: the first line must be perf_analyzer's header");
  const auto header = split_csv(lines[0]);
  d.load_column = header[0];
  // The grid's columns follow perf_analyzer's (13, or 20 with --verbose-csv) up to servesim's
  // own, whose names all hold a space; a grid key is a config path, which holds none.
  const std::size_t lead = header.size() > 19 && header[19] == "Total GPU Memory" ? 20 : 13;
  std::vector<std::size_t> grid_columns;
  for (std::size_t c = lead; c < header.size() && header[c].find(' ') == std::string::npos; ++c) {
    grid_columns.push_back(c);
    d.grid_keys.push_back(header[c]);
  }
  for (std::size_t n = 1; n < lines.size(); ++n) {
    if (trimmed(lines[n]).empty()) continue;
    const auto row = split_csv(lines[n]);
    const SourceMark at{file, static_cast<int>(n + 1), 1};
    if (row.size() != header.size())
      throw ConfigError(
          at, "", format("this row has %zu cells, the header %zu", row.size(), header.size()));
    SweepPoint p = point_of(header, row, at);
    for (const auto c : grid_columns) p.grid.emplace_back(header[c], row[c]);
    d.points.push_back(std::move(p));
  }
  if (d.points.empty()) throw ConfigError({file, 1, 1}, "", "this sweep's CSV has no rows");
  return d;
}

namespace {

/// One point's line of a sweep's JSON lines (`at`: where it is).
SweepPoint jsonl_point(const Json& j, const std::vector<std::string>& grid_keys,
                       const SourceMark& at, std::string& load_column) {
  const auto header = j.at("csv_columns").get<std::vector<std::string>>();
  const auto row = j.at("csv_row").get<std::vector<std::string>>();
  if (!is_sweep_header(header) || row.size() != header.size())
    throw ConfigError(at, "csv_columns", "not perf_analyzer's columns with a row to match");
  SweepPoint p = point_of(header, row, at);
  load_column = header[0];
  for (const auto& k : grid_keys) p.grid.emplace_back(k, j.at("grid").value(k, std::string()));
  const Json& result = j.at("result");
  try {
    check_result(result, at.file);
  } catch (const ConfigError& e) {
    throw ConfigError(at, "result" + e.key(), e.message());
  }
  if (result.contains("gpu_memory"))
    p.gpu_memory_peak_bytes = result["gpu_memory"].at("peak_bytes").get<double>();
  return p;
}

}  // namespace

SweepData parse_sweep_jsonl(std::string_view text, const std::string& file) {
  const auto lines = lines_of(text);
  SweepData d;
  for (std::size_t n = 0; n < lines.size(); ++n) {
    if (trimmed(lines[n]).empty()) continue;
    const SourceMark at{file, static_cast<int>(n + 1), 1};
    const Json j = Json::parse(lines[n], nullptr, false);
    if (!j.is_object()) throw ConfigError(at, "", "not a line of JSON");
    try {
      if (n == 0) {
        for (const auto& k : j.at("sweep").value("grid_keys", Json::array()))
          d.grid_keys.push_back(k.get<std::string>());
        continue;
      }
      d.points.push_back(jsonl_point(j, d.grid_keys, at, d.load_column));
    } catch (const Json::exception& e) {
      throw ConfigError(
          at, "",
          std::string(n == 0 ? "not a sweep's header: " : "not a sweep's point: ") + e.what());
    }
  }
  if (d.points.empty()) throw ConfigError({file, 1, 1}, "", "this sweep has no finished points");
  return d;
}

std::string load_key(const SweepData& d) {
  for (const char* k : {"workload.concurrency", "workload.rate"})
    if (has(d.grid_keys, k)) return k;
  return "";
}

std::vector<SweepConfiguration> group_configurations(const SweepData& d) {
  const std::string load = load_key(d);
  std::vector<SweepConfiguration> out;
  std::map<std::string, std::size_t> index;
  for (const auto& p : d.points) {
    std::string label;
    for (const auto& [k, v] : p.grid)
      if (k != load) label += (label.empty() ? "" : " ") + k + "=" + v;
    if (label.empty()) label = "all points";
    const auto [it, fresh] = index.emplace(label, out.size());
    if (fresh) out.push_back({label, {}});
    out[it->second].points.push_back(&p);
  }
  for (auto& c : out)
    std::stable_sort(c.points.begin(), c.points.end(),
                     [](const SweepPoint* a, const SweepPoint* b) { return a->load < b->load; });
  return out;
}

std::vector<TopEntry> top_configurations(const std::vector<SweepConfiguration>& configurations,
                                         std::optional<double> slo_p99_ms, std::size_t n) {
  std::vector<TopEntry> best;
  for (std::size_t i = 0; i < configurations.size(); ++i) {
    const SweepPoint* pick = nullptr;
    for (const auto* p : configurations[i].points)
      if ((!slo_p99_ms || p->p99_ms <= *slo_p99_ms) && (!pick || p->throughput > pick->throughput))
        pick = p;
    if (pick) best.push_back({i, pick});
  }
  std::stable_sort(best.begin(), best.end(), [](const TopEntry& a, const TopEntry& b) {
    return a.point->throughput > b.point->throughput;
  });
  if (best.size() > n) best.resize(n);
  return best;
}

std::string sweep_html(const SweepData& d, const SweepReportOptions& o, const std::string& source) {
  const auto cs = group_configurations(d);
  const std::string load = load_key(d);
  std::string h = html_head("sweep " + source);
  const auto many = [](std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
  };
  h += "<p>" + many(d.points.size(), "point") + " in " + many(cs.size(), "configuration") +
       (load.empty() ? std::string(" (the grid does not vary the load)")
                     : " (a configuration: the points that differ only in " + load + ")") +
       ".</p>\n";
  h += "\n<h2>Throughput against p99 latency</h2>\n<p>One line per configuration, in order of "
       "increasing " +
       html_escape(d.load_column) + "; down and to the right is better.</p>\n" +
       curves_svg(cs, o.slo_p99_ms);
  h += top_table(cs, d, o);
  h += "\n<h2>Every point</h2>\n<p>The bottleneck is the resource with the lowest throughput "
       "bound; GPU memory is the peak of the request tensors held on a GPU (JSON lines "
       "only).</p>\n<table class='points'><tr><th>configuration</th>" +
       point_header(d.load_column) + "</tr>";
  for (const auto& c : cs)
    for (const auto* p : c.points)
      h += "<tr" + std::string(o.slo_p99_ms && p->p99_ms > *o.slo_p99_ms ? " class='warn'" : "") +
           "><td class='l'>" + html_escape(c.label) + "</td>" + point_cells(*p) + "</tr>";
  return h + "</table>\n</body></html>\n";
}

PlanTable parse_plan_csv(std::string_view text, const std::string& file) {
  const auto lines = lines_of(text);
  PlanTable t;
  if (lines.empty() || !is_plan_header(split_csv(lines[0])))
    throw ConfigError({file, 1, 1}, "", "not a plan's CSV (servesim plan --out plan.csv)");
  t.columns = split_csv(lines[0]);
  for (std::size_t n = 1; n < lines.size(); ++n) {
    if (trimmed(lines[n]).empty()) continue;
    auto row = split_csv(lines[n]);
    if (row.size() != t.columns.size())
      throw ConfigError(
          {file, static_cast<int>(n + 1), 1}, "",
          format("this row has %zu cells, the header %zu", row.size(), t.columns.size()));
    t.rows.push_back(std::move(row));
  }
  return t;
}

PlanTable parse_plan_json(std::string_view text, const std::string& file) {
  PlanTable t;
  const Json j = Json::parse(text, nullptr, false);
  try {
    const auto& slo = j.at("slo");
    t.targets = readable(j.at("target_rate_rps").get<double>(), 6) + " req/s, p" +
                readable(100 * slo.at("quantile").get<double>(), 3) +
                " <= " + readable(slo.at("ms").get<double>(), 4) + " ms";
    for (const auto& row : j.at("feasible")) {
      if (t.columns.empty())
        for (const auto& [k, v] : row.items()) t.columns.push_back(k);
      std::vector<std::string> cells;
      for (const auto& k : t.columns) {
        const Json& v = row.at(k);
        cells.push_back(v.is_number()   ? format("%.10g", v.get<double>())
                        : v.is_string() ? v.get<std::string>()
                                        : std::string());
      }
      t.rows.push_back(std::move(cells));
    }
  } catch (const Json::exception& e) {
    throw ConfigError(
        {file, 1, 1}, "",
        std::string("not a plan's JSON (servesim plan --out plan.json): ") + e.what());
  }
  return t;
}

namespace {

/// A plan column's heading on the page: plan_csv's names, shortened to fit a screen.
std::string plan_heading(const std::string& column) {
  static const std::map<std::string, std::string> kShort = {
      {"node.gpus.count", "GPUs"},
      {"node.cpu.cores", "cores"},
      {"max_batch_size", "max batch"},
      {"max_queue_delay", "queue delay"},
      {"slo margin", "SLO margin"},
      {"node capacity req/s", "node capacity req/s"},
      {"CPU ms per request", "CPU ms per request"},
      {"GPU compute bound req/s", "GPU bound req/s"}};
  const auto it = kShort.find(column);
  if (it != kShort.end()) return it->second;
  const std::string tail = " latency ms";  // "p99 latency ms"
  if (column.size() > tail.size() && column.ends_with(tail))
    return column.substr(0, column.size() - tail.size()) + " ms";
  return column;
}

/// A plan cell on the page: the SLO margin as a percentage, other fractions to 4 digits.
std::string plan_cell(const std::string& column, const std::string& v) {
  const auto n = parse_number(v);
  if (!n) return html_escape(v);
  if (column == "slo margin") return format("%.1f%%", 100 * *n);
  return v.find('.') != std::string::npos ? readable(*n, 4) : html_escape(v);
}

}  // namespace

std::string plan_html(const PlanTable& t, const std::string& source) {
  std::string h = html_head("plan " + source);
  std::string stage;
  const auto stage_at = std::find(t.columns.begin(), t.columns.end(), "stage") - t.columns.begin();
  if (!t.rows.empty() && static_cast<std::size_t>(stage_at) < t.columns.size())
    stage = t.rows[0][stage_at];
  h += "<p>" + std::to_string(t.rows.size()) + " feasible configurations, cheapest first" +
       (t.targets.empty() ? std::string() : " for " + html_escape(t.targets)) +
       (stage.empty() ? std::string()
                      : "; instances and batching are those of the stage " + html_escape(stage)) +
       ". The first (highlighted) is the plan. <i>cores per GPU</i> is what a configuration "
       "has; <i>cores per GPU needed</i> the fewest that keep its GPUs busy (the CPU's time per "
       "request times the GPUs' compute bound, over the GPUs).</p>\n";
  if (t.rows.empty()) return h + "<p class='warn'>No configuration meets the targets.</p>\n";
  h += "<table class='plan'><tr>";
  for (const auto& c : t.columns)
    if (c != "stage") h += "<th>" + html_escape(plan_heading(c)) + "</th>";
  h += "</tr>";
  for (std::size_t i = 0; i < t.rows.size(); ++i) {
    h += i == 0 ? "<tr class='best'>" : "<tr>";
    for (std::size_t c = 0; c < t.columns.size(); ++c)
      if (t.columns[c] != "stage")
        h += std::string(t.columns[c].starts_with("cores per GPU") ? "<td class='cpg'>" : "<td>") +
             plan_cell(t.columns[c], t.rows[i][c]) + "</td>";
    h += "</tr>";
  }
  return h + "</table>\n</body></html>\n";
}

}  // namespace servesim
