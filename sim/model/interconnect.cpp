#include "sim/model/interconnect.h"

#include <string>

namespace servesim {

Interconnect::Interconnect(Simulator& sim, const PcieParams& pcie, const GpuParams& gpu, int gpus)
    : sim_(sim), pcie_(sim) {
  if (gpus <= 0) return;
  const auto host_h2d =
      pcie_.add_link("pcie.host_h2d", pcie.host_link.bytes_per_s, pcie.host_link.latency);
  const auto host_d2h =
      pcie_.add_link("pcie.host_d2h", pcie.host_link.bytes_per_s, pcie.host_link.latency);
  links_ = {host_h2d, host_d2h};
  ports_.reserve(static_cast<std::size_t>(gpus));
  for (int g = 0; g < gpus; ++g) {
    const std::string name = "pcie.gpu" + std::to_string(g);
    const auto down =
        pcie_.add_link(name + "_h2d", pcie.gpu_link.bytes_per_s, pcie.gpu_link.latency);
    const auto up = pcie_.add_link(name + "_d2h", pcie.gpu_link.bytes_per_s, pcie.gpu_link.latency);
    links_.push_back(down);
    links_.push_back(up);
    ports_.push_back(Port{Slots(gpu.h2d_engines), Slots(gpu.d2h_engines),
                          pcie_.add_route({host_h2d, down}), pcie_.add_route({up, host_d2h})});
  }
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
  if (tracer_ && tracer_->wants(sim_.now()))
    tracer_->span(
        node_, "pcie gpu" + std::to_string(t.gpu) + (t.dir == Direction::kToGpu ? " h2d" : " d2h"),
        "copy", t.started, sim_.now(), 1);
  // The engine passes to the next copy in line before this one's owner hears back.
  ports_[static_cast<std::size_t>(t.gpu)].engines(t.dir).release();
  t.owner->work_done(t.token);
}

void Interconnect::describe(std::vector<ResourceInfo>& out) const {
  for (const auto l : links_) out.push_back({pcie_.link_name(l), 1, "", 0, 0});
}

void Interconnect::busy_areas(Time now, std::vector<double>& out) const {
  for (const auto l : links_) out.push_back(pcie_.utilization_area(l, now));
}

}  // namespace servesim
