#include "sim/config/tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <sstream>

#include "sim/config/limits.h"
#include "sim/config/text.h"

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

/// What one scenario may still load (sim/config/limits.h): its files, includes and --set
/// values draw on one budget.
struct Budget {
  std::size_t nodes = kMaxConfigNodes;
  std::size_t bytes = kMaxConfigBytes;
  int files = kMaxIncludedFiles;
  std::vector<fs::path> stack;  // the chain of files being loaded, for cycles and depth
};

std::string mib(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

struct Offsets {
  const std::string& source;
  int line, col;
  SourceMark mark(const YAML::Mark& m) const {
    // yaml-cpp counts from 0; the column offset applies to the first line only (--set values).
    return SourceMark{source, m.line + 1 + line, m.column + 1 + (m.line == 0 ? col : 0)};
  }
};

/// YAML text is UTF-8 (YAML 1.2, section 5.2), which yaml-cpp does not check; servesim's
/// outputs (JSON above all) cannot hold anything else.
void check_utf8(const std::string& s, const SourceMark& at, const std::string& key) {
  const std::string problem = utf8_problem(s);
  if (!problem.empty()) throw ConfigError(at, key, "this text " + problem);
}

[[noreturn]] void too_deep(const SourceMark& at, const std::string& path) {
  throw ConfigError(at, path,
                    "nested more than " + std::to_string(kMaxConfigDepth) +
                        " levels deep: servesim's limit, so that runaway nesting cannot "
                        "overflow the stack");
}

[[noreturn]] void over_budget(const SourceMark& at, const std::string& path) {
  throw ConfigError(at, path,
                    "the scenario expands to more than " + std::to_string(kMaxConfigNodes) +
                        " YAML nodes (its files, includes and --set values together, an alias "
                        "counting each time it is used): servesim's limit, so that an alias "
                        "bomb cannot exhaust memory");
}

/// Builds our tree from yaml-cpp's parse events, never from yaml-cpp's own node graph: that
/// graph holds an alias as a shared node (a self-referencing one as a cycle) and is built
/// whole before anyone can count it. Here every node, an alias's copy included, is counted
/// against the budget as it is made, nesting against kMaxConfigDepth, and an alias met inside
/// its own anchor is an error at the alias.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(const Offsets& off, std::string key, int depth, Budget& budget)
      : off_(off), key_(std::move(key)), depth_(depth), budget_(budget) {}

  /// The document's top node (null when the document is empty).
  ConfigNode take_root() { return std::move(root_); }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t anchor) override {
    ConfigNode n = make(m);
    n.kind = ConfigNode::Kind::kNull;
    done(std::move(n), anchor, 1, 0);
  }
  void OnScalar(const YAML::Mark& m, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    ConfigNode n = make(m);
    n.kind = ConfigNode::Kind::kScalar;
    n.scalar = value;
    n.quoted = tag == "!";  // yaml-cpp tags a quoted (non-plain) scalar "!"
    check_utf8(n.scalar, n.mark, child_path());
    done(std::move(n), anchor, 1, 0);
  }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(m, ConfigNode::Kind::kSequence, anchor);
  }
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(m, ConfigNode::Kind::kMap, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapEnd() override { close(); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t anchor) override {
    const SourceMark at = off_.mark(m);
    for (const Open& o : open_)
      if (o.anchor == anchor && anchor != 0)
        throw ConfigError(at, child_path(),
                          "an alias inside the node its anchor names (like &a [*a]) would "
                          "repeat without end");
    if (anchor >= anchors_.size() || !anchors_[anchor])
      throw ConfigError(at, child_path(), "an alias to an anchor that is not defined before it");
    const Anchored& a = *anchors_[anchor];
    if (level() + a.height > kMaxConfigDepth) too_deep(at, child_path());
    if (a.nodes > budget_.nodes) over_budget(at, child_path());
    budget_.nodes -= a.nodes;
    // A copy keeps the marks of what the anchor names, where its values were written.
    done(ConfigNode(a.node), 0, a.nodes, a.height);
  }

 private:
  struct Open {
    ConfigNode node;
    std::string path;
    YAML::anchor_t anchor = 0;
    std::size_t nodes = 1;  // in its subtree so far, itself included
    int height = 0;         // levels below it so far
    bool have_key = false;  // a map: the next node done is the value of `key`
    MapEntry entry;         // a map: the key waiting for its value
  };
  struct Anchored {
    ConfigNode node;
    std::size_t nodes;
    int height;
  };

  /// The nesting level the next node is at: the document's top is at depth_.
  int level() const { return depth_ + static_cast<int>(open_.size()); }

  /// The key path of the node about to be done, for messages.
  std::string child_path() const {
    if (open_.empty()) return key_;
    const Open& o = open_.back();
    if (o.node.is_sequence()) return o.path + "[" + std::to_string(o.node.items.size()) + "]";
    if (o.have_key) return o.path.empty() ? o.entry.key : o.path + "." + o.entry.key;
    return o.path;
  }

  /// Whether the next node done is a map's key (a name, not a level of nesting).
  bool key_next() const {
    return !open_.empty() && open_.back().node.is_map() && !open_.back().have_key;
  }

  /// A new node at `m`, counted: the budget and the depth are checked before it exists.
  ConfigNode make(const YAML::Mark& m) {
    ConfigNode n;
    n.mark = off_.mark(m);
    if (level() > kMaxConfigDepth && !key_next()) too_deep(n.mark, child_path());
    if (budget_.nodes == 0) over_budget(n.mark, child_path());
    --budget_.nodes;
    return n;
  }

  void open(const YAML::Mark& m, ConfigNode::Kind kind, YAML::anchor_t anchor) {
    Open o;
    o.path = child_path();
    o.node = make(m);
    o.node.kind = kind;
    o.anchor = anchor;
    open_.push_back(std::move(o));
  }

  void close() {
    Open o = std::move(open_.back());
    open_.pop_back();
    if (o.have_key)  // yaml-cpp ends a map only after a value; kept as a guard
      throw ConfigError(o.entry.key_mark, o.path, "a map key without a value");
    done(std::move(o.node), o.anchor, o.nodes, o.height);
  }

  /// A finished node of `nodes` nodes and `height` levels below it: kept under its anchor, and
  /// handed to the open node above it (or made the root).
  void done(ConfigNode n, YAML::anchor_t anchor, std::size_t nodes, int height) {
    if (anchor != 0) {  // the copy kept for its aliases counts too: nested anchors add up
      if (nodes > budget_.nodes) over_budget(n.mark, child_path());
      budget_.nodes -= nodes;
      if (anchors_.size() <= anchor) anchors_.resize(anchor + 1);
      anchors_[anchor] = Anchored{n, nodes, height};
    }
    if (open_.empty()) {
      root_ = std::move(n);
      return;
    }
    Open& o = open_.back();
    o.nodes += nodes;
    o.height = std::max(o.height, height + 1);
    if (o.node.is_sequence()) {
      o.node.items.push_back(std::move(n));
    } else if (!o.have_key) {
      if (!n.is_scalar()) throw ConfigError(n.mark, o.path, "a map key must be a plain name");
      o.entry = MapEntry{};
      o.entry.key = std::move(n.scalar);
      o.entry.key_mark = n.mark;
      const std::string child = o.path.empty() ? o.entry.key : o.path + "." + o.entry.key;
      if (o.node.find(o.entry.key))
        throw ConfigError(o.entry.key_mark, child,
                          "duplicate key (each key may appear once in a map)");
      o.have_key = true;
    } else {
      o.entry.value = std::move(n);
      o.node.entries.push_back(std::move(o.entry));
      o.have_key = false;
    }
  }

  const Offsets& off_;
  std::string key_;
  int depth_;
  Budget& budget_;
  std::vector<Open> open_;
  std::vector<std::optional<Anchored>> anchors_;  // by yaml-cpp's anchor number (1, 2, ...)
  ConfigNode root_;
};

