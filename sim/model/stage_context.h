#pragma once
/// What a Stage is given instead of its node, so that a stage can run alone (in a unit test,
/// with a fake context) and never reaches into the parts it does not use. A stage acts on
/// resources (SimGrid's split: the CPU, the GPUs and the Interconnect are resources, a batch's
/// phases are actions on them), which it is handed once; and it tells its context, never the
/// node itself, where finished requests go (SST's rule: a component does not hold its parent).

#include <cstdint>
#include <span>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/model/engine.h"
#include "sim/model/gpu.h"
#include "sim/model/interconnect.h"
#include "sim/model/observer.h"
#include "sim/model/request.h"
#include "sim/model/tracer.h"

namespace servesim {

/// The node's parts a stage's work runs on. They outlive the stage.
struct StageResources {
  Simulator& sim;
  RequestPool& requests;   // the records of the requests it serves
  Server& cpu;             // the node's cores (processor sharing or per-core run queues)
  std::vector<Gpu*> gpus;  // the node's GPUs, by index (empty on a node without any)
  Interconnect* pcie;      // copies between the host and a GPU, and node.network (null: the
                           // node has none of these to make, and no node.memory)
};

/// Where a stage sits: its index in the pipeline, the station it reports as (Stations), and its
/// node (for trace lanes).
struct StagePlace {
  std::uint32_t index = 0;
  std::uint32_t station = 0;
  std::uint32_t node = 0;
};

class StageContext {
 public:
  /// The requests of a finished batch leave the stage together (the next stage sees all of them
  /// before it forms batches of its own).
  virtual void pass_on(std::span<const RequestId> batch) = 0;
  /// A fused fan-out stage's instance `instance` finished `batch` and now runs its children; the
  /// stage is told release(instance) when the last of them is done.
  virtual void hold(std::span<const RequestId> batch, std::uint32_t instance) = 0;
  /// The stage refused the request (Triton's queue full or timeout): it leaves without a result.
  virtual void refuse(RequestId id) = 0;
  /// Where in-window spans go (nullptr outside the measurement window), and trace spans
  /// (nullptr: no tracing). Read on every batch, so plain members the context sets.
  Observer* observer() const { return observer_; }
  Tracer* tracer() const { return tracer_; }

 protected:
  ~StageContext() = default;
  Observer* observer_ = nullptr;
  Tracer* tracer_ = nullptr;
};

}  // namespace servesim
