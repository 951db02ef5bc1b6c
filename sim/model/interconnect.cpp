#include "sim/model/interconnect.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace servesim {

std::vector<int> pcie_chain(const PcieParams& pcie, int gpu) {
  std::vector<int> chain;
  // The parser refuses cycles; the bound keeps a broken tree from looping all the same.
  for (int l = pcie.gpu_ports.at(static_cast<std::size_t>(gpu));
       l >= 0 && chain.size() <= pcie.topology.size();
       l = pcie.topology[static_cast<std::size_t>(l)].parent)
    chain.push_back(l);
  return chain;
}

Time pcie_route_latency(const PcieParams& pcie, int gpu) {
  if (pcie.topology.empty()) return pcie.host_link.latency + pcie.gpu_link.latency;
  Time latency = 0;
  for (const int l : pcie_chain(pcie, gpu))
    latency += pcie.topology[static_cast<std::size_t>(l)].link.latency;
  return latency;
}

Interconnect::Interconnect(Simulator& sim, const PcieParams& pcie, const GpuParams& gpu, int gpus,
                           const MemoryParams& memory)
    : sim_(sim), pcie_(sim) {
  // Each GPU's route towards the GPU, root first, as (h2d, d2h) links of each hop.
  const auto hops = gpus <= 0               ? std::vector<std::vector<Hop>>()
                    : pcie.topology.empty() ? add_flat_links(pcie, gpus)
                                            : add_tree_links(pcie, gpus);
  if (memory.bytes_per_s > 0) {
    has_memory_ = true;
    memory_ = pcie_.add_link("memory", memory.bytes_per_s, 0);
    memory_bytes_per_ns_ = memory.bytes_per_s * 1e-9;
    links_.push_back(memory_);
  }
  ports_.reserve(hops.size());
  for (const auto& route : hops) {
    // H2D reads host memory before its bytes go down the tree; D2H writes it at the end.
    std::vector<FlowNetwork::LinkId> down, up;
    if (has_memory_) down.push_back(memory_);
    for (const Hop& h : route) down.push_back(h.h2d);
    for (auto h = route.rbegin(); h != route.rend(); ++h) up.push_back(h->d2h);
    if (has_memory_) up.push_back(memory_);
    ports_.push_back(Port{Slots(gpu.h2d_engines), Slots(gpu.d2h_engines), pcie_.add_route(down),
                          pcie_.add_route(up)});
  }
}

Interconnect::Hop Interconnect::add_hop(const std::string& name, double bytes_per_s, Time latency) {
  const Hop h{pcie_.add_link(name + "_h2d", bytes_per_s, latency),
              pcie_.add_link(name + "_d2h", bytes_per_s, latency)};
  links_.push_back(h.h2d);
  links_.push_back(h.d2h);
  return h;
}

std::vector<std::vector<Interconnect::Hop>> Interconnect::add_flat_links(const PcieParams& pcie,
                                                                         int gpus) {
  const Hop host = add_hop("pcie.host", pcie.host_link.bytes_per_s, pcie.host_link.latency);
  std::vector<std::vector<Hop>> out;
  out.reserve(static_cast<std::size_t>(gpus));
  for (int g = 0; g < gpus; ++g)
    out.push_back({host, add_hop("pcie.gpu" + std::to_string(g), pcie.gpu_link.bytes_per_s,
                                 pcie.gpu_link.latency)});
  return out;
}

std::vector<std::vector<Interconnect::Hop>> Interconnect::add_tree_links(const PcieParams& pcie,
                                                                         int gpus) {
  // Only the links some GPU's route crosses become links (and resources): an empty slot carries
  // nothing. A bifurcated link trains narrower when a GPU sits on (or below) its partner.
  std::vector<bool> used(pcie.topology.size(), false);
  std::vector<std::vector<int>> chains;
  for (int g = 0; g < gpus; ++g) {
    chains.push_back(pcie_chain(pcie, g));
    for (const int l : chains.back()) used[static_cast<std::size_t>(l)] = true;
  }
  std::vector<Hop> hop(pcie.topology.size());
  for (std::size_t l = 0; l < pcie.topology.size(); ++l) {
    if (!used[l]) continue;
    const PcieTreeLink& t = pcie.topology[l];
    const bool narrow = t.narrow_with >= 0 && used[static_cast<std::size_t>(t.narrow_with)];
    hop[l] = add_hop("pcie." + t.name, narrow ? t.narrow_bytes_per_s : t.link.bytes_per_s,
                     t.link.latency);
  }
  std::vector<std::vector<Hop>> out;
  for (const auto& chain : chains) {
    std::vector<Hop> route;
    for (auto l = chain.rbegin(); l != chain.rend(); ++l)
      route.push_back(hop[static_cast<std::size_t>(*l)]);
    out.push_back(std::move(route));
  }
  return out;
}

