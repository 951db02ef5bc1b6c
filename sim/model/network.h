#pragma once
/// node.network: the link between the clients and the node. A request's payload crosses it
/// toward the node, max-min fair with the other payloads in flight (a FlowNetwork of one link);
/// the link's latency is a request-response round trip, paid once per request, and the response
/// (a few hundred bytes of JSON) adds no transfer time of its own.

#include <cstdint>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/flow_network.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"

namespace servesim {

class Network {
 public:
  Network(Simulator& sim, const LinkParams& link);
  Network(const Network&) = delete;
  Network& operator=(const Network&) = delete;

  /// Moves `bytes` to the node; owner.work_done(token) when the last byte is through.
  void transfer(double bytes, WorkOwner& owner, std::uint64_t token);
  /// How long `bytes` take on an otherwise idle link, ns (latency included).
  double ideal_ns(double bytes) const;

  /// The link as a resource (appended), and its busy area in the same order.
  void describe(std::vector<ResourceInfo>& out) const;
  void busy_areas(Time now, std::vector<double>& out) const;

 private:
  LinkParams link_;
  FlowNetwork flows_;
  FlowNetwork::LinkId in_ = 0;
  FlowNetwork::RouteId route_ = 0;
};

}  // namespace servesim
