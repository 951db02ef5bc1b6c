// Whole scenarios through the node model: YAML text -> parse_scenario -> run_scenario (or one
// replication with an observer that records every span, for timing to the nanosecond). Every
// expected number is derived by hand in a comment; stochastic checks use the run's own 95% CI.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sim/config/tree.h"
#include "sim/metrics/confidence.h"
#include "sim/metrics/report.h"
#include "sim/model/replication.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/recorder.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using test::parse;
using test::record;
using test::Recorder;

RunSummary run_yaml(const std::string& yaml, std::initializer_list<std::string> overrides = {}) {
  return run_scenario(parse(yaml, overrides), 1);
}

/// The stage's mean service time in whole ns (a mean of identical integers, so exact).
Time service_ns(const RunSummary& s, std::size_t stage) {
  return std::llround(s.stages[stage].service_ms.mean * 1e6);
}

std::size_t resource(const RunSummary& s, const std::string& name) {
  for (std::size_t i = 0; i < s.resources.size(); ++i)
    if (s.resources[i].name == name) return i;
  FAIL("no resource " << name);
  return 0;
}

std::uint64_t batches_of(const StageSummary& st, std::size_t size) {
  return size < st.batch_histogram.size() ? st.batch_histogram[size] : 0;
}

long long diff(std::uint64_t a, std::uint64_t b) {
  return static_cast<long long>(a) - static_cast<long long>(b);
}

std::uint64_t total_batches(const StageSummary& st) {
  std::uint64_t n = 0;
  for (const auto c : st.batch_histogram) n += c;
  return n;
}

void require_in_ci(const Estimate& e, double theory, const char* what) {
  INFO(what << ": theory " << theory << ", simulated " << e.mean << " (95% CI " << e.lo << " .. "
            << e.hi << ")");
  CHECK(e.contains(theory));
}

// One GPU behind PCIe; each test overrides what it is about.
const std::string kPcieNode = R"(
node:
  cpu: {cores: 1}
  gpus: {count: 1}
  pcie:
    host_link: {bandwidth: 32GB/s, latency: 0ns}
    gpu_link: {bandwidth: 25GB/s, latency: 0ns}
)";

}  // namespace

TEST_CASE("a to_gpu transfer takes both links' latency plus ceil(bytes over the slower link)",
          "[unit][node]") {
  const std::string yaml = kPcieNode + R"(
run: {duration: 1ms}
workload:
  mode: closed
  concurrency: 1
  images: [{name: odd, width: 500, height: 375, bytes: 121001B}]
pipeline: [{name: h2d, device: pcie, direction: to_gpu}]
)";
  const std::initializer_list<std::string> latencies = {"node.pcie.host_link.latency=1us",
                                                        "node.pcie.gpu_link.latency=2us"};
  // 1000 + 2000 ns of latency, then 121001 B at min(32, 25) = 25 B/ns: 4840.04 -> 4841 ns.
  const RunSummary gpu_slower = run_yaml(yaml, latencies);
  REQUIRE(gpu_slower.completed > 100);
  CHECK(service_ns(gpu_slower, 0) == 1000 + 2000 + 4841);
  CHECK(std::llround(gpu_slower.latency_mean_ms.mean * 1e6) == 7841);
  // The whole time is the stage's input (the copy); nothing is computed or copied back.
  CHECK(gpu_slower.stages[0].compute_ms == 0);
  CHECK(gpu_slower.stages[0].output_ms == 0);

  // A slower host link bounds it instead: 121001 B at 20 B/ns = 6050.05 -> 6051 ns.
  ScenarioParams p = parse(yaml, latencies);
  p.node.pcie.host_link.bytes_per_s = 20e9;
  const Recorder rec = record(p);
  REQUIRE(rec.spans.size() == 1);
  REQUIRE(rec.spans[0].size() > 100);
  for (const StageSpan& s : rec.spans[0]) {
    CHECK(s.queue == 0);
    CHECK(s.input == 1000 + 2000 + 6051);
    CHECK(s.service() == 9051);
  }
}

TEST_CASE("two GPUs' overlapping copies share the host link max-min fairly", "[unit][node]") {
  // Host link 32 GB/s, each GPU link 25 GB/s. Two clients land on the two GPUs (the least loaded
  // one is chosen), wait the 1 us latency together, then move 160000 B each: the host link is
  // the bottleneck, 16 B/ns each, 10000 ns. Alone, one copy gets min(32, 25) = 25 B/ns: 6400 ns.
  const std::string yaml = R"(
run: {duration: 1100us}
workload:
  mode: closed
  concurrency: 2
  images: [{name: x, width: 100, height: 100, bytes: 160000B}]
node:
  cpu: {cores: 1}
  gpus: {count: 2}
  pcie:
    host_link: {bandwidth: 32GB/s, latency: 0ns}
    gpu_link: {bandwidth: 25GB/s, latency: 1us}
pipeline: [{name: h2d, device: pcie, direction: to_gpu}]
)";
  const RunSummary two = run_yaml(yaml);
  CHECK(service_ns(two, 0) == 1000 + 10000);
  // 100 cycles of 11000 ns fill the 1.1 ms window: the host link carries 32 B/ns for 10000 ns of
  // each, each GPU link 16 of its 25 B/ns.
  CHECK(two.completed == 200);
  CHECK(two.resources[resource(two, "pcie.host_h2d")].utilization ==
        Approx(10.0 / 11.0).epsilon(1e-9));
  for (const char* link : {"pcie.gpu0_h2d", "pcie.gpu1_h2d"})
    CHECK(two.resources[resource(two, link)].utilization ==
          Approx(16.0 / 25.0 * 10.0 / 11.0).epsilon(1e-9));

  const RunSummary one = run_yaml(yaml, {"workload.concurrency=1"});
  CHECK(service_ns(one, 0) == 1000 + 6400);
}

TEST_CASE("outputs reshape the payload: raw is w*h*3 bytes, a tensor w*h*c*dtype bytes",
          "[unit][node]") {
  // The medium image (500x375, 121 kB): decode makes it raw, 500*375*3 = 562500 B; resize
  // charges 1 ns per input byte and makes a 224x224x3 float16 tensor, 224*224*3*2 = 301056 B;
  // the copy then moves that at 25 B/ns: 12042.24 -> 12043 ns.
  const std::string yaml = kPcieNode + R"(
run: {duration: 20ms}
workload: {mode: closed, concurrency: 1, images: medium}
curves:
  per_byte: {form: affine, inputs: [bytes], coef: {a: 0ns, b: 1ns}, source: "assumption: test"}
pipeline:
  - {name: decode, device: cpu, service: {dist: deterministic, mean: 1ms}, output: raw}
  - name: resize
    device: cpu
    service: {curve: per_byte}
    output: {width: 224, height: 224, channels: 3, dtype: float16}
  - {name: h2d, device: pcie, direction: to_gpu}
)";
  const RunSummary s = run_yaml(yaml);
  REQUIRE(s.completed > 5);
  CHECK(service_ns(s, 0) == 1'000'000);
  CHECK(service_ns(s, 1) == 562500);
  CHECK(service_ns(s, 2) == 12043);

  // Raw all the way: the copy moves 562500 B at 25 B/ns = 22500 ns.
  const RunSummary raw = run_yaml(yaml, {"pipeline.resize.output=raw"});
  CHECK(service_ns(raw, 1) == 562500);
  CHECK(service_ns(raw, 2) == 22500);

  // No decode: the compressed 121000 B, 4840 ns.
  const RunSummary compressed = run_yaml(
      yaml, {"pipeline.decode.output={bytes: 121kB}", "pipeline.resize.output={bytes: 121kB}"});
  CHECK(service_ns(compressed, 1) == 121000);
  CHECK(service_ns(compressed, 2) == 4840);
}

