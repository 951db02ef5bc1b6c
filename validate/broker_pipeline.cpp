#include "validate/broker_pipeline.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "calib/kernels.h"
#include "calib/timing.h"
#include "sim/core/random.h"
#include "validate/pipeline.h"

namespace servesim::validate {

// calib's kernels, which the two stages' threads run.
using calib::ImageSize;
using calib::Interp;
using calib::JpegDecoder;
using calib::JpegImage;
using calib::normalize_chw;
using calib::opencv_single_thread;
using calib::resize_rgb;

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t kHeader = 8;  // request (client slot) and child index, uint32 each
constexpr std::string_view kKey = "servesim:validate:children";

std::size_t crop_bytes(const BrokerPipelineConfig& c) {
  return static_cast<std::size_t>(c.crop.width) * static_cast<std::size_t>(c.crop.height) * 3;
}

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextFree>;
struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

Connection connect(int port) {
  Connection c(redisConnect("127.0.0.1", port));
  if (!c || c->err)
    throw std::runtime_error("redis: cannot connect to 127.0.0.1:" + std::to_string(port));
  return c;
}

Reply checked(redisContext* c, void* reply) {
  Reply r(static_cast<redisReply*>(reply));
  if (!r) throw std::runtime_error(std::string("redis: connection lost: ") + c->errstr);
  if (r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis: " + std::string(r->str, r->len));
  return r;
}

void lpush(redisContext* c, const unsigned char* data, std::size_t len, bool append) {
  const char* argv[] = {"LPUSH", kKey.data(), reinterpret_cast<const char*>(data)};
  const std::size_t lens[] = {5, kKey.size(), len};
  if (append) {
    if (redisAppendCommandArgv(c, 3, argv, lens) != REDIS_OK)
      throw std::runtime_error(std::string("redis: ") + c->errstr);
  } else {
    checked(c, redisCommandArgv(c, 3, argv, lens));
  }
}

/// One in-flight request per client, so a client's slot is its request. Atomics: a slot is
/// written by the thread that creates or emits the request and read by the stage-2 thread that
/// finishes its last child, with Redis (not a C++ lock) in between.
struct Slot {
  std::atomic<std::int64_t> arrival{0}, emitted{0};
  std::atomic<std::uint32_t> image{0};
  std::atomic<int> left{0};
};

class BrokerRun {
 public:
  BrokerRun(const BrokerPipelineConfig& c, std::span<const JpegImage> images)
      : c_(c),
        images_(images),
        w0_(static_cast<std::int64_t>(std::llround(c.warmup_s * 1e9))),
        w1_(w0_ + static_cast<std::int64_t>(std::llround(c.window_s * 1e9))),
        slots_(static_cast<std::size_t>(c.clients)),
        pick_(Rng::stream(c.seed, 0, "broker_pipeline", "image")) {}

  BrokerPipelineResult go() {
    opencv_single_thread();
    if (!c_.fused) {
      const Connection admin = connect(c_.redis_port);
      checked(admin.get(), redisCommand(admin.get(), "DEL %s", kKey.data()));
    }
    t0_ = Clock::now();
    for (int i = 0; i < c_.clients; ++i) submit(0, i);
    std::vector<std::thread> s1, s2;
    for (int i = 0; i < c_.stage1_workers; ++i)
      s1.emplace_back([this] { guard([&] { stage1(); }); });
    if (!c_.fused)
      for (int i = 0; i < c_.stage2_workers; ++i)
        s2.emplace_back([this] { guard([&] { stage2(); }); });
    std::this_thread::sleep_until(t0_ + std::chrono::nanoseconds(w1_));
    stop_.store(true);
    { std::lock_guard lk(q_mu_); }
    q_cv_.notify_all();
    for (auto& t : s1) t.join();
    if (!c_.fused) {
      // An empty message per stage-2 worker ends it once the children before it are done.
      const Connection admin = connect(c_.redis_port);
      for (int i = 0; i < c_.stage2_workers; ++i)
        lpush(admin.get(), reinterpret_cast<const unsigned char*>(""), 0, false);
    }
    for (auto& t : s2) t.join();
    if (!error_.empty()) throw std::runtime_error("real broker pipeline: " + error_);

    BrokerPipelineResult r;
    r.window_s = static_cast<double>(w1_ - w0_) * 1e-9;
    r.completed = lat_.size();
    r.throughput_rps = static_cast<double>(r.completed) / r.window_s;
    double sum = 0;
    for (const double l : lat_) sum += l;
    r.latency_mean_s = lat_.empty() ? 0 : sum / static_cast<double>(lat_.size());
    std::sort(lat_.begin(), lat_.end());
    r.p50_s = nearest_rank(lat_, 0.50);
    r.p99_s = nearest_rank(lat_, 0.99);
    r.child_completed = child_lat_.size();
    std::sort(child_lat_.begin(), child_lat_.end());
    r.child_p50_s = nearest_rank(child_lat_, 0.50);
    r.child_p99_s = nearest_rank(child_lat_, 0.99);
    r.stage1_service_s = n1_ ? s1_sum_ / static_cast<double>(n1_) : 0;
    r.stage2_service_s = n2_ ? s2_sum_ / static_cast<double>(n2_) : 0;
    r.stage1_cpu_s = n1_ ? s1_cpu_ / static_cast<double>(n1_) : 0;
    r.stage2_cpu_s = n2_ ? s2_cpu_ / static_cast<double>(n2_) : 0;
    return r;
  }

 private:
  std::int64_t now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
  }
  bool in_window(std::int64_t t) const { return t >= w0_ && t < w1_; }

  template <class F>
  void guard(F f) {
    try {
      f();
    } catch (const std::exception& e) {
      std::lock_guard lk(stats_mu_);
      if (error_.empty()) error_ = e.what();
      stop_.store(true);
    }
  }

  void submit(std::int64_t arrival, int client) {
    Slot& s = slots_[static_cast<std::size_t>(client)];
    {
      std::lock_guard lk(q_mu_);
      const double u = pick_.uniform01() * static_cast<double>(images_.size());
      s.image = static_cast<std::uint32_t>(
          std::min<double>(std::floor(u), static_cast<double>(images_.size() - 1)));
      s.arrival = arrival;
      q_.push_back(client);
    }
    q_cv_.notify_one();
  }

  void complete(int client, std::int64_t end) {
    const Slot& s = slots_[static_cast<std::size_t>(client)];
    if (in_window(end)) {
      std::lock_guard lk(stats_mu_);
      lat_.push_back(static_cast<double>(end - s.arrival) * 1e-9);
    }
    if (!stop_.load()) submit(end, client);
  }

  void stage1() {
    BrokerKernels kernels(c_);
    Connection redis;
    if (!c_.fused) redis = connect(c_.redis_port);
    const std::size_t msg = kHeader + crop_bytes(c_);
    std::vector<unsigned char> out(msg * static_cast<std::size_t>(c_.fanout));
    for (;;) {
      int client = 0;
      {
        std::unique_lock lk(q_mu_);
        q_cv_.wait(lk, [&] { return stop_.load() || !q_.empty(); });
        if (stop_.load()) return;
        client = q_.front();
        q_.pop_front();
      }
      Slot& s = slots_[static_cast<std::size_t>(client)];
      const std::int64_t start = now();
      const double cpu0 = calib::thread_cpu_ns();
      kernels.stage1(images_[s.image], c_.fanout, static_cast<std::uint32_t>(client), out.data());
      if (c_.fused)
        for (int i = 0; i < c_.fanout; ++i)
          kernels.stage2(out.data() + static_cast<std::size_t>(i) * msg);
      const double cpu = calib::thread_cpu_ns() - cpu0;
      const std::int64_t end = now();
      if (in_window(end)) {
        std::lock_guard lk(stats_mu_);
        ++n1_;
        s1_sum_ += static_cast<double>(end - start) * 1e-9;
        s1_cpu_ += cpu * 1e-9;
      }
      if (c_.fused) {
        complete(client, end);
        continue;
      }
      s.emitted = end;
      s.left = c_.fanout;
      // The k pushes go in one pipelined write (servesim's redis `pipeline: k`); the worker then
      // waits for their k replies before it takes the next request.
      for (int i = 0; i < c_.fanout; ++i)
        lpush(redis.get(), out.data() + static_cast<std::size_t>(i) * msg, msg, true);
      for (int i = 0; i < c_.fanout; ++i) {
        void* reply = nullptr;
        if (redisGetReply(redis.get(), &reply) != REDIS_OK) reply = nullptr;
        checked(redis.get(), reply);
      }
    }
  }

  void stage2() {
    BrokerKernels kernels(c_);
    const Connection redis = connect(c_.redis_port);
    for (;;) {
      const Reply r = checked(redis.get(), redisCommand(redis.get(), "BRPOP %s 0", kKey.data()));
      if (r->type != REDIS_REPLY_ARRAY || r->elements != 2)
        throw std::runtime_error("redis: BRPOP answered something other than [key, value]");
      const redisReply* v = r->element[1];
      if (v->len == 0) return;  // the end of the run
      if (v->len != kHeader + crop_bytes(c_))
        throw std::runtime_error("redis: a child message of the wrong size");
      std::uint32_t client = 0;
      std::memcpy(&client, v->str, sizeof client);
      const std::int64_t start = now();
      const double cpu0 = calib::thread_cpu_ns();
      kernels.stage2(reinterpret_cast<const unsigned char*>(v->str));
      const double cpu = calib::thread_cpu_ns() - cpu0;
      const std::int64_t end = now();
      Slot& s = slots_.at(client);
      if (in_window(end)) {
        std::lock_guard lk(stats_mu_);
        ++n2_;
        s2_sum_ += static_cast<double>(end - start) * 1e-9;
        s2_cpu_ += cpu * 1e-9;
        child_lat_.push_back(static_cast<double>(end - s.emitted) * 1e-9);
      }
      if (s.left.fetch_sub(1) == 1) complete(static_cast<int>(client), end);
    }
  }

  const BrokerPipelineConfig& c_;
  std::span<const JpegImage> images_;
  const std::int64_t w0_, w1_;
  std::vector<Slot> slots_;
  Rng pick_;  // under q_mu_
  Clock::time_point t0_;
  std::atomic<bool> stop_{false};

  std::mutex q_mu_;  // stage 1's queue of requests (client slots)
  std::condition_variable q_cv_;
  std::deque<int> q_;

  std::mutex stats_mu_;
  std::vector<double> lat_, child_lat_;
  std::uint64_t n1_ = 0, n2_ = 0;
  double s1_sum_ = 0, s2_sum_ = 0;  // wall time in the kernels, s
  double s1_cpu_ = 0, s2_cpu_ = 0;  // the threads' CPU time in them, s
  std::string error_;
};

}  // namespace

