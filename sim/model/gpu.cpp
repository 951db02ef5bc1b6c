#include "sim/model/gpu.h"

#include <algorithm>
#include <string>

namespace servesim {

Gpu::Gpu(Simulator& sim, const GpuParams& params, int index)
    : sim_(sim), params_(params), index_(index) {
  if (params.compute == GpuCompute::kShared) {
    compute_ = std::make_unique<SharedServer>(sim, 1, params.speed);
  } else if (params.compute == GpuCompute::kConcurrent) {
    auto k = std::make_unique<KernelEngine>(sim, params.speed, params.processes, params.time_slice,
                                            std::max<Time>(0, params.context_switch));
    kernels_ = k.get();
    compute_ = std::move(k);
  } else {
    compute_ = std::make_unique<FifoEngine>(sim, 1, params.speed);
  }
  if (params.nvjpg_engines > 0)
    nvjpg_ = std::make_unique<FifoEngine>(sim, params.nvjpg_engines, params.speed);
}

bool Gpu::fits(double bytes) const {
  if (params_.memory_bytes <= 0) return true;  // unlimited
  const double room = params_.memory_bytes - params_.held_bytes() - used_;
  // A tensor larger than the whole memory still gets it when nothing else is there, or it would
  // wait forever; the run's report shows the over-subscription in its peak memory.
  return bytes <= room || used_ == 0;
}

bool Gpu::reserve(double bytes, WorkOwner& owner, std::uint64_t token, double& spilled) {
  spilled = 0;
  if (params_.memory_policy == MemoryPolicy::kSpill) {
    if (params_.memory_bytes > 0) {
      // While the live tensors exceed the capacity, each new one displaces as many bytes of
      // others to the host, which must come back before they are used: the caller pays both
      // copies. The books keep every live tensor (host-backed ones included), so the working
      // set, not the capacity, decides how much each admission spills.
      const double room = std::max(0.0, params_.memory_bytes - params_.held_bytes() - used_);
      spilled = std::min(bytes, std::max(0.0, bytes - room));
      spilled_total_ += spilled;
    }
    used_ += bytes;
    peak_ = std::max(peak_, used_);
    set_memory();
    return true;
  }
  if (waiting_.empty() && fits(bytes)) {
    used_ += bytes;
    peak_ = std::max(peak_, used_);
    set_memory();
    return true;
  }
  ++blocked_total_;
  waiting_.push(Waiter{bytes, &owner, token});
  return false;
}

void Gpu::release(double bytes) {
  used_ = std::max(0.0, used_ - bytes);
  // Grant waiting reservations in order while the first one fits (FIFO: no overtaking).
  while (!waiting_.empty() && fits(waiting_.front().bytes)) {
    const Waiter w = waiting_.pop();
    used_ += w.bytes;
    peak_ = std::max(peak_, used_);
    set_memory();
    w.owner->work_done(w.token);
  }
  set_memory();
}

void Gpu::evict(Request& r) {
  // The books are settled before the memory is freed: a waiter granted inside release() may
  // start work that touches the request pool.
  const double bytes = r.gpu_reserved, pooled = r.pool_bytes;
  r.gpu_reserved = 0;
  r.pool_bytes = 0;
  r.pinned = false;
  r.location = kHost;
  --resident_;
  if (pooled > 0) pool_release(pooled);
  release(bytes);
}

void Gpu::pool_add(double bytes) {
  pool_.used += bytes;
  pool_.peak = std::max(pool_.peak, pool_.used);
  pool_.held.set(sim_.now(), pool_.used);
}

bool Gpu::pool_take(double bytes) {
  if (!pool_.waiting.empty() || bytes > params_.pool_bytes - pool_.used) return false;
  pool_add(bytes);
  return true;
}

bool Gpu::pool_reserve(double bytes, WorkOwner& owner, std::uint64_t token) {
  // As for memory: a tensor larger than the whole pool gets it empty, or it would wait forever.
  if (pool_.waiting.empty() && (bytes <= params_.pool_bytes - pool_.used || pool_.used == 0)) {
    pool_add(bytes);
    return true;
  }
  ++pool_.blocked;
  pool_.waiting.push(Waiter{bytes, &owner, token});
  return false;
}

void Gpu::pool_release(double bytes) {
  pool_.used = std::max(0.0, pool_.used - bytes);
  pool_.held.set(sim_.now(), pool_.used);
  while (!pool_.waiting.empty()) {  // FIFO: none overtakes the first
    const Waiter& w = pool_.waiting.front();
    if (w.bytes > params_.pool_bytes - pool_.used && pool_.used > 0) break;
    const Waiter granted = pool_.waiting.pop();
    pool_add(granted.bytes);
    granted.owner->work_done(granted.token);
  }
}

void Gpu::set_memory() {
  memory_.set(sim_.now(), used_);
  if (tracer_ && tracer_->wants(sim_.now()))
    tracer_->counter(node_, "gpu" + std::to_string(index_) + " memory held", sim_.now(), used_);
}

void Gpu::trace_to(Tracer* t, std::uint32_t node) {
  tracer_ = t;
  node_ = node;
  const std::string name = "gpu" + std::to_string(index_);
  if (auto* e = dynamic_cast<FifoEngine*>(compute_.get())) e->trace_to(t, node, name + " compute");
  if (nvjpg_) nvjpg_->trace_to(t, node, name + " nvjpg");
}

}  // namespace servesim
