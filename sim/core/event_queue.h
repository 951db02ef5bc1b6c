#pragma once
/// Pending-event set ordered by (time, priority, sequence), with O(1) cancellation and an
/// in-place "retime" (cancel and push again, without the churn).

#include <cassert>
#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

/// Something that receives events. Model objects implement this once; `kind` and `arg`
/// say what happened (e.g. "arrival", client 12), so no closure is stored per event.
class EventHandler {
 public:
  virtual void on_event(std::uint32_t kind, std::uint64_t arg) = 0;

 protected:
  ~EventHandler() = default;
};

/// Identifies a scheduled event so that it can be cancelled. Stale ids are harmless.
struct EventId {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;  // 0 never names a live event
  bool valid() const { return generation != 0; }
};

struct Event {
  Time time;
  EventHandler* handler;
  std::uint32_t kind;
  std::uint64_t arg;
};

/// A binary min-heap of small keys plus a slot table holding each event's payload.
/// Cancellation bumps the slot's generation; the heap entry is skipped when it surfaces.
/// The slot also holds the event's true key: a retimed event whose heap entry is earlier than it
/// (postponed) is moved down to its true key when that entry surfaces.
/// Both vectors reach a steady size, after which scheduling allocates nothing.
class EventQueue {
 public:
  /// Same-time events run in ascending priority, then in the order they were scheduled.
  /// This is the only ordering definition in servesim.
  EventId push(Time t, int priority, EventHandler* h, std::uint32_t kind, std::uint64_t arg) {
    assert(priority >= -128 && priority <= 127);
    std::uint32_t slot;
    if (!free_.empty()) {
      slot = free_.back();
      free_.pop_back();
    } else {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.push_back(Slot{});
    }
    Slot& s = slots_[slot];
    s.handler = h;
    s.kind = kind;
    s.arg = arg;
    s.time = t;
    const std::uint64_t order =
        (static_cast<std::uint64_t>(priority + 128) << 56) | (seq_++ & kSeqMask);
    s.order = order;
    const Entry e{t, order, slot, s.generation};
    heap_.push_back(e);
    sift_up(heap_.size() - 1, e);
    ++live_;
    return EventId{slot, s.generation};
  }

  /// Cancels a pending event; does nothing if it already ran or was cancelled.
  void cancel(EventId id) {
    if (!id.valid() || id.slot >= slots_.size()) return;
    Slot& s = slots_[id.slot];
    if (s.generation != id.generation) return;
    retire(id.slot);
    --live_;
  }

  /// Moves the pending event `id` to time `t`, keeping its priority, handler, kind and argument.
  /// Runs exactly as cancel(id) followed by push() of the same event at `t` would (it takes the
  /// next scheduling sequence number, so among same-time, same-priority events it runs after
  /// those scheduled before this call), but reuses the slot, and a later `t` leaves the heap
  /// untouched until the old entry surfaces. Returns the event's id from now on (`id` may
  /// become stale); requires pending(id).
  EventId retime(EventId id, Time t) {
    assert(pending(id));
    Slot& s = slots_[id.slot];
    const std::uint64_t order = (s.order & ~kSeqMask) | (seq_++ & kSeqMask);
    if (t >= s.time) {
      // The true key only grows (same priority, later sequence): the heap entry, at or before
      // the old true key, still surfaces before the new one; drop_stale() moves it down then.
      s.time = t;
      s.order = order;
      return id;
    }
    // Earlier: a new heap entry under a new generation; the old entry is stale.
    if (++s.generation == 0) s.generation = 1;
    s.time = t;
    s.order = order;
    const Entry e{t, order, id.slot, s.generation};
    heap_.push_back(e);
    sift_up(heap_.size() - 1, e);
    return EventId{id.slot, s.generation};
  }

  bool pending(EventId id) const {
    return id.valid() && id.slot < slots_.size() && slots_[id.slot].generation == id.generation;
  }

  bool empty() {
    drop_stale();
    return heap_.empty();
  }
  std::size_t size() const { return live_; }

  /// Time of the next live event; requires !empty().
  Time next_time() {
    drop_stale();
    return heap_.front().time;
  }

  /// Removes the next live event into `out` if it is due by `end`; false (and nothing
  /// removed) otherwise. One sweep over stale entries per event, for the simulator loop.
  bool pop_due(Time end, Event& out) {
    drop_stale();
    if (heap_.empty() || heap_.front().time > end) return false;
    const Entry top = heap_.front();
    remove_top();
    const Slot& s = slots_[top.slot];
    out = Event{top.time, s.handler, s.kind, s.arg};
    retire(top.slot);
    --live_;
    return true;
  }

  /// Removes and returns the next live event; requires !empty().
  Event pop() {
    Event e{};
    [[maybe_unused]] const bool popped = pop_due(kTimeMax, e);
    assert(popped);
    return e;
  }

  /// Heap, slot-table and free-list capacities together. Vectors never shrink, so a value that
  /// stays flat while events are scheduled proves that scheduling no longer allocates.
  std::size_t capacity() const { return heap_.capacity() + slots_.capacity() + free_.capacity(); }

  void reserve(std::size_t n) {
    heap_.reserve(n);
    slots_.reserve(n);
    free_.reserve(n);
  }

 private:
  static constexpr std::uint64_t kSeqMask = (std::uint64_t{1} << 56) - 1;

  struct Entry {
    Time time;
    std::uint64_t order;  // priority in the top 8 bits, insertion sequence below
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct Slot {
    EventHandler* handler = nullptr;
    std::uint64_t arg = 0;
    Time time = 0;            // the event's key: its live heap entry's key is this or earlier
    std::uint64_t order = 0;  // (earlier only after a retime to a later time)
    std::uint32_t kind = 0;
    std::uint32_t generation = 1;
  };

  static bool before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.order < b.order);
  }

  void retire(std::uint32_t slot) {
    Slot& s = slots_[slot];
    if (++s.generation == 0) s.generation = 1;
    free_.push_back(slot);
  }

  /// Drops cancelled entries from the top, and moves a postponed event's entry to its true key,
  /// until the top entry is live and current.
  void drop_stale() {
    while (!heap_.empty()) {
      Entry& top = heap_.front();
      const Slot& s = slots_[top.slot];
      if (s.generation == top.generation && s.order == top.order) [[likely]]
        return;
      if (s.generation != top.generation) {
        remove_top();
      } else {  // retimed later (orders are unique): move it down to its true key
        sift_down(0, Entry{s.time, s.order, top.slot, top.generation});
      }
    }
  }

  void remove_top() {
    // The next top is one of the root's children: fetch their slots while sifting, so the
    // generation check in drop_stale() does not stall on a cache miss in a large queue.
    if (heap_.size() > 2) {
      __builtin_prefetch(&slots_[heap_[1].slot]);
      __builtin_prefetch(&slots_[heap_[2].slot]);
    }
    const Entry last = heap_.back();
    heap_.pop_back();
    if (!heap_.empty()) sift_down(0, last);
  }

  // The entry to place comes by value, not read back from the heap: a load of an entry that was
  // just stored in parts stalls on store-to-load forwarding.
  void sift_up(std::size_t i, const Entry e) {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }

  void sift_down(std::size_t i, const Entry e) {
    const std::size_t n = heap_.size();
    for (;;) {
      std::size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && before(heap_[child + 1], heap_[child])) ++child;
      if (!before(heap_[child], e)) break;
      heap_[i] = heap_[child];
      i = child;
    }
    heap_[i] = e;
  }

  std::vector<Entry> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace servesim
