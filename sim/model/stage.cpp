#include "sim/model/stage.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "sim/model/stations.h"

namespace servesim {

void apply_output(const OutputParams& out, Request& r) {
  switch (out.kind) {
    case OutputParams::Kind::kSame:
      return;
    case OutputParams::Kind::kRaw:  // decoded: the image's pixels, `channels` bytes each
      r.pixels = static_cast<double>(r.width) * r.height;
      r.bytes = r.pixels * out.channels * out.element_bytes;
      return;
    case OutputParams::Kind::kTensor:
      r.pixels = static_cast<double>(out.width) * out.height;
      r.bytes = r.pixels * out.channels * out.element_bytes;
      return;
    case OutputParams::Kind::kBytes:
      r.bytes = out.bytes;
      return;
    case OutputParams::Kind::kPerPixel:
      r.bytes = r.pixels * out.bytes_per_pixel;
      return;
  }
}

namespace {

bool gpu_device(Device d) { return d == Device::kGpu || d == Device::kNvjpg; }

/// Whether stage `s` hands its outputs to the next stage through its GPU's tensor pool: both run
/// on the GPU, a pool is configured, and `s` is no fan-out stage (whose children start on the
/// host).
bool pool_handoff(const ScenarioParams& p, std::size_t s) {
  const auto& pipe = p.pipeline;
  return p.node.gpus.pool_bytes > 0 && s + 1 < pipe.size() && gpu_device(pipe[s].device) &&
         gpu_device(pipe[s + 1].device) && !pipe[s].fanout;
}

}  // namespace

Stage::Stage(StageContext& context, const StageResources& resources, const ScenarioParams& scenario,
             StagePlace place, Rng rng, Rng wake_rng)
    : context_(context),
      res_(resources),
      sim_(resources.sim),
      requests_(resources.requests),
      scenario_(scenario),
      place_(place),
      params_(scenario.pipeline[place.index]),
      rng_(rng),
      wake_rng_(wake_rng) {
  const auto& pipe = scenario.pipeline;
  const StageParams& params = params_;
  const std::size_t index = place.index;
  if (on_gpu()) {
    const bool next_on_gpu =
        index + 1 < pipe.size() &&
        (pipe[index + 1].device == Device::kGpu || pipe[index + 1].device == Device::kNvjpg ||
         (pipe[index + 1].device == Device::kPcie &&
          pipe[index + 1].direction == Direction::kToHost));
    // A fan-out stage's children start on the host (they go through a broker, or a fused
    // worker's host code), so its results always come back.
    copy_out_ = !next_on_gpu || params.fanout.has_value();
    pools_ = pool_handoff(scenario, index);
    pool_end_ = !pools_ && index > 0 && pool_handoff(scenario, index - 1);
  }
  // A fused fan-out stage's worker runs its batch's children; a producer that waits for its
  // broker's replies (redis `client.wait_replies`) is held until the last one is read.
  if (params.fanout) {
    const BrokerParams& b = params.fanout->broker;
    held_after_batch_ = b.kind == BrokerKind::kFused ||
                        (b.kind == BrokerKind::kRedis && b.redis.client.wait_replies);
  }
  const std::size_t f = fanout_stage(scenario);
  // A fused pipeline's child stages are calls the held worker makes itself on the children it
  // holds: no dynamic batcher waits for other requests to join, so a batch goes at once.
  const bool fused_child =
      f != kNoFanout && index > f && pipe[f].fanout->broker.kind == BrokerKind::kFused;
  // Instances of CPU and GPU stages are threads that sleep when they have nothing to do; a fused
  // child stage's work runs in the held worker's thread, and a transfer stage is a copy.
  sleeps_ = scenario.node.cpu.wakeup && !fused_child && params.device != Device::kPcie &&
            params.device != Device::kNetwork;
  const int ngroups = stage_devices(params, static_cast<int>(res_.gpus.size()));
  groups_.resize(static_cast<std::size_t>(ngroups));
  for (int g = 0; g < ngroups; ++g) {
    Group& grp = groups_[static_cast<std::size_t>(g)];
    grp.gpu = on_host(params.device) ? kHost : g;
    if (params.batching) {
      BatchingParams batching = *params.batching;
      if (fused_child) batching.max_queue_delay = 0;
      grp.batcher = std::make_unique<DynamicBatcher>(batching);
    }
    for (int k = 0; k < params.instances; ++k) {
      grp.idle.push_back(static_cast<std::uint32_t>(instances_.size()));
      Instance inst;
      inst.group = static_cast<std::uint32_t>(g);
      inst.batch.reserve(params.batching ? static_cast<std::size_t>(params.batching->max_batch_size)
                                         : 1);
      instances_.push_back(std::move(inst));
    }
    // Idle instances are taken from the back: the lowest index first.
    std::reverse(grp.idle.begin(), grp.idle.end());
  }
}

std::uint32_t Stage::choose_group() {
  // A host-resident request may go to any GPU: the least-loaded one (Triton feeds all instances
  // of a model from one queue, which this approximates), ties broken by rotation.
  const auto n = static_cast<std::uint32_t>(groups_.size());
  std::uint32_t best = rotate_ % n;
  for (std::uint32_t k = 1; k < n; ++k) {
    const std::uint32_t g = (rotate_ + k) % n;
    if (groups_[g].load < groups_[best].load) best = g;
  }
  rotate_ = best + 1;
  return best;
}

void Stage::accept(RequestId id) {
  enqueue(arrive(id), id);
  dispatch(last_group_);
}

void Stage::accept_batch(std::span<const RequestId> ids) {
  for (const RequestId id : ids) enqueue(arrive(id), id);
  for (std::uint32_t g = 0; g < groups_.size(); ++g) dispatch(g);
}

std::uint32_t Stage::arrive(RequestId id) {
  const Time now = sim_.now();
  Request& r = requests_[id];
  r.stage = place_.index;
  r.stage_enter = now;
  in_stage_.add(now, 1);
  std::uint32_t g = 0;
  if (!on_host(params_.device)) {
    // Data already on a GPU stays there; the rest goes to the least-loaded GPU.
    g = r.location >= 0 ? static_cast<std::uint32_t>(r.location) : choose_group();
  }
  last_group_ = g;
  return g;
}

void Stage::enqueue(std::uint32_t g, RequestId id) {
  Group& grp = groups_[g];
  ++grp.load;
  if (grp.batcher) {
    if (!grp.batcher->enqueue(id, sim_.now())) {  // Triton: max_queue_size reached
      --grp.load;
      in_stage_.add(sim_.now(), -1);
      context_.refuse(id);
      return;
    }
  } else {
    grp.fifo.push(id);
  }
}

void Stage::dispatch(std::uint32_t g) {
  dispatch_group(g);
  if (Tracer* t = context_.tracer(); t && t->wants(sim_.now())) trace_queue();
}

void Stage::dispatch_group(std::uint32_t g) {
  Group& grp = groups_[g];
  if (!grp.batcher) {
    while (!grp.idle.empty() && !grp.fifo.empty()) {
      const std::uint32_t i = grp.idle.back();
      grp.idle.pop_back();
      instances_[i].batch.clear();
      instances_[i].batch.push_back(grp.fifo.pop());
      begin(i);
    }
    return;
  }
  // The batcher also expires timed-out requests when no instance is free.
  for (;;) {
    const bool free = !grp.idle.empty();
    const Time wake = grp.batcher->poll(sim_.now(), free, batch_scratch_, rejected_scratch_);
    for (const RequestId id : rejected_scratch_) {
      --grp.load;
      in_stage_.add(sim_.now(), -1);
      context_.refuse(id);  // its client hears back through an event, never re-entering here
    }
    if (batch_scratch_.empty()) {
      if (wake != grp.wake_at) {
        sim_.cancel(grp.wake);
        grp.wake_at = wake;
        if (wake < kTimeMax) grp.wake = sim_.schedule_at(wake, *this, 0, g);
      }
      return;
    }
    const std::uint32_t i = grp.idle.back();
    grp.idle.pop_back();
    instances_[i].batch.assign(batch_scratch_.begin(), batch_scratch_.end());
    begin(i);
  }
}

void Stage::on_event(std::uint32_t kind, std::uint64_t arg) {
  if (kind == kThreadWake) {
    const auto i = static_cast<std::uint32_t>(arg);
    if (Tracer* t = context_.tracer(); t && t->wants(sim_.now()))
      t->span(place_.node, lane(i), "wake-up", instances_[i].start, sim_.now(),
              instances_[i].batch.size(), trace_ids(i));
    start(i);
    return;
  }
  const auto g = static_cast<std::uint32_t>(arg);
  groups_[g].wake_at = kTimeMax;
  dispatch(g);
}

Time Stage::sample(const ServiceParams& s, const CurveArgs& args) {
  const double t = s.curve ? s.curve->sample_ns(args, rng_) : s.dist.sample(rng_);
  return sample_to_time(params_.speedup == 1.0 ? t : t / params_.speedup);
}

Time Stage::work(Instance& inst, const ServiceParams& s, double speed) {
  const Time w = sample(s, inst.args);
  inst.work += static_cast<double>(w) / speed;
  return w;
}

double gpu_run_peak_bytes(const ScenarioParams& p, std::size_t first, Request probe) {
  const auto& pipe = p.pipeline;
  double peak = probe.bytes;
  for (std::size_t s = first; s < pipe.size(); ++s) {
    const Device d = pipe[s].device;
    if (s > first && d != Device::kGpu && d != Device::kNvjpg) break;
    apply_output(pipe[s].output, probe);
    peak = std::max(peak, probe.bytes);
    if ((d == Device::kPcie && s > first) || pipe[s].fanout) break;
  }
  return peak;
}

double Stage::pool_peak(const Request& r) const {
  // The largest tensor the request will have while its stages hand it on through the pool (its
  // payload now is this stage's output): taken once, so that `block` never deadlocks midway.
  Request probe = r;
  double peak = probe.bytes;
  for (std::size_t s = place_.index + 1; pool_handoff(scenario_, s); ++s) {
    apply_output(scenario_.pipeline[s].output, probe);
    peak = std::max(peak, probe.bytes);
  }
  return peak;
}

void Stage::begin(std::uint32_t i) {
  Instance& inst = instances_[i];
  const Time now = sim_.now();
  if (Tracer* t = context_.tracer(); t && t->wants(now)) trace_batch(inst.batch.size());
  // An instance is a thread on the node's CPU. One that went to sleep waiting for work (idle
  // before this instant) is woken first, and the batch waits meanwhile; one that takes the next
  // batch as it finishes the last never slept.
  if (sleeps_ && now > inst.idle_since) {
    const Time delay = sample_to_time(scenario_.node.cpu.wakeup->sample(wake_rng_));
    if (delay > 0) {
      inst.step = Step::kWaking;
      inst.start = now;  // for the trace
      sim_.schedule_in(delay, *this, kThreadWake, i);
      return;
    }
  }
  start(i);
}

void Stage::start(std::uint32_t i) {
  Instance& inst = instances_[i];
  const Time now = sim_.now();
  inst.start = now;
  inst.args = CurveArgs{static_cast<double>(inst.batch.size()), 0, 0};
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    r.service_start = now;
    inst.args.pixels += r.pixels;
    inst.args.bytes += r.bytes;
  }
  busy_.set(now, ++busy_count_);
  // Reserve GPU memory for what arrives from the host.
  const int gpu = groups_[inst.group].gpu;
  const bool to_gpu =
      on_gpu() || (params_.device == Device::kPcie && params_.direction == Direction::kToGpu);
  double need = 0;
  if (to_gpu) {
    for (const RequestId id : inst.batch) {
      Request& r = requests_[id];
      if (r.location != kHost) continue;
      r.gpu_reserved = gpu_run_peak_bytes(scenario_, place_.index, r);
      need += r.gpu_reserved;
    }
  }
  if (need > 0) {
    inst.step = Step::kMemory;
    double spilled = 0;
    const bool granted = gpu_at(gpu).reserve(need, *this, i, spilled);
    if (spilled > 0) {
      // Room is made by evicting other tensors to the host; they are reloaded later. Both
      // copies are charged here, on this GPU's link, as part of this batch's input.
      inst.pending += 2;
      res_.pcie->transfer(gpu, Direction::kToHost, spilled, *this, i);
      res_.pcie->transfer(gpu, Direction::kToGpu, spilled, *this, i);
    }
    if (!granted) return;  // work_done(i) when the memory is granted
  }
  input_phase(i);
}

