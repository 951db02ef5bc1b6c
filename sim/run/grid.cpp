#include "sim/run/grid.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/scenario/curves.h"  // shortest

namespace servesim {

namespace {

[[noreturn]] void grid_error(int index, std::size_t col, const std::string& key,
                             const std::string& message) {
  throw ConfigError(SourceMark{"--grid #" + std::to_string(index), 1, static_cast<int>(col + 1)},
                    key, message);
}

/// Splits on commas that are outside brackets, braces and quotes.
std::vector<std::pair<std::string, std::size_t>> split_values(const std::string& s,
                                                              std::size_t offset) {
  std::vector<std::pair<std::string, std::size_t>> out;
  int depth = 0;
  char quote = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= s.size(); ++i) {
    const char c = i < s.size() ? s[i] : ',';
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth <= 0) {
      out.emplace_back(s.substr(start, i - start), offset + start);
      start = i + 1;
    }
  }
  return out;
}

/// "100/s" -> (100, "/s"); "0.5" -> (0.5, "").
std::optional<std::pair<double, std::string>> number_and_unit(const std::string& s) {
  const char* begin = s.c_str();
  char* end = nullptr;
  const double v = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(v)) return std::nullopt;
  return std::make_pair(v, std::string(end));
}

std::vector<std::string> range_values(const std::string& key, const std::string& start,
                                      const std::string& stop, const std::string& step, int index,
                                      std::size_t col) {
  const auto a = number_and_unit(start), b = number_and_unit(stop), d = number_and_unit(step);
  if (!a || !b || !d)
    grid_error(index, col, key,
               "a range is start:stop:step with numbers (e.g. 100/s:500/s:100/s or 1:8:1)");
  if (a->second != b->second || a->second != d->second)
    grid_error(index, col, key,
               "start, stop and step of a range must have the same unit ('" + a->second + "', '" +
                   b->second + "', '" + d->second + "')");
  if (!(d->first > 0)) grid_error(index, col, key, "a range's step must be > 0");
  if (b->first < a->first) grid_error(index, col, key, "a range's stop must be >= its start");
  const double n = std::floor((b->first - a->first) / d->first * (1 + 1e-12)) + 1;
  if (n > 1e6) grid_error(index, col, key, "a range of more than 1e6 values");
  std::vector<std::string> out;
  out.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < static_cast<int>(n); ++i)
    out.push_back(shortest(a->first + i * d->first) + a->second);
  return out;
}

}  // namespace

std::size_t count_grid_points(const std::vector<GridAxis>& grid) {
  std::size_t total = 1;
  for (const auto& axis : grid) {
    if (!__builtin_mul_overflow(total, axis.values.size(), &total) && total <= kMaxSweepPoints)
      continue;
    std::uint64_t exact = 1;
    bool fits = true;
    double about = 1;
    std::string sizes;
    for (const auto& a : grid) {
      fits = fits && !__builtin_mul_overflow(exact, a.values.size(), &exact);
      about *= static_cast<double>(a.values.size());
      sizes += (sizes.empty() ? "" : " x ") + std::to_string(a.values.size());
    }
    char count[48];
    std::snprintf(count, sizeof count, "about %.3g", about);
    throw ConfigError(axis.mark, axis.key,
                      "the grid has " + (fits ? std::to_string(exact) : std::string(count)) +
                          " points (" + sizes + "), more than the " +
                          std::to_string(kMaxSweepPoints) +
                          " a sweep may have: split it into several sweeps");
  }
  return total;
}

std::string grid_point_label(const std::vector<GridAxis>& grid,
                             const std::vector<std::size_t>& at) {
  std::string s;
  for (std::size_t k = 0; k < grid.size(); ++k)
    s += (k ? " " : "") + grid[k].key + "=" + grid[k].values[at[k]];
  return s;
}

GridAxis parse_grid_arg(const std::string& text, int index) {
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0)
    grid_error(index, 0, "", "expected --grid key=v1,v2,... or key=start:stop:step");
  GridAxis axis;
  axis.key = text.substr(0, eq);
  axis.mark = SourceMark{"--grid #" + std::to_string(index), 1, 1};
  const std::string rest = text.substr(eq + 1);
  const auto values = split_values(rest, eq + 1);
  if (values.size() == 1) {
    // start:stop:step, unless the single value is a YAML map or list (which may hold colons).
    const std::string& v = values[0].first;
    if (!v.empty() && v.front() != '{' && v.front() != '[' &&
        std::count(v.begin(), v.end(), ':') == 2) {
      const auto c1 = v.find(':'), c2 = v.find(':', c1 + 1);
      axis.values = range_values(axis.key, v.substr(0, c1), v.substr(c1 + 1, c2 - c1 - 1),
                                 v.substr(c2 + 1), index, eq + 1);
      return axis;
    }
  }
  for (const auto& [v, col] : values) {
    if (v.empty()) grid_error(index, col, axis.key, "an empty value in the list");
    axis.values.push_back(v);
  }
  return axis;
}

std::vector<GridAxis> load_grid_file(const std::filesystem::path& file) {
  const ConfigNode root = load_config_file(file);
  MapReader r(root, "");
  const ConfigNode& grid = r.require("grid");
  r.finish();
  if (!grid.is_map() || grid.entries.empty())
    throw ConfigError(grid.mark, "grid", "expected a map of key -> list of values");
  std::vector<GridAxis> out;
  for (const auto& e : grid.entries) {
    GridAxis axis;
    axis.key = e.key;
    axis.mark = e.key_mark;
    const std::string path = "grid." + e.key;
    if (e.value.is_sequence() && !e.value.items.empty()) {
      for (const auto& v : e.value.items) axis.values.push_back(to_flow_yaml(v));
    } else if (e.value.is_map()) {
      MapReader m(e.value, path, &e.key_mark);
      const auto text = [&](const char* k) {
        return read_scalar(m.require(k), m.key_path(k), "a number with an optional unit");
      };
      const std::string a = text("start"), b = text("stop"), d = text("step");
      m.finish();
      try {
        axis.values = range_values(e.key, a, b, d, 0, 0);
      } catch (const ConfigError& err) {
        throw ConfigError(e.value.mark, path, err.message());
      }
    } else {
      throw ConfigError(e.value.mark, path,
                        "expected a non-empty list of values or {start, stop, step}");
    }
    out.push_back(std::move(axis));
  }
  return out;
}

}  // namespace servesim
