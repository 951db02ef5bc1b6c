#include "sim/model/engine.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace servesim {

PerCoreServer::PerCoreServer(Simulator& sim, int cores, double speed,
                             const CpuEfficiency* efficiency, const StallParams* stalls, Rng rng)
    : sim_(sim),
      stalled_(static_cast<std::size_t>(cores), false),
      efficiency_(efficiency && !efficiency->flat() ? efficiency : nullptr),
      stalls_(stalls),
      rng_(rng) {
  for (int c = 0; c < cores; ++c) {
    cores_.push_back(std::make_unique<CpuPool>(sim, 1, speed));
    if (efficiency_) cores_.back()->set_listener(this);
  }
  // Each core's first stall, in core order.
  if (stalls_)
    for (int c = 0; c < cores; ++c)
      sim_.schedule_in(sample_to_time(stalls_->interval->sample(rng_)), *this, kStallStart,
                       static_cast<std::uint64_t>(c));
}

double PerCoreServer::running_factor() const {
  if (!efficiency_) return 1.0;
  int busy = 0;
  for (const auto& c : cores_) busy += c->active() > 0 ? 1 : 0;
  return efficiency_->at(busy);
}

void PerCoreServer::busy_changed() {
  const double f = running_factor();
  for (std::size_t c = 0; c < cores_.size(); ++c)
    if (cores_[c]->active() > 0) cores_[c]->set_factor(stalled_[c] ? 0.0 : f);
}

void PerCoreServer::on_event(std::uint32_t kind, std::uint64_t core) {
  const auto c = static_cast<std::size_t>(core);
  if (kind == kStallStart) {
    stalled_[c] = true;
    cores_[c]->set_factor(0.0);
    sim_.schedule_in(sample_to_time(stalls_->duration->sample(rng_)), *this, kStallEnd, core);
    return;
  }
  stalled_[c] = false;
  cores_[c]->set_factor(running_factor());
  sim_.schedule_in(sample_to_time(stalls_->interval->sample(rng_)), *this, kStallStart, core);
}

void PerCoreServer::submit_from(Time work, WorkOwner& owner, std::uint64_t token, int& core) {
  const auto n = static_cast<int>(cores_.size());
  const bool known = core >= 0 && core < n;
  int pick = -1;
  if (known && cores_[static_cast<std::size_t>(core)]->active() == 0) {
    pick = core;  // its last core, idle: warm caches
  } else {
    for (int c = 0; c < n && pick < 0; ++c)
      if (cores_[static_cast<std::size_t>(c)]->active() == 0) pick = c;  // any idle core
  }
  if (pick < 0 && known) pick = core;  // no idle core: stay where it last ran
  if (pick < 0) {                      // no history: the shortest run queue
    pick = 0;
    for (int c = 1; c < n; ++c)
      if (cores_[static_cast<std::size_t>(c)]->active() <
          cores_[static_cast<std::size_t>(pick)]->active())
        pick = c;
  }
  core = pick;
  cores_[static_cast<std::size_t>(pick)]->submit(work, owner, token);
}

double PerCoreServer::busy_area(Time now) const {
  double a = 0;
  for (const auto& c : cores_) a += c->busy_area(now);
  return a;
}

FifoEngine::FifoEngine(Simulator& sim, int count, double speed)
    : sim_(sim), count_(count), speed_(speed) {
  assert(count > 0 && speed > 0);
}

void FifoEngine::submit(Time work, WorkOwner& owner, std::uint64_t token) {
  const Job job{work, &owner, token};
  if (busy_ < count_) {
    start(job);
  } else {
    waiting_.push(job);
  }
}

void FifoEngine::start(const Job& job) {
  std::uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(running_.size());
    running_.push_back(job);
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    running_[slot] = job;
  }
  running_[slot].started = sim_.now();
  busy_area_.set(sim_.now(), ++busy_);
  const Time d =
      speed_ == 1.0 ? job.work : sample_to_time(std::ceil(static_cast<double>(job.work) / speed_));
  sim_.schedule_in(d, *this, 0, slot);
}

void FifoEngine::on_event(std::uint32_t, std::uint64_t arg) {
  const auto slot = static_cast<std::uint32_t>(arg);
  const Job done = running_[slot];
  if (tracer_ && tracer_->wants(sim_.now())) {
    const auto ids = done.owner->trace_requests(done.token);
    tracer_->span(node_, lane_, "kernel", done.started, sim_.now(),
                  std::max<std::size_t>(1, ids.size()), ids);
  }
  free_slots_.push_back(slot);
  --busy_;
  // The next job starts before the owner hears back, so a job the owner submits in response
  // queues behind those already waiting (FIFO).
  if (!waiting_.empty()) start(waiting_.pop());
  busy_area_.set(sim_.now(), busy_);
  done.owner->work_done(done.token);
}

bool Slots::acquire(WorkOwner& owner, std::uint64_t token) {
  if (held_ < count_) {
    ++held_;
    return true;
  }
  waiting_.push(Waiter{&owner, token});
  return false;
}

void Slots::release() {
  if (waiting_.empty()) {
    --held_;
    return;
  }
  const Waiter w = waiting_.pop();  // the slot passes straight to the next in line
  w.owner->work_done(w.token);
}

}  // namespace servesim
