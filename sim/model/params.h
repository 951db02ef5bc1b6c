#pragma once
/// Typed, validated parameters of a scenario: what config/ produces and model/ consumes.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/core/distribution.h"
#include "sim/core/time.h"
#include "sim/curves/curve.h"
#include "sim/model/batcher.h"
#include "sim/model/rate_schedule.h"

namespace servesim {

struct RunParams {
  Time duration = 0;           // simulated time per replication, including warm-up (0: unset)
  std::uint64_t requests = 0;  // or: stop after this many completions past warm-up (0: unset)
  Time warmup = 0;             // statistics before this are discarded
  int replications = 1;        // independent replications (different random streams)
  std::uint64_t max_in_system = 1'000'000;  // cap on requests held; arrivals beyond it are dropped
  Time interval = 0;                        // the time series' window after warm-up (0: no series)
};

/// The most windows a time series may have (run.interval against the measured time).
inline constexpr std::int64_t kMaxSeriesWindows = 10'000;

enum class WorkloadMode { kOpen, kClosed };
enum class ArrivalProcess { kPoisson, kConstant, kGamma };

/// One kind of image a client sends: its size and its compressed (JPEG) size.
struct ImageParams {
  std::string name;
  int width = 0, height = 0;
  double bytes = 0;   // compressed
  double weight = 1;  // relative frequency in the mix
};

/// A service time: a curve of (batch, pixels, bytes) or a distribution, in ns at speed 1.
struct ServiceParams {
  std::optional<Curve> curve;
  std::string curve_name;
  Distribution dist = Distribution::make(DistKind::kDeterministic, 0, 0);
  double mean_hint_ns() const { return curve ? curve->mean_ns(CurveArgs{}) : dist.mean(); }
};

/// workload.client: the load generator (perf_analyzer) as part of the model. Its CPU work per
/// request (build and send it, read the response: a curve of its bytes) runs on the node's CPU
/// pool when it shares the host, or on cores of its own when it is remote; then the request
/// crosses node.network. Reported as two stations before the pipeline, `client` and `network`.
struct ClientParams {
  bool remote = false;  // host: remote; false: the node's own host (perf_analyzer beside Triton)
  ServiceParams cost;
  int threads = 0;  // requests the client works on at once (closed: default the concurrency)
};

struct WorkloadParams {
  WorkloadMode mode = WorkloadMode::kOpen;
  // open (perf_analyzer --request-rate-range, MLPerf Server)
  double rate_per_s = 0.0;  // with a schedule: the rate its factors multiply
  std::optional<RateSchedule> schedule;
  ArrivalProcess arrival = ArrivalProcess::kPoisson;
  double cv = 1.0;  // of inter-arrival times, gamma only
  // closed (perf_analyzer --concurrency-range, MLPerf SingleStream at 1)
  int concurrency = 0;
  std::optional<Distribution> think_time;  // ns; none: next request sent on response
  // The image mix; empty: requests carry no payload (a plain queueing model).
  std::vector<ImageParams> images;
  std::optional<ClientParams> client;  // none: requests appear at the server
};

struct PowerParams {
  double idle_w = 0, busy_w = 0;  // 0/0: energy not reported for the device
};

/// How runnable CPU work shares the cores: `shared`, processor sharing over all of them (every
/// item at speed * cores / n when n > cores); `per_core`, Linux's run queue per core (engine.h).
enum class CpuScheduler { kShared, kPerCore };

/// node.cpu.efficiency: per-core speed when k cores are busy, relative to one busy core, at
/// measured points (busy_cores ascending from 1, factor[0] = 1); empty: 1.0 at every k.
struct EfficiencyParams {
  std::vector<int> busy_cores;
  std::vector<double> factor;
};

/// node.cpu.stalls: times when a core runs nothing at all (the hypervisor runs another guest's
/// vCPU, an interrupt storm, a long kernel thread). Each core alone: a stall starts `interval`
/// after the last one ended and lasts `duration`; what was running on the core waits it out.
/// node.cpu.slowdowns, the same process at a speed above 0: stretches when a core runs at `speed`
/// times its own speed (on a VM, a busy SMT sibling or a neighbour's memory traffic on the host).
struct StallParams {
  std::optional<Distribution> interval;  // ns from the end of one stall to the next
  std::optional<Distribution> duration;  // ns
  double speed = 0;  // the core's speed during one: stalls 0, slowdowns [0.001, 1]
};

struct CpuParams {
  int cores = 0;
  CpuScheduler scheduler = CpuScheduler::kShared;
  double speed = 1.0;  // relative to the machine the service times were measured on
  EfficiencyParams efficiency;
  PowerParams power;
  /// ns from handing work to a worker thread that sleeps until it runs (a futex wake-up: the
  /// scheduler, and on an idle core its exit from a sleep state); none: at once.
  std::optional<Distribution> wakeup;
  std::optional<StallParams> stalls;
  std::optional<StallParams> slowdowns;
};

enum class GpuCompute { kExclusive, kShared, kConcurrent };
enum class MemoryPolicy { kBlock, kSpill };

struct GpuParams {
  int count = 0;
  std::string type;
  double memory_bytes = 0;    // capacity for request tensors; 0: unlimited
  double reserved_bytes = 0;  // taken by weights and workspaces before any request
  /// Resolved, not a key: what the GPU stages' frameworks hold on each GPU before any request
  /// (their weights and activations, FrameworkParams), beside reserved_bytes.
  double framework_bytes = 0;
  /// What no request may use: the reserved memory and the frameworks'.
  double held_bytes() const { return reserved_bytes + framework_bytes; }
  MemoryPolicy memory_policy = MemoryPolicy::kBlock;
  /// Triton's CUDA memory pool (--cuda-memory-pool-byte-size), per GPU: where a tensor that a
  /// GPU stage makes for the next GPU stage waits until that stage has used it; 0: not modelled.
  double pool_bytes = 0;
  GpuCompute compute = GpuCompute::kExclusive;
  /// `compute: concurrent`: how long one process's context holds the SMs while another's
  /// kernels wait, and the SMs' idle time at each change of context (docs/model.md).
  Time time_slice = 0;
  Time context_switch = -1;  // -1: not given (0 to the engine)
  /// Resolved, not a key: the processes whose GPU stages share each GPU (StageParams::process).
  int processes = 1;
  int nvjpg_engines = 0;
  int h2d_engines = 1, d2h_engines = 1;  // DMA copy engines per direction
  double speed = 1.0;
  PowerParams power;
};

struct LinkParams {
  double bytes_per_s = 0;
  Time latency = 0;
};

/// One link of a PCIe tree (node.pcie.topology), one per direction. The names are for reports
/// and the resolved config; the structure is in the indices.
struct PcieTreeLink {
  std::string name;
  std::string parent_name;  // "" for a root port (a link from the root complex)
  int parent = -1;          // index in the topology; -1: a root port
  LinkParams link;
  /// Bifurcation: the link trains at narrow_bytes_per_s when a GPU's route crosses link
  /// `narrow_with` (a sibling slot sharing its lanes); -1: never.
  std::string narrow_with_name;
  int narrow_with = -1;
  double narrow_bytes_per_s = 0;
};

struct PcieParams {
  LinkParams host_link;  // the shared root complex / switch uplink, per direction
  LinkParams gpu_link;   // each GPU's own link, per direction
  /// The tree form instead of host_link and gpu_link, when not empty: GPU g attaches to link
  /// topology[gpu_ports[g]], and its route is the chain of links from there up to a root port.
  std::vector<PcieTreeLink> topology;
  std::vector<int> gpu_ports;
};

/// Host memory (node.memory): one link shared by both directions (a DRAM bus is not duplex),
/// crossed by every DMA; bytes_per_s 0: not modelled. capacity_bytes: what the cpu stages'
/// frameworks may hold (their weights and activations); 0: not checked.
struct MemoryParams {
  double bytes_per_s = 0;
  double capacity_bytes = 0;
};

struct NodeParams {
  CpuParams cpu;
  GpuParams gpus;
  PcieParams pcie;
  /// node.network: the link between the clients and the node, per direction; its latency is a
  /// request-response round trip. Needed by workload.client.
  std::optional<LinkParams> network;
  MemoryParams memory;
};

enum class Device { kCpu, kGpu, kNvjpg, kPcie, kNetwork };

/// CPU and network stages run on the node's host, once per node; the others on every GPU.
inline bool on_host(Device d) { return d == Device::kCpu || d == Device::kNetwork; }

/// Which side of the wire a stage is on: the server's pipeline, or the client's work and the
/// network that workload.client puts in front of it (perf_analyzer's Client Send and
/// Network+Server Send/Recv).
enum class StageSide { kServer, kClient, kNetwork };

/// What a stage makes of the payload it consumed.
struct OutputParams {
  enum class Kind { kSame, kRaw, kTensor, kBytes, kPerPixel } kind = Kind::kSame;
  int width = 0, height = 0, channels = 3;
  int element_bytes = 1;  // dtype size
  std::string dtype = "uint8";
  double bytes = 0;            // kBytes
  double bytes_per_pixel = 0;  // kPerPixel: e.g. the DCT coefficients of entropy decoding
};

enum class Direction { kToGpu, kToHost };

/// How many child messages a fan-out stage emits per request (e.g. faces per frame).
struct FanoutCount {
  enum class Kind { kFixed, kPoisson, kEmpirical } kind = Kind::kFixed;
  double mean = 0;                    // fixed: the count; poisson: the mean
  std::vector<std::uint32_t> values;  // empirical: the counts
  std::vector<double> cum_weights;    // empirical: cumulative weights, normalised to end at 1
};

enum class BrokerKind { kKafka, kRedis, kFused };
/// The broker kinds' names, the one table of them: configs write `broker.kind` with these (the
/// scenario's EnumNames is built from it), and a kafka or redis broker is reported as a station
/// of that name. Literals, so that each name's data() is NUL-terminated.
inline constexpr std::pair<BrokerKind, std::string_view> kBrokerNames[] = {
    {BrokerKind::kKafka, "kafka"}, {BrokerKind::kRedis, "redis"}, {BrokerKind::kFused, "fused"}};

/// A broker operation's cost as a curve of (bytes): `a + b * bytes`, or a named curve.
struct CostParams {
  Curve curve;
  std::string curve_name;  // empty: written as {a, b}
};

/// The DNN processes' side of each brokered message (`broker.client`), all on the node's CPU
/// pool: the producer's CPU per message (build and send the command, read its reply), the
/// consumer's (read and parse the popped message), and the kernel's loopback TCP work. A cost
/// without a curve is not charged (no job, no draw).
struct BrokerClientParams {
  CostParams produce, consume, kernel;
  bool has_produce = false, has_consume = false, has_kernel = false;
  /// The producer's worker waits for its last reply (hiredis' synchronous pipeline): the fan-out
  /// stage's instance is held until then. False: it publishes and goes on.
  bool wait_replies = false;
};

/// Redis as a list queue (LPUSH by the producer, BRPOP by the consumers): one single-threaded
/// server that runs every operation in FIFO order.
struct RedisParams {
  CostParams op_cost;  // each pop on the server, and each push unless push_cost is given
  /// Each push on the server when given (`push_cost`): a push read with the others of its
  /// pipelined group costs the server less than one read alone.
  CostParams push_cost;
  bool has_push_cost = false;
  Time rtt = 0;      // one network round trip between a client and the server
  int pipeline = 1;  // pushes per round trip (the producer's pipeline depth)
  /// Where the server's work runs: a core of its own (false), or the node's CPU pool (true:
  /// `cpu: node`, a redis-server on the same host), where it shares the cores with the stages.
  bool on_node_cpu = false;
  BrokerClientParams client;
};

/// Kafka: producer batching per partition, log append (page cache or fsync), consumer fetch.
struct KafkaParams {
  double batch_size = 16384;                 // batch.size, bytes per partition batch
  Time linger = 5 * kMillisecond;            // linger.ms (Kafka >= 4.0 default; 0 before)
  double fetch_min_bytes = 1;                // fetch.min.bytes
  Time fetch_max_wait = 500 * kMillisecond;  // fetch.max.wait.ms
  int partitions = 1;                        // the topic's partitions (num.partitions default 1)
  int consumers = 1;            // consumers in the group; partition p -> p mod consumers
  int threads = 8;              // broker request-handler threads (num.io.threads)
  CostParams request_cost;      // broker CPU per produce or fetch request, of its bytes
  Time rtt = 0;                 // client <-> broker network round trip
  bool fsync = false;           // fsync every batch; false: page cache only
  double disk_bytes_per_s = 0;  // sequential write bandwidth (fsync only)
  Time fsync_latency = 0;       // per fsync (fsync only)
};

struct BrokerParams {
  BrokerKind kind = BrokerKind::kFused;
  RedisParams redis;
  KafkaParams kafka;
};

/// A stage that emits `count` children per request; they run through the stages after it (the
/// child stages), through `broker`, and the request completes when all of them have.
struct FanoutParams {
  FanoutCount count;
  int width = 0, height = 0;  // each child's payload (e.g. a face crop)
  double bytes = 0;
  BrokerParams broker;
};

/// A model as an inference framework serves it (models.<model>.frameworks.<name>; docs/model.md,
/// "Inference frameworks"): its time per batch, what it holds in memory, how long it loads.
struct FrameworkParams {
  enum class WeightsPer { kInstance, kDevice };
  std::string model, name;
  Device device = Device::kGpu;  // cpu or gpu: the stages that may use it
  std::string curve;             // the time of one batch; "": the stage gives its service
  double weights_bytes = 0;      // weights, engine and workspaces, loaded once per ...
  WeightsPer weights_per = WeightsPer::kInstance;  // ... instance, or per device (shared)
  double activation_bytes = 0;                     // per image of an instance's largest batch
  Time load_time = 0;                              // from the server's start until the model serves
  double busy_w = 0;   // gpu: the GPU's power while its kernels run; 0: not given
  std::string source;  // kept for the resolved config
};

struct StageParams {
  std::string name;
  Device device = Device::kCpu;
  int instances = 1;  // cpu: workers on the node; gpu/nvjpg: per GPU (Triton's instance_group)
  ServiceParams service;
  std::optional<ServiceParams> cpu_service;  // a GPU stage's CPU part, run before the GPU part
  std::optional<BatchingParams> batching;
  OutputParams output;
  Direction direction = Direction::kToGpu;  // device: pcie only
  double speedup = 1.0;                 // what-if: service (and cpu_service) times divided by this
  std::optional<FanoutParams> fanout;   // multi-DNN: the stages after this one run per child
  StageSide side = StageSide::kServer;  // kClient, kNetwork: made from workload.client
  /// `compute: concurrent` (gpu stages): the fraction of the SMs one item's kernels occupy
  /// alone (a batch of b: min(1, b x sm_share)), and the process that launches them ("": the
  /// serving process); process_index is resolved from it (0..GpuParams::processes-1).
  double sm_share = 1.0;
  std::string process;
  int process_index = 0;
  /// gpu stages: the GPU's power while this stage's kernels run (W); 0: node.gpus.busy_power.
  double busy_w = 0;
  /// `model` and `framework`: the model the stage runs and the framework that serves it.
  std::optional<FrameworkParams> framework;
};

/// What a stage's framework holds on each device it runs on (a GPU, or the host for a cpu
/// stage) before any request: its weights (once, or per instance) and each instance's
/// activations for its largest batch. 0 without a framework.
inline double framework_bytes(const StageParams& s) {
  if (!s.framework) return 0;
  const FrameworkParams& f = *s.framework;
  const int batch = s.batching ? s.batching->max_batch_size : 1;
  const double copies =
      f.weights_per == FrameworkParams::WeightsPer::kDevice ? 1.0 : double(s.instances);
  return copies * f.weights_bytes + double(s.instances) * batch * f.activation_bytes;
}

enum class BalancerPolicy { kRoundRobin, kRandom, kLeastOutstanding, kPowerOfTwo };

/// K identical nodes behind a load balancer that caps each node's outstanding requests.
/// cluster.autoscale: nodes added and removed by how busy the serving ones are, as Kubernetes'
/// horizontal pod autoscaler sizes a deployment (docs/model.md, "Autoscaling").
struct AutoscaleParams {
  /// What it scales on, per serving node: its busiest device's utilisation (HPA's Resource
  /// metric), or the requests inside it (HPA's Pods metric; Knative's concurrency target).
  enum class Metric { kUtilization, kConcurrency };
  int min_nodes = 1, max_nodes = 1;
  Metric metric = Metric::kUtilization;
  double target_utilization = 0;  // of each serving node's busiest device, in (0, 1]
  double target_concurrency = 0;  // requests inside each serving node, time-average, > 0
  Time window = 15 * kSecond;     // how often it decides, over the time since the last decision
  double tolerance = 0.1;         // no change while utilisation / target is within 1 +- this
  Time stabilization = 300 * kSecond;  // scale down to the most nodes wanted over this long
  Time boot_time = 0;                  // a new node: start until its server runs
  Time load_time = -1;  // then the model's load until it serves; -1: the frameworks' (scenario)
};

struct ClusterParams {
  int nodes = 1;  // with autoscale: the nodes serving at the start
  BalancerPolicy policy = BalancerPolicy::kRoundRobin;
  std::uint64_t max_outstanding_per_node = 0;  // 0: no cap (the balancer never holds requests)
  std::optional<AutoscaleParams> autoscale;
};

struct ScenarioParams {
  std::uint64_t seed = 1;
  RunParams run;
  WorkloadParams workload;
  ClusterParams cluster;
  NodeParams node;
  std::vector<StageParams> pipeline;
};

/// Calls f(name, curve) for every use of a named curve in `p` (a stage's service and CPU part,
/// the client's cost, a broker's costs), in that order; a curve used twice is met twice. `P` is
/// ScenarioParams, const or not, so that a caller may rewrite the curves in place.
/// Every cost of a broker that may name a curve (BrokerParams, const or not).
template <class B>
auto broker_costs(B& b) {
  return std::array{&b.redis.op_cost,        &b.redis.push_cost,     &b.redis.client.produce,
                    &b.redis.client.consume, &b.redis.client.kernel, &b.kafka.request_cost};
}

template <class P, class F>
void for_each_named_curve(P& p, F&& f) {
  const auto service = [&](auto& sv) {
    if (sv.curve) f(std::as_const(sv.curve_name), *sv.curve);
  };
  for (auto& s : p.pipeline) {
    service(s.service);
    if (s.cpu_service) service(*s.cpu_service);
    if (!s.fanout) continue;
    for (auto* c : broker_costs(s.fanout->broker))
      if (!c->curve_name.empty()) f(std::as_const(c->curve_name), c->curve);
  }
  if (p.workload.client) service(p.workload.client->cost);
}

inline constexpr std::size_t kNoFanout = ~std::size_t{0};

/// The pipeline index of the fan-out stage (at most one), or kNoFanout.
inline std::size_t fanout_stage(const ScenarioParams& p) {
  for (std::size_t i = 0; i < p.pipeline.size(); ++i)
    if (p.pipeline[i].fanout) return i;
  return kNoFanout;
}
/// A kafka or redis broker is reported as a stage of its own, right after the fan-out stage.
inline bool has_broker_stage(const ScenarioParams& p) {
  const std::size_t f = fanout_stage(p);
  return f != kNoFanout && p.pipeline[f].fanout->broker.kind != BrokerKind::kFused;
}
inline const char* broker_name(BrokerKind k) {
  for (const auto& [kind, name] : kBrokerNames)
    if (kind == k) return name.data();
  return "";
}

/// With a per-node cap, the balancer's queue is reported as a stage, first, before the pipeline.
inline bool has_balancer_stage(const ScenarioParams& p) {
  return p.cluster.max_outstanding_per_node > 0;
}
inline std::size_t reported_stages(const ScenarioParams& p) {
  return p.pipeline.size() + (has_balancer_stage(p) ? 1 : 0) + (has_broker_stage(p) ? 1 : 0);
}

}  // namespace servesim
