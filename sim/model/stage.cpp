#include "sim/model/stage.h"

#include "sim/model/node.h"

namespace servesim {

ComputeStage::ComputeStage(Node& node, std::uint32_t index, const StageParams& params, CpuPool& cpu,
                           Rng rng)
    : node_(node), index_(index), params_(params), cpu_(cpu), rng_(rng) {}

void ComputeStage::accept(RequestId id) {
  const Time now = node_.now();
  Request& r = node_.request(id);
  r.stage = index_;
  r.stage_enter = now;
  in_stage_.add(now, 1);
  if (busy_workers_ < params_.instances) {
    start(id);
  } else {
    queue_.push(id);
  }
}

void ComputeStage::start(RequestId id) {
  const Time now = node_.now();
  node_.request(id).service_start = now;
  busy_.set(now, ++busy_workers_);
  cpu_.submit(sample_to_time(params_.service.sample(rng_)), *this, id);
}

void ComputeStage::work_done(std::uint64_t token) {
  const auto id = static_cast<RequestId>(token);
  const Time now = node_.now();
  const Request& r = node_.request(id);
  node_.stage_done(index_, r.service_start - r.stage_enter, now - r.service_start);
  busy_.set(now, --busy_workers_);
  in_stage_.add(now, -1);
  if (!queue_.empty()) start(queue_.pop());
  node_.forward(id);
}

}  // namespace servesim
