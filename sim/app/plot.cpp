#include "sim/app/plot.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "sim/config/atomic_file.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/gnuplot.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/metrics/report.h"

namespace servesim {

namespace {

std::size_t column(const std::vector<std::string>& header, const std::string& name,
                   const std::string& file, const char* option) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  const std::string hint = did_you_mean(name, header);
  std::string list;
  for (const auto& h : header) list += (list.empty() ? "" : ", ") + h;
  throw ConfigError(
      SourceMark{file, 1, 1}, option,
      "no column '" + name + "'" + (hint.empty() ? "" : "; " + hint) + " (columns: " + list + ")");
}

/// The number a cell starts with ("200/s" -> 200).
bool leading_number(const std::string& s, double& v) {
  const char* b = s.c_str();
  char* e = nullptr;
  v = std::strtod(b, &e);
  return e != b;
}

}  // namespace

std::filesystem::path run_plot(const PlotOptions& o) {
  std::istringstream in(read_data_file(o.csv));
  std::string line;
  if (!std::getline(in, line))
    throw ConfigError(SourceMark{o.csv.string(), 1, 1}, "", "empty file");
  const auto header = split_csv(line);
  const std::size_t xi = column(header, o.x, o.csv.string(), "--x");
  const std::size_t yi = column(header, o.y, o.csv.string(), "--y");
  const std::size_t bi =
      o.by.empty() ? header.size() : column(header, o.by, o.csv.string(), "--by");
  std::map<std::string, std::vector<std::pair<double, double>>> series;
  std::vector<std::string> order;  // series in order of first appearance
  for (int lineno = 2; std::getline(in, line); ++lineno) {
    if (line.empty()) continue;
    const auto cells = split_csv(line);
    if (cells.size() != header.size())
      throw ConfigError(SourceMark{o.csv.string(), lineno, 1}, "",
                        "expected " + std::to_string(header.size()) + " cells, got " +
                            std::to_string(cells.size()));
    double x = 0, y = 0;
    if (!leading_number(cells[xi], x) || !leading_number(cells[yi], y))
      continue;  // a point without that number (e.g. a column another point lacks)
    const std::string key = bi < cells.size() ? o.by + "=" + cells[bi] : o.y;
    if (!series.count(key)) order.push_back(key);
    series[key].emplace_back(x, y);
  }
  if (series.empty())
    throw ConfigError(SourceMark{o.csv.string(), 2, 1}, "--y",
                      "no row has numbers in both columns");

  std::filesystem::path out =  // not const: returned, so moved
      o.out.empty() ? std::filesystem::path(o.csv).replace_extension(".png") : o.out;
  std::vector<OutputPath> outputs{{"--out", out.string(), false}};
  if (!o.script.empty()) outputs.push_back({"--script", o.script.string(), false});
  check_output_paths(outputs);
  std::string script = gnuplot_output(out, 900, 560);
  script += "set datafile separator ','\nset key outside right\nset grid\n";
  // Axis labels carry the column's unit (sim/metrics/report.h): p99 latency is in us.
  const auto label = [](const std::string& c) {
    const std::string u = csv_column_unit(c);
    return u.empty() ? c : c + " (" + u + ")";
  };
  // noenhanced: a column name is text, not markup (p99_ms is not "p99" with a subscript).
  script += "set xlabel " + gnuplot_quote(label(o.x)) + " noenhanced\nset ylabel " +
            gnuplot_quote(label(o.y)) + " noenhanced\n";
  script += "set title " +
            gnuplot_quote(o.y + " vs " + o.x + " (" + o.csv.filename().string() + ")") +
            " noenhanced\n";
  if (o.logx) script += "set logscale x\n";
  if (o.logy) script += "set logscale y\n";
  // The points go into the script as data blocks, so the script is the whole plot: nothing
  // is left beside the image, and --script keeps one file a user can restyle and re-run.
  std::string plot = "plot ";
  for (std::size_t k = 0; k < order.size(); ++k) {
    const std::string block = "$series" + std::to_string(k);
    script += block + " << EOD\n";
    auto pts = series[order[k]];
    std::stable_sort(pts.begin(), pts.end());
    for (const auto& [x, y] : pts) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g,%.17g\n", x, y);
      script += buf;
    }
    script += "EOD\n";
    plot += (k ? ", " : "") + block + " using 1:2 with linespoints title " +
            gnuplot_quote(order[k]) + " noenhanced";
  }
  script += plot + "\n";
  if (!o.script.empty()) {
    run_gnuplot(o.script, script);
  } else {
    const ScratchFile tmp("servesim-plot-XXXXXX.gp");
    run_gnuplot(tmp.path(), script);
  }
  return out;
}

}  // namespace servesim
