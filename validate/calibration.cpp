#include "validate/calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "calib/fit.h"
#include "calib/net_bench.h"
#include "calib/slowdown_bench.h"
#include "calib/stall_bench.h"
#include "calib/timing.h"
#include "sim/scenario/curves.h"

namespace servesim::validate {

using calib::ImageSize;
using calib::JpegImage;
using calib::Sample;

namespace {

/// Observations of one kernel (of one image size when `size` is given) as a curve sees them.
std::vector<calib::Observation> observations(std::span<const Sample> samples,
                                             std::string_view kernel, const ImageSize* size) {
  std::vector<calib::Observation> obs;
  for (const Sample& s : samples) {
    if (s.kernel != kernel) continue;
    if (size && (s.width != size->width || s.height != size->height)) continue;
    obs.push_back({{s.batch, s.pixels, s.bytes}, s.seconds * 1e9});
  }
  if (obs.empty()) throw std::runtime_error("validate: no samples of " + std::string(kernel));
  return obs;
}

}  // namespace

Fitted fit(std::span<const Sample> samples, std::string_view kernel, const ImageSize* size,
           const std::string& name, const std::string& machine) {
  const auto obs = observations(samples, kernel, size);
  const calib::FitReport r = calib::fit_curve(obs);
  Fitted f;
  f.named.name = name;
  f.named.curve = r.curve;
  f.named.curve.source = "servesim validate: calib bench of " + std::string(kernel) +
                         (size ? " on its " + std::to_string(size->width) + "x" +
                                     std::to_string(size->height) + " items"
                               : std::string()) +
                         ", " + std::to_string(obs.size()) +
                         " samples, fitted by calib fit_curve (" +
                         r.candidates[r.chosen].spec.label() + "); " + machine;
  f.named.comments.push_back(name + ": t = " + calib::curve_formula(calib::rounded(r.curve)) +
                             " (holdout error " + shortest(std::round(r.holdout_error * 1e3) / 10) +
                             "%, noise cv " + shortest(std::round(r.noise_cv * 1e3) / 1e3) + ")");
  f.noise_cv = r.noise_cv;
  return f;
}

calib::NamedCurve preprocess_curve(const std::string& size_name, ImageSize size,
                                   std::span<const JpegImage> images, const Fitted& decode,
                                   const Fitted& resize, const Fitted& norm, ImageSize input) {
  const double px = static_cast<double>(size.width) * size.height;
  const double in_px = static_cast<double>(input.width) * input.height;
  const double t_resize = resize.named.curve.mean_ns({1, px, px * 3});
  const double t_norm = norm.named.curve.mean_ns({1, in_px, in_px * 3});
  std::vector<double> bytes;
  for (const auto& j : images) bytes.push_back(static_cast<double>(j.data.size()));
  std::sort(bytes.begin(), bytes.end());
  bytes.erase(std::unique(bytes.begin(), bytes.end()), bytes.end());
  std::vector<double> ts;
  double mean_decode = 0;
  for (const double b : bytes) {
    const double d = decode.named.curve.mean_ns({1, px, b});
    mean_decode += d / static_cast<double>(bytes.size());
    ts.push_back(d + t_resize + t_norm);
  }
  calib::NamedCurve c;
  c.name = "preprocess_" + size_name;
  c.curve = Curve::table(CurveInput::kBytes, bytes, ts);
  const double sd =
      std::hypot(decode.noise_cv * mean_decode, resize.noise_cv * t_resize, norm.noise_cv * t_norm);
  const double cv = sd / (mean_decode + t_resize + t_norm);
  if (cv > 0) c.curve.with_noise(Distribution::make(DistKind::kLognormal, 1.0, std::min(cv, 10.0)));
  c.curve.source = "servesim validate: " + decode.named.name + " + " + resize.named.name + " + " +
                   norm.named.name +
                   " at each corpus image (one worker thread runs the three in turn); noise: "
                   "their lognormal cvs combined as independent";
  c.comments.push_back(c.name + ": decode + resize + normalise per image, by its JPEG bytes");
  return c;
}

std::string quoted(const std::string& s) {
  std::string q = "\"";
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

std::string wakeup_yaml(std::vector<double> handoffs_s) {
  std::sort(handoffs_s.begin(), handoffs_s.end());
  std::string y = "{dist: empirical, samples: [";
  constexpr int kPoints = 100;
  for (int k = 0; k < kPoints; ++k) {
    const double v = nearest_rank(handoffs_s, (k + 0.5) / kPoints);
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s%.1fus", k ? ", " : "", v * 1e6);
    y += buf;
  }
  return y + "]}";
}

std::string scenario_yaml(const std::string& size_name, ImageSize size,
                          std::span<const JpegImage> images, const calib::MachineInfo& m,
                          int max_batch, const std::vector<double>& handoffs_s,
                          const HttpCalibration* http, const std::string& stalls) {
  std::ostringstream y;
  y << "# servesim validate: the real pipeline of validate/pipeline.cpp serving " << size_name
    << " JPEGs (" << size.width << "x" << size.height << ") on this machine.\n"
    << "# Each configuration of the comparison is this file with the --set overrides listed in\n"
    << "# validate-runs.txt. Curves: validate-curves.yaml (isolated microbenchmarks only).\n"
    << "include: [validate-curves.yaml]\n"
    << "name: validate-" << size_name << "\n"
    << "seed: 1\n"
    << "run: {duration: 62s, warmup: 2s, replications: 3}\n"
    << "image_sets:\n  corpus:\n";
  for (std::size_t i = 0; i < images.size(); ++i)
    y << "    - {name: " << size_name << "-q" << images[i].quality << ", width: " << images[i].width
      << ", height: " << images[i].height << ", bytes: " << images[i].data.size()
      << "B, source: \"calib make_corpus seed 1, quality " << images[i].quality << "\"}\n";
  y << "workload: {mode: closed, concurrency: 1, images: corpus"
    << (http ? ", client: " + http_client_yaml() : std::string()) << "}\n"
    << "node:\n  cpu:\n    cores: " << m.cores << "\n    type: " << quoted(m.cpu) << "\n"
    << "    source: \"this machine: the logical CPUs the process may use (the real pipeline's "
       "threads share them); wakeup: "
    << handoffs_s.size()
    << " thread hand-offs timed by calib measure_handoffs (mutex + condition variable, 1 ms of "
       "work between), as 100 quantiles\"\n"
    << "    wakeup: " << wakeup_yaml(handoffs_s) << "\n"
    << "    scheduler: per_core  # Linux's run queue per core (docs/model.md)\n"
    << stalls << (http ? "  network: " + http_network_yaml(*http) + "\n" : std::string())
    << "pipeline:\n"
    << (http ? http_frontend_yaml() : std::string())
    << "  - name: preprocess\n    device: cpu\n    instances: 1\n"
    << "    service: {curve: preprocess_" << size_name << "}\n"
    << "    source: \"instances: the real pipeline's preprocessing worker threads\"\n"
    << "  - name: infer\n    device: cpu\n    instances: 1\n"
    << "    batching: {max_batch_size: " << max_batch << "}\n"
    << "    service: {curve: infer}\n"
    << "    source: \"one inference worker thread behind sim/model's DynamicBatcher\"\n";
  return y.str();
}

namespace {

/// The distinct sizes of the corpus's JPEGs, ascending, after 1 kB.
std::vector<double> payloads_of(std::span<const JpegImage> corpus) {
  std::vector<double> p{1024};
  for (const JpegImage& j : corpus) p.push_back(static_cast<double>(j.data.size()));
  std::sort(p.begin(), p.end());
  p.erase(std::unique(p.begin(), p.end()), p.end());
  return p;
}

/// The median of `kernel`'s samples at `bytes`.
double median_at(std::span<const Sample> samples, std::string_view kernel, double bytes) {
  std::vector<double> v;
  for (const Sample& s : samples)
    if (s.kernel == kernel && s.bytes == bytes) v.push_back(s.seconds);
  if (v.empty()) throw std::runtime_error("validate: no samples of " + std::string(kernel));
  return calib::median(v);
}

/// The isolated host memcpy's rate in bytes per second (calib bench's memcpy_host, its largest
/// size), and that size.
std::pair<double, double> copy_rate(std::span<const Sample> bench) {
  double bytes = 0;
  for (const Sample& s : bench)
    if (s.kernel == "memcpy_host") bytes = std::max(bytes, s.bytes);
  if (bytes <= 0) throw std::runtime_error("validate: no memcpy_host samples in the calibration");
  return {bytes / median_at(bench, "memcpy_host", bytes), bytes};
}

std::string us(double s) {
  char b[32];
  std::snprintf(b, sizeof b, "%.1f us", s * 1e6);
  return b;
}

}  // namespace

HttpCalibration calibrate_http(std::span<const JpegImage> corpus, bool quick,
                               std::span<const Sample> bench, const std::string& machine,
                               std::ostream& out) {
  HttpCalibration h;
  calib::NetPlan plan = calib::net_plan(quick, calib::allowed_cpus());
  plan.payloads = payloads_of(corpus);
  out << "  HTTP requests over loopback (calib bench net, client thread on CPU " << plan.client_cpu
      << ", server thread on CPU " << plan.server_cpu << "):\n";
  h.samples = calib::measure_http_requests(plan, out);
  h.client = fit(h.samples, "http_client_request", nullptr, "http_client_request", machine);
  h.server = fit(h.samples, "http_server_request", nullptr, "http_server_request", machine);
  for (Fitted* f : {&h.client, &h.server}) {  // say which bench: net's, not the kernels'
    std::string& source = f->named.curve.source;
    const std::string kernels = "calib bench of ";
    if (const auto at = source.find(kernels); at != std::string::npos)
      source.replace(at, kernels.size(), "calib bench net (one client and one server thread) of ");
  }
  const double smallest = plan.payloads.front();
  h.round_trip_s = median_at(h.samples, "http_loopback_request", smallest);
  h.client_cpu_s = median_at(h.samples, "http_client_request", smallest);
  h.server_cpu_s = median_at(h.samples, "http_server_request", smallest);
  h.beyond_cpu_s = h.round_trip_s - h.client_cpu_s - h.server_cpu_s;
  h.latency_s = std::max(0.0, h.beyond_cpu_s);
  const auto [rate, copied] = copy_rate(bench);
  h.copy_bytes_per_s = rate;
  char b[900];
  std::snprintf(
      b, sizeof b,
      "loopback, measured by calib bench net at %.0f B: a round trip of %s, client CPU %s, server "
      "CPU %s; latency = the round trip less both sides' CPU (%s), at least 0, since the client "
      "and frontend stages charge that CPU and node.cpu.wakeup their threads' wake-ups. "
      "bandwidth = host memcpy of %.0f B (calib bench, %.3g GB/s): loopback moves the bytes with "
      "copies made inside the send and receive calls, whose CPU time http_client_request and "
      "http_server_request already hold, so the link adds only one copy's duration (%s at the "
      "largest corpus JPEG) and no CPU",
      smallest, us(h.round_trip_s).c_str(), us(h.client_cpu_s).c_str(), us(h.server_cpu_s).c_str(),
      us(h.beyond_cpu_s).c_str(), copied, rate * 1e-9, us(plan.payloads.back() / rate).c_str());
  h.network_source = b;
  out << "  loopback at " << smallest << " B: round trip " << us(h.round_trip_s) << ", client CPU "
      << us(h.client_cpu_s) << ", server CPU " << us(h.server_cpu_s) << ": node.network.latency "
      << us(h.latency_s) << "; bandwidth " << rate * 1e-9 << " GB/s (memcpy of " << copied
      << " B)\n";
  return h;
}

std::string http_client_yaml() {
  return "{host: node, cost: {curve: http_client_request}, source: \"the real pipeline's client "
         "threads, one per client, on this machine's cores: build and send the request, read the "
         "answer (calib bench net's client thread CPU)\"}";
}

std::string http_network_yaml(const HttpCalibration& h) {
  char b[96];
  std::snprintf(b, sizeof b,
                "{bandwidth: %.6gGB/s, latency: %.3fus, source: ", h.copy_bytes_per_s * 1e-9,
                h.latency_s * 1e6);
  return b + quoted(h.network_source) + "}";
}

std::string http_frontend_yaml() {
  return "  - name: frontend\n    device: cpu\n    instances: 1\n"
         "    service: {curve: http_server_request}\n"
         "    source: \"instances: the real pipeline's HTTP server threads (calib HttpServer; its "
         "handler holds its thread until the answer, so one per client); service: calib bench "
         "net's server thread CPU per request (read, parse, answer)\"\n";
}

void ingest_demand_ratios(ValidationRow& r, const Curve& client, const Curve& server,
                          std::span<const JpegImage> images) {
  const PipelineResult& m = r.measured;
  if (images.empty()) return;
  const auto mean_cost = [&](const Curve& c) {
    double t = 0;
    for (const JpegImage& j : images) t += c.mean_ns({1, 0, static_cast<double>(j.data.size())});
    return t / static_cast<double>(images.size());
  };
  const auto ratio = [&](const StageTimes& s, const Curve& c) {
    if (s.count == 0 || s.cpu_cores <= 0) return 0.0;
    return s.cpu_cores * m.window_s * 1e9 / (mean_cost(c) * static_cast<double>(s.count));
  };
  r.client_demand_ratio = ratio(m.client, client);
  r.frontend_demand_ratio = ratio(m.frontend, server);
}

std::string measure_core_interruptions(bool quick, const calib::MachineInfo& m, std::ostream& out) {
  std::string entries;
  char b[240];
  {  // a spinning thread per core reading the clock
    calib::StallPlan sp;
    sp.seconds = quick ? 3 : 10;
    const calib::StallSummary st = calib::summarize_stalls(calib::probe_stalls(sp), sp.seconds);
    entries += calib::stalls_entry(st, sp, m, "    ");
    std::snprintf(b, sizeof b,
                  "  core stalls (gaps over %.0f us, %.0f s per core): %.2f per second per core, "
                  "%.3f%% of the time\n",
                  static_cast<double>(sp.threshold_ns) / 1e3, sp.seconds, st.per_core_rate,
                  st.stalled_fraction * 100);
    out << b;
  }
  {  // a fixed kernel per core
    calib::SlowdownPlan sp;
    sp.seconds = quick ? 3 : 10;
    const calib::SlowdownSummary sl = calib::summarize_slowdowns(calib::probe_speed(sp), sp);
    entries += calib::slowdowns_entry(sl, sp, m, "    ");
    std::snprintf(b, sizeof b,
                  "  core slowdowns (%.0f ms windows below %.2f of the median speed, %.0f s per "
                  "core): %.2f per second per core, %.2f%% of the time, at %.2f of the speed\n",
                  sp.window_s * 1e3, sp.threshold, sp.seconds, sl.per_core_rate,
                  sl.slowed_fraction * 100, sl.speed);
    out << b;
  }
  return entries;
}

}  // namespace servesim::validate
