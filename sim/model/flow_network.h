#pragma once
/// Links with bandwidth and latency shared max-min fairly by the flows routed over them (PCIe).

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/simulator.h"
#include "sim/core/time_average.h"
#include "sim/model/cpu_pool.h"  // WorkOwner

namespace servesim {

/// A flow first waits its route's latency (no bandwidth used), then moves its bytes at the rate
/// max-min fair sharing gives it; the allocation is recomputed whenever a flow enters its transfer
/// or finishes. Links are directional: full duplex means one link per direction. A route may
/// cross a link with a weight w (bytes on the link per byte moved: a copy through host memory
/// reads and writes it); a flow moving r bytes per ns then takes w x r of that link's capacity.
///
/// The recompute is incremental: only the routes with flows in transfer (active) are visited, and
/// the water-filling runs over the connected component of active routes (linked through shared
/// links) that the change touches; the rest keep their rates and their events. The arithmetic of
/// each operation, and its order, are those of a water-filling over the whole network, so the
/// rates and event times are the same to the last bit.
class FlowNetwork final : public EventHandler {
 public:
  using LinkId = std::uint32_t;
  using RouteId = std::uint32_t;
  struct Crossing {
    LinkId link;
    double weight = 1.0;  // bytes on the link per byte moved, > 0
  };

  explicit FlowNetwork(Simulator& sim) : sim_(sim) {}

  LinkId add_link(std::string name, double bytes_per_s, Time latency);
  /// A fixed path over distinct links; its latency is the sum of theirs. May be added at any
  /// time, even while flows run on other routes.
  RouteId add_route(const std::vector<LinkId>& links);
  /// The same, each link crossed with its weight.
  RouteId add_weighted_route(const std::vector<Crossing>& crossings);

  /// Moves `bytes` over `route`; calls owner.work_done(token) when the last byte is through.
  void start(RouteId route, double bytes, WorkOwner& owner, std::uint64_t token);

  std::size_t links() const { return links_.size(); }
  std::size_t routes() const { return routes_.size(); }
  const std::string& link_name(LinkId l) const { return links_[l].name; }
  Time route_latency(RouteId r) const { return routes_[r].latency; }
  /// Integral of allocated / capacity over time, in nanoseconds: utilisation over a window is
  /// the difference of two readings divided by the window's length.
  double utilization_area(LinkId l, Time now) const { return links_[l].util.area(now); }
  /// Bytes of the flows that have finished crossing the link, each times its route's weight there.
  double bytes_carried(LinkId l) const { return links_[l].carried; }
  /// Flows on the route in their transfer phase (latency waits not counted).
  std::size_t active_flows(RouteId r) const { return routes_[r].heap.size(); }
  /// Current bytes per second of each transferring flow on the route; 0 when none transfers.
  double flow_rate(RouteId r) const { return routes_[r].rate * 1e9; }

  /// Completion events scheduled so far, a route's rescheduled event counted again: shows which
  /// changes moved whose events (a route whose rate did not change keeps its event).
  std::uint64_t completions_scheduled() const { return scheduled_; }

  void on_event(std::uint32_t kind, std::uint64_t arg) override;

 private:
  enum Kind : std::uint32_t { kLatencyEnd = 0, kTransferEnd = 1 };
  static constexpr std::uint32_t kNone = 0xffffffffU;

  struct Link {
    std::string name;
    double capacity;  // bytes per ns
    Time latency;
    TimeIntegral util;
    double carried = 0.0;
    std::vector<RouteId> routes;  // routes crossing this link, ascending
    std::vector<double> weights;  // each route's weight on this link, in the same order
    // Water-filling scratch.
    double left = 0.0;
    std::uint64_t unfrozen = 0;   // flows of not-yet-frozen routes crossing the link
    double weight = 0.0;          // the sum of their weights
    double allocated = 0.0;       // scratch: bytes per ns the component's flows take
    std::vector<RouteId> active;  // active routes crossing this link, in no order
    std::uint32_t seen = 0;       // epoch of the last component search that reached it
  };
  // All flows of one route get the same rate, so as in CpuPool one virtual clock (bytes moved by
  // each flow) serves them all; only the earliest finish mark holds an event.
  struct Item {
    double finish;        // route's virtual bytes at which it completes
    std::uint64_t order;  // start order: the tie-break between equal marks
    double bytes;
    WorkOwner* owner;
    std::uint64_t token;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.finish > b.finish || (a.finish == b.finish && a.order > b.order);
    }
  };
  struct Route {
    std::vector<LinkId> links;
    std::vector<double> weights;  // per link, in the same order
    Time latency = 0;
    std::vector<Item> heap;  // min-heap by (finish, order)
    double rate = 0.0;       // bytes per ns per flow
    double next_rate = 0.0;  // water-filling result
    bool frozen = false;
    double virtual_bytes = 0.0;
    Time last = 0;
    EventId next;
    Time due = 0;                     // time of `next` while it is pending
    std::vector<std::uint32_t> slot;  // per link, its index in that link's `active`
    std::uint32_t seen = 0;           // epoch of the last component search that reached it
  };
  struct Waiting {  // a flow in its latency phase; slots are reused through free_
    RouteId route;
    double bytes;
    std::uint64_t order;
    WorkOwner* owner;
    std::uint64_t token;
  };

  void enter_transfer(const Waiting& w);
  void advance_all();
  void activate(RouteId r);
  void deactivate(RouteId r);
  void next_epoch();
  bool fill_alone(RouteId touched);
  void find_component(RouteId touched);
  void water_fill();
  LinkId scan_best() const;
  void reallocate(RouteId touched);
  void reschedule(RouteId r);

  Simulator& sim_;
  std::vector<Link> links_;
  std::vector<Route> routes_;
  std::vector<Waiting> waiting_;
  std::vector<std::uint32_t> free_;
  std::vector<Item> done_;              // scratch for on_event, kept to avoid allocating
  std::vector<RouteId> active_routes_;  // routes with flows in transfer, ascending
  std::vector<LinkId> active_links_;    // links that such routes cross, ascending
  std::vector<RouteId> comp_routes_;    // scratch: the component being recomputed, ascending
  std::vector<LinkId> comp_links_;      // scratch: its links, ascending
  std::vector<RouteId> frozen_;         // scratch: the routes one round freezes
  std::vector<std::uint64_t> bits_;     // scratch for sorting ids, a bit per id, all clear
  std::uint32_t epoch_ = 0;
  std::uint64_t scheduled_ = 0;
  std::uint64_t order_ = 0;
};

}  // namespace servesim
