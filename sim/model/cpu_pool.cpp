#include "sim/model/cpu_pool.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace servesim {

CpuEfficiency::CpuEfficiency(const std::vector<int>& busy_cores, const std::vector<double>& factor,
                             int cores) {
  assert(!busy_cores.empty() && busy_cores.size() == factor.size() && busy_cores.front() == 1 &&
         busy_cores.back() >= cores);
  by_busy_.assign(static_cast<std::size_t>(cores) + 1, 1.0);
  std::size_t i = 0;  // the last point at or below k
  for (int k = 1; k <= cores; ++k) {
    while (i + 1 < busy_cores.size() && busy_cores[i + 1] <= k) ++i;
    const auto u = static_cast<std::size_t>(k);
    if (busy_cores[i] == k) {
      by_busy_[u] = factor[i];
    } else {  // busy_cores[i] < k < busy_cores[i + 1] (the last point is at least `cores`)
      const double t = static_cast<double>(k - busy_cores[i]) /
                       static_cast<double>(busy_cores[i + 1] - busy_cores[i]);
      by_busy_[u] = factor[i] + t * (factor[i + 1] - factor[i]);
    }
  }
}

CpuPool::CpuPool(Simulator& sim, int cores, double speed, const CpuEfficiency* efficiency)
    : sim_(sim),
      cores_(cores),
      speed_(speed),
      efficiency_(efficiency && !efficiency->flat() ? efficiency : nullptr) {
  assert(cores > 0 && speed > 0);
}

double CpuPool::rate() const {
  const auto n = static_cast<int>(items_.size());
  const int running = cores_ - stalled_;  // the cores that run anything now
  if (running <= 0) return 0.0;
  const int busy = std::min(n, running);
  const double per_core = speed_ * factor_ * (efficiency_ ? efficiency_->at(busy) : 1.0);
  if (slowed_ > 0) {  // the items take the full-speed cores first, then the slowed ones
    const int fast = running - slowed_;
    if (n <= fast) return per_core;
    const double capacity = fast + std::min(n - fast, slowed_) * slow_speed_;
    return per_core * capacity / static_cast<double>(n);
  }
  return n <= running ? per_core : per_core * running / static_cast<double>(n);
}

void CpuPool::set_stalled(int k, int slowed) {
  assert(k >= 0 && slowed >= 0 && k + slowed <= cores_);
  if (k == stalled_ && slowed == slowed_) return;
  advance();
  stalled_ = k;
  slowed_ = slowed;
  if (!items_.empty()) reschedule();
}

void CpuPool::set_factor(double f) {
  if (f == factor_) return;
  advance();
  factor_ = f;
  if (!items_.empty()) reschedule();
}

void CpuPool::advance() {
  const Time now = sim_.now();
  if (!items_.empty()) virtual_ += static_cast<double>(now - last_) * rate();
  last_ = now;
}

void CpuPool::reschedule() {
  busy_.set(sim_.now(), std::min<double>(static_cast<double>(items_.size()), cores_));
  if (items_.empty()) {
    sim_.cancel(next_);
    return;
  }
  const double r = rate();
  const double remaining = std::max(0.0, items_.front().finish - virtual_);
  // Every core stalled: nothing finishes until one runs again, except an item whose work is
  // already done (a stall that starts the instant it ends does not hold it).
  if (r == 0 && remaining > 0) {
    sim_.cancel(next_);
    return;
  }
  // Round up so that when the event fires the item's work is really done.
  // Clamped before the cast: a huge backlog on a slow pool must not overflow the clock.
  // (x / 1 is x: a pool at full speed, the usual case, skips the division's latency.)
  const double d = r == 0 ? 0.0 : std::ceil(r == 1.0 ? remaining : remaining / r);
  constexpr Time kMaxDelay = kTimeMax / 2;
  const Time delay = d >= static_cast<double>(kMaxDelay) ? kMaxDelay : static_cast<Time>(d);
  // A pending event is moved in place: the same order as cancelling it and scheduling anew.
  next_ = sim_.pending(next_) ? sim_.retime_in(next_, delay) : sim_.schedule_in(delay, *this, 0);
}

void CpuPool::submit(Time work, WorkOwner& owner, std::uint64_t token, int* home) {
  advance();
  const Item item{virtual_ + static_cast<double>(work), order_++, &owner, token, home};
  // With a free core the rate stays the same, so the pending event still fits unless the new
  // item finishes first: skip the cancel-and-reschedule (most submissions in a stable system).
  // (Not with an efficiency curve: one more busy core slows every item.)
  const bool keep = !efficiency_ && static_cast<int>(items_.size()) < cores_ - stalled_ - slowed_ &&
                    sim_.pending(next_) && !Later{}(items_.front(), item);
  items_.push_back(item);
  std::push_heap(items_.begin(), items_.end(), Later{});
  if (keep) {
    busy_.set(sim_.now(), static_cast<double>(items_.size()));
  } else {
    reschedule();
  }
  if (listener_ && items_.size() == 1) listener_->busy_changed();
}

void CpuPool::on_event(std::uint32_t, std::uint64_t) {
  advance();
  // The earliest item is done by construction (its delay was rounded up); snap the clock to its
  // mark so rounding never accumulates, then finish every item that shares that mark.
  virtual_ = std::max(virtual_, items_.front().finish);
  std::vector<Item>& heap = items_;
  // Finished items are collected first so that owners see a consistent pool when called back.
  done_.clear();
  while (!heap.empty() && heap.front().finish <= virtual_) {
    std::pop_heap(heap.begin(), heap.end(), Later{});
    done_.push_back(heap.back());
    heap.pop_back();
  }
  reschedule();
  if (listener_ && heap.empty()) listener_->busy_changed();
  for (const Item& it : done_) it.owner->work_done(it.token);
  if (idle_listener_ && items_.empty()) idle_listener_->went_idle(*this);
}

TakenWork CpuPool::take_newest() {
  assert(!items_.empty());
  advance();
  const auto newest = std::max_element(
      items_.begin(), items_.end(), [](const Item& a, const Item& b) { return a.order < b.order; });
  const Item it = *newest;
  *newest = items_.back();
  items_.pop_back();
  std::make_heap(items_.begin(), items_.end(), Later{});
  reschedule();
  if (listener_ && items_.empty()) listener_->busy_changed();
  const double left = std::max(0.0, it.finish - virtual_);
  return {static_cast<Time>(std::ceil(left)), it.owner, it.token, it.home};
}

}  // namespace servesim
