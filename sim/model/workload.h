#pragma once
/// The clients: an open arrival process, or a closed loop of N clients with think time; each
/// request carries an image drawn from the workload's mix.

#include <cstdint>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/simulator.h"
#include "sim/model/cluster.h"
#include "sim/model/params.h"

namespace servesim {

class Workload final : public EventHandler, public CompletionListener {
 public:
  Workload(Simulator& sim, Cluster& cluster, const WorkloadParams& params, std::uint64_t seed,
           std::uint64_t replication);

  /// Schedules the first arrivals (open) or the first request of every client (closed).
  void start();

  void on_event(std::uint32_t kind, std::uint64_t arg) override;
  void request_left(const Request& r) override;
  void request_rejected(const Request& r) override;

 private:
  enum : std::uint32_t { kArrival, kSend };
  void send(std::uint32_t client);
  /// Schedules the next open arrival: an inter-arrival draw later, in operational time when the
  /// rate follows a schedule.
  void schedule_arrival();
  std::size_t draw_image();

  Simulator& sim_;
  Cluster& cluster_;
  const WorkloadParams& params_;
  Distribution interarrival_;       // open: ns between arrivals
  std::vector<double> cum_weight_;  // image mix: cumulative weights, normalised to end at 1
  Rng arrival_rng_, think_rng_, image_rng_;
  double operational_ns_ = 0;     // workload.schedule: Λ of the last arrival
  RateSchedule::Cursor segment_;  // and the segment it fell in
};

}  // namespace servesim
