#include "sim/model/node.h"

#include <algorithm>
#include <cassert>
#include <string>

namespace servesim {

namespace {

/// Bytes of host-memory traffic per byte that reaches the node over node.network: over loopback
/// the kernel copies each byte twice (the sender's send() into a socket buffer, the receiver's
/// recv() out of it), each copy a read and a write; from a NIC, its DMA writes the byte once and
/// recv() copies it (a read and a write).
double network_copies(const ScenarioParams& p) {
  const bool loopback = p.workload.client && !p.workload.client->remote;
  return loopback ? 4.0 : 3.0;
}

/// The node's CPU as its random streams name it.
std::string cpu_entity(std::uint32_t node) {
  return node == 0 ? "cpu" : "node" + std::to_string(node) + "/cpu";
}

CpuEfficiency make_efficiency(const CpuParams& cpu) {
  if (cpu.efficiency.busy_cores.empty()) return {};
  return {cpu.efficiency.busy_cores, cpu.efficiency.factor, cpu.cores};
}

std::unique_ptr<Server> make_cpu(Simulator& sim, const CpuParams& cpu,
                                 const CpuEfficiency& efficiency, Rng stalls, Rng slowdowns) {
  const StallParams* st = cpu.stalls ? &*cpu.stalls : nullptr;
  const StallParams* sl = cpu.slowdowns ? &*cpu.slowdowns : nullptr;
  if (cpu.scheduler == CpuScheduler::kPerCore)
    return std::make_unique<PerCoreServer>(sim, cpu.cores, cpu.speed, &efficiency, st, stalls, sl,
                                           slowdowns);
  return std::make_unique<SharedServer>(sim, cpu.cores, cpu.speed, &efficiency, st, stalls, sl,
                                        slowdowns);
}

/// The node's Interconnect, or null when nothing on the node moves bytes through one: no GPU,
/// no node.memory and no node.network (a CPU-only node then holds none).
std::unique_ptr<Interconnect> make_interconnect(Simulator& sim, const ScenarioParams& p) {
  const NodeParams& n = p.node;
  if (n.gpus.count <= 0 && n.memory.bytes_per_s <= 0 && !n.network) return nullptr;
  auto pcie = std::make_unique<Interconnect>(sim, n.pcie, n.gpus, n.gpus.count, n.memory);
  if (n.network) pcie->add_network(*n.network, network_copies(p));
  return pcie;
}

}  // namespace

Node::Node(Simulator& sim, const ScenarioParams& params, const Stations& stations,
           RequestStore& store, std::uint64_t replication, std::uint32_t index, const Node* twin)
    : sim_(sim),
      params_(params),
      stations_(stations),
      index_(index),
      requests_(store),
      cpu_efficiency_(make_efficiency(params.node.cpu)),
      cpu_(make_cpu(sim, params.node.cpu, cpu_efficiency_,
                    Rng::stream(params.seed, replication, cpu_entity(index), "stalls"),
                    Rng::stream(params.seed, replication, cpu_entity(index), "slowdowns"))),
      pcie_(make_interconnect(sim, params)) {
  StageResources on{sim, requests_, *cpu_, {}, pcie_.get()};
  for (int g = 0; g < params.node.gpus.count; ++g) {
    gpus_.push_back(std::make_unique<Gpu>(sim, params.node.gpus, g));
    on.gpus.push_back(gpus_.back().get());
  }
  // Each node draws from streams of its own, named after what draws from them.
  const std::string prefix = index == 0 ? "" : "node" + std::to_string(index) + "/";
  stages_.reserve(params.pipeline.size());
  for (std::uint32_t i = 0; i < params.pipeline.size(); ++i) {
    const std::string name = prefix + "stage/" + params.pipeline[i].name;
    const StageParams& sp = params.pipeline[i];
    if (sp.side == StageSide::kClient && params.workload.client->remote)
      // A remote client's threads run on machines of their own: a core each, never shared.
      client_cpu_ = std::make_unique<SharedServer>(sim, sp.instances, 1.0);
    const bool remote = sp.side == StageSide::kClient && client_cpu_;
    const StageResources at{sim, requests_, remote ? *client_cpu_ : *cpu_, on.gpus, pcie_.get()};
    stages_.push_back(
        std::make_unique<Stage>(*this, at, params, StagePlace{i, stations.of_stage(i), index},
                                Rng::stream(params.seed, replication, name, "service"),
                                Rng::stream(params.seed, replication, name, "wakeup")));
  }
  if (const std::size_t f = fanout_stage(params); f != kNoFanout) {
    fanout_ = static_cast<std::uint32_t>(f);
    const StageParams& sp = params.pipeline[f];
    fan_out_ = std::make_unique<FanOut>(
        FanOutSetup{sim, requests_, *cpu_, *stages_[f], *stages_[f + 1], fanout_,
                    stations.broker()},
        *sp.fanout, Rng::stream(params.seed, replication, prefix + "stage/" + sp.name, "fanout"),
        Rng::stream(params.seed, replication, prefix + "broker", "service"));
  }
  resources_ = twin ? twin->resources_
                    : std::make_shared<const std::vector<ResourceInfo>>(describe_resources());
}

std::vector<ResourceInfo> Node::describe_resources() const {
  const NodeParams& np = params_.node;
  std::vector<ResourceInfo> out;
  for (const auto& s : stages_)
    out.push_back({s->name() + ".instances", static_cast<double>(s->instances()), "", 0, 0,
                   static_cast<int>(stations_.of_stage(s->index()))});
  out.push_back(
      {"cpu", static_cast<double>(np.cpu.cores), "cpu", np.cpu.power.idle_w, np.cpu.power.busy_w});
  for (int g = 0; g < gpu_count(); ++g) {
    const std::string gn = "gpu" + std::to_string(g);
    out.push_back({gn + ".compute", 1, gn, np.gpus.power.idle_w, np.gpus.power.busy_w, -1, g,
                   np.gpus.memory_bytes, np.gpus.held_bytes()});
    if (np.gpus.nvjpg_engines > 0)
      out.push_back({gn + ".nvjpg", static_cast<double>(np.gpus.nvjpg_engines), "", 0, 0});
  }
  if (pcie_) pcie_->describe(out);
  if (fan_out_) fan_out_->describe(out);
  return out;
}

RequestId Node::admit(Time arrival, std::uint32_t client, std::size_t image) {
  const std::uint64_t children = fan_out_ ? fan_out_->inside() : 0;
  if (requests_.live() - children >= params_.run.max_in_system) {
    ++dropped_;
    return kDropped;
  }
  ++arrivals_;
  const RequestId id = requests_.acquire();
  Request& r = requests_[id];
  r.arrival = arrival;
  r.client = client;
  r.node = index_;
  if (!params_.workload.images.empty()) {
    const ImageParams& im = params_.workload.images[image];
    r.width = im.width;
    r.height = im.height;
    r.pixels = static_cast<double>(im.width) * im.height;
    r.bytes = im.bytes;
  }
  in_system_.add(sim_.now(), 1);
  stages_.front()->accept(id);
  return id;
}

void Node::pass_on(std::span<const RequestId> batch) {
  if (batch.size() == 1) {
    forward(batch.front());
    return;
  }
  // A batch moves on together, so the next stage sees all of it before it forms its own
  // batches (as a Triton scheduler finds every request that arrived in the same instant); the
  // fan-out stage's requests go to the broker one by one.
  const std::uint32_t at = requests_[batch.front()].stage;
  const std::uint32_t next = at + 1;
  if (next < stages_.size() && at != fanout_) {
    stages_[next]->accept_batch(batch);
    return;
  }
  for (const RequestId id : batch) forward(id);
}

void Node::forward(RequestId id) {
  const Request& at = requests_[id];
  if (at.stage == fanout_) {
    if (!fan_out_->publish(id)) complete(id);  // it drew no children
    return;
  }
  const std::uint32_t next = at.stage + 1;
  if (next < stages_.size()) {
    stages_[next]->accept(id);
    return;
  }
  if (at.parent != kNoRequest) {
    child_done(id);
    return;
  }
  complete(id);
}

void Node::hold(std::span<const RequestId> batch, std::uint32_t instance) {
  fan_out_->hold(batch, instance);
  for (const RequestId id : batch)
    if (requests_[id].children == 0) complete(id);
}

void Node::complete(RequestId id) {
  const Request r = requests_[id];
  if (r.location != kHost) leave_gpu(id);  // a pipeline may end on a GPU (a to_gpu transfer)
  requests_.release(id);
  ++completions_;
  in_system_.add(sim_.now(), -1);
  if (tracer_ && tracer_->wants(sim_.now()))
    tracer_->request(index_, r.trace_id, r.arrival, sim_.now());
  if (observer_) {
    observer_->request_done(sim_.now() - r.arrival);
    if (++window_done_ == stop_after_) sim_.stop();
  }
  if (listener_) listener_->request_left(r);
}

void Node::child_done(RequestId id) {
  const Request c = requests_[id];
  if (c.location != kHost) leave_gpu(id);
  requests_.release(id);
  if (observer_) observer_->child_done(sim_.now() - c.arrival);
  if (fan_out_->child_done(c)) complete(c.parent);
}

void Node::leave_gpu(RequestId id) {
  Request& r = requests_[id];
  gpus_[static_cast<std::size_t>(r.location)]->evict(r);
}

void Node::refuse(RequestId id) {
  const Request r = requests_[id];
  assert(r.parent == kNoRequest && "child stages cannot refuse (config/ forbids it)");
  if (r.location != kHost) leave_gpu(id);
  requests_.release(id);
  ++rejected_;
  in_system_.add(sim_.now(), -1);
  if (listener_) listener_->request_rejected(r);
}

void Node::set_tracer(Tracer* t) {
  tracer_ = t;
  // Lanes in pipeline order: the stages' instances, the brokers, PCIe, the GPUs' engines.
  if (t)
    for (const auto& s : stages_) s->trace_lanes(*t);
  if (fan_out_) fan_out_->trace_to(t, index_);
  if (pcie_) pcie_->trace_to(t, index_);
  for (const auto& g : gpus_) g->trace_to(t, index_);
}

void Node::open_window(Observer* observer, std::uint64_t stop_after) {
  observer_ = observer;
  stop_after_ = stop_after;
  window_done_ = 0;
  if (fan_out_) fan_out_->open_window(observer);
}

ModelCounters Node::counters() const {
  const Time now = sim_.now();
  ModelCounters c;
  c.now = now;
  c.arrivals = arrivals_;
  c.dropped = dropped_;
  c.rejected = rejected_;
  c.completions = completions_;
  if (fan_out_) {
    c.child_completions = fan_out_->completed();
    c.children_emitted = fan_out_->emitted();
    c.children_inside = fan_out_->inside();
  }
  c.in_system = requests_.live() - c.children_inside;
  c.in_system_area = in_system_.area(now);
  // One slot per station: the stages', the broker's (busy 0: it has no instances), and the
  // balancer's, which the cluster fills.
  c.stage_busy_area.assign(stations_.size(), 0.0);
  c.stage_in_stage_area.assign(stations_.size(), 0.0);
  for (const auto& s : stages_) {
    const std::uint32_t at = stations_.of_stage(s->index());
    c.stage_busy_area[at] = s->busy_area(now);
    c.stage_in_stage_area[at] = s->in_stage_area(now);
    c.resource_busy_area.push_back(s->busy_area(now));
  }
  if (fan_out_ && fan_out_->has_broker())
    c.stage_in_stage_area[stations_.broker()] = fan_out_->in_broker_area(now);
  c.resource_busy_area.push_back(cpu_->busy_area(now));
  for (const auto& g : gpus_) {
    c.resource_busy_area.push_back(g->compute().busy_area(now));
    if (g->nvjpg()) c.resource_busy_area.push_back(g->nvjpg()->busy_area(now));
    c.gpu_memory_area += g->memory_area(now);
    c.gpu_memory_peak = std::max(c.gpu_memory_peak, g->memory_peak());
    c.gpu_memory_peak_each.push_back(g->memory_peak());
    c.spilled_bytes += g->spilled_bytes();
    c.pool_area += g->pool_area(now);
    c.pool_peak = std::max(c.pool_peak, g->pool_peak());
    c.pool_spilled_bytes += g->pool_spilled_bytes();
    c.pool_reloaded_bytes += g->pool_reloaded_bytes();
    if (const KernelEngine* k = g->kernels()) c.context_switches += k->switches();
    c.gpu_kernel_energy_j.push_back(g->kernel_energy_j());
  }
  if (pcie_) pcie_->busy_areas(now, c.resource_busy_area);
  if (fan_out_) fan_out_->busy_areas(now, c.resource_busy_area);
  return c;
}

}  // namespace servesim