void Stage::input_phase(std::uint32_t i) {
  Instance& inst = instances_[i];
  inst.step = Step::kInput;
  const int gpu = groups_[inst.group].gpu;
  const bool to_gpu =
      on_gpu() || (params_.device == Device::kPcie && params_.direction == Direction::kToGpu);
  double to_gpu_bytes = 0, reload = 0;
  bool any_from_host = false;
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    if (to_gpu && r.location == kHost) {
      any_from_host = true;
      to_gpu_bytes += r.bytes;
    } else if (to_gpu && r.pinned) {
      reload += r.bytes;  // the pool had no room for it: it comes back from pinned host memory
    } else if (!to_gpu && r.location != kHost) {
      // A CPU stage (or a transfer to the host) takes the payload off its GPU first.
      ++inst.pending;
      res_.pcie->transfer(r.location, Direction::kToHost, r.bytes, *this, i);
    }
  }
  if (any_from_host) {  // one copy for the whole batch (even of 0 bytes: it pays the latency)
    ++inst.pending;
    res_.pcie->transfer(gpu, Direction::kToGpu, to_gpu_bytes, *this, i);
  }
  if (reload > 0) {
    ++inst.pending;
    gpu_at(gpu).pool_reloaded(reload);
    res_.pcie->transfer(gpu, Direction::kToGpu, reload, *this, i);
  }
  if (inst.pending == 0) compute_phase(i);
}

