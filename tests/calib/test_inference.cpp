// Tests of calib's CPU inference kernels: the im2col + GEMM convolution equals a direct one, the
// encoder block keeps the sequences of a batch apart, and both are deterministic.

#include <catch2/catch.hpp>

#include <cmath>
#include <map>
#include <sstream>
#include <vector>

#include "calib/bench.h"
#include "calib/inference.h"

namespace servesim::calib {
namespace {

TEST_CASE("the im2col + GEMM convolution equals a direct 3x3 convolution with zero padding",
          "[unit]") {
  const ConvShape s{2, 3, 5, 4};  // 2 -> 3 channels on 5 rows x 4 columns
  ConvLayer conv(s, 3);
  const int batch = 2;
  conv.run(batch);
  const auto in = conv.input();
  const auto w = conv.weights();
  const auto b = conv.bias();
  const auto out = conv.output();
  REQUIRE(in.size() == std::size_t{2 * 2 * 5 * 4});
  REQUIRE(out.size() == std::size_t{2 * 5 * 4 * 3});
  for (int n = 0; n < batch; ++n)
    for (int y = 0; y < s.height; ++y)
      for (int x = 0; x < s.width; ++x)
        for (int o = 0; o < s.out_channels; ++o) {
          double acc = b[static_cast<std::size_t>(o)];
          for (int c = 0; c < s.channels; ++c)
            for (int dy = -1; dy <= 1; ++dy)
              for (int dx = -1; dx <= 1; ++dx) {
                const int yy = y + dy, xx = x + dx;
                if (yy < 0 || yy >= s.height || xx < 0 || xx >= s.width) continue;
                const auto wi =
                    static_cast<std::size_t>(((c * 3 + dy + 1) * 3 + dx + 1) * s.out_channels + o);
                const auto ii =
                    static_cast<std::size_t>(((n * s.channels + c) * s.height + yy) * s.width + xx);
                acc += double(w[wi]) * double(in[ii]);
              }
          const auto oi =
              static_cast<std::size_t>(((n * s.height + y) * s.width + x) * s.out_channels + o);
          REQUIRE(out[oi] == Approx(std::max(acc, 0.0)).margin(1e-5));
        }
}

TEST_CASE("the encoder block keeps a batch's sequences apart and is deterministic", "[unit]") {
  const EncoderShape s{9, 12, 3, 24};
  EncoderBlock block(s, 5);
  block.run(1);
  const std::vector<float> one(block.output().begin(), block.output().end());
  REQUIRE(one.size() == std::size_t{9 * 12});
  for (const float v : one) REQUIRE(std::isfinite(v));
  block.run(3);
  const auto three = block.output();
  REQUIRE(three.size() == std::size_t{3 * 9 * 12});
  // The first sequence of a batch of 3 is the sequence of batch 1: nothing mixes across them.
  for (std::size_t i = 0; i < one.size(); ++i) REQUIRE(three[i] == Approx(one[i]).margin(1e-5));
  block.run(1);
  CHECK(std::vector<float>(block.output().begin(), block.output().end()) == one);
  // ViT-Tiny's block: 2 t d 3d + 2 (2 t^2 d) + 2 t d^2 + 2 (2 t d f) with t 197, d 192, f 768.
  CHECK(EncoderBlock().flops() == Approx(2.0 * 197 * 192 * 576 + 4.0 * 197 * 197 * 192 +
                                         2.0 * 197 * 192 * 192 + 4.0 * 197 * 192 * 768));
}

}  // namespace
}  // namespace servesim::calib

namespace servesim::calib {
namespace {

TEST_CASE("calib bench times each batch size inference_repeats times, steady or not", "[unit]") {
  // Steady batches time each batch in runs of three after three untimed calls, so 4 repeats take
  // two passes (three samples, then one): the count per batch must still be exactly 4.
  BenchPlan p;
  p.sizes = {{32, 32}};
  p.qualities = {75};
  p.scaling_passes = 0;
  p.batches = {1, 2};
  p.inference_kernels = {"conv3x3_cpu"};
  p.inference_repeats = 4;
  p.warmup = 0;
  p.repeats = 1;
  for (const bool steady : {false, true}) {
    p.steady_batches = steady;
    std::ostringstream log;
    const BenchRun run = run_bench(p, log);
    std::map<double, int> per_batch;
    for (const Sample& s : run.samples)
      if (s.kernel == "conv3x3_cpu") ++per_batch[s.batch];
    CHECK(per_batch == std::map<double, int>{{1.0, 4}, {2.0, 4}});
  }
}

}  // namespace
}  // namespace servesim::calib
