#include "sim/model/flow_network.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <utility>

namespace servesim {

FlowNetwork::LinkId FlowNetwork::add_link(std::string name, double bytes_per_s, Time latency) {
  assert(std::isfinite(bytes_per_s) && bytes_per_s > 0 && latency >= 0);
  Link link;
  link.name = std::move(name);
  link.capacity = bytes_per_s / 1e9;  // a division, so whole GB/s give exact bytes per ns
  link.latency = latency;
  links_.push_back(std::move(link));
  return static_cast<LinkId>(links_.size() - 1);
}

FlowNetwork::RouteId FlowNetwork::add_route(const std::vector<LinkId>& links) {
  std::vector<Crossing> crossings;
  crossings.reserve(links.size());
  for (const LinkId l : links) crossings.push_back({l, 1.0});
  return add_weighted_route(crossings);
}

FlowNetwork::RouteId FlowNetwork::add_weighted_route(const std::vector<Crossing>& crossings) {
  assert(!crossings.empty());
  const auto id = static_cast<RouteId>(routes_.size());
  Route route;
  for (const Crossing& c : crossings) {
    assert(c.link < links_.size());
    assert(std::isfinite(c.weight) && c.weight > 0);
    assert(std::find(route.links.begin(), route.links.end(), c.link) == route.links.end());
    route.latency += links_[c.link].latency;
    route.links.push_back(c.link);
    route.weights.push_back(c.weight);
    links_[c.link].routes.push_back(id);
    links_[c.link].weights.push_back(c.weight);
  }
  route.last = sim_.now();
  routes_.push_back(std::move(route));
  return id;
}

void FlowNetwork::start(RouteId route, double bytes, WorkOwner& owner, std::uint64_t token) {
  assert(route < routes_.size());
  assert(std::isfinite(bytes) && bytes >= 0);
  const Waiting w{route, bytes, order_++, &owner, token};
  const Time latency = routes_[route].latency;
  // Without latency there is nothing to wait for; an empty flow still goes through an event so
  // that its owner is never called back from inside start().
  if (latency == 0 && bytes > 0) {
    enter_transfer(w);
    return;
  }
  std::uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    waiting_[slot] = w;
  } else {
    slot = static_cast<std::uint32_t>(waiting_.size());
    waiting_.push_back(w);
  }
  sim_.schedule_in(latency, *this, kLatencyEnd, slot);
}

void FlowNetwork::enter_transfer(const Waiting& w) {
  advance_all();
  Route& rt = routes_[w.route];
  rt.heap.push_back(Item{rt.virtual_bytes + w.bytes, w.order, w.bytes, w.owner, w.token});
  std::push_heap(rt.heap.begin(), rt.heap.end(), Later{});
  reallocate(w.route);
}

void FlowNetwork::advance_all() {
  const Time now = sim_.now();
  for (Route& rt : routes_) {
    if (!rt.heap.empty()) rt.virtual_bytes += static_cast<double>(now - rt.last) * rt.rate;
    rt.last = now;
  }
}

