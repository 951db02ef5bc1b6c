#include "validate/pipeline.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <sys/syscall.h>
#include <unistd.h>

#include "calib/inference.h"
#include "sim/core/random.h"

namespace servesim::validate {

// calib's kernels, which the pipeline's threads run.
using calib::ConvLayer;
using calib::EncoderBlock;
using calib::ImageSize;
using calib::JpegDecoder;
using calib::JpegImage;
using calib::normalize_chw;
using calib::opencv_single_thread;

std::string_view inference_kernel_name(InferenceKernel k) {
  return k == InferenceKernel::kConv3x3 ? "conv3x3_cpu" : "vit_tiny_block_cpu";
}

double nearest_rank(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

struct Request {
  std::uint32_t image = 0;
  int client = -1;  // closed loop: who sends the next request on completion
  std::int64_t arrival = 0, pre_start = 0, pre_end = 0;
};

/// Requests by id. Only one thread creates requests at a time (the main thread before the
/// workers start, then the inference worker for a closed loop or the arrival thread for an open
/// one), and an id reaches other threads through a queue's mutex, so the table needs no lock of
/// its own: chunks never move, and the slot array is sized once.
class RequestTable {
 public:
  RequestTable() : chunks_(kMaxChunks) {}
  std::uint32_t add(const Request& r) {
    const std::uint32_t id = size_++;
    const std::size_t c = id / kChunk;
    if (c >= kMaxChunks) throw std::runtime_error("real pipeline: too many requests");
    if (!chunks_[c]) chunks_[c] = std::make_unique<std::array<Request, kChunk>>();
    (*chunks_[c])[id % kChunk] = r;
    return id;
  }
  Request& operator[](std::uint32_t id) { return (*chunks_[id / kChunk])[id % kChunk]; }

 private:
  static constexpr std::size_t kChunk = 4096;
  static constexpr std::size_t kMaxChunks = 4096;  // 16.7 million requests
  std::vector<std::unique_ptr<std::array<Request, kChunk>>> chunks_;
  std::uint32_t size_ = 0;
};

class Run {
 public:
  Run(const PipelineConfig& c, std::span<const JpegImage> images, BatchPolicy& policy)
      : c_(c),
        images_(images),
        policy_(policy),
        w0_(static_cast<std::int64_t>(std::llround(c.warmup_s * 1e9))),
        w1_(w0_ + static_cast<std::int64_t>(std::llround(c.window_s * 1e9))),
        pick_(Rng::stream(c.seed, 0, "pipeline", "image")),
        arrivals_rng_(Rng::stream(c.seed, 0, "pipeline", "arrival")) {}

  PipelineResult go() {
    opencv_single_thread();
    // The inference kernel, warmed up at the largest batch so that no timed call allocates.
    std::unique_ptr<ConvLayer> conv;
    std::unique_ptr<EncoderBlock> vit;
    if (c_.kernel == InferenceKernel::kConv3x3) {
      conv = std::make_unique<ConvLayer>();
      conv->run(c_.max_batch_size);
      infer_ = [p = conv.get()](int b) { p->run(b); };
    } else {
      vit = std::make_unique<EncoderBlock>();
      vit->run(c_.max_batch_size);
      infer_ = [p = vit.get()](int b) { p->run(b); };
    }

    t0_ = Clock::now();
    if (!c_.open)
      for (int i = 0; i < c_.concurrency; ++i) submit(0, i);
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(c_.preprocess_workers) + 2);
    for (int i = 0; i < c_.preprocess_workers; ++i) threads.emplace_back([this] { preprocess(); });
    threads.emplace_back([this] { inference(); });
    if (c_.open) threads.emplace_back([this] { open_arrivals(); });
    std::this_thread::sleep_until(t0_ + std::chrono::nanoseconds(w0_));
    const std::int64_t sampled_w0 = now();  // sleep_until may wake late: the real edges
    const std::vector<Sched> at_w0 = sched_now();
    std::this_thread::sleep_until(t0_ + std::chrono::nanoseconds(w1_));
    const std::int64_t sampled_w1 = now();
    const std::vector<Sched> at_w1 = sched_now();
    stop();
    for (auto& t : threads) t.join();

    PipelineResult r;
    r.window_s = static_cast<double>(w1_ - w0_) * 1e-9;
    r.arrivals = arrivals_;
    r.completed = res_.latencies_s.size();
    r.throughput_rps = static_cast<double>(r.completed) / r.window_s;
    r.preprocess = finish(pre_);
    r.infer = finish(inf_);
    const double sampled_s =
        static_cast<double>(std::max<std::int64_t>(1, sampled_w1 - sampled_w0)) * 1e-9;
    for (const Sched& end : at_w1) {  // a thread that started after w0 counts from 0
      Sched begin;
      for (const Sched& b : at_w0)
        if (b.tid == end.tid) begin = b;
      StageTimes& st = end.infer ? r.infer : r.preprocess;
      st.cpu_cores += static_cast<double>(end.run_ns - begin.run_ns) * 1e-9 / sampled_s;
      st.runnable_wait_cores += static_cast<double>(end.wait_ns - begin.wait_ns) * 1e-9 / sampled_s;
    }
    r.batches = batches_;
    r.batch_sizes = batch_sizes_;
    r.batch_mean = batches_ ? static_cast<double>(batch_items_) / static_cast<double>(batches_) : 0;
    r.in_system_end = created_before_end_ - completed_before_end_;
    r.latencies_s = std::move(res_.latencies_s);
    double sum = 0;
    for (const double l : r.latencies_s) sum += l;
    r.latency_mean_s = r.completed ? sum / static_cast<double>(r.completed) : 0;
    std::vector<double> sorted = r.latencies_s;
    std::sort(sorted.begin(), sorted.end());
    r.p50_s = nearest_rank(sorted, 0.50);
    r.p90_s = nearest_rank(sorted, 0.90);
    r.p99_s = nearest_rank(sorted, 0.99);
    return r;
  }

 private:
  struct Sums {
    std::uint64_t n = 0;
    double queue_ns = 0, service_ns = 0;
  };
  static StageTimes finish(const Sums& s) {
    if (s.n == 0) return {};
    const auto n = static_cast<double>(s.n);
    return {s.n, s.queue_ns / n * 1e-9, s.service_ns / n * 1e-9};
  }
  /// A worker thread's scheduler statistics (/proc/self/task/TID/schedstat: ns on a CPU, ns
  /// runnable on a run queue, timeslices).
  struct Sched {
    long tid = 0;
    bool infer = false;
    std::int64_t run_ns = 0, wait_ns = 0;
  };
  void register_thread(bool infer) {
    const auto tid = static_cast<long>(::syscall(SYS_gettid));
    std::lock_guard lk(tids_mu_);
    tids_.emplace_back(tid, infer);
  }
  std::vector<Sched> sched_now() {
    std::vector<std::pair<long, bool>> tids;
    {
      std::lock_guard lk(tids_mu_);
      tids = tids_;
    }
    std::vector<Sched> out;
    for (const auto& [tid, infer] : tids) {
      Sched s{tid, infer};
      std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/schedstat");
      if (!(f >> s.run_ns >> s.wait_ns)) s = {tid, infer, 0, 0};
      out.push_back(s);
    }
    return out;
  }

  bool in_window(std::int64_t t) const { return t >= w0_ && t < w1_; }

  std::int64_t now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
  }

