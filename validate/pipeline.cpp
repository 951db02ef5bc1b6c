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
#include <utility>

#include <sys/syscall.h>
#include <unistd.h>

#include "calib/http_loopback.h"
#include "calib/infer_bench.h"
#include "calib/inference.h"
#include "calib/timing.h"
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

std::string_view ingest_name(Ingest i) { return i == Ingest::kDirect ? "direct" : "http"; }

double nearest_rank(std::span<const double> sorted, double q) {
  if (sorted.empty()) return 0;
  const auto n = static_cast<double>(sorted.size());
  const auto rank = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n)));
  return sorted[std::min(rank, sorted.size()) - 1];
}

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

/// kHttp: an HTTP server thread waiting in its handler for its request's batch to finish.
struct Completion {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

struct Request {
  std::uint32_t image = 0;
  int client = -1;  // direct closed loop: who sends the next request on completion
  std::int64_t arrival = 0, pre_start = 0, pre_end = 0;
  // kHttp: the JPEG as the server received it, and its handler, which keeps both alive until
  // `done` is set; empty and null for a direct request, which carries images_[image].
  std::span<const unsigned char> jpeg;
  Completion* done = nullptr;
};

/// Requests by id. Requests are created by one thread at a time (direct: the main thread, then
/// the inference worker or the arrival thread) or by the HTTP server's threads at once, so adding
/// takes a lock; an id reaches other threads through a queue's mutex, so reading needs none:
/// chunks never move, and the slot array is sized once.
class RequestTable {
 public:
  RequestTable() : chunks_(kMaxChunks) {}
  std::uint32_t add(const Request& r) {
    const std::lock_guard lk(mu_);
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
  std::mutex mu_;
  std::uint32_t size_ = 0;
};

/// The threads whose schedstat the pipeline reads, by the stage they serve.
enum class Role { kPreprocess, kInfer, kClient, kServer };

/// What one HTTP client thread saw; written by it alone, read after it has joined.
struct ClientLog {
  std::uint64_t sent_in_window = 0, sent_before_end = 0, answered_before_end = 0;
  std::vector<std::pair<std::int64_t, double>> done;  // (answer time ns, latency s) in the window
  std::string error;
};

class Run {
 public:
  Run(const PipelineConfig& c, std::span<const JpegImage> images, BatchPolicy& policy)
      : c_(c),
        images_(images),
        policy_(policy),
        w0_(static_cast<std::int64_t>(std::llround(c.warmup_s * 1e9))),
        w1_(w0_ + static_cast<std::int64_t>(std::llround(c.window_s * 1e9))),
        http_(c.ingest == Ingest::kHttp),
        pick_(Rng::stream(c.seed, 0, "pipeline", "image")),
        arrivals_rng_(Rng::stream(c.seed, 0, "pipeline", "arrival")) {}

  PipelineResult go() {
    opencv_single_thread();
    warm_up_kernel();
    std::unique_ptr<calib::HttpServer> server;
    if (http_) server = start_server();

    t0_ = Clock::now();
    if (!c_.open && !http_)
      for (int i = 0; i < c_.concurrency; ++i) submit(0, i);
    std::vector<std::thread> threads, clients;
    threads.reserve(static_cast<std::size_t>(c_.preprocess_workers) + 2);
    for (int i = 0; i < c_.preprocess_workers; ++i) threads.emplace_back([this] { preprocess(); });
    threads.emplace_back([this] { inference(); });
    if (c_.open) threads.emplace_back([this] { open_arrivals(); });
    if (http_) {
      logs_.resize(static_cast<std::size_t>(c_.concurrency));
      for (int k = 0; k < c_.concurrency; ++k)
        clients.emplace_back([this, k, port = server->port()] { client(k, port); });
    }
    std::this_thread::sleep_until(t0_ + std::chrono::nanoseconds(w0_));
    const std::int64_t sampled_w0 = now();  // sleep_until may wake late: the real edges
    const std::vector<Sched> at_w0 = sched_now();
    std::this_thread::sleep_until(t0_ + std::chrono::nanoseconds(w1_));
    const std::int64_t sampled_w1 = now();
    const std::vector<Sched> at_w1 = sched_now();
    // HTTP clients finish the request they are in (the pipeline still serves it) and leave, so
    // that no server thread is left waiting for an answer when the pipeline stops.
    stop_clients_.store(true);
    for (auto& t : clients) t.join();
    stop();
    for (auto& t : threads) t.join();
    PipelineResult r;
    if (server) {
      r.server_answered = server->answered();
      server.reset();
    }
    for (const ClientLog& l : logs_)
      if (!l.error.empty()) throw std::runtime_error("real pipeline: HTTP client: " + l.error);
    const double sampled_s =
        static_cast<double>(std::max<std::int64_t>(1, sampled_w1 - sampled_w0)) * 1e-9;
    cpu_use(at_w0, at_w1, sampled_s, r);
    summarize(r);
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
    Role role = Role::kPreprocess;
    std::int64_t run_ns = 0, wait_ns = 0;
  };
  void register_thread(Role role) {
    const auto tid = static_cast<long>(::syscall(SYS_gettid));
    std::lock_guard lk(tids_mu_);
    tids_.emplace_back(tid, role);
  }
  std::vector<Sched> sched_now() {
    std::vector<std::pair<long, Role>> tids;
    {
      std::lock_guard lk(tids_mu_);
      tids = tids_;
    }
    std::vector<Sched> out;
    for (const auto& [tid, role] : tids) {
      Sched s{tid, role};
      std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/schedstat");
      if (!(f >> s.run_ns >> s.wait_ns)) s = {tid, role, 0, 0};
      out.push_back(s);
    }
    return out;
  }

