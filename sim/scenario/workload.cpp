// `workload`: the clients, the images they send, and the distributions that service and think
// times are drawn from.

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sim/config/csv.h"
#include "sim/config/limits.h"
#include "sim/scenario/sections.h"

namespace servesim {

const Table<WorkloadParams>& workload_keys() {
  static const EnumNames<WorkloadMode> modes{{WorkloadMode::kOpen, "open"},
                                             {WorkloadMode::kClosed, "closed"}};
  static const EnumNames<ArrivalProcess> arrivals{{ArrivalProcess::kPoisson, "poisson"},
                                                  {ArrivalProcess::kConstant, "constant"},
                                                  {ArrivalProcess::kGamma, "gamma"}};
  static const Table<WorkloadParams> table{
      "",
      {},
      {
          {.key = "mode",
           .type = choice_type(),
           .at = {&WorkloadParams::mode, modes},
           .required = true,
           .help = "open: arrivals at a rate; closed: N clients"},
          {.key = "images",
           .type = custom_type(),
           .help = "the image mix; see below",
           .doc_type = "image name, set name, list of images, or `{csv: FILE}`",
           .doc_default = "none (requests carry no payload)"},
          {.key = "rate",
           .type = quantity_type(Dimension::kRate),
           .at = &WorkloadParams::rate_per_s,
           .help = "mean arrival rate (above 1e9/s arrivals would be under 1 ns apart; below "
                   "1.1e-10/s the mean time between arrivals is past the clock's ~292 years)",
           .doc_type = "rate, from 1.1e-10/s to 1e9/s",
           .doc_default = "required if open"},
          {.key = "arrival",
           .type = choice_type(),
           .at = {&WorkloadParams::arrival, arrivals},
           .help = "inter-arrival distribution (open)"},
          {.key = "cv",
           .type = number_type(0, 100),
           .at = &WorkloadParams::cv,
           .help = "inter-arrival coefficient of variation (gamma only)",
           .doc_type = "number in (0, 100]",
           .doc_default = "required if gamma"},
          {.key = "schedule",
           .type = custom_type(),
           .help = "open: the rate over time, as multiples of `rate` (a step, a ramp, a "
                   "day's curve); arrivals follow it by time-rescaling (docs/model.md)",
           .doc_type = "map (below)",
           .doc_default = "none (`rate` throughout)"},
          {.key = "concurrency",
           .type = integer_type(1, 10'000'000),
           .at = &WorkloadParams::concurrency,
           .help = "clients, each with one request outstanding",
           .doc_default = "required if closed"},
          {.key = "client",
           .type = custom_type(),
           .help = "the load generator as part of the model: its CPU work per request and the "
                   "network between it and the node (docs/model.md)",
           .doc_type = "map (below)",
           .doc_default = "none (requests appear at the server)"},
          {.key = "think_time",
           .type = custom_type(),
           .help = "closed: pause between a response (or a rejection) and the next send; a "
                   "plain duration is fixed",
           .doc_type = "duration (0 allowed), or a distribution map",
           .doc_default = "none"},
      }};
  return table;
}

const Table<RateSchedule>& schedule_keys() {
  static const EnumNames<RateSchedule::Shape> shapes{{RateSchedule::Shape::kStep, "step"},
                                                     {RateSchedule::Shape::kLinear, "linear"}};
  static const Table<RateSchedule> table{
      "schedule.",
      {},
      {
          {.key = "shape",
           .type = choice_type(),
           .at = {&RateSchedule::shape, shapes},
           .help = "`step`: each factor holds until the next point; `linear`: the factor ramps "
                   "from point to point. After the last point its factor holds"},
          {.key = "at",
           .type = custom_type(),
           .help = "the points' times from the start of the run (warm-up included): the first "
                   "0s, strictly ascending",
           .doc_type = "list of durations",
           .doc_default = "required"},
          {.key = "factor",
           .type = custom_type(),
           .help = "the rate at each point as a multiple of `rate`, each in [0, 1e6], one per "
                   "point, at least one above 0",
           .doc_type = "list of numbers",
           .doc_default = "required"},
          source_key<RateSchedule>(),
      }};
  return table;
}

const Table<ImageParams>& image_keys() {
  static const Table<ImageParams> table{
      "",
      {.name = "image"},
      {
          {.key = "name",
           .type = name_type(),
           .at = &ImageParams::name,
           .help = "how outputs name the image"},
          {.key = "width",
           .type = integer_type(1, 1'000'000),
           .at = &ImageParams::width,
           .required = true,
           .help = "pixels; what `output: raw` and curves' `pixels` use"},
          {.key = "height",
           .type = integer_type(1, 1'000'000),
           .at = &ImageParams::height,
           .required = true,
           .help = "pixels"},
          {.key = "bytes",
           .type = quantity_type(Dimension::kBytes),
           .at = &ImageParams::bytes,
           .required = true,
           .help = "the compressed (JPEG) size: the payload a request starts with"},
          {.key = "weight",
           .type = number_type(0, 1e12),
           .at = &ImageParams::weight,
           .help = "relative frequency in the mix (probability weight / sum)",
           .doc_type = "number in (0, 1e12]"},
          source_key<ImageParams>(),
      }};
  return table;
}

const Table<DistributionMap>& distribution_keys() {
  static const std::string dists = [] {
    std::string out;
    for (const auto n : dist_kind_names())
      out += (out.empty() ? "`" : " \\| `") + std::string(n) + "`";
    return out;
  }();
  static const Table<DistributionMap> table{
      "",
      {},
      {
          {.key = "dist",
           .type = custom_type(),
           .required = true,
           .help = "the distribution's family",
           .doc_type = dists,
           .doc_default = "required"},
          {.key = "mean",
           .type = duration_type(),
           .at = &DistributionMap::mean,
           .help = "the mean; for `empirical` it rescales the samples",
           .doc_default = "required except for `empirical`"},
          {.key = "cv",
           .type = number_type(0, 100),
           .at = &DistributionMap::cv,
           .help = "coefficient of variation (sd / mean): implied for `exponential` (1) and "
                   "`deterministic` (0), required for the others; `uniform` needs cv <= 0.577; "
                   "`erlang` needs 1/cv^2 to be a whole number of phases",
           .doc_default = "implied, or required"},
          {.key = "samples",
           .type = custom_type(),
           .help = "`empirical` only: the durations, drawn uniformly",
           .doc_type = "non-empty list of durations (0 allowed)",
           .doc_default = "required for `empirical`"},
      }};
  return table;
}

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
  const Table<DistributionMap>& keys = distribution_keys();
  DistributionMap m;
  const bool mean = read_key(r, keys, "mean", m);
  const bool cv = read_key(r, keys, "cv", m);
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
      return Distribution::empirical(std::move(v), mean ? static_cast<double>(m.mean) : 0.0);
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
    c = m.cv;
  } else if (cv && m.cv != c) {
    r.fail("cv", "dist: " + dist + " has cv " + (c == 0 ? "0" : "1") +
                     "; remove 'cv' or choose gamma/lognormal");
  }
  r.finish();
  try {
    return Distribution::make(kind, static_cast<double>(m.mean), c);
  } catch (const std::invalid_argument& e) {
    r.fail(cv ? "cv" : "dist", e.what());
  }
}

