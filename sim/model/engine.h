#pragma once
/// Fixed-capacity servers that work in FIFO order: a GPU's compute engine (`exclusive`), its
/// NVJPG decoder engines, and the admission slots of its DMA copy engines.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/core/random.h"
#include "sim/core/ring.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/cpu_pool.h"
#include "sim/model/params.h"
#include "sim/model/tracer.h"

namespace servesim {

/// Anything that runs a known amount of work and reports back: the CPU pool (processor sharing)
/// and FIFO engines both are one, so a stage need not know which runs its work.
class Server {
 public:
  /// Starts `work` ns of work (at speed 1); owner.work_done(token) when it is done.
  virtual void submit(Time work, WorkOwner& owner, std::uint64_t token) = 0;
  /// The same, for a thread that remembers the core it last ran on in `core` (-1: none yet):
  /// only a scheduler with per-core run queues reads and updates it, also later (an idle core
  /// pulls the work): `core` must stay where it is until owner.work_done(token).
  virtual void submit_from(Time work, WorkOwner& owner, std::uint64_t token, int& core) {
    (void)core;
    submit(work, owner, token);
  }
  /// Integral of busy servers over time (server-nanoseconds).
  virtual double busy_area(Time now) const = 0;
  virtual int servers() const = 0;
  virtual ~Server() = default;
};

/// Told when a core stops running anything or runs again (StallProcess).
class StallListener {
 public:
  virtual void stall_changed(std::size_t core, bool stalled) = 0;

 protected:
  ~StallListener() = default;
};

/// Passes a second StallProcess's changes (node.cpu.slowdowns) to `Server::slow_changed`, apart
/// from the first's (node.cpu.stalls), which go to the server's own stall_changed.
template <class Server>
class SlowRelay final : public StallListener {
 public:
  explicit SlowRelay(Server& s) : server_(s) {}
  void stall_changed(std::size_t core, bool slow) override { server_.slow_changed(core, slow); }

 private:
  Server& server_;
};

/// node.cpu.stalls (and node.cpu.slowdowns) as events: each core alone stalls (or slows) for a
/// draw from `duration`, then runs for a draw from `interval` (its first one interval after the
/// start), and the listener hears each change.
class StallProcess final : public EventHandler {
 public:
  /// `params` and `listener` must outlive it.
  StallProcess(Simulator& sim, int cores, const StallParams& params, Rng rng,
               StallListener& listener);
  void on_event(std::uint32_t kind, std::uint64_t core) override;
  /// Cores stalled now.
  int stalled() const { return stalled_; }

 private:
  enum : std::uint32_t { kStart = 0, kEnd = 1 };
  Simulator& sim_;
  const StallParams& params_;
  Rng rng_;
  StallListener& listener_;
  int stalled_ = 0;
};

/// The processor-sharing pool seen as a Server (the CPU, and a GPU in `compute: shared`). With
/// stalls, a stalled core leaves the items the others; with slowdowns, a slowed core runs at its
/// slowdown's speed and the items take the full-speed cores first.
class SharedServer final : public Server, private StallListener {
 public:
  /// `efficiency`, `stalls` and `slowdowns` (any may be null) must outlive the server; `rng`
  /// draws the stalls, `slow_rng` the slowdowns.
  SharedServer(Simulator& sim, int cores, double speed, const CpuEfficiency* efficiency = nullptr,
               const StallParams* stalls = nullptr, Rng rng = Rng(0),
               const StallParams* slowdowns = nullptr, Rng slow_rng = Rng(0));
  void submit(Time work, WorkOwner& owner, std::uint64_t token) override {
    pool_.submit(work, owner, token);
  }
  double busy_area(Time now) const override { return pool_.busy_area(now); }
  int servers() const override { return pool_.cores(); }

 private:
  friend class SlowRelay<SharedServer>;
  void stall_changed(std::size_t core, bool stalled) override;
  void slow_changed(std::size_t core, bool slow);
  void update_cores();  // the pool's stalled and slowed cores, from each core's state

