#include "sim/model/stations.h"

namespace servesim {

Stations::Stations(const ScenarioParams& p) {
  if (has_balancer_stage(p)) {
    balancer_ = static_cast<std::uint32_t>(all_.size());
    all_.push_back({Station::Kind::kBalancer, "balancer", 0, 0, false});
  }
  const std::size_t f = fanout_stage(p);
  for (std::size_t i = 0; i < p.pipeline.size(); ++i) {
    const StageParams& s = p.pipeline[i];
    const bool per_child = f != kNoFanout && i > f;
    of_stage_.push_back(static_cast<std::uint32_t>(all_.size()));
    all_.push_back({Station::Kind::kStage, s.name, static_cast<std::uint32_t>(i),
                    s.instances * stage_devices(s, p.node.gpus.count), per_child, s.side});
    if (i == f && has_broker_stage(p)) {  // its children pass through the broker next
      broker_ = static_cast<std::uint32_t>(all_.size());
      all_.push_back({Station::Kind::kBroker, broker_name(s.fanout->broker.kind), 0, 0, true});
    }
  }
}

}  // namespace servesim
