#include "calib/infer_bench.h"

#include <dlfcn.h>
#include <malloc.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "calib/infer_backends.h"
#include "calib/plugin.h"
#include "calib/timing.h"
#include "sim/cli/verbs.h"
#include "sim/config/progress.h"

namespace servesim::calib {

namespace {

constexpr InferModel kModels[] = {
    {"resnet50", 8.18,
     "torchvision's ResNet50_Weights table: 4.09 GFLOPS, counting multiply-adds (x2 here)"},
    {"vit_b16", 35.12,
     "torchvision's ViT_B_16_Weights table: 17.56 GFLOPS, counting multiply-adds (x2 here)"},
};

/// VmRSS and VmHWM of this process from /proc/self/status, bytes; -1 when absent.
struct Resident {
  double rss = -1, hwm = -1;
};
Resident resident() {
  Resident r;
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    double kb = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lf kB", &kb) == 1) r.rss = kb * 1024;
    if (std::sscanf(line.c_str(), "VmHWM: %lf kB", &kb) == 1) r.hwm = kb * 1024;
  }
  return r;
}

/// Resets VmHWM to the current resident size (Linux 4.0+); false when the kernel refuses.
bool reset_peak() {
  std::ofstream out("/proc/self/clear_refs");
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

void check_output(const InferNet& net, const std::string& what) {
  const double c = net.checksum();
  if (!std::isfinite(c) || c == 0)
    throw std::runtime_error(what + ": the network's output sums to " + std::to_string(c) +
                             " (it computed nothing)");
}

bool wanted(const std::vector<std::string>& filter, const std::string& name) {
  return filter.empty() || std::find(filter.begin(), filter.end(), name) != filter.end();
}

std::string num(double v, int precision) {
  std::ostringstream s;
  s.precision(precision);
  s << v;
  return s.str();
}

/// The BLAS this process loaded (libtorch's matrix products go through it; Debian picks it by
/// update-alternatives): the real path of the first mapped file named libblas or libopenblas,
/// or empty.
std::string loaded_blas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::string path = line.substr(slash);
    if (path.find("libblas") == std::string::npos &&
        path.find("libopenblas") == std::string::npos &&
        path.find("libblis") == std::string::npos && path.find("libmkl") == std::string::npos)
      continue;
    std::error_code ec;
    const std::filesystem::path real = std::filesystem::canonical(path, ec);
    return ec ? path : real.string();
  }
  return {};
}

/// The plugin's backends (calib/infer_backends.h), loaded once: beside this binary, in the
/// install's library directory, or in the build tree that built it; none where it was not built.
/// `why_not` says what was tried when none loads.
std::vector<InferBackend> plugin_backends(std::string& why_not) {
#ifdef SERVESIM_INFER_PLUGIN_BUILT
  static std::string tried;
  static void* handle = open_plugin(kInferPluginFile, SERVESIM_INFER_PLUGIN_BUILT, tried);
  std::vector<InferBackend> b;
  if (!handle) {
    why_not = tried;
    return b;
  }
  if (void* entry = dlsym(handle, kInferPluginEntry))
    reinterpret_cast<InferPluginEntry>(entry)(&b);
  else
    why_not = std::string(kInferPluginFile) + " has no " + kInferPluginEntry;
  return b;
#else
  why_not = "built without libtorch and OpenCV DNN";
  return {};
#endif
}

}  // namespace

std::span<const InferModel> infer_models() { return kModels; }

std::vector<InferBackend> infer_backends() {
  std::string why_not;
  std::vector<InferBackend> b = plugin_backends(why_not);
  b.push_back(eigen_backend());
  return b;
}

std::string infer_plugin_status() {
  std::string why_not;
  const std::vector<InferBackend> b = plugin_backends(why_not);
  if (!why_not.empty()) return why_not;
  std::string s = "loaded:";
  for (const InferBackend& x : b) s += " " + x.framework + " " + x.version;
  return s;
}

std::vector<std::string> infer_kernel_names() {
  std::vector<std::string> names;
  for (const InferBackend& b : infer_backends())
    for (const std::string& m : b.models) names.push_back(m + "_" + b.framework);
  return names;
}

