// Tests of the pending-event set and the simulator loop: the one ordering definition,
// cancellation, allocation-free steady state, run_until and stop.

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <vector>

#include "sim/core/event_queue.h"
#include "sim/core/random.h"
#include "sim/core/simulator.h"

namespace servesim {
namespace {

/// Records (time, kind, arg) of every event it receives, in order.
class Recorder final : public EventHandler {
 public:
  struct Seen {
    Time time;
    std::uint32_t kind;
    std::uint64_t arg;
    bool operator==(const Seen&) const = default;
  };
  explicit Recorder(const Simulator* sim = nullptr) : sim_(sim) {}
  void on_event(std::uint32_t kind, std::uint64_t arg) override {
    seen.push_back(Seen{sim_ ? sim_->now() : -1, kind, arg});
  }
  std::vector<Seen> seen;

 private:
  const Simulator* sim_;
};

std::vector<std::uint64_t> drain_args(EventQueue& q) {
  std::vector<std::uint64_t> out;
  while (!q.empty()) out.push_back(q.pop().arg);
  return out;
}

TEST_CASE("event queue runs events in time order, then by priority, then in scheduling order",
          "[unit]") {
  EventQueue q;
  Recorder h;
  // arg = the position each event must come out in.
  q.push(30, 0, &h, 0, 7);
  q.push(10, 5, &h, 0, 3);  // same time and priority as the next: scheduled first, runs first
  q.push(10, 5, &h, 0, 4);
  q.push(10, -3, &h, 0, 2);  // lower priority value runs earlier at the same time
  q.push(10, -128, &h, 0, 1);
  q.push(10, 127, &h, 0, 5);
  q.push(20, 0, &h, 0, 6);
  q.push(0, 127, &h, 0, 0);  // earlier time beats any priority
  REQUIRE(q.size() == 8);
  CHECK(q.next_time() == 0);
  CHECK(drain_args(q) == std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5, 6, 7});
  CHECK(q.size() == 0);
}

TEST_CASE("event queue keeps scheduling order among many same-time, same-priority events",
          "[unit]") {
  // A binary heap alone is not stable; the sequence number must make it so.
  EventQueue q;
  Recorder h;
  for (std::uint64_t i = 0; i < 1000; ++i) q.push(42, 1, &h, 0, i);
  std::vector<std::uint64_t> expected(1000);
  for (std::uint64_t i = 0; i < 1000; ++i) expected[i] = i;
  CHECK(drain_args(q) == expected);
}

TEST_CASE("event queue order equals a stable sort by (time, priority) of the scheduling order",
          "[unit]") {
  // Random times from a small range and random priorities give many ties of both kinds.
  Rng rng = Rng::stream(1, 0, "test", "event-order");
  EventQueue q;
  Recorder h;
  struct Key {
    Time time;
    int priority;
    std::uint64_t index;
  };
  std::vector<Key> keys;
  for (std::uint64_t i = 0; i < 20000; ++i) {
    const Key k{static_cast<Time>(rng.below(200)), static_cast<int>(rng.below(7)) - 3, i};
    keys.push_back(k);
    q.push(k.time, k.priority, &h, 0, k.index);
  }
  std::stable_sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    return std::tie(a.time, a.priority) < std::tie(b.time, b.priority);
  });
  std::vector<std::uint64_t> expected;
  for (const auto& k : keys) expected.push_back(k.index);
  CHECK(drain_args(q) == expected);
}

TEST_CASE("event queue returns the scheduled handler, kind and argument", "[unit]") {
  EventQueue q;
  Recorder a, b;
  q.push(5, 0, &a, 11, 111);
  q.push(7, 0, &b, 22, 222);
  const Event e1 = q.pop();
  CHECK(e1.time == 5);
  CHECK(e1.handler == &a);
  CHECK(e1.kind == 11);
  CHECK(e1.arg == 111);
  const Event e2 = q.pop();
  CHECK(e2.time == 7);
  CHECK(e2.handler == &b);
  CHECK(e2.kind == 22);
  CHECK(e2.arg == 222);
  CHECK(q.empty());
}

