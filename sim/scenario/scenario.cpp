#include "sim/scenario/scenario.h"

#include <dlfcn.h>

#include <cstdlib>

#include <algorithm>
#include <set>

#include "sim/model/interconnect.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/sections.h"

namespace servesim {

/// The top level's own keys; the sections' keys are in their files' tables.
const Table<ScenarioParams>& top_keys() {
  auto section = [](std::string_view key, std::string_view type, std::string_view dflt,
                    std::string_view help) {
    return Key<ScenarioParams>{
        .key = key, .type = custom_type(), .help = help, .doc_type = type, .doc_default = dflt};
  };
  static const Table<ScenarioParams> table{
      "",
      {},
      {
          {.key = "seed",
           .type = integer_type(0, 9007199254740992.0),
           .at = &ScenarioParams::seed,
           .help = "root of every random stream; the JSON output records it"},
          {.key = "name",
           .type = string_type(),
           .emit = Emit::kNever,
           .help = "free text for people (not used in outputs)"},
          {.key = "description",
           .type = string_type(),
           .emit = Emit::kNever,
           .help = "free text for people (not used in outputs)"},
          section("include", "path or list", "—", "see above"),
          section("run", "map", "required", "how long and how often to simulate"),
          section("workload", "map", "required", "the clients"),
          section("cluster", "map", "1 node", "nodes and the balancer"),
          section("node", "map", "required", "the machine (every node of a cluster is this one)"),
          section("pipeline", "list of stages", "required, non-empty",
                  "what each request goes through, in order"),
          section("curves", "map name -> curve", "none", "service-time curves that stages name"),
          section("models", "map name -> model", "none",
                  "model input/output shapes that `output` names, and the frameworks that serve "
                  "them (a stage's `framework`)"),
          section("image_sets", "map name -> images", "none",
                  "named image mixes for `workload.images` (each set is validated even if "
                  "unused)"),
      }};
  return table;
}

std::filesystem::path config_dir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("SERVESIM_CONFIG_DIR"); env && *env) return env;
  // Beside the binary: PREFIX/bin/servesim reads PREFIX/share/servesim/configs (cmake
  // --install); in a build tree both servesim (build/) and the test binaries (build/tests/)
  // find build/share/servesim/configs, a link CMake makes to the source tree's configs/.
  // In a library that another program loaded (the Python module: build/python/servesim*.so),
  // beside that library: the program is not servesim's. Installed, the module is in
  // PREFIX/lib/python3/dist-packages (python/CMakeLists.txt), three levels below PREFIX.
  // The library's own place first: the Python module under /opt must not take the configs of a
  // servesim installed beside /usr/bin/python3 (in servesim's binaries the two are the same).
  std::error_code ec;
  std::vector<fs::path> binaries;
  if (Dl_info info{};
      dladdr(reinterpret_cast<void*>(&config_dir), &info) && info.dli_fname && *info.dli_fname)
    binaries.push_back(fs::absolute(info.dli_fname, ec));
  if (fs::path exe = fs::read_symlink("/proc/self/exe", ec); !ec) binaries.push_back(exe);
  for (const fs::path& binary : binaries) {
    const fs::path dir = binary.parent_path();
    std::vector<fs::path> prefixes{dir, dir.parent_path()};
    if (dir.filename() == "dist-packages" || dir.filename() == "site-packages")
      prefixes.push_back(dir.parent_path().parent_path().parent_path());
    for (const fs::path& prefix : prefixes)
      if (fs::path c = prefix / "share" / "servesim" / "configs"; fs::is_directory(c, ec)) return c;
  }
  return {};
}

std::filesystem::path default_scenario_path() {
  const std::filesystem::path dir = config_dir();
  return dir.empty() ? dir : dir / "scenarios" / "paper-vit-base-gpu.yaml";
}