void Stage::compute_phase(std::uint32_t i) {
  Instance& inst = instances_[i];
  inst.input_end = sim_.now();
  inst.work = 0;
  // The payload is where the stage runs now.
  const int gpu = groups_[inst.group].gpu;
  const bool to_gpu =
      on_gpu() || (params_.device == Device::kPcie && params_.direction == Direction::kToGpu);
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    if (to_gpu && r.location == kHost) {
      gpu_at(gpu).admit(r);
    } else if (!to_gpu && r.location != kHost) {
      gpu_at(r.location).evict(r);
    }
  }
  if (params_.cpu_service) {
    inst.step = Step::kCpu;
    res_.cpu.submit_from(work(inst, *params_.cpu_service, scenario_.node.cpu.speed), *this, i,
                         inst.core);
    return;
  }
  device_phase(i);
}

void Stage::device_phase(std::uint32_t i) {
  Instance& inst = instances_[i];
  inst.step = Step::kDevice;
  const int gpu = groups_[inst.group].gpu;
  switch (params_.device) {
    case Device::kCpu:
      res_.cpu.submit_from(work(inst, params_.service, scenario_.node.cpu.speed), *this, i,
                           inst.core);
      return;
    case Device::kGpu: {
      const Time w = work(inst, params_.service, scenario_.node.gpus.speed);
      if (params_.busy_w > 0)  // energy by kernel: its time alone x its power beyond busy_power
        inst.kernel_j = (params_.busy_w - scenario_.node.gpus.power.busy_w) *
                        static_cast<double>(w) / scenario_.node.gpus.speed * 1e-9;
      if (KernelEngine* k = gpu_at(gpu).kernels()) {
        const double share =
            std::min(1.0, static_cast<double>(inst.batch.size()) * params_.sm_share);
        k->submit_kernel(w, share, params_.process_index, *this, i);
      } else {
        gpu_at(gpu).compute().submit(w, *this, i);
      }
      return;
    }
    case Device::kNvjpg:
      gpu_at(gpu).nvjpg()->submit(work(inst, params_.service, scenario_.node.gpus.speed), *this, i);
      return;
    case Device::kPcie:  // the transfer was the work
      output_phase(i);
      return;
    case Device::kNetwork:  // the payload crosses node.network; its time on an idle link is work
      inst.work += res_.pcie->network_ideal_ns(inst.args.bytes);
      res_.pcie->network_transfer(inst.args.bytes, *this, i);
      return;
  }
}

