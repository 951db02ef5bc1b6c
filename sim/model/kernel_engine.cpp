#include "sim/model/kernel_engine.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace servesim {
namespace {

enum : std::uint32_t { kKernelDone, kSliceEnd, kSwitchDone };

/// now + d, saturating: a slice or switch of centuries must not wrap the clock.
Time after(Time now, Time d) { return d > kTimeMax - now ? kTimeMax : now + d; }

}  // namespace

KernelEngine::KernelEngine(Simulator& sim, double speed, int processes, Time time_slice,
                           Time context_switch)
    : sim_(sim),
      speed_(speed),
      procs_(static_cast<std::size_t>(processes)),
      slice_(time_slice),
      switch_cost_(context_switch) {
  assert(speed > 0 && processes > 0 && time_slice >= 0 && context_switch >= 0);
}

double KernelEngine::rate() const {
  const double s = procs_[static_cast<std::size_t>(active_)].share;
  return s <= 1.0 ? speed_ : speed_ / s;
}

bool KernelEngine::others_waiting() const {
  return count_ > procs_[static_cast<std::size_t>(active_)].kernels.size();
}

int KernelEngine::next_process() const {
  const auto n = static_cast<int>(procs_.size());
  for (int i = 1; i <= n; ++i) {
    const int q = ((active_ < 0 ? n - 1 : active_) + i) % n;
    if (!procs_[static_cast<std::size_t>(q)].kernels.empty()) return q;
  }
  return -1;
}

void KernelEngine::advance() {
  const Time now = sim_.now();
  if (running())
    procs_[static_cast<std::size_t>(active_)].virt += static_cast<double>(now - last_) * rate();
  last_ = now;
}

void KernelEngine::submit_kernel(Time work, double share, int process, WorkOwner& owner,
                                 std::uint64_t token) {
  assert(process >= 0 && process < static_cast<int>(procs_.size()) && share > 0 && share <= 1);
  advance();
  // SMs that were idle give the process that finds them a fresh slice.
  if (count_ == 0 && !switching_) slice_end_ = after(sim_.now(), slice_);
  Process& p = procs_[static_cast<std::size_t>(process)];
  p.kernels.push_back(Kernel{p.virt + static_cast<double>(work), order_++, share, &owner, token});
  std::push_heap(p.kernels.begin(), p.kernels.end(), Later{});
  p.share += share;
  ++count_;
  reschedule();
}

void KernelEngine::pick(Time now) {
  if (count_ == 0) return;
  if (active_ >= 0 && !procs_[static_cast<std::size_t>(active_)].kernels.empty() &&
      (!others_waiting() || now < slice_end_))
    return;  // it keeps the SMs: alone, or within its slice
  const int q = next_process();
  if (active_ < 0 || q == active_) {  // the first context ever loaded costs nothing
    active_ = q;
    slice_end_ = after(now, slice_);
    return;
  }
  // Its slice is over (or it has nothing left) and another process waits: the context changes.
  ++switches_;
  active_ = q;
  if (switch_cost_ == 0) {
    slice_end_ = after(now, slice_);
  } else {
    switching_ = true;
    switch_end_ = after(now, switch_cost_);
  }
}

void KernelEngine::reschedule() {
  sim_.cancel(next_);
  const Time now = sim_.now();
  if (!switching_) pick(now);
  busy_.set(now, count_ > 0 || switching_ ? 1.0 : 0.0);
  if (switching_) {
    next_ = sim_.schedule_at(switch_end_, *this, kSwitchDone);
    return;
  }
  if (count_ == 0) return;
  const Process& p = procs_[static_cast<std::size_t>(active_)];
  const double remaining = std::max(0.0, p.kernels.front().finish - p.virt);
  // Rounded up, so that the kernel's work is really done when the event fires; clamped so a
  // huge backlog cannot overflow the clock.
  const double d = std::ceil(remaining / rate());
  constexpr Time kMaxDelay = kTimeMax / 2;
  const Time done = d >= static_cast<double>(kMaxDelay) ? kMaxDelay : static_cast<Time>(d);
  if (others_waiting() && slice_end_ - now < done) {
    next_ = sim_.schedule_at(slice_end_, *this, kSliceEnd);
  } else {
    next_ = sim_.schedule_in(done, *this, kKernelDone);
  }
}

void KernelEngine::on_event(std::uint32_t kind, std::uint64_t) {
  advance();
  if (kind == kSwitchDone) {
    switching_ = false;
    slice_end_ = after(sim_.now(), slice_);
  }
  if (kind != kKernelDone) {  // the next kernel is not done: only who holds the SMs changes
    reschedule();
    return;
  }
  Process& p = procs_[static_cast<std::size_t>(active_)];
  // The earliest kernel is done by construction (its delay was rounded up): snap the clock to
  // its mark so rounding never accumulates, then finish every kernel that shares that mark.
  p.virt = std::max(p.virt, p.kernels.front().finish);
  done_.clear();
  while (!p.kernels.empty() && p.kernels.front().finish <= p.virt) {
    std::pop_heap(p.kernels.begin(), p.kernels.end(), Later{});
    done_.push_back(p.kernels.back());
    p.kernels.pop_back();
  }
  count_ -= done_.size();
  // Summed afresh, so that additions and removals never leave a residue.
  p.share = 0;
  for (const Kernel& k : p.kernels) p.share += k.share;
  reschedule();
  for (const Kernel& k : done_) k.owner->work_done(k.token);
}

}  // namespace servesim
