#pragma once
/// A real two-stage fan-out pipeline through a real Redis, the system `servesim validate
/// --broker` predicts: stage-1 worker threads decode a JPEG (the "detector" stand-in) and LPUSH k
/// crops of it to a Redis list; stage-2 worker threads BRPOP them and resize + normalise each
/// crop (the "identifier" stand-in); a request completes when its k-th crop is done. The `fused`
/// variant has no Redis: the stage-1 worker processes its k crops itself.

#include <cstdint>
#include <memory>
#include <span>

#include "calib/corpus.h"

namespace servesim::validate {

struct BrokerPipelineConfig {
  int clients = 4;         // closed loop: each sends its next request when the last completes
  int stage1_workers = 1;  // decode + crop + LPUSH (fused: decode, then the k crops' kernel)
  int stage2_workers = 2;  // BRPOP + resize + normalise (unused when fused)
  int fanout = 1;          // k: crops (child messages) per request
  bool fused = false;      // no Redis: stage-1 workers run the children inline
  int redis_port = 0;      // a running redis-server on 127.0.0.1 (not fused)
  calib::ImageSize crop{160, 160};       // a child's payload: this crop of the decoded image, RGB
  calib::ImageSize child_out{224, 224};  // stage 2 resizes the crop to this, then normalises it
  double warmup_s = 0.5;
  double window_s = 2.5;
  std::uint64_t seed = 1;  // which image each request carries
};

struct BrokerPipelineResult {
  double window_s = 0;
  std::uint64_t completed = 0;  // requests completed in the window
  double throughput_rps = 0;
  double latency_mean_s = 0, p50_s = 0, p99_s = 0;  // arrival to the last child's end
  std::uint64_t child_completed = 0;
  double child_p50_s = 0, child_p99_s = 0;    // a child's emission (stage 1's end) to its end
  double stage1_service_s = 0;                // mean decode + crops (+ children when fused), wall
  double stage2_service_s = 0;                // mean resize + normalise of one child, wall
  double stage1_cpu_s = 0, stage2_cpu_s = 0;  // the same calls' mean thread CPU time
};

/// The size of a child message: the crop's RGB bytes and an 8-byte header (request, child).
double child_message_bytes(const BrokerPipelineConfig& c);

/// Runs the pipeline for warmup_s + window_s of wall time on `images` (each request one, drawn
/// uniformly). Blocks; throws std::invalid_argument on a bad config, std::runtime_error when
/// Redis fails.
BrokerPipelineResult run_broker_pipeline(const BrokerPipelineConfig& config,
                                         std::span<const calib::JpegImage> images);

/// The kernels the stages run, for calibrating them in isolation: stage 1 (decode `jpeg`, copy
/// out k crops) and stage 2 (one crop in, resized and normalised).
class BrokerKernels {
 public:
  explicit BrokerKernels(const BrokerPipelineConfig& c);
  ~BrokerKernels();
  BrokerKernels(const BrokerKernels&) = delete;
  BrokerKernels& operator=(const BrokerKernels&) = delete;
  /// Decodes and writes `k` crops (child_message_bytes each, header included) into `out`.
  void stage1(const calib::JpegImage& jpeg, int k, std::uint32_t request, unsigned char* out);
  /// Resizes and normalises one child message (header skipped).
  void stage2(const unsigned char* message);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace servesim::validate
