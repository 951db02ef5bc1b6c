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
  /// The serving nodes that served since the last decision, and the mean of their metric over
  /// the time each served: the busiest device's utilisation, or the requests inside.
  std::pair<int, double> measure();

  Simulator& sim_;
  Cluster& cluster_;
  const AutoscaleParams& p_;
  std::vector<std::uint32_t> generation_;  // a boot cancelled by a scale-down is stale
  std::vector<std::vector<double>> busy_;  // per node and device: busy area at the last decision
  std::vector<double> inside_;             // per node: requests-inside area at the last decision
  std::vector<Time> serving_from_;         // per node: when it last began serving
  Time last_ = 0;                          // the last decision
  /// (decision time, nodes wanted) over the stabilization window, wanted strictly decreasing
  /// from the front: the front is the most wanted (a monotonic queue, O(1) per decision).
  std::deque<std::pair<Time, int>> wanted_;
};

}  // namespace servesim
