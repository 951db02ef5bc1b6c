// calib bench infer: whole networks in the frameworks this build has. Their shapes are checked
// against the parameter counts torchvision publishes (ResNet50_Weights.IMAGENET1K_V1: 25,557,032;
// ViT_B_16_Weights.IMAGENET1K_V1: 86,567,656), which a layer left out or mis-sized would miss.

#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "calib/calib_cli.h"
#include "calib/infer_bench.h"
#include "calib/machine.h"
#include "calib/samples.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

constexpr double kResNet50Params = 25'557'032;
constexpr double kVitB16Params = 86'567'656;
// ResNet-50's 53 batch norms hold 26,560 channels (53,120 of its parameters are their scales
// and shifts); each also keeps a running mean and variance per channel and an int64 count.
constexpr double kResNet50BnChannels = 26'560, kResNet50BatchNorms = 53;

const InferBackend* backend(const std::vector<InferBackend>& all, const std::string& name) {
  const auto it = std::find_if(all.begin(), all.end(),
                               [&](const InferBackend& b) { return b.framework == name; });
  return it == all.end() ? nullptr : &*it;
}

/// The cheapest network to time: ResNet-50 in OpenCV DNN where the plugin has it (~80 ms a pass,
/// and uninstrumented under the sanitizers), else calib's Eigen ViT-B/16 (~0.8 s).
struct Cheapest {
  std::string framework, model;
};
Cheapest cheapest() {
  if (backend(infer_backends(), "opencv_dnn")) return {"opencv_dnn", "resnet50"};
  return {"eigen", "vit_b16"};
}

TEST_CASE("each framework builds the networks torchvision counts, and they compute", "[unit]") {
  const std::vector<InferBackend> all = infer_backends();
  REQUIRE(backend(all, "eigen") != nullptr);  // always built
  for (const InferBackend& b : all)
    for (const std::string& model : b.models) {
      INFO(b.framework << " " << model);
      const auto net = b.make(model, 1, 1);
      double expected = 0;
      if (model == "vit_b16") {
        expected = 4 * kVitB16Params;
      } else if (b.framework == "libtorch") {  // plus the batch norms' running statistics
        expected = 4 * kResNet50Params + 4 * 2 * kResNet50BnChannels + 8 * kResNet50BatchNorms;
      } else {  // batch norm folded: no scales and shifts, a bias per convolution channel
        expected = 4 * (kResNet50Params - 2 * kResNet50BnChannels + kResNet50BnChannels);
      }
      CHECK(net->weight_bytes() == expected);
      // Not calib's Eigen block at ViT-B's shape: 0.8 s a pass, 40 s under ASan (the block has its
      // own tests, test_inference.cpp; the timing tests run it where OpenCV DNN is absent).
      if (b.framework != "eigen") {
        net->run(1);
        CHECK(net->checksum() > 0);
      }
    }
}

TEST_CASE("bench infer times a network by batch and measures its memory and build", "[unit]") {
  const Cheapest net = cheapest();
  InferPlan plan = infer_plan(true);
  plan.frameworks = {net.framework};
  plan.models = {net.model};
  plan.batches = {1};
  plan.repeats = 2;
  std::ostringstream log;
  const InferRun run = run_infer_bench(plan, log);
  REQUIRE(run.samples.size() == 2);
  for (const Sample& s : run.samples) {
    CHECK(s.kernel == net.model + "_" + net.framework);
    CHECK(s.batch == 1);
    CHECK(s.pixels == 224 * 224);
    CHECK(s.bytes == 224 * 224 * 3 * 4);
    CHECK(s.threads == 1);
    CHECK(s.seconds > 0);
  }
  REQUIRE(run.loads.size() == 1);
  CHECK(run.loads[0].build_s > 0);
  CHECK(run.loads[0].first_pass_s > 0);
  if (run.memory_measured) {
    REQUIRE(run.memory.size() == 1);
    // Either network's pass at batch 1 holds at least its largest activation: ResNet-50's first
    // stage output (256 x 56 x 56 floats, 3.2 MB), an encoder block's MLP hidden layer (197 x
    // 3072 floats, 2.4 MB); the peak is under a gigabyte.
    CHECK(run.memory[0].peak_bytes >= 197.0 * 3072 * 4);
    CHECK(run.memory[0].peak_bytes < 1e9);
  }
  CHECK_THAT(infer_table(run), Contains(net.model + "_" + net.framework) && Contains("build s"));
  CHECK(infer_load_csv(run.loads).rfind("framework,model,threads,build_s,first_pass_s,", 0) == 0);
  CHECK(infer_memory_csv(run.memory).rfind("framework,model,batch,threads,peak_bytes\n", 0) == 0);
  const std::vector<InferSummary> rows = infer_summary(run);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].framework == net.framework);
  CHECK(rows[0].model == net.model);
  CHECK(rows[0].passes == 2);
  CHECK(rows[0].median_s == median({run.samples[0].seconds, run.samples[1].seconds}));
  CHECK(rows[0].gflops == (net.model == "resnet50" ? 8.18 : 35.12));
}

