#include "sim/config/units.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

namespace servesim {

namespace {

struct Unit {
  std::string_view name;
  double factor;
};

// Each table lists every accepted spelling; the first entries are the preferred ones.
constexpr Unit kDuration[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},
                              {"min", 60},  {"h", 3600},  {"µs", 1e-6}};
constexpr Unit kRate[] = {
    {"/s", 1}, {"/ms", 1e3}, {"/us", 1e6}, {"/min", 1.0 / 60}, {"/h", 1.0 / 3600}};
constexpr Unit kBytes[] = {{"B", 1},           {"kB", 1e3},           {"MB", 1e6},
                           {"GB", 1e9},        {"TB", 1e12},          {"KiB", 1024.0},
                           {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
constexpr Unit kPower[] = {{"W", 1}, {"mW", 1e-3}, {"kW", 1e3}};

constexpr Unit kBandwidth[] = {{"B/s", 1},           {"kB/s", 1e3},           {"MB/s", 1e6},
                               {"GB/s", 1e9},        {"TB/s", 1e12},          {"KiB/s", 1024.0},
                               {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0}, {"bit/s", 1.0 / 8},
                               {"kbit/s", 1e3 / 8},  {"Mbit/s", 1e6 / 8},     {"Gbit/s", 1e9 / 8},
                               {"Tbit/s", 1e12 / 8}};

std::vector<Unit> units_of(Dimension d) {
  switch (d) {
    case Dimension::kDuration:
      return {std::begin(kDuration), std::end(kDuration)};
    case Dimension::kRate:
      return {std::begin(kRate), std::end(kRate)};
    case Dimension::kBytes:
      return {std::begin(kBytes), std::end(kBytes)};
    case Dimension::kBandwidth:
      return {std::begin(kBandwidth), std::end(kBandwidth)};
    case Dimension::kPower:
      return {std::begin(kPower), std::end(kPower)};
  }
  return {};
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

const DimensionText& dimension_text(Dimension d) {
  // Looked up by value, never by position, so that reordering the enum cannot mismatch them.
  static const std::pair<Dimension, DimensionText> kText[] = {
      {Dimension::kDuration, {"duration", "s", "a duration with a unit (e.g. 250us, 40ms, 30s)"}},
      {Dimension::kRate, {"rate", "/s", "a rate with a unit (e.g. 90/s, 1200/s)"}},
      {Dimension::kBytes, {"size", "B", "a size with a unit (e.g. 121kB, 24GiB)"}},
      {Dimension::kBandwidth,
       {"bandwidth", "B/s", "a bandwidth with a unit (e.g. 16GB/s, 100Gbit/s)"}},
      {Dimension::kPower, {"power", "W", "a power with a unit (e.g. 350W)"}},
  };
  for (const auto& [dim, text] : kText)
    if (dim == d) return text;
  throw std::logic_error("dimension_text: a Dimension without its text");
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::string format_duration(Time t) {
  struct U {
    Time f;
    const char* name;
  };
  for (const U u : {U{kSecond, "s"}, U{kMillisecond, "ms"}, U{kMicrosecond, "us"}}) {
    if (t != 0 && t % u.f == 0) return std::to_string(t / u.f) + u.name;
  }
  return std::to_string(t) + "ns";
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

ParsedQuantity parse_quantity(std::string_view text, Dimension dim) {
  ParsedQuantity q;
  const std::string_view t = trim(text);
  // The number is the longest prefix std::from_chars accepts.
  std::string_view body = t;
  if (!body.empty() && body.front() == '+') body.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  const auto units = units_of(dim);
  if (ec == std::errc::result_out_of_range) {
    q.error = "'" + std::string(t) + "' is out of range";
    return q;
  }
  if (ec != std::errc() || ptr == body.data()) {
    q.error = "expected " + std::string(dimension_hint(dim)) + ", got '" + std::string(t) + "'";
    return q;
  }
  if (!std::isfinite(v)) {
    q.error = "'" + std::string(t) + "' is not a finite number";
    return q;
  }
  const std::string_view unit = trim(std::string_view(ptr, body.data() + body.size() - ptr));
  if (unit.empty()) {
    q.error = "'" + std::string(t) + "' has no unit; expected " + std::string(dimension_hint(dim));
    return q;
  }
  for (const auto& u : units) {
    if (u.name == unit) {
      q.value = v * u.factor;
      if (!std::isfinite(q.value)) q.error = "'" + std::string(t) + "' is out of range";
      return q;
    }
  }
  std::string best;
  std::size_t best_d = 3;
  // A lowercase b is a bit in networking's spelling (400Gb/s, 10Gbps): suggest the bit unit, not
  // the byte unit a case-insensitive match would find, which is 8x the bandwidth.
  for (const std::string_view bits : {"b/s", "bps"}) {
    if (!unit.ends_with(bits)) continue;
    const std::string bit_unit = std::string(unit.substr(0, unit.size() - bits.size())) + "bit/s";
    for (const auto& u : units)
      if (u.name == bit_unit) best = bit_unit, best_d = 0;
  }
  for (const auto& u : units) {
    // Case-insensitive near-misses first (KB -> kB), then small edit distances.
    std::string a(u.name), b(unit);
    std::transform(a.begin(), a.end(), a.begin(), ::tolower);
    std::transform(b.begin(), b.end(), b.begin(), ::tolower);
    const std::size_t d = a == b ? 0 : edit_distance(u.name, unit);
    if (d < best_d) {
      best_d = d;
      best = std::string(u.name);
    }
  }
  std::string list;
  for (const auto& u : units) list += (list.empty() ? "" : ", ") + std::string(u.name);
  q.error = "unknown unit '" + std::string(unit) + "' in '" + std::string(t) + "'";
  if (!best.empty()) q.error += "; did you mean '" + best + "'?";
  q.error += " (units: " + list + ")";
  return q;
}

}  // namespace servesim
