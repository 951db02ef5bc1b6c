#pragma once
/// A request in flight and the pool that recycles request records without allocating.

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "sim/core/ring.h"
#include "sim/core/time.h"

namespace servesim {

using RequestId = std::uint32_t;

/// No request: a request without a parent, the end of a chain of siblings.
inline constexpr RequestId kNoRequest = ~RequestId{0};

/// Where a payload lives: the host, or GPU g (0-based).
inline constexpr std::int32_t kHost = -1;

struct Request {
  Time arrival = 0;        // scheduled arrival: latency is measured from here
  Time stage_enter = 0;    // when it joined the current stage's queue
  Time service_start = 0;  // when a worker of the current stage took it
  std::uint32_t stage = 0;
  std::uint32_t client = 0;  // closed workloads: who sent it
  std::uint32_t node = 0;    // which node of the cluster holds it
  // The image it carries, and its payload now (compressed bytes, then raw pixels, then a tensor).
  std::int32_t width = 0, height = 0;
  std::int32_t location = kHost;  // where the payload is (beside `height`: no padding)
  double bytes = 0;               // payload size
  double pixels = 0;              // payload pixels (the image's until a stage resizes it)
  double gpu_reserved = 0;        // GPU memory it holds on `location`
  double pool_bytes = 0;          // held in `location`'s tensor pool (GpuParams::pool_bytes)
  bool pinned = false;  // the pool had no room: its tensor waits in pinned host memory instead
  // Fan-out (multi-DNN pipelines). A child's `arrival` is when its parent emitted it.
  RequestId parent = kNoRequest;        // a child: the request that emitted it
  RequestId next_sibling = kNoRequest;  // a child: the next in its chain (siblings, a batch)
  std::uint32_t children = 0;           // a parent: children not yet done
  std::uint32_t seq = 0;                // a child: its index among its siblings
  std::uint32_t holder = 0;             // fused: the fan-out stage instance that runs it
  Time broker_work = 0;                 // a child: broker service time spent on it
  std::uint64_t trace_id = 0;           // its name in traces: 1, 2, ... in the pool's order
};
// Every node's pool holds its peak of these: the fields are ordered so that no padding falls
// between them (117 bytes of fields in 120, the last 3 after `pinned`; 128 with `location` after
// `pixels`).
static_assert(sizeof(Request) == 120);

class RequestPool {
  static_assert(std::is_trivially_copyable_v<Request>);
  static constexpr Request kFresh{};

 public:
  RequestId acquire() {
    RequestId id = 0;
    if (free_.empty()) {
      items_.emplace_back();
      id = static_cast<RequestId>(items_.size() - 1);
    } else {
      id = free_.back();
      free_.pop_back();
      // Copied from a constant: value-initialised in place, GCC zeroes the record with `rep stos`,
      // whose start-up cost alone was 6% of an M/M/4 run's time (perf); this is plain stores.
      std::memcpy(&items_[id], &kFresh, sizeof(Request));
    }
    ++live_;
    items_[id].trace_id = ++acquired_;
    return id;
  }
  void release(RequestId id) {
    free_.push_back(id);
    --live_;
  }
  Request& operator[](RequestId id) { return items_[id]; }
  std::size_t live() const { return live_; }

 private:
  std::vector<Request> items_;
  std::vector<RequestId> free_;
  std::size_t live_ = 0;
  std::uint64_t acquired_ = 0;
};

/// FIFO of request ids.
using RequestFifo = Ring<RequestId>;

}  // namespace servesim