TEST_CASE(
    "a GPU stage copies in from a CPU stage and out to a CPU stage or the end, never "
    "between GPU stages",
    "[unit][node]") {
  // 25 B/ns, no latency. pre (cpu) hands g1 100000 B: g1's Compute Input is the H2D, 4000 ns.
  // g1 hands g2 its 50000 B on the GPU: no copy either side. g2 ends the pipeline: its 4000 B
  // output goes back as Compute Output, 160 ns.
  const std::string yaml = kPcieNode + R"(
run: {duration: 50ms}
workload: {mode: closed, concurrency: 1, images: medium}
pipeline:
  - {name: pre, device: cpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 100kB}}
  - {name: g1, device: gpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 50kB}}
  - {name: g2, device: gpu, service: {dist: deterministic, mean: 2ms}, output: {bytes: 4kB}}
)";
  const Recorder rec = record(parse(yaml));
  REQUIRE(rec.spans.size() == 3);
  REQUIRE(rec.spans[2].size() > 5);
  for (const StageSpan& s : rec.spans[1]) {
    CHECK(s.input == 4000);
    CHECK(s.compute == 1'000'000);
    CHECK(s.output == 0);
  }
  for (const StageSpan& s : rec.spans[2]) {
    CHECK(s.input == 0);
    CHECK(s.compute == 2'000'000);
    CHECK(s.output == 160);
  }
  for (const Time l : rec.latencies) CHECK(l == 1'000'000 + 4000 + 1'000'000 + 2'000'000 + 160);

  // With g2 on the CPU, g1's next stage is a CPU stage: g1 copies its 50000 B out (2000 ns) and
  // g2 finds them on the host (no input time).
  const Recorder cpu_next = record(parse(yaml, {"pipeline.g2.device=cpu"}));
  REQUIRE(cpu_next.spans.size() == 3);
  for (const StageSpan& s : cpu_next.spans[1]) {
    CHECK(s.input == 4000);
    CHECK(s.output == 2000);
  }
  for (const StageSpan& s : cpu_next.spans[2]) {
    CHECK(s.input == 0);
    CHECK(s.output == 0);
  }
}

TEST_CASE("GPU compute exclusive runs kernels one after another, shared and concurrent together",
          "[unit][node]") {
  // Two instances of a GPU stage each launch a 1 ms kernel at t = 0 (no payload: the copies are
  // empty and free). exclusive (FIFO): they end at 1 ms and 2 ms; shared (processor sharing):
  // each runs at half speed and both end at 2 ms.
  const std::string yaml = kPcieNode + R"(
run: {requests: 2}
workload: {mode: closed, concurrency: 2}
pipeline: [{name: k, device: gpu, instances: 2, service: {dist: deterministic, mean: 1ms}}]
)";
  const Recorder exclusive = record(parse(yaml, {"node.gpus.compute=exclusive"}));
  CHECK(exclusive.latencies == std::vector<Time>{1'000'000, 2'000'000});
  const Recorder shared = record(parse(yaml, {"node.gpus.compute=shared"}));
  CHECK(shared.latencies == std::vector<Time>{2'000'000, 2'000'000});
  // concurrent: with sm_share 0.5 the two fill the SMs exactly (0.5 + 0.5 = 1), both at full
  // speed, both end at 1 ms; with sm_share 1 (the default) the sum is 2, as `shared`.
  const Recorder half =
      record(parse(yaml, {"node.gpus.compute=concurrent", "pipeline.k.sm_share=0.5"}));
  CHECK(half.latencies == std::vector<Time>{1'000'000, 1'000'000});
  const Recorder whole = record(parse(yaml, {"node.gpus.compute=concurrent"}));
  CHECK(whole.latencies == std::vector<Time>{2'000'000, 2'000'000});

  // Either way the GPU is work-conserving: one 1 ms kernel per ms, 100 in a 100 ms window.
  for (const char* mode : {"exclusive", "shared", "concurrent"}) {
    INFO("compute " << mode);
    const RunSummary s =
        run_yaml(yaml, {"run={duration: 100ms}", std::string("node.gpus.compute=") + mode});
    CHECK(s.completed == 100);
    CHECK(s.resources[resource(s, "gpu0.compute")].utilization == Approx(1.0).epsilon(1e-12));
  }
}

TEST_CASE("GPU compute concurrent: processes take turns, a context switch between turns",
          "[unit][node]") {
  // Two stages of 1 ms each, one request at a time. In one process the requests take 2 ms. In
  // two processes each change of stage changes the context (100 us): request 1 runs a 0-1 ms,
  // switches 1-1.1, runs b 1.1-2.1; request 2 arrives at 2.1, switches back 2.1-2.2, a 2.2-3.2,
  // switches 3.2-3.3, b 3.3-4.3: 2.1 ms and 2.2 ms.
  const std::string two = kPcieNode + R"(
run: {requests: 2}
workload: {mode: closed, concurrency: 1}
pipeline:
  - {name: a, device: gpu, service: {dist: deterministic, mean: 1ms}}
  - {name: b, device: gpu, service: {dist: deterministic, mean: 1ms}}
)";
  const Recorder one_process = record(parse(two, {"node.gpus.compute=concurrent"}));
  CHECK(one_process.latencies == std::vector<Time>{2'000'000, 2'000'000});
  const std::initializer_list<std::string> turns = {
      "node.gpus={count: 1, compute: concurrent, time_slice: 2ms, context_switch: 100us}",
      "pipeline.b.process=broker"};
  const Recorder two_processes = record(parse(two, turns));
  CHECK(two_processes.latencies == std::vector<Time>{2'100'000, 2'200'000});
  // Three switches (a -> b, b -> a, a -> b; loading the first context is free), reported as
  // gpu_context_switches; none in one process.
  CHECK(run_yaml(two, turns).context_switches == 3);
  CHECK(run_yaml(two, {"node.gpus.compute=concurrent"}).context_switches == 0);
}

namespace {

/// A cpu stage `c` then a gpu stage `g`, for the checks of keys that belong to gpu stages.
const std::string kCpuThenGpu = kPcieNode + R"(
run: {requests: 2}
workload: {mode: closed, concurrency: 1}
pipeline:
  - {name: c, device: cpu, service: {dist: deterministic, mean: 1ms}}
  - {name: g, device: gpu, service: {dist: deterministic, mean: 1ms}}
)";

/// The key the config error names, for kCpuThenGpu with these overrides.
std::string key_of(std::initializer_list<std::string> o) {
  return test::config_error([&] { test::parse(kCpuThenGpu, o); }).key();
}

}  // namespace

