#pragma once
/// The stations a run reports, in the order its reports list them: the balancer's queue (when
/// nodes have a cap), each pipeline stage, and a kafka or redis broker right after the fan-out
/// stage. Built once from the scenario, so the node, the cluster and the reports all read one
/// table instead of shifting stage indices each in its own way.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/model/params.h"

namespace servesim {

/// A GPU stage (and a PCIe one) has its instances on every GPU; a CPU or network stage's are the
/// node's.
inline int stage_devices(const StageParams& s, int gpus) { return on_host(s.device) ? 1 : gpus; }

struct Station {
  enum class Kind : std::uint8_t { kBalancer, kStage, kBroker };
  Kind kind = Kind::kStage;
  std::string name;
  std::uint32_t stage = 0;              // kStage: its index in the pipeline
  int instances = 0;                    // servers per node (0: the balancer's queue and the broker)
  bool per_child = false;               // after a fan-out: visited once per child, not per request
  StageSide side = StageSide::kServer;  // the client's work and the network: not the server's
};

class Stations {
 public:
  static constexpr std::uint32_t kNone = ~std::uint32_t{0};

  explicit Stations(const ScenarioParams& p);

  std::size_t size() const { return all_.size(); }
  const Station& operator[](std::uint32_t s) const { return all_[s]; }
  auto begin() const { return all_.begin(); }
  auto end() const { return all_.end(); }
  /// The station pipeline stage `stage` reports as.
  std::uint32_t of_stage(std::uint32_t stage) const { return of_stage_[stage]; }
  std::uint32_t balancer() const { return balancer_; }  // kNone without one
  std::uint32_t broker() const { return broker_; }      // kNone without one

 private:
  std::vector<Station> all_;
  std::vector<std::uint32_t> of_stage_;
  std::uint32_t balancer_ = kNone, broker_ = kNone;
};

}  // namespace servesim
