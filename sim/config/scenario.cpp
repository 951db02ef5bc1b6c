#include "sim/config/scenario.h"

#include <cmath>
#include <set>
#include <stdexcept>

#include "sim/config/reader.h"

namespace servesim {

namespace {

constexpr std::string_view kDefaultScenario =
    R"(# servesim's built-in default: DESIGN.md's minimal scenario, an M/M/4 queue at 90% load.
seed: 7
run: {duration: 2000s, warmup: 100s, replications: 10}
workload: {mode: open, rate: 90/s, arrival: poisson}
node: {cpu: {cores: 4}}
pipeline:
  - {name: serve, device: cpu, instances: 4, service: {dist: exponential, mean: 40ms}}
)";

// Keys that DESIGN.md reserves for the node model, which this version does not simulate yet.
// They are errors (not silently ignored) so that nobody mistakes an unmodelled GPU for a result.
[[noreturn]] void not_yet(MapReader& r, std::string_view key, const std::string& what) {
  r.fail(key, what +
                  " is not modelled yet in this version of servesim (see docs/model.md: "
                  "this version simulates CPU stages with service-time distributions)");
}

Distribution parse_distribution(const ConfigNode& node, const std::string& path) {
  if (node.is_scalar()) {
    // A bare duration: a fixed time (think_time: 100ms).
    const double ns = static_cast<double>(read_duration(node, path, true));
    return Distribution::make(DistKind::kDeterministic, ns, 0);
  }
  MapReader r(node, path);
  if (r.has("curve")) not_yet(r, "curve", "a service-time curve");
  const ConfigNode& dist_node = r.require("dist");
  std::vector<std::string> names;
  for (const auto n : dist_kind_names()) names.emplace_back(n);
  DistKind kind;
  const std::string& dist = read_scalar(dist_node, r.key_path("dist"), "a distribution name");
  if (!parse_dist_kind(dist, kind)) {
    std::string list;
    for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
    std::string hint = did_you_mean(dist, names);
    r.fail_at(dist_node, "dist",
              "unknown distribution '" + dist + "' (one of: " + list + ")" +
                  (hint.empty() ? "" : "; " + hint));
  }
  const auto mean = r.duration("mean");
  const auto cv = r.number("cv", 0, 100);
  if (kind == DistKind::kEmpirical) {
    const ConfigNode& s = r.require("samples");
    if (!s.is_sequence() || s.items.empty())
      r.fail_at(s, "samples", "expected a non-empty list of durations (e.g. [38ms, 41ms, 45ms])");
    std::vector<double> v;
    for (std::size_t i = 0; i < s.items.size(); ++i)
      v.push_back(static_cast<double>(
          read_duration(s.items[i], r.key_path("samples") + "[" + std::to_string(i) + "]", true)));
    if (cv) r.fail("cv", "an empirical distribution's cv comes from its samples; remove 'cv'");
    r.finish();
    try {
      return Distribution::empirical(std::move(v), mean ? static_cast<double>(*mean) : 0.0);
    } catch (const std::invalid_argument& e) {
      r.fail("samples", e.what());
    }
  }
  r.get("samples");
  if (r.has("samples")) r.fail("samples", "'samples' belongs to dist: empirical");
  if (!mean) r.require("mean");
  double c = Distribution::implied_cv(kind);
  if (c < 0) {
    if (!cv) r.fail("dist", "dist: " + dist + " needs a cv (coefficient of variation, sd/mean)");
    c = *cv;
  } else if (cv && *cv != c) {
    r.fail("cv", "dist: " + dist + " has cv " + (c == 0 ? "0" : "1") +
                     "; remove 'cv' or choose gamma/lognormal");
  }
  r.finish();
  try {
    return Distribution::make(kind, static_cast<double>(*mean), c);
  } catch (const std::invalid_argument& e) {
    r.fail(cv ? "cv" : "dist", e.what());
  }
}

RunParams parse_run(MapReader r) {
  RunParams p;
  if (auto d = r.duration("duration")) p.duration = *d;
  if (auto n = r.integer("requests", 1, std::int64_t{1} << 53))
    p.requests = static_cast<std::uint64_t>(*n);
  if (auto w = r.duration("warmup", true)) p.warmup = *w;
  if (auto n = r.integer("replications", 1, 100000)) p.replications = static_cast<int>(*n);
  if (auto n = r.integer("max_in_system", 1, 100'000'000))
    p.max_in_system = static_cast<std::uint64_t>(*n);
  r.finish();
  if (p.duration == 0 && p.requests == 0)
    r.fail("duration", "the run needs an end: set run.duration (e.g. 600s) and/or run.requests");
  if (p.duration > 0 && p.warmup >= p.duration)
    r.fail("warmup", "run.warmup (" + format_duration(p.warmup) +
                         ") must be shorter than run.duration (" + format_duration(p.duration) +
                         ")");
  return p;
}

WorkloadParams parse_workload(MapReader r) {
  WorkloadParams p;
  const auto mode = r.choice("mode", {"open", "closed"});
  if (!mode) r.require("mode");
  if (r.has("images")) not_yet(r, "images", "an image mix (request payloads)");
  if (*mode == "open") {
    p.mode = WorkloadMode::kOpen;
    const auto rate = r.quantity("rate", Dimension::kRate);
    if (!rate) r.require("rate");
    if (*rate > 1e9)
      r.fail("rate",
             "a rate above 1e9/s puts arrivals less than 1 ns apart, below servesim's clock "
             "resolution");
    p.rate_per_s = *rate;
    const auto arrival = r.choice("arrival", {"poisson", "constant", "gamma"}).value_or("poisson");
    p.arrival = arrival == "poisson"    ? ArrivalProcess::kPoisson
                : arrival == "constant" ? ArrivalProcess::kConstant
                                        : ArrivalProcess::kGamma;
    const auto cv = r.number("cv", 0, 100);
    if (p.arrival == ArrivalProcess::kGamma) {
      if (!cv || *cv <= 0)
        r.fail(cv ? "cv" : "arrival",
               "arrival: gamma needs cv > 0 (the inter-arrival coefficient of variation)");
      p.cv = *cv;
    } else if (cv) {
      r.fail("cv", "cv applies to arrival: gamma only (poisson has cv 1, constant 0)");
    }
    for (const char* k : {"concurrency", "think_time"})
      if (r.get(k)) r.fail(k, std::string(k) + " belongs to mode: closed");
  } else {
    p.mode = WorkloadMode::kClosed;
    const auto n = r.integer("concurrency", 1, 10'000'000);
    if (!n) r.require("concurrency");
    p.concurrency = static_cast<int>(*n);
    if (const ConfigNode* t = r.get("think_time"))
      p.think_time = parse_distribution(*t, r.key_path("think_time"));
    for (const char* k : {"rate", "arrival", "cv"})
      if (r.get(k)) r.fail(k, std::string(k) + " belongs to mode: open");
  }
  r.finish();
  return p;
}

NodeParams parse_node(MapReader r) {
  NodeParams p;
  if (r.has("gpus")) not_yet(r, "gpus", "a GPU");
  if (r.has("pcie")) not_yet(r, "pcie", "PCIe");
  MapReader c = r.child("cpu");
  r.finish();
  const auto cores = c.integer("cores", 1, 1'000'000);
  if (!cores) c.require("cores");
  p.cpu.cores = static_cast<int>(*cores);
  if (auto s = c.number("speed", 1e-6, 1e6)) {
    p.cpu.speed = *s;
  }
  c.finish();
  return p;
}

StageParams parse_stage(const ConfigNode& node, std::size_t index, std::set<std::string>& names) {
  const std::string at = "pipeline[" + std::to_string(index) + "]";
  MapReader probe(node, at);
  StageParams p;
  const auto name = probe.string("name");
  if (!name) probe.require("name");
  if (name->empty() || name->find_first_of(". []") != std::string::npos)
    probe.fail("name",
               "a stage name must be non-empty without spaces, dots or brackets (it is used in "
               "--set pipeline.NAME.key=...)");
  if (!names.insert(*name).second) probe.fail("name", "two stages are named '" + *name + "'");
  MapReader r(node, "pipeline." + *name);
  r.get("name");
  p.name = *name;
  const auto device = r.choice("device", {"cpu", "gpu", "nvjpg"});
  if (!device) r.require("device");
  if (*device != "cpu") not_yet(r, "device", "device: " + *device);
  if (auto n = r.integer("instances", 1, 1'000'000)) p.instances = static_cast<int>(*n);
  if (r.has("batching")) not_yet(r, "batching", "dynamic batching");
  if (r.has("output")) not_yet(r, "output", "a payload transform");
  p.service = parse_distribution(r.require("service"), r.key_path("service"));
  r.finish();
  return p;
}

std::string format_rate(double per_s) {
  // The shortest text that reads back to the same double.
  char buf[64];
  for (int prec = 1; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, per_s);
    if (std::strtod(buf, nullptr) == per_s) break;
  }
  return std::string(buf) + "/s";
}

