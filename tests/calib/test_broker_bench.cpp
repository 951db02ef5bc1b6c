// Tests of the broker benchmark: a real redis-server started on a free loopback port, measured
// with hiredis, and stopped, also when the measurement fails. Each test starts its own server;
// where no redis-server binary is installed they say so and pass (CI installs it: bash setup.sh).

#include <catch2/catch.hpp>

#include <signal.h>

#include <algorithm>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/samples.h"
#include "sim/config/curves.h"
#include "sim/config/tree.h"
#include "tests/support/temp_dir.h"

#ifdef SERVESIM_HIREDIS
#include "calib/broker_bench.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;

bool have_redis() {
  if (RedisServer::available()) return true;
  WARN("redis-server is not installed (Debian: redis-server): broker benchmark test not run");
  return false;
}

bool alive(int pid) { return ::kill(pid, 0) == 0; }

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
          "[calib]") {
  if (!have_redis()) return;
  test::TempDir dir;
  std::ostringstream out, err;
  REQUIRE(calib_main({"bench", "broker", "--quick", "--out", dir.path().string()}, out, err) == 0);
  INFO(out.str() << err.str());
  const auto samples = read_samples(dir.path() / "samples.csv");
  std::vector<double> small, large;
  int rtt = 0;
  for (const Sample& s : samples) {
    if (s.kernel == "redis_rtt") ++rtt;
    if (s.kernel != "redis_op") continue;
    CHECK(s.seconds > 0);
    if (s.bytes == 64) small.push_back(s.seconds);
    if (s.bytes == 262144) large.push_back(s.seconds);
  }
  // 4 payloads x 3 blocks: the mean of a push and a pop each, and a round trip.
  CHECK(small.size() == 3);
  CHECK(large.size() == 3);
  CHECK(rtt == 12);
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
  CHECK_THAT(set.at("redis_op").source, Contains("servesim calib bench broker --quick on "));
  CHECK_THAT(set.at("redis_op").source, Contains("redis-server 7"));
}

}  // namespace
}  // namespace servesim::calib
#endif
