// The paper's node at scale: ViT-base with GPU preprocessing, 4 GPUs, a closed loop of 1024
// clients, one replication run for a fixed number of completed requests. Reports simulated
// requests per wall-clock second (one thread), events per request and the process's peak RSS,
// so that a flat RSS from 1e5 to 1e7 requests shows that memory does not grow with the run.
//
//   node_bench [--requests N] [--scenario FILE] [--gpus G] [--concurrency C] [--set KEY=VALUE]...
// Prints a line for people and one JSON line ({"bench":"node",...}) for scripts.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "sim/model/observer.h"
#include "sim/model/replication.h"
#include "sim/scenario/scenario.h"

namespace {

/// Counts completions and nothing else, so the bench measures the model, not the metrics.
class Count final : public servesim::Observer {
 public:
  void request_done(servesim::Time) override { ++done; }
  void stage_done(std::uint32_t, const servesim::StageSpan&) override {}
  void batch_done(std::uint32_t, std::size_t, const servesim::StageSpan&) override {}
  std::uint64_t done = 0;
};

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  std::string requests = "1000000", gpus = "4", concurrency = "1024";
  std::vector<std::string> sets;  // --set overrides, applied after the bench's own
  std::filesystem::path scenario =
      std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs/scenarios/paper-vit-base-gpu.yaml";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--requests")
      requests = argv[i + 1];
    else if (a == "--gpus")
      gpus = argv[i + 1];
    else if (a == "--concurrency")
      concurrency = argv[i + 1];
    else if (a == "--scenario")
      scenario = argv[i + 1];
    else if (a == "--set")
      sets.emplace_back(argv[i + 1]);
    else {
      std::fprintf(stderr, "node_bench: unknown option %s\n", a.c_str());
      return 2;
    }
  }
  std::vector<std::string> overrides{"node.gpus.count=" + gpus,
                                     "workload.concurrency=" + concurrency,
                                     "run={requests: " + requests + ", replications: 1}"};
  overrides.insert(overrides.end(), sets.begin(), sets.end());
  const auto loaded = servesim::load_scenario(scenario, overrides);
  const long rss_before = peak_rss_kib();
  Count count;
  const auto t0 = std::chrono::steady_clock::now();
  const servesim::ReplicationResult r = servesim::run_replication(loaded.params, 0, count);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double n = static_cast<double>(count.done);
  std::printf(
      "node_bench: %s, %s GPUs, concurrency %s: %.0f requests in %.3f s wall = %.0f "
      "requests/s, %.1f events/request, peak RSS %ld KiB (%ld KiB before the run)\n",
      scenario.filename().c_str(), gpus.c_str(), concurrency.c_str(), n, wall, n / wall,
      static_cast<double>(r.events) / n, peak_rss_kib(), rss_before);
  std::printf(
      "{\"bench\":\"node\",\"scenario\":\"%s\",\"gpus\":%s,\"concurrency\":%s,"
      "\"requests\":%.0f,\"wall_s\":%.4f,\"requests_per_s\":%.0f,\"events\":%llu,"
      "\"events_per_request\":%.2f,\"peak_rss_kib\":%ld}\n",
      scenario.filename().c_str(), gpus.c_str(), concurrency.c_str(), n, wall, n / wall,
      static_cast<unsigned long long>(r.events), static_cast<double>(r.events) / n, peak_rss_kib());
  return 0;
}
