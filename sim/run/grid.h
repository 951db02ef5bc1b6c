#pragma once
/// The grid of a sweep: its axes from `--grid` arguments or a grid file, checked and counted
/// before anything runs, so that a bad or huge grid is refused at the option that names it.

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/config/error.h"

namespace servesim {

/// One swept key and its values, each a YAML text as `--set key=value` takes it.
struct GridAxis {
  std::string key;
  std::vector<std::string> values;
  SourceMark mark;  // where the axis was given: "--grid #2", or its key in a grid file
};

/// The most points a sweep may have (the product of its axes' sizes); a bigger grid is refused
/// at the axis that passes it. Each finished point's result stays in memory until the sweep ends
/// (a few KB), and a million points is days of simulation for all but the smallest scenarios.
inline constexpr std::size_t kMaxSweepPoints = 1'000'000;

/// Parses `--grid key=v1,v2,...` or `--grid key=start:stop:step` (numbers, with one unit for all
/// three: `workload.rate=100/s:500/s:100/s`). Values are split on commas outside brackets and
/// quotes, so `--grid 'workload.images=[small],[medium]'` works. `index` numbers the argument
/// in errors ("--grid #2").
GridAxis parse_grid_arg(const std::string& text, int index);

/// Reads a grid file: `grid:` mapping each key to a list of values or to {start, stop, step}.
std::vector<GridAxis> load_grid_file(const std::filesystem::path& file);

/// The number of points of `grid`, the product of its axes' sizes, computed without overflow: a
/// ConfigError at the axis that takes it past kMaxSweepPoints, with the whole grid's count.
std::size_t count_grid_points(const std::vector<GridAxis>& grid);

/// "key=value key=value": the point at index `at` of each axis, as messages name it.
std::string grid_point_label(const std::vector<GridAxis>& grid, const std::vector<std::size_t>& at);

}  // namespace servesim