  /// Each stage's threads' CPU and runnable wait between the two reads, in cores.
  static void cpu_use(const std::vector<Sched>& at_w0, const std::vector<Sched>& at_w1,
                      double sampled_s, PipelineResult& r) {
    for (const Sched& end : at_w1) {  // a thread that started after w0 counts from 0
      Sched begin;
      for (const Sched& b : at_w0)
        if (b.tid == end.tid) begin = b;
      StageTimes& st = end.role == Role::kInfer        ? r.infer
                       : end.role == Role::kPreprocess ? r.preprocess
                       : end.role == Role::kClient     ? r.client
                                                       : r.frontend;
      st.cpu_cores += static_cast<double>(end.run_ns - begin.run_ns) * 1e-9 / sampled_s;
      st.runnable_wait_cores += static_cast<double>(end.wait_ns - begin.wait_ns) * 1e-9 / sampled_s;
    }
  }

  /// The counts, stage times, batches and latencies of the window, into r.
  void summarize(PipelineResult& r) {
    r.window_s = static_cast<double>(w1_ - w0_) * 1e-9;
    if (http_) {  // the clients saw the arrivals and the answers
      std::vector<std::pair<std::int64_t, double>> done;
      for (const ClientLog& l : logs_) {
        r.arrivals += l.sent_in_window;
        r.in_system_end += l.sent_before_end - l.answered_before_end;
        done.insert(done.end(), l.done.begin(), l.done.end());
      }
      std::sort(done.begin(), done.end());
      for (const auto& d : done) res_.latencies_s.push_back(d.second);
      r.client.count = done.size();
      r.frontend.count = frontend_n_.load();
    } else {
      r.arrivals = arrivals_;
      r.in_system_end = created_before_end_ - completed_before_end_;
    }
    r.completed = res_.latencies_s.size();
    r.throughput_rps = static_cast<double>(r.completed) / r.window_s;
    r.preprocess = with_cpu(finish(pre_), r.preprocess);
    r.infer = with_cpu(finish(inf_), r.infer);
    r.batches = batches_;
    r.batch_sizes = batch_sizes_;
    r.batch_mean = batches_ ? static_cast<double>(batch_items_) / static_cast<double>(batches_) : 0;
    r.latencies_s = std::move(res_.latencies_s);
    r.preprocess_calls = std::move(res_.preprocess_calls);
    r.infer_calls = std::move(res_.infer_calls);
    double sum = 0;
    for (const double l : r.latencies_s) sum += l;
    r.latency_mean_s = r.completed ? sum / static_cast<double>(r.completed) : 0;
    std::vector<double> sorted = r.latencies_s;
    std::sort(sorted.begin(), sorted.end());
    r.p50_s = nearest_rank(sorted, 0.50);
    r.p90_s = nearest_rank(sorted, 0.90);
    r.p99_s = nearest_rank(sorted, 0.99);
  }
  static StageTimes with_cpu(StageTimes t, const StageTimes& cpu) {
    t.cpu_cores = cpu.cpu_cores;
    t.runnable_wait_cores = cpu.runnable_wait_cores;
    return t;
  }

