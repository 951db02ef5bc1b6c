#pragma once
/// One replication observed as it runs: each request's and child's latency, each stage's spans
/// and each batch's size, in exact ns, and the replication's own result.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sim/model/replication.h"
#include "sim/scenario/scenario.h"

namespace servesim::test {

class Recorder final : public Observer {
 public:
  void request_done(Time latency) override { latencies.push_back(latency); }
  void child_done(Time latency) override { child_latencies.push_back(latency); }
  void stage_done(std::uint32_t stage, const StageSpan& span) override {
    if (spans.size() <= stage) spans.resize(stage + 1);
    spans[stage].push_back(span);
  }
  void batch_done(std::uint32_t stage, std::size_t size, const StageSpan&) override {
    if (batches.size() <= stage) batches.resize(stage + 1);
    batches[stage].push_back(size);
  }
  std::vector<Time> latencies, child_latencies;
  std::vector<std::vector<std::size_t>> batches;  // [reported stage] -> each batch's size
  std::vector<std::vector<StageSpan>> spans;      // [reported stage] -> one per request or child
  ReplicationResult result;
};

/// Replication 0 of `p`, recorded.
inline Recorder record(const ScenarioParams& p) {
  Recorder rec;
  rec.result = run_replication(p, 0, rec);
  return rec;
}

}  // namespace servesim::test
