// One stage alone, driven through a fake StageContext: no node, only the resources it is handed.
// Service, queueing, batching, refusal, thread wake-ups and the GPU round trip (copy in, kernel,
// copy out, with the payload admitted to and evicted from the GPU), timed to the ns by hand.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/engine.h"
#include "sim/model/gpu.h"
#include "sim/model/interconnect.h"
#include "sim/model/stage.h"
#include "sim/model/stage_context.h"

namespace servesim {
namespace {

constexpr std::uint32_t kStation = 7;  // what the stage reports as, whatever its index

/// Records where the stage sends requests and what it reports.
class FakeContext final : public StageContext, public Observer {
 public:
  explicit FakeContext(Simulator& s) : sim(s) { observer_ = this; }
  void pass_on(std::span<const RequestId> batch) override {
    passed.push_back({std::vector<RequestId>(batch.begin(), batch.end()), sim.now()});
  }
  void hold(std::span<const RequestId> batch, std::uint32_t) override {
    held.insert(held.end(), batch.begin(), batch.end());
  }
  void refuse(RequestId id) override { refused.push_back(id); }

  void request_done(Time) override {}
  void stage_done(std::uint32_t station, const StageSpan& span) override {
    CHECK(station == kStation);
    spans.push_back(span);
  }
  void batch_done(std::uint32_t station, std::size_t size, const StageSpan&) override {
    CHECK(station == kStation);
    batch_sizes.push_back(size);
  }

  struct Passed {
    std::vector<RequestId> ids;
    Time at = 0;
    bool operator==(const Passed&) const = default;
  };
  Simulator& sim;
  std::vector<Passed> passed;
  std::vector<RequestId> held, refused;
  std::vector<StageSpan> spans;
  std::vector<std::size_t> batch_sizes;
};

ServiceParams fixed(Time ns) {
  ServiceParams s;
  s.dist = Distribution::make(DistKind::kDeterministic, static_cast<double>(ns), 0);
  return s;
}

/// A one-stage pipeline on a node of `cores` cores and `gpus` GPUs behind 1 GB/s PCIe links
/// (1 byte per ns, no latency), with the stage built on it.
struct Rig {
  Rig(StageParams only, int cores, int gpu_count) {
    p.node.cpu.cores = cores;
    p.node.gpus.count = gpu_count;
    p.node.pcie.host_link = {1e9, 0};
    p.node.pcie.gpu_link = {1e9, 0};
    p.pipeline.push_back(std::move(only));
  }
  Stage& build() {
    cpu = std::make_unique<SharedServer>(sim, p.node.cpu.cores, 1.0);
    pcie = std::make_unique<Interconnect>(sim, p.node.pcie, p.node.gpus, p.node.gpus.count);
    StageResources on{sim, requests, *cpu, {}, pcie.get()};
    for (int g = 0; g < p.node.gpus.count; ++g) {
      gpus.push_back(std::make_unique<Gpu>(sim, p.node.gpus, g));
      on.gpus.push_back(gpus.back().get());
    }
    stage = std::make_unique<Stage>(ctx, on, p, StagePlace{0, kStation, 0}, Rng(1), Rng(2));
    return *stage;
  }
  RequestId request(double bytes = 0) {
    const RequestId id = requests.acquire();
    requests[id].bytes = bytes;
    return id;
  }

