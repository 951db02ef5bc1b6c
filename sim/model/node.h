#pragma once
/// One serving node: its CPU pool, GPUs and PCIe links, its pipeline of stages, and the
/// requests inside it.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/core/random.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/broker.h"
#include "sim/model/engine.h"
#include "sim/model/flow_network.h"
#include "sim/model/gpu.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/stage.h"
#include "sim/model/tracer.h"

namespace servesim {

/// Told when a request leaves the node (closed workloads send the next one).
class CompletionListener {
 public:
  virtual void request_left(const Request& r) = 0;
  /// A stage refused it. Must not send into the node synchronously: the refusing stage is
  /// mid-way through its queue.
  virtual void request_rejected(const Request& r) = 0;

 protected:
  ~CompletionListener() = default;
};

class Node final : public WorkOwner {
 public:
  /// Node `index` of the cluster (each node has its own random streams).
  Node(Simulator& sim, const ScenarioParams& params, std::uint64_t replication,
       std::uint32_t index = 0);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  static constexpr RequestId kDropped = ~RequestId{0};

  /// A request arrives (scheduled at `arrival`, which is now) carrying image `image` of the
  /// workload's mix (ignored when the mix is empty); returns kDropped when the node already holds
  /// run.max_in_system requests.
  RequestId admit(Time arrival, std::uint32_t client, std::size_t image = 0);
  /// Moves a request to its next stage, or completes it after the last one.
  void forward(RequestId id);
  /// Moves a finished batch on together: the next stage sees all of it before it forms its own
  /// batches (as a Triton scheduler finds every request that arrived in the same instant).
  void forward_batch(const std::vector<RequestId>& ids);
  /// A stage refused the request (Triton's queue full or timeout): it leaves without a result.
  void reject(RequestId id);
  void stage_done(std::uint32_t stage, const StageSpan& span) {
    if (observer_) observer_->stage_done(reported(stage), span);
  }
  void batch_done(std::uint32_t stage, std::size_t size, const StageSpan& span) {
    if (observer_) observer_->batch_done(reported(stage), size, span);
  }

  /// Fused fan-out: the batch that instance `instance` of the fan-out stage just finished emits
  /// its children, which enter the child stages together while that instance is held; it is
  /// released when the last of them is done.
  void fan_out_fused(const std::vector<RequestId>& batch, std::uint32_t instance);
  /// The broker hands children to the first child stage.
  void deliver(std::span<const RequestId> children);

  /// Moves `bytes` between the host and GPU `gpu` through one of its copy engines and the PCIe
  /// links; owner.work_done(token) when the last byte is through.
  void transfer(int gpu, Direction dir, double bytes, WorkOwner& owner, std::uint64_t token);

  /// Measurement window: non-null from the end of warm-up. `stop_after` > 0 stops the simulator
  /// once that many requests have completed inside the window.
  void open_window(Observer* observer, std::uint64_t stop_after);
  void set_listener(CompletionListener* l) { listener_ = l; }
  /// Reports spans and requests to `t` (nullptr: no tracing; the default).
  void set_tracer(Tracer* t);
  Tracer* tracer() const { return tracer_; }
  std::uint32_t index() const { return index_; }

  Time now() const { return sim_.now(); }
  Simulator& sim() { return sim_; }
  const ScenarioParams& params() const { return params_; }
  Request& request(RequestId id) { return requests_[id]; }
  Server& cpu() { return *cpu_; }
  int gpu_count() const { return static_cast<int>(gpus_.size()); }
  Gpu& gpu(int g) { return *gpus_[static_cast<std::size_t>(g)]; }
  const std::vector<std::unique_ptr<Stage>>& stages() const { return stages_; }

  /// Resources in a fixed order (for reports): name, server count, and device for energy.
  const std::vector<ResourceInfo>& resources() const { return resources_; }
  ModelCounters counters() const;

  void work_done(std::uint64_t token) override;

 private:
  struct Transfer {
    int gpu = 0;
    Direction dir = Direction::kToGpu;
    double bytes = 0;
    WorkOwner* owner = nullptr;
    std::uint64_t token = 0;
    bool flowing = false;  // false: waiting for a copy engine
    Time started = 0;      // when its bytes began to move (for traces)
  };
  /// The stage index observers see: with a broker, the broker is a stage after the fan-out one.
  std::uint32_t reported(std::uint32_t stage) const {
    return stage + (broker_ && stage > fanout_ ? 1 : 0);
  }
  /// Draws the request's children, chained from the returned id (kNoRequest when none).
  RequestId spawn(RequestId parent);
  void fan_out(RequestId parent);  // through the broker
  void complete(RequestId id);     // a parent leaves the node with its result
  void child_done(RequestId id);   // a child left the last stage
  void start_flow(std::uint32_t slot);
  void leave_gpu(const Request& r);  // frees what a departing request holds on its GPU
  void describe_resources();

  Simulator& sim_;
  const ScenarioParams& params_;
  std::uint32_t index_;
  RequestPool requests_;
  std::unique_ptr<Server> cpu_;  // SharedServer, or PerCoreServer (node.cpu.scheduler)
  std::vector<std::unique_ptr<Gpu>> gpus_;
  FlowNetwork pcie_;
  std::vector<FlowNetwork::RouteId> route_h2d_, route_d2h_;
  std::vector<FlowNetwork::LinkId> links_;
  std::vector<Transfer> transfers_;
  std::vector<std::uint32_t> free_transfers_;
  std::vector<std::unique_ptr<Stage>> stages_;
  std::uint32_t fanout_ = ~std::uint32_t{0};  // the fan-out stage's index (none: ~0)
  std::unique_ptr<Broker> broker_;            // kafka or redis; null when fused or no fan-out
  Rng fanout_rng_{0};
  std::uint64_t children_live_ = 0, children_emitted_ = 0, child_completions_ = 0;
  TimeIntegral in_broker_;                // children published and not yet delivered
  std::vector<std::uint32_t> held_;       // fused: children not yet done, per stage-f instance
  std::vector<RequestId> fused_scratch_;  // fused: the children a held worker hands over
  std::vector<ResourceInfo> resources_;
  CompletionListener* listener_ = nullptr;
  Observer* observer_ = nullptr;
  Tracer* tracer_ = nullptr;
  std::uint64_t window_done_ = 0, stop_after_ = 0;
  std::uint64_t arrivals_ = 0, dropped_ = 0, completions_ = 0, rejected_ = 0;
  TimeIntegral in_system_;
};

}  // namespace servesim
