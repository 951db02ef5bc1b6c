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
};

/// The gnuplot script and its data files are written next to `out` (a `.plot/` directory) so a
/// user can restyle the plot. Throws ConfigError for unknown columns, runtime_error when
/// gnuplot fails or is missing.
std::filesystem::path run_plot(const PlotOptions& o);

}  // namespace servesim
