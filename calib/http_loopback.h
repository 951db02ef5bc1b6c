#pragma once
/// A small HTTP/1.1 inference server and client on the loopback interface (Boost.Beast over
/// Boost.Asio), speaking the part of the KServe v2 protocol an image classifier uses: `POST
/// /v2/models/NAME/infer` with the tensor in binary after a JSON inference header (Triton's
/// binary tensor extension: `Inference-Header-Content-Length` says where the JSON ends).
/// `calib bench net` times them; the server can also take real requests for a real pipeline.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace servesim::calib {

/// One well-formed inference request as the server received it.
struct InferRequest {
  std::string model;  // NAME from the target /v2/models/NAME/infer
  std::string body;   // the whole body: the JSON inference header, then the tensor's bytes
  std::size_t header_bytes = 0;  // Inference-Header-Content-Length

  std::string_view json() const { return std::string_view(body).substr(0, header_bytes); }
  /// The binary tensor data after the JSON header (a JPEG's bytes).
  std::string_view data() const { return std::string_view(body).substr(header_bytes); }
};

/// Answers a request with the response body (JSON). Called on a server thread, so concurrently
/// when the server has several; an exception becomes a 500 response carrying its message.
using InferHandler = std::function<std::string(const InferRequest&)>;

/// A classification result as Triton's classification extension writes it (~130 bytes): what
/// the server answers when it has no handler.
std::string classification_response(std::string_view model);

struct HttpServerOptions {
  int threads = 1;                  // threads running the server (Triton: --http-thread-count)
  std::size_t max_body = 64 << 20;  // a longer body is refused with 413 before it is read
  std::chrono::milliseconds idle_timeout{30000};  // a connection silent this long is closed
  InferHandler handler;                           // empty: classification_response
  // Thread i runs on CPU cpus[i % size] (where the kernel allows); empty: wherever it puts it.
  std::vector<int> cpus;
  // Called first on each of the server's threads (e.g. to note its thread id for per-thread
  // accounting); empty: nothing.
  std::function<void()> on_thread_start;
};

/// Listens on 127.0.0.1 at a port the kernel picks, served by `threads` threads; stops (closes
/// every connection, joins its threads) when destroyed. Bad requests get a 4xx and, after it,
/// the connection is closed; the server goes on serving the others.
class HttpServer {
 public:
  /// Throws std::runtime_error when it cannot listen or threads < 1.
  explicit HttpServer(HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  int threads() const;
  /// CPU time the server's threads have used so far, ns, summed (each thread's CPU clock).
  double cpu_ns() const;
  /// Requests answered 200, and those refused with an error status, so far.
  std::uint64_t answered() const;
  std::uint64_t refused() const;

  struct State;  // the io_context, acceptor and threads (http_loopback.cpp)

 private:
  std::unique_ptr<State> state_;
};

/// One keep-alive connection to an HttpServer (or any server of the same protocol). Not
/// thread-safe: one client per thread. Throws std::runtime_error when the connection fails or
/// a request takes longer than `timeout`.
class HttpClient {
 public:
  HttpClient(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(30000));
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  struct Response {
    int status = 0;
    std::string body;
  };
  /// POSTs `data` as a UINT8 tensor of data.size() bytes to /v2/models/`model`/infer and reads
  /// the response. The connection is reused; the server closing it is an error.
  Response infer(std::string_view model, std::string_view data);

  struct State;

 private:
  std::unique_ptr<State> state_;
};

/// The JSON inference header the client sends for a UINT8 tensor of `bytes` bytes.
std::string infer_header_json(std::size_t bytes);

}  // namespace servesim::calib
