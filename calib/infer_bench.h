#pragma once
/// `calib bench infer`: whole networks (ResNet-50, ViT-B/16) in the inference frameworks this
/// servesim was built with, on this machine's CPU: time per batch (samples a curve is fitted
/// to), peak memory by batch, and the time to build a network and run its first pass. The
/// frameworks: libtorch (PyTorch's C++ API) and OpenCV DNN where they were found at build time,
/// and calib's own Eigen encoder block; each network is defined in code with random weights,
/// nothing is read or downloaded (docs/frameworks.md).

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "calib/machine.h"
#include "calib/samples.h"

namespace servesim::calib {

/// A network built with random weights, run on a batch of 224x224 RGB images (float32, NCHW;
/// the input of each batch size made once and kept).
class InferNet {
 public:
  virtual ~InferNet() = default;
  /// One forward pass over `batch` images.
  virtual void run(int batch) = 0;
  /// The bytes of its parameters (float32), as the framework holds them.
  virtual double weight_bytes() const = 0;
  /// A sum over the last output, so that a test can tell it computed something.
  virtual double checksum() const = 0;
};

/// A framework calib can time: its name, version and the networks it can build.
struct InferBackend {
  std::string framework;            // "libtorch", "opencv_dnn", "eigen"
  std::string version;              // the library's own
  std::vector<std::string> models;  // of "resnet50", "vit_b16"
  /// What its networks leave out or fold, for the report (empty: the whole network).
  std::string note;
  /// Builds `model` (one of `models`) with weights drawn from `seed`, to run on `threads`.
  std::function<std::unique_ptr<InferNet>(std::string_view model, int threads, std::uint64_t seed)>
      make;
};

/// The backends this servesim was built with, in a fixed order (libtorch, opencv_dnn, eigen);
/// the first two from their plugin, loaded on the first call (calib/infer_backends.h).
std::vector<InferBackend> infer_backends();
/// Whether the plugin loaded ("loaded: libtorch 1.13.0 ..."), or why not.
std::string infer_plugin_status();

/// Every network available by its kernel name, "<model>_<framework>" ("resnet50_opencv_dnn").
std::vector<std::string> infer_kernel_names();
/// Builds the network `kernel` names (one of infer_kernel_names()) to run on `threads`; throws
/// std::invalid_argument, naming the ones available, for any other name.
std::unique_ptr<InferNet> make_infer_net(std::string_view kernel, int threads = 1,
                                         std::uint64_t seed = 1);
/// The framework and model of a kernel name: {"opencv_dnn", "resnet50"}; empty when it is none.
std::pair<std::string, std::string> infer_kernel_parts(std::string_view kernel);

/// How copies of a network slow each other when they run at once (shared caches, memory
/// bandwidth): node.cpu.efficiency's table for this kernel (docs/model.md, "CPU pool").
struct InferEfficiency {
  std::vector<int> busy_cores;         // 1 .. the copies
  std::vector<double> factor;          // per-copy speed with k running, over one alone
  std::vector<double> median_seconds;  // a pass at batch 1, with k running
};
/// Runs 1, 2, ..., `copies` copies of network `kernel` at once, each built afresh on a thread of
/// its own with one intra-op thread, each timing `passes` passes at batch 1 after an untimed one;
/// factor[k] = the median pass alone / the median pass of all copies with k running.
InferEfficiency measure_infer_efficiency(std::string_view kernel, int copies, int passes,
                                         std::uint64_t seed = 1);

/// The models any backend knows, with their input (224x224x3) and what a pass costs.
struct InferModel {
  std::string_view name;
  double gflops;  // per image, multiply-adds counted as 2
  std::string_view source;
};
std::span<const InferModel> infer_models();

struct InferPlan {
  std::vector<int> batches{1, 2, 4, 8};
  int repeats = 2;  // timed passes per batch, after one untimed pass that measures the memory
  /// A batch whose untimed pass takes longer than this, in seconds, is the network's last (the
  /// larger ones are skipped and reported as such); <= 0: no limit.
  double max_pass_seconds = 0;
  int threads = 1;                      // each framework's intra-op threads
  std::vector<std::string> frameworks;  // to run; empty: every backend
  std::vector<std::string> models;      // to run; empty: every model a backend has
  std::uint64_t seed = 1;
  bool progress = false;
};

/// quick: batches 1, 2, 4, 8, 2 timed passes, passes capped at 10 s; full: batches 1 .. 128 in
/// powers of two, 3 timed passes, capped at 60 s.
InferPlan infer_plan(bool quick);

/// Building a network: wall seconds to build it and draw its weights, then its first pass at
/// batch 1 (the framework's one-time work: kernel selection, buffers), and the resident memory
/// the build added.
struct InferLoad {
  std::string framework, model;
  int threads = 1;
  double build_s = 0;
  double first_pass_s = 0;
  double weight_bytes = 0;
  double resident_bytes = 0;  // VmRSS after the build less before
};

/// The memory one pass takes beyond the weights: on a network just built, the peak resident
/// size during its first pass at `batch` (VmHWM, reset before it) less the resident size before
/// it (the weights); the input tensor, activations, workspaces and the framework's one-time
/// buffers included.
struct InferMemory {
  std::string framework, model;
  int batch = 1;
  int threads = 1;
  double peak_bytes = 0;
};

struct InferRun {
  std::vector<Sample> samples;  // kernel "<model>_<framework>", one per timed pass
  std::vector<InferLoad> loads;
  std::vector<InferMemory> memory;
  std::vector<std::string> notes;  // skipped batches, backends' notes
  double others_cores = -1;        // what other processes used meanwhile (-1: unknown)
  bool memory_measured = false;    // whether the kernel let VmHWM be reset
  MachineInfo machine;
};

/// Runs the plan: per backend and model, build and first pass (InferLoad); then per batch a
/// network built afresh, one untimed pass (InferMemory) and plan.repeats timed ones. Throws
/// UsageError for a framework or model no backend has; std::runtime_error when a network computes
/// nothing (a zero or non-finite checksum).
InferRun run_infer_bench(const InferPlan& plan, std::ostream& log);

/// framework,model,threads,build_s,first_pass_s,weight_bytes,resident_bytes
std::string infer_load_csv(std::span<const InferLoad> loads);
/// framework,model,batch,threads,peak_bytes
std::string infer_memory_csv(std::span<const InferMemory> memory);
/// Per network and batch, in the order run: the median of its timed passes and its peak memory.
struct InferSummary {
  std::string kernel, framework, model;
  int batch = 1;
  int threads = 1;
  int passes = 0;
  double median_s = 0;
  double gflops = 0;      // per image (InferModel)
  double peak_bytes = 0;  // 0: not measured
};
std::vector<InferSummary> infer_summary(const InferRun& run);
/// framework,model,batch,threads,passes,median_s,images_per_s,gflops_per_s,peak_bytes
std::string infer_summary_csv(std::span<const InferSummary> rows);
/// The table the verb prints: per network and batch, the median time per batch and per image,
/// images/s, GFLOP/s and peak memory; then build and first-pass times.
std::string infer_table(const InferRun& run);

}  // namespace servesim::calib