void FlowNetwork::reallocate(RouteId touched) {
  // Progressive filling over routes: every flow of a route is alike, so a route counts as many
  // flows as it carries, each with the route's weight on the link. A link's fair rate is what it
  // has left over the summed weights of its unfrozen flows; each round the link with the smallest
  // fair rate freezes the routes crossing it at that rate, so there are at most as many rounds
  // as active routes.
  for (Link& l : links_) {
    l.left = l.capacity;
    l.unfrozen = 0;
    l.weight = 0.0;
  }
  std::size_t remaining = 0;
  for (Route& rt : routes_) {
    rt.next_rate = 0.0;
    rt.frozen = rt.heap.empty();
    if (rt.frozen) continue;
    ++remaining;
    const double n = static_cast<double>(rt.heap.size());
    for (std::size_t i = 0; i < rt.links.size(); ++i) {
      links_[rt.links[i]].unfrozen += rt.heap.size();
      links_[rt.links[i]].weight += n * rt.weights[i];
    }
  }
  while (remaining > 0) {
    std::size_t best = links_.size();
    double share = 0.0;
    for (std::size_t i = 0; i < links_.size(); ++i) {
      const Link& l = links_[i];
      if (l.unfrozen == 0)
        continue;  // the count, not the weight: a sum of weights may not
                   // return to exactly 0
      const double s = l.left / l.weight;
      if (best == links_.size() || s < share) {
        best = i;
        share = s;
      }
    }
    assert(best < links_.size());
    for (const RouteId r : links_[best].routes) {
      Route& rt = routes_[r];
      if (rt.frozen) continue;
      rt.frozen = true;
      rt.next_rate = share;
      --remaining;
      const double n = static_cast<double>(rt.heap.size());
      for (std::size_t i = 0; i < rt.links.size(); ++i) {
        Link& l = links_[rt.links[i]];
        l.left = std::max(0.0, l.left - share * n * rt.weights[i]);
        l.unfrozen -= rt.heap.size();
        l.weight -= n * rt.weights[i];
      }
    }
  }
  // Only routes whose rate moved (or whose heap changed) need their event recomputed.
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    Route& rt = routes_[r];
    const bool changed = rt.next_rate != rt.rate;
    rt.rate = rt.next_rate;
    if (rt.heap.empty()) {
      if (r == touched) sim_.cancel(rt.next);
    } else if (changed || r == touched) {
      reschedule(static_cast<RouteId>(r));
    }
  }
  const Time now = sim_.now();
  for (Link& l : links_) {
    double allocated = 0.0;
    for (std::size_t i = 0; i < l.routes.size(); ++i) {
      const Route& rt = routes_[l.routes[i]];
      allocated += rt.rate * static_cast<double>(rt.heap.size()) * l.weights[i];
    }
    l.util.set(now, allocated / l.capacity);
  }
}

void FlowNetwork::reschedule(RouteId r) {
  Route& rt = routes_[r];
  const Time now = sim_.now();
  const bool pending = sim_.pending(rt.next);
  // An event due now was computed with the rate that held until now, so its flow is done: keep
  // it rather than let a rounding residue of the clock push the finish a nanosecond later.
  if (pending && rt.due == now) return;
  const double remaining = std::max(0.0, rt.heap.front().finish - rt.virtual_bytes);
  // Round up so that when the event fires the flow's bytes are really through; clamp before the
  // cast so that a huge transfer cannot overflow the clock.
  const double d = std::ceil(remaining / rt.rate);
  constexpr Time kMaxDelay = kTimeMax / 2;
  const Time delay = !(d < static_cast<double>(kMaxDelay)) ? kMaxDelay : static_cast<Time>(d);
  const Time t = delay > kTimeMax - now ? kTimeMax : now + delay;
  if (pending && rt.due == t) return;
  sim_.cancel(rt.next);
  rt.next = sim_.schedule_at(t, *this, kTransferEnd, r);
  rt.due = t;
}

void FlowNetwork::on_event(std::uint32_t kind, std::uint64_t arg) {
  if (kind == kLatencyEnd) {
    const Waiting w = waiting_[arg];
    free_.push_back(static_cast<std::uint32_t>(arg));
    if (w.bytes > 0) {
      enter_transfer(w);
    } else {
      w.owner->work_done(w.token);
    }
    return;
  }
  assert(kind == kTransferEnd && arg < routes_.size());
  const auto r = static_cast<RouteId>(arg);
  advance_all();
  Route& rt = routes_[r];
  // The earliest flow is done by construction (its delay was rounded up): snap the clock to its
  // mark so rounding never accumulates, then finish every flow that shares that mark.
  rt.virtual_bytes = std::max(rt.virtual_bytes, rt.heap.front().finish);
  // Finished flows are collected first so that owners see a consistent network when called back.
  done_.clear();
  while (!rt.heap.empty() && rt.heap.front().finish <= rt.virtual_bytes) {
    std::pop_heap(rt.heap.begin(), rt.heap.end(), Later{});
    done_.push_back(rt.heap.back());
    rt.heap.pop_back();
    for (std::size_t i = 0; i < rt.links.size(); ++i)
      links_[rt.links[i]].carried += done_.back().bytes * rt.weights[i];
  }
  if (rt.heap.empty()) rt.virtual_bytes = 0.0;  // restart the clock: keeps its precision
  reallocate(r);
  for (const Item& it : done_) it.owner->work_done(it.token);
}

}  // namespace servesim
