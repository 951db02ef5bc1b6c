#include "calib/holdout.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/config/csv.h"
#include "sim/config/gnuplot.h"
#include "sim/config/units.h"

namespace servesim::calib {

namespace {

constexpr const char* kColumns[] = {"batch",  "pixels",  "bytes", "width",
                                    "height", "quality", "size"};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::size_t from = 0;
  for (;;) {
    const auto at = s.find(sep, from);
    out.push_back(s.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) return out;
    from = at + 1;
  }
}

/// The held-out column's value of a sample, as the rule's values are written.
bool matches(const Sample& s, const std::string& column, const std::string& value) {
  if (column == "size") {
    const auto x = value.find('x');
    return std::to_string(s.width) == value.substr(0, x) &&
           std::to_string(s.height) == value.substr(x + 1);
  }
  const double v = *parse_number(value);
  if (column == "batch") return s.batch == v;
  if (column == "pixels") return s.pixels == v;
  if (column == "bytes") return s.bytes == v;
  if (column == "width") return s.width == v;
  if (column == "height") return s.height == v;
  return s.quality == v;  // quality
}

/// The input a plot of this rule puts on x.
CurveInput plot_input(const HoldoutRule& rule) {
  if (rule.column == "batch") return CurveInput::kBatch;
  if (rule.column == "bytes") return CurveInput::kBytes;
  return CurveInput::kPixels;
}

std::string num(double v, const char* fmt = "%.6g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string pct(double v) { return num(100 * v, "%+.1f%%"); }

/// Seconds to 4 significant digits in a readable unit ("1.159ms").
std::string seconds_text(double s) {
  if (s >= 1) return num(s, "%.4gs");
  if (s >= 1e-3) return num(s * 1e3, "%.4gms");
  return num(s * 1e6, "%.4gus");
}

}  // namespace

HoldoutRule parse_holdout_rule(const std::string& text) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size())
    throw std::invalid_argument("'" + text + "': expected COLUMN=V1,V2,... (e.g. batch=3,24,48)");
  HoldoutRule r{text.substr(0, eq), split(text.substr(eq + 1), ',')};
  if (std::find(std::begin(kColumns), std::end(kColumns), r.column) == std::end(kColumns))
    throw std::invalid_argument("'" + r.column +
                                "': not a column to hold out by (batch, pixels, bytes, width, "
                                "height, quality, size)");
  for (const auto& v : r.values) {
    bool ok = false;
    if (r.column == "size") {
      const auto x = v.find('x');
      ok = x != std::string::npos && parse_number(v.substr(0, x)) && parse_number(v.substr(x + 1));
    } else {
      ok = parse_number(v).has_value();
    }
    if (!ok)
      throw std::invalid_argument("'" + v + "': expected " +
                                  (r.column == "size" ? "WIDTHxHEIGHT" : "a number") + " for " +
                                  r.column);
  }
  return r;
}

bool is_held_out(const Sample& s, const HoldoutRule& rule) {
  for (const auto& v : rule.values)
    if (matches(s, rule.column, v)) return true;
  return false;
}

HoldoutResult run_holdout(std::span<const Sample> samples, const std::string& kernel,
                          const HoldoutRule& rule, const FitOptions& o) {
  HoldoutResult r;
  r.kernel = kernel;
  r.rule = rule;
  std::vector<Observation> fitted;
  std::vector<std::vector<double>> times;  // per item
  for (const Sample& s : samples) {
    if (s.kernel != kernel) continue;
    const bool held = is_held_out(s, rule);
    (held ? r.held_samples : r.fitted_samples)++;
    if (!held) fitted.push_back({{s.batch, s.pixels, s.bytes}, s.seconds * 1e9});
    std::size_t i = 0;
    for (; i < r.items.size(); ++i) {
      const HoldoutItem& it = r.items[i];
      if (it.x.batch == s.batch && it.x.pixels == s.pixels && it.x.bytes == s.bytes &&
          it.width == s.width && it.height == s.height && it.quality == s.quality)
        break;
    }
    if (i == r.items.size()) {
      r.items.push_back({{s.batch, s.pixels, s.bytes}, s.width, s.height, s.quality, held});
      times.emplace_back();
    }
    times[i].push_back(s.seconds);
  }
  if (r.fitted_samples + r.held_samples == 0)
    throw std::invalid_argument("kernel '" + kernel + "' has no samples");
  if (r.held_samples == 0)
    throw std::invalid_argument("kernel '" + kernel + "': no sample has " + rule.column +
                                " among the held-out values, so there is nothing to predict");
  if (r.fitted_samples == 0)
    throw std::invalid_argument("kernel '" + kernel + "': every sample is held out");
  r.fit = fit_curve(fitted, o);
  const double median_factor = 1 / std::sqrt(1 + r.fit.noise_cv * r.fit.noise_cv);
  std::vector<double> held_errors;
  for (std::size_t i = 0; i < r.items.size(); ++i) {
    HoldoutItem& it = r.items[i];
    it.samples = times[i].size();
    it.measured_s = median(times[i]);
    it.predicted_s = r.fit.curve.mean_ns(it.x) * median_factor * 1e-9;
    it.error = it.predicted_s / it.measured_s - 1;
    if (it.held_out) held_errors.push_back(std::abs(it.error));
  }
  r.median_error = median(held_errors);
  r.worst_error = *std::max_element(held_errors.begin(), held_errors.end());
  return r;
}

