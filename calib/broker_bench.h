#pragma once
/// Measuring a real message broker: a local redis-server, started on a loopback port, timed
/// with hiredis as a producer and consumers use it (LPUSH, RPOP), so that servesim's redis
/// broker model runs on this machine's numbers.

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "calib/machine.h"
#include "calib/samples.h"
#include "sim/config/progress.h"

namespace servesim::calib {

/// A redis-server child process on 127.0.0.1, on a free port it picks, without persistence;
/// stopped (SIGTERM, then SIGKILL) when destroyed, and by the kernel if this process dies first.
class RedisServer {
 public:
  /// Starts `binary` (default: redis-server on PATH) with its files in `dir`; waits until it
  /// answers PING. Throws std::runtime_error, with the server's log, when it does not start.
  explicit RedisServer(const std::filesystem::path& dir,
                       const std::string& binary = "redis-server");
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  int port() const { return port_; }
  int pid() const { return pid_; }
  std::string version() const { return version_; }
  /// CPU time the server has used so far, ns (/proc/PID/schedstat).
  double cpu_ns() const;

  /// Whether a redis-server binary is on PATH (tests skip when not).
  static bool available(const std::string& binary = "redis-server");

 private:
  void stop();

  int pid_ = -1;
  int port_ = 0;
  std::string version_;
};

struct BrokerPlan {
  std::vector<double> payloads;   // bytes per message
  int ops = 2000;                 // timed operations of each kind per block
  int blocks = 5;                 // blocks per payload (one sample each)
  std::vector<int> clients;       // client threads for the throughput scaling
  double scaling_seconds = 0.5;   // per client count
  double scaling_payload = 1024;  // bytes per message in the scaling runs
  double kernel_seconds = 1.0;    // per payload: pushes and pops for the softirq time
  bool progress = false;  // a progress bar on the log (the CLI: stderr on a terminal, not -q)
};

BrokerPlan broker_plan(bool quick);

/// Aggregate throughput of `clients` threads each pushing and popping in a loop.
struct BrokerScalingPoint {
  int clients = 1;
  double ops_per_s = 0;
  double server_busy = 0;  // the server's CPU time / wall time: near 1, it is the bottleneck
};

/// The pipeline depth of the pipelined client pushes (redis_client_push_pipelined).
inline constexpr int kRedisPipelineDepth = 8;

struct BrokerRun {
  /// Per block: redis_push and redis_pop (bytes, the server's CPU time per LPUSH, per RPOP),
  /// redis_op (their mean: the model's op_cost, which charges push and pop alike), redis_rtt
  /// (the rest of a PING's round trip: client library, kernel, loopback), redis_client_push and
  /// redis_client_pop (the client thread's CPU per LPUSH, per RPOP: the model's
  /// `client.produce` and `client.consume`), redis_client_push_pipelined (per LPUSH, sent
  /// kRedisPipelineDepth per write) and redis_push_pipelined (the server's CPU per LPUSH so
  /// sent: the model's `push_cost`). Per payload: redis_kernel (the machine's softirq time per
  /// message, its push and its pop: `client.kernel`) and redis_kernel_pipelined (the same, the
  /// pushes sent kRedisPipelineDepth per write).
  std::vector<Sample> samples;
  std::vector<BrokerScalingPoint> scaling;
  MachineInfo machine;
};

/// Times `ops` LPUSH, RPOP and PING on one connection to `server`, in `blocks` blocks (after an
/// untimed one) at each payload size, then a push and a pop after the other for
/// `kernel_seconds`, and pipelined pushes and their pops for as long (the softirq time, in ticks):
/// the samples of BrokerRun, a line per payload to `log`; `bar`, when given, shows the payloads
/// done (erased while a line is logged).
std::vector<Sample> measure_redis_ops(const RedisServer& server,
                                      const std::vector<double>& payloads, int ops, int blocks,
                                      std::ostream& log, double kernel_seconds = 0.5,
                                      ProgressBar* bar = nullptr);

/// Starts a server in `dir`, measures, stops it (also when measuring throws).
BrokerRun run_broker_bench(const BrokerPlan& plan, const std::filesystem::path& dir,
                           std::ostream& log);
/// The same with the server's files in a PrivateDir (calib/private_dir.h): an unpredictable
/// 0700 directory under $TMPDIR, removed when the bench returns, throws or is interrupted. A
/// server that does not start puts its log in the exception's message.
BrokerRun run_broker_bench(const BrokerPlan& plan, std::ostream& log);

/// The scaling points as CSV: clients,ops_per_s,server_busy.
std::string broker_scaling_csv(const std::vector<BrokerScalingPoint>& points);

}  // namespace servesim::calib
