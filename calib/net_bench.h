#pragma once
/// Measuring what an HTTP inference request costs the CPU on each side of a loopback connection
/// (calib/http_loopback.h's server and client, in this process): the curves of a Triton-style
/// HTTP frontend stage and of the client that feeds it.

#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "calib/machine.h"
#include "calib/samples.h"
#include "sim/config/progress.h"

namespace servesim::calib {

struct NetPlan {
  std::vector<double> payloads;          // tensor bytes per request
  int ops = 2000;                        // timed requests per block at small payloads
  double block_bytes = 256 << 20;        // ...but at most this many payload bytes per block
  int min_ops = 16;                      // and at least this many requests
  int blocks = 5;                        // blocks per payload (one sample each), after one untimed
  std::vector<double> scaling_payloads;  // bytes per request in the throughput runs
  std::vector<int> clients;              // client threads in the throughput runs
  std::vector<int> server_threads;       // server threads in the throughput runs
  double scaling_seconds = 1.0;          // per point
  // Where the timed client and server threads run (-1: wherever the kernel puts them). Apart,
  // each side's CPU time is its own work plus being woken from another CPU; on one CPU wake-ups
  // are cheaper (the 2-vCPU VM: ~45 us per side per 1 kB request apart, ~22 us on one CPU), and
  // floating, a run gets either by chance.
  int client_cpu = -1;
  int server_cpu = -1;
  bool progress = false;  // a progress bar on the log (the CLI: stderr on a terminal, not -q)
};

/// The full plan (1 kB .. 16 MB; clients 1, 2, 4, .. up to the number of `cpus`; server threads
/// 1 and that number) or the quick one (4 payloads, fewer requests, a few seconds); the timed
/// client on the first of `cpus` (the CPUs this process may use), the server on the second.
NetPlan net_plan(bool quick, const std::vector<int>& cpus);

/// Timed requests in `blocks` blocks per payload, one client thread and one server thread: per
/// block, http_server_request (the server thread's CPU per request: receive, parse, answer),
/// http_client_request (the client thread's CPU per request: build, send, read the answer),
/// and http_loopback_request (the median wall time of one request and its answer). A line per
/// payload to `log`; `bar`, when given, shows the payloads done (erased while a line is logged).
std::vector<Sample> measure_http_requests(const NetPlan& plan, std::ostream& log,
                                          ProgressBar* bar = nullptr);

/// Throughput of `clients` threads sending requests back to back to a server of
/// `server_threads` threads.
struct NetScalingPoint {
  double payload = 0;  // bytes
  int clients = 1;
  int server_threads = 1;
  double requests_per_s = 0;
  double server_busy = 0;   // the server threads' CPU time / (wall time x threads)
  double server_cpu_s = 0;  // server CPU per request
  double client_cpu_s = 0;  // client CPU per request (all client threads)
};

struct NetRun {
  std::vector<Sample> samples;
  std::vector<NetScalingPoint> scaling;
  MachineInfo machine;
};

/// measure_http_requests, then the scaling points.
NetRun run_net_bench(const NetPlan& plan, std::ostream& log);

/// The scaling points as CSV:
/// payload_bytes,clients,server_threads,requests_per_s,server_busy,server_cpu_s,client_cpu_s.
std::string net_scaling_csv(std::span<const NetScalingPoint> points);

/// Per payload: the medians of the three curves' samples, as a table for people.
std::string net_table(std::span<const Sample> samples);

}  // namespace servesim::calib
