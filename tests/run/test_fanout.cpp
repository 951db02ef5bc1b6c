// Multi-DNN pipelines: a fan-out stage emits children that run through the stages after it,
// through a broker (redis, kafka) or inside the fan-out worker (fused); the request completes
// when its last child does. Every expected time is derived by hand in a comment (docs/model.md,
// "Fan-out and message brokers", gives the formulas).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "sim/config/tree.h"
#include "sim/model/replication.h"
#include "sim/run/replications.h"
#include "sim/scenario/scenario.h"
#include "tests/support/config_error.h"
#include "tests/support/recorder.h"
#include "tests/support/scenario.h"

namespace servesim {
namespace {

using test::parse;
using test::record;
using test::Recorder;

Time total(const StageSpan& s) { return s.queue + s.service(); }

// Detection (10 ms on one worker) emits children of 1000 B; identification takes 2 ms each on
// one worker. The CPU has enough cores that nothing shares one.
const std::string kPipeline = R"(
seed: 5
node: {cpu: {cores: 8}}
pipeline:
  - name: detect
    device: cpu
    service: 10ms
    fanout:
      count: 3
      child: {width: 10, height: 10, bytes: 1000B}
      broker: {kind: redis, op_cost: {a: 5us, b: 1ns}, rtt: 100us, pipeline: 1}
  - {name: identify, device: cpu, service: 2ms}
)";

// One client, one request at a time (the think time outlasts the run after the first few).
const std::string kOneClient = kPipeline + R"(
run: {duration: 100ms}
workload: {mode: closed, concurrency: 1}
)";

}  // namespace