TEST_CASE("event queue never runs a cancelled event", "[unit]") {
  EventQueue q;
  Recorder h;
  std::vector<EventId> ids;
  for (std::uint64_t i = 0; i < 10; ++i) ids.push_back(q.push(static_cast<Time>(i), 0, &h, 0, i));
  // Cancel the earliest (at the heap top), one in the middle and the latest.
  for (const std::size_t i : {0, 4, 9}) {
    CHECK(q.pending(ids[i]));
    q.cancel(ids[i]);
    CHECK_FALSE(q.pending(ids[i]));
  }
  CHECK(q.size() == 7);
  CHECK(q.next_time() == 1);
  CHECK(drain_args(q) == std::vector<std::uint64_t>{1, 2, 3, 5, 6, 7, 8});
}

TEST_CASE("event queue is empty when every pending event was cancelled", "[unit]") {
  EventQueue q;
  Recorder h;
  const EventId a = q.push(1, 0, &h, 0, 1);
  const EventId b = q.push(2, 0, &h, 0, 2);
  q.cancel(b);
  q.cancel(a);
  CHECK(q.size() == 0);
  CHECK(q.empty());
}

TEST_CASE("event queue: cancelling twice, after the event ran, or with a stale id does nothing",
          "[unit]") {
  EventQueue q;
  Recorder h;
  const EventId first = q.push(1, 0, &h, 0, 1);
  q.cancel(first);
  q.cancel(first);  // twice: no double count
  CHECK(q.size() == 0);

  // The freed slot is reused: the old id must not reach the new event.
  const EventId second = q.push(2, 0, &h, 0, 2);
  CHECK(second.slot == first.slot);
  CHECK(second.generation != first.generation);
  q.cancel(first);
  CHECK(q.pending(second));
  CHECK(q.size() == 1);

  // After an event ran, its id is stale; cancelling it leaves the event now in that slot alone.
  const Event ran = q.pop();
  CHECK(ran.arg == 2);
  CHECK_FALSE(q.pending(second));
  const EventId third = q.push(3, 0, &h, 0, 3);
  q.cancel(second);
  CHECK(q.pending(third));
  CHECK(q.size() == 1);

  // Ids that never named an event.
  q.cancel(EventId{});
  q.cancel(EventId{12345, 1});
  CHECK_FALSE(q.pending(EventId{}));
  CHECK_FALSE(q.pending(EventId{12345, 1}));
  CHECK(drain_args(q) == std::vector<std::uint64_t>{3});
}

TEST_CASE("event queue allocates nothing per event in a steady-state hold loop", "[unit]") {
  // The hold model: N pending events; each step pops the earliest and schedules one later.
  // After a warm-up the heap, slot table and free list have reached their final size, so their
  // capacities must not change over a long run.
  Recorder h;
  for (const std::size_t n : {1, 100, 10000}) {
    CAPTURE(n);
    EventQueue q;
    Rng rng = Rng::stream(3, 0, "test", "hold");
    for (std::size_t i = 0; i < n; ++i) q.push(static_cast<Time>(rng.below(1000)), 0, &h, 0, i);
    auto hold = [&](std::size_t steps) {
      for (std::size_t s = 0; s < steps; ++s) {
        const Event e = q.pop();
        const Time t = e.time + 1 + static_cast<Time>(rng.below(1000));
        q.push(t, static_cast<int>(rng.below(3)), &h, 0, e.arg);
      }
    };
    hold(10 * n);
    const std::size_t warm = q.capacity();
    hold(100 * n);
    CHECK(q.capacity() == warm);
    CHECK(q.size() == n);
  }
}

