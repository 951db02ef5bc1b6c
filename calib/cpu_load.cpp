// The CPU-efficiency half of `calib bench memory`: each calib kernel run by k threads at once.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>

#include "calib/inference.h"
#include "calib/kernels.h"
#include "calib/memory_bench.h"
#include "calib/timing.h"

namespace servesim::calib {

namespace {

/// One item of a kernel, with the state of the thread that runs it (its own decoder, buffers,
/// weights), as a serving worker holds its own.
using Item = std::function<void()>;

struct LoadKernel {
  std::string name;
  std::function<Item()> make;  // called on the thread that will run the items
};

std::size_t rgb_size(ImageSize s) {
  return static_cast<std::size_t>(s.width) * static_cast<std::size_t>(s.height) * 3;
}

/// The inputs every thread reads: the medium JPEGs, one of them decoded, a model input.
struct SharedInputs {
  std::vector<JpegImage> jpegs;
  std::vector<unsigned char> decoded;
  std::vector<unsigned char> model_rgb;
};

Item decode_item(const SharedInputs& in, int denom) {
  auto dec = std::make_shared<JpegDecoder>();
  auto rgb = std::make_shared<std::vector<unsigned char>>();
  auto next = std::make_shared<std::size_t>(0);
  return [&in, dec, rgb, next, denom] {
    dec->decode(in.jpegs[*next], 1, denom, *rgb);
    *next = (*next + 1) % in.jpegs.size();
  };
}

std::vector<LoadKernel> load_kernels(const MemoryPlan& plan, const SharedInputs& in) {
  std::vector<LoadKernel> k;
  k.push_back({"jpeg_decode_cpu", [&in] { return decode_item(in, 1); }});
  for (const int d : {2, 4, 8})
    k.push_back(
        {"jpeg_decode_cpu_scale_1_" + std::to_string(d), [&in, d] { return decode_item(in, d); }});
  for (const Interp interp : {Interp::kLinear, Interp::kArea})
    k.push_back({"resize_" + std::string(interp_name(interp)) + "_cpu", [&in, &plan, interp] {
                   auto dst =
                       std::make_shared<std::vector<unsigned char>>(rgb_size(plan.model_input));
                   return Item([&in, &plan, interp, dst] {
                     resize_rgb(in.decoded, plan.image, *dst, plan.model_input, interp);
                   });
                 }});
  k.push_back({"normalize_chw_cpu", [&in, &plan] {
                 auto chw = std::make_shared<std::vector<float>>(rgb_size(plan.model_input));
                 return Item(
                     [&in, &plan, chw] { normalize_chw(in.model_rgb, plan.model_input, *chw); });
               }});
  k.push_back({"memcpy_host", [&plan] {
                 const std::size_t n = rgb_size(plan.image);
                 auto src = std::make_shared<std::vector<unsigned char>>(n, 1);
                 auto dst = std::make_shared<std::vector<unsigned char>>(n, 2);
                 return Item([src, dst] { std::memcpy(dst->data(), src->data(), src->size()); });
               }});
  k.push_back({"vit_tiny_block_cpu", [] {
                 auto block = std::make_shared<EncoderBlock>();
                 return Item([block] { block->run(1); });
               }});
  k.push_back({"conv3x3_cpu", [] {
                 auto conv = std::make_shared<ConvLayer>();
                 return Item([conv] { conv->run(1); });
               }});
  return k;
}

/// `threads` threads each run `kernel`'s items in a loop for `seconds`, released together; the
/// time per item per thread, ns. A thread counts an item only if the stop had not been given when
/// it finished: every counted item ran while all `threads` were still busy.
double per_item_ns(const LoadKernel& kernel, int threads, double seconds) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, stop{false};
  std::vector<long> items(static_cast<std::size_t>(threads), 0);
  std::vector<double> busy(static_cast<std::size_t>(threads), 0);
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(threads));
  auto body = [&](std::size_t t) {
    Item item;
    try {
      item = kernel.make();
      item();  // warm, and its buffers sized
    } catch (...) {
      errors[t] = std::current_exception();
    }
    ready.fetch_add(1);
    while (!go.load()) std::this_thread::yield();
    if (errors[t]) return;
    try {
      const auto t0 = Clock::now();
      auto last = t0;
      while (!stop.load(std::memory_order_acquire)) {
        item();
        const auto now = Clock::now();
        if (stop.load(std::memory_order_acquire)) break;
        ++items[t];
        last = now;
      }
      busy[t] = std::chrono::duration<double>(last - t0).count();
    } catch (...) {
      errors[t] = std::current_exception();
    }
  };
  {
    std::vector<std::jthread> pool;
    pool.reserve(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t) pool.emplace_back(body, static_cast<std::size_t>(t));
    while (ready.load() < threads) std::this_thread::yield();
    go.store(true);
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    stop.store(true, std::memory_order_release);
  }  // joins
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  long n = 0;
  double s = 0;
  for (std::size_t t = 0; t < items.size(); ++t) n += items[t], s += busy[t];
  if (n == 0)
    throw std::runtime_error("calib bench memory: " + kernel.name + " finished no item in " +
                             std::to_string(seconds) + " s with " + std::to_string(threads) +
                             " threads (give it more time)");
  return s / static_cast<double>(n) * 1e9;
}

}  // namespace

