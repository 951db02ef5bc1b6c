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
           .help = "identical nodes (each a copy of `node`, with its own random streams)"},
          {.key = "balancer",
           .type = custom_type(),
           .help = "how requests are spread over the nodes (the keys below)",
           .doc_type = "map",
           .doc_default = "`round_robin`, no cap"},
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
  read_keys(r, cluster_keys(), c, [&](std::string_view /*balancer*/) {
    if (!r.has("balancer")) return;
    MapReader b = r.child("balancer");
    read_keys(b, balancer_keys(), c);
    b.finish();
  });
  r.finish();
  return c;
}

Json cluster_json(const ClusterParams& c) {
  Json j;
  emit_keys(j, cluster_keys(), c, [&](std::string_view /*balancer*/) {
    Json b;
    emit_keys(b, balancer_keys(), c);
    j["balancer"] = b;
  });
  return j;
}

}  // namespace servesim
