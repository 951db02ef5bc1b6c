#include "calib/net_bench.h"

#include <algorithm>
#include <atomic>
#include <boost/version.hpp>
#include <chrono>
#include <exception>
#include <map>
#include <stdexcept>
#include <thread>

#include "calib/http_loopback.h"
#include "calib/timing.h"
#include "sim/core/format.h"

namespace servesim::calib {

namespace {

/// `bytes` bytes that no layer could shortcut (not all one value).
std::string payload_of(double bytes) {
  std::string p(static_cast<std::size_t>(bytes), '\0');
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return p;
}

constexpr const char* kModel = "bench";

void expect_ok(const HttpClient::Response& r) {
  if (r.status != 200)
    throw std::runtime_error("the HTTP server answered " + std::to_string(r.status) + ": " +
                             r.body);
}

Sample sample(const char* kernel, double bytes, double seconds) {
  Sample s;
  s.kernel = kernel;
  s.bytes = bytes;
  s.seconds = seconds;
  s.threads = 1;
  return s;
}

/// One throughput point: `clients` threads with a connection each, requests back to back.
NetScalingPoint scaling_point(const HttpServer& server, double bytes, int clients, double seconds) {
  const std::string payload = payload_of(bytes);
  std::vector<std::unique_ptr<HttpClient>> connections;
  connections.reserve(static_cast<std::size_t>(clients));
  for (int k = 0; k < clients; ++k) {
    connections.push_back(std::make_unique<HttpClient>(server.port()));
    expect_ok(connections.back()->infer(kModel, payload));  // connected and warm
  }
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::atomic<double> client_ns{0};
  std::vector<std::string> errors(static_cast<std::size_t>(clients));
  std::vector<std::thread> threads;
  threads.reserve(connections.size());
  const double server0 = server.cpu_ns();
  const auto t0 = Clock::now();
  for (int k = 0; k < clients; ++k)
    threads.emplace_back([&, k] {
      try {
        const double cpu0 = thread_cpu_ns();
        long n = 0;
        for (; !stop.load(std::memory_order_relaxed); ++n)
          expect_ok(connections[static_cast<std::size_t>(k)]->infer(kModel, payload));
        done += n;
        const double used = thread_cpu_ns() - cpu0;
        client_ns.fetch_add(used);
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(k)] = e.what();
        stop = true;
      }
    });
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const double wall = seconds_since(t0);
  for (const auto& e : errors)
    if (!e.empty()) throw std::runtime_error("HTTP client: " + e);
  const auto n = static_cast<double>(std::max(1L, done.load()));
  NetScalingPoint p;
  p.payload = bytes;
  p.clients = clients;
  p.server_threads = server.threads();
  p.requests_per_s = static_cast<double>(done.load()) / wall;
  const double server_s = (server.cpu_ns() - server0) * 1e-9;
  p.server_busy = server_s / (wall * server.threads());
  p.server_cpu_s = server_s / n;
  p.client_cpu_s = client_ns.load() * 1e-9 / n;
  return p;
}

}  // namespace

NetPlan net_plan(bool quick, const std::vector<int>& cpus) {
  NetPlan p;
  const int cores = std::max(1, static_cast<int>(cpus.size()));
  if (!cpus.empty()) {
    p.client_cpu = cpus.front();
    p.server_cpu = cpus.size() > 1 ? cpus[1] : cpus.front();
  }
  if (quick) {
    p.payloads = {1024, 16384, 262144, 4194304};
    p.ops = 300;
    p.block_bytes = 32 << 20;
    p.min_ops = 8;
    p.blocks = 3;
    p.scaling_payloads = {65536};
    p.clients = {1, 2};
    p.server_threads = {1};
    p.scaling_seconds = 0.3;
    return p;
  }
  p.payloads = {1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};
  p.scaling_payloads = {65536, 1048576};
  for (int c = 1; c < cores; c *= 2) p.clients.push_back(c);
  p.clients.push_back(cores);
  if (cores == 1) p.clients.push_back(2);
  p.server_threads = {1};
  if (cores > 1) p.server_threads.push_back(cores);
  return p;
}

namespace {

/// The blocks of one payload on `client`'s connection to `server`, from the calling thread;
/// `bar` counts every payload's blocks, the untimed one included, this payload's from `first`.
void time_payload(const NetPlan& plan, double bytes, const HttpServer& server, HttpClient& client,
                  std::vector<Sample>& samples, std::ostream& log, ProgressBar* bar,
                  std::size_t first) {
  const auto per_payload = static_cast<std::size_t>(plan.blocks) + 1;
  const std::string payload = payload_of(bytes);
  const int ops = std::max(
      plan.min_ops, std::min(plan.ops, static_cast<int>(plan.block_bytes / std::max(bytes, 1.0))));
  std::vector<double> server_cpu, client_cpu, wall;
  for (int b = 0; b <= plan.blocks; ++b) {  // block 0 warms up, untimed
    if (bar)
      bar->update(first + static_cast<std::size_t>(b), plan.payloads.size() * per_payload,
                  "requests", "blocks");
    std::vector<double> walls;
    walls.reserve(static_cast<std::size_t>(ops));
    const double server0 = server.cpu_ns(), client0 = thread_cpu_ns();
    for (int i = 0; i < ops; ++i) {
      const auto t0 = Clock::now();
      const HttpClient::Response r = client.infer(kModel, payload);
      walls.push_back(seconds_since(t0));
      expect_ok(r);
    }
    const double server_s = (server.cpu_ns() - server0) * 1e-9 / ops;
    const double client_s = (thread_cpu_ns() - client0) * 1e-9 / ops;
    if (b == 0) continue;
    server_cpu.push_back(server_s);
    client_cpu.push_back(client_s);
    wall.push_back(median(walls));
    samples.push_back(sample("http_server_request", bytes, server_s));
    samples.push_back(sample("http_client_request", bytes, client_s));
    samples.push_back(sample("http_loopback_request", bytes, wall.back()));
  }
  if (bar) bar->finish();
  log << format(
             "  %9.0f B x %5d requests: server CPU %9s us, client CPU %9s us, round trip "
             "%9s us\n",
             bytes, ops, readable(median(server_cpu) * 1e6, 4),
             readable(median(client_cpu) * 1e6, 4), readable(median(wall) * 1e6, 4))
      << std::flush;
}

}  // namespace