namespace {

/// Under compute: concurrent each distinct `process` of the gpu stages is a CUDA context of its
/// own on every GPU; with more than one, they take turns, and the turn's length and the cost of
/// a change must be given (NVIDIA publishes neither: docs/model.md).
void resolve_processes(ScenarioParams& p, MapReader& r) {
  std::vector<std::string> seen;
  for (StageParams& st : p.pipeline) {
    if (st.device != Device::kGpu) continue;
    auto it = std::find(seen.begin(), seen.end(), st.process);
    if (it == seen.end()) it = seen.insert(seen.end(), st.process);
    st.process_index = static_cast<int>(it - seen.begin());
  }
  p.node.gpus.processes = std::max<int>(1, static_cast<int>(seen.size()));
  if (seen.size() <= 1) return;
  std::string names;
  for (const std::string& n : seen)
    names += (names.empty() ? "" : ", ") + (n.empty() ? std::string("the serving process") : n);
  MapReader g = r.child("node").child("gpus");
  const std::string why = "gpu stages run in " + std::to_string(seen.size()) + " processes (" +
                          names + "), which take turns on the SMs: give node.gpus.";
  if (p.node.gpus.time_slice == 0) g.fail("time_slice", why + "time_slice");
  if (p.node.gpus.context_switch < 0) g.fail("context_switch", why + "context_switch");
}

/// A closed loop must let time pass: some non-zero work somewhere, and a back-off (think time)
/// or work in front of any stage that may refuse a request, or the loop resends in one instant.
void check_closed_loop(const ScenarioParams& p, MapReader& r) {
  if (p.workload.mode != WorkloadMode::kClosed) return;
  // Zero service everywhere and no think time would loop forever at one instant.
  double work = p.workload.think_time ? p.workload.think_time->mean() : 0.0;
  // The shortest route's latency: a transfer takes at least that.
  Time latency = p.node.gpus.count > 0 ? pcie_route_latency(p.node.pcie, 0) : 0;
  for (int g = 1; g < p.node.gpus.count; ++g)
    latency = std::min(latency, pcie_route_latency(p.node.pcie, g));
  for (const auto& st : p.pipeline) {
    work += st.service.mean_hint_ns() + (st.cpu_service ? st.cpu_service->mean_hint_ns() : 0.0);
    if (st.device == Device::kPcie)
      work += static_cast<double>(latency) + 1;  // and at least a byte's worth
  }
  if (work <= 0)
    throw ConfigError(r.require("workload").mark, "workload",
                      "a closed workload whose service and think times are all zero never lets "
                      "time pass; give a stage or think_time a non-zero time");
  // A request refused by a batcher goes straight back to its client, who resends at once: if
  // nothing before that stage takes time, the loop resends in the same instant forever.
  double before = 0;
  for (std::size_t i = 0; i < p.pipeline.size() && !p.workload.think_time; ++i) {
    const StageParams& st = p.pipeline[i];
    const bool refuses =
        st.batching && (st.batching->max_queue_size > 0 ||
                        (st.batching->timeout > 0 &&
                         st.batching->timeout_action == BatchingParams::TimeoutAction::kReject));
    if (refuses && before <= 0)
      throw ConfigError(
          r.require("workload").mark, "workload.think_time",
          "stage '" + st.name +
              "' can refuse requests (max_queue_size or a reject timeout) and nothing before "
              "it takes time, so a closed loop without think_time would resend a refused "
              "request in the same instant forever; give the clients a think_time (their "
              "back-off) or put a stage with a service time in front");
    before += st.service.mean_hint_ns() + (st.cpu_service ? st.cpu_service->mean_hint_ns() : 0);
    if (st.device == Device::kPcie) before += 1;
  }
}

/// The rules between run and the keys that act over time (a schedule, an autoscaler, a series).
void check_run_over_time(const ScenarioParams& p, const ConfigNode& root) {
  auto at = [&](std::initializer_list<const char*> path) {
    const ConfigNode* n = &root;
    for (const char* k : path)
      if (const ConfigNode* c = n->find(k)) n = c;
    return n->mark;
  };
  const auto& a = p.cluster.autoscale;
  if (a && p.run.duration == 0)
    throw ConfigError(at({"cluster", "autoscale"}), "cluster.autoscale",
                      "an autoscaler decides until the run ends: give run.duration");
  if (a && p.run.duration / a->window > 1'000'000)
    throw ConfigError(at({"cluster", "autoscale", "window"}), "cluster.autoscale.window",
                      "run.duration / window is over 1,000,000 decisions: lengthen the window");
  const auto& sc = p.workload.schedule;
  if (sc && sc->factor.back() == 0 && p.run.duration == 0)
    throw ConfigError(at({"workload", "schedule", "factor"}), "workload.schedule.factor",
                      "the schedule ends at 0, so arrivals stop and run.requests may never be "
                      "reached: give run.duration");
  if (p.run.interval > 0) {
    const Time measured = p.run.duration - p.run.warmup;
    const std::int64_t windows = (measured - 1) / p.run.interval + 1;
    if (windows * p.run.replications > 10 * kMaxSeriesWindows)
      throw ConfigError(at({"run", "interval"}), "run.interval",
                        std::to_string(windows) + " windows x " +
                            std::to_string(p.run.replications) +
                            " replications are kept until the run ends; at most " +
                            std::to_string(10 * kMaxSeriesWindows) +
                            " in all: lengthen the interval or run fewer replications");
  }
}

}  // namespace

