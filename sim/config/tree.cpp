#include "sim/config/tree.h"

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace servesim {

namespace fs = std::filesystem;

const ConfigNode* ConfigNode::find(std::string_view key) const {
  for (const auto& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}
ConfigNode* ConfigNode::find(std::string_view key) {
  for (auto& e : entries)
    if (e.key == key) return &e.value;
  return nullptr;
}

std::string_view ConfigNode::kind_name() const {
  switch (kind) {
    case Kind::kNull:
      return "nothing (null)";
    case Kind::kScalar:
      return "a value";
    case Kind::kSequence:
      return "a list";
    case Kind::kMap:
      return "a map";
  }
  return "?";
}

namespace {

struct Offsets {
  const std::string& source;
  int line, col;
  SourceMark mark(const YAML::Mark& m) const {
    // yaml-cpp counts from 0; the column offset applies to the first line only (--set values).
    return SourceMark{source, m.line + 1 + line, m.column + 1 + (m.line == 0 ? col : 0)};
  }
};

ConfigNode convert(const YAML::Node& y, const Offsets& off, const std::string& path) {
  ConfigNode n;
  n.mark = off.mark(y.Mark());
  switch (y.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      n.kind = ConfigNode::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      n.kind = ConfigNode::Kind::kScalar;
      n.scalar = y.Scalar();
      n.quoted = y.Tag() == "!";
      break;
    case YAML::NodeType::Sequence:
      n.kind = ConfigNode::Kind::kSequence;
      for (std::size_t i = 0; i < y.size(); ++i)
        n.items.push_back(convert(y[i], off, path + "[" + std::to_string(i) + "]"));
      break;
    case YAML::NodeType::Map:
      n.kind = ConfigNode::Kind::kMap;
      for (const auto& kv : y) {
        MapEntry e;
        e.key_mark = off.mark(kv.first.Mark());
        if (!kv.first.IsScalar())
          throw ConfigError(e.key_mark, path, "a map key must be a plain name");
        e.key = kv.first.Scalar();
        const std::string child = path.empty() ? e.key : path + "." + e.key;
        if (n.find(e.key))
          throw ConfigError(e.key_mark, child, "duplicate key (each key may appear once in a map)");
        e.value = convert(kv.second, off, child);
        n.entries.push_back(std::move(e));
      }
      break;
  }
  return n;
}

std::string read_file(const fs::path& p, const SourceMark& from, const std::string& key) {
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    if (from.file.empty())
      throw ConfigError(SourceMark{p.string(), 1, 1}, "", "cannot open the file");
    throw ConfigError(from, key, "cannot open included file '" + p.string() + "'");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ConfigNode load_recursive(ConfigNode root, const fs::path& dir, std::vector<fs::path>& stack);

ConfigNode load_path(const fs::path& path, const SourceMark& from, std::vector<fs::path>& stack) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(path, ec);
  if (ec) canon = path;
  for (const auto& p : stack) {
    if (p == canon) {
      std::string chain;
      for (const auto& q : stack) chain += q.filename().string() + " -> ";
      throw ConfigError(from, "include", "include cycle: " + chain + canon.filename().string());
    }
  }
  const std::string text = read_file(path, from, "include");
  stack.push_back(canon);
  ConfigNode root = parse_yaml(text, path.string());
  ConfigNode out = load_recursive(std::move(root), path.parent_path(), stack);
  stack.pop_back();
  return out;
}

ConfigNode load_recursive(ConfigNode root, const fs::path& dir, std::vector<fs::path>& stack) {
  if (root.kind == ConfigNode::Kind::kNull) {
    root.kind = ConfigNode::Kind::kMap;  // an empty file is an empty scenario
  }
  if (!root.is_map())
    throw ConfigError(root.mark, "",
                      "a scenario must be a map of keys (seed, run, workload, ...), not " +
                          std::string(root.kind_name()));
  const ConfigNode* inc = root.find("include");
  if (!inc) return root;
  std::vector<const ConfigNode*> paths;
  if (inc->is_scalar()) {
    paths.push_back(inc);
  } else if (inc->is_sequence()) {
    for (const auto& i : inc->items) {
      if (!i.is_scalar()) throw ConfigError(i.mark, "include", "each include must be a file path");
      paths.push_back(&i);
    }
  } else {
    throw ConfigError(inc->mark, "include", "include must be a file path or a list of paths");
  }
  ConfigNode merged;
  merged.kind = ConfigNode::Kind::kMap;
  merged.mark = root.mark;
  for (const ConfigNode* p : paths) merge_into(merged, load_path(dir / p->scalar, p->mark, stack));
  std::erase_if(root.entries, [](const MapEntry& e) { return e.key == "include"; });
  merge_into(merged, std::move(root));
  return merged;
}

}  // namespace

ConfigNode parse_yaml(std::string_view text, const std::string& source, int line_offset,
                      int col_offset) {
  const Offsets off{source, line_offset, col_offset};
  YAML::Node y;
  try {
    y = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(off.mark(e.mark), "", "YAML syntax: " + e.msg);
  }
  return convert(y, off, "");
}

void merge_into(ConfigNode& base, ConfigNode top) {
  if (base.is_map() && top.is_map()) {
    for (auto& e : top.entries) {
      if (ConfigNode* existing = base.find(e.key)) {
        merge_into(*existing, std::move(e.value));
      } else {
        base.entries.push_back(std::move(e));
      }
    }
    return;
  }
  base = std::move(top);
}

ConfigNode load_config_file(const fs::path& path) {
  std::vector<fs::path> stack;
  return load_path(path, SourceMark{}, stack);
}

ConfigNode load_config_text(std::string_view text, const std::string& source, const fs::path& dir) {
  std::vector<fs::path> stack;
  return load_recursive(parse_yaml(text, source), dir, stack);
}

void apply_override(ConfigNode& root, std::string_view assignment, int index) {
  const std::string source = "--set #" + std::to_string(index);
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw ConfigError(SourceMark{source, 1, 1}, std::string(assignment),
                      "expected --set path.to.key=value (e.g. --set workload.rate=120/s)");
  const std::string path(assignment.substr(0, eq));
  const std::string_view value = assignment.substr(eq + 1);
  ConfigNode parsed =
      parse_yaml(value, source + " (" + std::string(assignment) + ")", 0, static_cast<int>(eq) + 1);

  ConfigNode* node = &root;
  std::string done;
  std::size_t start = 0;
  int col = 1;
  while (true) {
    const std::size_t dot = path.find('.', start);
    const std::string seg =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const SourceMark seg_mark{source, 1, col};
    const std::string here = done.empty() ? seg : done + "." + seg;
    if (seg.empty()) throw ConfigError(seg_mark, path, "empty segment in key path");
    const bool last = dot == std::string::npos;
    ConfigNode* next = nullptr;
    if (node->is_sequence()) {
      const bool numeric = seg.find_first_not_of("0123456789") == std::string::npos;
      if (numeric) {
        // from_chars, not stoul: an index too long for size_t is out of range, not an exception.
        std::size_t i = 0;
        const auto [end, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), i);
        if (ec != std::errc() || end != seg.data() + seg.size() || i >= node->items.size())
          throw ConfigError(seg_mark, here,
                            "index out of range: '" + done + "' has " +
                                std::to_string(node->items.size()) + " elements");
        next = &node->items[i];
      } else {
        std::string names;
        for (auto& item : node->items) {
          const ConfigNode* nm = item.is_map() ? item.find("name") : nullptr;
          if (nm && nm->is_scalar()) {
            if (nm->scalar == seg) next = &item;
            names += (names.empty() ? "" : ", ") + nm->scalar;
          }
        }
        if (!next)
          throw ConfigError(seg_mark, here,
                            "no element of '" + done + "' is named '" + seg +
                                "' (names: " + (names.empty() ? "none" : names) + ")");
      }
    } else {
      if (!node->is_map()) {
        if (node->kind != ConfigNode::Kind::kNull)
          throw ConfigError(seg_mark, here,
                            "'" + done + "' is " + std::string(node->kind_name()) +
                                ", so it has no key '" + seg + "'");
        node->kind = ConfigNode::Kind::kMap;
      }
      next = node->find(seg);
      if (!next) {
        node->entries.push_back(MapEntry{seg, seg_mark, ConfigNode{}});
        next = &node->entries.back().value;
        next->mark = seg_mark;
      }
    }
    if (last) {
      *next = std::move(parsed);
      return;
    }
    node = next;
    done = here;
    col += static_cast<int>(seg.size()) + 1;
    start = dot + 1;
  }
}

std::string to_flow_yaml(const ConfigNode& n) {
  switch (n.kind) {
    case ConfigNode::Kind::kNull:
      return "null";
    case ConfigNode::Kind::kScalar: {
      if (!n.quoted && !n.scalar.empty() &&
          n.scalar.find_first_of(",[]{}:#&*!|>'\"%@`") == std::string::npos &&
          n.scalar.front() != ' ' && n.scalar.back() != ' ')
        return n.scalar;
      std::string q = "\"";
      for (const char c : n.scalar) {
        if (c == '"' || c == '\\') q += '\\';
        q += c;
      }
      return q + "\"";
    }
    case ConfigNode::Kind::kSequence: {
      std::string s = "[";
      for (std::size_t i = 0; i < n.items.size(); ++i)
        s += (i ? ", " : "") + to_flow_yaml(n.items[i]);
      return s + "]";
    }
    case ConfigNode::Kind::kMap: {
      std::string s = "{";
      for (std::size_t i = 0; i < n.entries.size(); ++i)
        s += (i ? ", " : "") + n.entries[i].key + ": " + to_flow_yaml(n.entries[i].value);
      return s + "}";
    }
  }
  return "null";
}

}  // namespace servesim