TEST_CASE("GPU compute concurrent: its keys are refused where they cannot apply",
          "[unit][node][config]") {
  // Only under compute: concurrent, and only on gpu stages.
  CHECK(key_of({"pipeline.g.sm_share=0.5"}) == "pipeline.g.sm_share");
  CHECK(key_of({"pipeline.g.process=dali"}) == "pipeline.g.process");
  CHECK(key_of({"node.gpus.compute=concurrent", "pipeline.c.sm_share=0.5"}) ==
        "pipeline.c.sm_share");
  CHECK(key_of({"node.gpus.time_slice=2ms"}) == "node.gpus.time_slice");
  CHECK(key_of({"node.gpus.context_switch=0us"}) == "node.gpus.context_switch");
  // A share is a fraction in (0, 1].
  for (const char* bad : {"pipeline.g.sm_share=0", "pipeline.g.sm_share=1.5"})
    CHECK(key_of({"node.gpus.compute=concurrent", bad}) == "pipeline.g.sm_share");
  // Two processes need the turn's length and the switch's cost, neither published by NVIDIA.
  // One process, whatever its name, takes no turns.
  CHECK_NOTHROW(
      test::parse(kCpuThenGpu, {"node.gpus.compute=concurrent", "pipeline.g.process=dali"}));
  CHECK(key_of({"node.gpus.compute=concurrent", "pipeline.g.process=dali",
                "pipeline.c.device=gpu"}) == "node.gpus.time_slice");
  CHECK(key_of({"node.gpus.compute=concurrent", "node.gpus.time_slice=2ms",
                "pipeline.g.process=dali", "pipeline.c.device=gpu"}) == "node.gpus.context_switch");
  // Shown in the resolved config only when set.
  const std::string shown =
      resolved_config(
          test::parse(kCpuThenGpu, {"node.gpus.compute=concurrent", "node.gpus.time_slice=2ms",
                                    "node.gpus.context_switch=0us", "pipeline.g.sm_share=0.25",
                                    "pipeline.g.process=dali"}))
          .dump(1);
  for (const char* k : {"\"time_slice\"", "\"context_switch\"", "\"sm_share\"", "\"process\""})
    CHECK(shown.find(k) != std::string::npos);
}

TEST_CASE("Triton batching on a GPU stage forms the batches docs/batching.md's rules give",
          "[unit][node]") {
  // One instance, every batch 1 ms whatever its size.
  const std::string yaml = kPcieNode + R"(
run: {duration: 40ms}
workload: {mode: closed, concurrency: 8}
pipeline:
  - name: infer
    device: gpu
    service: {dist: deterministic, mean: 1ms}
    batching: {max_batch_size: 8}
)";
  SECTION("with a queue delay the eight clients always make full batches") {
    // The first arrival waits for the delay; the eighth, at the same instant, fills
    // max_batch_size (the default preferred size) and the batch goes at once. All eight come
    // back together, so every batch is 8: 8 per ms.
    const RunSummary s = run_yaml(yaml, {"pipeline.infer.batching.max_queue_delay=100us"});
    const StageSummary& st = s.stages[0];
    CHECK(total_batches(st) == batches_of(st, 8));
    CHECK(batches_of(st, 8) >= 40);
    CHECK(s.throughput_rps.mean == Approx(8000).epsilon(1e-9));
  }
  SECTION("without a delay the first arrival goes alone and the batches alternate 1 and 7") {
    // Delay 0 never holds a batch: client 1 is served alone; 2..8 queue behind it and go as one
    // batch of 7; client 1 returns while they run and goes alone again.
    const RunSummary s = run_yaml(yaml);
    const StageSummary& st = s.stages[0];
    CHECK(total_batches(st) == batches_of(st, 1) + batches_of(st, 7));
    CHECK(batches_of(st, 1) >= 20);
    CHECK(std::llabs(diff(batches_of(st, 1), batches_of(st, 7))) <= 1);
    CHECK(s.throughput_rps.mean == Approx(4000).epsilon(1e-9));
  }
  SECTION("a preferred size goes at once while the delay lasts, everything once it expired") {
    // 12 clients, preferred 4. t = 0: the 4th arrival completes a preferred batch; 8 queue. With a
    // 10 ms delay nobody is ever that old (each waits 1 to 2 ms), so every batch is the preferred
    // 4. With 100 us the 8 waiting at 1 ms are past the delay and go together; then the 4 that
    // came back, then 8 again: 4 and 8 alternate.
    const std::initializer_list<std::string> base = {
        "workload.concurrency=12", "pipeline.infer.batching.preferred_batch_size=4"};
    ScenarioParams held = parse(yaml, base);
    held.pipeline[0].batching->max_queue_delay = 10'000'000;
    const RunSummary h = run_scenario(held, 1);
    CHECK(total_batches(h.stages[0]) == batches_of(h.stages[0], 4));
    CHECK(batches_of(h.stages[0], 4) >= 40);

    ScenarioParams expired = parse(yaml, base);
    expired.pipeline[0].batching->max_queue_delay = 100'000;
    const RunSummary e = run_scenario(expired, 1);
    const StageSummary& st = e.stages[0];
    CHECK(total_batches(st) == batches_of(st, 4) + batches_of(st, 8));
    CHECK(batches_of(st, 4) >= 20);
    CHECK(std::llabs(diff(batches_of(st, 4), batches_of(st, 8))) <= 1);
  }
  SECTION("a full queue rejects arrivals and the clients carry on") {
    // Batch 1, queue of 2, 5 clients thinking 0.3 ms after each response or rejection. At most
    // 1 + 2 requests are inside, so at least 2 clients are always thinking and one of them fills a
    // free slot within 0.3 ms, long before the 1 ms in service ends: the queue is never empty
    // when the instance frees, so it completes one request per ms (40 in the 40 ms window: at 1,
    // 2, ..., 40 ms), and the clients that find the queue full are rejected.
    const RunSummary s = run_yaml(yaml, {"pipeline.infer.batching={max_batch_size: 1, "
                                         "max_queue_size: 2}",
                                         "workload={mode: closed, concurrency: 5, think_time: "
                                         "300us}"});
    CHECK(s.completed == 40);
    CHECK(s.rejected > 0);
    const ReplicationMetrics& r = s.reps[0];
    CHECK(static_cast<std::int64_t>(r.arrivals) ==
          static_cast<std::int64_t>(r.completed + r.rejected) + r.in_system_growth);
  }
}

