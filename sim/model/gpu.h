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
#include "sim/model/kernel_engine.h"
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
  /// The compute engine under `compute: concurrent`, else nullptr.
  KernelEngine* kernels() { return kernels_; }
  /// Energy by kernel (docs/model.md, "Energy"): a completed kernel whose stage draws busy_w
  /// instead of node.gpus.busy_power adds (busy_w - busy_power) x its time alone on the GPU to
  /// the GPU's energy; the sum so far, in J.
  void add_kernel_energy(double joules) { kernel_energy_j_ += joules; }
  double kernel_energy_j() const { return kernel_energy_j_; }
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
  /// is freed, in memory and in the pool, which may grant waiting reservations (their owners
  /// hear back from inside).
  void evict(Request& r);

  /// Triton's CUDA memory pool (GpuParams::pool_bytes), books apart from the memory above: a
  /// tensor a GPU stage makes for the next GPU stage is held here until that stage is done with
  /// it. pool_take (spill) grants `bytes` when they fit now and nobody waits, else refuses: the
  /// caller puts the tensor in pinned host memory (Triton's fallback). pool_reserve (block)
  /// grants at once or queues in FIFO order, calling owner.work_done(token) when granted; one
  /// larger than the whole pool is granted when the pool is empty.
  bool has_pool() const { return params_.pool_bytes > 0; }
  bool pool_take(double bytes);
  bool pool_reserve(double bytes, WorkOwner& owner, std::uint64_t token);
  void pool_release(double bytes);
  /// Bytes of tensors written to pinned host memory for want of room, and read back from it.
  void pool_spilled(double bytes) { pool_spilled_ += bytes; }
  void pool_reloaded(double bytes) { pool_reloaded_ += bytes; }
  double pool_used() const { return pool_.used; }
  double pool_peak() const { return pool_.peak; }
  double pool_area(Time now) const { return pool_.held.area(now); }
  double pool_spilled_bytes() const { return pool_spilled_; }
  double pool_reloaded_bytes() const { return pool_reloaded_; }
  std::uint64_t pool_blocked() const { return pool_.blocked; }

  double memory_used() const { return used_; }
  double memory_peak() const { return peak_; }  // since the start of the run
  double memory_area(Time now) const { return memory_.area(now); }
  double spilled_bytes() const { return spilled_total_; }
  std::uint64_t blocked() const { return blocked_total_; }
  /// Requests whose payload lives here now.
  int resident() const { return resident_; }
  /// Reports its engines' jobs on lanes "gpu<index> compute" and "gpu<index> nvjpg" of node
  /// `node` (nullptr: no tracing).
  /// Its memory held by requests as counter "gpu<index> memory held" (bytes).
  void trace_to(Tracer* t, std::uint32_t node);

 private:
  double kernel_energy_j_ = 0;
  struct Waiter {
    double bytes = 0;
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
  };
  bool fits(double bytes) const;
  struct Pool {  // the tensor pool's books
    double used = 0, peak = 0;
    TimeIntegral held;
    Ring<Waiter> waiting;
    std::uint64_t blocked = 0;
  };
  void pool_add(double bytes);
  void set_memory();  // used_ changed: its time integral and the trace hear of it

  Simulator& sim_;
  const GpuParams& params_;
  std::unique_ptr<Server> compute_;
  KernelEngine* kernels_ = nullptr;  // compute_, when it is one
  std::unique_ptr<FifoEngine> nvjpg_;
  int index_;
  int resident_ = 0;
  double used_ = 0;  // request tensors (the reserved base is not counted here)
  double peak_ = 0;
  Ring<Waiter> waiting_;
  TimeIntegral memory_;
  double spilled_total_ = 0;
  std::uint64_t blocked_total_ = 0;
  Tracer* tracer_ = nullptr;
  std::uint32_t node_ = 0;
  Pool pool_;
  double pool_spilled_ = 0, pool_reloaded_ = 0;
};

}  // namespace servesim
