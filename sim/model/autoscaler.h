#pragma once
/// cluster.autoscale's controller: every `window` it reads how busy each serving node's busiest
/// device was since its last decision and sets the nodes wanted as Kubernetes' horizontal pod
/// autoscaler does, desired = ceil(serving x utilisation / target); new nodes boot, load the
/// model, then serve; removed nodes stop receiving requests and drain (docs/model.md).

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/params.h"

namespace servesim {

class Cluster;

class Autoscaler final : public EventHandler {
 public:
  Autoscaler(Simulator& sim, Cluster& cluster, const AutoscaleParams& params);
  /// The first decision one window from now.
  void start();
  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  enum : std::uint32_t { kDecide, kReady };
  void decide();
  /// The mean over serving nodes of their busiest device's utilisation since the last decision.
  double utilization();

  Simulator& sim_;
  Cluster& cluster_;
  const AutoscaleParams& p_;
  std::vector<std::uint32_t> generation_;  // a boot cancelled by a scale-down is stale
  std::vector<std::vector<double>> busy_;  // per node and device: busy area at the last decision
  std::deque<std::pair<Time, int>> wanted_;  // (decision time, nodes wanted) over stabilization
};

}  // namespace servesim
