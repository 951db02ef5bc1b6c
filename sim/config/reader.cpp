#include "sim/config/reader.h"

#include <algorithm>
#include <cmath>

#include "sim/config/text.h"

namespace servesim {

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  // Scored in half steps: at equal edit distance a candidate that extends the word or that the
  // word extends wins (gpu -> gpus, not cpu), the way a typo of a plural or a cut-off key reads.
  std::string best;
  std::size_t best_score = 2 * (std::max<std::size_t>(2, word.size() / 3) + 1);
  for (const auto& c : candidates) {
    const bool prefix = c.starts_with(word) || word.starts_with(c);
    const std::size_t score = 2 * edit_distance(word, c) - (prefix ? 1 : 0);
    if (score < best_score) {
      best_score = score;
      best = c;
    }
  }
  return best.empty() ? "" : "did you mean '" + best + "'?";
}

MapReader::MapReader(const ConfigNode& node, std::string path, const SourceMark* where)
    : node_(node), path_(std::move(path)), where_(where ? *where : node.mark) {
  if (!node.is_map())
    throw ConfigError(node.mark, path_,
                      "expected a map of keys here, got " + std::string(node.kind_name()));
}

std::string MapReader::key_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

void MapReader::fail(std::string_view key, const std::string& message) const {
  const ConfigNode* n = node_.find(key);
  throw ConfigError(n ? n->mark : node_.mark, key_path(key), message);
}

void MapReader::fail_at(const ConfigNode& node, std::string_view key,
                        const std::string& message) const {
  throw ConfigError(node.mark, key_path(key), message);
}

const ConfigNode* MapReader::get(std::string_view key) {
  // A key asked for twice (a check after the read) is listed once when another is misspelt.
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return node_.find(key);
}

bool MapReader::has(std::string_view key) {
  // Asking about a key makes it one this map knows, so it is listed when another is misspelt.
  return get(key) != nullptr;
}

const ConfigNode& MapReader::require(std::string_view key) {
  const ConfigNode* n = get(key);
  if (!n)
    throw ConfigError(
        where_, key_path(key),
        "required key is missing" + std::string(path_.empty() ? "" : " in '" + path_ + "'"));
  return *n;
}

MapReader MapReader::child(std::string_view key) {
  const ConfigNode& n = require(key);
  for (const auto& e : node_.entries)
    if (e.key == key) return MapReader(n, key_path(key), &e.key_mark);
  return MapReader(n, key_path(key));
}

void MapReader::finish() const {
  for (const auto& e : node_.entries) {
    bool ok = false;
    for (const auto& k : known_) ok = ok || k == e.key;
    if (ok) continue;
    std::string msg = "unknown key";
    const std::string hint = did_you_mean(e.key, known_);
    if (!hint.empty()) {
      msg += "; " + hint;
    } else {
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      msg += " (known keys here: " + list + ")";
    }
    throw ConfigError(e.key_mark, key_path(e.key), msg);
  }
}

const std::string& read_scalar(const ConfigNode& n, const std::string& key, std::string_view what) {
  if (!n.is_scalar())
    throw ConfigError(n.mark, key,
                      "expected " + std::string(what) + ", got " + std::string(n.kind_name()));
  return n.scalar;
}

namespace {

/// The one range check of every duration in a scenario: the value in nanoseconds (fractions
/// kept), >= 0 (> 0 unless allow_zero), and no longer than servesim's clock can hold.
double checked_ns(const ConfigNode& n, const std::string& key, bool allow_zero) {
  const std::string& text = read_scalar(n, key, dimension_hint(Dimension::kDuration));
  const ParsedQuantity q = parse_quantity(text, Dimension::kDuration);
  if (!q.error.empty()) throw ConfigError(n.mark, key, q.error);
  if (q.value < 0 || (!allow_zero && q.value == 0))
    throw ConfigError(
        n.mark, key,
        std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + ", got '" + text + "'");
  const double ns = q.value * 1e9;
  if (!round_to_time(ns))
    throw ConfigError(
        n.mark, key,
        "'" + text + "' overflows servesim's clock (int64 nanoseconds, at most ~292 years)");
  return ns;
}

}  // namespace

