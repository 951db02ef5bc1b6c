#include "sim/app/plan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/config/curves.h"
#include "sim/config/scenario.h"
#include "sim/config/tree.h"
#include "sim/metrics/run_summary.h"

namespace servesim {

namespace {

std::string fmt(const char* f, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, f, args...);
  return buf;
}

/// Turns the workload into a closed loop of `depth` clients or an open stream at `rate`, keeping
/// its other keys (the image mix): the keys of the other mode are dropped first.
void set_workload(ConfigNode& root, bool closed, const std::string& value) {
  ConfigNode* w = root.find("workload");
  if (w && w->is_map()) {
    const auto drop = closed ? std::vector<std::string>{"rate", "arrival", "cv"}
                             : std::vector<std::string>{"concurrency", "think_time"};
    std::erase_if(w->entries, [&](const MapEntry& e) {
      return std::find(drop.begin(), drop.end(), e.key) != drop.end();
    });
  }
  apply_override(root, std::string("workload.mode=") + (closed ? "closed" : "open"), 1);
  apply_override(root, (closed ? "workload.concurrency=" : "workload.rate=") + value, 2);
}

class Planner {
 public:
  explicit Planner(const PlanOptions& o) : o_(o) {
    base_ = load_config_file(o.scenario.empty() ? default_scenario_path() : o.scenario);
    int n = 0;
    for (const auto& s : o.sets) apply_override(base_, s, ++n);
    const ScenarioParams p = parse_scenario(base_);
    for (const auto& st : p.pipeline)
      if (st.batching && (o.stage.empty() || st.name == o.stage)) stage_ = &st - &p.pipeline[0];
    if (!o.stage.empty() && stage_ < 0)
      throw std::runtime_error("no batched stage named '" + o.stage + "'");
    if (stage_ >= 0) {
      const StageParams& st = p.pipeline[static_cast<std::size_t>(stage_)];
      stage_name_ = st.name;
      preferred_ = st.batching->preferred_batch_sizes;
      default_batch_ = st.batching->max_batch_size;
      default_delay_ = format_duration(st.batching->max_queue_delay);
      if (st.batching->max_queue_delay == 0) default_delay_ = "0s";
    } else {
      // No batched stage: the GPU stages' instances are what is searched.
      for (const auto& st : p.pipeline)
        if (st.device != Device::kCpu && (o.stage.empty() || st.name == o.stage))
          stage_name_ = st.name;
    }
    default_cores_ = p.node.cpu.cores;
  }

  PlanResult run() {
    PlanResult r;
    r.stage = stage_name_;
    std::vector<PlanCandidate> configs;
    for (const int g : o_.gpus)
      for (const int c : o_.cores.empty() ? std::vector<int>{default_cores_} : o_.cores)
        for (const int i : stage_name_.empty() ? std::vector<int>{0} : o_.instances)
          for (const int b : batches())
            for (const auto& d : delays()) configs.push_back({g, c, i, b, d});
    r.configurations = configs.size();
    // Capacity of one node, saturated: a bound on what any node count can serve.
    for (auto& c : configs) {
      c.node_capacity = saturated(c);
      c.nodes = c.node_capacity > 0
                    ? static_cast<int>(std::ceil(o_.target_rate / c.node_capacity * (1 + 1e-9)))
                    : o_.max_nodes + 1;
      c.cost = cost(c, c.nodes);
    }
    // Cheapest lower bound first; a configuration whose bound is above the third-best plan found
    // cannot be the plan or a runner-up, and is not simulated further.
    std::stable_sort(configs.begin(), configs.end(),
                     [](const auto& a, const auto& b) { return a.cost < b.cost; });
    for (auto& c : configs) {
      if (c.nodes > o_.max_nodes || (r.feasible.size() >= 3 && c.cost >= r.feasible[2].cost)) {
        ++r.pruned;
        continue;
      }
      if (solve_nodes(c)) {
        r.feasible.push_back(c);
        // Cheapest first; at equal cost, the one with more latency margin.
        std::stable_sort(r.feasible.begin(), r.feasible.end(), [](const auto& a, const auto& b) {
          return a.cost < b.cost || (a.cost == b.cost && a.quantile_ms < b.quantile_ms);
        });
      }
    }
    r.simulations = simulations_;
    return r;
  }

 private:
  std::vector<int> batches() const {
    if (stage_ < 0) return {0};
    return o_.batch.empty() ? std::vector<int>{default_batch_} : o_.batch;
  }
  std::vector<std::string> delays() const {
    if (stage_ < 0) return {""};
    return o_.delays.empty() ? std::vector<std::string>{default_delay_} : o_.delays;
  }

  double cost(const PlanCandidate& c, int nodes) const {
    return nodes * (o_.cost_node + c.gpus * o_.cost_gpu + c.cores * o_.cost_cpu_core);
  }

  ConfigNode configured(const PlanCandidate& c) const {
    ConfigNode root = base_;
    int n = 100;
    apply_override(root, "node.gpus.count=" + std::to_string(c.gpus), ++n);
    apply_override(root, "node.cpu.cores=" + std::to_string(c.cores), ++n);
    apply_override(root, "cluster={nodes: 1}", ++n);
    if (!stage_name_.empty() && c.instances > 0)
      apply_override(root, "pipeline." + stage_name_ + ".instances=" + std::to_string(c.instances),
                     ++n);
    if (stage_ >= 0) {
      const std::string b = "pipeline." + stage_name_ + ".batching.";
      apply_override(root, b + "max_batch_size=" + std::to_string(c.batch), ++n);
      apply_override(root, b + "max_queue_delay=" + c.delay, ++n);
      std::string pref;
      for (const int s : preferred_)
        if (s <= c.batch) pref += (pref.empty() ? "" : ", ") + std::to_string(s);
      if (!preferred_.empty()) apply_override(root, b + "preferred_batch_size=[" + pref + "]", ++n);
    }
    return root;
  }