nlohmann::ordered_json distribution_json(const Distribution& d) {
  nlohmann::ordered_json j;
  j["dist"] = std::string(dist_kind_name(d.kind()));
  if (d.kind() == DistKind::kEmpirical) {
    auto& s = j["samples"] = nlohmann::ordered_json::array();
    for (const double v : d.samples()) s.push_back(format_duration(sample_to_time(v)));
    return j;
  }
  j["mean"] = format_duration(sample_to_time(d.mean()));
  if (Distribution::implied_cv(d.kind()) < 0) j["cv"] = d.cv();
  return j;
}

}  // namespace

std::string format_duration(Time t) {
  struct U {
    Time f;
    const char* name;
  };
  for (const U u : {U{kSecond, "s"}, U{kMillisecond, "ms"}, U{kMicrosecond, "us"}}) {
    if (t != 0 && t % u.f == 0) return std::to_string(t / u.f) + u.name;
  }
  return std::to_string(t) + "ns";
}

std::string_view default_scenario_yaml() { return kDefaultScenario; }

ScenarioParams parse_scenario(const ConfigNode& root) {
  MapReader r(root, "");
  ScenarioParams p;
  if (auto s = r.integer("seed", 0, std::int64_t{1} << 53)) p.seed = static_cast<std::uint64_t>(*s);
  r.string("name");
  r.string("description");
  if (r.has("cluster")) not_yet(r, "cluster", "a cluster of nodes");
  p.run = parse_run(r.child("run"));
  p.workload = parse_workload(r.child("workload"));
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
  for (std::size_t i = 0; i < pipe.items.size(); ++i)
    p.pipeline.push_back(parse_stage(pipe.items[i], i, names));
  r.finish();
  if (p.workload.mode == WorkloadMode::kClosed) {
    // Zero service everywhere and no think time would loop forever at one instant.
    double work = p.workload.think_time ? p.workload.think_time->mean() : 0.0;
    for (const auto& st : p.pipeline) work += st.service.mean();
    if (work <= 0)
      throw ConfigError(r.require("workload").mark, "workload",
                        "a closed workload whose service and think times are all zero never lets "
                        "time pass; give a stage or think_time a non-zero time");
  }
  return p;
}

