#include "sim/metrics/trace.h"

#include <algorithm>

namespace servesim {

namespace {
double micros(Time t) { return static_cast<double>(t) * 1e-3; }

/// A request's flow id, unique across nodes (each node numbers its requests from 1).
std::uint64_t flow_id(std::uint32_t node, std::uint64_t request) {
  return (static_cast<std::uint64_t>(node) << 32U) | request;
}
}  // namespace

int ChromeTrace::lane_id(std::uint32_t node, const std::string& lane) {
  const auto [it, added] = lanes_.emplace(std::make_pair(node, lane), 0);
  if (added) {
    lane_names_.emplace_back(node, lane);
    lane_used_.push_back(false);
    it->second = static_cast<int>(lane_names_.size());  // 0 is the requests' lane
  }
  return it->second;
}

void ChromeTrace::span(std::uint32_t node, const std::string& lane, const char* what, Time start,
                       Time end, std::size_t batch, std::span<const std::uint64_t> requests) {
  const int tid = lane_id(node, lane);
  lane_used_[static_cast<std::size_t>(tid - 1)] = true;
  nlohmann::ordered_json e{{"name", what},
                           {"cat", "busy"},
                           {"ph", "X"},
                           {"ts", micros(start)},
                           {"dur", micros(end - start)},
                           {"pid", node},
                           {"tid", tid}};
  if (batch > 1) e["args"]["batch"] = batch;
  if (requests.size() == 1) e["args"]["request"] = requests[0];
  if (requests.size() > 1) e["args"]["requests"] = requests;
  events_.push_back(std::move(e));
  ++size_;
  for (const std::uint64_t id : requests) {
    flows_[{node, id}].push_back(FlowPoint{start + (end - start) / 2, node, tid});
    ++size_;
  }
}

void ChromeTrace::request(std::uint32_t node, std::uint64_t id, Time arrival, Time end) {
  // An async span per request: they overlap, so each gets its own id on the requests' lane.
  for (const auto& [ph, ts] : {std::pair{"b", arrival}, std::pair{"e", end}})
    events_.push_back({{"name", "request"},
                       {"cat", "request"},
                       {"ph", ph},
                       {"id", flow_id(node, id)},
                       {"ts", micros(ts)},
                       {"pid", node},
                       {"tid", 0},
                       {"args", {{"request", id}}}});
  size_ += 2;
}

void ChromeTrace::counter(std::uint32_t node, const std::string& name, Time t, double value) {
  events_.push_back({{"name", name},
                     {"cat", "counter"},
                     {"ph", "C"},
                     {"ts", micros(t)},
                     {"pid", node},
                     {"tid", 0},
                     {"args", {{"value", value}}}});
  ++size_;
}

void ChromeTrace::flows(nlohmann::ordered_json& events) const {
  // One flow per request through the slices that list it, in time order: "s" at the first, "t"
  // at each next, "f" at the last; each inside its slice and bound to it ("bp": "e").
  for (const auto& [key, recorded] : flows_) {
    if (recorded.size() < 2) continue;
    std::vector<FlowPoint> points = recorded;
    std::stable_sort(points.begin(), points.end(),
                     [](const FlowPoint& a, const FlowPoint& b) { return a.at < b.at; });
    for (std::size_t k = 0; k < points.size(); ++k) {
      const char* ph = k == 0 ? "s" : (k + 1 == points.size() ? "f" : "t");
      events.push_back({{"name", "request"},
                        {"cat", "flow"},
                        {"ph", ph},
                        {"id", flow_id(key.first, key.second)},
                        {"ts", micros(points[k].at)},
                        {"pid", points[k].node},
                        {"tid", points[k].tid},
                        {"bp", "e"}});
    }
  }
}

nlohmann::ordered_json ChromeTrace::json() const {
  auto events = nlohmann::ordered_json::array();
  std::map<std::uint32_t, bool> nodes;
  for (const auto& [node, lane] : lane_names_) nodes[node] = true;
  const auto meta = [&](const char* name, std::uint32_t pid, std::size_t tid,
                        nlohmann::ordered_json args) {
    events.push_back(
        {{"name", name}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", std::move(args)}});
  };
  for (const auto& [node, unused] : nodes) {
    meta("process_name", node, 0, {{"name", "node " + std::to_string(node)}});
    meta("process_sort_index", node, 0, {{"sort_index", node}});
    meta("thread_name", node, 0, {{"name", "requests"}});
    meta("thread_sort_index", node, 0, {{"sort_index", 0}});
  }
  // Lanes sort in the order they were declared (pipeline order), not by first use.
  for (std::size_t i = 0; i < lane_names_.size(); ++i) {
    if (!lane_used_[i]) continue;
    meta("thread_name", lane_names_[i].first, i + 1, {{"name", lane_names_[i].second}});
    meta("thread_sort_index", lane_names_[i].first, i + 1, {{"sort_index", i + 1}});
  }
  for (const auto& e : events_) events.push_back(e);
  flows(events);
  return {{"traceEvents", events},
          {"displayTimeUnit", "ms"},
          {"otherData",
           {{"producer", "servesim"},
            {"window_us", {micros(begin_), micros(end_)}},
            {"truncated", size_ >= max_}}}};
}

}  // namespace servesim
