#pragma once
/// `servesim plan`: the cheapest node configuration and node count that meet a latency SLO at a
/// target request rate, found by simulation with bound-based pruning.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/tree.h"
#include "sim/model/params.h"

namespace servesim {

struct PlanOptions {
  std::filesystem::path scenario;  // empty: the built-in default
  std::vector<std::string> sets;
  /// Instead of `scenario`: one composed from the catalog (plan --hardware, compose_config),
  /// `sets` already applied to it.
  std::optional<ConfigNode> composed;
  double target_rate = 0;  // requests per second, all nodes together
  double slo_quantile = 0.99;
  double slo_ms = 0;
  double cost_gpu = 1, cost_cpu_core = 0, cost_node = 0;
  std::vector<int> gpus{1, 2, 4, 8};  // per node
  std::vector<int> cores;             // empty: the scenario's
  std::vector<int> instances{1, 2};   // of the batched stage, per GPU
  std::vector<int> batch;             // max_batch_size; empty: the scenario's
  std::vector<std::string> delays;    // max_queue_delay; empty: the scenario's
  std::string stage;                  // the batched stage; empty: the last one with batching
  int max_nodes = 1024;
  int jobs = 1;
  /// --uncertainty N: every run also runs N draws of the banded curves' factors, and the plan
  /// holds against their pessimistic end: a node's capacity is the p5 of its throughput over the
  /// draws, and the SLO quantile is the p95 of it over the draws. 0: the nominal run alone.
  int uncertainty = 0;
  /// With --cores other than the scenario's, each CPU stage's instances (its threads) scale
  /// with the cores: max(1, round(instances x cores / the scenario's cores)), as a deployment
  /// sizes its worker pools to the cores it has. --fixed-workers keeps the scenario's counts.
  bool fixed_workers = false;
  /// Told (may be empty) where the search is (the CLI draws its progress bar): `done` of
  /// `total` configurations through the phase `what` (the saturated runs, then the SLO checks).
  std::function<void(std::size_t done, std::size_t total, const std::string& what)> progress;
};

struct PlanCandidate {
  int gpus = 0, cores = 0, instances = 0, batch = 0;
  std::string delay;
  int nodes = 0;
  double cost = 0;
  double node_capacity = 0;  // saturated throughput of one node, req/s
  // From the saturated run's operational laws: the CPU's busy time per request (every core,
  // the client's work included when it shares the host) and the throughput the GPUs' compute
  // engines alone would allow; their product over the GPUs is the cores per GPU that keep the
  // GPUs busy.
  double cpu_demand_ms = 0;
  double gpu_bound_rps = 0;
  double cores_per_gpu_needed() const {
    return gpus > 0 ? cpu_demand_ms * 1e-3 * gpu_bound_rps / gpus : 0;
  }
  double quantile_ms = 0;  // the SLO quantile at the target rate
  bool feasible = false;
};

struct PlanResult {
  std::vector<PlanCandidate> feasible;  // cheapest first: [0] is the plan
  std::size_t configurations = 0, pruned = 0, simulations = 0;
  std::string stage;
};

/// Reads the command line's targets into `o`: --target-rate (e.g. 20000/s; a plain number is per
/// second), --slo (p50|p90|p95|p99=DURATION) and the --cost items. A value that does not parse is
/// a ConfigError at its option.
void parse_plan_targets(const std::string& rate, const std::string& slo,
                        const std::vector<std::string>& costs, PlanOptions& o);

/// The rule that sizes a CPU stage's worker pool (its instances, its threads) to a node's cores,
/// as a deployment sizes its pools to the cores it has: max(1, round(instances x cores /
/// reference_cores)), where `instances` were chosen for a node of `reference_cores`. plan applies
/// it when --cores differs from the scenario's, the catalog (catalog.h) when it puts a pipeline on
/// another node.
int scaled_workers(int instances, int cores, int reference_cores);
/// The stages the rule applies to: the server's CPU stages, but `except` (plan's tuned stage),
/// with their instances as `p` has them.
std::vector<std::pair<std::string, int>> cpu_workers(const ScenarioParams& p,
                                                     const std::string& except);

/// Searches the space of `o`. An option no search can use (a rate or SLO <= 0, --max-nodes < 1,
/// a GPU count < 0, an unknown --stage, ...) is a ConfigError at the option, and what the
/// scenario lacks for the GPU counts tried (node.pcie) one at the scenario, before any run.
PlanResult run_plan(const PlanOptions& o);
std::string plan_report(const PlanOptions& o, const PlanResult& r);
/// The feasible configurations, cheapest first, as CSV (one row each) or JSON (the targets and
/// the rows), for `--out plan.csv|plan.json`.
std::string plan_csv(const PlanOptions& o, const PlanResult& r);
std::string plan_json(const PlanOptions& o, const PlanResult& r);

}  // namespace servesim
