#include "calib/curve_plot.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "calib/curve_writer.h"
#include "sim/config/gnuplot.h"

namespace servesim::calib {

namespace {

std::string xy(double x, double y) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%.9g,%.9g\n", x, y);
  return buf;
}

}  // namespace

int plot_curves(const CurveSet& curves, std::span<const Sample> samples,
                const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  struct Panel {
    std::string name;
    const Curve* curve;
    std::vector<const Sample*> samples;
  };
  std::vector<Panel> panels;
  for (const auto& [name, c] : curves) {
    Panel p{name, &c, {}};
    for (const Sample& s : samples)
      if (s.kernel == name) p.samples.push_back(&s);
    if (!p.samples.empty()) panels.push_back(std::move(p));
  }
  if (panels.empty())
    throw std::invalid_argument("no curve has samples of the same name to plot against");

  const fs::path dir = out.string() + ".plot";
  fs::create_directories(dir);
  const int n = static_cast<int>(panels.size());
  const int cols = n > 1 ? 2 : 1;
  const int rows = (n + cols - 1) / cols;
  std::string script = gnuplot_output(out, 560 * cols, 40 + 320 * rows);
  script += "set datafile separator ','\nset grid\nset key top left\n";
  script += "set format x '%.0s%c'\nset format y '%.0s%cs'\nset ylabel 'time per call'\n";
  if (n > 1)
    script += "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) + "\n";
  for (int k = 0; k < n; ++k) {
    const Panel& p = panels[static_cast<std::size_t>(k)];
    const Curve& c = *p.curve;
    const CurveInput xin = c.inputs().empty() ? CurveInput::kBatch : c.inputs()[0];
    std::vector<std::pair<double, double>> measured, predicted;
    for (const Sample* s : p.samples) {
      const CurveArgs a{s->batch, s->pixels, s->bytes};
      measured.emplace_back(curve_arg(a, xin), s->seconds);
      predicted.emplace_back(curve_arg(a, xin), c.mean_ns(a) * 1e-9);
    }
    std::sort(predicted.begin(), predicted.end());
    predicted.erase(std::unique(predicted.begin(), predicted.end()), predicted.end());
    bool positive = true;
    for (const auto& m : measured) positive = positive && m.first > 0;
    std::string m_text, p_text;
    for (const auto& [x, t] : measured) m_text += xy(x, t);
    for (const auto& [x, t] : predicted) p_text += xy(x, t);
    const std::string data = fs::absolute(dir / ("curve" + std::to_string(k))).string();
    write_atomically(data + "-samples.csv", m_text);
    write_atomically(data + "-curve.csv", p_text);
    script += positive ? "set logscale xy\n" : "unset logscale x\nset logscale y\n";
    script += "set xlabel " + gnuplot_quote(std::string(curve_input_name(xin))) + "\n";
    std::string formula = curve_formula(c);
    if (formula.size() > 70) formula = formula.substr(0, 67) + "...";
    script += "set title " + gnuplot_quote(p.name + ": " + formula) + " noenhanced\n";
    const bool one_input = c.inputs().size() <= 1;
    script += "plot " + gnuplot_quote(data + "-samples.csv") +
              " using 1:2 with points pt 7 ps 0.5 lc rgb '#1f77b4' title 'samples', " +
              gnuplot_quote(data + "-curve.csv") + " using 1:2 " +
              (one_input ? "with lines lw 2 lc rgb '#d62728' title 'fitted mean'"
                         : "with points pt 2 ps 0.9 lc rgb '#d62728' title 'fitted mean at each "
                           "sample'") +
              "\n";
  }
  if (n > 1) script += "unset multiplot\n";
  run_gnuplot(dir / "plot.gp", script);
  return n;
}

}  // namespace servesim::calib