/// Counts what is left of the stream after the first document: where it starts, if anything.
class Rest final : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;
  void OnDocumentStart(const YAML::Mark& m) override {
    if (!start) start = m;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

/// The one YAML document of `text` as our tree: its top node is `key` (the key path in
/// messages), at nesting level `depth`.
ConfigNode parse_document(std::string_view text, const Offsets& off, const std::string& key,
                          int depth, Budget& budget) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  TreeBuilder builder(off, key, depth, budget);
  Rest rest;
  try {
    parser.HandleNextDocument(builder);
    // Only one more document is looked at: yaml-cpp 0.7 reports a stray token the document
    // did not take (a lone ',') as an endless run of empty documents, which YAML::LoadAll
    // collected until memory ran out.
    parser.HandleNextDocument(rest);
  } catch (const YAML::ParserException& e) {
    throw ConfigError(off.mark(e.mark), "", "YAML syntax: " + e.msg);
  }
  if (rest.start) {
    const SourceMark at = off.mark(*rest.start);
    std::size_t line_start = 0;  // of the line the rest starts on
    for (int l = 0; l < rest.start->line && line_start < text.size(); ++l)
      line_start = std::min(text.find('\n', line_start), text.size() - 1) + 1;
    if (text.substr(std::min(line_start, text.size())).starts_with("---"))
      throw ConfigError(at, "",
                        "a second YAML document ('---'): a scenario file holds one document; "
                        "remove the '---', or move what follows it to a file of its own and "
                        "include that");
    throw ConfigError(at, "",
                      "YAML syntax: text the document does not take (a stray ',', ']' or "
                      "'}'?)");
  }
  return builder.take_root();
}

