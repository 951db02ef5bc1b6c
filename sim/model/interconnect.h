#pragma once
/// The node's PCIe: each GPU's DMA copy engines and the links between the host and the GPUs.
/// A transfer holds one copy engine of its GPU and direction while its bytes cross the GPU's
/// route (its own link and the shared host link, or the chain of links of a PCIe tree from its
/// port up to a root port), and host memory when the node models it, max-min fair with the
/// other flows; so every part of the node that moves a payload asks here and hears back when the
/// last byte is through. Other traffic through host memory (a CPU copy, a loopback network copy)
/// starts a memory flow here, so that it shares the memory link with the DMAs.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/engine.h"
#include "sim/model/flow_network.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/tracer.h"

namespace servesim {

/// The links of GPU g's route, from its port up to a root port, as indices into pcie.topology
/// (the tree form only).
std::vector<int> pcie_chain(const PcieParams& pcie, int gpu);
/// The latency of GPU g's route in either direction (either form).
Time pcie_route_latency(const PcieParams& pcie, int gpu);

class Interconnect final : public WorkOwner {
 public:
  /// `gpus` GPUs, each with the copy engines of `gpu`: either each with a link of
  /// `pcie.gpu_link` per direction behind one host link of `pcie.host_link` per direction, or
  /// on the ports of `pcie.topology` (no link when `gpus` is 0). With `memory`, one link of its
  /// bandwidth for both directions, crossed by every transfer.
  Interconnect(Simulator& sim, const PcieParams& pcie, const GpuParams& gpu, int gpus,
               const MemoryParams& memory = {});
  Interconnect(const Interconnect&) = delete;
  Interconnect& operator=(const Interconnect&) = delete;

  /// Moves `bytes` between the host and GPU `gpu`; owner.work_done(token) when the last byte is
  /// through. A copy waits for a copy engine first (FIFO), then pays the route's latency.
  void transfer(int gpu, Direction dir, double bytes, WorkOwner& owner, std::uint64_t token);

  /// Whether the node models host memory (node.memory).
  bool has_memory() const { return has_memory_; }
  /// Moves `bytes` through host memory alone, `weight` bytes of memory traffic per byte moved
  /// (2 for a copy that reads and writes it); owner.work_done(token) when they are through. No
  /// copy engine and no latency. Needs has_memory().
  void memory_flow(double bytes, double weight, WorkOwner& owner, std::uint64_t token);

  /// Adds node.network, toward the node (once): a payload waits the link's latency (a round
  /// trip), then crosses the link and, with host memory, the memory link `memory_weight` times
  /// (the copies the host's network stack makes of each byte), max-min fair with the DMAs.
  void add_network(const LinkParams& link, double memory_weight);
  /// Moves a request's `bytes` to the node over node.network; owner.work_done(token) when the
  /// last byte is through. Needs add_network.
  void network_transfer(double bytes, WorkOwner& owner, std::uint64_t token);
  /// How long `bytes` take over node.network when nothing else moves, ns (latency included).
  double network_ideal_ns(double bytes) const;

  /// Its links as resources (appended), and their busy areas in the same order.
  void describe(std::vector<ResourceInfo>& out) const;
  void busy_areas(Time now, std::vector<double>& out) const;
  /// Reports each copy as a span on lane "pcie gpu<g> h2d|d2h" of node `node` (nullptr: none).
  void trace_to(Tracer* t, std::uint32_t node);
  static std::string lane(int gpu, Direction dir);  // its trace lane

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
  struct Hop {  // one link of a route, as its two directional links
    FlowNetwork::LinkId h2d = 0, d2h = 0;
  };
  void start_flow(std::uint32_t slot);
  Hop add_hop(const std::string& name, double bytes_per_s, Time latency);
  /// Each GPU's route towards the GPU (root first); its links created (and listed) as they come.
  std::vector<std::vector<Hop>> add_flat_links(const PcieParams& pcie, int gpus);
  std::vector<std::vector<Hop>> add_tree_links(const PcieParams& pcie, int gpus);

  Simulator& sim_;
  FlowNetwork pcie_;
  std::vector<Port> ports_;
  std::vector<FlowNetwork::LinkId> links_;  // in report order
  bool has_memory_ = false;
  FlowNetwork::LinkId memory_ = 0;
  std::vector<std::pair<double, FlowNetwork::RouteId>> memory_routes_;  // by weight
  LinkParams network_;                                                  // node.network
  FlowNetwork::RouteId network_route_ = 0;
  double network_memory_weight_ = 0;
  double memory_bytes_per_ns_ = 0;
  std::vector<Transfer> transfers_;
  std::vector<std::uint32_t> free_transfers_;
  Tracer* tracer_ = nullptr;
  std::uint32_t node_ = 0;
};

}  // namespace servesim
