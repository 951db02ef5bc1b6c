// FIFO engines (a GPU's compute engine, NVJPG), copy-engine slots and the per-core CPU
// scheduler: completion times and order for known jobs, worked out by hand.
#include <catch2/catch.hpp>

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/engine.h"
#include "tests/model/work_log.h"

namespace servesim {
namespace {

using Done = test::WorkLog;
using test::Finish;

/// Submits `work` ns to a per-core CPU at its event (token: the event's arg).
struct SubmitToCores final : EventHandler {
  SubmitToCores(PerCoreServer& c, Done& d, Time w) : cpu(c), done(d), work(w) {}
  void on_event(std::uint32_t, std::uint64_t arg) override { cpu.submit(work, done, arg); }
  PerCoreServer& cpu;
  Done& done;
  Time work;
};

/// Stalls of `length` ns after every `interval` ns of running, on each core.
StallParams stalls_every(Time interval, Time length) {
  StallParams p;
  p.interval = Distribution::make(DistKind::kDeterministic, static_cast<double>(interval), 0);
  p.duration = Distribution::make(DistKind::kDeterministic, static_cast<double>(length), 0);
  return p;
}

/// Slowdowns to `speed` for `length` ns after every `interval` ns at full speed, on each core.
StallParams slowdowns_every(Time interval, Time length, double speed) {
  StallParams p = stalls_every(interval, length);
  p.speed = speed;
  return p;
}
}  // namespace

TEST_CASE("fifo engine: one server runs jobs one after the other, in order", "[unit]") {
  Simulator sim;
  FifoEngine gpu(sim, 1, 1.0);
  Done done(sim);
  gpu.submit(100, done, 1);
  gpu.submit(200, done, 2);
  gpu.submit(300, done, 3);
  CHECK(gpu.queued() == 2);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 100}, {2, 300}, {3, 600}});
  CHECK(gpu.busy_area(sim.now()) == Approx(600));
}

TEST_CASE("fifo engine: count servers at speed s take work / s each", "[unit]") {
  Simulator sim;
  FifoEngine nvjpg(sim, 2, 2.0);
  Done done(sim);
  for (std::uint64_t k = 1; k <= 3; ++k) nvjpg.submit(1000, done, k);
  sim.run_until(kTimeMax);
  // Two start at once (500 ns each); the third waits for the first free server.
  CHECK(done.at == Finish{{1, 500}, {2, 500}, {3, 1000}});
  CHECK(nvjpg.busy_area(sim.now()) == Approx(2 * 500 + 1 * 500));
  CHECK(nvjpg.servers() == 2);
}

TEST_CASE("copy-engine slots: holders up to the count, then a FIFO line", "[unit]") {
  Simulator sim;
  Slots engines(1);
  Done done(sim);
  CHECK(engines.acquire(done, 1));
  CHECK_FALSE(engines.acquire(done, 2));
  CHECK_FALSE(engines.acquire(done, 3));
  CHECK(engines.waiting() == 2);
  engines.release();  // passes straight to 2, then to 3
  CHECK(done.at == Finish{{2, 0}});
  engines.release();
  CHECK(done.at == Finish{{2, 0}, {3, 0}});
  engines.release();  // free again: a new holder gets it at once
  CHECK(engines.acquire(done, 4));
  CHECK(engines.waiting() == 0);
}

