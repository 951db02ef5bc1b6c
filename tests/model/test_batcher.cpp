// Triton's dynamic batcher, one documented rule per test. Sources:
//   [batcher.md]
//   https://github.com/triton-inference-server/server/blob/main/docs/user_guide/batcher.md [proto]
//   https://github.com/triton-inference-server/common/blob/main/protobuf/model_config.proto
//   [scheduler.cc]
//   https://github.com/triton-inference-server/core/blob/main/src/dynamic_batch_scheduler.cc
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "sim/core/time.h"
#include "sim/model/batcher.h"

namespace servesim {
namespace {

using Ids = std::vector<std::uint32_t>;
using Action = BatchingParams::TimeoutAction;

BatchingParams params(int max_batch, std::vector<int> preferred, Time delay) {
  BatchingParams p;
  p.max_batch_size = max_batch;
  p.preferred_batch_sizes = std::move(preferred);
  p.max_queue_delay = delay;
  return p;
}

/// The batcher with the owner's scratch vectors; `wake` is the last poll's answer.
struct Driver {
  explicit Driver(const BatchingParams& p) : b(p) {}
  Ids poll(Time now, bool instance_free = true) {
    wake = b.poll(now, instance_free, batch, rejected);
    return batch;
  }
  void enqueue_busy(std::uint32_t first, std::uint32_t count, Time now) {
    for (std::uint32_t id = first; id < first + count; ++id) REQUIRE(b.enqueue(id, now));
  }
  DynamicBatcher b;
  Ids batch, rejected;
  Time wake = 0;
};

}  // namespace

// [batcher.md] Delayed Batching: "If a new request arrives during this delay and allows the
// dynamic batcher to form a batch of a maximum or preferred batch size, then that batch is sent
// immediately for inferencing."
TEST_CASE("a batch of max_batch_size is dispatched at once, without waiting out the delay",
          "[unit]") {
  Driver d(params(4, {}, us(1000)));
  for (std::uint32_t id = 0; id < 3; ++id) {
    REQUIRE(d.b.enqueue(id, us(id)));
    CHECK(d.poll(us(id)).empty());
    CHECK(d.wake == us(1000));  // the oldest request's delay ends at 0 + 1000us
  }
  REQUIRE(d.b.enqueue(3, us(3)));
  CHECK(d.poll(us(3)) == Ids{0, 1, 2, 3});
  CHECK(d.wake == kTimeMax);
  CHECK(d.b.queued() == 0);
}

// [batcher.md] Preferred Batch Sizes: "If the dynamic batcher can form a batch of a preferred
// size(s) it will create a batch of the largest possible preferred size and send it for
// inferencing." [proto] preferred_batch_size: "If a batch of one of these sizes can be formed it
// will be executed immediately."
TEST_CASE("the largest preferred batch size the queue can fill is dispatched without delay",
          "[unit]") {
  Driver d(params(16, {8, 4}, us(1000)));
  d.enqueue_busy(0, 5, us(10));
  CHECK(d.poll(us(10), false).empty());
  CHECK(d.poll(us(10)) == Ids{0, 1, 2, 3});  // 4 of 5: the 5th would not make a preferred size
  CHECK(d.poll(us(10)).empty());             // 1 left: below every preferred size, so it waits
  CHECK(d.wake == us(1010));
  d.enqueue_busy(5, 9, us(20));  // 10 queued: 8 is the largest preferred size that fits
  CHECK(d.poll(us(20)) == Ids{4, 5, 6, 7, 8, 9, 10, 11});
}

// [batcher.md] Delayed Batching: "the dynamic batcher will delay sending the batch as long as no
// request is delayed longer than the configured max_queue_delay_microseconds value. [...] If the
// delay expires the dynamic batcher sends the batch as is, even though it is not a maximum or
// preferred size."
TEST_CASE("when the oldest request has waited max_queue_delay the batch is sent as is", "[unit]") {
  Driver d(params(8, {}, us(100)));
  for (std::uint32_t id = 0; id < 3; ++id) {
    REQUIRE(d.b.enqueue(id, us(10 * id)));
    CHECK(d.poll(us(10 * id)).empty());
    CHECK(d.wake == us(100));  // oldest enqueue (0) + max_queue_delay
  }
  CHECK(d.poll(us(100) - 1).empty());
  CHECK(d.poll(us(100)) == Ids{0, 1, 2});
}

// [scheduler.cc] GetDynamicBatch: a preferred size is taken only while the delay is not exceeded;
// once it is, "execute whatever is pending" (the candidates up to max_batch_size).
TEST_CASE("after max_queue_delay the batch is not cut back to a preferred size", "[unit]") {
  for (const Time instance_free_at : {us(50), us(150)}) {
    Driver d(params(8, {4}, us(100)));
    d.enqueue_busy(0, 6, 0);
    CHECK(d.poll(0, false).empty());
    const Ids got = d.poll(instance_free_at);
    CHECK(got.size() == (instance_free_at < us(100) ? 4u : 6u));
  }
}

// [batcher.md] Recommended Configuration Process: "By default the dynamic batcher will create
// batches as large as possible up to the maximum batch size and will not delay when forming
// batches." ([proto] max_queue_delay_microseconds: "Default is 0.")
TEST_CASE("with no max_queue_delay whatever is queued goes as soon as an instance is free",
          "[unit]") {
  Driver d(params(8, {}, 0));
  REQUIRE(d.b.enqueue(0, 0));
  CHECK(d.poll(0) == Ids{0});
  d.enqueue_busy(1, 3, us(5));
  CHECK(d.poll(us(5), false).empty());
  CHECK(d.wake == kTimeMax);
  CHECK(d.poll(us(7)) == Ids{1, 2, 3});
}

// [batcher.md] Preferred Batch Sizes (largest preferred size first), then, with no delay to
// wait, "a batch of the largest size possible" for the rest ([scheduler.cc]: delay 0 sends the
// pending batch at once).
TEST_CASE("with no delay and preferred sizes, the largest preferred size goes first", "[unit]") {
  Driver d(params(16, {4, 8}, 0));
  d.enqueue_busy(0, 11, 0);
  CHECK(d.poll(0).size() == 8);
  CHECK(d.poll(0) == Ids{8, 9, 10});
}

// [batcher.md] "When a model instance becomes available for inferencing, the dynamic batcher
// will attempt to create batches from the requests that are available in the scheduler."
TEST_CASE("no batch is formed while no model instance is free, even a full one", "[unit]") {
  Driver d(params(4, {}, us(100)));
  d.enqueue_busy(0, 6, 0);
  CHECK(d.poll(us(500), false).empty());
  CHECK(d.wake == kTimeMax);
  CHECK(d.poll(us(600)) == Ids{0, 1, 2, 3});
}

// [proto] max_queue_size: "A request will be rejected immediately if it can't be enqueued
// because the queue is full. The default value is 0 which indicates that no maximum queue size is
// enforced."
TEST_CASE("an arrival to a full queue is rejected at once and never queued", "[unit]") {
  BatchingParams p = params(1, {}, 0);
  p.max_queue_size = 2;
  Driver d(p);
  CHECK(d.b.enqueue(0, 0));
  CHECK(d.b.enqueue(1, 0));
  CHECK_FALSE(d.b.enqueue(2, 0));
  CHECK(d.b.queued() == 2);
  CHECK(d.poll(us(1)) == Ids{0});
  CHECK(d.b.enqueue(3, us(1)));
  CHECK(d.poll(us(2)) == Ids{1});
  CHECK(d.poll(us(3)) == Ids{3});

  Driver unbounded(params(1, {}, 0));
  unbounded.enqueue_busy(0, 10'000, 0);
}

// [batcher.md] Queue Policy: requests are "rejected or deferred if their time in the queue
// exceeds a specified timeout". [proto] REJECT: "Reject the request and return error message
// accordingly."
TEST_CASE("timeout REJECT removes a request once its time in the queue exceeds the timeout",
          "[unit]") {
  BatchingParams p = params(4, {}, 0);
  p.timeout = us(100);
  Driver d(p);
  REQUIRE(d.b.enqueue(0, 0));
  REQUIRE(d.b.enqueue(1, us(50)));
  CHECK(d.poll(0, false).empty());
  CHECK(d.wake == us(100) + 1);  // "exceeds": at exactly 100us it is still queued
  d.poll(us(100), false);
  CHECK(d.rejected.empty());
  d.poll(us(100) + 1, false);
  CHECK(d.rejected == Ids{0});
  CHECK(d.wake == us(150) + 1);
  CHECK(d.poll(us(120)) == Ids{1});
  CHECK(d.rejected.empty());

  SECTION("also while an instance waits out max_queue_delay") {
    BatchingParams q = params(4, {}, us(200));
    q.timeout = us(100);
    Driver e(q);
    REQUIRE(e.b.enqueue(7, 0));
    CHECK(e.poll(0).empty());
    CHECK(e.wake == us(100) + 1);  // the timeout comes before the end of the delay
    CHECK(e.poll(e.wake).empty());
    CHECK(e.rejected == Ids{7});
    CHECK(e.wake == kTimeMax);
  }
}

// [proto] DELAY: "Delay the request until all other requests at the same (or higher) priority
// levels that have not reached their timeouts are processed. A delayed request will eventually be
// processed, but may be delayed indefinitely due to newly arriving requests."
TEST_CASE("timeout DELAY moves a timed-out request behind every request that has not timed out",
          "[unit]") {
  BatchingParams p = params(2, {}, 0);
  p.timeout = us(100);
  p.timeout_action = Action::kDelay;
  Driver d(p);
  REQUIRE(d.b.enqueue(0, 0));
  REQUIRE(d.b.enqueue(1, us(50)));
  REQUIRE(d.b.enqueue(2, us(150)));
  CHECK(d.poll(us(150), false).empty());
  CHECK(d.wake == kTimeMax);  // delaying needs no wake-up: it only reorders
  // At 160us requests 0 and 1 have timed out; 2 has not, so it goes first.
  CHECK(d.poll(us(160)) == Ids{2, 0});
  CHECK(d.rejected.empty());
  REQUIRE(d.b.enqueue(3, us(170)));  // a newer arrival overtakes the delayed request 1
  CHECK(d.poll(us(170)) == Ids{3, 1});
  CHECK(d.b.queued() == 0);
}

// [batcher.md] Preferred Batch Sizes: "Requests are added to the batch in the order the requests
// were received."
TEST_CASE("with more than max_batch_size queued the first max_batch_size in arrival order go",
          "[unit]") {
  Driver d(params(4, {}, 0));
  d.enqueue_busy(0, 10, 0);
  CHECK(d.poll(us(1)) == Ids{0, 1, 2, 3});
  CHECK(d.poll(us(1)) == Ids{4, 5, 6, 7});
  CHECK(d.poll(us(1)) == Ids{8, 9});
  CHECK(d.poll(us(1)).empty());
}

// [proto] max_batch_size bounds every batch; under every policy a request leaves exactly once
// (dispatched, timed out, or refused at a full queue), and without DELAY in arrival order.
TEST_CASE("a batch never exceeds max_batch_size and every request leaves exactly once", "[unit]") {
  struct Config {
    int max_batch;
    std::vector<int> preferred;
    Time delay, timeout;
    Action action;
    std::uint64_t max_queue;
  };
  const std::vector<Config> configs = {
      {1, {}, 0, 0, Action::kReject, 0},
      {3, {}, us(50), 0, Action::kReject, 0},
      {8, {2, 4}, us(50), us(120), Action::kReject, 0},
      {8, {4}, 0, us(120), Action::kDelay, 5},
      {8, {}, us(200), us(120), Action::kDelay, 0},
      {4, {1, 3}, us(30), us(90), Action::kReject, 6},
  };
  const Time service = us(200);
  const std::uint32_t n = 500;
  for (std::size_t c = 0; c < configs.size(); ++c) {
    const Config& cfg = configs[c];
    INFO("config " << c);
    BatchingParams p = params(cfg.max_batch, cfg.preferred, cfg.delay);
    p.timeout = cfg.timeout;
    p.timeout_action = cfg.action;
    p.max_queue_size = cfg.max_queue;
    Driver d(p);
    std::uint64_t lcg = 12345 + c;
    auto gap = [&lcg] {
      lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
      return us(static_cast<std::int64_t>((lcg >> 33) % 30));  // 0..29us, ties included
    };
    std::vector<int> left(n, 0);
    std::vector<Time> busy_until(2, 0);
    std::uint32_t next_id = 0;
    std::int64_t last_dispatched = -1;
    Time now = 0, next_arrival = 0, wake = kTimeMax;
    auto leave = [&](const Ids& ids) {
      for (const std::uint32_t id : ids) ++left[id];
    };
    for (;;) {
      Time t = std::min(wake, next_id < n ? next_arrival : kTimeMax);
      for (const Time b : busy_until) {
        if (b > now) t = std::min(t, b);
      }
      if (t == kTimeMax) break;
      now = t;
      if (next_id < n && next_arrival == now) {
        if (!d.b.enqueue(next_id, now)) ++left[next_id];
        ++next_id;
        next_arrival = now + gap();
      }
      bool polled_free = false;
      for (Time& b : busy_until) {
        if (b > now) continue;
        polled_free = true;
        wake = d.b.poll(now, true, d.batch, d.rejected);
        leave(d.rejected);
        if (d.batch.empty()) break;
        CHECK(d.batch.size() <= static_cast<std::size_t>(cfg.max_batch));
        leave(d.batch);
        if (cfg.action == Action::kReject) {
          for (const std::uint32_t id : d.batch) {
            CHECK(static_cast<std::int64_t>(id) > last_dispatched);
            last_dispatched = id;
          }
        }
        b = now + service;
      }
      if (!polled_free) {
        wake = d.b.poll(now, false, d.batch, d.rejected);
        CHECK(d.batch.empty());
        leave(d.rejected);
      }
      REQUIRE(wake > now);
    }
    CHECK(d.b.queued() == 0);
    for (std::uint32_t id = 0; id < n; ++id) CHECK(left[id] == 1);
  }
}

}  // namespace servesim