std::vector<std::string> efficiency_kernel_names() {
  const MemoryPlan plan;
  const SharedInputs none;
  std::vector<std::string> names;
  for (const LoadKernel& k : load_kernels(plan, none)) names.push_back(k.name);
  return names;
}

std::vector<KernelLoad> measure_efficiency(const MemoryPlan& plan, int max_threads,
                                           std::ostream& log, ProgressBar* bar) {
  if (max_threads < 1 || plan.efficiency_repeats < 1 || !(plan.efficiency_seconds > 0))
    throw std::invalid_argument("measure_efficiency: threads, repeats and seconds must be > 0");
  opencv_single_thread();
  SharedInputs in;
  const ImageSize sizes[] = {plan.image};
  in.jpegs = make_corpus(sizes, plan.qualities, plan.seed);
  JpegDecoder dec;
  dec.decode(in.jpegs.at(0), 1, 1, in.decoded);
  in.model_rgb = synth_rgb(plan.model_input.width, plan.model_input.height, plan.seed);

  std::vector<LoadKernel> all = load_kernels(plan, in), kernels;
  for (const std::string& name : plan.kernels) {
    const auto it = std::find_if(all.begin(), all.end(), [&](auto& k) { return k.name == name; });
    if (it == all.end()) throw std::invalid_argument("no efficiency kernel '" + name + "'");
    kernels.push_back(*it);
  }
  if (plan.kernels.empty()) kernels = all;

  std::vector<KernelLoad> loads;
  loads.reserve(kernels.size());
  for (const LoadKernel& k : kernels) loads.emplace_back().kernel = k.name;
  // Round by round, so that a burst of other work on the machine falls on one run of every
  // kernel rather than on every run of one; a run during which other processes were busy is
  // measured again (one busy process on 2 cores takes a third of each of 2 threads: the
  // efficiency would be the neighbour's, not the machine's).
  for (int r = 0; r < plan.efficiency_repeats; ++r) {
    const auto t0 = Clock::now();
    int reruns = 0;
    double most = 0;
    for (std::size_t i = 0; i < kernels.size(); ++i) {
      if (bar)
        bar->update(static_cast<std::size_t>(r) * kernels.size() + i,
                    static_cast<std::size_t>(plan.efficiency_repeats) * kernels.size(),
                    "efficiency", "kernel runs");
      std::vector<double> run;
      double others = -1;
      for (int attempt = 0;; ++attempt) {
        const auto a0 = Clock::now();
        const CpuClock c0 = cpu_clock();
        run.clear();
        for (int t = 1; t <= max_threads; ++t)
          run.push_back(per_item_ns(kernels[i], t, plan.efficiency_seconds));
        others =
            other_load(c0, cpu_clock(), std::chrono::duration<double>(Clock::now() - a0).count());
        if (plan.quiet_cores < 0 || others <= plan.quiet_cores || attempt >= plan.max_reruns) break;
        ++reruns;
        ++loads[i].reruns;
      }
      most = std::max(most, others);
      loads[i].per_item_ns.push_back(std::move(run));
      loads[i].others_cores.push_back(others);
    }
    char buf[200];
    std::snprintf(
        buf, sizeof buf,
        "  efficiency run %d/%d: %zu kernels x %d thread counts  %.1f s; %d re-run (other "
        "processes busy), at most %.2f other cores in a kept run\n",
        r + 1, plan.efficiency_repeats, kernels.size(), max_threads,
        std::chrono::duration<double>(Clock::now() - t0).count(), reruns, most);
    if (bar) bar->finish();
    log << buf << std::flush;
  }
  return loads;
}

}  // namespace servesim::calib
