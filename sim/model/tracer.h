#pragma once
/// What a trace of a run shows (metrics/ writes it as a Chrome / Perfetto trace): busy spans on
/// named lanes (stage instances, GPU engines, PCIe links), the requests each span served, each
/// request's life, and counters (queue lengths, batch sizes, GPU memory held).

#include <cstdint>
#include <span>
#include <string>

#include "sim/core/time.h"

namespace servesim {

class Tracer {
 public:
  /// Lane `lane` of node `node` exists; lanes declared earlier sort first (pipeline order).
  virtual void lane(std::uint32_t node, const std::string& lane) = 0;
  /// A span on lane `lane` of node `node`: `what` ran from `start` to `end` for `batch` requests,
  /// whose trace ids are `requests` (empty where the lane does not know them).
  virtual void span(std::uint32_t node, const std::string& lane, const char* what, Time start,
                    Time end, std::size_t batch, std::span<const std::uint64_t> requests) = 0;
  /// Request `id`'s whole life, from its scheduled arrival to its completion.
  virtual void request(std::uint32_t node, std::uint64_t id, Time arrival, Time end) = 0;
  /// Counter `name` of node `node` is `value` from time `t` on.
  virtual void counter(std::uint32_t node, const std::string& name, Time t, double value) = 0;
  /// Whether anything ending at `t` is still wanted (the trace covers a bounded window).
  virtual bool wants(Time t) const = 0;

 protected:
  ~Tracer() = default;
};

}  // namespace servesim