std::pair<std::string, std::string> infer_kernel_parts(std::string_view kernel) {
  for (const InferBackend& b : infer_backends())
    for (const std::string& m : b.models)
      if (kernel == m + "_" + b.framework) return {b.framework, m};
  return {};
}

std::unique_ptr<InferNet> make_infer_net(std::string_view kernel, int threads, std::uint64_t seed) {
  if (const auto [framework, model] = infer_kernel_parts(kernel); !framework.empty())
    for (const InferBackend& b : infer_backends())
      if (b.framework == framework) return b.make(model, threads, seed);
  std::string have;
  for (const std::string& n : infer_kernel_names()) have += (have.empty() ? "" : ", ") + n;
  throw std::invalid_argument("no network '" + std::string(kernel) + "' (available: " + have +
                              "; libtorch's and OpenCV DNN's plugin: " + infer_plugin_status() +
                              ")");
}

InferEfficiency measure_infer_efficiency(std::string_view kernel, int copies, int passes,
                                         std::uint64_t seed) {
  if (copies < 1 || passes < 1)
    throw std::invalid_argument("measure_infer_efficiency: copies and passes must be >= 1");
  InferEfficiency e;
  std::vector<std::unique_ptr<InferNet>> nets(static_cast<std::size_t>(copies));
  for (auto& net : nets) net = make_infer_net(kernel, 1, seed);
  for (int k = 1; k <= copies; ++k) {
    // Each copy's passes, timed on its own thread; the threads start together, and each runs
    // an untimed pass first (its buffers for batch 1), so the timed passes overlap throughout
    // but for the last one's tail.
    std::vector<std::vector<double>> times(static_cast<std::size_t>(k));
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(k));
    for (int c = 0; c < k; ++c)
      threads.emplace_back([&, c] {
        InferNet& net = *nets[static_cast<std::size_t>(c)];
        net.run(1);
        for (int r = 0; r < passes; ++r) {
          const auto t0 = Clock::now();
          net.run(1);
          times[static_cast<std::size_t>(c)].push_back(seconds_since(t0));
        }
      });
    for (std::thread& t : threads) t.join();
    std::vector<double> all;
    for (const auto& v : times) all.insert(all.end(), v.begin(), v.end());
    e.busy_cores.push_back(k);
    e.median_seconds.push_back(median(all));
    e.factor.push_back(e.median_seconds.front() / e.median_seconds.back());
  }
  return e;
}

InferPlan infer_plan(bool quick) {
  InferPlan p;
  if (quick) {
    p.batches = {1, 2, 4, 8};
    p.repeats = 2;
    p.max_pass_seconds = 10;
  } else {
    p.batches = {1, 2, 4, 8, 16, 32, 64, 128};
    p.repeats = 3;
    p.max_pass_seconds = 60;
  }
  return p;
}

namespace {

/// Every framework and model the plan names exists, and its sizes are positive.
void check_plan(const InferPlan& plan, const std::vector<InferBackend>& backends) {
  for (const std::string& f : plan.frameworks)
    if (std::none_of(backends.begin(), backends.end(),
                     [&](const InferBackend& b) { return b.framework == f; })) {
      std::string have;
      for (const InferBackend& b : backends) have += (have.empty() ? "" : ", ") + b.framework;
      throw UsageError("--frameworks: '" + f + "' is not available (available: " + have +
                       "; libtorch needs Debian's libtorch-dev, opencv_dnn libopencv-dnn-dev, "
                       "at configure time; their plugin: " +
                       infer_plugin_status() + ")");
    }
  for (const std::string& m : plan.models)
    if (std::none_of(std::begin(kModels), std::end(kModels),
                     [&](const InferModel& k) { return k.name == m; }))
      throw UsageError("--models: unknown model '" + m + "' (resnet50, vit_b16)");
  if (plan.batches.empty() || plan.repeats < 1 || plan.threads < 1)
    throw UsageError("bench infer: needs batches, --repeats >= 1 and --threads >= 1");
}

}  // namespace

