#include "sim/model/workload.h"

#include <algorithm>

namespace servesim {

namespace {
Distribution make_interarrival(const WorkloadParams& p) {
  if (p.mode != WorkloadMode::kOpen) return Distribution::make(DistKind::kDeterministic, 0, 0);
  const double mean_ns = 1e9 / p.rate_per_s;
  switch (p.arrival) {
    case ArrivalProcess::kPoisson:
      return Distribution::make(DistKind::kExponential, mean_ns, 1);
    case ArrivalProcess::kConstant:
      return Distribution::make(DistKind::kDeterministic, mean_ns, 0);
    case ArrivalProcess::kGamma:
      return Distribution::make(DistKind::kGamma, mean_ns, p.cv);
  }
  return Distribution::make(DistKind::kDeterministic, mean_ns, 0);
}
}  // namespace

Workload::Workload(Simulator& sim, Cluster& cluster, const WorkloadParams& params,
                   std::uint64_t seed, std::uint64_t replication)
    : sim_(sim),
      cluster_(cluster),
      params_(params),
      interarrival_(make_interarrival(params)),
      arrival_rng_(Rng::stream(seed, replication, "workload", "interarrival")),
      think_rng_(Rng::stream(seed, replication, "workload", "think_time")),
      image_rng_(Rng::stream(seed, replication, "workload", "images")) {
  double total = 0;
  for (const auto& im : params.images) total += im.weight;
  double acc = 0;
  for (const auto& im : params.images) cum_weight_.push_back((acc += im.weight) / total);
  cluster_.set_listener(this);
}

std::size_t Workload::draw_image() {
  if (cum_weight_.size() <= 1) return 0;  // no draw: a single image leaves the streams unchanged
  const double u = image_rng_.uniform01();
  const auto it = std::upper_bound(cum_weight_.begin(), cum_weight_.end() - 1, u);
  return static_cast<std::size_t>(it - cum_weight_.begin());
}

void Workload::schedule_arrival() {
  const double gap = interarrival_.sample(arrival_rng_);
  if (!params_.schedule) {
    sim_.schedule_in(sample_to_time(gap), *this, kArrival);
    return;
  }
  // Time-rescaling: the gap is drawn at the base rate and placed in operational time.
  operational_ns_ += gap;
  const double t = params_.schedule->real_time(operational_ns_, segment_);
  if (t < 0) return;  // the rate stays 0 from some point on: no more arrivals
  sim_.schedule_at(std::max(sim_.now(), sample_to_time(t)), *this, kArrival);
}

void Workload::start() {
  if (params_.mode == WorkloadMode::kOpen) {
    schedule_arrival();
    return;
  }
  for (int c = 0; c < params_.concurrency; ++c) send(static_cast<std::uint32_t>(c));
}

void Workload::send(std::uint32_t client) { cluster_.admit(sim_.now(), client, draw_image()); }

void Workload::on_event(std::uint32_t kind, std::uint64_t arg) {
  if (kind == kArrival) {
    cluster_.admit(sim_.now(), 0, draw_image());
    schedule_arrival();
  } else {
    send(static_cast<std::uint32_t>(arg));
  }
}

void Workload::request_left(const Request& r) {
  if (params_.mode != WorkloadMode::kClosed) return;
  if (params_.think_time) {
    sim_.schedule_in(sample_to_time(params_.think_time->sample(think_rng_)), *this, kSend,
                     r.client);
  } else {
    send(r.client);
  }
}

void Workload::request_rejected(const Request& r) {
  // The client gets its error response now and carries on as after a success, in an event of
  // its own.
  if (params_.mode != WorkloadMode::kClosed) return;
  if (params_.think_time) {
    request_left(r);
  } else {
    sim_.schedule_in(0, *this, kSend, r.client);
  }
}

}  // namespace servesim
