#include "sim/app/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>

#include "sim/core/format.h"
#include "sim/metrics/result_schema.h"

namespace servesim {

std::string html_escape(const std::string& s) {
  std::string o;
  for (const char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

std::string html_head(const std::string& title) {
  return "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>servesim: " +
         html_escape(title) +
         "</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}"
         "h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}table{border-collapse:collapse}"
         "td,th{padding:3px 10px;border-bottom:1px solid #ddd;text-align:right}"
         "td:first-child,th:first-child{text-align:left}.kpi{display:inline-block;margin:0 2em "
         "1em 0}.kpi b{display:block;font-size:1.6em}.warn{color:#b30000}pre{background:#f6f6f6;"
         "padding:1em;overflow:auto;font-size:11px}tr.best td{background:#e5f5e0;font-weight:"
         "bold}td.l,th.l{text-align:left}"
         ".plan td,.plan th{padding:3px "
         "5px;font-size:13px}td.cpg{background:#eef4fb}</style></head><body>\n<h1>servesim: " +
         html_escape(title) + "</h1>\n";
}

double axis_step(double range) {
  if (!(range > 0) || !std::isfinite(range)) return 1;
  const double raw = range / 8;
  const double mag = std::pow(10, std::floor(std::log10(raw)));
  for (const double m : {1.0, 2.0, 5.0})
    if (raw <= m * mag) return m * mag;
  return 10 * mag;
}

namespace {

std::string esc(const std::string& s) { return html_escape(s); }

/// A number for people, to `significant` digits (sim/core/format.h's readable).
std::string num(double v, int significant = 4) { return readable(v, significant); }
/// A time in ms, on servesim's 1 ns clock: a mean below a nanosecond shows as "<0.000001".
std::string ms(double v) { return readable(v, 4, 1e-6); }

// Only on a document that passed check_result: `at` still throws rather than read past a
// missing member, should a caller skip the check.
double get(const nlohmann::ordered_json& j, const char* k) { return j.at(k).get<double>(); }

std::string str(const nlohmann::ordered_json& j, const char* k) {
  return j.at(k).get<std::string>();
}

std::string count(const nlohmann::ordered_json& j, const char* k) {
  return std::to_string(j.at(k).get<std::uint64_t>());
}

// The phases of a stage's time, in the order a request lives them, with their colours.
struct Phase {
  const char* key;
  const char* label;
  const char* colour;
};
constexpr Phase kPhases[] = {{"queue_ms", "queue", "#bdbdbd"},
                             {"compute_input_ms", "copy in", "#6baed6"},
                             {"device_wait_ms", "device wait", "#fd8d3c"},
                             {"compute_infer_ms", "compute", "#31a354"},
                             {"compute_output_ms", "copy out", "#9e9ac8"}};

/// The waterfall's axis: milliseconds since the request arrived, from 0 to the mean latency
/// `total_ms` drawn over `width` pixels from `x0`, at `y`.
std::string time_axis(double total_ms, int x0, int width, int y) {
  std::string s =
      format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='#444'/>", x0, y + 2, x0 + width, y + 2);
  if (!(total_ms > 0)) return s;
  const double step = axis_step(total_ms);
  for (double t = 0; t <= total_ms * (1 + 1e-9); t += step) {
    const double x = x0 + t / total_ms * width;
    s += format("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444'/>", x, y + 2, x, y + 6) +
         format("<text x='%.1f' y='%d' text-anchor='middle'>", x, y + 18) + readable(t, 4) +
         "</text>";
  }
  return s + format("<text x='%d' y='%d' text-anchor='end'>ms since the request arrived</text>",
                    x0 + width, y + 32);
}

std::string breakdown_svg(const nlohmann::ordered_json& stages) {
  double total = 0;
  for (const auto& st : stages)
    for (const auto& p : kPhases) total += get(st, p.key);
  const int row = 26, label = 150, width = 640;
  const int height = row * static_cast<int>(stages.size()) + 76;
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" +
                  std::to_string(label + width + 20) + "' height='" + std::to_string(height) +
                  "' font-family='sans-serif' font-size='12'>";
  // One bar for the whole request: each stage's phases laid end to end, so the widths add up to
  // the mean latency (as a request lives them).
  double x = 0;
  int y = 10;
  for (const auto& st : stages) {
    s += "<text x='0' y='" + std::to_string(y + 15) + "'>" + esc(str(st, "name")) + "</text>";
    for (const auto& p : kPhases) {
      const double w = total > 0 ? get(st, p.key) / total * width : 0;
      if (w > 0)
        s += "<rect x='" + format("%.2f", label + x) + "' y='" + std::to_string(y) + "' width='" +
             format("%.2f", std::max(w, 0.5)) + "' height='" + std::to_string(row - 6) +
             "' fill='" + p.colour + "'><title>" + esc(str(st, "name")) + " " + p.label + ": " +
             ms(get(st, p.key)) + " ms</title></rect>";
      x += w;
    }
    y += row;
  }
  s += time_axis(total, label, width, y);
  y += 36;
  int lx = label;
  for (const auto& p : kPhases) {
    s += "<rect x='" + std::to_string(lx) + "' y='" + std::to_string(y + 4) +
         "' width='12' height='12' fill='" + p.colour + "'/><text x='" + std::to_string(lx + 16) +
         "' y='" + std::to_string(y + 14) + "'>" + p.label + "</text>";
    lx += 110;
  }
  return s + "</svg>";
}

std::string bars_svg(const nlohmann::ordered_json& resources, const std::string& bottleneck) {
  const int row = 22, label = 190, width = 420;
  const int height = row * static_cast<int>(resources.size()) + 10;
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" +
                  std::to_string(label + width + 70) + "' height='" + std::to_string(height) +
                  "' font-family='sans-serif' font-size='12'>";
  int y = 4;
  for (const auto& r : resources) {
    const std::string name = str(r, "name");
    const double u = std::clamp(get(r, "utilization"), 0.0, 1.0);
    const bool b = name == bottleneck;
    s += "<text x='0' y='" + std::to_string(y + 14) + "'" + (b ? " font-weight='bold'" : "") + ">" +
         esc(name) + "</text><rect x='" + std::to_string(label) + "' y='" + std::to_string(y) +
         "' width='" + std::to_string(width) + "' height='" + std::to_string(row - 6) +
         "' fill='#eeeeee'/><rect x='" + std::to_string(label) + "' y='" + std::to_string(y) +
         "' width='" + format("%.2f", u * width) + "' height='" + std::to_string(row - 6) +
         "' fill='" + (b ? "#de2d26" : "#3182bd") + "'/><text x='" +
         std::to_string(label + width + 6) + "' y='" + std::to_string(y + 14) + "'>" +
         format("%.1f", 100 * u) + "%</text>";
    y += row;
  }
  return s + "</svg>";
}

/// One panel of the time series: `lines` (column, label, colour, dashed) against start_s, a
/// y axis from 0 with its unit.
std::string series_panel(
    const nlohmann::ordered_json& ts, double window_s, const std::string& unit,
    std::initializer_list<std::tuple<const char*, const char*, const char*, bool>> lines) {
  const auto& t = ts.at("start_s");
  const std::size_t n = t.size();
  const double interval = get(ts, "interval_s");
  // The last window ends with the run: one interval after its start, or sooner when the
  // measured time is not a whole number of intervals.
  const double t0 = t.at(0).get<double>(),
               t1 = std::min(t.at(n - 1).get<double>() + interval, t0 + window_s);
  double top = 0;
  for (const auto& [col, label, colour, dashed] : lines)
    for (const auto& v : ts.at(col)) top = std::max(top, v.get<double>());
  if (!(top > 0)) top = 1;
  const double ystep = axis_step(top);
  top = std::ceil(top / ystep) * ystep;
  const int x0 = 70, w = 640, y0 = 10, h = 150;
  auto px = [&](double s) { return x0 + (s - t0) / (t1 - t0) * w; };
  auto py = [&](double v) { return y0 + h - v / top * h; };
  std::string s = "<svg xmlns='http://www.w3.org/2000/svg' width='" + std::to_string(x0 + w + 150) +
                  "' height='" + std::to_string(y0 + h + 44) +
                  "' font-family='sans-serif' font-size='12'>";
  for (double v = 0; v <= top * (1 + 1e-9); v += ystep)
    s += format("<line x1='%d' y1='%.1f' x2='%d' y2='%.1f' stroke='#ddd'/>", x0, py(v), x0 + w,
                py(v)) +
         format("<text x='%d' y='%.1f' text-anchor='end'>", x0 - 6, py(v) + 4) + num(v) + "</text>";
  const double xstep = axis_step(t1 - t0);
  for (double v = std::ceil(t0 / xstep) * xstep; v <= t1 * (1 + 1e-9); v += xstep)
    s += format("<line x1='%.1f' y1='%d' x2='%.1f' y2='%d' stroke='#444'/>", px(v), y0 + h, px(v),
                y0 + h + 4) +
         format("<text x='%.1f' y='%d' text-anchor='middle'>", px(v), y0 + h + 18) + num(v) +
         "</text>";
  s += format("<text x='%d' y='%d' text-anchor='end'>s since the start of the run</text>", x0 + w,
              y0 + h + 36) +
       format("<text x='12' y='%d' transform='rotate(-90 12 %d)' text-anchor='middle'>", y0 + h / 2,
              y0 + h / 2) +
       esc(unit) + "</text>";
  int ly = y0 + 12;
  for (const auto& [col, label, colour, dashed] : lines) {
    // A step per window: each value holds over its window, as it was measured.
    std::string pts;
    const auto& c = ts.at(col);
    for (std::size_t k = 0; k < n; ++k) {
      const double a = t.at(k).get<double>(), v = c.at(k).get<double>();
      pts += format("%.1f,%.1f %.1f,%.1f ", px(a), py(v),
                    px(k + 1 < n ? t.at(k + 1).get<double>() : t1), py(v));
    }
    const std::string dash = dashed ? " stroke-dasharray='5,3'" : "";
    s += "<polyline fill='none' stroke='" + std::string(colour) + "' stroke-width='2'" + dash +
         " points='" + pts + "'/>";
    s += format("<line x1='%d' y1='%d' x2='%d' y2='%d' stroke='%s' stroke-width='2'%s/>",
                x0 + w + 10, ly - 4, x0 + w + 30, ly - 4, colour, dash.c_str()) +
         format("<text x='%d' y='%d'>", x0 + w + 36, ly) + label + "</text>";
    ly += 18;
  }
  return s + "</svg>";
}

}  // namespace

std::string html_report(const nlohmann::ordered_json& j, const std::string& source) {
  check_result(j, source);
  const auto& lat = j.at("latency_ms");
  const std::string bottleneck = str(j, "bottleneck");
  std::string h = html_head(source);
  h += "<p>" + count(j, "replications") + " replications of " + num(get(j, "window_s")) +
       " s (after warm-up), seed " + count(j, "seed") + ", " + count(j, "completed") +
       " requests completed.</p>\n";
  const auto& ci = j.at("throughput_ci95");
  h += "<div class='kpi'>throughput<b>" + num(get(j, "throughput_rps"), 5) + " req/s</b>95% CI " +
       num(ci.at(0).get<double>(), 5) + " .. " + num(ci.at(1).get<double>(), 5) + "</div>";
  h += "<div class='kpi'>latency mean<b>" + ms(get(lat, "mean")) + " ms</b>p50 " +
       ms(get(lat, "p50")) + ", p99 " + ms(get(lat, "p99")) + " ms</div>";
  h += "<div class='kpi'>bottleneck<b>" + esc(bottleneck) + "</b>bound " +
       (j.at("throughput_bound_rps").is_number() ? num(get(j, "throughput_bound_rps"), 5)
                                                 : std::string("none")) +
       " req/s</div>";
  if (j.contains("gpu_memory"))
    h += "<div class='kpi'>GPU memory<b>" + binary_bytes(get(j.at("gpu_memory"), "peak_bytes")) +
         "</b>peak of request tensors on one GPU; mean " +
         binary_bytes(get(j.at("gpu_memory"), "mean_bytes")) + " (all GPUs)</div>";
  if (j.contains("nodes"))
    h += "<div class='kpi'>nodes<b>" + num(get(j.at("nodes"), "serving_mean"), 3) +
         " serving</b>on average (cluster.autoscale); " + num(get(j.at("nodes"), "node_hours"), 4) +
         " node-hours per replication</div>";
  if (const auto& e = j.at("energy_j_per_request"); e.contains("total"))
    h += "<div class='kpi'>energy<b>" + num(get(e, "total")) + " J</b>per request</div>";
  if (j.at("unstable").get<bool>())
    h += "<p class='warn'><b>UNSTABLE</b>: the offered load outruns capacity.</p>";
  for (const auto& w : j.at("warnings"))
    h += "<p class='warn'>" + esc(w.get<std::string>()) + "</p>";

  const auto& stages = j.at("stages");
  if (j.contains("timeseries")) {
    const auto& ts = j.at("timeseries");
    const double window_s = get(j, "window_s");
    h += "\n<h2>Over time</h2>\n<p>Windows of " + num(get(ts, "interval_s")) +
         " s from the end of warm-up (<code>run.interval</code>); each value holds over its "
         "window. Latencies are of the requests that completed in it.</p>\n" +
         series_panel(ts, window_s, "requests/s",
                      {{"offered_rps", "offered", "#969696", true},
                       {"throughput_rps", "served", "#3182bd", false}}) +
         "\n" +
         series_panel(ts, window_s, "latency (ms)",
                      {{"p50_ms", "p50", "#31a354", false}, {"p99_ms", "p99", "#de2d26", false}});
    if (j.contains("nodes"))
      h += "\n" +
           series_panel(ts, window_s, "nodes", {{"nodes_serving", "serving", "#756bb1", false}});
  }
  h += "\n<h2>Where a request's time goes</h2>\n" + breakdown_svg(stages);
  h += "\n<table><tr><th>stage</th><th>instances</th><th>queue ms</th><th>copy in ms</th>"
       "<th>device wait ms</th><th>compute ms</th><th>copy out ms</th><th>batch</th>"
       "<th>share</th><th>utilisation</th></tr>";
  for (const auto& st : stages) {
    h += "<tr><td>" + esc(str(st, "name")) + "</td><td>" + count(st, "instances") + "</td>";
    for (const auto& p : kPhases) h += "<td>" + ms(get(st, p.key)) + "</td>";
    h += "<td>" + (st.contains("batch_size") ? num(get(st.at("batch_size"), "mean"), 3) : "1") +
         "</td><td>" + format("%.1f", 100 * get(st, "latency_share")) + "%</td><td>" +
         format("%.1f", 100 * get(st, "utilization")) + "%</td></tr>";
  }
  h += "</table>\n";
  const auto& res = j.at("resources");
  h += "\n<h2>Utilisation and the bottleneck</h2>\n<p>Each resource's throughput bound is "
       "servers / demand per request; the lowest bound is the bottleneck (in red).</p>\n" +
       bars_svg(res, bottleneck);
  h += "\n<table><tr><th>resource</th><th>servers</th><th>utilisation</th><th>demand ms</th>"
       "<th>bound req/s</th></tr>";
  for (const auto& r : res)
    h += "<tr><td>" + esc(str(r, "name")) + "</td><td>" + num(get(r, "servers")) + "</td><td>" +
         format("%.1f", 100 * get(r, "utilization")) + "%</td><td>" +
         (r.at("demand_ms").is_number() ? ms(get(r, "demand_ms")) : std::string("-")) +
         "</td><td>" +
         (r.at("throughput_bound_rps").is_number() ? num(get(r, "throughput_bound_rps"), 6)
                                                   : std::string("-")) +
         "</td></tr>";
  h += "</table>\n";
  double worst = 0;
  std::size_t checked = 0;
  std::string why;  // why a law could not be checked (check_result: then cannot_check is there)
  for (const auto& l : j.at("laws")) {
    if (l.at("relative_error").is_number()) {
      worst = std::max(worst, get(l, "relative_error"));
      ++checked;
    } else if (why.empty()) {
      why = str(l, "cannot_check");
    }
  }
  h += "\n<h2>Checks</h2>\n<p>";
  if (checked > 0)
    h += "Little's law and the utilisation law hold on this run to " + num(100 * worst, 2) +
         "% (worst of " + std::to_string(checked) + " checks).";
  if (!why.empty())
    h += std::string(checked > 0 ? " Some" : "The") +
         " operational laws cannot be checked on this run: " + esc(why) + ".";
  h += "</p>\n";
  h += "\n<h2>Config</h2>\n<pre>" + esc(j.at("config").dump(2)) + "</pre>\n</body></html>\n";
  return h;
}

}  // namespace servesim
