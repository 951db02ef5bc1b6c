// The GPU's SMs under `compute: concurrent`: kernels of one process share the SMs by their
// shares, processes take turns in time slices with a context switch between turns. Every
// timeline below is worked out by hand (docs/model.md, "Concurrent kernels").
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>

#include "sim/core/simulator.h"
#include "sim/model/kernel_engine.h"
#include "tests/model/work_log.h"

namespace servesim {
namespace {

using Done = test::WorkLog;
using test::Finish;

/// Runs `f` at time `t` (a kernel launched later in the timeline).
struct At final : EventHandler {
  At(Simulator& sim, Time t, std::function<void()> f) : fn(std::move(f)) {
    sim.schedule_at(t, *this, 0);
  }
  void on_event(std::uint32_t, std::uint64_t) override { fn(); }
  std::function<void()> fn;
};

}  // namespace

TEST_CASE("kernels: one process's kernels whose shares sum to at most 1 run at full speed",
          "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 1, 0, 0);
  Done done(sim);
  gpu.submit_kernel(1000, 0.25, 0, done, 1);
  gpu.submit_kernel(600, 0.5, 0, done, 2);
  gpu.submit_kernel(300, 0.25, 0, done, 3);  // 0.25 + 0.5 + 0.25 = 1: none slows down
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{3, 300}, {2, 600}, {1, 1000}});
  CHECK(gpu.busy_area(sim.now()) == 1000);
  CHECK(gpu.switches() == 0);
}

TEST_CASE("kernels: above a sum of 1, each progresses at 1 / sum", "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 1, 0, 0);
  Done done(sim);
  gpu.submit_kernel(1000, 0.5, 0, done, 1);  // A
  gpu.submit_kernel(600, 0.5, 0, done, 2);   // B; A + B = 1: full speed
  At c(sim, 100, [&] { gpu.submit_kernel(500, 1.0, 0, done, 3); });
  sim.run_until(kTimeMax);
  // At 100 A and B have done 100 each; the sum becomes 2, so each runs at 1/2. B's 500 left and
  // C's 500 take 1000 ns: both at 1100 (B first, submitted first). A then has 900 - 500 = 400
  // left, alone at full speed: 1500.
  CHECK(done.at == Finish{{2, 1100}, {3, 1100}, {1, 1500}});
  CHECK(gpu.busy_area(sim.now()) == 1500);
}

TEST_CASE("kernels: speed divides the standalone time", "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 2.0, 1, 0, 0);
  Done done(sim);
  gpu.submit_kernel(1000, 0.5, 0, done, 1);
  gpu.submit_kernel(1000, 1.0, 0, done, 2);  // sum 1.5: each at 2 / 1.5
  sim.run_until(kTimeMax);
  // 1000 ns of work at 4/3 per ns: 750 ns.
  CHECK(done.at == Finish{{1, 750}, {2, 750}});
}

TEST_CASE("kernels: two processes take turns, a switch between turns", "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 2, 1000, 100);  // slice 1000 ns, switch 100 ns
  Done done(sim);
  gpu.submit_kernel(2500, 1.0, 0, done, 1);  // A, process 0: holds the SMs first
  gpu.submit_kernel(800, 0.25, 1, done, 2);  // B, process 1: waits, though SMs are free
  sim.run_until(kTimeMax);
  // A runs 0-1000 (its slice); switch 1000-1100; B runs alone 1100-1900 and leaves; switch back
  // 1900-2000; A's last 1500 ns end at 3500.
  CHECK(done.at == Finish{{2, 1900}, {1, 3500}});
  CHECK(gpu.switches() == 2);
  CHECK(gpu.busy_area(sim.now()) == 3500);  // switching counts as busy
}

TEST_CASE(
    "kernels: a process alone keeps the SMs past its slice; one that arrives then "
    "switches at once",
    "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 2, 1000, 100);
  Done done(sim);
  gpu.submit_kernel(3000, 1.0, 0, done, 1);
  At b(sim, 1500, [&] { gpu.submit_kernel(200, 1.0, 1, done, 2); });
  sim.run_until(kTimeMax);
  // A's slice ended at 1000 with nobody waiting; B arrives at 1500: switch 1500-1600, B
  // 1600-1800, switch 1800-1900, A's last 1500 ns: 3400.
  CHECK(done.at == Finish{{2, 1800}, {1, 3400}});
  CHECK(gpu.switches() == 2);
}

TEST_CASE("kernels: idle SMs still hold the last context; another process pays to load its own",
          "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 2, 1000, 100);
  Done done(sim);
  gpu.submit_kernel(100, 1.0, 0, done, 1);  // the first context ever loaded costs nothing
  At b(sim, 500, [&] { gpu.submit_kernel(100, 1.0, 1, done, 2); });
  At c(sim, 1000, [&] { gpu.submit_kernel(100, 1.0, 1, done, 3); });  // same context: no cost
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 100}, {2, 700}, {3, 1100}});
  CHECK(gpu.switches() == 1);
  CHECK(gpu.busy_area(sim.now()) == 100 + 200 + 100);
}

TEST_CASE("kernels: three processes round robin; a kernel done at its slice's end leaves first",
          "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 3, 100, 0);  // free switches
  Done done(sim);
  gpu.submit_kernel(250, 1.0, 0, done, 1);
  gpu.submit_kernel(250, 1.0, 1, done, 2);
  gpu.submit_kernel(100, 1.0, 2, done, 3);
  sim.run_until(kTimeMax);
  // 0-100 P0, 100-200 P1, 200-300 P2 (done at 300, its slice's end); 300-400 P0, 400-500 P1,
  // 500-550 P0 (done), 550-600 P1 (done).
  CHECK(done.at == Finish{{3, 300}, {1, 550}, {2, 600}});
  CHECK(gpu.switches() == 6);
}

TEST_CASE("kernels: within a turn, the process's kernels share the SMs as alone", "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 2, 1000, 0);
  Done done(sim);
  gpu.submit_kernel(1500, 1.0, 0, done, 1);
  gpu.submit_kernel(400, 1.0, 1, done, 2);
  gpu.submit_kernel(600, 1.0, 1, done, 3);
  sim.run_until(kTimeMax);
  // P0 0-1000 (500 left); P1 from 1000: two kernels, sum 2, each at 1/2: 2 done at 1800; 3 has
  // 200 left alone: 2000 (within its slice, which ends at 2000: done first). P0: 2000-2500.
  CHECK(done.at == Finish{{2, 1800}, {3, 2000}, {1, 2500}});
  CHECK(gpu.switches() == 2);
}

TEST_CASE("kernels: a slice or a switch of centuries saturates instead of wrapping the clock",
          "[unit]") {
  Simulator sim;
  KernelEngine gpu(sim, 1.0, 2, kTimeMax, 0);
  Done done(sim);
  gpu.submit_kernel(300, 1.0, 0, done, 1);
  At b(sim, 100, [&] { gpu.submit_kernel(200, 1.0, 1, done, 2); });
  sim.run_until(kTimeMax);
  // The slice never ends: process 0 runs to completion (300), then process 1 (500).
  CHECK(done.at == Finish{{1, 300}, {2, 500}});
}

}  // namespace servesim