InferRun run_infer_bench(const InferPlan& plan, std::ostream& log) {
  const std::vector<InferBackend> backends = infer_backends();
  check_plan(plan, backends);

  // Large blocks straight from mmap and back to the kernel when freed, so that a pass's peak
  // resident size counts the memory it allocates (glibc would otherwise keep freed blocks and
  // raise its mmap threshold up to 32 MiB, and a later pass would reuse them unseen).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);

  InferRun run;
  run.machine = this_machine();
  run.machine.command = "servesim calib bench infer";
  run.machine.warmup = 1;
  run.machine.repeats = plan.repeats;
  const auto t_all = Clock::now();
  const CpuClock c0 = cpu_clock();

  struct Job {
    const InferBackend* backend;
    std::string model;
  };
  std::vector<Job> jobs;
  for (const InferBackend& b : backends) {
    if (!wanted(plan.frameworks, b.framework)) continue;
    auto& libs = run.machine.libraries;
    if (std::none_of(libs.begin(), libs.end(),
                     [&](const auto& l) { return l.first == b.framework; }))
      libs.emplace_back(b.framework, b.version);
    if (!b.note.empty()) run.notes.push_back(b.framework + ": " + b.note);
    for (const std::string& m : b.models)
      if (wanted(plan.models, m)) jobs.push_back({&b, m});
  }
  ProgressBar bar(log, plan.progress);
  const std::size_t total = jobs.size() * plan.batches.size();
  std::size_t done = 0;
  run.memory_measured = true;
  for (const Job& job : jobs) {
    const std::string& fw = job.backend->framework;
    const std::string kernel = job.model + "_" + fw;
    log << "bench infer: " << kernel << ", " << plan.threads << " thread(s)\n";
    malloc_trim(0);
    const Resident before = resident();
    auto t0 = Clock::now();
    std::unique_ptr<InferNet> net = job.backend->make(job.model, plan.threads, plan.seed);
    InferLoad load{fw, job.model, plan.threads};
    load.build_s = seconds_since(t0);
    load.weight_bytes = net->weight_bytes();
    load.resident_bytes = resident().rss - before.rss;
    t0 = Clock::now();
    net->run(1);
    load.first_pass_s = seconds_since(t0);
    check_output(*net, kernel);
    run.loads.push_back(load);

    bool stop = false;
    for (int batch : plan.batches) {
      bar.update(done, total, "bench infer " + kernel, "batches");
      ++done;
      if (stop) continue;
      // Each batch on a network built afresh, as a server would load it: its first pass,
      // untimed, measures the memory (the peak resident size during the pass less the size
      // with the network built), so no buffer kept from another batch hides or adds any.
      net.reset();
      malloc_trim(0);
      net = job.backend->make(job.model, plan.threads, plan.seed);
      const Resident r0 = resident();
      const bool reset = reset_peak();
      t0 = Clock::now();
      net->run(batch);
      const double untimed_s = seconds_since(t0);
      const Resident r1 = resident();
      if (reset && r0.rss >= 0 && r1.hwm >= 0)
        run.memory.push_back({fw, job.model, batch, plan.threads, std::max(0.0, r1.hwm - r0.rss)});
      else
        run.memory_measured = false;
      for (int r = 0; r < plan.repeats; ++r) {
        t0 = Clock::now();
        net->run(batch);
        Sample s;
        s.seconds = seconds_since(t0);
        s.kernel = kernel;
        s.batch = batch;
        s.pixels = double(batch) * kInferImage * kInferImage;
        s.bytes = double(batch) * kInferImage * kInferImage * 3 * 4;
        s.width = kInferImage;
        s.height = kInferImage;
        s.threads = plan.threads;
        run.samples.push_back(s);
      }
      check_output(*net, kernel);
      if (plan.max_pass_seconds > 0 && untimed_s > plan.max_pass_seconds &&
          batch != plan.batches.back()) {
        stop = true;
        run.notes.push_back(kernel + ": batches above " + std::to_string(batch) +
                            " skipped (a pass took " + num(untimed_s, 3) + " s, over " +
                            num(plan.max_pass_seconds, 3) + " s)");
      }
    }
  }
  bar.finish();
  if (const std::string blas = loaded_blas(); !blas.empty())
    run.machine.libraries.emplace_back("blas", blas);
  run.others_cores = other_load(c0, cpu_clock(), seconds_since(t_all));
  run.machine.seconds = seconds_since(t_all);
  if (!run.memory_measured)
    run.notes.push_back("peak memory not measured: this kernel does not let VmHWM be reset");
  return run;
}

