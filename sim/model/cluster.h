#pragma once
/// K identical nodes behind a load balancer (round_robin, random, least_outstanding,
/// power_of_two). With max_outstanding_per_node the balancer holds the excess in a FIFO; that
/// wait is reported as a stage of its own.

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/index_tree.h"
#include "sim/core/random.h"
#include "sim/core/ring.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/node.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/stations.h"

namespace servesim {

class Autoscaler;

/// A node of the cluster: off (not started, or removed), booting (started, not yet serving) or
/// serving (the balancer sends it requests). Without cluster.autoscale every node serves.
enum class NodeState : std::uint8_t { kOff, kBooting, kServing };

class Cluster final : public CompletionListener, public Observer {
 public:
  Cluster(Simulator& sim, const ScenarioParams& params, std::uint64_t replication);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  /// A client's request arrives now (scheduled at `arrival`); false when dropped because
  /// run.max_in_system requests are already inside.
  bool admit(Time arrival, std::uint32_t client, std::size_t image);
  void set_listener(CompletionListener* l) { listener_ = l; }
  void set_tracer(Tracer* t) {
    for (auto& n : nodes_) n->set_tracer(t);
  }
  /// From here on, in-window events go to `observer`; stops the run after `stop_after`
  /// completions (0: never).
  void open_window(Observer* observer, std::uint64_t stop_after);

  /// Counters summed over nodes, plus the balancer's own.
  ModelCounters counters() const;
  /// The nodes' resources, each pooled over all nodes (servers x K).
  std::vector<ResourceInfo> resources() const;
  /// What the observer's station indices mean (the nodes report by the same table).
  const Stations& stations() const { return stations_; }
  int nodes() const { return static_cast<int>(nodes_.size()); }
  Node& node(int k) { return *nodes_[static_cast<std::size_t>(k)]; }
  /// cluster.autoscale: a node's state, and a change of it. A node that stops serving keeps
  /// the requests it holds until they leave (it drains); it is billed until then.
  NodeState state(int k) const { return state_[static_cast<std::size_t>(k)]; }
  void set_state(int k, NodeState s);

  // From the nodes.
  void request_left(const Request& r) override;
  void request_rejected(const Request& r) override;
  void request_done(Time latency) override;
  void stage_done(std::uint32_t stage, const StageSpan& span) override;
  void batch_done(std::uint32_t stage, std::size_t size, const StageSpan& span) override;
  void child_done(Time latency) override { observer_->child_done(latency); }

 private:
  struct Waiting {
    Time arrival = 0;
    std::uint32_t client = 0;
    std::size_t image = 0;
  };
  /// The node to send to, or -1 when every node is at its cap. O(1) without a cap (round robin,
  /// random, power of two), O(log n) otherwise: the same choices and draws as a scan.
  int choose();
  bool eligible(int k) const;
  /// The `i`-th eligible node (from 0) other than `skip` (-1: none skipped).
  int eligible_node(std::size_t i, int skip) const;
  /// Whether choose() reads eligible_: with a cap, or with autoscale (nodes that do not serve).
  bool tracked() const { return params_.cluster.max_outstanding_per_node > 0 || autoscaler_; }
  /// Sends waiting requests while a node can take them.
  void dispatch_waiting();
  bool billed(std::size_t k) const { return state_[k] != NodeState::kOff || outstanding_[k] > 0; }
  void count_nodes();
  void set_outstanding(std::size_t k, std::uint64_t v);
  void send(int k, const Waiting& w);
  void freed(const Request& r);

  Simulator& sim_;
  const ScenarioParams& params_;
  Stations stations_;      // before nodes_: they report by it
  RequestStore requests_;  // before nodes_: their request records
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<std::uint64_t> outstanding_;
  MinTree least_;       // outstanding_ by node: the least loaded, lowest index first
  CountTree eligible_;  // when tracked(): the serving nodes under the cap
  Ring<Waiting> waiting_;
  Rng rng_;
  std::uint32_t next_ = 0;  // round robin
  CompletionListener* listener_ = nullptr;
  Observer* observer_ = nullptr;
  std::uint64_t window_done_ = 0, stop_after_ = 0;
  std::uint64_t arrivals_ = 0, dropped_ = 0;
  std::uint64_t held_ = 0;  // requests inside the nodes
  TimeIntegral waiting_area_;
  std::vector<NodeState> state_;
  TimeIntegral serving_, billed_;  // nodes serving; nodes booting, serving or draining
  std::unique_ptr<Autoscaler> autoscaler_;
};

}  // namespace servesim
