#pragma once
/// A request in flight and the pool that recycles request records without allocating.

#include <cstdint>
#include <vector>

#include "sim/core/time.h"

namespace servesim {

using RequestId = std::uint32_t;

struct Request {
  Time arrival = 0;        // scheduled arrival: latency is measured from here
  Time stage_enter = 0;    // when it joined the current stage's queue
  Time service_start = 0;  // when a worker of the current stage took it
  std::uint32_t stage = 0;
  std::uint32_t client = 0;  // closed workloads: who sent it
};

class RequestPool {
 public:
  RequestId acquire() {
    if (free_.empty()) {
      items_.emplace_back();
      ++live_;
      return static_cast<RequestId>(items_.size() - 1);
    }
    const RequestId id = free_.back();
    free_.pop_back();
    items_[id] = Request{};
    ++live_;
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
};

/// FIFO of request ids on a ring buffer that grows by doubling and never shrinks.
class RequestFifo {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  void push(RequestId id) {
    if (size_ == buf_.size()) grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = id;
    ++size_;
  }
  RequestId pop() {
    const RequestId id = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return id;
  }

 private:
  void grow() {
    std::vector<RequestId> bigger(buf_.empty() ? 16 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_.swap(bigger);
    head_ = 0;
  }
  std::vector<RequestId> buf_;
  std::size_t head_ = 0, size_ = 0;
};

}  // namespace servesim
