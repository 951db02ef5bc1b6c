#pragma once
/// What a trace of a run shows (metrics/ writes it as a Chrome / Perfetto trace): busy spans on
/// named lanes (stage instances, GPU engines, PCIe links) and each request's life.

#include <cstdint>
#include <string>

#include "sim/core/time.h"

namespace servesim {

class Tracer {
 public:
  /// A span on lane `lane` of node `node`: `what` ran from `start` to `end`; `batch` requests.
  virtual void span(std::uint32_t node, const std::string& lane, const char* what, Time start,
                    Time end, std::size_t batch) = 0;
  /// A request's whole life, from its scheduled arrival to its completion.
  virtual void request(std::uint32_t node, Time arrival, Time end) = 0;
  /// Whether anything ending at `t` is still wanted (the trace covers a bounded window).
  virtual bool wants(Time t) const = 0;

 protected:
  ~Tracer() = default;
};

}  // namespace servesim
