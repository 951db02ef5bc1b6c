#pragma once
/// A pool of CPU cores shared by work items: each runs at full speed while there are at most
/// `cores` of them, and at speed * cores / n (egalitarian processor sharing) when n > cores.
/// "Full speed" is speed x the CPU's efficiency at that many busy cores (CpuEfficiency).

#include <cstdint>
#include <span>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/core/time_average.h"

namespace servesim {

/// Whoever submitted work to a resource hears back here when it is done.
class WorkOwner {
 public:
  virtual void work_done(std::uint64_t token) = 0;
  /// The trace ids of the requests the job `token` serves, for a trace's kernel and copy slices
  /// (valid until the next call); none by default.
  virtual std::span<const std::uint64_t> trace_requests(std::uint64_t /*token*/) { return {}; }

 protected:
  ~WorkOwner() = default;
};

/// Per-core speed when k cores are busy, relative to one busy core: shared caches, memory
/// bandwidth and turbo limits make k busy cores do less than k times the work of one. Linear
/// between measured points; the table must reach the pool's core count (the scenario checks).
class CpuEfficiency {
 public:
  CpuEfficiency() = default;  // 1.0 at every k: no slow-down under load
  /// Points (busy_cores[i], factor[i]): busy_cores ascending from 1, factor[0] = 1.
  CpuEfficiency(const std::vector<int>& busy_cores, const std::vector<double>& factor, int cores);
  /// The factor at k busy cores (k in 0..cores; 0 and 1 give 1).
  double at(int k) const { return by_busy_.empty() ? 1.0 : by_busy_[static_cast<std::size_t>(k)]; }
  bool flat() const { return by_busy_.empty(); }

 private:
  std::vector<double> by_busy_;  // index k = busy cores; empty: flat
};

/// Told when a pool goes from idle to busy or back (PerCoreServer: the busy-core count).
class BusyListener {
 public:
  virtual void busy_changed() = 0;

 protected:
  ~BusyListener() = default;
};

class CpuPool;

/// Told when a pool has nothing left to run once the owners of its finished work have been told
/// (and have submitted what they do next): PerCoreServer's idle balancing.
class IdleListener {
 public:
  virtual void went_idle(CpuPool& pool) = 0;

 protected:
  ~IdleListener() = default;
};

/// An item taken off a pool unfinished (CpuPool::take_newest), to run elsewhere.
struct TakenWork {
  Time work = 0;  // what is left, at speed 1 (rounded up to the ns)
  WorkOwner* owner = nullptr;
  std::uint64_t token = 0;
  int* home = nullptr;  // submit()'s `home`
};

class CpuPool final : public EventHandler {
 public:
  /// `efficiency` (may be null: flat) must outlive the pool.
  CpuPool(Simulator& sim, int cores, double speed, const CpuEfficiency* efficiency = nullptr);

  /// Starts `work` nanoseconds of work (at speed 1); calls owner.work_done(token) when it ends.
  /// `home` (may be null) is kept with the item and handed back by take_newest, so it must stay
  /// valid until owner.work_done(token).
  void submit(Time work, WorkOwner& owner, std::uint64_t token, int* home = nullptr);
  /// Takes the most recently submitted unfinished item off the pool, with the work it has left;
  /// requires active() > 0.
  TakenWork take_newest();

  int cores() const { return cores_; }
  /// The cores not stalled now (set_stalled).
  int running_cores() const { return cores_ - stalled_; }
  std::size_t active() const { return items_.size(); }
  /// Integral of busy cores (min(n, cores)) over time, in core-nanoseconds.
  double busy_area(Time now) const { return busy_.area(now); }

  /// Scales every item's rate by `f` from now on (a core of a PerCoreServer: the efficiency at
  /// the whole CPU's busy-core count, which this pool cannot see).
  void set_factor(double f);
  /// `k` of the cores run nothing from now on (node.cpu.stalls), and `slowed` of the others run
  /// at set_slow_speed's speed (node.cpu.slowdowns): the items share the running cores, the
  /// full-speed ones first.
  void set_stalled(int k, int slowed = 0);
  /// The speed of a slowed core, relative to the others (node.cpu.slowdowns' `speed`).
  void set_slow_speed(double s) { slow_speed_ = s; }
  /// Called (may be null) when the pool's first item starts or its last one ends.
  void set_listener(BusyListener* l) { listener_ = l; }
  /// Called (may be null) when the pool is left with nothing to run after an item ends.
  void set_idle_listener(IdleListener* l) { idle_listener_ = l; }

  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  // Every active item progresses at the same rate, so one "virtual work" clock serves all:
  // an item finishes when virtual_ reaches its finish mark. Only the earliest mark needs an event.
  struct Item {
    double finish;        // virtual work at which it completes (ns at speed 1)
    std::uint64_t order;  // submission order: the tie-break between equal marks
    WorkOwner* owner;
    std::uint64_t token;
    int* home;  // submit()'s; null for most
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
  const CpuEfficiency* efficiency_;  // null: flat
  double factor_ = 1.0;              // set_factor
  int stalled_ = 0;                  // set_stalled
  int slowed_ = 0;                   // set_stalled: running cores at slow_speed_
  double slow_speed_ = 1.0;
  BusyListener* listener_ = nullptr;
  IdleListener* idle_listener_ = nullptr;
  std::vector<Item> items_;  // min-heap by (finish, order)
  std::vector<Item> done_;   // scratch for on_event, kept to avoid allocating
  double virtual_ = 0.0;
  Time last_ = 0;
  std::uint64_t order_ = 0;
  EventId next_;
  TimeIntegral busy_;
};

}  // namespace servesim
