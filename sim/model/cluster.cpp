#include "sim/model/cluster.h"

#include <algorithm>
#include <cassert>
#include <limits>

#include "sim/model/autoscaler.h"

namespace servesim {

namespace {
/// The nodes built: with cluster.autoscale, as many as it may ever run.
std::size_t built_nodes(const ClusterParams& c) {
  return static_cast<std::size_t>(c.autoscale ? c.autoscale->max_nodes : c.nodes);
}
}  // namespace

Cluster::Cluster(Simulator& sim, const ScenarioParams& params, std::uint64_t replication)
    : sim_(sim),
      params_(params),
      stations_(params),
      outstanding_(built_nodes(params.cluster), 0),
      least_(outstanding_.size()),
      eligible_(outstanding_.size()),
      rng_(Rng::stream(params.seed, replication, "balancer", "choice")),
      state_(outstanding_.size(), NodeState::kOff) {
  for (std::size_t k = 0; k < outstanding_.size(); ++k) {
    nodes_.push_back(std::make_unique<Node>(sim, params, stations_, requests_, replication,
                                            static_cast<std::uint32_t>(k),
                                            nodes_.empty() ? nullptr : nodes_.front().get()));
    nodes_.back()->set_listener(this);
  }
  if (params.cluster.autoscale)
    autoscaler_ = std::make_unique<Autoscaler>(sim, *this, *params.cluster.autoscale);
  assert(static_cast<std::size_t>(params.cluster.nodes) <= outstanding_.size());  // parse_cluster
  for (int k = 0; k < params.cluster.nodes; ++k)
    state_[static_cast<std::size_t>(k)] = NodeState::kServing;
  for (std::size_t k = 0; k < outstanding_.size(); ++k) set_outstanding(k, 0);
  count_nodes();
  if (autoscaler_) autoscaler_->start();
}

Cluster::~Cluster() = default;

bool Cluster::eligible(int k) const {
  const auto i = static_cast<std::size_t>(k);
  const std::uint64_t cap = params_.cluster.max_outstanding_per_node;
  return state_[i] == NodeState::kServing && (cap == 0 || outstanding_[i] < cap);
}

void Cluster::set_outstanding(std::size_t k, std::uint64_t v) {
  outstanding_[k] = v;
  // Each tree is kept only where choose() reads it. A node that does not serve is never the
  // least loaded.
  if (params_.cluster.policy == BalancerPolicy::kLeastOutstanding) {
    least_.set(k, state_[k] == NodeState::kServing ? v : std::numeric_limits<std::uint64_t>::max());
  } else if (tracked()) {
    eligible_.set(k, eligible(static_cast<int>(k)));
  }
}

void Cluster::count_nodes() {
  double serving = 0, billed = 0;
  for (std::size_t k = 0; k < state_.size(); ++k) {
    serving += state_[k] == NodeState::kServing ? 1 : 0;
    billed += this->billed(k) ? 1 : 0;
  }
  serving_.set(sim_.now(), serving);
  billed_.set(sim_.now(), billed);
}

void Cluster::set_state(int k, NodeState s) {
  const auto i = static_cast<std::size_t>(k);
  state_[i] = s;
  set_outstanding(i, outstanding_[i]);
  count_nodes();
  if (s == NodeState::kServing) dispatch_waiting();
}

int Cluster::eligible_node(std::size_t i, int skip) const {
  const bool capped = tracked();
  if (skip >= 0) {  // skip's rank among the eligible nodes: from it on, one further
    const auto s = static_cast<std::size_t>(skip);
    if (i >= (capped ? eligible_.before(s) : s)) ++i;
  }
  return static_cast<int>(capped ? eligible_.nth(i) : i);
}

int Cluster::choose() {
  const int n = nodes();
  if (n == 1) return eligible(0) ? 0 : -1;
  if (params_.cluster.policy == BalancerPolicy::kLeastOutstanding) {
    // Ties: the lowest index. The least loaded node is under the cap if any is.
    const auto k = static_cast<int>(least_.min_slot());
    return eligible(k) ? k : -1;
  }
  const bool capped = tracked();
  const std::size_t count = capped ? eligible_.count() : static_cast<std::size_t>(n);
  if (count == 0) return -1;
  switch (params_.cluster.policy) {
    case BalancerPolicy::kRoundRobin: {
      // The first eligible node at or after next_, wrapping around.
      const std::size_t from = capped ? eligible_.before(next_) : next_;
      const int k = eligible_node(from < count ? from : 0, -1);
      next_ = static_cast<std::uint32_t>(k + 1) % static_cast<std::uint32_t>(n);
      return k;
    }
    case BalancerPolicy::kLeastOutstanding:
      break;  // above
    case BalancerPolicy::kRandom:
    case BalancerPolicy::kPowerOfTwo: {
      // The i-th eligible node, i uniform: the same draws whatever the caps do elsewhere.
      const int a = eligible_node(rng_.below(count), -1);
      if (params_.cluster.policy == BalancerPolicy::kRandom || count == 1) return a;
      const int b = eligible_node(rng_.below(count - 1), a);  // two distinct choices
      // The less loaded wins (ties: the first).
      return outstanding_[static_cast<std::size_t>(b)] < outstanding_[static_cast<std::size_t>(a)]
                 ? b
                 : a;
    }
  }
  return -1;
}

bool Cluster::admit(Time arrival, std::uint32_t client, std::size_t image) {
  if (held_ + waiting_.size() >= params_.run.max_in_system) {
    ++dropped_;
    return false;
  }
  ++arrivals_;
  const Waiting w{arrival, client, image};
  // FIFO: nobody overtakes a request already waiting at the balancer.
  const int k = waiting_.empty() ? choose() : -1;
  if (k < 0) {
    waiting_.push(w);
    waiting_area_.set(sim_.now(), static_cast<double>(waiting_.size()));
    return true;
  }
  send(k, w);
  return true;
}

void Cluster::send(int k, const Waiting& w) {
  set_outstanding(static_cast<std::size_t>(k), outstanding_[static_cast<std::size_t>(k)] + 1);
  ++held_;
  if (stations_.balancer() != Stations::kNone && observer_)
    observer_->stage_done(stations_.balancer(), StageSpan{sim_.now() - w.arrival, 0, 0, 0});
  nodes_[static_cast<std::size_t>(k)]->admit(w.arrival, w.client, w.image);
}

void Cluster::freed(const Request& r) {
  set_outstanding(r.node, outstanding_[r.node] - 1);
  --held_;
  // A removed node is billed until it has drained.
  if (state_[r.node] == NodeState::kOff && outstanding_[r.node] == 0) count_nodes();
  dispatch_waiting();
}

void Cluster::dispatch_waiting() {
  while (!waiting_.empty()) {
    const int k = choose();
    if (k < 0) break;
    const Waiting w = waiting_.pop();
    waiting_area_.set(sim_.now(), static_cast<double>(waiting_.size()));
    send(k, w);
  }
}

void Cluster::request_left(const Request& r) {
  freed(r);
  if (listener_) listener_->request_left(r);
}

void Cluster::request_rejected(const Request& r) {
  freed(r);
  if (listener_) listener_->request_rejected(r);
}

void Cluster::open_window(Observer* observer, std::uint64_t stop_after) {
  observer_ = observer;
  stop_after_ = stop_after;
  window_done_ = 0;
  for (auto& n : nodes_) n->open_window(observer ? this : nullptr, 0);
}

void Cluster::request_done(Time latency) {
  observer_->request_done(latency);
  if (++window_done_ == stop_after_) sim_.stop();
}

void Cluster::stage_done(std::uint32_t station, const StageSpan& span) {
  observer_->stage_done(station, span);
}

void Cluster::batch_done(std::uint32_t station, std::size_t size, const StageSpan& span) {
  observer_->batch_done(station, size, span);
}

ModelCounters Cluster::counters() const {
  ModelCounters c = nodes_.front()->counters();
  for (std::size_t k = 1; k < nodes_.size(); ++k) {
    const ModelCounters o = nodes_[k]->counters();
    c.completions += o.completions;
    c.child_completions += o.child_completions;
    c.children_emitted += o.children_emitted;
    c.children_inside += o.children_inside;
    c.rejected += o.rejected;
    c.in_system += o.in_system;
    c.in_system_area += o.in_system_area;
    for (std::size_t i = 0; i < c.stage_busy_area.size(); ++i) {
      c.stage_busy_area[i] += o.stage_busy_area[i];
      c.stage_in_stage_area[i] += o.stage_in_stage_area[i];
    }
    for (std::size_t i = 0; i < c.resource_busy_area.size(); ++i)
      c.resource_busy_area[i] += o.resource_busy_area[i];
    c.gpu_memory_area += o.gpu_memory_area;
    c.gpu_memory_peak = std::max(c.gpu_memory_peak, o.gpu_memory_peak);
    for (std::size_t g = 0; g < c.gpu_memory_peak_each.size(); ++g)
      c.gpu_memory_peak_each[g] = std::max(c.gpu_memory_peak_each[g], o.gpu_memory_peak_each[g]);
    c.spilled_bytes += o.spilled_bytes;
    c.pool_area += o.pool_area;
    c.pool_peak = std::max(c.pool_peak, o.pool_peak);
    c.pool_spilled_bytes += o.pool_spilled_bytes;
    c.pool_reloaded_bytes += o.pool_reloaded_bytes;
    c.context_switches += o.context_switches;
    for (std::size_t g = 0; g < c.gpu_kernel_energy_j.size(); ++g)
      c.gpu_kernel_energy_j[g] += o.gpu_kernel_energy_j[g];
  }
  // The balancer's requests are in the system too; its counts replace the nodes'.
  const Time now = sim_.now();
  c.arrivals = arrivals_;
  c.dropped = dropped_;
  c.in_system += waiting_.size();
  c.in_system_area += waiting_area_.area(now);
  c.nodes_serving = static_cast<int>(serving_.value());
  c.nodes_serving_area = serving_.area(now);
  c.nodes_billed_area = billed_.area(now);
  if (stations_.balancer() != Stations::kNone)  // the nodes left its slot at 0
    c.stage_in_stage_area[stations_.balancer()] = waiting_area_.area(now);
  return c;
}

std::vector<ResourceInfo> Cluster::resources() const {
  std::vector<ResourceInfo> r = nodes_.front()->resources();
  const auto k = static_cast<double>(nodes_.size());
  for (auto& info : r) {
    info.servers *= k;
    info.idle_w *= k;  // power of the pooled device: K of them
    info.busy_w *= k;
  }
  return r;
}

}  // namespace servesim
