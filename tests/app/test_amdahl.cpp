// `servesim amdahl`: at zero load, speeding up one stage of a pipeline gives exactly Amdahl's
// speedup; at load, only the bottleneck's speedup moves throughput.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "sim/app/amdahl.h"
#include "tests/support/config_error.h"
#include "tests/support/temp_dir.h"

namespace servesim {

TEST_CASE("amdahl at zero load matches Amdahl's formula for the sped-up stage", "[unit]") {
  // Two CPU stages, 3 ms and 1 ms, deterministic: f = 3 / 4. Making the first s times faster
  // gives W(s) = 3/s + 1 ms, so W(1) / W(s) = 1 / ((1 - f) + f / s) exactly.
  test::TempDir dir;
  const auto file = dir.write("s.yaml", R"(
run: {duration: 2s, replications: 2}
workload: {mode: closed, concurrency: 8}
node: {cpu: {cores: 2}}
pipeline:
  - {name: a, device: cpu, instances: 1, service: {dist: deterministic, mean: 3ms}}
  - {name: b, device: cpu, instances: 1, service: {dist: deterministic, mean: 1ms}}
)");
  const AmdahlResult r = run_amdahl(file, {}, "a", {1, 2, 4, 8, 16}, 1);
  CHECK(r.share == Approx(0.75).epsilon(1e-12));
  for (const auto& row : r.rows) {
    INFO("s = " << row.speedup);
    CHECK(row.zero_latency_ms == Approx(3 / row.speedup + 1).epsilon(1e-9));
    CHECK(row.zero_speedup == Approx(1 / (0.25 + 0.75 / row.speedup)).epsilon(1e-9));
    CHECK(row.zero_speedup == Approx(row.bound).epsilon(1e-9));
  }
  // At load (8 clients) stage a, one instance at 3 ms, is the bottleneck: speeding it up 2x
  // doubles throughput (333/s -> 667/s); beyond 3x stage b (1 ms, 1000/s) caps it.
  CHECK(r.rows[0].load_throughput == Approx(1000.0 / 3).epsilon(0.01));
  CHECK(r.rows[1].load_throughput_speedup == Approx(2).epsilon(0.01));
  CHECK(r.rows[3].load_throughput == Approx(1000).epsilon(0.01));
  CHECK(r.rows[3].load_bottleneck == "b.instances");
}

TEST_CASE("amdahl's zero-load run keeps the scenario's images and client", "[unit]") {
  // A 1 MB image and a stage of 1 ns per byte: 1 ms; the client adds 0.5 ms of CPU and the wire
  // 0.25 ms of round trip + 1e6 B at 4 B/ns (0.25 ms) = 0.5 ms. Zero load: 1 + 0.5 + 0.5 = 2 ms;
  // dropping the image mix (or the client) with the rest of the workload would make it 0 or 1.
  test::TempDir dir;
  const auto file = dir.write("s.yaml", R"(
run: {duration: 2s, replications: 2}
workload:
  mode: open
  rate: 100/s
  images: [{name: m, width: 10, height: 10, bytes: 1000000B}]
  client: {host: remote, cost: {dist: deterministic, mean: 0.5ms}, threads: 4}
node: {cpu: {cores: 2}, network: {bandwidth: 4GB/s, latency: 0.25ms}}
curves:
  per_byte: {inputs: [bytes], form: affine, coef: {a: 0ns, b: 1ns}, source: test}
pipeline: [{name: a, device: cpu, instances: 1, service: {curve: per_byte}}]
)");
  const AmdahlResult r = run_amdahl(file, {}, "a", {1, 2}, 1);
  CHECK(r.rows[0].zero_latency_ms == Approx(2).epsilon(1e-6));
  CHECK(r.rows[1].zero_latency_ms == Approx(1.5).epsilon(1e-6));  // the stage halves
}

TEST_CASE("amdahl refuses a speedup that is not a finite number > 0 at --speedups", "[unit]") {
  test::TempDir dir;
  const auto file = dir.write("s.yaml", R"(
run: {duration: 1s, replications: 2}
workload: {mode: closed, concurrency: 1}
node: {cpu: {cores: 1}}
pipeline: [{name: a, device: cpu, instances: 1, service: {dist: deterministic, mean: 1ms}}]
)");
  for (const double s : {std::nan(""), std::numeric_limits<double>::infinity(), 0.0, -2.0}) {
    INFO("s = " << s);
    const ConfigError e = test::config_error([&] { run_amdahl(file, {}, "a", {1, s}, 1); });
    CHECK(e.mark().file == "--speedups");
  }
  CHECK(test::config_error([&] { run_amdahl(file, {}, "b", {1}, 1); }).mark().file == "--stage");
}

}  // namespace servesim
