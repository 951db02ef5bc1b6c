#pragma once
/// A real serving pipeline in this process, the system `servesim validate` predicts: clients send
/// JPEGs to preprocessing worker threads (decode with libjpeg-turbo, resize with OpenCV,
/// normalise), which hand them to a dynamic batcher in front of one inference worker thread
/// (calib's Eigen kernel); timestamps from steady_clock, measured as servesim measures a run.

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "calib/corpus.h"
#include "calib/kernels.h"

namespace servesim::validate {

/// The inference stage's batching rule. The real pipeline calls it exactly as sim/model's batched
/// stage calls its DynamicBatcher (on an arrival, when the worker frees, at the time it returns),
/// so that `servesim validate` can hand it the simulator's own batcher: one rule, two users.
/// Called with the queue's mutex held; times are ns since the run started.
class BatchPolicy {
 public:
  virtual ~BatchPolicy() = default;
  /// Queues request `id`; false when the queue refuses it.
  virtual bool enqueue(std::uint32_t id, std::int64_t now_ns) = 0;
  /// Fills `batch` with what a free worker takes now (empty: hold); returns when to call again if
  /// nothing else happens first (INT64_MAX: never).
  virtual std::int64_t poll(std::int64_t now_ns, std::vector<std::uint32_t>& batch) = 0;
};

/// How a request reaches the preprocessing queue. kDirect: the client puts it there itself, at
/// no cost. kHttp: each client thread POSTs the JPEG over its own keep-alive loopback connection
/// (calib's HttpClient, the binary body of `calib bench net`) to an in-process calib::HttpServer,
/// whose handler queues the bytes it received and answers when the request's batch has finished;
/// the client's latency runs from before the send to after the answer (perf_analyzer's).
enum class Ingest { kDirect, kHttp };
/// "direct", "http".
std::string_view ingest_name(Ingest i);

/// The inference kernel, by the name calib gives its samples: calib's own Eigen kernels
/// "conv3x3_cpu" and "vit_tiny_block_cpu", or a whole network of `calib bench infer`,
/// "<model>_<framework>" (calib::infer_kernel_names(), e.g. "resnet50_opencv_dnn"), on one thread.
inline constexpr const char* kConv3x3Kernel = "conv3x3_cpu";
inline constexpr const char* kVitTinyKernel = "vit_tiny_block_cpu";

struct PipelineConfig {
  bool open = false;           // open loop (Poisson arrivals at `rate`) or closed (`concurrency`)
  int concurrency = 1;         // closed: clients, each sending its next request on a response
  double rate = 0;             // open: requests per second
  int preprocess_workers = 1;  // threads that decode, resize and normalise, one request each
  calib::ImageSize model_input{224, 224};
  calib::Interp interp = calib::Interp::kLinear;
  bool normalize = true;
  std::string kernel = kConv3x3Kernel;
  int max_batch_size = 1;  // the largest batch the policy forms (warmed up before the run)
  double warmup_s = 1;     // statistics before this are discarded
  double window_s = 5;     // measured time after the warm-up
  std::uint64_t seed = 1;  // which image each request carries; the open loop's arrival times
  Ingest ingest = Ingest::kDirect;  // kHttp: closed loop only
  /// kHttp: the server's threads. Its handler is synchronous (it holds its thread until the
  /// answer), so with fewer threads than clients requests would wait for a thread, not for their
  /// stage; 0: one per client.
  int server_threads = 0;
  /// For tests: called by a preprocessing worker with the JPEG bytes it is about to decode.
  std::function<void(std::span<const unsigned char>)> inspect_jpeg;
};

/// A stage as servesim reports it: requests that left it inside the window, their mean wait for
/// a worker (and for their batch to form) and mean time in service (a batch's whole span).
struct StageTimes {
  std::uint64_t count = 0;
  double queue_mean_s = 0;
  double service_mean_s = 0;
  // The stage's threads over the window, from Linux's /proc/self/task/TID/schedstat read at its
  // two edges: CPU time they ran, and time they were runnable but waiting for a CPU (the
  // scheduler's queue), each divided by the time between the two reads, so in cores (0 where
  // schedstat is unavailable).
  double cpu_cores = 0;
  double runnable_wait_cores = 0;
};

/// One call of a stage's kernel that ended inside the window: what it was given (preprocessing:
/// the image's pixels and JPEG bytes; inference: the batch size) and how long it took, in wall
/// time and in its thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that the calls' spread can be
/// put beside the calibrated curve's noise.
struct KernelCall {
  double pixels = 0, bytes = 0;  // preprocessing; 0 for inference
  int batch = 1;                 // inference; 1 for preprocessing
  double wall_ns = 0, cpu_ns = 0;
  double end_s = 0;  // when it ended, since the window opened
};

struct PipelineResult {
  double window_s = 0;
  std::uint64_t arrivals = 0;   // inside the window
  std::uint64_t completed = 0;  // inside the window
  double throughput_rps = 0;    // completed / window_s
  double latency_mean_s = 0;    // from the (scheduled) arrival to the end of its batch
  double p50_s = 0, p90_s = 0, p99_s = 0;
  StageTimes preprocess, infer;
  /// kHttp: the client threads (count: requests answered in the window) and the server's threads
  /// (count: requests they queued in the window); schedstat's cores only, no queue or service.
  StageTimes client, frontend;
  double batch_mean = 0;  // requests per batch over the batches that ended in the window
  std::uint64_t batches = 0;
  std::vector<std::uint64_t> batch_sizes;  // [b]: batches of b requests that ended in the window
  std::uint64_t in_system_end = 0;    // requests inside when the window closed (open loop growth)
  std::uint64_t server_answered = 0;  // kHttp: requests the server answered 200 in the whole run
  std::vector<double> latencies_s;    // every completion in the window, in completion order
  std::vector<KernelCall> preprocess_calls, infer_calls;  // in the order they ended
};

/// Nearest-rank quantile (the value of rank ceil(q n)), as servesim's histogram defines it;
/// `sorted` ascending; 0 when empty.
double nearest_rank(std::span<const double> sorted, double q);

/// Runs the pipeline for warmup_s + window_s of wall time on `images` (each request carries one,
/// drawn uniformly) with `policy` batching the inference stage. Blocks; throws
/// std::invalid_argument on a bad config, std::runtime_error when an HTTP request fails.
PipelineResult run_pipeline(const PipelineConfig& config, std::span<const calib::JpegImage> images,
                            BatchPolicy& policy);

}  // namespace servesim::validate
