// Tests of the loopback HTTP inference server and client (calib/http_loopback.h) and of the
// benchmark that times them (servesim calib bench net): the handler sees exactly the bytes sent,
// malformed requests get a 4xx without stopping the server, nothing waits forever, and a quick
// bench writes samples that calib reads and fits.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "calib/calib_cli.h"
#include "calib/http_loopback.h"
#include "calib/machine.h"
#include "calib/net_bench.h"
#include "calib/samples.h"
#include "sim/config/tree.h"
#include "sim/scenario/curves.h"
#include "tests/support/temp_dir.h"

namespace servesim::calib {
namespace {

using Catch::Matchers::Contains;
using Clock = std::chrono::steady_clock;

/// `n` bytes of every value, zeros included, in no simple order.
std::string bytes_of(std::size_t n) {
  std::string s(n, '\0');
  std::uint32_t x = 12345;
  for (auto& c : s) {
    x = x * 1664525U + 1013904223U;
    c = static_cast<char>(x >> 24);
  }
  return s;
}

/// A plain socket to the server, for requests the real client would never send. Reads give up
/// after 5 s, so a server that does not answer fails the test instead of hanging it.
class RawConnection {
 public:
  explicit RawConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    const timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~RawConnection() { ::close(fd_); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// Sends what it can (the server may close early); false when it could not send it all.
  bool send(const std::string& text) {
    std::size_t at = 0;
    while (at < text.size()) {
      const auto n = ::send(fd_, text.data() + at, text.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return false;
      at += static_cast<std::size_t>(n);
    }
    return true;
  }
  /// What the server sends until it closes the connection, or `until` appears in it; whether
  /// it got there (false: an error, or 5 s without a byte).
  bool read(std::string& got, const std::string& until = "") {
    char buf[4096];
    for (;;) {
      if (!until.empty() && got.find(until) != std::string::npos) return true;
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return until.empty();
      if (n < 0) return false;
      got.append(buf, static_cast<std::size_t>(n));
    }
  }

 private:
  int fd_;
};

/// The status code of the first response in `text`, 0 if there is none.
int status_of(const std::string& text) {
  if (text.rfind("HTTP/1.1 ", 0) != 0 || text.size() < 12) return 0;
  return std::stoi(text.substr(9, 3));
}

std::string request(const std::string& headers, const std::string& body = "") {
  return "POST /v2/models/m/infer HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n" + body;
}

TEST_CASE("the loopback HTTP server hands its handler exactly the bytes a client sent",
          "[calib][threads]") {
  std::mutex mu;
  std::vector<std::string> seen_data, seen_models, seen_json;
  HttpServerOptions options;
  options.handler = [&](const InferRequest& r) {
    const std::lock_guard lock(mu);
    seen_data.emplace_back(r.data());
    seen_models.push_back(r.model);
    seen_json.emplace_back(r.json());
    return "{\"n\":" + std::to_string(seen_data.size()) + "}";
  };
  const HttpServer server(options);
  REQUIRE(server.port() > 0);
  HttpClient client(server.port(), std::chrono::seconds(10));
  const std::vector<std::size_t> sizes = {0, 1, 1 << 20, 1};
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::string data = bytes_of(sizes[i]);
    const HttpClient::Response r = client.infer("resnet50", data);  // one connection for all
    CHECK(r.status == 200);
    CHECK(r.body == "{\"n\":" + std::to_string(i + 1) + "}");
    const std::lock_guard lock(mu);
    REQUIRE(seen_data.size() == i + 1);
    CHECK(seen_data[i].size() == sizes[i]);
    CHECK(seen_data[i] == data);
    CHECK(seen_models[i] == "resnet50");
    CHECK(seen_json[i] == infer_header_json(sizes[i]));
  }
  CHECK(server.answered() == sizes.size());
  CHECK(server.refused() == 0);
  CHECK(server.cpu_ns() > 0);

  // Without a handler: a classification result, and a versioned target is the same model.
  const HttpServer plain;
  HttpClient other(plain.port());
  const auto r = other.infer("vit", "jpeg");
  CHECK(r.status == 200);
  CHECK(r.body == classification_response("vit"));
  CHECK(r.body.size() > 100);
  CHECK(r.body.size() < 200);
}

TEST_CASE("each of the HTTP server's threads calls on_thread_start once, on itself",
          "[calib][threads]") {
  std::mutex mu;
  std::vector<std::thread::id> started;
  HttpServerOptions options;
  options.threads = 3;
  options.on_thread_start = [&] {
    const std::lock_guard lock(mu);
    started.push_back(std::this_thread::get_id());
  };
  {
    const HttpServer server(options);
    HttpClient client(server.port(), std::chrono::seconds(10));
    CHECK(client.infer("m", "x").status == 200);
  }  // the destructor joins the threads: each has started by then
  REQUIRE(started.size() == 3);
  CHECK(started[0] != started[1]);
  CHECK(started[1] != started[2]);
  CHECK(started[0] != started[2]);
  CHECK(std::find(started.begin(), started.end(), std::this_thread::get_id()) == started.end());
}

TEST_CASE("a malformed HTTP request gets a 4xx, and the server goes on serving",
          "[calib][threads]") {
  HttpServerOptions options;
  options.max_body = 64 << 20;
  options.idle_timeout = std::chrono::milliseconds(300);
  const HttpServer server(options);
  struct Case {
    const char* what;
    std::string text;
    int status;
  };
  const std::string h = "Inference-Header-Content-Length: 2\r\n";
  const std::vector<Case> cases = {
      {"bad Content-Length", request(h + "Content-Length: 1x\r\n", "{}x"), 400},
      {"no Inference-Header-Content-Length", request("Content-Length: 3\r\n", "abc"), 400},
      {"header length not a count",
       request("Inference-Header-Content-Length: -2\r\nContent-Length: 3\r\n", "abc"), 400},
      {"header length past the body",
       request("Inference-Header-Content-Length: 9\r\nContent-Length: 3\r\n", "abc"), 400},
      {"body over the limit", request(h + "Content-Length: 104857600\r\n", "{}abc"), 413},
      {"chunked body over the limit",
       request(h + "Transfer-Encoding: chunked\r\n", "5000000\r\n" + std::string(1000, 'x')), 413},
      {"another path", "POST /v2/health/ready HTTP/1.1\r\nHost: x\r\n" + h + "\r\n", 404},
      {"another method", "GET /v2/models/m/infer HTTP/1.1\r\nHost: x\r\n\r\n", 405},
      {"not HTTP", "hello there\r\n\r\n", 400},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    RawConnection conn(server.port());
    conn.send(c.text);
    std::string got;
    CHECK(conn.read(got));  // the server answers and closes: no hang
    CHECK(status_of(got) == c.status);
    CHECK_THAT(got, Contains("{\"error\":\""));
  }
  CHECK(server.refused() == cases.size());

  // A client that sends half a header and falls silent is closed after the idle timeout.
  {
    RawConnection silent(server.port());
    silent.send("POST /v2/models/m/infer HTTP/1.1\r\nHo");
    const auto t0 = Clock::now();
    std::string got;
    CHECK(silent.read(got));
    CHECK(got.empty());
    CHECK(Clock::now() - t0 < std::chrono::seconds(4));
  }
  // Expect: 100-continue is answered before the body is sent.
  {
    RawConnection conn(server.port());
    conn.send(request(h + "Content-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n"));
    std::string got;
    REQUIRE(conn.read(got, "\r\n\r\n"));
    CHECK(status_of(got) == 100);
    conn.send("{}abc");
    CHECK(conn.read(got));
    CHECK_THAT(got, Contains("HTTP/1.1 200 OK"));
  }
  // And a well-formed request still gets its answer.
  HttpClient client(server.port(), std::chrono::seconds(5));
  CHECK(client.infer("m", "abc").status == 200);
  CHECK(server.answered() == 2);
}

TEST_CASE("the HTTP client fails with a message instead of waiting forever", "[calib][threads]") {
  int port = 0;
  {
    const HttpServer gone;
    port = gone.port();
  }
  CHECK_THROWS_WITH(HttpClient(port), Contains("cannot connect to 127.0.0.1:"));

  // A listener that never accepts: the kernel completes the connection, nobody answers.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 4) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  HttpClient client(ntohs(a.sin_port), std::chrono::milliseconds(200));
  const auto t0 = Clock::now();
  CHECK_THROWS_WITH(client.infer("m", "abc"), Contains("failed"));
  CHECK(Clock::now() - t0 < std::chrono::seconds(3));
  CHECK_THROWS_WITH(client.infer("m", "abc"), Contains("closed the connection"));
  ::close(fd);

  // A server that refuses a request answers it; the client hands the answer back and then
  // knows the connection is closed.
  HttpServerOptions small;
  small.max_body = 1000;
  const HttpServer server(small);
  HttpClient sender(server.port(), std::chrono::seconds(5));
  const auto refused = sender.infer("m", bytes_of(5000));
  CHECK(refused.status == 413);
  CHECK_THROWS_WITH(sender.infer("m", "abc"), Contains("closed the connection"));
}

TEST_CASE("calib bench net --quick writes the three curves' samples, which calib reads and fits",
          "[calib][threads]") {
  test::TempDir dir;
  std::ostringstream out, err;
  REQUIRE(calib_main({"bench", "net", "--quick", "--out", dir.path().string()}, out, err) == 0);
  INFO(out.str() << err.str());
  const auto samples = read_samples(dir.path() / "samples.csv");
  std::map<std::string, std::map<double, int>> count;
  for (const Sample& s : samples) {
    ++count[s.kernel][s.bytes];
    CHECK(s.seconds > 0);
    CHECK(s.threads == 1);
  }
  // 4 payloads x 3 blocks of each curve, and nothing else.
  const std::map<double, int> each = {{1024, 3}, {16384, 3}, {262144, 3}, {4194304, 3}};
  CHECK(count.size() == 3);
  CHECK(count["http_server_request"] == each);
  CHECK(count["http_client_request"] == each);
  CHECK(count["http_loopback_request"] == each);
  const MachineInfo m = read_machine(dir.path() / "machine.yaml");
  CHECK(m.command == "servesim calib bench net --quick");
  CHECK(m.repeats == 3);
  std::ifstream scaling(dir.path() / "net_scaling.csv");
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(scaling, line)) lines.push_back(line);
  REQUIRE(lines.size() == 3);  // the header, 1 and 2 clients at 64 KiB
  CHECK(lines[0] ==
        "payload_bytes,clients,server_threads,requests_per_s,server_busy,server_cpu_s,"
        "client_cpu_s");
  CHECK(lines[2].rfind("65536,2,1,", 0) == 0);
  CHECK(std::filesystem::exists(dir.path() / "net_summary.csv"));
  CHECK_THAT(out.str(), Contains("next: servesim calib fit"));
  CHECK_THAT(err.str(), Contains("servesim calib bench net: HTTP/1.1"));