TEST_CASE("event queue allocates nothing per event when timeouts are scheduled and cancelled",
          "[unit]") {
  // Each step also arms a timeout and cancels it (the pattern of a batching deadline that the
  // batch beats). Cancelled entries stay in the heap until they surface, but with a fixed
  // horizon their number is bounded, so capacities settle too.
  Recorder h;
  constexpr std::size_t kN = 1000;
  constexpr Time kStep = 10;
  EventQueue q;
  for (std::size_t i = 0; i < kN; ++i) q.push(static_cast<Time>(i) * kStep, 0, &h, 0, i);
  auto hold = [&](std::size_t steps) {
    for (std::size_t s = 0; s < steps; ++s) {
      const Event e = q.pop();
      q.push(e.time + static_cast<Time>(kN) * kStep, 0, &h, 0, e.arg);
      const EventId timeout = q.push(e.time + static_cast<Time>(kN) * kStep / 2, 1, &h, 1, 0);
      q.cancel(timeout);
    }
  };
  hold(10 * kN);
  const std::size_t warm = q.capacity();
  hold(100 * kN);
  CHECK(q.capacity() == warm);
  CHECK(q.size() == kN);
}

/// Pops every event, as (time, kind, arg).
std::vector<Recorder::Seen> drain(EventQueue& q) {
  std::vector<Recorder::Seen> out;
  while (!q.empty()) {
    const Event e = q.pop();
    out.push_back(Recorder::Seen{e.time, e.kind, e.arg});
  }
  return out;
}

TEST_CASE("event queue retime moves an event later or earlier, keeping kind and argument",
          "[unit]") {
  EventQueue q;
  Recorder h;
  const EventId a = q.push(10, 0, &h, 1, 100);
  q.push(20, 0, &h, 2, 200);
  const EventId c = q.push(30, 0, &h, 3, 300);
  // a (the heap top) from 10 to 25: after b at 20, before c at 30.
  const EventId a2 = q.retime(a, 25);
  CHECK(q.pending(a2));
  CHECK(q.size() == 3);
  CHECK(q.next_time() == 20);
  // c from 30 to 5: first; its old id is no longer pending and cancelling it does nothing.
  const EventId c2 = q.retime(c, 5);
  CHECK(q.pending(c2));
  CHECK_FALSE(q.pending(c));
  q.cancel(c);
  CHECK(q.size() == 3);
  CHECK(q.next_time() == 5);
  CHECK(drain(q) == std::vector<Recorder::Seen>{{5, 3, 300}, {20, 2, 200}, {25, 1, 100}});
  CHECK(q.size() == 0);
}

TEST_CASE("event queue retime takes a new sequence number, as cancel and push would", "[unit]") {
  EventQueue q;
  Recorder h;
  // a and b at 10: a was scheduled first, so it would run first; moved to the same time 10 it
  // counts as scheduled now, after b. c, pushed after the retime, runs after a.
  const EventId a = q.push(10, 0, &h, 0, 1);
  q.push(10, 0, &h, 0, 2);
  q.retime(a, 10);
  q.push(10, 0, &h, 0, 3);
  // d at 5 moved to 10: after c. e keeps its lower priority value: moved from 1 to 10, it runs
  // before every priority-0 event at 10.
  const EventId d = q.push(5, 0, &h, 0, 4);
  const EventId e = q.push(1, -5, &h, 0, 5);
  q.retime(d, 10);
  q.retime(e, 10);
  CHECK(drain_args(q) == std::vector<std::uint64_t>{5, 2, 1, 3, 4});
}

TEST_CASE("event queue retime: repeated moves, then cancel, leave nothing behind", "[unit]") {
  EventQueue q;
  Recorder h;
  q.push(50, 0, &h, 0, 1);
  EventId a = q.push(40, 0, &h, 0, 2);
  a = q.retime(a, 60);  // later: its heap entry still says 40
  a = q.retime(a, 70);  // later again
  a = q.retime(a, 45);  // earlier than the true key (70), later than the heap entry (40)
  a = q.retime(a, 80);
  CHECK(q.size() == 2);
  CHECK(q.next_time() == 50);
  const Event first = q.pop();
  CHECK(first.arg == 1);
  CHECK(q.next_time() == 80);  // the entries at 40 and 45 are gone or moved to 80
  q.cancel(a);
  CHECK_FALSE(q.pending(a));
  CHECK(q.size() == 0);
  CHECK(q.empty());
}

