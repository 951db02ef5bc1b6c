#include "sim/app/plan.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include <nlohmann/json.hpp>

#include "sim/app/load.h"
#include "sim/config/csv.h"
#include "sim/config/error.h"
#include "sim/config/reader.h"
#include "sim/config/tree.h"
#include "sim/config/units.h"
#include "sim/core/format.h"
#include "sim/run/replications.h"
#include "sim/run/uncertainty.h"
#include "sim/scenario/curves.h"
#include "sim/scenario/scenario.h"

namespace servesim {

namespace {

[[noreturn]] void bad_option(const char* option, const std::string& message) {
  throw ConfigError(SourceMark{option, 1, 1}, "", message);
}

/// Refuses a value of `values` below `least` at `option`.
void check_at_least(const std::vector<int>& values, int least, const char* option) {
  for (const int v : values)
    if (v < least)
      bad_option(option, "each value must be at least " + std::to_string(least) + ", got " +
                             std::to_string(v));
}

/// What plan cannot search with, refused at the option before anything is simulated.
void check_options(const PlanOptions& o) {
  if (!std::isfinite(o.target_rate) || o.target_rate <= 0)
    bad_option("--target-rate", "must be a rate > 0, e.g. 20000/s");
  if (!std::isfinite(o.slo_ms) || o.slo_ms <= 0)
    bad_option("--slo", "needs a latency > 0, e.g. p99=100ms");
  for (const double c : {o.cost_gpu, o.cost_cpu_core, o.cost_node})
    if (!std::isfinite(c) || c < 0) bad_option("--cost", "prices must be numbers >= 0");
  if (o.max_nodes < 1)
    bad_option("--max-nodes", "must be at least 1, got " + std::to_string(o.max_nodes));
  check_at_least(o.gpus, 0, "--gpus");
  check_at_least(o.cores, 1, "--cores");
  check_at_least(o.instances, 1, "--instances");
  check_at_least(o.batch, 1, "--batch");
  for (const auto& d : o.delays) {
    const ParsedQuantity q = parse_quantity(d, Dimension::kDuration);
    if (!q.error.empty()) bad_option("--delay", "'" + d + "': " + q.error);
    if (q.value < 0) bad_option("--delay", "'" + d + "': must be >= 0");
  }
}

// plan's own overrides are numbered from here, far above any the user gives with --set, so that
// an error in one is told apart from the user's (see Planner::scenario_of).
constexpr int kOwnOverrides = 100000;

/// One node of the candidate, as people read it: "2 GPUs, 4 CPU cores, infer: 1 instance ...".
std::string node_text(const PlanCandidate& c, const std::string& stage) {
  std::string s = format("%d GPU%s, %d CPU cores", c.gpus, c.gpus == 1 ? "" : "s", c.cores);
  if (!stage.empty() && c.instances > 0)
    s += format(", %s: %d instance%s per GPU", stage.c_str(), c.instances,
                c.instances == 1 ? "" : "s");
  if (c.batch > 0) s += format(", max_batch_size %d, max_queue_delay %s", c.batch, c.delay.c_str());
  return s;
}

class Planner {
 public:
  explicit Planner(const PlanOptions& o) : o_(o) {
    if (o.composed) {
      base_ = *o.composed;
    } else {
      base_ = load_config_file(o.scenario.empty() ? default_scenario_path() : o.scenario);
      int n = 0;
      for (const auto& s : o.sets) apply_override(base_, s, ++n);
    }
    const ScenarioParams p = parse_scenario(base_);
    std::vector<std::string> batched;
    for (const auto& st : p.pipeline) {
      if (st.batching) batched.push_back(st.name);
      if (st.batching && (o.stage.empty() || st.name == o.stage)) stage_ = &st - &p.pipeline[0];
    }
    if (!o.stage.empty() && stage_ < 0) {
      std::string names;
      for (const auto& b : batched) names += (names.empty() ? "" : ", ") + b;
      const std::string hint = did_you_mean(o.stage, batched);
      bad_option("--stage", "no stage named '" + o.stage + "' has batching in this scenario" +
                                (batched.empty() ? std::string(" (none has)")
                                 : hint.empty()  ? " (stages with batching: " + names + ")"
                                                 : "; " + hint));
    }
    check_gpus(p);
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
        if (!on_host(st.device) && (o.stage.empty() || st.name == o.stage)) stage_name_ = st.name;
    }
    default_cores_ = p.node.cpu.cores;
    cpu_workers_ = cpu_workers(p, stage_name_);
  }

