// Quantities beyond what the simulation can represent are config errors at parse time, naming
// the key and the representable range: every duration passes one clock check, and a rate must
// put its mean time between arrivals on the clock.

#include <catch2/catch.hpp>

#include <string>

#include "sim/scenario/scenario.h"
#include "sim/config/tree.h"
#include "tests/support/config_error.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using Catch::Matchers::Contains;
using test::config_error;

/// An open workload on one CPU stage, with a Kafka fan-out so that every duration key exists.
const std::string kScenario =
    "run: {duration: 10s, warmup: 1s}\n"
    "workload: {mode: open, rate: 10/s}\n"
    "node: {cpu: {cores: 2, wakeup: 1us}}\n"
    "curves:\n"
    "  c: {inputs: [batch], form: affine, coef: {a: 1ms, b: 0.1ms}, source: test}\n"
    "pipeline:\n"
    "  - name: detect\n"
    "    device: cpu\n"
    "    service: {dist: gamma, mean: 1ms, cv: 0.5}\n"
    "    batching: {max_batch_size: 4, max_queue_delay: 1ms, timeout: 1s}\n"
    "    fanout:\n"
    "      count: 2\n"
    "      child: {width: 10, height: 10, bytes: 1000B}\n"
    "      broker: {kind: kafka, linger: 5ms, fetch_max_wait: 500ms, rtt: 50us,\n"
    "               request_cost: {a: 5us, b: 1ns}, disk: {fsync_latency: 1ms}}\n"
    "  - {name: identify, device: cpu, service: {dist: empirical, samples: [1ms, 2ms]}}\n";

TEST_CASE("the range-test scenario is valid", "[unit]") { CHECK_NOTHROW(test::parse(kScenario)); }

TEST_CASE("a workload rate whose mean gap between arrivals is off the clock is an error",
          "[unit]") {
  for (const std::string rate : {"1e-300/s", "1e-10/s", "1e-300/h"}) {
    INFO(rate);
    const ConfigError e = config_error([&] { test::parse(kScenario, {"workload.rate=" + rate}); });
    CHECK(e.key() == "workload.rate");
    CHECK_THAT(e.mark().file, Contains("--set #1"));
    CHECK_THAT(e.message(), Contains("servesim's clock"));
    CHECK_THAT(e.message(), Contains("1.1e-10/s"));  // the representable range, both ends
    CHECK_THAT(e.message(), Contains("1e+09/s"));
  }
  // Just inside the range: one arrival per ~290 years on average.
  CHECK_NOTHROW(test::parse(kScenario, {"workload.rate=1.1e-10/s"}));
}

TEST_CASE("every duration key passes the one clock range check", "[unit]") {
  // Each key as --set reaches it; 1e300s is a finite double but 1e309 ns is not.
  for (const std::string key :
       {"run.duration", "run.warmup", "node.cpu.wakeup", "pipeline.detect.service.mean",
        "pipeline.detect.batching.max_queue_delay", "pipeline.detect.batching.timeout",
        "pipeline.detect.fanout.broker.linger", "pipeline.detect.fanout.broker.fetch_max_wait",
        "pipeline.detect.fanout.broker.rtt", "pipeline.detect.fanout.broker.request_cost.a",
        "pipeline.detect.fanout.broker.request_cost.b",
        "pipeline.detect.fanout.broker.disk.fsync_latency", "pipeline.identify.service.samples",
        "curves.c.coef.a", "curves.c.coef.b"}) {
    INFO(key);
    const std::string value = key.ends_with("samples") ? "[1ms, 1e300s]" : "1e300s";
    const ConfigError e = config_error([&] { test::parse(kScenario, {key + "=" + value}); });
    INFO(e.what());
    CHECK_THAT(e.key(), Contains(key.substr(key.rfind('.') + 1)));
    CHECK_THAT(e.message(), Contains("overflows servesim's clock"));
    CHECK_THAT(e.message(), Contains("292 years"));
  }
}

}  // namespace
}  // namespace servesim
