#include "sim/model/autoscaler.h"

#include <algorithm>
#include <cmath>

#include "sim/model/cluster.h"

namespace servesim {

Autoscaler::Autoscaler(Simulator& sim, Cluster& cluster, const AutoscaleParams& params)
    : sim_(sim),
      cluster_(cluster),
      p_(params),
      generation_(static_cast<std::size_t>(cluster.nodes()), 0),
      busy_(static_cast<std::size_t>(cluster.nodes())),
      inside_(static_cast<std::size_t>(cluster.nodes()), 0),
      serving_from_(static_cast<std::size_t>(cluster.nodes()), 0) {}

void Autoscaler::start() {
  for (int k = 0; k < cluster_.nodes(); ++k) {
    const ModelCounters c = cluster_.node(k).counters();
    busy_[static_cast<std::size_t>(k)] = c.resource_busy_area;
    inside_[static_cast<std::size_t>(k)] = c.in_system_area;
  }
  sim_.schedule_in(p_.window, *this, kDecide);
}

void Autoscaler::on_event(std::uint32_t kind, std::uint64_t arg) {
  if (kind == kDecide) {
    decide();
    sim_.schedule_in(p_.window, *this, kDecide);
    return;
  }
  // A node's boot and model load are done, unless a scale-down cancelled them since.
  const auto k = static_cast<int>(arg >> 32);
  const auto generation = static_cast<std::uint32_t>(arg);
  if (generation == generation_[static_cast<std::size_t>(k)] &&
      cluster_.state(k) == NodeState::kBooting) {
    cluster_.set_state(k, NodeState::kServing);
    serving_from_[static_cast<std::size_t>(k)] = sim_.now();
  }
}

std::pair<int, double> Autoscaler::measure() {
  double sum = 0;
  int measured = 0;
  for (int k = 0; k < cluster_.nodes(); ++k) {
    const auto i = static_cast<std::size_t>(k);
    const ModelCounters c = cluster_.node(k).counters();
    const std::vector<double>& now = c.resource_busy_area;
    // Over the time it served since the last decision; a node that began serving just now has
    // no reading yet (as the HPA leaves a pod without metrics out of the average).
    const Time served = sim_.now() - std::max(last_, serving_from_[i]);
    if (cluster_.state(k) == NodeState::kServing && served > 0) {
      if (p_.metric == AutoscaleParams::Metric::kConcurrency) {
        sum += (c.in_system_area - inside_[i]) / static_cast<double>(served);
      } else {
        // The busiest device (the CPU pool, a GPU's compute engine): links and stage instances
        // are not what an operator's utilisation metric reads.
        double busiest = 0;
        const auto& res = cluster_.node(k).resources();
        for (std::size_t r = 0; r < res.size(); ++r)
          if (!res[r].device.empty() && res[r].servers > 0)
            busiest = std::max(
                busiest, (now[r] - busy_[i][r]) / (res[r].servers * static_cast<double>(served)));
        sum += busiest;
      }
      ++measured;
    }
    busy_[i] = now;
    inside_[i] = c.in_system_area;
  }
  return {measured, measured > 0 ? sum / measured : 0};
}

void Autoscaler::decide() {
  int serving = 0, booting = 0;
  for (int k = 0; k < cluster_.nodes(); ++k) {
    serving += cluster_.state(k) == NodeState::kServing ? 1 : 0;
    booting += cluster_.state(k) == NodeState::kBooting ? 1 : 0;
  }
  const int current = serving + booting;
  const auto [measured, value] = measure();
  const Time now = sim_.now();
  last_ = now;
  const double ratio =
      value / (p_.metric == AutoscaleParams::Metric::kConcurrency ? p_.target_concurrency
                                                                  : p_.target_utilization);
  // Kubernetes' rule: no change within the tolerance; else ceil(measured x ratio), in bounds
  // (held in double first: a tiny target makes the product huge).
  int wanted = current;
  if (measured > 0 && std::abs(ratio - 1) > p_.tolerance)
    wanted = static_cast<int>(std::clamp(std::ceil(measured * ratio - 1e-9),
                                         static_cast<double>(p_.min_nodes),
                                         static_cast<double>(p_.max_nodes)));
  wanted = std::clamp(wanted, p_.min_nodes, p_.max_nodes);
  // Scale down only to the most nodes wanted over the stabilization window.
  while (!wanted_.empty() && wanted_.back().second <= wanted) wanted_.pop_back();
  wanted_.emplace_back(now, wanted);
  while (wanted_.front().first < now - p_.stabilization) wanted_.pop_front();
  const int most = wanted_.front().second;
  if (wanted > current) {
    // Start nodes that are off, lowest first; each serves after its boot and model load.
    int start = wanted - current;
    for (int k = 0; k < cluster_.nodes() && start > 0; ++k) {
      if (cluster_.state(k) != NodeState::kOff) continue;
      const auto i = static_cast<std::size_t>(k);
      cluster_.set_state(k, NodeState::kBooting);
      sim_.schedule_in(p_.boot_time + p_.load_time, *this, kReady,
                       (static_cast<std::uint64_t>(k) << 32) | ++generation_[i]);
      --start;
    }
  } else if (most < current) {
    // Remove the newest first: booting nodes (nothing to drain), then serving ones.
    int stop = current - most;
    for (const NodeState s : {NodeState::kBooting, NodeState::kServing})
      for (int k = cluster_.nodes() - 1; k >= 0 && stop > 0; --k)
        if (cluster_.state(k) == s) {
          cluster_.set_state(k, NodeState::kOff);
          --stop;
        }
  }
}

}  // namespace servesim
