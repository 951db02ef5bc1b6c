#include "sim/app/catalog.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "sim/app/plan.h"
#include "sim/cli/verbs.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"

namespace servesim {

namespace {

namespace fs = std::filesystem;

fs::path catalog_dir(const std::string& option) {
  fs::path dir = config_dir();
  if (dir.empty())
    throw ConfigError(SourceMark{option, 1, 1}, "",
                      "cannot find servesim's configs/ (looked for share/servesim/configs beside "
                      "and above the binary); set SERVESIM_CONFIG_DIR to a configs directory");
  return dir;
}

/// The YAML files directly in `dir`, sorted by name.
std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file(ec) && e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

/// One file alone (its includes not followed), as the catalog reads its description.
ConfigNode read_alone(const fs::path& file) {
  return parse_yaml(read_data_file(file), file.string());
}

/// The file's `description:`, else its first comment line (scenarios written before the
/// catalog carry their description as a header comment).
std::string description_of(const fs::path& file, const ConfigNode& root) {
  if (const ConfigNode* d = root.find("description"); d && d->is_scalar()) return d->scalar;
  const std::string text = read_data_file(file);
  const std::size_t end = text.find('\n');
  const std::string first = text.substr(0, end);
  return first.starts_with("# ") ? first.substr(2) : std::string("-");
}

struct Entry {
  std::string name, description, file;
};

/// The catalog's models: each key of a models/*.yaml's `models:` map, with its file.
std::vector<std::pair<std::string, fs::path>> model_files(const fs::path& dir) {
  std::vector<std::pair<std::string, fs::path>> out;
  for (const fs::path& f : yaml_files(dir / "models")) {
    const ConfigNode root = read_alone(f);
    if (const ConfigNode* m = root.find("models"); m && m->is_map())
      for (const auto& e : m->entries) out.emplace_back(e.key, f);
  }
  return out;
}

std::vector<Entry> entries_of(const fs::path& dir, const std::string& kind) {
  std::vector<Entry> out;
  if (kind == "models") {
    for (const auto& [name, f] : model_files(dir))
      out.push_back({name, description_of(f, read_alone(f)), "models/" + f.filename().string()});
    return out;
  }
  for (const fs::path& f : yaml_files(dir / kind))
    out.push_back(
        {f.stem().string(), description_of(f, read_alone(f)), kind + "/" + f.filename().string()});
  return out;
}

/// "no hardware 'h100' in the catalog; did you mean 'h100-node'? (servesim list hardware)"
[[noreturn]] void unknown(const std::string& option, const std::string& what,
                          const std::string& name, const std::vector<std::string>& names) {
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  const std::string hint = did_you_mean(name, names);
  throw ConfigError(SourceMark{option, 1, 1}, "",
                    "the catalog has no " + what + " '" + name + "'" +
                        (hint.empty() ? "" : "; " + hint) + " (it has: " + known + ")");
}

/// YAML single-quoted scalar of `s`.
std::string quoted(const std::string& s) {
  std::string q = "'";
  for (const char ch : s) q += ch == '\'' ? std::string("''") : std::string(1, ch);
  return q + "'";
}

/// The pipeline a choice runs: one of the paper's scenarios, whose stages were sized for its
/// i9-13900K + RTX 4090 node (18 P-core equivalents, one GPU).
std::string template_of(const CatalogChoice& c, bool large_images) {
  if (c.preprocess == "cpu") return "paper-vit-base-cpu";
  return large_images ? "paper-vit-base-gpu-large" : "paper-vit-base-gpu";
}

/// The hardware file's node and the curves it includes, the model's file and the on-node client,
/// under the run, workload, pipeline and image sets of the template: every node keeps the file,
/// line and column it came from.
ConfigNode compose_tree(const fs::path& dir, const CatalogChoice& c, const fs::path& model_file,
                        const ConfigNode& tpl) {
  const std::string text = "include:\n  - " + quoted("hardware/" + c.hardware + ".yaml") +
                           "\n  - " + quoted("models/" + model_file.filename().string()) +
                           "\n  - " + quoted("clients/perf-analyzer-on-node.yaml") + "\n";
  ConfigNode root = load_config_text(text, "<catalog>", dir);
  ConfigNode part;
  part.kind = ConfigNode::Kind::kMap;
  part.mark = tpl.mark;
  for (const auto& e : tpl.entries)
    if (e.key == "seed" || e.key == "run" || e.key == "workload" || e.key == "pipeline" ||
        e.key == "image_sets")
      part.entries.push_back(e);
  merge_into(root, std::move(part));
  return root;
}

/// The names the catalog was asked for, checked before anything is put together.
fs::path check_choice(const fs::path& dir, const CatalogChoice& c) {
  std::vector<std::string> names;
  for (const fs::path& f : yaml_files(dir / "hardware")) names.push_back(f.stem().string());
  if (std::find(names.begin(), names.end(), c.hardware) == names.end())
    unknown("--hardware", "hardware", c.hardware, names);
  const ConfigNode hw = read_alone(dir / "hardware" / (c.hardware + ".yaml"));
  const ConfigNode* node = hw.find("node");
  const ConfigNode* gpus = node ? node->find("gpus") : nullptr;
  const ConfigNode* count = gpus ? gpus->find("count") : nullptr;
  if (!count || (count->is_scalar() && count->scalar == "0"))
    throw ConfigError(SourceMark{"--hardware", 1, 1}, "",
                      "hardware '" + c.hardware +
                          "' has no GPUs, and the catalog's pipelines infer on a GPU; run one of "
                          "its scenarios instead (servesim list scenarios)");
  const std::vector<std::string> sets{"small", "medium", "large"};
  if (std::find(sets.begin(), sets.end(), c.images) == sets.end())
    unknown("--images", "image set", c.images, sets);
  names.clear();
  for (const auto& [name, f] : model_files(dir)) {
    if (name == c.model) return f;
    names.push_back(name);
  }
  unknown("--model", "model", c.model, names);
}

/// The model's inference curve, `<model>_trt`, must be one the hardware has.
void check_curve(const ConfigNode& root, const CatalogChoice& c) {
  const ConfigNode* curves = root.find("curves");
  const std::string want = c.model + "_trt";
  if (curves && curves->find(want)) return;
  std::string have;
  if (curves)
    for (const auto& e : curves->entries)
      if (e.key.ends_with("_trt")) have += (have.empty() ? "" : ", ") + e.key;
  throw ConfigError(SourceMark{"--model", 1, 1}, "",
                    "hardware '" + c.hardware + "' has no inference curve '" + want +
                        "' for model '" + c.model + "' (its curves: " + have + ")");
}

/// The tree of choice `c` on template `tpl_name`, with the catalog's own settings (the model,
/// the images, and the rule's worker and client counts) applied as overrides numbered from
/// `first`; what the choice names has been checked.
ConfigNode composed(const fs::path& dir, const CatalogChoice& c, const fs::path& model_file,
                    const std::string& tpl_name, int first) {
  const ConfigNode tpl = load_config_file(dir / "scenarios" / (tpl_name + ".yaml"));
  const ScenarioParams ref = parse_scenario(tpl);
  ConfigNode root = compose_tree(dir, c, model_file, tpl);
  check_curve(root, c);
  int n = first;
  for (const std::string& set :
       {"workload.images=" + c.images, "pipeline.infer.service.curve=" + c.model + "_trt",
        "pipeline.infer.output.output_of=" + c.model, "pipeline.resize.output.input_of=" + c.model})
    apply_override(root, set, ++n);
  // The rule (docs/guide.md, "The catalog"): CPU worker pools scale with the cores as plan's
  // --cores does; GPU stages' instances are per GPU already; the clients scale with the GPUs.
  const ScenarioParams p = parse_scenario(root);
  for (const auto& [name, instances] : cpu_workers(ref, ""))
    apply_override(
        root,
        "pipeline." + name + ".instances=" +
            std::to_string(scaled_workers(instances, p.node.cpu.cores, ref.node.cpu.cores)),
        ++n);
  const int clients =
      std::max(1, ref.workload.concurrency * p.node.gpus.count / std::max(1, ref.node.gpus.count));
  apply_override(root, "workload.concurrency=" + std::to_string(clients), ++n);
  return root;
}

}  // namespace

std::string catalog_list(const std::string& kind) {
  if (kind != "hardware" && kind != "hosts" && kind != "models" && kind != "curves" &&
      kind != "scenarios")
    throw UsageError("list: '" + kind + "' is not a part of the catalog: hardware, hosts, " +
                     "models, curves or scenarios");
  const fs::path dir = catalog_dir("list");
  const std::vector<Entry> entries = entries_of(dir, kind);
  std::size_t width = 4;
  for (const Entry& e : entries) width = std::max(width, e.name.size());
  std::string out = kind + " in " + dir.string() + ":\n";
  for (const Entry& e : entries)
    out += "  " + e.name + std::string(width + 2 - e.name.size(), ' ') + e.description + "  [" +
           e.file + "]\n";
  return out;
}

ComposedConfig compose_config(const CatalogChoice& c, const std::vector<std::string>& overrides) {
  if (c.preprocess != "gpu" && c.preprocess != "cpu")
    unknown("--preprocess", "preprocessing", c.preprocess, {"gpu", "cpu"});
  const fs::path dir = catalog_dir("--hardware");
  const fs::path model_file = check_choice(dir, c);
  // Numbered after the user's --set, whose numbers they keep.
  const int first = static_cast<int>(overrides.size());
  ConfigNode root = composed(dir, c, model_file, template_of(c, false), first);
  // DALI decodes images of >= 1 Mpx with its GPU Huffman path (hybrid_huffman_threshold).
  const ScenarioParams p = parse_scenario(root);
  const bool large = std::all_of(
      p.workload.images.begin(), p.workload.images.end(),
      [](const ImageParams& im) { return static_cast<double>(im.width) * im.height >= 1e6; });
  if (c.preprocess == "gpu" && large)
    root = composed(dir, c, model_file, template_of(c, true), first);
  for (std::size_t i = 0; i < overrides.size(); ++i)
    apply_override(root, overrides[i], static_cast<int>(i + 1));
  return {std::move(root), "catalog " + c.hardware + " + " + c.model + " (" + c.images +
                               " images, " + c.preprocess + " preprocessing, " +
                               template_of(c, c.preprocess == "gpu" && large) + "'s pipeline)"};
}

LoadedScenario compose_scenario(const CatalogChoice& c, const std::vector<std::string>& overrides) {
  ComposedConfig composed = compose_config(c, overrides);
  LoadedScenario out;
  out.source = std::move(composed.source);
  out.params = parse_scenario(composed.root);
  return out;
}

}  // namespace servesim
