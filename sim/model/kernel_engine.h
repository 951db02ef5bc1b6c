#pragma once
/// A GPU's SMs under `compute: concurrent` (docs/model.md, "Concurrent kernels"): kernels of one
/// process (CUDA streams of one context) run together and share the SMs; kernels of different
/// processes (without MPS, one context each) take turns in time slices, with a context switch
/// between turns.

#include <cstdint>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/engine.h"

namespace servesim {

class KernelEngine final : public Server, public EventHandler {
 public:
  /// `processes` contexts (0..processes-1); `time_slice`: how long one holds the SMs while
  /// another has kernels waiting; `context_switch`: the SMs' idle time at each change of
  /// context. Both may be 0 with one process.
  KernelEngine(Simulator& sim, double speed, int processes, Time time_slice, Time context_switch);

  /// Starts a kernel of `work` ns at speed 1 when it runs alone, that alone occupies `share`
  /// (0, 1] of the SMs, of process `process`; owner.work_done(token) when it is done. While the
  /// running process's kernels' shares sum to S <= 1 each runs at full speed; above, each at
  /// speed / S (the SMs shared in proportion to the shares).
  void submit_kernel(Time work, double share, int process, WorkOwner& owner, std::uint64_t token);
  void submit(Time work, WorkOwner& owner, std::uint64_t token) override {
    submit_kernel(work, 1.0, 0, owner, token);
  }
  /// Time the SMs run kernels or switch context (server-ns, one server).
  double busy_area(Time now) const override { return busy_.area(now); }
  int servers() const override { return 1; }
  /// Context switches so far.
  std::uint64_t switches() const { return switches_; }
  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  struct Kernel {
    double finish;        // the process's virtual work at which it completes
    std::uint64_t order;  // tie-break between equal marks: submission order
    double share;
    WorkOwner* owner;
    std::uint64_t token;
  };
  struct Later {
    bool operator()(const Kernel& a, const Kernel& b) const {
      return a.finish > b.finish || (a.finish == b.finish && a.order > b.order);
    }
  };
  struct Process {
    std::vector<Kernel> kernels;  // min-heap by (finish, order)
    double virt = 0;              // work done by each of its kernels while it ran (ns at speed 1)
    double share = 0;             // sum of its kernels' shares
  };
  double rate() const;  // virtual work per ns of the running process
  bool running() const { return active_ >= 0 && !switching_ && count_ > 0; }
  bool others_waiting() const;
  int next_process() const;  // the next process with kernels after active_, round robin
  void advance();
  void pick(Time now);  // which process holds the SMs now; may start a switch
  void reschedule();

  Simulator& sim_;
  double speed_;
  std::vector<Process> procs_;
  Time slice_, switch_cost_;
  int active_ = -1;  // the process whose context is on the GPU; -1: none yet
  bool switching_ = false;
  Time switch_end_ = 0, slice_end_ = 0;
  Time last_ = 0;
  std::size_t count_ = 0;  // kernels in all processes
  std::uint64_t order_ = 0, switches_ = 0;
  std::vector<Kernel> done_;  // scratch for on_event
  EventId next_;
  TimeIntegral busy_;
};

}  // namespace servesim
