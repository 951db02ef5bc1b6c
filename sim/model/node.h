#pragma once
/// One serving node: the composition of its parts and the route a request takes through them.
/// It owns the resources (the CPU, the GPUs, the Interconnect), the request records, the
/// pipeline of stages and the fan-out; each part sees only what it is handed (stages a
/// StageContext, which the node is), and the node moves requests from one stage to the next,
/// in and out of the fan-out, and out of the node.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/random.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/engine.h"
#include "sim/model/fan_out.h"
#include "sim/model/gpu.h"
#include "sim/model/interconnect.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/stage.h"
#include "sim/model/stage_context.h"
#include "sim/model/stations.h"
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

class Node final : public StageContext {
 public:
  /// Node `index` of the cluster (each node has its own random streams); `stations` is what
  /// it reports as and `store` where its request records live (both the cluster's, shared by its
  /// nodes, outliving them). `twin`, a node built from the same params, lends it its resource
  /// list (identical nodes describe the same resources); null: it describes its own.
  Node(Simulator& sim, const ScenarioParams& params, const Stations& stations, RequestStore& store,
       std::uint64_t replication, std::uint32_t index = 0, const Node* twin = nullptr);
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  static constexpr RequestId kDropped = ~RequestId{0};

  /// A request arrives (scheduled at `arrival`, which is now) carrying image `image` of the
  /// workload's mix (ignored when the mix is empty); returns kDropped when the node already holds
  /// run.max_in_system requests.
  RequestId admit(Time arrival, std::uint32_t client, std::size_t image = 0);

  /// Measurement window: non-null from the end of warm-up. `stop_after` > 0 stops the simulator
  /// once that many requests have completed inside the window.
  void open_window(Observer* observer, std::uint64_t stop_after);
  void set_listener(CompletionListener* l) { listener_ = l; }
  /// Reports spans and requests to `t` (nullptr: no tracing; the default).
  void set_tracer(Tracer* t);
  std::uint32_t index() const { return index_; }

  const std::vector<std::unique_ptr<Stage>>& stages() const { return stages_; }
  int gpu_count() const { return static_cast<int>(gpus_.size()); }
  const Gpu& gpu(int g) const { return *gpus_[static_cast<std::size_t>(g)]; }

  /// Resources in a fixed order (for reports): name, server count, and device for energy.
  const std::vector<ResourceInfo>& resources() const { return *resources_; }
  /// Its counters, with a slot for every station (the balancer's left to the cluster).
  ModelCounters counters() const;

  // StageContext: where the stages send requests, and what they report to.
  void pass_on(std::span<const RequestId> batch) override;
  void hold(std::span<const RequestId> batch, std::uint32_t instance) override;
  void refuse(RequestId id) override;

 private:
  void forward(RequestId id);     // to its next stage, the fan-out, or out of the node
  void complete(RequestId id);    // a parent leaves the node with its result
  void child_done(RequestId id);  // a child left the last stage
  void leave_gpu(RequestId id);   // frees what a departing request holds on its GPU
  std::vector<ResourceInfo> describe_resources() const;

  Simulator& sim_;
  const ScenarioParams& params_;
  const Stations& stations_;
  std::uint32_t index_;
  RequestPool requests_;          // its view of the cluster's store
  CpuEfficiency cpu_efficiency_;  // node.cpu.efficiency, read by cpu_
  std::unique_ptr<Server> cpu_;   // SharedServer, or PerCoreServer (node.cpu.scheduler)
  std::vector<std::unique_ptr<Gpu>> gpus_;
  std::unique_ptr<Interconnect> pcie_;  // null: no GPU, node.memory or node.network to model
  std::unique_ptr<Server> client_cpu_;  // a remote client's own cores (null: none)
  std::vector<std::unique_ptr<Stage>> stages_;
  std::uint32_t fanout_ = ~std::uint32_t{0};  // the fan-out stage's index (none: ~0)
  std::unique_ptr<FanOut> fan_out_;           // null without a fan-out stage
  std::shared_ptr<const std::vector<ResourceInfo>> resources_;  // shared with its twins
  CompletionListener* listener_ = nullptr;
  std::uint64_t window_done_ = 0, stop_after_ = 0;
  std::uint64_t arrivals_ = 0, dropped_ = 0, completions_ = 0, rejected_ = 0;
  TimeIntegral in_system_;
};

}  // namespace servesim
