// A stage's `model` and `framework` (issue 22, item 2): the framework's curve is the stage's
// service, its memory counts against the device's, its load time is a new node's, its
// busy_power the stage's; the resolved config reads back; every misuse is a located error.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "sim/config/tree.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;

constexpr double kMiB = 1024.0 * 1024.0;

/// One GPU of 1 GiB behind a 2-core host with 8 GiB; the model `net` in three frameworks.
/// `stage` is the inference stage's extra keys.
std::string framework_scenario(const std::string& stage, const std::string& extra = "") {
  return R"(
seed: 1
run: {duration: 10s}
workload: {mode: closed, concurrency: 4, images: [{name: a, width: 64, height: 64, bytes: 4kB}]}
node:
  cpu: {cores: 2}
  gpus: {count: 1, memory: 1GiB, idle_power: 50W, busy_power: 300W}
  pcie: {host_link: {bandwidth: 16GB/s}, gpu_link: {bandwidth: 16GB/s}}
  memory: {capacity: 8GiB}
curves:
  fast: {form: affine, inputs: [batch], coef: {a: 1ms, b: 2ms}, source: test}
  slow: {form: constant, coef: {a: 50ms}, source: test}
models:
  net:
    frameworks:
      trt: {device: gpu, curve: fast, weights: 100MiB, weights_per: device,
            activation_memory: 10MiB, load_time: 3s, busy_power: 200W, source: trt test}
      ort: {device: gpu, weights: 100MiB, activation_memory: 10MiB, load_time: 5s,
            source: ort test}
      torch: {device: cpu, curve: slow, weights: 1GiB, activation_memory: 100MiB,
              load_time: 500ms, source: torch test}
pipeline:
  - {name: infer, device: gpu, instances: 2, batching: {max_batch_size: 16}, )" +
         stage + "}\n" + extra;
}

}  // namespace

TEST_CASE("framework: its curve is the stage's service, its busy_power the stage's", "[unit]") {
  const ScenarioParams p = test::parse(framework_scenario("model: net, framework: trt"));
  const StageParams& s = p.pipeline[0];
  REQUIRE(s.framework);
  CHECK(s.framework->name == "trt");
  CHECK(s.service.curve_name == "fast");
  REQUIRE(s.service.curve);
  CHECK(s.busy_w == 200);
  // Each GPU holds the shared weights once and each instance's activations for 16 images:
  // 100 + 2 x 16 x 10 = 420 MiB.
  CHECK(p.node.gpus.framework_bytes == 420 * kMiB);
  CHECK(p.node.gpus.held_bytes() == 420 * kMiB);
  // The stage's own busy_power wins over the framework's.
  CHECK(test::parse(framework_scenario("model: net, framework: trt, busy_power: 250W"))
            .pipeline[0]
            .busy_w == 250);
  // A framework without a curve takes the stage's service; weights per instance by default:
  // 2 x 100 + 2 x 16 x 10 = 520 MiB.
  const ScenarioParams q =
      test::parse(framework_scenario("model: net, framework: ort, service: 4ms"));
  CHECK(q.pipeline[0].service.dist.mean() == 4'000'000);
  CHECK(q.pipeline[0].busy_w == 0);
  CHECK(q.node.gpus.framework_bytes == 520 * kMiB);
  // The stage may name the framework's own curve (a scenario written before its framework).
  CHECK_NOTHROW(
      test::parse(framework_scenario("model: net, framework: trt, service: {curve: fast}")));
}

TEST_CASE("framework: the resolved config writes the model's framework and reads back", "[unit]") {
  for (const auto& [stage, name] : {std::pair{"model: net, framework: trt", "trt"},
                                    std::pair{"model: net, framework: ort, service: 4ms", "ort"}}) {
    INFO(stage);
    const auto j = resolved_config(test::parse(framework_scenario(stage)));
    CHECK(j["pipeline"][0]["framework"] == name);
    CHECK(j["models"]["net"]["frameworks"].size() == 1);
    CHECK(!j["pipeline"][0].contains("busy_power"));
    const auto again =
        resolved_config(parse_scenario(load_config_text(j.dump(2), "<resolved>", ".")));
    CHECK(again.dump() == j.dump());
  }
  const auto j = resolved_config(test::parse(framework_scenario("model: net, framework: trt")));
  CHECK(j["models"]["net"]["frameworks"]["trt"]["source"] == "trt test");
  CHECK(!j["pipeline"][0].contains("service"));
  CHECK(j["curves"].contains("fast"));
}

