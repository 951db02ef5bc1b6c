#include "sim/model/node.h"

namespace servesim {

Node::Node(Simulator& sim, const ScenarioParams& params, std::uint64_t replication)
    : sim_(sim), params_(params), cpu_(sim, params.node.cpu.cores, params.node.cpu.speed) {
  stages_.reserve(params.pipeline.size());
  for (std::size_t i = 0; i < params.pipeline.size(); ++i) {
    const StageParams& sp = params.pipeline[i];
    stages_.push_back(std::make_unique<ComputeStage>(
        *this, static_cast<std::uint32_t>(i), sp, cpu_,
        Rng::stream(params.seed, replication, "stage/" + sp.name, "service")));
  }
}

RequestId Node::admit(Time arrival, std::uint32_t client) {
  if (requests_.live() >= params_.run.max_in_system) {
    ++dropped_;
    return kDropped;
  }
  ++arrivals_;
  const RequestId id = requests_.acquire();
  Request& r = requests_[id];
  r.arrival = arrival;
  r.client = client;
  in_system_.add(sim_.now(), 1);
  stages_.front()->accept(id);
  return id;
}

void Node::forward(RequestId id) {
  const std::uint32_t next = requests_[id].stage + 1;
  if (next < stages_.size()) {
    stages_[next]->accept(id);
    return;
  }
  const Request r = requests_[id];
  requests_.release(id);
  ++completions_;
  in_system_.add(sim_.now(), -1);
  if (observer_) {
    observer_->request_done(sim_.now() - r.arrival);
    if (++window_done_ == stop_after_) sim_.stop();
  }
  if (listener_) listener_->request_left(r);
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
  c.completions = completions_;
  c.in_system = requests_.live();
  c.in_system_area = in_system_.area(now);
  for (const auto& s : stages_) {
    c.stage_busy_area.push_back(s->busy_area(now));
    c.stage_in_stage_area.push_back(s->in_stage_area(now));
  }
  c.cpu_busy_area = cpu_.busy_area(now);
  return c;
}

}  // namespace servesim
