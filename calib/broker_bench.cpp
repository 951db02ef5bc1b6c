#include "calib/broker_bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "calib/private_dir.h"
#include "calib/timing.h"

namespace servesim::calib {

namespace {

/// A free TCP port on the loopback interface (the kernel picks it; the server binds it next).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("cannot open a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot bind a loopback socket to find a free port");
  return ntohs(a.sin_port);
}

/// Closes a file descriptor at the end of its scope.
struct FileDescriptor {
  explicit FileDescriptor(int f) : fd(f) {}
  ~FileDescriptor() { ::close(fd); }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int fd;
};

struct ContextFree {
  void operator()(redisContext* c) const { redisFree(c); }
};
using Connection = std::unique_ptr<redisContext, ContextFree>;

Connection connect(int port) {
  const timeval timeout{2, 0};
  Connection c(redisConnectWithTimeout("127.0.0.1", port, timeout));
  if (!c || c->err) return nullptr;
  return c;
}

struct ReplyFree {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyFree>;

/// Runs a command given as arguments (binary-safe); throws when the server answers an error.
Reply command(redisContext* c, std::initializer_list<std::string_view> args) {
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const auto a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply r(static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!r) throw std::runtime_error(std::string("redis: connection lost: ") + c->errstr);
  if (r->type == REDIS_REPLY_ERROR)
    throw std::runtime_error("redis: " + std::string(r->str, r->len));
  return r;
}

/// The machine's softirq time so far, ns (/proc/stat's `cpu` line, 7th field, in USER_HZ
/// ticks): loopback TCP's receive processing. 0 when it cannot be read.
double softirq_ns() {
  std::ifstream f("/proc/stat");
  std::string cpu;
  double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0;
  if (!(f >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq) || cpu != "cpu")
    return 0;
  return softirq * 1e9 / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

/// `n` LPUSHes sent `depth` at a time (appended, then their replies read): the client's CPU.
double pipelined_pushes(redisContext* c, const std::string& key, const std::string& payload, int n,
                        int depth) {
  const double t0 = thread_cpu_ns();
  for (int done = 0; done < n;) {
    const int group = std::min(depth, n - done);
    for (int i = 0; i < group; ++i)
      redisAppendCommand(c, "LPUSH %b %b", key.data(), key.size(), payload.data(), payload.size());
    for (int i = 0; i < group; ++i) {
      void* raw = nullptr;
      if (redisGetReply(c, &raw) != REDIS_OK)
        throw std::runtime_error(std::string("redis: connection lost: ") + c->errstr);
      const Reply r(static_cast<redisReply*>(raw));
      if (r->type == REDIS_REPLY_ERROR)
        throw std::runtime_error("redis: " + std::string(r->str, r->len));
    }
    done += group;
  }
  return thread_cpu_ns() - t0;
}

/// The kernel's softirq time per message (its push and its pop): /proc/stat counts ticks (10 ms
/// at USER_HZ 100), too coarse for a block, so pushes and pops go on for a window of
/// `seconds` of their own; then as the producer sends them, kRedisPipelineDepth pushes per write
/// (the loopback's work goes by write and by byte, not by command). Two samples to `samples`.
void softirq_samples(redisContext* c, const std::string& key, const std::string& payload,
                     double seconds, std::vector<Sample>& samples) {
  const double bytes = static_cast<double>(payload.size());
  for (const int depth : {1, kRedisPipelineDepth}) {
    long messages = 0;
    const double softirq0 = softirq_ns();
    for (const auto t0 = Clock::now(); seconds_since(t0) < seconds; messages += depth) {
      if (depth == 1)
        command(c, {"LPUSH", key, payload});
      else
        pipelined_pushes(c, key, payload, depth, depth);
      for (int i = 0; i < depth; ++i) command(c, {"RPOP", key});
    }
    Sample k;
    k.kernel = depth == 1 ? "redis_kernel" : "redis_kernel_pipelined";
    k.bytes = bytes;
    k.seconds = std::max((softirq_ns() - softirq0) * 1e-9 / static_cast<double>(messages), 1e-9);
    k.threads = 1;
    samples.push_back(k);
  }
}

std::string read_text(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

bool RedisServer::available(const std::string& binary) {
  const std::string cmd = "command -v " + binary + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

RedisServer::RedisServer(const std::filesystem::path& dir, const std::string& binary) {
  std::filesystem::create_directories(dir);
  const auto log = dir / "redis-server.log";
  // A fresh file, opened here and handed to the child: whatever is at its name (an earlier
  // run's log, or a symlink someone planted there) is unlinked, never followed or truncated.
  if (::unlink(log.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error("cannot replace " + log.string() + ": " + std::strerror(errno));
  const FileDescriptor log_fd(create_new_file(log));
  // A port found free can be taken before the server binds it: try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_port();
    const std::string port = std::to_string(port_);
    const std::string dir_s = dir.string();
    const int pid = ::fork();
    if (pid < 0) throw std::runtime_error("cannot fork to start " + binary);
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // the server ends with us, however we end
      ::dup2(log_fd.fd, 1);
      ::dup2(log_fd.fd, 2);
      ::execlp(binary.c_str(), binary.c_str(), "--port", port.c_str(), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", dir_s.c_str(), "--daemonize", "no",
               static_cast<char*>(nullptr));
      std::fprintf(stderr, "cannot run %s\n", binary.c_str());
      ::_exit(127);
    }
    pid_ = pid;
    const auto t0 = Clock::now();
    while (seconds_since(t0) < 10) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        break;  // it exited: the port was taken, or it cannot run
      }
      if (Connection c = connect(port_)) {
        try {
          const Reply info = command(c.get(), {"INFO", "server"});
          const std::string text(info->str, info->len);
          const auto at = text.find("redis_version:");
          if (at != std::string::npos)
            version_ = text.substr(at + 14, text.find('\r', at) - at - 14);
          return;
        } catch (const std::runtime_error&) {
          // loading: try again
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (pid_ > 0) {
      stop();
      throw std::runtime_error(binary + " did not answer PING within 10 s; its log (" +
                               log.string() + "):\n" + read_text(log));
    }
  }
  throw std::runtime_error(binary + " did not start (is it installed? Debian: redis-server); " +
                           "its log (" + log.string() + "):\n" + read_text(log));
}

RedisServer::~RedisServer() { stop(); }

void RedisServer::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 200; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

double RedisServer::cpu_ns() const {
  std::ifstream f("/proc/" + std::to_string(pid_) + "/schedstat");
  double ns = 0;
  if (!(f >> ns))
    throw std::runtime_error("cannot read the server's CPU time (/proc/PID/schedstat)");
  return ns;
}

BrokerPlan broker_plan(bool quick) {
  BrokerPlan p;
  if (quick) {
    p.payloads = {64, 1024, 16384, 262144};
    p.ops = 1000;
    p.blocks = 3;
    p.clients = {1, 2, 4};
    p.scaling_seconds = 0.3;
    p.kernel_seconds = 0.3;
  } else {
    p.payloads = {16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576};
    p.ops = 2000;
    p.blocks = 5;
    p.clients = {1, 2, 4, 8, 16};
    p.scaling_seconds = 1.0;
  }
  return p;
}

std::vector<Sample> measure_redis_ops(const RedisServer& server,
                                      const std::vector<double>& payloads, int ops_per_block,
                                      int blocks, std::ostream& log, double kernel_seconds,
                                      ProgressBar* bar) {
  std::vector<Sample> samples;
  Connection c = connect(server.port());
  if (!c) throw std::runtime_error("cannot connect to the redis-server");
  const std::string key = "servesim:calib";
  for (std::size_t p = 0; p < payloads.size(); ++p) {
    const double bytes = payloads[p];
    if (bar) bar->update(p, payloads.size(), "operations", "payloads");
    const std::string payload(static_cast<std::size_t>(bytes), 'x');
    // At most 64 MiB of messages per block, to bound its time.
    const int ops = std::max(16, std::min(ops_per_block, static_cast<int>((64 << 20) / bytes)));
    std::vector<double> push_cost, pop_cost, rtt, client_push, client_pop, client_piped, piped_cost;
    for (int b = 0; b <= blocks; ++b) {  // block 0 warms up, untimed
      std::vector<double> ping_s;
      double cpu = server.cpu_ns();
      for (int i = 0; i < ops; ++i) {
        const auto t0 = Clock::now();
        command(c.get(), {"PING"});
        ping_s.push_back(seconds_since(t0));
      }
      const double ping_cpu = (server.cpu_ns() - cpu) * 1e-9 / ops;
      // Each LPUSH is followed by its RPOP, as a producer and its consumers keep a list short:
      // a list of thousands of large messages would time the allocator's fresh pages instead.
      // The server's CPU is read around each command (a sleeping server's is exact; a tail it
      // runs after replying goes to the next command: the sum is exact, the split near).
      double push_cpu = 0, pop_cpu = 0, push_client = 0, pop_client = 0;
      const auto timed = [&](std::initializer_list<std::string_view> args, double& server_ns,
                             double& client_ns) {
        const double s0 = server.cpu_ns(), c0 = thread_cpu_ns();
        Reply r = command(c.get(), args);
        client_ns += thread_cpu_ns() - c0;
        server_ns += server.cpu_ns() - s0;
        return r;
      };
      for (int i = 0; i < ops; ++i) {
        timed({"LPUSH", key, payload}, push_cpu, push_client);
        const Reply r = timed({"RPOP", key}, pop_cpu, pop_client);
        if (r->type != REDIS_REPLY_STRING || r->len != payload.size())
          throw std::runtime_error("redis: RPOP returned something other than what was pushed");
      }
      push_cpu *= 1e-9 / ops;
      pop_cpu *= 1e-9 / ops;
      push_client *= 1e-9 / ops;
      pop_client *= 1e-9 / ops;
      // The same pushes pipelined kRedisPipelineDepth per write (the producer's usual form),
      // each group popped before the next: the client's and the server's CPU per push.
      double piped_client = 0, piped_cpu = 0;
      for (int done = 0; done < ops; done += kRedisPipelineDepth) {
        const int group = std::min(kRedisPipelineDepth, ops - done);
        const double s0 = server.cpu_ns();
        piped_client += pipelined_pushes(c.get(), key, payload, group, group);
        piped_cpu += server.cpu_ns() - s0;
        for (int i = 0; i < group; ++i) command(c.get(), {"RPOP", key});
      }
      piped_client *= 1e-9 / ops;
      piped_cpu *= 1e-9 / ops;
      if (b == 0) continue;
      push_cost.push_back(push_cpu);
      pop_cost.push_back(pop_cpu);
      client_push.push_back(push_client);
      client_pop.push_back(pop_client);
      client_piped.push_back(piped_client);
      piped_cost.push_back(piped_cpu);
      rtt.push_back(median(ping_s) - ping_cpu);
      for (const auto& [kernel, t] : {std::pair{"redis_push", push_cpu},
                                      {"redis_pop", pop_cpu},
                                      {"redis_op", 0.5 * (push_cpu + pop_cpu)},
                                      {"redis_client_push", push_client},
                                      {"redis_client_pop", pop_client},
                                      {"redis_client_push_pipelined", piped_client},
                                      {"redis_push_pipelined", piped_cpu}}) {
        Sample s;
        s.kernel = kernel;
        s.bytes = bytes;
        s.seconds = t;
        s.threads = 1;
        samples.push_back(s);
      }
      Sample r;
      r.kernel = "redis_rtt";
      r.seconds = std::max(rtt.back(), 1e-9);
      r.threads = 1;
      samples.push_back(r);
    }
    softirq_samples(c.get(), key, payload, kernel_seconds, samples);
    const double kernel = samples[samples.size() - 2].seconds;
    const double kernel_piped = samples.back().seconds;
    char buf[400];
    std::snprintf(buf, sizeof buf,
                  "  %8.0f B x %5d ops: server LPUSH %7.2f us, RPOP %7.2f us; round trip less "
                  "server %6.2f us; client LPUSH %7.2f us, RPOP %7.2f us; softirq %6.2f us per "
                  "message; pipelined x%d: server LPUSH %7.2f us, client %7.2f us, softirq %6.2f "
                  "us\n",
                  bytes, ops, median(push_cost) * 1e6, median(pop_cost) * 1e6, median(rtt) * 1e6,
                  median(client_push) * 1e6, median(client_pop) * 1e6, kernel * 1e6,
                  kRedisPipelineDepth, median(piped_cost) * 1e6, median(client_piped) * 1e6,
                  kernel_piped * 1e6);
    if (bar) bar->finish();
    log << buf << std::flush;
  }
  return samples;
}

BrokerRun run_broker_bench(const BrokerPlan& plan, const std::filesystem::path& dir,
                           std::ostream& log) {
  BrokerRun run;
  run.machine = this_machine();
  run.machine.repeats = plan.blocks;
  const auto t_start = Clock::now();
  RedisServer server(dir);
  run.machine.libraries.push_back({"redis-server", server.version()});
  run.machine.libraries.push_back({"hiredis", std::to_string(HIREDIS_MAJOR) + "." +
                                                  std::to_string(HIREDIS_MINOR) + "." +
                                                  std::to_string(HIREDIS_PATCH)});
  log << "servesim calib bench broker: redis-server " << server.version()
      << " on 127.0.0.1:" << server.port() << ", " << plan.payloads.size() << " payload sizes x "
      << plan.blocks << " blocks\n"
      << std::flush;
  ProgressBar bar(log, plan.progress);  // on a terminal, after a second
  run.samples = measure_redis_ops(server, plan.payloads, plan.ops, plan.blocks, log,
                                  plan.kernel_seconds, &bar);
  const std::string key = "servesim:calib";

  // Throughput against the number of clients: each thread its own connection, pushing then
  // popping one message at a time, for a fixed time.
  const std::string payload(static_cast<std::size_t>(plan.scaling_payload), 'x');
  for (const int n : plan.clients) {
    bar.update(run.scaling.size(), plan.clients.size(), "throughput", "client counts");
    std::atomic<bool> stop{false};
    std::atomic<long> done{0};
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(n));
    std::vector<std::string> errors(static_cast<std::size_t>(n));
    const double cpu0 = server.cpu_ns();
    const auto t0 = Clock::now();
    for (int k = 0; k < n; ++k)
      threads.emplace_back([&, k] {
        try {
          Connection mine = connect(server.port());
          if (!mine) throw std::runtime_error("cannot connect");
          const std::string my_key = key + ":" + std::to_string(k);
          long ops = 0;
          while (!stop.load(std::memory_order_relaxed)) {
            command(mine.get(), {"LPUSH", my_key, payload});
            command(mine.get(), {"RPOP", my_key});
            ops += 2;
          }
          done += ops;
        } catch (const std::exception& e) {
          errors[static_cast<std::size_t>(k)] = e.what();
        }
      });
    std::this_thread::sleep_for(std::chrono::duration<double>(plan.scaling_seconds));
    stop = true;
    for (auto& t : threads) t.join();
    const double wall = seconds_since(t0);
    for (const auto& e : errors)
      if (!e.empty()) throw std::runtime_error("redis client: " + e);
    BrokerScalingPoint p;
    p.clients = n;
    p.ops_per_s = static_cast<double>(done.load()) / wall;
    p.server_busy = (server.cpu_ns() - cpu0) * 1e-9 / wall;
    run.scaling.push_back(p);
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %2d client%s %9.0f ops/s, server busy %5.1f%%\n", n,
                  n == 1 ? " " : "s", p.ops_per_s, 100 * p.server_busy);
    bar.finish();
    log << buf << std::flush;
  }
  run.machine.seconds = seconds_since(t_start);
  return run;
}

BrokerRun run_broker_bench(const BrokerPlan& plan, std::ostream& log) {
  // Declared first, so destroyed last: the server is stopped before its directory goes.
  const PrivateDir scratch("servesim-redis-");
  return run_broker_bench(plan, scratch.path(), log);
}

std::string broker_scaling_csv(const std::vector<BrokerScalingPoint>& points) {
  std::string s = "clients,ops_per_s,server_busy\n";
  char buf[96];
  for (const auto& p : points) {
    std::snprintf(buf, sizeof buf, "%d,%.6g,%.4f\n", p.clients, p.ops_per_s, p.server_busy);
    s += buf;
  }
  return s;
}

}  // namespace servesim::calib
