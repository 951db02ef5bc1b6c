#include "sim/model/cpu_pool.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace servesim {

CpuPool::CpuPool(Simulator& sim, int cores, double speed)
    : sim_(sim), cores_(cores), speed_(speed) {
  assert(cores > 0 && speed > 0);
}

double CpuPool::rate() const {
  const auto n = static_cast<int>(items_.size());
  return n <= cores_ ? speed_ : speed_ * cores_ / static_cast<double>(n);
}

void CpuPool::advance() {
  const Time now = sim_.now();
  if (!items_.empty()) virtual_ += static_cast<double>(now - last_) * rate();
  last_ = now;
}

void CpuPool::reschedule() {
  sim_.cancel(next_);
  busy_.set(sim_.now(), std::min<double>(static_cast<double>(items_.size()), cores_));
  if (items_.empty()) return;
  const double remaining = std::max(0.0, items_.front().finish - virtual_);
  // Round up so that when the event fires the item's work is really done.
  // Clamped before the cast: a huge backlog on a slow pool must not overflow the clock.
  const double d = std::ceil(remaining / rate());
  constexpr Time kMaxDelay = kTimeMax / 2;
  const Time delay = d >= static_cast<double>(kMaxDelay) ? kMaxDelay : static_cast<Time>(d);
  next_ = sim_.schedule_in(delay, *this, 0);
}

void CpuPool::submit(Time work, WorkOwner& owner, std::uint64_t token) {
  advance();
  const Item item{virtual_ + static_cast<double>(work), order_++, &owner, token};
  // With a free core the rate stays the same, so the pending event still fits unless the new
  // item finishes first: skip the cancel-and-reschedule (most submissions in a stable system).
  const bool keep = static_cast<int>(items_.size()) < cores_ && sim_.pending(next_) &&
                    !Later{}(items_.front(), item);
  items_.push_back(item);
  std::push_heap(items_.begin(), items_.end(), Later{});
  if (keep) {
    busy_.set(sim_.now(), static_cast<double>(items_.size()));
  } else {
    reschedule();
  }
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
  for (const Item& it : done_) it.owner->work_done(it.token);
}

}  // namespace servesim