TEST_CASE("framework: the memory of a batch that cannot fit is refused, naming the largest",
          "[unit]") {
  // trt at max_batch_size 64: 100 + 2 x 64 x 10 = 1380 MiB > 1024; (1024 - 100) / 20 = 46.2.
  const ConfigError e = test::config_error([] {
    test::parse(framework_scenario("model: net, framework: trt"),
                {"pipeline.infer.batching.max_batch_size=64"});
  });
  CHECK(e.key() == "pipeline.infer.batching.max_batch_size");
  CHECK(e.mark().line > 0);
  CHECK_THAT(e.message(),
             Contains("hold 1.35 GiB (weights 100 MiB, activations for a batch of 64)"));
  CHECK_THAT(e.message(), Contains("leaves 1 GiB: at most a batch of 46 fits"));
  // ort loads a copy per instance: (1024 - 200) / 20 = 41.2.
  const ConfigError per = test::config_error([] {
    test::parse(framework_scenario("model: net, framework: ort, service: 4ms"),
                {"pipeline.infer.batching.max_batch_size=64"});
  });
  CHECK_THAT(per.message(), Contains("at most a batch of 41 fits"));
  // reserved_memory leaves less: 1024 - 500 - 100 = 424 MiB for 20 MiB a batch image.
  const ConfigError reserved = test::config_error([] {
    test::parse(framework_scenario("model: net, framework: trt"),
                {"node.gpus.reserved_memory=500MiB", "pipeline.infer.batching.max_batch_size=32"});
  });
  CHECK_THAT(reserved.message(), Contains("at most a batch of 21 fits"));
  // The host: a cpu stage of 4 instances x (1 GiB + 8 x 100 MiB) = 7.125 GiB fits 8 GiB; at
  // batch 16 it does not: (8192 - 4 x 1024) / 400 = 10.24.
  const std::string cpu =
      R"(  - {name: cpu_infer, device: cpu, instances: 4, model: net, framework: torch,
     batching: {max_batch_size: 8}}
)";
  const std::string text = framework_scenario("model: net, framework: trt", "") + cpu;
  CHECK_NOTHROW(test::parse(text));
  const ConfigError host = test::config_error(
      [&] { test::parse(text, {"pipeline.cpu_infer.batching.max_batch_size=16"}); });
  CHECK(host.key() == "pipeline.cpu_infer.batching.max_batch_size");
  CHECK_THAT(host.message(), Contains("node.memory.capacity leaves 8 GiB: at most a batch of 10"));
  // Nothing fits: 4 copies of 1 GiB in 2 GiB.
  const ConfigError none =
      test::config_error([&] { test::parse(text, {"node.memory.capacity=2GiB"}); });
  CHECK_THAT(none.message(), Contains("not even a batch of 1 fits"));
}

TEST_CASE("framework: the request tensors' check counts what the frameworks hold", "[unit]") {
  // A raw 64 x 64 x 3 image, 12 KiB, enters the GPU at `infer`: 16 of them need 192 KiB. With
  // 603.9 MiB reserved and the framework's 420 MiB, 0.1 MiB is left: 8 fit.
  const std::string pipeline =
      "pipeline=[{name: pre, device: cpu, service: 1ms, output: raw}, {name: infer, device: gpu, "
      "instances: 2, batching: {max_batch_size: 16}, model: net, framework: trt}]";
  CHECK_NOTHROW(test::parse(framework_scenario("model: net, framework: trt"),
                            {pipeline, "node.gpus.reserved_memory=603MiB"}));
  const ConfigError e = test::config_error([&] {
    test::parse(framework_scenario("model: net, framework: trt"),
                {pipeline, "node.gpus.reserved_memory=603.9MiB"});
  });
  CHECK(e.key() == "pipeline.infer.batching.max_batch_size");
  CHECK_THAT(e.message(), Contains("less reserved_memory and the frameworks' memory leaves"));
  CHECK_THAT(e.message(), Contains("at most 8 fit"));
}