  bool in_window(std::int64_t t) const { return t >= w0_ && t < w1_; }
  double window_time(std::int64_t t) const { return static_cast<double>(t - w0_) * 1e-9; }

  std::int64_t now() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0_).count();
  }

  /// The inference kernel, warmed up at the largest batch so that no timed call allocates.
  void warm_up_kernel() {
    if (c_.kernel == kConv3x3Kernel) {
      conv_ = std::make_unique<ConvLayer>();
      conv_->run(c_.max_batch_size);
      infer_ = [p = conv_.get()](int b) { p->run(b); };
    } else if (c_.kernel == kVitTinyKernel) {
      vit_ = std::make_unique<EncoderBlock>();
      vit_->run(c_.max_batch_size);
      infer_ = [p = vit_.get()](int b) { p->run(b); };
    } else {  // a whole network in a framework, one thread, as calib bench infer timed it
      net_ = calib::make_infer_net(c_.kernel, 1);
      net_->run(c_.max_batch_size);
      infer_ = [p = net_.get()](int b) { p->run(b); };
    }
  }

  /// An image drawn uniformly from the corpus.
  std::uint32_t draw(Rng& rng) const {
    return static_cast<std::uint32_t>(
        std::min<double>(std::floor(rng.uniform01() * static_cast<double>(images_.size())),
                         static_cast<double>(images_.size() - 1)));
  }

  /// Puts a new request on the preprocessing queue.
  void enqueue(const Request& r) {
    const std::uint32_t id = requests_.add(r);
    {
      std::lock_guard lk(pre_mu_);
      pre_q_.push_back(id);
    }
    pre_cv_.notify_one();
  }

  /// A new direct request arriving at `arrival` (ns since the start); only one thread at a time.
  void submit(std::int64_t arrival, int client) {
    Request r;
    r.image = draw(pick_);
    r.client = client;
    r.arrival = arrival;
    if (in_window(arrival)) ++arrivals_;
    if (arrival < w1_) ++created_before_end_;
    enqueue(r);
  }

  /// kHttp: the server, with a thread per client unless told otherwise.
  std::unique_ptr<calib::HttpServer> start_server() {
    calib::HttpServerOptions o;
    o.threads = c_.server_threads > 0 ? c_.server_threads : c_.concurrency;
    o.handler = [this](const calib::InferRequest& q) { return serve(q); };
    o.on_thread_start = [this] { register_thread(Role::kServer); };
    return std::make_unique<calib::HttpServer>(std::move(o));
  }

  /// kHttp, on a server thread: queue the JPEG the client sent (it stays in `q`, alive until this
  /// returns) and answer once its batch has finished.
  std::string serve(const calib::InferRequest& q) {
    Completion done;
    Request r;
    const std::string_view data = q.data();
    r.jpeg = {reinterpret_cast<const unsigned char*>(data.data()), data.size()};
    r.done = &done;
    r.arrival = now();
    if (in_window(r.arrival)) ++frontend_n_;
    enqueue(r);
    std::unique_lock lk(done.mu);
    // The clients stop before the pipeline does, so `done` comes first; the stop is only for a
    // client that gave up (its timeout), checked once a second.
    while (
        !done.cv.wait_for(lk, std::chrono::seconds(1), [&] { return done.done || stop_.load(); })) {
    }
    if (!done.done) throw std::runtime_error("the pipeline stopped before the request finished");
    return calib::classification_response(q.model);
  }