TEST_CASE(
    "per-core scheduler: a thread keeps its idle core; with every core busy it queues "
    "behind the work on its own",
    "[unit]") {
  Simulator sim;
  PerCoreServer cpu(sim, 2, 1.0);
  Done done(sim);
  int a = -1, b = -1, c = -1;
  cpu.submit_from(1000, done, 1, a);  // no history: the first idle core, core 0
  cpu.submit_from(1000, done, 2, b);  // core 0 is busy: the idle core 1
  CHECK(a == 0);
  CHECK(b == 1);
  c = 1;                              // a thread that last ran on core 1, which is busy:
  cpu.submit_from(1000, done, 3, c);  // no idle core, so it stays there and shares it
  CHECK(c == 1);
  sim.run_until(kTimeMax);
  // Core 0 runs job 1 alone (t = 1000). Core 1 shares jobs 2 and 3, 500 ns done each by then;
  // core 0, left idle, pulls the newer, job 3, whose thread's last core becomes 0: each runs
  // its last 500 ns alone and both end at 1500 (job 2's event was moved first).
  CHECK(done.at == Finish{{1, 1000}, {2, 1500}, {3, 1500}});
  CHECK(c == 0);
  CHECK(cpu.busy_area(sim.now()) == Approx(3000));
}

TEST_CASE("per-core scheduler: a core left idle pulls the newest item of the busiest core",
          "[unit]") {
  Simulator sim;
  PerCoreServer cpu(sim, 3, 1.0);
  Done done(sim);
  int a = -1, b = -1, c = -1, d = 2, e = 2;
  cpu.submit_from(600, done, 1, a);   // core 0
  cpu.submit_from(3000, done, 2, b);  // core 1
  cpu.submit_from(3000, done, 3, c);  // core 2
  cpu.submit_from(3000, done, 4, d);  // core 2 (its last core; none idle)
  cpu.submit_from(3000, done, 5, e);  // core 2 too: three items there, one on core 1
  CHECK(std::vector<int>{a, b, c, d, e} == std::vector<int>{0, 1, 2, 2, 2});
  sim.run_until(700);
  // At 600 core 0 frees: core 2 (three items, 200 ns done each) is the busiest, and its newest,
  // job 5, moves to core 0 with 2800 ns left; core 2's two then share it at half speed.
  CHECK(e == 0);
  CHECK(a == 0);
  sim.run_until(kTimeMax);
  // Job 2 ends at 3000 on core 1. Jobs 3 and 4 on core 2 then have 200 + 2400 / 2 = 1400 done,
  // 1600 left each; core 1 pulls the newer, job 4, and both end at 4600. Job 5 ends on core 0 at
  // 600 + 2800 = 3400, when no core has two items: core 0 stays idle.
  CHECK(done.at == Finish{{1, 600}, {2, 3000}, {5, 3400}, {3, 4600}, {4, 4600}});
  CHECK(d == 1);
  CHECK(cpu.busy_area(sim.now()) == Approx(3400 + 4600 + 4600));
}

TEST_CASE("shared server: the processor-sharing pool seen as a Server", "[unit]") {
  Simulator sim;
  SharedServer cpu(sim, 2, 1.0);
  Done done(sim);
  int core = 5;
  cpu.submit_from(1000, done, 1, core);  // processor sharing has no cores to remember
  CHECK(core == 5);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 1000}});
  CHECK(cpu.servers() == 2);
}

TEST_CASE("per-core server: every busy core runs at the efficiency of the busy-core count",
          "[unit]") {
  Simulator sim;
  const CpuEfficiency half({1, 2}, {1.0, 0.5}, 2);
  PerCoreServer cpu(sim, 2, 1.0, &half);
  Done done(sim);
  SubmitToCores later(cpu, done, 500);
  // Core 0 alone for 1000 ns (1000 of 3000 done); item 2 takes idle core 1 and both run at 0.5:
  // item 2's 500 ns end at 2000, when item 1 has 1500 done; core 1 goes idle, core 0 speeds up
  // to 1.0 and its last 1500 end at 3500.
  cpu.submit(3000, done, 1);
  sim.schedule_in(1000, later, 0, 2);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{2, 2000}, {1, 3500}});
  CHECK(cpu.busy_area(sim.now()) == Approx(3500 + 1000));
}

