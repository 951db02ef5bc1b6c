#include "sim/model/engine.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace servesim {

StallProcess::StallProcess(Simulator& sim, int cores, const StallParams& params, Rng rng,
                           StallListener& listener)
    : sim_(sim), params_(params), rng_(rng), listener_(listener) {
  for (int c = 0; c < cores; ++c)  // each core's first stall, in core order
    sim_.schedule_in(sample_to_time(params_.interval->sample(rng_)), *this, kStart,
                     static_cast<std::uint64_t>(c));
}

void StallProcess::on_event(std::uint32_t kind, std::uint64_t core) {
  const bool start = kind == kStart;
  stalled_ += start ? 1 : -1;
  listener_.stall_changed(static_cast<std::size_t>(core), start);
  const Distribution& next = start ? *params_.duration : *params_.interval;
  sim_.schedule_in(sample_to_time(next.sample(rng_)), *this, start ? kEnd : kStart, core);
}

SharedServer::SharedServer(Simulator& sim, int cores, double speed, const CpuEfficiency* efficiency,
                           const StallParams* stalls, Rng rng, const StallParams* slowdowns,
                           Rng slow_rng)
    : pool_(sim, cores, speed, efficiency) {
  if (stalls)
    stalls_ = std::make_unique<StallProcess>(sim, cores, *stalls, rng,
                                             static_cast<StallListener&>(*this));
  if (slowdowns) {
    stalled_.assign(static_cast<std::size_t>(cores), 0);
    slowed_.assign(static_cast<std::size_t>(cores), 0);
    pool_.set_slow_speed(slowdowns->speed);
    slowdowns_ = std::make_unique<StallProcess>(sim, cores, *slowdowns, slow_rng, slow_relay_);
  }
}

void SharedServer::stall_changed(std::size_t core, bool stalled) {
  if (slowed_.empty()) {  // stalls alone: only their count matters
    pool_.set_stalled(stalls_->stalled());
    return;
  }
  stalled_[core] = stalled ? 1 : 0;
  update_cores();
}

void SharedServer::slow_changed(std::size_t core, bool slow) {
  slowed_[core] = slow ? 1 : 0;
  update_cores();
}

void SharedServer::update_cores() {
  int stalled = 0, slowed = 0;
  for (std::size_t c = 0; c < slowed_.size(); ++c) {
    stalled += stalled_[c];
    slowed += stalled_[c] ? 0 : slowed_[c];
  }
  pool_.set_stalled(stalled, slowed);
}

PerCoreServer::PerCoreServer(Simulator& sim, int cores, double speed,
                             const CpuEfficiency* efficiency, const StallParams* stalls, Rng rng,
                             const StallParams* slowdowns, Rng slow_rng)
    : efficiency_(efficiency && !efficiency->flat() ? efficiency : nullptr) {
  for (int c = 0; c < cores; ++c) {
    cores_.push_back(std::make_unique<CpuPool>(sim, 1, speed));
    if (efficiency_) cores_.back()->set_listener(this);
    if (cores > 1) cores_.back()->set_idle_listener(this);
  }
  if (stalls)
    stalls_ = std::make_unique<StallProcess>(sim, cores, *stalls, rng,
                                             static_cast<StallListener&>(*this));
  if (slowdowns) {
    slow_.assign(static_cast<std::size_t>(cores), 1.0);
    slow_speed_ = slowdowns->speed;
    slowdowns_ = std::make_unique<StallProcess>(sim, cores, *slowdowns, slow_rng, slow_listener_);
  }
}

int PerCoreServer::busy_cores() const {
  int busy = 0;
  for (const auto& c : cores_) busy += c->active() > 0 ? 1 : 0;
  return busy;
}

void PerCoreServer::busy_changed() {
  const double f = efficiency_->at(busy_cores());
  for (std::size_t c = 0; c < cores_.size(); ++c)
    if (cores_[c]->active() > 0) cores_[c]->set_factor(slow_.empty() ? f : f * slow_[c]);
}

void PerCoreServer::stall_changed(std::size_t core, bool stalled) {
  cores_[core]->set_stalled(stalled ? 1 : 0);
}

void PerCoreServer::slow_changed(std::size_t core, bool slow) {
  slow_[core] = slow ? slow_speed_ : 1.0;
  CpuPool& c = *cores_[core];
  // With an efficiency curve an idle core's factor is set again when it turns busy (busy_changed).
  const double eff = efficiency_ && c.active() > 0 ? efficiency_->at(busy_cores()) : 1.0;
  c.set_factor(eff * slow_[core]);
}

void PerCoreServer::place(Time work, WorkOwner& owner, std::uint64_t token, int last, int* home) {
  const auto n = static_cast<int>(cores_.size());
  const bool known = last >= 0 && last < n;
  int pick = -1;
  if (known && cores_[static_cast<std::size_t>(last)]->active() == 0) {
    pick = last;  // its last core, idle: warm caches
  } else {
    for (int c = 0; c < n && pick < 0; ++c)
      if (cores_[static_cast<std::size_t>(c)]->active() == 0) pick = c;  // any idle core
  }
  if (pick < 0 && known) pick = last;  // no idle core: stay where it last ran
  if (pick < 0) {                      // no history: the shortest run queue
    pick = 0;
    for (int c = 1; c < n; ++c)
      if (cores_[static_cast<std::size_t>(c)]->active() <
          cores_[static_cast<std::size_t>(pick)]->active())
        pick = c;
  }
  if (home) *home = pick;
  cores_[static_cast<std::size_t>(pick)]->submit(work, owner, token, home);
}

void PerCoreServer::went_idle(CpuPool& pool) {
  if (pool.running_cores() == 0) return;     // a stalled vCPU runs no balancing either
  std::size_t from = cores_.size(), to = 0;  // the busiest core with two or more; this one
  for (std::size_t c = 0; c < cores_.size(); ++c) {
    if (cores_[c].get() == &pool)
      to = c;
    else if (cores_[c]->active() >= 2 &&
             (from == cores_.size() || cores_[c]->active() > cores_[from]->active()))
      from = c;
  }
  if (from == cores_.size()) return;
  const TakenWork t = cores_[from]->take_newest();
  if (t.home) *t.home = static_cast<int>(to);
  pool.submit(t.work, *t.owner, t.token, t.home);
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
