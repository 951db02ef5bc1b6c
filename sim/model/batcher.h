#pragma once
/// Triton's dynamic-batching policy: which queued requests a free model instance takes, and when.
///
/// A pure policy, driven by the stage that owns it; docs/batching.md gives each rule with its
/// source in Triton's documentation and dynamic_batch_scheduler.cc.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/core/ring.h"
#include "sim/core/time.h"

namespace servesim {

/// Triton's `max_batch_size`, `dynamic_batching { ... }` and its `default_queue_policy`, in
/// simulator units. config/ validates them; the batcher only asserts.
struct BatchingParams {
  int max_batch_size = 1;                  // Triton max_batch_size, >= 1
  std::vector<int> preferred_batch_sizes;  // each in [1, max_batch_size]; empty: {max_batch_size}
  Time max_queue_delay = 0;                // max_queue_delay_microseconds; 0: never hold a batch
  std::uint64_t max_queue_size = 0;        // 0: unbounded
  Time timeout = 0;                        // default_timeout_microseconds; 0: none
  enum class TimeoutAction { kReject, kDelay } timeout_action = TimeoutAction::kReject;
};

/// One model's dynamic-batcher queue. Each request counts 1 toward a batch (clients send batch 1).
class DynamicBatcher {
 public:
  explicit DynamicBatcher(const BatchingParams& params);

  /// Queues request `id` arriving at `now`; false when the queue is full (Triton rejects it at
  /// once and it never enters the queue).
  bool enqueue(std::uint32_t id, Time now);

  /// Clears `batch` and `rejected`, then moves the requests whose timeout has passed to `rejected`
  /// (REJECT) or behind every unexpired request (DELAY). When `instance_free`, fills `batch` with
  /// the requests that instance takes now, in order (empty: hold them for now).
  /// Returns when to call again if nothing else happens first (kTimeMax: no need): the end of the
  /// oldest request's max_queue_delay while an instance waits for a batch, or the next REJECT
  /// timeout. An instance that receives a non-empty `batch` is busy from then on; the owner calls
  /// again at once for each other free instance.
  /// The owner calls it on an arrival, when an instance becomes free, and at the returned time.
  Time poll(Time now, bool instance_free, std::vector<std::uint32_t>& batch,
            std::vector<std::uint32_t>& rejected);

  /// Requests waiting, delayed ones included (what max_queue_size bounds).
  std::size_t queued() const { return queue_.size() + delayed_.size(); }
  const BatchingParams& params() const { return params_; }

 private:
  struct Entry {
    std::uint32_t id = 0;
    Time enqueued = 0;
  };
  void apply_timeouts(Time now, std::vector<std::uint32_t>& rejected);
  /// The i-th request in dispatch order: unexpired ones first, then delayed ones.
  const Entry& at(std::size_t i) const;
  Entry pop_front();
  Time next_reject_time() const;

  BatchingParams params_;  // preferred_batch_sizes sorted, unique, never empty
  Ring<Entry> queue_;      // unexpired requests, FIFO
  Ring<Entry> delayed_;    // DELAY: timed-out requests, FIFO, served after every unexpired one
};

}  // namespace servesim