Time read_duration(const ConfigNode& n, const std::string& key, bool allow_zero) {
  const Time t = *round_to_time(checked_ns(n, key, allow_zero));
  if (!allow_zero && t == 0)
    throw ConfigError(n.mark, key, "'" + n.scalar + "' is below servesim's 1 ns resolution");
  return t;
}

double read_fine_ns(const ConfigNode& n, const std::string& key) {
  return checked_ns(n, key, true);
}

void check_name(std::string_view name, const SourceMark& at, const std::string& key) {
  const std::string problem = name_problem(name);
  if (!problem.empty()) throw ConfigError(at, key, problem);
}

std::optional<std::string> MapReader::string(std::string_view key) {
  const ConfigNode* n = get(key);
  if (!n) return std::nullopt;
  return read_scalar(*n, key_path(key), "a string");
}

std::optional<std::string> MapReader::name(std::string_view key) {
  auto s = string(key);
  if (s) check_name(*s, node_.find(key)->mark, key_path(key));
  return s;
}

std::optional<std::string> MapReader::choice(std::string_view key,
                                             std::initializer_list<std::string_view> options) {
  return choice(key, std::vector<std::string_view>(options));
}

std::optional<std::string> MapReader::choice(std::string_view key,
                                             const std::vector<std::string_view>& options) {
  const ConfigNode* n = get(key);
  if (!n) return std::nullopt;
  const std::string& v = read_scalar(*n, key_path(key), "one of the names listed below");
  std::vector<std::string> opts;
  for (const auto o : options) {
    if (o == v) return v;
    opts.emplace_back(o);
  }
  std::string list;
  for (const auto& o : opts) list += (list.empty() ? "" : ", ") + o;
  std::string msg = "'" + v + "' is not one of: " + list;
  const std::string hint = did_you_mean(v, opts);
  if (!hint.empty()) msg += "; " + hint;
  fail_at(*n, key, msg);
}

std::optional<std::int64_t> MapReader::integer(std::string_view key, std::int64_t min,
                                               std::int64_t max) {
  const ConfigNode* n = get(key);
  if (!n) return std::nullopt;
  const std::string& s = read_scalar(*n, key_path(key), "a whole number");
  const auto v = parse_number(s);
  if (!v || std::floor(*v) != *v) fail_at(*n, key, "expected a whole number, got '" + s + "'");
  if (*v < static_cast<double>(min) || *v > static_cast<double>(max))
    fail_at(*n, key,
            "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got '" +
                s + "'");
  return static_cast<std::int64_t>(*v);
}

std::optional<double> MapReader::number(std::string_view key, double min, double max) {
  const ConfigNode* n = get(key);
  if (!n) return std::nullopt;
  const std::string& s = read_scalar(*n, key_path(key), "a number");
  const auto v = parse_number(s);
  if (!v) fail_at(*n, key, "expected a finite number, got '" + s + "'");
  if (*v < min || *v > max) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "must be between %g and %g, got '%s'", min, max, s.c_str());
    fail_at(*n, key, buf);
  }
  return *v;
}

std::optional<Time> MapReader::duration(std::string_view key, bool allow_zero) {
  const ConfigNode* n = get(key);
  if (!n) return std::nullopt;
  return read_duration(*n, key_path(key), allow_zero);
}

std::optional<double> MapReader::quantity(std::string_view key, Dimension dim) {
  const ConfigNode* n = get(key);
  if (!n) return std::nullopt;
  const std::string& s = read_scalar(*n, key_path(key), dimension_hint(dim));
  const ParsedQuantity q = parse_quantity(s, dim);
  if (!q.error.empty()) fail_at(*n, key, q.error);
  if (!(q.value > 0)) fail_at(*n, key, "must be > 0, got '" + s + "'");
  return q.value;
}

}  // namespace servesim