  /// A new request arriving at `arrival` (ns since the start); only one thread at a time.
  void submit(std::int64_t arrival, int client) {
    Request r;
    r.image = static_cast<std::uint32_t>(
        std::min<double>(std::floor(pick_.uniform01() * static_cast<double>(images_.size())),
                         static_cast<double>(images_.size() - 1)));
    r.client = client;
    r.arrival = arrival;
    if (in_window(arrival)) ++arrivals_;
    if (arrival < w1_) ++created_before_end_;
    const std::uint32_t id = requests_.add(r);
    {
      std::lock_guard lk(pre_mu_);
      pre_q_.push_back(id);
    }
    pre_cv_.notify_one();
  }

  void stop() {
    stop_.store(true);
    { std::lock_guard lk(pre_mu_); }
    pre_cv_.notify_all();
    { std::lock_guard lk(batch_mu_); }
    batch_cv_.notify_all();
    { std::lock_guard lk(arrival_mu_); }
    arrival_cv_.notify_all();
  }

  void preprocess() {
    register_thread(false);
    JpegDecoder dec;
    std::vector<unsigned char> rgb;
    const ImageSize to = c_.model_input;
    std::vector<unsigned char> resized(static_cast<std::size_t>(to.width) *
                                       static_cast<std::size_t>(to.height) * 3);
    std::vector<float> chw(resized.size());
    for (;;) {
      std::uint32_t id = 0;
      {
        std::unique_lock lk(pre_mu_);
        pre_cv_.wait(lk, [&] { return stop_.load() || !pre_q_.empty(); });
        if (stop_.load()) return;
        id = pre_q_.front();
        pre_q_.pop_front();
      }
      Request& r = requests_[id];
      r.pre_start = now();
      const ImageSize from = dec.decode(images_[r.image], 1, 1, rgb);
      resize_rgb(rgb, from, resized, to, c_.interp);
      if (c_.normalize) normalize_chw(resized, to, chw);
      r.pre_end = now();
      {
        std::lock_guard lk(batch_mu_);
        if (in_window(r.pre_end)) {
          ++pre_.n;
          pre_.queue_ns += static_cast<double>(r.pre_start - r.arrival);
          pre_.service_ns += static_cast<double>(r.pre_end - r.pre_start);
        }
        if (!policy_.enqueue(id, r.pre_end))
          throw std::logic_error("real pipeline: the batch policy refused a request");
      }
      batch_cv_.notify_one();
    }
  }