/// A file descriptor, closed on every way out.
struct Fd {
  int fd;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

/// An error about file `p`: at the key that names it (`from`), or at the file itself when
/// nothing names it (the scenario file given on the command line).
[[noreturn]] void file_error(const fs::path& p, const SourceMark& from, const std::string& key,
                             const std::string& message) {
  throw ConfigError(from.file.empty() ? SourceMark{p.string(), 1, 1} : from, key, message);
}

/// "the file", or "included file '<p>'" when a key names it.
std::string file_name(const fs::path& p, const SourceMark& from, std::string_view what) {
  return from.file.empty() ? "the file" : std::string(what) + " '" + p.string() + "'";
}

std::string errno_text() { return std::strerror(errno); }

ConfigNode load_recursive(ConfigNode root, const fs::path& dir, Budget& budget);

ConfigNode load_path(const fs::path& path, const SourceMark& from, Budget& budget) {
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(path, ec);
  if (ec) canon = path;
  for (const auto& p : budget.stack) {
    if (p == canon) {
      std::string chain;
      for (const auto& q : budget.stack) chain += q.filename().string() + " -> ";
      throw ConfigError(from, "include", "include cycle: " + chain + canon.filename().string());
    }
  }
  if (budget.stack.size() >= static_cast<std::size_t>(kMaxIncludeDepth))
    throw ConfigError(from, "include",
                      "includes nest more than " + std::to_string(kMaxIncludeDepth) +
                          " files deep: servesim's limit, as each level takes stack");
  if (budget.files == 0)
    throw ConfigError(from, "include",
                      "the scenario loads more than " + std::to_string(kMaxIncludedFiles) +
                          " files (a file counting each time it is included): servesim's limit, "
                          "so that files that each include the next twice cannot load 2^N times");
  --budget.files;
  const std::string text = read_regular_file(path, budget.bytes, from, "include", "included file");
  if (text.size() > budget.bytes)
    file_error(path, from, from.file.empty() ? "" : "include",
               file_name(path, from, "included file") +
                   (budget.bytes == kMaxConfigBytes ? " is larger than " + mib(kMaxConfigBytes)
                                                    : " takes the scenario's files past " +
                                                          mib(kMaxConfigBytes) + " together") +
                   ": servesim reads at most " + mib(kMaxConfigBytes) +
                   " of YAML for a scenario, so that a runaway file cannot take the memory");
  budget.bytes -= text.size();
  budget.stack.push_back(canon);
  const std::string source = path.string();
  ConfigNode root = parse_document(text, Offsets{source, 0, 0}, "", 1, budget);
  ConfigNode out = load_recursive(std::move(root), path.parent_path(), budget);
  budget.stack.pop_back();
  return out;
}

ConfigNode load_recursive(ConfigNode root, const fs::path& dir, Budget& budget) {
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
  for (const ConfigNode* p : paths) {
    // dir / "" is the folder itself: say what is wrong rather than that it is not a file.
    if (p->scalar.empty()) throw ConfigError(p->mark, "include", "the include path is empty");
    merge_into(merged, load_path(dir / p->scalar, p->mark, budget));
  }
  std::erase_if(root.entries, [](const MapEntry& e) { return e.key == "include"; });
  merge_into(merged, std::move(root));
  return merged;
}

/// The nodes of a tree, to know what a --set value may still add to it.
std::size_t count_nodes(const ConfigNode& n) {
  std::size_t c = 1;
  for (const auto& i : n.items) c += count_nodes(i);
  for (const auto& e : n.entries) c += count_nodes(e.value);
  return c;
}

}  // namespace