void Interconnect::memory_flow(double bytes, double weight, WorkOwner& owner, std::uint64_t token) {
  assert(has_memory_);
  // One route per weight, made the first time that weight is asked for.
  auto it = std::find_if(memory_routes_.begin(), memory_routes_.end(),
                         [&](const auto& r) { return r.first == weight; });
  if (it == memory_routes_.end()) {
    memory_routes_.emplace_back(weight, pcie_.add_weighted_route({{memory_, weight}}));
    it = memory_routes_.end() - 1;
  }
  pcie_.start(it->second, bytes, owner, token);
}

void Interconnect::add_network(const LinkParams& link, double memory_weight) {
  network_ = link;
  const FlowNetwork::LinkId in = pcie_.add_link("network.in", link.bytes_per_s, link.latency);
  links_.push_back(in);
  std::vector<FlowNetwork::Crossing> route{{in, 1.0}};
  if (has_memory_) {
    route.push_back({memory_, memory_weight});
    network_memory_weight_ = memory_weight;
  }
  network_route_ = pcie_.add_weighted_route(route);
}

void Interconnect::network_transfer(double bytes, WorkOwner& owner, std::uint64_t token) {
  pcie_.start(network_route_, bytes, owner, token);
}

double Interconnect::network_ideal_ns(double bytes) const {
  // The slower of the link and the memory link's share of this payload's traffic.
  double per_ns = network_.bytes_per_s * 1e-9;
  if (network_memory_weight_ > 0)
    per_ns = std::min(per_ns, memory_bytes_per_ns_ / network_memory_weight_);
  return static_cast<double>(network_.latency) + bytes / per_ns;
}

void Interconnect::transfer(int gpu, Direction dir, double bytes, WorkOwner& owner,
                            std::uint64_t token) {
  std::uint32_t slot;
  if (free_transfers_.empty()) {
    slot = static_cast<std::uint32_t>(transfers_.size());
    transfers_.emplace_back();
  } else {
    slot = free_transfers_.back();
    free_transfers_.pop_back();
  }
  transfers_[slot] = Transfer{gpu, dir, bytes, &owner, token, false};
  // A copy holds one of the GPU's DMA engines for its direction while it moves.
  if (ports_[static_cast<std::size_t>(gpu)].engines(dir).acquire(*this, slot)) start_flow(slot);
}

void Interconnect::start_flow(std::uint32_t slot) {
  Transfer& t = transfers_[slot];
  t.flowing = true;
  t.started = sim_.now();
  const Port& p = ports_[static_cast<std::size_t>(t.gpu)];
  pcie_.start(t.dir == Direction::kToGpu ? p.to_gpu : p.to_host, t.bytes, *this, slot);
}

void Interconnect::work_done(std::uint64_t token) {
  const auto slot = static_cast<std::uint32_t>(token);
  const Transfer t = transfers_[slot];
  if (!t.flowing) {  // a copy engine was granted
    start_flow(slot);
    return;
  }
  free_transfers_.push_back(slot);
  if (tracer_ && tracer_->wants(sim_.now())) {
    const auto ids = t.owner->trace_requests(t.token);
    tracer_->span(node_, lane(t.gpu, t.dir), "copy", t.started, sim_.now(),
                  std::max<std::size_t>(1, ids.size()), ids);
  }
  // The engine passes to the next copy in line before this one's owner hears back.
  ports_[static_cast<std::size_t>(t.gpu)].engines(t.dir).release();
  t.owner->work_done(t.token);
}

void Interconnect::trace_to(Tracer* t, std::uint32_t node) {
  tracer_ = t;
  node_ = node;
  if (!t) return;
  for (std::size_t g = 0; g < ports_.size(); ++g)
    for (const Direction d : {Direction::kToGpu, Direction::kToHost})
      t->lane(node, lane(static_cast<int>(g), d));
}

std::string Interconnect::lane(int gpu, Direction dir) {
  return "pcie gpu" + std::to_string(gpu) + (dir == Direction::kToGpu ? " h2d" : " d2h");
}

void Interconnect::describe(std::vector<ResourceInfo>& out) const {
  for (const auto l : links_) out.push_back({pcie_.link_name(l), 1, "", 0, 0});
}

void Interconnect::busy_areas(Time now, std::vector<double>& out) const {
  for (const auto l : links_) out.push_back(pcie_.utilization_area(l, now));
}

}  // namespace servesim
