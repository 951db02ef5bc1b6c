#pragma once
/// Strict, typed reading of one YAML map: every key read is checked for type and range, and any
/// key that was not asked for is an error with a did-you-mean.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/core/time.h"

namespace servesim {

class MapReader {
 public:
  /// `path` is the node's key path for messages ("run", "pipeline.serve.service"); `where`,
  /// if given, is the position of the key that holds the map, which is where a missing key is
  /// reported (a block map's own position is its first key, which reads oddly).
  MapReader(const ConfigNode& node, std::string path, const SourceMark* where = nullptr);
  /// A reader for the map under `key` (required), reporting missing keys at `key:` itself.
  MapReader child(std::string_view key);
  /// Reports unknown keys. Call once every key has been asked for.
  void finish() const;

  const std::string& path() const { return path_; }
  std::string key_path(std::string_view key) const;

  /// The node at `key`, or nullptr; either way `key` becomes a known key.
  const ConfigNode* get(std::string_view key);
  const ConfigNode& require(std::string_view key);
  bool has(std::string_view key);
  /// Whether the map holds `key`, without making it a known key (for a rule across keys that
  /// were read already).
  bool holds(std::string_view key) const { return node_.find(key) != nullptr; }

  // Typed getters: nullopt when absent; an error when present but wrong.
  std::optional<std::string> string(std::string_view key);
  /// A string that names something in outputs (a stage, an image, a GPU type): see check_name.
  std::optional<std::string> name(std::string_view key);
  std::optional<std::string> choice(std::string_view key,
                                    std::initializer_list<std::string_view> options);
  std::optional<std::string> choice(std::string_view key,
                                    const std::vector<std::string_view>& options);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  /// Durations must be > 0 unless allow_zero; they must fit in int64 nanoseconds.
  std::optional<Time> duration(std::string_view key, bool allow_zero = false);
  /// A strictly positive quantity of `dim` in SI units.
  std::optional<double> quantity(std::string_view key, Dimension dim);

  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  [[noreturn]] void fail_at(const ConfigNode& node, std::string_view key,
                            const std::string& message) const;

 private:
  const ConfigNode& node_;
  std::string path_;
  SourceMark where_;
  std::vector<std::string> known_;
};

/// Reads a scalar node as each type, for values outside a map (list elements).
Time read_duration(const ConfigNode& n, const std::string& key, bool allow_zero = false);
/// A duration >= 0 in nanoseconds, fractions kept (a curve's slope of 0.0085ns per pixel); it
/// passes the same clock range check as read_duration.
double read_fine_ns(const ConfigNode& n, const std::string& key);
const std::string& read_scalar(const ConfigNode& n, const std::string& key, std::string_view what);

/// A name that reaches outputs must be printable UTF-8 (name_problem, sim/config/text.h): else a
/// ConfigError at `at` naming `key`. For names read as map keys or CSV cells; MapReader::name
/// does the same for a value.
void check_name(std::string_view name, const SourceMark& at, const std::string& key);

/// "did you mean 'x'?" for the closest candidate within a small edit distance, else "".
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace servesim
