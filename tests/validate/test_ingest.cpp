// HTTP ingest of `servesim validate`: the real pipeline's clients POST their JPEGs over loopback
// HTTP (validate/pipeline.h), and the generated scenario predicts that with a client, a network
// link and a frontend stage (validate/calibration.h).
#include <catch2/catch.hpp>

#include <algorithm>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "calib/corpus.h"
#include "calib/curve_writer.h"
#include "sim/curves/curve.h"
#include "sim/scenario/scenario.h"
#include "tests/support/sanitizers.h"
#include "tests/support/temp_dir.h"
#include "validate/calibration.h"
#include "validate/pipeline.h"
#include "validate/validate.h"

namespace {

using servesim::BatchingParams;
using servesim::calib::ImageSize;
using servesim::calib::JpegImage;
using servesim::validate::Ingest;
using servesim::validate::PipelineConfig;
using servesim::validate::PipelineResult;
using servesim::validate::TritonBatchPolicy;

/// Three JPEGs of one size at three qualities: three different byte strings.
std::vector<JpegImage> three_jpegs() {
  const std::vector<ImageSize> sizes{{64, 48}};
  const std::vector<int> qualities{70, 85, 95};
  return servesim::calib::make_corpus(sizes, qualities, 1);
}

}  // namespace

TEST_CASE(
    "HTTP ingest: the clients' requests reach preprocessing as exactly their JPEG bytes, "
    "and the counts agree",
    "[threads][validate]") {
  const auto images = three_jpegs();
  REQUIRE(images[0].data != images[1].data);
  REQUIRE(images[1].data != images[2].data);
  std::mutex mu;
  std::vector<int> seen(images.size(), 0);
  int strangers = 0;  // bytes that are no corpus JPEG: a header, a truncated or a padded body
  PipelineConfig c;
  c.ingest = Ingest::kHttp;
  c.concurrency = 3;
  c.preprocess_workers = 1;
  c.max_batch_size = 2;
  c.warmup_s = 0.1;
  // Long enough for a dozen answers and every image drawn; the sanitizers slow the kernels ~20x.
  c.window_s = SERVESIM_TEST_HUGE_SHADOW ? 4.0 : 0.5;
  c.inspect_jpeg = [&](std::span<const unsigned char> jpeg) {
    const std::lock_guard lk(mu);
    for (std::size_t i = 0; i < images.size(); ++i)
      if (std::equal(jpeg.begin(), jpeg.end(), images[i].data.begin(), images[i].data.end())) {
        ++seen[i];
        return;
      }
    ++strangers;
  };
  BatchingParams b;
  b.max_batch_size = 2;
  b.max_queue_delay = 1'000'000;  // 1 ms
  TritonBatchPolicy policy(b);
  const PipelineResult r = servesim::validate::run_pipeline(c, images, policy);

  CHECK(strangers == 0);
  for (std::size_t i = 0; i < images.size(); ++i) {
    INFO("image " << i);
    CHECK(seen[i] > 0);  // each client draws its images uniformly
  }
  REQUIRE(r.completed > 10);
  // Latencies are the clients' (send to answer), one per answer in the window.
  CHECK(r.latencies_s.size() == r.completed);
  CHECK(*std::min_element(r.latencies_s.begin(), r.latencies_s.end()) > 0);
  CHECK(r.client.count == r.completed);
  // A closed loop of 3: sends and answers in the window differ by the requests that straddle
  // its edges, at most one per client at each edge.
  CHECK(r.arrivals + 3 >= r.completed);
  CHECK(r.arrivals <= r.completed + 3);
  CHECK(r.in_system_end <= 3);
  // The server answered every request a client counted, and preprocessed every one it answered.
  CHECK(r.server_answered >= r.completed);
  CHECK(static_cast<std::uint64_t>(seen[0] + seen[1] + seen[2]) >= r.server_answered);
  // A client's latency holds the request's time in both stages (the means are over slightly
  // different requests, those at the window's edges: 10%).
  const double stages = r.preprocess.queue_mean_s + r.preprocess.service_mean_s +
                        r.infer.queue_mean_s + r.infer.service_mean_s;
  CHECK(r.latency_mean_s > 0.9 * stages);
  // schedstat: the client and server threads ran, and each thread is counted once (all of them
  // together cannot have used more than the machine's cores; 5% for the clock's granularity).
  CHECK(r.client.cpu_cores > 0);
  CHECK(r.frontend.cpu_cores > 0);
  CHECK(r.frontend.count > 0);
  CHECK(r.client.cpu_cores + r.frontend.cpu_cores + r.preprocess.cpu_cores + r.infer.cpu_cores <
        1.05 * static_cast<double>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST_CASE("HTTP ingest needs a closed loop", "[unit][validate]") {
  const auto images = three_jpegs();
  PipelineConfig c;
  c.ingest = Ingest::kHttp;
  c.open = true;
  c.rate = 10;
  TritonBatchPolicy policy(BatchingParams{});
  CHECK_THROWS_AS(servesim::validate::run_pipeline(c, images, policy), std::invalid_argument);
}

TEST_CASE(
    "HTTP ingest's scenario loads and puts the client, the network and the frontend "
    "before preprocessing",
    "[unit][validate]") {
  using servesim::Curve;
  using servesim::CurveInput;
  const auto images = three_jpegs();
  servesim::test::TempDir dir;
  // The curves validate-curves.yaml would hold, here made up: only their names matter.
  std::vector<servesim::calib::NamedCurve> curves{
      {"preprocess_small", Curve::constant(2e6), {"preprocess"}},
      {"infer", Curve::affine(1e5, {{CurveInput::kBatch, 3e6}}), {"infer"}},
      {"http_client_request", Curve::affine(40e3, {{CurveInput::kBytes, 0.3}}), {"client"}},
      {"http_server_request", Curve::affine(50e3, {{CurveInput::kBytes, 0.2}}), {"server"}}};
  for (auto& nc : curves) nc.curve.source = "test";
  dir.write("validate-curves.yaml", servesim::calib::curves_yaml(curves, {}));
  servesim::validate::HttpCalibration h;
  h.latency_s = 3e-6;
  h.copy_bytes_per_s = 20e9;
  h.network_source = "a \"quoted\" test link";
  servesim::calib::MachineInfo m;
  m.cpu = "test CPU";
  m.cores = 2;
  const std::vector<double> handoffs{50e-6, 80e-6, 120e-6};
  dir.write("validate-small.yaml",
            servesim::validate::scenario_yaml("small", {64, 48}, images, m, 1, handoffs, &h));

  servesim::validate::ValidationRow row;
  row.size = "small";
  row.ingest = Ingest::kHttp;
  row.concurrency = 16;
  row.workers = 2;
  row.max_batch_size = 8;
  row.max_queue_delay_us = 2000;
  const auto loaded = servesim::load_scenario(dir.path() / "validate-small.yaml",
                                              servesim::validate::overrides_of(row));
  const servesim::ScenarioParams& p = loaded.params;
  REQUIRE(p.workload.client);
  CHECK_FALSE(p.workload.client->remote);  // host: node, on the pipeline's own cores
  CHECK(p.workload.client->threads == 16);
  CHECK(p.workload.concurrency == 16);
  REQUIRE(p.node.network);
  CHECK(p.node.network->bytes_per_s == Approx(20e9));
  CHECK(p.node.network->latency == 3000);
  REQUIRE(p.pipeline.size() == 5);
  CHECK(p.pipeline[0].name == "client");
  CHECK(p.pipeline[1].name == "network");
  CHECK(p.pipeline[2].name == "frontend");
  CHECK(p.pipeline[2].instances == 16);  // a server thread per client
  CHECK(p.pipeline[3].name == "preprocess");
  CHECK(p.pipeline[3].instances == 2);
  CHECK(p.pipeline[4].name == "infer");
  REQUIRE(p.pipeline[4].batching);
  CHECK(p.pipeline[4].batching->max_batch_size == 8);

  // Direct ingest: the same file without `http` has none of the three.
  dir.write("validate-small.yaml",
            servesim::validate::scenario_yaml("small", {64, 48}, images, m, 1, handoffs, nullptr));
  row.ingest = Ingest::kDirect;
  const auto direct = servesim::load_scenario(dir.path() / "validate-small.yaml",
                                              servesim::validate::overrides_of(row));
  CHECK_FALSE(direct.params.workload.client);
  CHECK_FALSE(direct.params.node.network);
  REQUIRE(direct.params.pipeline.size() == 2);
  CHECK(direct.params.pipeline[0].name == "preprocess");
}
