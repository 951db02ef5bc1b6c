// The CPU pool as egalitarian processor sharing: completion times worked out by hand for a
// known set of work items, and the busy-core integral, which must equal the work done.
#include <catch2/catch.hpp>

#include <tuple>

#include <cstdint>
#include <utility>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/cpu_pool.h"
#include "tests/model/work_log.h"

namespace servesim {
namespace {

/// Stalls `arg` of the pool's cores at its event.
struct StallAt final : EventHandler {
  explicit StallAt(CpuPool& p) : pool(p) {}
  void on_event(std::uint32_t, std::uint64_t k) override { pool.set_stalled(static_cast<int>(k)); }
  CpuPool& pool;
};

using Done = test::WorkLog;
using test::Finish;

/// Submits `work` to `pool` when its event fires, with the event's arg as the token.
struct SubmitAt final : EventHandler {
  SubmitAt(Simulator& s, CpuPool& p, Done& d) : sim(s), pool(p), done(d) {}
  void on_event(std::uint32_t, std::uint64_t arg) override { pool.submit(work, done, arg); }
  Simulator& sim;
  CpuPool& pool;
  Done& done;
  Time work = 0;
};

}  // namespace

TEST_CASE("cpu pool: with a core each, work runs at full speed (work / speed)", "[unit]") {
  Simulator sim;
  CpuPool pool(sim, 2, 2.0);  // two cores twice as fast as the measuring machine
  Done done(sim);
  pool.submit(1000, done, 1);
  pool.submit(3000, done, 2);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 500}, {2, 1500}});
  // Busy cores: 2 for 500 ns, then 1 for 1000 ns.
  CHECK(pool.busy_area(sim.now()) == Approx(2 * 500 + 1 * 1000));
}

TEST_CASE("cpu pool: more items than cores share them equally", "[unit]") {
  Simulator sim;
  CpuPool pool(sim, 1, 1.0);
  Done done(sim);
  // Both run at 1/2 until the short one has had its 1000 ns (t = 2000); the long one has 2000
  // ns left and runs alone at full speed: t = 4000.
  pool.submit(1000, done, 1);
  pool.submit(3000, done, 2);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 2000}, {2, 4000}});
  CHECK(pool.busy_area(sim.now()) == Approx(4000));  // one core busy throughout
}

TEST_CASE("cpu pool: the busy-core integral equals the work done (3 items on 2 cores)", "[unit]") {
  Simulator sim;
  CpuPool pool(sim, 2, 1.0);
  Done done(sim);
  for (std::uint64_t k = 0; k < 3; ++k) pool.submit(1000, done, k);
  CHECK(pool.active() == 3);
  sim.run_until(kTimeMax);
  // Each at 2/3 of a core: all three done at 1500 ns, in submission order (equal marks).
  CHECK(done.at == Finish{{0, 1500}, {1, 1500}, {2, 1500}});
  CHECK(pool.busy_area(sim.now()) == Approx(3000));
  CHECK(pool.active() == 0);
}

TEST_CASE("cpu pool: an item arriving later slows the one already running", "[unit]") {
  Simulator sim;
  CpuPool pool(sim, 1, 1.0);
  Done done(sim);
  SubmitAt later(sim, pool, done);
  later.work = 1000;
  pool.submit(1000, done, 1);
  sim.schedule_at(500, later, 0, 2);
  sim.run_until(kTimeMax);
  // At 500 the first has 500 ns left; shared, it needs 1000 ns more (t = 1500), when the
  // second has done 500 of its 1000 and finishes alone at 2000.
  CHECK(done.at == Finish{{1, 1500}, {2, 2000}});
}

TEST_CASE("cpu pool: stalled cores leave the items the running ones", "[unit]") {
  // Two cores, two items of 4 us from 0. At 1 us one core stalls: 3 us left each, sharing one
  // core at 0.5. At 2 us both stall: no progress (2.5 us left each). At 3 us one runs again
  // (0.5 each), at 4 us both (1 each): 2 us left each after 4 us, done at 6 us.
  Simulator sim;
  CpuPool pool(sim, 2, 1.0);
  Done done(sim);
  StallAt stall(pool);
  pool.submit(4000, done, 1);
  pool.submit(4000, done, 2);
  sim.schedule_at(1000, stall, 0, 1);
  sim.schedule_at(2000, stall, 0, 2);
  sim.schedule_at(3000, stall, 0, 1);
  sim.schedule_at(4000, stall, 0, 0);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 6000}, {2, 6000}});
  // Busy counts the runnable items, stalled or not: 2 cores x 6 us.
  CHECK(pool.busy_area(sim.now()) == Approx(12000));
}