ScenarioParams parse_scenario(const ConfigNode& root) {
  MapReader r(root, "");
  const Table<ScenarioParams>& keys = top_keys();
  ScenarioParams p = keys.defaults;
  for (const char* k : {"seed", "name", "description"}) read_key(r, keys, k, p);
  if (r.has("cluster")) p.cluster = parse_cluster(r.child("cluster"));
  CurveSet curves;
  if (const ConfigNode* c = r.get("curves")) curves = parse_curves(*c, "curves");
  ModelSet models;
  if (const ConfigNode* m = r.get("models")) models = parse_models(*m);
  const ConfigNode* image_sets = r.get("image_sets");
  if (image_sets && !image_sets->is_map())
    r.fail_at(*image_sets, "image_sets", "expected a map of set name -> list of images");
  if (image_sets)
    for (const auto& e : image_sets->entries) {
      check_name(e.key, e.key_mark, "image_sets." + e.key);
      parse_images(e.value, "image_sets." + e.key, nullptr);
    }
  p.run = parse_run(r.child("run"));
  p.workload = parse_workload(r.child("workload"), image_sets);
  check_run_over_time(p, root);
  if (p.workload.mode == WorkloadMode::kClosed &&
      static_cast<std::uint64_t>(p.workload.concurrency) > p.run.max_in_system)
    throw ConfigError(r.require("workload").mark, "workload.concurrency",
                      "concurrency " + std::to_string(p.workload.concurrency) +
                          " exceeds run.max_in_system (" + std::to_string(p.run.max_in_system) +
                          "): raise run.max_in_system or lower the concurrency");
  p.node = parse_node(r.child("node"));
  const ConfigNode& pipe = r.require("pipeline");
  if (!pipe.is_sequence() || pipe.items.empty())
    r.fail_at(pipe, "pipeline", "expected a non-empty list of stages");
  std::set<std::string> names;
  const StageContext ctx{curves, models, p.node};
  for (std::size_t i = 0; i < pipe.items.size(); ++i)
    p.pipeline.push_back(parse_stage(pipe.items[i], i, names, ctx));
  check_fanout(p, pipe);
  check_stage_power(p, pipe);
  check_framework_memory(p, pipe);
  check_gpu_batches(p, pipe);
  resolve_load_time(p, root);
  resolve_processes(p, r);
  if (MapReader w = r.child("workload"); w.holds("client"))
    parse_client(w.child("client"), curves, p);
  r.finish();
  check_closed_loop(p, r);
  return p;
}

LoadedScenario load_scenario(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides) {
  LoadedScenario out;
  ConfigNode root;
  if (file.empty()) {
    const auto path = default_scenario_path();
    if (path.empty())
      throw ConfigError(SourceMark{"<built-in default>", 0, 0}, "",
                        "cannot find servesim's configs/ (looked for share/servesim/configs "
                        "beside and above the binary); set SERVESIM_CONFIG_DIR to a configs "
                        "directory, or pass a scenario FILE");
    if (!std::filesystem::exists(path))
      throw ConfigError(SourceMark{"<built-in default>", 0, 0}, "",
                        "the default scenario " + path.string() + " is missing (configs from " +
                            config_dir().string() +
                            (std::getenv("SERVESIM_CONFIG_DIR") ? ", SERVESIM_CONFIG_DIR" : "") +
                            "); pass a scenario FILE");
    out.source = path.string();
    root = load_config_file(path);
  } else {
    out.source = file.string();
    root = load_config_file(file);
  }
  for (std::size_t i = 0; i < overrides.size(); ++i)
    apply_override(root, overrides[i], static_cast<int>(i + 1));
  out.params = parse_scenario(root);
  return out;
}

nlohmann::ordered_json resolved_config(const ScenarioParams& p) {
  Json j;
  emit_key(j, top_keys(), "seed", p);
  j["run"] = run_json(p.run);
  j["workload"] = workload_json(p.workload);
  j["cluster"] = cluster_json(p.cluster);
  j["node"] = node_json(p.node);
  auto& pipe = j["pipeline"] = Json::array();
  for (const auto& s : p.pipeline)  // workload.client's stations are written as workload.client
    if (s.side == StageSide::kServer) pipe.push_back(stage_json(s));
  if (Json m = models_json(p.pipeline); !m.empty()) j["models"] = std::move(m);
  j["curves"] = Json::object();
  for (const auto& s : p.pipeline) {
    for (const ServiceParams* sv : {&s.service, s.cpu_service ? &*s.cpu_service : nullptr})
      if (sv && sv->curve) j["curves"][sv->curve_name] = curve_json(*sv->curve);
    if (!s.fanout) continue;
    const BrokerParams& b = s.fanout->broker;
    for (const CostParams* c : broker_costs(b))
      if (!c->curve_name.empty()) j["curves"][c->curve_name] = curve_json(c->curve);
  }
  return j;
}

}  // namespace servesim