TEST_CASE("GPU memory: block admits only what fits, spill admits all and pays the copies",
          "[unit][node]") {
  // 4 clients, 4 instances, 4 cores. Each request lands 1000 B on the GPU (100 ns at 10 B/ns),
  // runs 1 ms on the CPU, a 1 us kernel, and copies its 1000 B back (100 ns); it holds its memory
  // for all of that: H = 1.0012 ms, plus at most 100 + 1000 + 100 ns behind the other requests on
  // the one copy engine per direction and the FIFO kernel engine (more holders: 3x that).
  const std::string yaml = R"(
run: {duration: 1s}
workload:
  mode: closed
  concurrency: 4
  images: [{name: kb, width: 10, height: 10, bytes: 1000B}]
node:
  cpu: {cores: 4}
  gpus: {count: 1}
  pcie:
    host_link: {bandwidth: 10GB/s, latency: 0ns}
    gpu_link: {bandwidth: 10GB/s, latency: 0ns}
pipeline:
  - name: infer
    device: gpu
    instances: 4
    cpu_service: {dist: deterministic, mean: 1ms}
    service: {dist: deterministic, mean: 1us}
)";
  const double h_min = 1.0012e-3, t = 1.0;
  const RunSummary free = run_yaml(yaml);
  const RunSummary block =
      run_yaml(yaml, {"node.gpus.memory=2000B", "node.gpus.memory_policy=block"});
  const RunSummary spill =
      run_yaml(yaml, {"node.gpus.memory=2000B", "node.gpus.memory_policy=spill"});
  // Unlimited: all 4 hold memory at every instant (a request re-reserves the moment it leaves).
  CHECK(free.gpu_memory_mean_bytes == Approx(4000).epsilon(1e-9));
  // The summary says so too (issue 20: it was only in the JSON): 4000 B = 3.91 KiB.
  std::ostringstream text;
  print_summary(text, free, "gpu.yaml");
  CHECK(text.str().find("  GPU memory     3.91 KiB peak of request tensors on one GPU, 3.91 KiB "
                        "mean over all\n") != std::string::npos);
  CHECK(free.stages[0].input_ms <= 400e-6);  // its H2D, behind at most 3 others
  CHECK(free.throughput_rps.mean >= 4 / (h_min + 3 * 1200e-9) - 4 / t);

  // Block with room for k = 2: exactly 2 hold memory at every instant (a release grants the next
  // waiter at once), so X <= 2 / H + 2 / T (the window cuts at most 2 cycles), and the other 2
  // wait. A returning request queues behind the one waiter and is granted when the holder that
  // started after it releases: it waits a whole holding time, >= H. Only the first two requests,
  // at t = 0, do not wait: Compute Input >= H (n - 2) / n over the n requests measured.
  CHECK(block.gpu_memory_mean_bytes == Approx(2000).epsilon(1e-9));
  CHECK(block.throughput_rps.mean <= 2 / h_min + 2 / t);
  CHECK(block.throughput_rps.mean >= 2 / (h_min + 1200e-9) - 2 / t);
  const auto n = static_cast<double>(block.reps[0].stage_count[0]);
  CHECK(block.stages[0].input_ms >= h_min * 1e3 * (n - 2) / n);
  // By Little's law on the memory queue (always 2 waiting), the wait is 2 / X; its edge terms: at
  // most 4 waiters straddle the window's edges, each waiting at most one holding time (<= 1.0024
  // ms), so W is within 4 x 1.0024 ms / (T X) ~ 2 us of 2 / X; plus the 100 ns H2D and up to 100 ns
  // behind the other holder's.
  const double wait_ms = 2e3 / block.throughput_rps.mean;
  CHECK(block.stages[0].input_ms >= wait_ms - 0.0021);
  CHECK(block.stages[0].input_ms <= wait_ms + 0.0021 + 0.0002);

  // Spill: nobody waits for memory; all 4 hold it, but a reservation finds room only for the
  // first two at t = 0, and every later one evicts its whole 1000 B (memory is always >= 3000 B
  // used when it comes). Reservations in the window = completions + the 4 inside at the end.
  CHECK(spill.gpu_memory_mean_bytes == Approx(4000).epsilon(1e-9));
  CHECK(spill.spilled_bytes == Approx(1000.0 * static_cast<double>(spill.completed + 4 - 2)));
  // The eviction and reload (100 ns each) are charged to Compute Input: at least the reload plus
  // its own copy, 200 ns, on the one H2D engine.
  CHECK(spill.stages[0].input_ms >= 200e-6);
  CHECK(spill.stages[0].input_ms > free.stages[0].input_ms);
  // Nobody waits for memory, so throughput is the unlimited one's, with each holding time at
  // most 1 ms + 4 x 200 ns of H2D (own copy + reload) + 4 x 1 us of kernels + 4 x 200 ns of D2H.
  CHECK(spill.throughput_rps.mean >= 4 / 1.0056e-3 - 4 / t);
}