std::vector<Sample> measure_http_requests(const NetPlan& plan, std::ostream& log,
                                          ProgressBar* bar) {
  HttpServerOptions options;
  if (plan.server_cpu >= 0) options.cpus = {plan.server_cpu};
  const HttpServer server(options);
  // The client runs on a thread of its own, so that it can be pinned without pinning the caller.
  std::vector<Sample> samples;
  std::exception_ptr failed;
  std::thread client_thread([&] {
    try {
      if (plan.client_cpu >= 0) pin_this_thread(plan.client_cpu);
      HttpClient client(server.port());
      for (std::size_t i = 0; i < plan.payloads.size(); ++i)
        time_payload(plan, plan.payloads[i], server, client, samples, log, bar,
                     i * (static_cast<std::size_t>(plan.blocks) + 1));
    } catch (...) {
      failed = std::current_exception();
    }
  });
  client_thread.join();
  if (failed) std::rethrow_exception(failed);
  return samples;
}

NetRun run_net_bench(const NetPlan& plan, std::ostream& log) {
  NetRun run;
  run.machine = this_machine();
  run.machine.warmup = 1;
  run.machine.repeats = plan.blocks;
  run.machine.libraries.push_back({"boost.beast", std::to_string(BOOST_VERSION / 100000) + "." +
                                                      std::to_string(BOOST_VERSION / 100 % 1000) +
                                                      "." + std::to_string(BOOST_VERSION % 100)});
  const auto t_start = Clock::now();
  log << "servesim calib bench net: HTTP/1.1 over 127.0.0.1 (Boost.Beast), " << plan.payloads.size()
      << " payload sizes x " << plan.blocks << " blocks, one client thread (CPU " << plan.client_cpu
      << "), one server thread (CPU " << plan.server_cpu << ")\n"
      << std::flush;
  ProgressBar bar(log, plan.progress);  // on a terminal, after a second
  run.samples = measure_http_requests(plan, log, &bar);
  const std::size_t points =
      plan.scaling_payloads.size() * plan.server_threads.size() * plan.clients.size();
  for (const double bytes : plan.scaling_payloads)
    for (const int threads : plan.server_threads) {
      HttpServerOptions options;
      options.threads = threads;
      const HttpServer server(options);
      for (const int clients : plan.clients) {
        bar.update(run.scaling.size(), points, "throughput", "points");
        const NetScalingPoint p = scaling_point(server, bytes, clients, plan.scaling_seconds);
        run.scaling.push_back(p);
        bar.finish();
        log << format(
                   "  %8.0f B, %2d client%s, %d server thread%s: %8s requests/s, server busy "
                   "%5.1f%%\n",
                   bytes, clients, clients == 1 ? " " : "s", threads, threads == 1 ? " " : "s",
                   readable(p.requests_per_s, 4), 100 * p.server_busy)
            << std::flush;
      }
    }
  run.machine.seconds = seconds_since(t_start);
  return run;
}

std::string net_scaling_csv(std::span<const NetScalingPoint> points) {
  std::string s =
      "payload_bytes,clients,server_threads,requests_per_s,server_busy,server_cpu_s,client_cpu_s\n";
  for (const auto& p : points)
    s += format("%.0f,%d,%d,%.6g,%.4f,%.6g,%.6g\n", p.payload, p.clients, p.server_threads,
                p.requests_per_s, p.server_busy, p.server_cpu_s, p.client_cpu_s);
  return s;
}

std::string net_table(std::span<const Sample> samples) {
  struct Row {
    std::vector<double> server, client, wall;
  };
  std::map<double, Row> rows;
  for (const Sample& s : samples) {
    Row& r = rows[s.bytes];
    if (s.kernel == "http_server_request") r.server.push_back(s.seconds);
    if (s.kernel == "http_client_request") r.client.push_back(s.seconds);
    if (s.kernel == "http_loopback_request") r.wall.push_back(s.seconds);
  }
  std::string out = format("%12s  %14s  %14s  %14s\n", "payload B", "server CPU us",
                           "client CPU us", "round trip us");
  for (const auto& [bytes, r] : rows)
    out += format("%12.0f  %14s  %14s  %14s\n", bytes, readable(median(r.server) * 1e6, 4),
                  readable(median(r.client) * 1e6, 4), readable(median(r.wall) * 1e6, 4));
  return out;
}

}  // namespace servesim::calib
