// Tests of the broker benchmark: a real redis-server started on a free loopback port, measured
// with hiredis, and stopped, also when the measurement fails. Each test starts its own server;
// where no redis-server binary is installed they say so and pass (CI installs it: bash setup.sh).

#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/samples.h"
#include "sim/config/tree.h"
#include "sim/scenario/curves.h"
#include "tests/support/temp_dir.h"

#ifdef SERVESIM_HIREDIS
#include "calib/broker_bench.h"
#include "calib/private_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

bool have_redis() {
  if (RedisServer::available()) return true;
  WARN("redis-server is not installed (Debian: redis-server): broker benchmark test not run");
  return false;
}

bool alive(int pid) { return ::kill(pid, 0) == 0; }

namespace fs = std::filesystem;

/// $TMPDIR pointed at a test's own directory while in scope, so that what a bench leaves in the
/// temp dir can be seen (and nothing else's is).
class TmpdirOverride {
 public:
  explicit TmpdirOverride(const fs::path& dir) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~TmpdirOverride() {
    if (old_)
      ::setenv("TMPDIR", old_->c_str(), 1);
    else
      ::unsetenv("TMPDIR");
  }
  TmpdirOverride(const TmpdirOverride&) = delete;
  TmpdirOverride& operator=(const TmpdirOverride&) = delete;

 private:
  std::optional<std::string> old_;
};

TEST_CASE("a redis-server is started on a free port and stopped with its owner, even on a throw",
          "[calib]") {
  if (!have_redis()) return;
  test::TempDir dir;
  int pid = 0;
  try {
    RedisServer a(dir.path() / "a");
    RedisServer b(dir.path() / "b");  // two at once: each found its own port
    CHECK(a.port() != b.port());
    CHECK(a.version().size() >= 5);
    CHECK(a.cpu_ns() > 0);
    pid = a.pid();
    CHECK(alive(pid));
    throw std::runtime_error("a measurement failed");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()) == "a measurement failed");
  }
  CHECK_FALSE(alive(pid));
  CHECK_THROWS_WITH(RedisServer(dir.path() / "c", "/nonexistent/redis-server"),
                    Contains("did not start"));
}

TEST_CASE("calib bench broker --quick measures redis by payload size and the samples fit",
          "[calib][threads]") {
  if (!have_redis()) return;
  test::TempDir dir;
  // The name the bench once used for its scratch directory, planted as a symlink to a folder of
  // someone else's: the bench must neither follow it nor leave anything in the temp dir.
  test::TempDir tmp;
  const TmpdirOverride tmpdir(tmp.path());
  const fs::path elsewhere = dir.path() / "elsewhere";
  fs::create_directories(elsewhere);
  fs::create_directory_symlink(elsewhere,
                               tmp.path() / ("servesim-redis-" + std::to_string(::getpid())));
  std::ostringstream out, err;
  REQUIRE(calib_main({"bench", "broker", "--quick", "--out", dir.path().string()}, out, err) == 0);
  INFO(out.str() << err.str());
  CHECK(fs::is_empty(elsewhere));
  CHECK(std::distance(fs::directory_iterator(tmp.path()), fs::directory_iterator()) == 1);
  const auto samples = read_samples(dir.path() / "samples.csv");
  std::vector<double> small, large, client_small, client_large;
  int rtt = 0, kernel = 0, kernel_piped = 0, push_piped = 0;
  for (const Sample& s : samples) {
    if (s.kernel == "redis_rtt") ++rtt;
    if (s.kernel == "redis_kernel") ++kernel;
    if (s.kernel == "redis_kernel_pipelined") ++kernel_piped;
    if (s.kernel == "redis_push_pipelined") ++push_piped;
    if (s.kernel == "redis_client_push") {
      CHECK(s.seconds > 0);
      (s.bytes == 64 ? client_small : client_large).push_back(s.seconds);
    }
    if (s.kernel != "redis_op") continue;
    CHECK(s.seconds > 0);
    if (s.bytes == 64) small.push_back(s.seconds);
    if (s.bytes == 262144) large.push_back(s.seconds);
  }
  // 4 payloads x 3 blocks: the mean of a push and a pop each, and a round trip.
  CHECK(small.size() == 3);
  CHECK(large.size() == 3);
  CHECK(rtt == 12);
  CHECK(kernel == 4);  // one per payload, over its blocks
  CHECK(kernel_piped == 4);
  CHECK(push_piped == 12);
  CHECK(client_small.size() == 3);
  CHECK(client_large.size() == 9);
  // Copying 256 KiB in and out of the server costs more than 64 B, however busy the machine.
  CHECK(*std::min_element(large.begin(), large.end()) >
        *std::min_element(small.begin(), small.end()));
  CHECK_THAT(err.str(), Contains("servesim calib bench broker: redis-server"));

  const auto curves = dir.path() / "redis.yaml";
  REQUIRE(calib_main({"fit", (dir.path() / "samples.csv").string(), "--out", curves.string()}, out,
                     err) == 0);
  const CurveSet set = parse_curves(*load_config_file(curves).find("curves"));
  CHECK(set.count("redis_op") == 1);
  CHECK(set.count("redis_push") == 1);
  CHECK(set.count("redis_pop") == 1);
  CHECK(set.count("redis_rtt") == 1);
  for (const char* k : {"redis_client_push", "redis_client_pop", "redis_client_push_pipelined",
                        "redis_kernel", "redis_push_pipelined", "redis_kernel_pipelined"})
    CHECK(set.count(k) == 1);
  CHECK_THAT(set.at("redis_op").source, Contains("servesim calib bench broker --quick on "));
  CHECK_THAT(set.at("redis_op").source, Contains("redis-server 7"));
}