TEST_CASE("a batch whose pass takes longer than the plan allows is the network's last", "[unit]") {
  const Cheapest net = cheapest();
  InferPlan plan = infer_plan(true);
  plan.frameworks = {net.framework};
  plan.models = {net.model};
  plan.batches = {1, 2, 4};
  plan.repeats = 1;
  plan.max_pass_seconds = 1e-9;  // every pass takes longer
  std::ostringstream log;
  const InferRun run = run_infer_bench(plan, log);
  REQUIRE(run.samples.size() == 1);
  CHECK(run.samples[0].batch == 1);
  CHECK_THAT(infer_table(run),
             Contains(net.model + "_" + net.framework + ": batches above 1 skipped"));
}

TEST_CASE("copies of a network run at once give node.cpu.efficiency's table", "[unit]") {
  const Cheapest c = cheapest();
  const InferEfficiency e = measure_infer_efficiency(c.model + "_" + c.framework, 2, 2);
  CHECK(e.busy_cores == std::vector<int>{1, 2});
  REQUIRE(e.factor.size() == 2);
  CHECK(e.factor[0] == 1.0);
  // Two copies cannot each run more than twice as fast as one alone, nor stop.
  CHECK(e.factor[1] > 0.05);
  CHECK(e.factor[1] <= 2.0);
  CHECK(e.median_seconds[1] == Approx(e.median_seconds[0] / e.factor[1]));
  CHECK_THROWS_AS(measure_infer_efficiency("resnet50_nothing", 2, 2), std::invalid_argument);
  CHECK_THROWS_AS(measure_infer_efficiency(c.model + "_" + c.framework, 0, 2),
                  std::invalid_argument);
}

TEST_CASE("bench infer names a framework not built or a model it does not know", "[unit]") {
  InferPlan plan = infer_plan(true);
  std::ostringstream log;
  plan.frameworks = {"tensorflow"};
  CHECK_THROWS_WITH(run_infer_bench(plan, log), Contains("--frameworks: 'tensorflow'"));
  plan.frameworks = {};
  plan.models = {"vgg19"};
  CHECK_THROWS_WITH(run_infer_bench(plan, log), Contains("--models: unknown model 'vgg19'"));
  plan.models = {};
  std::ostringstream out, err;
  CHECK(calib_main({"bench", "infer", "--batches", "0", "--out", "x"}, out, err) == 2);
  CHECK(calib_main({"bench", "infer", "--copies", "0", "--out", "x"}, out, err) == 2);
}

TEST_CASE("calib bench infer writes its samples, memory, load and machine files", "[slow]") {
  test::TempDir dir;
  const auto out_dir = dir.path() / "run";
  std::ostringstream out, err;
  const Cheapest net = cheapest();
  REQUIRE(calib_main({"bench", "infer", "--quick", "--frameworks", net.framework, "--models",
                      net.model, "--batches", "1", "--repeats", "2", "--out", out_dir.string()},
                     out, err) == 0);
  for (const char* f :
       {"samples.csv", "infer_memory.csv", "infer_load.csv", "infer_summary.csv", "machine.yaml"})
    CHECK(std::filesystem::exists(out_dir / f));
  CHECK(read_samples(out_dir / "samples.csv").size() == 2);
  CHECK(read_machine(out_dir / "machine.yaml").command ==
        "servesim calib bench infer --quick --threads 1");
}

}  // namespace
}  // namespace servesim::calib
