// `workload.client`: the load generator as part of the model (perf_analyzer beside Triton on the
// paper's node, or on machines of its own), and the two stations it puts before the pipeline.

#include "sim/scenario/sections.h"

namespace servesim {

const Table<ClientParams>& client_keys() {
  static const EnumNames<bool> hosts{{false, "node"}, {true, "remote"}};
  static const Table<ClientParams> table{
      "client.",
      {},
      {
          {.key = "host",
           .type = choice_type(),
           .at = {&ClientParams::remote, hosts},
           .required = true,
           .help = "`node`: the client runs on the node's host (perf_analyzer beside Triton) and "
                   "its work takes the node's cores; `remote`: on machines of its own, a core "
                   "per client thread"},
          {.key = "cost",
           .type = custom_type(),
           .help = "CPU time per request at speed 1: build and send it, read the response; "
                   "`servesim calib bench net` measures it (`http_client_request`)",
           .doc_type = "`{curve: NAME}` (of bytes) or a distribution",
           .doc_default = "required"},
          {.key = "threads",
           .type = integer_type(1, 10'000'000),
           .at = &ClientParams::threads,
           .help = "requests the client works on at once (perf_analyzer: one thread per "
                   "concurrent request)",
           .doc_default = "closed: `concurrency`; open: required"},
          source_key<ClientParams>(),
      }};
  return table;
}

void parse_client(MapReader r, const CurveSet& curves, ScenarioParams& p) {
  ClientParams c;
  const Table<ClientParams>& keys = client_keys();
  read_key(r, keys, "host", c);
  c.cost = parse_service(r.require("cost"), r.key_path("cost"), curves);
  if (!read_key(r, keys, "threads", c)) {
    if (p.workload.mode == WorkloadMode::kOpen)
      r.fail("threads",
             "an open workload's client needs `threads` (requests it works on at "
             "once); a closed one has one per client");
    c.threads = p.workload.concurrency;
  }
  read_key(r, keys, "source", c);
  if (!p.node.network)
    r.fail("host",
           "a client sends its requests over node.network: give node.network "
           "(bandwidth, and latency: a round trip; loopback when host: node)");
  r.finish();
  for (const auto& st : p.pipeline)
    if (st.name == "client" || st.name == "network")
      r.fail("host",
             "workload.client adds stations named 'client' and 'network' before the "
             "pipeline; stage '" +
                 st.name + "' has one of those names: rename it");
  StageParams send;
  send.name = "client";
  send.device = Device::kCpu;
  send.instances = c.threads;
  send.service = c.cost;
  send.side = StageSide::kClient;
  StageParams wire;
  wire.name = "network";
  wire.device = Device::kNetwork;
  wire.instances = c.threads;
  wire.side = StageSide::kNetwork;
  p.pipeline.insert(p.pipeline.begin(), {send, wire});
  p.workload.client = c;
}

Json client_json(const ClientParams& c) {
  Json j;
  emit_keys(j, client_keys(), c,
            [&](std::string_view /*cost*/) { j["cost"] = service_json(c.cost); });
  return j;
}

}  // namespace servesim