namespace {

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

/// workload.schedule, checked against the base rate (its peak must stay a rate the clock holds).
RateSchedule parse_schedule(MapReader s, double rate_per_s) {
  RateSchedule sc = schedule_keys().defaults;
  read_keys(s, schedule_keys(), sc, [&](std::string_view key) {
    const ConfigNode& list = s.require(key);
    const std::string path = s.key_path(key);
    if (!list.is_sequence() || list.items.empty())
      s.fail_at(list, key,
                key == "at" ? "expected a list of durations (e.g. [0s, 10min, 20min])"
                            : "expected a list of numbers (e.g. [1, 2, 1])");
    for (const ConfigNode& it : list.items) {
      if (key == "at") {
        const double t = static_cast<double>(read_duration(it, path, true));
        if (sc.at_ns.empty() && t != 0)
          throw ConfigError(it.mark, path, "the first point is at 0s, the start of the run");
        if (!sc.at_ns.empty() && t <= sc.at_ns.back())
          throw ConfigError(it.mark, path, "the points' times must be strictly ascending");
        sc.at_ns.push_back(t);
      } else {
        const auto v = parse_number(read_scalar(it, path, "a number"));
        if (!v || !(*v >= 0 && *v <= 1e6))
          throw ConfigError(it.mark, path, "expected a factor in [0, 1e6]");
        sc.factor.push_back(*v);
      }
    }
  });
  if (sc.factor.size() != sc.at_ns.size())
    s.fail("factor", "give one factor per point of `at` (" + std::to_string(sc.at_ns.size()) +
                         "), got " + std::to_string(sc.factor.size()));
  if (!(sc.peak() > 0)) s.fail("factor", "every factor is 0: the schedule sends nothing");
  if (rate_per_s * sc.peak() > static_cast<double>(kSecond))
    s.fail("factor", "the peak, rate x " + shortest(sc.peak()) +
                         ", puts arrivals less than 1 ns apart, below servesim's clock "
                         "resolution");
  s.finish();
  return sc;
}

}  // namespace