LoadedScenario load_scenario(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides) {
  LoadedScenario out;
  ConfigNode root;
  if (file.empty()) {
    out.source = "<built-in default>";
    root = load_config_text(default_scenario_yaml(), out.source, std::filesystem::current_path());
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
  nlohmann::ordered_json j;
  j["seed"] = p.seed;
  auto& run = j["run"];
  if (p.run.duration) run["duration"] = format_duration(p.run.duration);
  if (p.run.requests) run["requests"] = p.run.requests;
  run["warmup"] = p.run.warmup ? format_duration(p.run.warmup) : "0s";
  run["replications"] = p.run.replications;
  run["max_in_system"] = p.run.max_in_system;
  auto& w = j["workload"];
  if (p.workload.mode == WorkloadMode::kOpen) {
    w["mode"] = "open";
    w["rate"] = format_rate(p.workload.rate_per_s);
    const char* arr[] = {"poisson", "constant", "gamma"};
    w["arrival"] = arr[static_cast<int>(p.workload.arrival)];
    if (p.workload.arrival == ArrivalProcess::kGamma) w["cv"] = p.workload.cv;
  } else {
    w["mode"] = "closed";
    w["concurrency"] = p.workload.concurrency;
    if (p.workload.think_time) w["think_time"] = distribution_json(*p.workload.think_time);
  }
  j["node"]["cpu"] = {{"cores", p.node.cpu.cores}, {"speed", p.node.cpu.speed}};
  auto& pipe = j["pipeline"] = nlohmann::ordered_json::array();
  for (const auto& s : p.pipeline) {
    nlohmann::ordered_json st;
    st["name"] = s.name;
    st["device"] = "cpu";
    st["instances"] = s.instances;
    st["service"] = distribution_json(s.service);
    pipe.push_back(st);
  }
  return j;
}

}  // namespace servesim