  /// The GPU counts to try against what the scenario has, in its terms: plan would otherwise
  /// meet the problem in a node it made up itself.
  void check_gpus(const ScenarioParams& p) const {
    const ConfigNode* node = base_.find("node");
    if (std::any_of(o_.gpus.begin(), o_.gpus.end(), [](int g) { return g > 0; }) &&
        !(node && node->is_map() && node->find("pcie"))) {
      std::string tried;
      for (const int g : o_.gpus) tried += (tried.empty() ? "" : ",") + std::to_string(g);
      throw ConfigError(node ? node->mark : base_.mark, "node.pcie",
                        "plan tries nodes with " + tried +
                            " GPUs (--gpus), and a node with GPUs needs node.pcie (host_link and "
                            "gpu_link bandwidths), which this scenario's node does not have: add "
                            "them, or plan nodes without GPUs with --gpus 0");
    }
    if (std::find(o_.gpus.begin(), o_.gpus.end(), 0) != o_.gpus.end())
      for (const auto& st : p.pipeline)
        if (!on_host(st.device))
          bad_option("--gpus", "stage '" + st.name +
                                   "' runs on a GPU, so a node without GPUs cannot serve this "
                                   "scenario: leave 0 out of --gpus");
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
    for (std::size_t k = 0; k < configs.size(); ++k) {
      PlanCandidate& c = configs[k];
      if (o_.progress) o_.progress(k, configs.size(), "plan: saturated runs");
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
      if (o_.progress)
        o_.progress(static_cast<std::size_t>(&c - configs.data()), configs.size(),
                    "plan: SLO checks");
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

  /// The scenario of candidate `c` under a closed loop of `load` clients or an open `load` rate.
  /// The base scenario parsed, so an error here comes from plan's own overrides: it is told as
  /// the candidate the scenario cannot take, never as a --set the user did not type.
  ScenarioParams scenario_of(const PlanCandidate& c, bool closed, const std::string& load) const {
    try {
      ConfigNode root = base_;
      int n = kOwnOverrides;
      configure(root, c, n);
      set_workload(root, closed, load, depth(c), n);
      return parse_scenario(root);
    } catch (const ConfigError& e) {
      const std::string& from = e.mark().file;
      const bool own = from.starts_with("--set #") && std::atoi(from.c_str() + 7) > kOwnOverrides;
      throw ConfigError(own ? base_.mark : e.mark(), e.key(),
                        "plan cannot try a node of " + node_text(c, stage_name_) +
                            " on this scenario: " + e.message());
    }
  }

  /// Applies candidate `c` to `root` as plan's own overrides, numbered on from `n`.
  void configure(ConfigNode& root, const PlanCandidate& c, int& n) const {
    apply_override(root, "node.gpus.count=" + std::to_string(c.gpus), ++n);
    apply_override(root, "node.cpu.cores=" + std::to_string(c.cores), ++n);
    apply_override(root, "cluster={nodes: 1}", ++n);
    if (!o_.fixed_workers && c.cores != default_cores_)
      for (const auto& [name, instances] : cpu_workers_)
        apply_override(root,
                       "pipeline." + name + ".instances=" +
                           std::to_string(scaled_workers(instances, c.cores, default_cores_)),
                       ++n);
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
  }

  /// Throughput of one node under a closed loop deep enough to keep every instance's batches
  /// full: the most a node of this configuration serves.
  /// Clients enough to keep every instance's batches full.
  static int depth(const PlanCandidate& c) {
    return std::max(64, 4 * std::max(1, c.batch) * std::max(1, c.instances) * c.gpus);
  }

  double saturated(PlanCandidate& c) {
    const ScenarioParams p = scenario_of(c, true, std::to_string(depth(c)));
    ++simulations_;
    const RunSummary s = run_scenario(p, o_.jobs);
    const std::optional<UncertaintySummary> u = draws(p);
    c.gpu_bound_rps = std::numeric_limits<double>::infinity();
    for (const auto& r : s.resources) {
      if (r.name == "cpu") c.cpu_demand_ms = r.demand_ms;
      if (r.name.starts_with("gpu") && r.name.ends_with(".compute"))
        c.gpu_bound_rps = std::min(c.gpu_bound_rps, r.throughput_bound);
    }
    return u ? std::min(s.throughput_rps.mean, u->throughput_rps.p5) : s.throughput_rps.mean;
  }

  /// With --uncertainty N, the N draws of `p` (counted as simulations); none without.
  std::optional<UncertaintySummary> draws(const ScenarioParams& p) {
    if (o_.uncertainty <= 0) return std::nullopt;
    simulations_ += static_cast<std::size_t>(o_.uncertainty);
    return run_uncertainty(p, o_.uncertainty, o_.jobs);
  }

  /// Whether `nodes` nodes meet the SLO: each gets target / nodes of Poisson arrivals (the
  /// balancer splits at random), and the SLO quantile of its latency must be within the SLO.
  bool meets(PlanCandidate& c, int nodes) {
    // An open scenario keeps its arrival process at the node's share of the rate; a closed one
    // becomes Poisson arrivals (many independent clients), the default of an open workload.
    const ScenarioParams p = scenario_of(c, false, shortest(o_.target_rate / nodes) + "/s");
    ++simulations_;
    const RunSummary s = run_scenario(p, o_.jobs);
    double q = o_.slo_quantile >= 0.99   ? s.p99_ms
               : o_.slo_quantile >= 0.95 ? s.p95_ms
               : o_.slo_quantile >= 0.90 ? s.p90_ms
                                         : s.p50_ms;
    // With draws, the SLO quantile as the draws' p95 of it: a draw that overloads the node has
    // a latency that grows with the run, and fails the check unless it is a 5% outlier.
    if (const std::optional<UncertaintySummary> u = draws(p))
      q = std::max(q, o_.slo_quantile >= 0.99   ? u->p99_ms.p95
                      : o_.slo_quantile >= 0.95 ? u->p95_ms.p95
                      : o_.slo_quantile >= 0.90 ? u->p90_ms.p95
                                                : u->p50_ms.p95);
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
  std::vector<std::pair<std::string, int>> cpu_workers_;  // the CPU stages' instances, as given
  std::string default_delay_;
  std::size_t simulations_ = 0;
};

std::string describe(const PlanCandidate& c, const std::string& stage) {
  return format("%d node%s x (", c.nodes, c.nodes == 1 ? "" : "s") + node_text(c, stage) + ")";
}

}  // namespace

void parse_plan_targets(const std::string& rate, const std::string& slo,
                        const std::vector<std::string>& costs, PlanOptions& o) {
  if (const auto plain = parse_number(rate)) {
    o.target_rate = *plain;  // per second; run_plan checks it is > 0
  } else {
    const ParsedQuantity r = parse_quantity(rate, Dimension::kRate);
    if (!r.error.empty()) bad_option("--target-rate", r.error);
    o.target_rate = r.value;
  }
  const auto eq = slo.find('=');
  const std::string q = slo.substr(0, eq);
  if (eq == std::string::npos || (q != "p50" && q != "p90" && q != "p95" && q != "p99"))
    bad_option("--slo",
               "expected p50|p90|p95|p99=DURATION, e.g. --slo p99=100ms, got '" + slo + "'");
  o.slo_quantile = std::stod(q.substr(1)) / 100;
  const ParsedQuantity d = parse_quantity(slo.substr(eq + 1), Dimension::kDuration);
  if (!d.error.empty()) bad_option("--slo", d.error);
  o.slo_ms = d.value * 1e3;
  for (const auto& c : costs) {
    const auto ceq = c.find('=');
    const std::string k = c.substr(0, ceq);
    const double v = ceq == std::string::npos ? -1 : parse_number(c.substr(ceq + 1)).value_or(-1);
    if (!(v >= 0))
      bad_option("--cost", "takes gpu=X,cpu_core=Y,node=Z with numbers >= 0, got '" + c + "'");
    if (k == "gpu")
      o.cost_gpu = v;
    else if (k == "cpu_core")
      o.cost_cpu_core = v;
    else if (k == "node")
      o.cost_node = v;
    else
      bad_option("--cost", "unknown item '" + k + "' (gpu, cpu_core, node)");
  }
}

int scaled_workers(int instances, int cores, int reference_cores) {
  return std::max(
      1, static_cast<int>(std::lround(static_cast<double>(instances) * cores / reference_cores)));
}

std::vector<std::pair<std::string, int>> cpu_workers(const ScenarioParams& p,
                                                     const std::string& except) {
  std::vector<std::pair<std::string, int>> out;
  for (const auto& st : p.pipeline)
    if (st.side == StageSide::kServer && st.device == Device::kCpu && st.name != except)
      out.emplace_back(st.name, st.instances);
  return out;
}

PlanResult run_plan(const PlanOptions& o) {
  check_options(o);
  return Planner(o).run();
}

std::string plan_report(const PlanOptions& o, const PlanResult& r) {
  std::string t = format(
      "servesim plan: %g req/s at p%g <= %g ms (cost: %g per GPU, %g per CPU core, %g per "
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
    if (o.uncertainty > 0)
      t += format(
          "         against %d draws of the curves' bands: capacity is the draws' p5, the p%g "
          "their p95\n",
          o.uncertainty, 100 * o.slo_quantile);
    t += format(
        "         cost %g; p%g %s ms at %s req/s per node (margin %.0f%%: the SLO over "
        "the achieved latency, minus 1)\n",
        p.cost, 100 * o.slo_quantile, readable(p.quantile_ms, 4),
        readable(o.target_rate / p.nodes, 6), 100 * (o.slo_ms / p.quantile_ms - 1));
    t += format("         one node serves at most %s req/s; ", readable(p.node_capacity, 6)) +
         (p.gpus > 0 ? format("CPU-to-GPU ratio %.3g cores per GPU\n",
                              static_cast<double>(p.cores) / p.gpus)
                     : std::string("no GPUs\n"));
    if (p.gpus > 0 && std::isfinite(p.gpu_bound_rps) && std::isfinite(p.cpu_demand_ms))
      t += format(
          "         CPU %s ms per request: %s cores per GPU keep the GPUs busy (%s req/s "
          "of GPU compute)\n",
          readable(p.cpu_demand_ms, 3), readable(p.cores_per_gpu_needed(), 3),
          readable(p.gpu_bound_rps, 5));
    if (r.feasible.size() > 1) t += "\n  runners-up:\n";
    for (std::size_t i = 1; i < r.feasible.size() && i < 4; ++i)
      t += format("    cost %-8g %s, p%g %s ms\n", r.feasible[i].cost,
                  describe(r.feasible[i], r.stage), 100 * o.slo_quantile,
                  readable(r.feasible[i].quantile_ms, 4));
  }
  t += format(
      "\n  searched %zu configurations (%zu pruned by their cost bound) with %zu "
      "simulations\n",
      r.configurations, r.pruned, r.simulations);
  return t;
}

namespace {

/// One feasible configuration's fields, in the order the CSV and the JSON write them.
std::vector<std::pair<std::string, std::string>> plan_row(const PlanOptions& o, const PlanResult& r,
                                                          std::size_t rank) {
  const PlanCandidate& c = r.feasible[rank];
  const auto num = [](double v) { return std::isfinite(v) ? shortest(v) : std::string(); };
  const double cpg = c.gpus > 0 ? static_cast<double>(c.cores) / c.gpus : 0;
  return {{"rank", std::to_string(rank + 1)},
          {"nodes", std::to_string(c.nodes)},
          {"node.gpus.count", std::to_string(c.gpus)},
          {"node.cpu.cores", std::to_string(c.cores)},
          {"stage", r.stage},
          {"instances", c.instances > 0 ? std::to_string(c.instances) : std::string()},
          {"max_batch_size", c.batch > 0 ? std::to_string(c.batch) : std::string()},
          {"max_queue_delay", c.delay},
          {"cost", num(c.cost)},
          {format("p%g latency ms", 100 * o.slo_quantile), num(c.quantile_ms)},
          {"slo margin", num(o.slo_ms / c.quantile_ms - 1)},
          {"node capacity req/s", num(c.node_capacity)},
          {"cores per GPU", c.gpus > 0 ? num(cpg) : std::string()},
          {"CPU ms per request", num(c.cpu_demand_ms)},
          {"cores per GPU needed", c.gpus > 0 ? num(c.cores_per_gpu_needed()) : std::string()},
          {"GPU compute bound req/s", num(c.gpu_bound_rps)}};
}

}  // namespace

std::string plan_csv(const PlanOptions& o, const PlanResult& r) {
  std::string t;
  for (std::size_t i = 0; i < r.feasible.size(); ++i) {
    const auto row = plan_row(o, r, i);
    if (i == 0)
      for (std::size_t k = 0; k < row.size(); ++k) t += (k ? "," : "") + csv_cell(row[k].first);
    if (i == 0) t += "\n";
    for (std::size_t k = 0; k < row.size(); ++k) t += (k ? "," : "") + csv_cell(row[k].second);
    t += "\n";
  }
  return t;
}

std::string plan_json(const PlanOptions& o, const PlanResult& r) {
  nlohmann::ordered_json j;
  j["target_rate_rps"] = o.target_rate;
  j["slo"] = {{"quantile", o.slo_quantile}, {"ms", o.slo_ms}};
  j["cost"] = {{"gpu", o.cost_gpu}, {"cpu_core", o.cost_cpu_core}, {"node", o.cost_node}};
  j["uncertainty_draws"] = o.uncertainty;
  j["configurations"] = r.configurations;
  j["pruned"] = r.pruned;
  j["simulations"] = r.simulations;
  auto& rows = j["feasible"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < r.feasible.size(); ++i) {
    nlohmann::ordered_json row;
    for (const auto& [k, v] : plan_row(o, r, i)) {
      const auto n = parse_number(v);
      if (v.empty())
        row[k] = nullptr;
      else if (n && k != "max_queue_delay" && k != "stage")
        row[k] = *n;
      else
        row[k] = v;
    }
    rows.push_back(row);
  }
  return j.dump(2) + "\n";
}

}  // namespace servesim