  ScenarioParams p;
  Simulator sim;
  RequestStore store;
  RequestPool requests{store};
  FakeContext ctx{sim};
  std::unique_ptr<SharedServer> cpu;
  std::unique_ptr<Interconnect> pcie;
  std::vector<std::unique_ptr<Gpu>> gpus;
  std::unique_ptr<Stage> stage;
};

StageParams cpu_stage(int instances, Time service) {
  StageParams s;
  s.name = "work";
  s.device = Device::kCpu;
  s.instances = instances;
  s.service = fixed(service);
  return s;
}

using Passed = FakeContext::Passed;

}  // namespace

TEST_CASE("stage: one instance serves in FIFO order; the queue is the wait for it", "[unit]") {
  Rig rig(cpu_stage(1, 1000), 4, 0);
  Stage& st = rig.build();
  const RequestId a = rig.request(), b = rig.request(), c = rig.request();
  st.accept(a);
  st.accept(b);
  st.accept(c);
  CHECK(st.inside() == 3);
  CHECK(st.busy() == 1);
  rig.sim.run_until(kTimeMax);
  CHECK(rig.ctx.passed == std::vector<Passed>{{{a}, 1000}, {{b}, 2000}, {{c}, 3000}});
  REQUIRE(rig.ctx.spans.size() == 3);
  for (int k = 0; k < 3; ++k) {
    CHECK(rig.ctx.spans[k].queue == Time{1000} * k);
    CHECK(rig.ctx.spans[k].compute == 1000);
    CHECK(rig.ctx.spans[k].wait == 0);
  }
  CHECK(st.inside() == 0);
  CHECK(st.busy_area(rig.sim.now()) == Approx(3000));      // one instance busy throughout
  CHECK(st.in_stage_area(rig.sim.now()) == Approx(6000));  // 3 + 2 + 1 inside, 1000 ns each
}

TEST_CASE("stage: two instances on one core share it; the slowdown is reported as wait", "[unit]") {
  Rig rig(cpu_stage(2, 1000), 1, 0);
  Stage& st = rig.build();
  const RequestId a = rig.request(), b = rig.request();
  st.accept(a);
  st.accept(b);
  rig.sim.run_until(kTimeMax);
  // Both on the one core at half speed: 2000 ns each, of which 1000 is their work.
  CHECK(rig.ctx.passed == std::vector<Passed>{{{a}, 2000}, {{b}, 2000}});
  for (const StageSpan& s : rig.ctx.spans) {
    CHECK(s.queue == 0);
    CHECK(s.compute == 1000);
    CHECK(s.wait == 1000);
  }
}

TEST_CASE("stage: requests that arrive together leave in one dynamic batch", "[unit]") {
  StageParams s = cpu_stage(1, 1000);
  s.batching = BatchingParams{};
  s.batching->max_batch_size = 4;
  Rig rig(s, 1, 0);
  Stage& st = rig.build();
  const std::vector<RequestId> ids{rig.request(), rig.request(), rig.request()};
  st.accept_batch(ids);
  rig.sim.run_until(kTimeMax);
  CHECK(rig.ctx.passed == std::vector<Passed>{{ids, 1000}});
  CHECK(rig.ctx.batch_sizes == std::vector<std::size_t>{3});
  CHECK(rig.ctx.spans.size() == 3);
}

TEST_CASE("stage: a full batcher queue refuses the request through its context", "[unit]") {
  StageParams s = cpu_stage(1, 1000);
  s.batching = BatchingParams{};
  s.batching->max_queue_size = 1;
  Rig rig(s, 1, 0);
  Stage& st = rig.build();
  const RequestId a = rig.request(), b = rig.request(), c = rig.request();
  st.accept(a);  // in service
  st.accept(b);  // queued
  st.accept(c);  // the queue holds 1: refused
  CHECK(rig.ctx.refused == std::vector<RequestId>{c});
  CHECK(st.inside() == 2);
  rig.sim.run_until(kTimeMax);
  CHECK(rig.ctx.passed == std::vector<Passed>{{{a}, 1000}, {{b}, 2000}});
}

TEST_CASE("stage: a sleeping worker thread is woken first, and the batch waits for it", "[unit]") {
  Rig rig(cpu_stage(1, 1000), 1, 0);
  rig.p.node.cpu.wakeup = Distribution::make(DistKind::kDeterministic, 300, 0);
  Stage& st = rig.build();
  const RequestId a = rig.request();
  rig.sim.run_until(100);  // the worker has been idle since 0: asleep
  st.accept(a);
  rig.sim.run_until(kTimeMax);
  CHECK(rig.ctx.passed == std::vector<Passed>{{{a}, 100 + 300 + 1000}});
  REQUIRE(rig.ctx.spans.size() == 1);
  CHECK(rig.ctx.spans[0].queue == 300);
}

TEST_CASE(
    "stage: a GPU stage copies in, runs its kernel and copies back; the payload is "
    "resident on the GPU only in between",
    "[unit]") {
  StageParams s;
  s.name = "infer";
  s.device = Device::kGpu;
  s.service = fixed(500);
  Rig rig(s, 1, 1);
  Stage& st = rig.build();
  CHECK(st.instances() == 1);
  const RequestId a = rig.request(1000);
  st.accept(a);
  // 1000 bytes at 1 byte/ns in (t = 1000), the kernel (1500), 1000 bytes out (2500).
  rig.sim.run_until(1200);
  CHECK(rig.requests[a].location == 0);
  CHECK(rig.gpus[0]->resident() == 1);
  CHECK(rig.gpus[0]->memory_used() == 1000);
  rig.sim.run_until(kTimeMax);
  CHECK(rig.ctx.passed == std::vector<Passed>{{{a}, 2500}});
  REQUIRE(rig.ctx.spans.size() == 1);
  CHECK(rig.ctx.spans[0].input == 1000);
  CHECK(rig.ctx.spans[0].compute == 500);
  CHECK(rig.ctx.spans[0].output == 1000);
  CHECK(rig.requests[a].location == kHost);
  CHECK(rig.gpus[0]->resident() == 0);
  CHECK(rig.gpus[0]->memory_used() == 0);
}

}  // namespace servesim
