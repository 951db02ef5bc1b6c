#include "sim/model/flow_network.h"

#include <algorithm>
#include <bit>
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
  bits_.resize(std::max(links_.size(), routes_.size()) / 64 + 1);
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
    route.slot.push_back(kNone);
    links_[c.link].routes.push_back(id);
    links_[c.link].weights.push_back(c.weight);
  }
  route.last = sim_.now();
  routes_.push_back(std::move(route));
  bits_.resize(std::max(links_.size(), routes_.size()) / 64 + 1);
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
  if (rt.heap.empty()) activate(w.route);
  rt.heap.push_back(Item{rt.virtual_bytes + w.bytes, w.order, w.bytes, w.owner, w.token});
  std::push_heap(rt.heap.begin(), rt.heap.end(), Later{});
  reallocate(w.route);
}

void FlowNetwork::advance_all() {
  // A route without flows has rate 0 and virtual clock 0, so only active routes move.
  const Time now = sim_.now();
  for (const RouteId r : active_routes_) {
    Route& rt = routes_[r];
    rt.virtual_bytes += static_cast<double>(now - rt.last) * rt.rate;
    rt.last = now;
  }
}

namespace {

void insert_sorted(std::vector<std::uint32_t>& v, std::uint32_t x) {
  v.insert(std::lower_bound(v.begin(), v.end(), x), x);
}

void erase_sorted(std::vector<std::uint32_t>& v, std::uint32_t x) {
  const auto it = std::lower_bound(v.begin(), v.end(), x);
  assert(it != v.end() && *it == x);
  v.erase(it);
}

}  // namespace

void FlowNetwork::activate(RouteId r) {
  Route& rt = routes_[r];
  insert_sorted(active_routes_, r);
  rt.last = sim_.now();
  for (std::size_t i = 0; i < rt.links.size(); ++i) {
    Link& l = links_[rt.links[i]];
    if (l.active.empty()) {
      insert_sorted(active_links_, rt.links[i]);
    }
    rt.slot[i] = static_cast<std::uint32_t>(l.active.size());
    l.active.push_back(r);
  }
}

void FlowNetwork::deactivate(RouteId r) {
  Route& rt = routes_[r];
  erase_sorted(active_routes_, r);
  for (std::size_t i = 0; i < rt.links.size(); ++i) {
    const LinkId id = rt.links[i];
    Link& l = links_[id];
    // Swap the last of the link's routes into this route's place, and tell it where it went.
    const RouteId moved = l.active.back();
    l.active[rt.slot[i]] = moved;
    l.active.pop_back();
    Route& m = routes_[moved];
    for (std::size_t j = 0; j < m.links.size(); ++j)
      if (m.links[j] == id) m.slot[j] = rt.slot[i];
    rt.slot[i] = kNone;
    if (l.active.empty()) {
      erase_sorted(active_links_, id);
    }
  }
}

