// `models.<model>.frameworks`: a model as an inference framework serves it (its time per batch,
// the memory it holds, its load time, its power), and the stage keys `model` and `framework`
// that choose one (docs/model.md, "Inference frameworks").

#include <cmath>
#include <set>
#include <utility>

#include "sim/core/format.h"
#include "sim/scenario/sections.h"

namespace servesim {

const Table<FrameworkParams>& framework_keys() {
  static const EnumNames<Device> devices{{Device::kCpu, "cpu"}, {Device::kGpu, "gpu"}};
  using Per = FrameworkParams::WeightsPer;
  static const EnumNames<Per> pers{{Per::kInstance, "instance"}, {Per::kDevice, "device"}};
  static const Table<FrameworkParams> table{
      "frameworks.NAME.",
      {},
      {
          {.key = "device",
           .type = choice_type(),
           .at = {&FrameworkParams::device, devices},
           .required = true,
           .help = "the stages that may use it: `cpu` or `gpu` stages"},
          {.key = "curve",
           .type = name_type(),
           .at = &FrameworkParams::curve,
           .emit = Emit::kUnlessDefault,
           .help = "the time of one batch, a name in `curves`: the service of a stage that names "
                   "the framework (which then gives no `service` of its own)",
           .doc_type = "a name in `curves`",
           .doc_default = "none: the stage gives its `service`"},
          {.key = "weights",
           .type = quantity_type(Dimension::kBytes),
           .at = &FrameworkParams::weights_bytes,
           .emit = Emit::kUnlessDefault,
           .help = "memory the loaded model holds whatever the batch: weights, engine, workspaces",
           .doc_default = "none (not counted)"},
          {.key = "weights_per",
           .type = choice_type(),
           .at = {&FrameworkParams::weights_per, pers},
           .help = "`instance`: each instance of the stage loads its own copy; `device`: the "
                   "instances on one device share one (Triton's TensorRT backend shares the "
                   "engine among the instances on a GPU)"},
          {.key = "activation_memory",
           .type = quantity_type(Dimension::kBytes),
           .at = &FrameworkParams::activation_bytes,
           .emit = Emit::kUnlessDefault,
           .help = "per image: each instance holds this times its largest batch "
                   "(`max_batch_size`, 1 without batching) from its load on, as TensorRT sizes an "
                   "execution context for its largest batch",
           .doc_default = "none (not counted)"},
          {.key = "load_time",
           .type = duration_type(true),
           .at = &FrameworkParams::load_time,
           .required = true,
           .help = "from the server's start until the model serves (read, deserialise or "
                   "compile, first pass): a new node's wait under `cluster.autoscale`"},
          {.key = "busy_power",
           .type = quantity_type(Dimension::kPower),
           .at = &FrameworkParams::busy_w,
           .emit = Emit::kUnlessDefault,
           .help = "`gpu`: the GPU's power while its kernels run, the `busy_power` of a stage "
                   "that names it and gives none of its own",
           .doc_default = "`node.gpus.busy_power`"},
          {.key = "source",
           .type = string_type(),
           .at = &FrameworkParams::source,
           .required = true,
           .help = "where the numbers come from (the resolved config keeps it: a result re-run "
                   "from itself needs it)"},
      }};
  return table;
}

FrameworkSet parse_frameworks(const ConfigNode& node, const std::string& model) {
  const std::string path = "models." + model + ".frameworks";
  if (!node.is_map() || node.entries.empty())
    throw ConfigError(node.mark, path, "expected a map of framework name -> framework");
  FrameworkSet out;
  for (const auto& e : node.entries) {
    check_name(e.key, e.key_mark, path + "." + e.key);
    MapReader r(e.value, path + "." + e.key, &e.key_mark);
    FrameworkParams f;
    read_keys(r, framework_keys(), f);
    f.model = model;
    f.name = e.key;
    if (f.busy_w > 0 && f.device != Device::kGpu)
      r.fail("busy_power", "busy_power belongs to device: gpu frameworks (the GPU's power)");
    r.finish();
    out.emplace(e.key, std::move(f));
  }
  return out;
}

namespace {

/// "; did you mean ...?" or the names there are, for a name that is not among them.
template <class Map>
std::string hint(const std::string& name, const Map& m) {
  std::vector<std::string> names;
  std::string all;
  for (const auto& [n, v] : m) {
    names.push_back(n);
    all += (all.empty() ? "" : ", ") + n;
  }
  const std::string close = did_you_mean(name, names);
  return "; " + (close.empty() ? "known: " + all : close);
}

}  // namespace

void parse_stage_framework(MapReader& r, const StageContext& ctx, StageParams& p) {
  if (!r.holds("model") && !r.holds("framework")) return;
  const std::optional<std::string> model = r.name("model");
  const std::optional<std::string> name = r.name("framework");
  if (!model)
    r.fail("framework", "framework needs `model`: the model (in `models`) the stage runs");
  if (!name) r.fail("model", "model needs `framework`: which of the model's frameworks serves it");
  const auto m = ctx.models.find(*model);
  if (m == ctx.models.end())
    r.fail("model", "unknown model '" + *model + "'" +
                        (ctx.models.empty() ? " (no models: is configs/models/*.yaml included?)"
                                            : hint(*model, ctx.models)));
  const auto f = m->second.frameworks.find(*name);
  if (f == m->second.frameworks.end())
    r.fail("framework", "model '" + *model + "' has no framework '" + *name + "'" +
                            (m->second.frameworks.empty() ? " (it gives no `frameworks`)"
                                                          : hint(*name, m->second.frameworks)));
  const FrameworkParams& fw = f->second;
  if (fw.device != p.device)
    r.fail("framework", "framework '" + *name + "' of model '" + *model +
                            "' runs on device: " + std::string(device_names().name(fw.device)) +
                            ", this stage on " + std::string(device_names().name(p.device)));
  p.framework = fw;
}

void resolve_stage_framework(MapReader& r, const StageContext& ctx, StageParams& p) {
  const FrameworkParams& fw = *p.framework;
  const std::string of = "framework '" + fw.name + "' of model '" + fw.model + "'";
  if (!fw.curve.empty()) {
    // The stage may say the same (a scenario written before it named its framework); anything
    // else would leave one of the two unused.
    if (const ConfigNode* sv = r.get("service")) {
      const ServiceParams given = parse_service(*sv, r.key_path("service"), ctx.curves);
      if (!given.curve || given.curve_name != fw.curve)
        r.fail("service", of + " gives the service (curve '" + fw.curve +
                              "'): remove `service`, or name a framework without a curve");
    }
    if (!ctx.curves.count(fw.curve))
      r.fail("framework", of + " takes its time from curve '" + fw.curve +
                              "', which is not in `curves`: include the curves file that "
                              "defines it");
    p.service.curve_name = fw.curve;
    p.service.curve =
        find_curve(ctx.curves, fw.curve, r.require("framework"), r.key_path("framework"));
  }
  if (fw.busy_w > 0 && !r.holds("busy_power")) {
    const PowerParams& gpu = ctx.node.gpus.power;
    if (gpu.busy_w <= 0)
      r.fail("framework", of + " gives a busy_power, which needs node.gpus.idle_power and "
                               "busy_power (the GPU's energy)");
    if (fw.busy_w < gpu.idle_w)
      r.fail("framework", of + "'s busy_power is below node.gpus.idle_power");
    p.busy_w = fw.busy_w;
  }
}

namespace {

/// The frameworks' memory on one device (a GPU for gpu stages, the host for cpu stages) must fit
/// in `left`; else an error at the first stage that does not fit, naming its largest batch.
void check_memory(const ScenarioParams& p, const ConfigNode& pipe, Device device, double left,
                  const std::string& room) {
  double total = 0;
  for (const StageParams& s : p.pipeline)
    if (s.device == device) total += framework_bytes(s);
  if (total <= left) return;
  for (std::size_t i = 0; i < p.pipeline.size(); ++i) {
    const StageParams& s = p.pipeline[i];
    if (s.device != device || !s.framework) continue;
    const FrameworkParams& f = *s.framework;
    const double others = total - framework_bytes(s);
    const double copies =
        f.weights_per == FrameworkParams::WeightsPer::kDevice ? 1.0 : double(s.instances);
    const double for_batches = left - others - copies * f.weights_bytes;
    const long long fits =
        f.activation_bytes > 0 && for_batches > 0
            ? static_cast<long long>(std::floor(for_batches / (s.instances * f.activation_bytes)))
            : 0;
    const int batch = s.batching ? s.batching->max_batch_size : 1;
    const std::string held = std::to_string(s.instances) + " instance" +
                             (s.instances > 1 ? "s" : "") + " of framework '" + f.name + "' hold " +
                             binary_bytes(framework_bytes(s)) + " (weights " +
                             binary_bytes(copies * f.weights_bytes) +
                             ", activations for a batch of " + std::to_string(batch) + ")";
    const std::string with = others > 0 ? " beside the other stages' " + binary_bytes(others) : "";
    const ConfigNode* b = pipe.items[i].find("batching");
    const ConfigNode* at = b ? b->find("max_batch_size") : nullptr;
    if (!at) at = pipe.items[i].find("framework");
    throw ConfigError(
        at->mark, "pipeline." + s.name + (b ? ".batching.max_batch_size" : ".framework"),
        held + with + ", but " + room + " leaves " + binary_bytes(left) +
            (fits > 0 ? ": at most a batch of " + std::to_string(fits) +
                            " fits; lower max_batch_size or instances, or give it more memory"
                      : ": not even a batch of 1 fits; fewer instances, or more memory"));
  }
}

}  // namespace

void check_framework_memory(ScenarioParams& p, const ConfigNode& pipe) {
  GpuParams& g = p.node.gpus;
  g.framework_bytes = 0;
  for (const StageParams& s : p.pipeline)
    if (s.device == Device::kGpu) g.framework_bytes += framework_bytes(s);
  if (g.memory_bytes > 0)
    check_memory(p, pipe, Device::kGpu, g.memory_bytes - g.reserved_bytes,
                 "node.gpus.memory less reserved_memory");
  if (p.node.memory.capacity_bytes > 0)
    check_memory(p, pipe, Device::kCpu, p.node.memory.capacity_bytes, "node.memory.capacity");
}

void resolve_load_time(ScenarioParams& p, const ConfigNode& root) {
  auto& a = p.cluster.autoscale;
  if (!a || a->load_time >= 0) return;
  std::set<std::pair<std::string, std::string>> seen;
  Time sum = 0;
  for (const StageParams& s : p.pipeline)
    if (s.framework && seen.emplace(s.framework->model, s.framework->name).second)
      sum += s.framework->load_time;
  if (seen.empty()) {
    const ConfigNode* at = root.find("cluster");
    if (at && at->find("autoscale")) at = at->find("autoscale");
    throw ConfigError(at ? at->mark : root.mark, "cluster.autoscale.load_time",
                      "required key is missing: no stage names a `framework`, whose load_time "
                      "it would be");
  }
  a->load_time = sum;
}

Json models_json(const std::vector<StageParams>& pipeline) {
  Json j = Json::object();
  for (const StageParams& s : pipeline) {
    if (!s.framework) continue;
    const FrameworkParams& f = *s.framework;
    Json fw;
    emit_keys(fw, framework_keys(), f);
    j[f.model]["frameworks"][f.name] = fw;
  }
  return j;
}

}  // namespace servesim