TEST_CASE("per-core server: a stalled core runs nothing until its stall ends", "[unit]") {
  // Every 4 us of running a core stalls for 1 us: stalls at [4, 5), [9, 10), [14, 15) us, on
  // each core alone. Job 1 (10 us) on core 0 runs 4 + 4 + 2 us and ends at 12 us; job 2 (3 us),
  // submitted to core 1 at 0, ends at 3 us, before its first stall; job 3 (2 us), submitted at
  // 4.5 us while core 1 stalls but core 0 is busy, takes idle core 1 (placement does not see
  // stalls) and waits: it runs 5-7 us.
  Simulator sim;
  const StallParams stalls = stalls_every(4000, 1000);
  PerCoreServer cpu(sim, 2, 1.0, nullptr, &stalls, Rng(1));
  Done done(sim);
  SubmitToCores later(cpu, done, 2000);
  cpu.submit(10000, done, 1);
  cpu.submit(3000, done, 2);
  sim.schedule_in(4500, later, 0, 3);
  sim.run_until(20000);
  CHECK(done.at == Finish{{2, 3000}, {3, 7000}, {1, 12000}});
  // Busy is held, not run: job 1's core 0-12 us, job 2's 0-3, job 3's 4.5-7.
  CHECK(cpu.busy_area(sim.now()) == Approx(12000 + 3000 + 2500));
}

TEST_CASE("per-core server: a slowed core runs at the slowdown's speed until it ends", "[unit]") {
  // Slowdowns to 0.5 at [4, 5), [9, 10), [14, 15) us on each core. Job 1 (10 us) on core 0:
  // 4 us by 4, 4.5 by 5, 8.5 by 9, 9 by 10, done at 11 us. Job 2 (3 us) on core 1: done at 3 us.
  Simulator sim;
  const StallParams slow = slowdowns_every(4000, 1000, 0.5);
  PerCoreServer cpu(sim, 2, 1.0, nullptr, nullptr, Rng(1), &slow, Rng(2));
  Done done(sim);
  cpu.submit(10000, done, 1);
  cpu.submit(3000, done, 2);
  sim.run_until(30000);
  CHECK(done.at == Finish{{2, 3000}, {1, 11000}});
}

TEST_CASE("per-core server: a slowdown multiplies the efficiency factor", "[unit]") {
  // Two busy cores at efficiency 0.5, slowed to 0.5 at [4, 5), [9, 10), ... us: 0.25 then. Two
  // jobs of 10 us, one per core: 2 us done by 4, 2.25 by 5, 4.25 by 9, 4.5 by 10, 6.5 by 14,
  // 6.75 by 15, 8.75 by 19, 9 by 20, done at 22 us. A job of 1 us on an idle two-core CPU,
  // submitted at 4.5 us while its core is slowed: alone, efficiency 1, speed 0.5 until 5 us
  // (0.25 done), then 1: done at 5.75 us.
  const CpuEfficiency half({1, 2}, {1.0, 0.5}, 2);
  const StallParams slow = slowdowns_every(4000, 1000, 0.5);
  {
    Simulator sim;
    PerCoreServer cpu(sim, 2, 1.0, &half, nullptr, Rng(1), &slow, Rng(2));
    Done done(sim);
    cpu.submit(10000, done, 1);
    cpu.submit(10000, done, 2);
    sim.run_until(40000);
    CHECK(done.at == Finish{{1, 22000}, {2, 22000}});
  }
  Simulator sim;
  PerCoreServer cpu(sim, 2, 1.0, &half, nullptr, Rng(1), &slow, Rng(2));
  Done done(sim);
  SubmitToCores later(cpu, done, 1000);
  sim.schedule_in(4500, later, 0, 1);
  sim.run_until(40000);
  CHECK(done.at == Finish{{1, 5750}});
}