TEST_CASE("event queue retime runs exactly as cancel and push in a random schedule", "[unit]") {
  // Two queues get the same random operations; one moves events with retime, the other cancels
  // and pushes again. Every event must come out of both at the same time, in the same order.
  Recorder h;
  EventQueue moved, pushed;
  Rng rng = Rng::stream(11, 0, "test", "retime");
  std::vector<EventId> ids_m, ids_p;
  std::vector<int> prio_of;
  std::vector<std::uint64_t> arg_of;
  std::vector<Time> time_of;
  Time now = 0;
  std::uint64_t next_arg = 0;
  std::size_t later = 0, earlier = 0;
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t op = rng.below(10);
    if (op < 3 || ids_m.empty()) {  // schedule, times coarse so that ties are common
      const Time t = now + static_cast<Time>(rng.below(20));
      const int prio = static_cast<int>(rng.below(3)) - 1;
      ids_m.push_back(moved.push(t, prio, &h, 0, next_arg));
      ids_p.push_back(pushed.push(t, prio, &h, 0, next_arg));
      prio_of.push_back(prio);
      arg_of.push_back(next_arg);
      time_of.push_back(t);
      ++next_arg;
    } else if (op < 8) {  // move a pending event, earlier or later
      const std::size_t i = rng.below(ids_m.size());
      if (!moved.pending(ids_m[i])) continue;
      const Time t = now + static_cast<Time>(rng.below(20));
      ids_m[i] = moved.retime(ids_m[i], t);
      // The twin: cancelled and scheduled again with the same argument and priority.
      pushed.cancel(ids_p[i]);
      ids_p[i] = pushed.push(t, prio_of[i], &h, 0, arg_of[i]);
      ++(t >= time_of[i] ? later : earlier);
      time_of[i] = t;
    } else {  // run the next event in both
      REQUIRE(moved.empty() == pushed.empty());
      if (moved.empty()) continue;
      const Event a = moved.pop();
      const Event b = pushed.pop();
      REQUIRE(a.time == b.time);
      REQUIRE(a.arg == b.arg);
      now = a.time;
    }
    REQUIRE(moved.size() == pushed.size());
  }
  // Both kinds of move were exercised (this seed gives 2,078 later and 1,298 earlier).
  CAPTURE(later, earlier);
  CHECK(later > 1000);
  CHECK(earlier > 1000);
  while (!moved.empty()) {
    REQUIRE_FALSE(pushed.empty());
    const Event a = moved.pop();
    const Event b = pushed.pop();
    REQUIRE(a.time == b.time);
    REQUIRE(a.arg == b.arg);
  }
  CHECK(pushed.empty());
}

TEST_CASE("event queue allocates nothing per event when events are retimed", "[unit]") {
  // A hold loop in which each step also moves one pending event later and another earlier:
  // later moves touch only the slot, earlier ones leave a stale heap entry that is dropped
  // when it surfaces, so capacities settle.
  Recorder h;
  constexpr std::size_t kN = 1000;
  EventQueue q;
  Rng rng = Rng::stream(5, 0, "test", "retime-hold");
  std::vector<EventId> ids(kN);
  for (std::size_t i = 0; i < kN; ++i)
    ids[i] = q.push(static_cast<Time>(rng.below(1000)), 0, &h, 0, i);
  auto hold = [&](std::size_t steps) {
    for (std::size_t s = 0; s < steps; ++s) {
      const Event e = q.pop();
      ids[e.arg] = q.push(e.time + 1 + static_cast<Time>(rng.below(1000)), 0, &h, 0, e.arg);
      const std::size_t later = rng.below(kN);
      ids[later] = q.retime(ids[later], e.time + 1000 + static_cast<Time>(rng.below(1000)));
      const std::size_t earlier = rng.below(kN);
      ids[earlier] = q.retime(ids[earlier], e.time + static_cast<Time>(rng.below(1000)));
    }
  };
  hold(10 * kN);
  const std::size_t warm = q.capacity();
  hold(100 * kN);
  CHECK(q.capacity() == warm);
  CHECK(q.size() == kN);
}