WorkloadParams parse_workload(MapReader r, const ConfigNode* image_sets) {
  const Table<WorkloadParams>& keys = workload_keys();
  WorkloadParams p = keys.defaults;
  read_key(r, keys, "mode", p);
  if (const ConfigNode* im = r.get("images"))
    p.images = parse_images(*im, r.key_path("images"), image_sets);
  if (p.mode == WorkloadMode::kOpen) {
    if (!read_key(r, keys, "rate", p)) r.require("rate");
    check_rate(r, p.rate_per_s);
    read_key(r, keys, "arrival", p);
    const bool cv = read_key(r, keys, "cv", p);
    if (p.arrival == ArrivalProcess::kGamma) {
      if (!cv || p.cv <= 0)
        r.fail(cv ? "cv" : "arrival",
               "arrival: gamma needs cv > 0 (the inter-arrival coefficient of variation)");
    } else if (cv) {
      r.fail("cv", "cv applies to arrival: gamma only (poisson has cv 1, constant 0)");
    }
    if (r.has("schedule")) p.schedule = parse_schedule(r.child("schedule"), p.rate_per_s);
    for (const char* k : {"concurrency", "think_time"})
      if (r.get(k)) r.fail(k, std::string(k) + " belongs to mode: closed");
  } else {
    if (!read_key(r, keys, "concurrency", p)) r.require("concurrency");
    if (const ConfigNode* t = r.get("think_time"))
      p.think_time = parse_distribution(*t, r.key_path("think_time"));
    for (const char* k : {"rate", "arrival", "cv", "schedule"})
      if (r.get(k)) r.fail(k, std::string(k) + " belongs to mode: open");
  }
  r.get("client");  // read with the pipeline, whose curves it may name (parse_client)
  r.finish();
  return p;
}

namespace {

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
  ImageParams im = image_keys().defaults;
  read_keys(r, image_keys(), im);
  if (im.weight <= 0) r.fail("weight", "an image's weight must be > 0");
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

}  // namespace

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

Json distribution_json(const Distribution& d) {
  Json j;
  j["dist"] = std::string(dist_kind_name(d.kind()));
  if (d.kind() == DistKind::kEmpirical) {
    auto& s = j["samples"] = Json::array();
    for (const double v : d.samples()) s.push_back(format_duration(sample_to_time(v)));
    return j;
  }
  // A bare 0 is a deterministic mean of 0, written "0ns" (a mean in a map is > 0).
  j["mean"] = format_duration(sample_to_time(d.mean()));
  const DistributionMap m{.cv = d.cv()};
  if (Distribution::implied_cv(d.kind()) < 0) emit_key(j, distribution_keys(), "cv", m);
  return j;
}

Json workload_json(const WorkloadParams& p) {
  const Table<WorkloadParams>& keys = workload_keys();
  Json w;
  emit_key(w, keys, "mode", p);
  if (p.mode == WorkloadMode::kOpen) {
    emit_key(w, keys, "rate", p);
    emit_key(w, keys, "arrival", p);
    if (p.arrival == ArrivalProcess::kGamma) emit_key(w, keys, "cv", p);
    if (p.schedule) {
      Json s;
      emit_keys(s, schedule_keys(), *p.schedule, [&](std::string_view key) {
        if (key == "factor") {
          s["factor"] = p.schedule->factor;
          return;
        }
        auto& at = s["at"] = Json::array();
        for (const double t : p.schedule->at_ns)
          at.push_back(format_duration(static_cast<Time>(t)));
      });
      w["schedule"] = s;
    }
  } else {
    emit_key(w, keys, "concurrency", p);
    if (p.think_time) w["think_time"] = distribution_json(*p.think_time);
  }
  if (p.client) w["client"] = client_json(*p.client);
  if (!p.images.empty()) {
    auto& ims = w["images"] = Json::array();
    for (const auto& im : p.images) {
      Json j;
      emit_keys(j, image_keys(), im);
      ims.push_back(j);
    }
  }
  return w;
}

}  // namespace servesim
