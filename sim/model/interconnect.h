#pragma once
/// The node's PCIe: each GPU's DMA copy engines and the links between the host and the GPUs.
/// A transfer holds one copy engine of its GPU and direction while its bytes cross the GPU's
/// own link and the shared host link (max-min fair with the other flows), so every part of the
/// node that moves a payload asks here and hears back when the last byte is through.

#include <cstdint>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/engine.h"
#include "sim/model/flow_network.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/tracer.h"

namespace servesim {

class Interconnect final : public WorkOwner {
 public:
  /// `gpus` GPUs, each with the copy engines of `gpu` and a link of `pcie.gpu_link` per
  /// direction, behind one host link of `pcie.host_link` per direction (none when `gpus` is 0).
  Interconnect(Simulator& sim, const PcieParams& pcie, const GpuParams& gpu, int gpus);
  Interconnect(const Interconnect&) = delete;
  Interconnect& operator=(const Interconnect&) = delete;

  /// Moves `bytes` between the host and GPU `gpu`; owner.work_done(token) when the last byte is
  /// through. A copy waits for a copy engine first (FIFO), then pays the route's latency.
  void transfer(int gpu, Direction dir, double bytes, WorkOwner& owner, std::uint64_t token);

  /// Its links as resources (appended), and their busy areas in the same order.
  void describe(std::vector<ResourceInfo>& out) const;
  void busy_areas(Time now, std::vector<double>& out) const;
  /// Reports each copy as a span on lane "pcie gpu<g> h2d|d2h" of node `node` (nullptr: none).
  void trace_to(Tracer* t, std::uint32_t node) {
    tracer_ = t;
    node_ = node;
  }

  void work_done(std::uint64_t token) override;  // a copy engine granted, or a flow through

 private:
  struct Transfer {
    int gpu = 0;
    Direction dir = Direction::kToGpu;
    double bytes = 0;
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
    bool flowing = false;  // false: waiting for a copy engine
    Time started = 0;      // when its bytes began to move (for traces)
  };
  struct Port {  // one GPU's end: its copy engines and routes, per direction
    Slots h2d, d2h;
    FlowNetwork::RouteId to_gpu = 0, to_host = 0;
    Slots& engines(Direction d) { return d == Direction::kToGpu ? h2d : d2h; }
  };
  void start_flow(std::uint32_t slot);

  Simulator& sim_;
  FlowNetwork pcie_;
  std::vector<Port> ports_;
  std::vector<FlowNetwork::LinkId> links_;
  std::vector<Transfer> transfers_;
  std::vector<std::uint32_t> free_transfers_;
  Tracer* tracer_ = nullptr;
  std::uint32_t node_ = 0;
};

}  // namespace servesim
