#pragma once
/// One GPU: a compute engine shared by the kernels of every instance on it, optional NVJPG
/// decoder engines, and memory for request tensors, whose books it alone keeps: a payload is
/// admitted into it and evicted from it only here. (Its DMA copy engines belong to the
/// Interconnect, which moves the bytes.)

#include <cstdint>
#include <memory>

#include "sim/core/ring.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/engine.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/tracer.h"

namespace servesim {

class Gpu {
 public:
  /// GPU `index` of its node (what Request::location names).
  Gpu(Simulator& sim, const GpuParams& params, int index = 0);
  Gpu(const Gpu&) = delete;
  Gpu& operator=(const Gpu&) = delete;

  int index() const { return index_; }

  Server& compute() { return *compute_; }
  const Server& compute() const { return *compute_; }
  /// The NVJPG engines, or nullptr when the GPU has none.
  FifoEngine* nvjpg() { return nvjpg_.get(); }
  const FifoEngine* nvjpg() const { return nvjpg_.get(); }

  /// Reserves `bytes` of memory for a request's tensors. Returns true when granted now; under
  /// `block` a reservation that does not fit waits in FIFO order and owner.work_done(token) is
  /// called when it is granted. Under `spill` it is always granted, and `spilled` is set to the
  /// bytes of other tensors that had to be evicted to host (to be paid for over PCIe, eviction
  /// and reload both, by the caller). Memory held counts every live tensor, so under `spill` it
  /// may exceed the capacity: the excess is what lives on the host.
  bool reserve(double bytes, WorkOwner& owner, std::uint64_t token, double& spilled);
  void release(double bytes);

  /// The request's payload has arrived in this GPU's memory (reserved for it beforehand).
  void admit(Request& r) {
    r.location = index_;
    ++resident_;
  }
  /// The request's payload leaves this GPU (to the host, or with the request): what it reserved
  /// is freed, which may grant waiting reservations (their owners hear back from inside).
  void evict(Request& r);

  double memory_used() const { return used_; }
  double memory_peak() const { return peak_; }  // since the start of the run
  double memory_area(Time now) const { return memory_.area(now); }
  double spilled_bytes() const { return spilled_total_; }
  std::uint64_t blocked() const { return blocked_total_; }
  /// Requests whose payload lives here now.
  int resident() const { return resident_; }
  /// Reports its engines' jobs on lanes "gpu<index> compute" and "gpu<index> nvjpg" of node
  /// `node` (nullptr: no tracing).
  void trace_to(Tracer* t, std::uint32_t node);

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
  int index_;
  int resident_ = 0;
  double used_ = 0;  // request tensors (the reserved base is not counted here)
  double peak_ = 0;
  Ring<Waiter> waiting_;
  TimeIntegral memory_;
  double spilled_total_ = 0;
  std::uint64_t blocked_total_ = 0;
};

}  // namespace servesim
