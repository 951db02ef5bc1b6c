#pragma once
/// A compute stage: a FIFO queue in front of `instances` workers, each running one request at a
/// time on its device (here: the node's CPU pool).

#include <cstdint>
#include <string>

#include "sim/core/random.h"
#include "sim/core/time_average.h"
#include "sim/model/cpu_pool.h"
#include "sim/model/params.h"
#include "sim/model/request.h"

namespace servesim {

class Node;

class ComputeStage final : public WorkOwner {
 public:
  ComputeStage(Node& node, std::uint32_t index, const StageParams& params, CpuPool& cpu, Rng rng);

  /// A request joins this stage's queue (and starts at once if a worker is free).
  void accept(RequestId id);
  void work_done(std::uint64_t token) override;

  const std::string& name() const { return params_.name; }
  double busy_area(Time now) const { return busy_.area(now); }
  double in_stage_area(Time now) const { return in_stage_.area(now); }
  std::size_t queued() const { return queue_.size(); }

 private:
  void start(RequestId id);

  Node& node_;
  std::uint32_t index_;
  const StageParams& params_;
  CpuPool& cpu_;
  Rng rng_;
  RequestFifo queue_;
  int busy_workers_ = 0;
  TimeIntegral busy_;      // busy workers
  TimeIntegral in_stage_;  // queued + in service
};

}  // namespace servesim
