#pragma once
/// One GPU: a compute engine shared by the kernels of every instance on it, optional NVJPG
/// decoder engines, DMA copy engines per direction, and memory for request tensors.

#include <cstdint>
#include <memory>

#include "sim/core/ring.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/engine.h"
#include "sim/model/params.h"

namespace servesim {

class Gpu {
 public:
  Gpu(Simulator& sim, const GpuParams& params);

  Server& compute() { return *compute_; }
  const Server& compute() const { return *compute_; }
  /// The NVJPG engines, or nullptr when the GPU has none.
  FifoEngine* nvjpg() { return nvjpg_.get(); }
  const FifoEngine* nvjpg() const { return nvjpg_.get(); }
  Slots& copy_engines(Direction d) { return d == Direction::kToGpu ? h2d_ : d2h_; }

  /// Reserves `bytes` of memory for a request's tensors. Returns true when granted now; under
  /// `block` a reservation that does not fit waits in FIFO order and owner.work_done(token) is
  /// called when it is granted. Under `spill` it is always granted, and `spilled` is set to the
  /// bytes of other tensors that had to be evicted to host (to be paid for over PCIe, eviction
  /// and reload both, by the caller). Memory held counts every live tensor, so under `spill` it
  /// may exceed the capacity: the excess is what lives on the host.
  bool reserve(double bytes, WorkOwner& owner, std::uint64_t token, double& spilled);
  void release(double bytes);

  double memory_used() const { return used_; }
  double memory_peak() const { return peak_; }  // since the start of the run
  double memory_area(Time now) const { return memory_.area(now); }
  double spilled_bytes() const { return spilled_total_; }
  std::uint64_t blocked() const { return blocked_total_; }
  /// Requests whose payload lives here now (how transfers choose a GPU).
  int resident = 0;

 private:
  struct Waiter {
    double bytes = 0;
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
  };
  bool fits(double bytes) const;

  Simulator& sim_;
  const GpuParams& params_;
  std::unique_ptr<Server> compute_;
  std::unique_ptr<FifoEngine> nvjpg_;
  Slots h2d_, d2h_;
  double used_ = 0;  // request tensors (the reserved base is not counted here)
  double peak_ = 0;
  Ring<Waiter> waiting_;
  TimeIntegral memory_;
  double spilled_total_ = 0;
  std::uint64_t blocked_total_ = 0;
};

}  // namespace servesim
