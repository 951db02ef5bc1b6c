#include "sim/model/node.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

namespace servesim {

namespace {

/// Children of one request: fixed, Poisson (by inversion of its CDF) or empirical.
std::uint32_t draw_count(const FanoutCount& c, Rng& rng) {
  switch (c.kind) {
    case FanoutCount::Kind::kFixed:
      return static_cast<std::uint32_t>(c.mean);
    case FanoutCount::Kind::kPoisson: {
      const double u = rng.uniform01();
      double p = std::exp(-c.mean), cdf = p;
      std::uint32_t k = 0;
      while (u > cdf && p > 0) {
        ++k;
        p *= c.mean / k;
        cdf += p;
      }
      return k;
    }
    case FanoutCount::Kind::kEmpirical: {
      const double u = rng.uniform01();
      const auto it = std::upper_bound(c.cum_weights.begin(), c.cum_weights.end() - 1, u);
      return c.values[static_cast<std::size_t>(it - c.cum_weights.begin())];
    }
  }
  return 0;
}

}  // namespace

Node::Node(Simulator& sim, const ScenarioParams& params, std::uint64_t replication,
           std::uint32_t index)
    : sim_(sim),
      params_(params),
      index_(index),
      cpu_(params.node.cpu.scheduler == CpuScheduler::kPerCore
               ? std::unique_ptr<Server>(std::make_unique<PerCoreServer>(sim, params.node.cpu.cores,
                                                                         params.node.cpu.speed))
               : std::make_unique<SharedServer>(sim, params.node.cpu.cores, params.node.cpu.speed)),
      pcie_(sim) {
  const NodeParams& np = params.node;
  if (np.gpus.count > 0) {
    const auto& pc = np.pcie;
    const auto host_h2d =
        pcie_.add_link("pcie.host_h2d", pc.host_link.bytes_per_s, pc.host_link.latency);
    const auto host_d2h =
        pcie_.add_link("pcie.host_d2h", pc.host_link.bytes_per_s, pc.host_link.latency);
    links_ = {host_h2d, host_d2h};
    for (int g = 0; g < np.gpus.count; ++g) {
      gpus_.push_back(std::make_unique<Gpu>(sim, np.gpus));
      const std::string gname = "pcie.gpu" + std::to_string(g);
      const auto down =
          pcie_.add_link(gname + "_h2d", pc.gpu_link.bytes_per_s, pc.gpu_link.latency);
      const auto up = pcie_.add_link(gname + "_d2h", pc.gpu_link.bytes_per_s, pc.gpu_link.latency);
      links_.push_back(down);
      links_.push_back(up);
      route_h2d_.push_back(pcie_.add_route({host_h2d, down}));
      route_d2h_.push_back(pcie_.add_route({up, host_d2h}));
    }
  }
  stages_.reserve(params.pipeline.size());
  for (std::size_t i = 0; i < params.pipeline.size(); ++i) {
    const StageParams& sp = params.pipeline[i];
    const std::string name =
        (index == 0 ? "" : "node" + std::to_string(index) + "/") + "stage/" + sp.name;
    stages_.push_back(
        std::make_unique<Stage>(*this, static_cast<std::uint32_t>(i), sp,
                                Rng::stream(params.seed, replication, name, "service"),
                                Rng::stream(params.seed, replication, name, "wakeup")));
  }
  if (const std::size_t f = fanout_stage(params); f != kNoFanout) {
    const std::string prefix = index == 0 ? "" : "node" + std::to_string(index) + "/";
    fanout_ = static_cast<std::uint32_t>(f);
    fanout_rng_ = Rng::stream(params.seed, replication, prefix + "stage/" + params.pipeline[f].name,
                              "fanout");
    broker_ = make_broker(*this, params.pipeline[f].fanout->broker,
                          Rng::stream(params.seed, replication, prefix + "broker", "service"));
  }
  describe_resources();
}

void Node::describe_resources() {
  const NodeParams& np = params_.node;
  for (const auto& s : stages_)
    resources_.push_back({s->name() + ".instances", static_cast<double>(s->instances()), "", 0, 0});
  resources_.push_back(
      {"cpu", static_cast<double>(np.cpu.cores), "cpu", np.cpu.power.idle_w, np.cpu.power.busy_w});
  for (int g = 0; g < gpu_count(); ++g) {
    const std::string gn = "gpu" + std::to_string(g);
    resources_.push_back({gn + ".compute", 1, gn, np.gpus.power.idle_w, np.gpus.power.busy_w});
    if (np.gpus.nvjpg_engines > 0)
      resources_.push_back({gn + ".nvjpg", static_cast<double>(np.gpus.nvjpg_engines), "", 0, 0});
  }
  for (const auto l : links_) resources_.push_back({pcie_.link_name(l), 1, "", 0, 0});
  if (broker_) broker_->describe(resources_);
}

RequestId Node::admit(Time arrival, std::uint32_t client, std::size_t image) {
  if (requests_.live() - children_live_ >= params_.run.max_in_system) {
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

void Node::forward(RequestId id) {
  const Request& at = requests_[id];
  if (at.stage == fanout_) {
    fan_out(id);
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

void Node::complete(RequestId id) {
  const Request r = requests_[id];
  if (r.location != kHost) leave_gpu(r);  // a pipeline may end on a GPU (a to_gpu transfer)
  requests_.release(id);
  ++completions_;
  in_system_.add(sim_.now(), -1);
  if (tracer_ && tracer_->wants(sim_.now())) tracer_->request(index_, r.arrival, sim_.now());
  if (observer_) {
    observer_->request_done(sim_.now() - r.arrival);
    if (++window_done_ == stop_after_) sim_.stop();
  }
  if (listener_) listener_->request_left(r);
}

RequestId Node::spawn(RequestId parent) {
  const FanoutParams& f = *params_.pipeline[fanout_].fanout;
  const std::uint32_t k = draw_count(f.count, fanout_rng_);
  requests_[parent].children = k;
  const Time now = sim_.now();
  RequestId first = kNoRequest, prev = kNoRequest;
  for (std::uint32_t s = 0; s < k; ++s) {
    const RequestId c = requests_.acquire();  // may move the pool: no reference is held across
    Request& r = requests_[c];
    r.arrival = now;
    r.stage_enter = now;
    r.stage = fanout_;
    r.client = requests_[parent].client;
    r.node = index_;
    r.width = f.width;
    r.height = f.height;
    r.pixels = static_cast<double>(f.width) * f.height;
    r.bytes = f.bytes;
    r.parent = parent;
    r.seq = s;
    r.holder = requests_[parent].holder;
    if (prev == kNoRequest) {
      first = c;
    } else {
      requests_[prev].next_sibling = c;
    }
    prev = c;
  }
  children_live_ += k;
  children_emitted_ += k;
  return first;
}

void Node::fan_out(RequestId parent) {
  const RequestId first = spawn(parent);
  if (first == kNoRequest) {  // k = 0: done after the fan-out stage
    complete(parent);
    return;
  }
  in_broker_.add(sim_.now(), requests_[parent].children);
  broker_->publish(first);
}

void Node::fan_out_fused(const std::vector<RequestId>& batch, std::uint32_t instance) {
  // The worker holds every child of its batch at once (the crops of all its frames), so they
  // enter the first child stage together: its batcher cuts them into batches of up to its
  // max_batch_size, as the process's own inference calls would.
  fused_scratch_.clear();
  for (const RequestId id : batch) {
    requests_[id].holder = instance;
    for (RequestId c = spawn(id); c != kNoRequest;) {
      fused_scratch_.push_back(c);
      c = std::exchange(requests_[c].next_sibling, kNoRequest);
    }
  }
  if (held_.size() <= instance) held_.resize(instance + 1, 0);
  held_[instance] = static_cast<std::uint32_t>(fused_scratch_.size());
  if (fused_scratch_.empty()) {
    stages_[fanout_]->release(instance);
  } else {
    stages_[fanout_ + 1]->accept_batch(fused_scratch_);
  }
  for (const RequestId id : batch)
    if (requests_[id].children == 0) complete(id);
}

void Node::deliver(std::span<const RequestId> children) {
  const Time now = sim_.now();
  in_broker_.add(now, -static_cast<double>(children.size()));
  for (const RequestId id : children) {
    const Request& r = requests_[id];
    if (!observer_) break;
    // Its time in the broker: its own operations (compute), the network (input), and waiting
    // (linger, batching, for a fetch, behind other operations).
    const Time total = now - r.arrival;
    const Time compute = std::min(total, r.broker_work);
    const Time input = std::min(total - compute, broker_->network());
    observer_->stage_done(fanout_ + 1, StageSpan{total - compute - input, input, 0, compute, 0});
  }
  if (children.size() == 1) {
    stages_[fanout_ + 1]->accept(children.front());
  } else {
    stages_[fanout_ + 1]->accept_batch(children);
  }
}

void Node::child_done(RequestId id) {
  const Request c = requests_[id];
  if (c.location != kHost) leave_gpu(c);
  requests_.release(id);
  --children_live_;
  ++child_completions_;
  if (observer_) observer_->child_done(sim_.now() - c.arrival);
  const bool parent_done = --requests_[c.parent].children == 0;
  if (!broker_ && --held_[c.holder] == 0)  // fused: the worker's last child is done
    stages_[fanout_]->release(c.holder);
  if (parent_done) complete(c.parent);
}

void Node::leave_gpu(const Request& r) {
  Gpu& g = gpu(r.location);
  g.release(r.gpu_reserved);
  --g.resident;
}

void Node::forward_batch(const std::vector<RequestId>& ids) {
  if (ids.size() == 1) {
    forward(ids.front());
    return;
  }
  const std::uint32_t at = requests_[ids.front()].stage;  // the fan-out stage goes one by one
  const std::uint32_t next = at + 1;
  if (next < stages_.size() && at != fanout_) {
    stages_[next]->accept_batch(ids);
    return;
  }
  for (const RequestId id : ids) forward(id);
}

void Node::reject(RequestId id) {
  const Request r = requests_[id];
  assert(r.parent == kNoRequest && "child stages cannot refuse (config/ forbids it)");
  if (r.location != kHost) leave_gpu(r);
  requests_.release(id);
  ++rejected_;
  in_system_.add(sim_.now(), -1);
  if (listener_) listener_->request_rejected(r);
}

void Node::transfer(int gpu, Direction dir, double bytes, WorkOwner& owner, std::uint64_t token) {
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
  if (gpus_[static_cast<std::size_t>(gpu)]->copy_engines(dir).acquire(*this, slot))
    start_flow(slot);
}

void Node::set_tracer(Tracer* t) {
  tracer_ = t;
  for (int g = 0; g < gpu_count(); ++g) {
    const std::string name = "gpu" + std::to_string(g);
    if (auto* e = dynamic_cast<FifoEngine*>(&gpus_[static_cast<std::size_t>(g)]->compute()))
      e->trace_to(t, index_, name + " compute");
    if (auto* e = gpus_[static_cast<std::size_t>(g)]->nvjpg())
      e->trace_to(t, index_, name + " nvjpg");
  }
  if (broker_) broker_->trace_to(t, index_);
}

void Node::start_flow(std::uint32_t slot) {
  Transfer& t = transfers_[slot];
  t.flowing = true;
  t.started = sim_.now();
  const auto g = static_cast<std::size_t>(t.gpu);
  pcie_.start(t.dir == Direction::kToGpu ? route_h2d_[g] : route_d2h_[g], t.bytes, *this, slot);
}

void Node::work_done(std::uint64_t token) {
  const auto slot = static_cast<std::uint32_t>(token);
  const Transfer t = transfers_[slot];
  if (!t.flowing) {  // a copy engine was granted
    start_flow(slot);
    return;
  }
  free_transfers_.push_back(slot);
  if (tracer_ && tracer_->wants(sim_.now()))
    tracer_->span(
        index_, "pcie gpu" + std::to_string(t.gpu) + (t.dir == Direction::kToGpu ? " h2d" : " d2h"),
        "copy", t.started, sim_.now(), 1);
  gpus_[static_cast<std::size_t>(t.gpu)]->copy_engines(t.dir).release();
  t.owner->work_done(t.token);
}

void Node::open_window(Observer* observer, std::uint64_t stop_after) {
  observer_ = observer;
  stop_after_ = stop_after;
  window_done_ = 0;
}

ModelCounters Node::counters() const {
  const Time now = sim_.now();
  ModelCounters c;
  c.now = now;
  c.arrivals = arrivals_;
  c.dropped = dropped_;
  c.rejected = rejected_;
  c.completions = completions_;
  c.child_completions = child_completions_;
  c.children_emitted = children_emitted_;
  c.children_inside = children_live_;
  c.in_system = requests_.live() - children_live_;
  c.in_system_area = in_system_.area(now);
  for (const auto& s : stages_) {
    c.stage_busy_area.push_back(s->busy_area(now));
    c.stage_in_stage_area.push_back(s->in_stage_area(now));
    c.resource_busy_area.push_back(s->busy_area(now));
  }
  c.resource_busy_area.push_back(cpu_->busy_area(now));
  for (const auto& g : gpus_) {
    c.resource_busy_area.push_back(g->compute().busy_area(now));
    if (g->nvjpg()) c.resource_busy_area.push_back(g->nvjpg()->busy_area(now));
    c.gpu_memory_area += g->memory_area(now);
    c.gpu_memory_peak = std::max(c.gpu_memory_peak, g->memory_peak());
    c.spilled_bytes += g->spilled_bytes();
  }
  for (const auto l : links_) c.resource_busy_area.push_back(pcie_.utilization_area(l, now));
  if (broker_) {
    broker_->busy_areas(now, c.resource_busy_area);
    const auto at = static_cast<std::ptrdiff_t>(fanout_ + 1);  // the broker's reported stage
    c.stage_busy_area.insert(c.stage_busy_area.begin() + at, 0.0);
    c.stage_in_stage_area.insert(c.stage_in_stage_area.begin() + at, in_broker_.area(now));
  }
  return c;
}

}  // namespace servesim
