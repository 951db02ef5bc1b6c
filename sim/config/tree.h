#pragma once
/// A YAML document as servesim keeps it: every node remembers the file, line and column it came
/// from, through includes and --set overrides, so errors can point at the user's own text.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sim/config/error.h"

namespace servesim {

struct MapEntry;

struct ConfigNode {
  enum class Kind { kNull, kScalar, kSequence, kMap };
  Kind kind = Kind::kNull;
  std::string scalar;             // kScalar: the text as written
  bool quoted = false;            // kScalar: written in quotes, so always a string
  std::vector<ConfigNode> items;  // kSequence
  std::vector<MapEntry> entries;  // kMap, in file order
  SourceMark mark;

  const ConfigNode* find(std::string_view key) const;
  ConfigNode* find(std::string_view key);
  bool is_map() const { return kind == Kind::kMap; }
  bool is_sequence() const { return kind == Kind::kSequence; }
  bool is_scalar() const { return kind == Kind::kScalar; }
  std::string_view kind_name() const;
};

struct MapEntry {
  std::string key;
  SourceMark key_mark;
  ConfigNode value;
};

/// Parses YAML text; `source` names it in errors (a path, "<built-in default>", "--set ...").
/// The text must be one UTF-8 document within the limits of sim/config/limits.h.
ConfigNode parse_yaml(std::string_view text, const std::string& source, int line_offset = 0,
                      int col_offset = 0);

/// At most `max_bytes` + 1 bytes of `path` (a result longer than `max_bytes` tells the caller
/// the file is too large, without reading it to the end). Anything but a readable regular file
/// (a directory, a device, a FIFO) is a ConfigError at `from` naming `key` and calling the file
/// `what` ("included file"); or at the file itself when `from` is empty (the scenario file
/// given on the command line).
std::string read_regular_file(const std::filesystem::path& path, std::size_t max_bytes,
                              const SourceMark& from, const std::string& key,
                              std::string_view what);

/// A data file a command reads whole (a result JSON, a CSV, samples): a readable regular file of
/// at most kMaxDataFileBytes, else a ConfigError at the file saying why.
std::string read_data_file(const std::filesystem::path& path);

/// Loads a file and everything it includes (top-level `include:`, a path or a list of paths,
/// relative to the including file). Included files are merged in order, then the file itself on
/// top: maps merge key by key, anything else is replaced. Cycles are errors, and so is going
/// past a limit of sim/config/limits.h (depth and number of includes, nodes, bytes).
ConfigNode load_config_file(const std::filesystem::path& path);
/// Same for text that is not in a file (the built-in scenario); includes resolve against `dir`.
ConfigNode load_config_text(std::string_view text, const std::string& source,
                            const std::filesystem::path& dir);

/// Applies one `--set path.to.key=value` (value parsed as YAML). A sequence element is addressed
/// by index or by the `name` of the map in it: `pipeline.decode.device=cpu`.
void apply_override(ConfigNode& root, std::string_view assignment, int index);

/// The node as one line of flow-style YAML (`[1, 2]`, `{a: b}`), which parse_yaml reads back to
/// the same tree: how a grid value taken from a file becomes a --set value.
std::string to_flow_yaml(const ConfigNode& n);

/// Deep merge: `top` wins.
void merge_into(ConfigNode& base, ConfigNode top);

}  // namespace servesim
