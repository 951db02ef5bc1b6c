#pragma once
/// A fan-out stage's children (the faces of a frame): how many each request emits, how they
/// reach the first child stage (published to a kafka or redis broker, or held by the fused worker
/// that made them, which stays busy until they are done), and when their parent is done. The
/// node routes requests here and completes parents when told; the children's records live in
/// the node's pool.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/random.h"
#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/broker.h"
#include "sim/model/observer.h"
#include "sim/model/params.h"
#include "sim/model/request.h"
#include "sim/model/stage.h"
#include "sim/model/tracer.h"

namespace servesim {

/// The parts of the node a fan-out works with (they outlive it).
struct FanOutSetup {
  Simulator& sim;
  RequestPool& requests;
  Server& cpu;                   // for a broker server on the node's cores
  Stage& emitter;                // the fan-out stage (fused: its instances are held)
  Stage& first_child;            // the stage after it, where children enter
  std::uint32_t stage;           // the fan-out stage's pipeline index (children start there)
  std::uint32_t broker_station;  // what the broker reports as (Stations)
};

class FanOut final : public BrokerConsumer {
 public:
  /// `draw` draws the children per request; `broker_rng` the broker's cost noise.
  FanOut(const FanOutSetup& on, const FanoutParams& p, Rng draw, Rng broker_rng);
  FanOut(const FanOut&) = delete;
  FanOut& operator=(const FanOut&) = delete;

  /// Through a broker: `parent` left the fan-out stage and its children are published now.
  /// False when it drew none (it is done: the caller completes it).
  bool publish(RequestId parent);
  /// Instance `instance` of the fan-out stage finished `batch` and is held (holds_worker()).
  /// Fused: it runs all their children, which enter the first child stage together; the
  /// instance is released when the last is done. Through a broker: each parent's children are
  /// published, and the instance is released when the last parent's last reply is read.
  /// Parents that drew no children are done: the caller completes them, after this returns
  /// (their children-count is 0).
  void hold(std::span<const RequestId> batch, std::uint32_t instance);
  /// A child left the last stage (its record is already released; `child` is a copy). True when
  /// it was its parent's last child: the caller completes the parent.
  bool child_done(const Request& child);
  void deliver(std::span<const RequestId> children) override;  // from the broker
  void replied(std::uint32_t holder) override;                 // from the broker
  /// The fan-out stage's worker stays busy after its batch: fused (it runs the children) or a
  /// producer that waits for its replies (`client.wait_replies`). Then the node calls hold().
  bool holds_worker() const;

  void open_window(Observer* observer) { observer_ = observer; }
  void trace_to(Tracer* t, std::uint32_t node) {
    if (broker_) broker_->trace_to(t, node);
  }
  /// The broker's resources (appended; none when fused), and their busy areas in that order.
  void describe(std::vector<ResourceInfo>& out) const {
    if (broker_) broker_->describe(out);
  }
  void busy_areas(Time now, std::vector<double>& out) const {
    if (broker_) broker_->busy_areas(now, out);
  }
  bool has_broker() const { return broker_ != nullptr; }

  std::uint64_t inside() const { return live_; }  // emitted, not yet done
  std::uint64_t emitted() const { return emitted_; }
  std::uint64_t completed() const { return completed_; }
  double in_broker_area(Time now) const { return in_broker_.area(now); }

 private:
  /// Draws the parent's children, chained from the returned id (kNoRequest when none).
  RequestId spawn(RequestId parent);

  FanOutSetup on_;
  const FanoutParams& p_;
  Rng draw_;
  std::unique_ptr<Broker> broker_;  // kafka or redis; null when fused
  Observer* observer_ = nullptr;
  std::uint64_t live_ = 0, emitted_ = 0, completed_ = 0;
  TimeIntegral in_broker_;  // children published and not yet delivered
  /// Per stage instance: fused, its children not yet done; through a broker, its parents whose
  /// last reply has not been read.
  std::vector<std::uint32_t> held_;
  std::vector<RequestId> scratch_;  // fused: the children a held worker hands over
};

}  // namespace servesim