  /// Throughput of one node under a closed loop deep enough to keep every instance's batches
  /// full: the most a node of this configuration serves.
  double saturated(const PlanCandidate& c) {
    ConfigNode root = configured(c);
    const int depth = std::max(64, 4 * std::max(1, c.batch) * std::max(1, c.instances) * c.gpus);
    set_workload(root, true, std::to_string(depth));
    ++simulations_;
    return run_scenario(parse_scenario(root), o_.jobs).throughput_rps.mean;
  }

  /// Whether `nodes` nodes meet the SLO: each gets target / nodes of Poisson arrivals (the
  /// balancer splits at random), and the SLO quantile of its latency must be within the SLO.
  bool meets(PlanCandidate& c, int nodes) {
    ConfigNode root = configured(c);
    // An open scenario keeps its arrival process at the node's share of the rate; a closed one
    // becomes Poisson arrivals (many independent clients), the default of an open workload.
    set_workload(root, false, shortest(o_.target_rate / nodes) + "/s");
    ++simulations_;
    const RunSummary s = run_scenario(parse_scenario(root), o_.jobs);
    const double q = o_.slo_quantile >= 0.99   ? s.p99_ms
                     : o_.slo_quantile >= 0.95 ? s.p95_ms
                     : o_.slo_quantile >= 0.90 ? s.p90_ms
                                               : s.p50_ms;
    c.quantile_ms = q;
    return !s.unstable && q <= o_.slo_ms;
  }

  /// The fewest nodes that meet the SLO, from the capacity bound up: doubling, then bisection
  /// (more nodes never hurt: each gets less load).
  bool solve_nodes(PlanCandidate& c) {
    int lo = c.nodes;
    if (meets(c, lo)) {
      c.feasible = true;
      c.cost = cost(c, lo);
      return true;
    }
    int hi = lo;
    PlanCandidate probe = c;
    for (;;) {
      hi = std::min(o_.max_nodes, hi * 2);
      if (meets(probe, hi)) break;
      if (hi >= o_.max_nodes) return false;
      lo = hi;
    }
    double q_hi = probe.quantile_ms;
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      if (meets(probe, mid)) {
        hi = mid;
        q_hi = probe.quantile_ms;
      } else {
        lo = mid;
      }
    }
    c.nodes = hi;
    c.quantile_ms = q_hi;
    c.feasible = true;
    c.cost = cost(c, hi);
    return true;
  }

  const PlanOptions& o_;
  ConfigNode base_;
  std::ptrdiff_t stage_ = -1;
  std::string stage_name_;
  std::vector<int> preferred_;
  int default_batch_ = 0, default_cores_ = 0;
  std::string default_delay_;
  std::size_t simulations_ = 0;
};

std::string describe(const PlanCandidate& c, const std::string& stage) {
  std::string s = fmt("%d node%s x (%d GPU%s, %d CPU cores", c.nodes, c.nodes == 1 ? "" : "s",
                      c.gpus, c.gpus == 1 ? "" : "s", c.cores);
  if (!stage.empty() && c.instances > 0)
    s +=
        fmt(", %s: %d instance%s per GPU", stage.c_str(), c.instances, c.instances == 1 ? "" : "s");
  if (c.batch > 0) s += fmt(", max_batch_size %d, max_queue_delay %s", c.batch, c.delay.c_str());
  return s + ")";
}

}  // namespace

PlanResult run_plan(const PlanOptions& o) {
  if (!(o.target_rate > 0)) throw std::runtime_error("--target-rate must be > 0");
  if (!(o.slo_ms > 0)) throw std::runtime_error("--slo needs a latency, e.g. p99=100ms");
  return Planner(o).run();
}

std::string plan_report(const PlanOptions& o, const PlanResult& r) {
  std::string t =
      fmt("servesim plan: %g req/s at p%g <= %g ms (cost: %g per GPU, %g per CPU core, %g per "
          "node)\n\n",
          o.target_rate, 100 * o.slo_quantile, o.slo_ms, o.cost_gpu, o.cost_cpu_core, o.cost_node);
  if (r.feasible.empty()) {
    t += "  No configuration in the search space meets the SLO with at most " +
         std::to_string(o.max_nodes) +
         " nodes. Widen the space (--gpus, --cores, --instances, --batch, --delay), raise "
         "--max-nodes, or relax the SLO.\n";
  } else {
    const PlanCandidate& p = r.feasible.front();
    t += "  plan:  " + describe(p, r.stage) + "\n";
    t +=
        fmt("         cost %g; p%g %.4g ms at %.6g req/s per node (margin %.0f%%: the SLO over "
            "the achieved latency, minus 1)\n",
            p.cost, 100 * o.slo_quantile, p.quantile_ms, o.target_rate / p.nodes,
            100 * (o.slo_ms / p.quantile_ms - 1));
    t += fmt("         one node serves at most %.6g req/s; CPU-to-GPU ratio %.3g cores per GPU\n",
             p.node_capacity, static_cast<double>(p.cores) / p.gpus);
    if (r.feasible.size() > 1) t += "\n  runners-up:\n";
    for (std::size_t i = 1; i < r.feasible.size() && i < 4; ++i)
      t += fmt("    cost %-8g %s, p%g %.4g ms\n", r.feasible[i].cost,
               describe(r.feasible[i], r.stage).c_str(), 100 * o.slo_quantile,
               r.feasible[i].quantile_ms);
  }
  t +=
      fmt("\n  searched %zu configurations (%zu pruned by their cost bound) with %zu "
          "simulations\n",
          r.configurations, r.pruned, r.simulations);
  return t;
}

}  // namespace servesim
