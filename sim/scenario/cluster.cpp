// `cluster`: K identical nodes behind a load balancer.

#include "sim/scenario/sections.h"

namespace servesim {

const Table<ClusterParams>& cluster_keys() {
  static const Table<ClusterParams> table{
      "",
      {},
      {
          {.key = "nodes",
           .type = integer_type(1, 100000),
           .at = &ClusterParams::nodes,
           .help = "identical nodes (each a copy of `node`, with its own random streams); with "
                   "`autoscale`, those serving at the start"},
          {.key = "balancer",
           .type = custom_type(),
           .help = "how requests are spread over the nodes (the keys below)",
           .doc_type = "map",
           .doc_default = "`round_robin`, no cap"},
          {.key = "autoscale",
           .type = custom_type(),
           .help = "add and remove nodes by how busy they are, as Kubernetes' horizontal pod "
                   "autoscaler does (the keys below; docs/model.md)",
           .doc_type = "map",
           .doc_default = "none (`nodes` throughout)"},
      }};
  return table;
}

const Table<AutoscaleParams>& autoscale_keys() {
  static const EnumNames<AutoscaleParams::Metric> metrics{
      {AutoscaleParams::Metric::kUtilization, "utilization"},
      {AutoscaleParams::Metric::kConcurrency, "concurrency"}};
  static const Table<AutoscaleParams> table{
      "autoscale.",
      {},
      {
          {.key = "min_nodes",
           .type = integer_type(1, 100000),
           .at = &AutoscaleParams::min_nodes,
           .required = true,
           .help = "the fewest nodes it keeps; at most `nodes`"},
          {.key = "max_nodes",
           .type = integer_type(1, 100000),
           .at = &AutoscaleParams::max_nodes,
           .required = true,
           .help = "the most nodes it starts; at least `nodes`"},
          {.key = "metric",
           .type = choice_type(),
           .at = {&AutoscaleParams::metric, metrics},
           .help = "what it scales on per serving node: `utilization` of its busiest device (CPU "
                   "pool or GPU compute; HPA's Resource metric), or `concurrency`, the requests "
                   "inside it (HPA's Pods metric with an averageValue; Knative's concurrency "
                   "target)"},
          {.key = "target_utilization",
           .type = number_type(0, 1),
           .at = &AutoscaleParams::target_utilization,
           .emit = Emit::kUnlessDefault,
           .help = "metric utilization: the busy fraction it aims for, HPA's "
                   "`averageUtilization` / 100",
           .doc_type = "number in (0, 1]",
           .doc_default = "required if utilization"},
          {.key = "target_concurrency",
           .type = number_type(0, 1e9),
           .at = &AutoscaleParams::target_concurrency,
           .emit = Emit::kUnlessDefault,
           .help = "metric concurrency: the requests inside each serving node (queued or in "
                   "service, time-average) it aims for",
           .doc_type = "number in (0, 1e9]",
           .doc_default = "required if concurrency"},
          {.key = "window",
           .type = duration_type(),
           .at = &AutoscaleParams::window,
           .help = "how often it decides, from the utilisation since its last decision (HPA's "
                   "--horizontal-pod-autoscaler-sync-period, default 15s)"},
          {.key = "tolerance",
           .type = number_type(0, 1),
           .at = &AutoscaleParams::tolerance,
           .help = "no change while utilisation / target is within 1 +- tolerance (HPA's "
                   "--horizontal-pod-autoscaler-tolerance, default 0.1)",
           .doc_type = "number in [0, 1)"},
          {.key = "stabilization",
           .type = duration_type(true),
           .at = &AutoscaleParams::stabilization,
           .help = "scale down only to the most nodes wanted over this long (HPA's "
                   "--horizontal-pod-autoscaler-downscale-stabilization, default 5m)"},
          {.key = "boot_time",
           .type = duration_type(true),
           .at = &AutoscaleParams::boot_time,
           .required = true,
           .help = "a new node, from its start until its server runs (a VM or a pod starting)"},
          {.key = "load_time",
           .type = duration_type(true),
           .at = &AutoscaleParams::load_time,
           .help = "then the model's load (weights, engine build) until it serves",
           .doc_default = "the sum of the `load_time` of the stages' frameworks (each model and "
                          "framework once: loaded one after another); required when no stage "
                          "names a `framework`"},
          source_key<AutoscaleParams>(),
      }};
  return table;
}

const Table<ClusterParams>& balancer_keys() {
  static const EnumNames<BalancerPolicy> policies{
      {BalancerPolicy::kRoundRobin, "round_robin"},
      {BalancerPolicy::kRandom, "random"},
      {BalancerPolicy::kLeastOutstanding, "least_outstanding"},
      {BalancerPolicy::kPowerOfTwo, "power_of_two"}};
  static const Table<ClusterParams> table{
      "balancer.",
      {},
      {
          {.key = "policy",
           .type = choice_type(),
           .at = {&ClusterParams::policy, policies},
           .help = "how the balancer picks a node among those below the cap"},
          {.key = "max_outstanding_per_node",
           .type = integer_type(1, 1099511627776.0),
           .at = &ClusterParams::max_outstanding_per_node,
           .emit = Emit::kUnlessDefault,
           .help = "requests a node may hold; the excess waits at the balancer in FIFO order, "
                   "reported as a stage named `balancer`",
           .doc_default = "none (no cap)"},
      }};
  return table;
}

ClusterParams parse_cluster(MapReader r) {
  ClusterParams c = cluster_keys().defaults;
  read_keys(r, cluster_keys(), c, [&](std::string_view key) {
    if (!r.has(key)) return;
    MapReader b = r.child(key);
    if (key == "balancer") {
      read_keys(b, balancer_keys(), c);
    } else {
      AutoscaleParams a = autoscale_keys().defaults;
      read_keys(b, autoscale_keys(), a);
      // The metric's own target, and not the other's.
      const bool util = a.metric == AutoscaleParams::Metric::kUtilization;
      const char* want = util ? "target_utilization" : "target_concurrency";
      const char* other = util ? "target_concurrency" : "target_utilization";
      if (b.holds(other))
        b.fail(other, std::string(other) +
                          " belongs to metric: " + (util ? "concurrency" : "utilization"));
      if (!b.holds(want)) b.require(want);
      if ((util ? a.target_utilization : a.target_concurrency) <= 0)
        b.fail(want, "the target must be above 0");
      if (a.tolerance >= 1) b.fail("tolerance", "the tolerance must be below 1");
      if (a.max_nodes < a.min_nodes)
        b.fail("max_nodes", "max_nodes (" + std::to_string(a.max_nodes) + ") is below min_nodes (" +
                                std::to_string(a.min_nodes) + ")");
      if (c.nodes < a.min_nodes || c.nodes > a.max_nodes) {
        const std::string why = "cluster.nodes (" + std::to_string(c.nodes) +
                                ", the nodes serving at the start) must lie between "
                                "autoscale.min_nodes and max_nodes (" +
                                std::to_string(a.min_nodes) + ".." + std::to_string(a.max_nodes) +
                                ")";
        if (r.holds("nodes")) r.fail("nodes", why);
        b.fail(c.nodes < a.min_nodes ? "min_nodes" : "max_nodes", why);
      }
      c.autoscale = a;
    }
    b.finish();
  });
  r.finish();
  return c;
}

Json cluster_json(const ClusterParams& c) {
  Json j;
  emit_keys(j, cluster_keys(), c, [&](std::string_view key) {
    Json b;
    if (key == "balancer") {
      emit_keys(b, balancer_keys(), c);
      j["balancer"] = b;
    } else if (c.autoscale) {
      emit_keys(b, autoscale_keys(), *c.autoscale);
      j["autoscale"] = b;
    }
  });
  return j;
}

}  // namespace servesim
