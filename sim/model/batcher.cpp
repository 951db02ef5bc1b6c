#include "sim/model/batcher.h"

#include <algorithm>
#include <cassert>

namespace servesim {

namespace {

// Deadlines far past any run saturate instead of wrapping.
Time saturating_add(Time t, Time d) { return d > kTimeMax - t ? kTimeMax : t + d; }

}  // namespace

DynamicBatcher::DynamicBatcher(const BatchingParams& params) : params_(params) {
  assert(params_.max_batch_size >= 1);
  assert(params_.max_queue_delay >= 0 && params_.timeout >= 0);
  auto& preferred = params_.preferred_batch_sizes;
  std::sort(preferred.begin(), preferred.end());
  preferred.erase(std::unique(preferred.begin(), preferred.end()), preferred.end());
  // Triton's NormalizeModelConfig: no preferred size configured means max_batch_size.
  if (preferred.empty()) preferred.push_back(params_.max_batch_size);
  assert(preferred.front() >= 1 && preferred.back() <= params_.max_batch_size);
}

bool DynamicBatcher::enqueue(std::uint32_t id, Time now) {
  assert(queue_.empty() || queue_[queue_.size() - 1].enqueued <= now);
  if (params_.max_queue_size != 0 && queued() >= params_.max_queue_size) return false;
  queue_.push(Entry{id, now});
  return true;
}

Time DynamicBatcher::poll(Time now, bool instance_free, std::vector<std::uint32_t>& batch,
                          std::vector<std::uint32_t>& rejected) {
  batch.clear();
  rejected.clear();
  apply_timeouts(now, rejected);
  if (!instance_free || queued() == 0) return next_reject_time();

  // The candidate batch: the first n requests in dispatch order.
  const std::size_t n = std::min(queued(), static_cast<std::size_t>(params_.max_batch_size));
  std::size_t best_preferred = 0;  // the largest preferred size the candidates can fill
  for (auto it = params_.preferred_batch_sizes.rbegin(); it != params_.preferred_batch_sizes.rend();
       ++it) {
    if (static_cast<std::size_t>(*it) <= n) {
      best_preferred = static_cast<std::size_t>(*it);
      break;
    }
  }
  Time oldest = at(0).enqueued;
  if (n > queue_.size() && !queue_.empty()) oldest = std::min(oldest, delayed_.front().enqueued);
  const Time delay = params_.max_queue_delay;
  const bool delay_expired = delay > 0 && now - oldest >= delay;

  std::size_t take = 0;
  if (best_preferred > 0) {
    // A preferred (or the maximum) size goes at once; once the oldest request has waited
    // max_queue_delay, the batch goes as is, as large as max_batch_size allows.
    take = delay_expired ? n : best_preferred;
  } else if (delay == 0 || delay_expired) {
    take = n;
  } else {
    return std::min(saturating_add(oldest, delay), next_reject_time());
  }
  for (std::size_t i = 0; i < take; ++i) batch.push_back(pop_front().id);
  return next_reject_time();
}

void DynamicBatcher::apply_timeouts(Time now, std::vector<std::uint32_t>& rejected) {
  if (params_.timeout == 0) return;
  // One timeout for all, arrivals in time order: the timed-out requests are a prefix of queue_.
  // Triton: timed out when the time in the queue exceeds the timeout (strictly).
  while (!queue_.empty() && now - queue_.front().enqueued > params_.timeout) {
    const Entry e = queue_.pop();
    if (params_.timeout_action == BatchingParams::TimeoutAction::kReject) {
      rejected.push_back(e.id);
    } else {
      delayed_.push(e);
    }
  }
}

const DynamicBatcher::Entry& DynamicBatcher::at(std::size_t i) const {
  return i < queue_.size() ? queue_[i] : delayed_[i - queue_.size()];
}

DynamicBatcher::Entry DynamicBatcher::pop_front() {
  return queue_.empty() ? delayed_.pop() : queue_.pop();
}

Time DynamicBatcher::next_reject_time() const {
  if (params_.timeout == 0 || queue_.empty() ||
      params_.timeout_action != BatchingParams::TimeoutAction::kReject) {
    return kTimeMax;
  }
  return saturating_add(queue_.front().enqueued, saturating_add(params_.timeout, 1));
}

}  // namespace servesim
