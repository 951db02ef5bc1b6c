#include "sim/scenario/scenario.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>

#include "sim/config/csv.h"
#include "sim/config/curves.h"
#include "sim/config/limits.h"
#include "sim/config/reader.h"

namespace servesim {

namespace {

std::vector<ImageParams> parse_images(const ConfigNode& node, const std::string& path,
                                      const ConfigNode* image_sets);

Distribution parse_distribution(const ConfigNode& node, const std::string& path) {
  if (node.is_scalar()) {
    // A bare duration: a fixed time (think_time: 100ms).
    const double ns = static_cast<double>(read_duration(node, path, true));
    return Distribution::make(DistKind::kDeterministic, ns, 0);
  }
  MapReader r(node, path);
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

/// An arrival rate the clock can represent: arrivals at least 1 ns apart on average, and a mean
/// gap between them (1/rate) that fits the clock, or the first arrival would lie beyond it.
void check_rate(MapReader& r, double per_s) {
  const double max = static_cast<double>(kSecond);
  const double min = static_cast<double>(kSecond) / static_cast<double>(kTimeMax);
  char range[96];
  std::snprintf(range, sizeof range, "; rates run from %.2g/s to %.2g/s", min, max);
  const std::string text = "'" + r.get("rate")->scalar + "'";
  if (per_s > max)
    r.fail("rate",
           text + " puts arrivals less than 1 ns apart, below servesim's clock resolution" + range);
  if (!round_to_time(1e9 / per_s))
    r.fail("rate", text + " puts the mean time between arrivals (1/rate) beyond servesim's clock " +
                       "(int64 nanoseconds, about 292 years)" + range);
}

WorkloadParams parse_workload(MapReader r, const ConfigNode* image_sets) {
  WorkloadParams p;
  const auto mode = r.choice("mode", {"open", "closed"});
  if (!mode) r.require("mode");
  if (const ConfigNode* im = r.get("images"))
    p.images = parse_images(*im, r.key_path("images"), image_sets);
  if (*mode == "open") {
    p.mode = WorkloadMode::kOpen;
    const auto rate = r.quantity("rate", Dimension::kRate);
    if (!rate) r.require("rate");
    check_rate(r, *rate);
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

PowerParams parse_power(MapReader& r) {
  PowerParams p;
  if (auto w = r.quantity("idle_power", Dimension::kPower)) p.idle_w = *w;
  if (auto w = r.quantity("busy_power", Dimension::kPower)) p.busy_w = *w;
  if ((p.idle_w > 0) != (p.busy_w > 0))
    r.fail(p.idle_w > 0 ? "busy_power" : "idle_power",
           "give both idle_power and busy_power (energy = idle + (busy - idle) x utilisation)");
  if (p.busy_w < p.idle_w) r.fail("busy_power", "busy_power must be at least idle_power");
  return p;
}

LinkParams parse_link(MapReader r) {
  LinkParams l;
  const auto bw = r.quantity("bandwidth", Dimension::kBandwidth);
  if (!bw) r.require("bandwidth");
  if (*bw < 1e3) r.fail("bandwidth", "a link slower than 1 kB/s is surely a unit mistake");
  l.bytes_per_s = *bw;
  if (auto lat = r.duration("latency", true)) l.latency = *lat;
  r.finish();
  return l;
}

NodeParams parse_node(MapReader r) {
  NodeParams p;
  MapReader c = r.child("cpu");
  const auto cores = c.integer("cores", 1, 1'000'000);
  if (!cores) c.require("cores");
  p.cpu.cores = static_cast<int>(*cores);
  if (auto s = c.number("speed", 1e-6, 1e6)) p.cpu.speed = *s;
  p.cpu.power = parse_power(c);
  if (c.choice("scheduler", {"shared", "per_core"}).value_or("shared") == "per_core")
    p.cpu.scheduler = CpuScheduler::kPerCore;
  if (const ConfigNode* w = c.get("wakeup"))
    p.cpu.wakeup = parse_distribution(*w, c.key_path("wakeup"));
  c.string("source");
  c.string("type");
  c.finish();
  if (r.has("gpus")) {
    MapReader g = r.child("gpus");
    GpuParams& gp = p.gpus;
    const auto count = g.integer("count", 0, 4096);
    if (!count) g.require("count");
    gp.count = static_cast<int>(*count);
    gp.type = g.name("type").value_or("gpu");
    if (auto m = g.quantity("memory", Dimension::kBytes)) gp.memory_bytes = *m;
    if (auto m = g.quantity("reserved_memory", Dimension::kBytes)) gp.reserved_bytes = *m;
    if (gp.memory_bytes > 0 && gp.reserved_bytes >= gp.memory_bytes)
      g.fail("reserved_memory", "reserved_memory must be less than memory");
    if (gp.reserved_bytes > 0 && gp.memory_bytes == 0)
      g.fail("reserved_memory", "reserved_memory needs memory (the capacity) too");
    const auto policy = g.choice("memory_policy", {"block", "spill"}).value_or("block");
    gp.memory_policy = policy == "block" ? MemoryPolicy::kBlock : MemoryPolicy::kSpill;
    const auto compute = g.choice("compute", {"exclusive", "shared"}).value_or("exclusive");
    gp.compute = compute == "exclusive" ? GpuCompute::kExclusive : GpuCompute::kShared;
    if (auto n = g.integer("nvjpg_engines", 0, 64)) gp.nvjpg_engines = static_cast<int>(*n);
    if (g.has("copy_engines")) {
      MapReader ce = g.child("copy_engines");
      if (auto n = ce.integer("h2d", 1, 64)) gp.h2d_engines = static_cast<int>(*n);
      if (auto n = ce.integer("d2h", 1, 64)) gp.d2h_engines = static_cast<int>(*n);
      ce.finish();
    }
    if (auto s = g.number("speed", 1e-6, 1e6)) gp.speed = *s;
    gp.power = parse_power(g);
    g.string("source");
    g.finish();
    if (gp.count > 0 && !r.has("pcie"))
      r.fail("gpus", "a node with GPUs needs node.pcie (host_link and gpu_link bandwidths)");
  }
  if (r.has("pcie")) {
    MapReader pc = r.child("pcie");
    p.pcie.host_link = parse_link(pc.child("host_link"));
    p.pcie.gpu_link = parse_link(pc.child("gpu_link"));
    pc.string("source");
    pc.finish();
  }
  r.finish();
  return p;
}

// The three image sizes of the paper (its footnote 3: ImageNet images), ready to use by name.
const ImageParams kPaperImages[] = {
    {"small", 60, 70, 4e3, 1},
    {"medium", 500, 375, 121e3, 1},
    {"large", 3564, 2880, 9528e3, 1},
};

ImageParams parse_image(const ConfigNode& node, const std::string& path) {
  if (node.is_scalar()) {
    const std::string& name =
        read_scalar(node, path, "an image name or {name, width, height, bytes}");
    for (const auto& im : kPaperImages)
      if (im.name == name) return im;
    std::vector<std::string> names;
    for (const auto& im : kPaperImages) names.push_back(im.name);
    const std::string hint = did_you_mean(name, names);
    throw ConfigError(node.mark, path,
                      "unknown image '" + name + "' (built in: small, medium, large)" +
                          (hint.empty() ? "" : "; " + hint));
  }
  MapReader r(node, path);
  ImageParams im;
  im.name = r.name("name").value_or("image");
  const auto w = r.integer("width", 1, 1'000'000);
  if (!w) r.require("width");
  const auto h = r.integer("height", 1, 1'000'000);
  if (!h) r.require("height");
  const auto b = r.quantity("bytes", Dimension::kBytes);
  if (!b) r.require("bytes");
  im.width = static_cast<int>(*w);
  im.height = static_cast<int>(*h);
  im.bytes = *b;
  if (auto wt = r.number("weight", 0, 1e12)) im.weight = *wt;
  if (im.weight <= 0) r.fail("weight", "an image's weight must be > 0");
  r.string("source");
  r.finish();
  return im;
}

/// An empirical image-size distribution: a CSV with a header naming width, height and bytes
/// (and optionally name and weight), one image per row, e.g. measured from a real dataset. The
/// path is relative to the YAML file that names it.
std::vector<ImageParams> read_image_csv(const ConfigNode& at, const std::string& key) {
  const std::string& rel = read_scalar(at, key, "a CSV file of width,height,bytes rows");
  std::filesystem::path file(rel);
  if (file.is_relative() && std::filesystem::exists(std::filesystem::path(at.mark.file)))
    file = std::filesystem::path(at.mark.file).parent_path() / file;
  const std::string csv = read_regular_file(file, kMaxCsvBytes, at.mark, key, "image-size CSV");
  if (csv.size() > kMaxCsvBytes)
    throw ConfigError(at.mark, key,
                      "'" + file.string() + "' is larger than " +
                          std::to_string(kMaxCsvBytes >> 20) +
                          " MiB, servesim's limit on an image-size CSV");
  std::istringstream in(csv);
  auto fail = [&](int line, int col, const std::string& what) -> void {
    throw ConfigError(SourceMark{file.string(), line, col}, key, what);
  };
  std::string line;
  int lineno = 0;
  std::map<std::string, std::size_t> column;
  std::size_t header_cells = 0;
  std::vector<ImageParams> out;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty() || line[0] == '#') continue;
    const auto cells = split_csv_cells(line);
    if (header_cells == 0) {
      header_cells = cells.size();
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (!column.emplace(cells[i].text, i).second)
          fail(lineno, cells[i].col, "the header names the column '" + cells[i].text + "' twice");
      for (const char* need : {"width", "height", "bytes"})
        if (!column.count(need))
          fail(lineno, 1,
               std::string("the header needs a '") + need +
                   "' column (columns: width, height, bytes in bytes, optional name and weight)");
      continue;
    }
    if (cells.size() != header_cells)
      fail(lineno, 1,
           "expected " + std::to_string(header_cells) + " cells as in the header, got " +
               std::to_string(cells.size()));
    auto number = [&](const char* name, double min, bool whole = false) {
      const auto& [text, col] = cells[column.at(name)];
      const auto v = parse_number(text);
      if (v && whole && (*v != std::floor(*v) || *v > 1e6))
        fail(lineno, col,
             std::string("'") + name + "' must be a whole number of pixels, got '" + text + "'");
      if (!v || *v < min)
        fail(lineno, col,
             std::string("'") + name + "' must be a number" + (min >= 1 ? " >= 1" : " > 0") +
                 ", got '" + text + "'");
      return *v;
    };
    ImageParams im;
    im.width = static_cast<int>(number("width", 1, true));
    im.height = static_cast<int>(number("height", 1, true));
    im.bytes = number("bytes", 1);
    if (column.count("weight")) im.weight = number("weight", 1e-12);
    if (column.count("name")) {
      const CsvCell& cell = cells[column.at("name")];
      check_name(cell.text, SourceMark{file.string(), lineno, cell.col}, key);
      im.name = cell.text;
    } else {
      im.name = "row" + std::to_string(lineno);
    }
    out.push_back(im);
  }
  if (out.empty()) throw ConfigError(at.mark, key, "'" + file.string() + "' has no image rows");
  return out;
}

std::vector<ImageParams> parse_images(const ConfigNode& node, const std::string& path,
                                      const ConfigNode* image_sets) {
  // A name of a set under image_sets (or of a built-in image), or a list of images.
  if (node.is_scalar() && image_sets != nullptr) {
    const std::string& name = read_scalar(node, path, "an image set or a list of images");
    if (const ConfigNode* set = image_sets->find(name))
      return parse_images(*set, "image_sets." + name, nullptr);
  }
  if (node.is_scalar()) return {parse_image(node, path)};
  if (node.is_map()) {
    MapReader r(node, path);
    const ConfigNode& csv = r.require("csv");
    r.finish();
    return read_image_csv(csv, r.key_path("csv"));
  }
  if (!node.is_sequence() || node.items.empty())
    throw ConfigError(node.mark, path,
                      "expected an image name (small, medium, large) or a non-empty list of "
                      "images such as [{name: medium, width: 500, height: 375, bytes: 121kB}], or "
                      "{csv: FILE} (an empirical size distribution)");
  std::vector<ImageParams> out;
  for (std::size_t i = 0; i < node.items.size(); ++i)
    out.push_back(parse_image(node.items[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

/// A model profile: what its input tensor and output look like.
struct ModelProfile {
  OutputParams input;  // as a tensor output spec
  double output_bytes = 0;
};
using ModelSet = std::map<std::string, ModelProfile, std::less<>>;

int dtype_size(const std::string& dtype) {
  if (dtype == "uint8" || dtype == "int8") return 1;
  if (dtype == "float16" || dtype == "bfloat16") return 2;
  if (dtype == "float32" || dtype == "int32") return 4;
  return 0;
}

OutputParams parse_tensor(MapReader& r) {
  OutputParams o;
  o.kind = OutputParams::Kind::kTensor;
  const auto w = r.integer("width", 1, 1'000'000);
  if (!w) r.require("width");
  const auto h = r.integer("height", 1, 1'000'000);
  if (!h) r.require("height");
  o.width = static_cast<int>(*w);
  o.height = static_cast<int>(*h);
  if (auto c = r.integer("channels", 1, 64)) o.channels = static_cast<int>(*c);
  o.dtype = r.choice("dtype", {"uint8", "int8", "float16", "bfloat16", "float32", "int32"})
                .value_or("uint8");
  o.element_bytes = dtype_size(o.dtype);
  return o;
}

ModelSet parse_models(const ConfigNode& node) {
  ModelSet out;
  if (!node.is_map())
    throw ConfigError(node.mark, "models", "expected a map of model name -> profile");
  for (const auto& e : node.entries) {
    const std::string& name = e.key;
    check_name(name, e.key_mark, "models." + name);
    MapReader r(e.value, "models." + name, &e.key_mark);
    ModelProfile m;
    r.number("gflops", 0, 1e9);
    r.number("params", 0, 1e15);
    MapReader in = r.child("input");
    m.input = parse_tensor(in);
    in.finish();
    if (r.has("output")) {
      MapReader out_r = r.child("output");
      const auto b = out_r.quantity("bytes", Dimension::kBytes);
      if (!b) out_r.require("bytes");
      m.output_bytes = *b;
      out_r.finish();
    }
    if (!r.string("source")) r.require("source");
    r.finish();
    out.emplace(name, m);
  }
  return out;
}

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
  } else if (const ConfigNode* m2 = r.get("output_of")) {
    const std::string& name = read_scalar(*m2, r.key_path("output_of"), "a model name");
    const ModelProfile& mp = find_model(models, *m2, r.key_path("output_of"), name);
    if (mp.output_bytes <= 0) r.fail("output_of", "model '" + name + "' has no output.bytes");
    o.kind = OutputParams::Kind::kBytes;
    o.bytes = mp.output_bytes;
  } else if (r.has("bytes")) {
    o.kind = OutputParams::Kind::kBytes;
    o.bytes = *r.quantity("bytes", Dimension::kBytes);
  } else if (r.has("bytes_per_pixel")) {
    o.kind = OutputParams::Kind::kPerPixel;
    o.bytes_per_pixel = *r.number("bytes_per_pixel", 1e-6, 1e6);
  } else if (r.has("format")) {
    r.choice("format", {"raw"});
    o.kind = OutputParams::Kind::kRaw;
    if (auto c = r.integer("channels", 1, 64)) o.channels = static_cast<int>(*c);
  } else {
    o = parse_tensor(r);
  }
  r.finish();
  return o;
}

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

BatchingParams parse_batching(MapReader r) {
  BatchingParams b;
  const auto max = r.integer("max_batch_size", 1, 1'000'000);
  if (!max) r.require("max_batch_size");
  b.max_batch_size = static_cast<int>(*max);
  if (const ConfigNode* pref = r.get("preferred_batch_size")) {
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
  }
  if (auto d = r.duration("max_queue_delay", true)) b.max_queue_delay = *d;
  if (auto q = r.integer("max_queue_size", 0, std::int64_t{1} << 40))
    b.max_queue_size = static_cast<std::uint64_t>(*q);
  if (auto t = r.duration("timeout")) b.timeout = *t;
  if (auto a = r.choice("timeout_action", {"reject", "delay"})) {
    if (b.timeout == 0) r.fail("timeout_action", "timeout_action needs a timeout");
    b.timeout_action = *a == "reject" ? BatchingParams::TimeoutAction::kReject
                                      : BatchingParams::TimeoutAction::kDelay;
  }
  r.finish();
  return b;
}

ClusterParams parse_cluster(MapReader r) {
  ClusterParams c;
  if (auto n = r.integer("nodes", 1, 100'000)) c.nodes = static_cast<int>(*n);
  if (r.has("balancer")) {
    MapReader b = r.child("balancer");
    const auto policy =
        b.choice("policy", {"round_robin", "random", "least_outstanding", "power_of_two"})
            .value_or("round_robin");
    c.policy = policy == "round_robin"         ? BalancerPolicy::kRoundRobin
               : policy == "random"            ? BalancerPolicy::kRandom
               : policy == "least_outstanding" ? BalancerPolicy::kLeastOutstanding
                                               : BalancerPolicy::kPowerOfTwo;
    if (auto m = b.integer("max_outstanding_per_node", 1, std::int64_t{1} << 40))
      c.max_outstanding_per_node = static_cast<std::uint64_t>(*m);
    b.finish();
  }
  r.finish();
  return c;
}

struct StageContext {
  const CurveSet& curves;
  const ModelSet& models;
  const NodeParams& node;
};

/// A broker operation's cost of (bytes): {a: 5us, b: 0.3ns} (a + b * bytes) or {curve: NAME}.
CostParams parse_cost(MapReader r, const CurveSet& curves) {
  CostParams c;
  if (const ConfigNode* n = r.get("curve")) {
    c.curve_name = read_scalar(*n, r.key_path("curve"), "a curve name");
    c.curve = find_curve(curves, c.curve_name, *n, r.key_path("curve"));
    for (const char* k : {"a", "b"})
      if (r.get(k)) r.fail(k, std::string(k) + " and curve are two ways to say the same: keep one");
    r.finish();
    return c;
  }
  const double a = read_fine_ns(r.require("a"), r.key_path("a"));
  const ConfigNode* bn = r.get("b");
  const double b = bn ? read_fine_ns(*bn, r.key_path("b")) : 0.0;
  r.finish();
  c.curve = Curve::affine(a, {{CurveInput::kBytes, b}});
  return c;
}

FanoutCount parse_count(const ConfigNode& node, const std::string& path) {
  FanoutCount c;
  const std::int64_t kMaxChildren = 100'000;
  if (node.is_scalar()) {
    const std::string& text = read_scalar(node, path, "a count or a map");
    const auto v = parse_number(text);
    if (!v || *v != std::floor(*v) || *v < 0 || *v > kMaxChildren)
      throw ConfigError(node.mark, path,
                        "expected a whole number of children from 0 to 100000, or a map such as "
                        "{dist: poisson, mean: 5} or {dist: empirical, values: [0, 1, 4], "
                        "weights: [5, 3, 2]}, got '" +
                            text + "'");
    c.mean = *v;
    return c;
  }
  MapReader r(node, path);
  const auto dist = r.choice("dist", {"fixed", "poisson", "empirical"});
  if (!dist) r.require("dist");
  if (*dist == "fixed") {
    const auto v = r.integer("value", 0, kMaxChildren);
    if (!v) r.require("value");
    c.mean = static_cast<double>(*v);
  } else if (*dist == "poisson") {
    c.kind = FanoutCount::Kind::kPoisson;
    const auto m = r.number("mean", 0, 500);
    if (!m) r.require("mean");
    if (*m <= 0) r.fail("mean", "a Poisson count needs mean > 0 (for none, write count: 0)");
    c.mean = *m;
  } else {
    c.kind = FanoutCount::Kind::kEmpirical;
    const ConfigNode& vals = r.require("values");
    if (!vals.is_sequence() || vals.items.empty())
      r.fail_at(vals, "values", "expected a non-empty list of counts (e.g. [0, 1, 4])");
    std::vector<double> w(vals.items.size(), 1.0);
    if (const ConfigNode* wn = r.get("weights")) {
      if (!wn->is_sequence() || wn->items.size() != vals.items.size())
        r.fail_at(*wn, "weights", "expected one weight per value");
      for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string& t = read_scalar(wn->items[i], r.key_path("weights"), "a weight");
        const auto v = parse_number(t);
        if (!v || *v <= 0)
          throw ConfigError(wn->items[i].mark, r.key_path("weights"),
                            "weights must be numbers > 0, got '" + t + "'");
        w[i] = *v;
      }
    }
    double total = 0, acc = 0, mean = 0;
    for (const double x : w) total += x;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const std::string& t = read_scalar(vals.items[i], r.key_path("values"), "a count");
      const auto v = parse_number(t);
      if (!v || *v != std::floor(*v) || *v < 0 || *v > kMaxChildren)
        throw ConfigError(vals.items[i].mark, r.key_path("values"),
                          "counts are whole numbers from 0 to 100000, got '" + t + "'");
      c.values.push_back(static_cast<std::uint32_t>(*v));
      c.cum_weights.push_back((acc += w[i]) / total);
      mean += *v * w[i] / total;
    }
    c.mean = mean;
  }
  r.finish();
  return c;
}

BrokerParams parse_broker(MapReader r, const CurveSet& curves) {
  BrokerParams b;
  const auto kind = r.choice("kind", {"kafka", "redis", "fused"});
  if (!kind) r.require("kind");
  r.string("source");
  if (*kind == "fused") {
    b.kind = BrokerKind::kFused;
    r.finish();
    return b;
  }
  // Defaults: docs/model.md ("Fan-out and message brokers") and docs/sources.md.
  const Time default_rtt = 50 * kMicrosecond;
  if (*kind == "redis") {
    b.kind = BrokerKind::kRedis;
    RedisParams& p = b.redis;
    p.op_cost.curve = Curve::affine(5000, {{CurveInput::kBytes, 0.3}});
    if (r.has("op_cost")) p.op_cost = parse_cost(r.child("op_cost"), curves);
    p.rtt = r.duration("rtt", true).value_or(default_rtt);
    if (auto n = r.integer("pipeline", 1, 1'000'000)) p.pipeline = static_cast<int>(*n);
    p.on_node_cpu = r.choice("cpu", {"dedicated", "node"}).value_or("dedicated") == "node";
    r.finish();
    return b;
  }
  b.kind = BrokerKind::kKafka;
  KafkaParams& p = b.kafka;
  if (auto v = r.quantity("batch_size", Dimension::kBytes)) p.batch_size = *v;
  // Kafka's own names take milliseconds as plain numbers; ours take durations.
  auto ms_alias = [&](const char* ours, const char* kafka, Time& out) {
    const auto d = r.duration(ours, true);
    const auto n = r.number(kafka, 0, 1e9);
    if (d && n) r.fail(kafka, std::string(kafka) + " is Kafka's name for " + ours + ": keep one");
    if (d) out = *d;
    if (n) out = sample_to_time(*n * 1e6);
  };
  ms_alias("linger", "linger_ms", p.linger);
  ms_alias("fetch_max_wait", "fetch_max_wait_ms", p.fetch_max_wait);
  if (auto v = r.quantity("fetch_min_bytes", Dimension::kBytes)) p.fetch_min_bytes = *v;
  if (auto n = r.integer("partitions", 1, 100'000)) p.partitions = static_cast<int>(*n);
  if (auto n = r.integer("consumers", 1, 100'000)) p.consumers = static_cast<int>(*n);
  if (auto n = r.integer("threads", 1, 10'000)) p.threads = static_cast<int>(*n);
  p.request_cost.curve = Curve::affine(50000, {{CurveInput::kBytes, 1.0}});
  if (r.has("request_cost")) p.request_cost = parse_cost(r.child("request_cost"), curves);
  p.rtt = r.duration("rtt", true).value_or(default_rtt);
  p.disk_bytes_per_s = 500e6;
  p.fsync_latency = kMillisecond;
  if (r.has("disk")) {
    MapReader d = r.child("disk");
    p.fsync = d.choice("sync", {"page_cache", "fsync"}).value_or("page_cache") == "fsync";
    if (auto bw = d.quantity("bandwidth", Dimension::kBandwidth)) p.disk_bytes_per_s = *bw;
    if (auto l = d.duration("fsync_latency", true)) p.fsync_latency = *l;
    d.string("source");
    d.finish();
  }
  r.finish();
  if (p.fetch_max_wait == 0 && p.rtt == 0 && p.request_cost.curve.mean_ns(CurveArgs{1, 0, 0}) <= 0)
    r.fail("fetch_max_wait",
           "with fetch_max_wait 0, rtt 0 and a free request, an idle consumer would fetch forever "
           "in one instant; give one of them a non-zero time");
  return b;
}

FanoutParams parse_fanout(MapReader r, const CurveSet& curves) {
  FanoutParams f;
  f.count = parse_count(r.require("count"), r.key_path("count"));
  MapReader c = r.child("child");
  const auto w = c.integer("width", 1, 1'000'000);
  if (!w) c.require("width");
  const auto h = c.integer("height", 1, 1'000'000);
  if (!h) c.require("height");
  const auto bytes = c.quantity("bytes", Dimension::kBytes);
  if (!bytes) c.require("bytes");
  f.width = static_cast<int>(*w);
  f.height = static_cast<int>(*h);
  f.bytes = *bytes;
  c.string("source");
  c.finish();
  f.broker = parse_broker(r.child("broker"), curves);
  r.string("source");
  r.finish();
  return f;
}

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
  const auto device = r.choice("device", {"cpu", "gpu", "nvjpg", "pcie"});
  if (!device) r.require("device");
  p.device = *device == "cpu"     ? Device::kCpu
             : *device == "gpu"   ? Device::kGpu
             : *device == "nvjpg" ? Device::kNvjpg
                                  : Device::kPcie;
  if (p.device != Device::kCpu && ctx.node.gpus.count == 0)
    r.fail("device", "device: " + *device + " needs GPUs: set node.gpus.count");
  if (p.device == Device::kNvjpg && ctx.node.gpus.nvjpg_engines == 0)
    r.fail("device",
           "device: nvjpg needs node.gpus.nvjpg_engines > 0 (the GPU's hardware JPEG "
           "decoders)");
  if (auto n = r.integer("instances", 1, 1'000'000)) p.instances = static_cast<int>(*n);
  if (auto s = r.number("speedup", 1e-6, 1e6)) p.speedup = *s;
  if (r.has("batching")) p.batching = parse_batching(r.child("batching"));
  if (const ConfigNode* o = r.get("output"))
    p.output = parse_output(*o, r.key_path("output"), ctx.models);
  if (p.device == Device::kPcie) {
    const auto dir = r.choice("direction", {"to_gpu", "to_host"});
    if (!dir) r.require("direction");
    p.direction = *dir == "to_gpu" ? Direction::kToGpu : Direction::kToHost;
    for (const char* k : {"service", "cpu_service"})
      if (r.get(k)) r.fail(k, "a pcie transfer's time comes from node.pcie, not a service time");
  } else {
    if (r.get("direction")) r.fail("direction", "direction belongs to device: pcie");
    p.service = parse_service(r.require("service"), r.key_path("service"), ctx.curves);
    if (const ConfigNode* c = r.get("cpu_service")) {
      if (p.device == Device::kCpu)
        r.fail("cpu_service", "cpu_service is the CPU part of a gpu or nvjpg stage");
      p.cpu_service = parse_service(*c, r.key_path("cpu_service"), ctx.curves);
    }
  }
  if (r.has("fanout")) p.fanout = parse_fanout(r.child("fanout"), ctx.curves);
  r.string("source");
  r.finish();
  return p;
}

/// The stages after a fan-out stage run per child; what they may not do, and the broker's name.
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
    const std::string name = broker_name(p.pipeline[f].fanout->broker.kind);
    for (std::size_t i = 0; i < p.pipeline.size(); ++i)
      if (p.pipeline[i].name == name)
        throw ConfigError(
            pipe.items[i].mark, "pipeline." + name,
            "the broker is reported as a stage named '" + name + "': rename this stage");
  }
}

std::string format_rate(double per_s) { return shortest(per_s) + "/s"; }

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

nlohmann::ordered_json cost_json(const CostParams& c) {
  if (!c.curve_name.empty()) return {{"curve", c.curve_name}};
  return {{"a", shortest(c.curve.a_ns()) + "ns"},
          {"b", shortest(c.curve.slope_ns(CurveInput::kBytes)) + "ns"}};
}

nlohmann::ordered_json fanout_json(const FanoutParams& f);

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

std::filesystem::path default_scenario_path() {
  return std::filesystem::path(SERVESIM_CONFIG_DIR) / "scenarios" / "paper-vit-base-gpu.yaml";
}

ScenarioParams parse_scenario(const ConfigNode& root) {
  MapReader r(root, "");
  ScenarioParams p;
  if (auto s = r.integer("seed", 0, std::int64_t{1} << 53)) p.seed = static_cast<std::uint64_t>(*s);
  r.string("name");
  r.string("description");
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
  r.finish();
  if (p.workload.mode == WorkloadMode::kClosed) {
    // Zero service everywhere and no think time would loop forever at one instant.
    double work = p.workload.think_time ? p.workload.think_time->mean() : 0.0;
    for (const auto& st : p.pipeline) {
      work += st.service.mean_hint_ns() + (st.cpu_service ? st.cpu_service->mean_hint_ns() : 0.0);
      if (st.device == Device::kPcie)
        work += static_cast<double>(p.node.pcie.gpu_link.latency + p.node.pcie.host_link.latency) +
                1;  // and at least a byte's worth
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
  return p;
}

LoadedScenario load_scenario(const std::filesystem::path& file,
                             const std::vector<std::string>& overrides) {
  LoadedScenario out;
  ConfigNode root;
  if (file.empty()) {
    const auto path = default_scenario_path();
    if (!std::filesystem::exists(path))
      throw ConfigError(SourceMark{"<built-in default>", 0, 0}, "",
                        "the default scenario " + path.string() +
                            " is missing (servesim reads configs/ from the source tree it was "
                            "built from); pass a scenario FILE");
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

namespace {

nlohmann::ordered_json fanout_json(const FanoutParams& f) {
  nlohmann::ordered_json j;
  const FanoutCount& c = f.count;
  switch (c.kind) {
    case FanoutCount::Kind::kFixed:
      j["count"] = static_cast<std::uint64_t>(c.mean);
      break;
    case FanoutCount::Kind::kPoisson:
      j["count"] = {{"dist", "poisson"}, {"mean", c.mean}};
      break;
    case FanoutCount::Kind::kEmpirical: {
      auto w = nlohmann::ordered_json::array();
      double prev = 0;
      for (const double cw : c.cum_weights) {
        w.push_back(cw - prev);
        prev = cw;
      }
      j["count"] = {{"dist", "empirical"}, {"values", c.values}, {"weights", w}};
      break;
    }
  }
  j["child"] = {{"width", f.width}, {"height", f.height}, {"bytes", shortest(f.bytes) + "B"}};
  auto& b = j["broker"];
  b["kind"] = broker_name(f.broker.kind);
  const auto dur = [](Time t) { return t ? format_duration(t) : std::string("0s"); };
  if (f.broker.kind == BrokerKind::kRedis) {
    const RedisParams& r = f.broker.redis;
    b["op_cost"] = cost_json(r.op_cost);
    b["rtt"] = dur(r.rtt);
    b["pipeline"] = r.pipeline;
    b["cpu"] = r.on_node_cpu ? "node" : "dedicated";
  } else if (f.broker.kind == BrokerKind::kKafka) {
    const KafkaParams& k = f.broker.kafka;
    b["batch_size"] = shortest(k.batch_size) + "B";
    b["linger"] = dur(k.linger);
    b["fetch_min_bytes"] = shortest(k.fetch_min_bytes) + "B";
    b["fetch_max_wait"] = dur(k.fetch_max_wait);
    b["partitions"] = k.partitions;
    b["consumers"] = k.consumers;
    b["threads"] = k.threads;
    b["request_cost"] = cost_json(k.request_cost);
    b["rtt"] = dur(k.rtt);
    b["disk"] = {{"sync", k.fsync ? "fsync" : "page_cache"},
                 {"bandwidth", shortest(k.disk_bytes_per_s) + "B/s"},
                 {"fsync_latency", dur(k.fsync_latency)}};
  }
  return j;
}

}  // namespace

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
  if (!p.workload.images.empty()) {
    auto& ims = w["images"] = nlohmann::ordered_json::array();
    for (const auto& im : p.workload.images)
      ims.push_back({{"name", im.name},
                     {"width", im.width},
                     {"height", im.height},
                     {"bytes", shortest(im.bytes) + "B"},
                     {"weight", im.weight}});
  }
  const char* policies[] = {"round_robin", "random", "least_outstanding", "power_of_two"};
  j["cluster"] = {{"nodes", p.cluster.nodes},
                  {"balancer", {{"policy", policies[static_cast<int>(p.cluster.policy)]}}}};
  if (p.cluster.max_outstanding_per_node > 0)
    j["cluster"]["balancer"]["max_outstanding_per_node"] = p.cluster.max_outstanding_per_node;
  const NodeParams& n = p.node;
  auto power = [](nlohmann::ordered_json& o, const PowerParams& pw) {
    if (pw.busy_w > 0) {
      o["idle_power"] = shortest(pw.idle_w) + "W";
      o["busy_power"] = shortest(pw.busy_w) + "W";
    }
  };
  auto& cpu = j["node"]["cpu"] = {{"cores", n.cpu.cores}, {"speed", n.cpu.speed}};
  power(cpu, n.cpu.power);
  if (n.cpu.scheduler == CpuScheduler::kPerCore) cpu["scheduler"] = "per_core";
  if (n.cpu.wakeup) cpu["wakeup"] = distribution_json(*n.cpu.wakeup);
  if (n.gpus.count > 0) {
    auto& g = j["node"]["gpus"];
    g["count"] = n.gpus.count;
    g["type"] = n.gpus.type;
    if (n.gpus.memory_bytes > 0) g["memory"] = shortest(n.gpus.memory_bytes) + "B";
    if (n.gpus.reserved_bytes > 0) g["reserved_memory"] = shortest(n.gpus.reserved_bytes) + "B";
    g["memory_policy"] = n.gpus.memory_policy == MemoryPolicy::kBlock ? "block" : "spill";
    g["compute"] = n.gpus.compute == GpuCompute::kExclusive ? "exclusive" : "shared";
    g["nvjpg_engines"] = n.gpus.nvjpg_engines;
    g["copy_engines"] = {{"h2d", n.gpus.h2d_engines}, {"d2h", n.gpus.d2h_engines}};
    g["speed"] = n.gpus.speed;
    power(g, n.gpus.power);
    auto link = [](const LinkParams& l) {
      return nlohmann::ordered_json{{"bandwidth", shortest(l.bytes_per_s) + "B/s"},
                                    {"latency", l.latency ? format_duration(l.latency) : "0s"}};
    };
    j["node"]["pcie"] = {{"host_link", link(n.pcie.host_link)},
                         {"gpu_link", link(n.pcie.gpu_link)}};
  }
  auto service = [](const ServiceParams& sv) {
    if (sv.curve) return nlohmann::ordered_json{{"curve", sv.curve_name}};
    return distribution_json(sv.dist);
  };
  auto& pipe = j["pipeline"] = nlohmann::ordered_json::array();
  for (const auto& s : p.pipeline) {
    nlohmann::ordered_json st;
    st["name"] = s.name;
    const char* dev[] = {"cpu", "gpu", "nvjpg", "pcie"};
    st["device"] = dev[static_cast<int>(s.device)];
    st["instances"] = s.instances;
    if (s.speedup != 1.0) st["speedup"] = s.speedup;
    if (s.device == Device::kPcie) {
      st["direction"] = s.direction == Direction::kToGpu ? "to_gpu" : "to_host";
    } else {
      st["service"] = service(s.service);
    }
    if (s.cpu_service) st["cpu_service"] = service(*s.cpu_service);
    if (s.batching) {
      const BatchingParams& b = *s.batching;
      auto& bj = st["batching"];
      bj["max_batch_size"] = b.max_batch_size;
      if (!b.preferred_batch_sizes.empty()) bj["preferred_batch_size"] = b.preferred_batch_sizes;
      bj["max_queue_delay"] = b.max_queue_delay ? format_duration(b.max_queue_delay) : "0s";
      bj["max_queue_size"] = b.max_queue_size;
      if (b.timeout) {
        bj["timeout"] = format_duration(b.timeout);
        bj["timeout_action"] =
            b.timeout_action == BatchingParams::TimeoutAction::kReject ? "reject" : "delay";
      }
    }
    switch (s.output.kind) {
      case OutputParams::Kind::kSame:
        break;
      case OutputParams::Kind::kRaw:
        st["output"] = "raw";
        break;
      case OutputParams::Kind::kTensor:
        st["output"] = {{"width", s.output.width},
                        {"height", s.output.height},
                        {"channels", s.output.channels},
                        {"dtype", s.output.dtype}};
        break;
      case OutputParams::Kind::kBytes:
        st["output"] = {{"bytes", shortest(s.output.bytes) + "B"}};
        break;
      case OutputParams::Kind::kPerPixel:
        st["output"] = {{"bytes_per_pixel", s.output.bytes_per_pixel}};
        break;
    }
    if (s.fanout) st["fanout"] = fanout_json(*s.fanout);
    pipe.push_back(st);
  }
  j["curves"] = nlohmann::ordered_json::object();
  for (const auto& s : p.pipeline) {
    for (const ServiceParams* sv : {&s.service, s.cpu_service ? &*s.cpu_service : nullptr})
      if (sv && sv->curve) j["curves"][sv->curve_name] = curve_json(*sv->curve);
    if (!s.fanout) continue;
    const BrokerParams& b = s.fanout->broker;
    for (const CostParams* c : {&b.redis.op_cost, &b.kafka.request_cost})
      if (!c->curve_name.empty()) j["curves"][c->curve_name] = curve_json(c->curve);
  }
  return j;
}

}  // namespace servesim
