#pragma once
/// What `servesim validate`'s prediction is made of besides the scenario's structure: curves fitted
/// to isolated microbenchmarks of this machine (calib), a preprocessing worker's stage curve, the
/// thread wake-up distribution, and, with HTTP ingest, the client's and the server's CPU per
/// request and the loopback link (docs/validation.md, rung 4). Nothing here reads an end-to-end
/// run of the pipeline.

#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calib/corpus.h"
#include "calib/curve_writer.h"
#include "calib/machine.h"
#include "calib/samples.h"
#include "validate/validate.h"

namespace servesim::validate {

/// A curve fitted by calib's fit_curve, with its noise.
struct Fitted {
  calib::NamedCurve named;
  double noise_cv = 0;
};

/// Fits the samples of `kernel` (of one image size when `size` is given) as the curve `name`;
/// `machine` ends its source. Throws std::runtime_error when there are none.
Fitted fit(std::span<const calib::Sample> samples, std::string_view kernel,
           const calib::ImageSize* size, const std::string& name, const std::string& machine);

/// One worker decodes, resizes and normalises a request in turn, so the three fitted curves add
/// up to one stage's time: evaluated at each image of the size (pixels fixed, bytes per image)
/// into a table over bytes, with the three noises combined as independent.
calib::NamedCurve preprocess_curve(const std::string& size_name, calib::ImageSize size,
                                   std::span<const calib::JpegImage> images, const Fitted& decode,
                                   const Fitted& resize, const Fitted& norm,
                                   calib::ImageSize input);

/// `s` in double quotes, YAML-escaped.
std::string quoted(const std::string& s);

/// The hand-off latencies as an empirical distribution: 100 quantiles, at (k + 0.5) / 100.
std::string wakeup_yaml(std::vector<double> handoffs_s);

/// HTTP ingest's calibration: calib's net bench (calib::measure_http_requests, one client and one
/// server thread on a loopback connection, each side's thread CPU per request) at 1 kB and at
/// each corpus JPEG's size.
struct HttpCalibration {
  std::vector<calib::Sample> samples;
  Fitted client, server;  // http_client_request, http_server_request
  // Medians at the smallest payload: the round trip, each side's CPU, and what the round trip
  // has beyond both (negative when the two sides' work overlaps).
  double round_trip_s = 0, client_cpu_s = 0, server_cpu_s = 0, beyond_cpu_s = 0;
  double latency_s = 0;         // node.network.latency: beyond_cpu_s, at least 0
  double copy_bytes_per_s = 0;  // node.network.bandwidth: the isolated memcpy rate
  std::string network_source;
};

/// Runs the net bench at 1 kB and the sizes of `corpus` (`quick`: calib's quick blocks) and fits
/// the two CPU curves; the link's rate is the memcpy_host samples' of `bench` (calib bench, of
/// the same machine). A line per payload to `out`.
HttpCalibration calibrate_http(std::span<const calib::JpegImage> corpus, bool quick,
                               std::span<const calib::Sample> bench, const std::string& machine,
                               std::ostream& out);

/// When the cores run nothing and when they run slower: calib's stall probe, then its speed probe
/// (`quick`: 3 s per core each, else 10 s), a line each to `out`. Returns node.cpu.stalls' and
/// .slowdowns' entries, indented for node.cpu (empty where none was seen).
std::string measure_core_interruptions(bool quick, const calib::MachineInfo& m, std::ostream& out);

/// validate-SIZE.yaml: the real pipeline (validate/pipeline.cpp) serving `images` of one size on
/// machine `m`, with the curves of validate-curves.yaml (included), the measured wake-ups, the
/// cores' stalls (`stalls`: node.cpu.stalls' entry, empty: none) and, with `http`, the HTTP
/// client, the loopback link and the frontend stage. Each configuration is this file with
/// overrides_of()'s --set values.
std::string scenario_yaml(const std::string& size_name, calib::ImageSize size,
                          std::span<const calib::JpegImage> images, const calib::MachineInfo& m,
                          int max_batch, const std::vector<double>& handoffs_s,
                          const HttpCalibration* http, const std::string& stalls = {});

/// The scenario's parts for HTTP ingest: the value of workload.client, node.network's, and the
/// `frontend` stage (a pipeline list item, indented as scenario_yaml writes the others).
std::string http_client_yaml();
std::string http_network_yaml(const HttpCalibration& h);
std::string http_frontend_yaml();

/// Sets r's client and frontend demand ratios from r.measured (HTTP ingest): the CPU time the
/// client and server threads used in the window over what `client` and `server` say the same
/// requests cost (each of `images` equally likely). A ratio stays 0 when unmeasured.
void ingest_demand_ratios(ValidationRow& r, const Curve& client, const Curve& server,
                          std::span<const calib::JpegImage> images);

}  // namespace servesim::validate