  const auto curves = dir.path() / "net.yaml";
  REQUIRE(calib_main({"fit", (dir.path() / "samples.csv").string(), "--out", curves.string()}, out,
                     err) == 0);
  const CurveSet set = parse_curves(*load_config_file(curves).find("curves"));
  CHECK(set.count("http_server_request") == 1);
  CHECK(set.count("http_client_request") == 1);
  CHECK(set.count("http_loopback_request") == 1);
  CHECK_THAT(set.at("http_server_request").source, Contains("servesim calib bench net --quick"));
  CHECK_THAT(set.at("http_server_request").source, Contains("boost.beast 1.74"));
}

TEST_CASE("calib bench net: usage mistakes exit 2 before any timing", "[unit]") {
  test::TempDir dir;
  std::ostringstream out, err;
  CHECK(calib_main({"bench", "net"}, out, err) == 2);  // --out is required
  const auto file = dir.write("taken", "x");
  std::ostringstream out2, err2;
  CHECK(calib_main({"bench", "net", "--out", file.string()}, out2, err2) == 2);
  CHECK_THAT(err2.str(), Contains("--out"));
  CHECK(out2.str().empty());
}

TEST_CASE("an HTTP request's CPU cost on each side grows with its payload", "[calib][real]") {
  NetPlan plan;
  plan.payloads = {1024, 4 << 20};
  plan.ops = 200;
  plan.block_bytes = 32 << 20;  // 8 requests of 4 MiB per block
  plan.min_ops = 8;
  plan.blocks = 3;
  std::ostringstream log;
  const auto samples = measure_http_requests(plan, log);
  std::map<std::string, std::map<double, std::vector<double>>> t;
  for (const Sample& s : samples) t[s.kernel][s.bytes].push_back(s.seconds);
  // Moving 4 MiB through the kernel and into a buffer takes well over a millisecond of CPU on
  // either side; a 1 kB request takes tens of microseconds. A factor of 5 holds on any machine
  // that is not starved for whole blocks.
  for (const char* k : {"http_server_request", "http_client_request", "http_loopback_request"}) {
    INFO(k << "\n" << log.str());
    CHECK(median(t[k][4 << 20]) > 5 * median(t[k][1024]));
  }
}

}  // namespace
}  // namespace servesim::calib