std::string infer_load_csv(std::span<const InferLoad> loads) {
  std::string s = "framework,model,threads,build_s,first_pass_s,weight_bytes,resident_bytes\n";
  for (const InferLoad& l : loads)
    s += l.framework + "," + l.model + "," + std::to_string(l.threads) + "," + num(l.build_s, 9) +
         "," + num(l.first_pass_s, 9) + "," + num(l.weight_bytes, 12) + "," +
         num(l.resident_bytes, 12) + "\n";
  return s;
}

std::string infer_memory_csv(std::span<const InferMemory> memory) {
  std::string s = "framework,model,batch,threads,peak_bytes\n";
  for (const InferMemory& m : memory)
    s += m.framework + "," + m.model + "," + std::to_string(m.batch) + "," +
         std::to_string(m.threads) + "," + num(m.peak_bytes, 12) + "\n";
  return s;
}

std::vector<InferSummary> infer_summary(const InferRun& run) {
  std::vector<InferSummary> rows;
  std::map<std::pair<std::string, int>, std::vector<double>> times;
  for (const Sample& s : run.samples) {
    auto& v = times[{s.kernel, int(s.batch)}];
    if (v.empty()) rows.push_back({s.kernel, "", "", int(s.batch), s.threads});
    v.push_back(s.seconds);
  }
  for (InferSummary& r : rows) {
    // The kernel is "<model>_<framework>"; the model names have no '_' after their own.
    for (const InferModel& m : kModels)
      if (r.kernel.rfind(std::string(m.name) + "_", 0) == 0) {
        r.model = m.name;
        r.framework = r.kernel.substr(m.name.size() + 1);
        r.gflops = m.gflops;
      }
    const std::vector<double>& v = times[{r.kernel, r.batch}];
    r.passes = int(v.size());
    r.median_s = median(v);
    for (const InferMemory& m : run.memory)
      if (m.model == r.model && m.framework == r.framework && m.batch == r.batch)
        r.peak_bytes = m.peak_bytes;
  }
  return rows;
}

std::string infer_summary_csv(std::span<const InferSummary> rows) {
  std::string s =
      "framework,model,batch,threads,passes,median_s,images_per_s,gflops_per_s,peak_bytes\n";
  for (const InferSummary& r : rows)
    s += r.framework + "," + r.model + "," + std::to_string(r.batch) + "," +
         std::to_string(r.threads) + "," + std::to_string(r.passes) + "," + num(r.median_s, 9) +
         "," + num(r.batch / r.median_s, 6) + "," + num(r.gflops * r.batch / r.median_s, 6) + "," +
         num(r.peak_bytes, 12) + "\n";
  return s;
}

std::string infer_table(const InferRun& run) {
  char line[160];
  std::string s =
      "kernel                 batch   ms/batch   ms/image   images/s  GFLOP/s  peak MiB\n";
  for (const InferSummary& r : infer_summary(run)) {
    const double per = r.median_s / r.batch;
    std::snprintf(line, sizeof line, "%-22s %5d %10.2f %10.2f %10.1f %8.1f %9.1f\n",
                  r.kernel.c_str(), r.batch, r.median_s * 1e3, per * 1e3, 1 / per, r.gflops / per,
                  r.peak_bytes / (1 << 20));
    s += line;
  }
  s += "\nframework   model      build s  first pass s  weights MiB  resident MiB\n";
  for (const InferLoad& l : run.loads) {
    std::snprintf(line, sizeof line, "%-11s %-9s %8.3f %13.3f %12.1f %13.1f\n", l.framework.c_str(),
                  l.model.c_str(), l.build_s, l.first_pass_s, l.weight_bytes / (1 << 20),
                  l.resident_bytes / (1 << 20));
    s += line;
  }
  for (const std::string& n : run.notes) s += "note: " + n + "\n";
  if (run.others_cores >= 0)
    s += "other processes meanwhile: " + num(run.others_cores, 2) + " cores\n";
  return s;
}

}  // namespace servesim::calib
