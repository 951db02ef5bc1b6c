#pragma once
/// A run's trace in the Chrome Trace Event format (chrome://tracing, ui.perfetto.dev): a lane per
/// stage instance, GPU engine and PCIe link, with each batch's phases and each request's life,
/// for a bounded window of simulated time.

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
  /// Keeps what ends within [begin, begin + length], at most `max_events` events.
  ChromeTrace(Time begin, Time length, std::size_t max_events = 1'000'000)
      : begin_(begin), end_(begin + length), max_(max_events) {}

  void span(std::uint32_t node, const std::string& lane, const char* what, Time start, Time end,
            std::size_t batch) override;
  void request(std::uint32_t node, Time arrival, Time end) override;
  bool wants(Time t) const override { return t >= begin_ && t <= end_ && events_.size() < max_; }

  /// {"traceEvents": [...], "displayTimeUnit": "ms", "otherData": {...}}; times in microseconds.
  nlohmann::ordered_json json() const;
  std::size_t events() const { return events_.size(); }

 private:
  int lane_id(std::uint32_t node, const std::string& lane);

  Time begin_, end_;
  std::size_t max_;
  std::map<std::pair<std::uint32_t, std::string>, int> lanes_;
  std::vector<std::pair<std::uint32_t, std::string>> lane_names_;  // by id - 1
  std::vector<nlohmann::ordered_json> events_;
  std::uint64_t requests_ = 0;
};

}  // namespace servesim
