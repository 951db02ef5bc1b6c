#include "sim/metrics/trace.h"

namespace servesim {

namespace {
double micros(Time t) { return static_cast<double>(t) * 1e-3; }
}  // namespace

int ChromeTrace::lane_id(std::uint32_t node, const std::string& lane) {
  const auto [it, added] = lanes_.emplace(std::make_pair(node, lane), 0);
  if (added) {
    lane_names_.emplace_back(node, lane);
    it->second = static_cast<int>(lane_names_.size());  // 0 is the requests' lane
  }
  return it->second;
}

void ChromeTrace::span(std::uint32_t node, const std::string& lane, const char* what, Time start,
                       Time end, std::size_t batch) {
  nlohmann::ordered_json e{{"name", what},
                           {"cat", "busy"},
                           {"ph", "X"},
                           {"ts", micros(start)},
                           {"dur", micros(end - start)},
                           {"pid", node},
                           {"tid", lane_id(node, lane)}};
  if (batch > 1) e["args"] = {{"batch", batch}};
  events_.push_back(std::move(e));
}

void ChromeTrace::request(std::uint32_t node, Time arrival, Time end) {
  // An async span per request: they overlap, so each gets its own id on the requests' lane.
  const std::uint64_t id = ++requests_;
  events_.push_back({{"name", "request"},
                     {"cat", "request"},
                     {"ph", "b"},
                     {"id", id},
                     {"ts", micros(arrival)},
                     {"pid", node},
                     {"tid", 0}});
  events_.push_back({{"name", "request"},
                     {"cat", "request"},
                     {"ph", "e"},
                     {"id", id},
                     {"ts", micros(end)},
                     {"pid", node},
                     {"tid", 0}});
}

nlohmann::ordered_json ChromeTrace::json() const {
  auto events = nlohmann::ordered_json::array();
  std::map<std::uint32_t, bool> nodes;
  for (const auto& [node, lane] : lane_names_) nodes[node] = true;
  for (const auto& [node, unused] : nodes) {
    events.push_back({{"name", "process_name"},
                      {"ph", "M"},
                      {"pid", node},
                      {"tid", 0},
                      {"args", {{"name", "node " + std::to_string(node)}}}});
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", node},
                      {"tid", 0},
                      {"args", {{"name", "requests"}}}});
  }
  for (std::size_t i = 0; i < lane_names_.size(); ++i)
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", lane_names_[i].first},
                      {"tid", i + 1},
                      {"args", {{"name", lane_names_[i].second}}}});
  for (const auto& e : events_) events.push_back(e);
  return {{"traceEvents", events},
          {"displayTimeUnit", "ms"},
          {"otherData",
           {{"producer", "servesim"},
            {"window_us", {micros(begin_), micros(end_)}},
            {"truncated", events_.size() >= max_}}}};
}

}  // namespace servesim