void Stage::output_phase(std::uint32_t i) {
  Instance& inst = instances_[i];
  inst.compute_end = sim_.now();
  inst.step = Step::kOutput;
  if (pool_end_) release_pool(i);
  double bytes = 0;
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    apply_output(params_.output, r);
    bytes += r.bytes;
  }
  if (pools_) {
    pool_phase(i);
    return;
  }
  if (copy_out_) {
    ++inst.pending;
    res_.pcie->transfer(groups_[inst.group].gpu, Direction::kToHost, bytes, *this, i);
    return;
  }
  finish(i);
}

void Stage::release_pool(std::uint32_t i) {
  // Its kernels are done with their inputs: what they held in the pool is freed (one release
  // for the batch, whose requests are all on this group's GPU), which may grant a waiting
  // producer from inside.
  Instance& inst = instances_[i];
  double bytes = 0;
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    bytes += r.pool_bytes;
    r.pool_bytes = 0;
    r.pinned = false;
  }
  if (bytes > 0) gpu_at(groups_[inst.group].gpu).pool_release(bytes);
}

void Stage::pool_phase(std::uint32_t i) {
  Instance& inst = instances_[i];
  Gpu& gpu = gpu_at(groups_[inst.group].gpu);
  const bool spill = scenario_.node.gpus.memory_policy == MemoryPolicy::kSpill;
  double need = 0, to_host = 0;
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    if (r.pool_bytes > 0) continue;  // it holds room for its largest tensor already
    if (r.pinned) {                  // its tensors live in pinned host memory: written back
      to_host += r.bytes;
      continue;
    }
    const double peak = pool_peak(r);
    if (!spill) {  // block: the batch's outputs wait for room together
      r.pool_bytes = peak;
      need += peak;
    } else if (gpu.pool_take(peak)) {
      r.pool_bytes = peak;
    } else {  // Triton's fallback: the new tensor goes to pinned host memory, the held ones stay
      r.pinned = true;
      to_host += r.bytes;
    }
  }
  if (to_host > 0) {
    gpu.pool_spilled(to_host);
    ++inst.pending;
    res_.pcie->transfer(gpu.index(), Direction::kToHost, to_host, *this, i);
  }
  if (need > 0 && !gpu.pool_reserve(need, *this, i)) {
    inst.step = Step::kPool;  // work_done(i) when granted
    return;
  }
  if (inst.pending == 0) finish(i);
}