/// A log stream that calls `probe` at its first flush: the bench flushes its first line once the
/// server runs, so the probe sees the scratch directory while it is in use.
class ProbeBuf : public std::stringbuf {
 public:
  explicit ProbeBuf(std::function<int()> probe) : probe_(std::move(probe)) {}

 protected:
  int sync() override {
    if (!probed_) {
      probed_ = true;
      return probe_();  // -1 makes the stream fail, and throw if asked to
    }
    return 0;
  }

 private:
  std::function<int()> probe_;
  bool probed_ = false;
};

struct Seen {
  std::vector<std::string> names;
  bool is_dir = false;
  unsigned mode = 0;
  bool log_is_file = false;
};

Seen look_into(const fs::path& tmp) {
  Seen s;
  for (const auto& e : fs::directory_iterator(tmp)) {
    s.names.push_back(e.path().filename().string());
    struct stat st {};
    if (::lstat(e.path().c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      s.is_dir = true;
      s.mode = st.st_mode & 07777;
      s.log_is_file = fs::is_regular_file(fs::symlink_status(e.path() / "redis-server.log"));
    }
  }
  return s;
}

BrokerPlan tiny_plan() {
  BrokerPlan p;
  p.payloads = {64};
  p.ops = 16;
  p.blocks = 1;
  p.clients = {1};
  p.scaling_seconds = 0.05;
  p.kernel_seconds = 0.05;
  return p;
}

TEST_CASE(
    "calib bench broker keeps redis's files in a private 0700 directory, removed after a "
    "return or a throw",
    "[calib]") {
  if (!have_redis()) return;
  test::TempDir tmp;
  const TmpdirOverride tmpdir(tmp.path());
  Seen seen;
  {
    ProbeBuf buf([&] {
      seen = look_into(tmp.path());
      return 0;
    });
    std::ostream log(&buf);
    const BrokerRun run = run_broker_bench(tiny_plan(), log);
    // One block: push, pop, op, rtt, the client's push, pop and pipelined push, and the server's
    // pipelined push; and the payload's kernel time, alone and pipelined.
    CHECK(run.samples.size() == 10);
  }
  REQUIRE(seen.names.size() == 1);
  INFO(seen.names[0]);
  CHECK(seen.is_dir);
  CHECK(seen.mode == 0700);
  CHECK(seen.log_is_file);
  // Not the name an attacker could plant beforehand: servesim-redis- and six random characters.
  CHECK(seen.names[0].rfind("servesim-redis-", 0) == 0);
  CHECK(seen.names[0] != "servesim-redis-" + std::to_string(::getpid()));
  CHECK(seen.names[0].size() == std::string("servesim-redis-XXXXXX").size());
  CHECK(fs::is_empty(tmp.path()));

  // A throw while measuring (here: the log stream fails) also removes it.
  ProbeBuf failing([] { return -1; });
  std::ostream log(&failing);
  log.exceptions(std::ios::badbit);
  CHECK_THROWS_AS(run_broker_bench(tiny_plan(), log), std::ios_base::failure);
  CHECK(fs::is_empty(tmp.path()));
}

TEST_CASE("a redis-server's log replaces a symlink planted at its name instead of following it",
          "[calib]") {
  if (!have_redis()) return;
  test::TempDir dir;
  const fs::path victim = dir.write("victim.txt", "precious\n");
  fs::create_directories(dir.path() / "srv");
  fs::create_symlink(victim, dir.path() / "srv" / "redis-server.log");
  {
    RedisServer server(dir.path() / "srv");
    CHECK(server.port() > 0);
  }
  std::ifstream in(victim);
  std::stringstream text;
  text << in.rdbuf();
  CHECK(text.str() == "precious\n");
  const auto log = fs::symlink_status(dir.path() / "srv" / "redis-server.log");
  CHECK(fs::is_regular_file(log));
  CHECK((log.permissions() & fs::perms::all) == (fs::perms::owner_read | fs::perms::owner_write));
}

TEST_CASE(
    "SIGTERM during calib bench broker removes its private directory, then ends the "
    "process as SIGTERM does",
    "[calib]") {
  if (!have_redis()) return;
  test::TempDir tmp;
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: once the server runs in its directory, it signals itself, as a user's kill
    // would. The handler must remove the directory and let SIGTERM end the process.
    ::setenv("TMPDIR", tmp.path().c_str(), 1);
    ProbeBuf buf([&] {
      if (fs::is_empty(tmp.path())) ::_exit(3);  // no directory to remove: the test is moot
      ::kill(::getpid(), SIGTERM);
      return 0;
    });
    std::ostream log(&buf);
    try {
      run_broker_bench(tiny_plan(), log);
    } catch (...) {
      ::_exit(4);
    }
    ::_exit(5);  // SIGTERM did not end the process
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("child status " << status);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  CHECK(fs::is_empty(tmp.path()));
}

TEST_CASE(
    "a private directory's signal handlers leave an ignored signal ignored and go with the "
    "last directory",
    "[calib]") {
  struct sigaction before {
  }, hup_before{};
  ::sigaction(SIGINT, nullptr, &before);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGHUP, &ignore, &hup_before);  // as under nohup
  {
    const PrivateDir a("servesim-test-");
    const PrivateDir b("servesim-test-");
    CHECK(a.path() != b.path());
    struct sigaction now {};
    ::sigaction(SIGINT, nullptr, &now);
    CHECK(now.sa_handler == private_dir_detail::on_signal);
    ::sigaction(SIGHUP, nullptr, &now);
    CHECK(now.sa_handler == SIG_IGN);
  }
  struct sigaction after {};
  ::sigaction(SIGINT, nullptr, &after);
  CHECK(after.sa_handler == before.sa_handler);
  ::sigaction(SIGHUP, &hup_before, nullptr);
}

}  // namespace
}  // namespace servesim::calib
#endif