TEST_CASE("redis: a parent completes exactly when its last child does", "[unit][fanout]") {
  // Each op costs c = 5 us + 1000 B x 1 ns = 6 us; rtt 100 us; one push per round trip.
  // Child i's push group reaches the server at t0 + 50 + 106 i us (the previous group's push
  // ends, its reply returns and the next is sent: a round trip); push 6 us, pop 6 us, then
  // 50 us to the consumer: delivered at t0 + 112, 218, 324 us. identify (one worker, 2 ms) ends
  // them at t0 + 2112, 4112, 6112 us; the parent completes with the last: 10 ms + 6.112 ms.
  const Recorder rec = record(parse(kOneClient));
  REQUIRE(rec.latencies.size() >= 5);
  for (const Time l : rec.latencies) CHECK(l == 16'112'000);
  REQUIRE(rec.child_latencies.size() >= 15);
  for (std::size_t i = 0; i < 15; ++i)
    CHECK(rec.child_latencies[i] == std::vector<Time>{2'112'000, 4'112'000, 6'112'000}[i % 3]);
  // Stages as reported: detect, redis (the broker), identify.
  REQUIRE(rec.result.stages.size() == 3);
  CHECK(rec.result.stages[1].name == "redis");
  REQUIRE(rec.spans.size() == 3);
  const auto& broker = rec.spans[1];
  REQUIRE(broker.size() >= 15);
  for (std::size_t i = 0; i < 15; ++i) {
    // Its own two ops (compute), a round trip of network (input), the rest waiting.
    CHECK(broker[i].compute == 12'000);
    CHECK(broker[i].input == 100'000);
    CHECK(total(broker[i]) == std::vector<Time>{112'000, 218'000, 324'000}[i % 3]);
  }
}

TEST_CASE("redis: a lone message takes rtt + 2 (a + b x bytes); a pipeline sends a group at once",
          "[unit][fanout]") {
  // Lone: 100 us + 2 x (5 us + 1000 B x 1 ns) = 112 us.
  const Recorder lone = record(parse(kOneClient, {"pipeline.detect.fanout.count=1"}));
  REQUIRE(lone.spans.size() == 3);
  for (const StageSpan& s : lone.spans[1]) CHECK(total(s) == 112'000);
  for (const Time l : lone.latencies) CHECK(l == 10'000'000 + 112'000 + 2'000'000);

  // Pipeline 3: the three pushes reach the server together at t0 + 50 us and run back to back
  // (50-56, 56-62, 62-68); each pop queues behind the pushes already there: 68-74, 74-80, 80-86;
  // delivered 50 us later: 124, 130, 136 us.
  const Recorder piped = record(parse(kOneClient, {"pipeline.detect.fanout.broker.pipeline=3"}));
  REQUIRE(piped.spans[1].size() >= 9);
  for (std::size_t i = 0; i < 9; ++i)
    CHECK(total(piped.spans[1][i]) == std::vector<Time>{124'000, 130'000, 136'000}[i % 3]);
}

TEST_CASE("redis push_cost: each push costs push_cost, each pop op_cost", "[unit][fanout]") {
  // push_cost 2 us, op_cost 5 us + 1000 B x 1 ns = 6 us. Lone: 100 us + 2 + 6 = 108 us.
  const std::string push = "pipeline.detect.fanout.broker.push_cost={a: 2us, b: 0ns}";
  const Recorder lone = record(parse(kOneClient, {"pipeline.detect.fanout.count=1", push}));
  REQUIRE(lone.spans.size() == 3);
  REQUIRE(!lone.spans[1].empty());
  for (const StageSpan& s : lone.spans[1]) {
    CHECK(total(s) == 108'000);
    CHECK(s.compute == 8'000);
  }
  // Pipeline 3: the pushes reach the server at t0 + 50 us and run 50-52, 52-54, 54-56; the pops
  // queue behind them, 56-62, 62-68, 68-74; delivered 50 us later: 112, 118, 124 us.
  const Recorder piped =
      record(parse(kOneClient, {"pipeline.detect.fanout.broker.pipeline=3", push}));
  REQUIRE(piped.spans[1].size() >= 9);
  for (std::size_t i = 0; i < 9; ++i)
    CHECK(total(piped.spans[1][i]) == std::vector<Time>{112'000, 118'000, 124'000}[i % 3]);
}

TEST_CASE("redis with cpu: node runs its operations on the node's cores, shared with the stages",
          "[unit][fanout]") {
  // One core. Times from the end of detection (t0 = 10 ms), in us. Each op is 6 us of work.
  // Child 1: push 50-56 and pop 56-62 with the core otherwise idle; delivered at 112, identify
  // starts its 2000 us. Child 2's push reaches the server at 156 (56 + a round trip) and shares
  // the core with identify: 12 us of wall time for 6 of work, 156-168, pop 168-180; child 3's,
  // 268-280 and 280-292. Each of those four ops took 6 us of the core from identify, which ends
  // at 2112 + 24 = 2136; children 2 and 3 queue behind it: 4136, 6136. On a core of its own
  // (cpu: dedicated) the server takes nothing from identify: 2112, 4112, 6112.
  const Recorder own = record(parse(kOneClient, {"node.cpu.cores=1"}));
  REQUIRE(own.latencies.size() >= 3);
  for (const Time l : own.latencies) CHECK(l == 16'112'000);
  const Recorder shared =
      record(parse(kOneClient, {"node.cpu.cores=1", "pipeline.detect.fanout.broker.cpu=node"}));
  REQUIRE(shared.latencies.size() >= 3);
  for (const Time l : shared.latencies) CHECK(l == 16'136'000);
  REQUIRE(shared.child_latencies.size() >= 9);
  for (std::size_t i = 0; i < 9; ++i)
    CHECK(shared.child_latencies[i] == std::vector<Time>{2'136'000, 4'136'000, 6'136'000}[i % 3]);
}

TEST_CASE(
    "redis client costs: the producer's per group before it is sent, the consumer's per "
    "message before it enters the child stage",
    "[unit][fanout]") {
  // 8 cores: no job shares one. From t0 = 10 ms (detection ends), in us; each op is 6 us.
  // Child 1: produce 0-20, reaches the server at 70, push 70-76 (its reply is back at 126), pop
  // 76-82, at the consumer 132, consume 132-162: delivered at 162, identified 162-2162.
  // Child 2 is produced when that reply is read: 126-146, server 196, push 196-202 (reply 252),
  // pop 202-208, consumer 258, delivered 288; identify is busy until 2162: 2162-4162.
  // Child 3: produce 252-272, server 322, push 322-328, pop 328-334, consumer 384, delivered
  // 414; identified 4162-6162. The parent: 10 ms + 6.162 ms.
  const Recorder rec = record(
      parse(kOneClient,
            {"pipeline.detect.fanout.broker.client={produce: {a: 20us}, consume: {a: 30us}}"}));
  REQUIRE(rec.latencies.size() >= 3);
  for (const Time l : rec.latencies) CHECK(l == 16'162'000);
  REQUIRE(rec.child_latencies.size() >= 9);
  for (std::size_t i = 0; i < 9; ++i)
    CHECK(rec.child_latencies[i] == std::vector<Time>{2'162'000, 4'162'000, 6'162'000}[i % 3]);
  // The broker's span: compute = two ops + its produce and consume (6 + 6 + 20 + 30 us), input
  // = a round trip, total = emission to delivery.
  REQUIRE(rec.spans.size() == 3);
  REQUIRE(rec.spans[1].size() >= 9);
  for (std::size_t i = 0; i < 9; ++i) {
    CHECK(rec.spans[1][i].compute == 62'000);
    CHECK(rec.spans[1][i].input == 100'000);
    CHECK(total(rec.spans[1][i]) == std::vector<Time>{162'000, 288'000, 414'000}[i % 3]);
  }
}

TEST_CASE("redis client.wait_replies: the producer's worker is held until its last reply",
          "[unit][fanout]") {
  // Two clients, one detection worker. A's children: pushes end at t0 + 56, 162, 268 us (each
  // group is sent when the last reply is back, a round trip after its push ended); the last
  // reply is read at 268 + 50 = 318 us, when the worker is released. B, queued since 0, is
  // detected from 10.318 ms to 20.318 ms. A completes at 16.112 ms (as with one client), B at
  // 20.318 + 6.112 = 26.430 ms. Without waiting, B's detection starts at 10 ms: 26.112 ms.
  const std::string two = kPipeline + R"(
run: {duration: 27ms}
workload: {mode: closed, concurrency: 2}
)";
  const Recorder held =
      record(parse(two, {"pipeline.detect.fanout.broker.client={wait_replies: yes}"}));
  REQUIRE(held.latencies.size() >= 2);
  CHECK(held.latencies[0] == 16'112'000);
  CHECK(held.latencies[1] == 26'430'000);
  const Recorder free = record(parse(two));
  REQUIRE(free.latencies.size() >= 2);
  CHECK(free.latencies[0] == 16'112'000);
  CHECK(free.latencies[1] == 26'112'000);
}

TEST_CASE("redis client.kernel: loopback work takes the node's cores beside the message's path",
          "[unit][fanout]") {
  // One core; 10 us of kernel work per message, from when its push reaches the server (t0 + 50,
  // 156, 262 us). The first runs alone (50-60); the message path does not wait for it: child 1
  // is delivered at 112 as without it, identify starts. The second and third share the core
  // with identify (20 us of wall time each for 10 of work), so identify loses 2 x 10 us and
  // ends at 2132; children 2 and 3 queue behind it: 4132, 6132.
  const Recorder rec =
      record(parse(kOneClient, {"node.cpu.cores=1",
                                "pipeline.detect.fanout.broker.client={kernel: {a: 10us}}"}));
  REQUIRE(rec.latencies.size() >= 3);
  for (const Time l : rec.latencies) CHECK(l == 16'132'000);
  REQUIRE(rec.child_latencies.size() >= 9);
  for (std::size_t i = 0; i < 9; ++i)
    CHECK(rec.child_latencies[i] == std::vector<Time>{2'132'000, 4'132'000, 6'132'000}[i % 3]);
}

TEST_CASE("k = 0 children: the request completes after the fan-out stage", "[unit][fanout]") {
  const Recorder rec = record(parse(kOneClient, {"pipeline.detect.fanout.count=0"}));
  REQUIRE(rec.latencies.size() == 10);  // 100 ms / 10 ms
  for (const Time l : rec.latencies) CHECK(l == 10'000'000);
  CHECK(rec.child_latencies.empty());
  CHECK(rec.result.end.children_emitted == 0);
}

TEST_CASE("fused: the detection worker runs its children before it takes the next request",
          "[unit][fanout]") {
  // One detect worker, two requests at t = 0. A: detect 0-10 ms, then its three children run in
  // the held worker one after the other (identify 2 ms each): 10-12, 12-14, 14-16; A completes
  // and the worker is free at 16 ms = 0 + 10 + 3 x 2. B: detect 16-26, children 26-32.
  const std::string yaml = kPipeline + R"(
run: {duration: 1s}
workload: {mode: closed, concurrency: 2, think_time: 10s}
)";
  const Recorder rec = record(parse(yaml, {"pipeline.detect.fanout.broker={kind: fused}"}));
  REQUIRE(rec.result.stages.size() == 2);  // no broker stage
  REQUIRE(rec.latencies == std::vector<Time>{16'000'000, 32'000'000});
  REQUIRE(rec.spans[0].size() == 2);
  CHECK(rec.spans[0][0].queue == 0);
  CHECK(rec.spans[0][1].queue == 16'000'000);  // B's detect starts when A's children are done
  CHECK(rec.child_latencies ==
        std::vector<Time>{2'000'000, 4'000'000, 6'000'000, 2'000'000, 4'000'000, 6'000'000});
  // With a broker instead, B's detect starts as soon as A's ends.
  const Recorder brokered = record(parse(yaml));
  CHECK(brokered.spans[0][1].queue == 10'000'000);
  // Thread wake-ups change nothing here: the children run in the held worker's own thread, and
  // the worker takes B at the instant it is released, so no thread ever sleeps.
  const Recorder woken =
      record(parse(yaml, {"pipeline.detect.fanout.broker={kind: fused}", "node.cpu.wakeup=1ms"}));
  CHECK(woken.latencies == rec.latencies);
  CHECK(woken.child_latencies == rec.child_latencies);
}

TEST_CASE("fused: a held batch's children are identified in batches of the child stage's size",
          "[unit][fanout]") {
  // identify costs 1 ms + 100 us per child in a batch of up to 4; detect batches up to 2 frames.
  const std::string yaml = R"(
seed: 5
node: {cpu: {cores: 8}}
curves:
  ident: {form: affine, inputs: [batch], coef: {a: 1ms, b: 100us}, source: "assumption: test"}
pipeline:
  - name: detect
    device: cpu
    service: 10ms
    batching: {max_batch_size: 2, max_queue_delay: 1ms}
    fanout:
      count: 3
      child: {width: 10, height: 10, bytes: 1000B}
      broker: {kind: fused}
  - name: identify
    device: cpu
    service: {curve: ident}
    batching: {max_batch_size: 4, max_queue_delay: 1ms}
run: {duration: 1s}
workload: {mode: closed, concurrency: 2, think_time: 10s}
)";
  // Frames A and B arrive at 0 and fill a detect batch of 2: 0-10 ms. The worker then holds its
  // six children (A's three, then B's) and hands them over together; identify's batcher does not
  // wait max_queue_delay for more (no other request can join a process's own call): A0 A1 A2 B0
  // run 10-11.4 ms (1 ms + 4 x 100 us), B1 B2 11.4-12.6 ms (1 ms + 2 x 100 us). A completes at
  // 11.4 ms, B and the worker's hold at 12.6 ms.
  const Recorder two = record(parse(yaml));
  CHECK(two.latencies == std::vector<Time>{11'400'000, 12'600'000});
  CHECK(two.child_latencies ==
        std::vector<Time>{1'400'000, 1'400'000, 1'400'000, 1'400'000, 2'600'000, 2'600'000});
  REQUIRE(two.batches.size() == 2);
  CHECK(two.batches[1] == std::vector<std::size_t>{4, 2});

  // One frame: detect waits its 1 ms max_queue_delay for a second frame (Triton's batcher),
  // runs 1-11 ms, and its three children go at once as one batch of 3: 11-12.3 ms.
  const Recorder one = record(parse(yaml, {"workload.concurrency=1"}));
  CHECK(one.latencies == std::vector<Time>{12'300'000});
  CHECK(one.child_latencies == std::vector<Time>{1'300'000, 1'300'000, 1'300'000});

  // Through redis instead, identify's batcher does wait: the pushes are one round trip apart
  // (100 us + 2 x 6 us each, see above), so the three children are delivered at 11.112,
  // 11.218 and 11.324 ms and the batch goes when the first has waited 1 ms: 12.112 ms, ending
  // 12.112 + 1.3 = 13.412 ms.
  const Recorder brokered = record(parse(
      yaml,
      {"workload.concurrency=1",
       "pipeline.detect.fanout.broker={kind: redis, op_cost: {a: 5us, b: 1ns}, rtt: 100us}"}));
  CHECK(brokered.latencies == std::vector<Time>{13'412'000});
}

TEST_CASE("fused: the held worker counts as busy for the utilisation law", "[unit][fanout]") {
  const std::string yaml = kPipeline + R"(
run: {duration: 20s, warmup: 1s}
workload: {mode: open, rate: 40/s}
)";
  const RunSummary s = run_scenario(parse(
      yaml, {"pipeline.detect.fanout.broker={kind: fused}", "pipeline.identify.instances=2"}));
  // The three children enter identify together and its two workers take two at once: 2 ms,
  // then 2 ms for the third. 10 ms + 4 ms = 14 ms per request held: utilisation 40 x 0.014 =
  // 0.56 (Poisson: within a few percent), and the two accounts of the held time agree.
  CHECK(s.stages[0].utilization == Approx(0.56).epsilon(0.08));
  for (const LawCheck& l : s.laws)
    if (l.law == "utilization") CHECK(l.relative_error() < 0.02);
}

TEST_CASE("kafka: a lone record waits linger, crosses the network twice, costs two requests",
          "[unit][fanout]") {
  // linger 5 ms; produce rtt/2 = 50 us; the produce request's CPU c = 50 us + 1000 B x 1 ns =
  // 51 us; page cache: appended at once; the consumer's fetch is waiting at the broker (it
  // arrived at 50 us and waits up to 500 ms), fetch.min.bytes 1 is met: the fetch's CPU 51 us,
  // then 50 us back. 5 ms + 100 us + 102 us = 5.202 ms.
  const std::string kafka =
      "pipeline.detect.fanout.broker={kind: kafka, linger: 5ms, rtt: 100us, "
      "request_cost: {a: 50us, b: 1ns}}";
  const Recorder rec = record(parse(kOneClient, {"pipeline.detect.fanout.count=1", kafka}));
  CHECK(rec.result.stages[1].name == "kafka");
  REQUIRE(rec.spans[1].size() >= 5);
  for (const StageSpan& s : rec.spans[1]) {
    CHECK(total(s) == 5'202'000);
    CHECK(s.queue == 5'000'000);  // linger
    CHECK(s.input == 100'000);
    CHECK(s.compute == 102'000);
  }
  // fsync per batch: + 1 ms + 1000 B at 1 GB/s = 1.001 ms on the disk before it can be fetched.
  const Recorder synced =
      record(parse(kOneClient, {"pipeline.detect.fanout.count=1", kafka,
                                "pipeline.detect.fanout.broker.disk={sync: fsync, bandwidth: "
                                "1GB/s, fsync_latency: 1ms}"}));
  for (const StageSpan& s : synced.spans[1]) CHECK(total(s) == 5'202'000 + 1'001'000);
}

TEST_CASE("kafka: a full batch goes without lingering; fetch.min.bytes waits for the timer",
          "[unit][fanout]") {
  const std::string kafka =
      "pipeline.detect.fanout.broker={kind: kafka, linger: 5ms, rtt: 100us, batch_size: 2000B, "
      "request_cost: {a: 50us, b: 1ns}}";
  // Two records of 1000 B fill the 2000 B batch: it is sent at once. Each request costs
  // 50 us + 2000 B x 1 ns = 52 us: 100 us + 2 x 52 us = 204 us for both.
  const Recorder full = record(parse(kOneClient, {"pipeline.detect.fanout.count=2", kafka}));
  REQUIRE(full.spans[1].size() >= 6);
  for (const StageSpan& s : full.spans[1]) {
    CHECK(total(s) == 204'000);
    CHECK(s.queue == 0);
  }
  // fetch.min.bytes 1500 B with one 1000 B record: the consumer's first fetch reached the broker
  // at 50 us and its 20 ms wait ends at 20.05 ms; the record, emitted at 10 ms, was appended at
  // 10 + 5 + 0.05 + 0.051 ms and goes with that answer: 20.05 + 0.051 + 0.05 = 20.151 ms, so
  // 10.151 ms in the broker.
  const Recorder starved = record(parse(
      kOneClient, {"pipeline.detect.fanout.count=1", kafka,
                   "pipeline.detect.fanout.broker.fetch_min_bytes=1500B",
                   "pipeline.detect.fanout.broker.fetch_max_wait=20ms", "run.duration=25ms"}));
  REQUIRE(starved.spans.size() == 3);
  REQUIRE(starved.spans[1].size() == 1);
  CHECK(total(starved.spans[1][0]) == 10'151'000);
}

TEST_CASE("fan-out conserves children: all produced are consumed, with every broker and load",
          "[unit][fanout]") {
  // Every client sends one request at t = 0 and then thinks for longer than the run: at the end
  // everything has drained, so nothing may be left inside or lost on the way.
  for (const char* broker : {"{kind: fused}", "{kind: redis, pipeline: 4}",
                             "{kind: kafka, partitions: 4, consumers: 2, linger: 1ms}",
                             "{kind: kafka, batch_size: 3000B, disk: {sync: fsync}}"}) {
    for (const int clients : {1, 17, 300}) {
      INFO(broker << " with " << clients << " clients");
      const std::string yaml = kPipeline + R"(
run: {duration: 200s}
workload: {mode: closed, concurrency: )" +
                               std::to_string(clients) +
                               R"(, think_time: 1000s}
)";
      const ScenarioParams p = parse(yaml, {std::string("pipeline.detect.fanout.broker=") + broker,
                                            "pipeline.detect.fanout.count={dist: poisson, mean: 4}",
                                            "pipeline.identify.instances=3",
                                            "pipeline.identify.batching={max_batch_size: 4}"});
      const Recorder rec = record(p);
      const ModelCounters& end = rec.result.end;
      CHECK(end.completions == static_cast<std::uint64_t>(clients));
      CHECK(end.in_system == 0);
      CHECK(end.children_inside == 0);
      CHECK(end.children_emitted == end.child_completions);
      CHECK(rec.child_latencies.size() == end.children_emitted);
      if (clients == 300) CHECK(end.children_emitted > 1000);  // Poisson(4) x 300
    }
  }
}

TEST_CASE("an empirical count draws its values at their weights", "[unit][fanout]") {
  const std::string yaml = kPipeline + R"(
run: {duration: 50s}
workload: {mode: open, rate: 20/s}
)";
  const RunSummary s =
      run_scenario(parse(yaml, {"pipeline.detect.fanout.count={dist: empirical, values: [0, 2, "
                                "8], weights: [2, 1, 1]}",
                                "pipeline.identify.instances=4"}));
  // Mean 0 x 0.5 + 2 x 0.25 + 8 x 0.25 = 2.5 children per request; ~1000 requests, sd of the
  // count 3.28, so the sample mean's sd is ~0.1.
  CHECK(s.has_fanout);
  CHECK(s.children_per_request == Approx(2.5).margin(0.4));
  CHECK(s.child_completed > 0);
}

TEST_CASE("the face-pipeline scenarios run, each with its broker", "[unit][fanout]") {
  const std::filesystem::path dir =
      std::filesystem::path(SERVESIM_SOURCE_DIR) / "configs" / "scenarios";
  for (const char* broker : {"kafka", "redis", "fused"}) {
    INFO(broker);
    ConfigNode root = load_config_file(dir / ("face-pipeline-" + std::string(broker) + ".yaml"));
    apply_override(root, "run={duration: 3s, warmup: 1s, replications: 1}", 1);
    const RunSummary s = run_scenario(parse_scenario(root));
    CHECK(s.completed > 100);
    // count: 5 (a few requests straddle the window's edges)
    CHECK(s.children_per_request == Approx(5).epsilon(0.02));
    const bool brokered = std::string(broker) != "fused";
    REQUIRE(s.stages.size() == (brokered ? 6u : 5u));
    if (brokered) CHECK(s.stages[4].name == broker);
  }
}

TEST_CASE("fan-out config errors name the file position and the key", "[unit][fanout]") {
  const ConfigError bad_key = test::config_error(
      [] { parse(kOneClient, {"pipeline.detect.fanout.broker={kind: redis, pipelining: 4}"}); });
  CHECK(bad_key.key() == "pipeline.detect.fanout.broker.pipelining");
  CHECK(std::string(bad_key.what()).find("pipeline") != std::string::npos);
  CHECK(bad_key.mark().line > 0);

  const ConfigError bad_kind = test::config_error(
      [] { parse(kOneClient, {"pipeline.detect.fanout.broker.kind=rabbitmq"}); });
  CHECK(bad_kind.key() == "pipeline.detect.fanout.broker.kind");

  const ConfigError negative =
      test::config_error([] { parse(kOneClient, {"pipeline.detect.fanout.count=-1"}); });
  CHECK(negative.key() == "pipeline.detect.fanout.count");

  // The file position of a key written in the YAML text itself.
  std::string yaml = kOneClient;
  yaml.replace(yaml.find("rtt: 100us"), 10, "rtt: 100");
  const ConfigError unitless = test::config_error([&] { parse(yaml); });
  CHECK(unitless.key() == "pipeline.detect.fanout.broker.rtt");
  CHECK(unitless.mark().file == "<test>");
  CHECK(unitless.mark().line == 11);

  const ConfigError client_key = test::config_error([] {
    parse(kOneClient, {"pipeline.detect.fanout.broker.client={produce: {a: 5us}, parse: 1}"});
  });
  CHECK(client_key.key() == "pipeline.detect.fanout.broker.client.parse");
  const ConfigError client_wait = test::config_error(
      [] { parse(kOneClient, {"pipeline.detect.fanout.broker.client={wait_replies: maybe}"}); });
  CHECK(client_wait.key() == "pipeline.detect.fanout.broker.client.wait_replies");
  const ConfigError client_cost = test::config_error(
      [] { parse(kOneClient, {"pipeline.detect.fanout.broker.client={consume: {b: 1ns}}"}); });
  CHECK(client_cost.key() == "pipeline.detect.fanout.broker.client.consume.a");
  const ConfigError kafka_client = test::config_error(
      [] { parse(kOneClient, {"pipeline.detect.fanout.broker={kind: kafka, client: {}}"}); });
  CHECK(kafka_client.key() == "pipeline.detect.fanout.broker.client");

  const ConfigError refusing = test::config_error([] {
    parse(kOneClient, {"pipeline.identify.batching={max_batch_size: 4, max_queue_size: 10}"});
  });
  CHECK(refusing.key() == "pipeline.identify.batching");
}

}  // namespace servesim