void Stage::finish(std::uint32_t i) {
  Instance& inst = instances_[i];
  const Time now = sim_.now();
  const std::uint32_t g = inst.group;
  // What the compute phase took beyond its work on idle devices was spent waiting for them.
  const Time span = inst.compute_end - inst.input_end;
  const Time compute = std::min(span, static_cast<Time>(std::ceil(inst.work - 1e-6)));
  const Time wait = span - compute;
  const StageSpan batch_span{0, inst.input_end - inst.start, wait, compute, now - inst.compute_end};
  Observer* const observer = context_.observer();
  if (observer && !held_after_batch_)
    observer->batch_done(place_.station, inst.batch.size(), batch_span);
  if (Tracer* t = context_.tracer(); t && t->wants(now)) trace(i, wait);
  for (const RequestId id : inst.batch) {
    Request& r = requests_[id];
    if (copy_out_ && r.location != kHost) gpu_at(r.location).evict(r);  // its result came back
    if (observer)
      observer->stage_done(place_.station,
                           StageSpan{inst.start - r.stage_enter, inst.input_end - inst.start, wait,
                                     compute, now - inst.compute_end});
  }
  groups_[g].load -= static_cast<int>(inst.batch.size());
  in_stage_.add(now, -static_cast<double>(inst.batch.size()));
  if (held_after_batch_) {
    // The worker runs its batch's children (fused), or waits for its broker's replies, before
    // it takes more work: it stays busy until its context calls release(i).
    inst.step = Step::kHeld;
    inst.held_span = batch_span;
    inst.compute_end = now;  // from here: held for the children
    leaving_.swap(inst.batch);
    inst.batch.assign(leaving_.begin(), leaving_.end());  // kept for the batch size
    // The trace names the batch when the worker is released, by when its requests may have left
    // and their records been reused: their trace ids are kept now (a trace may start meanwhile).
    held_trace_ids_.resize(instances_.size());
    const auto ids = trace_ids(i);
    held_trace_ids_[i].assign(ids.begin(), ids.end());
    context_.hold(leaving_, i);
    leaving_.clear();
    return;
  }
  busy_.set(now, --busy_count_);
  inst.step = Step::kIdle;
  inst.idle_since = now;
  leaving_.swap(inst.batch);
  groups_[g].idle.push_back(i);
  dispatch(g);
  context_.pass_on(leaving_);
  leaving_.clear();
}