std::string holdout_csv(std::span<const HoldoutResult> results) {
  std::string s =
      "kernel,batch,pixels,bytes,width,height,quality,held_out,samples,measured_s,predicted_s,"
      "error\n";
  auto cell = [](int v) { return v ? std::to_string(v) : std::string(); };
  for (const HoldoutResult& r : results)
    for (const HoldoutItem& it : r.items)
      s += csv_cell(r.kernel) + "," + num(it.x.batch, "%.17g") + "," + num(it.x.pixels, "%.17g") +
           "," + num(it.x.bytes, "%.17g") + "," + cell(it.width) + "," + cell(it.height) + "," +
           cell(it.quality) + "," + (it.held_out ? "1" : "0") + "," + std::to_string(it.samples) +
           "," + num(it.measured_s, "%.6e") + "," + num(it.predicted_s, "%.6e") + "," +
           num(it.error, "%.5f") + "\n";
  return s;
}

std::string holdout_table(const HoldoutResult& r) {
  std::string s = r.kernel + ": fitted " + r.fit.candidates[r.fit.chosen].spec.label() + " on " +
                  std::to_string(r.fitted_samples) + " samples, predicting " +
                  std::to_string(r.held_samples) + " held out (" + r.rule.column + " in {";
  const std::string dropped =
      r.fit.outliers ? "; " + std::to_string(r.fit.outliers) + " slow samples dropped" : "";
  for (std::size_t i = 0; i < r.rule.values.size(); ++i) s += (i ? "," : "") + r.rule.values[i];
  s += "}" + dropped + ")\n";
  char buf[200];
  std::snprintf(buf, sizeof buf, "  %-6s %-10s %9s %7s %11s %11s %7s\n", "batch", "size", "bytes",
                "quality", "measured", "predicted", "error");
  s += buf;
  std::vector<double> fitted_errors;
  for (const HoldoutItem& it : r.items) {
    if (!it.held_out) {
      fitted_errors.push_back(std::abs(it.error));
      continue;
    }
    const std::string size =
        it.width ? std::to_string(it.width) + "x" + std::to_string(it.height) : "-";
    std::snprintf(buf, sizeof buf, "  %-6s %-10s %9s %7s %11s %11s %7s\n", num(it.x.batch).c_str(),
                  size.c_str(), num(it.x.bytes, "%.0f").c_str(),
                  it.quality ? std::to_string(it.quality).c_str() : "-",
                  seconds_text(it.measured_s).c_str(), seconds_text(it.predicted_s).c_str(),
                  pct(it.error).c_str());
    s += buf;
  }
  s += "  held out: median |error| " + num(100 * r.median_error, "%.1f%%") + ", worst " +
       num(100 * r.worst_error, "%.1f%%") + " over " +
       std::to_string(r.items.size() - fitted_errors.size()) + " items";
  if (!fitted_errors.empty())
    s += "; fitted items: median " + num(100 * median(fitted_errors), "%.1f%%");
  return s + "\n";
}

void holdout_plot(std::span<const HoldoutResult> results, const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  const fs::path dir = out.string() + ".plot";
  fs::create_directories(dir);
  const int n = static_cast<int>(results.size());
  std::string script = gnuplot_output(out, 900, 60 + 300 * n);
  script += "set datafile separator ','\nset logscale x\nset grid\nset key outside right\n";
  script +=
      "set format x '%.0s%c'\nset autoscale xfix\nset offsets graph 0.03, graph 0.03, 0, 0\nset "
      "ylabel 'predicted / measured - 1 (%)'\n";
  script += "set yrange [-20:20]\nset ytics 5\n";
  if (n > 1) script += "set multiplot layout " + std::to_string(n) + ",1\n";
  for (int k = 0; k < n; ++k) {
    const HoldoutResult& r = results[static_cast<std::size_t>(k)];
    const CurveInput xin = plot_input(r.rule);
    std::string fitted, held;
    for (const HoldoutItem& it : r.items)
      (it.held_out ? held : fitted) +=
          num(curve_arg(it.x, xin), "%.17g") + "," + num(100 * it.error, "%.4f") + "\n";
    const std::string data = fs::absolute(dir / ("kernel" + std::to_string(k))).string();
    write_atomically(data + "-fitted.csv", fitted);
    write_atomically(data + "-held.csv", held);
    script += "set xlabel " + gnuplot_quote(std::string(curve_input_name(xin))) + "\n";
    script += "set title " +
              gnuplot_quote(r.kernel + ": " + r.fit.candidates[r.fit.chosen].spec.label() +
                            "; held out: median |error| " + num(100 * r.median_error, "%.1f%%") +
                            ", worst " + num(100 * r.worst_error, "%.1f%%")) +
              " noenhanced\n";
    script +=
        "plot 5 with lines dt 2 lc rgb '#888888' title '+-5%', -5 with lines dt 2 lc rgb "
        "'#888888' notitle, 15 with lines dt 3 lc rgb '#999999' title '+-15%', -15 with "
        "lines dt 3 lc rgb '#999999' notitle, " +
        gnuplot_quote(data + "-fitted.csv") +
        " using 1:2 with points pt 7 ps 1.1 lc rgb '#1f77b4' title 'fitted on', " +
        gnuplot_quote(data + "-held.csv") +
        " using 1:2 with points pt 9 ps 1.5 lc rgb '#d62728' title 'held out'\n";
  }
  if (n > 1) script += "unset multiplot\n";
  run_gnuplot(dir / "plot.gp", script);
}

}  // namespace servesim::calib
