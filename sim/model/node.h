#pragma once
/// One serving node: its CPU pool, its pipeline of stages, and the requests inside it.

#include <cstdint>
#include <memory>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/cpu_pool.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/stage.h"

namespace servesim {

/// Told when a request leaves the node (closed workloads send the next one).
class CompletionListener {
 public:
  virtual void request_left(const Request& r) = 0;

 protected:
  ~CompletionListener() = default;
};

class Node {
 public:
  Node(Simulator& sim, const ScenarioParams& params, std::uint64_t replication);

  static constexpr RequestId kDropped = ~RequestId{0};

  /// A request arrives (scheduled at `arrival`, which is now); returns kDropped when the node
  /// already holds run.max_in_system requests.
  RequestId admit(Time arrival, std::uint32_t client);
  /// Moves a request to its next stage, or completes it after the last one.
  void forward(RequestId id);
  void stage_done(std::uint32_t stage, Time queue, Time service) {
    if (observer_) observer_->stage_done(stage, queue, service);
  }

  /// Measurement window: non-null from the end of warm-up. `stop_after` > 0 stops the simulator
  /// once that many requests have completed inside the window.
  void open_window(Observer* observer, std::uint64_t stop_after);
  void set_listener(CompletionListener* l) { listener_ = l; }

  Time now() const { return sim_.now(); }
  Request& request(RequestId id) { return requests_[id]; }
  ModelCounters counters() const;
  const std::vector<std::unique_ptr<ComputeStage>>& stages() const { return stages_; }
  const CpuPool& cpu() const { return cpu_; }

 private:
  Simulator& sim_;
  const ScenarioParams& params_;
  RequestPool requests_;
  CpuPool cpu_;
  std::vector<std::unique_ptr<ComputeStage>> stages_;
  CompletionListener* listener_ = nullptr;
  Observer* observer_ = nullptr;
  std::uint64_t window_done_ = 0, stop_after_ = 0;
  std::uint64_t arrivals_ = 0, dropped_ = 0, completions_ = 0;
  TimeIntegral in_system_;
};

}  // namespace servesim
