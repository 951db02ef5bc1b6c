#pragma once
/// The simulator loop: a clock and an event queue. One per replication; no global state.

#include <cassert>
#include <cstdint>

#include "sim/core/event_queue.h"
#include "sim/core/time.h"

namespace servesim {

class Simulator {
 public:
  Time now() const { return now_; }

  EventId schedule_at(Time t, EventHandler& h, std::uint32_t kind, std::uint64_t arg = 0,
                      int priority = 0) {
    assert(t >= now_);
    return queue_.push(t, priority, &h, kind, arg);
  }
  EventId schedule_in(Time delay, EventHandler& h, std::uint32_t kind, std::uint64_t arg = 0,
                      int priority = 0) {
    assert(delay >= 0);
    const Time t = delay > kTimeMax - now_ ? kTimeMax : now_ + delay;
    return queue_.push(t, priority, &h, kind, arg);
  }
  /// Moves the pending event `id` to `delay` from now (saturating like schedule_in), exactly as
  /// cancel(id) and schedule_in() of the same event would; returns its id from now on.
  EventId retime_in(EventId id, Time delay) {
    assert(delay >= 0);
    const Time t = delay > kTimeMax - now_ ? kTimeMax : now_ + delay;
    return queue_.retime(id, t);
  }
  void cancel(EventId id) { queue_.cancel(id); }
  bool pending(EventId id) const { return queue_.pending(id); }

  /// Runs events with time <= end (or until stop()); the clock then reads `end`
  /// (or the time of the event that called stop()).
  void run_until(Time end) {
    stopped_ = false;
    Event e{};
    while (!stopped_ && queue_.pop_due(end, e)) {
      now_ = e.time;
      ++events_;
      e.handler->on_event(e.kind, e.arg);
    }
    if (!stopped_ && end > now_) now_ = end;
  }
  void stop() { stopped_ = true; }
  bool stopped() const { return stopped_; }

  std::uint64_t events_processed() const { return events_; }
  std::size_t pending_events() const { return queue_.size(); }
  EventQueue& queue() { return queue_; }

 private:
  EventQueue queue_;
  Time now_ = 0;
  std::uint64_t events_ = 0;
  bool stopped_ = false;
};

}  // namespace servesim