std::string read_regular_file(const fs::path& path, std::size_t max_bytes, const SourceMark& from,
                              const std::string& key, std::string_view what) {
  const std::string name = file_name(path, from, what);
  const std::string at_key = from.file.empty() ? "" : key;
  // O_NONBLOCK so that opening a FIFO returns at once, for fstat to refuse it.
  const Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)};
  if (f.fd < 0) file_error(path, from, at_key, "cannot open " + name + " (" + errno_text() + ")");
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    file_error(path, from, at_key, "cannot read " + name + " (" + errno_text() + ")");
  if (!S_ISREG(st.st_mode))
    file_error(path, from, at_key,
               name + " is " + (S_ISDIR(st.st_mode) ? "a directory" : "a device, FIFO or socket") +
                   ", not a regular file");
  std::string text;
  const std::size_t want = max_bytes + 1;  // the byte past the limit tells a file too large
  char buf[1 << 16];
  while (text.size() < want) {
    const ssize_t n = ::read(f.fd, buf, std::min(sizeof buf, want - text.size()));
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      file_error(path, from, at_key, "cannot read " + name + " (" + errno_text() + ")");
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  return text;
}

std::string read_data_file(const fs::path& path) {
  std::string text = read_regular_file(path, kMaxDataFileBytes, SourceMark{}, "", "file");
  if (text.size() > kMaxDataFileBytes)
    file_error(path, SourceMark{}, "",
               "the file is larger than " + mib(kMaxDataFileBytes) +
                   ", the most servesim reads of a data file (a result, a CSV, samples)");
  return text;
}

ConfigNode parse_yaml(std::string_view text, const std::string& source, int line_offset,
                      int col_offset) {
  Budget budget;
  return parse_document(text, Offsets{source, line_offset, col_offset}, "", 1, budget);
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
  Budget budget;
  return load_path(path, SourceMark{}, budget);
}

ConfigNode load_config_text(std::string_view text, const std::string& source, const fs::path& dir) {
  Budget budget;
  return load_recursive(parse_document(text, Offsets{source, 0, 0}, "", 1, budget), dir, budget);
}

void apply_override(ConfigNode& root, std::string_view assignment, int index) {
  const std::string source = "--set #" + std::to_string(index);
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw ConfigError(SourceMark{source, 1, 1}, std::string(assignment),
                      "expected --set path.to.key=value (e.g. --set workload.rate=120/s)");
  const std::string path(assignment.substr(0, eq));
  const std::string_view value = assignment.substr(eq + 1);
  // The value lands one level below the path's last segment, and may add to the scenario only
  // what is left of its node budget.
  Budget budget;
  const std::size_t have = count_nodes(root);
  budget.nodes = have < kMaxConfigNodes ? kMaxConfigNodes - have : 0;
  const int depth = 2 + static_cast<int>(std::count(path.begin(), path.end(), '.'));
  const std::string value_source = source + " (" + std::string(assignment) + ")";
  ConfigNode parsed = parse_document(value, Offsets{value_source, 0, static_cast<int>(eq) + 1},
                                     path, depth, budget);

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