TEST_CASE(
    "tensor pool: a GPU stage's outputs wait in the pool for the next GPU stage; block "
    "stalls the producer, spill writes the tensor to pinned host memory and the consumer "
    "reloads it",
    "[unit][node]") {
  // 25 B/ns, no latency; two clients A and B at t = 0. pre (1 CPU instance, 1 ms) hands g1 100 kB
  // (H2D 4000 ns); g1 runs on the NVJPG engine (1 ms) and makes 50 kB for g2, which runs 3 ms on
  // the compute engine, so g1 and g2 overlap; g2 sends 4 kB back (160 ns). The pool has room for
  // one 50 kB tensor.
  //   A: pre [0, 1 ms], H2D to 1.004, g1 to 2.004, pool (50 kB) granted, g2 [2.004, 5.004] (its
  //      inputs freed at 5.004), D2H to 5.00416: latency 5,004,160.
  //   B: pre [1, 2 ms], waits for g1's instance to 2.004 (queue 4000), H2D to 2.008, g1 to 3.008.
  //   Without a pool: g1 hands B on at 3.008 and g2 takes it at 5.00416 when A's copy is out:
  //      g2 [5.00416, 8.00416], D2H: latency 8,004,320.
  //   block: B's 50 kB wait for A's to be freed at 5.004: g1's output phase is 1,996,000 ns;
  //      g2 takes B at 5.00416 as before: latency 8,004,320.
  //   spill: B's tensor goes to pinned host memory at 3.008 (D2H 2000 ns, g1's output), g2 takes
  //      it at 5.00416 and reloads it first (H2D 2000 ns, g2's input): latency 8,006,320.
  const std::string yaml = R"(
run: {duration: 20ms}
workload: {mode: closed, concurrency: 2, images: medium}
node:
  cpu: {cores: 1}
  gpus: {count: 1, nvjpg_engines: 1}
  pcie:
    host_link: {bandwidth: 32GB/s, latency: 0ns}
    gpu_link: {bandwidth: 25GB/s, latency: 0ns}
pipeline:
  - {name: pre, device: cpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 100kB}}
  - {name: g1, device: nvjpg, service: {dist: deterministic, mean: 1ms}, output: {bytes: 50kB}}
  - {name: g2, device: gpu, service: {dist: deterministic, mean: 3ms}, output: {bytes: 4kB}}
)";
  const Recorder none = record(parse(yaml));
  const Recorder block = record(
      parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=60kB", "node.gpus.memory_policy=block"}));
  const Recorder spill = record(
      parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=60kB", "node.gpus.memory_policy=spill"}));
  for (const Recorder* r : {&none, &block, &spill}) {
    REQUIRE(r->latencies.size() >= 2);
    REQUIRE(r->spans.size() == 3);
    REQUIRE(r->spans[2].size() >= 2);
    CHECK(r->latencies[0] == 5'004'160);  // A finds the pool empty
    CHECK(r->spans[1][1].queue == 4000);
    CHECK(r->spans[1][1].input == 4000);
    CHECK(r->spans[1][1].compute == 1'000'000);
  }
  CHECK(none.latencies[1] == 8'004'320);
  CHECK(none.spans[1][1].output == 0);
  CHECK(none.spans[2][1].input == 0);

  CHECK(block.latencies[1] == 8'004'320);
  CHECK(block.spans[1][1].output == 1'996'000);  // the producer stalls for room
  CHECK(block.spans[2][1].queue == 160);
  CHECK(block.spans[2][1].input == 0);

  CHECK(spill.latencies[1] == 8'006'320);
  CHECK(spill.spans[1][1].output == 2000);  // written to pinned host memory
  CHECK(spill.spans[2][1].queue == 5'004'160 - 3'010'000);
  CHECK(spill.spans[2][1].input == 2000);  // reloaded before its kernel
  CHECK(spill.spans[2][1].compute == 3'000'000);

  // The books, over the same run: the pool never holds more than one tensor; spill moved B's out
  // and back. Requests enter g1 every 3 ms from 1 ms on in both runs' steady state, so the counts
  // are checked by their relation, not their number.
  const RunSummary b = run_yaml(
      yaml, {"node.gpus.cuda_memory_pool_byte_size=60kB", "node.gpus.memory_policy=block"});
  const RunSummary s = run_yaml(
      yaml, {"node.gpus.cuda_memory_pool_byte_size=60kB", "node.gpus.memory_policy=spill"});
  CHECK(b.pool_peak_bytes == 50000);
  CHECK(b.pool_spilled_bytes == 0);
  CHECK(s.pool_peak_bytes == 50000);
  CHECK(s.pool_spilled_bytes >= 50000);
  CHECK(std::fmod(s.pool_spilled_bytes, 50000) == 0);
  CHECK(s.pool_reloaded_bytes <= s.pool_spilled_bytes);
  CHECK(s.pool_reloaded_bytes >= s.pool_spilled_bytes - 50000);  // at most one not yet back
  const RunSummary plain = run_yaml(yaml);
  CHECK(plain.pool_peak_bytes == 0);
}

TEST_CASE(
    "tensor pool: a request takes room for its largest tensor once, at its first hand-off, "
    "and the last GPU stage frees it",
    "[unit][node]") {
  // One client, 25 B/ns. pre hands g1 100 kB (H2D 4000); g1 makes 50 kB for g2, g2 80 kB for g3,
  // g3 4 kB that go back (160). Each kernel 1 ms.
  //   Pool of 100 kB: room for max(50, 80) = 80 kB taken at g1's output, kept through g2 (no
  //   second reservation), freed at g3's: peak 80000, no copy. Latency 1 ms + 4000 + 3 ms + 160.
  //   Pool of 70 kB, spill: 80 kB never fit, so the request's tensors live in pinned host memory
  //   from g1 to g3: g1 writes 50 kB out (2000), g2 reads them (2000) and writes 80 kB out
  //   (3200), g3 reads them (3200). Latency 4,004,160 + 10,400.
  const std::string yaml = kPcieNode + R"(
run: {duration: 30ms}
workload: {mode: closed, concurrency: 1, images: medium}
pipeline:
  - {name: pre, device: cpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 100kB}}
  - {name: g1, device: gpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 50kB}}
  - {name: g2, device: gpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 80kB}}
  - {name: g3, device: gpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 4kB}}
)";
  const auto fits = parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=100kB"});
  const Recorder held = record(fits);
  REQUIRE(held.latencies.size() > 3);
  for (const Time l : held.latencies) CHECK(l == 4'004'160);
  // Cycle k starts at k x 4,004,160 ns and holds 80 kB in the pool from g1's end (+2,004,000)
  // to g3's kernel's end (+4,004,000): 2 ms. Cycles 0-6 do so inside 30 ms; cycle 7 (from
  // 28,029,120) reaches g1's end only after it.
  const RunSummary h = run_scenario(fits, 1);
  CHECK(h.pool_peak_bytes == 80000);
  CHECK(h.pool_spilled_bytes == 0);
  CHECK(h.pool_mean_bytes * 30e6 == Approx(7 * 80000.0 * 2e6).epsilon(1e-12));

  const Recorder spilled = record(
      parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=70kB", "node.gpus.memory_policy=spill"}));
  REQUIRE(spilled.latencies.size() > 3);
  for (const Time l : spilled.latencies) CHECK(l == 4'004'160 + 10'400);
  for (std::size_t k = 0; k < spilled.spans[1].size(); ++k) {
    CHECK(spilled.spans[1][k].output == 2000);
    CHECK(spilled.spans[2][k].input == 2000);
    CHECK(spilled.spans[2][k].output == 3200);
    CHECK(spilled.spans[3][k].input == 3200);
  }
}

TEST_CASE("node.gpus.cuda_memory_pool_byte_size: a size; shown in the resolved config when set",
          "[unit][node][config]") {
  const std::string yaml = kPcieNode + R"(
run: {requests: 5}
workload: {mode: closed, concurrency: 1}
pipeline: [{name: g, device: gpu, service: {dist: deterministic, mean: 1ms}}]
)";
  const ConfigError neg = test::config_error(
      [&] { test::parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=-64MiB"}); });
  CHECK(neg.key() == "node.gpus.cuda_memory_pool_byte_size");
  // 0 would read as "no pool" while Triton would send every tensor to pinned memory: refused.
  const ConfigError zero =
      test::config_error([&] { test::parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=0B"}); });
  CHECK(zero.key() == "node.gpus.cuda_memory_pool_byte_size");
  const ConfigError unit =
      test::config_error([&] { test::parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=64ms"}); });
  CHECK(unit.key() == "node.gpus.cuda_memory_pool_byte_size");
  const std::string shown =
      resolved_config(test::parse(yaml, {"node.gpus.cuda_memory_pool_byte_size=64MiB"})).dump(1);
  CHECK(shown.find("\"cuda_memory_pool_byte_size\"") != std::string::npos);
  CHECK(resolved_config(test::parse(yaml)).dump(1).find("cuda_memory_pool") == std::string::npos);
}

TEST_CASE("on two GPUs a request stays on its GPU between GPU stages and each GPU gets half",
          "[unit][node][threads]") {
  // Poisson 1000/s through two GPU stages (exponential 0.5 ms, then 0.3 ms) on 2 GPUs with a
  // 1 us + 1 us PCIe latency: any copy would cost >= 2 us. The first stage copies the (empty)
  // payload in; the second must find it where it is, with no Compute Input at all.
  const std::string yaml = R"(
seed: 5
run: {duration: 200s, warmup: 5s, replications: 10}
workload: {mode: open, rate: 1000/s, arrival: poisson}
node:
  cpu: {cores: 1}
  gpus: {count: 2}
  pcie:
    host_link: {bandwidth: 32GB/s, latency: 1us}
    gpu_link: {bandwidth: 25GB/s, latency: 1us}
pipeline:
  - {name: a, device: gpu, service: {dist: exponential, mean: 500us}}
  - {name: b, device: gpu, service: {dist: exponential, mean: 300us}}
)";
  const RunSummary s = run_scenario(parse(yaml), 2);
  CHECK(s.stages[0].input_ms >= 2e-3);
  CHECK(s.stages[1].input_ms == 0);
  CHECK(s.stages[0].output_ms == 0);
  CHECK(s.stages[1].output_ms >= 2e-3);
  // Equal shares: the per-replication difference of the two GPUs' utilisations has a 95% CI
  // that holds 0, and their sum is the offered GPU work, 1000/s x 0.8 ms = 0.8.
  const std::size_t g0 = resource(s, "gpu0.compute"), g1 = resource(s, "gpu1.compute");
  std::vector<double> diff, sum;
  for (const auto& r : s.reps) {
    diff.push_back(r.resource_utilization[g0] - r.resource_utilization[g1]);
    sum.push_back(r.resource_utilization[g0] + r.resource_utilization[g1]);
  }
  require_in_ci(student_t_interval(diff), 0.0, "U(gpu0) - U(gpu1)");
  require_in_ci(student_t_interval(sum), 0.8, "U(gpu0) + U(gpu1)");
}

TEST_CASE("CPU energy is idle + (busy - idle) x utilisation over the window, per request",
          "[unit][node]") {
  // One core, one client: 1 ms of work, 1 ms of think. In [0, 1 s] the core is busy in [0, 1),
  // [2, 3), ... ms: U = 0.5 exactly, 500 completions (at 1, 3, ..., 999 ms). Power 10 + 100 x 0.5
  // = 60 W, 60 J over the second, 60 / 500 = 0.12 J per request.
  const RunSummary s = run_yaml(R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 1, think_time: 1ms}
node: {cpu: {cores: 1, idle_power: 10W, busy_power: 110W}}
pipeline: [{name: work, device: cpu, service: {dist: deterministic, mean: 1ms}}]
)");
  CHECK(s.completed == 500);
  CHECK(s.resources[resource(s, "cpu")].utilization == Approx(0.5).epsilon(1e-12));
  CHECK(s.reps[0].energy_j == Approx(60).epsilon(1e-12));
  REQUIRE(s.energy.size() == 1);
  CHECK(s.energy[0].device == "cpu");
  CHECK(s.energy[0].joules_per_request == Approx(0.12).epsilon(1e-12));
  CHECK(s.energy_j_per_request == Approx(0.12).epsilon(1e-12));
}

TEST_CASE("CPU power grows by (busy - idle) / cores per busy core", "[unit][node]") {
  // Four cores, two clients of 1 ms work and 1 ms think: each keeps one core busy half the time,
  // mean busy cores 1, U = 0.25. 200 W over 4 cores is 50 W per busy core: 10 + 50 x 1 = 60 W,
  // 60 J over the second, 2 x 500 = 1000 completions, 0.06 J per request.
  const RunSummary s = run_yaml(R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 2, think_time: 1ms}
node: {cpu: {cores: 4, idle_power: 10W, busy_power: 210W}}
pipeline: [{name: work, device: cpu, instances: 2, service: {dist: deterministic, mean: 1ms}}]
)");
  CHECK(s.completed == 1000);
  CHECK(s.resources[resource(s, "cpu")].utilization == Approx(0.25).epsilon(1e-12));
  CHECK(s.reps[0].energy_j == Approx(60).epsilon(1e-12));
  CHECK(s.energy_j_per_request == Approx(0.06).epsilon(1e-12));
}

namespace {

/// One client, think 1 ms; on the GPU a 1 ms decode then a 2 ms infer (no payload, copies free).
const std::string kTwoKernels = kPcieNode + R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 1, think_time: 1ms}
pipeline:
  - {name: decode, device: gpu, service: {dist: deterministic, mean: 1ms}}
  - {name: infer, device: gpu, service: {dist: deterministic, mean: 2ms}}
)";

}  // namespace

TEST_CASE("GPU energy by kernel: each stage's kernels at its own busy_power", "[unit][node]") {
  // Cycles of 4 ms: decode [0, 1), infer [1, 3), think [3, 4) ms; 250 completions in [0, 1 s]
  // (the last at 999 ms). A kernel counts when it completes: the decode that starts at 1 s, the
  // window's end, is not counted (it adds no busy time either). GPU power idle 20 W, busy 450 W.
  SECTION("without a stage's busy_power: idle + (busy - idle) x U, U = 0.75") {
    // 20 + 430 x 0.75 = 342.5 W over 1 s; 342.5 / 250 = 1.37 J per request.
    const RunSummary s =
        run_yaml(kTwoKernels, {"node.gpus.idle_power=20W", "node.gpus.busy_power=450W"});
    CHECK(s.completed == 250);
    CHECK(s.resources[resource(s, "gpu0.compute")].utilization == Approx(0.75).epsilon(1e-12));
    CHECK(s.reps[0].energy_j == Approx(342.5).epsilon(1e-12));
    CHECK(s.energy_j_per_request == Approx(1.37).epsilon(1e-12));
  }
  SECTION("decode at 150 W: idle + the kernels' power above idle x their time") {
    // 20 W x 1 s + 250 x 1 ms x (150 - 20) W + 250 x 2 ms x (450 - 20) W = 20 + 32.5 + 215
    // = 267.5 J; 1.07 J per request. Utilisation is unchanged.
    const RunSummary s =
        run_yaml(kTwoKernels, {"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                               "pipeline.decode.busy_power=150W"});
    CHECK(s.completed == 250);
    CHECK(s.resources[resource(s, "gpu0.compute")].utilization == Approx(0.75).epsilon(1e-12));
    CHECK(s.reps[0].energy_j == Approx(267.5).epsilon(1e-12));
    REQUIRE(s.energy.size() == 1);
    CHECK(s.energy[0].device == "gpu0");
    CHECK(s.energy_j_per_request == Approx(1.07).epsilon(1e-12));
  }
  SECTION("both stages set: infer at 300 W, decode at 100 W") {
    // 20 + 250 x 1 ms x 80 + 250 x 2 ms x 280 = 20 + 20 + 140 = 180 J; 0.72 J per request.
    const RunSummary s = run_yaml(
        kTwoKernels, {"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                      "pipeline.decode.busy_power=100W", "pipeline.infer.busy_power=300W"});
    CHECK(s.reps[0].energy_j == Approx(180).epsilon(1e-12));
    CHECK(s.energy_j_per_request == Approx(0.72).epsilon(1e-12));
  }
}

TEST_CASE("GPU energy by kernel under compute: shared is idle + (P - idle) x time alone",
          "[unit][node]") {
  // Two clients, one 2 ms kernel each, think 1 ms: both start at 0 and share the SMs, both end at
  // 4 ms; cycles of 5 ms, 200 in [0, 1 s] (the last ends at 999 ms), 400 completions. Busy 0.8 s
  // = 400 x 2 ms of alone-time. At 200 W: 20 W x 1 s + 400 x 2 ms x (200 - 20) W = 20 + 144 =
  // 164 J; 0.41 J per request.
  const RunSummary s = run_yaml(kPcieNode + R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 2, think_time: 1ms}
pipeline:
  - {name: k, device: gpu, instances: 2, service: {dist: deterministic, mean: 2ms}}
)",
                                {"node.gpus.compute=shared", "node.gpus.idle_power=20W",
                                 "node.gpus.busy_power=450W", "pipeline.k.busy_power=200W"});
  CHECK(s.completed == 400);
  CHECK(s.resources[resource(s, "gpu0.compute")].utilization == Approx(0.8).epsilon(1e-12));
  CHECK(s.reps[0].energy_j == Approx(164).epsilon(1e-12));
  CHECK(s.energy_j_per_request == Approx(0.41).epsilon(1e-12));
}

TEST_CASE("a stage's busy_power is refused where it cannot apply", "[unit][node][config]") {
  // Without the GPU's own power there is no GPU energy to split by kernel.
  CHECK(key_of({"pipeline.g.busy_power=100W"}) == "pipeline.g.busy_power");
  // Only gpu stages run kernels; below the idle power is not a kernel's power.
  CHECK(key_of({"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                "pipeline.c.busy_power=100W"}) == "pipeline.c.busy_power");
  CHECK(key_of({"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                "pipeline.g.busy_power=10W"}) == "pipeline.g.busy_power");
  // Kernels that overlap on the SMs (sm_share < 1 anywhere) would each be charged.
  CHECK(key_of({"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                "node.gpus.compute=concurrent", "pipeline.g.sm_share=0.5",
                "pipeline.g.busy_power=100W"}) == "pipeline.g.busy_power");
  CHECK_NOTHROW(
      test::parse(kCpuThenGpu, {"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                                "node.gpus.compute=concurrent", "pipeline.g.busy_power=100W"}));
  // Shown in the resolved config only when set.
  const auto shown = [](std::initializer_list<std::string> o) {
    return resolved_config(test::parse(kCpuThenGpu, o)).dump(1).find("\"busy_power\": \"100W\"");
  };
  CHECK(shown({"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
               "pipeline.g.busy_power=100W"}) != std::string::npos);
  CHECK(shown({"node.gpus.idle_power=20W", "node.gpus.busy_power=450W"}) == std::string::npos);
  // At or above the board's busy_power is allowed (a boost above TDP for a short kernel).
  CHECK_NOTHROW(test::parse(kCpuThenGpu, {"node.gpus.idle_power=20W", "node.gpus.busy_power=450W",
                                          "pipeline.g.busy_power=450W"}));
}

TEST_CASE("M/M/1 on a GPU stage matches theory within the 95% CI", "[unit][node]") {
  // lambda 80/s, exponential 10 ms kernels on one GPU, no payload and no PCIe latency, so the
  // copies cost nothing: Wq = rho / (mu - lambda) = 0.8 / 20 = 40 ms, W = 50 ms.
  const RunSummary s = run_scenario(parse(kPcieNode + R"(
seed: 11
run: {duration: 2000s, warmup: 100s, replications: 10}
workload: {mode: open, rate: 80/s, arrival: poisson}
pipeline: [{name: infer, device: gpu, service: {dist: exponential, mean: 10ms}}]
)"),
                                    2);
  require_in_ci(s.stages[0].queue_ms, 40.0, "Wq (ms)");
  require_in_ci(s.latency_mean_ms, 50.0, "W (ms)");
  CHECK(s.stages[0].input_ms == 0);
  CHECK(s.stages[0].output_ms == 0);
}

TEST_CASE("Little's law and the utilisation law hold to 1e-3 in a batched GPU pipeline",
          "[unit][node]") {
  // Poisson images: a CPU preprocessing stage makes a 224x224x3 float16 tensor, a batched GPU
  // stage (time growing with the batch) consumes it. The laws' two sides differ only by the
  // requests straddling the window's edges, O(N W / T): ~1e-6 here.
  const RunSummary s = run_scenario(parse(R"(
seed: 3
run: {duration: 300s, warmup: 10s, replications: 3}
workload: {mode: open, rate: 1500/s, arrival: poisson, images: medium}
curves:
  infer: {form: affine, inputs: [batch], coef: {a: 1ms, b: 250us}, source: "assumption: test"}
node:
  cpu: {cores: 4}
  gpus: {count: 1}
  pcie:
    host_link: {bandwidth: 32GB/s, latency: 1us}
    gpu_link: {bandwidth: 25GB/s, latency: 1us}
pipeline:
  - name: pre
    device: cpu
    instances: 4
    service: {dist: exponential, mean: 1ms}
    output: {width: 224, height: 224, channels: 3, dtype: float16}
  - name: infer
    device: gpu
    instances: 2
    service: {curve: infer}
    batching: {max_batch_size: 8, max_queue_delay: 500us}
    output: {bytes: 4kB}
)"),
                                    2);
  CHECK(s.stages[1].batch_mean > 1.5);
  for (const LawCheck& law : s.laws) {
    INFO(law.law << " " << law.subject << ": " << law.lhs << " vs " << law.rhs);
    CHECK(law.relative_error() < 1e-3);
  }
}

TEST_CASE("a request whose pipeline ends on the GPU frees its memory when it completes",
          "[unit][node]") {
  // One client, one to_gpu copy of a medium JPEG (121 kB): one payload is on the GPU at a time,
  // so the time-averaged memory held is at most 121000 B, and a 500 kB block GPU never stalls.
  const std::string yaml = kPcieNode + R"(
run: {duration: 100ms}
workload: {mode: closed, concurrency: 1, images: medium}
pipeline: [{name: h2d, device: pcie, direction: to_gpu}]
)";
  const RunSummary free = run_yaml(yaml);
  CHECK(free.gpu_memory_mean_bytes <= 121000);
  // Each copy takes ceil(121000 / 25) = 4840 ns, so 100 ms holds 20661 of them.
  const RunSummary blocked = run_yaml(yaml, {"node.gpus.memory=500kB"});
  CHECK(blocked.completed == free.completed);
  CHECK(free.completed == 100'000'000 / 4840);
}

TEST_CASE("a to_gpu transfer reserves the memory of the tensors the GPU stages after it make",
          "[unit][node]") {
  // The copied JPEG (121 kB) is decoded on the GPU to 500 x 375 x 3 = 562500 B. With 600 kB of
  // GPU memory only one request's decoded image fits, so with `block` one request at a time holds
  // memory, and the time-averaged memory is at most 562500 B.
  const std::string yaml = kPcieNode + R"(
run: {duration: 100ms}
workload: {mode: closed, concurrency: 4, images: medium}
pipeline:
  - {name: h2d, device: pcie, direction: to_gpu}
  - {name: decode, device: gpu, service: {dist: deterministic, mean: 1ms}, output: raw}
  - {name: infer, device: gpu, service: {dist: deterministic, mean: 1ms}, output: {bytes: 4kB}}
)";
  const RunSummary s = run_yaml(yaml, {"node.gpus.memory=600kB"});
  CHECK(s.gpu_memory_mean_bytes <= 562500);
  CHECK(s.gpu_memory_mean_bytes > 500000);
}

TEST_CASE("the bottleneck is the device when a stage's instances only wait for it",
          "[unit][node]") {
  // One instance feeding a 1 ms GPU kernel: instance and GPU are both busy 100% of the time;
  // more instances would not help, a faster GPU would.
  const std::string yaml = kPcieNode + R"(
run: {duration: 200ms}
workload: {mode: closed, concurrency: 4}
pipeline: [{name: infer, device: gpu, instances: 1, service: {dist: deterministic, mean: 1ms}}]
)";
  CHECK(run_yaml(yaml).bottleneck == "gpu0.compute");
  // Two CPU workers on four cores: the workers are the limit, not the cores.
  const std::string cpu = R"(
run: {duration: 200ms}
workload: {mode: closed, concurrency: 4}
node: {cpu: {cores: 4}}
pipeline: [{name: work, device: cpu, instances: 2, service: {dist: deterministic, mean: 1ms}}]
)";
  const RunSummary s = run_yaml(cpu);
  CHECK(s.bottleneck == "work.instances");
  CHECK(s.throughput_bound == Approx(2000).epsilon(1e-3));
}

TEST_CASE("a worker that slept waits node.cpu.wakeup before it starts; a busy one does not",
          "[unit][node]") {
  // Two CPU stages of 1 ms each, one thread each, and a fixed 300 us wake-up.
  const std::string yaml = R"(
node: {cpu: {cores: 2, wakeup: 300us}}
run: {requests: 5}
workload: {mode: closed, concurrency: 1}
pipeline:
  - {name: a, device: cpu, service: {dist: deterministic, mean: 1ms}}
  - {name: b, device: cpu, service: {dist: deterministic, mean: 1ms}}
)";
  SECTION("one client: every hand-off after the first wakes a sleeping thread") {
    // Request 1 finds a's thread idle since t = 0, the instant it arrives: it never slept, so
    // only b's wake-up is paid, 0.3 + 2 = 2.3 ms. From then on both threads sleep between
    // requests: 2 x 0.3 + 2 = 2.6 ms, the wake-up counted as the stage's queue.
    const Recorder r = record(test::parse(yaml));
    CHECK(r.latencies == std::vector<Time>{2'300'000, 2'600'000, 2'600'000, 2'600'000, 2'600'000});
    REQUIRE(r.spans.size() == 2);
    CHECK(r.spans[0][0].queue == 0);
    CHECK(r.spans[0][1].queue == 300'000);
    CHECK(r.spans[1][1].queue == 300'000);
    CHECK(r.spans[0][1].compute == 1'000'000);
    // Without the key nothing waits: 2 ms each.
    const Recorder none = record(test::parse(yaml, {"node.cpu={cores: 2}"}));
    CHECK(none.latencies == std::vector<Time>(5, 2'000'000));
  }
  SECTION("wake-ups draw from their own stream: every service time stays as it was") {
    // Exponential services on two one-thread stages and two clients: each stage serves in FIFO
    // order, so its k-th service is its k-th draw with or without wake-ups.
    const std::vector<std::string> sets{
        "pipeline=[{name: a, device: cpu, service: {dist: exponential, mean: 1ms}}, {name: b, "
        "device: cpu, service: {dist: exponential, mean: 1ms}}]",
        "workload.concurrency=2", "run={requests: 200}"};
    auto with = [&](const char* wakeup) {
      ConfigNode root = load_config_text(yaml, "<test>", ".");
      int k = 0;
      for (const auto& o : sets) apply_override(root, o, ++k);
      if (wakeup) apply_override(root, std::string("node.cpu.wakeup=") + wakeup, ++k);
      return record(parse_scenario(root));
    };
    const Recorder off = with("0us"), on = with("{dist: exponential, mean: 200us}");
    REQUIRE(off.spans.size() == 2);
    REQUIRE(on.spans.size() == 2);
    for (std::size_t st = 0; st < 2; ++st) {
      REQUIRE(on.spans[st].size() == off.spans[st].size());
      for (std::size_t k = 0; k < off.spans[st].size(); ++k)
        CHECK(on.spans[st][k].compute == off.spans[st][k].compute);
    }
    // And a wake-up of 0 is no wake-up: the same run, to the nanosecond.
    const Recorder none = record(test::parse(
        yaml,
        {"node.cpu={cores: 2}",
         "pipeline=[{name: a, "
         "device: cpu, service: {dist: exponential, mean: 1ms}}, {name: b, device: cpu, service: "
         "{dist: exponential, mean: 1ms}}]",
         "workload.concurrency=2", "run={requests: 200}"}));
    CHECK(none.latencies == off.latencies);
    CHECK(on.latencies != off.latencies);
  }
  SECTION("a thread that finds work queued as it finishes never sleeps") {
    // One 1 ms stage and two clients: after the first request a's thread always has the other
    // client's request waiting, so it takes it at once: 1000 requests/s, as without wake-ups.
    const RunSummary s =
        run_scenario(test::parse(yaml, {"run={duration: 100ms}", "workload.concurrency=2",
                                        "pipeline=[{name: a, device: cpu, service: {dist: "
                                        "deterministic, mean: 1ms}}]"}),
                     1);
    CHECK(s.completed == 100);
    CHECK(s.throughput_rps.mean == Approx(1000).epsilon(1e-9));
  }
}

TEST_CASE("node.cpu.scheduler and wakeup: errors name the key; the resolved config shows them",
          "[unit][node][config]") {
  const std::string yaml = R"(
node: {cpu: {cores: 2}}
run: {requests: 5}
workload: {mode: closed, concurrency: 1}
pipeline: [{name: w, device: cpu, service: {dist: deterministic, mean: 1ms}}]
)";
  const ConfigError bad =
      test::config_error([&] { test::parse(yaml, {"node.cpu.scheduler=cfs"}); });
  CHECK(bad.key() == "node.cpu.scheduler");
  CHECK(std::string(bad.what()).find("per_core") != std::string::npos);
  const ConfigError neg = test::config_error([&] { test::parse(yaml, {"node.cpu.wakeup=-5us"}); });
  CHECK(neg.key() == "node.cpu.wakeup");
  const ConfigError nocv = test::config_error(
      [&] { test::parse(yaml, {"node.cpu.wakeup={dist: lognormal, mean: 50us}"}); });
  CHECK(nocv.key() == "node.cpu.wakeup.dist");

  const std::string shown =
      resolved_config(test::parse(yaml, {"node.cpu.scheduler=per_core",
                                         "node.cpu.wakeup={dist: lognormal, mean: 50us, cv: 2}"}))
          .dump(1);
  CHECK(shown.find("\"scheduler\": \"per_core\"") != std::string::npos);
  CHECK(shown.find("\"wakeup\"") != std::string::npos);
  const std::string plain = resolved_config(test::parse(yaml)).dump(1);
  CHECK(plain.find("scheduler") == std::string::npos);
  CHECK(plain.find("wakeup") == std::string::npos);
}

TEST_CASE("node.cpu.scheduler per_core places work on a core's run queue; a core left idle pulls",
          "[unit][node]") {
  // Three threads each start 3 ms of CPU work at t = 0 on two cores (the clients think for
  // 100 ms after an answer, so no fourth request comes while these run).
  const std::string yaml = R"(
node: {cpu: {cores: 2}}
run: {requests: 3}
workload: {mode: closed, concurrency: 3, think_time: 100ms}
pipeline: [{name: w, device: cpu, instances: 3, service: {dist: deterministic, mean: 3ms}}]
)";
  // shared (processor sharing over both cores): each runs at 2/3 speed, all end at 4.5 ms.
  const Recorder shared = record(test::parse(yaml));
  CHECK(shared.latencies == std::vector<Time>{4'500'000, 4'500'000, 4'500'000});
  // per_core: the first two take the idle cores; the third finds none idle and, new to the CPU,
  // joins the shortest run queue (core 0, the lower on a tie). Core 1's item ends at 3 ms, when
  // core 0's two, sharing it at half speed, have 1.5 ms done each. Core 1, left idle, pulls the
  // newer (the third) and runs its 1.5 ms alone while core 0 runs the first's: both end at
  // 4.5 ms. Without the pull they would have shared core 0 until 6 ms.
  const Recorder per_core = record(test::parse(yaml, {"node.cpu.scheduler=per_core"}));
  CHECK(per_core.latencies == std::vector<Time>{3'000'000, 4'500'000, 4'500'000});
  // With a core for every thread the two schedulers agree: 3 ms each.
  for (const char* s : {"shared", "per_core"}) {
    INFO("scheduler " << s);
    const Recorder r =
        record(test::parse(yaml, {"node.cpu.cores=3", std::string("node.cpu.scheduler=") + s}));
    CHECK(r.latencies == std::vector<Time>(3, 3'000'000));
  }
}

}  // namespace servesim
