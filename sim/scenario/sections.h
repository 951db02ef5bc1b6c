#pragma once
/// The scenario's sections, one file each (run.cpp, workload.cpp, cluster.cpp, node.cpp,
/// pipeline.cpp, broker.cpp): how each is read from its map and written back to the resolved
/// config, and its key tables for the docs. Internal to sim/scenario; scenario.cpp puts the
/// sections together and holds the rules that span them.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "sim/config/reader.h"
#include "sim/config/schema.h"
#include "sim/model/params.h"
#include "sim/scenario/curves.h"

namespace servesim {

using Json = nlohmann::ordered_json;

// scenario.cpp: the top level's own keys (seed, name, description).
const Table<ScenarioParams>& top_keys();

// run.cpp
const Table<RunParams>& run_keys();
RunParams parse_run(MapReader r);
Json run_json(const RunParams& p);

// workload.cpp: the clients, their images, and the distributions of service and think times.
const Table<WorkloadParams>& workload_keys();
const Table<ImageParams>& image_keys();
const Table<RateSchedule>& schedule_keys();
WorkloadParams parse_workload(MapReader r, const ConfigNode* image_sets);
Json workload_json(const WorkloadParams& p);
/// A name of a set under image_sets (or of a built-in image), a list of images, or {csv: FILE}.
std::vector<ImageParams> parse_images(const ConfigNode& node, const std::string& path,
                                      const ConfigNode* image_sets);
/// A bare duration (a fixed time) or a {dist, mean, cv, samples} map.
Distribution parse_distribution(const ConfigNode& node, const std::string& path);
/// A distribution map's plain keys, as read before the Distribution is made.
struct DistributionMap {
  Time mean = 0;
  double cv = 0;
};
const Table<DistributionMap>& distribution_keys();
Json distribution_json(const Distribution& d);

// cluster.cpp
const Table<ClusterParams>& cluster_keys();
const Table<ClusterParams>& balancer_keys();
const Table<AutoscaleParams>& autoscale_keys();
ClusterParams parse_cluster(MapReader r);
Json cluster_json(const ClusterParams& c);

// node.cpp
const Table<CpuParams>& cpu_keys();
const Table<EfficiencyParams>& efficiency_keys();
const Table<StallParams>& stall_keys();
const Table<StallParams>& slowdown_keys();
const Table<GpuParams>& gpu_keys();
const Table<GpuParams>& copy_engine_keys();
const Table<PcieParams>& pcie_keys();
const Table<LinkParams>& link_keys();
const Table<LinkParams>& network_keys();
const Table<PcieTreeLink>& tree_link_keys();
const Table<PcieTreeLink>& bifurcation_keys();
const Table<MemoryParams>& memory_keys();
NodeParams parse_node(MapReader r);
Json node_json(const NodeParams& n);

// framework.cpp: a model as inference frameworks serve it, and the stages that name one.
using FrameworkSet = std::map<std::string, FrameworkParams, std::less<>>;
const Table<FrameworkParams>& framework_keys();
/// models.<model>.frameworks.
FrameworkSet parse_frameworks(const ConfigNode& node, const std::string& model);

// pipeline.cpp: stages, batching, outputs, and the models that outputs and stages name.
/// A model profile: what its input tensor and output look like, and the frameworks that serve it.
struct ModelProfile {
  OutputParams input;  // as a tensor output spec; kind kSame: not given
  double output_bytes = 0;
  FrameworkSet frameworks;
};
using ModelSet = std::map<std::string, ModelProfile, std::less<>>;
ModelSet parse_models(const ConfigNode& node);
const Table<ModelProfile>& model_keys();
const Table<ModelProfile>& model_output_keys();
/// A tensor: a model's input, or a stage's output `{width, height, channels, dtype}`.
const Table<OutputParams>& tensor_keys();
/// The other forms of a stage's output (`format: raw`, `bytes`, ...): one form per stage.
const Table<OutputParams>& output_keys();

/// What a stage may refer to: the scenario's curves and models, and its node.
struct StageContext {
  const CurveSet& curves;
  const ModelSet& models;
  const NodeParams& node;
};
const EnumNames<Device>& device_names();
const Table<StageParams>& stage_keys();
const Table<BatchingParams>& batching_keys();
StageParams parse_stage(const ConfigNode& node, std::size_t index, std::set<std::string>& names,
                        const StageContext& ctx);
/// The stages after a fan-out stage run per child; what they may not do, and the broker's name.
void check_fanout(const ScenarioParams& p, const ConfigNode& pipe);
/// A stage's busy_power under `compute: concurrent` needs every gpu stage at sm_share 1: kernels
/// that overlap on the SMs would each be charged their power beyond busy_power (docs/model.md).
/// A full batch of a GPU stage's tensors fits in node.gpus.memory less reserved_memory, for the
/// largest image of the mix; else an error at its max_batch_size naming the largest that fits.
void check_gpu_batches(const ScenarioParams& p, const ConfigNode& pipe);
void check_stage_power(const ScenarioParams& p, const ConfigNode& pipe);
Json stage_json(const StageParams& s);

// framework.cpp, the stage's side.
/// A stage's `model` and `framework` (read before its service): the framework, checked against
/// the stage's device, into p.framework.
void parse_stage_framework(MapReader& r, const StageContext& ctx, StageParams& p);
/// What the stage takes from its framework: the service (the framework's curve) and busy_power.
void resolve_stage_framework(MapReader& r, const StageContext& ctx, StageParams& p);
/// The frameworks' memory fits each device (node.gpus.memory less reserved_memory for gpu
/// stages, node.memory.capacity for cpu stages), else an error at the stage naming the largest
/// batch that fits; sets node.gpus.framework_bytes.
void check_framework_memory(ScenarioParams& p, const ConfigNode& pipe);
/// cluster.autoscale.load_time when not given: the sum of the stages' frameworks' load times
/// (each model and framework once), or an error when no stage names a framework.
void resolve_load_time(ScenarioParams& p, const ConfigNode& root);
/// The `models` the stages' frameworks come from, as the resolved config writes them.
Json models_json(const std::vector<StageParams>& pipeline);
/// A stage's `service` (or any service time): `{curve: NAME}` or a distribution.
ServiceParams parse_service(const ConfigNode& node, const std::string& path,
                            const CurveSet& curves);
Json service_json(const ServiceParams& sv);

// client.cpp: workload.client, the load generator as part of the model.
const Table<ClientParams>& client_keys();
/// Reads workload.client (after the curves it may name) into p.workload.client, and puts its
/// two stations, `client` and `network`, in front of p.pipeline.
void parse_client(MapReader r, const CurveSet& curves, ScenarioParams& p);
Json client_json(const ClientParams& c);

// broker.cpp: a fan-out stage's children and broker. `broker.kind`'s names are the model's
// (kBrokerNames), which names a broker's station with them.
const EnumNames<BrokerKind>& broker_kinds();
const Table<FanoutParams>& fanout_keys();
const Table<FanoutCount>& count_keys();
const Table<FanoutParams>& child_keys();
const Table<BrokerParams>& broker_keys();
const Table<RedisParams>& redis_keys();
const Table<BrokerClientParams>& redis_client_keys();
const Table<KafkaParams>& kafka_keys();
const Table<KafkaParams>& disk_keys();
FanoutParams parse_fanout(MapReader r, const CurveSet& curves);
Json fanout_json(const FanoutParams& f);

}  // namespace servesim
