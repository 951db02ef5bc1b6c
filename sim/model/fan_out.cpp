#include "sim/model/fan_out.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace servesim {

namespace {

/// Children of one request: fixed, Poisson (by inversion of its CDF) or empirical.
std::uint32_t draw_count(const FanoutCount& c, Rng& rng) {
  switch (c.kind) {
    case FanoutCount::Kind::kFixed:
      return static_cast<std::uint32_t>(c.mean);
    case FanoutCount::Kind::kPoisson: {
      const double u = rng.uniform01();
      double p = std::exp(-c.mean), cdf = p;
      std::uint32_t k = 0;
      while (u > cdf && p > 0) {
        ++k;
        p *= c.mean / k;
        cdf += p;
      }
      return k;
    }
    case FanoutCount::Kind::kEmpirical: {
      const double u = rng.uniform01();
      const auto it = std::upper_bound(c.cum_weights.begin(), c.cum_weights.end() - 1, u);
      return c.values[static_cast<std::size_t>(it - c.cum_weights.begin())];
    }
  }
  return 0;
}

}  // namespace

FanOut::FanOut(const FanOutSetup& on, const FanoutParams& p, Rng draw, Rng broker_rng)
    : on_(on),
      p_(p),
      draw_(draw),
      broker_(make_broker(BrokerSetup{on.sim, on.requests, on.cpu, *this}, p.broker, broker_rng)) {}

RequestId FanOut::spawn(RequestId parent) {
  RequestPool& pool = on_.requests;
  const std::uint32_t k = draw_count(p_.count, draw_);
  pool[parent].children = k;
  const Time now = on_.sim.now();
  RequestId first = kNoRequest, prev = kNoRequest;
  for (std::uint32_t s = 0; s < k; ++s) {
    const RequestId c = pool.acquire();  // may move the pool: no reference is held across
    Request& r = pool[c];
    r.arrival = now;
    r.stage_enter = now;
    r.stage = on_.stage;
    r.client = pool[parent].client;
    r.node = pool[parent].node;
    r.width = p_.width;
    r.height = p_.height;
    r.pixels = static_cast<double>(p_.width) * p_.height;
    r.bytes = p_.bytes;
    r.parent = parent;
    r.seq = s;
    r.holder = pool[parent].holder;
    if (prev == kNoRequest) {
      first = c;
    } else {
      pool[prev].next_sibling = c;
    }
    prev = c;
  }
  live_ += k;
  emitted_ += k;
  return first;
}

bool FanOut::publish(RequestId parent) {
  const RequestId first = spawn(parent);
  if (first == kNoRequest) return false;  // k = 0: done after the fan-out stage
  in_broker_.add(on_.sim.now(), on_.requests[parent].children);
  broker_->publish(first);
  return true;
}

bool FanOut::holds_worker() const {
  return !broker_ || (p_.broker.kind == BrokerKind::kRedis && p_.broker.redis.client.wait_replies);
}

void FanOut::hold(std::span<const RequestId> batch, std::uint32_t instance) {
  if (held_.size() <= instance) held_.resize(instance + 1, 0);
  if (broker_) {
    // A producer that waits: every parent is published now, the worker waits for the replies.
    std::uint32_t waiting = 0;
    for (const RequestId id : batch) {
      on_.requests[id].holder = instance;
      waiting += publish(id) ? 1 : 0;
    }
    held_[instance] = waiting;
    if (waiting == 0) on_.emitter.release(instance);
    return;
  }
  // The worker holds every child of its batch at once (the crops of all its frames), so they
  // enter the first child stage together: its batcher cuts them into batches of up to its
  // max_batch_size, as the process's own inference calls would.
  scratch_.clear();
  for (const RequestId id : batch) {
    on_.requests[id].holder = instance;
    for (RequestId c = spawn(id); c != kNoRequest;) {
      scratch_.push_back(c);
      c = std::exchange(on_.requests[c].next_sibling, kNoRequest);
    }
  }
  held_[instance] = static_cast<std::uint32_t>(scratch_.size());
  if (scratch_.empty()) {
    on_.emitter.release(instance);
  } else {
    on_.first_child.accept_batch(scratch_);
  }
}

bool FanOut::child_done(const Request& child) {
  --live_;
  ++completed_;
  const bool parent_done = --on_.requests[child.parent].children == 0;
  if (!broker_ && --held_[child.holder] == 0)  // fused: the worker's last child is done
    on_.emitter.release(child.holder);
  return parent_done;
}

void FanOut::replied(std::uint32_t holder) {
  if (holds_worker() && --held_[holder] == 0) on_.emitter.release(holder);
}

void FanOut::deliver(std::span<const RequestId> children) {
  const Time now = on_.sim.now();
  in_broker_.add(now, -static_cast<double>(children.size()));
  for (const RequestId id : children) {
    const Request& r = on_.requests[id];
    if (!observer_) break;
    // Its time in the broker: its own operations (compute), the network (input), and waiting
    // (linger, batching, for a fetch, behind other operations).
    const Time total = now - r.arrival;
    const Time compute = std::min(total, r.broker_work);
    const Time input = std::min(total - compute, broker_->network());
    observer_->stage_done(on_.broker_station,
                          StageSpan{total - compute - input, input, 0, compute, 0});
  }
  if (children.size() == 1) {
    on_.first_child.accept(children.front());
  } else {
    on_.first_child.accept_batch(children);
  }
}

}  // namespace servesim