  void inference() {
    register_thread(true);
    std::vector<std::uint32_t> batch;
    std::unique_lock lk(batch_mu_);
    while (!stop_.load()) {
      const std::int64_t t = now();
      const std::int64_t next = policy_.poll(t, batch);
      if (batch.empty()) {
        if (next == kNever)
          batch_cv_.wait(lk);
        else
          batch_cv_.wait_until(lk, t0_ + std::chrono::nanoseconds(next));
        continue;
      }
      lk.unlock();
      // The batch holds the worker from the moment the policy handed it over.
      infer_(static_cast<int>(batch.size()));
      const std::int64_t end = now();
      if (in_window(end)) {
        ++batches_;
        batch_items_ += batch.size();
        if (batch_sizes_.size() <= batch.size()) batch_sizes_.resize(batch.size() + 1);
        ++batch_sizes_[batch.size()];
      }
      for (const std::uint32_t id : batch) {
        const Request& r = requests_[id];
        if (end < w1_) ++completed_before_end_;
        if (in_window(end)) {
          ++inf_.n;
          inf_.queue_ns += static_cast<double>(t - r.pre_end);
          inf_.service_ns += static_cast<double>(end - t);
          res_.latencies_s.push_back(static_cast<double>(end - r.arrival) * 1e-9);
        }
        if (!c_.open && !stop_.load()) submit(end, r.client);
      }
      lk.lock();
    }
  }

  void open_arrivals() {
    double a_ns = 0;
    for (;;) {
      a_ns += -std::log(arrivals_rng_.uniform01()) / c_.rate * 1e9;
      const auto a = static_cast<std::int64_t>(std::llround(a_ns));
      if (a >= w1_) return;
      std::unique_lock lk(arrival_mu_);
      if (arrival_cv_.wait_until(lk, t0_ + std::chrono::nanoseconds(a),
                                 [&] { return stop_.load(); }))
        return;
      lk.unlock();
      submit(a, -1);
    }
  }

  const PipelineConfig& c_;
  std::span<const JpegImage> images_;
  BatchPolicy& policy_;
  const std::int64_t w0_, w1_;  // the measurement window, ns since t0_
  Rng pick_, arrivals_rng_;
  std::function<void(int)> infer_;
  Clock::time_point t0_;
  std::atomic<bool> stop_{false};
  RequestTable requests_;
  std::mutex tids_mu_;
  std::vector<std::pair<long, bool>> tids_;  // worker threads: (tid, is the inference thread)

  std::mutex pre_mu_;
  std::condition_variable pre_cv_;
  std::deque<std::uint32_t> pre_q_;

  std::mutex batch_mu_;  // the batch policy, and pre_
  std::condition_variable batch_cv_;

  std::mutex arrival_mu_;
  std::condition_variable arrival_cv_;

  // Written by one thread each: arrivals by the creating thread, the rest by the inference one
  // (pre_ under batch_mu_); read after every thread has joined.
  std::uint64_t arrivals_ = 0, created_before_end_ = 0;
  std::atomic<std::uint64_t> completed_before_end_{0};
  Sums pre_, inf_;
  std::uint64_t batches_ = 0, batch_items_ = 0;
  std::vector<std::uint64_t> batch_sizes_;
  PipelineResult res_;
};

}  // namespace

PipelineResult run_pipeline(const PipelineConfig& config, std::span<const JpegImage> images,
                            BatchPolicy& policy) {
  if (images.empty()) throw std::invalid_argument("real pipeline: no images");
  if (config.preprocess_workers < 1) throw std::invalid_argument("real pipeline: no workers");
  if (config.max_batch_size < 1) throw std::invalid_argument("real pipeline: max_batch_size < 1");
  if (config.open ? !(config.rate > 0) : config.concurrency < 1)
    throw std::invalid_argument("real pipeline: no load (rate <= 0 or concurrency < 1)");
  if (!(config.window_s > 0) || config.warmup_s < 0)
    throw std::invalid_argument("real pipeline: window must be > 0, warm-up >= 0");
  Run run(config, images, policy);
  return run.go();
}

}  // namespace servesim::validate