  CpuPool pool_;
  std::unique_ptr<StallProcess> stalls_;  // null: no stalls
  // With slowdowns, each core's state (a stalled core that is also slowed counts as stalled).
  std::vector<char> stalled_, slowed_;
  SlowRelay<SharedServer> slow_relay_{*this};
  std::unique_ptr<StallProcess> slowdowns_;  // null: no slowdowns
};

/// The CPU as Linux's scheduler runs it (node.cpu.scheduler: per_core): a run queue per core,
/// shared by the items on it (processor sharing, each core a CpuPool of one); an item is placed
/// on a core when it starts. Placement follows the wake-up path of CFS (select_task_rq_fair):
/// the thread's last core if it is idle, else an idle core, else the thread's last core; work
/// with no thread (or a thread new to the CPU) takes the core with the fewest items. So a thread
/// that keeps a core busy keeps it, and threads that wake while every core is busy queue behind
/// the work already there instead of slowing every core down. A core left with nothing to run
/// pulls the newest item of the core with the most (at least two; ties: the lowest index), as
/// CFS's idle balancing (newidle_balance) pulls a waiting thread; the thread's last core becomes
/// the new one. No other migration (periodic balancing) is modelled. With an
/// efficiency curve, every busy core runs at its factor for the number of busy cores. With
/// stalls (node.cpu.stalls), each core in turn runs nothing for a while: its items wait, and the
/// placement does not see it (the guest's scheduler does not know its vCPU is not running). With
/// slowdowns (node.cpu.slowdowns), each core in turn runs at a fraction of its speed for a while,
/// on top of its efficiency factor; the placement does not see those either.
class PerCoreServer final : public Server,
                            private BusyListener,
                            private StallListener,
                            private IdleListener {
 public:
  /// `efficiency`, `stalls` and `slowdowns` (any may be null) must outlive the server; `rng`
  /// draws the stalls, `slow_rng` the slowdowns.
  PerCoreServer(Simulator& sim, int cores, double speed, const CpuEfficiency* efficiency = nullptr,
                const StallParams* stalls = nullptr, Rng rng = Rng(0),
                const StallParams* slowdowns = nullptr, Rng slow_rng = Rng(0));
  void submit(Time work, WorkOwner& owner, std::uint64_t token) override {
    place(work, owner, token, -1, nullptr);
  }
  void submit_from(Time work, WorkOwner& owner, std::uint64_t token, int& core) override {
    place(work, owner, token, core, &core);
  }
  double busy_area(Time now) const override;
  int servers() const override { return static_cast<int>(cores_.size()); }

 private:
  friend class SlowRelay<PerCoreServer>;
  /// Places work on a core for a thread that last ran on `last` (-1: none), which `home` (may
  /// be null) is set to.
  void place(Time work, WorkOwner& owner, std::uint64_t token, int last, int* home);
  void busy_changed() override;            // a core became busy or idle: rescale the busy ones
  void went_idle(CpuPool& pool) override;  // idle balancing
  void stall_changed(std::size_t core, bool stalled) override;
  void slow_changed(std::size_t core, bool slow);
  int busy_cores() const;

  std::vector<std::unique_ptr<CpuPool>> cores_;
  const CpuEfficiency* efficiency_ = nullptr;  // null: flat
  std::unique_ptr<StallProcess> stalls_;       // null: no stalls
  std::vector<double> slow_;                   // each core's slowdown factor (empty: none)
  double slow_speed_ = 1;                      // a slowed core's factor (node.cpu.slowdowns)
  SlowRelay<PerCoreServer> slow_listener_{*this};
  std::unique_ptr<StallProcess> slowdowns_;  // null: no slowdowns
};

/// `count` identical servers; a job holds one for its whole work, and jobs start in FIFO order.
class FifoEngine final : public Server, public EventHandler {
 public:
  FifoEngine(Simulator& sim, int count, double speed);
  void submit(Time work, WorkOwner& owner, std::uint64_t token) override;
  double busy_area(Time now) const override { return busy_area_.area(now); }
  int servers() const override { return count_; }
  std::size_t queued() const { return waiting_.size(); }
  void on_event(std::uint32_t kind, std::uint64_t arg) override;
  /// Reports each job as a span on `lane` of node `node` (nullptr: no tracing).
  void trace_to(Tracer* t, std::uint32_t node, std::string lane) {
    tracer_ = t;
    node_ = node;
    lane_ = std::move(lane);
    if (t) t->lane(node, lane_);
  }

 private:
  struct Job {
    Time work = 0;
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
    Time started = 0;
  };
  void start(const Job& job);

  Simulator& sim_;
  int count_;
  double speed_;
  int busy_ = 0;
  Ring<Job> waiting_;
  std::vector<Job> running_;               // one slot per running job; the event carries it
  std::vector<std::uint32_t> free_slots_;  // recycled slots
  TimeIntegral busy_area_;
  Tracer* tracer_ = nullptr;
  std::uint32_t node_ = 0;
  std::string lane_;
};

/// A counting semaphore with a FIFO line: `count` holders at a time (DMA copy engines).
class Slots {
 public:
  explicit Slots(int count) : count_(count) {}
  /// True if a slot was taken now; otherwise owner.work_done(token) is called when one is
  /// granted (from inside a release()).
  bool acquire(WorkOwner& owner, std::uint64_t token);
  void release();
  std::size_t waiting() const { return waiting_.size(); }

 private:
  struct Waiter {
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
  };
  int count_, held_ = 0;
  Ring<Waiter> waiting_;
};

}  // namespace servesim
