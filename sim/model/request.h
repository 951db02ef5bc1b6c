#pragma once
/// A request in flight, the cluster's store that recycles request records without allocating, and
/// a node's pool drawn from it.

#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
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
// The cluster's store holds the peak of these: the fields are ordered so that no padding falls
// between them (117 bytes of fields in 120, the last 3 after `pinned`; 128 with `location` after
// `pixels`).
static_assert(sizeof(Request) == 120);

/// The request records of a whole cluster: the nodes' pools draw from one store, so it holds the
/// peak of the sum of their requests, not the sum of their peaks (docs/performance.md, 6). Records
/// live in blocks that never move, so a growing store copies nothing and frees nothing, and the
/// table of blocks never moves either, so a pool keeps a pointer to it.
class RequestStore {
  static_assert(std::is_trivially_copyable_v<Request>);
  static constexpr Request kFresh{};

 public:
  static constexpr unsigned kBlockBits = 6;  // 64 records (7.5 KiB) per block
  static constexpr RequestId kBlockMask = (RequestId{1} << kBlockBits) - 1;
  static constexpr std::size_t kMaxBlocks = std::size_t{1} << 20;  // 67,108,864 records

  // The table is left uninitialised (only its first blocks_used_ entries are read), so its 8 MiB
  // stay virtual but for the pages the blocks' pointers touch.
  RequestStore() : blocks_(new Request*[kMaxBlocks]) {}  // NOLINT(*-owning-memory)
  ~RequestStore() {
    for (std::size_t b = 0; b < blocks_used_; ++b) delete[] blocks_[b];  // NOLINT(*-owning-memory)
  }
  RequestStore(const RequestStore&) = delete;
  RequestStore& operator=(const RequestStore&) = delete;

  /// A fresh record (every field its default).
  RequestId acquire() {
    if (free_.empty()) {
      if ((size_ & kBlockMask) == 0) {
        if (blocks_used_ == kMaxBlocks)
          throw std::length_error("more than 67,108,864 requests in flight at once");
        blocks_[blocks_used_++] = new Request[kBlockMask + 1]();  // NOLINT(*-owning-memory)
      }
      return size_++;
    }
    const RequestId id = free_.back();
    free_.pop_back();
    // Copied from a constant: value-initialised in place, GCC zeroes the record with `rep stos`,
    // whose start-up cost alone was 6% of an M/M/4 run's time (perf); this is plain stores.
    std::memcpy(&blocks_[id >> kBlockBits][id & kBlockMask], &kFresh, sizeof(Request));
    return id;
  }
  void release(RequestId id) { free_.push_back(id); }
  /// The table of blocks: record id is table[id >> kBlockBits][id & kBlockMask].
  Request* const* table() const { return blocks_.get(); }

 private:
  std::unique_ptr<Request*[]> blocks_;
  std::size_t blocks_used_ = 0;
  std::vector<RequestId> free_;
  RequestId size_ = 0;  // records handed out at least once
};

/// One node's view of the store: the requests it holds, and their trace ids, counted per node.
class RequestPool {
 public:
  explicit RequestPool(RequestStore& store) : store_(store), table_(store.table()) {}
  RequestId acquire() {
    const RequestId id = store_.acquire();
    ++live_;
    (*this)[id].trace_id = ++acquired_;
    return id;
  }
  void release(RequestId id) {
    store_.release(id);
    --live_;
  }
  Request& operator[](RequestId id) {
    return table_[id >> RequestStore::kBlockBits][id & RequestStore::kBlockMask];
  }
  std::size_t live() const { return live_; }

 private:
  RequestStore& store_;
  Request* const* table_;
  std::size_t live_ = 0;
  std::uint64_t acquired_ = 0;
};

/// FIFO of request ids.
using RequestFifo = Ring<RequestId>;

}  // namespace servesim