namespace {

/// Ascending, `bits` all clear before and after. Insertion sort for the handful of ids a
/// component usually holds; above that a bit per id, read back in order, which costs the ids
/// plus a word per 64 ids of their span rather than n log n comparisons.
void sort_ids(std::vector<std::uint32_t>& v, std::vector<std::uint64_t>& bits) {
  if (v.size() <= 8) {
    for (std::size_t i = 1; i < v.size(); ++i) {
      const std::uint32_t x = v[i];
      std::size_t j = i;
      for (; j > 0 && v[j - 1] > x; --j) v[j] = v[j - 1];
      v[j] = x;
    }
    return;
  }
  std::uint32_t lo = v[0], hi = v[0];
  for (const std::uint32_t x : v) {
    bits[x >> 6] |= std::uint64_t{1} << (x & 63);
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  std::size_t n = 0;
  for (std::uint32_t w = lo >> 6; w <= hi >> 6; ++w) {
    for (std::uint64_t b = bits[w]; b != 0; b &= b - 1)
      v[n++] = (w << 6) | static_cast<std::uint32_t>(std::countr_zero(b));
    bits[w] = 0;
  }
}

}  // namespace

void FlowNetwork::next_epoch() {
  if (++epoch_ == 0) {  // wrapped: forget every mark
    for (Route& rt : routes_) rt.seen = 0;
    for (Link& l : links_) l.seen = 0;
    epoch_ = 1;
  }
}

bool FlowNetwork::fill_alone(RouteId touched) {
  // When no other active route crosses the touched route's links, its component is itself: each
  // link's fair rate is its capacity over n x w, and the route gets the smallest (the same value
  // whichever link gives it, so the same bits as the full water-filling).
  Route& rt = routes_[touched];
  const std::size_t own = rt.heap.empty() ? 0 : 1;
  for (const LinkId id : rt.links)
    if (links_[id].active.size() != own) return false;
  next_epoch();
  comp_routes_.assign(1, touched);
  comp_links_.assign(rt.links.begin(), rt.links.end());
  rt.seen = epoch_;
  rt.next_rate = 0.0;
  const double n = static_cast<double>(rt.heap.size());
  for (std::size_t i = 0; i < rt.links.size(); ++i) {
    Link& l = links_[rt.links[i]];
    l.seen = epoch_;
    if (own == 0) continue;
    const double s = l.capacity / (n * rt.weights[i]);
    if (i == 0 || s < rt.next_rate) rt.next_rate = s;
  }
  return true;
}

void FlowNetwork::find_component(RouteId touched) {
  // The touched route (even without flows now), the active routes reachable from it through the
  // links they share, and those links; each list ascending, the order the full water-filling
  // visits routes and links in.
  next_epoch();
  comp_routes_.clear();
  comp_links_.clear();
  // A link of the touched route that carries every active route (host memory, often) makes the
  // component all of them: no search.
  const Route& t = routes_[touched];
  for (const LinkId id : t.links) {
    if (links_[id].active.empty() || links_[id].active.size() != active_routes_.size()) continue;
    comp_routes_.assign(active_routes_.begin(), active_routes_.end());  // both kept sorted
    if (t.heap.empty()) insert_sorted(comp_routes_, touched);
    comp_links_.assign(active_links_.begin(), active_links_.end());
    for (const LinkId own : t.links)
      if (links_[own].active.empty()) insert_sorted(comp_links_, own);
    for (const LinkId l : comp_links_) links_[l].seen = epoch_;
    return;
  }
  routes_[touched].seen = epoch_;
  comp_routes_.push_back(touched);
  for (std::size_t i = 0; i < comp_routes_.size(); ++i) {
    for (const LinkId id : routes_[comp_routes_[i]].links) {
      Link& l = links_[id];
      if (l.seen == epoch_) continue;
      l.seen = epoch_;
      comp_links_.push_back(id);
      for (const RouteId r : l.active) {
        if (routes_[r].seen == epoch_) continue;
        routes_[r].seen = epoch_;
        comp_routes_.push_back(r);
      }
    }
  }
  sort_ids(comp_routes_, bits_);
  sort_ids(comp_links_, bits_);
}

void FlowNetwork::water_fill() {
  // Progressive filling over routes: every flow of a route is alike, so a route counts as many
  // flows as it carries, each with the route's weight on the link. A link's fair rate is what it
  // has left over the summed weights of its unfrozen flows; each round the link with the smallest
  // fair rate (the lowest index among equals) freezes the routes crossing it at that rate, so
  // there are at most as many rounds as active routes. Routes of one component never share a link
  // with another's, so filling one component alone gives each of its routes the same rate, to
  // the bit, as filling the whole network would.
  for (const LinkId id : comp_links_) {
    Link& l = links_[id];
    l.left = l.capacity;
    l.unfrozen = 0;
    l.weight = 0.0;
  }
  std::size_t remaining = 0;
  for (const RouteId r : comp_routes_) {
    Route& rt = routes_[r];
    rt.next_rate = 0.0;
    rt.frozen = rt.heap.empty();
    if (rt.frozen) continue;
    ++remaining;
    const std::size_t flows = rt.heap.size();
    const double n = static_cast<double>(flows);
    const std::size_t m = rt.links.size();
    for (std::size_t i = 0; i < m; ++i) {
      Link& l = links_[rt.links[i]];
      l.unfrozen += flows;
      l.weight += n * rt.weights[i];
    }
  }
  while (remaining > 0) {
    const LinkId best = scan_best();
    assert(best != kNone);
    const double share = links_[best].left / links_[best].weight;
    // The unfrozen routes crossing it, in index order (all active ones are in the component).
    // When it holds every unfrozen route (host memory, often), the component's list is that.
    frozen_.clear();
    for (const RouteId r : links_[best].active)
      if (!routes_[r].frozen) frozen_.push_back(r);
    if (frozen_.size() == remaining) {
      frozen_.clear();
      for (const RouteId r : comp_routes_)
        if (!routes_[r].frozen) frozen_.push_back(r);
    } else {
      sort_ids(frozen_, bits_);
    }
    for (const RouteId r : frozen_) {
      Route& rt = routes_[r];
      rt.frozen = true;
      rt.next_rate = share;
      --remaining;
      const std::size_t flows = rt.heap.size();
      const double n = static_cast<double>(flows);
      const std::size_t m = rt.links.size();
      for (std::size_t i = 0; i < m; ++i) {
        Link& l = links_[rt.links[i]];
        l.left = std::max(0.0, l.left - share * n * rt.weights[i]);
        l.unfrozen -= flows;
        l.weight -= n * rt.weights[i];
      }
    }
  }
}

FlowNetwork::LinkId FlowNetwork::scan_best() const {
  LinkId best = kNone;
  double share = 0.0;
  for (const LinkId id : comp_links_) {
    const Link& l = links_[id];
    if (l.unfrozen == 0)
      continue;  // the count, not the weight: a sum of weights may not
                 // return to exactly 0
    const double s = l.left / l.weight;
    if (best == kNone || s < share) {
      best = id;
      share = s;
    }
  }
  return best;
}

void FlowNetwork::reallocate(RouteId touched) {
  if (!fill_alone(touched)) {
    find_component(touched);
    water_fill();
  }
  // Only routes whose rate moved (or whose heap changed) need their event recomputed; routes
  // outside the component keep theirs. Each link's allocation is summed in route order; a link
  // outside the component keeps its value, but its integral still takes a step now, as it would
  // if the whole network were refilled.
  const Time now = sim_.now();
  for (const LinkId id : comp_links_) links_[id].allocated = 0.0;
  for (const RouteId r : comp_routes_) {
    Route& rt = routes_[r];
    const bool changed = rt.next_rate != rt.rate;
    rt.rate = rt.next_rate;
    if (rt.heap.empty()) {
      if (r == touched) sim_.cancel(rt.next);
      continue;  // adds nothing to its links
    }
    if (changed || r == touched) reschedule(r);
    const double per_flow = rt.rate * static_cast<double>(rt.heap.size());
    const std::size_t m = rt.links.size();
    for (std::size_t i = 0; i < m; ++i) links_[rt.links[i]].allocated += per_flow * rt.weights[i];
  }
  for (const LinkId id : comp_links_) {
    Link& l = links_[id];
    l.util.set(now, l.allocated / l.capacity);
  }
  for (const LinkId id : active_links_) {
    Link& l = links_[id];
    if (l.seen != epoch_) l.util.set(now, l.util.value());
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
  ++scheduled_;
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
  if (rt.heap.empty()) {
    rt.virtual_bytes = 0.0;  // restart the clock: keeps its precision
    deactivate(r);
  }
  reallocate(r);
  for (const Item& it : done_) it.owner->work_done(it.token);
}

}  // namespace servesim