  /// kHttp: closed-loop client k, sending its next request when the answer to the last arrives.
  void client(int k, int port) {
    register_thread(Role::kClient);
    ClientLog& log = logs_[static_cast<std::size_t>(k)];
    try {
      Rng pick = Rng::stream(c_.seed, static_cast<std::uint64_t>(k), "pipeline client", "image");
      calib::HttpClient http(port);
      while (!stop_clients_.load()) {
        const std::vector<unsigned char>& jpeg = images_[draw(pick)].data;
        const std::int64_t sent = now();
        const calib::HttpClient::Response answer =
            http.infer("validate", {reinterpret_cast<const char*>(jpeg.data()), jpeg.size()});
        const std::int64_t answered = now();
        if (answer.status != 200)
          throw std::runtime_error("the server answered " + std::to_string(answer.status) + ": " +
                                   answer.body);
        if (in_window(sent)) ++log.sent_in_window;
        if (sent < w1_) ++log.sent_before_end;
        if (answered < w1_) ++log.answered_before_end;
        if (in_window(answered))
          log.done.emplace_back(answered, static_cast<double>(answered - sent) * 1e-9);
      }
    } catch (const std::exception& e) {
      log.error = e.what();
      stop_clients_.store(true);
    }
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
    register_thread(Role::kPreprocess);
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
      const double cpu_start = calib::thread_cpu_ns();
      const bool received = r.done != nullptr;
      if (c_.inspect_jpeg)
        c_.inspect_jpeg(received ? r.jpeg : std::span<const unsigned char>(images_[r.image].data));
      // A received JPEG is decoded from its bytes alone, its size read from its header.
      const ImageSize from =
          received ? dec.decode(r.jpeg, rgb) : dec.decode(images_[r.image], 1, 1, rgb);
      resize_rgb(rgb, from, resized, to, c_.interp);
      if (c_.normalize) normalize_chw(resized, to, chw);
      const double cpu_ns = calib::thread_cpu_ns() - cpu_start;
      r.pre_end = now();
      {
        std::lock_guard lk(batch_mu_);
        if (in_window(r.pre_end)) {
          ++pre_.n;
          pre_.queue_ns += static_cast<double>(r.pre_start - r.arrival);
          pre_.service_ns += static_cast<double>(r.pre_end - r.pre_start);
          const std::size_t bytes = received ? r.jpeg.size() : images_[r.image].data.size();
          res_.preprocess_calls.push_back(
              {static_cast<double>(from.width) * from.height, static_cast<double>(bytes), 1,
               static_cast<double>(r.pre_end - r.pre_start), cpu_ns, window_time(r.pre_end)});
        }
        if (!policy_.enqueue(id, r.pre_end))
          throw std::logic_error("real pipeline: the batch policy refused a request");
      }
      batch_cv_.notify_one();
    }
  }

  void inference() {
    register_thread(Role::kInfer);
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
      const double cpu_start = calib::thread_cpu_ns();
      infer_(static_cast<int>(batch.size()));
      const double cpu_ns = calib::thread_cpu_ns() - cpu_start;
      const std::int64_t end = now();
      if (in_window(end)) {
        ++batches_;
        res_.infer_calls.push_back({0, 0, static_cast<int>(batch.size()),
                                    static_cast<double>(end - t), cpu_ns, window_time(end)});
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
          if (!r.done) res_.latencies_s.push_back(static_cast<double>(end - r.arrival) * 1e-9);
        }
        if (r.done) {  // the server thread answers; notified under the lock, as `done` dies then
          const std::lock_guard g(r.done->mu);
          r.done->done = true;
          r.done->cv.notify_one();
        } else if (!c_.open && !stop_.load()) {
          submit(end, r.client);
        }
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
  const bool http_;
  Rng pick_, arrivals_rng_;
  std::unique_ptr<ConvLayer> conv_;
  std::unique_ptr<EncoderBlock> vit_;
  std::unique_ptr<calib::InferNet> net_;
  std::function<void(int)> infer_;
  Clock::time_point t0_;
  std::atomic<bool> stop_{false}, stop_clients_{false};
  RequestTable requests_;
  std::mutex tids_mu_;
  std::vector<std::pair<long, Role>> tids_;  // the threads schedstat is read for

  std::mutex pre_mu_;
  std::condition_variable pre_cv_;
  std::deque<std::uint32_t> pre_q_;

  std::mutex batch_mu_;  // the batch policy, and pre_
  std::condition_variable batch_cv_;

  std::mutex arrival_mu_;
  std::condition_variable arrival_cv_;

  // Written by one thread each: direct arrivals by the creating thread, the rest by the inference
  // one (pre_ under batch_mu_); read after every thread has joined.
  std::uint64_t arrivals_ = 0, created_before_end_ = 0;
  std::atomic<std::uint64_t> completed_before_end_{0};
  std::atomic<std::uint64_t> frontend_n_{0};  // kHttp: requests the server queued in the window
  std::vector<ClientLog> logs_;               // kHttp: one per client thread
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
  if (config.ingest == Ingest::kHttp && config.open)
    throw std::invalid_argument("real pipeline: HTTP ingest needs a closed loop");
  if (config.server_threads < 0) throw std::invalid_argument("real pipeline: server_threads < 0");
  Run run(config, images, policy);
  return run.go();
}

}  // namespace servesim::validate