double child_message_bytes(const BrokerPipelineConfig& c) {
  return static_cast<double>(kHeader + crop_bytes(c));
}

struct BrokerKernels::State {
  BrokerPipelineConfig c;
  JpegDecoder decoder;
  std::vector<unsigned char> rgb, resized;
  std::vector<float> chw;
};

BrokerKernels::BrokerKernels(const BrokerPipelineConfig& c) : s_(std::make_unique<State>()) {
  s_->c = c;
  const auto out = static_cast<std::size_t>(c.child_out.width) *
                   static_cast<std::size_t>(c.child_out.height) * 3;
  s_->resized.resize(out);
  s_->chw.resize(out);
}

BrokerKernels::~BrokerKernels() = default;

void BrokerKernels::stage1(const JpegImage& jpeg, int k, std::uint32_t request,
                           unsigned char* out) {
  const ImageSize from = s_->decoder.decode(jpeg, 1, 1, s_->rgb);
  const ImageSize crop = s_->c.crop;
  if (from.width < crop.width || from.height < crop.height)
    throw std::invalid_argument("real broker pipeline: the image is smaller than the crop");
  const auto row = static_cast<std::size_t>(crop.width) * 3;
  for (int i = 0; i < k; ++i) {
    // Crops spread over the image, as a detector's boxes would be.
    const int x0 = (i * 61) % (from.width - crop.width + 1);
    const int y0 = (i * 47) % (from.height - crop.height + 1);
    const auto child = static_cast<std::uint32_t>(i);
    std::memcpy(out, &request, 4);
    std::memcpy(out + 4, &child, 4);
    unsigned char* p = out + kHeader;
    for (int y = 0; y < crop.height; ++y, p += row)
      std::memcpy(p,
                  s_->rgb.data() +
                      (static_cast<std::size_t>(y0 + y) * static_cast<std::size_t>(from.width) +
                       static_cast<std::size_t>(x0)) *
                          3,
                  row);
    out = p;
  }
}

void BrokerKernels::stage2(const unsigned char* message) {
  const ImageSize crop = s_->c.crop;
  resize_rgb({message + kHeader, crop_bytes(s_->c)}, crop, s_->resized, s_->c.child_out,
             Interp::kLinear);
  normalize_chw(s_->resized, s_->c.child_out, s_->chw);
}

BrokerPipelineResult run_broker_pipeline(const BrokerPipelineConfig& config,
                                         std::span<const JpegImage> images) {
  if (images.empty()) throw std::invalid_argument("real broker pipeline: no images");
  if (config.clients < 1 || config.stage1_workers < 1 || config.fanout < 1 ||
      (!config.fused && (config.stage2_workers < 1 || config.redis_port <= 0)))
    throw std::invalid_argument(
        "real broker pipeline: clients, workers and fan-out must be >= 1, and a Redis port set");
  if (!(config.window_s > 0) || config.warmup_s < 0)
    throw std::invalid_argument("real broker pipeline: window must be > 0, warm-up >= 0");
  BrokerRun run(config, images);
  return run.go();
}

}  // namespace servesim::validate
