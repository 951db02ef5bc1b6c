#pragma once
/// `servesim plot`: a line plot of one column of a results CSV against another (one line per
/// value of a third), rendered by gnuplot to PNG or SVG.

#include <filesystem>
#include <string>

namespace servesim {

struct PlotOptions {
  std::filesystem::path csv, out;  // out: .png or .svg (default: the CSV's name with .png)
  std::string x, y, by;            // column names; `by` optional
  bool logx = false, logy = false;
  std::filesystem::path script;  // where to keep the gnuplot script (its data inside); "": none
};

/// Renders the plot with gnuplot, axes labelled with the columns' units. The script (with its
/// data) is written to `o.script` when given, so a user can restyle the plot, else to a scratch
/// file removed afterwards. Throws ConfigError for unknown columns, runtime_error when gnuplot
/// fails or is missing.
std::filesystem::path run_plot(const PlotOptions& o);

}  // namespace servesim