TEST_CASE("framework: a new node waits for its frameworks' load times", "[unit]") {
  const std::string autoscale =
      "cluster: {nodes: 1, autoscale: {min_nodes: 1, max_nodes: 2, target_utilization: 0.5, "
      "boot_time: 10s}}\n";
  const std::string cpu =
      "  - {name: post, device: cpu, instances: 1, model: net, framework: torch}\n";
  // trt (3 s) and torch (0.5 s), each once, loaded one after another.
  const ScenarioParams p =
      test::parse(framework_scenario("model: net, framework: trt") + cpu + autoscale);
  CHECK(p.cluster.autoscale->load_time == 3'500'000'000);
  // One framework named by two stages loads once.
  const std::string twice =
      "  - {name: post, device: gpu, instances: 1, model: net, framework: trt}\n";
  CHECK(test::parse(framework_scenario("model: net, framework: trt") + twice + autoscale)
            .cluster.autoscale->load_time == 3'000'000'000);
  // Given, load_time is what it says.
  CHECK(test::parse(framework_scenario("model: net, framework: trt", autoscale),
                    {"cluster.autoscale.load_time=1s"})
            .cluster.autoscale->load_time == 1'000'000'000);
  // The resolved config writes the time it used.
  CHECK(resolved_config(test::parse(framework_scenario(
            "model: net, framework: trt", autoscale)))["cluster"]["autoscale"]["load_time"] ==
        "3s");
}

TEST_CASE("framework: each misuse is an error at its key", "[unit]") {
  const test::ErrorCase cases[] = {
      {"framework: trt", "pipeline.infer.framework", "framework needs `model`"},
      {"model: net", "pipeline.infer.model", "model needs `framework`"},
      {"model: nett, framework: trt", "pipeline.infer.model", "did you mean 'net'?"},
      {"model: net, framework: trtt", "pipeline.infer.framework", "did you mean 'trt'?"},
      {"model: net, framework: torch", "pipeline.infer.framework",
       "runs on device: cpu, this stage on gpu"},
      {"model: net, framework: trt, service: {curve: slow}", "pipeline.infer.service",
       "gives the service (curve 'fast')"},
      {"model: net, framework: trt, service: 3ms", "pipeline.infer.service",
       "gives the service (curve 'fast')"},
      {"model: net, framework: ort", "pipeline.infer.service", "required key is missing"},
  };
  test::check_located_errors(cases,
                             [](const std::string& s) { test::parse(framework_scenario(s)); });
  const test::ErrorCase models[] = {
      // A curve the scenario does not define.
      {"{net: {frameworks: {x: {device: gpu, curve: nope, load_time: 1s, source: s}}}}",
       "pipeline.infer.framework", "curve 'nope', which is not in `curves`"},
      {"{net: {frameworks: {x: {device: cpu, busy_power: 10W, load_time: 1s, source: s}}}}",
       "models.net.frameworks.x.busy_power", "belongs to device: gpu"},
      {"{net: {frameworks: {x: {device: gpu, load_time: 1s}}}}", "models.net.frameworks.x.source",
       "required key is missing"},
      {"{net: {frameworks: {x: {device: gpu, source: s}}}}", "models.net.frameworks.x.load_time",
       "required key is missing"},
      {"{net: {frameworks: {x: {device: tpu, load_time: 1s, source: s}}}}",
       "models.net.frameworks.x.device", "cpu"},
      {"{net: {frameworks: {}}}", "models.net.frameworks", "expected a map"},
      {"{net: {source: s}}", "models.net.input", "its `input` (a tensor), its `frameworks`"},
      {"{net: {input: {width: 8, height: 8}}}", "models.net.source", "required key is missing"},
  };
  test::check_located_errors(models, [](const std::string& m) {
    test::parse(framework_scenario("model: net, framework: x"), {"models=" + m});
  });
  // input_of a model that has only frameworks.
  const ConfigError io = test::config_error([] {
    test::parse(framework_scenario("model: net, framework: trt, output: {input_of: net}"));
  });
  CHECK(io.key() == "pipeline.infer.output.input_of");
  CHECK_THAT(io.message(), Contains("has no input"));
  // An autoscaler with neither load_time nor a framework.
  const ConfigError load = test::config_error([] {
    test::parse(framework_scenario("service: 3ms",
                                   "cluster: {autoscale: {min_nodes: 1, max_nodes: 2, "
                                   "target_utilization: 0.5, boot_time: 1s}}\n"));
  });
  CHECK(load.key() == "cluster.autoscale.load_time");
  CHECK_THAT(load.message(), Contains("no stage names a `framework`"));
  // A framework's busy_power needs the GPU's power.
  const ConfigError power = test::config_error([] {
    test::parse(framework_scenario("model: net, framework: trt"),
                {"node.gpus={count: 1, memory: 1GiB}"});
  });
  CHECK(power.key() == "pipeline.infer.framework");
  CHECK_THAT(power.message(), Contains("needs node.gpus.idle_power"));
}

}  // namespace servesim
