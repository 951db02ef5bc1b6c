#pragma once
/// A pipeline stage: a queue (FIFO, or Triton's dynamic batcher) in front of instances that each
/// run one batch at a time through three phases: input (move the payload to the stage's device,
/// reserving GPU memory), compute (an optional CPU part, then the device), and output (move the
/// result back to the host when the next stage is not on this GPU). It knows its node only
/// through a StageContext and the resources it is handed (stage_context.h).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "sim/core/random.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/batcher.h"
#include "sim/model/cpu_pool.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/payload.h"
#include "sim/model/request.h"
#include "sim/model/stage_context.h"

namespace servesim {

class Stage final : public WorkOwner, public EventHandler {
 public:
  /// Stage `place.index` of `scenario`'s pipeline (it reads its neighbours to know where its
  /// payload goes next). `rng` draws service times; `wake_rng` thread wake-ups
  /// (node.cpu.wakeup), a stream of its own so that turning wake-ups on leaves every service
  /// draw as it was.
  Stage(StageContext& context, const StageResources& resources, const ScenarioParams& scenario,
        StagePlace place, Rng rng, Rng wake_rng);
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  /// A request joins this stage's queue (and starts at once if an instance is free).
  void accept(RequestId id);
  /// Requests that arrive in the same instant all join before any batch is formed.
  void accept_batch(std::span<const RequestId> ids);
  void work_done(std::uint64_t token) override;
  std::span<const std::uint64_t> trace_requests(std::uint64_t token) override {
    return trace_ids(static_cast<std::uint32_t>(token));
  }
  void on_event(std::uint32_t kind, std::uint64_t arg) override;  // batcher or thread wake-up
  /// A fan-out stage's instance `i`, held since its batch finished, has run all the children
  /// (fused) or read its last broker reply.
  void release(std::uint32_t i);
  /// Declares its instances' trace lanes (in instance order) to `t`.
  void trace_lanes(Tracer& t) const;

  /// Requests queued or in service now, and instances busy now (held ones included).
  int inside() const { return static_cast<int>(in_stage_.value()); }
  int busy() const { return busy_count_; }

  const std::string& name() const { return params_.name; }
  std::uint32_t index() const { return place_.index; }
  const StageParams& params() const { return params_; }
  /// Instances over all its devices (the stage's servers in the operational-law sense).
  int instances() const { return static_cast<int>(instances_.size()); }
  double busy_area(Time now) const { return busy_.area(now); }
  double in_stage_area(Time now) const { return in_stage_.area(now); }
  /// Whether the stage's work runs on a GPU (its input moves there, its output may stay).
  bool on_gpu() const { return params_.device == Device::kGpu || params_.device == Device::kNvjpg; }

 private:
  enum class Step : std::uint8_t {
    kIdle,
    kWaking,
    kMemory,
    kInput,
    kCpu,
    kDevice,
    kOutput,
    kPool,  // its outputs wait for room in the GPU's tensor pool (memory_policy: block)
    kHeld
  };
  enum Event : std::uint32_t { kBatcherWake = 0, kThreadWake = 1 };
  struct Group {  // the instances on one device: the node's CPU, or GPU `gpu`
    int gpu = kHost;
    RequestFifo fifo;
    std::unique_ptr<DynamicBatcher> batcher;
    std::vector<std::uint32_t> idle;
    EventId wake;
    Time wake_at = kTimeMax;
    int load = 0;  // requests queued or in service
  };
  struct Instance {
    std::uint32_t group = 0;
    Step step = Step::kIdle;
    std::vector<RequestId> batch;
    Time start = 0, input_end = 0, compute_end = 0;
    Time idle_since = 0;  // when it last went idle (a later batch finds its thread asleep)
    int core = -1;        // the CPU core its thread last ran on (node.cpu.scheduler: per_core)
                          // it last went idle; woken at `woken`'s start when it slept
    StageSpan held_span;  // fused: the batch's span, reported when its children are done
    double work = 0;      // ns the compute phase takes on idle devices (sampled work / speed)
    double kernel_j = 0;  // gpu stages with their own busy_power: the kernel's energy beyond
                          // node.gpus.busy_power, added to its GPU when it completes
    CurveArgs args;
    int pending = 0;  // transfers still in flight
  };

  std::uint32_t arrive(RequestId id);  // stamps the request, returns its group
  void enqueue(std::uint32_t g, RequestId id);
  void dispatch(std::uint32_t g);
  void begin(std::uint32_t i);  // a batch handed to instance i: its thread wakes, then start(i)
  void start(std::uint32_t i);
  void input_phase(std::uint32_t i);
  void compute_phase(std::uint32_t i);
  void device_phase(std::uint32_t i);
  void output_phase(std::uint32_t i);
  void pool_phase(std::uint32_t i);  // output_phase of a stage whose outputs go to the pool
  void release_pool(std::uint32_t i);
  void finish(std::uint32_t i);
  void dispatch_group(std::uint32_t g);
  void trace(std::uint32_t i, Time wait);
  void trace_queue();                       // counter "<stage> queue": requests waiting
  void trace_batch(std::size_t size);       // counter "<stage> batch": the last batch's size
  std::string lane(std::uint32_t i) const;  // the trace lane of instance i
  std::span<const std::uint64_t> trace_ids(std::uint32_t i);  // instance i's batch, by trace id
  Time sample(const ServiceParams& s, const CurveArgs& args);
  /// Samples the work and counts its duration on an idle device of relative speed `speed`.
  Time work(Instance& inst, const ServiceParams& s, double speed);
  double pool_peak(const Request& r) const;
  std::uint32_t choose_group();
  Gpu& gpu_at(int g) { return *res_.gpus[static_cast<std::size_t>(g)]; }

  StageContext& context_;
  std::vector<std::uint64_t> trace_ids_;                    // scratch for trace_ids()
  std::vector<std::vector<std::uint64_t>> held_trace_ids_;  // a held instance's batch, by trace id
  std::size_t traced_queue_ = ~std::size_t{0}, traced_batch_ = 0;
  StageResources res_;
  Simulator& sim_;
  RequestPool& requests_;
  const ScenarioParams& scenario_;
  StagePlace place_;
  const StageParams& params_;
  Rng rng_, wake_rng_;
  bool sleeps_ = false;    // its instances are threads that sleep when idle (node.cpu.wakeup)
  bool copy_out_ = false;  // a GPU stage whose next stage is not on the same GPU
  bool held_after_batch_ = false;  // a fan-out stage whose instances stay busy after a batch
  bool pools_ = false;     // its outputs wait in the GPU's tensor pool for the next GPU stage
  bool pool_end_ = false;  // a GPU stage whose inputs may come from the pool and whose outputs
                           // do not go back to it: it frees its inputs' pool memory
  std::vector<Group> groups_;
  std::vector<Instance> instances_;
  std::vector<RequestId> batch_scratch_, rejected_scratch_, leaving_;
  std::uint32_t rotate_ = 0;
  std::uint32_t last_group_ = 0;  // where the search for the least-loaded GPU starts
  int busy_count_ = 0;
  TimeIntegral busy_;      // busy instances
  TimeIntegral in_stage_;  // queued + in service
};

}  // namespace servesim