TEST_CASE("cpu pool: a stall that starts the instant an item's work ends does not hold it",
          "[unit]") {
  // One core, an item of 1 us; the core stalls at 1 us (an event scheduled first, so it runs
  // before the item's completion at the same time): the item is done at 1 us, not at the
  // stall's end.
  Simulator sim;
  CpuPool pool(sim, 1, 1.0);
  Done done(sim);
  StallAt stall(pool);
  sim.schedule_at(1000, stall, 0, 1);
  sim.schedule_at(5000, stall, 0, 0);
  pool.submit(1000, done, 1);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 1000}});
}

TEST_CASE("cpu pool: slowed cores run at their speed, the full-speed ones taken first", "[unit]") {
  // Two cores, one slowed to 0.5 from 0. One item of 1 us takes the full-speed core: done at 1 us.
  // Two items of 1 us: capacity 1 + 0.5 shared, 0.75 each: done at 1333.3 ns, rounded up to
  // 1334. Three: 1.5 shared by 3, 0.5 each: 2 us. With the slowed core also stalled, one
  // core runs: two items of 1 us at 0.5 each, 2 us.
  for (const auto& [items, stalled, end] :
       {std::tuple{1, 0, Time{1000}}, std::tuple{2, 0, Time{1334}}, std::tuple{3, 0, Time{2000}},
        std::tuple{2, 1, Time{2000}}}) {
    Simulator sim;
    CpuPool pool(sim, 2, 1.0);
    pool.set_slow_speed(0.5);
    pool.set_stalled(stalled, 1 - stalled);
    Done done(sim);
    for (int k = 1; k <= items; ++k) pool.submit(1000, done, static_cast<std::uint64_t>(k));
    sim.run_until(kTimeMax);
    INFO(items << " items, " << stalled << " stalled");
    REQUIRE(done.at.size() == static_cast<std::size_t>(items));
    CHECK(done.at.back().second == end);
  }
}

TEST_CASE("cpu efficiency: linear between measured points, exact at them", "[unit]") {
  const CpuEfficiency e({1, 3, 4}, {1.0, 0.8, 0.7}, 4);
  CHECK(e.at(0) == 1.0);
  CHECK(e.at(1) == 1.0);
  CHECK(e.at(2) == Approx(0.9));
  CHECK(e.at(3) == 0.8);
  CHECK(e.at(4) == 0.7);
  CHECK(CpuEfficiency().flat());
  CHECK(CpuEfficiency().at(7) == 1.0);
}

TEST_CASE("cpu pool: with an efficiency curve every item slows while more cores are busy",
          "[unit]") {
  Simulator sim;
  const CpuEfficiency half({1, 2}, {1.0, 0.5}, 2);
  CpuPool pool(sim, 2, 1.0, &half);
  Done done(sim);
  // Two busy cores at 0.5 each: the short item's 1000 ns take 2000 ns; the long one has had 1000
  // of its 3000 and runs its last 2000 alone, at full speed: t = 4000.
  pool.submit(1000, done, 1);
  pool.submit(3000, done, 2);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 2000}, {2, 4000}});
  CHECK(pool.busy_area(sim.now()) == Approx(2 * 2000 + 1 * 2000));  // busy cores, not work
}

TEST_CASE("cpu pool: beyond the cores, processor sharing at the efficiency of all of them",
          "[unit]") {
  Simulator sim;
  const CpuEfficiency e({1, 2}, {1.0, 0.75}, 2);
  CpuPool pool(sim, 2, 1.0, &e);
  Done done(sim);
  // Three items on two cores at 0.75: each runs at 0.75 x 2 / 3 = 0.5, so 1000 ns take 2000.
  for (std::uint64_t k = 1; k <= 3; ++k) pool.submit(1000, done, k);
  sim.run_until(kTimeMax);
  CHECK(done.at == Finish{{1, 2000}, {2, 2000}, {3, 2000}});
}

TEST_CASE("cpu pool: an item arriving later slows the running one by the efficiency", "[unit]") {
  Simulator sim;
  const CpuEfficiency half({1, 2}, {1.0, 0.5}, 2);
  CpuPool pool(sim, 2, 1.0, &half);
  Done done(sim);
  SubmitAt later(sim, pool, done);
  later.work = 500;
  pool.submit(3000, done, 1);
  sim.schedule_in(1000, later, 0, 2);
  sim.run_until(kTimeMax);
  // Item 1 alone for 1000 ns (1000 done); both at 0.5: item 2's 500 ns end at 2000, when item 1
  // has 1500 done; its last 1500 alone: 3500.
  CHECK(done.at == Finish{{2, 2000}, {1, 3500}});
}

}  // namespace servesim
