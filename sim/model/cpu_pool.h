#pragma once
/// A pool of CPU cores shared by work items: each runs at full speed while there are at most
/// `cores` of them, and at speed * cores / n (egalitarian processor sharing) when n > cores.

#include <cstdint>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/core/time_average.h"

namespace servesim {

/// Whoever submitted work to a resource hears back here when it is done.
class WorkOwner {
 public:
  virtual void work_done(std::uint64_t token) = 0;

 protected:
  ~WorkOwner() = default;
};

class CpuPool final : public EventHandler {
 public:
  CpuPool(Simulator& sim, int cores, double speed);

  /// Starts `work` nanoseconds of work (at speed 1); calls owner.work_done(token) when it ends.
  void submit(Time work, WorkOwner& owner, std::uint64_t token);

  int cores() const { return cores_; }
  std::size_t active() const { return items_.size(); }
  /// Integral of busy cores (min(n, cores)) over time, in core-nanoseconds.
  double busy_area(Time now) const { return busy_.area(now); }

  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  // Every active item progresses at the same rate, so one "virtual work" clock serves all:
  // an item finishes when virtual_ reaches its finish mark. Only the earliest mark needs an event.
  struct Item {
    double finish;        // virtual work at which it completes (ns at speed 1)
    std::uint64_t order;  // submission order: the tie-break between equal marks
    WorkOwner* owner;
    std::uint64_t token;
  };
  struct Later {  // a function object, so the heap algorithms inline the comparison
    bool operator()(const Item& a, const Item& b) const {
      return a.finish > b.finish || (a.finish == b.finish && a.order > b.order);
    }
  };
  double rate() const;  // virtual work per ns for each item
  void advance();
  void reschedule();

  Simulator& sim_;
  int cores_;
  double speed_;
  std::vector<Item> items_;  // min-heap by (finish, order)
  std::vector<Item> done_;   // scratch for on_event, kept to avoid allocating
  double virtual_ = 0.0;
  Time last_ = 0;
  std::uint64_t order_ = 0;
  EventId next_;
  TimeIntegral busy_;
};

}  // namespace servesim
