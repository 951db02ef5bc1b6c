#pragma once
/// A run's trace in the Chrome Trace Event format (chrome://tracing, ui.perfetto.dev): a lane per
/// stage instance, GPU engine and PCIe link in pipeline order, with each batch's phases and the
/// requests they served, flow arrows following each request across its slices, each request's
/// life, and counters (queue lengths, batch sizes, GPU memory), for a bounded window of
/// simulated time.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sim/model/tracer.h"

namespace servesim {

class ChromeTrace final : public Tracer {
 public:
  /// Keeps what ends within [begin, begin + length], at most `max_events` events (each request
  /// id a slice lists counts as one: it costs a flow event).
  ChromeTrace(Time begin, Time length, std::size_t max_events = 1'000'000)
      : begin_(begin), end_(begin + length), max_(max_events) {}

  void lane(std::uint32_t node, const std::string& lane) override { lane_id(node, lane); }
  void span(std::uint32_t node, const std::string& lane, const char* what, Time start, Time end,
            std::size_t batch, std::span<const std::uint64_t> requests) override;
  void request(std::uint32_t node, std::uint64_t id, Time arrival, Time end) override;
  void counter(std::uint32_t node, const std::string& name, Time t, double value) override;
  bool wants(Time t) const override { return t >= begin_ && t <= end_ && size_ < max_; }

  /// {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}; times in microseconds.
  nlohmann::ordered_json json() const;
  std::size_t events() const { return size_; }

 private:
  struct FlowPoint {  // a slice a request passed through
    Time at = 0;      // inside the slice (its midpoint), so the flow binds to it
    std::uint32_t node = 0;
    int tid = 0;
  };
  int lane_id(std::uint32_t node, const std::string& lane);
  void flows(nlohmann::ordered_json& events) const;

  Time begin_, end_;
  std::size_t max_;
  std::size_t size_ = 0;  // events_ plus flow points
  std::map<std::pair<std::uint32_t, std::string>, int> lanes_;
  std::vector<std::pair<std::uint32_t, std::string>> lane_names_;  // by id - 1
  std::vector<bool> lane_used_;                                    // by id - 1
  std::vector<nlohmann::ordered_json> events_;
  std::map<std::pair<std::uint32_t, std::uint64_t>, std::vector<FlowPoint>> flows_;
};

}  // namespace servesim