TEST_CASE("per-core server: stalls and slowdowns together", "[unit]") {
  // One core: stalls at [4, 5), [9, 10) us; slowdowns to 0.5 at [2, 3), [5, 6), [8, 9) us. A job
  // of 6 us: 2 by 2, 2.5 by 3, 3.5 by 4, still 3.5 by 5 (stalled), 4 by 6, done at 8 us.
  Simulator sim;
  const StallParams stalls = stalls_every(4000, 1000);
  const StallParams slow = slowdowns_every(2000, 1000, 0.5);
  PerCoreServer cpu(sim, 1, 1.0, nullptr, &stalls, Rng(1), &slow, Rng(2));
  Done done(sim);
  cpu.submit(6000, done, 1);
  sim.run_until(30000);
  CHECK(done.at == Finish{{1, 8000}});
}

TEST_CASE("shared server: its cores slow down as node.cpu.slowdowns says", "[unit]") {
  // Two cores, each slowed to 0.5 at [4, 5), [9, 10), ... us (in step). Two jobs of 10 us share
  // them, one core each: 4 by 4, 4.5 by 5, 8.5 by 9, 9 by 10, done at 11 us.
  {
    Simulator sim;
    const StallParams slow = slowdowns_every(4000, 1000, 0.5);
    SharedServer cpu(sim, 2, 1.0, nullptr, nullptr, Rng(1), &slow, Rng(2));
    Done done(sim);
    cpu.submit(10000, done, 1);
    cpu.submit(10000, done, 2);
    sim.run_until(30000);
    CHECK(done.at == Finish{{1, 11000}, {2, 11000}});
  }
  // With stalls too: slowed at [2, 3), [5, 6), [8, 9), [11, 12) us, stalled at [4, 5), [9, 10).
  // One job of 10 us: 2 by 2, 2.5 by 3, 3.5 by 4, 3.5 by 5, 4 by 6, 6 by 8, 6.5 by 9, 6.5 by
  // 10, 7.5 by 11, 8 by 12, done at 14 us.
  Simulator sim;
  const StallParams stalls = stalls_every(4000, 1000);
  const StallParams slow = slowdowns_every(2000, 1000, 0.5);
  SharedServer cpu(sim, 2, 1.0, nullptr, &stalls, Rng(1), &slow, Rng(2));
  Done done(sim);
  cpu.submit(10000, done, 1);
  sim.run_until(30000);
  CHECK(done.at == Finish{{1, 14000}});
}

TEST_CASE("shared server: a core both stalled and slowed counts as stalled", "[unit]") {
  // Two cores in step: stalled at [4, 5), [9, 10) us, slowed to 0.5 at [3, 5), [8, 10), [13, 15).
  // One job of 10 us: 3 by 3, 3.5 by 4 (slowed: the full-speed cores are none, 0.5), 3.5 by 5
  // (stalled and slowed: stalled), 6.5 by 8, 7 by 9, 7 by 10, done at 13 us.
  Simulator sim;
  const StallParams stalls = stalls_every(4000, 1000);
  const StallParams slow = slowdowns_every(3000, 2000, 0.5);
  SharedServer cpu(sim, 2, 1.0, nullptr, &stalls, Rng(1), &slow, Rng(2));
  Done done(sim);
  cpu.submit(10000, done, 1);
  sim.run_until(30000);
  CHECK(done.at == Finish{{1, 13000}});
}

TEST_CASE("shared server: its cores stall as node.cpu.stalls says", "[unit]") {
  // Two cores, each stalling at [4, 5), [9, 10), [14, 15) us (in step: the same deterministic
  // draws). Two jobs of 10 us, one per core: 4 + 4 + 2 us of running, both done at 12 us.
  Simulator sim;
  const StallParams stalls = stalls_every(4000, 1000);
  SharedServer cpu(sim, 2, 1.0, nullptr, &stalls, Rng(1));
  Done done(sim);
  cpu.submit(10000, done, 1);
  cpu.submit(10000, done, 2);
  sim.run_until(30000);
  CHECK(done.at == Finish{{1, 12000}, {2, 12000}});
}

}  // namespace servesim
