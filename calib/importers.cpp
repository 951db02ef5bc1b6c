#include "calib/importers.h"

#include <fstream>
#include <optional>
#include <sstream>

#include "sim/config/error.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"

namespace servesim::calib {

namespace {

std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw ConfigError(SourceMark{p.string(), 1, 1}, "", "cannot open the file");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The value of `key` in `entry` in ms, >= 0; nullopt when absent.
std::optional<double> ms(const ConfigNode& entry, const char* key, const std::string& path) {
  const ConfigNode* n = entry.find(key);
  if (!n) return std::nullopt;
  const auto v = n->is_scalar() ? parse_number(n->scalar) : std::nullopt;
  if (!v)
    throw ConfigError(n->mark, path + "." + key,
                      "expected a number of milliseconds, got " +
                          (n->is_scalar() ? "'" + n->scalar + "'" : std::string(n->kind_name())));
  if (*v < 0) throw ConfigError(n->mark, path + "." + key, "a duration must be >= 0");
  return *v;
}

}  // namespace

std::vector<Sample> import_trtexec(const std::filesystem::path& file, const TrtexecImport& how) {
  // JSON is YAML: the config tree keeps every value's line and column for messages.
  const ConfigNode root = parse_yaml(read_text(file), file.string());
  if (!root.is_sequence())
    throw ConfigError(root.mark, "",
                      "expected trtexec --exportTimes output: a list of {\"computeMs\": ...} "
                      "objects, got " +
                          std::string(root.kind_name()));
  if (root.items.empty()) throw ConfigError(root.mark, "", "the list of inferences is empty");
  std::vector<Sample> out;
  for (std::size_t i = 0; i < root.items.size(); ++i) {
    const ConfigNode& e = root.items[i];
    const std::string path = "[" + std::to_string(i) + "]";
    if (!e.is_map())
      throw ConfigError(e.mark, path,
                        "expected an object with \"computeMs\", got " + std::string(e.kind_name()));
    const auto compute = ms(e, "computeMs", path);
    if (!compute)
      throw ConfigError(e.mark, path,
                        "no \"computeMs\" (is this trtexec --exportTimes output? --exportProfile "
                        "writes per-layer times instead)");
    if (*compute <= 0)
      throw ConfigError(e.find("computeMs")->mark, path + ".computeMs", "must be > 0");
    Sample s;
    s.kernel = how.name + "_infer";
    s.batch = how.batch;
    s.seconds = *compute * 1e-3;
    out.push_back(s);
    auto copy = [&](const char* key, const char* old_key, const char* suffix, double bytes) {
      if (bytes <= 0) return;
      auto t = ms(e, key, path);
      if (!t) t = ms(e, old_key, path);
      if (!t || *t <= 0) return;  // a copy too short to time (or absent) is not a sample
      Sample c;
      c.kernel = how.name + suffix;
      c.batch = how.batch;
      c.bytes = bytes;
      c.seconds = *t * 1e-3;
      out.push_back(c);
    };
    copy("h2dMs", "inMs", "_h2d", how.input_bytes);
    copy("d2hMs", "outMs", "_d2h", how.output_bytes);
  }
  return out;
}

}  // namespace servesim::calib
