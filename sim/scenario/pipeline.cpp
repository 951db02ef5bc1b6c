// `pipeline`: the stages each request goes through, their batching and outputs, and the
// `models` whose shapes outputs may name.

#include <algorithm>
#include <cmath>
#include <set>

#include "sim/core/format.h"
#include "sim/model/payload.h"
#include "sim/scenario/sections.h"

namespace servesim {

const EnumNames<Device>& device_names() {
  static const EnumNames<Device> names{{Device::kCpu, "cpu"},
                                       {Device::kGpu, "gpu"},
                                       {Device::kNvjpg, "nvjpg"},
                                       {Device::kPcie, "pcie"},
                                       {Device::kNetwork, "network"}};
  return names;
}

const Table<StageParams>& stage_keys() {
  static const EnumNames<Direction> directions{{Direction::kToGpu, "to_gpu"},
                                               {Direction::kToHost, "to_host"}};
  static const Table<StageParams> table{
      "",
      {},
      {
          {.key = "name",
           .type = custom_type(),
           .help = "how outputs and `--set` name the stage",
           .doc_type = "name (see Names) without spaces, dots, commas, brackets",
           .doc_default = "required, unique"},
          {.key = "device",
           .type = choice_type(),
           .at = {&StageParams::device, device_names()},
           .required = true,
           .help = "CPU pool, GPU compute engine, NVJPG engines, or an explicit transfer (PCIe, "
                   "or the payload over `node.network`); `gpu`, `nvjpg`, `pcie` need "
                   "`node.gpus.count > 0`, `nvjpg` needs `nvjpg_engines > 0`, `network` needs "
                   "`node.network`"},
          {.key = "instances",
           .type = integer_type(1, 1'000'000),
           .at = &StageParams::instances,
           .help = "`cpu`: instances on the node; `gpu`, `nvjpg`, `pcie`: instances on each GPU "
                   "(Triton's instance_group count); each serves one batch at a time"},
          {.key = "speedup",
           .type = number_type(1e-6, 1e6),
           .at = &StageParams::speedup,
           .emit = Emit::kUnlessDefault,
           .help = "what-if: the stage's service and cpu_service times are divided by it "
                   "(`servesim amdahl` sets it)"},
          {.key = "service",
           .type = custom_type(),
           .help = "the time of one batch's work at speed 1; a bare duration is fixed",
           .doc_type = "`{curve: NAME}`, a distribution map, or a duration",
           .doc_default = "required, except `pcie` (where it is an error)"},
          {.key = "cpu_service",
           .type = custom_type(),
           .help = "`gpu` and `nvjpg` only: a CPU part run on the CPU pool after the input copy, "
                   "before the device work",
           .doc_type = "as `service`",
           .doc_default = "none"},
          {.key = "direction",
           .type = choice_type(),
           .at = {&StageParams::direction, directions},
           .help = "what the transfer stage does",
           .doc_default = "required for `pcie`, an error otherwise"},
          {.key = "batching",
           .type = custom_type(),
           .help = "Triton's dynamic batcher in front of the instances (per GPU for GPU stages)",
           .doc_type = "map, below",
           .doc_default = "none (batches of 1, FIFO)"},
          {.key = "output",
           .type = custom_type(),
           .help = "what the stage makes of the payload",
           .doc_type = "see below",
           .doc_default = "payload unchanged"},
          {.key = "sm_share",
           .type = number_type(1e-6, 1),
           .at = &StageParams::sm_share,
           .emit = Emit::kUnlessDefault,
           .help = "`gpu` stages under `node.gpus.compute: concurrent`: the fraction of the GPU's "
                   "SMs one item's kernels occupy when they run alone; a batch of b occupies "
                   "min(1, b x sm_share)",
           .doc_type = "number in (0, 1]"},
          {.key = "process",
           .type = name_type(),
           .at = &StageParams::process,
           .emit = Emit::kUnlessDefault,
           .help = "`gpu` stages under `node.gpus.compute: concurrent`: the OS process (CUDA "
                   "context) that launches its kernels; stages of one process share the SMs, "
                   "different processes take turns (`node.gpus.time_slice`)",
           .doc_default = "the serving process (Triton)"},
          {.key = "busy_power",
           .type = quantity_type(Dimension::kPower),
           .at = &StageParams::busy_w,
           .emit = Emit::kUnlessDefault,
           .help = "`gpu` stages: the GPU's power while this stage's kernels run (energy by "
                   "kernel, docs/model.md); needs `node.gpus.busy_power`, at least its "
                   "`idle_power`; cite it in `source`",
           .doc_default = "`node.gpus.busy_power`"},
          {.key = "model",
           .type = custom_type(),
           .help = "the model the stage runs, with `framework`",
           .doc_type = "a name in `models`",
           .doc_default = "none"},
          {.key = "framework",
           .type = custom_type(),
           .help = "which of the model's `frameworks` serves it (of the stage's device): the "
                   "stage's service is its curve, its memory counts against the device's "
                   "(docs/model.md), its load time a new node's (`cluster.autoscale`), its "
                   "busy_power the stage's",
           .doc_type = "a name in `models.MODEL.frameworks`",
           .doc_default = "none; needs `model`"},
          {.key = "source",
           .type = string_type(),
           .emit = Emit::kNever,
           .help = "where the settings come from"},
          {.key = "fanout",
           .type = custom_type(),
           .help = "multi-DNN: the stages after this one run once per child; at most one stage "
                   "per pipeline",
           .doc_type = "map, below",
           .doc_default = "none"},
      }};
  return table;
}

const Table<BatchingParams>& batching_keys() {
  using Action = BatchingParams::TimeoutAction;
  static const EnumNames<Action> actions{{Action::kReject, "reject"}, {Action::kDelay, "delay"}};
  static const Table<BatchingParams> table{
      "",
      {},
      {
          {.key = "max_batch_size",
           .type = integer_type(1, 1'000'000),
           .at = &BatchingParams::max_batch_size,
           .required = true,
           .help = "Triton `max_batch_size`"},
          {.key = "preferred_batch_size",
           .type = custom_type(),
           .help = "Triton `dynamic_batching.preferred_batch_size`",
           .doc_type = "integer or list, each 1..`max_batch_size`",
           .doc_default = "none (= `max_batch_size`)"},
          {.key = "max_queue_delay",
           .type = duration_type(true),
           .at = &BatchingParams::max_queue_delay,
           .help = "Triton `max_queue_delay_microseconds`; 0: never hold a batch"},
          {.key = "max_queue_size",
           .type = integer_type(0, 1099511627776.0),
           .at = &BatchingParams::max_queue_size,
           .help = "arrivals that find this many queued are rejected",
           .doc_default = "0 (unbounded)"},
          {.key = "timeout",
           .type = duration_type(),
           .at = &BatchingParams::timeout,
           .emit = Emit::kUnlessDefault,
           .help = "Triton `default_timeout_microseconds`",
           .doc_default = "none"},
          {.key = "timeout_action",
           .type = choice_type(),
           .at = {&BatchingParams::timeout_action, actions},
           .help = "needs `timeout`"},
      }};
  return table;
}

namespace {

/// A tensor's element types and their sizes in bytes.
struct DType {
  std::string_view name;
  int bytes;
};
constexpr DType kDTypes[] = {{"uint8", 1},    {"int8", 1},    {"float16", 2},
                             {"bfloat16", 2}, {"float32", 4}, {"int32", 4}};

int dtype_size(const std::string& dtype) {
  for (const DType& t : kDTypes)
    if (t.name == dtype) return t.bytes;
  return 0;
}

}  // namespace

const Table<OutputParams>& tensor_keys() {
  static const std::vector<std::string_view> dtypes = [] {
    std::vector<std::string_view> out;
    for (const DType& t : kDTypes) out.push_back(t.name);
    return out;
  }();
  static const std::string dtype_help = [] {
    std::string out = "the element type; its size in bytes:";
    for (const DType& t : kDTypes)
      out += std::string(t.name == kDTypes[0].name ? " " : ", ") + "`" + std::string(t.name) +
             "` " + std::to_string(t.bytes);
    return out;
  }();
  static const Table<OutputParams> table{
      "",
      {},
      {
          {.key = "width",
           .type = integer_type(1, 1'000'000),
           .at = &OutputParams::width,
           .required = true,
           .help = "a tensor of `width * height * channels * sizeof(dtype)` bytes; pixels = "
                   "`width * height`"},
          {.key = "height",
           .type = integer_type(1, 1'000'000),
           .at = &OutputParams::height,
           .required = true,
           .help = "as `width`"},
          {.key = "channels",
           .type = integer_type(1, 64),
           .at = &OutputParams::channels,
           .help = "the tensor's channels, or the decoded image's with `format: raw`"},
          {.key = "dtype",
           .type = choice_type(),
           .at = {&OutputParams::dtype, dtypes},
           .help = dtype_help},
      }};
  return table;
}

const Table<OutputParams>& output_keys() {
  static const Table<OutputParams> table{
      "",
      {},
      {
          {.key = "format",
           .type = choice_type(),
           .at = {[](const OutputParams&) { return Value(); },
                  [](OutputParams& o, const Value&) { o.kind = OutputParams::Kind::kRaw; },
                  {"raw"}},
           .help = "`{format: raw, channels: c}` (or `output: raw`, c = 3): decoded pixels, "
                   "`width * height * c` bytes of the image; pixels = the image's"},
          {.key = "input_of",
           .type = custom_type(),
           .help = "the model's input tensor, as above",
           .doc_type = "a name in `models`"},
          {.key = "output_of",
           .type = custom_type(),
           .help = "the model's `output.bytes`; pixels unchanged",
           .doc_type = "a name in `models`"},
          {.key = "bytes",
           .type = quantity_type(Dimension::kBytes),
           .at = &OutputParams::bytes,
           .help = "that many bytes; pixels unchanged",
           .doc_default = "—"},
          {.key = "bytes_per_pixel",
           .type = number_type(1e-6, 1e6),
           .at = &OutputParams::bytes_per_pixel,
           .help = "`pixels * x` bytes; pixels unchanged",
           .doc_default = "—"},
      }};
  return table;
}

const Table<ModelProfile>& model_keys() {
  static const Table<ModelProfile> table{"",
                                         {},
                                         {
                                             {.key = "gflops",
                                              .type = number_type(0, 1e9),
                                              .emit = Emit::kNever,
                                              .help = "for people; not used by the simulation"},
                                             {.key = "params",
                                              .type = number_type(0, 1e15),
                                              .emit = Emit::kNever,
                                              .help = "for people; not used by the simulation"},
                                             {.key = "input",
                                              .type = custom_type(),
                                              .help = "the model's input tensor",
                                              .doc_type = "map of the `input.` keys below",
                                              .doc_default = "none; needed by `input_of`"},
                                             {.key = "output",
                                              .type = custom_type(),
                                              .help = "the model's result",
                                              .doc_type = "map of the `output.` keys below",
                                              .doc_default = "none"},
                                             {.key = "frameworks",
                                              .type = custom_type(),
                                              .help = "the frameworks that serve it, by name "
                                                      "(`frameworks.NAME.` below): what a "
                                                      "stage's `framework` takes",
                                              .doc_type = "map name -> framework",
                                              .doc_default = "none"},
                                             {.key = "source",
                                              .type = string_type(),
                                              .emit = Emit::kNever,
                                              .help = "where the numbers come from",
                                              .doc_default = "required with `input`, `output`, "
                                                             "`gflops` or `params`"},
                                         }};
  return table;
}

const Table<ModelProfile>& model_output_keys() {
  static const Table<ModelProfile> table{"output.",
                                         {},
                                         {
                                             {.key = "bytes",
                                              .type = quantity_type(Dimension::kBytes),
                                              .at = &ModelProfile::output_bytes,
                                              .required = true,
                                              .help = "the result's size (needed by `output_of`)",
                                              .doc_default = "required in `output`"},
                                         }};
  return table;
}

namespace {

OutputParams parse_tensor(MapReader& r) {
  OutputParams o;
  o.kind = OutputParams::Kind::kTensor;
  read_keys(r, tensor_keys(), o);
  o.element_bytes = dtype_size(o.dtype);
  return o;
}

}  // namespace

ModelSet parse_models(const ConfigNode& node) {
  ModelSet out;
  if (!node.is_map())
    throw ConfigError(node.mark, "models", "expected a map of model name -> profile");
  for (const auto& e : node.entries) {
    const std::string& name = e.key;
    check_name(name, e.key_mark, "models." + name);
    MapReader r(e.value, "models." + name, &e.key_mark);
    ModelProfile m;
    read_keys(r, model_keys(), m, [&](std::string_view key) {
      if (key == "input") {
        if (!r.has("input")) return;
        MapReader in = r.child("input");
        m.input = parse_tensor(in);
        in.finish();
      } else if (key == "frameworks") {
        if (const ConfigNode* f = r.get("frameworks")) m.frameworks = parse_frameworks(*f, name);
      } else if (r.has("output")) {
        MapReader out_r = r.child("output");
        read_keys(out_r, model_output_keys(), m);
        out_r.finish();
      }
    });
    if (!r.holds("input") && !r.holds("frameworks"))
      r.fail("input", "a model gives its `input` (a tensor), its `frameworks`, or both");
    for (const char* k : {"input", "output", "gflops", "params"})
      if (r.holds(k) && !r.holds("source"))
        r.fail("source",
               "required key is missing: where the model's " + std::string(k) + " comes from");
    r.finish();
    out.emplace(name, m);
  }
  return out;
}

namespace {

const ModelProfile& find_model(const ModelSet& models, const ConfigNode& at, const std::string& key,
                               const std::string& name) {
  if (auto it = models.find(name); it != models.end()) return it->second;
  std::vector<std::string> names;
  for (const auto& [n, m] : models) names.push_back(n);
  const std::string hint = did_you_mean(name, names);
  throw ConfigError(at.mark, key,
                    "unknown model '" + name + "'" +
                        (models.empty() ? " (no models: are configs/models/*.yaml included?)"
                                        : (hint.empty() ? "" : "; " + hint)));
}

OutputParams parse_output(const ConfigNode& node, const std::string& path, const ModelSet& models) {
  OutputParams o;
  if (node.is_scalar()) {
    const std::string& v = read_scalar(node, path, "raw, or a map");
    if (v != "raw")
      throw ConfigError(
          node.mark, path,
          "expected 'raw' (decoded pixels) or a map such as {width: 224, height: 224, "
          "channels: 3, dtype: float16}, {bytes: 4kB}, {input_of: MODEL} or "
          "{output_of: MODEL}");
    o.kind = OutputParams::Kind::kRaw;
    return o;
  }
  MapReader r(node, path);
  if (const ConfigNode* m = r.get("input_of")) {
    const std::string& name = read_scalar(*m, r.key_path("input_of"), "a model name");
    o = find_model(models, *m, r.key_path("input_of"), name).input;
    if (o.kind == OutputParams::Kind::kSame)
      r.fail("input_of", "model '" + name + "' has no input");
  } else if (const ConfigNode* m2 = r.get("output_of")) {
    const std::string& name = read_scalar(*m2, r.key_path("output_of"), "a model name");
    const ModelProfile& mp = find_model(models, *m2, r.key_path("output_of"), name);
    if (mp.output_bytes <= 0) r.fail("output_of", "model '" + name + "' has no output.bytes");
    o.kind = OutputParams::Kind::kBytes;
    o.bytes = mp.output_bytes;
  } else if (r.has("bytes")) {
    o.kind = OutputParams::Kind::kBytes;
    read_key(r, output_keys(), "bytes", o);
  } else if (r.has("bytes_per_pixel")) {
    o.kind = OutputParams::Kind::kPerPixel;
    read_key(r, output_keys(), "bytes_per_pixel", o);
  } else if (r.has("format")) {
    read_key(r, output_keys(), "format", o);
    read_key(r, tensor_keys(), "channels", o);
  } else {
    o = parse_tensor(r);
  }
  r.finish();
  return o;
}

}  // namespace

ServiceParams parse_service(const ConfigNode& node, const std::string& path,
                            const CurveSet& curves) {
  ServiceParams s;
  if (node.is_map() && node.find("curve")) {
    MapReader r(node, path);
    const ConfigNode& c = r.require("curve");
    s.curve_name = read_scalar(c, r.key_path("curve"), "a curve name");
    s.curve = find_curve(curves, s.curve_name, c, r.key_path("curve"));
    r.finish();
    return s;
  }
  s.dist = parse_distribution(node, path);
  return s;
}

namespace {

BatchingParams parse_batching(MapReader r) {
  BatchingParams b = batching_keys().defaults;
  read_keys(r, batching_keys(), b, [&](std::string_view /*preferred_batch_size*/) {
    const ConfigNode* pref = r.get("preferred_batch_size");
    if (!pref) return;
    const std::string key = r.key_path("preferred_batch_size");
    std::vector<const ConfigNode*> items;
    if (pref->is_sequence()) {
      for (const auto& it : pref->items) items.push_back(&it);
    } else {
      items.push_back(pref);
    }
    for (const ConfigNode* it : items) {
      const std::string& text = read_scalar(*it, key, "a batch size or a list of them");
      const auto v = parse_number(text);
      if (!v || *v != std::floor(*v) || *v < 1 || *v > b.max_batch_size)
        throw ConfigError(it->mark, key,
                          "preferred batch sizes are whole numbers from 1 to max_batch_size (" +
                              std::to_string(b.max_batch_size) + "), got '" + text + "'");
      b.preferred_batch_sizes.push_back(static_cast<int>(*v));
    }
  });
  if (r.holds("timeout_action") && b.timeout == 0)
    r.fail("timeout_action", "timeout_action needs a timeout");
  r.finish();
  return b;
}

/// A gpu stage's own busy_power (energy by kernel): on gpu stages of a GPU with power given, at
/// least its idle power.
void read_stage_power(MapReader& r, const Table<StageParams>& keys, const PowerParams& gpu,
                      StageParams& p) {
  if (p.device != Device::kGpu)
    r.fail("busy_power", "busy_power belongs to device: gpu stages (the power of their kernels)");
  if (gpu.busy_w <= 0)
    r.fail("busy_power",
           "a stage's busy_power needs node.gpus.idle_power and busy_power (the GPU's energy)");
  read_key(r, keys, "busy_power", p);
  if (p.busy_w < gpu.idle_w)
    r.fail("busy_power", "busy_power must be at least node.gpus.idle_power");
}

}  // namespace

StageParams parse_stage(const ConfigNode& node, std::size_t index, std::set<std::string>& names,
                        const StageContext& ctx) {
  const std::string at = "pipeline[" + std::to_string(index) + "]";
  MapReader probe(node, at);
  StageParams p;
  const auto name = probe.name("name");
  if (!name) probe.require("name");
  if (name->empty() || name->find_first_of(". [],") != std::string::npos)
    probe.fail(
        "name",
        "a stage name must be non-empty without spaces, dots, commas or brackets (it is used in "
        "--set pipeline.NAME.key=...)");
  if (!names.insert(*name).second) probe.fail("name", "two stages are named '" + *name + "'");
  MapReader r(node, "pipeline." + *name);
  r.get("name");
  p.name = *name;
  const Table<StageParams>& keys = stage_keys();
  read_key(r, keys, "device", p);
  if (p.device == Device::kNetwork && !ctx.node.network)
    r.fail("device", "device: network moves the payload over node.network: give node.network");
  if (!on_host(p.device) && ctx.node.gpus.count == 0)
    r.fail("device", "device: " + std::string(device_names().name(p.device)) +
                         " needs GPUs: set node.gpus.count");
  if (p.device == Device::kNvjpg && ctx.node.gpus.nvjpg_engines == 0)
    r.fail("device",
           "device: nvjpg needs node.gpus.nvjpg_engines > 0 (the GPU's hardware JPEG "
           "decoders)");
  read_key(r, keys, "instances", p);
  read_key(r, keys, "speedup", p);
  if (r.has("batching")) p.batching = parse_batching(r.child("batching"));
  parse_stage_framework(r, ctx, p);
  if (const ConfigNode* o = r.get("output"))
    p.output = parse_output(*o, r.key_path("output"), ctx.models);
  if (p.device == Device::kPcie) {
    if (!read_key(r, keys, "direction", p)) r.require("direction");
    for (const char* k : {"service", "cpu_service"})
      if (r.get(k)) r.fail(k, "a pcie transfer's time comes from node.pcie, not a service time");
  } else if (p.device == Device::kNetwork) {
    for (const char* k : {"service", "cpu_service", "direction"})
      if (r.get(k)) r.fail(k, "a network transfer's time comes from node.network");
  } else {
    if (r.get("direction")) r.fail("direction", "direction belongs to device: pcie");
    if (p.framework) resolve_stage_framework(r, ctx, p);
    if (!p.framework || p.framework->curve.empty())
      p.service = parse_service(r.require("service"), r.key_path("service"), ctx.curves);
    if (const ConfigNode* c = r.get("cpu_service")) {
      if (p.device == Device::kCpu)
        r.fail("cpu_service", "cpu_service is the CPU part of a gpu or nvjpg stage");
      p.cpu_service = parse_service(*c, r.key_path("cpu_service"), ctx.curves);
    }
  }
  for (const char* k : {"sm_share", "process"}) {
    if (!r.holds(k)) continue;
    if (p.device != Device::kGpu)
      r.fail(k, std::string(k) + " belongs to device: gpu stages (kernels on the SMs)");
    if (ctx.node.gpus.compute != GpuCompute::kConcurrent)
      r.fail(k, std::string(k) + " needs node.gpus.compute: concurrent");
    read_key(r, keys, k, p);
  }
  if (r.holds("busy_power")) read_stage_power(r, keys, ctx.node.gpus.power, p);
  if (r.has("fanout")) p.fanout = parse_fanout(r.child("fanout"), ctx.curves);
  read_key(r, keys, "source", p);
  r.finish();
  return p;
}

/// The stages after a fan-out stage run per child; what they may not do, and the broker's name.
void check_stage_power(const ScenarioParams& p, const ConfigNode& pipe) {
  if (p.node.gpus.compute != GpuCompute::kConcurrent) return;
  const auto partial = std::find_if(p.pipeline.begin(), p.pipeline.end(),
                                    [](const StageParams& s) { return s.sm_share < 1; });
  if (partial == p.pipeline.end()) return;
  for (std::size_t i = 0; i < p.pipeline.size(); ++i) {
    if (p.pipeline[i].busy_w <= 0) continue;
    const ConfigNode* at = pipe.items[i].find("busy_power");
    throw ConfigError(at ? at->mark : pipe.items[i].mark,
                      "pipeline." + p.pipeline[i].name + ".busy_power",
                      "a stage's busy_power with compute: concurrent needs every gpu stage at "
                      "sm_share 1 (stage '" +
                          partial->name +
                          "' has less): the power of kernels that overlap on the SMs is not "
                          "modelled");
  }
}

void check_gpu_batches(const ScenarioParams& p, const ConfigNode& pipe) {
  const GpuParams& g = p.node.gpus;
  if (g.memory_bytes <= 0 || p.workload.images.empty()) return;
  const double left = g.memory_bytes - g.held_bytes();
  bool on_gpu = false;  // where a request's payload is when it reaches stage s
  for (std::size_t s = 0; s < p.pipeline.size(); ++s) {
    const StageParams& st = p.pipeline[s];
    const bool gpu = st.device == Device::kGpu || st.device == Device::kNvjpg;
    const bool to_gpu = st.device == Device::kPcie && st.direction == Direction::kToGpu;
    if (!on_gpu && (gpu || to_gpu)) {
      // What a full batch of the largest payload in the mix reserves (docs/model.md, "GPU
      // memory"): its requests' tensors must fit beside the weights, whatever else waits.
      double peak = 0;
      std::string largest;
      for (const ImageParams& im : p.workload.images) {
        Request r;
        r.width = im.width;
        r.height = im.height;
        r.bytes = im.bytes;
        r.pixels = static_cast<double>(im.width) * im.height;
        for (std::size_t k = 0; k < s; ++k) apply_output(p.pipeline[k].output, r);
        if (const double b = gpu_run_peak_bytes(p, s, r); b > peak) {
          peak = b;
          largest = im.name;
        }
      }
      const int batch = st.batching ? st.batching->max_batch_size : 1;
      if (peak > 0 && batch * peak > left) {
        const auto fits = static_cast<long long>(std::floor(left / peak));
        const ConfigNode* b = pipe.items[s].find("batching");
        const ConfigNode* at = b ? b->find("max_batch_size") : nullptr;
        throw ConfigError(
            at ? at->mark : pipe.items[s].mark,
            "pipeline." + st.name + (st.batching ? ".batching.max_batch_size" : ""),
            "a batch of " + std::to_string(batch) + " needs " + std::to_string(batch) + " x " +
                binary_bytes(peak) + " of GPU memory for its tensors (image '" + largest +
                "'), but node.gpus.memory less reserved_memory" +
                (g.framework_bytes > 0 ? " and the frameworks' memory" : "") + " leaves " +
                binary_bytes(left) +
                (fits > 0 ? ": at most " + std::to_string(fits) +
                                " fit; lower max_batch_size or give the GPU more memory"
                          : ": not even one request fits; give the GPU more memory"));
      }
    }
    if (st.fanout) return;  // the children carry payloads of their own
    if (gpu || to_gpu)
      on_gpu = true;
    else if (st.device != Device::kPcie || st.direction == Direction::kToHost)
      on_gpu = false;
  }
}

void check_fanout(const ScenarioParams& p, const ConfigNode& pipe) {
  const std::size_t f = fanout_stage(p);
  if (f == kNoFanout) return;
  const std::string at = "pipeline." + p.pipeline[f].name + ".fanout";
  for (std::size_t i = f + 1; i < p.pipeline.size(); ++i) {
    const StageParams& st = p.pipeline[i];
    const std::string key = "pipeline." + st.name;
    if (st.fanout)
      throw ConfigError(pipe.items[i].mark, key + ".fanout",
                        "a pipeline has at most one fan-out stage (stage '" + p.pipeline[f].name +
                            "' already fans out)");
    const auto& b = st.batching;
    if (b && (b->max_queue_size > 0 ||
              (b->timeout > 0 && b->timeout_action == BatchingParams::TimeoutAction::kReject)))
      throw ConfigError(pipe.items[i].mark, key + ".batching",
                        "a stage after the fan-out stage runs children, which cannot be refused: "
                        "remove max_queue_size and timeout_action: reject");
  }
  if (f + 1 == p.pipeline.size())
    throw ConfigError(pipe.items[f].mark, at,
                      "a fan-out stage needs the stages its children run through after it");
  if (has_broker_stage(p)) {
    const std::string name(broker_kinds().name(p.pipeline[f].fanout->broker.kind));
    for (std::size_t i = 0; i < p.pipeline.size(); ++i)
      if (p.pipeline[i].name == name)
        throw ConfigError(
            pipe.items[i].mark, "pipeline." + name,
            "the broker is reported as a stage named '" + name + "': rename this stage");
  }
}

Json service_json(const ServiceParams& sv) {
  if (sv.curve) return Json{{"curve", sv.curve_name}};
  return distribution_json(sv.dist);
}

namespace {

Json batching_json(const BatchingParams& b) {
  const Table<BatchingParams>& keys = batching_keys();
  Json j;
  emit_keys(j, keys, b, [&](std::string_view /*preferred_batch_size*/) {
    if (!b.preferred_batch_sizes.empty()) j["preferred_batch_size"] = b.preferred_batch_sizes;
  });
  if (!b.timeout) j.erase("timeout_action");
  return j;
}

Json output_json(const OutputParams& o) {
  Json j;
  switch (o.kind) {
    case OutputParams::Kind::kSame:
      return nullptr;
    case OutputParams::Kind::kRaw:
      return "raw";
    case OutputParams::Kind::kTensor:
      emit_keys(j, tensor_keys(), o);
      break;
    case OutputParams::Kind::kBytes:
      emit_key(j, output_keys(), "bytes", o);
      break;
    case OutputParams::Kind::kPerPixel:
      emit_key(j, output_keys(), "bytes_per_pixel", o);
      break;
  }
  return j;
}

}  // namespace

Json stage_json(const StageParams& s) {
  const Table<StageParams>& keys = stage_keys();
  Json st;
  st["name"] = s.name;
  emit_key(st, keys, "device", s);
  emit_key(st, keys, "instances", s);
  emit_key(st, keys, "speedup", s);
  emit_key(st, keys, "sm_share", s);
  emit_key(st, keys, "process", s);
  if (!s.framework || s.busy_w != s.framework->busy_w) emit_key(st, keys, "busy_power", s);
  if (s.framework) {
    st["model"] = s.framework->model;
    st["framework"] = s.framework->name;
  }
  if (s.device == Device::kPcie) {
    emit_key(st, keys, "direction", s);
  } else if (s.device != Device::kNetwork && (!s.framework || s.framework->curve.empty())) {
    st["service"] = service_json(s.service);
  }
  if (s.cpu_service) st["cpu_service"] = service_json(*s.cpu_service);
  if (s.batching) st["batching"] = batching_json(*s.batching);
  if (s.output.kind != OutputParams::Kind::kSame) st["output"] = output_json(s.output);
  if (s.fanout) st["fanout"] = fanout_json(*s.fanout);
  return st;
}

}  // namespace servesim