void Stage::release(std::uint32_t i) {
  Instance& inst = instances_[i];
  assert(inst.step == Step::kHeld);
  const Time now = sim_.now();
  const std::uint32_t g = inst.group;
  StageSpan span = inst.held_span;
  // Fused: the children's stages ran inside this worker (compute); a producer waited for its
  // broker's replies (output: its results were still on their way out).
  const bool fused = params_.fanout->broker.kind == BrokerKind::kFused;
  (fused ? span.compute : span.output) += now - inst.compute_end;
  if (Observer* o = context_.observer()) o->batch_done(place_.station, inst.batch.size(), span);
  if (Tracer* t = context_.tracer(); t && t->wants(now) && now > inst.compute_end)
    t->span(place_.node, lane(i), fused ? "children" : "replies", inst.compute_end, now,
            inst.batch.size(), held_trace_ids_[i]);
  busy_.set(now, --busy_count_);
  inst.step = Step::kIdle;
  inst.idle_since = now;
  inst.batch.clear();
  groups_[g].idle.push_back(i);
  dispatch(g);
}

std::string Stage::lane(std::uint32_t i) const {
  // One lane per instance: its batch's phases as consecutive slices.
  const int gpu = groups_[instances_[i].group].gpu;
  return params_.name + (gpu >= 0 ? " gpu" + std::to_string(gpu) : "") + " #" + std::to_string(i);
}

void Stage::trace_lanes(Tracer& t) const {
  for (std::uint32_t i = 0; i < instances_.size(); ++i) t.lane(place_.node, lane(i));
}

std::span<const std::uint64_t> Stage::trace_ids(std::uint32_t i) {
  trace_ids_.clear();
  for (const RequestId id : instances_[i].batch) trace_ids_.push_back(requests_[id].trace_id);
  return trace_ids_;
}

void Stage::trace_queue() {
  std::size_t queued = 0;
  for (const Group& grp : groups_) queued += grp.batcher ? grp.batcher->queued() : grp.fifo.size();
  if (queued == traced_queue_) return;
  traced_queue_ = queued;
  context_.tracer()->counter(place_.node, params_.name + " queue", sim_.now(),
                             static_cast<double>(queued));
}

void Stage::trace_batch(std::size_t size) {
  if (size == traced_batch_) return;
  traced_batch_ = size;
  context_.tracer()->counter(place_.node, params_.name + " batch", sim_.now(),
                             static_cast<double>(size));
}

void Stage::trace(std::uint32_t i, Time wait) {
  const Instance& inst = instances_[i];
  const std::string lane = this->lane(i);
  Tracer& t = *context_.tracer();
  const std::size_t n = inst.batch.size();
  const auto ids = trace_ids(i);
  const Time now = sim_.now();
  const Time computed = inst.input_end + wait;
  if (inst.input_end > inst.start)
    t.span(place_.node, lane, "input", inst.start, inst.input_end, n, ids);
  if (wait > 0) t.span(place_.node, lane, "device wait", inst.input_end, computed, n, ids);
  t.span(place_.node, lane, params_.name.c_str(), computed, inst.compute_end, n, ids);
  if (now > inst.compute_end) t.span(place_.node, lane, "output", inst.compute_end, now, n, ids);
}

void Stage::work_done(std::uint64_t token) {
  const auto i = static_cast<std::uint32_t>(token);
  Instance& inst = instances_[i];
  switch (inst.step) {
    case Step::kMemory:  // memory granted; spill copies may still be in flight
      input_phase(i);
      return;
    case Step::kInput:
      if (--inst.pending == 0) compute_phase(i);
      return;
    case Step::kCpu:
      device_phase(i);
      return;
    case Step::kDevice:
      if (params_.busy_w > 0) gpu_at(groups_[inst.group].gpu).add_kernel_energy(inst.kernel_j);
      output_phase(i);
      return;
    case Step::kOutput:
      if (--inst.pending == 0) finish(i);
      return;
    case Step::kPool:  // room granted
      finish(i);
      return;
    case Step::kIdle:
    case Step::kWaking:
    case Step::kHeld:
      break;
  }
  assert(false && "work_done for an idle instance");
}

}  // namespace servesim
