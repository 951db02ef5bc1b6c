#include "sim/model/network.h"

namespace servesim {

Network::Network(Simulator& sim, const LinkParams& link) : link_(link), flows_(sim) {
  in_ = flows_.add_link("network.in", link.bytes_per_s, link.latency);
  route_ = flows_.add_route({in_});
}

void Network::transfer(double bytes, WorkOwner& owner, std::uint64_t token) {
  flows_.start(route_, bytes, owner, token);
}

double Network::ideal_ns(double bytes) const {
  return static_cast<double>(link_.latency) + bytes / link_.bytes_per_s * 1e9;
}

void Network::describe(std::vector<ResourceInfo>& out) const {
  out.push_back({flows_.link_name(in_), 1, "", 0, 0});
}

void Network::busy_areas(Time now, std::vector<double>& out) const {
  out.push_back(flows_.utilization_area(in_, now));
}

}  // namespace servesim
