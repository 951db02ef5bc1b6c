#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>
#include <vector>

#include "calib/corpus.h"
#include "sim/curves/curve.h"
#include "validate/pipeline.h"
#include "validate/validate.h"

namespace {

using servesim::BatchingParams;
using servesim::calib::ImageSize;
using servesim::validate::PipelineConfig;
using servesim::validate::PipelineResult;
using servesim::validate::TritonBatchPolicy;

std::vector<servesim::calib::JpegImage> tiny_corpus() {
  const std::vector<ImageSize> sizes{{64, 48}};
  const std::vector<int> qualities{80};
  return servesim::calib::make_corpus(sizes, qualities, 1);
}

PipelineResult run(PipelineConfig c, const BatchingParams& b) {
  c.max_batch_size = b.max_batch_size;
  c.warmup_s = 0.1;
  c.window_s = 0.5;
  TritonBatchPolicy policy(b);
  const auto images = tiny_corpus();
  return servesim::validate::run_pipeline(c, images, policy);
}

}  // namespace

TEST_CASE("real pipeline: a lone request waits max_queue_delay in the batcher, never less",
          "[real][validate]") {
  PipelineConfig c;
  c.concurrency = 1;
  BatchingParams b;
  b.max_batch_size = 8;
  b.max_queue_delay = 5'000'000;  // 5 ms
  const PipelineResult r = run(c, b);
  REQUIRE(r.completed > 10);
  CHECK(r.batch_mean == 1.0);
  // Triton's rule: with no preferred size reachable the batch waits for the delay to expire.
  CHECK(r.infer.queue_mean_s >= 0.005);
  // ... and then goes, a thread wake-up later, not waiting for a batch that cannot fill (loose:
  // the machine is shared, and CTest runs another test beside this one).
  CHECK(r.infer.queue_mean_s < 0.020);
  // Latency is arrival to completion: the queue and service of both stages (up to the requests
  // that straddle the window's edges, counted in one mean and not the other).
  const double parts = r.preprocess.queue_mean_s + r.preprocess.service_mean_s +
                       r.infer.queue_mean_s + r.infer.service_mean_s;
  CHECK(r.latency_mean_s == Approx(parts).epsilon(0.1));
}

TEST_CASE("real pipeline: batches never exceed max_batch_size and a full batch goes at once",
          "[real][validate]") {
  PipelineConfig c;
  c.concurrency = 8;
  c.preprocess_workers = 1;
  BatchingParams b;
  b.max_batch_size = 4;
  b.max_queue_delay = 1'000'000'000;  // 1 s: only a full batch can leave
  const PipelineResult r = run(c, b);
  REQUIRE(r.batches > 0);
  CHECK(r.batch_mean == 4.0);
  // The histogram of batch sizes has every batch at 4.
  REQUIRE(r.batch_sizes.size() == 5);
  CHECK(r.batch_sizes[4] == r.batches);
  // schedstat: the one inference thread ran, and no thread can use more than a core over the
  // time between the two reads (the 5% is the clock's and schedstat's granularity).
  CHECK(r.infer.cpu_cores > 0);
  CHECK(r.infer.cpu_cores < 1.05);
  CHECK(r.preprocess.cpu_cores > 0);
  CHECK(r.preprocess.cpu_cores < 1.05);
  // Nobody waits anything like the delay: a full batch is dispatched when it fills.
  CHECK(r.p99_s < 0.5);
}

TEST_CASE("real pipeline: an open loop counts its Poisson arrivals in the window",
          "[real][validate]") {
  PipelineConfig c;
  c.open = true;
  c.rate = 200;
  BatchingParams b;
  b.max_batch_size = 4;
  const PipelineResult r = run(c, b);
  // 100 expected in 0.5 s; Poisson sd 10, so 50..150 is five standard deviations either side.
  CHECK(r.arrivals > 50);
  CHECK(r.arrivals < 150);
  CHECK(r.completed + r.in_system_end >= r.arrivals);
}