/// Schedules a follow-up event `gap` later each time it runs, `count` times in all.
class Ticker final : public EventHandler {
 public:
  Ticker(Simulator& sim, Time gap) : sim_(sim), gap_(gap) {}
  void on_event(std::uint32_t, std::uint64_t arg) override {
    times.push_back(sim_.now());
    if (arg == stop_at) sim_.stop();
    sim_.schedule_in(gap_, *this, 0, arg + 1);
  }
  std::vector<Time> times;
  std::uint64_t stop_at = ~std::uint64_t{0};

 private:
  Simulator& sim_;
  Time gap_;
};

TEST_CASE("simulator run_until runs events up to and including the end time, then reads end",
          "[unit]") {
  Simulator sim;
  Ticker t(sim, 10);
  sim.schedule_at(0, t, 0, 0);
  sim.run_until(30);
  CHECK(t.times == std::vector<Time>{0, 10, 20, 30});
  CHECK(sim.now() == 30);
  CHECK(sim.events_processed() == 4);
  CHECK(sim.pending_events() == 1);  // the tick at 40

  sim.run_until(35);  // nothing due: the clock still advances to the end
  CHECK(t.times.size() == 4);
  CHECK(sim.now() == 35);

  sim.run_until(50);  // continues where it left off
  CHECK(t.times == std::vector<Time>{0, 10, 20, 30, 40, 50});
  CHECK(sim.now() == 50);
}

TEST_CASE("simulator stop ends run_until after the current event, with the clock at its time",
          "[unit]") {
  Simulator sim;
  Ticker t(sim, 10);
  t.stop_at = 2;
  sim.schedule_at(0, t, 0, 0);
  sim.run_until(1000);
  CHECK(sim.stopped());
  CHECK(t.times == std::vector<Time>{0, 10, 20});
  CHECK(sim.now() == 20);
  CHECK(sim.pending_events() == 1);

  // A later run_until clears the stop and resumes.
  sim.run_until(40);
  CHECK_FALSE(sim.stopped());
  CHECK(t.times == std::vector<Time>{0, 10, 20, 30, 40});
  CHECK(sim.now() == 40);
}

TEST_CASE("simulator passes kind and argument and orders same-time events by priority", "[unit]") {
  Simulator sim;
  Recorder r(&sim);
  sim.schedule_at(5, r, 1, 10, 0);
  sim.schedule_at(5, r, 2, 20, -1);
  sim.schedule_in(3, r, 3, 30);
  sim.run_until(5);
  CHECK(r.seen == std::vector<Recorder::Seen>{{3, 3, 30}, {5, 2, 20}, {5, 1, 10}});
}

TEST_CASE("simulator cancel removes a scheduled event", "[unit]") {
  Simulator sim;
  Recorder r(&sim);
  const EventId a = sim.schedule_at(1, r, 1);
  sim.schedule_at(2, r, 2);
  CHECK(sim.pending(a));
  sim.cancel(a);
  CHECK_FALSE(sim.pending(a));
  sim.run_until(10);
  CHECK(r.seen == std::vector<Recorder::Seen>{{2, 2, 0}});
}

TEST_CASE("simulator retime_in moves a pending event relative to now, saturating", "[unit]") {
  Simulator sim;
  Recorder r(&sim);
  sim.schedule_at(100, r, 1);
  const EventId b = sim.schedule_at(150, r, 2, 7);
  const EventId c = sim.schedule_at(160, r, 3);
  sim.run_until(100);
  const EventId b2 = sim.retime_in(b, 30);  // 150 -> 130
  sim.retime_in(c, kTimeMax);               // 160 -> the end of time, not an overflow
  CHECK(sim.pending(b2));
  CHECK(sim.queue().next_time() == 130);
  sim.run_until(kTimeMax - 1);
  CHECK(r.seen == std::vector<Recorder::Seen>{{100, 1, 0}, {130, 2, 7}});
  CHECK(sim.queue().next_time() == kTimeMax);
}

TEST_CASE("simulator schedule_in saturates at the end of time instead of overflowing", "[unit]") {
  Simulator sim;
  Recorder r(&sim);
  sim.schedule_at(100, r, 1);
  sim.run_until(100);
  sim.schedule_in(kTimeMax, r, 2);
  CHECK(sim.queue().next_time() == kTimeMax);
}

}  // namespace
}  // namespace servesim