TEST_CASE("nearest-rank quantiles match servesim's histogram definition", "[unit][validate]") {
  const std::vector<double> v{1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  CHECK(servesim::validate::nearest_rank(v, 0.5) == 5);
  CHECK(servesim::validate::nearest_rank(v, 0.99) == 10);
  CHECK(servesim::validate::nearest_rank(v, 0.0) == 1);
  CHECK(servesim::validate::nearest_rank(std::vector<double>{}, 0.5) == 0);
  CHECK(servesim::validate::relative_error(110, 100) == Approx(0.1));
}

TEST_CASE("validate: demand ratios are the CPU time used over the calibrated cost of the same work",
          "[unit][validate]") {
  using servesim::Curve;
  using servesim::CurveInput;
  servesim::validate::ValidationRow r;
  r.measured.window_s = 2;
  // Preprocessing: 100 requests at 2 ms each by the curve is 0.2 s; the workers used 0.15 cores
  // for 2 s, 0.3 s: a ratio of 1.5.
  r.measured.preprocess.count = 100;
  r.measured.preprocess.cpu_cores = 0.15;
  // Inference: 1 ms + 3 ms per image; 10 batches of 1 (40 ms) and 5 of 3 (50 ms) are 90 ms; the
  // thread used 0.09 cores for 2 s, 180 ms: a ratio of 2.
  r.measured.batch_sizes = {0, 10, 0, 5};
  r.measured.infer.cpu_cores = 0.09;
  const auto images = tiny_corpus();
  servesim::validate::demand_ratios(r, Curve::constant(2e6), images,
                                    Curve::affine(1e6, {{CurveInput::kBatch, 3e6}}));
  CHECK(r.preprocess_demand_ratio == Approx(1.5));
  CHECK(r.infer_demand_ratio == Approx(2.0));

  servesim::validate::ValidationRow none;  // no schedstat: both stay unknown
  servesim::validate::demand_ratios(none, Curve::constant(2e6), images, Curve::constant(1e6));
  CHECK(none.preprocess_demand_ratio == 0);
  CHECK(none.infer_demand_ratio == 0);
}

TEST_CASE("validate: a stage's call spread is over each call's own calibrated cost",
          "[unit][validate]") {
  using servesim::Curve;
  using servesim::CurveInput;
  using servesim::validate::KernelCall;
  // 2 ms per megapixel: calls of 1 and 2 Mpx; CPU ratios 1, 1, 1, 2 over the curve. Mean 1.25,
  // sample sd sqrt((3 x 0.25^2 + 0.75^2) / 3) = 0.5: cv 0.4; nearest-rank p50 1 (rank 2 of 4),
  // p99 2 (rank 4): p99/p50 2. Wall 2 + 2 + 4 + 4 ms over CPU 2 + 2 + 4 + 8 ms: 0.75.
  const Curve pre = Curve::affine(0, {{CurveInput::kPixels, 2.0}});
  const std::vector<KernelCall> calls{
      {1e6, 0, 1, 2e6, 2e6}, {1e6, 0, 1, 2e6, 2e6}, {2e6, 0, 1, 4e6, 4e6}, {2e6, 0, 1, 4e6, 8e6}};
  const auto s = servesim::validate::call_spread(calls, pre);
  CHECK(s.calls == 4);
  CHECK(s.cv == Approx(0.4));
  CHECK(s.p99_over_p50 == Approx(2.0));
  CHECK(s.wall_over_cpu == Approx(0.75));
  CHECK(s.calibrated_cv == 0);  // a curve without noise

  // Inference, by batch: 1 ms + 3 ms per image, with a lognormal noise of cv 5%, whose p99/p50 is
  // exp(2.3263 sigma), sigma = sqrt(ln(1 + 0.05^2)): 1.1233 (100,000 draws: within 0.5%).
  const Curve infer =
      Curve::affine(1e6, {{CurveInput::kBatch, 3e6}})
          .with_noise(servesim::Distribution::make(servesim::DistKind::kLognormal, 1.0, 0.05));
  const std::vector<KernelCall> batches{{0, 0, 1, 4e6, 4e6}, {0, 0, 3, 10e6, 10e6}};
  const auto b = servesim::validate::call_spread(batches, infer);
  CHECK(b.cv == 0);  // both exactly as the curve says
  CHECK(b.p99_over_p50 == Approx(1.0));
  CHECK(b.calibrated_cv == Approx(0.05).epsilon(0.02));
  CHECK(b.calibrated_p99_over_p50 == Approx(1.1233).epsilon(0.005));
  CHECK(servesim::validate::call_spread({}, infer).calls == 0);
}

TEST_CASE(
    "validate: when the kernels drifted from their calibration, the model is judged given "
    "the measured demand",
    "[unit][validate]") {
  servesim::validate::ValidateOptions o;
  o.busy_status = 77;
  std::ostringstream out;
  // Quiet machine, demand as calibrated: the prediction is judged against the 30% gate.
  CHECK(servesim::validate::validation_verdict(o, 0.0, 2, 0.10, "v", out, 1.10, 0.50) == 0);
  CHECK(servesim::validate::validation_verdict(o, 0.0, 2, 0.40, "v", out, 1.10, 0.01) == 1);
  // Kernels 30% slower (or faster) than calibrated: the rerun given the measured demand is
  // judged instead, whatever the prediction's error.
  CHECK(servesim::validate::validation_verdict(o, 0.0, 2, 0.40, "v", out, 1.30, 0.05) == 0);
  CHECK(servesim::validate::validation_verdict(o, 0.0, 2, 0.05, "v", out, 0.75, 0.40) == 1);
  CHECK(out.str().find("1.30x their calibrated CPU time") != std::string::npos);
  // No rerun (no schedstat): not judged, reported with the busy status.
  CHECK(servesim::validate::validation_verdict(o, 0.0, 2, 0.40, "v", out, 1.30, -1) == 77);
  // A busy machine is never judged; without a busy status (a person at a terminal) and no rerun,
  // the prediction is.
  CHECK(servesim::validate::validation_verdict(o, 1.0, 2, 0.05, "v", out, 1.0, 0.01) == 77);
  o.busy_status = 0;
  CHECK(servesim::validate::validation_verdict(o, 0.0, 2, 0.40, "v", out, 1.30, -1) == 1);
}

TEST_CASE("validate.csv has as many cells in every row as in its header", "[unit][validate]") {
  servesim::validate::ValidationRow full;
  full.size = "small";
  full.ablations.resize(std::size(servesim::validate::kAblations));
  full.md_ablations.resize(std::size(servesim::validate::kAblations));
  servesim::validate::ValidationRow bare;  // no schedstat: no measured-demand rerun
  bare.size = "medium";
  bare.ablations.resize(std::size(servesim::validate::kAblations));
  const std::string csv = servesim::validate::validation_csv({full, bare});
  std::istringstream in(csv);
  std::string line;
  std::vector<long> cells;
  while (std::getline(in, line)) cells.push_back(std::count(line.begin(), line.end(), ',') + 1);
  REQUIRE(cells.size() == 3);
  CHECK(cells[1] == cells[0]);
  CHECK(cells[2] == cells[0]);
}

TEST_CASE("validate: the speed check weighs each preprocessing kernel by what it costs a request",
          "[unit][validate]") {
  using servesim::calib::Sample;
  auto decode = [](int quality, double bytes, double s) {
    Sample x{"jpeg_decode_cpu", 1, 65536, bytes, s};
    x.width = x.height = 256;
    x.quality = quality;
    return x;
  };
  auto resize = [](int w, int h, double s) {
    Sample x{"resize_linear_cpu", 1, double(w) * h, double(w) * h * 3, s};
    x.width = w;
    x.height = h;
    return x;
  };
  auto conv = [](int b, double s) { return Sample{"conv3x3_cpu", double(b), 0, 0, s}; };
  // Calibrated: two decode items (medians 1.0 and 3.0 ms: mean 2 ms), resize 1 ms (another
  // size's 5 ms is not this size's), normalise 1 ms; inference 2 ms at batch 1, 10 ms at 4.
  const std::vector<Sample> then{decode(75, 1000, 1.0e-3),
                                 decode(75, 1000, 1.2e-3),
                                 decode(75, 1000, 0.8e-3),
                                 decode(95, 3000, 3.0e-3),
                                 resize(256, 256, 1e-3),
                                 resize(500, 375, 5e-3),
                                 Sample{"normalize_chw_cpu", 1, 50176, 0, 1e-3},
                                 conv(1, 2e-3),
                                 conv(4, 10e-3)};
  // Now: decode 1.5 and 3.5 ms (mean 2.5), resize 1.5, normalise 1: (2.5 + 1.5 + 1) / (2 + 1 + 1)
  // = 1.25. Inference at batch 1 only (the configuration's largest batch): 2.5 / 2 = 1.25; the
  // median of two samples is their mean.
  const std::vector<Sample> now{decode(75, 1000, 1.5e-3),
                                decode(95, 3000, 3.5e-3),
                                resize(256, 256, 1.5e-3),
                                resize(500, 375, 9e-3),
                                Sample{"normalize_chw_cpu", 1, 50176, 0, 1e-3},
                                conv(1, 2.4e-3),
                                conv(1, 2.6e-3)};
  const auto c = servesim::validate::speed_ratios(then, now, {256, 256}, "conv3x3_cpu");
  CHECK(c.preprocess == Approx(1.25));
  CHECK(c.infer == Approx(1.25));
  // Nothing in common: not checked.
  const auto none = servesim::validate::speed_ratios(then, now, {640, 480}, "vit_tiny_block_cpu");
  CHECK(none.infer == 0);
  CHECK(none.preprocess == Approx(1.0));  // normalisation alone, the same
  // The plan: the calibration's items, no thread scaling or copies, batches 1 .. max.
  servesim::calib::BenchPlan cal;
  cal.copy_bytes = {16384};
  cal.batches = {1, 2, 3, 4, 5, 6, 7, 8};
  cal.cold = true;
  // Inference passes: 0.3 s over (2 ms at batch 1 + nothing at 2) = 150; batch 4 is not in it.
  const auto p =
      servesim::validate::speed_check_plan(cal, then, "conv3x3_cpu", {256, 256}, 2, false);
  CHECK(p.copy_bytes.empty());
  CHECK(p.scaling_passes == 0);
  CHECK(p.batches == std::vector<int>{1, 2});
  CHECK(p.cold);
  REQUIRE(p.sizes.size() == 1);
  CHECK(p.sizes[0].width == 256);
  CHECK(p.sizes[0].height == 256);
  CHECK(p.inference_repeats == 150);
  CHECK(p.repeats == 5);
  // Up to batch 4: 0.3 s / 12 ms = 25; quick: a third of the time, 9 passes (ceil 8.33).
  CHECK(servesim::validate::speed_check_plan(cal, then, "conv3x3_cpu", {256, 256}, 4, false)
            .inference_repeats == 25);
  CHECK(servesim::validate::speed_check_plan(cal, then, "conv3x3_cpu", {256, 256}, 4, true)
            .inference_repeats == 9);
  // A kernel never calibrated: the floor of 2.
  CHECK(servesim::validate::speed_check_plan(cal, then, "vit_tiny_block_cpu", {256, 256}, 4, false)
            .inference_repeats == 2);
}

TEST_CASE("validate-calls.csv: a row per call with the curve's cost of its input",
          "[unit][validate]") {
  using servesim::Curve;
  using servesim::CurveInput;
  servesim::validate::ValidationRow r;
  r.size = "small";
  r.concurrency = 4;
  r.measured.preprocess_calls = {{2e6, 1000, 1, 5e6, 4e6, 0.25}};
  r.measured.infer_calls = {{0, 0, 3, 12e6, 11e6, 0.5}, {0, 0, 1, 4e6, 4e6, 0.75}};
  const Curve pre = Curve::affine(0, {{CurveInput::kPixels, 2.0}});  // 4 ms for 2 Mpx
  const Curve* pres[] = {&pre};
  const std::string csv =
      servesim::validate::calls_csv({r}, pres, Curve::affine(1e6, {{CurveInput::kBatch, 3e6}}));
  CHECK(csv ==
        "size,mode,ingest,load,workers,max_batch_size,max_queue_delay_us,stage,end_s,pixels,"
        "bytes,batch,wall_ms,cpu_ms,calibrated_ms\n"
        "small,closed,direct,4,1,1,0,preprocess,0.250000,2e+06,1000,1,5,4,4\n"
        "small,closed,direct,4,1,1,0,infer,0.500000,0,0,3,12,11,10\n"
        "small,closed,direct,4,1,1,0,infer,0.750000,0,0,1,4,4,4\n");
}

TEST_CASE("validate: the error summary is the median and worst |error| of each metric",
          "[unit][validate]") {
  servesim::validate::PipelineResult m;
  m.throughput_rps = 100;
  m.p50_s = 0.010;
  m.p99_s = 0.020;
  servesim::validate::Errors e;
  e.add(m, 110, 10, 20);  // +10%, 0, 0
  e.add(m, 70, 12, 16);   // -30%, +20%, -20%
  e.add(m, 95, 9, 21);    // -5%, -10%, +5%
  CHECK(e.summary() == "throughput 10.0% / 30.0%, p50 10.0% / 20.0%, p99 5.0% / 20.0%");
  CHECK(servesim::validate::csv_number(123.456789) == "123.5");
}
